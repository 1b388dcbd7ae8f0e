"""The allocation's shared types and lookups: the `Problem` every stage reads, the
`AllocationResult` it produces, the allocation modes and the one lookup from an assignment
(unit -> worker) to its chosen (unit, worker) pairs.

This module sits below every other allocation module (build, objective, baseline, local search,
explanations, solving), so they can all use these types without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.allocation.config import AllocationConfig
from workforce.errors import InputError

MODES = ("new", "rebalance", "leaver")


def check_mode(mode: str, *, column: str = "mode") -> str:
    """The allocation mode, checked.

    Parameters
    ----------
    mode : str
        "new" (place unallocated children; existing work stays), "rebalance" (every child not
        pinned may move) or "leaver" (as rebalance, with named leavers' children to move).
    column : str
        How the setting is named in an error (e.g. "--mode" on the command line).

    Returns
    -------
    str

    Raises
    ------
    InputError
        For any other mode.
    """
    if mode not in MODES:
        raise InputError(f"unknown mode '{mode}'", column=column, allowed=", ".join(MODES))
    return mode


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


def pair_positions(pairs: pd.DataFrame, assignment: pd.Series, *, strict: bool = False) -> pd.Series:
    """Where each allocated unit's (unit, worker) pair is in a pairs table.

    Parameters
    ----------
    pairs : DataFrame
        With columns ``unit, worker_id`` (each pair once), e.g. `Problem.pairs` or
        `Problem.eligible`.
    assignment : Series
        unit -> worker_id ("" = unallocated).
    strict : bool
        Raise when a pair is not in the table (instead of giving -1).

    Returns
    -------
    Series
        By allocated unit (in the assignment's order): the row position in ``pairs``, or -1
        when the pair is not in the table (an ineligible choice).

    Raises
    ------
    ValueError
        With ``strict``, when the assignment gives a unit to a worker with no row in ``pairs``.
    """
    assigned = assignment[assignment != ""]
    index = pd.MultiIndex.from_arrays([pairs["unit"].to_numpy(), pairs["worker_id"].to_numpy()])
    chosen = pd.MultiIndex.from_arrays([assigned.index.to_numpy(), assigned.to_numpy()])
    pos = pd.Series(index.get_indexer(chosen), index=assigned.index, dtype=np.int64)
    if strict and (pos < 0).any():
        unit = pos.index[(pos < 0).to_numpy()][0]
        raise ValueError(f"assignment gives unit {unit} to ineligible worker {assignment[unit]}")
    return pos


def chosen_pairs(problem: Problem, assignment: pd.Series) -> pd.DataFrame:
    """The eligible pair rows an assignment chooses, indexed by unit.

    Raises
    ------
    ValueError
        When the assignment gives a unit to a worker who is not eligible for it.
    """
    pos = pair_positions(problem.eligible, assignment, strict=True)
    return problem.eligible.iloc[pos.to_numpy()].set_axis(pos.index, axis=0)


def assignment_loads(problem: Problem, assignment: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Points and children per worker (every worker) under an assignment unit -> worker_id:
    the fixed load plus the chosen pairs' (ineligible choices, if any, are not counted)."""
    pos = pair_positions(problem.eligible, assignment)
    rows = problem.eligible.iloc[pos[pos >= 0].to_numpy()]
    w = problem.workers.index
    pts = problem.fixed_points.add(rows.groupby("worker_id")["points"].sum(), fill_value=0.0)
    kids = problem.fixed_children.add(rows.groupby("worker_id")["children"].sum(), fill_value=0)
    return pts.reindex(w).fillna(0.0).astype(float), kids.reindex(w).fillna(0).astype(float)
