"""Import DfE children's social work workforce census (CSWW) returns into `hr_history`.

Each English authority submits one XML return a year (brief section 2): a `Header` with the
`ReferenceDate` (census day, 30 September), `LALevelVacancies`, and one `CSWWWorker` per worker
record. Several years stacked give a history to train the churn model on.

Mapping (one `hr_history` row per worker in post at each reference date):

| hr_history | CSWW | rule |
|---|---|---|
| `snapshot_date` | Header ReferenceDate | |
| `worker_id` | SWENo | `S` + first 12 hex of SHA-256(salt + SWENo): pseudonymous, stable across years within one salt; the SWENo itself is never written |
| `team`, `locality` | – | `unknown` (the census has neither) |
| `role` | OrgRole (+ CFKSSstatus) | 5 -> case_holder; 4 -> senior_practitioner; 3 -> practice_supervisor when CFKSSstatus = 3, else team_manager; 1, 2 (senior and middle managers) and 6 (qualified, no cases) are not the case-holding workforce and are left out (counted in the import summary) |
| `asye` | CFKSSstatus | = 1 |
| `agency` | AgencyWorker | = 1 |
| `fte` | FTE (FTE30 when FTE is blank or 0) | 1.0 when neither is usable (agency records often omit it; counted) |
| `start_date` | RoleStartDate | when blank: the first census the worker appears in (counted) |
| `cases_held` | Cases30 | |
| `sickness_days_12m` | WorkingDaysLost | |
| `age_band` | PersonBirthDate at ReferenceDate | `20-29` ... `60+`; the birth date is never written |
| `gender` | GenderCurrent | 2 female, 1 male, 9 other, 0 not_known |
| `ethnicity` | Ethnicity | code as given |
| `leave_date`, `leave_reason`, `leaver_destination` | RoleEndDate, ReasonLeave, LeaverDestination | a leaver's record (with RoleEndDate) is not in post at its census day; its leave is put on every earlier in-post row of the same worker (the first leave after each snapshot) |

Parsing uses defusedxml (no entity expansion, no external entities). Malformed XML or a bad
value raises InputError naming the file and the element.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from workforce.errors import InputError

WORKER_ELEMENT = "CSWWWorker"
ROLE_BY_ORGROLE = {5: "case_holder", 4: "senior_practitioner", 3: "team_manager"}
GENDER = {"2": "female", "1": "male", "9": "other", "0": "not_known"}
AGE_BANDS = ((60, "60+"), (50, "50-59"), (40, "40-49"), (30, "30-39"), (0, "20-29"))
HISTORY_COLUMNS = [
    "snapshot_date",
    "worker_id",
    "team",
    "locality",
    "role",
    "asye",
    "agency",
    "fte",
    "start_date",
    "cases_held",
    "sickness_days_12m",
    "age_band",
    "gender",
    "ethnicity",
    "leave_date",
    "leave_reason",
    "leaver_destination",
]


@dataclass
class ImportSummary:
    """What the import did, for the user to check."""

    files: int = 0
    records: int = 0
    rows: int = 0
    leavers: int = 0
    excluded_roles: int = 0
    fte_defaulted: int = 0
    duplicates_dropped: int = 0
    start_defaulted: int = 0
    reference_dates: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"read {self.records} worker records from {self.files} return(s) "
            f"({', '.join(self.reference_dates)})",
            f"wrote {self.rows} in-post rows; {self.leavers} leavings attached",
            f"left out {self.excluded_roles} records of senior/middle managers or staff without cases (OrgRole 1, 2, 6)",
            f"FTE missing on {self.fte_defaulted} in-post records: set to 1.0",
            f"RoleStartDate missing on {self.start_defaulted} in-post records: set to the first census they appear in",
            f"dropped {self.duplicates_dropped} duplicate in-post records (same worker, same census)",
        ]


def _local(tag: str) -> str:
    """Element name without any XML namespace."""
    return tag.rsplit("}", 1)[-1]


def parse_return(path: str | Path) -> tuple[pd.Timestamp, list[dict[str, str]], list[int]]:
    """(reference date, one dict of field -> text per CSWWWorker, their positions) from one
    return. Streams the file so the error for malformed XML names the element being read."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, iterparse

    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    stack: list[str] = []
    reference: str | None = None
    workers: list[dict[str, str]] = []
    positions: list[int] = []
    count = 0
    try:
        for event, elem in iterparse(str(path), events=("start", "end")):
            name = _local(elem.tag)
            if event == "start":
                stack.append(name)
                continue
            stack.pop()
            if name == "ReferenceDate" and "Header" in stack:
                reference = (elem.text or "").strip()
            elif name == WORKER_ELEMENT:
                count += 1
                record = {_local(child.tag): (child.text or "").strip() for child in elem}
                workers.append(record)
                positions.append(count)
                elem.clear()
    except ParseError as exc:
        where = "/".join(stack) if stack else "(document)"
        raise InputError(
            f"malformed XML inside element <{stack[-1] if stack else 'document'}> (path {where}): {exc}",
            file=path,
            column=stack[-1] if stack else None,
        ) from None
    except DefusedXmlException as exc:
        raise InputError(f"refused unsafe XML ({type(exc).__name__}): entities and DTDs are not allowed", file=path) from None
    if not reference:
        raise InputError("no <ReferenceDate> in <Header>: is this a CSWW census return?", file=path, column="Header/CollectionDetails/ReferenceDate")
    try:
        ref = pd.Timestamp(reference)
    except ValueError:
        raise InputError(f"ReferenceDate '{reference}' is not a date (YYYY-MM-DD)", file=path, column="ReferenceDate") from None
    return ref, workers, positions


