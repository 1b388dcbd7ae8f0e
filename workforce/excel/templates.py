"""Input templates: `workers.xlsx`, `cases.xlsx`, `hr_history.xlsx` and `assumptions.xlsx`.

Each template has the data sheet named exactly after its table (header in row 1, read by
`workforce.readers`), a note on every header cell explaining the column, drop-down lists for
coded and yes/no columns, range checks for numbers, integers and dates, a few example rows that
are consistent across the templates (the cases' workers exist in `workers`), and an
Instructions sheet. Example rows carry IDs starting `EXAMPLE-` (`contracts.EXAMPLE_PREFIX`):
validation refuses them as data, naming each row, so they never pass for real staff or children. The column lists come from `workforce.contracts` and the assumptions from
`workforce.plans.assumptions`, so the templates follow the contracts when they change.

Regenerate the committed copies with ``python -m workforce.excel.templates templates_xlsx``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

import pandas as pd
from openpyxl.worksheet.datavalidation import DataValidation

from workforce.contracts import EXAMPLE_PREFIX, PROTECTED, SCHEMAS, Column
from workforce.excel.writer import SafeWorkbook, TableSpec, assumptions_spec

TEMPLATE_ROWS = 5000  # rows the drop-downs and checks cover
TEMPLATE_FILES = ("workers.xlsx", "cases.xlsx", "hr_history.xlsx", "assumptions.xlsx")

KIND_TEXT = {
    "id": "text, unique",
    "text": "text",
    "code": "code",
    "yesno": "yes/no",
    "number": "number",
    "integer": "whole number",
    "date": "date (a date cell, YYYY-MM-DD or DD/MM/YYYY)",
    "tags": "tags separated by ;",
    "refs": "worker IDs separated by ;",
}

#: Meanings for columns whose contract entry has no description (from docs/data-contracts.md).
EXTRA_MEANING = {
    ("hr_history", "team"): "team at the snapshot (as in workers)",
    ("hr_history", "locality"): "locality at the snapshot (as in workers)",
    ("hr_history", "role"): "role at the snapshot (as in workers)",
    ("hr_history", "asye"): "in the ASYE year at the snapshot",
    ("hr_history", "agency"): "agency worker at the snapshot",
    ("hr_history", "fte"): "full-time equivalent at the snapshot, 0 < fte <= 1",
    ("hr_history", "start_date"): "start date in this authority",
    ("hr_history", "cases_held"): "children held at the snapshot (CSWW Cases30)",
    ("hr_history", "caseload_points"): "weighted caseload points at the snapshot",
    ("hr_history", "capacity_points"): "capacity in points at the snapshot",
    ("hr_history", "sickness_days_12m"): "sickness days in the previous 12 months",
    ("hr_history", "supervision_hours_3m"): "supervision hours in the previous 3 months",
    ("hr_history", "reallocations_12m"): "cases handed to this worker by reallocation, previous 12 months",
    ("hr_history", "leave_date"): "the day the worker left, on every row of a worker who left; blank otherwise",
    ("hr_history", "leave_reason"): "DfE CSWW ReasonLeave 1-10: 1 resignation, 2 voluntary redundancy, "
                                    "3 compulsory redundancy, 4 dismissed, 5 retired, 6 deceased, 7 moved to a "
                                    "non-C&F social work role in the LA, 8 other, 9 not known, 10 not yet collected",
    ("hr_history", "leaver_destination"): "DfE CSWW LeaverDestination code 1-9",
}
PROTECTED_VALUES = {
    "age_band": ("20-29", "30-39", "40-49", "50-59", "60+"),
    "gender": ("female", "male", "other", "not_known"),
    "disability": ("yes", "no", "not_known"),
}


def _d(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _x(ident: str) -> str:
    """An example row's ID: marked so that validation refuses it as data."""
    return EXAMPLE_PREFIX + ident if ident else ident


