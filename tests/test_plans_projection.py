"""Projection: stock and flow balance, the capacity model's caps (the same capacity the allocation
uses), required FTE of the real mix of roles, the ASYE year, agency terms and renewals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plans_frames import make_authority, make_cases, make_workers
from workforce.allocation.families import prepare_workers
from workforce.caseload import family_child_points, required_fte, worker_caps
from workforce.plans.assumptions import Assumptions
from workforce.plans.leaving import leaving_rates, worker_leaving
from workforce.plans.projection import (Workforce, build_workforce, case_holder_holding, plan_start_date, project,
                                        set_role, stock_frames, team_demand)

START = pd.Timestamp("2024-10-01")


def workforce_for(workers, risk=None, a=None):
    a = a or Assumptions()
    leaving = worker_leaving(workers, risk, None, leaving_rates(a, None), a)
    return build_workforce(workers, leaving, a, START), a


def projection_for(workers, cases, risk=None, a=None):
    wf, a = workforce_for(workers, risk, a)
    return project(workers, cases, wf, a), wf


def test_stock_and_flow_balance_every_team_and_quarter():
    workers, cases, risk = make_authority(60, 600, seed=3)
    proj, _ = projection_for(workers, cases, risk)
    np.testing.assert_allclose(proj["in_post_start_fte"] - proj["leavers_fte"], proj["in_post_end_fte"], atol=1e-9)
    np.testing.assert_allclose(proj["agency_start_fte"] - proj["agency_ends_fte"], proj["agency_fte"], atol=1e-9)
    np.testing.assert_allclose(proj[[f"leavers_{r}_fte" for r in ("voluntary", "retirement", "other")]].sum(axis=1),
                               proj["leavers_fte"], atol=1e-9)
    for _, team in proj.groupby("team"):
        team = team.sort_values("quarter")
        np.testing.assert_allclose(team["in_post_start_fte"].iloc[1:].to_numpy(),
                                   team["in_post_end_fte"].iloc[:-1].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(proj["gap_fte"], proj["required_fte"] - proj["capacity_fte"])
    assert (proj["leavers_fte"] > 0).any()


def one_worker(**kw) -> pd.DataFrame:
    row = {"worker_id": "W1", "team": "T1", "locality": "L1", "role": "case_holder", "asye": False,
           "agency": False, "fte": 1.0, "start_date": pd.Timestamp("2020-01-01"), "skills": "",
           "available": True, "contract_end_date": pd.NaT}
    row.update(kw)
    return pd.DataFrame([row])


def test_allocation_and_plans_give_the_same_capacity_for_the_same_workforce():
    """Issue 10: one capacity model. The plan's capacity of each worker is the allocation's: the
    points capacity and the soft cap on children of workforce.caseload for their role, FTE and
    ASYE status (whoever is available; on long leave the plan counts them from their return)."""
    workers = make_workers(80, seed=11, agency_share=0.2).assign(available=True)
    # ASYEs a month into their year: still ASYEs at the end of the plan's first quarter, as today
    workers.loc[workers["asye"], "start_date"] = START - pd.Timedelta(days=30)
    a = Assumptions()
    wf, _ = workforce_for(workers, None, a.with_values({"supply.default_turnover_rate": 0.0}))
    plan_held = wf.cap[:, 0, :] * case_holder_holding(a.caseload)
    allocation = prepare_workers(workers, a.caseload)
    np.testing.assert_allclose(plan_held[:, 0], allocation["capacity"].to_numpy())
    np.testing.assert_allclose(plan_held[:, 1], allocation["soft_max_children"].to_numpy())
    # and the plan's required FTE for demand exactly equal to what the workforce holds is its FTE
    held = worker_caps(workers, a.caseload, availability=False)
    need = required_fte(held["capacity_points"].sum(), held["soft_children"].sum(), workers, a.caseload)
    assert float(need) == pytest.approx(workers["fte"].sum())


def test_required_fte_is_the_capacity_model_s_for_each_team_s_real_mix():
    workers = make_workers(30, teams=2, localities=1, seed=2)
    cases = make_cases(workers, 300)
    a = Assumptions()
    demand = team_demand(cases, workers, a)
    q1 = demand[demand["quarter"] == 1].set_index("team")
    for team, mix in workers.groupby("team"):
        want = required_fte(q1.loc[team, "demand_points"], q1.loc[team, "demand_children"], mix, a.caseload)
        assert q1.loc[team, "required_fte"] == pytest.approx(float(want) / (1 - a.demand.absence_rate))
    assert q1["demand_children"].sum() == pytest.approx(len(cases))
    assert q1["demand_points"].sum() == pytest.approx(family_child_points(cases, a.caseload).sum())
    # a team manager in the mix holds nothing: the same children need more FTE of that mix
    lighter = a.with_values({"caseload.roles.case_holder.soft_children": 12})
    assert team_demand(cases, workers, lighter)["required_fte"].sum() > demand["required_fte"].sum()


def test_asye_holds_the_asye_caps_for_twelve_months():
    workers = one_worker(asye=True, start_date=pd.Timestamp("2024-04-01"))
    wf, a = workforce_for(workers, None, Assumptions().with_values({"supply.default_turnover_rate": 0.0}))
    unit = case_holder_holding(a.caseload)
    # ends of quarters: 2024-12-31, 2025-03-31 (< 2025-04-01: still ASYE), 2025-06-30 (full)
    np.testing.assert_allclose(wf.cap[0, :3, 0] * unit[0], [85 * 0.9, 85 * 0.9, 85])
    np.testing.assert_allclose(wf.cap[0, :3, 1] * unit[1], [10, 10, 16])
    assert wf.asye_q[0, :3].tolist() == [True, True, False]
    assert wf.cost_q[0, 0] < wf.cost_q[0, 2]  # newly qualified grade, then the qualified one


def test_agency_committed_to_the_contract_end_then_renewing_at_the_observed_rate():
    workers = one_worker(agency=True, contract_end_date=pd.Timestamp("2025-05-15"))
    wf, a = workforce_for(workers)
    assert wf.end_q[0] == 3  # quarter 3 holds 15 May 2025
    s = wf.survival(renew=False)[0]
    np.testing.assert_allclose(s[:4], [1, 1, 1, 0])
    renewing = wf.survival(renew=True)[0]
    h = wf.agency_hazard[0]
    np.testing.assert_allclose(renewing[2:5], [1, 1 - h, (1 - h) ** 2])
    assert (wf.hazard[0] == 0).all()  # agency staff are not census leavers


def test_agency_without_end_date_gets_the_committed_term():
    wf, _ = workforce_for(one_worker(agency=True), None, Assumptions().with_values({"supply.agency_contract_quarters": 3}))
    assert wf.end_q[0] == 4


def test_a_career_step_changes_pay_and_capacity():
    workers = one_worker()
    wf, a = workforce_for(workers)
    before_cost, before_cap = wf.cost_q[0].copy(), wf.cap[0].copy()
    set_role(wf, 0, "practice_supervisor", 3, a)
    assert (wf.cost_q[0, :2] == before_cost[:2]).all() and (wf.cost_q[0, 2:] > before_cost[2:]).all()
    np.testing.assert_allclose(wf.cap[0, 2:], before_cap[2:] * 0.5)  # half a caseload [brief s3]
    set_role(wf, 0, "team_manager", 5, a)
    assert (wf.cap[0, 4:] == 0).all() and not wf.holds[0, 4:].any()


def test_start_date_auto_is_next_quarter_after_latest_input_date():
    workers, cases, _ = make_authority(10, 30)
    assert plan_start_date(Assumptions(), workers, cases) == pd.Timestamp("2024-10-01")
    fixed = Assumptions().with_values({"projection.start_date": "2025-04-01"})
    assert plan_start_date(fixed, workers, cases) == pd.Timestamp("2025-04-01")


def test_a_start_date_typed_years_ahead_is_named_as_the_plan_s_start():
    """One start_date typed 2031 for 2021 makes 2031 the inputs' date and moves the whole plan:
    the plan says which record set its first day, so the planner can find the row to correct."""
    from workforce.plans.planner import build_plan

    workers, cases, risk = make_authority(30, 300)
    typo = workers.index[3]
    workers.loc[typo, "start_date"] = pd.Timestamp("2031-01-06")
    who = workers.loc[typo, "worker_id"]
    assert plan_start_date(Assumptions(), workers, cases) == pd.Timestamp("2031-04-01")
    s = build_plan(workers, cases, risk, Assumptions().with_values({"montecarlo.runs": 50})).summary
    assert s["start_date"] == "2031-04-01"
    assert s["start_date_basis"] == f"the first quarter to start after 6 January 2031, the latest date in the inputs: worker {who}'s start_date"
    fixed = Assumptions().with_values({"projection.start_date": "2025-04-01", "montecarlo.runs": 50})
    assert build_plan(workers, cases, risk, fixed).summary["start_date_basis"] == "set by the assumption projection.start_date"


def test_posts_that_hold_no_cases_stay_filled_when_refilled():
    """`Workforce.refilled`: an LA manager who leaves is replaced like for like and an agency
    manager's assignment is renewed, so both posts stay filled with `refill`; a case holder
    leaves as the hazards say either way; without `refill` (what today's staff hold if nobody
    were hired) every post empties by its hazards."""
    H = 4
    holds = np.array([[False] * H, [False] * H, [True] * H])
    hazard = np.zeros((3, H, 3))
    hazard[[0, 2], :, 0] = 0.1  # LA staff leave at 10% a quarter
    wf = Workforce(workers=pd.DataFrame({"worker_id": ["TM", "AGM", "CH"]}), unit=np.array(["U"] * 3),
                   team=np.array(["T"] * 3), paid_fte=np.ones(3), agency=np.array([False, True, False]), holds=holds,
                   cap=np.zeros((3, H, 2)), hazard=hazard, agency_hazard=np.array([0.0, 0.5, 0.0]),
                   end_q=np.array([H + 1, 1, H + 1]), cost_q=np.ones((3, H)), asye_q=np.zeros((3, H), dtype=bool),
                   starts=pd.date_range("2025-01-01", periods=H + 1, freq="QS"), horizon=H)
    kept = wf.survival(refill=True)
    np.testing.assert_allclose(kept[:2], 1.0)  # the manager and the agency manager's posts stay filled
    np.testing.assert_allclose(kept[2], 0.9 ** np.arange(H + 1))
    empties = wf.survival(refill=False)
    assert empties[0, -1] < 1.0 and empties[1, -1] < 1.0
    s = stock_frames(wf, refill=True)
    np.testing.assert_allclose(s["leavers"][0], 0.1)  # the manager's leavers still count, each quarter
    np.testing.assert_allclose(s["end"][0], 1.0)  # and the post is filled again
    np.testing.assert_allclose(s["leavers"][1], 0.0)  # agency staff are not census leavers
    np.testing.assert_allclose(s["end"][2], 0.9 ** np.arange(1, H + 1))  # the case holder is not refilled
