"""Search for good GAP solutions: LP relaxation, heuristic warm starts, kernel search, MIP
neighbourhood search, and `solve_assignment`, which combines them with the MIP.

Works on the base GAP of an `AssignmentModel` (cost, load, capacity, unassigned cost) as dense
matrices (`GapMatrices`); resources, constraints or terms added to the model are not seen here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd

from workforce import mip
from workforce.gap import heuristics as heur
from workforce.gap.model import AssignmentModel, AssignmentResult


@dataclass
class LpRelaxation:
    """The GAP's LP relaxation: fractional x (agent x item), unassigned shares, bound, reduced costs."""

    x: np.ndarray
    unassigned: np.ndarray
    bound: float
    reduced_cost: np.ndarray  # inf where the pair is not eligible


@dataclass
class GapMatrices:
    """The base GAP of a model as dense matrices for the numpy heuristics (rows = agents)."""

    items: pd.Index
    agents: pd.Index
    cost: np.ndarray  # inf where the pair is not eligible
    load: np.ndarray
    capacity: np.ndarray
    unassigned_cost: np.ndarray | None  # inf where the item must be assigned
    pair_pos: np.ndarray  # (agent row, item column) of each pairs row, as two arrays stacked

    @classmethod
    def from_model(cls, model: AssignmentModel) -> "GapMatrices":
        agents = pd.Index(pd.unique(model.pairs["agent"]))
        agents = agents.append(model.capacity.index.difference(agents))
        items = model.items
        rows = agents.get_indexer(model.pairs["agent"])
        cols = items.get_indexer(model.pairs["item"])
        cost = np.full((len(agents), len(items)), np.inf)
        load = np.zeros((len(agents), len(items)))
        cost[rows, cols] = model._cost
        load[rows, cols] = model._load
        cap = model.capacity.reindex(agents).to_numpy(dtype=float)
        uc = None
        if len(model.unassigned):
            uc = model.unassigned_cost.reindex(items).to_numpy(dtype=float, na_value=np.inf)
        return cls(items, agents, cost, load, cap, uc, np.vstack([rows, cols]))

    def integral_bound(self, bound: float) -> float:
        """A lower bound rounded up when every cost is a whole number (then so is every objective)."""
        costs = self.cost[np.isfinite(self.cost)]
        if self.unassigned_cost is not None:
            costs = np.concatenate([costs, self.unassigned_cost[np.isfinite(self.unassigned_cost)]])
        if np.all(costs == np.round(costs)):
            return float(math.ceil(bound - 1e-6))
        return bound

    def frame(self, assign: np.ndarray) -> pd.DataFrame:
        """An agent-per-item array (-1 = unassigned) as the ``item, agent`` frame."""
        ok = assign >= 0
        return pd.DataFrame({"item": self.items[ok], "agent": self.agents[assign[ok]]})

    def array(self, assignment: pd.DataFrame) -> np.ndarray:
        """The ``item, agent`` frame back as an agent-per-item array (-1 = unassigned)."""
        out = np.full(len(self.items), -1, dtype=np.int64)
        cols = self.items.get_indexer(assignment["item"])
        out[cols] = self.agents.get_indexer(assignment["agent"])
        return out

    def lp_relaxation(self, time_limit: float | None, threads: int = 1) -> LpRelaxation | None:
        """Solve the LP relaxation with HiGHS (x by agent x item, unassigned share by item, bound and
        reduced costs), or None when it did not reach optimality in time."""
        m, n = self.cost.shape
        h = mip.new_highs(None if time_limit is None else max(0.1, float(time_limit)), threads)
        ii, jj, slack_cols = _add_gap(h, self.cost, self.load, self.capacity, self.unassigned_cost)
        k = len(ii)
        mip.run_highs(h, threads)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = h.getSolution()
        values, duals = np.asarray(solution.col_value), np.asarray(solution.col_dual)
        x = np.zeros((m, n))
        x[ii, jj] = values[:k]
        rc = np.full((m, n), np.inf)
        rc[ii, jj] = duals[:k]
        u = np.zeros(n)
        u[slack_cols] = values[k:]
        return LpRelaxation(x, u, float(h.getInfo().objective_function_value), rc)


@dataclass
class HeuristicStart:
    """A heuristic warm start: the assignment, its cost, and the LP bound found on the way."""

    assignment: pd.DataFrame
    objective: float | None  # None when no capacity-feasible assignment was found
    lp_bound: float | None
    seconds: float
    how: str
    lp: LpRelaxation | None = None


