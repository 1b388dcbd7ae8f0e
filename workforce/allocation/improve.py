"""Local search under the true objective: a better warm start than the manager's baseline.

The MIP solver proves the bound; a good first solution is what lets it finish in time. This
module improves an assignment (unit -> worker, "" = unallocated) by *shift* moves (one family to
another eligible worker, or to/from unallocated) and short *chains* of moves (a family placed
where a limit or guard stops it, made to fit by moving others), each judged by the exact change in the objective `model.evaluate_objective` computes: pair
costs (continuity, travel, risk), each worker's load-balance cost, each team's highest
utilisation and the unallocated cost. Every move keeps the hard limits (points, children) and
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

_EPS = 1e-7


@dataclass
class SearchData:
    """The model in arrays. Workers 0..m-1; pair rows; units 0..n-1."""

    units: pd.Index
    workers: pd.Index
    pair_unit: np.ndarray
    pair_worker: np.ndarray
    pair_points: np.ndarray
    pair_children: np.ndarray
    pair_cost: np.ndarray  # continuity + travel + risk
    pair_handoffs: np.ndarray
    unit_pairs: list[np.ndarray]  # pair rows of each unit
    unit_children: np.ndarray
    unit_cost: np.ndarray  # unallocated cost
    unit_block: np.ndarray
    fixed_points: np.ndarray
    fixed_children: np.ndarray
    points_limit: np.ndarray
    children_limit: np.ndarray
    capacity: np.ndarray
    soft_children: np.ndarray
    group: np.ndarray  # highest-utilisation group per worker (-1: no capacity)
    n_groups: int
    breakpoints: tuple[tuple[float, float], ...]
    soft_cost: float
    top_cost: float
    handoff_budget: np.ndarray  # per block (inf = no guard)
    unallocated_budget: np.ndarray


def search_data(problem, pairs: pd.DataFrame, points_limit: pd.Series, unit_block: pd.Series,
                handoff_budget: dict[int, float], unallocated_budget: dict[int, float]) -> SearchData:
    """Arrays for the local search from a `model.Problem` and its (guarded) pairs and limits."""
    cfg, w = problem.config, problem.workers
    units, workers = problem.units.index, w.index
    pu = units.get_indexer(pairs["unit"])
    pw = workers.get_indexer(pairs["worker_id"])
    order = np.argsort(pu, kind="stable")
    bounds = np.searchsorted(pu[order], np.arange(len(units) + 1))
    unit_pairs = [order[bounds[k]:bounds[k + 1]] for k in range(len(units))]
    cost = (pairs["cost_continuity"] + pairs["cost_travel"] + pairs["cost_risk"]).to_numpy(float)
    cap = w["capacity"].to_numpy(float)
    keys = (pd.Series("service", index=workers) if cfg.highest_utilisation_scope == "service" else w["team"])
    codes, uniq = pd.factorize(keys, sort=True)
    group = np.where(cap > 0, codes, -1)
    n_blocks = int(unit_block.max()) + 1 if len(unit_block) else 0
    hb = np.array([handoff_budget.get(b, np.inf) for b in range(n_blocks)], dtype=float)
    ub = np.array([unallocated_budget.get(b, np.inf) for b in range(n_blocks)], dtype=float)
    return SearchData(
        units=units, workers=workers, pair_unit=pu, pair_worker=pw,
        pair_points=pairs["points"].to_numpy(float), pair_children=pairs["children"].to_numpy(float),
        pair_cost=cost, pair_handoffs=pairs["handoffs"].to_numpy(float), unit_pairs=unit_pairs,
        unit_children=problem.units["n_children"].to_numpy(float),
        unit_cost=problem.unallocated_cost.reindex(units).to_numpy(float),
        unit_block=unit_block.reindex(units).fillna(-1).to_numpy(int),
        fixed_points=problem.fixed_points.reindex(workers).fillna(0.0).to_numpy(float),
        fixed_children=problem.fixed_children.reindex(workers).fillna(0).to_numpy(float),
        points_limit=points_limit.reindex(workers).to_numpy(float),
        children_limit=problem.children_limit.reindex(workers).to_numpy(float),
        capacity=cap, soft_children=w["soft_max_children"].to_numpy(float), group=group, n_groups=len(uniq),
        breakpoints=tuple(cfg.load_breakpoints), soft_cost=float(cfg.soft_children_cost),
        top_cost=float(cfg.highest_utilisation_cost), handoff_budget=hb, unallocated_budget=ub)


class _State:
    """Loads, per-group top three utilisations and guard counters for an assignment."""

    def __init__(self, d: SearchData, pair_of_unit: np.ndarray) -> None:
        self.d = d
        self.choice = pair_of_unit.copy()  # pair row per unit, -1 = unallocated
        m = len(d.workers)
        self.L = d.fixed_points.copy()
        self.K = d.fixed_children.copy()
        on = self.choice >= 0
        np.add.at(self.L, d.pair_worker[self.choice[on]], d.pair_points[self.choice[on]])
        np.add.at(self.K, d.pair_worker[self.choice[on]], d.pair_children[self.choice[on]])
        self.has_cap = d.capacity > 0
        self.safe_cap = np.where(self.has_cap, d.capacity, 1.0)
        self.members = [np.flatnonzero(d.group == g) for g in range(d.n_groups)]
        self.top_val = np.zeros((d.n_groups, 3))
        self.top_w = np.full((d.n_groups, 3), -1)
        for g in range(d.n_groups):
            self._refresh(g)
        n_blocks = len(d.handoff_budget)
        self.handoffs = np.zeros(n_blocks)
        self.unallocated = np.zeros(n_blocks)
        blk = d.unit_block
        inb = blk >= 0
        np.add.at(self.handoffs, blk[on & inb], d.pair_handoffs[self.choice[on & inb]])
        np.add.at(self.unallocated, blk[~on & inb], d.unit_children[~on & inb])
        self.m = m

    def _refresh(self, g: int) -> None:
        idx = self.members[g]
        util = self.L[idx] / self.safe_cap[idx]
        k = min(3, len(idx))
        top = np.argsort(-util, kind="stable")[:k]
        self.top_val[g] = 0.0
        self.top_w[g] = -1
        self.top_val[g, :k] = util[top]
        self.top_w[g, :k] = idx[top]

    def lb(self, L: np.ndarray, K: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Load-balance cost of workers `w` at loads L, K (`rules.load_balance_cost`)."""
        d = self.d
        cap = d.capacity[w]
        cost = np.zeros(np.shape(L))
        for share, rate in d.breakpoints:
            cost += rate * np.where(cap > 0, np.maximum(0.0, L - share * cap), 0.0)
        return cost + d.soft_cost * np.maximum(0.0, K - d.soft_children[w])

    def max_excluding(self, g: np.ndarray, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """Top utilisation of groups `g` leaving out workers `a` (and `b`)."""
        tw, tv = self.top_w[g], self.top_val[g]
        ok = tw != a[:, None]
        if b is not None:
            ok &= tw != b[:, None]
        ok &= tw >= 0
        return np.where(ok, tv, -np.inf).max(axis=1, initial=-np.inf)

    def apply(self, unit: int, new_pair: int) -> None:
        d = self.d
        old = self.choice[unit]
        blk = d.unit_block[unit]
        touched = set()
        if old >= 0:
            w = d.pair_worker[old]
            self.L[w] -= d.pair_points[old]
            self.K[w] -= d.pair_children[old]
            touched.add(d.group[w])
            if blk >= 0:
                self.handoffs[blk] -= d.pair_handoffs[old]
        elif blk >= 0:
            self.unallocated[blk] -= d.unit_children[unit]
        if new_pair >= 0:
            w = d.pair_worker[new_pair]
            self.L[w] += d.pair_points[new_pair]
            self.K[w] += d.pair_children[new_pair]
            touched.add(d.group[w])
            if blk >= 0:
                self.handoffs[blk] += d.pair_handoffs[new_pair]
        elif blk >= 0:
            self.unallocated[blk] += d.unit_children[unit]
        self.choice[unit] = new_pair
        for g in touched:
            if g >= 0:
                self._refresh(g)


def _shift_deltas(s: _State, u: int) -> tuple[np.ndarray, np.ndarray]:
    """For unit u: each option (its pair rows, then -1 = unallocated) and the change in the
    objective of moving u there (inf when a limit or guard forbids it)."""
    opts, delta, ok = _shift_options(s, u)
    return opts, np.where(ok, delta, np.inf)


def _shift_options(s: _State, u: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For unit u: each option (its pair rows, then -1 = unallocated), the change in the
    objective of moving u there, and whether the destination's limits and the guards allow it
    (the worker u leaves is not checked: leaving only frees room)."""
    d = s.d
    rows = d.unit_pairs[u]
    cur = s.choice[u]
    blk = d.unit_block[u]
    opts = np.append(rows, -1)
    delta = np.zeros(len(opts))
    # remove from the current option
    if cur >= 0:
        a = d.pair_worker[cur]
        pa, ka = d.pair_points[cur], d.pair_children[cur]
        La, Ka = s.L[a] - pa, s.K[a] - ka
        rem = float(s.lb(np.array([La]), np.array([Ka]), np.array([a]))[0]
                    - s.lb(s.L[a:a + 1], s.K[a:a + 1], np.array([a]))[0]) - d.pair_cost[cur]
        ga = d.group[a]
        h_now = d.pair_handoffs[cur]
    else:
        a, rem, ga, La, Ka = -1, -d.unit_cost[u], -1, 0.0, 0.0
        h_now = 0.0
    delta[:] = rem
    # add to each worker option (the current worker's own option is set to 0 at the end)
    w = d.pair_worker[rows]
    p, k = d.pair_points[rows], d.pair_children[rows]
    same = w == a
    Lw = np.where(same, La, s.L[w])
    Kw = np.where(same, Ka, s.K[w])
    delta[:-1] += s.lb(Lw + p, Kw + k, w) - s.lb(Lw, Kw, w) + d.pair_cost[rows]
    delta[-1] += d.unit_cost[u]
    # highest utilisation
    if d.top_cost > 0:
        gw = d.group[w]
        uw_new = np.where(gw >= 0, (Lw + p) / s.safe_cap[w], -np.inf)
        if ga >= 0:
            ua_new = La / s.safe_cap[a]
            excl = s.max_excluding(np.array([ga]), np.array([a]))[0]
            top_a_after = max(excl, ua_new)
            base_ga = s.top_val[ga, 0]
        hu = np.zeros(len(rows))
        valid = gw >= 0
        t1 = np.where(valid, s.top_val[np.maximum(gw, 0), 0], 0.0)
        other = valid & (gw != ga)
        hu[other] = np.maximum(t1[other], uw_new[other]) - t1[other]
        if ga >= 0:
            in_a = valid & (gw == ga)
            hu[in_a] = np.maximum(top_a_after, uw_new[in_a]) - base_ga
            hu[~in_a] += top_a_after - base_ga
            delta[-1] += (top_a_after - base_ga) * d.top_cost
        delta[:-1] += d.top_cost * hu
    # limits
    ok = np.append((Lw + p <= d.points_limit[w] + _EPS) & (Kw + k <= d.children_limit[w] + _EPS), True)
    # guards
    if blk >= 0:
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
    """Improve `start` (pair row per unit, -1 = unallocated) until a pass finds nothing better,
    `max_passes` passes or `time_limit` seconds; returns the new pair row per unit. Each pass
    tries shift moves; when they find nothing (and `chains`), move chains: `_eject` (a move a
    limit or guard blocks, made to fit by moving one other unit) and `_place_by_evicting` (an
    unallocated family placed on a full worker by moving up to four families off)."""
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
    """The objective of a pair-row-per-unit assignment (for checks; matches evaluate_objective
    on the units and workers in `d`)."""
    s = _State(d, choice)
    on = choice >= 0
    total = d.pair_cost[choice[on]].sum() + d.unit_cost[~on].sum()
    w = np.arange(len(d.workers))
    total += s.lb(s.L, s.K, w).sum()
    if d.top_cost > 0:
        total += d.top_cost * s.top_val[:, 0].sum()
    return float(total)
