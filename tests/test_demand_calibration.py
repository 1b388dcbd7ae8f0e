"""Calibration recovers the rates that made a history, reports where each came from, and
reproduces the calibration years."""

from __future__ import annotations

import math

import numpy as np
import pytest

from demand_frames import MIX, REPEAT_SHARE, synthetic_history, true_rates
from workforce.demand.levers import LeverSet, rates_for
from workforce.demand.parameters import calibrate
from workforce.demand.run import calibration_fit

CASES = {
    "mid-sized": {},
    "high care, short plans": dict(cin_to_care=0.03, cp_to_care=0.08, cp_step_down=0.45, care_exit=0.06),
    "busy front door": dict(nfa=0.15, not_in_need=0.4, cin_closure=0.7, rereferral=0.3, cp_start=0.09),
}


@pytest.mark.parametrize("case", list(CASES))
def test_calibration_recovers_known_rates(case):
    truth = true_rates(**CASES[case])
    history, from_cp = synthetic_history(truth)
    cal = calibrate(history, judgements={"care_entry_share_from_cp": from_cp})
    got = rates_for(cal, LeverSet(), 1, MIX)
    for name in ("nfa", "not_in_need", "cin_closure", "cp_start", "cin_to_care", "cp_to_care", "cp_step_down",
                 "care_exit", "assessment"):
        assert getattr(got, name) == pytest.approx(getattr(truth, name), rel=0.02), name
    # re-referrals come back a year after the closures behind them; referrals grow 3% a year
    assert got.rereferral == pytest.approx(truth.rereferral, rel=0.04)
    assert cal.value("cp_repeat_share") == pytest.approx(REPEAT_SHARE)
    assert cal.years == [2019, 2020, 2021]


def test_every_parameter_says_where_it_came_from():
    history, from_cp = synthetic_history()
    cal = calibrate(history, "2016-2018", judgements={"care_entry_share_from_cp": from_cp})
    frame = cal.frame()
    derived = frame[frame["basis"].str.startswith("[DERIVED] from")]
    assert {"cin_closure_hazard", "cp_exit_hazard", "care_exit_hazard", "rereferral_rate"} <= set(derived["name"])
    assert (derived.loc[derived["name"] != "new_referrals_per_quarter", "years"] == "2016-2018").all()
    assert (frame["lo"] <= frame["value"] + 1e-12).all() and (frame["value"] <= frame["hi"] + 1e-12).all()
    judged = frame.set_index("name").loc["care_entry_share_from_cp"]
    assert judged["basis"].startswith("set by the user")


def test_calibration_reproduces_its_years_from_the_first_years_stocks():
    history, from_cp = synthetic_history()
    cal = calibrate(history, "2015-2021", judgements={"care_entry_share_from_cp": from_cp})
    _, mape = calibration_fit(cal, MIX)
    assert set(mape["measure"]) == {"cin_at31", "cp_at31", "cla_at31"}
    assert (mape["n"] == 6).all()
    assert (mape["mape"] < 1.0).all(), mape


def test_a_wrong_rate_shows_in_the_fit():
    history, from_cp = synthetic_history()
    cal = calibrate(history, "2015-2021", judgements={"care_entry_share_from_cp": from_cp})
    worse = cal.with_values({"care_exit_hazard": cal.value("care_exit_hazard") * 1.5}, "test")
    _, good = calibration_fit(cal, MIX)
    _, bad = calibration_fit(worse, MIX)
    cla = lambda m: float(m.set_index("measure").at["cla_at31", "mape"])  # noqa: E731
    assert cla(bad) > 5 * cla(good)


def test_missing_looked_after_years_are_imputed_and_said():
    history, from_cp = synthetic_history()
    history.loc[:2018, ["cla_at31", "cla_starts", "cla_ceased"]] = np.nan
    cal = calibrate(history, "2016-2018", judgements={"care_entry_share_from_cp": from_cp})
    assert any("imputed" in n for n in cal.notes)
    assert any("care_exit_hazard" in n and "2019-2021" in n for n in cal.notes)
    assert cal.parameters["care_exit_hazard"].years == "2019-2021"
    assert cal.value("care_exit_hazard") == pytest.approx(true_rates().care_exit, rel=0.02)


def test_plan_lengths_give_the_cp_hazard_without_a_year_before():
    history, from_cp = synthetic_history()
    exit_hazard = true_rates().cp_step_down + true_rates().cp_to_care
    history["cp_at31_le3m"] = history["cp_at31"] * (1.0 - math.exp(-exit_hazard))
    first = int(history.index[1])
    cal = calibrate(history.loc[first:], str(first), judgements={"care_entry_share_from_cp": from_cp})
    p = cal.parameters["cp_exit_hazard"]
    assert "plan lengths" in p.basis
    assert p.value == pytest.approx(exit_hazard, rel=1e-9)


def test_without_data_or_fallback_a_rate_is_an_error():
    history, _ = synthetic_history()
    history = history.drop(columns=["cp_starts", "cp_starts_repeat"])
    with pytest.raises(ValueError, match="cp_repeat_share|cp_first_plan_hazard"):
        calibrate(history)
    england, _ = synthetic_history(true_rates(cp_start=0.1))
    fallback = calibrate(england, name="England")
    cal = calibrate(history, fallback=fallback)
    assert cal.parameters["cp_repeat_share"].basis.startswith("fallback, England")
    assert any("England's value used" in n for n in cal.notes)


def test_unusable_window_is_an_error():
    history, _ = synthetic_history()
    with pytest.raises(ValueError, match="no calibration data in 2030"):
        calibrate(history, "2030")
    with pytest.raises(ValueError, match="not a year"):
        calibrate(history, "recent")


def test_levels_are_never_borrowed_from_england():
    """With only referrals and children in need, rates come from England but the referral level is
    the authority's own, its re-referral share England's."""
    history, _ = synthetic_history()
    england = calibrate(synthetic_history(true_rates(rereferral=0.3), new_per_quarter=90_000.0)[0], name="England")
    own = history[["referrals", "cin_at31"]]
    cal = calibrate(own, fallback=england)
    share = 1 - england.new_referrals.sum() / england.history.loc[england.new_referrals.index, "referrals"].sum()
    assert cal.value("new_referrals_per_quarter") == pytest.approx(own.at[2021, "referrals"] * (1 - share) / 4)
    assert "re-referral share" in cal.parameters["new_referrals_per_quarter"].basis
    assert any("first-time referrals are the referrals less" in n for n in cal.notes)
    assert cal.parameters["cin_closure_hazard"].basis.startswith("fallback, England")
