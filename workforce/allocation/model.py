"""The social-care allocation model on the GAP: build, solve, check, judge and report.

`allocate()` is the library entry point. It

1. builds the problem (`build.py`): decision units (sibling groups, `families.py`), fixed
   children and each unit's keeper; each unit's eligible workers within reach (one function per
   hard rule, `rules.py`); each (unit, worker) pair priced by the pair terms of the objective
   table (`objective.py`);
2. runs the manager's baseline (`baseline.py`) and improves it by local search (`improve.py`);
3. builds an `AssignmentModel` (`workforce.gap`) per independent block with the limits on
   points, children and complex children, every term of the objective table and each unit's
   fallback, and solves it through the one solver adapter (`workforce.mip`), `config.threads`
   blocks at once, one solver thread each: every block's root node first, then branch and
   bound (within `config.node_limit` nodes) on the blocks the root left open, the largest gap
   first, until the whole is within `config.gap_rel` (`_run_blocks`);
4. judges the answers by one cost function (`objective.evaluate_objective`), never returns
   something worse than the baseline, and checks that no worker above a hard cap could be
   relieved by a single move to a colleague with room (`checks.relief_check`; `checks.relieve`
   makes such moves if the solve left any);
5. reports allocations, changes, worker loads against every cap, unallocated children with
   reasons, team capacity against demand, the objective by term and one explanation per child
   (`explain.py`).

Work stays inside teams (or localities, with reach "locality"), so the problem splits into
independent blocks (connected components of the unit-worker-team graph). Every term is per
worker or per team by default, so solving block by block is exact: the blocks' bounds add up
to a bound on the whole. With the service-wide highest-utilisation term
(`highest_utilisation_scope="service"`) the blocks are coupled and one model is solved.

The same inputs, settings and seed give the same answer on any machine whenever the run ends
within its time limit: every stage is bounded by counts of work (search passes, branch-and-bound
nodes), and the time limit only stops a run early (`stopped_by_time_limit` in the summary).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import pandas as pd
import pulp

from workforce import mip
from workforce.allocation import checks as C
from workforce.allocation import improve as I
from workforce.allocation import objective as O
from workforce.allocation import rules as R
from workforce.allocation.baseline import baseline_assignment
from workforce.allocation.build import build_problem
from workforce.allocation.config import AllocationConfig
from workforce.allocation.explain import build_result
from workforce.allocation.objective import evaluate_objective
from workforce.allocation.problem import LOADS, AllocationResult, Problem, pair_positions
from workforce.contracts import RiskCoverage, risk_coverage
from workforce.gap.model import AssignmentModel, AssignmentResult

__all__ = ["allocate", "solve_problem", "build_problem", "evaluate_objective", "is_feasible", "Problem",
           "AllocationResult"]


def is_feasible(problem: Problem, assignment: pd.Series) -> bool:
    """Does the assignment respect every hard rule and limit? (used to check warm starts)

    Parameters
    ----------
    problem : Problem
    assignment : Series
        unit -> worker_id ("" = unplaced).

    Returns
    -------
    bool
        True when every placed unit is on an eligible worker, every unit that may not wait is
        placed, and every worker given work is within the problem's limits.
    """
    pos = pair_positions(problem.eligible, assignment)
    if (pos < 0).any():
        return False
    waiting = assignment.reindex(problem.units.index).fillna("") == ""
    if (waiting & ~problem.units["may_wait"]).any():
        return False
    rows = problem.eligible.iloc[pos.to_numpy()]
    fb = problem.fallback[problem.fallback.index.isin(waiting.index[waiting.to_numpy()])]
    added = pd.concat([rows[["worker_id", *LOADS]], fb[["worker_id", *LOADS]]], ignore_index=True)
    added = added.groupby("worker_id")[list(LOADS)].sum()
    total = problem.fixed.reindex(added.index).fillna(0.0) + added
    return bool((total <= problem.limits.reindex(added.index) + 1e-6).all().all())


# -------------------------------------------------------------------------------- solving


def _blocks(problem: Problem) -> list[tuple[list[str], list[str]]]:
    """Independent blocks: connected components of the graph linking each unit to its eligible
    workers and to its keeper (whose load it keeps when unplaced) and each worker to its team
    (so a team's highest-utilisation term stays in one block). With the service-wide
    highest-utilisation term everything is one block."""
    pairs = problem.pairs
    if not len(pairs):
        return []
    fb = problem.fallback
    workers = sorted(set(pairs["worker_id"]) | set(fb["worker_id"]))
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
    for u, w in zip(fb.index, fb["worker_id"]):
        union(node[("u", u)], node[("w", w)])
    for w in workers:
        union(node[("w", w)], node[("t", problem.workers.at[w, "team"])])
    groups: dict[int, tuple[list[str], list[str]]] = {}
    for (kind, key), k in node.items():
        if kind == "t":
            continue
        g = groups.setdefault(find(k), ([], []))
        (g[0] if kind == "u" else g[1]).append(key)
    return sorted([(sorted(u), sorted(w)) for u, w in groups.values() if u], key=lambda b: b[0][0])


def _build_block(problem: Problem, units: list[str], workers: list[str], warm: pd.Series,
                 floors: dict[str, dict[str, float]]):
    """Build one AssignmentModel over `units` x `workers`: the limits on every load (with the
    fallback loads of units left unplaced), every term of the objective table
    (`objective.add_objective`); returns it with the warm start as an item/agent frame."""
    pairs = problem.pairs[problem.pairs["unit"].isin(units) & problem.pairs["worker_id"].isin(workers)]
    pairs = pairs.reset_index(drop=True)
    frame = pd.DataFrame({"item": pairs["unit"], "agent": pairs["worker_id"], "cost": 0.0,
                          "load": pairs["points"]})
    room = (problem.limits - problem.fixed).clip(lower=0.0).reindex(workers)
    u = problem.units.loc[units]
    waits = problem.unallocated_cost.reindex(units).where(u["may_wait"].to_numpy())
    fb = problem.fallback[problem.fallback.index.isin(units)]
    model = AssignmentModel(frame, room["points"], unassigned_cost=waits, fallback_agent=fb["worker_id"],
                            fallback_load=fb["points"], name="social_care")
    for load in ("children", "complex"):
        model.add_resource(load, pairs[load].astype(float), room[load], fallback_load=fb[load])
    O.add_objective(model, problem, pairs, workers, floors)
    ws = warm.reindex(units)
    ws = pd.DataFrame({"item": ws.index, "agent": ws.to_numpy()})
    ws = ws[ws["agent"] != ""]
    return model, ws


def _solve_block(problem: Problem, units: list[str], workers: list[str], warm: pd.Series,
                 floors: dict[str, dict[str, float]], *, deadline: float | None, solver: str,
                 progress: Callable | None, quick_bound: Callable[[], float], node_limit: int | None = None,
                 last_pass: bool = True, abs_gap: float | None = None,
                 options: dict | None = None) -> AssignmentResult:
    """Build one block's model and solve it from the warm start (one solver thread, at most
    ``node_limit`` nodes, default `config.node_limit`; the ``deadline``, a `time.perf_counter()`
    instant, only stops it early), until within `config.gap_rel` of its bound or, when given,
    within ``abs_gap`` of it; ``options`` are further HiGHS settings. A block with too little time
    left keeps the warm start and ``quick_bound()``. On the last pass a block stopped by its node
    limit with a weak bound gets the LP relaxation's bound when that is higher."""

    def left() -> float | None:
        return None if deadline is None else deadline - time.perf_counter()

    def unsearched() -> AssignmentResult:
        ws = warm.reindex(units)
        return AssignmentResult(assignment=pd.DataFrame({"item": ws.index[ws != ""], "agent": ws[ws != ""].to_numpy()}),
                                unassigned=[], objective=None, bound=quick_bound(), gap=None,
                                status="feasible", seconds=0.0, solver=solver, limit="time",
                                message=f"not searched for want of time: the local search's answer kept, {SIMPLE_BOUND}")

    if left() is not None and left() < MIN_BLOCK_SECONDS:
        return unsearched()
    model, ws = _build_block(problem, units, workers, warm, floors)
    time_limit = left()  # measured after the build, which can take seconds on a large block
    if time_limit is not None and time_limit < MIN_BLOCK_SECONDS:
        return unsearched()
    res = model.solve(time_limit=time_limit, solver=solver, threads=1, warm_start=ws,
                      gap_rel=problem.config.gap_rel, progress=progress,
                      node_limit=problem.config.node_limit if node_limit is None else node_limit,
                      options={**(options or {}), **({} if abs_gap is None else {"mip_abs_gap": float(abs_gap)})})
    if res.bound is None:  # stopped before the solver proved any bound
        res = replace(res, bound=quick_bound(), message=f"{res.message}; {SIMPLE_BOUND}")
    weak = res.bound is None or res.gap is None or res.gap > WEAK_BLOCK_GAP
    if last_pass and res.status in ("feasible", "no_solution") and weak and res.limit != "time":
        # stopped (by its node limit) with a weak bound: the LP relaxation may prove a better one
        bound = _relaxation_bound(model, solver=solver)
        if bound is not None and (res.bound is None or bound > res.bound):
            res = replace(res, bound=bound, gap=mip.relative_gap(res.objective, bound),
                          message=res.message + "; bound from the LP relaxation")
    return res


