"""One function per hard rule and per objective term of the social-care allocation model.

Hard eligibility rules take the *candidate* frame (one row per unit x worker within the unit's
reach; unit columns and worker columns side by side) and return a boolean Series: True where
the worker may hold the unit. `HARD_RULES` lists them with the words an explanation uses when a
rule rules a worker out. The candidate columns they read: from the unit
(`families.unit_table`) `required`, `excluded`, `cp_or_court`, `needs_continuity`, `restrict_to`;
from the worker (`families.prepare_workers`) `worker_id`, `available`, `role`, `leaving`, `asye`,
`skill_set`; and, set by `build.build_problem` for the pair, `new_children` (children the worker
does not hold now), `over_cap_now` (the worker is above a hard cap now and the policy gives such
workers nothing new), `contract_ends_soon` and `others_eligible` (other workers no other rule
excludes). Any caller can build such a frame with `pair_frame` and call a rule on it.

Objective terms are the cost functions that `objective.TERMS` lists (the one table the PuLP
model, the numpy evaluation, the local search and the explanations are derived from). Each
has one of four shapes:

* per pair, ``cost(cand, config) -> Series``: the cost of giving the unit to the worker
  (continuity, team transfer, travel, risk);
* per worker, ``cost(workers, config) -> list[Hinge]``: rate x max(0, load - threshold) on a
  worker's points, children or complex children, or a charge when the load is above the
  threshold at all (load balance, hard caps);
* per group, ``cost(workers, config) -> GroupMax``: weight x the highest load / divisor in each
  group of workers (highest utilisation);
* per unit left unplaced, ``cost(units, cases, config) -> Series`` (children left without a
  worker; children kept with a worker the rules exclude).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import pandas as pd

from workforce.allocation.config import AllocationConfig

# ----------------------------------------------------------------------------- reach


def same_team_or_locality(units: pd.DataFrame, workers: pd.DataFrame, reach: str = "team") -> pd.DataFrame:
    """Candidates: a unit's workers come from the team its children name or, when no child
    names a team, from a locality one of its children lives in. With ``reach="locality"`` a unit
    naming a team may also go to any other team of that team's locality (a cross-team move,
    priced by `team_transfer_cost`). Work stays inside teams (or localities), which is why the
    problem splits into independent blocks.

    Returns the candidate frame: `unit, worker_id, scope` ("team", "locality" for a unit that
    names no team, "other_team" for a cross-team candidate) plus unit and worker columns.
    """
    if not len(units):
        return _empty_candidates(units, workers)
    u = units.reset_index()
    named = u["teams"].map(len) > 0
    by_team = u[named][["unit", "teams"]].explode("teams").rename(columns={"teams": "team"})
    by_loc = u[~named][["unit", "localities"]].copy()
    by_loc["locality"] = by_loc["localities"].map(lambda d: sorted(d))
    by_loc = by_loc.explode("locality")[["unit", "locality"]]
    w = workers.reset_index()
    parts = [by_team.merge(w[["worker_id", "team"]], on="team", how="inner").assign(scope="team"),
             by_loc.merge(w[["worker_id", "locality"]], on="locality", how="inner").assign(scope="locality")]
    if reach == "locality":
        other = by_team.assign(locality=by_team["team"].map(team_localities(workers))).dropna(subset=["locality"])
        other = other[["unit", "locality"]].drop_duplicates()
        parts.append(other.merge(w[["worker_id", "locality"]], on="locality", how="inner").assign(scope="other_team"))
    cand = pd.concat([p[["unit", "worker_id", "scope"]] for p in parts], ignore_index=True)
    # the unit's own team first: a worker in both keeps scope "team"
    cand["rank"] = cand["scope"].map({"team": 0, "locality": 1, "other_team": 2})
    cand = cand.sort_values(["unit", "worker_id", "rank"], kind="stable").drop_duplicates(["unit", "worker_id"])
    return pair_frame(cand.drop(columns="rank"), units, workers)


def team_localities(workers: pd.DataFrame) -> pd.Series:
    """Each team's locality (of its first worker): the teams ``reach="locality"`` puts in reach of
    a family naming a team are the teams of that team's locality."""
    w = workers.reset_index()
    return w.drop_duplicates("team").set_index("team")["locality"]


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


