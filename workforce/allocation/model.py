"""The social-care allocation model on the GAP core: build, solve, judge and report.

`allocate()` is the library entry point. It

1. turns the cases into decision units (sibling groups, `families.py`) and fixed children;
2. finds each unit's eligible workers (one function per hard rule, `rules.py`) and prices each
   (unit, worker) pair (continuity, travel, risk);
3. runs the manager's baseline (`baseline.py`), which sets the no-worse-than-the-baseline
   guards (`rules.py`: per block, no more handoffs or unallocated children than the baseline;
   the busiest worker, of the service or of each team, no busier), and improves it by local
   search (`improve.py`);
4. builds an `AssignmentModel` per independent block with the points and children caps, the
   load-balance and highest-utilisation terms, an unallocated cost per unit and the guards, and
   solves it from that warm start (`config.threads` blocks at once, one solver thread each);
   the time limit covers the whole call;
5. judges the answers by one cost function (`evaluate_objective`) and never returns something
   worse than the baseline; the gap is the sum of block objectives against the sum of block
   bounds (the LP relaxation's when a block stopped before the solver's own);
6. reports allocations, worker loads, unallocated children with reasons, team capacity against
   demand and the objective by term (`explain.py` writes the words).

Work stays inside teams, so the problem splits into independent blocks (connected components
of the unit-worker-team graph). Every term is per worker or per team by default, so solving
block by block is exact: the blocks' bounds add up to a bound on the whole. With the
service-wide highest-utilisation term (`highest_utilisation_scope="service"`) the blocks are
coupled and one model is solved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd

from workforce.allocation import rules as R
from workforce.allocation.config import AllocationConfig
from workforce.allocation.families import MODES, Units, build_units, existing_issues, prepare_cases, prepare_workers
from workforce.errors import InputError

TERMS = ("continuity", "travel", "risk", "load_balance", "highest_utilisation", "unallocated")
PAIR_TERMS = ("continuity", "travel", "risk")


@dataclass
class Problem:
    """Everything the solver, the baseline, the evaluation and the explanations share."""

    mode: str
    config: AllocationConfig
    workers: pd.DataFrame  # prepared, index worker_id
    cases: pd.DataFrame  # prepared, with unit / fixed_worker
    units: pd.DataFrame  # index unit
    candidates: pd.DataFrame  # every in-scope (unit, worker) with `failed_rule`
    pairs: pd.DataFrame  # eligible pairs that can fit: unit, worker_id, points, children, cost_*
    eligible: pd.DataFrame  # eligible pairs (including ones that can never fit)
    fixed_points: pd.Series  # by worker
    fixed_children: pd.Series
    before_points: pd.Series
    before_children: pd.Series
    points_limit: pd.Series
    children_limit: pd.Series
    unallocated_cost: pd.Series  # by unit
    issues: pd.DataFrame
    current_unit_worker: pd.Series  # unit -> single current worker ("" when none or split)


@dataclass
class AllocationResult:
    """What `allocate` returns. Frames follow the agreed output columns."""

    allocations: pd.DataFrame
    worker_loads: pd.DataFrame
    unallocated: pd.DataFrame
    changes: pd.DataFrame
    team_summary: pd.DataFrame
    terms: pd.DataFrame
    issues: pd.DataFrame
    summary: dict
    explanations: pd.DataFrame  # one row per unit: chosen worker, breakdown, runner-up, reason
    problem: Problem = field(repr=False)
    assignment: pd.Series = field(repr=False)  # unit -> worker_id ("" = unallocated)


# ------------------------------------------------------------------------------- building


def _child_points_at(cases: pd.DataFrame, worker_ids: pd.Series, workers: pd.DataFrame, config: AllocationConfig) -> pd.Series:
    """Each child's points with the worker it is (or would be) with: travel point when the
    child lives outside that worker's locality."""
    loc = worker_ids.map(workers["locality"])
    travel = (loc.notna() & (loc != cases["locality"])).astype(float) * config.rules.travel_points
    return cases["points"] + travel


def _loads(cases: pd.DataFrame, worker_col: pd.Series, workers: pd.DataFrame, config: AllocationConfig) -> tuple[pd.Series, pd.Series]:
    held = worker_col != ""
    pts = _child_points_at(cases[held], worker_col[held], workers, config)
    points = pts.groupby(worker_col[held]).sum().reindex(workers.index).fillna(0.0)
    children = worker_col[held].value_counts().reindex(workers.index).fillna(0).astype(int)
    return points, children


