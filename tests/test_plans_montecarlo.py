"""Monte Carlo: seeded, ordered percentiles, median close to the deterministic plan."""

from __future__ import annotations

import numpy as np
import pytest

from plans_frames import make_authority
from workforce.plans.assumptions import Assumptions
from workforce.plans.planner import build_plan


@pytest.fixture(scope="module")
def authority():
    return make_authority(150, 2200, seed=11, teams=6, localities=3)


@pytest.fixture(scope="module")
def result(authority):
    return build_plan(*authority, Assumptions())


def test_median_close_to_deterministic_projection(result):
    mc = result.montecarlo.set_index("quarter")
    det = result.recruitment_totals.set_index("quarter")
    assert result.summary["montecarlo_runs"] == 1000
    rel = np.abs(mc["permanent_fte_p50"] - det["permanent_fte"]) / det["permanent_fte"]
    assert (rel < 0.02).all(), rel
    # cost: the same arithmetic as the plan, plus the agency bought when a unit falls short in a run
    assert (mc["cost_gbp_p50"] >= det["cost_gbp"] * 0.995).all()
    assert (mc["extra_agency_fte_p90"] >= mc["extra_agency_fte_p50"]).all()


def test_cost_without_extra_agency_matches_plan(authority):
    from workforce.plans.gateway import plan_gateway
    from workforce.plans.montecarlo import simulate
    from workforce.plans.projection import annual_leave_probability, build_workforce, plan_start_date, project
    from workforce.plans.recruitment import evaluate, recruitment_inputs, solve_recruitment

    workers, cases, risk = authority
    a = Assumptions()
    start = plan_start_date(a, workers, cases)
    gw = plan_gateway(workers, annual_leave_probability(workers, risk, a), a, start)
    wf = build_workforce(workers, gw.p_year_after, a, start)
    inp = recruitment_inputs(a, wf, project(workers, cases, wf, a), gw.spend_by_quarter)
    dec, _, _ = solve_recruitment(inp)
    det = evaluate(inp, inp.base, dec).cost.sum(axis=0) + gw.spend_by_quarter
    sim = simulate(wf, inp, dec, runs=1000, seed=0)
    planned = np.median(sim["cost_gbp"] - sim["extra_agency_cost_gbp"], axis=0)
    assert (np.abs(planned / det - 1) < 0.01).all()


def test_percentiles_ordered_and_spread_grows(result):
    mc = result.montecarlo
    for stem in ("supply_fte", "permanent_fte", "cost_gbp"):
        assert (mc[f"{stem}_p10"] <= mc[f"{stem}_p50"]).all() and (mc[f"{stem}_p50"] <= mc[f"{stem}_p90"]).all()
    spread = mc["permanent_fte_p90"] - mc["permanent_fte_p10"]
    assert spread.iloc[-1] > spread.iloc[0] > 0
    assert mc["p_shortfall"].between(0, 1).all()
    assert 0 <= result.summary["p_shortfall_any_quarter"] <= 1
    assert result.summary["p_shortfall_any_quarter"] >= mc["p_shortfall"].max()


def test_seeded(authority):
    a = Assumptions().with_values({"montecarlo.runs": 200})
    one = build_plan(*authority, a, seed=3).montecarlo
    two = build_plan(*authority, a, seed=3).montecarlo
    other = build_plan(*authority, a, seed=4).montecarlo
    assert one.equals(two)
    assert not one.equals(other)


def test_bigger_margin_lowers_shortfall_chance(authority):
    lo = build_plan(*authority, Assumptions().with_values({"montecarlo.runs": 300, "recruitment.cover_margin_rate": 0.0}))
    hi = build_plan(*authority, Assumptions().with_values({"montecarlo.runs": 300, "recruitment.cover_margin_rate": 0.06}))
    assert hi.summary["p_shortfall_any_quarter"] < lo.summary["p_shortfall_any_quarter"]


def test_cost_band_and_saving_paired_run_by_run():
    """The saving's percentiles are of the per-run difference, not differences of percentiles."""
    from workforce.plans.montecarlo import montecarlo_summary

    plan = {"cost_gbp": np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), "shortfall": np.array([[0, 1], [0, 0], [0, 0]], bool)}
    carry_on = {"cost_gbp": np.array([[2.0, 2.0], [2.0, 3.0], [4.0, 4.0]])}
    s = montecarlo_summary(plan, runs=3, seed=0, baseline=carry_on)
    assert s["p_shortfall_any_quarter"] == pytest.approx(1 / 3)
    assert s["total_cost_gbp_p50"] == 4.0 and s["baseline_cost_gbp_p50"] == 5.0
    assert s["saving_gbp_p50"] == 2.0  # per run: 4-2, 5-4, 8-6
    assert s["saving_gbp_p10"] == pytest.approx(np.percentile([2.0, 1.0, 2.0], 10))
    assert s["saving_share_p50"] == pytest.approx(0.25)
