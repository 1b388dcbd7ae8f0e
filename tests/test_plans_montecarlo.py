"""Monte Carlo: one engine for expected values and simulated futures; it varies demand, hiring
success, agency supply, L&D effects and agency day rates as well as who leaves; seeded; paired with carrying on."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from plans_frames import make_authority
from workforce.plans.assumptions import Assumptions
from workforce.plans.montecarlo import agency_cover, draws, montecarlo_summary
from workforce.plans.planner import build_plan

FAST = {"montecarlo.runs": 300}
UNCERTAIN = ("demand.referral_trend_rate", "recruitment.hire_success_rate", "supply.agency_fill_rate",
             "supply.new_hire_turnover_rate")
AGENCY_RATES = tuple(f"costs.agency_day_rate_{g}_gbp" for g in ("case_holder", "senior", "supervisor", "manager"))


@pytest.fixture(scope="module")
def authority():
    return make_authority(150, 2200, seed=11, teams=6, localities=3)


@pytest.fixture(scope="module")
def result(authority):
    return build_plan(*authority, Assumptions())


def fixed(a: Assumptions, names=UNCERTAIN) -> Assumptions:
    """`a` with the ranges of `names` (and every programme's effect) collapsed onto their values."""
    ranges = {n: (a.value_of(*n.split(".")),) * 2 for n in names}
    ranges |= {f"programme:{p.name}.leave_risk_reduction_rate": (p.leave_risk_reduction_rate,) * 2
               for p in a.programmes}
    return a.with_values({}, ranges=ranges)


def test_median_close_to_the_expected_plan(result, authority):
    mc = result.montecarlo.set_index("quarter")
    det = result.recruitment_totals.set_index("quarter")
    assert result.summary["montecarlo_runs"] == 1000
    rel = np.abs(mc["permanent_fte_p50"] - det["permanent_fte"]) / det["permanent_fte"]
    assert (rel < 0.03).all(), rel
    # futures short of staff buy agency and those with staff to spare release it: at the assumed
    # agency day rates the median cost is near the expected one
    a = Assumptions()
    at_rates = build_plan(*authority, a.with_values({}, ranges={n: (a.value_of(*n.split(".")),) * 2
                                                                for n in AGENCY_RATES}))
    cost = np.abs(at_rates.montecarlo.set_index("quarter")["cost_gbp_p50"] - det["cost_gbp"]) / det["cost_gbp"]
    assert (cost < 0.03).all(), cost
    # the rates' draws are at or below the assumed ones (the top of the evidence): below it
    assert (mc["cost_gbp_p50"] < det["cost_gbp"]).all()


def test_agency_cover_is_what_the_need_calls_for_within_the_plan_and_the_committed_terms():
    planned = np.array([10.0, 10.0, 10.0, 2.0])
    committed = np.array([0.0, 0.0, 4.0, 0.0])
    needed = np.array([6.0, 14.0, 1.0, -3.0])  # a surplus of own staff is a negative need
    got = agency_cover(planned, needed, committed)
    # binds: staff cover all but 6 of the need, so 4 planned FTE are not renewed; a surplus
    # renews none; not binding: a short team keeps its plan (it buys the rest, `bought`)
    assert got.tolist() == [6.0, 10.0, 4.0, 0.0]
    # committed assignments are paid even when not needed (third unit)
    assert (got >= committed).all()
    # carrying on's expected run has no plan: the need alone
    assert agency_cover(np.inf, needed, committed).tolist() == [6.0, 14.0, 4.0, 0.0]


def test_simulated_futures_release_agency_so_the_median_agency_rate_is_near_the_central_projection(result):
    """Futures with staff to spare release planned agency as short ones buy more, so the median
    agency rate stays near the central projection's instead of above it in every quarter."""
    mc = result.montecarlo.set_index("quarter")
    det = result.recruitment_totals.set_index("quarter")
    for sim, central in (("agency_rate_p50", "agency_rate"), ("carry_on_agency_rate_p50", "carry_on_agency_rate")):
        gap = mc[sim] - det[central]
        assert (gap.abs() < 0.01).all(), gap
        assert (mc[sim.replace("p50", "p10")] < det[central]).any()


def test_percentiles_ordered_and_spread_grows(result):
    mc = result.montecarlo
    for stem in ("capacity_case_holder_fte", "permanent_fte", "cost_gbp", "agency_rate", "shortfall_fte"):
        assert (mc[f"{stem}_p10"] <= mc[f"{stem}_p50"]).all() and (mc[f"{stem}_p50"] <= mc[f"{stem}_p90"]).all()
    spread = mc["permanent_fte_p90"] - mc["permanent_fte_p10"]
    assert spread.iloc[-1] > spread.iloc[0] > 0
    assert mc["p_shortfall"].between(0, 1).all()
    s = result.summary
    assert 0 <= s["p_shortfall_any_quarter"] <= 1 and s["p_shortfall_any_quarter"] >= mc["p_shortfall"].max()
    assert s["agency_rate_end_p10"] <= s["agency_rate_end_p50"] <= s["agency_rate_end_p90"]
    assert 0 <= s["p_meet_agency_target"] <= 1


def test_draws_stay_in_their_ranges_around_the_value():
    a = Assumptions()
    inp = SimpleNamespace(a=a, horizon=12, hazard=0.05)
    d = draws(inp, 4000, np.random.default_rng(0))
    lo, hi = a.range_of("recruitment", "hire_success_rate")
    assert lo <= d.success.min() and d.success.max() <= hi
    assert np.median(d.success) == pytest.approx(np.mean([lo, a.recruitment.hire_success_rate, hi]), abs=0.02)
    assert d.fill.max() <= 1.0 and d.fill.min() >= a.range_of("supply", "agency_fill_rate")[0]
    assert d.demand.std(axis=0)[-1] > d.demand.std(axis=0)[0] > 0  # the trend's spread grows with time
    assert d.effect.shape == (4000, len(a.programmes))
    one = draws(inp, 1, None)
    assert one.expected and (one.demand == 1).all() and one.success[0] == a.recruitment.hire_success_rate


def test_each_source_of_uncertainty_widens_the_band(authority):
    """Demand, hiring success, agency supply and effect sizes vary in the runs: with their ranges
    collapsed the bands narrow; demand's own band closes."""
    base = Assumptions().with_values(FAST)
    wide = build_plan(*authority, base)
    narrow = build_plan(*authority, fixed(base))
    need = lambda r: (r.montecarlo["need_case_holder_fte_p90"] - r.montecarlo["need_case_holder_fte_p10"]).iloc[-1]  # noqa: E731
    assert need(wide) > 0 and need(narrow) == pytest.approx(0.0, abs=1e-9)
    width = lambda r: r.summary["total_cost_gbp_p90"] - r.summary["total_cost_gbp_p10"]  # noqa: E731
    assert width(narrow) < width(wide)
    only_demand_fixed = build_plan(*authority, fixed(base, ("demand.referral_trend_rate",)))
    # hiring, agency supply and effects still vary: hiring success and new hires' leaving widen
    # the band of permanent staff, and agency supply short of a short quarter's need opens a
    # shortfall band (with every range collapsed the market supplies all of it). Not the cost
    # band: a future with fewer starters pays less pay and more agency, and futures with staff
    # to spare release agency as short ones buy it (`agency_cover`)
    band = lambda r, s: (r.montecarlo[f"{s}_p90"] - r.montecarlo[f"{s}_p10"]).iloc[-1]  # noqa: E731
    assert band(narrow, "permanent_fte") < band(only_demand_fixed, "permanent_fte")
    assert band(narrow, "shortfall_fte") == 0.0 < band(only_demand_fixed, "shortfall_fte")


def test_seeded(authority):
    a = Assumptions().with_values({"montecarlo.runs": 200})
    one = build_plan(*authority, a, seed=3).montecarlo
    two = build_plan(*authority, a, seed=3).montecarlo
    other = build_plan(*authority, a, seed=4).montecarlo
    assert one.equals(two)
    assert not one.equals(other)


def test_bigger_margin_lowers_shortfall_chance(authority):
    lo = build_plan(*authority, Assumptions().with_values({**FAST, "recruitment.cover_margin_rate": 0.0}))
    hi = build_plan(*authority, Assumptions().with_values({**FAST, "recruitment.cover_margin_rate": 0.08}))
    assert hi.summary["p_shortfall_any_quarter"] < lo.summary["p_shortfall_any_quarter"]


def outcome(cost, agency=None, la=None, shortfall=None):
    cost = np.asarray(cost, dtype=float)
    shape = cost.shape
    return SimpleNamespace(cost=cost, agency_fte=np.asarray(agency if agency is not None else np.ones(shape)),
                           la_fte=np.asarray(la if la is not None else np.full(shape, 4.0)),
                           shortfall=np.zeros(shape[:1] + (1,) + shape[1:]) if shortfall is None else shortfall)


def test_cost_band_and_saving_paired_run_by_run():
    """The saving's percentiles are of the per-run difference, not differences of percentiles."""
    a = Assumptions().with_values({"recruitment.agency_share_target": 0.2, "recruitment.agency_target_quarter": 2})
    inp = SimpleNamespace(a=a)
    plan = outcome([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], agency=[[1, 1], [1, 2], [1, 1]],
                   shortfall=np.array([[[0.0, 1.0]], [[0.0, 0.0]], [[0.0, 0.2]]]))
    carry_on = outcome([[2.0, 2.0], [2.0, 3.0], [4.0, 4.0]])
    s = montecarlo_summary(plan, carry_on, inp, runs=3, seed=0)
    assert s["p_shortfall_any_quarter"] == pytest.approx(1 / 3)  # 0.2 FTE is under the tolerance
    assert s["total_cost_gbp_p50"] == 4.0 and s["baseline_cost_gbp_p50"] == 5.0
    assert s["saving_gbp_p50"] == 2.0  # per run: 4-2, 5-4, 8-6
    assert s["saving_gbp_p10"] == pytest.approx(np.percentile([2.0, 1.0, 2.0], 10))
    assert s["saving_share_p50"] == pytest.approx(0.25)
    assert s["p_meet_agency_target"] == pytest.approx(2 / 3)  # run 2 ends at 2 / 6 > 20%
    assert s["agency_rate_end_p50"] == pytest.approx(0.2)


def test_carrying_on_replaces_case_holders_role_for_role():
    """role_for_role_holding: carrying on's experienced starter brings what today's experienced
    LA case holders hold per paid FTE (a practice supervisor holding half a caseload beside a case
    holder: three quarters each); a team manager holds no cases, so their post is refilled like
    for like (`Workforce.refilled`) and does not dilute the starters; agency staff and ASYEs do
    not count; a service of full case holders gives full caseloads."""
    from types import SimpleNamespace

    from workforce.plans.montecarlo import role_for_role_holding

    def wf(caps, agency, asye):
        caps = np.asarray(caps, dtype=float)
        return SimpleNamespace(agency=np.array(agency), asye_q=np.array(asye)[:, None],
                               holds=(caps > 0).any(axis=1)[:, None].repeat(3, axis=1),
                               paid_fte=np.ones(len(caps)), cap=np.repeat(caps[:, None, :], 3, axis=1))

    mixed = wf([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5], [1.0, 1.0], [0.6, 0.6]],
               [False, False, False, True, False], [False, False, False, False, True])
    np.testing.assert_allclose(role_for_role_holding(mixed), [0.75, 0.75])
    holders = wf([[1.0, 1.0], [1.0, 1.0]], [False, False], [False, False])
    np.testing.assert_allclose(role_for_role_holding(holders), [1.0, 1.0])