def _better(first: AssignmentResult, second: AssignmentResult) -> AssignmentResult:
    """One block's two solves as one result: the better answer, and the higher of the two proven
    bounds (both bound the same model)."""
    if second.objective is None or (first.objective is not None and first.objective < second.objective - 1e-9):
        best = replace(first, limit=second.limit, seconds=first.seconds + second.seconds,
                       message=f"{first.message}; then {second.message}")
    else:
        best = replace(second, seconds=first.seconds + second.seconds)
    bounds = [b for b in (first.bound, second.bound) if b is not None]
    bound = max(bounds) if bounds else None
    gap = mip.relative_gap(best.objective, bound)
    status = "optimal" if best.status == "optimal" or gap == 0.0 else best.status
    return replace(best, bound=bound, gap=gap, status=status)


#: HiGHS settings for the blocks too large to solve whole in the first pass, measured on the
#: demo's. A restart (HiGHS re-presolving the model with what its root search learnt) throws away
#: the root's cuts: on the over-demand team block it doubled the time to 0.1% (25.9 s against
#: 9.3 s, one thread; the seed-1 demo's rebalance 92 s against 61 s). On small blocks restarts
#: are cheap and help a little (`new` mode at 1x: 0.53-0.58 s against 0.69-0.78 s).
LARGE_BLOCK_OPTIONS = {"mip_allow_restart": False}
#: Branch-and-bound nodes of the first pass over the blocks: the root node only.
ROOT_NODES = 1
#: What a block left at its root node reports when the whole was within its gap without it.
ROOT_ENOUGH = "root node solved; the whole was within its gap without searching this team further"
#: A block with at most this many eligible pairs is solved whole in the first pass: stopping it
#: after its root and solving it again costs more than finishing it (`new` mode's blocks of a few
#: dozen families: 2.1 s against 1.0 s at 1x), and it cannot hold the others up for long.
WHOLE_IN_FIRST_PASS = 1000
#: Under a time limit, seconds kept back per eligible pair of the large blocks (small ones are
#: solved whole at once; at most `BOUND_SHARE` of the time left) to bound, by their LP
#: relaxations, the blocks the search may not reach: the simple bound
#: (`QuickBound`) is far weaker (the demo's six blocks: 10,802 against 66,107, whose optimum is
#: 70,014). Measured: building and solving the six relaxations of the demo's 23,900 pairs takes
#: 0.9 s, one thread.
BOUND_SECONDS_PER_PAIR = 4e-5
BOUND_SHARE = 0.15
#: How a block's message names the bound it reports when the solver proved none.
SIMPLE_BOUND = "a simple bound"
LP_BOUND = "a bound from its LP relaxation"
#: Below this many seconds left, a block is not searched: the warm start stands.
MIN_BLOCK_SECONDS = 0.2
#: A block stopped by its node limit with a gap above this gets the LP relaxation's bound when
#: that is higher.
WEAK_BLOCK_GAP = 0.05