def pseudonym(sweno: str, salt: str) -> str:
    """Stable pseudonymous worker ID from the SWE registration number (salted SHA-256)."""
    digest = hashlib.sha256((salt + "|" + sweno.strip().upper()).encode("utf-8")).hexdigest()
    return "S" + digest[:12]


def age_band(birth: pd.Timestamp | None, on: pd.Timestamp) -> str:
    """Age band at `on` from a birth date (the date itself is never kept)."""
    if birth is None or pd.isna(birth):
        return ""
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for lower, label in AGE_BANDS:
        if age >= lower:
            return label
    return "20-29"  # pragma: no cover - guarded by the last band's lower bound of 0


class _Field:
    """Typed access to one worker record's fields, naming the element on a bad value."""

    def __init__(self, record: dict[str, str], path: Path, position: int) -> None:
        self.record, self.path, self.position = record, path, position

    def _fail(self, name: str, value: str, expected: str) -> InputError:
        return InputError(
            f"<{WORKER_ELEMENT}> number {self.position}, element <{name}>: '{value}' is not {expected}",
            file=self.path,
            column=name,
        )

    def text(self, name: str) -> str:
        return self.record.get(name, "")

    def number(self, name: str) -> float:
        value = self.text(name)
        if value == "":
            return float("nan")
        try:
            return float(value)
        except ValueError:
            raise self._fail(name, value, "a number") from None

    def code(self, name: str) -> int | None:
        value = self.number(name)
        if np.isnan(value):
            return None
        if value != int(value):
            raise self._fail(name, self.text(name), "a whole-number code")
        return int(value)

    def date(self, name: str) -> pd.Timestamp | None:
        value = self.text(name)
        if value == "":
            return None
        try:
            return pd.Timestamp(value[:10])
        except ValueError:
            raise self._fail(name, value, "a date (YYYY-MM-DD)") from None


def _role(org_role: int | None, cfkss: int | None) -> str | None:
    """OrgRole (and CFKSSstatus) to the workforce role code; None for out-of-scope roles."""
    if org_role == 3 and cfkss == 3:
        return "practice_supervisor"
    return ROLE_BY_ORGROLE.get(org_role) if org_role is not None else "case_holder"


