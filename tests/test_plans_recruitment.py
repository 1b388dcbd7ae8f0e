"""Recruitment plan: demand met every quarter, lead times, agency target, caps, honest status,
savings against carrying on as now (including the Sandwell-like start)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plans_frames import make_authority
from workforce.plans.assumptions import Assumptions
from workforce.plans.costs import lead_time_quarters
from workforce.plans.planner import build_plan
from workforce.plans.scenarios import scenario_assumptions

FAST = {"montecarlo.runs": 100}


@pytest.fixture(scope="module")
def authority():
    return make_authority(90, 1300, seed=7, teams=5, localities=2)


@pytest.fixture(scope="module")
def result(authority):
    return build_plan(*authority, Assumptions().with_values(FAST))


def test_supply_covers_demand_every_unit_and_quarter(result):
    r = result.recruitment
    margin = result.assumptions.recruitment.cover_margin_rate
    assert result.summary["recruitment_status"] in ("optimal", "feasible")
    assert (r["effective_fte"] + r["agency_fte"] >= r["demand_fte"] * (1 + margin) - 1e-6).all()


def test_stock_and_flow_balance_with_hires(result):
    r = result.recruitment
    np.testing.assert_allclose(r["permanent_start_fte"] + r["starters_fte"] - r["leavers_fte"], r["permanent_fte"],
                               atol=1e-9)
    for _, unit in r.groupby("unit"):
        unit = unit.sort_values("quarter")
        np.testing.assert_allclose(unit["permanent_start_fte"].iloc[1:].to_numpy(),
                                   unit["permanent_fte"].iloc[:-1].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(r["starters_fte"], r["hires_starting"] + r["nq_intake"])


def test_lead_time_hires_start_later(result):
    lead = lead_time_quarters(result.assumptions)
    assert lead == 2  # 12 weeks to hire + 8 weeks' notice = 20 weeks
    totals = result.recruitment_totals.set_index("quarter")
    H = len(totals)
    assert (totals.loc[1:lead, "hires_starting"] == 0).all()
    np.testing.assert_array_equal(totals.loc[lead + 1:, "hires_starting"].to_numpy(),
                                  totals.loc[1:H - lead, "permanent_hires"].to_numpy())
    assert (totals.loc[H - lead + 1:, "permanent_hires"] == 0).all()
    assert totals["permanent_hires"].sum() > 0


def test_agency_target_caps_and_cohorts(result):
    a = result.assumptions.recruitment
    t = result.recruitment_totals
    after = t[t["quarter"] >= a.agency_target_quarter]
    assert (after["agency_share"] <= a.agency_share_target + 1e-6).all()
    assert result.summary["agency_target_met"]
    assert (t["permanent_hires"] <= a.hiring_capacity_per_quarter).all()
    starts = t.set_index("quarter")["quarter_start_date"]
    cohort_q = [q for q, d in starts.items() if any(pd.Timestamp(d.year, m, 1) >= d and
                                                    pd.Timestamp(d.year, m, 1) < d + pd.DateOffset(months=3)
                                                    for m in a.nq_cohort_months)]
    assert set(t.loc[t["nq_intake"] > 0, "quarter"]) <= set(cohort_q)
    assert (t["nq_intake"] <= a.nq_places_per_cohort).all()


def test_baseline_carries_on_with_agency_and_costs_more(result):
    t = result.recruitment_totals
    r = result.recruitment
    margin = result.assumptions.recruitment.cover_margin_rate
    assert (t["baseline_agency_fte"] >= 0).all()
    assert t["baseline_permanent_fte"].is_monotonic_decreasing  # no hires: leavers only
    s = result.summary
    assert s["saving_gbp"] == pytest.approx(s["baseline_cost_gbp"] - s["plan_cost_gbp"])
    assert s["saving_pct"] == pytest.approx(100 * s["saving_gbp"] / s["baseline_cost_gbp"])
    assert t["cost_gbp"].sum() == pytest.approx(s["plan_cost_gbp"])
    assert (r["baseline_agency_fte"] >= r["demand_fte"] * (1 + margin) * 0).all()


def test_sandwell_like_plan_cuts_agency_share_and_cost(authority):
    a = scenario_assumptions("sandwell_like", Assumptions().with_values(FAST))
    res = build_plan(*authority, a)
    s = res.summary
    assert s["agency_share_start"] >= 0.32
    assert s["start_turnover_rate"] == pytest.approx(0.22, abs=1e-6)
    assert s["agency_share_end"] < s["agency_share_start"]
    assert s["agency_share_end"] < s["baseline_agency_share_end"]
    assert s["plan_cost_gbp"] < s["baseline_cost_gbp"]
    t = res.recruitment_totals
    assert t["agency_share"].iloc[-1] < t["baseline_agency_share"].iloc[-1]


def test_impossible_targets_report_infeasible_with_closest_plan(authority):
    a = Assumptions().with_values({**FAST, "recruitment.hiring_capacity_per_quarter": 0,
                                   "recruitment.nq_places_per_cohort": 0, "recruitment.agency_share_target": 0.0,
                                   "recruitment.agency_target_quarter": 1})
    res = build_plan(*authority, a)
    s = res.summary
    assert s["recruitment_status"] == "infeasible"
    assert s["recruitment_relaxed"] is True and s["agency_target_met"] is False
    r = res.recruitment
    assert (r["effective_fte"] + r["agency_fte"] >= r["demand_fte"] - 1e-6).all()


def test_budget_limits_total_cost(authority, result):
    unconstrained = result.summary["plan_cost_gbp"]
    tight = result.summary["baseline_cost_gbp"] * 0.5  # far below anything that covers demand
    res = build_plan(*authority, Assumptions().with_values({**FAST, "recruitment.budget_gbp": tight}))
    assert res.summary["recruitment_status"] == "infeasible"
    roomy = Assumptions().with_values({**FAST, "recruitment.budget_gbp": unconstrained * 1.01})
    ok = build_plan(*authority, roomy)
    assert ok.summary["recruitment_status"] in ("optimal", "feasible")
    assert ok.summary["plan_cost_gbp"] <= unconstrained * 1.01 + 1e-6


def test_locality_units(authority):
    res = build_plan(*authority, Assumptions().with_values({**FAST, "recruitment.unit": "locality"}))
    assert set(res.recruitment["unit"]) == set(authority[0]["locality"])
