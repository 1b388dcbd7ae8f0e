"""Shared helpers for the retention tests' simulated histories."""

from __future__ import annotations

import pandas as pd


def history_frame(rows: list[dict], leave: dict[str, tuple[pd.Timestamp, int]]) -> pd.DataFrame:
    """Snapshot rows plus each leaver's (leave_date, leave_reason) on every row of that worker,
    typed like `load_hr_history` output."""
    h = pd.DataFrame(rows)
    h["leave_date"] = pd.to_datetime(h["worker_id"].map(lambda i: leave.get(i, (pd.NaT, None))[0])).astype("datetime64[ns]")
    h["leave_reason"] = pd.array(h["worker_id"].map(lambda i: leave.get(i, (None, None))[1]), dtype="Int64")
    for c in ("snapshot_date", "start_date"):
        h[c] = h[c].astype("datetime64[ns]")
    return h
