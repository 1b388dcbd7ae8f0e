"""Post-solve checks of what a service manager must be able to rely on (issue 10.2, 10.3): pure
functions of a problem and an assignment, used by the solve, the reports and the tests.

* `relief_check`: every worker left above a hard cap (points capacity, hard cap on children, cap
  on complex children: `caseload.worker_caps`) with the reason. A worker is *relievable* when one
  of the families they hold (not pinned) could go, in a single move, to an eligible colleague in
  reach who has room for it within every cap; an allocation must leave nobody relievable.
  Otherwise the reason is the first of `OVER_CAP_RULES` that binds on `relief_facts`:
  everything they hold is pinned (or kept in `new` mode); no eligible worker in reach; demand in
  reach exceeds capacity (the workers in reach of their families hold more than their caps add
  up to: how far short, and, with reach "team", which teams of the same locality have room and
  the setting that would let families move there); a sibling group too large for anyone's room
  (colleagues have room for its children between them, nobody for the whole group); else no
  room (the room in reach is with workers who may not hold their families, or smaller than any
  of them), with the numbers. With reach "team", no eligible worker, demand in reach and no
  room also name the teams of the same locality whose eligible workers have room for one of
  their families (`locality_takers`), and the setting where such a team does the same work.
* `relieve`: makes single relief moves, the cheapest under the objective first, until nobody is
  relievable (each move lowers how far workers are above their caps, so it ends).
* `priority_check`: every priority-1 family left waiting with the reason. It must never be that
  an eligible worker in reach has room for it, or holds a lower-priority family that could move
  to a colleague with room and so make room; where only leaving a held lower-priority child
  without a worker would make room, the entry names those children and the make-room option.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from workforce.allocation import objective as O
from workforce.allocation import rules as R
from workforce.allocation.families import CAPS, _n
from workforce.allocation.problem import LOADS, Problem, assignment_loads

RELIEF_COLUMNS = ["worker_id", "over", "reason", "detail", "relievable", "unit", "to_worker"]
PRIORITY_COLUMNS = ["unit", "family_id", "status", "reason", "worker_id", "frees_unit", "frees_children"]

_EPS = 1e-9


def _caps(problem: Problem) -> pd.DataFrame:
    w = problem.workers
    return pd.DataFrame({load: w[col].astype(float) for load, col in CAPS}, index=w.index)


def room_left(problem: Problem, loads: pd.DataFrame) -> pd.DataFrame:
    """What each worker can still take within every cap of `caseload.worker_caps` (and the run's
    limit on each load), holding ``loads``: the one test of room every check uses (with `_fits`)."""
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


# ------------------------------------------------------------------ why a worker stays above a cap
#
# `relief_facts` gathers, per worker above a hard cap, what the reasons read; each reason is one
# predicate over that frame, tried in `OVER_CAP_RULES` order (the first that binds is the reason;
# "no_room" when none does).


def everything_pinned(facts: pd.DataFrame) -> pd.Series:
    """They hold no family the run decides: every child they hold is pinned by a manager (or
    existing work is kept, in 'new' mode), so nothing can be taken off them."""
    return facts["families"].astype(int) == 0


def no_eligible_colleague(facts: pd.DataFrame) -> pd.Series:
    """No other worker in reach may hold any of their families (skills, ASYE rules, exclusions,
    contracts, leave, or a colleague already above a cap), whatever the room."""
    return facts["moves"].astype(int) == 0


def colleague_has_room(facts: pd.DataFrame) -> pd.Series:
    """A colleague who may hold one of their families has room for all of it within every cap:
    a single move would relieve them. An allocation must leave nobody like this."""
    return facts["fit_to"].astype(str) != ""


def reach_over_capacity(facts: pd.DataFrame) -> pd.Series:
    """On a cap they are above, the workers in reach of their families (their team, or the
    locality's teams with reach "locality") hold more than all their caps together: however the
    families were shared out, someone in reach would be above a cap. The shortfall is the
    team's, not a matter of one worker or one family."""
    return pd.concat([facts[f"over_{load}"].astype(bool) & (facts[f"short_{load}"].astype(float) > _EPS)
                      for load in LOADS], axis=1).any(axis=1)


def sibling_group_too_large(facts: pd.DataFrame) -> pd.Series:
    """One of their families could go if its children were split: colleagues who may hold it
    have room for all its children between them (at the family's load per child), but nobody
    has room for the whole group, and siblings share one worker."""
    return facts["split_unit"].astype(str) != ""


#: The reasons a worker is left above a hard cap, in the order they are tried ("no_room" when
#: none binds: the room in reach is with workers who may not hold their families, or in pieces
#: smaller than any of them).
OVER_CAP_RULES = (("pinned", everything_pinned), ("no_eligible_worker", no_eligible_colleague),
                  ("relievable", colleague_has_room), ("reach_over_capacity", reach_over_capacity),
                  ("sibling_group_too_large", sibling_group_too_large))


def over_cap_reason(facts: pd.DataFrame) -> pd.Series:
    """The reason code per worker of `relief_facts`: the first of `OVER_CAP_RULES` that binds,
    else "no_room"."""
    out = pd.Series("no_room", index=facts.index, dtype=object)
    todo = pd.Series(True, index=facts.index)
    for name, rule in OVER_CAP_RULES:
        hit = todo & rule(facts).reindex(facts.index).fillna(False).astype(bool)
        out[hit] = name
        todo &= ~hit
    return out


FACT_COLUMNS = [
    *[f"over_{load}" for load in LOADS], "families", "moves", "fit_unit", "fit_to",
    *[f"reach_{load}" for load in LOADS], *[f"reach_cap_{load}" for load in LOADS],
    *[f"short_{load}" for load in LOADS], "reach_teams", "outside_teams",
    "split_unit", "split_children", "split_most", "near_unit", "near_to",
    *[f"near_{load}" for load in LOADS], *[f"near_room_{load}" for load in LOADS], "locality_takers",
]


def relief_facts(problem: Problem, assignment: pd.Series) -> pd.DataFrame:
    """Per worker above a hard cap after the assignment (index ``worker_id``), what the reasons
    of `OVER_CAP_RULES` read (`FACT_COLUMNS`):

    * ``over_<load>``: above that cap; ``families``: families the run decides that sit with
      them; ``moves``: eligible moves of those families to someone else; ``fit_unit``,
      ``fit_to``: one such move within every cap of the receiver ("" when none);
    * ``reach_<load>``, ``reach_cap_<load>``, ``short_<load>``: what the workers in reach of
      their families (the family's candidates, whatever the rules, and the worker; leavers
      apart) hold, their caps added up, and the difference (> 0: demand in reach exceeds
      capacity); ``reach_teams``: those workers' teams;
    * ``outside_teams``: with reach "team", the other teams of the same locality (the ones
      reach "locality" would add) with room, in all, on a cap the reach is short of;
    * ``split_unit``: their largest family whose children colleagues could take between them
      (``split_children`` children, at most ``split_most`` with any one colleague), "" when
      none;
    * ``near_unit``, ``near_to``: the move of one of their families nearest to fitting (the
      least shortfall, each load's as a share of the receiver's cap), with the family's loads on
      that colleague (``near_<load>``) and the colleague's room (``near_room_<load>``);
    * ``locality_takers``: with reach "team", `locality_takers` of their families (team -> the
      families eligible workers of that team could take at once; {} otherwise).
    """
    workers = problem.workers
    loads = assignment_loads(problem, assignment)
    caps = _caps(problem)
    over = (loads > caps + 1e-6).reindex(workers.index)
    ids = workers.index[over.any(axis=1).to_numpy()]
    f = pd.DataFrame(index=pd.Index(ids, name="worker_id"), columns=FACT_COLUMNS)
    if not len(ids):
        return f
    room = room_left(problem, loads).reindex(workers.index)
    for load in LOADS:
        f[f"over_{load}"] = over.loc[ids, load].to_numpy(bool)
    held_by = _held_units(problem, assignment)
    mine = held_by[held_by.isin(ids)]
    f["families"] = mine.value_counts().reindex(ids).fillna(0).astype(int)

    # moves of their families to someone else, and the first that fits
    e = problem.eligible[["unit", "worker_id", *LOADS]]
    e = e.assign(src=e["unit"].map(mine)).dropna(subset=["src"])
    e = e[e["worker_id"] != e["src"]].reset_index(drop=True)
    f["moves"] = e["src"].value_counts().reindex(ids).fillna(0).astype(int)
    first = e[_fits(e, room)].sort_values(["src", "unit", "worker_id"], kind="stable").drop_duplicates("src")
    first = first.set_index("src")
    f["fit_unit"] = first["unit"].reindex(ids).fillna("").astype(object)
    f["fit_to"] = first["worker_id"].reindex(ids).fillna("").astype(object)

    # demand against capacity in reach
    cand = problem.candidates
    pool = pd.concat([pd.DataFrame({"src": cand["unit"].map(mine), "member": cand["worker_id"]}).dropna(),
                      pd.DataFrame({"src": ids, "member": ids})], ignore_index=True).drop_duplicates()
    pool = pool[(pool["member"] == pool["src"]) | ~pool["member"].map(workers["leaving"]).astype(bool)]
    held_caps = pd.concat([loads, caps.add_prefix("cap_")], axis=1)
    sums = held_caps.reindex(pool["member"].to_numpy()).groupby(pool["src"].to_numpy()).sum().reindex(ids)
    for load in LOADS:
        f[f"reach_{load}"] = sums[load].to_numpy(float)
        f[f"reach_cap_{load}"] = sums[f"cap_{load}"].to_numpy(float)
        f[f"short_{load}"] = f[f"reach_{load}"] - f[f"reach_cap_{load}"]
    pool_teams = pool.assign(team=pool["member"].map(workers["team"])).query("team != ''")
    pool_teams = pool_teams.groupby("src")["team"].agg(lambda t: tuple(sorted(set(t))))
    f["reach_teams"] = pd.Series([pool_teams.get(k, ()) for k in ids], index=f.index, dtype=object)
    outside = _room_outside_reach(problem, team_loads(problem, loads), mine, f) if problem.config.reach == "team" \
        else [()] * len(ids)
    f["outside_teams"] = pd.Series(outside, index=f.index, dtype=object)
    if problem.config.reach == "team":  # the other teams' eligible room judged once, for every family here
        pairs = locality_reach_room(problem, room, list(mine.index))
        takers = [locality_takers(problem, room, units_k, pairs[pairs["unit"].isin(units_k)])
                  for units_k in (list(mine.index[(mine == k).to_numpy()]) for k in ids)]
    else:
        takers = [{}] * len(ids)
    f["locality_takers"] = pd.Series(takers, index=f.index, dtype=object)

    # a family that colleagues could take if its children were split
    n = e["unit"].map(problem.units["n_children"]).to_numpy(float)
    per_child = e[list(LOADS)].to_numpy(float) / np.maximum(n, 1.0)[:, None]
    r = room.reindex(e["worker_id"]).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        takes = np.where(per_child > _EPS, np.floor((r + 1e-6) / per_child), np.inf).min(axis=1)
    takes = np.clip(takes, 0.0, n) if len(e) else np.zeros(0)
    parts = e.assign(takes=takes, n=n)[n > 1]
    by = parts.groupby(["src", "unit"]).agg(total=("takes", "sum"), most=("takes", "max"), n=("n", "first"))
    split = by[by["total"] >= by["n"]].reset_index().sort_values(["src", "n", "unit"], ascending=[True, False, True],
                                                                    kind="stable").drop_duplicates("src")
    split = split.set_index("src")
    f["split_unit"] = split["unit"].reindex(ids).fillna("").astype(object)
    f["split_children"] = split["n"].reindex(ids).to_numpy(float)
    f["split_most"] = split["most"].reindex(ids).to_numpy(float)

    # the move nearest to fitting
    load = e[list(LOADS)].to_numpy(float)
    short = np.maximum(0.0, load - r) / np.maximum(caps.reindex(e["worker_id"]).to_numpy(float), 1.0)
    near = e.assign(near=short.sum(axis=1) if len(e) else np.zeros(0))
    near = near.sort_values(["src", "near", "unit", "worker_id"], kind="stable").drop_duplicates("src").set_index("src")
    f["near_unit"] = near["unit"].reindex(ids).fillna("").astype(object)
    f["near_to"] = near["worker_id"].reindex(ids).fillna("").astype(object)
    near_room = room.reindex(near["worker_id"]).set_axis(near.index)
    for load in LOADS:
        f[f"near_{load}"] = near[load].reindex(ids).to_numpy(float)
        f[f"near_room_{load}"] = near_room[load].reindex(ids).to_numpy(float)
    return f


def _room_outside_reach(problem: Problem, teams: pd.DataFrame, mine: pd.Series, f: pd.DataFrame) -> list:
    """Per worker of ``f``: the teams of their families' localities that are not in reach (with
    reach "team") and have room, in all, on a cap the reach is short of and the worker is above
    (none when the reach is not short). ``teams``: `team_loads`."""
    team_loc = R.team_localities(problem.workers)
    spare = pd.DataFrame({load: teams[f"cap_{load}"] - teams[load] for load in LOADS})
    named = problem.units["teams"].reindex(mine.index).groupby(mine.to_numpy()).agg(
        lambda s: frozenset().union(*s))
    out = []
    for k, row in f.iterrows():
        short = [load for load in LOADS if row[f"over_{load}"] and row[f"short_{load}"] > _EPS]
        locs = {team_loc.get(t) for t in named.get(k, frozenset())} - {None}
        if not short or not locs:
            out.append(())
            continue
        others = [t for t in team_loc.index[team_loc.isin(locs).to_numpy()]
                  if t and t not in row["reach_teams"] and t in spare.index]
        out.append(tuple(sorted(t for t in others if (spare.loc[t, short] > _EPS).any())))
    return out


# ------------------------------------------------------- room in teams reach "locality" would add

LOCALITY_ROOM_COLUMNS = ["unit", "team", "worker_id", *LOADS]


def locality_reach_room(problem: Problem, room: pd.DataFrame, units) -> pd.DataFrame:
    """With reach "team": for each of ``units``, every worker of another team of the same
    locality (one that reach "locality" would put in reach) who may hold the family by every
    hard rule and has room for all of it within every cap.

    Eligibility is judged as the allocation judges its own candidates (`rules.judge_candidates`:
    an ASYE never holds a CP or court case alone, required skills, exclusions, leave, leavers,
    contracts ending, a worker above a cap given nothing new), and room is the one capacity
    model's (`room_left`: the caps of `caseload.worker_caps` and the run's limits, less what the
    worker holds; `_fits`), so a team is never said to have room for a family it may not take.

    Parameters
    ----------
    problem : Problem
    room : DataFrame
        `room_left` of the assignment's loads (index worker_id).
    units : sequence of str
        The units (families) to look for room for.

    Returns
    -------
    DataFrame
        `LOCALITY_ROOM_COLUMNS`: the family's loads on that worker (travel points included).
        Empty when the reach is not "team".
    """
    units = [u for u in units if u in problem.units.index]
    if problem.config.reach != "team" or not len(units):
        return pd.DataFrame(columns=LOCALITY_ROOM_COLUMNS)
    cand = R.same_team_or_locality(problem.units.loc[units], problem.workers, "locality")
    cand = R.judge_candidates(cand)
    cand = cand[(cand["scope"] == "other_team") & (cand["failed_rule"] == "")].reset_index(drop=True)
    if not len(cand):
        return pd.DataFrame(columns=LOCALITY_ROOM_COLUMNS)
    cand = R.with_pair_loads(cand, problem.config)
    out = cand[_fits(cand, room)][LOCALITY_ROOM_COLUMNS]
    return out.sort_values(["unit", "team", "worker_id"], kind="stable").reset_index(drop=True)


def locality_takers(problem: Problem, room: pd.DataFrame, units,
                    pairs: pd.DataFrame | None = None) -> dict[str, tuple[str, ...]]:
    """Per team of `locality_reach_room`: the families of ``units`` it could take together, the
    most urgent first (by priority, then family), each to the eligible worker of the team with
    the most points of room left who has room for it, within every cap, the room shrinking as
    families are placed. A count a team can actually take at once (a first fit, so at least that
    many), not the sum of what each worker could take on their own. ``pairs``: the
    `locality_reach_room` of ``units`` when the caller has it already."""
    if pairs is None:
        pairs = locality_reach_room(problem, room, units)
    if not len(pairs):
        return {}
    units_t = problem.units
    order = sorted(set(pairs["unit"]), key=lambda u: (units_t.at[u, "top_priority"], units_t.at[u, "family_id"], u))
    out: dict[str, tuple[str, ...]] = {}
    for team, g in pairs.groupby("team", sort=True):
        left = {w: room.loc[w, list(LOADS)].to_numpy(float).copy() for w in sorted(set(g["worker_id"]))}
        by_unit = {u: rows for u, rows in g.groupby("unit", sort=False)}
        taken = []
        for u in order:
            if u not in by_unit:
                continue
            rows = by_unit[u]
            need = rows[list(LOADS)].to_numpy(float)
            fit = [(-left[w][0], w, k) for k, w in enumerate(rows["worker_id"]) if (need[k] <= left[w] + 1e-6).all()]
            if fit:
                _, w, k = min(fit)
                left[w] = left[w] - need[k]
                taken.append(u)
        if taken:
            out[str(team)] = tuple(taken)
    return out


def same_work(problem: Problem, own_teams, team: str) -> bool:
    """Whether ``team`` does the work of ``own_teams`` (a family's teams): the same `team_type`,
    or nobody says what work a team does. Moving a family to a team that does other work (a
    safeguarding family to a children-in-care team) is not what locality reach is for."""
    kinds = problem.team_kinds
    own = {kinds.get(t, "") for t in own_teams} - {""}
    return not own or kinds.get(team, "") in own or kinds.get(team, "") == ""


#: How the setting that lets families move to another team of the locality is named.
LOCALITY_SETTING = '--reach locality (policy.reach = "locality")'


def takers_words(problem: Problem, takers: dict[str, tuple[str, ...]], own_teams, of: str, count_of: str) -> str:
    """What `locality_takers` found, in words: that eligible workers of those teams have room for
    ``of`` ("this family", "some of their 3 families"), how many families (``count_of``: "waiting
    families") each team could take at once, and the setting where a team does the
    same work, or why it is not advised ("" when no team has room)."""
    if not takers:
        return ""
    locality = R.team_localities(problem.workers)
    where = ", ".join(sorted({str(locality[t]) for t in takers}))
    alike = {t: same_work(problem, own_teams, t) for t in takers}
    mixed = len(set(alike.values())) > 1  # said per team only where some do the same work and some not
    parts = [f"{t}: {len(us)}" + (" (does other work)" if mixed and not alike[t] else "") for t, us in takers.items()]
    text = (f"eligible workers of other teams of locality {where} have room, within every cap, for {of} "
            f"({count_of} each team could take at once: {', '.join(parts)})")
    kinds = problem.team_kinds
    own = sorted({kinds.get(t, "") for t in own_teams} - {""})
    if any(alike.values()):
        return (text + f"; families may not move to another team while the reach is \"team\": {LOCALITY_SETTING} "
                "would let them" + (f", to the {' or '.join(own)} teams" if own else ""))
    return text + f", but none of them is a {' or '.join(own)} team, so moving families there is not advised"


#: How a load held in reach against its caps is said, per load.
_HELD_WORDS = {
    "points": "{held} points against {cap} points of capacity",
    "children": "{held} children against hard caps adding up to {cap}",
    "complex": "{held} complex children against complex caps adding up to {cap}",
}
_NOUNS = {"points": ("point", "points"), "children": ("child", "children"),
          "complex": ("complex child", "complex children")}


def _count(x: float, load: str) -> str:
    one, many = _NOUNS[load]
    return f"{_n(x)} {one if abs(x - 1) < 1e-9 else many}"


def _held(f: Mapping, load: str) -> str:
    """What the reach holds of one load against its caps, and how far short or how much spare."""
    gap = f[f"short_{load}"]
    how = f"{_n(gap)} short" if load == "points" else f"{_n(gap)} over"
    if abs(gap) <= 1e-6:
        how = "none to spare"
    elif gap < 0:
        how = f"{_count(-gap, load)} spare in all"
    return _HELD_WORDS[load].format(held=_n(f[f"reach_{load}"]), cap=_n(f[f"reach_cap_{load}"])) + f" ({how})"


def _reach_words(f: Mapping) -> str:
    """The workers in reach, by their teams, with the verb."""
    teams = f["reach_teams"]
    if not len(teams):
        return "the workers in reach hold"
    return ("team " + teams[0] + " holds") if len(teams) == 1 else ("teams " + ", ".join(teams) + " hold")


def _team_room(team: str, teams: pd.DataFrame, loads: list[str]) -> str:
    """A team's room on some loads, in words."""
    parts = []
    for load in loads:
        spare = teams.at[team, f"cap_{load}"] - teams.at[team, load]
        parts.append(f"{_count(spare, load)} spare" if spare > _EPS else
                     "full" if spare > -1e-6 else f"{_count(-spare, load)} above its caps")
    cap = teams.at[team, "cap_points"]
    util = f"at {teams.at[team, 'points'] / cap:.0%} of points capacity: " if cap > 0 else ""
    return f"{team} ({util}{', '.join(parts)})"


def relief_detail(problem: Problem, reason: str, f: Mapping, teams: pd.DataFrame) -> str:
    """The specifics behind a worker's reason, in words a service manager can act on (the words
    for each reason code: `explain.OVER_CAP_WORDS`).

    Parameters
    ----------
    problem : Problem
    reason : str
        The worker's reason code (`over_cap_reason`).
    f : mapping
        The worker's row of `relief_facts`.
    teams : DataFrame
        `team_loads` of the assignment.
    """
    units = problem.units
    if reason == "pinned":
        return "existing work is kept in 'new' mode" if problem.mode == "new" else "every child they hold is pinned"
    families = f"{_n(f['families'])} famil" + ("y" if f["families"] == 1 else "ies")
    # what eligible workers of other teams of the locality have room for, in words ("" when none)
    moved = takers_words(problem, f.get("locality_takers") or {}, f["reach_teams"], f"some of their {families}",
                         "their families")
    if reason == "no_eligible_worker":
        text = f"the rules exclude every other worker in reach for their {families}"
        return text + (f"; {moved}" if moved else "")
    if reason == "relievable":
        return f"{f['fit_to']} has room for family {units.at[f['fit_unit'], 'family_id']}"
    if reason == "reach_over_capacity":
        short = [load for load in LOADS if f[f"over_{load}"] and f[f"short_{load}"] > _EPS]
        text = f"{_reach_words(f)} " + " and ".join(_held(f, load) for load in short)
        if problem.config.reach != "team":
            return text
        outside = f["outside_teams"]
        if not len(outside) and not moved:
            return text + "; no other team of the same locality has room either"
        if len(outside):
            locality = R.team_localities(problem.workers)
            where = ", ".join(sorted({str(locality[t]) for t in outside}))
            text += f"; other teams of locality {where}: {'; '.join(_team_room(t, teams, short) for t in outside)}"
        # the setting is named only where an eligible worker of a team doing the same work has
        # room for one of their families (a team's room in all may be with workers who may not
        # hold them: an ASYE and a CP family)
        return text + (f"; {moved}" if moved else "; no eligible worker there has room for any of their families")
    if reason == "sibling_group_too_large":
        u = f["split_unit"]
        return (f"family {units.at[u, 'family_id']} ({_n(f['split_children'])} children): colleagues have room for "
                f"all of them between them, at most {_count(f['split_most'], 'children')} with any one")
    # no_room: the room in reach is too small or with workers who may not hold their families; an
    # eligible worker of a team of the same locality may still have room for one of them
    if not f["near_unit"]:
        return moved
    family = ", ".join(_count(f[f"near_{load}"], load) for load in LOADS if f[f"near_{load}"] > _EPS)
    room = ", ".join(_count(max(0.0, f[f"near_room_{load}"]), load) for load in LOADS)
    return (f"{_reach_words(f)} " + "; ".join(_held(f, load) for load in LOADS if f[f"over_{load}"])
            + f"; the nearest move, family {units.at[f['near_unit'], 'family_id']} ({family}) to {f['near_to']}, "
            f"does not fit: {f['near_to']} has room for {room}" + (f"; {moved}" if moved else ""))


def team_loads(problem: Problem, loads: pd.DataFrame) -> pd.DataFrame:
    """Per team, what its workers (leavers apart) hold (`LOADS`) and their caps (``cap_<load>``)."""
    workers = problem.workers
    staying = workers.index[~workers["leaving"].astype(bool).to_numpy()]
    held_caps = pd.concat([loads, _caps(problem).add_prefix("cap_")], axis=1).reindex(staying)
    return held_caps.groupby(workers.loc[staying, "team"].to_numpy()).sum()


def relief_check(problem: Problem, assignment: pd.Series) -> pd.DataFrame:
    """Every worker above a hard cap after the assignment, with the reason (`OVER_CAP_RULES` on
    `relief_facts`) and its specifics (`relief_detail`).

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
        "reach_over_capacity", "sibling_group_too_large", "no_room"; ``detail`` gives the
        numbers behind it; for a relievable worker, ``unit`` and ``to_worker`` give one move
        that would relieve them.
    """
    assignment = assignment.reindex(problem.units.index).fillna("").astype(object)
    facts = relief_facts(problem, assignment)
    if not len(facts):
        return pd.DataFrame(columns=RELIEF_COLUMNS)
    reason = over_cap_reason(facts)
    teams = team_loads(problem, assignment_loads(problem, assignment))
    rows = []
    for wid, f in zip(facts.index, facts.to_dict("records")):
        code = reason[wid]
        relievable = code == "relievable"
        rows.append(dict(worker_id=wid, over=";".join(load for load in LOADS if f[f"over_{load}"]), reason=code,
                         detail=relief_detail(problem, code, f, teams), relievable=relievable,
                         unit=f["fit_unit"] if relievable else "", to_worker=f["fit_to"] if relievable else ""))
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


def waiting_units(problem: Problem, assignment: pd.Series, priority: int | None = None) -> list[str]:
    """The families left unplaced with a child who waits (not only a keeper's children kept);
    with ``priority``, only those with a waiting child of that priority."""
    c = problem.cases
    waits = c["waits_if_unplaced"].astype(bool) & ((c["priority"] == priority) if priority is not None else True)
    counts = c[waits].groupby("unit").size()
    held = assignment.reindex(problem.units.index).fillna("")
    return [u for u in problem.units.index[(held == "").to_numpy()] if counts.get(u, 0) > 0]


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
    waiting = waiting_units(problem, assignment, priority=1)
    if not waiting:
        return pd.DataFrame(columns=PRIORITY_COLUMNS)
    elig = problem.eligible
    workers = problem.workers.index
    room = room_left(problem, assignment_loads(problem, assignment)).reindex(workers).to_numpy(float)
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