# ----------------------------------------------------------------------------- hard rules


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
    return pd.Series([r <= s for r, s in zip(cand["required"].tolist(), cand["skill_set"].tolist())],
                     index=cand.index, dtype=bool)


def asye_no_sole_cp_or_court(cand: pd.DataFrame) -> pd.Series:
    """An ASYE (newly qualified) never holds a child protection or court case alone [S29]."""
    return ~(cand["asye"].astype(bool) & cand["cp_or_court"].astype(bool))


def not_excluded(cand: pd.DataFrame) -> pd.Series:
    """A worker named in a child's excluded_workers (conflict of interest, complaint) is out."""
    return pd.Series([w not in ex for w, ex in zip(cand["worker_id"].tolist(), cand["excluded"].tolist())],
                     index=cand.index, dtype=bool)


def joins_siblings(cand: pd.DataFrame) -> pd.Series:
    """Siblings share one worker: if some of the family stay with a worker (pinned, or already
    allocated in `new` mode) the rest may only go to that worker."""
    return pd.Series([r is None or (isinstance(r, frozenset) and w in r)
                      for w, r in zip(cand["worker_id"].tolist(), cand["restrict_to"].tolist())],
                     index=cand.index, dtype=bool)


def no_new_family_over_capacity(cand: pd.DataFrame) -> pd.Series:
    """A worker already above a hard cap (points, children or complex children) gets no new
    family: they may keep what they hold, never more (a worker at 185% given four more
    children while their own wait is what issue 17 found). Reads `over_cap_now` (False for
    everyone when `over_capacity_gains` allows) and `new_children`."""
    return ~(cand["over_cap_now"].astype(bool) & (cand["new_children"].astype(float) > 0))


def contract_not_ending(cand: pd.DataFrame) -> pd.Series:
    """A worker whose contract ends within the horizon (`contract_horizon_weeks` after the run's
    "as of" date) is not given new families of children who need continuity (looked-after, CP,
    court) while another worker is eligible: the child would change worker again within weeks.
    Reads `contract_ends_soon`, `needs_continuity`, `new_children` and `others_eligible`."""
    return ~(cand["contract_ends_soon"].astype(bool) & cand["needs_continuity"].astype(bool)
             & (cand["new_children"].astype(float) > 0) & (cand["others_eligible"].astype(float) > 0))


HARD_RULES: list[tuple[str, Callable[[pd.DataFrame], pd.Series], str]] = [
    ("worker_available", worker_available, "is not available (long leave)"),
    ("not_team_manager", not_team_manager, "is a team manager (holds no cases)"),
    ("not_leaving", not_leaving, "is leaving"),
    ("not_excluded", not_excluded, "is excluded from this child's case"),
    ("asye_no_sole_cp_or_court", asye_no_sole_cp_or_court, "is an ASYE and may not hold a CP or court case alone"),
    ("has_required_skills", has_required_skills, "lacks a required skill"),
    ("joins_siblings", joins_siblings, "does not hold this child's siblings"),
    ("no_new_family_over_capacity", no_new_family_over_capacity,
     "is over capacity already and is given no new family"),
    # last: it reads whether any other worker passes the rules above
    ("contract_not_ending", contract_not_ending,
     "has a contract ending soon, and these children need a worker who will stay"),
]
#: The rules every candidate is checked against before `others_eligible` can be counted.
BASE_RULES = [r for r in HARD_RULES if r[0] != "contract_not_ending"]


