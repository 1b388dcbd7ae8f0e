"""Explanations and reports: why each child is where they are, in words a manager can repeat.

Everything an explanation says is decided here, at allocation time, and written down: one row
per child in `explanations` (``explanations.csv``) with the worker, the runner-up and the exact
reason it lost, and the loads and caps behind every number in the words. `explanation_text`
turns one such row into plain English, so ``workforce explain --run DIR CASE_ID`` explains the
allocation that was kept, from its files, never from a new solve.

The reports: allocations (one row per child with a worker), changes (every child whose worker
changed, including a child who had a worker and has none after), unallocated children (by
priority, each with who holds them meanwhile, the nearest eligible worker and the shortfall),
worker loads against every cap of `caseload.worker_caps` before and after (and, for a worker
left above a cap, the reason: `checks.relief_check`), team capacity against demand, the
objective by term and the summary.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from workforce.allocation import checks as C
from workforce.allocation import objective as O
from workforce.allocation import rules as R
from workforce.allocation.families import CAPS, figure, over_caps
from workforce.allocation.objective import TERM_WORDS
from workforce.allocation.problem import LOADS, AllocationResult, Problem, assignment_loads, final_workers, lookup
from workforce.errors import InputError
from workforce.indicators import capacity_after

MAX_LISTED = 12
_EPS = 1e-6

#: Words for the reason a worker is left above a cap (`checks.relief_check`): ``over_cap_reason``
#: in ``worker_loads.csv`` gives them and, after a colon, the numbers behind them
#: (`checks.relief_detail`); the summary counts workers by reason code.
OVER_CAP_WORDS = {
    "pinned": "everything they hold is pinned by a manager (or kept in 'new' mode)",
    "no_eligible_worker": "no other eligible worker in reach for their families",
    "reach_over_capacity": "demand in reach exceeds capacity",
    "sibling_group_too_large": "a sibling group too large for anyone's room",
    "no_room": "no colleague who may hold their families has room for any of them",
    "relievable": "a colleague has room for one of their families (the solve stopped first)",
}


def over_cap_text(reason: str, detail: str) -> str:
    """A worker's ``over_cap_reason``: the reason's words, then its specifics ("" for a worker
    within every cap)."""
    if not reason:
        return ""
    words = OVER_CAP_WORDS.get(reason, reason)
    return f"{words}: {detail}" if detail else words


EXPLANATION_COLUMNS = [
    "case_id", "family_id", "priority", "outcome", "worker_id", "previous_worker_id", "team", "cross_team",
    "family_children", "family_points", "points_after", "capacity_points", "children_after", "max_children",
    "complex_after", "max_complex", "runner_up", "runner_up_code", "runner_up_points_after",
    "runner_up_family_points", "runner_up_points_already", "runner_up_capacity_points", "runner_up_children_after",
    "runner_up_children_already", "runner_up_max_children", "runner_up_complex_after", "runner_up_family_complex",
    "runner_up_complex_already", "runner_up_max_complex", "runner_up_extra_cost", "runner_up_term",
    "shortfall_points", "shortfall_children", "shortfall_complex", "held_meanwhile_by", "contract_note", "reason",
    "runner_up_reason", "kept_against_rule",
]


def _plural(n: float, word: str) -> str:
    return f"{figure(n)} {word}{'' if abs(n - 1) < 1e-9 else ('ren' if word == 'child' else 's')}"


# ------------------------------------------------------------------ the per-unit analysis


def _alternatives(problem: Problem, state: O.Loads, room_cap: pd.DataFrame) -> pd.DataFrame:
    """Every eligible (unit, worker) pair other than the unit's choice, with what giving the
    unit to that worker would do: the loads the worker would carry (``with_<load>``), whether
    they fit within the caps, the shortfall on each load, the change of each term."""
    elig = problem.eligible
    data = state.data
    cur = state.choice[data.pair_unit]
    rows = np.flatnonzero(cur != np.arange(len(elig)))
    units, frm = data.pair_unit[rows], cur[rows]
    moved = state.moved_loads(units, frm, rows)
    alt = elig.iloc[rows][["unit", "worker_id", *LOADS]].copy().reset_index(drop=True)
    cap = room_cap.to_numpy(float)[moved["b0"]]
    fits = np.ones(len(alt), dtype=bool)
    for k, load in enumerate(LOADS):
        after = moved["dst_after"][:, k]
        before = moved["dst_before"][:, k]
        alt[f"with_{load}"] = after
        # what of this unit the worker carries already (a keeper's children kept while unplaced)
        alt[f"already_{load}"] = np.where(moved["a"] == moved["b"], state.load[moved["b0"], k] - before, 0.0)
        alt[f"short_{load}"] = np.maximum(0.0, after - cap[:, k])
        fits &= after <= cap[:, k] + _EPS
    alt["fits"] = fits
    deltas = state.deltas(units, frm, rows, moved=moved)
    for t, d in deltas.items():
        alt[f"delta_{t}"] = d
    alt["delta_total"] = O.total(deltas)
    return alt


def _nearness(alt: pd.DataFrame, problem: Problem) -> np.ndarray:
    """How far a worker is from having room for the unit: the shortfall on each load as a share
    of the worker's cap on it, added up (0 = room)."""
    w = problem.workers.reindex(alt["worker_id"])
    out = np.zeros(len(alt))
    for load, col in CAPS:
        out += alt[f"short_{load}"].to_numpy(float) / np.maximum(w[col].to_numpy(float), 1.0)
    return out


def _cap_words(wid: str, alt: Mapping, w: Mapping) -> tuple[str, str]:
    """The first cap a worker would break by taking the unit: (code, words)."""
    if alt["short_children"] > _EPS:
        return "cap_children", (f"{wid} would hold {figure(alt['with_children'])} children, over the hard cap of "
                                f"{figure(w['max_children'])}")
    if alt["short_points"] > _EPS:
        return "cap_points", (f"{wid} would carry {figure(alt['with_points'])} of {figure(w['capacity'])} points, "
                              "over capacity")
    return "cap_complex", (f"{wid} would hold {figure(alt['with_complex'])} complex children (CP, complex "
                           f"looked-after, court), over the cap of {figure(w['max_complex'])}")


