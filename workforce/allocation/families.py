"""Sibling groups as decision units, the fixed part of the caseload and the children a worker
keeps when nothing better is found.

A *unit* is the set of children of one family whose worker is to be decided now; all of them go
to one worker (the sibling rule is hard). Which children are decided depends on the mode:

* `new`: children who already have a worker stay with them (fixed, counting against that
  worker's capacity); a family's unallocated children form the unit. If some of the family is
  already allocated, the unit may only go to that worker (siblings share a worker).
* `rebalance` / `leaver`: every child who is not pinned is decided; pinned children stay with
  their worker and the rest of their family must join them. In `leaver` mode a child pinned to
  a leaver is released (the worker is leaving), and that is reported.

A child held by an available worker who is not leaving has a *keeper*: the worker they stay with
unless the allocation finds them a better place (issue 17.1: a child never loses their worker as
a side effect). A unit whose children are all held by one keeper who may still hold them stays
with them unless moved (it is never left unallocated, unless the `make_room` or `over_demand =
"unallocate"` policy allows). A unit that mixes a keeper's children with children who wait (a new
sibling; a child of a leaver) or whose keeper may no longer hold it by rule has a *fallback*:
left unplaced, the keeper's children stay with the keeper and only the others wait. A family
held by two or more keepers now (split siblings) is decided as one unit per keeper (reuniting it
is a manager's decision; the split is reported).

Existing allocations that already break a rule (split families, over-capacity workers, an ASYE
holding a CP or court case, children with an unavailable worker...) are reported in `issues`,
never turned into an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.caseload import CaseloadRules, family_child_points, is_complex, worker_caps
from workforce.allocation.problem import check_mode
from workforce.contracts import default_priority, split_tags
from workforce.errors import InputError

ISSUE_COLUMNS = ["issue", "worker_id", "family_id", "case_id", "detail"]

#: Case types whose children need continuity of worker above all (looked-after children and
#: children on a child protection plan; with court work): the contract rule protects them.
CONTINUITY_CASE_TYPES = ("cla", "cla_complex", "cp")


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
    """Worker table indexed by `worker_id` with the caps of the one capacity model
    (`caseload.worker_caps`: `capacity` points, `max_children` hard cap, `soft_max_children`,
    `max_complex`), skill sets, p_leave, leaving and the contract end.

    Input columns (typed frame per the data contract): `worker_id, team, locality, role, asye,
    fte, skills, available`, optional `capacity_points, max_children, second_year,
    contract_end_date, team_type`.
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
    out["agency"] = _bool(w, "agency", False).to_numpy()
    out["team_type"] = _text(w, "team_type").to_numpy()  # optional: what work the team does ("" unknown)
    out["skill_set"] = [split_tags(s.lower()) for s in _text(w, "skills")]
    caps = worker_caps(w, rules)
    out["capacity"] = caps["capacity_points"].to_numpy(float)
    out["max_children"] = caps["hard_children"].to_numpy(float)
    out["soft_max_children"] = caps["soft_children"].to_numpy(float)
    out["max_complex"] = caps["complex_children"].to_numpy(float)
    end = pd.to_datetime(w["contract_end_date"], errors="coerce") if "contract_end_date" in w else None
    out["contract_end"] = end.to_numpy() if end is not None else pd.Series(pd.NaT, index=w.index).to_numpy()
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
    """Case table (RangeIndex) with points (sibling discount), priority, complexity, the need for
    continuity, tag sets and defaults.

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
    c["complex"] = is_complex(c).to_numpy(bool)
    c["needs_continuity"] = c["case_type"].isin(CONTINUITY_CASE_TYPES) | c["court"]
    return c


def _per_unit_counts(free: pd.DataFrame, column: str, key: str) -> pd.Series:
    """unit -> {value: children} for the non-blank values of `column` (one pass, no per-group
    pandas calls: this runs over every family). Units are the values of `key`."""
    out: dict[str, dict[str, int]] = {u: {} for u in sorted(set(free[key]))}
    sizes = free[free[column] != ""].groupby([key, column], sort=True).size()
    for (unit, value), n in zip(sizes.index.tolist(), sizes.to_numpy().tolist()):
        out[unit][value] = n
    return pd.Series(out, dtype=object)


def _per_unit_union(free: pd.DataFrame, column: str, key: str) -> pd.Series:
    """unit -> union of the frozensets in `column`."""
    out: dict[str, frozenset] = {u: frozenset() for u in sorted(set(free[key]))}
    for unit, tags_ in zip(free[key].tolist(), free[column].tolist()):
        if tags_:
            out[unit] = out[unit] | tags_
    return pd.Series(out, dtype=object)


UNIT_COLUMNS = ["family_id", "case_ids", "n_children", "n_complex", "base_points", "teams", "team_counts",
                "localities", "required", "excluded", "cp_or_court", "needs_continuity", "current", "repeat",
                "top_priority"]


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
        `n_children`, `n_complex` (complex children: `caseload.is_complex`), `base_points`,
        `teams` (frozenset), `team_counts` (team -> children), `localities` (locality ->
        children), `required`, `excluded` (frozensets), `cp_or_court`, `needs_continuity`,
        `current` (current worker -> children), `repeat` (current worker -> children with a
        repeat-change history), `top_priority`.
    """
    if not len(children):
        return pd.DataFrame(columns=UNIT_COLUMNS, index=pd.Index([], name="unit"))
    repeat = children["current_worker_id"].where(children["workers_12m"] >= repeat_threshold, "")
    free = children.assign(repeat_worker=repeat)
    g = free.groupby(key, sort=True)
    team_counts = _per_unit_counts(free, "team", key)
    # the children of each unit as a tuple, in one pass (a Python aggregation per group is slow)
    codes, keys = pd.factorize(free[key], sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    ids = free["case_id"].to_numpy()[order].tolist()
    case_ids = pd.Series([tuple(ids[bounds[k]:bounds[k + 1]]) for k in range(len(keys))], index=keys, dtype=object)
    units = pd.DataFrame({
        "family_id": g["family_id"].first(),
        "case_ids": case_ids,
        "n_children": g.size(),
        "n_complex": g["complex"].sum().astype(int),
        "base_points": g["points"].sum(),
        "teams": team_counts.map(frozenset),
        "team_counts": team_counts,
        "localities": _per_unit_counts(free, "locality", key),
        "required": _per_unit_union(free, "required_set", key),
        "excluded": _per_unit_union(free, "excluded_set", key),
        "cp_or_court": g["cp_or_court"].any(),
        "needs_continuity": g["needs_continuity"].any(),
        "current": _per_unit_counts(free, "current_worker_id", key),
        "repeat": _per_unit_counts(free, "repeat_worker", key),
        "top_priority": g["priority"].min(),
    })
    units.index.name = "unit"
    return units


@dataclass
class Units:
    """The decision units, the fixed children and the problems found in existing allocations."""

    units: pd.DataFrame  # one row per unit, index `unit` (the family_id, or family@keeper for a split family)
    cases: pd.DataFrame  # prepared cases with `unit` ("" when fixed), `fixed_worker` and `keeper`
    issues: pd.DataFrame  # ISSUE_COLUMNS


def _worker_sets(children: pd.DataFrame) -> pd.Series:
    """family_id -> frozenset of the children's current workers."""
    pairs = children[["family_id", "current_worker_id"]].drop_duplicates()
    out: dict[str, set] = {}
    for fam, wid in zip(pairs["family_id"].tolist(), pairs["current_worker_id"].tolist()):
        out.setdefault(fam, set()).add(wid)
    return pd.Series({f: frozenset(v) for f, v in out.items()}, dtype=object)


def _unit_keys(c: pd.DataFrame, decided: pd.Series) -> np.ndarray:
    """The unit of each decided child: its family, or family@keeper for a family whose decided
    children are held by two or more keepers now (their other children join the largest part)."""
    unit = np.where(decided, c["family_id"], "").astype(object)
    held = c[decided & (c["keeper"] != "")]
    parts = held.groupby(["family_id", "keeper"], sort=True).size()
    n_keepers = parts.groupby(level=0).size()
    split = n_keepers[n_keepers > 1].index
    if not len(split):
        return unit
    in_split = decided & c["family_id"].isin(split)
    # the part with the most children (then the lowest worker ID) takes the family's other children
    sizes = parts[parts.index.get_level_values(0).isin(split)].reset_index(name="n")
    main = sizes.sort_values(["family_id", "n", "keeper"], ascending=[True, False, True], kind="stable")
    main = main.drop_duplicates("family_id").set_index("family_id")["keeper"]
    owner = c["keeper"].where(c["keeper"] != "", c["family_id"].map(main))
    unit[in_split.to_numpy()] = (c.loc[in_split, "family_id"] + "@" + owner[in_split]).to_numpy()
    return unit


def build_units(cases: pd.DataFrame, workers: pd.DataFrame, mode: str, *, repeat_threshold: int = 2) -> Units:
    """Split the prepared cases into decision units and fixed children, and find each decided
    child's keeper (see the module docstring).

    Parameters
    ----------
    cases : DataFrame
        Prepared cases (`prepare_cases`).
    workers : DataFrame
        The prepared worker table (`prepare_workers`: availability and leavers).
    mode : {"new", "rebalance", "leaver"}
    repeat_threshold : int
        Workers in 12 months from which a child has a repeat-change history
        (`AllocationConfig.continuity_repeat_threshold`).

    Returns
    -------
    Units
        Unit columns as `unit_table` gives them, plus `restrict_to` (frozenset of allowed
        workers, or None), `keeper` (the one worker holding the unit's held children, "" when
        none) and `held` (how many of its children that keeper holds).

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
    available = current.map(workers["available"].astype(object)).eq(True)
    pinned = c["pinned"] & has_current
    if mode == "leaver":
        released = pinned & leaving
        for _, row in c[released].iterrows():
            issues.append(dict(issue="pinned_to_leaver", worker_id=row.current_worker_id,
                               family_id=row.family_id, case_id=row.case_id,
                               detail="pinned to a worker who is leaving: the child must move"))
        pinned = pinned & ~leaving
    fixed = has_current if mode == "new" else pinned
    decided = ~fixed
    c["fixed_worker"] = np.where(fixed, current, "")
    c["keeper"] = np.where(decided & has_current & available & ~leaving, current, "")
    c["unit"] = _unit_keys(c, decided)

    # sibling rule: workers already holding fixed children of the family
    fam_fixed = _worker_sets(c[fixed])
    fam_current = _worker_sets(c[has_current])
    split_units = c.loc[decided & c["unit"].str.contains("@", regex=False), "family_id"]
    for fam, ws in fam_current.items():
        if len(ws) > 1:
            if mode == "new":
                how = ""
            elif fam in set(split_units):
                how = " (kept apart: each worker's part is decided on its own; reuniting is a manager's decision)"
            elif len(fam_fixed.get(fam, ())) <= 1:
                how = " (reunited where a worker has room)"
            else:
                how = ""
            issues.append(dict(issue="split_family", worker_id=";".join(sorted(ws)), family_id=fam,
                               case_id="", detail=f"family held by {len(ws)} workers now{how}"))
    for fam, ws in fam_fixed.items():
        if mode != "new" and len(ws) > 1:
            issues.append(dict(issue="pinned_split_family", worker_id=";".join(sorted(ws)), family_id=fam,
                               case_id="", detail="children pinned to different workers: cannot be reunited"))

    units = unit_table(c[c["unit"] != ""], "unit", repeat_threshold)
    units["restrict_to"] = pd.Series([fam_fixed.get(f) for f in units["family_id"]], index=units.index, dtype=object)
    keepers = c[(c["unit"] != "") & (c["keeper"] != "")].groupby("unit")["keeper"]
    units["keeper"] = keepers.first().reindex(units.index).fillna("").astype(object)
    units["held"] = keepers.size().reindex(units.index).fillna(0).astype(int)
    return Units(units=units, cases=c, issues=pd.DataFrame(issues, columns=ISSUE_COLUMNS))


def existing_issues(cases: pd.DataFrame, workers: pd.DataFrame, before: dict[str, pd.Series]) -> pd.DataFrame:
    """Existing allocations that break a hard rule now (reported, never an error).

    Parameters
    ----------
    cases, workers : DataFrame
        Prepared tables.
    before : dict
        Loads per worker before the run: ``points``, ``children``, ``complex``.
    """
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
    over = over_caps(workers, before)
    for wid in workers.index[over.any(axis=1).to_numpy()]:
        rows.append(dict(issue="over_capacity_now", worker_id=wid, family_id="", case_id="",
                         detail=load_words(workers.loc[wid], before["points"][wid], before["children"][wid],
                                           before["complex"][wid])))
    return pd.DataFrame(rows, columns=ISSUE_COLUMNS)


#: The hard caps of `caseload.worker_caps` as (load, worker column) pairs.
CAPS = (("points", "capacity"), ("children", "max_children"), ("complex", "max_complex"))


def over_caps(workers: pd.DataFrame, loads: dict[str, pd.Series]) -> pd.DataFrame:
    """Which hard cap each worker is above: one bool column per load (``points``, ``children``,
    ``complex``), aligned to `workers` (a worker without capacity who holds work is above it)."""
    return pd.DataFrame({load: loads[load].reindex(workers.index).fillna(0.0).to_numpy(float)
                         > workers[col].to_numpy(float) + 1e-9 for load, col in CAPS}, index=workers.index)


def figure(x: float) -> str:
    """A load or cap as the words quote it: whole numbers bare, others to two decimals at most.
    Points come in quarters (a half-time worker's sibling at 50%): one decimal said "6.2 points
    short" and "of 21.2 points" where the files hold 6.25 and 21.25."""
    return f"{x:.2f}".rstrip("0").rstrip(".") if abs(x - round(x)) > 1e-9 else f"{int(round(x))}"


_n = figure


def load_words(worker: pd.Series, points: float, children: float, complex_: float) -> str:
    """A worker's load against their caps in plain words: "holds 17 children, hard cap 20 (9
    complex, cap 15); 78 of 85 points" (the complex count is given where the role caps it)."""
    text = f"holds {_n(children)} children, hard cap {_n(worker['max_children'])}"
    if worker["max_complex"] < worker["max_children"] or complex_ > worker["max_complex"]:
        text += f" ({_n(complex_)} complex, cap {_n(worker['max_complex'])})"
    return text + f"; {_n(points)} of {_n(worker['capacity'])} points"
