"""The baseline: what a service manager does by hand.

* Each family that needs a worker goes to the least-loaded eligible worker (lowest utilisation,
  then fewest children, then worker ID) who has room for it, highest priority first.
* In `rebalance` (and `leaver`) families stay where they are unless their worker is above a
  hard cap (points, children or complex children) or can no longer hold them (leaving,
  unavailable, ASYE with a CP case...). Families are taken off a worker above a cap smallest
  first, only when another eligible worker has room, until the worker is back within their caps.

It obeys the same hard rules as the optimiser (it picks only from the model's eligible pairs and
respects the same limits), so its answer is a valid warm start and a fair comparison.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from workforce.allocation.build import build_problem
from workforce.allocation.config import AllocationConfig
from workforce.allocation.explain import build_result
from workforce.allocation.objective import evaluate_objective
from workforce.allocation.problem import LOADS, AllocationResult, Problem


class _Loads:
    """Running loads per worker, with the limits used for placing work."""

    def __init__(self, problem: Problem) -> None:
        # plain dicts: this runs inside loops over every family
        w = problem.workers
        fixed = problem.fixed.reindex(w.index).fillna(0.0)
        self.load = {r: fixed[r].astype(float).to_dict() for r in LOADS}
        caps = {"points": w["capacity"], "children": w["max_children"], "complex": w["max_complex"]}
        self.cap = {r: caps[r].astype(float).to_dict() for r in LOADS}
        # a receiving worker must stay within their caps (never the keep-what-you-hold allowance)
        self.room = {r: np.minimum(caps[r].astype(float), problem.limits[r]).to_dict() for r in LOADS}
        self.limit = {r: problem.limits[r].to_dict() for r in LOADS}

    def utilisation(self, wid: str) -> float:
        cap = self.cap["points"][wid]
        return self.load["points"][wid] / cap if cap > 0 else np.inf

    def fits_limit(self, wid: str, amount: dict[str, float]) -> bool:
        """Within the model's limits (a worker over capacity may keep what they hold)."""
        return all(self.load[r][wid] + amount[r] <= self.limit[r][wid] + 1e-9 for r in LOADS)

    def fits(self, wid: str, amount: dict[str, float]) -> bool:
        return all(self.load[r][wid] + amount[r] <= self.room[r][wid] + 1e-9 for r in LOADS)

    def over(self, wid: str) -> bool:
        return any(self.load[r][wid] > self.cap[r][wid] + 1e-9 for r in LOADS)

    def add(self, wid: str, amount: dict[str, float], sign: float = 1.0) -> None:
        for r in LOADS:
            self.load[r][wid] += sign * amount[r]


def _least_loaded(options: dict[str, dict[str, float]], loads: _Loads, exclude: str = "") -> str:
    best, best_key = "", None
    for wid, amount in options.items():
        if wid == exclude or not loads.fits(wid, amount):
            continue
        key = (loads.utilisation(wid), loads.load["children"][wid], wid)
        if best_key is None or key < best_key:
            best, best_key = wid, key
    return best


def baseline_assignment(problem: Problem) -> pd.Series:
    """The manager's assignment by the rules above.

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    Series
        unit -> worker_id ("" = unplaced: unallocated, or the keeper keeps their children), for
        every unit of the problem.
    """
    units = problem.units
    assignment = pd.Series("", index=units.index, dtype=object)
    if not len(units):
        return assignment
    loads = _Loads(problem)
    fallback = {u: (r["worker_id"], {k: float(r[k]) for k in LOADS}) for u, r in problem.fallback.to_dict("index").items()}
    for wid, amount in fallback.values():  # unplaced for now: the keeper keeps their children
        loads.add(wid, amount)
    by_unit: dict[str, dict[str, dict[str, float]]] = {}
    cols = [problem.pairs[c].to_numpy() for c in ("unit", "worker_id", *LOADS)]
    for u, wid, *amount in zip(*cols):
        by_unit.setdefault(u, {})[wid] = dict(zip(LOADS, map(float, amount)))
    to_place: list[str] = []
    staying: dict[str, list[str]] = {}
    keepable = units["keepable"].to_dict()
    base_points = units["base_points"].to_dict()
    top_priority = units["top_priority"].to_dict()
    current_of = units["current"].to_dict()
    if problem.mode != "new":
        for unit, wid in problem.current_unit_worker.items():
            opts = by_unit.get(unit)
            row = opts.get(wid) if (wid and opts is not None and keepable[unit]) else None
            if row is not None and loads.fits_limit(wid, row):
                assignment[unit] = wid
                loads.add(wid, row)
                staying.setdefault(wid, []).append(unit)
            else:
                to_place.append(unit)
        # move families off workers above a cap, smallest first
        for wid in sorted(staying):
            if not loads.over(wid):
                continue
            for unit in sorted(staying[wid], key=lambda u: (base_points[u], u)):
                if not loads.over(wid):
                    break
                opts = by_unit[unit]
                target = _least_loaded(opts, loads, exclude=wid)
                if target:
                    loads.add(wid, opts[wid], -1.0)
                    loads.add(target, opts[target])
                    assignment[unit] = target
    else:
        to_place = list(units.index)
    order = sorted(to_place, key=lambda u: (top_priority[u], -base_points[u], u))
    for unit in order:
        opts = by_unit.get(unit)
        if opts is None:
            continue
        fb = fallback.get(unit)
        if fb is not None:  # placing it takes the keeper's children off the keeper
            loads.add(*fb, -1.0)
        # a split family is reunited with the current worker holding most of it, if there is room
        current = current_of[unit]
        target = ""
        for wid, _ in sorted(current.items(), key=lambda kv: (-kv[1], kv[0])):
            if wid in opts and loads.fits(wid, opts[wid]):
                target = wid
                break
        target = target or _least_loaded(opts, loads)
        if target:
            loads.add(target, opts[target])
            assignment[unit] = target
        elif fb is not None:
            loads.add(*fb)
    return assignment


def baseline_allocate(workers: pd.DataFrame, cases: pd.DataFrame, *, mode: str = "rebalance",
                      leavers: tuple[str, ...] | list[str] = (), risk: pd.DataFrame | None = None,
                      config: AllocationConfig | None = None, as_of=None) -> AllocationResult:
    """The baseline as a full result (same outputs as `allocate`), for comparison.

    Parameters are those of `workforce.allocation.allocate` (without solver settings).

    Returns
    -------
    AllocationResult
        Status "feasible" (nothing is proven), solver "baseline".

    Raises
    ------
    InputError
        For bad input, as `build_problem`.
    """
    start = time.perf_counter()
    problem = build_problem(workers, cases, mode=mode, leavers=leavers, risk=risk, config=config, as_of=as_of)
    assignment = baseline_assignment(problem)
    terms = evaluate_objective(problem, assignment)
    info = dict(status="feasible", objective=terms["total"], bound=None, gap=None, terms=terms,
                baseline_objective=terms["total"], used_baseline=True, baseline_assignment=assignment,
                solver="baseline", blocks=0, message="manager's baseline (greedy, no optimisation)")
    result = build_result(problem, assignment, info)
    result.timings = {"total": round(time.perf_counter() - start, 3)}
    return result
