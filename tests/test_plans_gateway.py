"""L&D gateway: budget, places and eligibility respected; the obvious best picked on a tiny case."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from plans_frames import make_authority
from workforce.plans.assumptions import Assumptions, Programme
from workforce.plans.costs import cost_of_leaver_gbp
from workforce.plans.gateway import eligibility, plan_gateway, tenure_years
from workforce.plans.projection import annual_leave_probability

START = pd.Timestamp("2024-10-01")


def tiny_workers() -> pd.DataFrame:
    return pd.DataFrame({
        "worker_id": ["W1", "W2", "W3", "W4"], "team": "T1", "locality": "L1",
        "role": ["case_holder", "case_holder", "senior_practitioner", "case_holder"],
        "asye": [False, False, False, False], "agency": [False, False, False, True], "fte": 1.0,
        "start_date": pd.to_datetime(["2021-01-01", "2023-06-01", "2015-01-01", "2020-01-01"]),
        "available": True,
    })


def tiny_assumptions(budget: float) -> Assumptions:
    progs = (
        Programme("relief", 1000.0, 1, ("case_holder", "senior_practitioner"), "any", 0.0, 60.0, 1, 0.5, ""),
        Programme("pathway", 500.0, 5, ("case_holder",), "exclude", 2.0, 60.0, 1, 0.2, "senior_practitioner"),
    )
    a = Assumptions().with_values({"gateway.budget_gbp": budget, "projection.horizon_quarters": 4})
    return dataclasses.replace(a, programmes=progs)


def test_tiny_case_picks_the_obvious_best():
    workers = tiny_workers()
    p = np.array([0.6, 0.5, 0.3, 0.9])
    plan = plan_gateway(workers, p, tiny_assumptions(budget=1500.0), START)
    chosen = dict(zip(plan.workers["worker_id"], plan.workers["programme"]))
    # One relief place; W2 (under 2 years) cannot take the pathway, W3 (senior) is not a pathway
    # role, W4 is agency. Relief for W1 alone nets 0.3 L - 1000; the pathway for W1 plus relief
    # for W2 nets 0.12 L - 500 + 0.25 L - 1000, which is more (L = cost of a leaver, ~£20.6k).
    leaver = cost_of_leaver_gbp(Assumptions(), "case_holder")
    assert 0.37 * leaver - 1500 > 0.3 * leaver - 1000
    assert chosen == {"W1": "pathway", "W2": "relief", "W3": "", "W4": ""}
    assert plan.report.status == "optimal"
    w2 = plan.workers.iloc[1]
    assert w2["expected_saving_gbp"] == pytest.approx(0.5 * 0.5 * leaver)
    assert w2["p_leave_after"] == pytest.approx(0.25)  # 4-quarter horizon: the year's risk halves
    assert plan.workers["net_saving_gbp"].sum() == pytest.approx(0.37 * leaver - 1500)


def test_tiny_case_matches_brute_force():
    import itertools

    workers = tiny_workers()
    p = np.array([0.6, 0.5, 0.3, 0.9])
    for budget in (0.0, 400.0, 600.0, 1200.0, 1600.0, 5000.0):
        a = tiny_assumptions(budget)
        plan = plan_gateway(workers, p, a, START)
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


def test_budget_binds_choice_by_value():
    workers = tiny_workers()
    p = np.array([0.6, 0.5, 0.3, 0.9])
    plan = plan_gateway(workers, p, tiny_assumptions(budget=900.0), START)
    # relief (£1,000) no longer fits; the pathway (£500) goes to W1, the only eligible worker
    assert plan.workers.set_index("worker_id")["programme"].to_dict() == {"W1": "pathway", "W2": "", "W3": "", "W4": ""}
    plan0 = plan_gateway(workers, p, tiny_assumptions(budget=0.0), START)
    assert (plan0.workers["programme"] == "").all() and plan0.workers["cost_gbp"].sum() == 0


@pytest.mark.parametrize("budget", [20000.0, 150000.0])
def test_authority_plan_respects_budget_places_and_eligibility(budget):
    workers, cases, risk = make_authority(120, 1500, seed=5)
    a = Assumptions().with_values({"gateway.budget_gbp": budget})
    p = annual_leave_probability(workers, risk, a)
    plan = plan_gateway(workers, p, a, START)
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
    assert (w["p_leave_after"] <= w["p_leave"] + 1e-12).all()
    progs = plan.programmes.set_index("programme")
    assert progs["cost_gbp"].sum() == pytest.approx(w["cost_gbp"].sum())
    assert plan.spend_by_quarter.sum() == pytest.approx(w["cost_gbp"].sum())


def test_lower_budget_never_buys_more():
    workers, cases, risk = make_authority(120, 1500, seed=5)
    a = Assumptions()
    p = annual_leave_probability(workers, risk, a)
    rich = plan_gateway(workers, p, a, START).workers
    poor = plan_gateway(workers, p, a.with_values({"gateway.budget_gbp": 10000.0}), START).workers
    assert poor["cost_gbp"].sum() <= 10000.0
    assert poor["expected_leavers_avoided"].sum() < rich["expected_leavers_avoided"].sum()
