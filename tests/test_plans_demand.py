"""Demand for the plans: the child's journey (`workforce_requirement`) moves each team's demand,
and demand a lever avoids shows up as hires and agency the plan does not need."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plans_frames import make_authority
from workforce.errors import InputError
from workforce.plans.assumptions import Assumptions
from workforce.plans.demand import ALL_TYPES, demand_index, team_demand
from workforce.plans.planner import build_plan


def requirement(points: list[float], children: list[float], team_type: str = "locality") -> pd.DataFrame:
    """A `workforce_requirement`-shaped frame: quarter 0 (the start) then 1, 2, ..."""
    n = len(points)
    return pd.DataFrame({
        "quarter": range(n), "quarter_end": pd.date_range("2024-09-30", periods=n, freq="QE"),
        "year": 2024, "team_type": team_type, "social_work": True, "demand_points": points,
        "demand_children": children, "required_fte": np.nan,
    })


def test_index_is_relative_to_the_start_and_holds_the_last_quarter():
    frame = pd.concat([requirement([100, 90, 80], [20, 20, 10]),
                       requirement([5, 5, 5], [1, 1, 1], "leaving_care").assign(social_work=False)])
    index = demand_index(frame, horizon=4)
    np.testing.assert_allclose(index["locality"], [[0.9, 0.8, 0.8, 0.8], [1.0, 0.5, 0.5, 0.5]])
    assert "leaving_care" not in index  # personal advisers are not social-work demand
    np.testing.assert_allclose(index[ALL_TYPES], index["locality"])


def test_teams_follow_their_type_else_the_whole_service():
    workers, cases, _ = make_authority(40, 500, seed=2, teams=2, localities=1)
    rules = Assumptions().caseload
    today = team_demand(cases, workers, rules, 4, 0.0)
    typed = workers.assign(team_type=np.where(workers["team"] == "T1", "locality", "children_in_care"))
    frame = pd.concat([requirement([100, 50], [10, 5]), requirement([10, 10], [10, 20], "children_in_care")])
    moved = team_demand(cases, typed, rules, 4, 0.0, frame).set_index(["team", "quarter"])
    base = today.set_index(["team", "quarter"])
    assert moved.loc[("T1", 2), "demand_points"] == pytest.approx(0.5 * base.loc[("T1", 2), "demand_points"])
    assert moved.loc[("T2", 3), "demand_children"] == pytest.approx(2.0 * base.loc[("T2", 3), "demand_children"])
    untyped = team_demand(cases, workers, rules, 4, 0.0, frame).set_index(["team", "quarter"])
    whole = (50 + 10) / (100 + 10)
    assert untyped.loc[("T2", 1), "demand_points"] == pytest.approx(whole * base.loc[("T2", 1), "demand_points"])


def test_avoided_demand_means_fewer_hires_and_less_agency():
    workers, cases, risk = make_authority(60, 900, seed=4, teams=3, localities=1)
    a = Assumptions().with_values({"montecarlo.runs": 50})
    flat = build_plan(workers, cases, risk, a, demand=requirement([100.0] * 13, [20.0] * 13))
    cut = build_plan(workers, cases, risk, a, demand=requirement(list(np.linspace(100, 70, 13)),
                                                                list(np.linspace(20, 14, 13))))
    assert cut.projection["required_fte"].sum() < 0.9 * flat.projection["required_fte"].sum()
    hires = lambda r: r.recruitment_totals["permanent_hires"].sum() + r.recruitment_totals["nq_intake"].sum()
    assert hires(cut) <= hires(flat)
    assert cut.recruitment_totals["agency_fte"].sum() < flat.recruitment_totals["agency_fte"].sum()
    assert cut.summary["plan_cost_gbp"] < flat.summary["plan_cost_gbp"]


def test_a_frame_that_is_not_a_requirement_is_refused():
    workers, cases, risk = make_authority(20, 200)
    with pytest.raises(InputError, match="demand_children"):
        build_plan(workers, cases, risk, demand=pd.DataFrame({"quarter": [0], "team_type": ["x"],
                                                              "demand_points": [1.0]}))
