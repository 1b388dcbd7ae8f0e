"""Fairness audit: how the model treats each group of each protected characteristic.

Two checks, one table (column `check`):

* `prediction` (:func:`audit`): per group, count, observed leaving rate, mean predicted risk,
  ROC AUC and calibration error (|mean predicted - observed|, i.e. calibration-in-the-large),
  and the risk gap (group mean predicted - overall mean predicted);
* `lever: <name>` (:func:`lever_audit`): whether the drivers offered as levers differ by group
  *for the same risk*: each group's share offered the lever against the share expected from the
  offer rates of people in the same flight-risk fifth (indirect standardisation).

Statistical disclosure control: a group with fewer than `min_group` people (:data:`MIN_GROUP`)
never has a row of its own and is not named. Its people are counted in one pooled row (`pooled_groups`),
joined to the smallest group shown when the pool itself is small, so the rows shown hold everyone:
no small group's figure can be worked out by subtracting the rows shown from the overall figure
(the register gives that). A small group is not listed even as "suppressed": with the groups of
the pool named, the pool's count bounds theirs (ten groups named and a pool of ten: one person
each; a group shown of 10 or more joined by one named group, 11 in all: exactly 10 and 1). A
lever offered to very few people of a group is not audited for that characteristic
(`few_offered_suppression`). A flag is raised where a figure exceeds its threshold.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from workforce.errors import InputError
from workforce.retention.disclosure import MIN_GROUP, MIN_OFFERED
from workforce.retention.features import PROTECTED

CALIBRATION_THRESHOLD = 0.05
GAP_THRESHOLD = 0.05
LEVER_GAP_THRESHOLD = 0.10  # [DEFAULT] 10 points more or less often offered than risk explains
RISK_STRATA = 5
COLUMNS = [
    "check",
    "characteristic",
    "group",
    "count",
    "suppressed",
    "observed_rate",
    "mean_p_leave",
    "auc",
    "calibration_error",
    "risk_gap",
    "offered_rate",
    "expected_offered_rate",
    "lever_gap",
    "flag",
]


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")


def _groups(frame: pd.DataFrame, characteristic: str) -> pd.Series:
    return frame[characteristic].astype(str).replace({"": "not_known", "nan": "not_known", "<NA>": "not_known"})


def _people(part: pd.DataFrame) -> int:
    return int(part["worker_id"].nunique()) if "worker_id" in part else len(part)


#: How the groups too small to show are named once pooled, and a shown group they join.
POOLED = "groups under {n} (combined)"
JOINED = "{group}, with groups under {n}"


def pooled_groups(sizes: dict[str, int], min_group: int = MIN_GROUP) -> dict[str, str]:
    """Which row each group's people are counted in, so that no group under `min_group` can be
    worked out by subtracting the rows shown from the overall figure (the register gives that):
    the small groups are pooled into one row; if the pool is itself under `min_group` it joins
    the smallest group shown. Returns group -> row label (a group shown alone keeps its name)."""
    small = sorted(g for g, n in sizes.items() if n < min_group)
    large = sorted((g for g, n in sizes.items() if n >= min_group), key=lambda g: (sizes[g], g))
    rows = {g: g for g in large}
    if not small:
        return rows
    pool = POOLED.format(n=min_group)
    if sum(sizes[g] for g in small) < min_group and large:
        pool = JOINED.format(group=large[0], n=min_group)
        rows[large[0]] = pool
    rows.update({g: pool for g in small})
    return rows


def _group_masks(frame: pd.DataFrame, characteristics: Iterable[str], min_group: int = MIN_GROUP):
    """(characteristic, group, row mask, people) for each row of each characteristic present:
    groups of at least `min_group` people alone, the smaller ones pooled (`pooled_groups`) and
    never yielded alone, named or not (module docstring: named, their count could be bounded from
    the pool's)."""
    for characteristic in characteristics:
        if characteristic not in frame:
            continue
        values = _groups(frame, characteristic)
        sizes = {g: _people(frame.loc[(values == g).to_numpy()]) for g in sorted(values.unique())}
        rows = pooled_groups(sizes, min_group)
        labels = values.map(rows)
        for row in sorted(set(rows.values()), key=lambda r: (r not in sizes, r)):
            mask = (labels == row).to_numpy()
            yield characteristic, row, mask, _people(frame.loc[mask])


def _finish(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["count"] = table["count"].astype("Int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    return table


def check_thresholds(calibration_threshold: float, gap_threshold: float) -> None:
    """Refuse a threshold that is not a share above 0 and below 1: both are differences of two
    chances of leaving, and `nan` would flag no group and a negative one every group, each
    without a word (`churn audit --calibration-threshold/--gap-threshold`).

    Raises
    ------
    InputError
        Naming the option.
    """
    for option, value in (("--calibration-threshold", calibration_threshold), ("--gap-threshold", gap_threshold)):
        if not (np.isfinite(value) and 0 < value < 1):
            raise InputError(f"must be a difference of chances above 0 and below 1 (0.05 = 5 percentage points), "
                             f"got {value:g}", column=option)


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
    check_thresholds(calibration_threshold, gap_threshold)
    has_y = y_col is not None and y_col in frame
    p_all = frame[p_col].astype(float)
    overall = float(p_all.mean())
    rows = []
    for characteristic, group, mask, people in _group_masks(frame, characteristics, min_group):
        part = frame.loc[mask]
        row: dict[str, object] = {"check": "prediction", "characteristic": characteristic, "group": group}
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
                under = mean_p < row["observed_rate"]
                flags.append(f"calibration error {row['calibration_error']:.3f} > {calibration_threshold}: the model "
                             f"{'under' if under else 'over'}-predicts leaving for this group ({mean_p:.0%} predicted, "
                             f"{row['observed_rate']:.0%} left); check what it cannot see about them before acting on "
                             "their chances")
        if abs(row["risk_gap"]) > gap_threshold:
            flags.append(f"risk gap {row['risk_gap']:+.3f} beyond ±{gap_threshold}: the group's predicted chance is "
                         f"{'above' if row['risk_gap'] > 0 else 'below'} the workforce's; review whether its working "
                         "conditions (caseload, supervision, team) explain it")
        row["flag"] = "; ".join(flags)
        rows.append(row)
    return _finish(rows)


def risk_strata(p: np.ndarray, strata: int = RISK_STRATA) -> np.ndarray:
    """Fifths (by default) of predicted risk; fewer when many people share a value."""
    ranks = pd.Series(np.asarray(p, dtype=float)).rank(method="first")
    return pd.qcut(ranks, q=min(strata, max(1, len(ranks))), labels=False, duplicates="drop").to_numpy()


def lever_audit(
    frame: pd.DataFrame,
    offered: pd.DataFrame,
    *,
    p_col: str = "p_voluntary",
    characteristics: Iterable[str] = PROTECTED,
    min_group: int = MIN_GROUP,
    gap_threshold: float = LEVER_GAP_THRESHOLD,
    strata: int = RISK_STRATA,
) -> pd.DataFrame:
    """Do the levers offered differ by protected group for the same risk?

    Parameters
    ----------
    frame : DataFrame
        One row per person (or snapshot) with `p_col` (the flight risk the levers act on), the
        protected columns and optionally `worker_id` (people are counted, not rows).
    offered : DataFrame of bool
        Aligned to `frame`: one column per lever, True where it is offered.

    Returns
    -------
    DataFrame
        One row per (lever, characteristic, group) with `check` = "lever: <name>",
        `offered_rate`, `expected_offered_rate` (what the group's risk mix predicts) and
        `lever_gap` (their difference); flagged beyond `gap_threshold`; small groups suppressed.
    """
    stratum = risk_strata(frame[p_col].to_numpy(dtype=float), strata)
    rows = []
    for lever in offered.columns:
        got = offered[lever].to_numpy(dtype=float)
        by_stratum = pd.Series(got).groupby(stratum).mean()
        expected = by_stratum.reindex(stratum).to_numpy()
        lever_rows = []
        for characteristic, group, mask, people in _group_masks(frame, characteristics, min_group):
            row: dict[str, object] = {"check": f"lever: {lever}", "characteristic": characteristic, "group": group}
            if people < min_group:
                row.update(count=np.nan, suppressed=True, flag="")
                lever_rows.append(row)
                continue
            rate, exp = float(got[mask].mean()), float(expected[mask].mean())
            row.update(count=people, suppressed=False, offered_rate=rate, expected_offered_rate=exp, lever_gap=rate - exp,
                       _offered=_people(frame.loc[mask & (got > 0)]))
            row["flag"] = lever_gap_flag(rate, exp, gap_threshold)
            lever_rows.append(row)
        rows += few_offered_suppression(lever_rows)
    return _finish(rows)


def lever_gap_flag(rate: float, expected: float, threshold: float = LEVER_GAP_THRESHOLD) -> str:
    """The flag of a group offered a lever (or given a decision, :mod:`workforce.audit`) more or
    less often than its flight risk explains (blank within `threshold`).

    Said in the shares an HR business partner can check against the register ("offered to 33%
    of the group against 22% expected"), in percentage points as the threshold is set: a bare
    "+0.12 beyond ±0.1" did not say of what, nor what to do.

    Parameters
    ----------
    rate : float
        Share of the group offered the lever.
    expected : float
        Share expected from the group's flight risk (the offer rates of people at the same risk).
    threshold : float
        Largest gap left unflagged, as a fraction.

    Returns
    -------
    str
        The flag, or "" when the gap is within the threshold.
    """
    gap = rate - expected
    if abs(gap) <= threshold:
        return ""
    return (f"offered to {rate:.0%} of the group against {expected:.0%} expected for the same flight risk "
            f"({gap * 100:+.1f} percentage points, beyond ±{threshold * 100:.0f}): check why the group is offered it "
            f"{'more' if gap > 0 else 'less'} often than its risk explains")




def few_offered_suppression(rows: list[dict], minimum: int = MIN_OFFERED) -> list[dict]:
    """Rows of one lever: every group of a characteristic suppressed where some group shown was
    offered the lever by between 1 and `minimum` - 1 people."""
    out = []
    for characteristic in dict.fromkeys(r["characteristic"] for r in rows):
        mine = [r for r in rows if r["characteristic"] == characteristic]
        few = any(0 < int(r.get("_offered", 0)) < minimum for r in mine)
        for r in mine:
            keep = {k: r[k] for k in ("check", "characteristic", "group")}
            out.append({**keep, "count": np.nan, "suppressed": True, "flag": ""} if few else r)
    return out


def summary(table: pd.DataFrame) -> dict[str, object]:
    """Short JSON-able summary for the model card (rows counted on the prediction check).

    `rows_suppressed` counts rows shown without figures (a pool of small groups still under
    the threshold with no group to join), not the small groups: their number, with the pool's
    count, would bound each one's size."""
    if not len(table):
        return {"characteristics": [], "groups_shown": 0, "rows_suppressed": 0, "flags": [],
                "max_calibration_error": None, "max_abs_risk_gap": None, "max_abs_lever_gap": None}
    check = table["check"] if "check" in table else pd.Series("prediction", index=table.index)
    shown = table.loc[~table["suppressed"].astype(bool)]
    prediction = table.loc[check == "prediction"]
    shown_prediction = shown.loc[check.loc[shown.index] == "prediction"]
    levers = shown.loc[check.loc[shown.index] != "prediction"]
    return {
        "characteristics": sorted(table["characteristic"].unique().tolist()),
        "groups_shown": int(len(shown_prediction)),
        "rows_suppressed": int(prediction["suppressed"].astype(bool).sum()),
        "flags": [
            (f"{r.characteristic}={r.group}" + ("" if getattr(r, "check", "prediction") == "prediction" else f" ({r.check})")
             + f": {r.flag}")
            for r in shown.itertuples() if isinstance(r.flag, str) and r.flag
        ],
        "max_calibration_error": float(shown_prediction["calibration_error"].max())
        if len(shown_prediction) and shown_prediction["calibration_error"].notna().any() else None,
        "max_abs_risk_gap": float(shown_prediction["risk_gap"].abs().max()) if len(shown_prediction) else None,
        "max_abs_lever_gap": float(levers["lever_gap"].abs().max()) if len(levers) and levers["lever_gap"].notna().any() else None,
    }