def test_team_rows_of_agency_add_up_to_the_service_total():
    """Agency staff outside the case-holding cover (an agency team manager) are in their team's
    row as in the total, so the Recruitment plan's team rows add up to the service's."""
    workers, cases, risk = make_authority(60, 800, seed=5, teams=3, localities=1)
    managers = workers.index[workers["role"] == "team_manager"]
    workers.loc[managers[0], "agency"] = True
    result = build_plan(workers, cases, risk, Assumptions().with_values(FAST))
    per_team = result.recruitment.groupby("quarter")[["agency_fte", "carry_on_agency_fte"]].sum()
    totals = result.recruitment_totals.set_index("quarter")
    assert np.allclose(per_team["agency_fte"], totals["agency_fte"])
    assert np.allclose(per_team["carry_on_agency_fte"], totals["carry_on_agency_fte"])
    team = workers.at[managers[0], "team"]
    assert (result.recruitment.loc[result.recruitment["unit"] == team, "agency_fte"] >= workers.at[managers[0], "fte"] - 1e-9).all()


def test_binding_dimension_takes_capacity_and_need_from_the_one_least_covered():
    """A unit covered 103% in points and 103.5% in children is covered, not 98% (the smaller
    capacity over the larger need mixed the two)."""
    from workforce.plans.montecarlo import binding_dimension

    cap = np.array([[15.7, 14.99], [10.0, 8.0], [3.0, 2.0]])
    need = np.array([[15.24, 14.48], [9.0, 10.0], [0.0, 0.0]])
    held, needed = binding_dimension(cap, need)
    np.testing.assert_allclose(held, [15.7, 8.0, 2.0])  # points binds, then children; no need: the smaller
    np.testing.assert_allclose(needed, [15.24, 10.0, 0.0])
    assert held[0] / needed[0] > 1.0 > cap[0].min() / need[0].max()