def build_problem(workers: pd.DataFrame, cases: pd.DataFrame, *, mode: str = "rebalance",
                  leavers: tuple[str, ...] | list[str] = (), risk: pd.DataFrame | None = None,
                  config: AllocationConfig | None = None) -> Problem:
    """Prepare the model's data (no solving). See the module docstring."""
    config = config or AllocationConfig()
    leavers = tuple(dict.fromkeys(str(x).strip() for x in leavers))
    if mode not in MODES:
        raise InputError(f"unknown mode '{mode}'", column="mode", allowed=", ".join(MODES))
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
    built: Units = build_units(c, w, mode)
    c, units = built.cases, built.units

    before_points, before_children = _loads(c, c["current_worker_id"], w, config)
    fixed_points, fixed_children = _loads(c, c["fixed_worker"], w, config)
    issues = pd.concat([built.issues, existing_issues(c, w, before_points, before_children)], ignore_index=True)

    # continuity bookkeeping per unit: current worker -> children with a repeat-change history
    free = c[(c["unit"] != "") & (c["current_worker_id"] != "")]
    repeat = free[free["workers_12m"] >= config.continuity_repeat_threshold]
    repeat_map: dict[str, dict[str, int]] = {}
    sizes = repeat.groupby(["unit", "current_worker_id"], sort=True).size()
    for (unit, wid), n in zip(sizes.index, sizes.to_numpy().tolist()):
        repeat_map.setdefault(unit, {})[wid] = n

    cand = R.same_team_or_locality(units, w)
    cand["failed_rule"] = R.first_failed_rule(cand)
    elig = cand[cand["failed_rule"] == ""].copy()
    elig["points"] = R.pair_points(elig, config)
    elig["children"] = elig["n_children"].astype(int)
    elig["cost_continuity"] = R.continuity_cost(elig, config, repeat_map)
    elig["cost_travel"] = R.travel_cost(elig, config)
    elig["cost_risk"] = R.risk_cost(elig, elig["points"], config)
    elig["handoffs"] = R.handoff_children(elig)

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
                   unallocated_cost=R.unallocated_cost(units, c, config), issues=issues,
                   current_unit_worker=current_unit_worker)


# ----------------------------------------------------------------------------- evaluation


def evaluate_objective(problem: Problem, assignment: pd.Series) -> dict[str, float]:
    """The objective of an assignment (unit -> worker_id, "" = unallocated) by term, with
    `total`: the one cost function both the optimiser and the baseline are judged by."""
    cfg, w = problem.config, problem.workers
    assigned = assignment[assignment != ""]
    key = pd.MultiIndex.from_arrays([assigned.index.to_numpy(), assigned.to_numpy()])
    pairs = problem.eligible.set_index(["unit", "worker_id"]).reindex(key)
    if pairs["points"].isna().any():
        bad = key[pairs["points"].isna().to_numpy()][0]
        raise ValueError(f"assignment gives unit {bad[0]} to ineligible worker {bad[1]}")
    terms = {t: float(pairs[f"cost_{t}"].sum()) for t in PAIR_TERMS}
    pts = problem.fixed_points.add(pairs["points"].groupby(level=1).sum(), fill_value=0.0).reindex(w.index).fillna(0.0)
    kids = problem.fixed_children.add(pairs["children"].groupby(level=1).sum(), fill_value=0).reindex(w.index).fillna(0)
    terms["load_balance"] = float(R.load_balance_cost(pts.to_numpy(), w["capacity"].to_numpy(), kids.to_numpy(),
                                                      w["soft_max_children"].to_numpy(), cfg).sum())
    terms["highest_utilisation"] = R.highest_utilisation_cost(pts.to_numpy(), w["capacity"].to_numpy(),
                                                              w["team"].to_numpy(), cfg)
    unalloc = assignment.index[assignment == ""]
    terms["unallocated"] = float(problem.unallocated_cost.reindex(unalloc).sum())
    terms["total"] = float(sum(terms[t] for t in TERMS))
    return terms


