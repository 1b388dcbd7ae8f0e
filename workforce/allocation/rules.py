"""One function per hard rule and per objective term of the social-care allocation model.

Hard eligibility rules take the *candidate* frame (one row per unit x worker in the unit's
team or locality; unit columns and worker columns side by side) and return a boolean Series:
True where the worker may hold the unit. `HARD_RULES` lists them with the words an
explanation uses when a rule rules a worker out.

Objective terms come in two forms that must agree: a per-pair cost (linear terms), or an
evaluation on worker loads plus a builder that adds the same term to a PuLP model
(load balance, highest utilisation). `evaluate_objective` in `model.py` sums the same
functions, so the optimiser and the baseline are judged by one cost function.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from workforce.allocation.config import AllocationConfig

# ----------------------------------------------------------------------------- hard rules


def same_team_or_locality(units: pd.DataFrame, workers: pd.DataFrame) -> pd.DataFrame:
    """Candidates: a unit's workers come from the team its children name or, when no child
    names a team, from a locality one of its children lives in. Work stays inside teams, which
    is why the problem splits into team problems.

    Returns the candidate frame: `unit, worker_id, scope` plus unit and worker columns.
    """
    if not len(units):
        return _empty_candidates(units, workers)
    u = units.reset_index()
    by_team = u[u["teams"].map(len) > 0][["unit", "teams"]].explode("teams").rename(columns={"teams": "team"})
    by_loc = u[u["teams"].map(len) == 0][["unit", "localities"]].copy()
    by_loc["locality"] = by_loc["localities"].map(lambda d: sorted(d))
    by_loc = by_loc.explode("locality")[["unit", "locality"]]
    w = workers.reset_index()
    a = by_team.merge(w[["worker_id", "team"]], on="team", how="inner").assign(scope="team")
    b = by_loc.merge(w[["worker_id", "locality"]], on="locality", how="inner").assign(scope="locality")
    cand = pd.concat([a[["unit", "worker_id", "scope"]], b[["unit", "worker_id", "scope"]]], ignore_index=True)
    cand = cand.drop_duplicates(["unit", "worker_id"]).sort_values(["unit", "worker_id"], kind="stable")
    cand = cand.merge(units, left_on="unit", right_index=True, how="left")
    cand = cand.merge(workers, left_on="worker_id", right_index=True, how="left", suffixes=("", "_w"))
    return cand.reset_index(drop=True)


def _empty_candidates(units: pd.DataFrame, workers: pd.DataFrame) -> pd.DataFrame:
    cols = ["unit", "worker_id", "scope", *units.columns, *[c for c in workers.columns if c not in units.columns]]
    return pd.DataFrame(columns=cols)


def worker_available(cand: pd.DataFrame) -> pd.Series:
    """A worker on long leave (not available) takes no new work."""
    return cand["available"].astype(bool)


def not_team_manager(cand: pd.DataFrame) -> pd.Series:
    """Team managers supervise and decide; they hold no cases."""
    return cand["role"] != "team_manager"


def not_leaving(cand: pd.DataFrame) -> pd.Series:
    """A named leaver takes nothing: their families are the ones that must move."""
    return ~cand["leaving"].astype(bool)


def has_required_skills(cand: pd.DataFrame) -> pd.Series:
    """The worker has every skill the family's children require (e.g. court, disability)."""
    return pd.Series([r <= s for r, s in zip(cand["required"], cand["skill_set"])], index=cand.index, dtype=bool)


def asye_no_sole_cp_or_court(cand: pd.DataFrame) -> pd.Series:
    """An ASYE (newly qualified) never holds a child protection or court case alone [S29]."""
    return ~(cand["asye"].astype(bool) & cand["cp_or_court"].astype(bool))


def not_excluded(cand: pd.DataFrame) -> pd.Series:
    """A worker named in a child's excluded_workers (conflict of interest, complaint) is out."""
    return pd.Series([w not in ex for w, ex in zip(cand["worker_id"], cand["excluded"])], index=cand.index, dtype=bool)


def joins_siblings(cand: pd.DataFrame) -> pd.Series:
    """Siblings share one worker: if some of the family stay with a worker (pinned, or already
    allocated in `new` mode) the rest may only go to that worker."""
    return pd.Series([r is None or (isinstance(r, frozenset) and w in r)
                      for w, r in zip(cand["worker_id"], cand["restrict_to"])], index=cand.index, dtype=bool)


