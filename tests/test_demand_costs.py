"""Placement costs with stated uprating, and savings against the whole budget, part by part."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from demand_frames import synthetic_history
from workforce.demand.levers import LeverSet
from workforce.demand.measures import PLACEMENT_TYPES, WEEKS_PER_QUARTER
from workforce.demand.placements import PRICE_INDEX, UNIT_COSTS, placement_costs, price_factor, unit_cost_table
from workforce.demand.run import BUDGET_PARTS, run_demand, scenarios_frame
from workforce.demand.settings import Budget, DemandAssumptions, Investment, Scenario


def test_unit_costs_are_uprated_by_the_stated_index():
    table = unit_cost_table(UNIT_COSTS, 2023).set_index("placement_type")
    assert table.at["in_house_foster", "weekly_gbp"] == pytest.approx(646.0 * PRICE_INDEX[2023] / PRICE_INDEX[2016])
    assert table.at["ifa", "weekly_gbp"] == pytest.approx(820.0 * PRICE_INDEX[2023] / PRICE_INDEX[2020])
    assert table.at["childrens_home", "weekly_gbp"] == 6120.0  # priced in 2023-24 already
    assert table.at["kinship", "weekly_gbp"] == 214.0  # a stated floor, not uprated
    assert "uprated 2016 to 2023 by CPI" in table.at["in_house_foster", "basis"]
    assert price_factor(2016, 2015) == pytest.approx(100.0 / 100.7)
    with pytest.raises(ValueError, match="no value for 2012"):
        price_factor(2012, 2023)


def test_placement_cost_is_child_weeks_times_the_weekly_cost():
    placements = pd.DataFrame({"quarter": [1], **{p: [10.0] for p in PLACEMENT_TYPES}})
    opening = pd.Series({p: 20.0 for p in PLACEMENT_TYPES})
    weekly = pd.Series({p: 100.0 * (i + 1) for i, p in enumerate(PLACEMENT_TYPES)})
    costs = placement_costs(placements, opening, weekly).set_index("placement_type")
    assert costs.at["ifa", "child_weeks"] == pytest.approx(15.0 * WEEKS_PER_QUARTER)
    assert costs.at["ifa", "cost_gbp"] == pytest.approx(15.0 * WEEKS_PER_QUARTER * 200.0)


@pytest.fixture(scope="module")
def result():
    history, share = synthetic_history()
    a = DemandAssumptions(budget=Budget(cost_per_fte_gbp=50_000.0), judgements={"care_entry_share_from_cp": share})
    fewer = Scenario("fewer", LeverSet({"early_help_diversion": 0.2, "care_entries": -0.3}),
                     Investment(1_000_000.0, 4, 1, "partner", "test"))
    cheaper = Scenario("cheaper", LeverSet({"ifa_to_in_house": 1.0, "residential_to_foster": 0.5}))
    return run_demand(history, a, name="Test", scenarios=[fewer, cheaper])


def test_savings_are_shown_part_by_part_against_the_whole_budget(result):
    b = result.budget.set_index(["scenario", "part"])
    for key in result.runs:
        parts = sum(b.at[(key, p), "cost_gbp"] for p in BUDGET_PARTS)
        assert b.at[(key, "total"), "cost_gbp"] == pytest.approx(parts)
        # the parts the model does not hold are the same in every scenario
        assert b.at[(key, "other"), "cost_gbp"] == pytest.approx(b.at[("baseline", "other"), "cost_gbp"])
    total = b.at[("baseline", "total"), "cost_gbp"]
    assert b.at[("fewer", "total"), "share_of_budget"] == pytest.approx(b.at[("fewer", "total"), "saving_gbp"] / total)
    assert b.at[("fewer", "placements"), "saving_gbp"] > 0 and b.at[("fewer", "social_work_staff"), "saving_gbp"] > 0
    # early help and the partner's fee count against the saving
    assert b.at[("fewer", "early_help"), "saving_gbp"] < 0
    assert b.at[("fewer", "investment"), "saving_gbp"] == pytest.approx(-1_000_000.0)
    # moving placements in-house saves on placements only
    assert b.at[("cheaper", "placements"), "saving_gbp"] > 0
    assert b.at[("cheaper", "social_work_staff"), "saving_gbp"] == pytest.approx(0.0, abs=1e-6)


def _first_year_modelled(res, cost=50_000.0):
    q = res.runs["baseline"]
    wf = q.workforce[q.workforce["quarter"].between(1, 4) & q.workforce["social_work"]]
    return wf["required_fte"].sum() * cost / 4 + q.placements[q.placements["quarter"] <= 4]["cost_gbp"].sum()


def test_other_is_its_share_of_the_first_years_budget(result):
    other_a_year = result.budget.set_index(["scenario", "part"]).at[("baseline", "other"), "cost_gbp"] / 3
    assert other_a_year / (other_a_year + _first_year_modelled(result)) == pytest.approx(0.25)


def test_a_given_total_budget_sets_the_other_part():
    history, share = synthetic_history()
    a = DemandAssumptions(budget=Budget(cost_per_fte_gbp=50_000.0, total_gbp=200_000_000.0, total_basis="test"),
                          judgements={"care_entry_share_from_cp": share})
    res = run_demand(history, a)
    other_a_year = res.budget.set_index(["scenario", "part"]).at[("baseline", "other"), "cost_gbp"] / 3
    assert other_a_year == pytest.approx(200_000_000.0 - _first_year_modelled(res), rel=1e-9)


def test_scenarios_side_by_side(result):
    frame = scenarios_frame(result).set_index(["measure", "unit"])
    assert list(frame.columns) == ["baseline", "fewer", "cheaper"]
    looked_after = frame.loc[("children looked after at the end", "children")]
    assert looked_after["fewer"] < looked_after["baseline"]
    assert looked_after["cheaper"] == pytest.approx(looked_after["baseline"])
    assert np.isfinite(frame.to_numpy(dtype=float)).all()
