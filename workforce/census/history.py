"""Census returns to `hr_history`: one row per worker per census day, every leave kept.

Each usable record ends in exactly one of these outcomes, and the import summary counts them
(records read = refused + kept + merged):

kept
    ``in_post``: in post on its census day (no `RoleEndDate`, or one after the census day: a
    known future leave, carried as `leave_date` on the row). ``leaver_row``: a leaver who was
    never in post on a census day in the data (joined and left between two census days, or
    left in the first year of the data): a row on the census day of its return carrying the
    start and the leave (`leave_date` in the census year, on or before `snapshot_date`, so the
    churn labels never treat it as in post, while turnover counts it as the DfE does).
merged
    ``leave_attached``: the leave is put on the worker's earlier in-post rows (each in-post
    row carries the first leave after its census day). ``duplicate_post``: a second in-post
    record of a worker on one census day (the most senior post is kept, as the DfE counts
    headcount). ``duplicate_leave``: the same leave (worker and date) on another record.
    ``leave_not_taken``: the worker is in post again at a census on or after the leave date,
    in a spell that started before it (a change of post, or a leave that did not happen), so
    the leave is not kept. ``left_and_restarted``: left and in post again, in a new spell, at the
    same census, with no earlier row to carry the leave (one row per worker per census).
    ``left_twice_in_year``: a second leave of a worker in one census year with no row to carry it.
    ``leave_before_census_year``: a leave dated on or before the previous census day (before
    the census year of its return) with no earlier in-post row to carry it: it belongs to an
    earlier return (`census check` warns), so it is not counted as a leaver of this one.
refused
    the record cannot be used (no SWE number, an impossible value in a field the import needs,
    or a return without a census day); each is listed as a problem.

A kept or merged record whose value cannot be used in a field carried into `hr_history`
(`Cases30` below 0, or an `Ethnicity` not in the code list, for example) keeps its row with that
value blank; the summary counts these by field and each is listed as an import problem (so ``--strict`` refuses them).

A leave after the last census day in the data is a *known future leave*: the worker is in
post and `workforce.retention.labels` does not count it as leaving (its follow-up ends at the
last snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.census.records import BLANKED_FIELDS, DEFAULT_ORG_ROLE, agency_personal_details, unusable_values
from workforce.census.rules import previous_census_day

HISTORY_COLUMNS = [
    "snapshot_date", "worker_id", "team", "locality", "role", "asye", "agency", "fte", "start_date", "cases_held",
    "sickness_days_12m", "age_band", "gender", "ethnicity", "leave_date", "leave_reason", "leaver_destination",
]
UNKNOWN = "unknown"  # the census has no team or locality
NOT_KNOWN_REASON = 9  # CSWW ReasonLeave 9: not known
KEPT = ("in_post", "leaver_row")
MERGED = ("leave_attached", "duplicate_post", "duplicate_leave", "leave_not_taken", "left_and_restarted", "left_twice_in_year",
          "leave_before_census_year")
REFUSED = "refused"
OUTCOME_TEXT = {
    "in_post": "in post on their census day",
    "leaver_row": "leavers never in post on a census day in the data (joined and left between census days, or left in the first year): kept as leaver rows",
    "leave_attached": "leaver records whose leave was put on the worker's earlier in-post rows",
    "duplicate_post": "second in-post records of a worker on one census day (the most senior post kept)",
    "duplicate_leave": "the same leave (worker and date) on another record",
    "leave_not_taken": "leaves of workers in post again at a later census in the same spell (change of post, or the leave did not happen)",
    "left_and_restarted": "leaves of workers who left and were in post again in a new spell by the same census (no row to carry the leave)",
    "left_twice_in_year": "second leaves of a worker in one census year (no row to carry them)",
    "leave_before_census_year": "leaves dated on or before the previous census day, with no earlier row to carry them: "
                                "not counted as leavers of their return's year (census check: they belong to an earlier return)",
    "refused": "records that could not be used (listed as problems)",
}
_OLDER_SPELL_RANK = {6: 5.5}  # qualified without cases ranks below a case holder


@dataclass
class ImportSummary:
    """What the import did with every record read, for the user to check.

    `outcomes` counts records by outcome (module docstring); ``records == refused + kept +
    merged`` always holds.
    """

    files: list[str] = field(default_factory=list)
    reference_dates: list[str] = field(default_factory=list)
    records: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    leaves: int = 0
    future_leaves: int = 0
    future_leaves_dropped: int = 0
    fte_defaulted: int = 0
    start_defaulted: int = 0
    role_defaulted: int = 0
    reason_defaulted: int = 0
    blanked: dict[str, int] = field(default_factory=dict)  # field -> unusable values left blank in hr_history
    unusable_merged: int = 0  # unusable values on merged records: no hr_history row of their own to blank
    agency_details_dropped: int = 0  # agency records whose birth date, gender or ethnicity was not kept
    schema_errors: int = 0
    warnings: int = 0

    @property
    def kept(self) -> int:
        return sum(self.outcomes.get(k, 0) for k in KEPT)

    @property
    def merged(self) -> int:
        return sum(self.outcomes.get(k, 0) for k in MERGED)

    @property
    def refused(self) -> int:
        return self.outcomes.get(REFUSED, 0)

    def adds_up(self) -> bool:
        return self.records == self.kept + self.merged + self.refused

    def lines(self) -> list[str]:
        """The summary in plain words, one line each."""
        out = [
            f"read {self.records} worker records from {len(self.files)} return(s) ({', '.join(self.reference_dates)})",
            f"kept {self.kept}, merged {self.merged}, refused {self.refused} (adds up: {'yes' if self.adds_up() else 'NO'})",
        ]
        for key in (*KEPT, *MERGED, REFUSED):
            if self.outcomes.get(key):
                out.append(f"  {self.outcomes[key]:>6}  {OUTCOME_TEXT[key]}")
        out.append(f"wrote {self.rows} hr_history rows; {self.leaves} leaves up to the last census day"
                   + (f"; {self.future_leaves} known future leaves after it (in post, not counted as leavers yet)" if self.future_leaves else ""))
        notes = [
            (self.future_leaves_dropped, "future leave dates not kept because the worker was in post at a later census in the same spell"),
            (self.role_defaulted, "records without OrgRole read as case holders (OrgRole 5)"),
            (self.fte_defaulted, "rows without a usable FTE (or FTE30) set to 1.0"),
            (self.start_defaulted, "rows without a usable RoleStartDate given the first census they appear in (or the leave date)"),
            (self.reason_defaulted, "leaves without a valid ReasonLeave recorded as 9 (not known)"),
            (self.agency_details_dropped, "agency records giving a birth date, gender or ethnicity: not kept (age band, "
                                          "gender and ethnicity left blank; the DfE does not collect them for agency workers)"),
        ]
        out += [f"{n} {text}" for n, text in notes if n]
        if self.blanked:
            out.append(f"{sum(self.blanked.values())} values given but unusable, left blank in hr_history (listed below): "
                       + ", ".join(f"{name} {n} (as {BLANKED_FIELDS[name][1]})" for name, n in self.blanked.items()))
        if self.unusable_merged:
            out.append(f"{self.unusable_merged} values given but unusable on records merged into others (listed below): "
                       "not in hr_history, as the rest of their record")
        if self.schema_errors or self.warnings:
            out.append(f"{self.schema_errors} schema and data problems, {self.warnings} warnings (listed below)")
        return out


def _rank(records: pd.DataFrame) -> pd.Series:
    """Seniority of a post for choosing one per worker per census: OrgRole 1 first."""
    codes = records["org_role"].astype(float).fillna(float(DEFAULT_ORG_ROLE))
    return codes.replace(_OLDER_SPELL_RANK)


def _fte(records: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """FTE, else FTE30 when FTE is blank or 0 (a leaver's FTE is 0), else 1.0 (flagged)."""
    fte = records["fte"].where(records["fte"] > 0, records["fte30"])
    missing = ~(fte > 0)
    return fte.where(~missing, 1.0), missing


def build_history(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, ImportSummary]:
    """`hr_history` from the records of every return (see the module docstring).

    Parameters
    ----------
    records : DataFrame
        :func:`workforce.census.records.records_frame` output of every return, concatenated.

    Returns
    -------
    (hr_history, outcome, summary)
        `hr_history` typed as `workforce.contracts.load_hr_history` returns it (columns
        :data:`HISTORY_COLUMNS`); `outcome` names each record's outcome (aligned to
        `records`); `summary` the counts (files and problems are filled in by the caller).
    """
    r = records.reset_index(drop=True)
    outcome = pd.Series(REFUSED, index=r.index, dtype=object)
    usable = r["refused"].eq("")
    u = r.loc[usable].assign(snapshot_date=lambda f: f["reference_date"])
    leaver = u["end_date"].notna() & (u["end_date"] <= u["snapshot_date"])

    # in post: one row per worker per census day, the most senior post (then the latest start)
    ip = u.loc[~leaver].assign(_rank=lambda f: _rank(f))
    ip = ip.sort_values(["snapshot_date", "worker_id", "_rank", "start_date"], ascending=[True, True, True, False],
                        na_position="last", kind="stable")
    first = ~ip.duplicated(["snapshot_date", "worker_id"])
    outcome[ip.index[~first]] = "duplicate_post"
    inpost = ip.loc[first].drop(columns="_rank")
    outcome[inpost.index] = "in_post"

    # leave events (worker, date): from leaver records first (their reasons win), then future leaves
    sources = pd.concat([u.loc[leaver].assign(_future=False), inpost.loc[inpost["end_date"].notna()].assign(_future=True)])
    sources = sources.sort_values(["worker_id", "end_date", "_future", "snapshot_date"], kind="stable")
    events = sources.drop_duplicates(["worker_id", "end_date"])
    # a leave is not kept when the worker is in post at a census on or after it in a spell begun before it
    later = events[["worker_id", "end_date"]].reset_index().merge(
        inpost[["worker_id", "snapshot_date", "start_date"]], on="worker_id")
    same_spell = (later["snapshot_date"] >= later["end_date"]) & (later["start_date"].isna() | (later["start_date"] <= later["end_date"]))
    not_taken = set(later.loc[same_spell, "index"])
    valid = events.loc[~events.index.isin(not_taken)]

    history_ip = _attach(inpost, valid)
    attached = pd.MultiIndex.from_frame(history_ip.loc[history_ip["leave_date"].notna(), ["worker_id", "leave_date"]])
    in_post_at = pd.MultiIndex.from_frame(inpost[["worker_id", "snapshot_date"]])

    lv = u.loc[leaver]
    key = pd.MultiIndex.from_frame(lv[["worker_id", "end_date"]])
    at_census = pd.MultiIndex.from_frame(lv[["worker_id", "snapshot_date"]])
    # a leave from before this return's census year is not one of its leavers (census check warns)
    before_year = lv["end_date"] <= previous_census_day(lv["snapshot_date"])
    kind = np.select(
        [~lv.index.isin(events.index), lv.index.isin(list(not_taken)), key.isin(attached), at_census.isin(in_post_at),
         before_year.to_numpy()],
        ["duplicate_leave", "leave_not_taken", "leave_attached", "left_and_restarted", "leave_before_census_year"],
        default="leaver_row",
    )
    outcome[lv.index] = kind
    # one leaver row per worker per census day: the latest leave; an earlier one has no row
    lr = lv.loc[kind == "leaver_row"].sort_values(["snapshot_date", "worker_id", "end_date"], ascending=[True, True, False])
    second = lr.duplicated(["worker_id", "snapshot_date"], keep="first")
    outcome[lr.index[second]] = "left_twice_in_year"
    lr = lr.loc[~second].assign(leave_date=lambda f: f["end_date"])

    summary = ImportSummary(records=int(len(r)))
    future = inpost.loc[inpost["end_date"].notna(), ["worker_id", "end_date"]]
    summary.future_leaves_dropped = int((~pd.MultiIndex.from_frame(future).isin(
        pd.MultiIndex.from_frame(valid[["worker_id", "end_date"]]))).sum())
    history = _finish(pd.concat([history_ip, lr], ignore_index=True), summary)
    summary.outcomes = {k: int(v) for k, v in outcome.value_counts().items()}
    summary.rows = int(len(history))
    last = history["snapshot_date"].max() if len(history) else pd.NaT
    leaves = history.loc[history["leave_date"].notna()].drop_duplicates(["worker_id", "leave_date"])
    summary.future_leaves = int((leaves["leave_date"] > last).sum())
    summary.leaves = int(len(leaves)) - summary.future_leaves
    summary.role_defaulted = int(r.loc[usable, "org_role"].isna().sum())
    summary.agency_details_dropped = int((usable & agency_personal_details(r)).sum())
    values = unusable_values(r)
    written = reaches_history(values, outcome)
    summary.blanked = {k: int(v) for k, v in values.loc[written, "field"].value_counts(sort=False).items()}
    summary.unusable_merged = int((~written).sum())
    return history, outcome, summary


def reaches_history(values: pd.DataFrame, outcome: pd.Series) -> pd.Series:
    """Whether each unusable value (:func:`workforce.census.records.unusable_values`) is one the
    import leaves blank in `hr_history`: a value of a kept record (:data:`KEPT`), or the
    LeaverDestination of a leaver record whose leave is put on the worker's in-post rows. The
    other merged records (a second post, a repeated leave, ...) write no row, so their values
    blank nothing: counting them as blanked would say `hr_history` has gaps it does not have.

    Parameters
    ----------
    values : DataFrame
        ``index, field``: the unusable values, `index` into the records `outcome` is aligned to.
    outcome : Series
        Each record's outcome (:func:`build_history`).

    Returns
    -------
    Series of bool
        Aligned to `values`.
    """
    got = outcome.reindex(values["index"]).to_numpy()
    kept = np.isin(got, KEPT)
    attached = (got == "leave_attached") & values["field"].eq("LeaverDestination").to_numpy()
    return pd.Series(kept | attached, index=values.index)


def _attach(inpost: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Each in-post row with the worker's first valid leave after its census day."""
    right = events[["worker_id", "end_date", "leave_reason", "leaver_destination"]].rename(
        columns={"end_date": "leave_date", "leave_reason": "_reason", "leaver_destination": "_destination"})
    left = inpost.drop(columns=["leave_reason", "leaver_destination"]).sort_values("snapshot_date", kind="stable")
    merged = pd.merge_asof(left, right.sort_values("leave_date", kind="stable"), left_on="snapshot_date",
                           right_on="leave_date", by="worker_id", direction="forward", allow_exact_matches=False)
    return merged.rename(columns={"_reason": "leave_reason", "_destination": "leaver_destination"})


def _finish(rows: pd.DataFrame, summary: ImportSummary) -> pd.DataFrame:
    """Defaults (counted), typing and column order of the hr_history frame."""
    out = rows.copy()
    out["fte"], fte_missing = _fte(out)
    summary.fte_defaulted = int(fte_missing.sum())
    # a start after the census day (or after the leave) is impossible for the row: treat as unknown
    start = out["start_date"]
    limit = out["leave_date"].where(out["leave_date"] < out["snapshot_date"], out["snapshot_date"])
    bad_start = start.isna() | (start > limit)
    first_seen = out.groupby("worker_id")["snapshot_date"].transform("min")
    fallback = first_seen.where(out["leave_date"].isna() | (first_seen <= out["leave_date"]), out["leave_date"])
    out["start_date"] = start.where(~bad_start, fallback)
    summary.start_defaulted = int(bad_start.sum())
    has_leave = out["leave_date"].notna()
    no_reason = has_leave & out["leave_reason"].isna()
    out["leave_reason"] = out["leave_reason"].astype("Float64").mask(no_reason, float(NOT_KNOWN_REASON))
    summary.reason_defaulted = int(no_reason.sum())
    out["team"] = UNKNOWN
    out["locality"] = UNKNOWN
    out["cases_held"] = out["cases30"].astype("Float64")
    out["sickness_days_12m"] = out["days_lost"].astype(float)
    out["leaver_destination"] = out["leaver_destination"].astype("Float64")
    for column in ("snapshot_date", "start_date", "leave_date"):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
    out["asye"] = out["asye"].astype(bool)
    out["agency"] = out["agency"].astype(bool)
    for column in ("role", "age_band", "gender", "ethnicity", "worker_id"):
        out[column] = out[column].fillna("").astype(str)  # an unusable value is blank (counted)
    out = out.sort_values(["snapshot_date", "worker_id"], kind="stable").reset_index(drop=True)
    return out[HISTORY_COLUMNS]

