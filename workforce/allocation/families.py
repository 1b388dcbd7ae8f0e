"""Sibling groups as decision units, and the fixed part of the caseload.

A *unit* is the set of children of one family whose worker is to be decided now; all of them go
to one worker (the sibling rule is hard). Which children are decided depends on the mode:

* `new`: children who already have a worker stay with them (fixed, counting against that
  worker's capacity); a family's unallocated children form the unit. If some of the family is
  already allocated, the unit may only go to that worker (siblings share a worker).
* `rebalance` / `leaver`: every child who is not pinned is decided; pinned children stay with
  their worker and the rest of their family must join them. In `leaver` mode a child pinned to
  a leaver is released (the worker is leaving), and that is reported.

Existing allocations that already break a rule (split families, over-capacity workers, an ASYE
holding a CP or court case, children with an unavailable worker...) are reported in `issues`,
never turned into an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.caseload import (
    CaseloadRules,
    family_child_points,
    worker_capacity,
    worker_max_children,
    worker_soft_max_children,
)
from workforce.allocation.problem import check_mode
from workforce.contracts import default_priority, split_tags
from workforce.errors import InputError

ISSUE_COLUMNS = ["issue", "worker_id", "family_id", "case_id", "detail"]


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").map(lambda v: str(v).strip())


def _bool(frame: pd.DataFrame, column: str, default: bool) -> pd.Series:
    if column not in frame:
        return pd.Series(default, index=frame.index, dtype=bool)
    return frame[column].fillna(default).astype(bool)


def prepare_workers(
    workers: pd.DataFrame,
    rules: CaseloadRules,
    *,
    leavers: tuple[str, ...] = (),
    risk: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Worker table indexed by `worker_id` with capacity, caps, skill sets, p_leave, leaving.

    Input columns (typed frame per the data contract): `worker_id, team, locality, role, asye,
    fte, skills, available`, optional `capacity_points, max_children`.
    """
    w = workers.copy()
    w["worker_id"] = _text(w, "worker_id")
    for col in ("team", "locality", "role"):
        w[col] = _text(w, col)
    w["asye"] = _bool(w, "asye", False)
    w["available"] = _bool(w, "available", True)
    w["fte"] = pd.to_numeric(w["fte"], errors="coerce").fillna(0.0).astype(float)
    out = pd.DataFrame(index=pd.Index(w["worker_id"].to_numpy(), name="worker_id"))
    for col in ("team", "locality", "role", "asye", "available", "fte"):
        out[col] = w[col].to_numpy()
    out["skill_set"] = [split_tags(s.lower()) for s in _text(w, "skills")]
    out["capacity"] = worker_capacity(w, rules).to_numpy()
    out["max_children"] = worker_max_children(w, rules).to_numpy()
    out["soft_max_children"] = worker_soft_max_children(w, rules).to_numpy()
    unknown = [x for x in leavers if x not in out.index]
    if unknown:
        raise InputError(f"unknown leaver worker_id(s): {', '.join(unknown)}", column="--leaver",
                         allowed="worker IDs from the workers table")
    out["leaving"] = out.index.isin(list(leavers))
    out["p_leave"] = 0.0
    if risk is not None and len(risk):
        r = risk.copy()
        r["worker_id"] = _text(r, "worker_id")
        p = pd.to_numeric(r["p_leave"], errors="coerce")
        bad = r.index[p.isna() | (p < 0) | (p > 1)]
        if len(bad):
            raise InputError("p_leave must be a number between 0 and 1", row=int(bad[0]) if isinstance(bad[0], (int, np.integer)) else None,
                             column="p_leave", allowed="0-1")
        mapping = pd.Series(p.to_numpy(), index=r["worker_id"].to_numpy())
        mapping = mapping[~mapping.index.duplicated(keep="last")]
        out["p_leave"] = mapping.reindex(out.index).fillna(0.0).to_numpy()
    return out


