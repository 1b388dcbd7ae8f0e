"""Fairness audit: how the model treats each group of each protected characteristic.

Per group: count, observed leaving rate, mean predicted risk, ROC AUC and calibration error
(|mean predicted - observed|, i.e. calibration-in-the-large), and the risk gap (group mean
predicted - overall mean predicted). Groups with fewer than `min_group` people are suppressed
(no figures shown: small numbers can identify people). A flag is raised where a group's
calibration error or absolute risk gap exceeds its threshold.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from workforce.retention.features import PROTECTED

MIN_GROUP = 10
CALIBRATION_THRESHOLD = 0.05
GAP_THRESHOLD = 0.05
COLUMNS = [
    "characteristic",
    "group",
    "count",
    "suppressed",
    "observed_rate",
    "mean_p_leave",
    "auc",
    "calibration_error",
    "risk_gap",
    "flag",
]


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")


def audit(
    frame: pd.DataFrame,
    *,
    p_col: str = "p_leave",
    y_col: str | None = "left_within_horizon",
    characteristics: Iterable[str] = PROTECTED,
    min_group: int = MIN_GROUP,
    calibration_threshold: float = CALIBRATION_THRESHOLD,
    gap_threshold: float = GAP_THRESHOLD,
) -> pd.DataFrame:
    """One row per (characteristic, group) for each characteristic present in `frame`.

    `y_col` may be None (or absent) for scored data without outcomes: observed rate, AUC and
    calibration error are then NaN and only the risk gap can flag. Distinct people are counted
    through `worker_id` when present (a worker has several snapshots)."""
    has_y = y_col is not None and y_col in frame
    p_all = frame[p_col].astype(float)
    overall = float(p_all.mean())
    rows = []
    for characteristic in characteristics:
        if characteristic not in frame:
            continue
        values = frame[characteristic].astype(str).replace({"": "not_known", "nan": "not_known", "<NA>": "not_known"})
        for group in sorted(values.unique()):
            mask = (values == group).to_numpy()
            part = frame.loc[mask]
            people = part["worker_id"].nunique() if "worker_id" in part else len(part)
            row: dict[str, object] = {"characteristic": characteristic, "group": group}
            if people < min_group:
                row.update(count=np.nan, suppressed=True, flag="")
                rows.append(row)
                continue
            p = part[p_col].to_numpy(dtype=float)
            mean_p = float(p.mean())
            row.update(count=people, suppressed=False, mean_p_leave=mean_p, risk_gap=mean_p - overall)
            flags = []
            if has_y:
                y = part[y_col].to_numpy(dtype=float)
                row.update(observed_rate=float(y.mean()), auc=_auc(y, p), calibration_error=abs(mean_p - float(y.mean())))
                if row["calibration_error"] > calibration_threshold:
                    flags.append(f"calibration error {row['calibration_error']:.3f} > {calibration_threshold}")
            if abs(row["risk_gap"]) > gap_threshold:
                flags.append(f"risk gap {row['risk_gap']:+.3f} beyond ±{gap_threshold}")
            row["flag"] = "; ".join(flags)
            rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["count"] = table["count"].astype("Int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    return table


def summary(table: pd.DataFrame) -> dict[str, object]:
    """Short JSON-able summary for the model card."""
    shown = table.loc[~table["suppressed"].astype(bool)] if len(table) else table
    return {
        "characteristics": sorted(table["characteristic"].unique().tolist()) if len(table) else [],
        "groups_shown": int(len(shown)),
        "groups_suppressed": int(table["suppressed"].astype(bool).sum()) if len(table) else 0,
        "flags": [
            f"{r.characteristic}={r.group}: {r.flag}" for r in shown.itertuples() if isinstance(r.flag, str) and r.flag
        ],
        "max_calibration_error": float(shown["calibration_error"].max()) if len(shown) and shown["calibration_error"].notna().any() else None,
        "max_abs_risk_gap": float(shown["risk_gap"].abs().max()) if len(shown) else None,
    }