@dataclass(frozen=True)
class QuickBound:
    """What `QuickBound.of` needs, computed once per problem: per unit, the cheapest placed cost,
    the cost when it waits (inf where it may not), the least load it brings to any worker and
    the load it leaves on its keeper when it waits; per worker, its terms at the load fixed on
    it, its room up to its hard caps and above them; the over-cap rate per load."""

    placed_cost: pd.Series
    wait_cost: pd.Series
    need: pd.DataFrame  # unit x (points, children)
    kept: pd.DataFrame  # unit x (points, children)
    fixed_cost: pd.Series
    free: pd.DataFrame  # worker x (points, children)
    priced: pd.DataFrame  # worker x (points, children)
    rate: dict[str, float]

    @classmethod
    def of_problem(cls, problem: Problem) -> "QuickBound":
        cfg, w, pairs = problem.config, problem.workers, problem.pairs
        units = problem.units.index
        cost = sum(pairs[f"cost_{t.name}"] for t in O.terms_of("pair")) if len(pairs) else pd.Series(dtype=float)
        placed = (cost.groupby(pairs["unit"]).min() if len(pairs) else pd.Series(dtype=float)).reindex(units)
        wait = problem.unallocated_cost.reindex(units).where(problem.units["may_wait"].to_numpy(), np.inf)
        loads = ["points", "children"]
        need = (pairs.groupby("unit")[loads].min() if len(pairs) else pd.DataFrame(columns=loads)).reindex(units)
        kept = problem.fallback[loads].reindex(units)
        fixed = problem.fixed.reindex(w.index).fillna(0.0)
        fixed_cost = O.worker_terms_at(w, cfg, fixed[list(LOADS)].to_numpy(float), np.arange(len(w)))
        hard = {h.resource: h for h in R.over_cap_cost(w, cfg) if not h.step}
        free, priced = {}, {}
        for load in loads:
            limit = problem.limits[load].reindex(w.index).to_numpy(float)
            held, cap = fixed[load].to_numpy(float), hard[load].threshold
            free[load] = np.maximum(0.0, np.minimum(limit, cap) - held)
            priced[load] = np.where(np.isfinite(cap), np.maximum(0.0, limit - np.maximum(cap, held)), 0.0)
        return cls(placed_cost=placed.fillna(np.inf).astype(float), wait_cost=wait.astype(float),
                   need=need.fillna(0.0).astype(float), kept=kept.fillna(0.0).astype(float),
                   fixed_cost=pd.Series(fixed_cost, index=w.index),
                   free=pd.DataFrame(free, index=w.index), priced=pd.DataFrame(priced, index=w.index),
                   rate={load: float(hard[load].rate) for load in loads})

    def of(self, units: list[str], workers: list[str]) -> float:
        """A lower bound on the objective of the block of ``units`` and ``workers`` that needs no
        solve (for a block the time limit left unsearched): each unit at its cheapest option (its
        cheapest pair's pair terms, or its cost when unplaced where it may wait); each worker's
        terms at the load fixed on them (the terms only grow with load); and what the block's
        room forces on top (`_room_shortfall_cost`), on points or on children, whichever is more.
        Group terms are at least zero."""
        placed = self.placed_cost.reindex(units).to_numpy(float)
        wait = self.wait_cost.reindex(units).to_numpy(float)
        bound = float(np.fmin(placed, wait).clip(min=0.0).sum()) + float(self.fixed_cost.reindex(workers).sum())
        extra = 0.0
        for load in ("points", "children"):
            extra = max(extra, _room_shortfall_cost(placed, wait, self.need[load].reindex(units).to_numpy(float),
                                                    self.kept[load].reindex(units).to_numpy(float),
                                                    float(self.free[load].reindex(workers).sum()),
                                                    float(self.priced[load].reindex(workers).sum()), self.rate[load]))
        return bound + extra


