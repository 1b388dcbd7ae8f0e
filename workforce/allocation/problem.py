"""The allocation's shared types and lookups: the `Problem` every stage reads, the
`AllocationResult` it produces, the allocation modes and the one lookup from an assignment
(unit -> worker) to its chosen (unit, worker) pairs.

This module sits below every other allocation module (build, objective, baseline, local search,
explanations, solving), so they can all use these types without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from workforce.allocation.config import AllocationConfig
from workforce.contracts import team_types
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


#: The loads every worker carries, one per hard cap of `caseload.worker_caps`.
LOADS = ("points", "children", "complex")


@dataclass
class Problem:
    """Everything the solver, the baseline, the evaluation and the explanations share.

    Loads (`fixed`, `before`, `limits`) are frames indexed by worker with one column per load of
    `LOADS`. `units` carries, per unit: `keeper` (the worker whose children stay with them when
    the unit is left unplaced, "" when none), `may_wait` (whether the unit may be left unplaced
    at all) and its costs when unplaced (``cost_<unit term>``). `fallback` gives, for each unit
    with a keeper that may be left unplaced and has pairs, the load its held children keep on the
    keeper (units without pairs have theirs in `fixed`).
    """

    mode: str
    config: AllocationConfig
    workers: pd.DataFrame  # prepared, index worker_id, with `<load>_limit` and `over_cap_now`
    cases: pd.DataFrame  # prepared, with unit / fixed_worker / keeper / waits_if_unplaced
    units: pd.DataFrame  # index unit
    candidates: pd.DataFrame  # every in-reach (unit, worker) with `failed_rule`
    pairs: pd.DataFrame  # eligible pairs that can fit: unit, worker_id, points, children, complex, cost_*
    eligible: pd.DataFrame  # eligible pairs (including ones that can never fit)
    fixed: pd.DataFrame  # loads of children whose worker is not decided now
    before: pd.DataFrame  # loads before the run
    limits: pd.DataFrame  # hard limit per load
    fallback: pd.DataFrame  # unit -> worker_id, points, children, complex (kept when unplaced)
    unallocated_cost: pd.Series  # by unit: the cost of leaving it unplaced (all unit terms)
    issues: pd.DataFrame
    current_unit_worker: pd.Series  # unit -> single current worker ("" when none or split)
    as_of: pd.Timestamp | None = None  # the date contract ends are measured from

    @cached_property
    def team_kinds(self) -> dict[str, str]:
        """Each team's type (`contracts.team_types` of the workers), worked out once: the words
        about other teams' room ask it per waiting family and per team."""
        return team_types(self.workers)


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
    explanations: pd.DataFrame  # one row per child: worker, runner-up, reasons, loads and caps
    problem: Problem = field(repr=False)
    assignment: pd.Series = field(repr=False)  # unit -> worker_id ("" = unplaced)
    timings: dict = field(default_factory=dict)  # seconds by stage (kept out of the summary)


def lookup(keys: pd.Series, values: pd.Series, default) -> pd.Series:
    """``keys.map(values)`` with ``default`` where a key is missing, on the keys' index, without
    pandas' float conversion of an empty or partial map (object dtype, then the default's type)."""
    out = keys.map(values.astype(object)).astype(object)
    out = out.where(out.notna(), default)
    return out.astype(type(default)) if isinstance(default, (bool, str)) else out


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


def assignment_loads(problem: Problem, assignment: pd.Series) -> pd.DataFrame:
    """Each worker's loads (every worker; one column per load of `LOADS`) under an assignment
    unit -> worker_id ("" = unplaced): the fixed load, the chosen pairs' (ineligible choices, if
    any, are not counted) and the fallback load of each unplaced unit on its keeper."""
    pos = pair_positions(problem.eligible, assignment)
    rows = problem.eligible.iloc[pos[pos >= 0].to_numpy()]
    fb = problem.fallback[problem.fallback.index.isin(assignment.index[assignment.to_numpy() == ""])]
    added = pd.concat([rows[["worker_id", *LOADS]], fb[["worker_id", *LOADS]]], ignore_index=True)
    out = problem.fixed.add(added.groupby("worker_id")[list(LOADS)].sum(), fill_value=0.0)
    return out.reindex(problem.workers.index).fillna(0.0).astype(float)


def final_workers(problem: Problem, assignment: pd.Series) -> pd.Series:
    """Each child's worker after the run ("" = none): the fixed worker; else the unit's worker;
    else, for a unit left unplaced, the keeper for the children the keeper holds."""
    c = problem.cases
    unit_worker = lookup(c["unit"], assignment, "")
    kept = (unit_worker == "") & ~c["waits_if_unplaced"].astype(bool) & (c["unit"] != "")
    out = c["fixed_worker"].where(c["unit"] == "", unit_worker)
    return out.where(~kept, c["keeper"]).astype(object)
