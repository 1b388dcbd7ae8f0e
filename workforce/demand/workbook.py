"""`demand.xlsx`: the demand run as a workbook with native charts, through the one safe writer.

A Summary sheet (the scenarios side by side and four charts, each with the data it draws
beneath), then one sheet per table: Scenarios, Levers, Stocks, Flows, Required FTE, Handoffs,
Placements, Budget, Parameters, Fit and, for the Sandwell scenario, Turnaround.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Mapping

import pandas as pd
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference

from workforce.demand.measures import PUBLISHED_STOCKS, STAGES
from workforce.demand.parameters import years_text
from workforce.demand.run import DemandResult, demand_sheet_tables, output_frames
from workforce.excel.cells import header_names
from workforce.excel.layout import GridSheet
from workforce.excel.writer import SafeWorkbook, TableSpec

CHART_ROWS = 18


def _by_scenario(result: DemandResult, frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """Quarter label by scenario, for a line chart."""
    wide = frame.pivot_table(index="quarter", columns="scenario", values=value, aggfunc="sum", sort=False)
    wide = wide[[k for k in result.runs if k in wide.columns]]
    out = wide.reset_index()
    out.insert(0, "quarter_label", [f"Q{int(q)}" if q else "start" for q in out["quarter"]])
    return out.drop(columns="quarter").rename(columns={"quarter_label": "quarter"})


def chart_data(result: DemandResult, frames: dict[str, pd.DataFrame]) -> list[tuple[str, pd.DataFrame, str, str]]:
    """(title, data, kind, y-axis title) for each Summary chart (from the run's `output_frames`);
    the data's first column is the category."""
    stocks = frames["stocks"]
    fte = frames["required_fte"]
    fte = fte[fte["social_work"]]
    chosen = stocks[stocks["scenario"] == result.chosen]
    by_stage = chosen[["quarter", *STAGES]].copy()
    by_stage.insert(0, "label", [f"Q{int(q)}" if q else "start" for q in by_stage["quarter"]])
    by_stage = by_stage.drop(columns="quarter").rename(columns={"label": "quarter"})
    budget = result.budget
    parts = budget[(budget["part"] != "total")].pivot_table(index="scenario", columns="part", values="final_year_gbp",
                                                            sort=False)
    parts = parts.loc[[k for k in result.runs if k in parts.index]]
    parts = parts.loc[:, (parts.abs() > 0.5).any()].reset_index()
    return [
        ("Children in need (cin_at31)", _by_scenario(result, stocks, "cin_at31"), "line", "children"),
        ("Required social-work FTE", _by_scenario(result, fte, "required_fte"), "line", "FTE"),
        (f"Children by stage: {result.chosen}", by_stage, "area", "children"),
        ("Budget in the final year", parts, "bar", "GBP"),
    ]


def _chart(kind: str, title: str, ytitle: str, ws, header_row: int, n_rows: int, n_series: int):
    chart = {"line": LineChart, "area": AreaChart, "bar": BarChart}[kind]()
    if kind == "area":
        chart.grouping = "stacked"
    if kind == "bar":
        chart.type = "col"
        chart.grouping = "stacked"
        chart.overlap = 100
    chart.title = title
    chart.y_axis.title = ytitle
    chart.y_axis.number_format = "#,##0"
    chart.add_data(Reference(ws, min_col=2, max_col=1 + n_series, min_row=header_row, max_row=header_row + n_rows),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + n_rows))
    if kind == "line":
        for s in chart.series:
            s.smooth = False
    chart.legend.position = "b"
    chart.width, chart.height = 15.0, 8.4
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def _groups(scenarios: pd.DataFrame, price_year: int) -> list[tuple[str, pd.DataFrame, str]]:
    """The scenarios table split by unit, so each part gets one number format; money is labelled
    with the price year it is in."""
    unit = scenarios["unit"].astype(str)
    money = unit == "GBP"
    rates = unit.str.startswith("%")
    staff = unit.isin(["FTE", "workers"])
    counts = ~(money | rates | staff)
    parts = [("Children, flows and caseload", counts, "int"), ("Workforce", staff, "float"),
             ("Changes and rates (%)", rates, "float"), (f"Money (GBP, {price_year} prices)", money, "gbp")]
    return [(label, scenarios[mask].reset_index(drop=True), kind) for label, mask, kind in parts if mask.any()]


