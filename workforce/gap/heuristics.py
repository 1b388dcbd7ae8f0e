"""Fast GAP heuristics on numpy matrices: warm starts and improvement for the MIP solver.

Every function works on dense matrices: ``cost[i, j]`` and ``load[i, j]`` for agent ``i`` taking
item ``j`` (``cost = inf`` where the pair is not eligible), ``capacity[i]``, and optionally
``unassigned_cost[j]`` (``inf`` = the item must be assigned). An assignment is an int array over
items holding the agent index, or ``-1`` for "unassigned". Objective: minimise total cost.

Randomised steps take a ``seed``; with ``max_rounds`` as the budget the result is deterministic,
a ``time_limit`` only caps the work (so a time-capped run can differ with machine load).
"""

from __future__ import annotations

import time

import numpy as np

UNASSIGNED = -1
_EPS = 1e-9


# -- small helpers ---------------------------------------------------------------------------------
def _extended(cost: np.ndarray, load: np.ndarray, capacity: np.ndarray,
              unassigned_cost: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add the "unassigned" option as a last pseudo-agent with unlimited room and no load, so that
    every move below treats leaving an item unassigned like giving it to one more agent."""
    cost = np.asarray(cost, dtype=float)
    load = np.asarray(load, dtype=float)
    load = np.where(np.isfinite(cost), load, np.inf)  # ineligible pairs never fit
    m, n = cost.shape
    u = np.full(n, np.inf) if unassigned_cost is None else np.asarray(unassigned_cost, dtype=float)
    u = np.where(np.isnan(u), np.inf, u)
    c = np.vstack([cost, u[None, :]])
    a = np.vstack([load, np.where(np.isfinite(u), 0.0, np.inf)[None, :]])
    b = np.append(np.asarray(capacity, dtype=float), np.inf)
    return c, a, b


def _to_internal(assign: np.ndarray, m: int) -> np.ndarray:
    out = np.asarray(assign, dtype=np.int64).copy()
    out[out < 0] = m
    return out


def _to_external(assign: np.ndarray, m: int) -> np.ndarray:
    out = assign.copy()
    out[out == m] = UNASSIGNED
    return out


def assignment_cost(assign: np.ndarray, cost: np.ndarray, unassigned_cost: np.ndarray | None = None) -> float:
    """Total cost of an assignment (``inf`` if it uses an ineligible pair or a forbidden unassignment)."""
    c, _, _ = _extended(cost, np.zeros_like(cost, dtype=float), np.zeros(cost.shape[0]), unassigned_cost)
    idx = _to_internal(assign, cost.shape[0])
    return float(c[idx, np.arange(len(idx))].sum())


def agent_loads(assign: np.ndarray, load: np.ndarray) -> np.ndarray:
    """Load used on each agent (unassigned items use none)."""
    m, n = load.shape
    used = np.zeros(m)
    ok = assign >= 0
    np.add.at(used, assign[ok], np.asarray(load, dtype=float)[assign[ok], np.flatnonzero(ok)])
    return used


def is_feasible(assign: np.ndarray, cost: np.ndarray, load: np.ndarray, capacity: np.ndarray,
                unassigned_cost: np.ndarray | None = None) -> bool:
    """Every item on an eligible agent (or allowed to be unassigned) and every agent within capacity."""
    if not np.isfinite(assignment_cost(assign, cost, unassigned_cost)):
        return False
    return bool((agent_loads(assign, load) <= np.asarray(capacity, dtype=float) + _EPS).all())


# -- construction ----------------------------------------------------------------------------------
def _regret_greedy(c: np.ndarray, a: np.ndarray, b: np.ndarray, f: np.ndarray,
                   order_hint: np.ndarray | None = None) -> np.ndarray:
    """Martello-Toth regret greedy on the extended matrices: repeatedly place the item whose best
    feasible agent beats its second best by most (it has the most to lose by waiting). Items with
    no room anywhere go to their cheapest eligible agent (left for `repair`)."""
    M, n = c.shape  # M includes the pseudo-agent
    m = M - 1
    res = b.copy()
    assign = np.full(n, -1, dtype=np.int64)
    F = np.where(a[:m] <= res[:m, None], f[:m], np.inf)
    best_val = np.full(n, np.inf)
    best_arg = np.zeros(n, dtype=np.int64)
    second = np.full(n, np.inf)

    def refresh(cols: np.ndarray) -> None:
        if len(cols) == 0:
            return
        sub = F[:, cols]
        arg = np.argmin(sub, axis=0)
        best_arg[cols] = arg
        best_val[cols] = sub[arg, np.arange(len(cols))]
        second[cols] = np.partition(sub, 1, axis=0)[1] if m > 1 else np.inf

    refresh(np.arange(n))
    remaining = np.ones(n, dtype=bool)
    for _ in range(n):
        cand = np.flatnonzero(remaining)
        if len(cand) == 0:
            break
        bv = best_val[cand]
        no_room = ~np.isfinite(bv)
        if no_room.any():
            j = int(cand[np.flatnonzero(no_room)[0]])
            if np.isfinite(c[m, j]):
                assign[j] = m
            else:  # overload the cheapest eligible agent; repair fixes it later
                assign[j] = int(np.argmin(c[:m, j]))
                res[assign[j]] -= a[assign[j], j]
            remaining[j] = False
            continue
        regret = second[cand] - bv
        regret = np.where(np.isfinite(regret), regret, np.inf)
        # largest regret first; ties broken by the better best value then by item order
        key = np.lexsort((cand, bv, -regret))
        j = int(cand[key[0]])
        i = int(best_arg[j])
        assign[j] = i
        remaining[j] = False
        res[i] -= a[i, j]
        row_now_bad = remaining & np.isfinite(F[i]) & (a[i] > res[i] + _EPS)
        F[i, row_now_bad] = np.inf
        refresh(np.flatnonzero(row_now_bad))
    return assign


def _repair(c: np.ndarray, a: np.ndarray, b: np.ndarray, assign: np.ndarray) -> np.ndarray:
    """Remove overload: repeatedly shift the item off an overloaded agent whose move costs least per
    unit of overload removed (to an agent with room, or to "unassigned" when allowed)."""
    M, n = c.shape
    assign = assign.copy()
    cols = np.arange(n)
    used = np.bincount(assign, weights=a[assign, cols], minlength=M)
    for _ in range(4 * n):
        over = used - b
        if (over[:-1] <= _EPS).all():
            break
        res = b - used
        on_over = over[assign] > _EPS
        cur = c[assign, cols]
        fits = a <= res[:, None] + _EPS
        delta = np.where(fits, c - cur[None, :], np.inf)
        delta[:, ~on_over] = np.inf
        delta[assign, cols] = np.inf
        if not np.isfinite(delta).any():
            # no plain shift fits: move the item to where it overloads least (spread the excess)
            gain = np.where(on_over, np.minimum(a[assign, cols], over[assign]), 0.0)
            j = int(np.argmax(gain))
            with np.errstate(invalid="ignore"):  # inf - inf on the pseudo-agent, masked just below
                excess = np.where(np.isfinite(c[:, j]), np.maximum(used + a[:, j] - b, 0.0), np.inf)
            excess[np.isnan(excess)] = np.inf
            excess[assign[j]] = np.inf
            i = int(np.argmin(excess))
            if not np.isfinite(excess[i]) or excess[i] >= over[assign[j]] - _EPS:
                break
        else:
            relief = np.minimum(a[assign, cols], over[assign])
            score = delta / np.maximum(relief, _EPS)[None, :]
            flat = int(np.argmin(score))
            i, j = divmod(flat, n)
        used[assign[j]] -= a[assign[j], j]
        used[i] += a[i, j]
        assign[j] = i
    return assign


def greedy_assignment(cost: np.ndarray, load: np.ndarray, capacity: np.ndarray, *,
                      unassigned_cost: np.ndarray | None = None) -> np.ndarray:
    """Regret greedy under several desirability measures (cost, load, load share of capacity and
    cost x load share); each result is repaired and the cheapest feasible one returned (or the least
    overloaded one when none is feasible: check with `is_feasible`).

    Parameters
    ----------
    cost, load : ndarray
        (agents x items); ``cost`` inf where the pair is not eligible.
    capacity : ndarray
        Per agent.
    unassigned_cost : ndarray or None
        Per item (inf = must be assigned).

    Returns
    -------
    ndarray
        The agent per item (-1 = unassigned).
    """
    c, a, b = _extended(cost, load, capacity, unassigned_cost)
    m = c.shape[0] - 1
    with np.errstate(invalid="ignore"):  # the pseudo-agent row (inf/inf) is never used as a measure
        share = a / np.maximum(b, _EPS)[:, None]
    measures = [c, a, share, np.where(np.isfinite(c), (c - np.nanmin(np.where(np.isfinite(c), c, np.nan)) + 1) * share, np.inf)]
    best, best_key = None, None
    for f in measures:
        assign = _repair(c, a, b, _regret_greedy(c, a, b, np.where(np.isfinite(c), f, np.inf)))
        used = np.bincount(assign, weights=a[assign, np.arange(len(assign))], minlength=m + 1)
        over = float(np.maximum(used[:m] - b[:m], 0).sum())
        key = (over, float(c[assign, np.arange(len(assign))].sum()))
        if best_key is None or key < best_key:
            best, best_key = assign, key
    return _to_external(best, m)


def lp_rounding_repair(x_frac: np.ndarray, cost: np.ndarray, load: np.ndarray, capacity: np.ndarray, *,
                       unassigned_cost: np.ndarray | None = None, unassigned_frac: np.ndarray | None = None
                       ) -> np.ndarray:
    """Round an LP-relaxation solution: items the LP already places whole keep their agent; the
    few split items (a basic LP solution splits at most about one per agent) are placed by regret
    greedy, preferring agents in proportion to their LP share; then overload is repaired.

    Parameters
    ----------
    x_frac : ndarray
        The LP's fractional assignment (agents x items).
    cost, load, capacity, unassigned_cost : ndarray
        As `greedy_assignment`.
    unassigned_frac : ndarray or None
        The LP's unassigned share per item.

    Returns
    -------
    ndarray
        The agent per item (-1 = unassigned).
    """
    c, a, b = _extended(cost, load, capacity, unassigned_cost)
    M, n = c.shape
    m = M - 1
    x = np.vstack([np.asarray(x_frac, dtype=float),
                   (np.zeros(n) if unassigned_frac is None else np.asarray(unassigned_frac, dtype=float))[None, :]])
    whole = x.max(axis=0) >= 1 - 1e-6
    assign = np.full(n, -1, dtype=np.int64)
    assign[whole] = np.argmax(x[:, whole], axis=0)
    split = np.flatnonzero(~whole)
    if len(split):
        used = np.bincount(assign[whole], weights=a[assign[whole], np.flatnonzero(whole)], minlength=M)
        sub_b = np.maximum(b - used, 0.0)
        # desirability: cost, lowered where the LP put much of the item
        f = c[:, split] - (x[:, split] * np.abs(np.where(np.isfinite(c[:, split]), c[:, split], 0))).clip(min=0)
        f[-1] = np.inf  # the greedy treats "unassigned" as the fallback only
        part = _regret_greedy(c[:, split], a[:, split], sub_b, np.where(np.isfinite(c[:, split]), f, np.inf))
        assign[split] = part
    assign = _repair(c, a, b, assign)
    return _to_external(assign, m)


# -- improvement -----------------------------------------------------------------------------------
class _State:
    """An assignment with its per-agent room kept up to date as moves are applied."""

    def __init__(self, c: np.ndarray, a: np.ndarray, b: np.ndarray, assign: np.ndarray) -> None:
        self.c, self.a, self.b = c, a, b
        self.cols = np.arange(c.shape[1])
        self.assign = assign.copy()
        self.res = b - np.bincount(assign, weights=a[assign, self.cols], minlength=c.shape[0])
        self.cur = c[assign, self.cols]
        self.total = float(self.cur.sum())

    def move(self, j: int, i: int) -> None:
        old = self.assign[j]
        self.res[old] += self.a[old, j]
        self.res[i] -= self.a[i, j]
        self.total += self.c[i, j] - self.cur[j]
        self.cur[j] = self.c[i, j]
        self.assign[j] = i

    def best_shift(self) -> tuple[float, int, int]:
        delta = self.c - self.cur[None, :]
        delta[self.a > self.res[:, None] + _EPS] = np.inf
        flat = int(np.argmin(delta))
        i, j = divmod(flat, delta.shape[1])
        return float(delta[i, j]), i, j

    def best_swap_for(self, j1: int) -> tuple[float, int]:
        """Best swap of item j1 with any item on another agent that keeps both agents in capacity."""
        a1 = self.assign[j1]
        a2 = self.assign
        delta = self.c[a2, j1] + self.c[a1, :] - self.cur[j1] - self.cur
        fits = ((self.a[a2, j1] <= self.res[a2] + self.a[a2, self.cols] + _EPS)
                & (self.a[a1, :] <= self.res[a1] + self.a[a1, j1] + _EPS) & (a2 != a1))
        delta = np.where(fits, delta, np.inf)
        j2 = int(np.argmin(delta))
        return float(delta[j2]), j2


def _descend(state: _State, deadline: float, rng: np.random.Generator) -> None:
    """Shift and swap moves until no improving move is left (first-best for swaps, best for shifts)."""
    while time.perf_counter() < deadline:
        improved = False
        while True:
            d, i, j = state.best_shift()
            if d >= -_EPS:
                break
            state.move(j, i)
            improved = True
        for j1 in rng.permutation(len(state.assign)):
            d, j2 = state.best_swap_for(int(j1))
            if d < -_EPS:
                i1, i2 = state.assign[j1], state.assign[j2]
                state.move(int(j1), int(i2))
                state.move(int(j2), int(i1))
                improved = True
            if (j1 & 63) == 0 and time.perf_counter() >= deadline:
                return
        if not improved:
            return


def _kick(state: _State, rng: np.random.Generator, strength: int) -> None:
    """Perturb: eject a few items from a few random agents and put them back by regret greedy on
    the room that is left (a cheap ejection chain), so the descent can leave a local optimum."""
    M, n = state.c.shape
    m = M - 1
    agents = rng.choice(m, size=min(m, max(2, strength)), replace=False)
    on = np.flatnonzero(np.isin(state.assign, agents))
    if len(on) == 0:
        return
    take = rng.choice(on, size=min(len(on), max(2, len(on) // 2)), replace=False)
    for j in take:  # pull out
        old = state.assign[j]
        state.res[old] += state.a[old, j]
        state.total -= state.cur[j]
    sub_c, sub_a = state.c[:, take], state.a[:, take]
    noise = rng.uniform(0.0, 1.0, size=sub_c.shape) * np.nanstd(np.where(np.isfinite(sub_c), sub_c, np.nan))
    f = np.where(np.isfinite(sub_c), sub_c + noise, np.inf)
    part = _regret_greedy(sub_c, sub_a, np.maximum(state.res, 0.0), f)
    for j, i in zip(take, part):
        state.res[i] -= state.a[i, j]
        state.cur[j] = state.c[i, j]
        state.total += state.cur[j]
        state.assign[j] = i


def local_search(assign: np.ndarray, cost: np.ndarray, load: np.ndarray, capacity: np.ndarray, *,
                 unassigned_cost: np.ndarray | None = None, time_limit: float = 1.0, seed: int = 0,
                 max_rounds: int | None = None, patience: int | None = None,
                 lower_bound: float | None = None) -> np.ndarray:
    """Improve an assignment by shift and swap descent, then iterated local search: kick (eject and
    greedily reinsert the items of a few agents), descend again, keep the result if it is no worse
    (overloaded intermediate states are never accepted). Never returns anything worse than the
    (repaired) input. ``max_rounds`` bounds the kicks (deterministic); ``time_limit`` caps seconds;
    ``patience`` stops after that many kicks without improvement; reaching ``lower_bound`` (a proven
    bound, e.g. from the LP) stops at once since nothing better exists.

    Parameters
    ----------
    assign : ndarray
        The starting agent per item (-1 = unassigned).
    cost, load, capacity, unassigned_cost : ndarray
        As `greedy_assignment`.
    time_limit, seed, max_rounds, patience, lower_bound
        See above.

    Returns
    -------
    ndarray
        The agent per item (-1 = unassigned); the repaired input when it cannot be made feasible.
    """
    deadline = time.perf_counter() + float(time_limit)
    c, a, b = _extended(cost, load, capacity, unassigned_cost)
    m = c.shape[0] - 1
    start = _to_internal(assign, m)
    used = np.bincount(start, weights=a[start, np.arange(len(start))], minlength=m + 1)
    if (used[:m] > b[:m] + _EPS).any():
        start = _repair(c, a, b, start)
    rng = np.random.default_rng(seed)
    state = _State(c, a, b, start)
    feasible_start = bool((state.res[:m] >= -_EPS).all())
    if not feasible_start:
        return _to_external(state.assign, m)
    _descend(state, deadline, rng)
    best_assign, best_total = state.assign.copy(), state.total
    rounds = since_better = 0
    while time.perf_counter() < deadline and (max_rounds is None or rounds < max_rounds):
        if lower_bound is not None and best_total <= lower_bound + _EPS:
            break
        if patience is not None and since_better >= patience:
            break
        rounds += 1
        since_better += 1
        _kick(state, rng, strength=2 + rounds % 3)
        _descend(state, deadline, rng)
        ok = bool((state.res[:m] >= -_EPS).all())
        if ok and state.total <= best_total + _EPS:
            if state.total < best_total - _EPS:
                since_better = 0
            best_assign, best_total = state.assign.copy(), state.total
        else:
            state = _State(c, a, b, best_assign)
    return _to_external(best_assign, m)

