"""Coverage of the safe-caseload need: today's, kept by carrying on as now, raised to 1 by the plan
at the set quarter (later when the market cannot supply the staff), on tiny frames."""

from __future__ import annotations

import numpy as np
import pytest

from plans_frames import make_authority
from workforce.plans.assumptions import Assumptions
from workforce.plans.feasibility import Feasibility
from workforce.plans.planner import build_plan
from workforce.plans.recruitment import coverage_path, covered_need, safe_caseload_quarter, today_coverage

OFF = Feasibility(None, None, None)


def test_today_fully_covered_changes_nothing():
    need = np.array([[10.0, 8.0]])
    cov = today_coverage(need * 1.03 + 1.0, need, 0.03)
    np.testing.assert_array_equal(cov, [[1.0, 1.0]])
    path = coverage_path(cov, 4, 6)
    np.testing.assert_array_equal(path, np.ones((1, 6, 2)))
    np.testing.assert_allclose(covered_need(need, path[:, 0, :], 0.03), need * 1.03)


def test_today_80_percent_covered_plan_reaches_1_at_the_set_quarter():
    need = np.array([[10.0, 10.0]])
    cov = today_coverage(need * 1.03 * 0.8, need, 0.03)
    np.testing.assert_allclose(cov, [[0.8, 0.8]])
    a = Assumptions().with_values({"recruitment.safe_caseload_quarter": 4, "recruitment.hiring_capacity_per_quarter": 50})
    reach = safe_caseload_quarter(a, OFF, cov, need, lead=2)
    assert reach == 4  # 2.06 FTE short, 42.5 starters a quarter: the set quarter binds
    path = coverage_path(cov, reach, 6)[0, :, 0]
    np.testing.assert_allclose(path, [0.85, 0.9, 0.95, 1.0, 1.0, 1.0])
    assert np.all(np.diff(path) >= 0)


def test_the_market_pushes_the_safe_caseload_quarter_later():
    need = np.array([[100.0, 100.0]])
    cov = np.array([[0.8, 0.8]])
    a = Assumptions().with_values({"recruitment.safe_caseload_quarter": 2, "recruitment.hiring_capacity_per_quarter": 2,
                                   "recruitment.hire_success_rate": 1.0})
    # 20.6 FTE short at 2 starters a quarter: 11 quarters after the 2-quarter lead time
    assert safe_caseload_quarter(a, OFF, cov, need, lead=2) == 13
    # the authority's own 5 appointments a quarter lift the market bound
    assert safe_caseload_quarter(a, OFF, cov, need, lead=2, own=5.0) == 2 + 5


@pytest.fixture(scope="module")
def crowded():
    """Today's staff hold well under the safe-caseload need (many children)."""
    return make_authority(60, 1400, seed=3, teams=3, localities=1)


def test_carry_on_keeps_today_coverage_and_the_plan_reaches_safe_caseloads(crowded):
    a = Assumptions().with_values({"montecarlo.runs": 20, "recruitment.safe_caseload_quarter": 6,
                                   "feasibility.market_feasibility": False,
                                   "recruitment.hiring_capacity_per_quarter": 40})
    res = build_plan(*crowded, a)
    s, t = res.summary, res.recruitment_totals.set_index("quarter")
    assert s["coverage_today"] < 0.9
    assert s["safe_caseload_quarter"] == 6
    # the first quarter: both as today (no jump to the safe level in one quarter of agency)
    assert t.loc[1, "carry_on_coverage"] == pytest.approx(s["coverage_today"], abs=0.05)
    assert 0.0 <= t.loc[1, "coverage"] - t.loc[1, "carry_on_coverage"] <= (1.0 - s["coverage_today"]) / 6 + 0.03
    # the plan covers the whole need from quarter 6; carrying on does not get there by buying agency
    margin = a.recruitment.cover_margin_rate
    assert (t.loc[6:, "coverage"] >= 1.0 - 1e-6).all()
    assert t.loc[5, "coverage"] < 1.0 + margin
    assert t["carry_on_coverage"].min() < 0.9