def heuristic_start(model: AssignmentModel, *, time_limit: float = 5.0, seed: int = 0,
                    threads: int = 1, lp_time_limit: float | None = None) -> HeuristicStart:
    """A warm start: LP relaxation, rounding with repair (or regret greedy when the LP is not
    solved within ``lp_time_limit``, default half of ``time_limit``), then shift/swap local
    search for what is left of ``time_limit``. Considers the base GAP of ``model`` only (cost,
    load, capacity, unassigned cost), not resources, constraints or terms added to it.

    Parameters
    ----------
    model : AssignmentModel
    time_limit : float
        Seconds in all.
    seed : int
        For the local search.
    threads : int
        For the LP.
    lp_time_limit : float or None
        Seconds for the LP relaxation.

    Returns
    -------
    HeuristicStart
        ``objective`` None when no capacity-feasible assignment was found.
    """
    start = time.perf_counter()
    g = GapMatrices.from_model(model)
    args = dict(unassigned_cost=g.unassigned_cost)
    lp = g.lp_relaxation(0.5 * time_limit if lp_time_limit is None else lp_time_limit, threads)
    if lp is not None:
        assign = heur.lp_rounding_repair(lp.x, g.cost, g.load, g.capacity, unassigned_frac=lp.unassigned, **args)
        how = "LP rounding"
    else:
        assign = heur.greedy_assignment(g.cost, g.load, g.capacity, **args)
        how = "regret greedy"
    lp_bound = None if lp is None else g.integral_bound(lp.bound)
    assign = heur.local_search(assign, g.cost, g.load, g.capacity, **args, seed=seed, patience=LS_PATIENCE,
                               lower_bound=lp_bound,
                               time_limit=max(0.0, start + float(time_limit) - time.perf_counter()))
    feasible = heur.is_feasible(assign, g.cost, g.load, g.capacity, g.unassigned_cost)
    objective = heur.assignment_cost(assign, g.cost, g.unassigned_cost) if feasible else None
    return HeuristicStart(g.frame(assign), objective, lp_bound, time.perf_counter() - start,
                          how + " + local search", lp)


def kernel_search(model: AssignmentModel, lp: LpRelaxation, assignment: pd.DataFrame, *, time_limit: float,
                  threads: int = 1, first_width: int = 3) -> tuple[pd.DataFrame, float, str]:
    """Restricted-MIP search: keep, for each item, only its ``width`` agents with the lowest LP
    reduced cost (plus its current agent), solve that much smaller GAP with HiGHS from the
    current assignment, and double ``width`` while the restricted MIP is solved to optimality in
    time. Every restricted solution is feasible for the full GAP.

    Parameters
    ----------
    model : AssignmentModel
    lp : LpRelaxation
        The model's LP relaxation (its reduced costs rank the agents).
    assignment : DataFrame
        ``item, agent``: a capacity-feasible starting assignment.
    time_limit : float
        Seconds.
    threads : int
    first_width : int
        Agents kept per item in the first round.

    Returns
    -------
    tuple
        (assignment as ``item, agent``, its cost, a note of the rounds run).
    """
    deadline = time.perf_counter() + float(time_limit)
    g = GapMatrices.from_model(model)
    current = g.array(assignment)
    cost_now = heur.assignment_cost(current, g.cost, g.unassigned_cost)
    m = len(g.agents)
    order = np.argsort(lp.reduced_cost, axis=0, kind="stable")  # agents by reduced cost, per item
    rows, cols = g.pair_pos
    width, note = first_width, []
    floor = g.integral_bound(lp.bound)
    while time.perf_counter() < deadline - 0.5 and cost_now > floor + 1e-9:
        keep = np.zeros(g.cost.shape, dtype=bool)
        top = order[:min(width, m)]
        keep[top, np.arange(g.cost.shape[1])[None, :]] = True
        on = current >= 0
        keep[current[on], np.flatnonzero(on)] = True
        sub_pairs = model.pairs.loc[keep[rows, cols], ["item", "agent", "cost", "load"]]
        sub = AssignmentModel(sub_pairs, model.capacity, unassigned_cost=(
            model.unassigned_cost if len(model.unassigned) else None), name="kernel")
        result = sub.solve(time_limit=max(0.5, deadline - time.perf_counter()), threads=threads,
                           warm_start=g.frame(current))
        note.append(f"width {width}: {len(sub_pairs)} pairs, {result.status}, {result.objective}")
        if result.objective is not None and result.objective < cost_now - 1e-9:
            current, cost_now = g.array(result.assignment), float(result.objective)
        if result.status != "optimal" or width >= m:
            break
        width *= 2
    return g.frame(current), cost_now, "; ".join(note)


