"""The library API the plans will call: the workforce a scenario needs, and the Demand sheet."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from demand_frames import synthetic_history
from workforce.demand import LeverSet, Scenario, demand_sheet_tables, run_demand, workforce_requirement
from workforce.demand.settings import Budget, DemandAssumptions
from workforce.excel.writer import SafeWorkbook, TableSpec


@pytest.fixture(scope="module")
def result():
    history, share = synthetic_history()
    a = DemandAssumptions(budget=Budget(cost_per_fte_gbp=50_000.0), judgements={"care_entry_share_from_cp": share})
    less = Scenario("less", LeverSet({"early_help_diversion": 0.3}, {"early_help_diversion": "test"}, "locality"))
    return run_demand(history, a, name="Test", scenarios=[less], chosen="less")


def test_workforce_requirement_is_one_row_per_quarter_and_team_type(result):
    need = workforce_requirement(result)
    assert list(need.columns) == ["quarter", "quarter_end", "year", "team_type", "social_work", "demand_points",
                                  "demand_children", "required_fte"]
    assert set(need["team_type"]) == {"locality", "leaving_care"}  # the chosen scenario's structure
    assert not need.duplicated(["quarter", "team_type"]).any()
    assert sorted(need["quarter"].unique()) == list(range(0, result.horizon + 1))
    base = workforce_requirement(result, "baseline")
    assert set(base["team_type"]) == {"assessment", "safeguarding", "children_in_care", "leaving_care"}
    # avoided demand is avoided FTE
    end = result.horizon
    sw = lambda f: f[(f["quarter"] == end) & f["social_work"]]["required_fte"].sum()  # noqa: E731
    assert sw(need) < sw(base)
    with pytest.raises(KeyError, match="unknown scenario 'nope'"):
        workforce_requirement(result, "nope")


def test_demand_sheet_tables_go_on_one_sheet(result, tmp_path):
    tables = demand_sheet_tables(result)
    assert list(tables) == ["Demand_scenarios", "Demand_levers", "Demand_stocks", "Demand_flows"]
    assert list(tables["Demand_scenarios"].columns) == ["measure", "unit", "baseline", "less"]
    assert "scenario" not in tables["Demand_stocks"] and len(tables["Demand_stocks"]) == result.horizon + 1
    book = SafeWorkbook(produced_by="test")
    book.add_table_sheet("Demand", [TableSpec(frame, name) for name, frame in tables.items()], "demand")
    path = book.save(tmp_path / "plan.xlsx")
    ws = openpyxl.load_workbook(path)["Demand"]
    assert set(ws.tables) == set(tables)
    assert pd.notna(ws["A2"].value)


def test_the_plans_demand_sheet_shows_quarter_ends_as_dates(result, tmp_path):
    # the stocks and flows tables were written with every column formatted as a count, so
    # 31 March 2024 read "45,382"
    import datetime

    from workforce.demand.workbook import add_demand_sheet

    book = SafeWorkbook(produced_by="test")
    add_demand_sheet(book, result)
    ws = openpyxl.load_workbook(book.save(tmp_path / "plan.xlsx"))["Demand"]
    for name in ("Demand_stocks", "Demand_flows"):
        cells = ws[ws.tables[name].ref]
        col = [c.value for c in cells[0]].index("quarter_end")
        ends = [row[col] for row in cells[1:]]
        assert ends and all(isinstance(c.value, datetime.datetime) for c in ends), name
        assert all("yy" in c.number_format.lower() for c in ends), name


def test_the_plans_demand_sheet_names_the_price_year_of_its_money(result, tmp_path):
    """The plan's Summary names the plan's price year; the Demand sheet's money (placements at
    the CPI's latest year) says its own, on the sheet and on the money table's label."""
    from workforce.demand.workbook import add_demand_sheet

    book = SafeWorkbook(produced_by="test")
    add_demand_sheet(book, result, plan_start="2024-10-01")
    ws = openpyxl.load_workbook(book.save(tmp_path / "plan.xlsx"))["Demand"]
    texts = [str(c.value) for row in ws.iter_rows(max_col=1) for c in row if c.value is not None]
    year = result.assumptions.price_year
    assert any(t.startswith(f"Money on this sheet is in {year} prices") for t in texts)
    assert f"Money (GBP, {year} prices)" in texts
    assert any(t.startswith("Its budget's social-work staff are the FTE the model requires") for t in texts)
    # the model's calendar and the plan's, side by side in words
    assert any(t.startswith(f"Dates: the model counts quarters from 31 March {result.start_year}")
               and "counted from 01 October 2024" in t for t in texts)
