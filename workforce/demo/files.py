"""Writing a generated authority: the three input tables as CSV files (and a workbook), the
funded establishment, and the generator's truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workforce.contracts import to_csv_frame
from workforce.csvcells import write_csv
from workforce.demo.authority import DemoAuthority
from workforce.excel.writer import SafeWorkbook, TableSpec
from workforce.outputs import OutputDir

_SHEET_NOTES = {
    "workers": "one row per member of staff in post today (data contract: workers; team_type is optional)",
    "cases": "one row per open child's case today, with the current allocation (data contract: cases)",
    "hr_history": "one row per worker in post per 30 September snapshot (data contract: hr_history)",
    "establishment": "funded FTE by team and role (vacancies = funded FTE not filled by an LA employee)",
}


def _write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """The tables as sheets named after them, through the project's safe workbook writer;
    yes/no columns as the words the contract uses, dates as date cells."""
    book = SafeWorkbook(produced_by="workforce.demo", title="Demo authority (synthetic)")
    for name, frame in sheets.items():
        shown = frame.copy()
        for col in shown.columns:
            if pd.api.types.is_bool_dtype(shown[col]):
                shown[col] = np.where(shown[col], "yes", "no")
        book.add_table_sheet(name, [TableSpec(shown, name)], _SHEET_NOTES[name])
    book.add_readme(notes=["Synthetic data from workforce.demo: no real person, child or authority is described."])
    book.save(path)


def write_authority(authority: DemoAuthority, folder: Path, *, xlsx: bool = True, force: bool = False) -> list[Path]:
    """Write the authority into `folder`, all files together or none.

    Files: `workers.csv`, `cases.csv`, `hr_history.csv` (the input tables), `establishment.csv`
    (funded FTE by team and role), `truth.csv` (the generator's leaving probabilities: not an
    input), and with `xlsx` the workbook `workbook/authority.xlsx` with sheets workers, cases,
    hr_history and establishment. The workbook sits in a subfolder so that `workforce validate
    FOLDER` finds each table once. Dates are ISO, yes/no columns "yes"/"no", tags ';'-joined.
    Files workforce did not write there (or that were changed since) are replaced only with
    `force` (`workforce.outputs.OutputDir`).

    Returns
    -------
    The paths written, sorted.
    """
    folder = Path(folder)
    tables = {"workers": authority.workers, "cases": authority.cases, "hr_history": authority.hr_history}
    with OutputDir(folder, force=force) as od:
        for name, frame in tables.items():
            write_csv(to_csv_frame(frame), od.path(f"{name}.csv"), index=False, lineterminator="\n")
        write_csv(authority.establishment, od.path("establishment.csv"), index=False, lineterminator="\n")
        write_csv(to_csv_frame(authority.truth), od.path("truth.csv"), index=False, lineterminator="\n", float_format="%.6f")
        if xlsx:
            _write_workbook(od.path("workbook/authority.xlsx"), {**tables, "establishment": authority.establishment})
    return sorted(od.written)
