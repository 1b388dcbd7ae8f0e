"""Local search under the true objective: a better warm start than the manager's baseline.

The MIP solver proves the bound; a good first solution is what lets it finish in time. This
module improves an assignment (unit -> worker, "" = unallocated) by *shift* moves (one family to
another eligible worker, or to/from unallocated) and short *chains* of moves (a family placed
where a limit or guard stops it, made to fit by moving others), each judged by the exact change
of every term of the objective table (`objective.Loads.deltas`, the incremental form of
`objective.evaluate_objective`). Every move keeps the hard limits (points, children) and
the no-worse-than-the-baseline guards (handoffs and unallocated children per block), so what it
returns is a valid warm start.

Pure numpy and Python; deterministic (units are visited in a fixed order, first improvement
taken; the time cap only stops it early on very large instances).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.allocation import objective as O
from workforce.allocation.problem import Problem

_EPS = 1e-7


@dataclass
class SearchData:
    """The model in arrays: the objective (`objective.ObjectiveData` over the guarded pairs), the
    hard limits per worker and the guard budgets per block."""

    objective: O.ObjectiveData
    unit_pairs: list[np.ndarray]  # pair rows of each unit
    pair_handoffs: np.ndarray
    unit_children: np.ndarray
    unit_block: np.ndarray
    points_limit: np.ndarray
    children_limit: np.ndarray
    handoff_budget: np.ndarray  # per block (inf = no guard)
    unallocated_budget: np.ndarray

    @property
    def units(self) -> pd.Index:
        return self.objective.units

    @property
    def workers(self) -> pd.Index:
        return self.objective.workers

    @property
    def pair_worker(self) -> np.ndarray:
        return self.objective.pair_worker

    @property
    def pair_points(self) -> np.ndarray:
        return self.objective.pair_points

    @property
    def pair_children(self) -> np.ndarray:
        return self.objective.pair_children


def search_data(problem: Problem, pairs: pd.DataFrame, points_limit: pd.Series, unit_block: pd.Series,
                handoff_budget: dict[int, float], unallocated_budget: dict[int, float]) -> SearchData:
    """Arrays for the local search from a `Problem` and its (guarded) pairs and limits.

    Parameters
    ----------
    problem : Problem
    pairs : DataFrame
        The pairs the search may choose (rows of `Problem.pairs`).
    points_limit : Series
        Points limit by worker (with the utilisation guard applied).
    unit_block : Series
        Block number by unit (units without one are outside every guard).
    handoff_budget, unallocated_budget : dict
        Block number -> the guard's budget (missing = no guard).

    Returns
    -------
    SearchData
    """
    data = O.ObjectiveData.from_problem(problem, pairs)
    units, workers = data.units, data.workers
    order = np.argsort(data.pair_unit, kind="stable")
    bounds = np.searchsorted(data.pair_unit[order], np.arange(len(units) + 1))
    n_blocks = int(unit_block.max()) + 1 if len(unit_block) else 0
    return SearchData(
        objective=data, unit_pairs=[order[bounds[k]:bounds[k + 1]] for k in range(len(units))],
        pair_handoffs=pairs["handoffs"].to_numpy(float),
        unit_children=problem.units["n_children"].to_numpy(float),
        unit_block=unit_block.reindex(units).fillna(-1).to_numpy(int),
        points_limit=points_limit.reindex(workers).to_numpy(float),
        children_limit=problem.children_limit.reindex(workers).to_numpy(float),
        handoff_budget=np.array([handoff_budget.get(b, np.inf) for b in range(n_blocks)], dtype=float),
        unallocated_budget=np.array([unallocated_budget.get(b, np.inf) for b in range(n_blocks)], dtype=float))


class _State(O.Loads):
    """The objective's loads (`objective.Loads`) plus the guard counters per block."""

    def __init__(self, d: SearchData, pair_of_unit: np.ndarray) -> None:
        super().__init__(d.objective, pair_of_unit)
        self.d = d
        on = self.choice >= 0
        self.handoffs = np.zeros(len(d.handoff_budget))
        self.unallocated = np.zeros(len(d.handoff_budget))
        blk = d.unit_block
        inb = blk >= 0
        np.add.at(self.handoffs, blk[on & inb], d.pair_handoffs[self.choice[on & inb]])
        np.add.at(self.unallocated, blk[~on & inb], d.unit_children[~on & inb])

    def apply(self, unit: int, row: int) -> None:
        d = self.d
        blk = d.unit_block[unit]
        if blk >= 0:
            old = self.choice[unit]
            self.handoffs[blk] += (d.pair_handoffs[row] if row >= 0 else 0.0) - (d.pair_handoffs[old] if old >= 0 else 0.0)
            self.unallocated[blk] += (d.unit_children[unit] if row < 0 else 0.0) - (d.unit_children[unit] if old < 0 else 0.0)
        super().apply(unit, row)