def test_agency_day_rates_drawn_in_their_range_one_multiplier_for_every_grade():
    """The agency day rates are sampled: draws differ, lie in each grade's range, and one draw
    moves every grade together (the default ranges are proportional, so one multiplier)."""
    a = Assumptions()
    inp = SimpleNamespace(a=a, horizon=12, hazard=0.05)
    d = draws(inp, 2000, np.random.default_rng(0))
    for g, name in enumerate(AGENCY_RATES):
        value = a.value_of(*name.split("."))
        lo, hi = a.range_of(*name.split("."))
        assert lo < value and hi == value  # low from the cited lower evidence, high the value
        drawn = d.agency_rate[:, g] * value
        assert lo - 1e-9 <= drawn.min() and drawn.max() <= hi + 1e-9
        assert drawn.std() > 0
    assert np.allclose(d.agency_rate, d.agency_rate[:, :1])  # the same multiplier in a run
    assert draws(inp, 1, None).agency_rate is None  # the central run keeps the rates
    # a planner's own ranges that are not proportional still move together: the same quantile
    own = a.with_values({}, ranges={AGENCY_RATES[0]: (200.0, 300.0), AGENCY_RATES[3]: (400.0, 446.3)})
    o = draws(SimpleNamespace(a=own, horizon=12, hazard=0.05), 500, np.random.default_rng(1)).agency_rate
    assert np.all(np.diff(o[np.argsort(o[:, 0]), 3]) >= -1e-12)


