"""Building the allocation problem: decision units, eligible pairs, their costs and the limits.

`build_problem` turns typed `workers` and `cases` frames into the `Problem` every later stage
reads (no solving): the decision units (sibling groups, `families.py`) and the children whose
worker is fixed; each unit's candidates and the first hard rule each fails (`rules.py`); the
eligible pairs with their points, children and cost by pair term, and the units' cost by unit
term (`objective.py`); the points and children limits per worker.
"""

from __future__ import annotations

import pandas as pd

from workforce.allocation import objective as O
from workforce.allocation import rules as R
from workforce.allocation.config import AllocationConfig
from workforce.allocation.families import Units, build_units, existing_issues, prepare_cases, prepare_workers
from workforce.allocation.problem import Problem, check_mode
from workforce.errors import InputError


def worker_loads(cases: pd.DataFrame, worker_col: pd.Series, workers: pd.DataFrame,
                 config: AllocationConfig) -> tuple[pd.Series, pd.Series]:
    """Points and children per worker (every worker) when each child is with the worker in
    ``worker_col`` ("" = none)."""
    held = worker_col != ""
    pts = R.child_points_at(cases[held], worker_col[held], workers, config)
    points = pts.groupby(worker_col[held]).sum().reindex(workers.index).fillna(0.0)
    children = worker_col[held].value_counts().reindex(workers.index).fillna(0).astype(int)
    return points, children


def build_problem(workers: pd.DataFrame, cases: pd.DataFrame, *, mode: str = "rebalance",
                  leavers: tuple[str, ...] | list[str] = (), risk: pd.DataFrame | None = None,
                  config: AllocationConfig | None = None) -> Problem:
    """Prepare the allocation model's data (no solving).

    Parameters
    ----------
    workers, cases : DataFrame
        Typed frames per the data contracts (`contracts.load_workers`, `load_cases`).
    mode : {"new", "rebalance", "leaver"}
    leavers : sequence of str
        Worker IDs who are leaving (leaver mode only).
    risk : DataFrame or None
        ``worker_id, p_leave``.
    config : AllocationConfig or None

    Returns
    -------
    Problem

    Raises
    ------
    InputError
        For an unknown mode, leavers outside leaver mode (or none in it), an unknown leaver or
        current worker, a duplicated worker_id or case_id, or a bad p_leave.
    """
    config = config or AllocationConfig()
    leavers = tuple(dict.fromkeys(str(x).strip() for x in leavers))
    check_mode(mode)
    if mode == "leaver" and not leavers:
        raise InputError("leaver mode needs at least one --leaver worker ID", column="leaver")
    if mode != "leaver" and leavers:
        raise InputError(f"leavers were named but the mode is '{mode}'", column="mode", allowed="leaver")
    w = prepare_workers(workers, config.rules, leavers=leavers, risk=risk)
    if w.index.duplicated().any():
        raise InputError(f"worker_id '{w.index[w.index.duplicated()][0]}' appears twice", column="worker_id")
    c = prepare_cases(cases, config.rules)
    if c["case_id"].duplicated().any():
        raise InputError(f"case_id '{c['case_id'][c['case_id'].duplicated()].iloc[0]}' appears twice", column="case_id")
    built: Units = build_units(c, w, mode, repeat_threshold=config.continuity_repeat_threshold)
    c, units = built.cases, built.units

    before_points, before_children = worker_loads(c, c["current_worker_id"], w, config)
    fixed_points, fixed_children = worker_loads(c, c["fixed_worker"], w, config)
    issues = pd.concat([built.issues, existing_issues(c, w, before_points, before_children)], ignore_index=True)

    cand = R.same_team_or_locality(units, w)
    cand["failed_rule"] = R.first_failed_rule(cand)
    elig = cand[cand["failed_rule"] == ""].copy()
    elig["points"] = R.pair_points(elig, config)
    elig["children"] = elig["n_children"].astype(int)
    elig = pd.concat([elig, O.pair_costs(elig, config)], axis=1)
    elig["handoffs"] = R.handoff_children(elig)
    unit_costs = O.unit_costs(units, c, config)
    units = pd.concat([units, unit_costs], axis=1)

    p_limit = R.points_limit(w, before_points, mode)
    c_limit = R.children_limit(w, before_children, mode)
    room_pts = (p_limit - fixed_points).reindex(elig["worker_id"]).to_numpy()
    room_kids = (c_limit - fixed_children).reindex(elig["worker_id"]).to_numpy()
    fits = (elig["points"].to_numpy() <= room_pts + 1e-9) & (elig["children"].to_numpy() <= room_kids + 1e-9)
    pairs = elig[fits].reset_index(drop=True)

    current_unit_worker = pd.Series(
        [next(iter(cur)) if len(cur) == 1 else "" for cur in units["current"]], index=units.index, dtype=object)
    return Problem(mode=mode, config=config, workers=w, cases=c, units=units, candidates=cand,
                   pairs=pairs, eligible=elig.reset_index(drop=True), fixed_points=fixed_points,
                   fixed_children=fixed_children, before_points=before_points, before_children=before_children,
                   points_limit=p_limit, children_limit=c_limit,
                   unallocated_cost=unit_costs.sum(axis=1).rename("unallocated_cost"), issues=issues,
                   current_unit_worker=current_unit_worker)
