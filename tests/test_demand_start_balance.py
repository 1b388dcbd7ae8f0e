"""The baseline starts where the history leaves it: a history in steady state projects flat, one out
of balance moves as the rates that made it would move it, and a first-quarter step is named."""

from __future__ import annotations

import numpy as np
import pytest

from demand_frames import MIX, synthetic_history
from workforce.demand.engine import initial_state, simulate
from workforce.demand.levers import LeverSet, rates_for
from workforce.demand.parameters import calibrate
from workforce.demand.run import START_STEP, _closures_before, run_demand, start_adjustment_note
from workforce.demand.settings import Budget, DemandAssumptions

STAGES = ["assessment", "cin", "cp", "cla"]


def _project(cal, quarters=8):
    year = cal.years[-1]
    rates = [rates_for(cal, LeverSet(), 1, MIX)] * quarters
    new = [cal.value("new_referrals_per_quarter")] * quarters
    return simulate(initial_state(cal.start(year), MIX), rates, new, _closures_before(cal, year))


def _run(history, share):
    a = DemandAssumptions(budget=Budget(cost_per_fte_gbp=50_000.0), judgements={"care_entry_share_from_cp": share})
    return run_demand(history, a, name="Test")


def test_a_history_in_steady_state_projects_flat():
    history, share = synthetic_history(growth=0.0, warm_up=400)
    cal = calibrate(history, judgements={"care_entry_share_from_cp": share})
    start = cal.stocks.loc[cal.years[-1], STAGES].to_numpy(dtype=float)
    sim = _project(cal)
    for q in range(8):
        assert sim.stocks[STAGES].iloc[q].to_numpy() == pytest.approx(start, rel=1e-3), q
    result = _run(history, share)
    assert result.start_adjustment == []
    assert not any("first-year adjustment" in n for n in result.notes)
    assert start_adjustment_note(result) is None


def test_a_history_out_of_balance_moves_as_its_rates_would_move_it():
    # far more children in need than the flows keep open: the stage drains, slower each quarter
    start = {"assessment": 100.0, "cin": 4000.0, "cp": 200.0, "cla": 400.0, "care_leaver": 150.0}
    history, share = synthetic_history(growth=0.0, warm_up=4, years=5, first_year=2019, start=start)
    truth, _ = synthetic_history(growth=0.0, warm_up=4, years=7, first_year=2019, start=start)
    cal = calibrate(history, "2023", judgements={"care_entry_share_from_cp": share})
    sim = _project(cal)
    cin = sim.stocks["cin"].to_numpy()
    assert cin[0] < cal.stocks.at[2023, "cin"] and (np.diff(cin) < 0).all()
    model = sim.stock_total(("assessment", "cin", "cp", "cla"))
    for k, year in ((1, 2024), (2, 2025)):
        assert model[4 * k - 1] == pytest.approx(truth.at[year, "cin_at31"], rel=0.01), year


def test_a_first_quarter_step_is_named_with_its_size_and_cause():
    # a steady history whose last 31 March holds a quarter more children in need than the year's
    # flows left open: the pooled rates drain the excess in the first quarters
    history, share = synthetic_history(growth=0.0, warm_up=400)
    last = int(history.index.max())
    history.loc[last, "cin_at31"] += 0.25 * history.loc[last, "cin_at31"]
    result = _run(history, share)
    base = result.runs["baseline"].simulation
    step = base.stocks["cin"].iloc[0] / base.opening["cin"] - 1.0
    assert step < -START_STEP
    notes = [n for n in result.notes if n.startswith("first-year adjustment")]
    assert result.start_adjustment == notes
    [note] = [n for n in notes if "stage cin" in n]
    years = f"{last - 2}-{last}"
    assert "stage cin" in note and f"({step:+.1%})" in note and f"pooled over {years}" in note
    assert f"{last} alone" in note
    # the plan's closing note: one line with the step, and that plan and carrying on both follow it
    line = start_adjustment_note(result)
    assert line.startswith("demand: ") and f"children in need without a plan {step:+.1%}" in line
    assert "carrying on as now" in line
