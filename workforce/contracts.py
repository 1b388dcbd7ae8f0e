"""The data contracts: the columns of `workers`, `cases` and `hr_history`, their validation and
their typed form. The user-facing description is `docs/data-contracts.md`.

`validate_*` functions take the raw string frame a reader returns (index = spreadsheet row) and
return every :class:`Problem` at once; `load_*` read, validate and return typed frames, raising
:class:`InputError` with all problems when anything is wrong. Dates and numbers go through the
shared parsers of :mod:`workforce.readers` (UK day-first dates unless `dates="us"`).
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from workforce.caseload import CASE_TYPES, ROLES
from workforce.errors import InputError, InputWarning, Problem
from workforce.readers import (
    FIRST_YEAR,
    LAST_YEAR,
    TABLES,
    TableSource,
    date_formats,
    date_order,
    find_table,
    find_tables,
    one_column_hint,
    current_date_order,
    parse_dates,
    parse_numbers,
    written_date,
)

YES = frozenset({"yes", "y", "true", "1", "t"})
NO = frozenset({"no", "n", "false", "0", "f"})
LEAVE_REASONS = tuple(range(1, 11))  # DfE CSWW ReasonLeave codes

#: Kinds of team (optional `workers.team_type`), named as `workforce.demand`'s team structures name
#: them. The first four hold children's cases; the rest are service-wide units of qualified staff
#: who hold none. Care leavers are held by personal advisers, who are not social workers: they are
#: outside the social-work caseload and the census.
TEAM_TYPES: tuple[str, ...] = (
    "assessment",  # front door assessment teams, one per locality
    "safeguarding",  # locality children in need and child protection teams
    "children_in_care",
    "disabled_children",
    "front_door",  # MASH screening and consultation (no cases)
    "management",  # senior and service managers
    "quality_assurance",  # IROs, CP chairs, LADO, quality assurance, practice development
    "service_support",  # emergency duty, edge of care, court and permanence assessments
)


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
# (Dates outside readers.FIRST_YEAR..LAST_YEAR are refused the same way.)
MIN_FTE = 0.01
#: Template example rows carry this prefix in their ID, so they are never taken for real staff or
#: children: a row whose ID starts with it is refused until the user deletes it or removes it.
EXAMPLE_PREFIX = "EXAMPLE-"


@dataclass(frozen=True)
class Column:
    """One column of a table contract.

    kind: id (unique text), text, code (one of `allowed`), yesno, number, integer, date, tags,
    refs (semicolon-separated worker IDs). `percent`: the number is a fraction, so "80%" is 0.8.
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
    percent: bool = False


WORKERS: tuple[Column, ...] = (
    Column("worker_id", "id", description="pseudonymous worker ID, unique"),
    Column("team", "text", description="team name"),
    Column("locality", "text", description="locality (area) name"),
    Column("role", "code", allowed=ROLES, description="role code"),
    Column("asye", "yesno", description="newly qualified, in the ASYE year"),
    Column("agency", "yesno", description="agency worker"),
    Column("fte", "number", minimum=MIN_FTE, maximum=1.0, percent=True,
           description="full-time equivalent, 0.01 to 1 (or 1% to 100%)"),
    Column("start_date", "date", description="start date in this authority"),
    Column("skills", "tags", default="", description="semicolon-separated skill tags"),
    Column("available", "yesno", description="can take cases now"),
    Column("team_type", "code", required=False, allowed=TEAM_TYPES,
           description="kind of team (case-holding or service-wide)"),
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
    Column("fte", "number", minimum=MIN_FTE, maximum=1.0, percent=True),
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
    Column("p_leave", "number", minimum=0.0, maximum=1.0, percent=True,
           description="probability of leaving within the horizon"),
    Column("band", "text", required=False, description="Low / Medium / High"),
)

#: The stems of a risk register's chances of leaving by reason within N months
#: (``p_voluntary_12m``, ``p_retire_12m``, ``p_other_12m``), by reason.
RISK_REASON_STEMS = {"voluntary": "p_voluntary_", "retirement": "p_retire_", "other": "p_other_"}

#: Significant digits of the chances `workforce churn score` writes in risk.csv. Any risk table is
#: read to this precision, so one register gives one plan whether it is read from risk.csv, from
#: risk.xlsx (full precision) or after a spreadsheet program saved it (15 digits): the plan's
#: discrete choices (L&D places, the Monte Carlo's draws) turn a last-digit difference into a
#: different headline figure.
CHANCE_DIGITS = 6