def _term_words(term: str, wid: str, chosen: str, alt: Mapping, w: Mapping, unit: Mapping) -> str:
    """Why a worker lost on cost, in words (never a raw cost)."""
    if term == "continuity":
        if chosen and unit["current"].get(chosen, 0):
            return f"the children would change worker: {chosen} is their worker now"
        return f"more of the children would change worker with {wid}"
    if term == "team_transfer":
        return f"{wid} is in another team ({w['team']}): the children would change team"
    if term == "travel":
        return f"{wid} works in another locality ({w['locality']}): more travel for the visits"
    if term == "risk":
        return f"{wid}'s predicted chance of leaving is {w['p_leave']:.0%}: the children might change worker again"
    if term == "load_balance":
        # the term weighs both workers: the chosen one may be above a safe level too, so the words
        # say the move adds load above safe levels overall, not that the chosen worker is below them
        overall = f"; across {wid} and {chosen}, more of the load would be above safe levels"
        pct = alt["with_points"] / w["capacity"] if w["capacity"] > 0 else np.nan
        if alt["with_children"] > w["soft_max_children"]:
            return (f"{wid} would hold {figure(alt['with_children'])} children, above the safe level of "
                    f"{figure(w['soft_max_children'])}{overall}")
        return (f"{wid} would be at {pct:.0%} of capacity ({figure(alt['with_points'])} of {figure(w['capacity'])} "
                f"points){overall}")
    if term == "highest_utilisation":
        pct = alt["with_points"] / w["capacity"] if w["capacity"] > 0 else np.nan
        return f"{wid} would become the busiest worker of the team ({pct:.0%} of capacity)"
    if term == "over_cap":
        return f"{wid} is above a hard cap already, and this family helps bring them within it"
    return TERM_WORDS.get(term, term)


def can_hold_meanwhile(workers: pd.DataFrame) -> pd.Series:
    """Per worker: may they be named as holding a waiting child meanwhile? A team manager who is
    here to do it: not a named leaver and not on long leave. Naming a manager who is leaving or
    away would leave a child nobody is actually holding, the silent loss of a worker this list
    exists to prevent."""
    return (workers["role"] == "team_manager") & workers["available"].astype(bool) & ~workers["leaving"].astype(bool)


def _held_meanwhile(problem: Problem) -> pd.Series:
    """Per child: who holds them while they wait: the team manager of their team (by ID) who
    `can_hold_meanwhile`, or the duty system of their team or locality when the team has none."""
    w = problem.workers
    tm = w[can_hold_meanwhile(w)].reset_index().sort_values("worker_id").drop_duplicates("team")
    tm = tm.set_index("team")["worker_id"]
    c = problem.cases
    prev_team = c["current_worker_id"].map(w["team"]).fillna("")
    team = c["team"].where(c["team"] != "", prev_team)
    who = team.map(tm)
    duty = np.where(team != "", "duty (team " + team + ")", "duty (locality " + c["locality"] + ")")
    return who.where(who.notna(), pd.Series(duty, index=c.index)).astype(object)


def _unit_rows(problem: Problem, assignment: pd.Series, priority: pd.DataFrame) -> pd.DataFrame:
    """One row per unit: the runner-up (placed units) or the nearest worker (units that wait),
    with the reason in words and the numbers behind it."""
    units, w, elig = problem.units, problem.workers, problem.eligible
    if not len(units):
        return pd.DataFrame(columns=["unit"])
    room_cap = np.minimum(pd.DataFrame({load: w[col] for load, col in CAPS}), problem.limits)
    best: dict[str, dict] = {}
    nearest: dict[str, dict] = {}
    keeper_alt: dict[str, dict] = {}
    if len(elig):
        data = O.ObjectiveData.from_problem(problem, elig)
        state = O.Loads(data, O.choice_of(problem, elig, assignment))
        alt = _alternatives(problem, state, room_cap.reindex(data.workers))
        alt["near"] = _nearness(alt, problem)
        # one sort each: the next best of a placed unit (fits first, then cheapest), the nearest
        # worker of a unit that waits
        placed = alt["unit"].map(assignment).to_numpy() != ""
        first = alt[placed].sort_values(["unit", "fits", "delta_total", "near", "worker_id"],
                                        ascending=[True, False, True, True, True], kind="stable").drop_duplicates("unit")
        best = {r["unit"]: r for r in first.to_dict("records")}
        keeper = alt["unit"].map(units["keeper"])
        keeper_alt = {r["unit"]: r for r in alt[placed & (alt["worker_id"] == keeper).to_numpy()].to_dict("records")}
        near = alt[~placed].sort_values(["unit", "near", "worker_id"], kind="stable").drop_duplicates("unit")
        nearest = {r["unit"]: r for r in near.to_dict("records")}
    cand = problem.candidates[["unit", "worker_id", "failed_rule"]].sort_values(["unit", "worker_id"], kind="stable")
    cand = cand.reset_index(drop=True)
    cand_rows = cand.groupby("unit").indices
    contract_of = cand[cand["failed_rule"] == "contract_not_ending"].groupby("unit")["worker_id"].agg(sorted).to_dict()
    p1 = {r["unit"]: r for r in priority.to_dict("records")} if len(priority) else {}
    workers = w.to_dict("index")
    rows = []
    for u, unit in units.to_dict("index").items():
        chosen = assignment.get(u, "")
        new_work = not chosen or unit["current"].get(chosen, 0) < unit["n_children"]
        row = dict(unit=u, contract_note=_contract_note(problem, workers, unit, chosen,
                                                        contract_of.get(u, []) if new_work else []))
        mine = cand.iloc[cand_rows[u]] if u in cand_rows and u not in best and u not in nearest else None
        if chosen:
            _runner_up(row, unit, chosen, best.get(u), mine, problem, workers, keeper_alt.get(u))
        else:
            _waiting(row, unit, nearest.get(u), mine, problem, workers, p1.get(u))
        rows.append(row)
    return pd.DataFrame(rows)


