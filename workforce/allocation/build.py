"""Building the allocation problem: decision units, eligible pairs, their costs and the limits.

`build_problem` turns typed `workers` and `cases` frames into the `Problem` every later stage
reads (no solving): the decision units (sibling groups, `families.py`), the children whose
worker is fixed and each unit's keeper; each unit's candidates within reach and the first hard
rule each fails (`rules.py`); the eligible pairs with their points, children, complex children
and cost by pair term, and the units' cost by unit term (`objective.py`); the limit on each
load per worker (`caseload.worker_caps` through `rules.load_limit`).
"""

from __future__ import annotations

import pandas as pd

from workforce.allocation import objective as O
from workforce.allocation import rules as R
from workforce.allocation.config import AllocationConfig
from workforce.allocation.families import (Units, build_units, existing_issues, over_caps, prepare_cases,
                                           prepare_workers)
from workforce.allocation.problem import LOADS, Problem, check_mode, lookup
from workforce.contracts import latest_input_date
from workforce.errors import InputError


def worker_loads(cases: pd.DataFrame, worker_col: pd.Series, workers: pd.DataFrame,
                 config: AllocationConfig) -> pd.DataFrame:
    """Each worker's loads (every worker; columns `LOADS`) when each child is with the worker in
    ``worker_col`` ("" = none): points (with travel), children and complex children."""
    held = worker_col != ""
    who = worker_col[held]
    pts = R.child_points_at(cases[held], who, workers, config)
    out = pd.DataFrame({"points": pts.groupby(who).sum(), "children": who.value_counts(),
                        "complex": cases.loc[held, "complex"].astype(float).groupby(who).sum()})
    return out.reindex(workers.index).fillna(0.0).astype(float)


def _unit_loads(children: pd.DataFrame, worker_col: pd.Series, workers: pd.DataFrame,
                config: AllocationConfig) -> pd.DataFrame:
    """Per unit: the worker in ``worker_col`` (one per unit) and the loads its children carry
    with them (columns ``worker_id`` and `LOADS`)."""
    if not len(children):
        return pd.DataFrame(columns=["worker_id", *LOADS])
    g = children.groupby("unit")
    return pd.DataFrame({"worker_id": worker_col.groupby(children["unit"]).first(),
                         "points": R.child_points_at(children, worker_col, workers, config).groupby(children["unit"]).sum(),
                         "children": g.size().astype(float),
                         "complex": children["complex"].astype(float).groupby(children["unit"]).sum()})


def default_as_of(workers: pd.DataFrame, cases: pd.DataFrame) -> pd.Timestamp | None:
    """The run's "as of" date when none is given: `contracts.latest_input_date` (never today's
    date, so the same files give the same answer on any day); None when the inputs hold no date."""
    return latest_input_date(workers, cases)


def _contract_ends_soon(workers: pd.DataFrame, as_of: pd.Timestamp | None, weeks: float) -> pd.Series:
    if as_of is None:
        return pd.Series(False, index=workers.index)
    end = pd.to_datetime(workers["contract_end"], errors="coerce")
    return (end.notna() & (end <= as_of + pd.Timedelta(days=7 * weeks))).astype(bool)