def first_failed_rule(cand: pd.DataFrame, rules: list | None = None) -> pd.Series:
    """For each candidate, the first hard rule it fails ("" when eligible), in `rules` order
    (default `HARD_RULES`)."""
    out = pd.Series("", index=cand.index, dtype=object)
    for name, rule, _ in (HARD_RULES if rules is None else rules):
        if not len(cand):
            break
        failed = ~rule(cand).to_numpy(dtype=bool) & (out.to_numpy() == "")
        out[failed] = name
    return out


def judge_candidates(cand: pd.DataFrame) -> pd.DataFrame:
    """The candidate frame with what the hard rules read and say: `new_children`,
    `others_eligible` (the unit's other candidates no rule but the contract rule excludes) and
    `failed_rule` (the first rule failed, "" when eligible). One place, so a candidate the
    allocation judges and one an explanation judges (a team ``reach="locality"`` would add) are
    judged alike."""
    cand = cand.copy()
    cand["new_children"] = new_children(cand)
    base_fail = first_failed_rule(cand, BASE_RULES)
    ok = (base_fail == "").to_numpy()
    per_unit = pd.Series(ok, index=cand.index).groupby(cand["unit"]).transform("sum")
    cand["others_eligible"] = per_unit - ok
    cand["failed_rule"] = base_fail.where(base_fail != "", first_failed_rule(cand))
    return cand


def rule_reason(name: str) -> str:
    return {n: text for n, _, text in HARD_RULES}.get(name, name)


# ------------------------------------------------------------------- capacity constraints


def load_limit(cap: pd.Series, before: pd.Series, fixed: pd.Series, workers: pd.DataFrame, mode: str,
               config: AllocationConfig) -> pd.Series:
    """Hard limit on one load per worker (points, children or complex children): the cap from
    `caseload.worker_caps`. When families may move (`rebalance`, `leaver`) a worker already
    above it may keep what they hold (`before`), never more: taking a child from their worker
    only to leave them unallocated is worse for the child (`over_demand = "stay"`). With
    `over_demand = "unallocate"` they keep only what is pinned to them (`fixed`), and the rest
    above the cap waits on the unallocated list. A worker who is unavailable or leaving keeps
    nothing extra. In `new` mode existing work is fixed and the limit is the cap (room left may
    be negative: no new work)."""
    cap = cap.astype(float)
    if mode == "new":
        return cap
    keeps = workers["available"].astype(bool) & ~workers["leaving"].astype(bool)
    held = (before if config.over_demand == "stay" else fixed).reindex(workers.index).fillna(0.0).astype(float)
    return pd.Series(np.maximum(cap.to_numpy(), held.where(keeps, 0.0).to_numpy()), index=workers.index)


# --------------------------------------------------------------------- per-pair objective terms


def travel_children(cand: pd.DataFrame) -> pd.Series:
    """Children of the unit who live outside the worker's locality."""
    return pd.Series([n - locs.get(loc, 0) for n, locs, loc in zip(cand["n_children"].tolist(), cand["localities"].tolist(),
                                                                    cand["locality"].tolist())],
                     index=cand.index, dtype=float)