def _room_shortfall_cost(placed_cost: np.ndarray, wait_cost: np.ndarray, need: np.ndarray, kept: np.ndarray,
                         free: float, priced: float, price: float) -> float:
    """The least extra cost of fitting a block's units into its workers' room on one load, the
    room of all its workers pooled (a relaxation of each worker's limit, so a lower bound).

    Each unit at its cheaper option takes ``need`` of the load when placed (at ``placed_cost``)
    or leaves ``kept`` on its keeper when it waits (at ``wait_cost``). Room up to the workers'
    caps is ``free``; room above a cap, where a worker may keep a load above it, is ``priced``
    at ``price`` per unit of load (the over-cap rate). Load beyond the free room is covered the
    cheapest way per unit of load: a placed unit waiting instead (freeing ``need - kept`` at
    ``wait_cost - placed_cost``) or priced room, the last one in part (the optimum of this
    fractional knapsack)."""
    placed = placed_cost <= wait_cost
    excess = float(np.where(placed, need, kept).sum()) - free
    if excess <= 1e-9:
        return 0.0
    freed = np.where(placed & np.isfinite(wait_cost), need - kept, 0.0)
    use = freed > 1e-9
    amounts = np.append(freed[use], priced)
    prices = np.append((wait_cost - placed_cost)[use] / freed[use], price)
    extra = 0.0
    for i in np.argsort(prices, kind="stable"):
        take = min(amounts[i], excess)
        extra += take * prices[i]
        excess -= take
        if excess <= 1e-9:
            break
    return extra


