"""Time-to-event metrics against small cases computed by hand (the working is in each test)."""

from __future__ import annotations

import numpy as np
import pytest

from workforce.retention.curves import cumulative_incidence
from workforce.retention.metrics import (
    brier_scores,
    censoring_survival,
    cumulative_dynamic_auc,
    harrell_c,
    integrated_brier_score,
    reliability_table,
)


def test_harrell_c_by_hand():
    # comparable pairs: subject 0 (event at 1) with 1, 2, 3; subject 2 (event at 3) with 3.
    # concordant: 0.9 > 0.8, 0.9 > 0.3, 0.9 > 0.5; not 0.3 > 0.5  -> 3 / 4
    t, e, r = [1, 2, 3, 4], [1, 0, 1, 1], [0.9, 0.8, 0.3, 0.5]
    assert harrell_c(t, e, r) == pytest.approx(0.75)
    # someone censored at the event's own time was still in post: comparable (and here
    # discordant, 0.9 < 0.95) -> 3 / 5
    assert harrell_c([1, 2, 3, 4, 1], [1, 0, 1, 1, 0], [0.9, 0.8, 0.3, 0.5, 0.95]) == pytest.approx(0.6)
    # two events at the same time are not comparable; a tie in risk counts one half
    assert harrell_c([1, 1, 2], [1, 1, 0], [0.5, 0.9, 0.5]) == pytest.approx((0.5 + 1.0) / 2)
    assert np.isnan(harrell_c([1, 2], [0, 0], [0.1, 0.2]))


def test_censoring_survival_by_hand():
    # censorings at 2 and 3. At 2: at risk 3 (t=3, t=4 and the censored t=2; the event at 2
    # comes first), 1 censored -> G = 2/3. At 3: at risk 2, 1 censored -> G = 1/3.
    G = censoring_survival([1, 2, 2, 3, 4], [1, 0, 1, 0, 1])
    np.testing.assert_allclose(G([1, 2, 2.5, 3, 4]), [1, 2 / 3, 2 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(G([2, 3], before=True), [1, 2 / 3])
    np.testing.assert_allclose(censoring_survival([1, 2], [1, 1])([0, 5]), [1, 1])  # nobody censored


# t = 1..5, censored at 2 and 4: G(2) = 1 - 1/4 = 3/4 (at risk: t=2,3,4,5), G(4) = 3/4 * 1/2 = 3/8.
T = np.array([1, 2, 3, 4, 5])
E = np.array([1, 0, 1, 0, 1], dtype=bool)


def test_cumulative_dynamic_auc_weights_cases_by_inverse_censoring():
    # at t = 3.5: cases are subject 0 (event at 1, weight 1/G(1-) = 1) and subject 2 (event at 3,
    # weight 1/G(3-) = 4/3); controls are subjects 3 and 4 (risk 0.5 and 0.3); subject 1 was
    # censored at 2 and is neither. Case 0 (0.7) beats both controls, case 2 (0.4) beats one.
    # AUC = (1 * 2 + 4/3 * 1) / ((1 + 4/3) * 2) = 5/7 (unweighted it would be 3/4).
    risk = [0.7, 0.1, 0.4, 0.5, 0.3]
    assert cumulative_dynamic_auc(T, E, risk, 3.5) == pytest.approx(5 / 7)
    assert np.isnan(cumulative_dynamic_auc(T, E, risk, 0.5))  # no case yet


def test_brier_and_integrated_brier_by_hand():
    # at t = 3.5 with survival S = [0.2, 0.9, 0.5, 0.6, 0.7]:
    #   subject 0, event at 1:  0.2^2 / G(1-) = 0.04
    #   subject 1, censored at 2 before t: 0
    #   subject 2, event at 3:  0.5^2 / G(3-) = 0.25 / (3/4) = 1/3
    #   subjects 3, 4 still in post after t: (1-0.6)^2 / G(3.5) and (1-0.7)^2 / G(3.5), G(3.5) = 3/4
    bs_35 = (0.04 + 0 + 1 / 3 + 0.16 / 0.75 + 0.09 / 0.75) / 5
    # at t = 1.5 with S = [0.3, 0.95, 0.8, 0.9, 0.9]: G = 1; subject 0 had its event, the rest
    # are in post: (0.09 + 0.0025 + 0.04 + 0.01 + 0.01) / 5 = 0.0305
    S = np.array([[0.3, 0.2], [0.95, 0.9], [0.8, 0.5], [0.9, 0.6], [0.9, 0.7]])
    scores = brier_scores(T, E, S, [1.5, 3.5])
    np.testing.assert_allclose(scores, [0.0305, bs_35])
    # trapezoid over [1.5, 3.5], divided by the span
    assert integrated_brier_score(T, E, S, [1.5, 3.5]) == pytest.approx((0.0305 + bs_35) / 2)
    assert integrated_brier_score(T, E, S[:, [1]], [3.5]) == pytest.approx(bs_35)


def test_reliability_table_bins_of_equal_count():
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.8])
    y = np.array([0, 0, 1, 0, 1, 1])
    table = reliability_table(p, y, n_bins=3)
    assert table["count"].tolist() == [2, 2, 2]
    np.testing.assert_allclose(table["mean_predicted"], [0.15, 0.35, 0.7])
    np.testing.assert_allclose(table["observed_rate"], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(table["difference"], [-0.15, 0.15, 0.3])


def test_cumulative_incidence_by_hand():
    # one person, hazards (voluntary, other) of (0.1, 0.2) then (0.2, 0.1): in post after the
    # quarters 0.7 then 0.49; voluntary 0.1 then 0.1 + 0.7 * 0.2 = 0.24; other 0.2 then 0.27
    S, F = cumulative_incidence(np.array([[[0.1, 0.2], [0.2, 0.1]]]))
    np.testing.assert_allclose(S, [[0.7, 0.49]])
    np.testing.assert_allclose(F, [[[0.1, 0.2], [0.24, 0.27]]])
    np.testing.assert_allclose(1 - S[:, -1], F[:, -1, :].sum(axis=1))