def records_frame(paths: Iterable[str | Path], salt: str, summary: ImportSummary) -> pd.DataFrame:
    """Every worker record of every return, typed and pseudonymised (one row per record)."""
    rows = []
    for path in paths:
        path = Path(path)
        ref, workers, positions = parse_return(path)
        summary.files += 1
        summary.reference_dates.append(str(ref.date()))
        for record, position in zip(workers, positions):
            f = _Field(record, path, position)
            sweno = f.text("SWENo")
            if not sweno:
                raise InputError(f"<{WORKER_ELEMENT}> number {position} has no <SWENo>", file=path, column="SWENo")
            summary.records += 1
            org_role, cfkss = f.code("OrgRole"), f.code("CFKSSstatus")
            fte = f.number("FTE")
            if np.isnan(fte) or fte <= 0:
                fte = f.number("FTE30")
            end = f.date("RoleEndDate")
            if not np.isnan(fte) and not 0 <= fte <= 1:
                raise f._fail("FTE", f.text("FTE"), "an FTE between 0 and 1")
            gender = f.text("GenderCurrent")
            rows.append(
                {
                    "snapshot_date": ref,
                    "worker_id": pseudonym(sweno, salt),
                    "role": _role(org_role, cfkss),
                    "asye": cfkss == 1,
                    "agency": f.code("AgencyWorker") == 1,
                    "fte": fte,
                    "start_date": f.date("RoleStartDate"),
                    "end_date": end,
                    "cases_held": f.number("Cases30"),
                    "sickness_days_12m": f.number("WorkingDaysLost"),
                    "age_band": age_band(f.date("PersonBirthDate"), ref),
                    "gender": GENDER.get(gender, "not_known" if gender == "" else gender),
                    "ethnicity": f.text("Ethnicity"),
                    "leave_reason": f.code("ReasonLeave"),
                    "leaver_destination": f.code("LeaverDestination"),
                }
            )
    if not rows:
        raise InputError("no <CSWWWorker> records in the given return(s)")
    return pd.DataFrame(rows)


def _attach_leaves(in_post: pd.DataFrame, leaves: pd.DataFrame) -> pd.DataFrame:
    """Put each worker's first leave after the snapshot on the snapshot row."""
    out = in_post.sort_values("snapshot_date").copy()
    leaves = leaves.sort_values("end_date")
    merged = pd.merge_asof(
        out.reset_index(),
        leaves[["worker_id", "end_date", "leave_reason", "leaver_destination"]].rename(columns={"end_date": "leave_date"}),
        left_on="snapshot_date",
        right_on="leave_date",
        by="worker_id",
        direction="forward",
        allow_exact_matches=False,
    ).set_index("index")
    return merged


def import_csww(paths: Iterable[str | Path], *, salt: str | None = None) -> tuple[pd.DataFrame, ImportSummary]:
    """Stack CSWW returns into an `hr_history` frame (typed like `load_hr_history`'s output).

    Without `salt` a random one is drawn: IDs are then consistent within this import only."""
    summary = ImportSummary()
    salt = salt if salt else secrets.token_hex(16)
    records = records_frame(list(paths), salt, summary)
    is_leaver = records["end_date"].notna() & (records["end_date"] <= records["snapshot_date"])
    leaves = records.loc[records["end_date"].notna()].drop_duplicates(["worker_id", "end_date"])
    in_post = records.loc[~is_leaver & records["role"].notna()].drop(columns=["leave_reason", "leaver_destination"])
    summary.excluded_roles = int((~is_leaver & records["role"].isna()).sum())
    before = len(in_post)
    # Two in-post records of one worker in one census (e.g. two posts): keep the latest start.
    in_post = in_post.sort_values(["snapshot_date", "worker_id", "start_date"], na_position="first").drop_duplicates(
        ["snapshot_date", "worker_id"], keep="last"
    )
    summary.duplicates_dropped = before - len(in_post)
    summary.fte_defaulted = int(in_post["fte"].isna().sum() + (in_post["fte"] <= 0).sum())
    in_post["fte"] = in_post["fte"].where(in_post["fte"] > 0, 1.0)
    # start_date is required by the contract; agency records often lack RoleStartDate, so use
    # the first census the worker appears in (tenure then counts from there).
    first_seen = in_post.groupby("worker_id")["snapshot_date"].transform("min")
    summary.start_defaulted = int(in_post["start_date"].isna().sum())
    in_post["start_date"] = in_post["start_date"].fillna(first_seen)
    history = _attach_leaves(in_post, leaves)
    history["team"] = "unknown"
    history["locality"] = "unknown"
    summary.rows = int(len(history))
    summary.leavers = int(history.drop_duplicates(["worker_id", "leave_date"])["leave_date"].notna().sum())
    history = history.sort_values(["snapshot_date", "worker_id"]).reset_index(drop=True)
    for column in ("leave_reason", "leaver_destination"):
        history[column] = history[column].astype("Int64")
    history["cases_held"] = history["cases_held"].astype("Float64")
    for column in ("snapshot_date", "start_date", "leave_date"):
        history[column] = pd.to_datetime(history[column]).astype("datetime64[ns]")
    history["asye"] = history["asye"].astype(bool)
    history["agency"] = history["agency"].astype(bool)
    return history[HISTORY_COLUMNS], summary