def _relaxation_bound(model: AssignmentModel, *, solver: str, time_limit: float | None = None) -> float | None:
    """A proven lower bound for a block whose MIP solve stopped before proving a good one, or
    that the time limit left unsearched: the optimum of its LP relaxation (the same model with
    every variable continuous); None when it is not solved to optimality within ``time_limit``."""
    for var in model.problem.variables():
        var.cat = pulp.LpContinuous
    res = model.solve(solver=solver, threads=1, time_limit=time_limit)
    return res.objective if res.status == "optimal" else None  # an LP solved to optimality proves its optimum


def _local_search(problem: Problem, start: pd.Series, deadline: float | None) -> tuple[pd.Series, bool]:
    """``start`` improved by `improve.improve` under the true objective (`config.search_passes`
    passes at most); whether the deadline stopped it."""
    d = I.search_data(problem, problem.pairs)
    choice, stopped = I.improve(d, O.choice_of(problem, problem.pairs, start),
                                max_passes=problem.config.search_passes, deadline=deadline)
    out = pd.Series("", index=problem.units.index, dtype=object)
    on = choice >= 0
    out.iloc[np.flatnonzero(on)] = problem.pairs["worker_id"].to_numpy()[choice[on]]
    return out, stopped


def _run_blocks(problem: Problem, blocks, warm: pd.Series, floors: dict[str, dict[str, float]], *,
                deadline: float | None, solver: str, progress: Callable | None) -> list:
    """Solve every block in two passes, `config.threads` blocks at a time.

    1. Every block's root node (its cuts and heuristics; `ROOT_NODES`), in a fixed order: a
       proven bound and a good answer for every block before any one block's search can take
       the rest of the time (on the demo most blocks are done here). A small block
       (`WHOLE_IN_FIRST_PASS`) is solved whole here.
    2. The blocks the root did not close, the largest absolute gap first, each searched from its
       root answer up to `config.node_limit` nodes, until the whole (not each block) is within
       `config.gap_rel` of its bound: a block may stop at the gap the others leave room for,
       and none is searched once the whole is within it.
    3. Under a time limit, the blocks the search did not reach (or left without a proven bound)
       are bounded by their LP relaxations, in time kept back for it (`BOUND_SECONDS_PER_PAIR`),
       where that beats the simple bound (`QuickBound`): the gap a time-limited run reports is
       then near the truth, and the answer is the same.

    Both passes are bounded by counts of work, so a run that ends within its time limit gives
    the same answer on any machine; the time limit only stops one early."""
    parallel = max(1, min(int(problem.config.threads), len(blocks)))
    size = problem.pairs.groupby("unit").size()
    pairs_in = [int(size.reindex(units).fillna(0).sum()) for units, _ in blocks]
    small = [n <= WHOLE_IN_FIRST_PASS for n in pairs_in]

    quick: list[QuickBound] = []  # computed once, when a block first needs it
    simple: set[int] = set()  # blocks left with the simple bound

    def quick_bound(k: int) -> float:
        if not quick:
            quick.append(QuickBound.of_problem(problem))
        simple.add(k)
        return quick[0].of(*blocks[k])

    final = deadline
    if deadline is not None:  # time kept back to bound the large blocks the search may not reach
        large = sum(n for n, whole in zip(pairs_in, small) if not whole)
        deadline -= min(BOUND_SECONDS_PER_PAIR * large, BOUND_SHARE * max(deadline - time.perf_counter(), 0.0))

    def run(k: int, start: pd.Series, nodes: int | None, last: bool, abs_gap: float | None) -> AssignmentResult:
        return _solve_block(problem, blocks[k][0], blocks[k][1], start, floors, deadline=deadline, solver=solver,
                            progress=progress, quick_bound=lambda: quick_bound(k), node_limit=nodes, last_pass=last,
                            abs_gap=abs_gap, options=None if small[k] else LARGE_BLOCK_OPTIONS)

    def each(jobs: list) -> list:
        if parallel == 1:
            return [run(*job) for job in jobs]
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            return list(pool.map(lambda job: run(*job), jobs))

    two = problem.config.node_limit > ROOT_NODES
    whole = [small[k] or not two for k in range(len(blocks))]  # solved whole in the first pass
    results = each([(k, warm, None if whole[k] else ROOT_NODES, whole[k], None) for k in range(len(blocks))])
    if two:
        _second_pass(problem, blocks, results, warm, parallel, run, each)
    _bound_by_relaxation(problem, blocks, results, sorted(simple), warm, floors, deadline=final, solver=solver)
    return results