def is_feasible(problem: Problem, assignment: pd.Series) -> bool:
    """Does the assignment respect every hard rule and cap? (used to check warm starts)"""
    assigned = assignment[assignment != ""]
    key = pd.MultiIndex.from_arrays([assigned.index.to_numpy(), assigned.to_numpy()])
    pairs = problem.eligible.set_index(["unit", "worker_id"]).reindex(key)
    if pairs["points"].isna().any():
        return False
    pts = problem.fixed_points.add(pairs["points"].groupby(level=1).sum(), fill_value=0.0)
    kids = problem.fixed_children.add(pairs["children"].groupby(level=1).sum(), fill_value=0)
    moved = pairs["points"].groupby(level=1).sum().index
    ok_pts = (pts.reindex(moved) <= problem.points_limit.reindex(moved) + 1e-6).all()
    ok_kids = (kids.reindex(moved) <= problem.children_limit.reindex(moved) + 1e-6).all()
    return bool(ok_pts and ok_kids)


# -------------------------------------------------------------------------------- solving


def _blocks(problem: Problem) -> list[tuple[list[str], list[str]]]:
    """Independent blocks: connected components of the graph linking each unit to its eligible
    workers and each worker to its team (so a team's highest-utilisation term stays in one
    block). With the service-wide highest-utilisation term everything is one block."""
    pairs = problem.pairs
    if not len(pairs):
        return []
    workers = sorted(set(pairs["worker_id"]))
    units = sorted(set(pairs["unit"]))
    if problem.config.highest_utilisation_scope == "service" and problem.config.highest_utilisation_cost > 0:
        return [(units, workers)]
    teams = sorted(set(problem.workers.loc[workers, "team"]))
    node = {("u", u): k for k, u in enumerate(units)}
    node.update({("w", w): len(node) + k for k, w in enumerate(workers)})
    node.update({("t", t): len(node) + k for k, t in enumerate(teams)})
    parent = list(range(len(node)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for u, w in zip(pairs["unit"], pairs["worker_id"]):
        union(node[("u", u)], node[("w", w)])
    for w in workers:
        union(node[("w", w)], node[("t", problem.workers.at[w, "team"])])
    groups: dict[int, tuple[list[str], list[str]]] = {}
    for (kind, key), k in node.items():
        if kind == "t":
            continue
        g = groups.setdefault(find(k), ([], []))
        (g[0] if kind == "u" else g[1]).append(key)
    return [(sorted(u), sorted(w)) for u, w in groups.values()]


def _outside_constants(problem: Problem) -> tuple[float, dict[str, float]]:
    """The objective's constant part (units without any pair stay unallocated; workers without
    pairs keep their fixed load) and the utilisation floor each team (or the service) gets from
    its workers outside every block."""
    cfg, w = problem.config, problem.workers
    in_pairs = pd.Index(sorted(set(problem.pairs["worker_id"])))
    outside = w.index.difference(in_pairs)
    no_pair_units = problem.units.index.difference(pd.Index(sorted(set(problem.pairs["unit"]))))
    const = float(problem.unallocated_cost.reindex(no_pair_units).sum())
    const += float(R.load_balance_cost(problem.fixed_points.reindex(outside).to_numpy(), w["capacity"].reindex(outside).to_numpy(),
                                       problem.fixed_children.reindex(outside).to_numpy(),
                                       w["soft_max_children"].reindex(outside).to_numpy(), cfg).sum())
    service = cfg.highest_utilisation_scope == "service"
    cap = w["capacity"].reindex(outside)
    util = (problem.fixed_points.reindex(outside) / cap)[cap > 0]
    keys = pd.Series("service" if service else w["team"].reindex(util.index), index=util.index)
    floor = util.groupby(keys).max().to_dict() if len(util) else {}
    covered = {"service"} if (service and len(in_pairs)) else set(w.loc[in_pairs, "team"])
    const += cfg.highest_utilisation_cost * sum(v for g, v in floor.items() if g not in covered)
    return const, floor


def _build_block(problem: Problem, units: list[str], workers: list[str], warm: pd.Series, floor: dict[str, float],
                 budgets: tuple[float, float] = (np.inf, np.inf)):
    """Build one AssignmentModel over `units` x `workers` (their terms only, and the block's
    handoff and unallocated guard budgets); returns it with the warm start as an item/agent frame."""
    import pulp

    from workforce.allocation.core import AssignmentModel

    cfg, w = problem.config, problem.workers
    pairs = problem.pairs[problem.pairs["unit"].isin(units) & problem.pairs["worker_id"].isin(workers)]
    pairs = pairs.reset_index(drop=True)
    frame = pd.DataFrame({"item": pairs["unit"], "agent": pairs["worker_id"], "cost": 0.0,
                          "load": pairs["points"]})
    room_pts = (problem.points_limit - problem.fixed_points).clip(lower=0.0).reindex(workers)
    room_kids = (problem.children_limit - problem.fixed_children).clip(lower=0.0).reindex(workers)
    model = AssignmentModel(frame, room_pts, unassigned_cost=problem.unallocated_cost.reindex(units),
                            name="social_care")
    model.add_resource("children", pairs["children"].astype(float), room_kids)
    x = model.x.to_numpy()
    for t in PAIR_TERMS:
        coefs = pairs[f"cost_{t}"].to_numpy(dtype=float)
        nz = coefs != 0
        model.add_term(t, pulp.LpAffineExpression(list(zip(x[nz], coefs[nz].tolist()))))
    # load expressions per worker: fixed load + chosen pairs
    load_exprs, child_exprs = {}, {}
    grouped = pd.DataFrame({"w": pairs["worker_id"], "i": np.arange(len(pairs))}).groupby("w")["i"].agg(list)
    pts_arr, kid_arr = pairs["points"].to_numpy(float), pairs["children"].to_numpy(float)
    for wid in workers:
        idx = grouped.get(wid, [])
        load_exprs[wid] = pulp.LpAffineExpression([(x[i], pts_arr[i]) for i in idx], constant=float(problem.fixed_points[wid]))
        child_exprs[wid] = pulp.LpAffineExpression([(x[i], kid_arr[i]) for i in idx], constant=float(problem.fixed_children[wid]))
    R.add_load_balance(model, workers, load_exprs, child_exprs, w["capacity"], w["soft_max_children"], cfg)
    R.add_highest_utilisation(model, workers, load_exprs, w["capacity"], w["team"], floor, cfg)
    if np.isfinite(budgets[0]):
        R.add_handoff_guard(model, x, pairs["handoffs"].to_numpy(float), budgets[0])
    if np.isfinite(budgets[1]):
        R.add_unallocated_guard(model, model.unassigned, problem.units["n_children"], budgets[1])
    ws = warm.reindex(units)
    ws = pd.DataFrame({"item": ws.index, "agent": ws.to_numpy()})
    ws = ws[ws["agent"] != ""]
    return model, ws


def _solve_block(problem: Problem, units: list[str], workers: list[str], warm: pd.Series, floor: dict[str, float],
                 budgets: tuple[float, float], *, time_limit: float | None, solver: str,
                 progress: Callable | None, warm_start: bool | None = None):
    """Build one block's model and solve it (one solver thread). `warm_start`: hand the solver
    `warm` as its first solution (None: only when the block has under `COLD_START_MIN_SECONDS`)."""
    model, ws = _build_block(problem, units, workers, warm, floor, budgets)
    if time_limit is not None and time_limit < MIN_BLOCK_SECONDS:
        # no time left for a search: keep the warm start there and prove what the LP relaxation can
        from workforce.allocation.core import AssignmentResult

        bound = _relaxation_bound(model, time_limit=5.0, solver=solver)
        return AssignmentResult(assignment=ws.reset_index(drop=True), unassigned=[], objective=None, bound=bound,
                                gap=None, status="feasible", seconds=0.0, solver=solver,
                                message="no time left for this block: warm start kept, LP relaxation bound")
    # With time, the solver starts cold: given the local search's answer as a start, HiGHS took
    # 18 s instead of 11 s to prove the hardest demo block (its own root heuristics find better
    # starts). With little time the start is worth more. Either way the warm start stays the
    # answer wherever the solver's is worse or missing (solve_problem).
    if warm_start is None:
        warm_start = time_limit is not None and time_limit < COLD_START_MIN_SECONDS
    res = model.solve(time_limit=time_limit, solver=solver, threads=1, warm_start=ws if warm_start else None,
                      gap_rel=problem.config.gap_rel, progress=progress)
    weak = res.bound is None or res.gap is None or res.gap > WEAK_BLOCK_GAP
    if res.status in ("feasible", "no_solution") and weak:
        # stopped before (or just after) the root: the LP relaxation is a better proven bound
        bound = _relaxation_bound(model, time_limit=5.0, solver=solver)
        if bound is not None and (res.bound is None or bound > res.bound):
            gap = None if res.objective is None else abs(res.objective - bound) / max(1e-9, abs(res.objective))
            res = replace(res, bound=bound, gap=gap,
                          message=res.message + "; bound from the LP relaxation (the solve stopped before its own)")
    return res


#: Below this many seconds a block's solve starts from the warm start (above it, cold).
COLD_START_MIN_SECONDS = 5.0
#: Below this many seconds a block is not searched (the solver needs about this long to reach
#: its root bound on a team of ~40 workers); the warm start stands and the LP gives the bound.
MIN_BLOCK_SECONDS = 0.5
#: A block stopped by its time limit with a gap above this gets the LP relaxation's bound when
#: that is higher (HiGHS reports a trivial bound when stopped before the root LP).
WEAK_BLOCK_GAP = 0.05


def _relaxation_bound(model, *, time_limit: float, solver: str) -> float | None:
    """A proven lower bound for a block whose MIP solve stopped before reporting one: the
    optimum of its LP relaxation (the same model with every variable continuous)."""
    import pulp

    for var in model.problem.variables():
        var.cat = pulp.LpContinuous
    res = model.solve(time_limit=time_limit, solver=solver, threads=1)
    # an LP has no MIP dual bound: its optimum, when HiGHS reports one, is the bound
    solved = res.status == "optimal" or res.message.startswith("HiGHS: Optimal")
    return res.objective if solved and res.objective is not None else None


def assignment_loads(problem: Problem, assignment: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Points and children per worker (all workers) under an assignment unit -> worker."""
    assigned = assignment[assignment != ""]
    key = pd.MultiIndex.from_arrays([assigned.index.to_numpy(), assigned.to_numpy()])
    pairs = problem.eligible.set_index(["unit", "worker_id"]).reindex(key)
    w = problem.workers.index
    pts = problem.fixed_points.add(pairs["points"].groupby(level=1).sum(), fill_value=0.0).reindex(w).fillna(0.0)
    kids = problem.fixed_children.add(pairs["children"].groupby(level=1).sum(), fill_value=0).reindex(w).fillna(0)
    return pts.astype(float), kids.astype(float)


def apply_guards(problem: Problem, baseline: pd.Series) -> Problem:
    """The problem under the utilisation guard (`rules.utilisation_guard_limit`): points limits
    no team's busiest worker can pass without going above the baseline's, and the pairs that no
    longer fit dropped. The baseline still fits. Unchanged when the guard is off."""
    if not problem.config.guard_utilisation:
        return problem
    base_pts, _ = assignment_loads(problem, baseline)
    limit = R.utilisation_guard_limit(problem.workers, problem.points_limit, base_pts, problem.config)
    room = (limit - problem.fixed_points).reindex(problem.pairs["worker_id"]).to_numpy()
    keep = problem.pairs["points"].to_numpy() <= room + 1e-9
    return replace(problem, points_limit=limit, pairs=problem.pairs[keep].reset_index(drop=True))


def guard_budgets(problem: Problem, baseline: pd.Series, blocks: list[tuple[list[str], list[str]]]
                  ) -> list[tuple[float, float]]:
    """Per block: (handoffs, unallocated children) of the baseline there, the budgets of the
    handoff and unallocated guards (inf when that guard is off)."""
    cfg = problem.config
    assigned = baseline[baseline != ""]
    key = pd.MultiIndex.from_arrays([assigned.index.to_numpy(), assigned.to_numpy()])
    moved = problem.eligible.set_index(["unit", "worker_id"])["handoffs"].reindex(key).fillna(0.0)
    moved = pd.Series(moved.to_numpy(), index=assigned.index)
    out = []
    for units, _ in blocks:
        u = pd.Index(units)
        hand = float(moved.reindex(u).fillna(0.0).sum()) if cfg.guard_handoffs else np.inf
        left = u[baseline.reindex(u).to_numpy() == ""]
        unal = float(problem.units["n_children"].reindex(left).sum()) if cfg.guard_unallocated else np.inf
        out.append((hand, unal))
    return out


def _local_search(problem: Problem, baseline: pd.Series, blocks, budgets, time_limit: float) -> pd.Series:
    """The baseline improved by `improve.improve` under the true objective and the guards."""
    from workforce.allocation import improve as I

    unit_block = pd.Series({u: k for k, (units, _) in enumerate(blocks) for u in units}, dtype=int)
    d = I.search_data(problem, problem.pairs, problem.points_limit, unit_block,
                      {k: b[0] for k, b in enumerate(budgets)}, {k: b[1] for k, b in enumerate(budgets)})
    key = pd.MultiIndex.from_arrays([problem.pairs["unit"], problem.pairs["worker_id"]])
    row = pd.Series(np.arange(len(key)), index=key)
    assigned = baseline[baseline != ""]
    start = np.full(len(d.units), -1)
    pos = d.units.get_indexer(assigned.index)
    start[pos] = row.reindex(pd.MultiIndex.from_arrays([assigned.index, assigned.to_numpy()])).to_numpy()
    choice = I.improve(d, start, time_limit=time_limit)
    out = pd.Series("", index=problem.units.index, dtype=object)
    on = choice >= 0
    out.iloc[np.flatnonzero(on)] = problem.pairs["worker_id"].to_numpy()[choice[on]]
    return out


def _block_weights(problem: Problem, blocks, warm: pd.Series) -> list[float]:
    """How much of the time each block gets: its share of the warm start's objective (what there
    is to gain, dominated by the children it leaves unallocated), plus one per pair (the work of
    searching it) so that no block gets nothing."""
    cfg, w = problem.config, problem.workers
    assigned = warm[warm != ""]
    key = pd.MultiIndex.from_arrays([assigned.index.to_numpy(), assigned.to_numpy()])
    pair_cost = problem.eligible.set_index(["unit", "worker_id"]).reindex(key)[[f"cost_{t}" for t in PAIR_TERMS]].sum(axis=1)
    pair_cost = pd.Series(pair_cost.to_numpy(), index=assigned.index)
    unal = problem.unallocated_cost.where(warm.reindex(problem.unallocated_cost.index) == "", 0.0)
    pts, kids = assignment_loads(problem, warm)
    lb = pd.Series(R.load_balance_cost(pts.to_numpy(), w["capacity"].to_numpy(), kids.to_numpy(),
                                       w["soft_max_children"].to_numpy(), cfg), index=w.index)
    n_pairs = problem.pairs["unit"].value_counts()
    out = []
    for units, workers in blocks:
        u = pd.Index(units)
        out.append(float(pair_cost.reindex(u).fillna(0.0).sum() + unal.reindex(u).fillna(0.0).sum()
                         + lb.reindex(workers).sum() + n_pairs.reindex(u).fillna(0).sum()))
    return out


def _run_blocks(problem: Problem, blocks, budgets, warm: pd.Series, floor: dict[str, float], *,
                deadline: float | None, solver: str, progress: Callable | None) -> list:
    """Solve every block, `config.threads` at a time (one solver thread each), lightest first
    (`_block_weights`). A block starting gets the time left in proportion to its share of the
    weight not yet done (times the number running at once), so time a quick block does not use
    passes on to the heavier ones."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    sizes = _block_weights(problem, blocks, warm)
    order = sorted(range(len(blocks)), key=lambda k: (sizes[k], k))
    parallel = max(1, min(int(problem.config.threads), len(blocks)))
    lock = threading.Lock()
    pending = {"size": float(sum(sizes))}

    def run(k: int):
        with lock:
            share = sizes[k] / max(1.0, pending["size"])
        limit = None
        if deadline is not None:
            left = max(0.0, deadline - time.perf_counter())
            limit = left * min(1.0, parallel * share)
        res = _solve_block(problem, blocks[k][0], blocks[k][1], warm, floor, budgets[k], time_limit=limit,
                           solver=solver, progress=progress)
        with lock:
            pending["size"] -= sizes[k]
        return res

    if parallel == 1:
        results = {k: run(k) for k in order}
    else:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            futures = {k: pool.submit(run, k) for k in order}
            results = {k: f.result() for k, f in futures.items()}
    # second round: time the blocks did not use goes to the block with the most left to prove,
    # restarted from its best answer (a block given a slice too short gets another chance)
    retried: set[int] = set()
    while deadline is not None:
        left = deadline - time.perf_counter()
        open_blocks = [k for k in results if k not in retried and results[k].status != "optimal"
                       and _abs_gap(results[k]) > problem.config.gap_rel * max(1.0, abs(results[k].bound or 0.0))]
        if left < SECOND_ROUND_MIN_SECONDS or not open_blocks:
            break
        k = max(open_blocks, key=lambda j: (_abs_gap(results[j]), -j))
        retried.add(k)
        start = warm.copy()
        if results[k].objective is not None:
            start.loc[blocks[k][0]] = ""
            start.loc[results[k].assignment["item"].to_numpy()] = results[k].assignment["agent"].to_numpy()
        again = _solve_block(problem, blocks[k][0], blocks[k][1], start, floor, budgets[k], time_limit=left,
                             solver=solver, progress=progress, warm_start=True)
        results[k] = _better_of(results[k], again)
    return [results[k] for k in range(len(blocks))]


#: Time left over after every block has had its slice is used for a second solve when at least
#: this many seconds remain.
SECOND_ROUND_MIN_SECONDS = 2.0


def _abs_gap(res) -> float:
    if res.objective is None or res.bound is None:
        return np.inf
    return max(0.0, res.objective - res.bound)


def _better_of(first, second):
    """Two solves of the same block model: the better answer with the higher (proven) bound."""
    best = second if (second.objective is not None and
                      (first.objective is None or second.objective <= first.objective + 1e-9)) else first
    bounds = [b for b in (first.bound, second.bound) if b is not None]
    bound = max(bounds) if bounds else None
    if best.objective is not None and bound is not None:
        bound = min(bound, best.objective)
    gap = None if best.objective is None or bound is None else abs(best.objective - bound) / max(1e-9, abs(best.objective))
    status = "optimal" if "optimal" in (first.status, second.status) and best.status == "optimal" else (
        "feasible" if best.objective is not None else best.status)
    return replace(best, bound=bound, gap=gap, status=status,
                   message=f"{first.message}; second solve: {second.message}")


def solve_problem(problem: Problem, *, time_limit: float | None = None, solver: str = "highs",
                  progress: Callable | None = None, deadline: float | None = None) -> tuple[pd.Series, dict]:
    """Solve the model block by block (or as one block); return (assignment unit -> worker,
    solve info). Never worse than the manager's baseline under `evaluate_objective`, and (with
    the guards on) no worse on handoffs, unallocated children or the highest utilisation (of the
    service or of each team: `guard_utilisation_scope`).

    Steps: the baseline; the guards it sets; a local search from it (the warm start); each block
    solved from the warm start with its guard budgets. `deadline` (a `time.perf_counter()`
    instant) or `time_limit` (seconds from now) bounds the whole call. `info["problem"]` is
    the problem as solved (with the guards' limits), for the explanations.
    """
    from workforce.allocation.baseline import baseline_assignment

    cfg = problem.config
    start = time.perf_counter()
    if deadline is None and time_limit is not None:
        deadline = start + time_limit
    base = baseline_assignment(problem)
    base_terms = evaluate_objective(problem, base)
    problem = apply_guards(problem, base)
    blocks = _blocks(problem)
    if cfg.decompose == "single" and len(blocks) > 1:
        blocks = [(sorted(u for b in blocks for u in b[0]), sorted(w for b in blocks for w in b[1]))]
    budgets = guard_budgets(problem, base, blocks)
    const, floor = _outside_constants(problem)
    # local search: a tenth of the time at most (the solver's own heuristics take over from there)
    ls_limit = 10.0 if deadline is None else max(0.2, 0.1 * (deadline - time.perf_counter()))
    warm = _local_search(problem, base, blocks, budgets, ls_limit) if blocks else base
    warm_terms = evaluate_objective(problem, warm)
    if warm_terms["total"] > base_terms["total"] + 1e-6 or not is_feasible(problem, warm):
        warm, warm_terms = base, base_terms  # never start from worse than the baseline
    results = _run_blocks(problem, blocks, budgets, warm, floor, deadline=deadline, solver=solver,
                          progress=progress)
    statuses = [res.status for res in results]
    messages = [res.message for res in results]
    bound_known = all(res.bound is not None for res in results)
    bound_total = const + sum(res.bound for res in results if res.bound is not None)

    def with_blocks(start: pd.Series, which: list[int]) -> pd.Series:
        out = start.copy()
        for k in which:
            res = results[k]
            out.loc[blocks[k][0]] = ""
            out.loc[res.assignment["item"].to_numpy()] = res.assignment["agent"].to_numpy()
        return out

    solved = [k for k, res in enumerate(results) if res.status in ("optimal", "feasible")]
    assignment = with_blocks(warm, solved)
    if evaluate_objective(problem, assignment)["total"] > warm_terms["total"] + 1e-6:
        # some block's answer is worse than the warm start there (HiGHS did not take it up):
        # keep the solver's answer block by block only where it is no worse
        assignment = warm.copy()
        for k in solved:
            trial = with_blocks(assignment, [k])
            if evaluate_objective(problem, trial)["total"] <= evaluate_objective(problem, assignment)["total"] + 1e-6:
                assignment = trial
            else:
                statuses[k] = "feasible"  # not the solver's answer there: nothing proven
    terms = evaluate_objective(problem, assignment)
    used_baseline = False
    if not blocks:
        status, bound = "optimal", terms["total"]  # nothing to decide: no unit has a worker with room
    else:
        status = "optimal" if all(s == "optimal" for s in statuses) else (
            "feasible" if all(s in ("optimal", "feasible") for s in statuses) else "no_solution")
        bound = bound_total if bound_known else None
        if status == "no_solution":
            status = "feasible"  # blocks without a solver answer kept the warm start's
        if terms["total"] > base_terms["total"] + 1e-6:  # cannot happen (the warm start is no worse); a safety net
            assignment, terms = base.copy(), base_terms
            used_baseline = True
            status = "feasible"
    if bound is not None:
        bound = min(bound, terms["total"])
    gap = None if bound is None else (0.0 if status == "optimal" else
                                      abs(terms["total"] - bound) / max(1e-9, abs(terms["total"])))
    info = dict(status=status, objective=terms["total"], bound=bound, gap=gap, terms=terms,
                baseline_objective=base_terms["total"], used_baseline=used_baseline,
                seconds=time.perf_counter() - start, solver=solver, blocks=len(blocks),
                block_status=statuses, message="; ".join(dict.fromkeys(messages)),
                warm_start_objective=warm_terms["total"], problem=problem,
                guard_budgets=budgets)
    if used_baseline:
        info["message"] += "; the solver's answer was not better than the manager's baseline, which is returned"
    return assignment, info


def allocate(workers: pd.DataFrame, cases: pd.DataFrame, *, mode: str = "rebalance",
             leavers: tuple[str, ...] | list[str] = (), risk: pd.DataFrame | None = None,
             config: AllocationConfig | None = None, time_limit: float | None = None,
             solver: str = "highs", progress: Callable | None = None) -> AllocationResult:
    """Allocate children to social workers (see the module docstring).

    `workers`, `cases`: typed frames per the data contracts; `risk`: `worker_id, p_leave`;
    `time_limit` (seconds) overrides `config.time_limit`. Raises `InputError` for bad input
    (unknown leaver, leavers outside leaver mode, unknown current worker).
    """
    from workforce.allocation.explain import build_result

    config = config or AllocationConfig()
    if solver not in ("highs", "cbc"):
        raise InputError(f"unknown solver '{solver}'", column="solver", allowed="highs, cbc")
    if solver == "cbc":
        from workforce.allocation.core import CBC_MISSING, cbc_available

        if not cbc_available():
            raise InputError(CBC_MISSING, column="solver", allowed="highs")
    started = time.perf_counter()
    limit = config.time_limit if time_limit is None else time_limit
    problem = build_problem(workers, cases, mode=mode, leavers=leavers, risk=risk, config=config)
    deadline = None
    if limit is not None:
        # the limit covers the whole call: keep time back for the report (measured ~1 s per
        # 2,000 families on the demo authority)
        deadline = started + limit - (0.3 + 0.5e-3 * len(problem.units))
    assignment, info = solve_problem(problem, solver=solver, progress=progress, deadline=deadline)
    info.pop("problem")  # explanations speak of the hard limits; guards are named where they bind
    result = build_result(problem, assignment, info)
    result.summary["seconds"] = round(time.perf_counter() - started, 3)
    return result