HARD_RULES: list[tuple[str, Callable[[pd.DataFrame], pd.Series], str]] = [
    ("worker_available", worker_available, "is not available (long leave)"),
    ("not_team_manager", not_team_manager, "is a team manager (holds no cases)"),
    ("not_leaving", not_leaving, "is leaving"),
    ("not_excluded", not_excluded, "is excluded from this child's case"),
    ("asye_no_sole_cp_or_court", asye_no_sole_cp_or_court, "is an ASYE and may not hold a CP or court case alone"),
    ("has_required_skills", has_required_skills, "lacks a required skill"),
    ("joins_siblings", joins_siblings, "does not hold this child's siblings"),
]


def first_failed_rule(cand: pd.DataFrame) -> pd.Series:
    """For each candidate, the first hard rule it fails ("" when eligible)."""
    out = pd.Series("", index=cand.index, dtype=object)
    for name, rule, _ in HARD_RULES:
        if not len(cand):
            break
        failed = ~rule(cand).to_numpy(dtype=bool) & (out.to_numpy() == "")
        out[failed] = name
    return out


def rule_reason(name: str) -> str:
    return {n: text for n, _, text in HARD_RULES}.get(name, name)


# ------------------------------------------------------------------- capacity constraints


def points_limit(workers: pd.DataFrame, before_points: pd.Series, mode: str) -> pd.Series:
    """Hard limit on weighted points per worker: the capacity (points per FTE x fte minus
    reserved points, ASYE 90%). When families may move (`rebalance`, `leaver`) a worker
    already above capacity may keep what they hold but never gets more: taking a child from
    their worker only to leave them unallocated is worse for the child. In `new` mode existing
    work is fixed and the limit is the capacity (capacity left may be negative: no new work)."""
    cap = workers["capacity"].astype(float)
    if mode == "new":
        return cap
    held = before_points.reindex(workers.index).fillna(0.0)
    return np.maximum(cap, held.where(workers["available"] & ~workers["leaving"], 0.0))


def children_limit(workers: pd.DataFrame, before_children: pd.Series, mode: str) -> pd.Series:
    """Hard cap on children per worker (hard 20 x fte, ASYE 12, team manager 0), with the same
    keep-what-you-hold allowance as `points_limit` when families may move."""
    cap = workers["max_children"].astype(float)
    if mode == "new":
        return cap
    held = before_children.reindex(workers.index).fillna(0).astype(float)
    return np.maximum(cap, held.where(workers["available"] & ~workers["leaving"], 0.0))


# --------------------------------------------------------------------- per-pair objective terms


def travel_children(cand: pd.DataFrame) -> pd.Series:
    """Children of the unit who live outside the worker's locality."""
    return pd.Series([n - locs.get(loc, 0) for n, locs, loc in zip(cand["n_children"], cand["localities"], cand["locality"])],
                     index=cand.index, dtype=float)


def pair_points(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Weighted load of the unit on this worker: its children's points (sibling discount
    applied) plus a travel point per child outside the worker's locality."""
    return cand["base_points"].astype(float) + config.rules.travel_points * travel_children(cand)


def continuity_cost(cand: pd.DataFrame, config: AllocationConfig, workers_12m: dict[str, dict[str, int]]) -> pd.Series:
    """Cost of changing a child's social worker: `continuity_cost` per child moved from a
    current worker, plus `continuity_repeat_cost` when the child already had
    `continuity_repeat_threshold` or more workers in 12 months (changes of worker harm children
    and are a mark of inadequate services [S40, S68]). `workers_12m` maps unit -> current
    worker -> number of that worker's children in the unit with a repeat history."""
    base, extra = config.continuity_cost, config.continuity_repeat_cost
    out = []
    for unit, wid, current in zip(cand["unit"], cand["worker_id"], cand["current"]):
        moved = sum(n for cw, n in current.items() if cw != wid)
        repeat = sum(n for cw, n in workers_12m.get(unit, {}).items() if cw != wid)
        out.append(base * moved + extra * repeat)
    return pd.Series(out, index=cand.index, dtype=float)


