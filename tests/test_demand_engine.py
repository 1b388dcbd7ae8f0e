"""The stock-and-flow engine: children are conserved every quarter, whatever the rates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demand_frames import MIX, true_rates
from workforce.demand.engine import Rates, initial_state, simulate
from workforce.demand.measures import FLOWS, INFLOW, OUTFLOWS, STAGES

START = {"assessment": 120.0, "cin": 900.0, "cp": 250.0, "cla": 500.0, "care_leaver": 160.0}


def _balance(sim):
    """Per quarter: children in, children out, change in stock (all stages)."""
    stocks = np.vstack([sim.opening[list(STAGES)].to_numpy(), sim.stocks[list(STAGES)].to_numpy()])
    change = np.diff(stocks.sum(axis=1))
    return sim.flows[INFLOW].to_numpy(), sim.flows[list(OUTFLOWS)].sum(axis=1).to_numpy(), change


def _stage_balance(sim, stage):
    """in - out - change for one stage, per quarter."""
    into = [f for f, (src, dst) in FLOWS.items() if dst == stage]
    out = [f for f, (src, dst) in FLOWS.items() if src == stage]
    before = np.concatenate([[sim.opening[stage]], sim.stocks[stage].to_numpy()[:-1]])
    return sim.flows[into].sum(axis=1) - sim.flows[out].sum(axis=1) - (sim.stocks[stage].to_numpy() - before)


def test_children_are_conserved_every_quarter():
    sim = simulate(initial_state(START, MIX), [true_rates()] * 12, [800.0] * 12, [900.0] * 4)
    into, out, change = _balance(sim)
    np.testing.assert_allclose(into - out, change, atol=1e-6)
    for stage in STAGES:
        np.testing.assert_allclose(_stage_balance(sim, stage), 0.0, atol=1e-6)


def test_totals_read_off_the_arrays_match_the_frames():
    sim = simulate(initial_state(START, MIX), [true_rates()] * 6, [800.0] * 6, [900.0] * 4)
    stages, flows = ("assessment", "cin", "cp", "cla"), ("care_entry_from_cin", "care_entry_from_cp")
    np.testing.assert_array_equal(sim.stock_total(stages), sim.stocks[list(stages)].to_numpy().sum(axis=1))
    np.testing.assert_array_equal(sim.flow_total(flows), sim.flows[list(flows)].to_numpy().sum(axis=1))
    assert list(sim.stocks["quarter"]) == [1, 2, 3, 4, 5, 6] and sim.opening["cin"] == START["cin"]


def test_placements_add_up_to_the_looked_after_stage():
    sim = simulate(initial_state(START, MIX), [true_rates()] * 8, [800.0] * 8, [900.0] * 4)
    np.testing.assert_allclose(sim.placements.drop(columns="quarter").sum(axis=1), sim.stocks["cla"], rtol=1e-12)
    entries = sim.entries.drop(columns="quarter").sum(axis=1)
    np.testing.assert_allclose(entries, sim.flows["care_entry_from_cin"] + sim.flows["care_entry_from_cp"], rtol=1e-9)


hazard = st.floats(min_value=0.0, max_value=4.0, allow_nan=False)
share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(eh=share, nfa=share, nin=share, a=hazard, cc=hazard, cps=hazard, nc=hazard, sd=hazard, pc=hazard, ce=hazard,
       ls=share, le=hazard, rr=st.floats(min_value=0.0, max_value=1.5), new=st.floats(min_value=0.0, max_value=1e5))
def test_conservation_holds_for_any_rates(eh, nfa, nin, a, cc, cps, nc, sd, pc, ce, ls, le, rr, new):
    rates = Rates(eh, nfa, nin, a, cc, cps, nc, sd, pc, ce, ls, le, rr, tuple(MIX))
    sim = simulate(initial_state(START, MIX), [rates] * 6, [new] * 6, [500.0] * 4)
    into, out, change = _balance(sim)
    scale = max(1.0, float(np.abs(into).max()), sum(START.values()))
    np.testing.assert_allclose(into - out, change, atol=1e-9 * scale)
    assert (sim.stocks[list(STAGES)].to_numpy() >= 0).all()
    assert (sim.flows.drop(columns="quarter").to_numpy() >= -1e-9).all()


def test_rereferrals_follow_closures_of_the_last_four_quarters():
    rates = true_rates()
    sim = simulate(initial_state(START, MIX), [rates] * 8, [800.0] * 8, [400.0, 400.0, 400.0, 400.0])
    assert sim.flows["rereferrals"].iloc[0] == pytest.approx(rates.rereferral * 400.0)
    closures = sim.flows[["nfa", "not_in_need", "cin_closure", "care_exit_home"]].sum(axis=1).to_numpy()
    expected = rates.rereferral * closures[:4].sum() / 4.0
    assert sim.flows["rereferrals"].iloc[4] == pytest.approx(expected)


def test_bad_rates_are_refused():
    with pytest.raises(ValueError, match="nfa"):
        true_rates(nfa=1.5)
    with pytest.raises(ValueError, match="cin_closure"):
        true_rates(cin_closure=-0.1)