def other_team_children(cand: pd.DataFrame) -> pd.Series:
    """Children of the unit whose record names a team other than the worker's (a cross-team
    move; children naming no team belong to any team of their locality)."""
    return pd.Series([sum(counts.values()) - counts.get(team, 0)
                      for counts, team in zip(cand["team_counts"].tolist(), cand["team"].tolist())],
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


def with_pair_loads(cand: pd.DataFrame, config: AllocationConfig) -> pd.DataFrame:
    """The candidates with each pair's loads on the worker (`LOADS` of `allocation.problem`):
    points (`pair_points`), children and complex children; one place for the allocation's pairs
    and the room other teams are said to have."""
    return cand.assign(points=pair_points(cand, config), children=cand["n_children"].astype(float),
                       complex=cand["n_complex"].astype(float))


def continuity_cost(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Cost of changing a child's social worker: `continuity_cost` per child moved from a
    current worker, plus `continuity_repeat_cost` per moved child who already had
    `continuity_repeat_threshold` or more workers in 12 months (changes of worker harm children
    and are a mark of inadequate services [S40, S68]). Reads the unit's `current` and `repeat`
    (current worker -> children) and the candidate's `worker_id`."""
    base, extra = config.continuity_cost, config.continuity_repeat_cost
    out = [base * sum(n for cw, n in current.items() if cw != wid) + extra * sum(n for cw, n in repeat.items() if cw != wid)
           for wid, current, repeat in zip(cand["worker_id"].tolist(), cand["current"].tolist(), cand["repeat"].tolist())]
    return pd.Series(out, index=cand.index, dtype=float)


def team_transfer_cost(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Cost of moving a child to another team (reach "locality"): `team_transfer_cost` per child
    whose record names another team. A new team is a new manager, duty system and team around
    the child: a transfer costs as much again as a change of worker [DEFAULT]."""
    return config.team_transfer_cost * other_team_children(cand)


def travel_cost(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Cost per child outside the worker's locality: travel takes time from direct work [S31]."""
    return config.travel_cost * travel_children(cand)


def risk_cost(cand: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Risk-aware load: points given to a worker likely to leave are points likely to be
    handed over again; cost `risk_cost` x p_leave per point (zero without risk scores)."""
    return config.risk_cost * cand["p_leave"].astype(float) * pair_points(cand, config)


# ------------------------------------------------------------------- per-unit objective terms


def unallocated_cost(units: pd.DataFrame, cases: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Cost of leaving a unit unplaced: for each of its children who would then be without a
    worker (`waits_if_unplaced`), the priority cost (priority 1, CP and court, highest), and for
    a child who had a worker, the continuity cost too (losing a worker is at least a change of
    worker). A keeper's children who stay with them when the unit is unplaced cost nothing
    here. Far above any other cost so the model allocates whenever a rule allows."""
    if not len(units):
        return pd.Series(dtype=float)
    waits = cases["waits_if_unplaced"].astype(bool)
    per_child = cases["priority"].map(config.unallocated_cost_for).astype(float)
    per_child = per_child + config.continuity_cost * (cases["current_worker_id"] != "").astype(float)
    by_unit = per_child.where(waits, 0.0).groupby(cases["unit"]).sum()
    return by_unit.reindex(units.index).fillna(0.0).rename("unallocated_cost")


def kept_against_rule_cost(units: pd.DataFrame, cases: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Cost of leaving children, when their unit is unplaced, with a keeper a hard rule now
    excludes (an ASYE holding a CP case, an excluded worker, a sibling pinned elsewhere): the
    priority cost per child, as if unallocated, so they move wherever an eligible worker has
    room, and otherwise keep a worker rather than none (reported in existing issues)."""
    if not len(units):
        return pd.Series(dtype=float)
    per_child = cases["priority"].map(config.unallocated_cost_for).astype(float)
    by_unit = per_child.where(cases["kept_against_rule"].astype(bool), 0.0).groupby(cases["unit"]).sum()
    return by_unit.reindex(units.index).fillna(0.0).rename("kept_against_rule_cost")


# ------------------------------------------------------------------ worker-level objective terms


class Hinge(NamedTuple):
    """One piece of a per-worker cost on the worker's `resource` ("points", "children" or
    "complex"): ``rate x max(0, load - threshold[w])``, or with ``step`` a charge ``rate`` when the
    load is above the threshold at all; ``threshold`` is inf where the piece does not apply.
    ``bound[w]`` (steps only) is the most the load can exceed the threshold by (the MIP's
    big-M). ``name`` names the piece's variables in the MIP."""

    name: str
    rate: float
    resource: str
    threshold: np.ndarray
    step: bool = False
    bound: np.ndarray | None = None


class GroupMax(NamedTuple):
    """``weight x sum over groups of max(load_w / divisor_w)`` over the workers of each group;
    ``group[w]`` is None for a worker not counted. ``name`` names the group variables in the MIP."""

    name: str
    weight: float
    group: np.ndarray
    divisor: np.ndarray


RESOURCES = ("points", "children", "complex")


def load_balance_cost(workers: pd.DataFrame, config: AllocationConfig) -> list[Hinge]:
    """Per worker: points above each share of capacity cost that breakpoint's rate (the rates
    add up: piecewise increasing), plus `soft_children_cost` per child above the soft headcount
    cap (the worker's role, FTE and ASYE year, from `caseload.worker_caps`). High caseloads drive
    stress and leaving [S41, S42]. Workers without
    capacity have no points pieces. Reads `capacity` and `soft_max_children`."""
    cap = workers["capacity"].to_numpy(dtype=float)
    pieces = [Hinge(f"over{k}", float(rate), "points", np.where(cap > 0, share * cap, np.inf))
              for k, (share, rate) in enumerate(config.load_breakpoints)]
    soft = workers["soft_max_children"].to_numpy(dtype=float)
    return pieces + [Hinge("softkids", float(config.soft_children_cost), "children", soft)]


def over_cap_cost(workers: pd.DataFrame, config: AllocationConfig) -> list[Hinge]:
    """Per worker, above each hard cap of `caseload.worker_caps` (points capacity, hard cap on
    children, cap on complex children): `over_points_cost` per point, `over_children_cost` per
    child and `over_complex_cost` per complex child above it, and `over_cap_charge` once for each
    cap the worker ends above. Only a worker already above a cap can end above it (the limits
    give nobody more); these costs make relieving them worth more than any handoff, so a
    colleague with room takes their families (issue 10.2). Reads `capacity`, `max_children`,
    `max_complex` and the limits `points_limit`, `children_limit`, `complex_limit`."""
    out = []
    for resource, cap_col, rate in (("points", "capacity", config.over_points_cost),
                                    ("children", "max_children", config.over_children_cost),
                                    ("complex", "max_complex", config.over_complex_cost)):
        cap = workers[cap_col].to_numpy(dtype=float)
        room = workers[f"{resource}_limit"].to_numpy(dtype=float) - cap
        threshold = np.where(room > 1e-9, cap, np.inf)  # nobody can go above a cap they are not above now
        out.append(Hinge(f"hard_{resource}", float(rate), resource, threshold))
        out.append(Hinge(f"above_{resource}", float(config.over_cap_charge), resource, threshold, step=True,
                         bound=np.maximum(room, 0.0)))
    return out


# ------------------------------------------------------------------ per-group objective terms


def highest_utilisation_cost(workers: pd.DataFrame, config: AllocationConfig) -> GroupMax:
    """The most loaded worker (points / capacity) of each team, or of the whole service with
    scope "service": one overloaded worker is a risk a sum of small penalties can hide. Workers
    without capacity are not counted. Reads `capacity` and `team`."""
    cap = workers["capacity"].to_numpy(dtype=float)
    label = np.full(len(workers), "service", dtype=object) if config.highest_utilisation_scope == "service" \
        else workers["team"].to_numpy(dtype=object)
    group = np.where(cap > 0, label, None)
    return GroupMax("top_util", float(config.highest_utilisation_cost), group, cap)


# ------------------------------------------------------------------ counts the reports use


def handoff_children(cand: pd.DataFrame) -> pd.Series:
    """Children of the unit who would change worker (move from a current worker) if the unit
    went to this worker: the count the summary reports as handoffs."""
    return pd.Series([sum(n for cw, n in current.items() if cw != wid)
                      for wid, current in zip(cand["worker_id"].tolist(), cand["current"].tolist())],
                     index=cand.index, dtype=float)


def new_children(cand: pd.DataFrame) -> pd.Series:
    """Children of the unit the worker does not hold now (what the worker would gain)."""
    return pd.Series([n - current.get(wid, 0) for wid, n, current in zip(cand["worker_id"].tolist(),
                                                                          cand["n_children"].tolist(),
                                                                          cand["current"].tolist())],
                     index=cand.index, dtype=float)
