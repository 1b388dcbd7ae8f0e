"""Today (the last census day): who is available, and which worker holds each child.

Today's allocation is the product's own manager baseline
(`workforce.allocation.baseline_allocate(mode="new")`: each family, highest priority first, to
the least-loaded eligible worker with room, under every hard rule of
`workforce.allocation.rules`). What makes "today" imperfect, as in a real service, is what
happened around it, not a second set of rules:

* managers allocating by hand let loads run past the caps by a personal tolerance (the workers
  frame passed to the baseline carries `capacity_points` / `max_children` overrides drawn around
  each worker's caps; the files written carry no overrides), so some workers are over the safe
  standard and a few over the hard cap; practice supervisors are held to their safe standard,
  and about half of ASYEs get the protected caseload they were promised [S34];
* some staff went on long-term sick leave after their children were allocated (they still hold
  them); staff on maternity or other planned leave and starters of the last two weeks hold none;
* new referrals wait for allocation (some with no team yet), a case holder who left in the last
  weeks leaves some families with the team manager, and a team funded well below its demand runs
  out of room.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.allocation import baseline_allocate
from workforce.contracts import default_priority
from workforce.demo.simulation import Simulation, Worker

_SKILL_FOR_TYPE = {
    "cin_assessment": ("disability", "domestic_abuse"),
    "cin": ("disability", "domestic_abuse", "adolescents"),
    "cp": ("disability", "domestic_abuse", "exploitation", "adolescents"),
    "cla": ("disability", "adolescents", "cla"),
    "cla_complex": ("exploitation", "adolescents", "disability", "cla"),
    "care_leaver": ("care_leavers",),
}

#: Why an unallocated child is waiting (kept in `info`, not in the cases table).
WAITING = ("new referral", "worker left", "no room")


def _family_frame(children: pd.DataFrame) -> pd.DataFrame:
    flagged = children.assign(cp_or_court=children["case_type"].eq("cp") | children["court"])
    return flagged.groupby("family_id", sort=True).agg(
        team=("team", "first"), home=("home", "first"), size=("case_id", "size"), points=("points", "sum"),
        cp_or_court=("cp_or_court", "any"), court=("court", "any"), primary_type=("primary_type", "first"))


def _availability(sim: Simulation, workers: list[Worker]) -> tuple[np.ndarray, np.ndarray]:
    """(on long-term sick leave, on maternity or other planned leave) today."""
    p, rng = sim.p, sim.rng
    n = len(workers)
    la = np.array([not w.agency for w in workers])
    sick_rank = np.array([w.sick_propensity for w in workers]) * rng.exponential(1.0, size=n)
    sick_rank[~la] = -1.0
    sick = np.zeros(n, dtype=bool)
    sick[np.argsort(-sick_rank, kind="stable")[: int(round(p.long_sick_share * n))]] = True
    leave_rank = rng.random(n) + np.array([w.gender == "female" and w.age(sim.as_of) < 45 for w in workers])
    leave_rank[~la | sick] = -1.0
    maternity = np.zeros(n, dtype=bool)
    maternity[np.argsort(-leave_rank, kind="stable")[: int(round(p.maternity_share * n))]] = True
    return sick, maternity


def _tolerance_overrides(sim: Simulation, workers: list[Worker], caps: pd.DataFrame,
                         demand: pd.DataFrame) -> pd.DataFrame:
    """The caps a manager allocating by hand works to: each worker's own caps from the capacity
    model scaled by their tolerance, and stretched in a team whose demand is beyond them (managers
    overload staff rather than leave children unallocated); practice supervisors held to their
    safe standard; protected ASYEs to theirs, unprotected ones to 11-15 children per FTE [S34].

    `demand` holds the children and points (travel included) to place per team."""
    p, rng = sim.p, sim.rng
    tol = np.array([w.tolerance for w in workers])
    team = np.array([w.team for w in workers])
    role = np.array([w.role for w in workers])
    asye = np.array([w.is_asye(sim.as_of) for w in workers])
    protected = np.array([w.asye_protected for w in workers])
    fte = np.array([w.fte for w in workers])
    cap_points = caps["capacity_points"].to_numpy(float)
    fixed = (role == "practice_supervisor") | (asye & protected)
    kids = np.where(fixed, caps["soft_children"].to_numpy(float), caps["hard_children"].to_numpy(float) * tol)
    kids = np.where(asye & ~protected, rng.uniform(*p.asye_unprotected_children, size=len(workers)) * fte, kids)
    points = np.where(fixed, cap_points, cap_points * np.where(asye, 1.15, tol))
    for name in np.unique(team):
        mask = team == name
        flex = mask & ~fixed
        if not flex.any() or name not in demand.index:
            continue
        need_kids = demand.at[name, "children"] - kids[mask & fixed].sum()
        need_pts = demand.at[name, "points"] - points[mask & fixed].sum()
        stretch = max(1.0, need_kids / max(1e-9, 0.97 * kids[flex].sum()), need_pts / max(1e-9, 0.97 * points[flex].sum()))
        kids[flex] *= stretch
        points[flex] *= stretch
    return pd.DataFrame({"capacity_points": np.round(points, 3), "max_children": np.floor(kids + 1e-9).astype(int)})


def _constraints(sim: Simulation, fam: pd.DataFrame, pool: dict[str, list[int]], workers: list[Worker],
                 asye: np.ndarray) -> tuple[dict[str, set], dict[str, set]]:
    """Required skills (one that a worker of the team at work today has: a team whose only such
    worker is on long-term sick leave sends the family elsewhere) and excluded workers, for a few
    families."""
    p, rng = sim.p, sim.rng
    skills = [set(w.skills) for w in workers]
    required: dict[str, set] = {}
    excluded: dict[str, set] = {}
    for fid, row in fam.iterrows():
        team = pool.get(row["team"], [])
        if rng.random() < p.required_skill_share:
            able = [i for i in team if not (row["cp_or_court"] and asye[i])]
            options = [s for s in _SKILL_FOR_TYPE[row["primary_type"]] if any(s in skills[i] for i in able)]
            if options:
                required[fid] = {options[int(rng.integers(len(options)))]}
        if rng.random() < p.excluded_share and len(team) > 2:
            excluded[fid] = {workers[team[int(rng.integers(len(team)))]].worker_id}
    return required, excluded


def _urgent_not_with_the_absent(cf: pd.DataFrame, absent: set[str]) -> pd.Series:
    """`excluded_workers` for today's placement: a manager moves the most urgent children
    (priority 1) of a worker on long-term sick leave first, so none of them is still held by one
    on the census day; the other families of an absent worker wait for the rebalance."""
    urgent = cf["priority"].eq(1)
    extra = ";".join(sorted(absent))
    return cf["excluded_workers"].where(~urgent, cf["excluded_workers"].map(lambda s: f"{s};{extra}".strip(";")))


def _waiting(sim: Simulation, fam: pd.DataFrame, holders: dict[str, list[int]]) -> dict[str, str]:
    """Families not allocated before the baseline runs: new referrals, and some of the families
    of case holders who left in the last weeks (held by the team manager meanwhile)."""
    p, rng, when = sim.p, sim.rng, sim.as_of
    waiting: dict[str, str] = {}
    for fid, ptype in fam["primary_type"].items():
        if ptype == "cin_assessment" and rng.random() < p.awaiting_allocation:
            waiting[fid] = "new referral"
    recent = [w for w in sim.factory.workers
              if w.leave_date is not None and when - pd.Timedelta(days=p.recent_leaver_days) < w.leave_date <= when
              and w.team in holders and w.role != "team_manager"]
    by_team = {team: list(idx) for team, idx in fam.groupby("team").groups.items()}
    for w in recent:
        team_fams = [f for f in by_team.get(w.team, []) if f not in waiting]
        per_worker = len(by_team.get(w.team, [])) / max(1, len(holders[w.team]))
        for j in rng.permutation(len(team_fams))[: rng.binomial(int(round(per_worker)), p.recent_leaver_unallocated)]:
            waiting[team_fams[int(j)]] = "worker left"
    return waiting


def _continuity(sim: Simulation, fam: pd.DataFrame, workers: list[Worker], holder: dict[str, int],
                waiting: dict[str, str], sick: np.ndarray) -> tuple[dict, dict, dict]:
    """When each family got its current worker, how many workers it had in the last 12 months
    (consistent with the worker's start date: a family open longer than its worker has been in
    post was reallocated), and which a manager pinned (never to someone on sick leave)."""
    p, rng, when = sim.p, sim.rng, sim.as_of
    since: dict[str, pd.Timestamp] = {}
    w12: dict[str, int] = {}
    pinned: dict[str, bool] = {}
    for fid in fam.index:
        open_days = max(1.0, rng.exponential(p.open_months_mean[fam.at[fid, "primary_type"]] * 30.4))
        if fid in holder:
            w = workers[holder[fid]]
            spell = max(0.0, min(open_days, (when - w.start).days, rng.exponential(p.worker_spell_mean_months * 30.4)))
            since[fid] = (when - pd.Timedelta(days=int(spell))).normalize()
            window = min(open_days, 365.0)
            w12[fid] = 1 if spell >= window - 1 else int(min(4, 2 + rng.poisson(p.extra_change_rate * (window - spell) / 365)))
            pinned[fid] = bool(not sick[holder[fid]] and rng.random() < p.pinned_share * (3.0 if fam.at[fid, "court"] else 1.0))
        elif waiting[fid] == "worker left":
            w12[fid] = int(min(4, 1 + rng.poisson(p.extra_change_rate * min(open_days, 365.0) / 365)))
        elif waiting[fid] == "no room":
            w12[fid] = int(open_days > 90)  # open a while: its last worker has gone
        else:
            w12[fid] = 0
    return since, w12, pinned


def run_today(sim: Simulation) -> tuple[pd.DataFrame, list[Worker], pd.DataFrame, dict]:
    """Allocate today's children and record today's snapshot.

    Returns
    -------
    (cases, workers in post, today's features with `available`, info) where `cases` has one row
    per child with the allocation columns of the `cases` contract.
    """
    p, rng, when = sim.p, sim.rng, sim.as_of
    width = max(4, len(str(len(sim.factory.workers))))
    for i, w in enumerate(sim.factory.workers):
        w.worker_id = f"W{i + 1:0{width}d}"
    workers = sim.in_post(when)
    n = len(workers)
    sick, maternity = _availability(sim, workers)
    caps = sim.caps(workers, when)
    asye = np.array([w.is_asye(when) for w in workers])
    new = np.array([w.start > when - pd.Timedelta(days=p.new_starter_days) for w in workers])
    can_hold = (caps["hard_children"].to_numpy() > 0) & ~maternity & ~new
    holders: dict[str, list[int]] = {}
    for i, w in enumerate(workers):
        if can_hold[i]:
            holders.setdefault(w.team, []).append(i)

    children = sim.children.copy()
    fam = _family_frame(children)
    at_work = {team: [i for i in idx if not sick[i]] for team, idx in holders.items()}
    required, excluded = _constraints(sim, fam, at_work, workers, asye)
    waiting = _waiting(sim, fam, holders)

    # the manager's baseline, under every hard rule, with each worker's tolerance as the caps
    pool = np.flatnonzero(can_hold)
    wf = pd.DataFrame({
        "worker_id": [workers[i].worker_id for i in pool], "team": [workers[i].team for i in pool],
        "locality": [workers[i].locality for i in pool], "role": [workers[i].role for i in pool],
        "asye": asye[pool], "fte": [workers[i].fte for i in pool],
        "skills": [";".join(sorted(workers[i].skills)) for i in pool], "available": True,
    })
    first = ~children["family_id"].duplicated()
    children["required_skills"] = [";".join(sorted(required[f])) if (f in required and is_first) else ""
                                   for f, is_first in zip(children["family_id"], first)]
    children["excluded_workers"] = children["family_id"].map(lambda f: ";".join(sorted(excluded.get(f, set()))))
    to_place = children[~children["family_id"].isin(list(waiting))]
    cf = pd.DataFrame({
        "case_id": to_place["case_id"], "family_id": to_place["family_id"], "case_type": to_place["case_type"],
        "court": to_place["court"], "locality": to_place["locality"], "team": to_place["team"],
        "current_worker_id": "", "workers_12m": 0, "pinned": False,
        "required_skills": to_place["required_skills"], "excluded_workers": to_place["excluded_workers"],
    }).reset_index(drop=True)
    cf["priority"] = default_priority(cf)
    cf["excluded_workers"] = _urgent_not_with_the_absent(cf, {workers[i].worker_id for i in pool if sick[i]})
    travel = (to_place["locality"] != to_place["team_locality"]).to_numpy() * sim.rules.travel_points
    demand = pd.DataFrame({"team": to_place["team"].to_numpy(), "children": 1,
                           "points": to_place["points"].to_numpy() + travel}).groupby("team").sum()
    overrides = _tolerance_overrides(sim, [workers[i] for i in pool], caps.iloc[pool].reset_index(drop=True), demand)
    wf = pd.concat([wf, overrides], axis=1)
    result = baseline_allocate(wf, cf, mode="new")
    case_worker = dict(zip(result.allocations["case_id"], result.allocations["worker_id"]))
    index_of = {w.worker_id: i for i, w in enumerate(workers)}
    holder: dict[str, int] = {}
    for cid, fid in zip(cf["case_id"], cf["family_id"]):
        if cid in case_worker:
            holder[fid] = index_of[case_worker[cid]]
    for fid in fam.index:
        if fid not in waiting and fid not in holder:
            waiting[fid] = "no room"

    since, w12, pinned = _continuity(sim, fam, workers, holder, waiting, sick)
    fid_col = children["family_id"]
    children["current_worker_id"] = fid_col.map(lambda f: workers[holder[f]].worker_id if f in holder else "")
    children["allocated_since"] = pd.to_datetime(fid_col.map(lambda f: since.get(f, pd.NaT))).astype("datetime64[ns]")
    children["workers_12m"] = fid_col.map(w12).astype("int64")
    children["pinned"] = fid_col.map(lambda f: pinned.get(f, False)).astype(bool)
    no_team = fid_col.map({f: waiting.get(f) == "new referral" and rng.random() < p.awaiting_no_team for f in fam.index})
    children.loc[no_team, "team"] = ""
    children.loc[no_team, "locality"] = children.loc[no_team, "home"]

    # today's snapshot: loads from the allocation, sickness with the long-term sick fixed
    held = children[children["current_worker_id"] != ""]
    kids = held.groupby("current_worker_id").size()
    pts = held.groupby("current_worker_id")["points"].sum()
    recent = held[(held["allocated_since"] > when - pd.Timedelta(days=365)) & (held["workers_12m"] >= 2)]
    moved = recent.groupby("current_worker_id").size()
    ids = [w.worker_id for w in workers]
    fixed = np.where(sick, np.round(rng.uniform(30, 120, size=n)), np.nan)
    k = len(sim.snapshots) - 1
    f = sim.features(workers, when, k, np.array([int(kids.get(i, 0)) for i in ids]),
                     np.array([float(pts.get(i, 0.0)) for i in ids]),
                     np.array([int(moved.get(i, 0)) for i in ids]), fixed_sickness=fixed)
    probs = sim.probabilities(f, len(sim.snapshots))
    sim.record(when, f, probs)
    today = f.assign(available=~(sick | maternity))
    reasons = pd.Series(waiting, dtype=object)
    info = {"baseline": result.summary,
            "waiting_families": {reason: int((reasons == reason).sum()) for reason in WAITING}}
    return children, workers, today, info