def _contract_note(problem: Problem, workers: dict, unit: dict, chosen: str, excluded: list[str]) -> str:
    """What the contract rule did for this family, in words ("" when nothing)."""
    if problem.as_of is None:
        return ""
    weeks = figure(problem.config.contract_horizon_weeks)
    notes = [f"{x}'s contract ends on {pd.Timestamp(workers[x]['contract_end']).date()}, within {weeks} weeks of "
             f"{problem.as_of.date()}: not given these children, who need a worker who will stay" for x in excluded]
    if chosen and workers[chosen]["contract_ends_soon"]:
        ends = pd.Timestamp(workers[chosen]["contract_end"]).date()
        if unit["current"].get(chosen, 0) >= unit["n_children"]:
            notes.append(f"{chosen}'s contract ends on {ends}, within {weeks} weeks: plan who these children go to next")
        elif unit["needs_continuity"]:
            notes.append(f"{chosen}'s contract ends on {ends}, but nobody else is eligible for this family")
        else:  # the rule keeps only looked-after, CP and court children from them: say what it lets through
            notes.append(f"{chosen}'s contract ends on {ends}, within {weeks} weeks: these children (not looked-after, "
                         "CP or court, whom the contract rule keeps from them) will change worker again when it ends "
                         "unless it is extended")
    return "; ".join(notes)


def _numbers(prefix: str, b: Mapping, w: Mapping) -> dict:
    return {f"{prefix}_points_after": b["with_points"] - b["points"] + b["already_points"],
            f"{prefix}_family_points": b["points"], f"{prefix}_points_already": b["already_points"],
            f"{prefix}_capacity_points": w["capacity"],
            f"{prefix}_children_after": b["with_children"] - b["children"] + b["already_children"],
            f"{prefix}_children_already": b["already_children"], f"{prefix}_max_children": w["max_children"],
            f"{prefix}_complex_after": b["with_complex"] - b["complex"] + b["already_complex"],
            f"{prefix}_family_complex": b["complex"], f"{prefix}_complex_already": b["already_complex"],
            f"{prefix}_max_complex": w["max_complex"]}


def _first_rule(row: dict, cand: pd.DataFrame | None, exclude: str = "") -> None:
    """The runner-up when no other worker is eligible: the first candidate and the rule it fails."""
    others = cand[cand["worker_id"] != exclude] if cand is not None else None
    if others is None or not len(others):
        row.update(runner_up="", runner_up_code="none", runner_up_reason="no other worker in reach")
        return
    first = others.iloc[0]
    row.update(runner_up=first["worker_id"], runner_up_code=f"rule:{first['failed_rule']}",
               runner_up_reason=f"{first['worker_id']} {R.rule_reason(first['failed_rule'])}")


def _lost_to(b: Mapping, chosen: str, unit: Mapping, workers: dict) -> dict:
    """Why worker ``b["worker_id"]`` (an eligible alternative) did not get the unit that went to
    ``chosen``: the reason code, the words, and the extra cost when it is a matter of cost."""
    rid = b["worker_id"]
    wr = workers[rid]
    if rid == unit["keeper"] and wr["over_cap_now_any"] and not b["fits"]:
        return dict(code="relief", words=(f"{rid}, their worker, is above a hard cap: moving this family to "
                                          f"{chosen} brings them closer to their caps"))
    if not b["fits"]:
        code, words = _cap_words(rid, b, wr)
        return dict(code=code, words=words)
    delta = float(b["delta_total"])
    if delta < -_EPS:
        return dict(code="cheaper_not_found", extra=delta,
                    words=f"{rid} would have been a better choice, but the solve stopped before finding it")
    if delta <= _EPS:
        return dict(code="tie", extra=delta, words=f"{rid} would do as well (a tie)")
    worst = max(O.TERM_NAMES, key=lambda t: b[f"delta_{t}"])
    return dict(code=f"cost:{worst}", extra=delta, term=worst,
                words=_term_words(worst, rid, chosen, b, wr, unit))


def _runner_up(row: dict, unit: dict, chosen: str, b: dict | None, cand: pd.DataFrame | None, problem: Problem,
               workers: dict, keeper_alt: dict | None) -> None:
    """The next-best eligible worker for a placed unit and the exact reason it lost (and, when the
    unit left its keeper, why the keeper did not keep it)."""
    if keeper_alt is not None:
        row["keeper_reason"] = _lost_to(keeper_alt, chosen, unit, workers)["words"]
    if b is None:
        _first_rule(row, cand, exclude=chosen)
        return
    row.update(runner_up=b["worker_id"], **_numbers("runner_up", b, workers[b["worker_id"]]))
    why = _lost_to(b, chosen, unit, workers)
    row.update(runner_up_code=why["code"], runner_up_reason=why["words"])
    if "extra" in why:
        row["runner_up_extra_cost"] = why["extra"]
    if "term" in why:
        row["runner_up_term"] = why["term"]


