"""Model-agnostic drivers: change one actionable feature to a reference value, re-predict, and
rank the changes by how much they lower the risk.

Each what-if is one small function returning the modified feature frame and the rows it
applies to (a what-if only ever moves a worker *towards* the reference: a worker already below
the team median caseload gets no caseload driver). Works with any fitted model that has
`predict_proba`, so the drivers mean the same thing whether logistic regression or boosted
trees won the selection.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

SUPERVISION_STANDARD_HOURS_MONTH = 1.5  # LGA Employer Standard 3: at least 1.5 h a month [S36]
MIN_POINTS = 0.5  # a driver must lower the risk by at least half a percentage point

WhatIf = Callable[[pd.DataFrame, pd.Series], tuple[pd.DataFrame, np.ndarray]]


def _team_median(features: pd.DataFrame, teams: pd.Series, column: str) -> pd.Series:
    """Median of `column` in the worker's team, falling back to the whole population."""
    by_team = features[column].groupby(teams.to_numpy()).transform("median")
    return by_team.fillna(features[column].median())


def caseload_at_team_median(features: pd.DataFrame, teams: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Weighted caseload (and children held) brought down to the team's median: the lever a
    team manager holds directly through allocation."""
    out = features.copy()
    if "caseload_ratio" in out and out["caseload_ratio"].notna().any():
        target = _team_median(out, teams, "caseload_ratio")
        applies = (out["caseload_ratio"] > target).to_numpy()
        factor = (target / out["caseload_ratio"]).where(applies, 1.0)
    elif "children_per_fte" in out and out["children_per_fte"].notna().any():
        target = _team_median(out, teams, "children_per_fte")
        applies = (out["children_per_fte"] > target).to_numpy()
        factor = (target / out["children_per_fte"]).where(applies, 1.0)
    else:
        return out, np.zeros(len(out), dtype=bool)
    factor = factor.fillna(1.0)
    for column in ("caseload_ratio", "cases_held", "children_per_fte"):
        if column in out:
            out[column] = out[column] * factor
    return out, applies


def supervision_at_standard(features: pd.DataFrame, teams: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Supervision raised to the 1.5 hours a month standard."""
    out = features.copy()
    if "supervision_hours_month" not in out:
        return out, np.zeros(len(out), dtype=bool)
    applies = (out["supervision_hours_month"] < SUPERVISION_STANDARD_HOURS_MONTH).to_numpy()
    out.loc[applies, "supervision_hours_month"] = SUPERVISION_STANDARD_HOURS_MONTH
    return out, applies


def sickness_at_median(features: pd.DataFrame, teams: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Sickness absence at the workforce median (wellbeing support, phased returns)."""
    out = features.copy()
    if "sickness_days_12m" not in out or out["sickness_days_12m"].isna().all():
        return out, np.zeros(len(out), dtype=bool)
    median = out["sickness_days_12m"].median()
    applies = (out["sickness_days_12m"] > median).to_numpy()
    out.loc[applies, "sickness_days_12m"] = median
    return out, applies


def reallocations_at_team_median(features: pd.DataFrame, teams: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Cases handed over by reallocation held to the team's median (protect from churn)."""
    out = features.copy()
    if "reallocations_12m" not in out or out["reallocations_12m"].isna().all():
        return out, np.zeros(len(out), dtype=bool)
    target = _team_median(out, teams, "reallocations_12m")
    applies = (out["reallocations_12m"] > target).to_numpy()
    out["reallocations_12m"] = out["reallocations_12m"].where(~applies, target)
    return out, applies


WHAT_IFS: dict[str, WhatIf] = {
    "caseload at the team median": caseload_at_team_median,
    "supervision at 1.5 h/month": supervision_at_standard,
    "sickness absence at the median": sickness_at_median,
    "reallocated cases at the team median": reallocations_at_team_median,
}


def predict_with_what_ifs(
    predict: Callable[[pd.DataFrame], np.ndarray], features: pd.DataFrame, teams: pd.Series
) -> tuple[np.ndarray, pd.DataFrame]:
    """(risk now, risk reduction in percentage points per what-if); NaN where a what-if does
    not apply. Every changed row is predicted in one call with the originals (one pass through
    the model instead of one per what-if)."""
    parts = [features]
    applied = []
    for label, what_if in WHAT_IFS.items():
        changed, applies = what_if(features, teams)
        applied.append((label, applies))
        parts.append(changed.loc[applies])
    p = predict(pd.concat(parts, ignore_index=True))
    base = p[: len(features)]
    offset = len(features)
    effects = {}
    for label, applies in applied:
        reduction = np.full(len(features), np.nan)
        n = int(applies.sum())
        reduction[applies] = (base[applies] - p[offset : offset + n]) * 100.0
        offset += n
        effects[label] = reduction
    return base, pd.DataFrame(effects, index=features.index)


def driver_effects(
    predict: Callable[[pd.DataFrame], np.ndarray], features: pd.DataFrame, teams: pd.Series
) -> pd.DataFrame:
    """Risk reduction in percentage points per what-if (rows = workers, columns = what-ifs);
    NaN where the what-if does not apply."""
    return predict_with_what_ifs(predict, features, teams)[1]


def top_drivers(effects: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """`driver_1..driver_top` as sentences ("caseload at the team median: risk 8 points lower"),
    largest reduction first; blank when fewer what-ifs lower the risk by >= MIN_POINTS."""
    values = effects.to_numpy(dtype=float)
    labels = np.array(effects.columns)
    filled = np.where(np.isnan(values) | (values < MIN_POINTS), -np.inf, values)
    order = np.argsort(-filled, axis=1, kind="stable")
    out = {}
    for k in range(top):
        texts = []
        for i in range(len(effects)):
            if k >= filled.shape[1]:
                texts.append("")
                continue
            j = order[i, k]
            v = filled[i, j]
            if not np.isfinite(v):
                texts.append("")
            else:
                points = int(round(v))
                texts.append(f"{labels[j]}: risk {points if points >= 1 else '<1'} point{'s' if points != 1 else ''} lower")
        out[f"driver_{k + 1}"] = texts
    return pd.DataFrame(out, index=effects.index)
