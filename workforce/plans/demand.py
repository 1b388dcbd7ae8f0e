"""Demand for the plans: each team's children and caseload points per quarter.

Today's caseload is the starting point: each child's weighted points (sibling discount as in
allocation, :func:`workforce.caseload.family_child_points`) and each child counted once, summed
by team. How it moves over the plan comes from one of two places:

* without a demand model, the referral trend assumption (`demand.referral_trend_rate`):
  quarter q carries today's caseload x (1 + trend)^(q/4);
* with the child's journey (:func:`workforce.demand.workforce_requirement`, the `demand`
  argument of :func:`workforce.plans.planner.build_plan`), each team follows its team type's
  demand relative to the model's start (quarter 0): a lever that cuts referrals lowers the
  children and points of the teams that hold them, and the plan needs fewer hires and less
  agency. Points and children are indexed separately (a cut in child protection plans changes
  points more than children).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.caseload import CaseloadRules, family_child_points
from workforce.contracts import team_types
from workforce.errors import InputError

#: Columns the plan reads from a `workforce_requirement` frame.
REQUIREMENT_COLUMNS = ("quarter", "team_type", "demand_points", "demand_children")
ALL_TYPES = "(all team types)"


def case_teams(cases: pd.DataFrame, workers: pd.DataFrame, rules: CaseloadRules) -> pd.DataFrame:
    """Each child's points and team: its own team, else its worker's team, else shared across the
    teams of its locality in proportion to their case-holding FTE.

    Returns
    -------
    DataFrame
        ``team, points, children`` (a child shared between teams counts in each in proportion).
    """
    points = family_child_points(cases, rules).to_numpy()
    team = cases["team"].astype(str).str.strip() if "team" in cases else pd.Series("", index=cases.index)
    worker_team = workers.set_index(workers["worker_id"].astype(str))["team"].astype(str)
    if "current_worker_id" in cases:
        via_worker = cases["current_worker_id"].astype(str).map(worker_team).fillna("")
        team = team.where(team != "", via_worker)
    direct = pd.DataFrame({"team": team.to_numpy(), "points": points, "children": 1.0})
    have = direct[direct["team"] != ""]
    rest = cases.loc[(team == "").to_numpy()]
    if rest.empty:
        return have.reset_index(drop=True)
    share = workers["fte"].astype(float) * workers["role"].map(lambda r: rules.role(str(r)).points_share)
    weights = pd.DataFrame({"locality": workers["locality"].astype(str), "team": workers["team"].astype(str),
                            "w": share.to_numpy()}).groupby(["locality", "team"], as_index=False)["w"].sum()
    weights["w"] = weights["w"] / weights.groupby("locality")["w"].transform("sum")
    spread = pd.DataFrame({"locality": rest["locality"].astype(str).to_numpy(),
                           "points": points[(team == "").to_numpy()], "children": 1.0})
    spread = spread.merge(weights, on="locality", how="left")
    orphan = spread["team"].isna()
    spread.loc[orphan, "team"] = spread.loc[orphan, "locality"] + " (no team)"
    w = spread["w"].fillna(1.0)
    spread["points"] = spread["points"] * w
    spread["children"] = spread["children"] * w
    return pd.concat([have, spread[["team", "points", "children"]]], ignore_index=True)


def check_requirement(demand: pd.DataFrame) -> pd.DataFrame:
    """The social-work rows of a `workforce_requirement` frame, checked.

    Raises
    ------
    InputError
        A column is missing, a value is not a number, or no quarter 0 (the start) or 1.
    """
    missing = [c for c in REQUIREMENT_COLUMNS if c not in demand.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file="demand", row=1,
                         allowed="the frame workforce.demand.workforce_requirement returns")
    frame = demand.copy()
    if "social_work" in frame:
        frame = frame[frame["social_work"].astype(bool)]
    for col in ("quarter", "demand_points", "demand_children"):
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0]) + 2
            raise InputError("is not a number", file="demand", row=row, column=col)
        frame[col] = values
    if frame.empty:
        raise InputError("has no social-work rows", file="demand")
    frame["team_type"] = frame["team_type"].astype(str)
    return frame


def demand_index(demand: pd.DataFrame, horizon: int) -> dict[str, np.ndarray]:
    """Per team type (and :data:`ALL_TYPES`), demand in each plan quarter relative to the start.

    Parameters
    ----------
    demand : DataFrame
        A `workforce_requirement` frame (quarter 0 = the start, then 1, 2, ...).
    horizon : int
        Plan quarters.

    Returns
    -------
    dict
        Team type -> array (2, horizon): row 0 points, row 1 children, each quarter's demand over
        the start's. Quarters beyond the frame's last hold its last value.
    """
    frame = check_requirement(demand)
    totals = frame.groupby(["team_type", "quarter"])[["demand_points", "demand_children"]].sum()
    whole = frame.groupby("quarter")[["demand_points", "demand_children"]].sum()
    out: dict[str, np.ndarray] = {}
    for name, series in [*((t, totals.loc[t]) for t in totals.index.get_level_values(0).unique()),
                         (ALL_TYPES, whole)]:
        series = series.sort_index()
        base = series.iloc[0].to_numpy(dtype=float)  # quarter 0 when present, else the first
        quarters = series.index.to_numpy(dtype=int)
        values = series.to_numpy(dtype=float)
        index = np.ones((2, horizon))
        for q in range(1, horizon + 1):
            at = quarters <= q
            row = values[at][-1] if at.any() else values[0]
            index[:, q - 1] = np.divide(row, base, out=np.ones(2), where=base > 0)
        out[str(name)] = index
    return out


def team_demand(cases: pd.DataFrame, workers: pd.DataFrame, rules: CaseloadRules, horizon: int,
                trend_rate: float, demand: pd.DataFrame | None = None) -> pd.DataFrame:
    """Children and caseload points per team and quarter.

    Parameters
    ----------
    cases, workers : DataFrame
        Typed frames; `workers` may carry `team_type`.
    rules : CaseloadRules
        The capacity model (case weights, sibling discount).
    horizon : int
        Plan quarters.
    trend_rate : float
        Growth of caseload per year, used when `demand` is None.
    demand : DataFrame, optional
        A `workforce_requirement` frame: each team follows its team type's index
        (:func:`demand_index`); a team whose type the frame lacks, or every team when the
        workers carry no team type, follows the whole service's.

    Returns
    -------
    DataFrame
        ``quarter, team, team_type, demand_points, demand_children``.
    """
    today = case_teams(cases, workers, rules).groupby("team")[["points", "children"]].sum()
    types = team_types(workers)
    q = np.arange(1, horizon + 1)
    index = demand_index(demand, horizon) if demand is not None else None
    growth = np.vstack([(1.0 + trend_rate) ** (q / 4.0)] * 2)
    rows = []
    for team, (pts, kids) in today.iterrows():
        kind = types.get(str(team), "")
        if index is not None:
            factor = index.get(kind, index[ALL_TYPES])
        else:
            factor = growth
        for k in range(horizon):
            rows.append((k + 1, str(team), kind, float(pts) * factor[0, k], float(kids) * factor[1, k]))
    return pd.DataFrame(rows, columns=["quarter", "team", "team_type", "demand_points", "demand_children"])