def example_workers() -> pd.DataFrame:
    """Five workers of a small authority: two teams, an ASYE, an agency worker, a manager."""
    rows = [
        ("W0001", "North CP", "North", "case_holder", "no", "no", 1.0, _d("2019-04-01"), "cp;court", "yes"),
        ("W0002", "North CP", "North", "senior_practitioner", "no", "no", 1.0, _d("2015-09-14"),
         "cp;court;disability", "yes"),
        ("W0003", "North CP", "North", "case_holder", "yes", "no", 1.0, _d("2024-09-02"), "", "yes"),
        ("W0004", "South CLA", "South", "case_holder", "no", "yes", 0.8, _d("2024-01-08"), "care_leavers", "yes"),
        ("W0005", "South CLA", "South", "team_manager", "no", "no", 1.0, _d("2012-01-03"), "", "yes"),
    ]
    frame = pd.DataFrame(rows, columns=["worker_id", "team", "locality", "role", "asye", "agency", "fte",
                                        "start_date", "skills", "available"])
    frame["worker_id"] = frame["worker_id"].map(_x)
    frame["contract_end_date"] = [None, None, None, _d("2025-12-31"), None]
    frame["sickness_days_12m"] = [2.0, 0.0, 1.0, 5.0, 0.0]
    frame["supervision_hours_3m"] = [6.0, 4.5, 9.0, 3.0, 3.0]
    return frame


def example_cases() -> pd.DataFrame:
    """Six children: a sibling pair in court, an unallocated care leaver, a new assessment."""
    rows = [
        ("C00001", "F0001", "cp", "yes", "North", "North CP", "W0001", _d("2024-06-01"), 1, "court", "no", ""),
        ("C00002", "F0001", "cp", "yes", "North", "North CP", "W0001", _d("2024-06-01"), 1, "court", "no", ""),
        ("C00003", "F0002", "cin", "no", "North", "", "W0003", _d("2024-10-01"), 2, "", "no", "W0002"),
        ("C00004", "F0003", "cla", "no", "South", "South CLA", "W0004", _d("2024-03-01"), 2, "", "yes", ""),
        ("C00005", "F0004", "care_leaver", "no", "South", "", "", None, 3, "", "no", ""),
        ("C00006", "F0005", "cin_assessment", "no", "North", "", "", None, 0, "", "no", ""),
    ]
    frame = pd.DataFrame(rows, columns=["case_id", "family_id", "case_type", "court", "locality", "team",
                                        "current_worker_id", "allocated_since", "workers_12m", "required_skills",
                                        "pinned", "excluded_workers"])
    for column in ("case_id", "family_id", "current_worker_id", "excluded_workers"):
        frame[column] = frame[column].map(_x)
    return frame


def example_hr_history() -> pd.DataFrame:
    """Two census days: four workers in post, one of whom resigned in between."""
    snap1, snap2 = _d("2023-09-30"), _d("2024-09-30")
    base = [
        ("W0001", "North CP", "North", "case_holder", "no", "no", 1.0, _d("2019-04-01")),
        ("W0002", "North CP", "North", "senior_practitioner", "no", "no", 1.0, _d("2015-09-14")),
        ("W0005", "South CLA", "South", "team_manager", "no", "no", 1.0, _d("2012-01-03")),
    ]
    rows = []
    for snap in (snap1, snap2):
        for w in base:
            rows.append((snap, *w, 15, 80.0, 85.0, 2.0, 6.0, 1, None, None))
    rows.append((snap1, "W0099", "North CP", "North", "case_holder", "no", "yes", 1.0, _d("2022-05-03"),
                 18, 95.0, 85.0, 11.0, 2.0, 4, _d("2024-03-31"), 1))
    frame = pd.DataFrame(rows, columns=["snapshot_date", "worker_id", "team", "locality", "role", "asye", "agency",
                                        "fte", "start_date", "cases_held", "caseload_points", "capacity_points",
                                        "sickness_days_12m", "supervision_hours_3m", "reallocations_12m",
                                        "leave_date", "leave_reason"])
    frame["worker_id"] = frame["worker_id"].map(_x)
    return frame


EXAMPLES = {"workers": example_workers, "cases": example_cases, "hr_history": example_hr_history}
DESCRIPTIONS = {
    "workers": "one row per social worker or manager",
    "cases": "one row per child",
    "hr_history": "one row per worker per snapshot (census) date; the churn model learns from it",
}


def column_meaning(table: str, col: Column) -> str:
    return col.description or EXTRA_MEANING.get((table, col.name), "")


def allowed_values(col: Column) -> tuple:
    if col.allowed:
        return tuple(col.allowed)
    if col.kind == "yesno":
        return ("yes", "no")
    return PROTECTED_VALUES.get(col.name, ())