def _bound_by_relaxation(problem: Problem, blocks, results: list, which: list[int], warm: pd.Series,
                         floors: dict[str, dict[str, float]], *, deadline: float | None, solver: str) -> None:
    """Step 3 of `_run_blocks` over ``results`` (changed in place): each block of ``which`` (left
    with the simple bound) gets its LP relaxation's bound where that is higher, while the time
    kept back for it lasts."""
    for k in which:
        if deadline is not None and deadline - time.perf_counter() < MIN_BLOCK_SECONDS:
            return
        model, _ = _build_block(problem, blocks[k][0], blocks[k][1], warm, floors)
        bound = _relaxation_bound(model, solver=solver,
                                  time_limit=None if deadline is None else deadline - time.perf_counter())
        res = results[k]
        if bound is not None and (res.bound is None or bound > res.bound):
            results[k] = replace(res, bound=bound, gap=mip.relative_gap(res.objective, bound),
                                 message=res.message.replace(SIMPLE_BOUND, LP_BOUND))


def _second_pass(problem: Problem, blocks, results: list, warm: pd.Series, parallel: int, run: Callable,
                 each: Callable) -> None:
    """The second pass of `_run_blocks` over ``results`` (changed in place): branch and bound on
    the blocks the root left open, the largest absolute gap first, until the whole is within
    `config.gap_rel`."""

    def gap(res: AssignmentResult) -> float:
        return np.inf if res.objective is None or res.bound is None else max(0.0, res.objective - res.bound)

    def start_of(k: int) -> pd.Series:  # the root's answer, where it found one
        if results[k].objective is None:
            return warm
        start = warm.copy()
        start.loc[blocks[k][0]] = ""
        start.loc[results[k].assignment["item"].to_numpy()] = results[k].assignment["agent"].to_numpy()
        return start

    open_ = sorted((k for k, res in enumerate(results) if res.limit == "work"), key=lambda k: (-gap(results[k]), k))
    for k in open_:  # stopped by the first pass's node limit, as meant: say so in words
        results[k] = replace(results[k], message="root node solved (first pass)")
    for at in range(0, len(open_), parallel):
        wave = open_[at:at + parallel]
        # the whole's allowance left for this wave: `gap_rel` of the blocks' total objective, less
        # the gaps proven outside the wave; the wave's blocks share it
        total = sum(abs(res.objective) for res in results if res.objective is not None)
        room = problem.config.gap_rel * total - sum(gap(results[k]) for k in range(len(results))
                                                    if k not in wave and gap(results[k]) < np.inf)
        if sum(gap(results[k]) for k in wave) <= room:
            # the whole is within gap_rel already (later blocks' gaps are no larger): the root's
            # answer stands for these blocks, by design and not for want of time
            for k in open_[at:]:
                results[k] = replace(results[k], limit=None, message=ROOT_ENOUGH)
            break
        share = max(room, 0.0) / len(wave)
        for k, res in zip(wave, each([(k, start_of(k), None, True, share) for k in wave])):
            results[k] = _better(results[k], res)