def _summary(book: SafeWorkbook, result: DemandResult, frames: dict[str, pd.DataFrame]) -> None:
    grid = book.grid_sheet("Summary", "the scenarios side by side and charts of where each leads")
    grid.widths({1: 52, 2: 24, **{3 + i: 24 for i in range(len(result.runs) + 4)}})
    cal = result.calibration
    row = grid.put_title(1, f"Demand and the child's journey: {result.name or 'your authority'}",
                         f"calibrated on {years_text(cal.years)}; projected {result.horizon} quarters from "
                         f"31 March {result.start_year}; headline scenario: {result.chosen}")
    row += 1
    grid.put(row, 1, "Scenarios side by side (the Scenarios sheet has them all; how each is computed: README)",
             "wf heading")
    row += 1
    for label, rows, kind in _groups(frames["scenarios"], result.assumptions.price_year):
        grid.put(row, 1, label, "wf label")
        row = grid.put_table(row + 1, 1, rows, f"summary_{kind}_{row}", formats={k: kind for k in result.runs}) + 1
    place_charts(grid, row, chart_data(result, frames), "chart_data", "float")
    grid.close()


def place_charts(grid: GridSheet, row: int, charts: list[tuple[str, pd.DataFrame, str, str]], prefix: str,
                 number: str) -> int:
    """Charts two abreast from `row`, the data each draws beneath them (`number` the format of the
    data, pounds where the y axis is GBP); returns the next free row."""
    chart_top = row
    data_row = chart_top + ((len(charts) + 1) // 2) * (CHART_ROWS + 1) + 1
    grid.put(data_row, 1, "Chart data", "wf heading")
    data_row += 1
    made: list[tuple[int, Callable]] = []
    for k, (title, frame, kind, ytitle) in enumerate(charts):
        grid.put(data_row, 1, title, "wf label")
        header = data_row + 1
        shown = "gbp" if ytitle == "GBP" else number
        data_row = grid.put_table(header, 1, frame, f"{prefix}_{k + 1}",
                                  formats={c: shown for c in frame.columns[1:]}) + 1
        made.append((header, lambda ws, h=header, t=title, f=frame, kd=kind, y=ytitle:
                     _chart(kd, t, y, ws, h, len(f), f.shape[1] - 1)))
    for k, (_, make) in enumerate(made):
        anchor = ("A" if k % 2 == 0 else "C") + str(chart_top + (k // 2) * (CHART_ROWS + 1))
        grid.add_chart(make(grid.ws), anchor)
    return data_row


#: Flows drawn on a plan's Demand sheet (the chosen scenario, per quarter).
SHEET_FLOWS = ("referrals", "early_help", "assessed_in_need", "cp_start", "care_entry_from_cin", "care_entry_from_cp",
               "cin_closure")


def _table_notes(grid: GridSheet, row: int, frame: pd.DataFrame, notes: Mapping[str, str]) -> None:
    """Header comments on a table placed at `row`, column 1: each column's note, where given."""
    for j, (column, header) in enumerate(zip(frame.columns, header_names(list(frame.columns)))):
        note = notes.get(str(column))
        if note:
            grid.put(row, j + 1, header, "wf header", comment=note)


def add_demand_sheet(book: SafeWorkbook, result: DemandResult, *, source: str = "", name: str = "Demand",
                     agreement: pd.DataFrame | None = None, notes: Mapping[str, str] | None = None,
                     plan_start: str | None = None) -> None:
    """A plan workbook's Demand sheet: where the plan's demand comes from, the scenarios side by
    side, native charts (children in need and required social-work FTE by scenario, children by
    stage and the main flows of the scenario the plan follows, the budget), then the levers and
    the chosen scenario's stocks and flows (:func:`workforce.demand.run.demand_sheet_tables`).

    Parameters
    ----------
    book : SafeWorkbook
        The workbook to add the sheet to.
    result : DemandResult
        The demand run the plan used.
    source : str
        Where its history came from, in words.
    name : str
        The sheet name.
    agreement : DataFrame, optional
        Open cases by stage beside the model's start (the demo's check), shown first.
    notes : mapping, optional
        Column name -> what it holds, as header comments on every table.
    plan_start : str, optional
        The plan's first day (ISO): the sheet says how the model's quarters map onto the plan's.
    """
    notes = dict(notes or {})
    tables = demand_sheet_tables(result)
    frames = output_frames(result)
    grid = book.grid_sheet(name, f"the child's journey behind the plan's demand: the scenarios side by side, charts, "
                                 f"the levers, and the stocks and flows of the scenario the plan follows "
                                 f"({result.chosen})")
    grid.widths({1: 52, 2: 24, **{3 + i: 16 for i in range(24)}})
    cal = result.calibration
    row = grid.put_title(1, f"Demand: the child's journey behind this plan ({result.name or 'your authority'})",
                         f"{source or 'history'}; calibrated on {years_text(cal.years)}, projected "
                         f"{result.horizon} quarters from 31 March {result.start_year}")
    for line in (f"The plan follows the '{result.chosen}' scenario: each team's demand moves with its team type's "
                 "caseload points and children against quarter 0 (workers' team_type column;",
                 "the whole service's where a team's type is not in the model), so demand a lever avoids is hires "
                 "and agency the plan does not need.",
                 "The other scenarios are shown for comparison: plan with one of them (its name as the demand "
                 "scenario) to see the workforce it needs."):
        grid.put(row, 1, line, "wf subtitle")
        row += 1
    if plan_start:
        grid.put(row, 1, f"Dates: the model counts quarters from 31 March {result.start_year}, the last published "
                 f"year; the plan takes the model's change over k quarters as its own quarter k, counted from "
                 f"{pd.Timestamp(plan_start):%d %B %Y} (demand_required_fte.csv: plan_quarter_end).", "wf subtitle")
        row += 1
    grid.put(row, 1, f"Money on this sheet is in {result.assumptions.price_year} prices ([placements] price_year: "
             "placements uprated by the CPI, staff at the plan's pay brought back by the pay award); the plan's own "
             "costs are in its price year (Summary).", "wf subtitle")
    row += 1
    grid.put(row, 1, "Its budget's social-work staff are the FTE the model requires in case-holding teams at the role "
             "mix's pay, before absence and agency premium; the plan's workforce cost is every post, agency at day "
             "rates, recruitment and L&D: the two differ by design (the Cost reconciliation sheet walks from the one "
             "to the other).", "wf subtitle")
    row += 1
    for line in result.start_adjustment:  # a baseline that steps at the start says why
        grid.put(row, 1, line, "wf subtitle")
        row += 1
    row += 1
    if agreement is not None:
        grid.put(row, 1, "Open cases today and the model's start, by stage", "wf heading")
        end = grid.put_table(row + 1, 1, agreement, "demand_agreement",
                             formats={"open_cases": "int", "model_start": "int", "difference": "float",
                                      "difference_pct": "float"})
        _table_notes(grid, row + 1, agreement, notes)
        row = end + 1
    grid.put(row, 1, "Scenarios side by side", "wf heading")
    row += 1
    for label, rows, kind in _groups(tables["Demand_scenarios"], result.assumptions.price_year):
        grid.put(row, 1, label, "wf label")
        end = grid.put_table(row + 1, 1, rows, f"demand_{kind}_{row}", formats={k: kind for k in result.runs})
        _table_notes(grid, row + 1, rows, notes)
        row = end + 1
    flows = tables["Demand_flows"]
    flow_chart = flows[["quarter", *[f for f in SHEET_FLOWS if f in flows.columns]]].copy()
    flow_chart.insert(0, "label", [f"Q{int(q)}" for q in flow_chart["quarter"]])
    flow_chart = flow_chart.drop(columns="quarter").rename(columns={"label": "quarter"})
    charts = chart_data(result, frames) + [(f"Flows a quarter: {result.chosen}", flow_chart, "line", "children")]
    row = place_charts(grid, row, charts, "demand_chart", "int") + 1
    counts = {c: "int" for c in (*STAGES, "cin_at31", "children", *flows.columns) if c not in ("quarter", "year")}
    for title, key, formats in (
        ("Levers: each scenario's value and basis", "Demand_levers", {k: "mixed" for k in result.runs}),
        (f"Children at each stage at the end of each quarter: {result.chosen} (quarter 0 = the start)",
         "Demand_stocks", counts),
        (f"Children moving between stages in each quarter: {result.chosen}", "Demand_flows", counts),
    ):
        frame = tables[key]
        grid.put(row, 1, title, "wf heading")
        # counts on the numeric columns only: a quarter's end stays a date
        numeric = {c: f for c, f in formats.items() if c in frame.columns and pd.api.types.is_numeric_dtype(frame[c])}
        end = grid.put_table(row + 1, 1, frame, key, formats=numeric)
        _table_notes(grid, row + 1, frame, notes)
        row = end + 1
    grid.close()


# The quarters' `year` is the DfE's: a quarter ending 30 June 2023 is in 2024, a reader's "2023".
YEAR_NOTE = ("year = the DfE reporting year the quarter ends in (the year to 31 March: the quarter to "
             "30 June 2023 is in 2024), as the published tables count it")


def write_demand_workbook(path: str | Path, result: DemandResult, *, turnaround: pd.DataFrame | None = None,
                          inputs: Iterable[str | Path] = (), notes: Iterable[str] = ()) -> Path:
    """Write `demand.xlsx` for one demand run.

    Parameters
    ----------
    path : path
    result : DemandResult
    turnaround : DataFrame, optional
        The turnaround's comparison with the claims (:func:`workforce.demand.turnaround.compare_with_claims`).
    inputs : paths
        Input files (their checksums go on the README sheet).
    notes : str
        Lines for the README sheet after the run's own notes (what was read, licences).
    """
    book = SafeWorkbook(produced_by="workforce demand", inputs=inputs, title="Demand and the child's journey")
    frames = output_frames(result)
    _summary(book, result, frames)
    if turnaround is not None:
        numbers = ("claimed", "model_as_reported", "model_published_flows", "model_no_change", "published")
        book.add_table_sheet("Turnaround", [TableSpec(turnaround, "Turnaround", formats={c: "float" for c in numbers})],
                             "Sandwell's turnaround: the model's outcome beside the case study's claims and the "
                             "published figures")
    per_scenario = {k: "float" for k in result.runs}
    for sheet, tables, formats, description in (
        ("Scenarios", ["scenarios"], per_scenario, "where each scenario ends up (one column per scenario)"),
        ("Levers", ["levers"], {k: "mixed" for k in result.runs},
         "every lever: unit, range, the flows it moves, its evidence, and each scenario's value with its basis; set "
         "yours in the assumptions file ([levers], [scenarios.NAME])"),
        ("Stocks", ["stocks"], {}, "children at each stage at the end of each quarter, per scenario (quarter 0 = the "
         f"start); cin_at31 = {' + '.join(PUBLISHED_STOCKS['cin_at31'])}, as published; {YEAR_NOTE}"),
        ("Flows", ["flows"], {}, "children moving between stages in each quarter, per scenario; conservation_gap = "
         f"in - out - change in stock (zero up to rounding); {YEAR_NOTE}"),
        ("Required FTE", ["required_fte"], {}, "caseload points, children and required FTE by team type and quarter, "
         f"per scenario (through workforce.caseload; before absence); {YEAR_NOTE}"),
        ("Handoffs", ["handoffs"], {}, "transfers between teams, social workers per child who had one in the last "
         f"four quarters and the share of looked-after children with three or more (cf. cla_3plus_sw_pct); {YEAR_NOTE}"),
        ("Placements", ["unit_costs", "placements"], {}, "weekly unit costs with their sources and uprating (left); "
         f"looked-after children and cost by placement type and quarter, per scenario (right); {YEAR_NOTE}"),
        ("Budget", ["budget"], {}, "the children's social care budget by part, per scenario, with savings against the "
         "baseline as a share of the whole budget"),
        ("Parameters", ["parameters"], {"value": "mixed", "lo": "mixed", "hi": "mixed"},
         "every calibrated rate and judgement with its range, unit, basis and the years it came from"),
        ("Fit", ["fit_mape", "fit"], {}, "how closely the calibrated model reproduces the calibration years: MAPE per "
         "published stock (left); every year and measure, published against model (right)"),
    ):
        specs = [TableSpec(frames[name], name.capitalize(), formats=formats) for name in tables]
        book.add_table_sheet(sheet, specs, description)
    book.add_readme(notes=(list(result.notes) or ["no data was imputed or taken from a fallback"]) + list(notes))
    return book.save(path)