#: Local search stops after this many kicks without improvement (the MIP then takes over).
LS_PATIENCE = 400

#: Below this many eligible pairs HiGHS alone is quick; above it (with a time limit) the heuristic
#: warm start pays for itself.
HEURISTIC_MIN_PAIRS = 1000
#: Up to this many pairs the full MIP runs first (it usually proves optimality); above it the
#: reduced-cost kernel search runs first and the LP gives the bound.
SMALL_PAIRS = 5000


def solve_assignment(pairs: pd.DataFrame, capacity: pd.Series, *, unassigned_cost: pd.Series | None = None,
                     time_limit: float | None = None, solver: str = "highs", threads: int = 1,
                     warm_start: pd.DataFrame | None = None, heuristic: str = "auto",
                     seed: int = 0) -> AssignmentResult:
    """Solve a GAP given as eligible pairs and capacities by agent (minimise the total cost).

    With the heuristic, the LP relaxation, rounding + local search (15% of the time for small
    instances, 35% for large) give a warm start. Up to `SMALL_PAIRS` pairs the full MIP then runs
    from it (to 70% of the time) and, if that does not prove optimality, a reduced-cost kernel
    search uses the rest; larger instances go straight to the kernel search with the LP bound as
    proven bound. An LP-rounded start that meets the LP bound is optimal at once. The best
    assignment found is returned with the tightest proven bound; "optimal" only when that bound
    closes the gap.

    Parameters
    ----------
    pairs : DataFrame
        One row per eligible pair: ``item, agent, cost, load``.
    capacity : Series
        Capacity by agent.
    unassigned_cost : Series or None
        By item: the cost of leaving it unassigned (NaN or absent = must be assigned).
    time_limit : float or None
        Seconds for the whole call.
    solver : {"highs", "cbc"}
    threads : int
        Solver threads.
    warm_start : DataFrame or None
        ``item, agent``: a starting assignment.
    heuristic : {"auto", "on", "off"}
        "auto": with a time limit and at least `HEURISTIC_MIN_PAIRS` pairs.
    seed : int
        For the randomised local search.

    Returns
    -------
    AssignmentResult

    Raises
    ------
    InputError
        For bad pairs, capacities or unassigned costs (naming the column), an unknown solver, or
        CBC when it is not installed.
    ValueError
        For an unknown ``heuristic`` setting or ``threads`` < 1.
    """
    solver = mip.check_solver(solver)
    if heuristic not in ("auto", "on", "off"):
        raise ValueError(f"unknown heuristic setting {heuristic!r}; allowed: auto, on, off")
    start = time.perf_counter()
    model = AssignmentModel(pairs, capacity, unassigned_cost=unassigned_cost)
    use = heuristic == "on" or (heuristic == "auto" and time_limit is not None and len(pairs) >= HEURISTIC_MIN_PAIRS)
    if not use or warm_start is not None and heuristic != "on":
        return model.solve(time_limit=time_limit, solver=solver, threads=threads, warm_start=warm_start)
    T = float(time_limit) if time_limit is not None else 20.0  # untimed: heuristics get a nominal budget
    small = len(pairs) <= SMALL_PAIRS or solver != "highs"
    # small instances: a quick warm start, most time for the MIP; large: LP (which may take a while
    # on 100k pairs) and a longer local search before the kernel search
    share = (0.15, 0.1) if small else (0.35, 0.3)
    hs = heuristic_start(model, time_limit=share[0] * T, lp_time_limit=share[1] * T, seed=seed, threads=threads)
    first = warm_start if warm_start is not None else (hs.assignment if hs.objective is not None else None)

    def left() -> float:
        return max(1.0, T - (time.perf_counter() - start))

    if hs.objective is not None and mip.relative_gap(hs.objective, hs.lp_bound) == 0.0 and warm_start is None:
        return _best_of(model, _lp_only(hs.lp_bound), hs, time.perf_counter() - start)  # proven by the LP
    if hs.lp is None or first is None:  # no LP in time, or no feasible start: the full MIP alone
        result = model.solve(time_limit=None if time_limit is None else left(), solver=solver, threads=threads,
                             warm_start=first)
        return _best_of(model, result, hs, time.perf_counter() - start)
    if small:
        # the full MIP from the warm start proves most small instances optimal (A-C types within
        # seconds); the reduced-cost kernel search only gets the time left when it does not
        result = model.solve(time_limit=None if time_limit is None else max(1.0, 0.7 * T - (time.perf_counter() - start)),
                             solver=solver, threads=threads, warm_start=first)
        best = _best_of(model, result, hs, time.perf_counter() - start)
        if best.status != "feasible" or time_limit is None:
            return best
        first = best.assignment
    else:
        result = _lp_only(hs.lp_bound)  # no full MIP on large instances: the LP gives the bound
    kernel, kernel_cost, note = kernel_search(model, hs.lp, first, time_limit=left(), threads=threads)
    found = HeuristicStart(kernel, kernel_cost, hs.lp_bound, hs.seconds, f"{hs.how} + kernel search ({note})")
    return _best_of(model, result, found, time.perf_counter() - start)