def prepare_cases(cases: pd.DataFrame, rules: CaseloadRules) -> pd.DataFrame:
    """Case table (RangeIndex) with points (sibling discount), priority, tag sets and defaults.

    Input columns: `case_id, family_id, case_type, court, locality, workers_12m, pinned`,
    optional `team, current_worker_id, priority, required_skills, excluded_workers`.
    """
    c = cases.reset_index(drop=True).copy()
    for col in ("case_id", "family_id", "case_type", "locality", "team", "current_worker_id"):
        c[col] = _text(c, col)
    c["court"] = _bool(c, "court", False)
    c["pinned"] = _bool(c, "pinned", False)
    c["workers_12m"] = pd.to_numeric(c.get("workers_12m", 0), errors="coerce")
    c["workers_12m"] = c["workers_12m"].fillna(0).astype(int) if "workers_12m" in c else 0
    default_pri = default_priority(c)
    if "priority" in c:
        pri = pd.to_numeric(c["priority"], errors="coerce")
        c["priority"] = pri.where(pri.notna(), default_pri).astype(int)
    else:
        c["priority"] = default_pri.astype(int)
    c["required_set"] = [split_tags(s.lower()) for s in _text(c, "required_skills")]
    c["excluded_set"] = [split_tags(s) for s in _text(c, "excluded_workers")]  # IDs keep their case
    c["points"] = family_child_points(c, rules).to_numpy()
    c["cp_or_court"] = (c["case_type"] == "cp") | c["court"]
    return c


def _per_unit_counts(free: pd.DataFrame, column: str, key: str) -> pd.Series:
    """unit -> {value: children} for the non-blank values of `column` (one pass, no per-group
    pandas calls: this runs over every family). Units are the values of `key`."""
    out: dict[str, dict[str, int]] = {u: {} for u in sorted(set(free[key]))}
    sizes = free[free[column] != ""].groupby([key, column], sort=True).size()
    for (unit, value), n in zip(sizes.index, sizes.to_numpy().tolist()):
        out[unit][value] = n
    return pd.Series(out, dtype=object)


def _per_unit_union(free: pd.DataFrame, column: str, key: str) -> pd.Series:
    """unit -> union of the frozensets in `column`."""
    out: dict[str, frozenset] = {u: frozenset() for u in sorted(set(free[key]))}
    for unit, tags_ in zip(free[key], free[column]):
        if tags_:
            out[unit] = out[unit] | tags_
    return pd.Series(out, dtype=object)


UNIT_COLUMNS = ["family_id", "case_ids", "n_children", "base_points", "teams", "localities", "required",
                "excluded", "cp_or_court", "current", "repeat", "top_priority"]


def unit_table(children: pd.DataFrame, key: str, repeat_threshold: int) -> pd.DataFrame:
    """One row per value of `key` (a unit of children decided together): what the rules and
    objective terms read about it.

    Parameters
    ----------
    children : DataFrame
        Prepared cases (`prepare_cases`) to group.
    key : str
        The grouping column: "unit" for sibling groups; "case_id" makes each child its own unit
        (for per-child costs).
    repeat_threshold : int
        A child with this many workers in 12 months or more has a repeat-change history.

    Returns
    -------
    DataFrame
        Indexed by `key` values (index name "unit"), columns `UNIT_COLUMNS`: `case_ids` (tuple),
        `n_children`, `base_points`, `teams` (frozenset), `localities` (locality -> children),
        `required`, `excluded` (frozensets), `cp_or_court`, `current` (current worker ->
        children), `repeat` (current worker -> children with a repeat-change history),
        `top_priority`.
    """
    if not len(children):
        return pd.DataFrame(columns=UNIT_COLUMNS, index=pd.Index([], name="unit"))
    repeat = children["current_worker_id"].where(children["workers_12m"] >= repeat_threshold, "")
    free = children.assign(repeat_worker=repeat)
    g = free.groupby(key, sort=True)
    units = pd.DataFrame({
        "family_id": g["family_id"].first(),
        "case_ids": g["case_id"].agg(tuple),
        "n_children": g.size(),
        "base_points": g["points"].sum(),
        "teams": _per_unit_counts(free, "team", key).map(frozenset),
        "localities": _per_unit_counts(free, "locality", key),
        "required": _per_unit_union(free, "required_set", key),
        "excluded": _per_unit_union(free, "excluded_set", key),
        "cp_or_court": g["cp_or_court"].any(),
        "current": _per_unit_counts(free, "current_worker_id", key),
        "repeat": _per_unit_counts(free, "repeat_worker", key),
        "top_priority": g["priority"].min(),
    })
    units.index.name = "unit"
    return units


@dataclass
class Units:
    """The decision units, the fixed children and the problems found in existing allocations."""

    units: pd.DataFrame  # one row per unit, index `unit` (= family_id)
    cases: pd.DataFrame  # prepared cases with `unit` ("" when fixed) and `fixed_worker`
    issues: pd.DataFrame  # ISSUE_COLUMNS


