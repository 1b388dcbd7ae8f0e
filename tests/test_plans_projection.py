"""Projection: stock and flow balance, ASYE ramp, agency contracts ending, demand arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plans_frames import make_authority, make_cases, make_workers
from workforce.caseload import family_child_points
from workforce.plans.assumptions import Assumptions
from workforce.plans.projection import (annual_leave_probability, build_workforce, plan_start_date, project,
                                        team_demand)

START = pd.Timestamp("2024-10-01")


def projection_for(workers, cases, risk=None, a=None):
    a = a or Assumptions()
    p = annual_leave_probability(workers, risk, a)
    wf = build_workforce(workers, p, a, START)
    return project(workers, cases, wf, a), wf


def test_stock_and_flow_balance_every_team_and_quarter():
    workers, cases, risk = make_authority(60, 600, seed=3)
    proj, _ = projection_for(workers, cases, risk)
    flow = proj["in_post_start_fte"] - proj["leavers_fte"] - proj["contracts_ended_fte"]
    np.testing.assert_allclose(flow, proj["in_post_end_fte"], atol=1e-9)
    for _, team in proj.groupby("team"):
        team = team.sort_values("quarter")
        np.testing.assert_allclose(team["in_post_start_fte"].iloc[1:].to_numpy(),
                                   team["in_post_end_fte"].iloc[:-1].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(proj["gap_fte"], proj["demand_fte"] - proj["supply_fte"])
    assert (proj["leavers_fte"] > 0).any()


def one_worker(**kw) -> pd.DataFrame:
    row = {"worker_id": "W1", "team": "T1", "locality": "L1", "role": "case_holder", "asye": False,
           "agency": False, "fte": 1.0, "start_date": pd.Timestamp("2020-01-01"), "skills": "",
           "available": True, "contract_end_date": pd.NaT}
    row.update(kw)
    return pd.DataFrame([row])


def test_asye_reaches_full_capacity_after_twelve_months():
    workers = one_worker(asye=True, start_date=pd.Timestamp("2024-04-01"))
    a = Assumptions().with_values({"supply.default_turnover_rate": 0.0})
    wf = build_workforce(workers, np.array([0.0]), a, START)
    # ends of quarters: 2024-12-31, 2025-03-31 (< 2025-04-01: still ASYE), 2025-06-30 (full)
    np.testing.assert_allclose(wf.capacity[0, :4], [0.9, 0.9, 1.0, 1.0])
    assert wf.asye_q[0, :3].tolist() == [True, True, False]


def test_agency_contract_ends_in_its_quarter():
    workers = one_worker(agency=True, contract_end_date=pd.Timestamp("2025-05-15"))
    cases = make_cases(make_workers(8), 20).assign(team="T1", locality="L1", current_worker_id="")
    proj, wf = projection_for(workers, cases, pd.DataFrame({"worker_id": ["W1"], "p_leave": [0.2]}))
    t = proj[proj["team"] == "T1"].sort_values("quarter")
    ended = t["contracts_ended_fte"].to_numpy()
    assert ended[2] > 0 and ended[[0, 1, 3]].sum() == 0  # quarter 3 holds 15 May 2025
    assert (t["in_post_end_fte"].to_numpy()[2:] == 0).all()
    assert (t["agency_fte"].to_numpy()[:2] > 0).all()


def test_agency_without_end_date_stays_default_quarters():
    a = Assumptions().with_values({"supply.agency_contract_quarters": 3})
    wf = build_workforce(one_worker(agency=True), np.array([0.0]), a, START)
    assert wf.end_q[0] == 4


def test_demand_is_points_over_target_grossed_up_and_grows():
    workers = make_workers(20, teams=2, localities=1)
    cases = make_cases(workers, 200)
    a = Assumptions().with_values({"demand.referral_trend_rate": 0.10})
    demand = team_demand(cases, workers, a)
    q1 = demand[demand["quarter"] == 1]
    total_points = family_child_points(cases).sum()
    assert q1["demand_points"].sum() == pytest.approx(total_points * 1.1 ** 0.25)
    q4 = demand[demand["quarter"] == 4]["demand_points"].sum()
    assert q4 == pytest.approx(total_points * 1.1)
    expect = q1["demand_points"] / 85.0 / (1 - a.demand.absence_rate)  # 100 points less 15 reserved [S29]
    np.testing.assert_allclose(q1["demand_fte"], expect)


def test_demand_and_asye_capacity_follow_the_capacity_model():
    """The plan's points per FTE and ASYE share are the capacity model's: change [caseload] and
    the plan follows (there is no second copy of either number among the plan assumptions)."""
    workers = make_workers(20, teams=2, localities=1)
    cases = make_cases(workers, 200)
    a = Assumptions()
    lighter = a.with_values({"caseload.reserved_points": 25.0, "caseload.asye_points_share": 0.5})
    base, edited = team_demand(cases, workers, a), team_demand(cases, workers, lighter)
    np.testing.assert_allclose(edited["demand_fte"], base["demand_fte"] * 85.0 / 75.0)
    one = one_worker(asye=True, start_date=START)
    wf = build_workforce(one, np.array([0.0]), lighter, START)
    assert wf.capacity[0, 0] == pytest.approx(0.5)


def test_unscored_workers_get_default_turnover_and_risk_horizon_converts():
    workers = make_workers(4)
    risk = pd.DataFrame({"worker_id": ["W0001"], "p_leave": [0.36]})
    a = Assumptions().with_values({"projection.risk_horizon_months": 24})
    p = annual_leave_probability(workers, risk, a)
    assert p[0] == pytest.approx(1 - 0.64 ** 0.5)
    assert (p[1:] == a.supply.default_turnover_rate).all()


def test_start_date_auto_is_next_quarter_after_latest_input_date():
    workers, cases, _ = make_authority(10, 30)
    assert plan_start_date(Assumptions(), workers, cases) == pd.Timestamp("2024-10-01")
    fixed = Assumptions().with_values({"projection.start_date": "2025-04-01"})
    assert plan_start_date(fixed, workers, cases) == pd.Timestamp("2025-04-01")