def solve_problem(problem: Problem, *, time_limit: float | None = None, solver: str = "highs",
                  progress: Callable | None = None, deadline: float | None = None) -> tuple[pd.Series, dict]:
    """Solve the model block by block (or as one block); return (assignment unit -> worker,
    solve info). Never worse than the manager's baseline under `evaluate_objective`; no worker
    left above a hard cap while a colleague in reach has room for one of their families.

    Steps: the baseline; a local search from it (the warm start); each block solved from the
    warm start; the relief check (`checks.relieve`).

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
        (assignment unit -> worker_id, "" = unplaced; info dict with ``status, objective, bound,
        gap, terms, baseline (its figures), used_baseline, solver, blocks, block_status, message,
        warm_start_objective, stopped_by_time_limit, relief_moves, timings``).
    """
    start = time.perf_counter()
    if deadline is None and time_limit is not None:
        deadline = start + time_limit
    timings: dict[str, float] = {}
    base = baseline_assignment(problem)
    base_terms = evaluate_objective(problem, base)
    timings["baseline"] = time.perf_counter() - start
    blocks = _blocks(problem)
    if problem.config.decompose == "single" and len(blocks) > 1:
        blocks = [(sorted(u for b in blocks for u in b[0]), sorted(w for b in blocks for w in b[1]))]
    const, floors = O.outside_constant(problem)
    t = time.perf_counter()
    warm, stopped = _local_search(problem, base, deadline) if blocks else (base, False)
    warm_terms = evaluate_objective(problem, warm)
    if warm_terms["total"] > base_terms["total"] + 1e-6 or not is_feasible(problem, warm):
        warm, warm_terms = base, base_terms  # never start from worse than the baseline
    timings["local_search"] = time.perf_counter() - t
    t = time.perf_counter()
    results = _run_blocks(problem, blocks, warm, floors, deadline=deadline, solver=solver, progress=progress)
    timings["solve"] = time.perf_counter() - t
    statuses = [res.status for res in results]
    stopped = stopped or any(res.limit == "time" for res in results)
    messages = [res.message for res in results]
    bound_known = all(res.bound is not None for res in results)
    bound_total = const + sum(res.bound for res in results if res.bound is not None)

    def with_blocks(begin: pd.Series, which: list[int]) -> pd.Series:
        out = begin.copy()
        for k in which:
            out.loc[blocks[k][0]] = ""
            out.loc[results[k].assignment["item"].to_numpy()] = results[k].assignment["agent"].to_numpy()
        return out

    solved = [k for k, res in enumerate(results) if res.status in ("optimal", "feasible") and res.objective is not None]
    assignment = with_blocks(warm, solved)
    if evaluate_objective(problem, assignment)["total"] > warm_terms["total"] + 1e-6:
        # some block's answer is worse than the warm start there: keep the solver's answer block
        # by block only where it is no worse
        assignment = warm.copy()
        for k in solved:
            trial = with_blocks(assignment, [k])
            if evaluate_objective(problem, trial)["total"] <= evaluate_objective(problem, assignment)["total"] + 1e-6:
                assignment = trial
            else:
                statuses[k] = "feasible"  # not the solver's answer there: nothing proven
    t = time.perf_counter()
    relieved, relief_moves = C.relieve(problem, assignment)
    if relief_moves:
        assignment = relieved
    terms = evaluate_objective(problem, assignment)
    used_baseline = False
    base_relieved, _ = C.relieve(problem, base)
    base_relieved_terms = evaluate_objective(problem, base_relieved)
    if terms["total"] > base_relieved_terms["total"] + 1e-6:  # a safety net: the warm start is no worse
        assignment, terms, used_baseline = base_relieved, base_relieved_terms, True
    timings["checks"] = time.perf_counter() - t
    if not blocks:
        status, bound = "optimal", terms["total"]  # nothing to decide: no unit has a worker with room
    else:
        status = "optimal" if all(s == "optimal" for s in statuses) and not relief_moves and not used_baseline \
            else "feasible"
        bound = bound_total if bound_known else None
    if bound is not None:
        bound = min(bound, terms["total"])
    # the gap is measured on what the decisions can change (the constant part left out)
    gap = 0.0 if status == "optimal" and bound is not None else mip.relative_gap(
        terms["total"] - const, None if bound is None else bound - const)
    message = "; ".join(dict.fromkeys(messages))
    if relief_moves:
        message += f"; {relief_moves} relief move(s) made after the solve (a worker above a cap had a colleague with room)"
    if used_baseline:
        message += "; the solver's answer was not better than the manager's baseline, which is returned"
    if stopped:
        message += "; stopped by the time limit before its work was done: a longer limit may give a better answer"
    info = dict(status=status, objective=terms["total"], bound=bound, gap=gap, terms=terms,
                baseline_assignment=base, baseline_objective=base_terms["total"], used_baseline=used_baseline,
                solver=solver, blocks=len(blocks), block_status=statuses, message=message,
                warm_start_objective=warm_terms["total"], stopped_by_time_limit=bool(stopped),
                relief_moves=int(relief_moves), fixed_part=const, timings=timings)
    return assignment, info


