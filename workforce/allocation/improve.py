"""Local search under the true objective: a better warm start than the manager's baseline.

The MIP solver proves the bound; a good first solution is what lets it finish in time. This
module improves an assignment (unit -> worker, "" = unplaced) by *shift* moves (one family to
another eligible worker, or to/from unplaced where the family may wait) and short *chains* of
moves (a family placed where a limit stops it, made to fit by moving others), each judged by the
exact change of every term of the objective table (`objective.Loads.deltas`, the incremental form
of `objective.evaluate_objective`). Every move keeps the hard limits (points, children, complex
children), so what it returns is a valid warm start.

Pure numpy and Python; deterministic: units are visited in a fixed order, first improvement
taken, and the work is bounded by a number of passes, never by seconds (a wall-clock deadline
only stops it early, and the caller is told).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.allocation import objective as O
from workforce.allocation.problem import LOADS, Problem

_EPS = 1e-7


@dataclass
class SearchData:
    """The model in arrays: the objective (`objective.ObjectiveData` over the pairs the search
    may choose) and the hard limit on each load per worker."""

    objective: O.ObjectiveData
    unit_pairs: list[np.ndarray]  # pair rows of each unit
    limits: np.ndarray  # (workers, loads)

    @property
    def units(self) -> pd.Index:
        return self.objective.units

    @property
    def workers(self) -> pd.Index:
        return self.objective.workers

    @property
    def pair_worker(self) -> np.ndarray:
        return self.objective.pair_worker


def search_data(problem: Problem, pairs: pd.DataFrame) -> SearchData:
    """Arrays for the local search from a `Problem` and the pairs it may choose (rows of
    `Problem.pairs`)."""
    data = O.ObjectiveData.from_problem(problem, pairs)
    order = np.argsort(data.pair_unit, kind="stable")
    bounds = np.searchsorted(data.pair_unit[order], np.arange(len(data.units) + 1))
    return SearchData(objective=data, unit_pairs=[order[bounds[k]:bounds[k + 1]] for k in range(len(data.units))],
                      limits=problem.limits.reindex(data.workers)[list(LOADS)].to_numpy(float))


def _options(s: O.Loads, d: SearchData, u: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For unit u: each option (its pair rows, then -1 = unplaced where it may wait), the change
    in the objective of moving u there (`objective.Loads.deltas`), and whether the destination's
    limits allow it (the worker u leaves is not checked: leaving only frees room)."""
    o = d.objective
    rows = d.unit_pairs[u]
    cur = s.choice[u]
    opts = np.append(rows, -1) if (o.may_wait[u] or cur < 0) else rows
    n = len(opts)
    units, frm = np.full(n, u), np.full(n, cur)
    m = s.moved_loads(units, frm, opts)
    delta = O.total(s.deltas(units, frm, opts, moved=m))
    ok = ~m["has_b"] | (m["dst_after"] <= d.limits[m["b0"]] + _EPS).all(axis=1)
    stay = np.flatnonzero(opts == cur)
    delta[stay] = 0.0
    ok[stay] = True
    return opts, delta, ok


def _within(s: O.Loads, d: SearchData, workers: list[int]) -> bool:
    """The limits of `workers` hold in the current state."""
    return all(w < 0 or bool((s.load[w] <= d.limits[w] + _EPS).all()) for w in workers)


def _where(d: SearchData, u: int, row: int) -> int:
    """The worker a unit's load sits on at choice `row` (-1 when none)."""
    w, _ = d.objective.where_load(np.array([u]), np.array([row]))
    return int(w[0])


def _move(s: O.Loads, d: SearchData, by_worker: list[set], u: int, row: int) -> None:
    old = int(s.choice[u])
    if old >= 0:
        by_worker[d.pair_worker[old]].discard(u)
    s.apply(u, int(row))
    if row >= 0:
        by_worker[d.pair_worker[row]].add(u)


def _eject(s: O.Loads, d: SearchData, u: int, by_worker: list[set], tries: int = 3) -> bool:
    """A two-move chain: move unit u where it would pay but a limit stops it, then move one
    other unit off the full worker to make it fit. Taken when the pair of moves improves the
    objective and every limit holds afterwards."""
    opts, delta, ok = _options(s, d, u)
    for i in [i for i in np.argsort(delta, kind="stable") if delta[i] < -_EPS and not ok[i]][:tries]:
        row, old = int(opts[i]), int(s.choice[u])
        old_w, new_w = _where(d, u, old), _where(d, u, row)
        _move(s, d, by_worker, u, row)
        for v in sorted(by_worker[new_w] - {u}) if new_w >= 0 else []:
            vopts, vdelta, vok = _options(s, d, v)
            vold = int(s.choice[v])
            for j in np.argsort(vdelta, kind="stable"):
                if delta[i] + vdelta[j] >= -_EPS:
                    break
                if not vok[j] or int(vopts[j]) == vold:
                    continue
                _move(s, d, by_worker, v, int(vopts[j]))
                if _within(s, d, [new_w, old_w, _where(d, v, vold), _where(d, v, int(vopts[j]))]):
                    return True
                _move(s, d, by_worker, v, vold)
        _move(s, d, by_worker, u, old)
    return False


