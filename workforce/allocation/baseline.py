"""The baseline: what a service manager does by hand.

* Each family that needs a worker goes to the least-loaded eligible worker (lowest utilisation,
  then fewest children, then worker ID) who has room for it, highest priority first.
* In `rebalance` (and `leaver`) families stay where they are unless their worker is over
  capacity (points or children) or can no longer hold them (leaving, unavailable, ASYE with a
  CP case...). Families are taken off an over-capacity worker smallest first, only when another
  eligible worker has room, until the worker is back within capacity.

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
from workforce.allocation.problem import AllocationResult, Problem


class _Loads:
    """Running points and children per worker, with the limits used for placing work."""

    def __init__(self, problem: Problem) -> None:
        # plain dicts: this runs inside loops over every family
        w = problem.workers
        self.points = problem.fixed_points.reindex(w.index).fillna(0.0).astype(float).to_dict()
        self.children = problem.fixed_children.reindex(w.index).fillna(0).astype(float).to_dict()
        self.capacity = w["capacity"].astype(float).to_dict()
        self.max_children = w["max_children"].astype(float).to_dict()
        # a receiving worker must stay within capacity proper (never the keep-what-you-hold allowance)
        self.room_points = np.minimum(w["capacity"].astype(float), problem.points_limit).to_dict()
        self.room_children = np.minimum(w["max_children"].astype(float), problem.children_limit).to_dict()
        self.limit_points = problem.points_limit.to_dict()
        self.limit_children = problem.children_limit.to_dict()

    def utilisation(self, wid: str) -> float:
        cap = self.capacity[wid]
        return self.points[wid] / cap if cap > 0 else np.inf

    def fits_limit(self, wid: str, points: float, children: int) -> bool:
        """Within the model's limits (a worker over capacity may keep what they hold)."""
        return (self.points[wid] + points <= self.limit_points[wid] + 1e-9
                and self.children[wid] + children <= self.limit_children[wid] + 1e-9)

    def fits(self, wid: str, points: float, children: int) -> bool:
        return (self.points[wid] + points <= self.room_points[wid] + 1e-9
                and self.children[wid] + children <= self.room_children[wid] + 1e-9)

    def add(self, wid: str, points: float, children: int, sign: float = 1.0) -> None:
        self.points[wid] += sign * points
        self.children[wid] += sign * children


def _least_loaded(options: dict[str, tuple[float, int]], loads: _Loads, exclude: str = "") -> str:
    best, best_key = "", None
    for wid, (pts, kids) in options.items():
        if wid == exclude or not loads.fits(wid, pts, kids):
            continue
        key = (loads.utilisation(wid), loads.children[wid], wid)
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
        unit -> worker_id ("" = unallocated), for every unit of the problem.
    """
    units = problem.units
    assignment = pd.Series("", index=units.index, dtype=object)
    if not len(units):
        return assignment
    loads = _Loads(problem)
    by_unit: dict[str, dict[str, tuple[float, int]]] = {}
    for u, wid, pts, kids in zip(problem.pairs["unit"], problem.pairs["worker_id"], problem.pairs["points"],
                                 problem.pairs["children"]):
        by_unit.setdefault(u, {})[wid] = (float(pts), int(kids))
    to_place: list[str] = []
    staying: dict[str, list[str]] = {}
    if problem.mode != "new":
        for unit, wid in problem.current_unit_worker.items():
            opts = by_unit.get(unit)
            row = opts.get(wid) if (wid and opts is not None) else None
            if row is not None and loads.fits_limit(wid, *row):
                assignment[unit] = wid
                loads.add(wid, *row)
                staying.setdefault(wid, []).append(unit)
            else:
                to_place.append(unit)
        # move families off over-capacity workers, smallest first
        for wid in sorted(staying):
            if loads.points[wid] <= loads.capacity[wid] + 1e-9 and loads.children[wid] <= loads.max_children[wid]:
                continue
            mine = sorted(staying[wid], key=lambda u: (units.at[u, "base_points"], u))
            for unit in mine:
                over = (loads.points[wid] > loads.capacity[wid] + 1e-9
                        or loads.children[wid] > loads.max_children[wid])
                if not over:
                    break
                opts = by_unit[unit]
                target = _least_loaded(opts, loads, exclude=wid)
                if target:
                    loads.add(wid, *opts[wid], -1.0)
                    loads.add(target, *opts[target])
                    assignment[unit] = target
    else:
        to_place = list(units.index)
    order = sorted(to_place, key=lambda u: (units.at[u, "top_priority"], -units.at[u, "base_points"], u))
    for unit in order:
        opts = by_unit.get(unit)
        if opts is None:
            continue
        # a split family is reunited with the current worker holding most of it, if there is room
        current = units.at[unit, "current"]
        target = ""
        for wid, _ in sorted(current.items(), key=lambda kv: (-kv[1], kv[0])):
            if wid in opts and loads.fits(wid, *opts[wid]):
                target = wid
                break
        target = target or _least_loaded(opts, loads)
        if target:
            loads.add(target, *opts[target])
            assignment[unit] = target
    return assignment


def baseline_allocate(workers: pd.DataFrame, cases: pd.DataFrame, *, mode: str = "rebalance",
                      leavers: tuple[str, ...] | list[str] = (), risk: pd.DataFrame | None = None,
                      config: AllocationConfig | None = None) -> AllocationResult:
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
    problem = build_problem(workers, cases, mode=mode, leavers=leavers, risk=risk, config=config)
    assignment = baseline_assignment(problem)
    terms = evaluate_objective(problem, assignment)
    info = dict(status="feasible", objective=terms["total"], bound=None, gap=None, terms=terms,
                baseline_objective=terms["total"], used_baseline=True, seconds=time.perf_counter() - start,
                solver="baseline", blocks=0, message="manager's baseline (greedy, no optimisation)")
    return build_result(problem, assignment, info)