def risk_gaps(workers: pd.DataFrame, risk: pd.DataFrame) -> RiskCoverage:
    """Rows of the risk table for workers not in the workers table (unused: the same rule as the
    plan's, a table scored before some left), and workers it does not score, who carry no
    risk-aware load: both said, so a manager knows whose risk the allocation weighed."""
    return risk_coverage(risk, workers["worker_id"], workers["worker_id"],
                         "p_leave taken as 0 (no risk-aware load term for them)")


def allocate(workers: pd.DataFrame, cases: pd.DataFrame, *, mode: str = "rebalance",
             leavers: tuple[str, ...] | list[str] = (), risk: pd.DataFrame | None = None,
             config: AllocationConfig | None = None, time_limit: float | None = None,
             solver: str = "highs", progress: Callable | None = None, as_of=None,
             started: float | None = None, keep_back: float = 0.0) -> AllocationResult:
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
        Weights, caseload rules, policy and solver settings.
    time_limit : float or None
        Seconds for the whole call (overrides ``config.time_limit``), counted from ``started``.
    solver : {"highs", "cbc"}
        CBC only when installed.
    progress : callable or None
        Called with ``{"seconds", "objective", "bound", "gap"}`` as the solver improves.
    as_of : date-like or None
        The date contract ends are measured from (default: from the inputs,
        `build.default_as_of`).
    started : float or None
        A `time.perf_counter()` instant the time limit counts from (the CLI passes the moment it
        started, so reading the files counts too); default now.
    keep_back : float
        Seconds of the time limit the caller needs after the call (the CLI: writing the files).

    Returns
    -------
    AllocationResult

    Raises
    ------
    InputError
        For bad input: an unknown mode or solver (or CBC not installed), an unknown leaver or
        current worker, leavers outside leaver mode, duplicated IDs, a bad p_leave or as-of date.
    """
    config = config or AllocationConfig()
    mip.check_solver(solver)
    started = time.perf_counter() if started is None else started
    limit = config.time_limit if time_limit is None else time_limit
    t = time.perf_counter()
    problem = build_problem(workers, cases, mode=mode, leavers=leavers, risk=risk, config=config, as_of=as_of)
    build_seconds = time.perf_counter() - t
    deadline = None
    if limit is not None:
        # the limit covers the whole call: keep time back for the checks and the report (measured
        # ~1 s per 2,000 families), and what the caller asked for
        deadline = started + limit - (0.3 + 0.5e-3 * len(problem.units)) - keep_back
    assignment, info = solve_problem(problem, solver=solver, progress=progress, deadline=deadline)
    t = time.perf_counter()
    result = build_result(problem, assignment, info)
    if risk is not None:
        result.summary.update(risk_gaps(workers, risk).summary())
    result.timings = {"build": round(build_seconds, 3), **{k: round(v, 3) for k, v in info["timings"].items()},
                      "report": round(time.perf_counter() - t, 3), "total": round(time.perf_counter() - started, 3)}
    return result