def _lp_only(bound: float | None) -> AssignmentResult:
    """A solver result holding only the LP relaxation's bound (no full MIP was run)."""
    return AssignmentResult(assignment=pd.DataFrame(columns=["item", "agent"]), unassigned=[], objective=None,
                            bound=bound, gap=None, status="no_solution", seconds=0.0, solver="highs",
                            message="HiGHS: LP relaxation bound (full MIP not run)")


def _best_of(model: AssignmentModel, result: AssignmentResult, hs: HeuristicStart,
             seconds: float) -> AssignmentResult:
    """Report the better of the solver's and the heuristic's assignments, with the best bound."""
    bounds = [b for b in (result.bound, hs.lp_bound) if b is not None]
    bound = max(bounds) if bounds else None
    if result.status == "infeasible":
        return result
    use_heur = hs.objective is not None and (result.objective is None or hs.objective < result.objective - 1e-9)
    if use_heur:
        assignment = hs.assignment.sort_values("item", kind="stable").reset_index(drop=True)
        placed = set(assignment["item"])
        unassigned = [i for i in model.items if i not in placed]
        objective = hs.objective
        terms = {"assignment": objective - float(model.unassigned_cost.reindex(unassigned).sum()),
                 "unassigned": float(model.unassigned_cost.reindex(unassigned).sum())}
        source = f"; best solution from the heuristic ({hs.how})"
    else:
        assignment, unassigned, objective, terms = result.assignment, result.unassigned, result.objective, result.terms
        source = ""
    gap = mip.relative_gap(objective, bound)
    status = "optimal" if gap is not None and gap <= mip.OPTIMAL_GAP else ("feasible" if objective is not None else result.status)
    if status == "optimal":
        gap = 0.0
    message = f"{result.message}{source}; heuristic {hs.how} {hs.seconds:.1f}s"
    if hs.objective is not None:
        message += f" objective {hs.objective:g}"
    return AssignmentResult(assignment=assignment, unassigned=unassigned, objective=objective, bound=bound, gap=gap,
                            status=status, seconds=seconds, solver=result.solver, terms=terms, message=message)


