"""Typed frames for allocation tests (shaped like `load_workers` / `load_cases` output): tiny
hand-made ones, and random small authorities for property tests."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from workforce.caseload import CASE_TYPES
from workforce.contracts import default_priority


def worker(worker_id, team="A", locality="North", *, role="case_holder", asye=False, fte=1.0, skills="",
           available=True, capacity_points=float("nan"), max_children=float("nan")):
    return dict(worker_id=worker_id, team=team, locality=locality, role=role, asye=asye, agency=False, fte=fte,
                start_date=pd.Timestamp("2015-01-01"), skills=skills, available=available,
                capacity_points=capacity_points, max_children=max_children)


def case(case_id, family_id=None, *, case_type="cin", court=False, locality="North", team="A", current="",
         workers_12m=1, priority=None, required="", pinned=False, excluded=""):
    return dict(case_id=case_id, family_id=family_id or f"F{case_id}", case_type=case_type, court=court,
                locality=locality, team=team, current_worker_id=current, workers_12m=workers_12m,
                priority=priority, required_skills=required, pinned=pinned, excluded_workers=excluded)


def workers_frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def cases_frame(*rows) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    if df["priority"].isna().all():
        df = df.drop(columns="priority")
    return df


LOCALITIES = ("North", "South")
SKILLS = ("cp", "court", "disability", "adolescents")
ROLE_CHOICES = ("case_holder", "case_holder", "case_holder", "senior_practitioner", "advanced_practitioner",
                "practice_supervisor", "team_manager")

PROPERTY_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,  # the same examples on every run and every machine (no example database)
    database=None,
    # no shrinking: each example costs a solve, and shrinking a failure took minutes; the
    # derandomized failing example is printed as drawn and reproduces exactly
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _tags(draw, pool, max_size):
    return ";".join(sorted(draw(st.sets(st.sampled_from(pool), max_size=max_size))))


@st.composite
def authorities(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random small authority as typed (workers, cases) frames."""
    n_teams = draw(st.integers(2, 4))
    teams = [f"T{i}" for i in range(n_teams)]
    team_locality = {t: LOCALITIES[i % 2] for i, t in enumerate(teams)}
    n_workers = draw(st.integers(3, 10))
    workers = []
    for i in range(n_workers):
        team = draw(st.sampled_from(teams))
        role = draw(st.sampled_from(ROLE_CHOICES))
        workers.append(dict(
            worker_id=f"W{i}", team=team, locality=team_locality[team], role=role,
            asye=role == "case_holder" and draw(st.booleans()),
            agency=draw(st.booleans()),
            fte=draw(st.sampled_from([0.4, 0.6, 0.8, 1.0])),
            start_date=pd.Timestamp("2020-01-01"),
            skills=_tags(draw, SKILLS, 3),
            available=draw(st.sampled_from([True, True, True, False])),
            # tight overrides make the caps bind; NaN keeps the computed capacity
            capacity_points=draw(st.sampled_from([math.nan, math.nan, 8.0, 15.0, 30.0])),
            max_children=draw(st.sampled_from([math.nan, math.nan, math.nan, 1.0, 2.0, 4.0])),
        ))
    worker_ids = [w["worker_id"] for w in workers]
    n_children = draw(st.integers(5, 30))
    cases = []
    family = 0
    while len(cases) < n_children:
        family += 1
        size = min(draw(st.integers(1, 4)), n_children - len(cases))
        fam_team = draw(st.sampled_from(["", *teams]))
        fam_locality = team_locality[fam_team] if fam_team else draw(st.sampled_from(LOCALITIES))
        fam_current = draw(st.sampled_from(["", "", *worker_ids]))
        for _ in range(size):
            # a sibling now and then lives in the other locality or is held by another worker
            locality = draw(st.sampled_from([fam_locality, fam_locality, fam_locality, *LOCALITIES]))
            current = draw(st.sampled_from([fam_current] * 4 + ["", *worker_ids]))
            cases.append(dict(
                case_id=f"C{len(cases):03d}", family_id=f"F{family:03d}",
                case_type=draw(st.sampled_from(CASE_TYPES)), court=draw(st.sampled_from([False, False, True])),
                locality=locality, team=fam_team, current_worker_id=current,
                allocated_since=pd.Timestamp("2024-01-01") if current else pd.NaT,
                workers_12m=draw(st.integers(0, 4)),
                required_skills=draw(st.sampled_from(["", "", "", "cp", "court", "disability", "cp;court"])),
                pinned=bool(current) and draw(st.sampled_from([False, False, True])),
                excluded_workers=";".join(sorted(draw(st.sets(st.sampled_from(worker_ids), max_size=2))))
                if draw(st.integers(0, 4)) == 0 else "",
            ))
    w = pd.DataFrame(workers)
    c = pd.DataFrame(cases)
    c["priority"] = default_priority(c)  # as load_cases gives it
    return w, c