def _place_by_evicting(s: O.Loads, d: SearchData, u: int, by_worker: list[set], tries: int = 3,
                       max_evictions: int = 4) -> bool:
    """Place an unplaced unit u on a full worker b by moving up to `max_evictions` units off b
    (each to its best allowed option: another worker, back to its own worker, or unplaced where
    it may wait), greedily the cheapest per load freed. Taken when the whole chain improves the
    objective and every limit holds afterwards."""
    if s.choice[u] >= 0:
        return False
    opts, delta, ok = _options(s, d, u)
    for i in [i for i in np.argsort(delta, kind="stable") if delta[i] < -_EPS and not ok[i]][:tries]:
        row = int(opts[i])
        if row < 0:
            continue
        b = d.pair_worker[row]
        _move(s, d, by_worker, u, row)
        total = delta[i]
        undo: list[tuple[int, int]] = [(u, -1)]
        touched = [b, _where(d, u, -1)]
        for _ in range(max_evictions):
            over = s.load[b] - d.limits[b]
            if (over <= _EPS).all():
                break
            best = None
            for v in sorted(by_worker[b] - {u}):
                vopts, vdelta, vok = _options(s, d, v)
                cur = int(s.choice[v])
                freed = float(sum(max(0.0, min(d.objective.pair_load[cur, k], over[k])) / max(over[k], 1.0)
                                  for k in range(len(LOADS)) if over[k] > _EPS))
                for j in np.argsort(vdelta, kind="stable"):
                    dest = int(vopts[j])
                    if vok[j] and _where(d, v, dest) != b:
                        score = vdelta[j] / max(freed, 1e-3)
                        if best is None or score < best[0]:
                            best = (score, v, dest, vdelta[j], cur)
                        break
            if best is None:
                break
            _, v, dest, vd, cur = best
            _move(s, d, by_worker, v, dest)
            undo.append((v, cur))
            touched.append(_where(d, v, dest))
            total += vd
            if total >= -_EPS:
                break
        if total < -_EPS and _within(s, d, touched):
            return True
        for v, prev in reversed(undo):
            _move(s, d, by_worker, v, prev)
    return False


def _state_keys(s: O.Loads, d: SearchData):
    """A function of a unit giving a number that changes whenever anything its shift moves'
    deltas and limits read may have changed: the loads of the workers among its options (and
    its keeper) and the highest loads of their groups (`objective.Loads` counts changes to
    both; the counts only grow, so their sum is unchanged only when none changed)."""
    o = d.objective
    workers = [np.unique(np.append(d.pair_worker[rows], o.fb_worker[u] if o.fb_worker[u] >= 0 else rows[:0]))
               .astype(np.int64) for u, rows in enumerate(d.unit_pairs)]
    groups = {name: [np.unique(codes[w][codes[w] >= 0]).astype(np.int64) for w in workers]
              for name, (_, codes, _, _) in o.groups.items()}

    def key(u: int) -> int:
        k = int(s.worker_version[workers[u]].sum())
        for name, by_unit in groups.items():
            k += int(s.group_version[name][by_unit[u]].sum())
        return k

    return key


def improve(d: SearchData, start: np.ndarray, *, max_passes: int = 30, chains: bool = True,
            deadline: float | None = None) -> tuple[np.ndarray, bool]:
    """Improve an assignment until a pass finds nothing better or after `max_passes` passes.
    Each pass tries shift moves; when they find nothing (and `chains`), move chains: `_eject` (a
    move a limit blocks, made to fit by moving one other unit) and `_place_by_evicting` (an
    unplaced family placed on a full worker by moving up to four families off).

    Parameters
    ----------
    d : SearchData
    start : ndarray
        Pair row per unit (-1 = unplaced); it must respect the limits.
    max_passes : int
        The work limit (the answer depends on it, never on the machine's speed).
    chains : bool
        Try move chains when shifts find nothing.
    deadline : float or None
        A `time.perf_counter()` instant after which the search stops early.

    Returns
    -------
    tuple
        (the new pair row per unit, no worse under the objective, within the limits; whether the
        deadline stopped the search before its work was done).
    """
    s = O.Loads(d.objective, start)
    by_worker: list[set] = [set() for _ in range(len(d.workers))]
    for u, r in enumerate(s.choice):
        if r >= 0:
            by_worker[d.pair_worker[r]].add(u)
    active = [u for u in range(len(d.units)) if len(d.unit_pairs[u])]
    state = _state_keys(s, d)
    settled = np.full(len(d.units), -1, dtype=np.int64)  # the state key at which u had no better shift
    for _ in range(max_passes):
        improved = False
        for u in active:
            if settled[u] == state(u):
                continue  # nothing its shifts depend on has changed since none improved
            opts, delta, ok = _options(s, d, u)
            delta = np.where(ok, delta, np.inf)
            best = int(np.argmin(delta))
            if delta[best] < -_EPS:
                _move(s, d, by_worker, u, int(opts[best]))
                improved = True
            else:
                settled[u] = state(u)
            if deadline is not None and time.perf_counter() > deadline:
                return s.choice, True
        if chains and not improved:
            for u in active:
                if _eject(s, d, u, by_worker) or _place_by_evicting(s, d, u, by_worker):
                    improved = True
                if deadline is not None and time.perf_counter() > deadline:
                    return s.choice, True
        if not improved:
            break
    return s.choice, False


def objective_of(d: SearchData, choice: np.ndarray) -> float:
    """The objective of a pair-row-per-unit assignment (for checks: it is
    `objective.evaluate_objective` on the units and workers in ``d``)."""
    return float(O.total(O.Loads(d.objective, choice).values()))
