"""Post-solve checks of what a service manager must be able to rely on (issue 10.2, 10.3): pure
functions of a problem and an assignment, used by the solve, the reports and the tests.

* `relief_check`: every worker left above a hard cap (points capacity, hard cap on children, cap
  on complex children: `caseload.worker_caps`) with the reason. A worker is *relievable* when one
  of the families they hold (not pinned) could go, in a single move, to an eligible colleague in
  reach who has room for it within every cap; an allocation must leave nobody relievable.
  Otherwise the reason is one of: everything they hold is pinned (or kept in `new` mode); no
  eligible worker in reach; the sibling group is too large for anyone's room (a colleague has
  room for some of the children, not all); no eligible worker in reach has room.
* `relieve`: makes single relief moves, the cheapest under the objective first, until nobody is
  relievable (each move lowers how far workers are above their caps, so it ends).
* `priority_check`: every priority-1 family left waiting with the reason. It must never be that
  an eligible worker in reach has room for it, or holds a lower-priority family that could move
  to a colleague with room and so make room; where only leaving a held lower-priority child
  without a worker would make room, the entry names those children and the make-room option.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.allocation import objective as O
from workforce.allocation.families import CAPS
from workforce.allocation.problem import LOADS, Problem, assignment_loads

RELIEF_COLUMNS = ["worker_id", "over", "reason", "detail", "relievable", "unit", "to_worker"]
PRIORITY_COLUMNS = ["unit", "family_id", "status", "reason", "worker_id", "frees_unit", "frees_children"]

_EPS = 1e-9


def _caps(problem: Problem) -> pd.DataFrame:
    w = problem.workers
    return pd.DataFrame({load: w[col].astype(float) for load, col in CAPS}, index=w.index)


def _room(problem: Problem, loads: pd.DataFrame) -> pd.DataFrame:
    """What each worker can still take within every cap (and their limit)."""
    cap = np.minimum(_caps(problem), problem.limits)
    return cap - loads


def _held_units(problem: Problem, assignment: pd.Series) -> pd.Series:
    """Per unit, the worker its load sits on (its worker, or its keeper when unplaced with a
    fallback; "" when none)."""
    held = assignment.reindex(problem.units.index).fillna("").astype(object)
    fb = problem.fallback["worker_id"].astype(object)
    keeper = pd.Series(problem.units.index, index=problem.units.index, dtype=object).map(fb)
    return held.where(held != "", keeper.where(keeper.notna(), "")).astype(object)


def _fits(pairs: pd.DataFrame, room: pd.DataFrame) -> np.ndarray:
    r = room.reindex(pairs["worker_id"]).to_numpy(float)
    return (pairs[list(LOADS)].to_numpy(float) <= r + 1e-6).all(axis=1)


def relief_check(problem: Problem, assignment: pd.Series) -> pd.DataFrame:
    """Every worker above a hard cap after the assignment, with the reason (module docstring).

    Parameters
    ----------
    problem : Problem
    assignment : Series
        unit -> worker_id ("" = unplaced).

    Returns
    -------
    DataFrame
        `RELIEF_COLUMNS`: ``over`` names the caps ("points", "children", "complex" joined by
        ";"), ``reason`` is one of "relievable", "pinned", "no_eligible_worker",
        "sibling_group_too_large", "no_room"; for a relievable worker, ``unit`` and
        ``to_worker`` give one move that would relieve them.
    """
    workers = problem.workers.index
    loads = assignment_loads(problem, assignment)
    over = (loads > _caps(problem) + 1e-6).reindex(workers)
    over_any = over.any(axis=1).to_numpy()
    if not over_any.any():
        return pd.DataFrame(columns=RELIEF_COLUMNS)
    room = _room(problem, loads).reindex(workers).to_numpy(float)
    held_by = _held_units(problem, assignment)
    holder = workers.get_indexer(held_by.to_numpy())  # by unit (-1: none)
    elig = problem.eligible
    unit_idx = problem.units.index.get_indexer(elig["unit"])
    pw = workers.get_indexer(elig["worker_id"])
    src = holder[unit_idx]
    # pairs that would move a family off a worker above a cap to someone else
    off = (src >= 0) & (src != pw)
    off &= over_any[np.maximum(src, 0)]
    load = elig[list(LOADS)].to_numpy(float)
    fits = off & (load <= room[pw] + 1e-6).all(axis=1)
    one_child = off & (room[pw, 1] >= 1 - _EPS) & (room[pw, 0] > _EPS) & (load[:, 1] > 1)
    holders = pd.Series(src[off]).value_counts()
    first_fit = pd.DataFrame({"w": src[fits], "unit": elig["unit"].to_numpy()[fits],
                              "to": elig["worker_id"].to_numpy()[fits]}).sort_values(["w", "unit", "to"], kind="stable")
    first_fit = first_fit.drop_duplicates("w").set_index("w")
    sibling = set(src[one_child].tolist())
    has_units = set(holder[holder >= 0].tolist())
    rows: list[dict] = []
    for k in np.flatnonzero(over_any):
        wid = workers[k]
        caps_over = ";".join(load_ for load_ in LOADS if over.at[wid, load_])
        base = dict(worker_id=wid, over=caps_over, relievable=False, unit="", to_worker="")
        if k not in has_units:
            what = "existing work is kept in 'new' mode" if problem.mode == "new" else "every child they hold is pinned"
            rows.append({**base, "reason": "pinned", "detail": what})
        elif holders.get(k, 0) == 0:
            rows.append({**base, "reason": "no_eligible_worker",
                         "detail": "no other worker in reach may hold any of their families"})
        elif k in first_fit.index:
            u, to = first_fit.at[k, "unit"], first_fit.at[k, "to"]
            rows.append({**base, "reason": "relievable", "relievable": True, "unit": u, "to_worker": to,
                         "detail": f"{to} has room for family {problem.units.at[u, 'family_id']}"})
        elif k in sibling:
            rows.append({**base, "reason": "sibling_group_too_large",
                         "detail": "colleagues have room for some of a family's children, not the whole sibling group"})
        else:
            rows.append({**base, "reason": "no_room", "detail": "no eligible worker in reach has room"})
    return pd.DataFrame(rows, columns=RELIEF_COLUMNS)


def relieve(problem: Problem, assignment: pd.Series, max_moves: int | None = None) -> tuple[pd.Series, int]:
    """Single relief moves until nobody is relievable: each time, of the moves that relieve the
    first relievable worker (by worker ID), the one that raises the objective least.

    Returns
    -------
    tuple
        (the new assignment, the number of moves made).
    """
    out = assignment.reindex(problem.units.index).fillna("").astype(object).copy()
    elig = problem.eligible
    if not len(elig):
        return out, 0
    data = O.ObjectiveData.from_problem(problem, elig)
    state = O.Loads(data, O.choice_of(problem, elig, out))
    caps = _caps(problem).reindex(data.workers)
    room_cap = np.minimum(caps, problem.limits.reindex(data.workers)).to_numpy(float)
    caps = caps.to_numpy(float)
    unit_rows = pd.Series(np.arange(len(elig))).groupby(data.pair_unit).agg(list)
    moves = 0
    limit = max_moves if max_moves is not None else len(problem.units) + 1
    while moves < limit:
        loads = state.load
        over = (loads > caps + 1e-6).any(axis=1)
        best = None
        where, _ = data.where_load(np.arange(len(state.choice)), state.choice)
        for w in np.flatnonzero(over):
            mine = np.flatnonzero(where == w)
            cand = [(u, r) for u in mine for r in unit_rows.get(u, []) if data.pair_worker[r] != w]
            if not cand:
                continue
            units = np.array([u for u, _ in cand])
            rows = np.array([r for _, r in cand])
            dest = data.pair_worker[rows]
            after = loads[dest] + data.pair_load[rows]
            ok = (after <= room_cap[dest] + 1e-6).all(axis=1)
            if not ok.any():
                continue
            delta = O.total(state.deltas(units[ok], state.choice[units[ok]], rows[ok]))
            k = int(np.argmin(delta))
            best = (int(units[ok][k]), int(rows[ok][k]))
            break
        if best is None:
            break
        state.apply(*best)
        moves += 1
    on = state.choice >= 0
    final = pd.Series("", index=problem.units.index, dtype=object)
    final.iloc[np.flatnonzero(on)] = elig["worker_id"].to_numpy()[state.choice[on]]
    return final, moves


def priority_check(problem: Problem, assignment: pd.Series) -> pd.DataFrame:
    """Every priority-1 family left waiting (some of its children without a worker), with why.

    Returns
    -------
    DataFrame
        `PRIORITY_COLUMNS`; ``status`` is "room" (an eligible worker has room: must not happen),
        "could_move" (an eligible worker holds a lower-priority family another worker has room
        for: must not happen), "make_room" (only leaving a held lower-priority family without a
        worker would make room: ``frees_unit``, ``frees_children`` name it) or "no_room".
    """
    units, c = problem.units, problem.cases
    held = assignment.reindex(units.index).fillna("")
    p1_waits = c[(c["priority"] == 1) & c["waits_if_unplaced"].astype(bool)].groupby("unit").size()
    waiting = [u for u in units.index[(held == "").to_numpy()] if p1_waits.get(u, 0) > 0]
    if not waiting:
        return pd.DataFrame(columns=PRIORITY_COLUMNS)
    elig = problem.eligible
    workers = problem.workers.index
    room = _room(problem, assignment_loads(problem, assignment)).reindex(workers).to_numpy(float)
    pw = workers.get_indexer(elig["worker_id"])
    load = elig[list(LOADS)].to_numpy(float)
    rows_of = elig.groupby("unit").indices
    row_at = pd.Series(np.arange(len(elig)), index=pd.MultiIndex.from_arrays([elig["unit"], elig["worker_id"]]))
    top = units["top_priority"].to_dict()
    held_by = _held_units(problem, assignment)
    by_worker: dict[str, list[str]] = {}
    for g, x in sorted(held_by[held_by != ""].items()):
        by_worker.setdefault(x, []).append(g)
    fb = problem.fallback
    case_rows = c.groupby(["unit", "current_worker_id"]).indices

    def fits(rows: np.ndarray) -> np.ndarray:
        return (load[rows] <= room[pw[rows]] + 1e-6).all(axis=1)

    out = []
    for u in waiting:
        base = dict(unit=u, family_id=units.at[u, "family_id"], worker_id="", frees_unit="", frees_children="")
        rows = rows_of.get(u, np.array([], dtype=int))
        if not len(rows):
            out.append({**base, "status": "no_room", "reason": "no eligible worker"})
            continue
        ok = fits(rows)
        if ok.any():
            x = elig["worker_id"].iat[int(rows[np.flatnonzero(ok)[0]])]
            out.append({**base, "status": "room", "worker_id": x, "reason": f"{x} has room"})
            continue
        found = None
        for r in sorted(rows, key=lambda k: elig["worker_id"].iat[k]):
            x = elig["worker_id"].iat[r]
            xi = pw[r]
            for g in by_worker.get(x, []):
                if top[g] <= 1:
                    continue
                own = row_at.get((g, x))
                g_load = load[own] if own is not None else (fb.loc[g, list(LOADS)].to_numpy(float) if g in fb.index
                                                            else np.zeros(len(LOADS)))
                if not (load[r] <= room[xi] + g_load + 1e-6).all():
                    continue
                others = np.array([k for k in rows_of.get(g, []) if pw[k] != xi], dtype=int)
                if len(others) and fits(others).any():
                    found = ("could_move", x, g)
                    break
                found = found or ("make_room", x, g)
            if found is not None and found[0] == "could_move":
                break
        if found is None:
            out.append({**base, "status": "no_room", "reason": "no eligible worker has room"})
            continue
        status, x, g = found
        kids = ";".join(c["case_id"].to_numpy()[case_rows.get((g, x), [])]) or ";".join(units.at[g, "case_ids"])
        out.append({**base, "status": status, "worker_id": x, "frees_unit": g, "frees_children": kids,
                    "reason": f"{x} holds family {units.at[g, 'family_id']} (priority {units.at[g, 'top_priority']})"})
    return pd.DataFrame(out, columns=PRIORITY_COLUMNS)
