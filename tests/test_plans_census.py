"""The census's own definitions, recomputed by hand on a small frame: establishment, vacancy,
agency, turnover, caseload and absence, quarterly and at each 30 September."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.plans.census_measures import absence_today, census_frame, is_census_day, trailing_leavers, vacancies
from workforce.plans.planner import establishment_by_unit, unit_vacancies
from workforce.plans.projection import quarter_starts

STARTS = quarter_starts(pd.Timestamp("2024-10-01"), 5)
TODAY = {"in_post_fte": 80.0, "agency_fte": 20.0, "establishment_fte": 100.0, "vacancies_fte": 20.0,
         "case_holder_fte": 60.0, "children": 960.0, "turnover_rate": 0.16, "absence_rate": 0.03}


def series() -> dict[str, np.ndarray]:
    return {"in_post_fte": np.array([78.0, 80.0, 84.0, 90.0, 88.0]), "leavers_fte": np.array([4.0, 3.0, 5.0, 4.0, 2.0]),
            "agency_fte": np.array([20.0, 18.0, 15.0, 10.0, 10.0]),
            "case_holder_fte": np.array([60.0, 61.0, 62.0, 63.0, 64.0]), "children": np.full(5, 960.0),
            "establishment_fte": np.full(5, 100.0), "vacancies_fte": np.array([22.0, 20.0, 16.0, 10.0, 12.0])}


def test_each_measure_by_hand():
    frame = census_frame("plan", series(), TODAY, STARTS).set_index("quarter")
    q4 = frame.loc[4]
    assert q4["quarter_end_date"] == pd.Timestamp("2025-09-30") and bool(q4["census_day"])
    assert not frame.loc[1, "census_day"] and bool(frame.loc[0, "census_day"])  # today is 30 September 2024
    assert q4["vacancy_rate"] == pytest.approx(10 / (10 + 90))  # vacancies / (vacancies + LA-employed in post)
    assert q4["agency_rate"] == pytest.approx(10 / (10 + 90))  # agency / (agency + LA-employed)
    assert q4["turnover_rate"] == pytest.approx((4 + 3 + 5 + 4) / 90)  # leavers in the year / in post on the day
    assert frame.loc[5, "turnover_rate"] == pytest.approx((3 + 5 + 4 + 2) / 88)  # the four quarters to the day
    assert frame.loc[2, "turnover_rate"] == pytest.approx((4 + 3) * 2 / 80)  # before a year: annualised
    assert q4["caseload"] == pytest.approx(960 / 63)  # children / case-holder FTE
    assert (frame["absence_rate"] == 0.03).all()
    today = frame.loc[0]
    assert (today["agency_rate"], today["vacancy_rate"], today["turnover_rate"]) == pytest.approx((0.2, 0.2, 0.16))


def test_simulated_futures_give_the_median_of_each_run_s_rate():
    runs = {k: np.vstack([v, v * 1.1, v * 0.9]) for k, v in series().items()}
    runs["children"] = np.full((3, 5), 960.0)
    frame = census_frame("plan", runs, TODAY, STARTS).set_index("quarter")
    per_run = runs["agency_fte"][:, 3] / (runs["agency_fte"][:, 3] + runs["in_post_fte"][:, 3])
    assert frame.loc[4, "agency_rate"] == pytest.approx(np.median(per_run))
    assert frame.loc[4, "in_post_fte"] == pytest.approx(90.0)


def test_trailing_leavers_and_census_day():
    np.testing.assert_allclose(trailing_leavers([1.0, 2.0, 3.0, 4.0, 5.0]), [4.0, 6.0, 8.0, 10.0, 14.0])
    assert is_census_day(pd.Timestamp("2026-09-30")) and not is_census_day(pd.Timestamp("2026-09-29"))


def test_vacancies_are_counted_team_by_team():
    # agency cover in one team does not fill another's post; staff over establishment fill nothing
    est = np.array([10.0, 5.0, 2.0])  # two units and 2 FTE of posts in no unit of the plan
    la = np.array([[8.0, 9.0], [7.0, 5.0]])  # units x quarters
    np.testing.assert_allclose(unit_vacancies(est, la), [2 + 0 + 2, 1 + 0 + 2])
    np.testing.assert_allclose(vacancies(np.array([[10.0], [5.0]]), la[:, :1]), [2.0])
    total_only = np.array([0.0, 0.0, 20.0])
    np.testing.assert_allclose(unit_vacancies(total_only, la), [20 - 15, 20 - 14])


def test_establishment_default_and_by_team():
    workers = pd.DataFrame({"worker_id": ["A", "B", "C"], "team": ["T1", "T1", "T2"], "locality": "L",
                            "fte": [1.0, 0.5, 1.0], "agency": [False, True, False]})
    est, basis = establishment_by_unit(None, workers, ["T1", "T2"], "team")
    np.testing.assert_allclose(est, [1.5, 1.0, 0.0])  # in post, agency included: agency fills vacancies
    assert basis.startswith("[DEFAULT]")
    given = pd.DataFrame({"team": ["T1", "T2", "T9"], "role": "case_holder", "funded_fte": [3.0, 1.0, 2.0]})
    est, _ = establishment_by_unit(given, workers, ["T1", "T2"], "team")
    np.testing.assert_allclose(est, [3.0, 1.0, 2.0])  # T9 has no staff: its posts are all vacant
    est, _ = establishment_by_unit(pd.DataFrame({"establishment_fte": [9.0]}), workers, ["T1", "T2"], "team")
    np.testing.assert_allclose(est, [0.0, 0.0, 9.0])


def test_absence_today_from_sickness_days():
    workers = pd.DataFrame({"fte": [1.0, 0.5, 1.0], "agency": [False, False, True],
                            "sickness_days_12m": [10.0, 5.0, 99.0]})
    rate, basis = absence_today(workers, 0.032)
    assert rate == pytest.approx(15 / (1.5 * 253))  # agency staff are not in post (LA-employed only)
    assert "sickness_days_12m" in basis
    assert absence_today(workers.drop(columns="sickness_days_12m"), 0.032)[0] == 0.032


def test_each_row_says_whether_it_is_a_median_of_futures_or_one_deterministic_run():
    """Holding today's headcount is one run at expected values beside the others' medians: its
    rows say so (the `figures` column), so nobody reads it as a median."""
    from workforce.plans.census_measures import DETERMINISTIC

    runs = {k: np.vstack([v, v * 1.1, v * 0.9]) for k, v in series().items()}
    simulated = census_frame("plan", runs, TODAY, STARTS)
    once = census_frame("hold", series(), TODAY, STARTS)
    assert (simulated["figures"] == "median of 3 simulated futures").all()
    assert (once["figures"] == DETERMINISTIC).all() and "deterministic" in DETERMINISTIC
