"""Churn labels from `hr_history`: did the worker leave, for a counted reason, within the horizon?

A snapshot is labelled from the worker's `leave_date` and `leave_reason` (never given as a
column). Snapshots whose follow-up is shorter than the horizon are *censored*: we cannot know
their outcome yet, so they are left out of training and evaluation altogether (dropping only
the censored stayers would bias the base rate upwards).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

# DfE CSWW ReasonLeave codes counted as "leaving" by default: resignation (1), retired (5) and
# moved to a non-children's social work role in the LA (7). Deaths (6) and dismissals (4) are
# not retention outcomes a manager can act on; redundancies (2, 3), other (8), not known (9)
# and not yet collected (10) are left out too unless the user asks for them.
DEFAULT_LEAVE_REASONS: tuple[int, ...] = (1, 5, 7)
LABEL = "left_within_horizon"


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


def label_snapshots(
    history: pd.DataFrame,
    *,
    horizon_months: int = 12,
    reasons: Iterable[int] = DEFAULT_LEAVE_REASONS,
    end_date: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Add `left_within_horizon` (bool) and `censored` (bool) to each in-post snapshot.

    Columns used: `snapshot_date`, optional `leave_date`, `leave_reason`. A snapshot is
    censored when `snapshot_date + horizon > end_date` (default: the latest snapshot). A leave
    for a reason outside `reasons` (e.g. death) counts as not leaving: the worker did not
    resign, retire or move. A leave dated after `end_date` (a known future leave, as a census
    return records one) has not happened yet and is not counted.
    """
    out = in_post(history).copy()
    end = pd.Timestamp(end_date) if end_date is not None else follow_up_end(history)
    horizon_end = add_months(out["snapshot_date"], horizon_months)
    out["censored"] = (horizon_end > end).to_numpy()
    if "leave_date" in out:
        leave = out["leave_date"]
        reason = pd.to_numeric(out.get("leave_reason"), errors="coerce")
        counted = reason.isin([int(r) for r in reasons]).to_numpy()
        observed = (leave <= horizon_end) & (leave <= end)
        left = leave.notna().to_numpy() & observed.fillna(False).to_numpy()
        out[LABEL] = left & counted
    else:
        out[LABEL] = np.zeros(len(out), dtype=bool)
    return out


def training_rows(labelled: pd.DataFrame) -> pd.DataFrame:
    """The snapshots a model may learn from or be evaluated on: the uncensored ones."""
    return labelled.loc[~labelled["censored"]]