def column_note(table: str, col: Column) -> str:
    """The header note: meaning, whether required, type and the values allowed."""
    parts = [f"{col.name}: {column_meaning(table, col)}".rstrip(": ")]
    need = "required" if col.required else "optional"
    if col.name in PROTECTED:
        need += " (protected characteristic: used only by the fairness audit)"
    parts.append(f"{need}; {KIND_TEXT.get(col.kind, col.kind)}")
    allowed = allowed_values(col)
    if allowed:
        parts.append("allowed: " + ", ".join(str(a) for a in allowed))
    if col.minimum is not None or col.maximum is not None:
        lo = "" if col.minimum is None else f"{'>=' if col.min_inclusive else '>'} {col.minimum:g}"
        hi = "" if col.maximum is None else f"<= {col.maximum:g}"
        parts.append("range: " + " and ".join(p for p in (lo, hi) if p))
    return "\n".join(parts)


def column_validation(col: Column) -> DataValidation | None:
    """A drop-down for codes and yes/no; range checks for numbers, whole numbers and dates.

    Code lists stop a wrong entry; range checks only warn (the validator gives the full
    message with file, row and column)."""
    allowed = allowed_values(col)
    title = col.name
    if allowed and col.kind in ("code", "yesno", "text"):
        dv = DataValidation(type="list", formula1='"' + ",".join(str(a) for a in allowed) + '"', allow_blank=True,
                            errorStyle="stop" if col.kind != "text" else "warning")
        dv.error = f"{col.name} must be one of: " + ", ".join(str(a) for a in allowed)
    elif col.kind == "integer" and col.allowed:
        dv = DataValidation(type="whole", operator="between", formula1=str(min(col.allowed)),
                            formula2=str(max(col.allowed)), allow_blank=True, errorStyle="stop")
        dv.error = f"{col.name} must be a code from {min(col.allowed)} to {max(col.allowed)}"
    elif col.kind in ("number", "integer") and (col.minimum is not None or col.maximum is not None):
        kind = "whole" if col.kind == "integer" else "decimal"
        if col.minimum is not None and col.maximum is not None:
            lo = col.minimum if col.min_inclusive else col.minimum + 1e-6
            dv = DataValidation(type=kind, operator="between", formula1=f"{lo:g}", formula2=f"{col.maximum:g}",
                                allow_blank=True, errorStyle="warning")
        else:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=f"{col.minimum:g}",
                                allow_blank=True, errorStyle="warning")
        dv.error = f"{col.name}: " + column_note("", col).splitlines()[-1]
    elif col.kind == "date":
        dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True, errorStyle="warning")
        dv.error = f"{col.name} should be a date (YYYY-MM-DD)"
    else:
        return None
    dv.errorTitle = title
    dv.showErrorMessage = True
    return dv


def template_frame(table: str) -> pd.DataFrame:
    """Every contract column, in contract order, with the example rows filled in."""
    schema = SCHEMAS[table]
    examples = EXAMPLES[table]()
    frame = pd.DataFrame(index=range(len(examples)))
    for col in schema:
        if col.name in examples:
            frame[col.name] = examples[col.name].astype(object).where(examples[col.name].notna(), None)
        else:
            frame[col.name] = pd.Series([None] * len(examples), dtype=object)
    return frame


def write_table_template(table: str, path: str | Path) -> Path:
    """One input template: the `table` sheet (notes, drop-downs, examples) and Instructions."""
    schema = SCHEMAS[table]
    frame = template_frame(table)
    book = SafeWorkbook(produced_by="workforce template", title=f"workforce input template: {table}")
    formats = {c.name: ("date" if c.kind == "date" else "mixed") for c in schema}
    spec = TableSpec(
        frame, table, formats=formats,
        comments={c.name: column_note(table, c) for c in schema},
        validations={c.name: dv for c in schema if (dv := column_validation(c)) is not None},
        validation_rows=TEMPLATE_ROWS,
    )
    book.add_table_sheet(table, [spec], f"the {table} table: {DESCRIPTIONS[table]}")
    _instructions(book, table, schema)
    return book.save(path)


