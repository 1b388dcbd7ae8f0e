"""The data contracts: the columns of `workers`, `cases` and `hr_history`, their validation and
their typed form. The user-facing description is `docs/data-contracts.md`.

`validate_*` functions take the raw string frame a reader returns (index = spreadsheet row) and
return every :class:`Problem` at once; `load_*` read, validate and return typed frames, raising
:class:`InputError` with all problems when anything is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from workforce.caseload import CASE_TYPES, ROLES
from workforce.errors import InputError, Problem
from workforce.readers import read_table, source_label

YES = frozenset({"yes", "y", "true", "1", "t"})
NO = frozenset({"no", "n", "false", "0", "f"})
LEAVE_REASONS = tuple(range(1, 11))  # DfE CSWW ReasonLeave codes

#: Competing reasons for leaving, as groups of CSWW ReasonLeave codes. One place for the split
#: that the retention model, the census import and the plans all use. Voluntary: resignation (1)
#: and a move to a non-children's social work role in the LA (7). Retirement (5) is its own
#: reason: it is not flight risk and the L&D gateway never targets it. Other: redundancy (2, 3),
#: dismissal (4), death (6), other (8), not known (9) and not yet collected (10).
LEAVE_REASON_GROUPS: dict[str, tuple[int, ...]] = {
    "voluntary": (1, 7),
    "retirement": (5,),
    "other": (2, 3, 4, 6, 8, 9, 10),
}
LEAVER_DESTINATIONS = tuple(range(1, 10))  # DfE CSWW LeaverDestination codes
PROTECTED = ("age_band", "gender", "ethnicity", "disability")
# Plausibility limits: a value outside them is a typo or a corrupt export, not data to compute with.
MIN_FTE = 0.01
FIRST_YEAR, LAST_YEAR = 1900, 2200


@dataclass(frozen=True)
class Column:
    """One column of a table contract.

    kind: id (unique text), text, code (one of `allowed`), yesno, number, integer, date, tags,
    refs (semicolon-separated worker IDs).
    """

    name: str
    kind: str
    required: bool = True
    allowed: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    min_inclusive: bool = True
    default: object = None
    description: str = ""


WORKERS: tuple[Column, ...] = (
    Column("worker_id", "id", description="pseudonymous worker ID, unique"),
    Column("team", "text", description="team name"),
    Column("locality", "text", description="locality (area) name"),
    Column("role", "code", allowed=ROLES, description="role code"),
    Column("asye", "yesno", description="newly qualified, in the ASYE year"),
    Column("agency", "yesno", description="agency worker"),
    Column("fte", "number", minimum=MIN_FTE, maximum=1.0, description="full-time equivalent, 0.01 to 1"),
    Column("start_date", "date", description="start date in this authority"),
    Column("skills", "tags", default="", description="semicolon-separated skill tags"),
    Column("available", "yesno", description="can take cases now"),
    Column("second_year", "yesno", required=False,
           description="in the second year after qualifying (protected when caseload.second_year_protection is on)"),
    Column("capacity_points", "number", required=False, minimum=0.0, maximum=1000.0, description="capacity override in points"),
    Column("max_children", "integer", required=False, minimum=0, maximum=100, description="cap override on children held"),
    Column("contract_end_date", "date", required=False, description="agency contract end"),
    Column("sickness_days_12m", "number", required=False, minimum=0.0, maximum=366.0, description="sickness days, last 12 months"),
    Column("supervision_hours_3m", "number", required=False, minimum=0.0, maximum=500.0, description="supervision hours, last 3 months"),
    Column("age_band", "text", required=False, description="protected: age band"),
    Column("gender", "text", required=False, description="protected: gender"),
    Column("ethnicity", "text", required=False, description="protected: CSWW ethnicity code"),
    Column("disability", "text", required=False, description="protected: disability"),
)

CASES: tuple[Column, ...] = (
    Column("case_id", "id", description="one row per child, unique"),
    Column("family_id", "text", description="sibling group"),
    Column("case_type", "code", allowed=CASE_TYPES, description="case type code"),
    Column("court", "yesno", description="in PLO pre-proceedings or care proceedings"),
    Column("locality", "text", description="the child's locality"),
    Column("team", "text", required=False, default="", description="team responsible (blank: any in the locality)"),
    Column("current_worker_id", "text", required=False, default="", description="current worker (must exist in workers)"),
    Column("allocated_since", "date", required=False, description="when the current worker was allocated"),
    Column("workers_12m", "integer", minimum=0, maximum=100, description="different social workers in the last 12 months"),
    Column("priority", "integer", required=False, minimum=1, maximum=3, description="1 highest; default from case type"),
    Column("required_skills", "tags", required=False, default="", description="skills the worker must have"),
    Column("pinned", "yesno", description="keep the current worker (manager's decision)"),
    Column("excluded_workers", "refs", required=False, default="", description="workers who must not hold this child"),
)

HR_HISTORY: tuple[Column, ...] = (
    Column("snapshot_date", "date", description="census or snapshot day"),
    Column("worker_id", "text", description="worker ID; unique per snapshot"),
    Column("team", "text"),
    Column("locality", "text"),
    Column("role", "code", allowed=ROLES),
    Column("asye", "yesno"),
    Column("agency", "yesno"),
    Column("fte", "number", minimum=MIN_FTE, maximum=1.0),
    Column("start_date", "date"),
    Column("cases_held", "integer", required=False, minimum=0, maximum=500),
    Column("caseload_points", "number", required=False, minimum=0.0, maximum=5000.0),
    Column("capacity_points", "number", required=False, minimum=0.0, maximum=1000.0),
    Column("sickness_days_12m", "number", required=False, minimum=0.0, maximum=366.0),
    Column("supervision_hours_3m", "number", required=False, minimum=0.0, maximum=500.0),
    Column("reallocations_12m", "integer", required=False, minimum=0, maximum=1000),
    Column("age_band", "text", required=False),
    Column("gender", "text", required=False),
    Column("ethnicity", "text", required=False),
    Column("disability", "text", required=False),
    Column("leave_date", "date", required=False),
    Column("leave_reason", "integer", required=False, allowed=LEAVE_REASONS),
    Column("leaver_destination", "integer", required=False, allowed=LEAVER_DESTINATIONS),
)

RISK: tuple[Column, ...] = (
    Column("worker_id", "id", description="worker ID"),
    Column("p_leave", "number", minimum=0.0, maximum=1.0, description="probability of leaving within the horizon"),
    Column("band", "text", required=False, description="Low / Medium / High"),
)

SCHEMAS: dict[str, tuple[Column, ...]] = {"workers": WORKERS, "cases": CASES, "hr_history": HR_HISTORY, "risk": RISK}


def split_tags(value: object) -> frozenset[str]:
    """The set of tags in a `;`-separated cell (blank -> empty set)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return frozenset()
    return frozenset(t.strip() for t in str(value).split(";") if t.strip())