def _waiting(row: dict, unit: dict, b: dict | None, cand: pd.DataFrame | None, problem: Problem, workers: dict,
             p1: dict | None) -> None:
    """Why a unit waits: no eligible worker (the rule that excludes each), or no room (the
    nearest eligible worker and the shortfall), and for a priority-1 family whether only the
    make-room option would place it."""
    scope = _scope_name(unit)
    if b is None:
        if cand is None or not len(cand):
            row.update(reason=f"no eligible worker: nobody works in {scope}", runner_up_code="none")
            return
        parts = [f"{wid} {R.rule_reason(rule)}" for wid, rule in zip(cand["worker_id"], cand["failed_rule"])]
        more = f"; and {len(parts) - MAX_LISTED} more" if len(parts) > MAX_LISTED else ""
        row.update(reason=f"no eligible worker in {scope}: " + "; ".join(parts[:MAX_LISTED]) + more,
                   runner_up_code="no_eligible")
        return
    rid = b["worker_id"]
    wr = workers[rid]
    row.update(runner_up=rid, shortfall_points=float(b["short_points"]), shortfall_children=float(b["short_children"]),
               shortfall_complex=float(b["short_complex"]), **_numbers("runner_up", b, wr))
    if b["fits"]:
        row.update(runner_up_code="room", reason=f"{rid} has room for the family, but the solve stopped before placing it")
        return
    short = [_plural(b["short_children"], "child")] if b["short_children"] > _EPS else []
    if b["short_points"] > _EPS:
        short.append(_plural(b["short_points"], "point"))
    if b["short_complex"] > _EPS:
        short.append(f"{figure(b['short_complex'])} complex {'child' if abs(b['short_complex'] - 1) < 1e-9 else 'children'}")
    # the family's points with the nearest worker: travel points where the children live elsewhere,
    # which is why they can differ from the family's own `points`
    travel = b["points"] - unit["base_points"]
    pts = f"{figure(b['points'])} points" + (f" with {rid}, travel included" if travel > _EPS else "")
    text = (f"no eligible worker in {scope} has room for the family ({_plural(unit['n_children'], 'child')}, "
            f"{pts}): the nearest is {rid}, who {_holds(wr, b)}: {' and '.join(short)} short")
    row["runner_up_code"] = "no_room"
    if p1 is not None and p1["status"] == "make_room":
        text += (f". Only leaving {p1['frees_children']} (held by {p1['worker_id']}, lower priority) without a worker "
                 "would make room: " + ("the make-room option allows that (--make-room, or policy.make_room)"
                                        if not problem.config.make_room else "the make-room option judged that too costly"))
        row["runner_up_code"] = "make_room"
    if unit["keeper"] and unit["fallback"]:
        text = f"waits while {_plural(unit['held'], 'sibling')} stay with {unit['keeper']}, their worker; " + text
    row["reason"] = text


def _waiting_takers(problem: Problem, assignment: pd.Series,
                    loads: pd.DataFrame) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """With reach "team": the waiting families other teams of the same locality could take at
    once (`checks.locality_takers`: team -> families), and per waiting family with an eligible
    worker of such a team who has room for it, the words its reason adds: those teams, how many
    waiting families each could take and the setting that would let it move there."""
    waiting = C.waiting_units(problem, assignment)
    room = C.room_left(problem, loads)
    pairs = C.locality_reach_room(problem, room, waiting)
    takers = C.locality_takers(problem, room, waiting, pairs)
    if not takers:
        return takers, {}
    teams_of = pairs.groupby("unit")["team"].agg(lambda t: sorted(set(t)))
    words = {u: C.takers_words(problem, {t: takers[t] for t in teams if t in takers}, problem.units.at[u, "teams"],
                               "this family", "waiting families") for u, teams in teams_of.items()}
    return takers, {u: w for u, w in words.items() if w}


def _holds(w: Mapping, b: Mapping) -> str:
    pts = b["with_points"] - b["points"] + b["already_points"]
    kids = b["with_children"] - b["children"] + b["already_children"]
    cx = b["with_complex"] - b["complex"] + b["already_complex"]
    text = f"holds {figure(kids)} children, hard cap {figure(w['max_children'])}"
    if b["short_complex"] > _EPS:
        text += f" ({figure(cx)} complex, cap {figure(w['max_complex'])})"
    return text + f"; {figure(pts)} of {figure(w['capacity'])} points"


def _scope_name(unit: Mapping) -> str:
    teams = sorted(unit["teams"])
    if teams:
        return "team " + " / ".join(teams)
    return "locality " + " / ".join(sorted(unit["localities"]))


# ------------------------------------------------------------------------------ reports


def outcome_counts(problem: Problem, assignment: pd.Series) -> dict:
    """The figures a manager compares: handoffs, new allocations, children losing a worker,
    cross-team moves, unallocated children and workers above each cap, for an assignment."""
    c = problem.cases
    final = final_workers(problem, assignment)
    had = c["current_worker_id"] != ""
    held = final != ""
    loads = assignment_loads(problem, assignment)
    over = over_caps(problem.workers, {load: loads[load] for load in LOADS})
    cap = problem.workers["capacity"]
    util = (loads["points"] / cap).where(cap > 0)
    return dict(handoffs=int((held & had & (final != c["current_worker_id"])).sum()),
                new_allocations=int((held & ~had).sum()),
                children_losing_worker=int((had & ~held).sum()),
                cross_team_moves=int((held & (c["team"] != "") & (final.map(problem.workers["team"]) != c["team"])
                                      & (final != c["current_worker_id"])).sum()),
                unallocated=int((~held).sum()), unallocated_priority_1=int((~held & (c["priority"] == 1)).sum()),
                workers_over_capacity_points=int(over["points"].sum()),
                workers_over_hard_children=int(over["children"].sum()),
                workers_over_complex_children=int(over["complex"].sum()),
                max_utilisation=None if not util.notna().any() else round(float(util.max()), 4))


def _gained_families(problem: Problem, assignment: pd.Series) -> dict[str, str]:
    """Per worker: the families (with priority) they were given that they did not hold, in words."""
    units = problem.units
    out: dict[str, list[str]] = {}
    for u, x, current, n, fam, pri in zip(assignment.index, assignment.to_numpy(), units["current"],
                                          units["n_children"], units["family_id"], units["top_priority"]):
        if x and current.get(x, 0) < n:
            out.setdefault(x, []).append(f"{fam} (priority {pri})")
    return {x: ", ".join(sorted(v)) for x, v in out.items()}


def _lost_reason(problem: Problem, child: Mapping, unit_row: Mapping | None, gained: dict[str, str]) -> str:
    """Why a child who had a worker has none after."""
    w = problem.workers
    prev = child["current_worker_id"]
    if w.at[prev, "leaving"]:
        why = f"{prev} is leaving"
    elif not w.at[prev, "available"]:
        why = f"{prev} is not available (long leave)"
    elif problem.config.over_demand == "unallocate" and bool(w.at[prev, "over_cap_now_any"]):
        why = (f"{prev} is above a hard cap and the policy (over_demand = \"unallocate\") puts the excess on the "
               "unallocated list")
    else:
        fams = gained.get(prev, "other children")
        why = f"left without a worker to make room with {prev} for family {fams} (the make-room option)"
    detail = unit_row.get("reason") if unit_row else ""
    return why + (f"; {detail}" if isinstance(detail, str) and detail else "")


