"""Sandwell's turnaround: levers from the case study and the published flows, the outcome set
beside the claims and the published figures."""

from __future__ import annotations

import numpy as np
import pytest

from workforce.demand.parameters import calibrate
from workforce.demand.settings import Budget, DemandAssumptions
from workforce.demand.turnaround import (
    CLAIMS,
    CLAIMS_SCENARIO,
    PUBLISHED_SCENARIO,
    published_lever_values,
    run_turnaround,
)
from workforce.published import read_published


@pytest.fixture(scope="module")
def pub():
    return read_published()


@pytest.fixture(scope="module")
def turnaround(pub):
    england = calibrate(pub.history("england"), name="England")
    a = DemandAssumptions(budget=Budget(cost_per_fte_gbp=50_000.0))
    return run_turnaround(pub.history("333"), a, fallback=england, published=pub)


def test_levers_come_from_sandwells_published_flows(pub):
    h = pub.history("333")
    values, basis = published_lever_values(h)
    new = h["referrals"] - h["rereferrals"]
    assert values["early_help_diversion"] == pytest.approx(1 - new.loc[2014:2016].mean() / new[2013])
    nfa = h["referrals_nfa"] / h["referrals"]
    assert values["front_door_screening"] == pytest.approx(nfa.loc[2014:2016].mean() - nfa[2013])
    assert all(b.startswith("[DERIVED]") or b.startswith("[D24]") for b in basis.values())


def test_the_scenario_starts_from_2013_and_runs_to_2016(turnaround):
    res = turnaround.result
    assert res.calibration.years == [2013] and res.start_year == 2013 and res.horizon == 12
    assert res.runs[CLAIMS_SCENARIO].structure.name == "locality"
    assert res.runs[CLAIMS_SCENARIO].scenario.investment.amount_gbp == 1_150_000.0
    assert res.assumptions.price_year == 2015


def test_claims_variant_reaches_the_claimed_rereferral_rate(turnaround):
    table = turnaround.comparison.set_index("claim")
    row = table[table.index.str.startswith(CLAIMS["rereferral"][2])].iloc[0]
    assert row["model_as_reported"] == pytest.approx(9.0, abs=0.01)
    assert row["published"] == pytest.approx(11.5)
    assert "Brent" in row["note"] and "by construction" in row["note"]
    assert row["model_published_flows"] > row["model_as_reported"]


def test_comparison_sets_model_claim_and_published_side_by_side(turnaround):
    table = turnaround.comparison
    assert list(table.columns) == ["claim", "claimed", "model_as_reported", "model_published_flows",
                                   "model_no_change", "published", "model_verdict", "published_verdict", "note"]
    cin_2015 = table[table["claim"].str.contains("to 2015")].iloc[0]
    assert cin_2015["published"] == pytest.approx(100 * (1778 / 2312 - 1))
    assert cin_2015["published_verdict"] == "same direction, smaller"
    cin_2016 = table[table["claim"].str.contains("to 2016") & table["claim"].str.startswith("children in need")]
    assert cin_2016.iloc[0]["published_verdict"] == "does not agree"
    care = table[table["claim"].str.startswith(CLAIMS["cla_change"][2])].iloc[0]
    assert care["published_verdict"] == "cannot be tested" and np.isnan(care["published"])
    turnover = table[table["claim"].str.startswith(CLAIMS["turnover"][2])].iloc[0]
    assert turnover["model_verdict"] == "not modelled here" and "plans" in turnover["note"]
    # its model columns would otherwise hold a change in required FTE under a turnover claim of 15%
    assert turnover[["model_as_reported", "model_published_flows", "model_no_change"]].isna().all()
    assert "required social-work FTE" in turnover["note"] and "% as reported" in turnover["note"]
    # every lever set pulls demand down against carrying on as before
    assert (cin_2015["model_as_reported"] < cin_2015["model_no_change"])


def test_savings_are_net_of_the_partners_fee(turnaround):
    b = turnaround.result.budget.set_index(["scenario", "part"])
    assert b.at[(CLAIMS_SCENARIO, "investment"), "saving_gbp"] == pytest.approx(-1_150_000.0)
    total = b.at[(CLAIMS_SCENARIO, "total"), "saving_gbp"]
    parts = sum(b.at[(CLAIMS_SCENARIO, p), "saving_gbp"] for p in
                ("social_work_staff", "personal_advisers", "placements", "early_help", "other", "investment"))
    assert total == pytest.approx(parts)
    assert PUBLISHED_SCENARIO in turnaround.result.runs
