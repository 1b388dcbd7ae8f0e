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
    return pd.DataFrame({"quarter": [2, 1], "agency_fte": [2.0, 5.0], "permanent_fte": [8.0, 15.0],
                         "vacancies_fte": [1.0, 5.0], "baseline_agency_fte": [6.0, 5.0],
                         "baseline_permanent_fte": [4.0, 15.0], "permanent_hires": [3, 2], "nq_intake": [0, 4]})


def test_agency_rate_now_and_at_the_end_on_one_definition(totals):
    got = {i.key: i.value for i in ind.agency_rate({"agency_share_start": 0.246}, totals)}
    # quarter 2 is the last, whatever the row order: agency / (agency + permanent)
    assert got == pytest.approx({"agency_rate_start": 0.246, "agency_rate_end": 0.2, "agency_rate_end_carry_on": 0.6})
    assert ind.agency_rate(None, totals) == []


def test_vacancy_rate_is_vacant_over_vacant_plus_permanent(totals):
    got = {i.key: i.value for i in ind.vacancy_rate(totals)}
    assert got == pytest.approx({"vacancy_rate_first_quarter": 5 / 20, "vacancy_rate_end": 1 / 9})


def test_recruitment_volumes(totals):
    assert {i.key: i.value for i in ind.recruitment_volumes(totals)} == {"permanent_hires": 5, "nq_intake": 4}


def test_gap_with_no_hires_is_named_for_what_it_is():
    projection = pd.DataFrame({"quarter": [1, 1, 2, 2], "gap_fte": [1.0, 2.0, 3.0, 4.5]})
    i = ind.gap_with_no_hires(projection)
    assert i.value == 7.5 and i.definition == ind.GAP_NO_HIRES and "if nobody were hired" in i.name


def test_shortfall_chance_uses_the_one_named_definition():
    i = ind.shortfall_chance({"p_shortfall_any_quarter": 0.189, "montecarlo_runs": 1000})
    assert i.value == 0.189 and ind.SHORTFALL in i.definition and "1000 simulated futures" in i.definition


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


def test_fte_and_caseload_say_their_unit():
    assert ind.Indicator("g", "Gap", 64.29, ind.FTE, "d", "s").text == "64.3 FTE"
    assert ind.Indicator("c", "Caseload", 16.32, ind.CASELOAD, "d", "s").text == "16.3 children per FTE"