def test_agency_rate_range_widens_the_cost_bands_and_leaves_the_central_plan(authority):
    """The day rates' range widens the bands of what the plan and carrying on as now cost; the
    central run keeps the assumed rates. Each run prices both at the same rates (paired), so the
    saving moves with the difference in agency the two use, not with the rate's whole spread: its
    band moves, and need not widen (all draws are at or below the assumed rates)."""
    base = Assumptions().with_values(FAST)
    collapsed = base.with_values({}, ranges={n: (base.value_of(*n.split(".")),) * 2 for n in AGENCY_RATES})
    wide, narrow = build_plan(*authority, base), build_plan(*authority, collapsed)
    pd.testing.assert_frame_equal(wide.recruitment_totals, narrow.recruitment_totals)  # the central run
    width = lambda r, s: r.summary[f"{s}_p90"] - r.summary[f"{s}_p10"]  # noqa: E731
    assert width(wide, "total_cost_gbp") > width(narrow, "total_cost_gbp")
    assert width(wide, "baseline_cost_gbp") > width(narrow, "baseline_cost_gbp")
    assert any(wide.summary[f"saving_gbp_p{p}"] != narrow.summary[f"saving_gbp_p{p}"] for p in (10, 50, 90))
    # only the costs move: the same futures of staff and agency
    assert wide.summary["agency_rate_end_p50"] == narrow.summary["agency_rate_end_p50"]
    # every draw is at or below the assumed rates (the top of the evidence): the median cost falls
    assert wide.summary["total_cost_gbp_p50"] < narrow.summary["total_cost_gbp_p50"]