def risk_reason_column(name: str) -> bool:
    """Whether `name` is a chance of leaving for one reason within some months (`RISK_REASON_STEMS`)."""
    return any(re.fullmatch(re.escape(stem) + r"\d+m", str(name)) for stem in RISK_REASON_STEMS.values())


def to_chance_digits(values: pd.Series) -> pd.Series:
    """Chances rounded to :data:`CHANCE_DIGITS` significant digits, as risk.csv writes them."""
    return values.map(lambda v: v if pd.isna(v) else float(f"{v:.{CHANCE_DIGITS}g}")).astype(float)


ESTABLISHMENT: tuple[Column, ...] = (
    Column("team", "text", description="team name, as in workers"),
    Column("role", "code", allowed=ROLES, description="role code, as in workers"),
    Column("funded_fte", "number", minimum=0.0, maximum=100000.0,
           description="funded FTE of this role in this team (vacancies: funded less LA-employed in post)"),
    Column("team_type", "code", required=False, allowed=TEAM_TYPES, description="kind of team, as in workers"),
    Column("locality", "text", required=False, description="locality, as in workers"),
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


def _type_column(col: Column, raw: pd.Series, file: str, problems: list[Problem], decimal: str = ".") -> pd.Series:
    """Convert one raw string column to its typed form, recording a Problem per bad cell.
    `decimal` is the file's decimal mark (',' for a semicolon CSV that writes 0,8)."""
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
        numbers, errors = parse_numbers(text, decimal=decimal, percent=col.percent)
        for row, message in errors.items():
            if col.kind == "integer" and "is not a number" in message:
                message = message.replace("is not a number", "is not a whole number")
            problems.append(Problem(file, message, int(row), col.name))
        not_number = ~blank & numbers.isna()
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
        dates = parse_dates(text)
        unread = ~blank & dates.isna()
        # a date that reads only in the other order ('12/31/2019' day first) was written the other
        # way round: say what it would be and the option, not only that it is no date
        order = current_date_order()
        other = parse_dates(text.where(unread, ""), "us" if order == "uk" else "uk")
        for row in unread[unread & other.notna()].index:
            option = "--dates us" if order == "uk" else "--dates uk (the default)"
            first = "month" if order == "uk" else "day"
            problems.append(Problem(file, f"not a date read {'day' if order == 'uk' else 'month'} first: '{text.loc[row]}'; "
                                    f"read {first} first it is {written_date(other.loc[row])}: if the file writes "
                                    f"dates {first} first, pass {option}", int(row), col.name, date_formats()))
        bad(unread & other.isna(), f"not a date in years {FIRST_YEAR}-{LAST_YEAR}", date_formats())
        return dates
    raise ValueError(f"unknown column kind {col.kind}")  # a programming error, not input


#: How alike a heading must be to a column's name (difflib ratio, after :func:`heading_key`) to be
#: taken for it written differently: 'contract_end' for 'contract_end_date' (0.83), 'Prioirty' for
#: 'priority' (0.88); 'p_leave_true' beside 'p_leave' (0.74) is another column.
NEAR_HEADING_RATIO = 0.8


def heading_key(name: str) -> str:
    """A heading as it compares with a column name: lower case, runs of anything but letters and
    digits as one '_' ('Worker ID' -> 'worker_id')."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def near_heading(name: str, headings: Iterable[str]) -> str | None:
    """The file's heading (of those no column of the schema reads) most likely meant as column
    `name`, written in other case or spelling; None when none is near (:data:`NEAR_HEADING_RATIO`).
    Headings are read exactly, so without this a misspelt optional column would be passed over
    unsaid and its values lost."""
    best, score = None, NEAR_HEADING_RATIO
    for heading in headings:
        ratio = 1.0 if heading_key(heading) == name else difflib.SequenceMatcher(None, heading_key(heading), name).ratio()
        if ratio >= score:
            best, score = heading, ratio
    return best


def type_table(raw: pd.DataFrame, schema: Iterable[Column], file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Check columns and types; return the typed frame (same index) and the problems found. A
    heading that is a schema column written differently ('Available', 'contract_end') is named: in
    the problem when the column is required, else in an :class:`InputWarning` (its values are not
    read)."""
    problems: list[Problem] = []
    schema = tuple(schema)
    if raw.empty:
        problems.append(Problem(file, "has a header but no data rows", None, None))
    known = {c.name for c in schema}
    unknown = [str(h) for h in raw.columns if h not in known]
    missing = [c.name for c in schema if c.required and c.name not in raw.columns]
    hint = one_column_hint(raw) if len(missing) > 1 else None
    if hint:
        # One problem about the separator instead of one per column the split would have found.
        problems.append(Problem(file, hint, 1, None))
    else:
        for name in missing:
            near = near_heading(name, unknown)
            said = f" (the file has '{near}': headings are read exactly as written here)" if near else ""
            problems.append(Problem(file, f"required column is missing{said}", 1, name))
    for col in schema:
        near = near_heading(col.name, unknown) if not col.required and col.name not in raw.columns else None
        if near is not None:
            warnings.warn(InputWarning(
                f"{file}: column '{near}' is not read: if it is meant as '{col.name}', name it so (headings are "
                f"read exactly); until then {col.name} is left out"), stacklevel=2)
    typed = pd.DataFrame(index=raw.index)
    decimal = raw.attrs.get("decimal", ".")
    for col in schema:
        if col.name in raw.columns:
            typed[col.name] = _type_column(col, raw[col.name], file, problems, decimal)
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
    problems.extend(example_rows(typed, schema, file))
    return typed, problems


def example_rows(typed: pd.DataFrame, schema: Iterable[Column], file: str) -> list[Problem]:
    """Template example rows (ID starting EXAMPLE-) are refused as data: the templates ship with
    them, and a planner who keeps them would plan for staff and children who do not exist."""
    problems = []
    for col in schema:
        if col.name not in typed or col.name not in ("worker_id", "case_id"):
            continue
        marked = typed[col.name].astype(str).str.upper().str.startswith(EXAMPLE_PREFIX)
        for row in marked[marked].index:
            problems.append(Problem(
                file, f"is a template example row ('{typed.at[row, col.name]}'): delete it, or remove "
                      f"'{EXAMPLE_PREFIX}' from the ID if the row is real", int(row), col.name))
    return problems


def _problem_sort_key(p: Problem) -> tuple:
    return (p.file, p.row if p.row is not None else 0, p.column or "")


def validate_workers(raw: pd.DataFrame, file: str = "workers") -> list[Problem]:
    """Every problem in a raw workers table."""
    return _typed_workers(raw, file)[1]


def _typed_workers(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    typed, problems = type_table(raw, WORKERS, file)
    return typed, sorted(problems, key=_problem_sort_key)


def validate_cases(raw: pd.DataFrame, file: str = "cases", workers: pd.DataFrame | None = None,
                   leavers: Iterable[str] = ()) -> list[Problem]:
    """Every problem in a raw cases table; with `workers` (typed), references are checked too,
    and with `leavers` (worker IDs leaving, e.g. `allocate --leaver`), pins to them."""
    return _typed_cases(raw, file, workers, leavers)[1]


def family_in_two_teams(typed: pd.DataFrame, file: str) -> list[Problem]:
    """A family whose children are recorded in different teams is a conflict: siblings share one
    worker, who belongs to one team, so the manager must say which team holds the family (a
    blank team means any team in the child's locality and conflicts with none). Siblings in
    different localities are normal (children placed apart) and are not checked here."""
    if not {"family_id", "team"} <= set(typed.columns):
        return []
    named = typed[typed["team"].ne("") & typed["family_id"].ne("")]
    counts = named.groupby("family_id")["team"].nunique()
    split = named[named["family_id"].isin(counts.index[counts > 1])]
    problems = []
    for family, rows in split.groupby("family_id", sort=False):
        first = rows["team"].iloc[0]
        where = "; ".join(f"'{t}' (row{'s' if len(r) > 1 else ''} {', '.join(str(i) for i in r.index)})"
                          for t, r in rows.groupby("team", sort=False))
        for row in rows.index[rows["team"] != first]:
            problems.append(Problem(file, f"family '{family}' is recorded in more than one team: {where}; siblings "
                                          "share one worker, so record the family in one team (or leave team blank)",
                                    int(row), "team"))
    return problems


def pinned_to_unavailable(typed: pd.DataFrame, file: str, workers: pd.DataFrame, leavers: Iterable[str] = ()) -> list[Problem]:
    """A pin keeps a child with their worker; it cannot keep them with a worker who is not
    available (long leave) or is leaving (`leavers`), so the manager must lift the pin or correct
    the worker's availability: the allocation never moves a pinned child on its own."""
    if not {"pinned", "current_worker_id"} <= set(typed.columns) or "worker_id" not in workers:
        return []
    leaving = set(leavers)
    away = set(workers.loc[~workers["available"].astype(bool), "worker_id"]) if "available" in workers else set()
    pinned = typed[typed["pinned"] & typed["current_worker_id"].ne("")]
    problems = []
    for row, worker in pinned["current_worker_id"].items():
        if worker in leaving:
            reason = f"is pinned to {worker}, who is leaving (--leaver): set pinned to no so the child can be given a new worker"
        elif worker in away:
            reason = (f"is pinned to {worker}, who is not available (available = no in workers): set pinned to no, "
                      "or mark the worker available")
        else:
            continue
        problems.append(Problem(file, reason, int(row), "pinned"))
    return problems


def _typed_cases(raw: pd.DataFrame, file: str, workers: pd.DataFrame | None,
                 leavers: Iterable[str] = ()) -> tuple[pd.DataFrame, list[Problem]]:
    typed, problems = type_table(raw, CASES, file)
    if "pinned" in typed and "current_worker_id" in typed:
        no_worker = typed["pinned"] & typed["current_worker_id"].eq("")
        for row in no_worker[no_worker].index:
            problems.append(Problem(file, "pinned but has no current_worker_id", int(row), "pinned", "pin only children who have a current worker"))
    problems.extend(family_in_two_teams(typed, file))
    if workers is not None:
        problems.extend(pinned_to_unavailable(typed, file, workers, leavers))
    if workers is not None and "worker_id" in workers:
        known = set(workers["worker_id"])
        unzeroed = {str(k).lstrip("0"): str(k) for k in known}

        def missing(wid: str) -> str:
            # an ID that matches a worker once leading zeros are dropped lost them on one side,
            # most often to a spreadsheet that read the IDs as numbers
            near = unzeroed.get(str(wid).lstrip("0"))
            hint = (f" (workers has '{near}': leading zeros lost on one side, as a spreadsheet does to IDs it reads "
                    "as numbers; keep IDs as text)") if near is not None and near != wid else ""
            return f"worker '{wid}' does not exist in workers{hint}"

        if "current_worker_id" in typed:
            cur = typed["current_worker_id"]
            unknown = cur.ne("") & ~cur.isin(known)
            for row in unknown[unknown].index:
                problems.append(Problem(file, missing(cur.loc[row]), int(row), "current_worker_id", "a worker_id from workers"))
        if "excluded_workers" in typed:
            for row, value in typed["excluded_workers"].items():
                for wid in sorted(split_tags(value) - known):
                    problems.append(Problem(file, missing(wid), int(row), "excluded_workers", "worker_ids from workers, ';'-separated"))
    # the default needs case_type and court; either missing is reported above, not a KeyError here
    can_default = {"case_type", "court"} <= set(typed.columns)
    if "priority" in typed.columns:
        if can_default:
            typed["priority"] = typed["priority"].fillna(default_priority(typed)).astype("int64")
    elif can_default:
        typed["priority"] = default_priority(typed).astype("int64")
    return typed, sorted(problems, key=_problem_sort_key)


def latest_input_date(workers: pd.DataFrame, cases: pd.DataFrame | None = None) -> pd.Timestamp | None:
    """The inputs' own date: the latest date they record (a worker's `start_date` or a child's
    `allocated_since`), at midnight; None when they hold no such date. An extract is as recent as
    the last thing it records, so the same files give the same "as of" date on any day: the
    allocation's date, the churn model's scoring date and the plan's first quarter all start from
    it."""
    latest = latest_input_record(workers, cases)
    return latest[0] if latest is not None else None


def latest_input_record(workers: pd.DataFrame, cases: pd.DataFrame | None = None) -> tuple[pd.Timestamp, str] | None:
    """The inputs' own date (:func:`latest_input_date`) and the record that gives it ("worker
    W0001's start_date"), so that a date typed years ahead (2031 for 2021), which would make
    that year "today" for every command, can be said and found.

    Returns
    -------
    tuple of (Timestamp, str) or None
        The date at midnight and the record; None when the inputs hold no such date.
    """
    found: tuple[pd.Timestamp, str] | None = None
    for frame, col, id_col, who in ((workers, "start_date", "worker_id", "worker"),
                                    (cases, "allocated_since", "case_id", "child")):
        if frame is None or col not in frame:
            continue
        dates = pd.to_datetime(frame[col], errors="coerce")
        if dates.notna().any():
            at = dates.idxmax()
            day = pd.Timestamp(dates[at]).normalize()
            if found is None or day > found[0]:
                found = (day, f"{who} {frame.at[at, id_col]}'s {col}" if id_col in frame else f"{who}s' {col}")
    return found


#: `default_priority` in words (the allocation workbook's note on ``priority`` quotes it).
DEFAULT_PRIORITY_WORDS = "child protection and court work 1, looked-after children and assessments 2, the rest 3"


def default_priority(cases: pd.DataFrame) -> pd.Series:
    """A case's priority when the file gives none (the one definition: typing and the allocation
    use it): CP and court work first (1), looked-after and assessments next (2), the rest 3
    (`DEFAULT_PRIORITY_WORDS`).

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


#: [DERIVED] The most days a leaver record's snapshot may follow its leave: the census lists a worker
#: who left at most in the next return (census days a year apart, 366 days across a 29 February).
LEAVER_RECORD_MAX_DAYS = 366


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
    if {"snapshot_date", "start_date"} <= set(typed.columns):
        # a snapshot lists the workers in post that day: one who had not started is a typed date
        # (1900 for 2019, 2099 for 2019) that would move the history's first or last snapshot
        ahead = typed["start_date"].notna() & typed["snapshot_date"].notna() & (typed["start_date"] > typed["snapshot_date"])
        for row in ahead[ahead].index:
            problems.append(Problem(file, f"start_date {typed.loc[row, 'start_date'].date()} is after the snapshot_date "
                                          f"{typed.loc[row, 'snapshot_date'].date()}: a worker in a snapshot had started by then",
                                    int(row), "snapshot_date", "start_date on or before snapshot_date"))
    if "leave_date" in typed.columns or "leave_reason" in typed.columns:
        has_date = typed["leave_date"].notna() if "leave_date" in typed else pd.Series(False, index=typed.index)
        has_reason = typed["leave_reason"].notna() if "leave_reason" in typed else pd.Series(False, index=typed.index)
        for row in (has_date & ~has_reason)[lambda s: s].index:
            problems.append(Problem(file, "has a leave_date but no leave_reason", int(row), "leave_reason", "CSWW ReasonLeave code 1-10"))
        for row in (has_reason & ~has_date)[lambda s: s].index:
            problems.append(Problem(file, "has a leave_reason but no leave_date", int(row), "leave_date"))
        if "snapshot_date" in typed and "leave_date" in typed:
            late = has_date & typed["snapshot_date"].notna() & (
                (typed["snapshot_date"] - typed["leave_date"]).dt.days > LEAVER_RECORD_MAX_DAYS)
            for row in late[late].index:
                problems.append(Problem(
                    file, f"snapshot_date {typed.loc[row, 'snapshot_date'].date()} is more than a year after the "
                          f"leave_date {typed.loc[row, 'leave_date'].date()}: a worker who has left is listed at most "
                          "in the snapshot after they left (is either date's year mistyped?)", int(row), "snapshot_date",
                    "snapshot_date at most a year after leave_date"))
        if "start_date" in typed and "leave_date" in typed:
            early = has_date & typed["start_date"].notna() & (typed["leave_date"] < typed["start_date"])
            for row in early[early].index:
                problems.append(Problem(file, "leave_date is before start_date", int(row), "leave_date"))
    return typed, sorted(problems, key=_problem_sort_key)


def _finish(typed: pd.DataFrame) -> pd.DataFrame:
    return typed.reset_index(drop=True)


def _load(path: str | Path, table: str, sheet: str | None, typer, dates: str | None) -> pd.DataFrame:
    """Find `table` at `path` (a file of any name, or a folder holding it), read, type and
    validate it with `typer(raw, label)`; every problem at once. `dates` ('uk' or 'us') sets the
    order of day and month; None keeps the one in force (UK unless the command says otherwise)."""
    source = find_table(path, table, sheet=sheet)
    with date_order(dates):
        raw = source.read()
        typed, problems = typer(raw, raw.attrs.get("label") or source.label)
    if problems:
        raise InputError(problems=problems)
    return _finish(typed)


def load_workers(path: str | Path, *, sheet: str | None = None, dates: str | None = None) -> pd.DataFrame:
    """Read, validate and type the workers table from a CSV, an XLSX sheet or a folder holding it."""
    return _load(path, "workers", sheet, _typed_workers, dates)


def load_cases(path: str | Path, workers: pd.DataFrame | None = None, *, sheet: str | None = None,
               dates: str | None = None, leavers: Iterable[str] = ()) -> pd.DataFrame:
    """Read, validate and type the cases table; with `workers`, check references to them (and
    with `leavers`, that no child is pinned to a worker who is leaving)."""
    return _load(path, "cases", sheet, lambda raw, label: _typed_cases(raw, label, workers, leavers), dates)


def load_hr_history(path: str | Path, *, sheet: str | None = None, dates: str | None = None) -> pd.DataFrame:
    """Read, validate and type the hr_history table."""
    return _load(path, "hr_history", sheet, _typed_hr_history, dates)


def load_risk(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read and validate a risk table (`worker_id`, `p_leave` 0-1, and 0-1 chances by reason such
    as `p_voluntary_12m` when present; other columns kept as text), as written by `workforce churn
    score`; the chances are read to :data:`CHANCE_DIGITS` significant digits."""

    def typed_risk(raw: pd.DataFrame, label: str) -> tuple[pd.DataFrame, list[Problem]]:
        # the chances by reason a plan reads are numbers like p_leave: a register edited in a
        # spreadsheet ('12%', a blank, 12 for 12%) is read as meant or refused by row and column
        reasons = tuple(Column(name, "number", minimum=0.0, maximum=1.0, percent=True,
                               description="probability of leaving for this reason within the months named")
                        for name in raw.columns if risk_reason_column(name))
        typed, problems = type_table(raw, RISK + reasons, label)
        for name in ("p_leave", *(c.name for c in reasons)):
            if name in typed and pd.api.types.is_float_dtype(typed[name]):
                typed[name] = to_chance_digits(typed[name])
        # Kept with the table so that a row later found unused can be named (risk_coverage).
        typed.attrs.update(source=label, rows=[int(i) for i in typed.index])
        return typed, sorted(problems, key=_problem_sort_key)

    return _load(path, "risk", sheet, typed_risk, None)


def load_establishment(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read and validate the funded establishment (`ESTABLISHMENT`: one row per team and role,
    `funded_fte`) from a CSV, an XLSX sheet named `establishment` or a folder holding it. A team
    and role given twice is refused (which of the two is funded?)."""

    def typed_establishment(raw: pd.DataFrame, label: str) -> tuple[pd.DataFrame, list[Problem]]:
        typed, problems = type_table(raw, ESTABLISHMENT, label)
        if {"team", "role"} <= set(typed.columns):
            twice = typed.duplicated(["team", "role"], keep="first") & typed["team"].ne("")
            for row in twice[twice].index:
                problems.append(Problem(label, f"team '{typed.loc[row, 'team']}' and role '{typed.loc[row, 'role']}' "
                                        "appear twice", int(row), "role", "one row per team and role"))
        return typed, sorted(problems, key=_problem_sort_key)

    return _load(path, "establishment", sheet, typed_establishment, None)


#: How many unused risk rows, or unscored workers, a message names before "and N more".
SHOWN_IDS = 5


@dataclass(frozen=True)
class RiskCoverage:
    """How a risk table meets the workers it is used with (see :func:`risk_coverage`).

    `unknown`: (spreadsheet row or None, worker_id) of each row for a worker not in the workers
    table; `unscored`: the workers needing a score that have no row; `fallback`: what is used for
    them instead, in words."""

    source: str
    unknown: tuple[tuple[int | None, str], ...]
    unscored: tuple[str, ...]
    needed: int
    fallback: str
    who: str = "workers"

    def lines(self) -> list[str]:
        """The console's sentences: one per kind of gap, none when the table fits the workers."""
        out = []
        where = f"risk table {self.source}" if self.source else "the risk table"
        if self.unknown:
            n = len(self.unknown)
            shown = "; ".join(f"row {row}: {wid}" if row is not None else wid for row, wid in self.unknown[:SHOWN_IDS])
            more = f" and {n - SHOWN_IDS} more" if n > SHOWN_IDS else ""
            out.append(f"{where}: {n} row{'s' if n != 1 else ''} for a worker not in the workers "
                       f"table {'were' if n != 1 else 'was'} not used ({shown}{more}; a table scored before they "
                       "left? score the current workers to use every row)")
        if self.unscored:
            n = len(self.unscored)
            shown = ", ".join(self.unscored[:SHOWN_IDS]) + (f" and {n - SHOWN_IDS} more" if n > SHOWN_IDS else "")
            out.append(f"{where}: {n} of the {self.needed} {self.who} it should score "
                       f"{'are' if n != 1 else 'is'} not in it ({shown}); for them: {self.fallback}")
        return out

    def summary(self) -> dict[str, object]:
        """What the outputs' summary says: the counts, the IDs and the sentences."""
        return {"risk_rows_not_in_workers": len(self.unknown),
                "risk_rows_not_in_workers_ids": [wid for _, wid in self.unknown],
                "workers_not_in_risk": len(self.unscored),
                "workers_not_in_risk_ids": list(self.unscored),
                "workers_not_in_risk_use": self.fallback if self.unscored else None,
                "risk_notes": self.lines()}


def risk_coverage(risk: pd.DataFrame, known: Iterable[str], needed: Iterable[str], fallback: str,
                  who: str = "workers") -> RiskCoverage:
    """Which rows of `risk` name no worker in `known` (the workers table), and which of the
    workers in `needed` (`who`, in words) it does not score; `fallback` says what they get instead.

    Such rows are counted and reported, never refused: a risk table scored last month still
    holds this month's workers, less those who left since, and re-scoring would change nothing
    the unused rows could. The workers it misses are planned with the fallback, which the
    planner must be told, since a fallback rate is not a prediction."""
    ids = risk["worker_id"].astype(str).str.strip() if "worker_id" in risk else pd.Series([], dtype=str)
    rows = risk.attrs.get("rows")
    rows = list(rows) if rows is not None and len(rows) == len(risk) else [None] * len(risk)
    known_set, scored = {str(w) for w in known}, set(ids)
    unknown = tuple((row, wid) for row, wid in zip(rows, ids) if wid not in known_set)
    needed = [str(w) for w in needed]
    unscored = tuple(w for w in needed if w not in scored)
    return RiskCoverage(str(risk.attrs.get("source", "")), unknown, unscored, len(needed), fallback, who)


def validate_paths(paths: Iterable[str | Path], named: dict[str, str | Path] | None = None, *,
                   dates: str | None = None, not_read: list[str] | None = None,
                   ) -> tuple[dict[str, pd.DataFrame], list[Problem], dict[str, TableSource]]:
    """Check every table found in `paths` (and the tables `named` explicitly, e.g.
    `{"workers": "Workers export 2024.csv"}`) and the references between them.

    Returns (typed tables that were valid, every problem, table -> source). Problems that stop a
    file being read at all (not CSV/XLSX, empty, missing sheet) are reported as well. Each CSV or
    sheet in a folder or workbook that is no table is appended to `not_read` (see
    :func:`workforce.readers.find_tables`).
    """
    required = {t: [c.name for c in SCHEMAS[t] if c.required] for t in TABLES}
    sources = find_tables(paths, named, required=required, not_read=not_read)
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []

    def attempt(table: str, typer_fn) -> pd.DataFrame | None:
        source = sources[table]
        try:
            raw = source.read()
        except InputError as exc:
            problems.extend(exc.problems)
            return None
        typed, found = typer_fn(raw, source.label)
        problems.extend(found)
        return None if found else _finish(typed)

    with date_order(dates):
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


def team_types(workers: pd.DataFrame) -> dict[str, str]:
    """Each team's type (the one most of its workers carry in the optional `team_type` column);
    empty when the workers table has no team types. Teams of one type do the same work: the plans
    follow a team type's demand, and an allocation may suggest moving families only between them."""
    if "team_type" not in workers:
        return {}
    pairs = workers.assign(team_type=workers["team_type"].astype(str).str.strip())
    pairs = pairs[pairs["team_type"] != ""].groupby(["team", "team_type"]).size().reset_index(name="n")
    pairs = pairs.sort_values(["team", "n", "team_type"], ascending=[True, False, True]).drop_duplicates("team")
    return dict(zip(pairs["team"].astype(str), pairs["team_type"].astype(str)))
