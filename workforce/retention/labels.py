"""Outcomes from `hr_history`: when each in-post snapshot's worker left, why, and what was observed.

Two views of the same facts:

* :func:`snapshot_outcomes` - time to event in quarters after each snapshot, with censoring at
  the end of follow-up and the competing reason (voluntary, retirement, other:
  :data:`workforce.contracts.LEAVE_REASON_GROUPS`). The time-to-event model learns from the
  quarters between a snapshot and the next one (fresh features every snapshot) and is judged on
  the whole follow-up.
* :func:`label_snapshots` - the yes/no view: did the worker leave within the horizon? Snapshots
  with less follow-up than the horizon are *censored* and left out of yes/no evaluation
  altogether (dropping only the censored stayers would bias the base rate upwards).

A quarter is three calendar months from the snapshot day: quarter k covers
(snapshot + 3(k-1) months, snapshot + 3k months].
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from workforce.contracts import LEAVE_REASON_GROUPS

#: The competing reasons, in the order the model's classes 1..3 use (0 is "stayed").
REASONS: tuple[str, ...] = tuple(LEAVE_REASON_GROUPS)
LABEL = "left_within_horizon"
MAX_QUARTERS = 80  # 20 years: longer follow-up is never needed for a 3-year forecast


def add_months(dates: pd.Series | pd.Timestamp, months: int) -> pd.Series | pd.Timestamp:
    """Calendar months later (30 Sept + 12 months = 30 Sept next year)."""
    return dates + pd.DateOffset(months=months)


def follow_up_end(history: pd.DataFrame) -> pd.Timestamp:
    """The last day outcomes are observed: the latest snapshot in the data (a census return
    records the leavers of the year up to its reference date)."""
    return pd.Timestamp(history["snapshot_date"].max())


def in_post(history: pd.DataFrame) -> pd.DataFrame:
    """Rows of workers actually in post on the snapshot day (a leave date on or before the
    snapshot means the row describes someone who had already gone)."""
    leave = history.get("leave_date")
    if leave is None:
        return history
    keep = leave.isna() | (leave > history["snapshot_date"])
    return history.loc[keep]


def reason_group(codes: pd.Series) -> pd.Series:
    """The competing reason ("voluntary", "retirement", "other") of each CSWW ReasonLeave code;
    "" where there is no code. An unknown code counts as "other"."""
    numbers = pd.to_numeric(codes, errors="coerce")
    out = pd.Series("", index=codes.index, dtype=object)
    out[numbers.notna()] = "other"
    for name, group in LEAVE_REASON_GROUPS.items():
        out[numbers.isin(list(group)).to_numpy()] = name
    return out


def reason_class(reasons: pd.Series | np.ndarray) -> np.ndarray:
    """Class numbers for reason names: 0 for "" (stayed), 1.. in :data:`REASONS` order."""
    lookup = {name: k for k, name in enumerate(REASONS, start=1)}
    return np.array([lookup.get(r, 0) for r in np.asarray(reasons, dtype=object)], dtype=int)


def quarter_of(start: pd.Series, when: pd.Series, max_quarters: int = MAX_QUARTERS) -> np.ndarray:
    """The quarter after `start` in which `when` falls (1 for the first three months);
    0 where `when` is missing or not after `start`, `max_quarters + 1` beyond the last."""
    start = pd.to_datetime(start).reset_index(drop=True)
    when = pd.to_datetime(when).reset_index(drop=True)
    out = np.zeros(len(start), dtype=int)
    pending = (when.notna() & (when > start)).to_numpy().copy()
    for k in range(1, max_quarters + 1):
        if not pending.any():
            break
        end = add_months(start, 3 * k)
        inside = pending & (when <= end).to_numpy()
        out[inside] = k
        pending &= ~inside
    out[pending] = max_quarters + 1
    return out


def whole_quarters(start: pd.Series, end: pd.Timestamp, max_quarters: int = MAX_QUARTERS) -> np.ndarray:
    """Whole quarters from each `start` up to `end` (a quarter counts once its last day is
    on or before `end`)."""
    start = pd.to_datetime(start).reset_index(drop=True)
    out = np.zeros(len(start), dtype=int)
    for k in range(1, max_quarters + 1):
        within = (add_months(start, 3 * k) <= end).to_numpy()
        if not within.any():
            break
        out[within] = k
    return out


def snapshot_outcomes(history: pd.DataFrame, *, end_date: pd.Timestamp | None = None) -> pd.DataFrame:
    """Time to event after each in-post snapshot, in quarters.

    Columns used: `snapshot_date`, `worker_id`, optional `leave_date`, `leave_reason`. Returns
    the in-post rows (same index) with:

    * `time_quarters` (int): the quarter the worker left in, or the whole quarters of follow-up
      to `end_date` (default: the latest snapshot) when they did not leave by then;
    * `event` (bool): left by `end_date` (a leave after it is not yet known: censored);
    * `reason` (str): the competing reason of the leave, "" without an event;
    * `train_quarters` (int): quarters this snapshot teaches the model - up to the next
      snapshot in the data (whose fresh features take over), never beyond the event or the
      follow-up; 0 for the last snapshot.
    """
    rows = in_post(history)
    end = pd.Timestamp(end_date) if end_date is not None else follow_up_end(history)
    snap = rows["snapshot_date"]
    follow = whole_quarters(snap, end)
    leave = rows["leave_date"] if "leave_date" in rows else pd.Series(pd.NaT, index=rows.index)
    known = (leave.notna() & (leave <= end)).to_numpy()
    left_in = quarter_of(snap, leave.where(known))
    event = known & (left_in > 0)
    time = np.where(event, left_in, follow)
    codes = rows["leave_reason"] if "leave_reason" in rows else pd.Series(np.nan, index=rows.index)
    reason = np.where(event, reason_group(codes).to_numpy(dtype=object), "")

    # Quarters to the next snapshot date in the data (whichever worker it describes).
    dates = np.sort(pd.to_datetime(history["snapshot_date"]).unique())
    nxt = pd.Series(dates, index=dates).shift(-1)
    next_snap = pd.to_datetime(snap.map(nxt)).reset_index(drop=True)
    months = (next_snap - snap.reset_index(drop=True)).dt.days / (365.25 / 12)
    window = np.where(next_snap.notna(), np.maximum(1, np.round(months.fillna(0) / 3)), 0).astype(int)
    out = rows.copy()
    out["time_quarters"] = time.astype(int)
    out["event"] = event
    out["reason"] = reason
    out["train_quarters"] = np.minimum(window, time).astype(int)
    return out


def label_snapshots(
    history: pd.DataFrame,
    *,
    horizon_months: int = 12,
    reasons: Iterable[int] | None = None,
    end_date: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Add `left_within_horizon` (bool), `reason` (the competing reason of that leave, else "")
    and `censored` (bool) to each in-post snapshot.

    Columns used: `snapshot_date`, optional `leave_date`, `leave_reason`. A snapshot is
    censored when `snapshot_date + horizon > end_date` (default: the latest snapshot). Every
    leave counts unless `reasons` (CSWW ReasonLeave codes) narrows it, e.g.
    ``LEAVE_REASON_GROUPS["voluntary"]``. A leave dated after `end_date` (a known future leave, as a census
    return records one) has not happened yet and is not counted.
    """
    out = in_post(history).copy()
    end = pd.Timestamp(end_date) if end_date is not None else follow_up_end(history)
    horizon_end = add_months(out["snapshot_date"], horizon_months)
    out["censored"] = (horizon_end > end).to_numpy()
    if "leave_date" in out:
        leave = out["leave_date"]
        codes = out.get("leave_reason", pd.Series(np.nan, index=out.index))
        counted = np.ones(len(out), dtype=bool) if reasons is None else \
            pd.to_numeric(codes, errors="coerce").isin([int(r) for r in reasons]).to_numpy()
        observed = (leave <= horizon_end) & (leave <= end)
        left = leave.notna().to_numpy() & observed.fillna(False).to_numpy()
        out[LABEL] = left & counted
        out["reason"] = np.where(out[LABEL], reason_group(codes).to_numpy(dtype=object), "")
    else:
        out[LABEL] = np.zeros(len(out), dtype=bool)
        out["reason"] = ""
    return out


def training_rows(labelled: pd.DataFrame) -> pd.DataFrame:
    """The snapshots a yes/no evaluation may use: the uncensored ones."""
    return labelled.loc[~labelled["censored"]]