def _plan_pieces(authority, a: Assumptions, gateway=None, dec=None):
    """Today's and the plan's workforce, the programme's inputs and the plan's and carrying on's
    policies, as `build_plan` makes them; `gateway` and `dec` (the L&D offers and the recruitment
    decisions of another run) keep a plan chosen once while `a` prices it."""
    from workforce.plans.feasibility import feasibility_bounds
    from workforce.plans.gateway import apply_gateway, plan_gateway
    from workforce.plans.leaving import leaving_rates, worker_leaving
    from workforce.plans.montecarlo import carry_on_policy, plan_policy
    from workforce.plans.projection import build_workforce, plan_start_date, project
    from workforce.plans.recruitment import recruitment_inputs, solve_recruitment, unit_base
    from workforce.plans.start import apply_start

    workers, cases, risk = authority
    start = plan_start_date(a, workers, cases)
    rates = leaving_rates(a, None)
    workers, leaving = apply_start(workers, worker_leaving(workers, risk, None, rates, a), a, a.montecarlo.seed)
    wf_now = build_workforce(workers, leaving, a, start)
    gateway = gateway if gateway is not None else plan_gateway(wf_now, a, start)
    wf_plan = apply_gateway(wf_now, gateway, a)
    projection = project(workers, cases, wf_now, a, None)
    base = unit_base(wf_now, sorted(set(wf_now.unit)))
    inp = recruitment_inputs(a, wf_plan, projection.assign(locality=projection["locality"].astype(str)),
                             feasibility_bounds(a, base.agency_start_rate, base.la_fte_today),
                             gateway.spend_by_quarter, now=wf_now, observed=rates.starter_rates)
    dec = dec if dec is not None else solve_recruitment(inp)[0]
    plan = plan_policy(dec, gateway.spend_by_quarter, gateway.chosen, inp.coverage, inp.pipeline)
    return wf_now, wf_plan, inp, plan, carry_on_policy(rates.starter_rates, inp), gateway, dec


def test_a_run_prices_every_agency_pound_at_its_own_drawn_rate(authority):
    """One idea, one number in a run: a run whose draw is the low end of the agency day rates costs
    exactly what the same plan (its L&D offers and recruitment chosen once, at the assumed rates)
    costs centrally when the assumed rates are the low ones, so nothing in a run (the cover that
    backfills what L&D places take away and what leavers leave, today's agency staff) is still
    priced at the assumed rate; a run at the top of the range is the central run."""
    from dataclasses import replace

    from workforce.plans.montecarlo import agency_rate_draws, expected, run

    workers, cases, risk = authority
    workers = workers.copy()
    workers.loc[workers.index[workers["role"] == "team_manager"][0], "agency"] = True  # agency outside the cover
    authority = (workers, cases, risk)
    a = Assumptions().with_values({"montecarlo.runs": 10})
    wf_now, wf_plan, inp, plan, carry, gateway, dec = _plan_pieces(authority, a)
    assert (gateway.chosen >= 0).any()  # L&D places, and agency staff inside the cover and outside it
    assert (wf_now.agency & wf_now.holds[:, 0]).any() and (wf_now.agency & ~wf_now.holds[:, 0]).any()
    central = draws(inp, 1, None)
    low = replace(central, agency_rate=agency_rate_draws(a, np.zeros(1)))
    top = replace(central, agency_rate=agency_rate_draws(a, np.ones(1)))
    lows = {n: a.range_of(*n.split("."))[0] for n in AGENCY_RATES}
    assert all(lows[n] < a.value_of(*n.split(".")) for n in AGENCY_RATES)
    # the same plan, priced centrally at the low rates
    cheap_a = a.with_values(lows)
    cheap_now, cheap_plan, cheap_inp, cheap_rule, cheap_carry, *_ = _plan_pieces(authority, cheap_a, gateway, dec)
    for wf, cheap_wf, rule, cheap_rule_ in ((wf_plan, cheap_plan, plan, cheap_rule), (wf_now, cheap_now, carry,
                                                                                      cheap_carry)):
        at_low, repriced = run(wf, inp, rule, low), expected(cheap_wf, cheap_inp, cheap_rule_)
        np.testing.assert_allclose(at_low.cost, repriced.cost, rtol=1e-12)
        np.testing.assert_allclose(at_low.agency_cost, repriced.agency_cost, rtol=1e-12)
        np.testing.assert_array_equal(at_low.agency_fte, repriced.agency_fte)  # only prices move
        at_top, as_central = run(wf, inp, rule, top), expected(wf, inp, rule)
        np.testing.assert_allclose(at_top.cost, as_central.cost, rtol=1e-12)
        assert (at_low.cost < as_central.cost).all()