def _norm_tags(value: str, lower: bool) -> str:
    tags = {t.strip().lower() if lower else t.strip() for t in value.split(";") if t.strip()}
    return ";".join(sorted(tags))


def _in_range(parsed: pd.Series) -> pd.Series:
    years = parsed.dt.year
    return parsed.where(years.isna() | years.between(FIRST_YEAR, LAST_YEAR))


def _parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates (and ISO datetimes from spreadsheets); DD/MM/YYYY as the UK fallback. Dates
    outside FIRST_YEAR..LAST_YEAR become NaT (reported as bad) before the conversion to
    nanoseconds could overflow."""
    parsed = _in_range(pd.to_datetime(values, format="ISO8601", errors="coerce"))
    missing = parsed.isna() & values.ne("")
    parsed = parsed.astype("datetime64[ns]")
    if missing.any():
        uk = _in_range(pd.to_datetime(values[missing], format="%d/%m/%Y", errors="coerce"))
        parsed[missing] = uk.astype("datetime64[ns]")
    return parsed.dt.normalize()


def _type_column(col: Column, raw: pd.Series, file: str, problems: list[Problem]) -> pd.Series:
    """Convert one raw string column to its typed form, recording a Problem per bad cell."""
    text = raw.astype(str).str.strip()
    blank = text.eq("")

    def bad(mask: pd.Series, message: str, allowed: str | None = None) -> None:
        for row in mask[mask].index:
            shown = text.loc[row]
            problems.append(Problem(file, f"{message}: '{shown}'" if shown else message, int(row), col.name, allowed))

    if col.required and col.kind not in ("tags", "refs"):
        for row in blank[blank].index:
            problems.append(Problem(file, "is blank but required", int(row), col.name))

    if col.kind in ("id", "text"):
        return text
    if col.kind == "code":
        lowered = text.str.lower()
        bad(~blank & ~lowered.isin(col.allowed), "unknown code", ", ".join(map(str, col.allowed)))
        return lowered
    if col.kind == "yesno":
        lowered = text.str.lower()
        bad(~blank & ~lowered.isin(YES | NO), "not yes/no", "yes, no")
        default = bool(col.default) if col.default is not None else False
        return lowered.map(lambda v: True if v in YES else (False if v in NO else default)).astype(bool)
    if col.kind == "tags":
        return text.map(lambda v: _norm_tags(v, lower=True))
    if col.kind == "refs":
        return text.map(lambda v: _norm_tags(v, lower=False))
    if col.kind in ("number", "integer"):
        numbers = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(float)
        not_number = ~blank & numbers.isna()
        bad(not_number, "not a number" if col.kind == "number" else "not a whole number")
        ok = ~blank & ~not_number
        if col.kind == "integer":
            frac = ok & (numbers % 1 != 0)
            bad(frac, "not a whole number")
            ok &= ~frac
        if not np.isfinite(numbers[ok]).all():
            bad(ok & ~np.isfinite(numbers), "not a finite number")
            ok &= np.isfinite(numbers)
        if col.allowed:
            bad(ok & ~numbers.isin([float(a) for a in col.allowed]), "unknown code", ", ".join(map(str, col.allowed)))
        if col.minimum is not None:
            below = ok & ((numbers <= col.minimum) if not col.min_inclusive else (numbers < col.minimum))
            sign = ">" if not col.min_inclusive else ">="
            rng = f"{sign} {col.minimum:g}" + (f" and <= {col.maximum:g}" if col.maximum is not None else "")
            bad(below, "out of range", rng)
        if col.maximum is not None:
            rng = (f"> {col.minimum:g} and " if col.minimum is not None and not col.min_inclusive else
                   f">= {col.minimum:g} and " if col.minimum is not None else "") + f"<= {col.maximum:g}"
            bad(ok & (numbers > col.maximum), "out of range", rng)
        if col.kind == "integer":
            if col.required:
                return numbers.fillna(0).astype("int64")
            return numbers.astype("Float64")
        return numbers
    if col.kind == "date":
        dates = _parse_dates(text)
        bad(~blank & dates.isna(), "not a date in years 1900-2200", "YYYY-MM-DD or DD/MM/YYYY")
        return dates
    raise ValueError(f"unknown column kind {col.kind}")  # a programming error, not input


def type_table(raw: pd.DataFrame, schema: Iterable[Column], file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Check columns and types; return the typed frame (same index) and the problems found."""
    problems: list[Problem] = []
    schema = tuple(schema)
    if raw.empty:
        problems.append(Problem(file, "has a header but no data rows", None, None))
    missing = [c.name for c in schema if c.required and c.name not in raw.columns]
    for name in missing:
        problems.append(Problem(file, "required column is missing", 1, name))
    typed = pd.DataFrame(index=raw.index)
    known = {c.name for c in schema}
    for col in schema:
        if col.name in raw.columns:
            typed[col.name] = _type_column(col, raw[col.name], file, problems)
        elif col.default is not None:
            typed[col.name] = col.default
    for name in raw.columns:
        if name not in known:
            typed[name] = raw[name].astype(str)
    for col in schema:
        if col.kind == "id" and col.name in typed:
            values = typed[col.name]
            dup = values.ne("") & values.duplicated(keep="first")
            for row in dup[dup].index:
                first = values[values == values.loc[row]].index[0]
                problems.append(Problem(file, f"duplicate ID '{values.loc[row]}' (first at row {first})", int(row), col.name, "unique values"))
    return typed, problems