def build_problem(workers: pd.DataFrame, cases: pd.DataFrame, *, mode: str = "rebalance",
                  leavers: tuple[str, ...] | list[str] = (), risk: pd.DataFrame | None = None,
                  config: AllocationConfig | None = None, as_of: pd.Timestamp | str | None = None) -> Problem:
    """Prepare the allocation model's data (no solving).

    Parameters
    ----------
    workers, cases : DataFrame
        Typed frames per the data contracts (`contracts.load_workers`, `load_cases`).
    mode : {"new", "rebalance", "leaver"}
    leavers : sequence of str
        Worker IDs who are leaving (leaver mode only).
    risk : DataFrame or None
        ``worker_id, p_leave``.
    config : AllocationConfig or None
    as_of : date-like or None
        The date contract ends are measured from; default `default_as_of` (never today's date).

    Returns
    -------
    Problem

    Raises
    ------
    InputError
        For an unknown mode, leavers outside leaver mode (or none in it), an unknown leaver or
        current worker, a duplicated worker_id or case_id, or a bad p_leave or as-of date.
    """
    config = config or AllocationConfig()
    leavers = tuple(dict.fromkeys(str(x).strip() for x in leavers))
    check_mode(mode)
    if mode == "leaver" and not leavers:
        raise InputError("leaver mode needs at least one --leaver worker ID", column="--leaver")
    if mode != "leaver" and leavers:
        raise InputError(f"leavers were named but the mode is '{mode}'", column="--mode", allowed="leaver")
    w = prepare_workers(workers, config.rules, leavers=leavers, risk=risk)
    if w.index.duplicated().any():
        raise InputError(f"worker_id '{w.index[w.index.duplicated()][0]}' appears twice", column="worker_id")
    c = prepare_cases(cases, config.rules)
    if c["case_id"].duplicated().any():
        raise InputError(f"case_id '{c['case_id'][c['case_id'].duplicated()].iloc[0]}' appears twice", column="case_id")
    if as_of is None:
        as_of = default_as_of(workers, cases)
    else:
        as_of = pd.to_datetime(as_of, errors="coerce")
        if pd.isna(as_of):
            raise InputError("the as-of date must be a date (YYYY-MM-DD)", column="--as-of")
        as_of = pd.Timestamp(as_of).normalize()
    built: Units = build_units(c, w, mode, repeat_threshold=config.continuity_repeat_threshold)
    c, units = built.cases, built.units

    before = worker_loads(c, c["current_worker_id"], w, config)
    fixed = worker_loads(c, c["fixed_worker"], w, config)
    issues = pd.concat([built.issues, existing_issues(c, w, before)], ignore_index=True)
    limits = pd.DataFrame({load: R.load_limit(w[col], before[load], fixed[load], w, mode, config)
                           for load, col in (("points", "capacity"), ("children", "max_children"),
                                             ("complex", "max_complex"))})
    w = w.assign(**{f"{load}_limit": limits[load] for load in LOADS})
    w["over_cap_now_any"] = over_caps(w, before).any(axis=1)
    w["over_cap_now"] = w["over_cap_now_any"] & (not config.over_capacity_gains)
    w["contract_ends_soon"] = _contract_ends_soon(w, as_of, config.contract_horizon_weeks)

    cand = R.judge_candidates(R.same_team_or_locality(units, w, config.reach))
    elig = R.with_pair_loads(cand[cand["failed_rule"] == ""], config)
    elig = pd.concat([elig, O.pair_costs(elig, config)], axis=1)
    elig["handoffs"] = R.handoff_children(elig)
    elig["cross_team"] = R.other_team_children(elig)
    elig = elig.reset_index(drop=True)

    units, c = _waiting_rules(units, c, elig, w, config)
    room = (limits - fixed).reindex(elig["worker_id"]).to_numpy()
    fits = (elig[list(LOADS)].to_numpy() <= room + 1e-9).all(axis=1)
    pairs = elig[fits].reset_index(drop=True)

    # a unit's fallback: its keeper's children stay with the keeper when it is left unplaced;
    # for a unit without any pair that is certain, so it is part of the fixed load
    held = c[(c["unit"] != "") & ~c["waits_if_unplaced"]]
    per_unit_fb = _unit_loads(held, held["keeper"], w, config).reindex(units.index[units["fallback"].to_numpy(bool)])
    per_unit_fb = per_unit_fb.dropna(subset=["worker_id"])
    in_pairs = per_unit_fb.index.isin(pairs["unit"].unique())
    folded = per_unit_fb[~in_pairs]
    if len(folded):
        fixed = fixed.add(folded.groupby("worker_id")[list(LOADS)].sum(), fill_value=0.0).reindex(w.index).fillna(0.0)
    fallback = per_unit_fb[in_pairs].astype({load: float for load in LOADS})

    unit_costs = O.unit_costs(units, c, config)
    units = pd.concat([units, unit_costs], axis=1)
    current_unit_worker = pd.Series(
        [next(iter(cur)) if len(cur) == 1 else "" for cur in units["current"]], index=units.index, dtype=object)
    return Problem(mode=mode, config=config, workers=w, cases=c, units=units, candidates=cand,
                   pairs=pairs, eligible=elig, fixed=fixed, before=before, limits=limits, fallback=fallback,
                   unallocated_cost=unit_costs.sum(axis=1).rename("unallocated_cost"), issues=issues,
                   current_unit_worker=current_unit_worker, as_of=as_of)


def _waiting_rules(units: pd.DataFrame, cases: pd.DataFrame, elig: pd.DataFrame, workers: pd.DataFrame,
                   config: AllocationConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What leaving each unit unplaced means (issue 17.1), as unit columns `keepable`,
    `may_wait`, `fallback` and case columns `waits_if_unplaced`, `kept_against_rule`:

    * a unit wholly held by one keeper who may still hold it (`keepable`) is never left
      unplaced: it stays or moves (unless `make_room`, or `over_demand = "unallocate"` and the
      keeper is above a cap now);
    * any other unit with a keeper has a fallback: unplaced, the keeper's children stay with the
      keeper (at a cost when a rule now excludes the keeper) and only the others wait;
    * a unit without a keeper may wait.
    """
    keeper = units["keeper"].astype(str)
    elig_pairs = pd.MultiIndex.from_arrays([elig["unit"], elig["worker_id"]])
    keeper_ok = pd.Series(pd.MultiIndex.from_arrays([units.index, keeper]).isin(elig_pairs), index=units.index)
    has_keeper = keeper != ""
    keepable = has_keeper & (units["held"] == units["n_children"]) & keeper_ok
    over_now = lookup(keeper, workers["over_cap_now_any"], False)
    unallocate_excess = has_keeper & over_now & (config.over_demand == "unallocate")
    units = units.assign(
        keepable=keepable,
        may_wait=~keepable | config.make_room | unallocate_excess,
        fallback=has_keeper & ~keepable & ~unallocate_excess,
        keeper_eligible=keeper_ok)
    u = cases["unit"]
    with_fb = lookup(u, units["fallback"], False)
    held_by_keeper = (cases["keeper"] != "") & (cases["keeper"] == lookup(u, keeper, ""))
    stays = with_fb & held_by_keeper
    cases = cases.assign(waits_if_unplaced=~stays & (u != ""),
                         kept_against_rule=stays & ~lookup(u, keeper_ok, True))
    return units, cases