def _add_gap(h: highspy.Highs, cost: np.ndarray, load: np.ndarray, capacity: np.ndarray,
             unassigned_cost: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Put a GAP given as dense matrices (agents x items; ``cost`` inf where not eligible) into a
    highspy model: a row per item (assigned once) and per agent (capacity), a column per eligible
    pair, then a slack column per item that may stay unassigned. Returns the pairs' (agent,
    item) positions in column order and the items with a slack column."""
    inf = highspy.kHighsInf
    m, n = cost.shape
    ii, jj = np.nonzero(np.isfinite(cost))
    k = len(ii)
    h.addRows(n + m, np.concatenate([np.ones(n), np.full(m, -inf)]), np.concatenate([np.ones(n), capacity]), 0,
              np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    index = np.empty(2 * k, dtype=np.int32)
    index[0::2], index[1::2] = jj, n + ii
    value = np.empty(2 * k)
    value[0::2], value[1::2] = 1.0, load[ii, jj]
    h.addCols(k, cost[ii, jj], np.zeros(k), np.ones(k), 2 * k, np.arange(0, 2 * k, 2, dtype=np.int32), index, value)
    slack = np.zeros(0, dtype=np.int64)
    if unassigned_cost is not None:
        slack = np.flatnonzero(np.isfinite(unassigned_cost))
        s = len(slack)
        h.addCols(s, unassigned_cost[slack], np.zeros(s), np.ones(s), s,
                  np.arange(s, dtype=np.int32), slack.astype(np.int32), np.ones(s))
    return ii, jj, slack


def _sub_gap(g: GapMatrices, agents: np.ndarray, items: np.ndarray, current: np.ndarray,
             time_limit: float, threads: int) -> np.ndarray | None:
    """Solve the GAP restricted to ``agents`` and the ``items`` now on them (all others fixed)
    exactly with HiGHS, starting from ``current``; the new agent per item (-1 = unassigned), or
    None when HiGHS found nothing."""
    n = len(items)
    h = mip.new_highs(time_limit, threads)
    h.setOptionValue("mip_rel_gap", 0.0)
    ii, jj, slack = _add_gap(h, g.cost[np.ix_(agents, items)], g.load[np.ix_(agents, items)], g.capacity[agents],
                             None if g.unassigned_cost is None else g.unassigned_cost[items])
    k = len(ii)
    total = k + len(slack)
    h.changeColsIntegrality(total, np.arange(total, dtype=np.int32),
                            np.full(total, highspy.HighsVarType.kInteger.value, dtype=np.uint8))
    # warm start: the current assignment of these items
    start = np.zeros(total)
    row_of = {a: r for r, a in enumerate(agents.tolist())}
    pos = {(int(i), int(j)): p for p, (i, j) in enumerate(zip(ii, jj))}
    slack_pos = {int(j): k + p for p, j in enumerate(slack)}
    for col, j in enumerate(items):
        a = int(current[j])
        p = pos.get((row_of[a], col)) if a >= 0 else slack_pos.get(col)
        if p is not None:
            start[p] = 1.0
    h.setSolution(total, np.arange(total, dtype=np.int32), start)
    mip.run_highs(h, threads)
    if not mip.has_primal_solution(h):
        return None
    values = np.asarray(h.getSolution().col_value)
    out = np.full(n, -1, dtype=np.int64)
    chosen = np.flatnonzero(values[:k] > 0.5)
    out[jj[chosen]] = agents[ii[chosen]]
    return out


def mip_neighbourhood_search(model: AssignmentModel, assignment: pd.DataFrame, *, time_limit: float,
                             seed: int = 0, threads: int = 1, items_per_move: int = 60,
                             max_moves: int | None = None) -> tuple[pd.DataFrame, float]:
    """Large-neighbourhood search on the base GAP: free the items of a few agents (one at random
    plus the agents where its items have their cheapest alternatives), re-solve that small GAP to
    optimality with HiGHS, keep it when cheaper.

    Parameters
    ----------
    model : AssignmentModel
    assignment : DataFrame
        ``item, agent``: a capacity-feasible starting assignment.
    time_limit : float
        Seconds (a cap: ``max_moves`` makes the search deterministic).
    seed : int
    threads : int
    items_per_move : int
        About how many items each move frees.
    max_moves : int or None

    Returns
    -------
    tuple
        (assignment as ``item, agent``, its cost).

    Raises
    ------
    ValueError
        When the starting assignment is not capacity-feasible.
    """
    deadline = time.perf_counter() + float(time_limit)
    g = GapMatrices.from_model(model)
    current = g.array(assignment)
    if not heur.is_feasible(current, g.cost, g.load, g.capacity, g.unassigned_cost):
        raise ValueError("mip_neighbourhood_search needs a capacity-feasible assignment to start from")
    cost_now = heur.assignment_cost(current, g.cost, g.unassigned_cost)
    rng = np.random.default_rng(seed)
    m = len(g.agents)
    per_agent = max(1.0, len(g.items) / max(1, m))
    size = int(min(m, max(2, round(items_per_move / per_agent))))
    moves = 0
    while time.perf_counter() < deadline and (max_moves is None or moves < max_moves):
        moves += 1
        first = int(rng.integers(m))
        on_first = np.flatnonzero(current == first)
        if size < m:
            # agents whose cost for these items is closest to what they pay now are the natural partners
            regret = g.cost[:, on_first] - g.cost[first, on_first][None, :] if len(on_first) else np.zeros((m, 1))
            score = np.where(np.isfinite(regret), regret, np.inf).min(axis=1, initial=np.inf)
            score = score + rng.uniform(0, 1e-6 + np.nanstd(np.where(np.isfinite(score), score, np.nan)), size=m)
            score[first] = -np.inf
            agents = np.argsort(score, kind="stable")[:size]
        else:
            agents = np.arange(m)
        items = np.flatnonzero(np.isin(current, agents) | (current < 0))
        if len(items) == 0:
            continue
        left = deadline - time.perf_counter()
        new = _sub_gap(g, agents, items, current, min(max(0.05, left), 5.0), threads)
        if new is None:
            continue
        trial = current.copy()
        trial[items] = new
        trial_cost = heur.assignment_cost(trial, g.cost, g.unassigned_cost)
        if trial_cost < cost_now - 1e-9 and heur.is_feasible(trial, g.cost, g.load, g.capacity, g.unassigned_cost):
            current, cost_now = trial, trial_cost
    return g.frame(current), cost_now
