"""Costs a finance officer recognises: one price year, pay by role and grade with on-costs and the
market supplement, agency day rates by role, recruitment with the golden hello's clawback."""

from __future__ import annotations

import pytest

from workforce.plans.assumptions import Assumptions
from workforce.plans.costs import (advert_gbp, agency_cost_per_fte_year, agency_day_rate_gbp, clawback_leave_chance,
                                   golden_hello_net_gbp, hire_fee_gbp, permanent_cost_per_fte_year, price_index,
                                   salary_gbp, unit_costs)


def test_every_figure_is_indexed_from_its_own_year_to_the_price_year():
    a = Assumptions().with_values({"costs.pay_award_rate": 0.03, "costs.price_year": 2025})
    assert price_index(a, 2018) == pytest.approx(1.03 ** 7)
    assert salary_gbp(a, "case_holder") == pytest.approx(35444 * 1.03 ** 7)  # [S49] is 2018
    assert agency_day_rate_gbp(a, "case_holder") == pytest.approx(297.5 * 1.03 ** 9)  # [S53] is 2015/16
    assert advert_gbp(a) == pytest.approx(2500 * 1.03 ** 10)
    flat = Assumptions().with_values({"costs.pay_award_rate": 0.0})
    assert salary_gbp(flat, "case_holder") == 35444


def test_pay_by_role_and_grade_with_on_costs_and_supplement():
    a = Assumptions()
    k = price_index(a, a.costs.salary_year)
    assert permanent_cost_per_fte_year(a, "case_holder") == pytest.approx((35444 * k + 3000) * 1.28)
    assert permanent_cost_per_fte_year(a, "case_holder", asye=True) == pytest.approx(28200 * k * 1.28)  # no supplement
    assert permanent_cost_per_fte_year(a, "team_manager") == pytest.approx(47700 * k * 1.28)
    table = unit_costs(a).set_index(["role", "grade"])
    assert len(table) == 9  # every census role, and the newly qualified grade
    row = table.loc[("senior_practitioner", "qualified")]
    assert row["permanent_cost_per_fte_year_gbp"] == pytest.approx(row["salary_gbp"] + row["market_supplement_gbp"]
                                                                   + row["on_costs_gbp"])
    assert row["agency_premium_gbp"] == pytest.approx(row["agency_cost_per_fte_year_gbp"]
                                                      - row["permanent_cost_per_fte_year_gbp"])


def test_agency_day_rates_by_role():
    a = Assumptions()
    rates = {r: agency_day_rate_gbp(a, r) for r in ("case_holder", "senior_practitioner", "practice_supervisor",
                                                     "team_manager", "qualified_no_cases")}
    assert rates["case_holder"] < rates["senior_practitioner"] < rates["practice_supervisor"] < rates["team_manager"]
    assert rates["qualified_no_cases"] == rates["case_holder"]
    assert agency_cost_per_fte_year(a) == pytest.approx(rates["case_holder"] * 1739 / 7.4)


def test_golden_hello_with_clawback():
    a = Assumptions().with_values({"costs.golden_hello_gbp": 6000.0, "costs.golden_hello_clawback_years": 2.0,
                                   "supply.new_hire_turnover_rate": 0.2})
    leave = clawback_leave_chance(a)
    assert leave == pytest.approx(1 - 0.8 ** 2)
    assert golden_hello_net_gbp(a, leave) == pytest.approx(6000 * 0.8 ** 2)  # those who leave within 2 years repay
    assert hire_fee_gbp(a) == pytest.approx(advert_gbp(a) + 6000 * 0.64)