#: The order of ``changes.csv``: a child left without a worker first, then handoffs, then new
#: allocations; by priority within each.
CHANGE_ORDER = ("lost_worker", "handoff", "new_allocation")


def changes_order(changes: pd.DataFrame) -> np.ndarray:
    """The row order of the changes: children who lost their worker first, the most urgent first.
    A child left without a worker is a safeguarding matter a manager must act on today; listed
    after every handoff (the alphabet's order), a priority-1 child who lost their worker sat
    below dozens of routine moves."""
    keys = pd.DataFrame({"kind": changes["change"].map({k: i for i, k in enumerate(CHANGE_ORDER)}).to_numpy(),
                         "priority": changes["priority"].to_numpy(), "family_id": changes["family_id"].to_numpy(),
                         "case_id": changes["case_id"].to_numpy()})
    return keys.sort_values(list(keys.columns), kind="stable").index.to_numpy()


def build_result(problem: Problem, assignment: pd.Series, info: dict) -> AllocationResult:
    """Assemble the output frames, explanations and summary for an assignment.

    Parameters
    ----------
    problem : Problem
        As built by `build_problem`.
    assignment : Series
        unit -> worker_id ("" = unplaced).
    info : dict
        The solve's figures: ``status, objective, bound, gap, terms, baseline_objective,
        used_baseline, solver, blocks, message`` and optionally ``baseline_assignment``,
        ``stopped_by_time_limit``, ``relief_moves``.

    Returns
    -------
    AllocationResult

    Raises
    ------
    ValueError
        When the assignment gives a unit to a worker who is not eligible for it.
    """
    cfg, w, c = problem.config, problem.workers, problem.cases
    assignment = assignment.reindex(problem.units.index).fillna("").astype(object)
    loads = assignment_loads(problem, assignment)
    relief = C.relief_check(problem, assignment)
    priority = C.priority_check(problem, assignment)
    units_expl = _unit_rows(problem, assignment, priority).set_index("unit")
    takers, elsewhere = _waiting_takers(problem, assignment, loads)
    if elsewhere:
        said = units_expl["reason"].reindex(list(elsewhere)).fillna("").astype(str)
        units_expl.loc[list(elsewhere), "reason"] = [f"{r}; {w}" if r else w for r, w in zip(said, elsewhere.values())]
    final = final_workers(problem, assignment)
    c = c.assign(worker_id=final)
    held = c["worker_id"] != ""
    had = c["current_worker_id"] != ""
    child_pts = R.child_points_at(c[held], c.loc[held, "worker_id"], w, cfg).reindex(c.index)
    decided = held & (c["unit"] != "") & (lookup(c["unit"], assignment, "") != "")
    changed = held & (c["worker_id"] != c["current_worker_id"])
    handoff = changed & had
    team_after = c["worker_id"].map(w["team"]).fillna("")
    cross = changed & (c["team"] != "") & (team_after != c["team"])
    costs = O.child_costs(problem, c.assign(worker_id=c["worker_id"].where(decided, "")))
    alloc = pd.DataFrame({
        # priority beside the IDs, as on Unallocated and Changes: a manager sorts the sheet by it to
        # see the most vulnerable children's workers first
        "case_id": c["case_id"], "family_id": c["family_id"], "priority": c["priority"].astype(int),
        "worker_id": c["worker_id"], "previous_worker_id": c["current_worker_id"], "changed": changed, "handoff": handoff, "cross_team": cross,
        "pinned": c["pinned"], "decided": decided, "points": child_pts.round(3),
    })
    alloc = pd.concat([alloc, costs.astype(float).round(4)], axis=1)
    allocations = alloc[held].reset_index(drop=True)

    meanwhile = _held_meanwhile(problem)
    expl_of = {u: r for u, r in units_expl.to_dict("index").items()}
    # changes: every child whose worker changed, including a child left without one
    lost = had & ~held
    ch = c[changed | lost]
    change_kind = np.where(~(ch["worker_id"] != ""), "lost_worker", np.where(ch["current_worker_id"] != "", "handoff",
                                                                              "new_allocation"))
    ch_reason = []
    failed = dict(zip(zip(problem.candidates["unit"], problem.candidates["worker_id"]), problem.candidates["failed_rule"]))
    gained = _gained_families(problem, assignment)
    for child, kind in zip(ch.to_dict("records"), change_kind):
        r = expl_of.get(child["unit"], {})
        if kind == "lost_worker":
            ch_reason.append(_lost_reason(problem, child, r, gained))
        elif kind == "new_allocation":
            ch_reason.append("newly allocated")
        else:
            ch_reason.append(_why_moved(problem, child, failed, r))
    changes = pd.DataFrame({
        "case_id": ch["case_id"], "family_id": ch["family_id"], "priority": ch["priority"],
        "previous_worker_id": ch["current_worker_id"], "worker_id": ch["worker_id"], "change": change_kind,
        "previous_team": ch["current_worker_id"].map(w["team"]).fillna(""),
        "team": ch["worker_id"].map(w["team"]).fillna(""), "cross_team": cross[ch.index].to_numpy(),
        "held_meanwhile_by": meanwhile[ch.index].where(change_kind == "lost_worker", "").to_numpy(),
        "reason": ch_reason,
    })
    changes = changes.iloc[changes_order(changes)].reset_index(drop=True)

    # unallocated: by priority, with who holds the child meanwhile and the nearest worker
    unal = c[~held]
    ur = [expl_of.get(u, {}) for u in unal["unit"]]
    reason = [r.get("reason") if isinstance(r.get("reason"), str) else "" for r in ur]
    # a child who had a worker: why that worker no longer holds them first (leaving, long leave),
    # in the changes' words (`_lost_reason`), so the two lists never tell it differently
    lost_why = changes.set_index("case_id")["reason"]
    reason = [lost_why[cid] if prev else why for cid, prev, why in zip(unal["case_id"], unal["current_worker_id"], reason)]
    unallocated = pd.DataFrame({
        "case_id": unal["case_id"], "family_id": unal["family_id"], "priority": unal["priority"],
        "team": unal["team"], "locality": unal["locality"], "points": unal["points"].round(3),
        "previous_worker_id": unal["current_worker_id"], "held_meanwhile_by": meanwhile[~held],
        "nearest_worker": [r.get("runner_up", "") if isinstance(r.get("runner_up"), str) else "" for r in ur],
        "shortfall_points": [round(float(r.get("shortfall_points", np.nan)), 3) for r in ur],
        "shortfall_children": [r.get("shortfall_children", np.nan) for r in ur],
        "shortfall_complex": [r.get("shortfall_complex", np.nan) for r in ur],
        "reason": reason,
    }).sort_values(["priority", "family_id", "case_id"], kind="stable").reset_index(drop=True)

    worker_loads = _worker_loads(problem, loads, relief)
    explanations = _child_explanations(problem, c, assignment, units_expl, worker_loads, meanwhile, changes)
    team_summary = _team_summary(problem, worker_loads, unal)

    t = info["terms"]
    names = list(O.TERM_NAMES)
    terms = pd.DataFrame({"term": names + ["total"], "value": [round(t[k], 4) for k in names] + [round(t["total"], 4)],
                          "meaning": [TERM_WORDS[k] for k in names] + ["the objective (minimised)"]})
    counts = outcome_counts(problem, assignment)
    before = over_caps(w, {load: problem.before[load] for load in LOADS})
    active = worker_loads[capacity_after(worker_loads) > 0]
    left = relief["reason"].value_counts().sort_index() if len(relief) else pd.Series(dtype=int)
    base_counts = outcome_counts(problem, info["baseline_assignment"]) if "baseline_assignment" in info else None
    summary = {
        "status": info["status"], "mode": problem.mode, "reach": cfg.reach,
        "as_of": None if problem.as_of is None else str(problem.as_of.date()),
        "objective": round(float(info["objective"]), 4),
        "bound": None if info["bound"] is None else round(float(info["bound"]), 4),
        "gap": None if info["gap"] is None else round(float(info["gap"]), 6),
        "stopped_by_time_limit": bool(info.get("stopped_by_time_limit", False)),
        "children": int(len(c)), "families_decided": int(len(problem.units)),
        "handoffs": counts["handoffs"], "new_allocations": counts["new_allocations"],
        "children_losing_worker": counts["children_losing_worker"], "cross_team_moves": counts["cross_team_moves"],
        "unallocated": counts["unallocated"], "unallocated_families": int(unal["family_id"].nunique()),
        "unallocated_priority_1": counts["unallocated_priority_1"],
        "workers_over_capacity_points": {"before": int(before["points"].sum()), "after": counts["workers_over_capacity_points"]},
        "workers_over_hard_children": {"before": int(before["children"].sum()), "after": counts["workers_over_hard_children"]},
        "workers_over_complex_children": {"before": int(before["complex"].sum()),
                                          "after": counts["workers_over_complex_children"]},
        "workers_left_over_a_cap": {str(k): int(v) for k, v in left.items()},
        "waiting_families_other_teams_could_take": {t: len(us) for t, us in takers.items()},
        "other_teams_doing_other_work": sorted(t for t, us in takers.items()
                                               if not any(C.same_work(problem, problem.units.at[u, "teams"], t)
                                                          for u in us)),
        "workers_over_soft_cap": int(worker_loads["over_soft_cap"].sum()),
        "relief_moves_after_solve": int(info.get("relief_moves", 0)),
        "max_utilisation": None if not len(active) else round(float(active["utilisation_after"].max()), 4),
        "mean_utilisation": None if not len(active) else round(float(active["utilisation_after"].mean()), 4),
        "solver": info["solver"], "blocks": info["blocks"],
        "baseline_objective": round(float(info["baseline_objective"]), 4),
        "baseline": None if base_counts is None else {**base_counts, "objective": round(float(info["baseline_objective"]), 4)},
        "used_baseline": bool(info["used_baseline"]),
        "existing_issues": int(len(problem.issues)),
        "terms": {k: round(float(t[k]), 4) for k in O.TERM_NAMES}, "message": info["message"],
    }
    return AllocationResult(allocations=allocations, worker_loads=worker_loads, unallocated=unallocated,
                            changes=changes, team_summary=team_summary, terms=terms, issues=problem.issues,
                            summary=summary, explanations=explanations, problem=problem, assignment=assignment)