def travel_cost(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Cost per child outside the worker's locality: travel takes time from direct work [S31]."""
    return config.travel_cost * travel_children(cand)


def risk_cost(cand: pd.DataFrame, points: pd.Series, config: AllocationConfig) -> pd.Series:
    """Risk-aware load: points given to a worker likely to leave are points likely to be
    handed over again; cost `risk_cost` x p_leave per point (zero without risk scores)."""
    return config.risk_cost * cand["p_leave"].astype(float) * points


def unallocated_cost(units: pd.DataFrame, cases: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Cost of leaving a unit unallocated: the sum over its children of the priority cost
    (priority 1, CP and court, highest). Far above any other cost so the model allocates
    whenever a rule allows."""
    if not len(units):
        return pd.Series(dtype=float)
    per_child = cases["priority"].map(config.unallocated_cost_for).astype(float)
    by_unit = per_child.groupby(cases["unit"]).sum()
    return by_unit.reindex(units.index).fillna(0.0).rename("unallocated_cost")


# ------------------------------------------------------------------ worker-level objective terms


def load_balance_cost(points: np.ndarray, capacity: np.ndarray, children: np.ndarray, soft_children: np.ndarray,
                      config: AllocationConfig) -> np.ndarray:
    """Per worker: points above each share of capacity cost that breakpoint's rate (the
    rates add up: piecewise increasing), plus `soft_children_cost` per child above the soft
    headcount cap (16 x fte, ASYE 12). High caseloads drive stress and leaving [S41, S42]."""
    points, capacity = np.asarray(points, float), np.asarray(capacity, float)
    cost = np.zeros(len(points))
    has_cap = capacity > 0
    for share, rate in config.load_breakpoints:
        cost += rate * np.where(has_cap, np.maximum(0.0, points - share * capacity), 0.0)
    cost += config.soft_children_cost * np.maximum(0.0, np.asarray(children, float) - np.asarray(soft_children, float))
    return cost


def highest_utilisation_cost(points: np.ndarray, capacity: np.ndarray, teams: np.ndarray,
                             config: AllocationConfig) -> float:
    """The most loaded worker (points / capacity) of each team, or of the whole service with
    scope "service": one overloaded worker is a risk a sum of small penalties can hide.
    Workers without capacity are not counted."""
    points, capacity = np.asarray(points, float), np.asarray(capacity, float)
    has_cap = capacity > 0
    if not has_cap.any() or config.highest_utilisation_cost == 0:
        return 0.0
    util = pd.Series(points[has_cap] / capacity[has_cap])
    if config.highest_utilisation_scope == "service":
        return config.highest_utilisation_cost * float(util.max())
    return config.highest_utilisation_cost * float(util.groupby(np.asarray(teams)[has_cap]).max().sum())


def add_load_balance(model, worker_ids: list[str], load_exprs: dict, child_exprs: dict, capacity: pd.Series,
                     soft_children: pd.Series, config: AllocationConfig):
    """Add the load-balance term to a PuLP model: one excess variable per worker and
    breakpoint (e >= load - share x capacity, e >= 0) and one per worker above the soft
    headcount cap. Returns the term expression (also added to the objective)."""
    import pulp

    terms = []
    cons = []
    with_cap = [wid for wid in worker_ids if float(capacity[wid]) > 0]
    for k, (share, rate) in enumerate(config.load_breakpoints):
        if rate <= 0 or not with_cap:
            continue
        excess = model.add_variables(f"over{k}", with_cap, low=0.0)
        for wid, e in excess.items():
            cons.append(e >= load_exprs[wid] - share * float(capacity[wid]))
            terms.append((e, rate))
    if config.soft_children_cost > 0 and worker_ids:
        for wid, s in model.add_variables("softkids", worker_ids, low=0.0).items():
            cons.append(s >= child_exprs[wid] - float(soft_children[wid]))
            terms.append((s, config.soft_children_cost))
    model.add_constraints("load_balance_rows", cons)
    expr = pulp.LpAffineExpression(terms)
    model.add_term("load_balance", expr)
    return expr


def add_highest_utilisation(model, worker_ids: list[str], load_exprs: dict, capacity: pd.Series, teams: pd.Series,
                            floor: dict[str, float], config: AllocationConfig):
    """Add the highest-utilisation term: one variable U per team (or one for the service),
    U >= load_w / capacity_w for each of its workers with capacity, U >= `floor[group]` (the
    constant utilisation of the group's workers outside the model)."""
    import pulp

    if config.highest_utilisation_cost <= 0:
        return None
    service = config.highest_utilisation_scope == "service"
    groups = sorted({"service" if service else teams[w] for w in worker_ids if float(capacity[w]) > 0})
    if not groups:
        return None
    u = model.add_variables("top_util", groups, low=0.0).to_dict()
    floors = [u[g] >= floor[g] for g in groups if floor.get(g, 0.0) > 0]
    cons = [u["service" if service else teams[w]] * float(capacity[w]) >= load_exprs[w]
            for w in worker_ids if float(capacity[w]) > 0]
    model.add_constraints("highest_utilisation_rows", cons + floors)
    expr = pulp.LpAffineExpression([(v, config.highest_utilisation_cost) for v in u.values()])
    model.add_term("highest_utilisation", expr)
    return expr


# --------------------------------------------- guards: never worse than the manager's baseline
#
# A service manager will not accept an optimised allocation that moves more children, leaves
# more children without a worker or loads a team's busiest worker more than doing it by hand
# would. Each guard below caps one of these at the value the manager's baseline (`baseline.py`)
# reaches. The baseline satisfies every guard by construction, so the model stays feasible and
# the baseline stays a valid warm start. The handoff and unallocated guards are budgets per
# independent block (the baseline's own count in that block): the blocks stay independent, and
# the totals are no worse than the baseline's. `[guards]` in the settings turns each off.


def handoff_children(cand: pd.DataFrame) -> pd.Series:
    """Children of the unit who would change worker (move from a current worker) if the unit
    went to this worker: the count the summary reports as handoffs."""
    return pd.Series([sum(n for cw, n in current.items() if cw != wid)
                      for wid, current in zip(cand["worker_id"], cand["current"])], index=cand.index, dtype=float)


def handoff_guard(handoffs: np.ndarray, chosen: np.ndarray, budget: float) -> bool:
    """No more children change worker than in the manager's baseline (a move is a new
    relationship for the child [S40]; a manager will not accept more moves than doing it by
    hand). `handoffs` per pair, `chosen` the pairs taken (0/1); True when within `budget`."""
    return float(np.dot(handoffs, chosen)) <= budget + 1e-9


def add_handoff_guard(model, x: np.ndarray, handoffs: np.ndarray, budget: float) -> None:
    """Add `handoff_guard` to a block's model: sum of handoffs over chosen pairs <= budget."""
    import pulp

    nz = handoffs != 0
    if not nz.any():
        return
    expr = pulp.LpAffineExpression(list(zip(x[nz], handoffs[nz].tolist())))
    model.add_constraints("guard_handoffs", [expr <= float(budget)])


def unallocated_guard(children: np.ndarray, unallocated: np.ndarray, budget: float) -> bool:
    """No more children are left without a worker than in the manager's baseline. `children`
    per unit, `unallocated` 0/1 per unit; True when within `budget`."""
    return float(np.dot(children, unallocated)) <= budget + 1e-9


def add_unallocated_guard(model, unassigned: pd.Series, children: pd.Series, budget: float) -> None:
    """Add `unallocated_guard` to a block's model: children of the units left unassigned <= budget."""
    import pulp

    if not len(unassigned):
        return
    kids = children.reindex(unassigned.index).astype(float).to_numpy()
    expr = pulp.LpAffineExpression(list(zip(unassigned.to_numpy(), kids.tolist())))
    model.add_constraints("guard_unallocated", [expr <= float(budget)])


def utilisation_guard_limit(workers: pd.DataFrame, points_limit: pd.Series, baseline_points: pd.Series,
                            config: AllocationConfig) -> pd.Series:
    """Points limit per worker so that the highest utilisation of the service (or of each team,
    with `guard_utilisation_scope` "team") does not go above the baseline's: worker w may hold at
    most the baseline's highest utilisation in w's group x w's capacity (and never more than
    `points_limit`). A busier top worker than doing it by hand is a risk a manager would not take
    [S41, S42]. Workers without capacity keep `points_limit` (utilisation is not defined)."""
    cap = workers["capacity"].astype(float)
    has_cap = cap > 0
    util = (baseline_points.reindex(workers.index).fillna(0.0) / cap.where(has_cap))[has_cap]
    group = (pd.Series("service", index=workers.index) if config.guard_utilisation_scope == "service"
             else workers["team"])
    top = util.groupby(group[has_cap]).max()
    ceiling = group.map(top) * cap + 1e-9
    return pd.Series(np.where(has_cap, np.minimum(points_limit, ceiling), points_limit), index=workers.index)
