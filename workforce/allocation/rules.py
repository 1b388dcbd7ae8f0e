"""One function per hard rule and per objective term of the social-care allocation model.

Hard eligibility rules take the *candidate* frame (one row per unit x worker in the unit's
team or locality; unit columns and worker columns side by side) and return a boolean Series:
True where the worker may hold the unit. `HARD_RULES` lists them with the words an
explanation uses when a rule rules a worker out. The candidate columns they read: from the unit
(`families.unit_table`) `required`, `excluded`, `cp_or_court`, `restrict_to`; from the worker
(`families.prepare_workers`) `worker_id`, `available`, `role`, `leaving`, `asye`, `skill_set`.
Any caller (the demo included) can build such a frame with `pair_frame` and call a rule on it.

Objective terms are the cost functions that `objective.TERMS` lists (the one table the PuLP
model, the numpy evaluation, the local search and the explanations are derived from). Each
has one of four shapes:

* per pair, ``cost(cand, config) -> Series``: the cost of giving the unit to the worker
  (continuity, travel, risk);
* per worker, ``cost(workers, config) -> list[Hinge]``: rate x max(0, load - threshold) on a
  worker's points or children (load balance);
* per group, ``cost(workers, config) -> GroupMax``: weight x the highest load / divisor in each
  group of workers (highest utilisation);
* per unit left unallocated, ``cost(units, cases, config) -> Series`` (unallocated).

Guards (no worse than the manager's baseline) are at the end.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

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
    return pair_frame(cand, units, workers)


def pair_frame(pairs: pd.DataFrame, units: pd.DataFrame, workers: pd.DataFrame) -> pd.DataFrame:
    """The candidate frame for given (unit, worker) pairs: `pairs` (with columns ``unit,
    worker_id``) with the unit's columns and the worker's side by side, the shape every hard
    rule and per-pair objective term reads."""
    cand = pairs.merge(units, left_on="unit", right_index=True, how="left")
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


def child_points_at(cases: pd.DataFrame, worker_ids: pd.Series, workers: pd.DataFrame,
                 config: AllocationConfig) -> pd.Series:
    """Each child's weighted load with the worker it is (or would be) with: its points plus a
    travel point when it lives outside that worker's locality (the per-child `pair_points`)."""
    loc = worker_ids.map(workers["locality"])
    travel = (loc.notna() & (loc != cases["locality"])).astype(float) * config.rules.travel_points
    return cases["points"] + travel


def pair_points(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Weighted load of the unit on this worker: its children's points (sibling discount
    applied) plus a travel point per child outside the worker's locality."""
    return cand["base_points"].astype(float) + config.rules.travel_points * travel_children(cand)


def continuity_cost(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Cost of changing a child's social worker: `continuity_cost` per child moved from a
    current worker, plus `continuity_repeat_cost` per moved child who already had
    `continuity_repeat_threshold` or more workers in 12 months (changes of worker harm children
    and are a mark of inadequate services [S40, S68]). Reads the unit's `current` and `repeat`
    (current worker -> children) and the candidate's `worker_id`."""
    base, extra = config.continuity_cost, config.continuity_repeat_cost
    out = [base * sum(n for cw, n in current.items() if cw != wid) + extra * sum(n for cw, n in repeat.items() if cw != wid)
           for wid, current, repeat in zip(cand["worker_id"], cand["current"], cand["repeat"])]
    return pd.Series(out, index=cand.index, dtype=float)


def travel_cost(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Cost per child outside the worker's locality: travel takes time from direct work [S31]."""
    return config.travel_cost * travel_children(cand)


def risk_cost(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Risk-aware load: points given to a worker likely to leave are points likely to be
    handed over again; cost `risk_cost` x p_leave per point (zero without risk scores)."""
    return config.risk_cost * cand["p_leave"].astype(float) * pair_points(cand, config)


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


class Hinge(NamedTuple):
    """One piece of a per-worker cost: ``rate x max(0, load - threshold[w])`` where load is the
    worker's `resource` ("points" or "children"); ``threshold`` is inf where the piece does not
    apply. ``name`` names the piece's excess variables in the MIP."""

    name: str
    rate: float
    resource: str
    threshold: np.ndarray


class GroupMax(NamedTuple):
    """``weight x sum over groups of max(load_w / divisor_w)`` over the workers of each group;
    ``group[w]`` is None for a worker not counted. ``name`` names the group variables in the MIP."""

    name: str
    weight: float
    group: np.ndarray
    divisor: np.ndarray


def load_balance_cost(workers: pd.DataFrame, config: AllocationConfig) -> list[Hinge]:
    """Per worker: points above each share of capacity cost that breakpoint's rate (the rates
    add up: piecewise increasing), plus `soft_children_cost` per child above the soft headcount
    cap (16 x fte, ASYE 12). High caseloads drive stress and leaving [S41, S42]. Workers without
    capacity have no points pieces. Reads `capacity` and `soft_max_children`."""
    cap = workers["capacity"].to_numpy(dtype=float)
    pieces = [Hinge(f"over{k}", float(rate), "points", np.where(cap > 0, share * cap, np.inf))
              for k, (share, rate) in enumerate(config.load_breakpoints)]
    soft = workers["soft_max_children"].to_numpy(dtype=float)
    return pieces + [Hinge("softkids", float(config.soft_children_cost), "children", soft)]


def highest_utilisation_cost(workers: pd.DataFrame, config: AllocationConfig) -> GroupMax:
    """The most loaded worker (points / capacity) of each team, or of the whole service with
    scope "service": one overloaded worker is a risk a sum of small penalties can hide. Workers
    without capacity are not counted. Reads `capacity` and `team`."""
    cap = workers["capacity"].to_numpy(dtype=float)
    label = np.full(len(workers), "service", dtype=object) if config.highest_utilisation_scope == "service" \
        else workers["team"].to_numpy(dtype=object)
    group = np.where(cap > 0, label, None)
    return GroupMax("top_util", float(config.highest_utilisation_cost), group, cap)


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