def _worker_loads(problem: Problem, loads: pd.DataFrame, relief: pd.DataFrame) -> pd.DataFrame:
    w = problem.workers
    cap = w["capacity"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        u_before = (problem.before["points"] / cap).where(cap > 0)
        u_after = (loads["points"] / cap).where(cap > 0)
    ob = over_caps(w, {load: problem.before[load] for load in LOADS})
    oa = over_caps(w, {load: loads[load] for load in LOADS})
    rel = relief.set_index("worker_id") if len(relief) else pd.DataFrame(columns=["reason", "detail"])
    reason = rel["reason"].reindex(w.index).fillna("")
    detail = rel["detail"].reindex(w.index).fillna("")
    out = pd.DataFrame({
        "worker_id": w.index, "team": w["team"].to_numpy(), "locality": w["locality"].to_numpy(),
        "role": w["role"].to_numpy(), "fte": w["fte"].to_numpy(), "available": w["available"].to_numpy(),
        "leaving": w["leaving"].to_numpy(),
        "capacity_points": cap.round(3).to_numpy(),
        "points_before": problem.before["points"].round(3).to_numpy(), "points_after": loads["points"].round(3).to_numpy(),
        "utilisation_before": u_before.round(4).to_numpy(), "utilisation_after": u_after.round(4).to_numpy(),
        "max_children": w["max_children"].astype(int).to_numpy(), "soft_max_children": w["soft_max_children"].astype(int).to_numpy(),
        "children_before": problem.before["children"].astype(int).to_numpy(),
        "children_after": loads["children"].round().astype(int).to_numpy(),
        "max_complex": w["max_complex"].astype(int).to_numpy(),
        "complex_before": problem.before["complex"].astype(int).to_numpy(),
        "complex_after": loads["complex"].round().astype(int).to_numpy(),
        "over_points_before": ob["points"].to_numpy(), "over_points_after": oa["points"].to_numpy(),
        "over_children_before": ob["children"].to_numpy(), "over_children_after": oa["children"].to_numpy(),
        "over_complex_before": ob["complex"].to_numpy(), "over_complex_after": oa["complex"].to_numpy(),
        # children only: points over capacity have their own columns (over_points_*)
        "over_soft_cap": (loads["children"].round() > w["soft_max_children"]).to_numpy(),
        "over_cap_reason": [over_cap_text(r, d) for r, d in zip(reason, detail)],
        "p_leave": w["p_leave"].to_numpy(),
    })
    return out


def _team_summary(problem: Problem, worker_loads: pd.DataFrame, unal: pd.DataFrame) -> pd.DataFrame:
    """Per team: capacity against demand (demand = what its workers hold + what waits there), in
    points and in children against the workers' soft caps (a team can have points to spare while
    every worker is at their headcount's safe level)."""
    team_of_unal = unal["team"].where(unal["team"] != "", "(locality " + unal["locality"] + ")")
    unal_pts = unal["points"].groupby(team_of_unal).sum()
    unal_kids = team_of_unal.value_counts()
    wl = worker_loads[~worker_loads["leaving"]]
    team = wl.groupby("team").agg(workers=("worker_id", "size"), capacity_points=("capacity_points", "sum"),
                                  allocated_points=("points_after", "sum"), children=("children_after", "sum"),
                                  soft_cap_children=("soft_max_children", "sum"),
                                  workers_over_soft_cap=("over_soft_cap", "sum"))
    team = team.reindex(team.index.union(unal_pts.index)).fillna(0)
    team["unallocated_points"] = unal_pts.reindex(team.index).fillna(0.0)
    team["unallocated_children"] = unal_kids.reindex(team.index).fillna(0).astype(int)
    team["demand_points"] = team["allocated_points"] + team["unallocated_points"]
    with np.errstate(divide="ignore", invalid="ignore"):
        team["utilisation"] = (team["allocated_points"] / team["capacity_points"]).where(team["capacity_points"] > 0)
        team["demand_utilisation"] = (team["demand_points"] / team["capacity_points"]).where(team["capacity_points"] > 0)
        # points can leave room while headcounts are full: children against the soft caps says so
        team["children_utilisation"] = (team["children"] / team["soft_cap_children"]).where(team["soft_cap_children"] > 0)
    team["workers_over_soft_cap"] = team["workers_over_soft_cap"].astype(int)
    return team.reset_index(names="team").round(4)


def _why_moved(problem: Problem, child: Mapping, failed: dict, unit_row: Mapping) -> str:
    """Why a child changed worker, in words."""
    w = problem.workers
    prev = child["current_worker_id"]
    if w.at[prev, "leaving"]:
        return f"{prev} is leaving"
    if not w.at[prev, "available"]:
        return f"{prev} is not available (long leave)"
    rule = failed.get((child["unit"], prev))
    if rule is None:
        return f"{prev} is not in reach of this family's team or locality"
    if rule:
        return f"{prev} {R.rule_reason(rule)}"
    if bool(w.at[prev, "over_cap_now_any"]):
        return f"{prev} was above a hard cap: {_holds_now(w.loc[prev], problem.before.loc[prev])}"
    if isinstance(unit_row.get("keeper_reason"), str):
        return f"keeping the child with {prev} was worse: {unit_row['keeper_reason']}"
    return f"{prev} no longer holds this family's other children"


def _holds_now(worker: pd.Series, load: pd.Series) -> str:
    text = f"held {figure(load['children'])} children, hard cap {figure(worker['max_children'])}"
    if load["complex"] > worker["max_complex"]:
        text += f" ({figure(load['complex'])} complex, cap {figure(worker['max_complex'])})"
    return text + f"; {figure(load['points'])} of {figure(worker['capacity'])} points"


def kept_against_rule(problem: Problem, c: pd.DataFrame) -> pd.Series:
    """Per child: the hard rule their worker breaks by holding them, where the allocation leaves
    them with that worker ("" otherwise). A pin, 'new' mode or nobody else eligible can keep a
    CP child with an ASYE alone; said only in existing_issues.csv, the child's own explanation
    read as an ordinary "stays", and the breach went unseen by whoever looked the child up."""
    iss = problem.issues[problem.issues["case_id"] != ""]
    if not len(iss):
        return pd.Series("", index=c.index, dtype=object)
    detail = iss.groupby(["case_id", "worker_id"])["detail"].agg("; ".join)
    kept = detail.reindex(pd.MultiIndex.from_arrays([c["case_id"], c["worker_id"]])).fillna("")
    return pd.Series(kept.to_numpy(), index=c.index, dtype=object)


def _child_explanations(problem: Problem, c: pd.DataFrame, assignment: pd.Series, units_expl: pd.DataFrame,
                        worker_loads: pd.DataFrame, meanwhile: pd.Series, changes: pd.DataFrame) -> pd.DataFrame:
    """One row per child (`EXPLANATION_COLUMNS`): the outcome, the worker's loads and caps, the
    runner-up with the reason and its numbers, or the nearest worker and the shortfall."""
    units, w = problem.units, problem.workers
    ex = units_expl.reindex(c["unit"].to_numpy())
    ex.index = c.index
    out = pd.DataFrame({col: ex[col] if col in ex else pd.Series(np.nan, index=c.index, dtype=object)
                        for col in EXPLANATION_COLUMNS}, index=c.index)
    wid, prev, unit = c["worker_id"], c["current_worker_id"], c["unit"]
    has_w, has_prev, fixed = wid != "", prev != "", unit == ""
    team_w = lookup(wid, w["team"], "")
    out["case_id"], out["family_id"], out["priority"] = c["case_id"], c["family_id"], c["priority"].astype(int)
    out["worker_id"], out["previous_worker_id"], out["team"] = wid, prev, team_w
    out["cross_team"] = has_w & (c["team"] != "") & (team_w != c["team"]) & (wid != prev)
    out["family_children"] = np.where(fixed, 1, lookup(unit, units["n_children"], 1)).astype(int)
    out["family_points"] = np.where(fixed, c["points"], lookup(unit, units["base_points"], 0.0)).astype(float)
    wl = worker_loads.set_index("worker_id")
    for col, src in (("points_after", "points_after"), ("capacity_points", "capacity_points"),
                     ("children_after", "children_after"), ("max_children", "max_children"),
                     ("complex_after", "complex_after"), ("max_complex", "max_complex")):
        out[col] = wid.map(wl[src]).where(has_w)
    unplaced_fb = lookup(unit, units["fallback"] if len(units) else pd.Series(dtype=bool), False) \
        & (lookup(unit, assignment, "") == "")
    outcome = np.select(
        [fixed & c["pinned"] & (problem.mode != "new"), fixed, has_w & (wid == prev) & unplaced_fb,
         has_w & (wid == prev), has_w & has_prev, has_w, has_prev],
        ["pinned", "kept_new_mode", "stays_siblings_wait", "stays", "moves", "new", "lost_worker"], "waits")
    out["outcome"] = outcome
    change_reason = c["case_id"].map(changes.set_index("case_id")["reason"])
    fixed_reason = np.where(outcome == "pinned", "a manager pinned this child to " + wid,
                            "existing allocations are kept in 'new' mode") + ": not reconsidered"
    out["reason"] = np.where(fixed, fixed_reason, np.where(np.isin(outcome, ["moves", "lost_worker"]),
                                                            change_reason, out["reason"]))
    out.loc[fixed, "runner_up_code"] = "fixed"
    out["held_meanwhile_by"] = meanwhile.where(~has_w)
    out["kept_against_rule"] = kept_against_rule(problem, c)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------- plain English


def explanation_text(row: Mapping) -> str:
    """One child's explanation in plain English from their row of ``explanations.csv`` (and
    nothing else): where the child is and why, the worker's load against the caps, the runner-up
    and the exact reason it lost, or, for a child who waits, who holds them meanwhile, the
    nearest eligible worker and the shortfall.

    Parameters
    ----------
    row : mapping
        One row of `AllocationResult.explanations` (or of ``explanations.csv`` read back).

    Returns
    -------
    str
    """
    def get(key: str, default=""):
        v = row.get(key, default)
        return default if v is None or (isinstance(v, float) and np.isnan(v)) else v

    n = int(get("family_children", 1) or 1)
    head = f"Child {get('case_id')} (priority {get('priority')}) is in family {get('family_id')}"
    head += f", decided with {n - 1} sibling{'s' if n - 1 != 1 else ''}." if n > 1 else "."
    lines = [head]
    wid, prev, outcome = get("worker_id"), get("previous_worker_id"), get("outcome")
    if outcome in ("pinned", "kept_new_mode"):
        lines.append(f"The child stays with {wid}: {get('reason')}.")
    elif outcome == "stays":
        lines.append(f"The child stays with {wid} (team {get('team')}), their current worker.")
    elif outcome == "stays_siblings_wait":
        lines.append(f"The child stays with {wid} (team {get('team')}), their current worker, while their siblings wait.")
    elif outcome == "moves":
        lines.append(f"The child moves from {prev} to {wid} (team {get('team')}"
                     + (", another team" if get("cross_team") in (True, "True", "true") else "") + f"): {get('reason')}.")
    elif outcome == "new":
        lines.append(f"The child is newly allocated to {wid} (team {get('team')}).")
    else:
        lost = f"The child had {prev} and has NO worker now: " if outcome == "lost_worker" else "The child is NOT allocated: "
        lines.append(lost + f"{get('reason')}.")
        lines.append(f"Meanwhile the child is held by {get('held_meanwhile_by')}.")
    if wid:
        lines.append(f"{wid} {_loads_text(row)}.")
        if n > 1 and outcome not in ("pinned", "kept_new_mode", "stays_siblings_wait"):
            lines.append(f"All {n} children of the family go to {wid} (siblings share one worker).")
        ru = get("runner_up")
        if ru and outcome not in ("pinned", "kept_new_mode"):
            lines.append(f"Next best was {ru}: {get('runner_up_reason')}.")
        elif outcome not in ("pinned", "kept_new_mode"):
            lines.append("No other worker was eligible for this family.")
    if get("kept_against_rule"):
        lines.append(f"Against a hard rule, {wid} keeps this child: {get('kept_against_rule')} (listed in "
                     "existing_issues.csv for a manager's decision).")
    if get("contract_note"):
        lines.append(str(get("contract_note")).capitalize() + ".")
    return "\n".join(lines)


def _loads_text(row: Mapping) -> str:
    text = (f"holds {figure(float(row['children_after']))} children, hard cap {figure(float(row['max_children']))}")
    if float(row["max_complex"]) < float(row["max_children"]) or float(row["complex_after"]) > float(row["max_complex"]):
        text += f" ({figure(float(row['complex_after']))} complex, cap {figure(float(row['max_complex']))})"
    return text + f"; {figure(float(row['points_after']))} of {figure(float(row['capacity_points']))} points"


def explain_case(result: AllocationResult, case_id: str) -> str:
    """One child's allocation in plain English, from the result's explanations (see
    `explanation_text`).

    Raises
    ------
    InputError
        When the case is not in the cases table.
    """
    return explain_row(result.explanations, case_id)


def explain_row(explanations: pd.DataFrame, case_id: str, *, file: str | None = None) -> str:
    """`explanation_text` for one case of an explanations table (`AllocationResult.explanations`
    or ``explanations.csv`` read back).

    Raises
    ------
    InputError
        When the case is not in the table.
    """
    match = explanations[explanations["case_id"].astype(str) == str(case_id).strip()]
    if not len(match):
        raise InputError(f"case '{case_id}' is not in the allocation", file=file, column="case_id")
    return explanation_text(match.iloc[0].to_dict())
