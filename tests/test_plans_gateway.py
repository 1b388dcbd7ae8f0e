"""L&D gateway: budget, places and eligibility respected; flight risk targeted, never retirement;
capacity taken away and career steps costed; the obvious best picked on a tiny case."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from plans_frames import make_authority
from workforce.plans.assumptions import Assumptions, Programme
from workforce.plans.costs import agency_cost_per_fte_year, cost_of_leaver_gbp
from workforce.plans.gateway import (apply_gateway, eligibility, eligible_asye, eligible_available, plan_gateway,
                                    reason_incidence, tenure_years)
from workforce.plans.leaving import Leaving, leaving_rates, split_hazard, worker_leaving
from workforce.plans.projection import build_workforce

START = pd.Timestamp("2024-10-01")


def tiny_workers() -> pd.DataFrame:
    return pd.DataFrame({
        "worker_id": ["W1", "W2", "W3", "W4"], "team": "T1", "locality": "L1",
        "role": ["case_holder", "case_holder", "senior_practitioner", "case_holder"],
        "asye": [False, False, False, False], "agency": [False, False, False, True], "fte": 1.0,
        "start_date": pd.to_datetime(["2021-01-01", "2023-06-01", "2015-01-01", "2020-01-01"]),
        "available": True,
    })


def tiny_assumptions(budget: float, programmes=None) -> Assumptions:
    progs = programmes or (
        Programme("relief", 1000.0, 1, ("case_holder", "senior_practitioner"), "any", 0.0, 60.0, 1, 0.5, 0.0, ""),
        Programme("pathway", 500.0, 5, ("case_holder",), "exclude", 2.0, 60.0, 1, 0.2, 0.0, ""),
    )
    a = Assumptions().with_values({"gateway.budget_gbp": budget, "projection.horizon_quarters": 4})
    return dataclasses.replace(a, programmes=progs)


def workforce(workers: pd.DataFrame, a: Assumptions, voluntary: list[float], retirement: list[float] | None = None):
    """Workers whose chance of leaving within a year is `voluntary` + `retirement`, split so."""
    vol, ret = np.array(voluntary), np.array(retirement or [0.0] * len(voluntary))
    total = vol + ret
    shares = np.column_stack([np.divide(vol, total, out=np.zeros_like(vol), where=total > 0),
                              np.divide(ret, total, out=np.zeros_like(ret), where=total > 0), np.zeros(len(vol))])
    hazard = np.repeat(split_hazard(total, shares)[:, None, :], a.projection.horizon_quarters, axis=1)
    agency = workers["agency"].to_numpy()
    hazard[agency] = 0.0
    rates = leaving_rates(a, None)
    leaving = Leaving(hazard, np.where(agency, 0.1, 0.0), np.full(len(workers), "test", dtype=object), rates)
    return build_workforce(workers, leaving, a, START)


def test_tiny_case_picks_the_obvious_best():
    workers = tiny_workers()
    a = tiny_assumptions(budget=1500.0)
    plan = plan_gateway(workforce(workers, a, [0.6, 0.5, 0.3, 0.9]), a, START)
    chosen = dict(zip(plan.workers["worker_id"], plan.workers["programme"]))
    # One relief place; W2 (under 2 years) cannot take the pathway, W3 (senior) is not a pathway
    # role, W4 is agency. Relief for W1 alone nets 0.3 L - 1000; the pathway for W1 plus relief
    # for W2 nets 0.12 L - 500 + 0.25 L - 1000, which is more (L = cost of a leaver).
    leaver = cost_of_leaver_gbp(a, "case_holder")
    assert 0.37 * leaver - 1500 > 0.3 * leaver - 1000
    assert chosen == {"W1": "pathway", "W2": "relief", "W3": "", "W4": ""}
    assert plan.report.status == "optimal"
    w2 = plan.workers.iloc[1]
    assert w2["expected_saving_gbp"] == pytest.approx(0.5 * 0.5 * leaver)
    assert plan.workers["net_saving_gbp"].sum() == pytest.approx(0.37 * leaver - 1500)


def test_tiny_case_matches_brute_force():
    workers = tiny_workers()
    p = [0.6, 0.5, 0.3, 0.9]
    for budget in (0.0, 400.0, 600.0, 1200.0, 1600.0, 5000.0):
        a = tiny_assumptions(budget)
        plan = plan_gateway(workforce(workers, a, p), a, START)
        ok = eligibility(workers, tenure_years(workers, START), a.programmes)
        best = 0.0
        for combo in itertools.product([-1, 0, 1], repeat=len(workers)):
            if any(j >= 0 and not ok[i, j] for i, j in enumerate(combo)):
                continue
            if any(sum(1 for j in combo if j == k) > a.programmes[k].places for k in range(2)):
                continue
            cost = sum(a.programmes[j].cost_per_place_gbp for j in combo if j >= 0)
            if cost > budget:
                continue
            value = sum(p[i] * a.programmes[j].leave_risk_reduction_rate
                        * cost_of_leaver_gbp(a, workers.at[i, "role"]) - a.programmes[j].cost_per_place_gbp
                        for i, j in enumerate(combo) if j >= 0)
            best = max(best, value)
        assert plan.workers["net_saving_gbp"].sum() == pytest.approx(best), budget


def test_the_gateway_never_targets_retirement():
    """Two workers equally likely to leave: one to resign, one to retire. Only the one at risk of
    resigning is offered a place; the retirement risk is shown but worth nothing to the gateway."""
    workers = tiny_workers().iloc[:2].assign(start_date=pd.Timestamp("2015-01-01"))
    a = tiny_assumptions(budget=10000.0)
    plan = plan_gateway(workforce(workers, a, [0.5, 0.0], [0.0, 0.5]), a, START)
    offered = plan.workers.set_index("worker_id")
    assert offered.loc["W1", "programme"] != "" and offered.loc["W2", "programme"] == ""
    assert offered.loc["W2", "p_retirement"] > 0.4 and offered.loc["W2", "expected_saving_gbp"] == 0
    for seed in (1, 2):
        w, cases, risk = make_authority(120, 1500, seed=seed)
        risk = risk.assign(p_voluntary_12m=risk["p_leave"] * 0.5, p_retire_12m=risk["p_leave"] * 0.5, p_other_12m=0.0)
        a = Assumptions()
        wf = build_workforce(w, worker_leaving(w, risk, None, leaving_rates(a, None), a), a, START)
        flight = reason_incidence(wf.hazard, wf.horizon)[:, 0]
        res = plan_gateway(wf, a, START)
        got = res.workers
        # the value of every place is its voluntary risk's: identical retirement risk adds nothing
        np.testing.assert_allclose(got["expected_leavers_avoided"],
                                   flight * np.where(got["programme"] != "", [dict((p.name, p.leave_risk_reduction_rate)
                                                     for p in a.programmes).get(n, 0.0) for n in got["programme"]], 0.0))


def test_capacity_taken_away_is_costed_and_covered():
    workers = tiny_workers().iloc[:1].assign(start_date=pd.Timestamp("2015-01-01"))
    relief = Programme("relief", 1000.0, 1, ("case_holder",), "any", 0.0, 60.0, 2, 0.5, 0.25, "")
    a = tiny_assumptions(budget=5000.0, programmes=(relief,))
    wf = workforce(workers, a, [0.9])
    plan = plan_gateway(wf, a, START)
    row = plan.workers.iloc[0]
    assert row["programme"] == "relief"
    assert row["capacity_cost_gbp"] == pytest.approx(0.25 * 2 * 1.0 * agency_cost_per_fte_year(a) / 4)
    after = apply_gateway(wf, plan, a)
    np.testing.assert_allclose(after.cap[0, :2], wf.cap[0, :2] * 0.75)  # while it runs
    np.testing.assert_allclose(after.cap[0, 2:], wf.cap[0, 2:])
    assert after.hazard[0, 0, 0] == pytest.approx(wf.hazard[0, 0, 0] * 0.5)


def test_a_career_step_changes_pay_and_caseload_and_is_priced_in():
    workers = tiny_workers().iloc[:1].assign(start_date=pd.Timestamp("2015-01-01"))
    step = Programme("supervisor", 500.0, 1, ("case_holder",), "exclude", 0.0, 60.0, 1, 0.6, 0.0,
                     "practice_supervisor")
    a = tiny_assumptions(budget=5000.0, programmes=(step,)).with_values({"projection.horizon_quarters": 8})
    wf = workforce(workers, a, [0.9])
    plan = plan_gateway(wf, a, START)
    after = apply_gateway(wf, plan, a)
    row = plan.workers.iloc[0]
    assert row["programme"] == "supervisor" and row["career_step"] == "practice_supervisor"
    assert row["career_step_cost_gbp"] > 0  # the supervisor's pay and the half caseload given up
    assert row["net_saving_gbp"] == pytest.approx(row["expected_saving_gbp"] - 500.0 - row["career_step_cost_gbp"])
    assert (after.cost_q[0, 1:] > wf.cost_q[0, 1:]).all() and (after.cost_q[0, 0] == wf.cost_q[0, 0])
    np.testing.assert_allclose(after.cap[0, 1:], wf.cap[0, 1:] * 0.5)
    # priced at a lower effect, the same promotion is not worth offering
    weak = tiny_assumptions(5000.0, (dataclasses.replace(step, leave_risk_reduction_rate=0.05),))
    assert plan_gateway(workforce(workers, weak.with_values({"projection.horizon_quarters": 8}), [0.9]),
                        weak.with_values({"projection.horizon_quarters": 8}), START).workers.iloc[0]["programme"] == ""


@pytest.mark.parametrize("budget", [20000.0, 150000.0])
def test_authority_plan_respects_budget_places_and_eligibility(budget):
    workers, cases, risk = make_authority(120, 1500, seed=5)
    a = Assumptions().with_values({"gateway.budget_gbp": budget})
    wf = build_workforce(workers, worker_leaving(workers, risk, None, leaving_rates(a, None), a), a, START)
    plan = plan_gateway(wf, a, START)
    w = plan.workers
    assert w["cost_gbp"].sum() <= budget + 1e-6
    used = w[w["programme"] != ""]
    assert len(used) > 0
    places = {prog.name: prog.places for prog in a.programmes}
    assert (used.groupby("programme").size() <= used.groupby("programme").size().index.map(places)).all()
    ok = eligibility(workers, tenure_years(workers, START), a.programmes)
    names = [prog.name for prog in a.programmes]
    for i in used.index:
        assert ok[i, names.index(used.at[i, "programme"])]
    assert not workers.loc[used.index, "agency"].any()
    assert (used["net_saving_gbp"] > 0).all()
    assert (w["p_voluntary_plan_after"] <= w["p_voluntary_plan"] + 1e-12).all()
    progs = plan.programmes.set_index("programme")
    assert progs["cost_gbp"].sum() == pytest.approx(w["cost_gbp"].sum())
    assert plan.spend_by_quarter.sum() == pytest.approx(w["cost_gbp"].sum())


def test_no_offer_starts_while_a_worker_is_on_long_leave():
    workers = tiny_workers().assign(available=[True, False, True, True])
    relief = tiny_assumptions(0.0).programmes[0]
    assert eligible_available(workers, relief).tolist() == [True, False, True, True]
    ok = eligibility(workers, tenure_years(workers, START), (relief,))
    assert ok[:, 0].tolist() == [True, False, True, False]  # W4 is agency
    assert eligible_available(workers.drop(columns="available"), relief).all()  # nothing says otherwise


def test_asye_support_needs_half_of_it_inside_the_asye_year():
    workers = tiny_workers().assign(asye=[True, True, True, False])
    support = Programme("asye_support", 2500.0, 30, ("case_holder", "senior_practitioner"), "only", 0.0, 60.0, 4, 0.3)
    left = np.array([4, 2, 1, 0])  # quarters still in the ASYE year
    # binds on W3 (one quarter left of a four-quarter programme); W2 has half of it inside the year
    assert eligible_asye(workers, support, left).tolist() == [True, True, False, False]
    assert eligible_asye(workers, support).tolist() == [True, True, True, False]  # no dates known
    short = dataclasses.replace(support, duration_quarters=2)
    assert eligible_asye(workers, short, left).tolist() == [True, True, True, False]


def test_an_asye_finishing_within_the_quarter_is_not_offered_asye_support():
    """The plan's own workforce decides the year left: an ASYE who started 11 months before the
    plan is not offered the four-quarter ASYE support; one who started a month before is."""
    workers = tiny_workers().iloc[:2].assign(asye=True, start_date=[START - pd.DateOffset(months=11),
                                                                   START - pd.DateOffset(months=1)])
    support = Programme("asye_support", 100.0, 5, ("case_holder",), "only", 0.0, 60.0, 4, 0.3)
    a = dataclasses.replace(tiny_assumptions(10000.0), programmes=(support,))
    plan = plan_gateway(workforce(workers, a, [0.5, 0.5]), a, START)
    assert plan.workers["programme"].tolist() == ["", "asye_support"]
    assert plan.workers["eligible_programmes"].tolist() == [0, 1]
