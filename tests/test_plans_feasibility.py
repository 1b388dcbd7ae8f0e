"""Trajectories real authorities have achieved: the flag fires and stays silent on constructed
trajectories; the market-feasibility bounds come from the best decile and can be set or turned off."""

from __future__ import annotations

import numpy as np
import pytest

from workforce.indicators import trajectory
from workforce.plans.assumptions import Assumptions
from workforce.plans.feasibility import (agency_falls, feasibility_bounds, floor_path, published_changes,
                                         trajectory_report)


def test_the_flag_fires_on_a_fall_no_authority_achieved():
    report = trajectory_report({"agency_rate": 0.209}, {"agency_rate": [0.02, 0.01, 0.005]})
    assert report["beyond_all"].any()
    first = report.iloc[0]
    assert first["change"] == pytest.approx(2.0 - 20.9) and first["change"] < first["best_change"]
    assert first["percentile"] == 0.0
    [flag] = [i for i in trajectory(report) if i.key == "trajectory_flag"]
    assert flag.value.startswith("FLAG: agency rate over 1 year(s)")


def test_the_flag_stays_silent_on_a_fall_comparable_authorities_achieved():
    report = trajectory_report({"agency_rate": 0.209, "vacancy_rate": 0.20, "turnover_rate": 0.16},
                               {"agency_rate": [0.20, 0.19, 0.18], "vacancy_rate": [0.19, 0.18, 0.17],
                                "turnover_rate": [0.16, 0.155, 0.15]})
    assert set(report["measure"]) == {"agency_rate", "vacancy_rate", "turnover_rate"}
    assert not report["beyond_all"].any()
    assert report["percentile"].between(0, 100).all() and (report["comparable"] > 20).all()
    [flag] = [i for i in trajectory(report) if i.key == "trajectory_flag"]
    assert flag.value == "within what comparable authorities have achieved"
    [pct] = [i for i in trajectory(report) if i.key == "agency_change_percentile"]
    assert pct.value == pytest.approx(report.query("measure == 'agency_rate' and years == 3")["percentile"].iloc[0])
    assert pct.text == f"{pct.value:.0f}" and "%" not in pct.text  # a rank, not a share


def test_the_best_decile_pace_and_the_floor_path():
    changes, starters = published_changes()
    falls, basis = agency_falls(changes, 20.9, 0.10)
    peers = changes[(changes["measure"] == "agency_rate_fte") & (changes["span"] == 3)
                    & (changes["start"] >= 20) & (changes["start"] < 30)]
    assert falls[3] == pytest.approx(np.quantile(peers["change"], 0.10))
    assert "20-30%" in basis and "the best 10%" in basis
    path = floor_path(20.0, {1: -4.0, 2: -6.0, 3: -9.0}, 16)
    np.testing.assert_allclose(path[[3, 7, 11]], [0.16, 0.14, 0.11])
    assert path[1] == pytest.approx(0.18)  # half way through the first year
    assert path[15] == pytest.approx(0.08)  # beyond three years at the third year's pace


def test_bounds_default_to_the_best_decile_can_be_set_and_turned_off():
    a = Assumptions()
    f = feasibility_bounds(a, 0.209, 200.0)
    _, starters = published_changes()
    rate = np.quantile(starters["starter_rate"], 0.9)
    assert f.max_starter_rate == pytest.approx(rate) and f.max_hires_per_quarter == pytest.approx(rate * 200 / 4)
    assert f.agency_floor.shape == (12,) and f.agency_floor[-1] < 0.209
    set_by_hand = feasibility_bounds(a.with_values({"feasibility.agency_fall_per_year": 2.0,
                                                    "feasibility.max_starter_rate": 0.1}), 0.209, 200.0)
    assert set_by_hand.agency_floor[-1] == pytest.approx(0.209 - 0.06)
    assert set_by_hand.max_hires_per_quarter == pytest.approx(5.0)
    off = feasibility_bounds(a.with_values({"feasibility.market_feasibility": False}), 0.209, 200.0)
    assert off.agency_floor is None and off.max_hires_per_quarter is None