def _shift_deltas(s: _State, u: int) -> tuple[np.ndarray, np.ndarray]:
    """For unit u: each option (its pair rows, then -1 = unallocated) and the change in the
    objective of moving u there (inf when a limit or guard forbids it)."""
    opts, delta, ok = _shift_options(s, u)
    return opts, np.where(ok, delta, np.inf)


def _shift_options(s: _State, u: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For unit u: each option (its pair rows, then -1 = unallocated), the change in the
    objective of moving u there (`objective.Loads.deltas`), and whether the destination's limits
    and the guards allow it (the worker u leaves is not checked: leaving only frees room)."""
    d, o = s.d, s.d.objective
    rows = d.unit_pairs[u]
    cur = s.choice[u]
    blk = d.unit_block[u]
    opts = np.append(rows, -1)
    delta = O.total(s.deltas(np.full(len(opts), u), np.full(len(opts), cur), opts))
    # limits: the destination's load after the move (less the unit itself when it stays with its worker)
    w = o.pair_worker[rows]
    p, k = o.pair_points[rows], o.pair_children[rows]
    a = o.pair_worker[cur] if cur >= 0 else -1
    same = w == a
    Lw = np.where(same, s.L[w] - (o.pair_points[cur] if cur >= 0 else 0.0), s.L[w])
    Kw = np.where(same, s.K[w] - (o.pair_children[cur] if cur >= 0 else 0.0), s.K[w])
    ok = np.append((Lw + p <= d.points_limit[w] + _EPS) & (Kw + k <= d.children_limit[w] + _EPS), True)
    # guards
    if blk >= 0:
        h_now = d.pair_handoffs[cur] if cur >= 0 else 0.0
        h_new = np.append(d.pair_handoffs[rows], 0.0)
        ok &= s.handoffs[blk] - h_now + h_new <= d.handoff_budget[blk] + _EPS
        if cur >= 0:
            ok[-1] &= s.unallocated[blk] + d.unit_children[u] <= d.unallocated_budget[blk] + _EPS
    stay = np.flatnonzero(rows == cur) if cur >= 0 else np.array([len(opts) - 1])
    delta[stay] = 0.0
    ok[stay] = True
    return opts, delta, ok


def _feasible_around(s: _State, workers: list[int], blocks: list[int]) -> bool:
    """Limits of `workers` and guards of `blocks` hold in the current state."""
    d = s.d
    for w in workers:
        if w >= 0 and (s.L[w] > d.points_limit[w] + _EPS or s.K[w] > d.children_limit[w] + _EPS):
            return False
    for b in blocks:
        if b >= 0 and (s.handoffs[b] > d.handoff_budget[b] + _EPS or s.unallocated[b] > d.unallocated_budget[b] + _EPS):
            return False
    return True


def _move(s: _State, by_worker: list[set], u: int, row: int) -> None:
    d = s.d
    old = s.choice[u]
    if old >= 0:
        by_worker[d.pair_worker[old]].discard(u)
    s.apply(u, int(row))
    if row >= 0:
        by_worker[d.pair_worker[row]].add(u)


def _eject(s: _State, u: int, by_worker: list[set], block_units: list[np.ndarray], tries: int = 3) -> bool:
    """A two-move chain: move unit u where it would pay but a limit or guard stops it, then move
    one other unit to make it fit (off the full worker; back to its own worker to give a
    handoff back; into a place to give an unallocated child back). Taken when the pair of
    moves improves the objective and everything holds afterwards."""
    d = s.d
    opts, delta, ok = _shift_options(s, u)
    blk = d.unit_block[u]
    cand_idx = [i for i in np.argsort(delta, kind="stable") if delta[i] < -_EPS and not ok[i]][:tries]
    for i in cand_idx:
        row = int(opts[i])
        old = int(s.choice[u])
        old_w = d.pair_worker[old] if old >= 0 else -1
        new_w = d.pair_worker[row] if row >= 0 else -1
        _move(s, by_worker, u, row)
        if new_w >= 0 and (s.L[new_w] > d.points_limit[new_w] + _EPS or s.K[new_w] > d.children_limit[new_w] + _EPS):
            others = sorted(by_worker[new_w] - {u})
        elif blk >= 0:  # a guard: a unit of the block that can give a handoff or an unallocated child back
            mine = block_units[blk]
            ch = s.choice[mine]
            others = []
            if s.handoffs[blk] > d.handoff_budget[blk] + _EPS:
                moved = np.zeros(len(mine), dtype=bool)
                moved[ch >= 0] = d.pair_handoffs[ch[ch >= 0]] > 0
                others += mine[moved].tolist()
            if s.unallocated[blk] > d.unallocated_budget[blk] + _EPS:
                others += mine[ch < 0].tolist()
            others = [v for v in others if v != u]
        else:
            others = []
        done = False
        for v in others:
            vopts, vdelta, vok = _shift_options(s, v)
            vold = int(s.choice[v])
            for j in np.argsort(vdelta, kind="stable"):
                if delta[i] + vdelta[j] >= -_EPS:
                    break
                if not vok[j] or int(vopts[j]) == vold:
                    continue
                vold_w = d.pair_worker[vold] if vold >= 0 else -1
                _move(s, by_worker, v, int(vopts[j]))
                if _feasible_around(s, [new_w, old_w, vold_w], [blk, d.unit_block[v]]):
                    done = True
                    break
                _move(s, by_worker, v, vold)
            if done:
                return True
        _move(s, by_worker, u, old)
    return False


def _place_by_evicting(s: _State, u: int, by_worker: list[set], tries: int = 3, max_evictions: int = 4) -> bool:
    """Place an unallocated unit u on a full worker b by moving up to `max_evictions` units off b
    (each to its best allowed option: another worker, back to its own worker, or unallocated when
    the guard allows), greedily the cheapest per point and child freed. Taken when the whole chain
    improves the objective and everything holds afterwards."""
    d = s.d
    if s.choice[u] >= 0:
        return False
    opts, delta, ok = _shift_options(s, u)
    blk = d.unit_block[u]
    for i in [i for i in np.argsort(delta, kind="stable") if delta[i] < -_EPS and not ok[i]][:tries]:
        row = int(opts[i])
        if row < 0:
            continue
        b = d.pair_worker[row]
        _move(s, by_worker, u, row)
        total = delta[i]
        undo: list[tuple[int, int]] = [(u, -1)]
        for _ in range(max_evictions):
            over_p = s.L[b] - d.points_limit[b]
            over_k = s.K[b] - d.children_limit[b]
            if over_p <= _EPS and over_k <= _EPS:
                break
            best = None
            for v in sorted(by_worker[b] - {u}):
                vopts, vdelta, vok = _shift_options(s, v)
                cur = int(s.choice[v])
                freed = (max(0.0, min(d.pair_points[cur], over_p)) / max(over_p, 1.0)
                         + max(0.0, min(d.pair_children[cur], over_k)) / max(over_k, 1.0))
                for j in np.argsort(vdelta, kind="stable"):
                    dest = int(vopts[j])
                    if vok[j] and (dest < 0 or d.pair_worker[dest] != b):
                        score = vdelta[j] / max(freed, 1e-3)
                        if best is None or score < best[0]:
                            best = (score, v, int(vopts[j]), vdelta[j], cur)
                        break
            if best is None:
                break
            _, v, dest, vd, cur = best
            _move(s, by_worker, v, dest)
            undo.append((v, cur))
            total += vd
            if total >= -_EPS:
                break
        blocks = {blk} | {d.unit_block[v] for v, _ in undo}
        if total < -_EPS and _feasible_around(s, [b], list(blocks)):
            return True
        for v, prev in reversed(undo):
            _move(s, by_worker, v, prev)
    return False


def improve(d: SearchData, start: np.ndarray, *, time_limit: float = 5.0, max_passes: int = 50,
            chains: bool = True) -> np.ndarray:
    """Improve an assignment until a pass finds nothing better, `max_passes` passes or
    `time_limit` seconds. Each pass tries shift moves; when they find nothing (and `chains`),
    move chains: `_eject` (a move a limit or guard blocks, made to fit by moving one other unit)
    and `_place_by_evicting` (an unallocated family placed on a full worker by moving up to four
    families off).

    Parameters
    ----------
    d : SearchData
    start : ndarray
        Pair row per unit (-1 = unallocated); it must respect the limits and guards.
    time_limit : float
        Seconds (a cap; the passes are deterministic).
    max_passes : int
    chains : bool
        Try move chains when shifts find nothing.

    Returns
    -------
    ndarray
        The new pair row per unit, no worse under the objective, within the limits and guards.
    """
    deadline = time.perf_counter() + time_limit
    s = _State(d, start)
    by_worker: list[set] = [set() for _ in range(len(d.workers))]
    for u, r in enumerate(s.choice):
        if r >= 0:
            by_worker[d.pair_worker[r]].add(u)
    n_blocks = len(d.handoff_budget)
    block_units = [np.flatnonzero(d.unit_block == b) for b in range(n_blocks)]
    n = len(d.units)
    active = [u for u in range(n) if len(d.unit_pairs[u])]
    for _ in range(max_passes):
        improved = False
        for u in active:
            opts, delta = _shift_deltas(s, u)
            best = int(np.argmin(delta))
            if delta[best] < -_EPS:
                _move(s, by_worker, u, int(opts[best]))
                improved = True
            if time.perf_counter() > deadline:
                return s.choice
        if chains and not improved:
            for u in active:
                if _eject(s, u, by_worker, block_units) or _place_by_evicting(s, u, by_worker):
                    improved = True
                if time.perf_counter() > deadline:
                    return s.choice
        if not improved:
            break
    return s.choice


def objective_of(d: SearchData, choice: np.ndarray) -> float:
    """The objective of a pair-row-per-unit assignment (for checks: it is
    `objective.evaluate_objective` on the units and workers in ``d``)."""
    return float(O.total(_State(d, choice).values()))
