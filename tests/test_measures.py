"""The census measures recomputed by hand, and against England's published rows."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workforce import measures as m

INDICATORS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "dfe" / "csww_indicators_2017_to_2023.csv"


def test_hand_computed():
    assert m.turnover_rate(15.0, 100.0) == pytest.approx(0.15)
    assert m.agency_rate(20.0, 80.0) == pytest.approx(0.2)
    assert m.vacancy_rate(25.0, 75.0) == pytest.approx(0.25)
    assert m.caseload_per_case_holder(160, 10.0) == pytest.approx(16.0)
    assert m.absence_rate(253.0 * 3, 100.0) == pytest.approx(0.03)


def test_zero_denominator_is_missing_not_an_error():
    assert np.isnan(m.turnover_rate(1.0, 0.0))
    assert np.isnan(m.agency_rate(0.0, 0.0))
    out = m.caseload_per_case_holder(np.array([10.0, 5.0]), np.array([0.0, 1.0]))
    assert np.isnan(out[0]) and out[1] == 5.0


def test_england_rows_recompute_to_the_published_rates():
    if not INDICATORS.exists():
        pytest.skip(f"published DfE file not found at {INDICATORS} (../shared is absent)")
    d = pd.read_csv(INDICATORS, encoding="utf-8-sig", dtype=str)
    e = d[d["geographic_level"] == "National"]
    f = lambda c: e[c].astype(float).to_numpy()  # noqa: E731
    assert np.allclose(100 * m.turnover_rate(f("leavers_fte"), f("inpost_fte")), f("turnover_rate_fte"), atol=0.1)
    assert np.allclose(100 * m.agency_rate(f("agency_fte"), f("inpost_fte")), f("agency_rate_fte"), atol=0.1)
    assert np.allclose(100 * m.vacancy_rate(f("vacancy_fte"), f("inpost_fte")), f("vacancy_rate_fte"), atol=0.1)
    assert np.allclose(m.caseload_per_case_holder(f("cases"), f("case_holders_fte")), f("caseload_fte"), atol=0.1)
    assert np.allclose(100 * m.absence_rate(f("working_days_lost_fte"), f("inpost_fte")), f("absence_rate_fte"), atol=0.15)