def _problem_sort_key(p: Problem) -> tuple:
    return (p.file, p.row if p.row is not None else 0, p.column or "")


def validate_workers(raw: pd.DataFrame, file: str = "workers") -> list[Problem]:
    """Every problem in a raw workers table."""
    return _typed_workers(raw, file)[1]


def _typed_workers(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    typed, problems = type_table(raw, WORKERS, file)
    return typed, sorted(problems, key=_problem_sort_key)


def validate_cases(raw: pd.DataFrame, file: str = "cases", workers: pd.DataFrame | None = None) -> list[Problem]:
    """Every problem in a raw cases table; with `workers` (typed), references are checked too."""
    return _typed_cases(raw, file, workers)[1]


def _typed_cases(raw: pd.DataFrame, file: str, workers: pd.DataFrame | None) -> tuple[pd.DataFrame, list[Problem]]:
    typed, problems = type_table(raw, CASES, file)
    if "pinned" in typed and "current_worker_id" in typed:
        no_worker = typed["pinned"] & typed["current_worker_id"].eq("")
        for row in no_worker[no_worker].index:
            problems.append(Problem(file, "pinned but has no current_worker_id", int(row), "pinned", "pin only children who have a current worker"))
    if workers is not None and "worker_id" in workers:
        known = set(workers["worker_id"])
        if "current_worker_id" in typed:
            cur = typed["current_worker_id"]
            unknown = cur.ne("") & ~cur.isin(known)
            for row in unknown[unknown].index:
                problems.append(Problem(file, f"worker '{cur.loc[row]}' does not exist in workers", int(row), "current_worker_id", "a worker_id from workers"))
        if "excluded_workers" in typed:
            for row, value in typed["excluded_workers"].items():
                for wid in sorted(split_tags(value) - known):
                    problems.append(Problem(file, f"worker '{wid}' does not exist in workers", int(row), "excluded_workers", "worker_ids from workers, ';'-separated"))
    if "priority" in typed.columns:
        fallback = default_priority(typed)
        typed["priority"] = typed["priority"].fillna(fallback).astype("int64") if "case_type" in typed else typed["priority"]
    elif "case_type" in typed and "court" in typed:
        typed["priority"] = default_priority(typed).astype("int64")
    return typed, sorted(problems, key=_problem_sort_key)


def default_priority(cases: pd.DataFrame) -> pd.Series:
    """A case's priority when the file gives none (the one definition: typing and the allocation
    use it): CP and court work first (1), looked-after and assessments next (2), the rest 3.

    Parameters
    ----------
    cases : DataFrame
        With columns ``case_type`` and ``court``.

    Returns
    -------
    Series
        1, 2 or 3 per case, on the cases' index.
    """
    high = cases["case_type"].eq("cp") | cases["court"].astype(bool)
    mid = cases["case_type"].isin(["cla", "cla_complex", "cin_assessment"])
    return pd.Series(np.where(high, 1, np.where(mid, 2, 3)), index=cases.index)


def validate_hr_history(raw: pd.DataFrame, file: str = "hr_history") -> list[Problem]:
    """Every problem in a raw hr_history table."""
    return _typed_hr_history(raw, file)[1]


def _typed_hr_history(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    typed, problems = type_table(raw, HR_HISTORY, file)
    if {"snapshot_date", "worker_id"} <= set(typed.columns):
        key = typed[["snapshot_date", "worker_id"]]
        dup = key.duplicated(keep="first") & typed["worker_id"].ne("") & typed["snapshot_date"].notna()
        for row in dup[dup].index:
            problems.append(Problem(file, f"worker '{typed.loc[row, 'worker_id']}' appears twice on {typed.loc[row, 'snapshot_date'].date()}", int(row), "worker_id", "one row per worker per snapshot_date"))
    if "leave_date" in typed.columns or "leave_reason" in typed.columns:
        has_date = typed["leave_date"].notna() if "leave_date" in typed else pd.Series(False, index=typed.index)
        has_reason = typed["leave_reason"].notna() if "leave_reason" in typed else pd.Series(False, index=typed.index)
        for row in (has_date & ~has_reason)[lambda s: s].index:
            problems.append(Problem(file, "has a leave_date but no leave_reason", int(row), "leave_reason", "CSWW ReasonLeave code 1-10"))
        for row in (has_reason & ~has_date)[lambda s: s].index:
            problems.append(Problem(file, "has a leave_reason but no leave_date", int(row), "leave_date"))
        if "start_date" in typed and "leave_date" in typed:
            early = has_date & typed["start_date"].notna() & (typed["leave_date"] < typed["start_date"])
            for row in early[early].index:
                problems.append(Problem(file, "leave_date is before start_date", int(row), "leave_date"))
    return typed, sorted(problems, key=_problem_sort_key)


def _finish(typed: pd.DataFrame) -> pd.DataFrame:
    return typed.reset_index(drop=True)


def _load(path: str | Path, table: str, sheet: str | None, typer) -> pd.DataFrame:
    """Read `table`, type and validate it with `typer(raw, label)`; every problem at once."""
    label = source_label(path, sheet or table)
    typed, problems = typer(read_table(path, table, sheet=sheet), label)
    if problems:
        raise InputError(problems=problems)
    return _finish(typed)


def load_workers(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read, validate and type the workers table from a CSV or an XLSX sheet."""
    return _load(path, "workers", sheet, _typed_workers)


def load_cases(path: str | Path, workers: pd.DataFrame | None = None, *, sheet: str | None = None) -> pd.DataFrame:
    """Read, validate and type the cases table; with `workers`, check references to them."""
    return _load(path, "cases", sheet, lambda raw, label: _typed_cases(raw, label, workers))


def load_hr_history(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read, validate and type the hr_history table."""
    return _load(path, "hr_history", sheet, _typed_hr_history)


def load_risk(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read and validate a risk table (`worker_id`, `p_leave` 0-1; other columns kept as text),
    as written by `workforce churn score`."""

    def typed_risk(raw: pd.DataFrame, label: str) -> tuple[pd.DataFrame, list[Problem]]:
        typed, problems = type_table(raw, RISK, label)
        return typed, sorted(problems, key=_problem_sort_key)

    return _load(path, "risk", sheet, typed_risk)


def validate_paths(paths: list[str | Path]) -> tuple[dict[str, pd.DataFrame], list[Problem], dict[str, Path]]:
    """Check every table found in `paths` and the references between them.

    Returns (typed tables that were valid, every problem, table -> source file). Problems that
    stop a file being read at all (not CSV/XLSX, empty, missing sheet) are reported as well.
    """
    from workforce.readers import find_tables

    sources = find_tables(paths)
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []

    def attempt(table: str, typer_fn) -> pd.DataFrame | None:
        path = sources[table]
        try:
            raw = read_table(path, table)
        except InputError as exc:
            problems.extend(exc.problems)
            return None
        typed, found = typer_fn(raw, source_label(path, table))
        problems.extend(found)
        return None if found else _finish(typed)

    workers = attempt("workers", _typed_workers) if "workers" in sources else None
    if workers is not None:
        tables["workers"] = workers
    if "cases" in sources:
        cases = attempt("cases", lambda raw, label: _typed_cases(raw, label, workers))
        if cases is not None:
            tables["cases"] = cases
    if "hr_history" in sources:
        hist = attempt("hr_history", _typed_hr_history)
        if hist is not None:
            tables["hr_history"] = hist
    return tables, problems, sources


def to_csv_frame(typed: pd.DataFrame) -> pd.DataFrame:
    """A typed table in the contract's file form: yes/no words, ISO dates, blanks for missing."""
    out = typed.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_bool_dtype(col):
            out[name] = np.where(col, "yes", "no")
        elif pd.api.types.is_datetime64_any_dtype(col):
            out[name] = col.dt.strftime("%Y-%m-%d").fillna("")
        elif isinstance(col.dtype, pd.Float64Dtype) or pd.api.types.is_integer_dtype(col):
            out[name] = col.astype("Int64").astype(str).replace("<NA>", "")
    return out