def build_units(cases: pd.DataFrame, workers: pd.DataFrame, mode: str, *, repeat_threshold: int = 2) -> Units:
    """Split the prepared cases into decision units (one per family) and fixed children.

    Parameters
    ----------
    cases : DataFrame
        Prepared cases (`prepare_cases`).
    workers : DataFrame
        The prepared worker table (`prepare_workers`: for leavers).
    mode : {"new", "rebalance", "leaver"}
    repeat_threshold : int
        Workers in 12 months from which a child has a repeat-change history
        (`AllocationConfig.continuity_repeat_threshold`).

    Returns
    -------
    Units
        Unit columns as `unit_table` gives them, plus `restrict_to` (frozenset of allowed
        workers, or None).

    Raises
    ------
    InputError
        For an unknown mode, or a current worker not in the workers table.
    """
    check_mode(mode)
    c = cases.copy()
    issues: list[dict] = []
    current = c["current_worker_id"]
    has_current = current != ""
    unknown = sorted(set(current[has_current]) - set(workers.index))
    if unknown:
        raise InputError(f"current_worker_id not in workers: {', '.join(unknown[:5])}",
                         column="current_worker_id")
    leaving = current.map(workers["leaving"].astype(object)).eq(True)
    pinned = c["pinned"] & has_current
    if mode == "leaver":
        released = pinned & leaving
        for _, row in c[released].iterrows():
            issues.append(dict(issue="pinned_to_leaver", worker_id=row.current_worker_id,
                               family_id=row.family_id, case_id=row.case_id,
                               detail="pinned to a worker who is leaving: the child must move"))
        pinned = pinned & ~leaving
    fixed = has_current if mode == "new" else pinned
    c["fixed_worker"] = np.where(fixed, current, "")
    c["unit"] = np.where(fixed, "", c["family_id"])

    # sibling rule: workers already holding fixed children of the family
    fam_fixed = c[fixed].groupby("family_id")["current_worker_id"].agg(lambda s: frozenset(s))
    fam_current = c[has_current].groupby("family_id")["current_worker_id"].agg(lambda s: frozenset(s))
    for fam, ws in fam_current.items():
        if len(ws) > 1:
            issues.append(dict(issue="split_family", worker_id=";".join(sorted(ws)), family_id=fam,
                               case_id="", detail=f"family held by {len(ws)} workers now"
                               + (" (reunited)" if mode != "new" and len(fam_fixed.get(fam, ())) <= 1 else "")))
    for fam, ws in fam_fixed.items():
        if mode != "new" and len(ws) > 1:
            issues.append(dict(issue="pinned_split_family", worker_id=";".join(sorted(ws)), family_id=fam,
                               case_id="", detail="children pinned to different workers: cannot be reunited"))

    units = unit_table(c[c["unit"] != ""], "unit", repeat_threshold)
    units["restrict_to"] = pd.Series([fam_fixed.get(f) for f in units["family_id"]], index=units.index, dtype=object)
    return Units(units=units, cases=c, issues=pd.DataFrame(issues, columns=ISSUE_COLUMNS))


def existing_issues(cases: pd.DataFrame, workers: pd.DataFrame, before_points: pd.Series,
                    before_children: pd.Series) -> pd.DataFrame:
    """Existing allocations that break a hard rule now (reported, never an error)."""
    rows: list[dict] = []
    held = cases[cases["current_worker_id"] != ""]
    w = workers.reindex(held["current_worker_id"].to_numpy())
    w.index = held.index
    checks = [
        ("unavailable_worker", ~w["available"], "held by a worker who is not available"),
        ("team_manager_holds_case", w["role"] == "team_manager", "held by a team manager"),
        ("asye_sole_cp_or_court", w["asye"] & held["cp_or_court"], "CP or court case held by an ASYE alone"),
        ("excluded_worker", pd.Series([wid in ex for wid, ex in zip(held["current_worker_id"], held["excluded_set"])],
                                      index=held.index), "held by a worker the child's record excludes"),
    ]
    for issue, mask, detail in checks:
        for idx in held.index[mask.to_numpy(dtype=bool)]:
            rows.append(dict(issue=issue, worker_id=held.at[idx, "current_worker_id"],
                             family_id=held.at[idx, "family_id"], case_id=held.at[idx, "case_id"], detail=detail))
    over_points = before_points > workers["capacity"] + 1e-9
    over_children = before_children > workers["max_children"]
    for wid in workers.index[(over_points | over_children).to_numpy()]:
        rows.append(dict(issue="over_capacity_now", worker_id=wid, family_id="", case_id="",
                         detail=f"holds {before_points[wid]:g} points / {int(before_children[wid])} children; "
                                f"capacity {workers.at[wid, 'capacity']:g} points / {int(workers.at[wid, 'max_children'])} children"))
    return pd.DataFrame(rows, columns=ISSUE_COLUMNS)
