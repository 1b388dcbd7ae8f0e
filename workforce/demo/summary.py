"""What a generated authority looks like, measured as the DfE census measures it.

Every census indicator comes from `workforce.measures` (one definition each) applied to the
authority's own tables as a census return would count them: turnover = LA-employed FTE leavers in
the year to 30 September over LA-employed FTE in post then; agency rate and vacancy rate at 30
September (vacancies = funded FTE not filled by an LA employee, per team and role); caseload =
children held over the FTE of workers holding at least one child (agency included); absence =
working days lost by LA-employed staff in post over their FTE times the working days in a year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.caseload import CASE_TYPES, family_child_points, worker_caps
from workforce.demo.authority import DemoAuthority
from workforce.demo.parameters import SERVICE_WIDE
from workforce.measures import (
    absence_rate,
    agency_rate,
    caseload_per_case_holder,
    turnover_rate,
    vacancy_rate,
)


def annual_turnover(hr_history: pd.DataFrame) -> pd.DataFrame:
    """Turnover for each census year in the history, by the census definition: FTE of
    LA-employed staff who left in the year (1 October to 30 September) over LA-employed FTE in
    post at its 30 September. The first snapshot opens the first year.

    Returns
    -------
    DataFrame with `year_end_date`, `fte_in_post`, `fte_leavers`, `headcount`, `leavers`,
    `turnover_rate`, `headcount_turnover_rate`.
    """
    h = hr_history[~hr_history["agency"].astype(bool)]
    people = h.drop_duplicates("worker_id", keep="last")
    snaps = sorted(h["snapshot_date"].dropna().unique())
    out = []
    for start, end in zip(snaps[:-1], snaps[1:]):
        rows = h[h["snapshot_date"] == end]
        left = people[people["leave_date"].notna() & (people["leave_date"] > start) & (people["leave_date"] <= end)]
        out.append({"year_end_date": pd.Timestamp(end), "fte_in_post": float(rows["fte"].sum()),
                    "fte_leavers": float(left["fte"].sum()), "headcount": int(len(rows)), "leavers": int(len(left))})
    frame = pd.DataFrame(out, columns=["year_end_date", "fte_in_post", "fte_leavers", "headcount", "leavers"])
    frame["turnover_rate"] = turnover_rate(frame["fte_leavers"].to_numpy(), frame["fte_in_post"].to_numpy())
    frame["headcount_turnover_rate"] = turnover_rate(frame["leavers"].to_numpy(), frame["headcount"].to_numpy())
    return frame


def vacancies(workers: pd.DataFrame, establishment: pd.DataFrame) -> pd.DataFrame:
    """Funded FTE, LA-employed and agency FTE in post, and vacancy FTE (funded less LA-employed,
    never below zero) for each team and role of the establishment."""
    la = workers[~workers["agency"]].groupby(["team", "role"])["fte"].sum().rename("la_fte")
    ag = workers[workers["agency"]].groupby(["team", "role"])["fte"].sum().rename("agency_fte")
    out = establishment.set_index(["team", "role"]).join(la, how="left").join(ag, how="left").fillna(
        {"la_fte": 0.0, "agency_fte": 0.0})
    out["vacancy_fte"] = np.maximum(0.0, out["funded_fte"] - out["la_fte"])
    return out.reset_index()


def census_indicators(authority: DemoAuthority) -> dict:
    """The five census measures of the authority at its last 30 September, each with the
    figures it is computed from, plus the case holders' share of FTE.

    Returns
    -------
    dict with `turnover_rate`, `agency_rate`, `vacancy_rate`, `caseload`, `absence_rate`,
    `case_holder_share` and their numerators and denominators (FTE, cases, days).
    """
    w, c = authority.workers, authority.cases
    la = w[~w["agency"]]
    la_fte, agency_fte = float(la["fte"].sum()), float(w.loc[w["agency"], "fte"].sum())
    turnover = annual_turnover(authority.hr_history)
    last = turnover.iloc[-1]
    vac_fte = float(vacancies(w, authority.establishment)["vacancy_fte"].sum())
    held = c[c["current_worker_id"] != ""]
    holding = w[w["worker_id"].isin(set(held["current_worker_id"]))]
    holder_fte = float(holding["fte"].sum())
    days = float(la["sickness_days_12m"].sum())
    return {
        "turnover_rate": float(last["turnover_rate"]),
        "agency_rate": float(agency_rate(agency_fte, la_fte)),
        "vacancy_rate": float(vacancy_rate(vac_fte, la_fte)),
        "caseload": float(caseload_per_case_holder(len(held), holder_fte)),
        "absence_rate": float(absence_rate(days, la_fte)),
        "case_holder_share": holder_fte / (la_fte + agency_fte),
        "leavers_fte": float(last["fte_leavers"]), "la_fte_in_post": la_fte, "agency_fte": agency_fte,
        "vacancy_fte": vac_fte, "cases_held": int(len(held)), "case_holder_fte": holder_fte,
        "working_days_lost": days, "total_fte": la_fte + agency_fte,
    }


NO_TEAM = "(no team yet, locality "


def _unallocated_scope(cases: pd.DataFrame) -> pd.Series:
    """The team an unallocated child waits in, or '(no team yet, locality X)'."""
    return cases["team"].where(cases["team"] != "", NO_TEAM + cases["locality"] + ")")


def capacity_vs_demand(authority: DemoAuthority, reach: str = "team") -> pd.DataFrame:
    """Today's demand against the capacity in reach, per case-holding team (``reach="team"``)
    or per locality (``reach="locality"``: every team based in the locality, and the children
    with no team yet who live there).

    Demand is every child the team holds or is waiting in it (children and points, sibling
    discount applied). Capacity is that of the workers available today, from
    `workforce.caseload.worker_caps`: at the safe standard (soft cap on children, points
    capacity) and at the hard cap.

    Returns
    -------
    DataFrame with `team` (or `locality`), `team_type`, `available_fte` (case-holding roles),
    `demand_children`,
    `demand_points`, `safe_children`, `hard_children`, `capacity_points`, `unallocated`,
    `demand_vs_safe` (children over safe children), `demand_vs_hard`, `points_vs_capacity`.
    """
    if reach not in ("team", "locality"):
        raise ValueError("reach must be 'team' or 'locality'")
    w, c = authority.workers, authority.cases
    caps = worker_caps(w)
    team_type = w.groupby("team")["team_type"].first() if "team_type" in w else pd.Series(dtype=str)
    loc_of = w.groupby("team")["locality"].first()
    pts = family_child_points(c)
    held = c["current_worker_id"] != ""
    worker_team = w.set_index("worker_id")["team"]
    scope = c["current_worker_id"].map(worker_team).where(held, _unallocated_scope(c))
    holds = caps["hard_children"] > 0
    staff = pd.DataFrame({"scope": w["team"], "fte": w["fte"].where(w["available"] & holds, 0.0),
                          "safe": caps["soft_children"], "hard": caps["hard_children"], "points": caps["capacity_points"]})
    demand = pd.DataFrame({"scope": scope, "children": 1, "points": pts, "unallocated": (~held).astype(int)})
    if reach == "locality":
        def to_locality(s: pd.Series) -> pd.Series:
            return s.map(loc_of).where(~s.str.startswith(NO_TEAM), s.str.slice(len(NO_TEAM), -1))
        staff["scope"] = to_locality(staff["scope"])
        demand["scope"] = to_locality(demand["scope"])
    cap = staff.groupby("scope").agg(available_fte=("fte", "sum"), safe_children=("safe", "sum"),
                                     hard_children=("hard", "sum"), capacity_points=("points", "sum"))
    dem = demand.groupby("scope").agg(demand_children=("children", "sum"), demand_points=("points", "sum"),
                                      unallocated=("unallocated", "sum"))
    out = cap.join(dem, how="outer").fillna(0.0)
    out = out[(out["safe_children"] > 0) | (out["demand_children"] > 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["demand_vs_safe"] = out["demand_children"] / out["safe_children"]
        out["demand_vs_hard"] = out["demand_children"] / out["hard_children"]
        out["points_vs_capacity"] = out["demand_points"] / out["capacity_points"]
    name = "team" if reach == "team" else "locality"
    out = out.reset_index(names=name)
    if reach == "team":
        out.insert(1, "team_type", out["team"].map(team_type).fillna(""))
    for col in ("demand_children", "unallocated", "safe_children", "hard_children"):
        out[col] = out[col].astype(int)
    return out.round(3)


def authority_summary(authority: DemoAuthority) -> dict:
    """Aggregate figures of a generated authority: size, census measures, workforce mix, case
    mix, today's loads against the capacity model's caps, continuity and leavers.

    Returns
    -------
    A JSON-ready dict.
    """
    w, c, h = authority.workers, authority.cases, authority.hr_history
    caps = worker_caps(w, availability=False)
    held = c[c["current_worker_id"] != ""]
    kids = w["worker_id"].map(held.groupby("current_worker_id").size()).fillna(0).to_numpy()
    holders = kids > 0
    role = w["role"].to_numpy()
    over_soft = holders & (kids > caps["soft_children"].to_numpy())
    over_hard = holders & (kids > caps["hard_children"].to_numpy())
    ps = role == "practice_supervisor"
    census = census_indicators(authority)
    teams = capacity_vs_demand(authority)
    real = teams[~teams["team"].str.startswith(NO_TEAM)]
    turnover = annual_turnover(h)
    people = h.drop_duplicates("worker_id")
    reasons = people.loc[~people["agency"], "leave_reason"].dropna().astype(int).value_counts().sort_index()
    agency_ends = int(people.loc[people["agency"], "leave_date"].notna().sum())
    priority_1_waiting = int(((c["current_worker_id"] == "") & (c["priority"] == 1)).sum())
    return {
        "profile": authority.params.profile,
        "as_of": authority.as_of.date().isoformat(),
        "census": {k: round(v, 4) if isinstance(v, float) else v for k, v in census.items()},
        "workers": int(len(w)),
        "case_holders": int(holders.sum()),
        "teams": int(w["team"].nunique()),
        "case_holding_teams": int((~teams["team"].str.startswith(NO_TEAM)).sum()),
        "localities": int(w.loc[w["locality"] != SERVICE_WIDE, "locality"].nunique()),
        "children": int(len(c)),
        "families": int(c["family_id"].nunique()),
        "roles": {r: int(n) for r, n in w["role"].value_counts().sort_index().items()},
        "asye_share_of_case_holders": round(float(w.loc[holders, "asye"].mean()), 3),
        "asye_share_of_case_holder_role": round(float(w.loc[w["role"] == "case_holder", "asye"].mean()), 3),
        "agency_case_holders": int((holders & w["agency"].to_numpy()).sum()),
        "unavailable_share": round(float((~w["available"]).mean()), 3),
        "case_mix": {t: round(float((c["case_type"] == t).mean()), 3) for t in CASE_TYPES},
        "court_share": round(float(c["court"].mean()), 3),
        "unallocated_children": int((c["current_worker_id"] == "").sum()),
        "unallocated_priority_1": priority_1_waiting,
        "waiting_families": authority.info.get("waiting_families", {}),
        "case_holders_over_soft_cap": int(over_soft.sum()),
        "case_holders_over_hard_cap": int(over_hard.sum()),
        "practice_supervisors_over_soft_cap": int((over_soft & ps).sum()),
        "teams_demand_over_safe": int((real["demand_vs_safe"] > 1).sum()),
        "teams_demand_over_hard": int((real["demand_vs_hard"] > 1).sum()),
        "children_2plus_workers_12m_share": round(float((c["workers_12m"] >= 2).mean()), 3),
        "children_3plus_workers_12m_share": round(float((c["workers_12m"] >= 3).mean()), 3),
        "pinned_children": int(c["pinned"].sum()),
        "children_with_required_skills": int((c["required_skills"] != "").sum()),
        "children_with_excluded_workers": int((c["excluded_workers"] != "").sum()),
        "hr_history_rows": int(len(h)),
        "snapshots": [pd.Timestamp(d).date().isoformat() for d in sorted(h["snapshot_date"].unique())],
        "turnover_by_year": {r.year_end_date.date().isoformat(): round(float(r.turnover_rate), 3) for r in turnover.itertuples()},
        "la_leavers_by_reason": {int(k): int(v) for k, v in reasons.items()},
        "agency_assignment_ends": agency_ends,
    }
