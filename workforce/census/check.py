"""`check_returns`: the pre-submission check of census returns, and its report.

Each return is validated against its year's schema and the DfE data-quality rules
(:mod:`workforce.census.rules`); the header is cross-checked against itself, the file name and
the other returns. The report is one row per problem with a plain-English fix: a CSV file and
a workbook (Summary, Problems, README) written through the project's safe Excel writer.
Records are named by position, line and a salted pseudonym, never by SWE number or birth date.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from workforce.census.load import LoadedReturns, load_returns
from workforce.census.problems import ERROR, WARNING, CensusProblem, problems_frame
from workforce.census.rules import NO_CASES_ORG_ROLE, PLAUSIBLE_MAX_CASES
from workforce.csvcells import write_csv
from workforce.excel.writer import SafeWorkbook, TableSpec

PROBLEMS_CSV = "census_problems.csv"
PROBLEMS_XLSX = "census_problems.xlsx"


@dataclass
class CensusCheck:
    """The outcome of a check: every problem, and the returns as read."""

    problems: list[CensusProblem]
    loaded: LoadedReturns

    @property
    def clean(self) -> bool:
        """No problem of any kind (the return is ready to submit)."""
        return not self.problems

    def table(self) -> pd.DataFrame:
        """The problems table (see :func:`workforce.census.problems.problems_frame`)."""
        return problems_frame(self.problems, self.loaded.worker_ids())

    def summary(self) -> pd.DataFrame:
        """One row per file: year checked (and why), census day, LA, records, errors, warnings."""
        table = self.table()
        rows = []
        for r in self.loaded.returns:
            mine = table.loc[table["file"] == r.name]
            rows.append({"file": r.name, "year": r.year, "year_from": r.choice.basis,
                         "reference_date": r.reference_date, "la": r.la, "records": int(len(r.records)),
                         "errors": int((mine["severity"] == ERROR).sum()), "warnings": int((mine["severity"] == WARNING).sum())})
        for name in self.loaded.unreadable:
            mine = table.loc[table["file"] == name]
            rows.append({"file": name, "year": pd.NA, "year_from": "not read", "reference_date": pd.NaT, "la": "",
                         "records": 0, "errors": int(len(mine)), "warnings": 0})
        return pd.DataFrame(rows, columns=["file", "year", "year_from", "reference_date", "la", "records", "errors", "warnings"])


def check_returns(paths: Sequence[str | Path], *, salt: str | None = None) -> CensusCheck:
    """Check census returns before submission.

    Parameters
    ----------
    paths : sequence of str or Path
        Return files or folders of them. A file that cannot be read (malformed or unsafe XML)
        is reported as a problem; the others are still checked.
    salt : str, optional
        Secret for the pseudonyms naming records in the report; random when not given.

    Returns
    -------
    CensusCheck

    Raises
    ------
    InputError
        A path does not exist, or no XML file was found.
    """
    loaded = load_returns(paths, salt=salt, rules=True, keep_going=True)
    problems = [p for p in loaded.problems if p.check != "import"]  # import outcomes are not submission issues
    return CensusCheck(problems, loaded)


def write_check_report(result: CensusCheck, csv_path: Path, xlsx_path: Path, *, inputs: Sequence[Path] = ()) -> None:
    """Write the problems table as CSV and as a workbook (Summary, Problems, README)."""
    table = result.table()
    write_csv(table, csv_path, index=False)
    book = SafeWorkbook(produced_by="workforce census check", inputs=inputs, title="Census return check")
    book.add_table_sheet("Summary", [TableSpec(result.summary(), "Returns")],
                         "one row per return: the schema year checked, census day, LA, records, errors and warnings")
    book.add_table_sheet("Problems", [TableSpec(table, "Problems")],
                         "one row per problem: file, record position, line and pseudonym, element, field, what is wrong and how to fix it")
    book.add_readme(notes=[
        "Records are named by their position in the file (1 = the first CSWWWorker), the line of the file where "
        "the record starts (for the header, the element's line) and a salted pseudonym; SWE numbers and birth "
        "dates are never shown.",
        "Severity 'error': the return breaks its year's schema or a DfE data-quality rule. 'warning': the header "
        "disagrees with itself, the file name or the other returns, a leave date falls outside the census year, "
        f"or a case count needs checking (above {PLAUSIBLE_MAX_CASES} [DEFAULT], or cases on an OrgRole "
        f"{NO_CASES_ORG_ROLE} record, qualified without cases).",
        "The SWENo pattern of the published schemas ends with a literal '$' that no real SWE number matches; "
        "it is checked as two letters then one to ten digits (see workforce/data/csww/README.md).",
    ])
    book.save(xlsx_path)