def _instructions(book: SafeWorkbook, table: str, schema: Iterable[Column]) -> None:
    grid = book.grid_sheet("Instructions", "how to fill in the template, and every column explained")
    grid.widths({1: 24, 2: 12, 3: 30, 4: 48, 5: 70})
    r = grid.put_title(1, f"How to fill in the '{table}' sheet", f"workforce {book.version}: {DESCRIPTIONS[table]}")
    steps = [
        f"1. Fill in the sheet called '{table}': one row {DESCRIPTIONS[table].removeprefix('one row ')}.",
        f"2. Delete the example rows (IDs starting {EXAMPLE_PREFIX}) and add your own: validation refuses the "
        "examples as data. Keep the header row and the sheet name.",
        "3. Hover over a column heading for what it means. Coded columns have a drop-down list.",
        "4. Dates: real date cells, YYYY-MM-DD, or DD/MM/YYYY read the UK way (01/04/2025 is 1 April; "
        "--dates us reads month first). yes/no columns accept yes or no.",
        "5. Use pseudonymous IDs (W0001, C00001). Never put names or dates of birth in any file.",
        "6. Check the file with: workforce validate workers.xlsx cases.xlsx hr_history.xlsx",
        "Extra columns are allowed and kept; blank optional columns are fine.",
    ]
    r += 1
    for step in steps:
        grid.put(r, 1, step, None)
        r += 1
    r += 1
    grid.put(r, 1, "Columns", "wf heading")
    rows = [(c.name, "yes" if c.required else "no", KIND_TEXT.get(c.kind, c.kind),
             ", ".join(str(a) for a in allowed_values(c)), column_meaning(table, c)) for c in schema]
    frame = pd.DataFrame(rows, columns=["column", "required", "type", "allowed values", "meaning"])
    grid.put_table(r + 1, 1, frame, f"{table}_columns")
    grid.close()


def write_assumptions_template(path: str | Path) -> Path:
    """The assumptions template: the default planning assumptions on an `Assumptions` sheet
    (header in row 1), which `workforce plan --assumptions assumptions.xlsx` reads."""
    from workforce.plans.assumptions import Assumptions, assumptions_frame

    frame = assumptions_frame(Assumptions())
    notes = {
        "section": "the group the value belongs to; programme:<name> rows describe one L&D programme",
        "key": "the assumption's name; keep it as it is",
        "value": "the value to plan with: edit this column (and low and high)",
        "low": "for an uncertain value, the low end of its range: the Monte Carlo draws it from low to high",
        "high": "the high end of that range (blank for a value with no range)",
        "unit": "the unit of the value",
        "basis": "where the default comes from: [S#] a source in the domain brief (README sheet), [DEFAULT] the "
                 "brief's chosen default, or 'assumption' where no figure was found; a value you change without "
                 "changing this reads 'edited by the user (was: ...)' in the plan",
        "description": "what the value changes",
    }
    book = SafeWorkbook(produced_by="workforce template", title="workforce planning assumptions")
    book.add_table_sheet("Assumptions", [assumptions_spec(frame, comments=notes)],
                         "every planning assumption with its unit and basis")
    grid = book.grid_sheet("Instructions", "how to use the assumptions template")
    grid.widths({1: 110})
    r = grid.put_title(1, "Planning assumptions", f"workforce {book.version}")
    for line in (
        "Edit the value column of the Assumptions sheet; leave section and key unchanged.",
        "Numbers are checked against their plausible range when the plan runs; a bad value is reported with its row.",
        "Write money as 42000, 42,000 or £42,000 and fractions as 0.15 or 15%. Dates: 2025-04-01 or 01/04/2025 "
        "(read day first, the UK way).",
        "A deleted row is not an error: its default is used, and the plan says so in a warning.",
        "Run: workforce plan --workers workers.xlsx --cases cases.xlsx --assumptions assumptions.xlsx --out plan",
        "The plan workbook (workforce_plan.xlsx) has the same Assumptions sheet: edit it there and pass the workbook"
        " to --assumptions to re-plan.",
    ):
        r += 1
        grid.put(r, 1, line, None)
    grid.close()
    return book.save(path)


def build_templates(out: str | Path) -> list[Path]:
    """Write all four templates into folder `out`; returns their paths."""
    out = Path(out)
    paths = [write_table_template(t, out / f"{t}.xlsx") for t in ("workers", "cases", "hr_history")]
    paths.append(write_assumptions_template(out / "assumptions.xlsx"))
    return paths


if __name__ == "__main__":  # pragma: no cover - regenerate the committed templates
    import sys

    for p in build_templates(sys.argv[1] if len(sys.argv) > 1 else "templates_xlsx"):
        print(p)
