"""Headline indicators, each recomputed by hand on a tiny frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce import indicators as ind
from workforce.caseload import CaseloadRules


@pytest.fixture
def workers() -> pd.DataFrame:
    return pd.DataFrame({"worker_id": ["A", "B", "C"], "fte": [1.0, 0.5, 1.0], "agency": [False, False, True]})


@pytest.fixture
def risk() -> pd.DataFrame:
    return pd.DataFrame({"worker_id": ["A", "B", "C"], "p_leave": [0.2, 0.4, 0.9], "band": ["Low", "Medium", "High"]})


def test_predicted_turnover_counts_fte_leavers_over_fte_in_post_la_employed_only(risk, workers):
    i = ind.predicted_turnover(risk, workers)
    assert i.value == pytest.approx((0.2 * 1.0 + 0.4 * 0.5) / 1.5)  # the agency worker C is left out
    assert i.unit == ind.SHARE and "DfE" in i.definition and i.source == "Risk register"
    assert ind.predicted_turnover(risk, None) is None  # no FTE, no census measure: nothing invented


def test_expected_leavers_and_high_risk_count_every_scored_worker(risk):
    assert ind.expected_leavers(risk).value == pytest.approx(1.5)
    assert ind.high_risk_workers(risk).value == 1
    assert ind.expected_leavers(None) is None and ind.high_risk_workers(risk.drop(columns="band")) is None


def test_churn_model_quality_from_the_card():
    card = {"selection": {"selected": "forest_hazard"}, "horizon_months": 12,
            "cross_validated": {"c_index": {"mean": 0.675}, "auc_horizon": {"mean": 0.717}},
            "out_of_time": {"available": True, "roc_auc": 0.70}}
    got = {i.key: i.value for i in ind.churn_model_quality(card)}
    assert got == {"churn_model": "forest_hazard", "churn_cv_c_index": 0.675, "churn_cv_roc_auc": 0.717,
                   "churn_oot_roc_auc": 0.70}
    older = {"cross_validated": {"roc_auc": {"mean": 0.64}}, "out_of_time": {"available": False}}
    assert {i.key: i.value for i in ind.churn_model_quality(older)} == {"churn_cv_roc_auc": 0.64}
    assert ind.churn_model_quality(None) == []
    # protected characteristics used as features (opted in) are said among the headline figures
    opted = {i.key: i.value for i in ind.churn_model_quality({**card, "use_protected": True})}
    assert opted == {**got, "churn_protected": "yes (opted in)"}
    assert "churn_protected" not in {i.key for i in ind.churn_model_quality({**card, "use_protected": False})}


def test_churn_model_definition_is_the_rule_the_selection_applied():
    rule = "highest mean c_index is ensemble_hazard (0.640); forest_hazard (0.634) is the simplest candidate ..."
    card = {"selection": {"selected": "forest_hazard", "rule": rule}, "cross_validated": {"c_index": {"mean": 0.634}}}
    got = {i.key: i for i in ind.churn_model_quality(card)}
    assert got["churn_model"].definition == rule
    assert got["churn_cv_c_index"].unit == ind.SCORE and "ROC" not in got["churn_cv_c_index"].unit  # not an AUC


@pytest.fixture
def loads() -> pd.DataFrame:
    return pd.DataFrame({"worker_id": ["A", "B", "C", "M"], "fte": [1.0, 1.0, 0.5, 1.0],
                         "children_after": [10, 0, 6, 0], "capacity_points": [85.0, 85.0, 42.5, 0.0],
                         "utilisation_after": [0.9, 0.0, 1.1, 0.0], "over_soft_cap": [False, False, True, False]})


def test_caseload_is_children_over_fte_of_workers_holding_cases(loads):
    assert ind.caseload_per_case_holder(loads).value == pytest.approx(16 / 1.5)  # B and M hold nothing


def test_workers_over_soft_cap_says_the_cap_counts_children(loads):
    i = ind.workers_over_soft_cap(loads)
    assert i.value == 1 and "count of children" in i.definition and "16 per FTE" in i.definition
    custom = CaseloadRules.from_mapping({"roles": {"case_holder": {"soft_children": 14}}})
    assert "14 per FTE" in ind.workers_over_soft_cap(loads, custom).definition  # quoted from the rules used


def test_mean_utilisation_over_workers_with_capacity(loads):
    assert ind.mean_utilisation(loads).value == pytest.approx((0.9 + 0.0 + 1.1) / 3)


def test_allocation_figures_from_its_summary():
    summary = {"status": "feasible", "gap": 0.02, "handoffs": 12, "unallocated": 3, "max_utilisation": 1.26}
    got = {i.key: i.value for i in ind.allocation_indicators(summary, None)}
    assert got == {"allocation_status": "feasible", "allocation_gap": 0.02, "changes_of_worker": 12,
                   "unallocated_children": 3, "highest_utilisation": 1.26}


@pytest.fixture
def totals() -> pd.DataFrame:
    return pd.DataFrame({"quarter": [2, 1], "permanent_hires": [3, 2], "nq_intake": [0, 4],
                         "starters_fte": [4.0, 2.5], "carry_on_starters_fte": [1.5, 2.0]})


@pytest.fixture
def census() -> pd.DataFrame:
    rows = []
    for scenario in ("plan", "carry_on"):
        for q, day in enumerate(pd.to_datetime(["2024-09-30", "2024-12-31", "2025-09-30", "2025-12-31"])):
            rows.append({"scenario": scenario, "quarter": q, "quarter_end_date": day, "census_day": day.month == 9,
                         "establishment_fte": 100.0, "in_post_fte": 80.0 + q, "vacancies_fte": 20.0 - q,
                         "vacancy_rate": (20.0 - q) / 100, "agency_fte": 20.0 - 2 * q,
                         "agency_rate": (20.0 - 2 * q) / (100 - q), "leavers_fte": 14.0,
                         "turnover_rate": 0.16 if q == 0 else 14 / (80 + q), "case_holder_fte": 60.0,
                         "children": 960.0, "caseload": 16.0, "absence_rate": 0.03})
    return pd.DataFrame(rows)


def test_census_measures_today_and_at_the_last_30_september(census):
    got = {i.key: i for i in ind.census_measures(census, {"agency_rate": "agency rate: agency / (agency + LA)"})}
    assert got["agency_rate_now"].value == pytest.approx(0.2)
    assert got["agency_rate_end"].value == pytest.approx(16 / 98)  # quarter 2 ends on 30 September 2025
    assert got["agency_rate_end"].name == "Agency rate, 30 Sep 2025, plan"
    assert "agency / (agency + LA)" in got["agency_rate_end"].definition and "DfE" in got["agency_rate_end"].definition
    assert "establishment_end" not in got and "absence_end" not in got  # held through the plan
    # today's caseload on the plan's own basis, so today and the end are read side by side
    assert got["caseload_now"].value == pytest.approx(16.0) and got["caseload_now"].name.endswith(", today")
    assert "case-holding roles" in got["caseload_now"].definition and "allocation" in got["caseload_end"].definition
    # a safe plan's census caseload below the 16-child soft cap is explained where it is shown
    assert "smaller caseloads" in got["caseload_end"].definition
    assert "smaller caseloads" not in got["agency_rate_end"].definition
    banded = ind.census_measures(census, None, {"agency_rate_end_p10": 0.1, "agency_rate_end_p50": 0.15,
                                                "agency_rate_end_p90": 0.2})
    assert {i.key: i for i in banded}["agency_rate_end"].band is None  # quarter 2 is not the plan's last


def test_agency_rate_carrying_on_and_holding_headcount():
    got = {i.key: i for i in ind.agency_rate({"carry_on_agency_rate_end": 0.3, "carry_on_agency_rate_end_p10": 0.25,
                                              "carry_on_agency_rate_end_p50": 0.31, "carry_on_agency_rate_end_p90": 0.36,
                                              "hold_agency_rate_end": 0.22})}
    assert got["agency_rate_end_carry_on"].value == 0.31 and got["agency_rate_end_carry_on"].band.p90 == 0.36
    assert got["agency_rate_end_hold"].value == 0.22
    assert ind.agency_rate(None) == []


def test_targets_and_the_feasibility_note():
    got = {i.key: i for i in ind.targets({"p_meet_agency_target": 0.4, "agency_share_target": 0.15,
                                          "agency_target_quarter": 12, "montecarlo_runs": 100,
                                          "agency_target_lifted_to_feasible": True, "p_within_budget": 0.8})}
    assert got["chance_agency_target"].value == 0.4 and "15%" in got["chance_agency_target"].definition
    assert got["chance_within_budget"].value == 0.8 and got["agency_target_feasible"].unit == ind.TEXT


def test_recruitment_volumes(totals):
    assert {i.key: i.value for i in ind.recruitment_volumes(totals)} == {"permanent_hires": 5, "nq_intake": 4,
                                                                        "starters": 6.5, "carry_on_starters": 3.5}


def test_gap_with_no_hires_is_named_for_what_it_is():
    projection = pd.DataFrame({"quarter": [1, 1, 2, 2], "gap_fte": [1.0, 2.0, 3.0, 4.5]})
    i = ind.gap_with_no_hires(projection)
    assert i.value == 7.5 and i.definition == ind.GAP_NO_HIRES and "if nobody were hired" in i.name


def test_shortfall_chance_uses_the_one_named_definition():
    i, amount = ind.shortfall_chance({"p_shortfall_any_quarter": 0.189, "montecarlo_runs": 1000,
                                      "shortfall_fte_quarters_p10": 0.0, "shortfall_fte_quarters_p50": 1.5,
                                      "shortfall_fte_quarters_p90": 6.0})
    assert i.value == 0.189 and ind.SHORTFALL in i.definition and "1000 simulated futures" in i.definition
    assert amount.value == 1.5 and amount.band == ind.Band(0.0, 1.5, 6.0)
    # a sum over quarters is not a headcount of FTE: the unit says so
    assert amount.text == "1.5 FTE-quarters (P10-P90 0.0 FTE-quarters to 6.0 FTE-quarters)"


def test_simulated_costs_show_the_median_and_the_band():
    summary = {"montecarlo_runs": 500}
    for stem, (p10, p50, p90) in {"total_cost_gbp": (9.0, 10.0, 12.0), "baseline_cost_gbp": (10.0, 11.0, 13.0),
                                  "saving_gbp": (-0.5, 1.0, 2.0), "saving_share": (-0.05, 0.09, 0.15)}.items():
        summary.update({f"{stem}_p10": p10, f"{stem}_p50": p50, f"{stem}_p90": p90})
    got = {i.key: i for i in ind.plan_costs(summary)}
    cost = got["plan_cost"]
    assert cost.value == 10.0 and cost.band == ind.Band(9.0, 10.0, 12.0) and "median of 500" in cost.definition
    assert cost.text == "£10 (P10-P90 £9 to £12)"
    assert got["saving"].value == 1.0 and got["saving_share"].text == "9.0% (P10-P90 -5.0% to 15.0%)"
    assert ind.plan_costs({"total_cost_gbp_p50": 1.0}) == []  # no band, no figure
    # the price year is named, in the definitions and on a line of its own, when the plan says it
    assert "price_year" not in got and "in the price year's money" in cost.definition
    dated = {i.key: i for i in ind.plan_costs({**summary, "price_year": 2025})}
    assert dated["price_year"].value == "2025 prices" and "in 2025 prices" in dated["plan_cost"].definition


def test_ld_gateway_from_the_per_worker_plan():
    gateway = pd.DataFrame({"programme": ["mentoring", "", "asye_support"], "cost_gbp": [600.0, 0.0, 2500.0],
                            "expected_leavers_avoided": [0.1, 0.0, 0.3], "expected_saving_gbp": [900.0, 0.0, 4000.0]})
    got = {i.key: i.value for i in ind.ld_gateway(gateway)}
    assert got == pytest.approx({"ld_places": 2, "ld_cost": 3100.0, "ld_leavers_avoided": 0.4, "ld_saving": 4900.0})


def test_indicator_text_json_and_frame():
    shown = ind.Indicator("x", "Workers", np.int64(1234), ind.COUNT, "d", "s")
    assert shown.text == "1,234" and shown.kind == "int" and shown.as_dict()["value"] == 1234
    simulated = ind.Indicator("c", "Cost", 2.0, ind.GBP, "d", "s", ind.Band(1.0, 2.0, 3.0))
    d = simulated.as_dict()
    assert (d["p10"], d["p50"], d["p90"]) == (1.0, 2.0, 3.0) and d["text"] == "£2 (P10-P90 £1 to £3)"
    missing = ind.Indicator("r", "Rate", float("nan"), ind.SHARE, "d", "s")
    assert missing.text == "n/a" and missing.as_dict()["value"] is None
    frame = ind.indicator_frame([shown, simulated])
    assert list(frame.columns) == ["indicator", "value", "P10", "P90", "unit", "source sheet", "definition"]
    assert frame["P90"].tolist() == [None, 3.0]
    json = ind.indicators_json([shown, simulated])
    assert json["headline"] == {"Workers": "1,234", "Cost": "£2 (P10-P90 £1 to £3)"}
    assert ind.render([shown])[0].strip() == "Workers" + " " * 37 + " 1,234"
    long = ind.Indicator("x", "A name longer than the usual column of forty-four", 1, ind.COUNT, "", "")
    lines = ind.render([shown, long])  # the values stay in one column
    assert lines[0].index("1,234") == lines[1].index(" 1") + 1


def test_fte_and_caseload_say_their_unit():
    assert ind.Indicator("g", "Gap", 64.29, ind.FTE, "d", "s").text == "64.3 FTE"
    assert ind.Indicator("c", "Caseload", 16.32, ind.CASELOAD, "d", "s").text == "16.3 children per FTE"


def test_money_is_written_as_a_finance_officer_writes_it():
    assert ind.gbp(2255406.2) == "£2,255,406"
    assert ind.gbp(-2255406.2) == "-£2,255,406"  # a negative saving, not "£-2,255,406"
    saving = ind.Indicator("saving", "Saving", -1500.0, ind.GBP, "d", "s", ind.Band(-2000.0, -1500.0, -900.0))
    assert saving.text == "-£1,500 (P10-P90 -£2,000 to -£900)"


def test_expected_leavers_counts_agency_endings_and_the_employed_line_does_not():
    risk = pd.DataFrame({"worker_id": ["A", "B", "C"], "p_leave": [0.1, 0.2, 0.6]})
    workers = pd.DataFrame({"worker_id": ["A", "B", "C"], "agency": [False, False, True], "fte": [1.0, 1.0, 1.0]})
    got = {i.key: i for i in ind.risk_indicators(risk, workers)}
    assert got["expected_leavers"].value == pytest.approx(0.9) and "agency included" in got["expected_leavers"].name
    assert got["expected_employed_leavers"].value == pytest.approx(0.3)
    assert "expected_employed_leavers" not in {i.key for i in ind.risk_indicators(risk)}  # no workers: not guessed


def test_staff_beyond_the_establishment_today_and_at_the_end(census):
    got = {i.key: i for i in ind.census_measures(census)}
    assert got["beyond_establishment_now"].value == pytest.approx(80 + 20 - 100)
    assert got["beyond_establishment_end"].value == pytest.approx(82 + 16 - 100)  # quarter 2: posts left uncovered
    over = census.assign(agency_fte=census["agency_fte"] + 30.0)  # agency covering more than the vacancies
    assert {i.key: i for i in ind.census_measures(over)}["beyond_establishment_now"].value == pytest.approx(30.0)
    assert ind.beyond_establishment(census.drop(columns="agency_fte"), 2, "end") == []
