"""The social-care allocation model on the GAP: build, solve, judge and report.

`allocate()` is the library entry point. It

1. builds the problem (`build.py`): decision units (sibling groups, `families.py`) and fixed
   children; each unit's eligible workers (one function per hard rule, `rules.py`); each
   (unit, worker) pair priced by the pair terms of the objective table (`objective.py`);
2. runs the manager's baseline (`baseline.py`), which sets the no-worse-than-the-baseline
   guards (per block, no more handoffs or unallocated children than the baseline; the busiest
   worker, of the service or of each team, no busier), and improves it by local search
   (`improve.py`);
3. builds an `AssignmentModel` (`workforce.gap`) per independent block with the points and
   children limits, every term of the objective table and the guards, and solves it through
   the one solver adapter (`workforce.mip`), `config.threads` blocks at once, one solver thread
   each; the time limit covers the whole call;
4. judges the answers by one cost function (`objective.evaluate_objective`) and never returns
   something worse than the baseline; the gap is the sum of block objectives against the sum of
   block bounds (the LP relaxation's when a block stopped before the solver's own);
5. reports allocations, worker loads, unallocated children with reasons, team capacity against
   demand and the objective by term (`explain.py` writes the words).

Work stays inside teams, so the problem splits into independent blocks (connected components
of the unit-worker-team graph). Every term is per worker or per team by default, so solving
block by block is exact: the blocks' bounds add up to a bound on the whole. With the
service-wide highest-utilisation term (`highest_utilisation_scope="service"`) the blocks are
coupled and one model is solved.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Callable

import numpy as np
import pandas as pd
import pulp

from workforce import mip
from workforce.allocation import improve as I
from workforce.allocation import objective as O
from workforce.allocation import rules as R
from workforce.allocation.baseline import baseline_assignment
from workforce.allocation.build import build_problem
from workforce.allocation.config import AllocationConfig
from workforce.allocation.explain import build_result
from workforce.allocation.objective import evaluate_objective
from workforce.allocation.problem import AllocationResult, Problem, assignment_loads, chosen_pairs, pair_positions
from workforce.gap.model import AssignmentModel, AssignmentResult

__all__ = ["allocate", "solve_problem", "build_problem", "evaluate_objective", "is_feasible", "apply_guards",
           "guard_budgets", "Problem", "AllocationResult"]


def is_feasible(problem: Problem, assignment: pd.Series) -> bool:
    """Does the assignment respect every hard rule and limit? (used to check warm starts)

    Parameters
    ----------
    problem : Problem
    assignment : Series
        unit -> worker_id ("" = unallocated).

    Returns
    -------
    bool
        True when every allocated unit is on an eligible worker and every worker given work is
        within the problem's points and children limits.
    """
    pos = pair_positions(problem.eligible, assignment)
    if (pos < 0).any():
        return False
    rows = problem.eligible.iloc[pos.to_numpy()]
    added_pts = rows.groupby("worker_id")["points"].sum()
    added_kids = rows.groupby("worker_id")["children"].sum()
    moved = added_pts.index
    pts = problem.fixed_points.add(added_pts, fill_value=0.0).reindex(moved)
    kids = problem.fixed_children.add(added_kids, fill_value=0).reindex(moved)
    ok_pts = (pts <= problem.points_limit.reindex(moved) + 1e-6).all()
    ok_kids = (kids <= problem.children_limit.reindex(moved) + 1e-6).all()
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


def add_handoff_guard(model: AssignmentModel, handoffs: np.ndarray, budget: float) -> None:
    """No more children change worker in the block than in the manager's baseline (a move is a
    new relationship for the child [S40]; a manager will not accept more moves than doing it by
    hand): the handoffs (`rules.handoff_children`) of the chosen pairs within ``budget``."""
    x = model.x.to_numpy()
    nz = handoffs != 0
    if not nz.any():
        return
    expr = pulp.LpAffineExpression(list(zip(x[nz], handoffs[nz].tolist())))
    model.add_constraints("guard_handoffs", [expr <= float(budget)])


def add_unallocated_guard(model: AssignmentModel, children: pd.Series, budget: float) -> None:
    """No more children are left without a worker in the block than in the manager's baseline:
    the children of the units left unassigned within ``budget``."""
    unassigned = model.unassigned
    if not len(unassigned):
        return
    kids = children.reindex(unassigned.index).astype(float).to_numpy()
    expr = pulp.LpAffineExpression(list(zip(unassigned.to_numpy(), kids.tolist())))
    model.add_constraints("guard_unallocated", [expr <= float(budget)])


def _build_block(problem: Problem, units: list[str], workers: list[str], warm: pd.Series,
                 floors: dict[str, dict[str, float]], budgets: tuple[float, float] = (np.inf, np.inf)):
    """Build one AssignmentModel over `units` x `workers`: the points and children limits, every
    term of the objective table (`objective.add_objective`) and the block's handoff and
    unallocated guard budgets; returns it with the warm start as an item/agent frame."""
    pairs = problem.pairs[problem.pairs["unit"].isin(units) & problem.pairs["worker_id"].isin(workers)]
    pairs = pairs.reset_index(drop=True)
    frame = pd.DataFrame({"item": pairs["unit"], "agent": pairs["worker_id"], "cost": 0.0,
                          "load": pairs["points"]})
    room_pts = (problem.points_limit - problem.fixed_points).clip(lower=0.0).reindex(workers)
    room_kids = (problem.children_limit - problem.fixed_children).clip(lower=0.0).reindex(workers)
    model = AssignmentModel(frame, room_pts, unassigned_cost=problem.unallocated_cost.reindex(units),
                            name="social_care")
    model.add_resource("children", pairs["children"].astype(float), room_kids)
    O.add_objective(model, problem, pairs, workers, floors)
    if np.isfinite(budgets[0]):
        add_handoff_guard(model, pairs["handoffs"].to_numpy(float), budgets[0])
    if np.isfinite(budgets[1]):
        add_unallocated_guard(model, problem.units["n_children"], budgets[1])
    ws = warm.reindex(units)
    ws = pd.DataFrame({"item": ws.index, "agent": ws.to_numpy()})
    ws = ws[ws["agent"] != ""]
    return model, ws


def _solve_block(problem: Problem, units: list[str], workers: list[str], warm: pd.Series,
                 floors: dict[str, dict[str, float]], budgets: tuple[float, float], *, time_limit: float | None,
                 solver: str, progress: Callable | None, warm_start: bool | None = None) -> AssignmentResult:
    """Build one block's model and solve it (one solver thread). `warm_start`: hand the solver
    `warm` as its first solution (None: only when the block has under `COLD_START_MIN_SECONDS`)."""
    model, ws = _build_block(problem, units, workers, warm, floors, budgets)
    if time_limit is not None and time_limit < MIN_BLOCK_SECONDS:
        # no time left for a search: keep the warm start there and prove what the LP relaxation can
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
            res = replace(res, bound=bound, gap=mip.relative_gap(res.objective, bound),
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


def _relaxation_bound(model: AssignmentModel, *, time_limit: float, solver: str) -> float | None:
    """A proven lower bound for a block whose MIP solve stopped before reporting one: the
    optimum of its LP relaxation (the same model with every variable continuous)."""
    for var in model.problem.variables():
        var.cat = pulp.LpContinuous
    res = model.solve(time_limit=time_limit, solver=solver, threads=1)
    return res.objective if res.status == "optimal" else None  # an LP solved to optimality proves its optimum


def apply_guards(problem: Problem, baseline: pd.Series) -> Problem:
    """The problem under the utilisation guard (`rules.utilisation_guard_limit`): points limits
    no team's busiest worker can pass without going above the baseline's, and the pairs that no
    longer fit dropped. The baseline still fits.

    Parameters
    ----------
    problem : Problem
    baseline : Series
        The manager's assignment (unit -> worker_id, "" = unallocated).

    Returns
    -------
    Problem
        A copy with the guarded ``points_limit`` and ``pairs``; ``problem`` itself when the
        guard is off.
    """
    if not problem.config.guard_utilisation:
        return problem
    base_pts, _ = assignment_loads(problem, baseline)
    limit = R.utilisation_guard_limit(problem.workers, problem.points_limit, base_pts, problem.config)
    room = (limit - problem.fixed_points).reindex(problem.pairs["worker_id"]).to_numpy()
    keep = problem.pairs["points"].to_numpy() <= room + 1e-9
    return replace(problem, points_limit=limit, pairs=problem.pairs[keep].reset_index(drop=True))


def guard_budgets(problem: Problem, baseline: pd.Series, blocks: list[tuple[list[str], list[str]]]
                  ) -> list[tuple[float, float]]:
    """The budgets of the handoff and unallocated guards per block.

    Parameters
    ----------
    problem : Problem
    baseline : Series
        The manager's assignment (unit -> worker_id, "" = unallocated).
    blocks : list
        (units, workers) per block.

    Returns
    -------
    list of tuple
        Per block: (handoffs, unallocated children) of the baseline there; inf when that guard
        is off.
    """
    cfg = problem.config
    moved = chosen_pairs(problem, baseline)["handoffs"]
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
    unit_block = pd.Series({u: k for k, (units, _) in enumerate(blocks) for u in units}, dtype=int)
    d = I.search_data(problem, problem.pairs, problem.points_limit, unit_block,
                      {k: b[0] for k, b in enumerate(budgets)}, {k: b[1] for k, b in enumerate(budgets)})
    choice = I.improve(d, O.choice_of(problem, problem.pairs, baseline), time_limit=time_limit)
    out = pd.Series("", index=problem.units.index, dtype=object)
    on = choice >= 0
    out.iloc[np.flatnonzero(on)] = problem.pairs["worker_id"].to_numpy()[choice[on]]
    return out


def _block_weights(problem: Problem, blocks, warm: pd.Series) -> list[float]:
    """How much of the time each block gets: its share of the warm start's objective (what there
    is to gain, dominated by the children it leaves unallocated), plus one per pair (the work of
    searching it) so that no block gets nothing."""
    state = O.Loads(O.ObjectiveData.from_problem(problem, problem.eligible),
                    O.choice_of(problem, problem.eligible, warm))
    per_unit, per_worker = state.by_unit_and_worker()
    per_unit = pd.Series(per_unit, index=problem.units.index)
    per_worker = pd.Series(per_worker, index=problem.workers.index)
    n_pairs = problem.pairs["unit"].value_counts()
    out = []
    for units, workers in blocks:
        u = pd.Index(units)
        out.append(float(per_unit.reindex(u).fillna(0.0).sum() + per_worker.reindex(workers).sum()
                         + n_pairs.reindex(u).fillna(0).sum()))
    return out


def _run_blocks(problem: Problem, blocks, budgets, warm: pd.Series, floors: dict[str, dict[str, float]], *,
                deadline: float | None, solver: str, progress: Callable | None) -> list:
    """Solve every block, `config.threads` at a time (one solver thread each), lightest first
    (`_block_weights`). A block starting gets the time left in proportion to its share of the
    weight not yet done (times the number running at once), so time a quick block does not use
    passes on to the heavier ones."""
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
        res = _solve_block(problem, blocks[k][0], blocks[k][1], warm, floors, budgets[k], time_limit=limit,
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
        again = _solve_block(problem, blocks[k][0], blocks[k][1], start, floors, budgets[k], time_limit=left,
                             solver=solver, progress=progress, warm_start=True)
        results[k] = _better_of(results[k], again)
    return [results[k] for k in range(len(blocks))]


#: Time left over after every block has had its slice is used for a second solve when at least
#: this many seconds remain.
SECOND_ROUND_MIN_SECONDS = 2.0


def _abs_gap(res: AssignmentResult) -> float:
    if res.objective is None or res.bound is None:
        return np.inf
    return max(0.0, res.objective - res.bound)


def _better_of(first: AssignmentResult, second: AssignmentResult) -> AssignmentResult:
    """Two solves of the same block model: the better answer with the higher (proven) bound."""
    best = second if (second.objective is not None and
                      (first.objective is None or second.objective <= first.objective + 1e-9)) else first
    bounds = [b for b in (first.bound, second.bound) if b is not None]
    bound = max(bounds) if bounds else None
    if best.objective is not None and bound is not None:
        bound = min(bound, best.objective)
    gap = mip.relative_gap(best.objective, bound)
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
    solved from the warm start with its guard budgets.

    Parameters
    ----------
    problem : Problem
    time_limit : float or None
        Seconds from now for the whole call (when ``deadline`` is not given).
    solver : {"highs", "cbc"}
    progress : callable or None
        Called at each improving solution of a block.
    deadline : float or None
        A `time.perf_counter()` instant by which the call ends.

    Returns
    -------
    tuple
        (assignment unit -> worker_id, "" = unallocated; info dict with ``status, objective,
        bound, gap, terms, baseline_objective, used_baseline, seconds, solver, blocks,
        block_status, message, warm_start_objective, guard_budgets`` and ``problem``, the
        problem as solved, with the guards' limits).
    """
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
    const, floors = O.outside_constant(problem)
    # local search: a tenth of the time at most (the solver's own heuristics take over from there)
    ls_limit = 10.0 if deadline is None else max(0.2, 0.1 * (deadline - time.perf_counter()))
    warm = _local_search(problem, base, blocks, budgets, ls_limit) if blocks else base
    warm_terms = evaluate_objective(problem, warm)
    if warm_terms["total"] > base_terms["total"] + 1e-6 or not is_feasible(problem, warm):
        warm, warm_terms = base, base_terms  # never start from worse than the baseline
    results = _run_blocks(problem, blocks, budgets, warm, floors, deadline=deadline, solver=solver,
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
    gap = 0.0 if status == "optimal" and bound is not None else mip.relative_gap(terms["total"], bound)
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

    Parameters
    ----------
    workers, cases : DataFrame
        Typed frames per the data contracts (`contracts.load_workers`, `load_cases`).
    mode : {"new", "rebalance", "leaver"}
        "new": place children without a worker (existing work stays); "rebalance": every child
        not pinned may move; "leaver": as rebalance, and the named leavers take nothing.
    leavers : sequence of str
        Worker IDs who are leaving (leaver mode only).
    risk : DataFrame or None
        ``worker_id, p_leave``: each worker's chance of leaving (the risk-aware load term).
    config : AllocationConfig or None
        Weights, caseload rules, guards and solver settings.
    time_limit : float or None
        Seconds for the whole call (overrides ``config.time_limit``).
    solver : {"highs", "cbc"}
        CBC only when installed.
    progress : callable or None
        Called with ``{"seconds", "objective", "bound", "gap"}`` as the solver improves.

    Returns
    -------
    AllocationResult

    Raises
    ------
    InputError
        For bad input: an unknown mode or solver (or CBC not installed), an unknown leaver or
        current worker, leavers outside leaver mode, duplicated IDs, a bad p_leave.
    """
    config = config or AllocationConfig()
    mip.check_solver(solver)
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
