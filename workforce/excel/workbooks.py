"""The workbooks `workforce` hands to people, all built on the one safe writer.

* :func:`write_allocation_workbook` - a service manager's allocation (Summary, Allocations,
  Worker loads, Unallocated, Changes, Assumptions, README);
* :func:`write_risk_register` - the churn risk register (RAG bands, team risk, fairness audit,
  model card);
* :func:`write_planner_workbook` - the HR planner's `workforce_plan.xlsx`: a Summary dashboard
  of headline indicators, each traced to the sheet it comes from, with native charts, then one
  sheet per planning step that was run. A step that was not run leaves its sheet out.

Every indicator is computed here from the frames passed in by a small named function, so the
figures on the dashboard always agree with the sheets beneath it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pandas as pd
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.legend import Legend, LegendEntry
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun

from workforce.excel.writer import (
    GridSheet,
    Highlight,
    SafeWorkbook,
    Scale,
    TableSpec,
    key_value_frame,
)

PathLike = str | Path

SHEET_SUMMARY = "Summary"
SHEET_RISK = "Risk register"
SHEET_TEAM_RISK = "Team risk"
SHEET_LD = "L&D plan"
SHEET_RECRUIT = "Recruitment plan"
SHEET_PROJECTION = "Projection"
SHEET_ALLOCATION = "Allocation"
SHEET_FAIRNESS = "Fairness audit"
SHEET_ASSUMPTIONS = "Assumptions"
SHEET_CARD = "Model card"

BAND_ORDER = ("High", "Medium", "Low")
BAND_COLOURS = {"High": "C0504D", "Medium": "F2B134", "Low": "6AA84F"}

#: RAG bands on the `band` column of a risk table.
RAG_HIGHLIGHTS = (
    Highlight('{band}="High"', "bad", column="band"),
    Highlight('{band}="Medium"', "warn", column="band"),
    Highlight('{band}="Low"', "good", column="band"),
)
#: Over-cap loads: the whole row when over the soft cap, the utilisation cell when above 100%.
OVER_CAP_HIGHLIGHTS = (
    Highlight("{over_soft_cap}=TRUE", "warn"),
    Highlight("{utilisation_after}>1", "bad", column="utilisation_after"),
)


# --- indicators --------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One headline figure, with the sheet it comes from and how it was computed."""

    name: str
    value: Any
    kind: str  # pct, gbp, int, float
    sheet: str
    basis: str


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce")


def _has(frame: pd.DataFrame | None, *columns: str) -> bool:
    return frame is not None and len(frame) > 0 and all(c in frame.columns for c in columns)


def caseload_per_fte(worker_loads: pd.DataFrame | None, sheet: str) -> Indicator | None:
    """Children per case-holding FTE (the DfE caseload measure): children held after
    allocation over the FTE of workers with case capacity."""
    if not _has(worker_loads, "children_after", "fte", "capacity_points"):
        return None
    holding = _num(worker_loads, "capacity_points") > 0
    fte = float(_num(worker_loads, "fte")[holding].sum())
    if fte <= 0:
        return None
    value = float(_num(worker_loads, "children_after").sum()) / fte
    return Indicator("Caseload per case-holding FTE", value, "float", sheet,
                     "sum of children_after / sum of fte where capacity_points > 0")


def workers_over_cap(worker_loads: pd.DataFrame | None, sheet: str) -> Indicator | None:
    """Workers holding more than the soft cap on children after allocation."""
    if not _has(worker_loads, "over_soft_cap"):
        return None
    value = int(worker_loads["over_soft_cap"].astype(bool).sum())
    return Indicator("Workers over the soft caseload cap", value, "int", sheet, "count of over_soft_cap = TRUE")


def mean_utilisation(worker_loads: pd.DataFrame | None, sheet: str) -> Indicator | None:
    """Average load against capacity for workers who hold cases."""
    if not _has(worker_loads, "utilisation_after", "capacity_points"):
        return None
    holding = _num(worker_loads, "capacity_points") > 0
    value = float(_num(worker_loads, "utilisation_after")[holding].mean())
    return Indicator("Mean utilisation after allocation", value, "pct", sheet,
                     "mean of utilisation_after where capacity_points > 0")


def changes_of_worker(summary: Mapping[str, Any] | None, sheet: str) -> Indicator | None:
    """Children whose social worker changes under the allocation (stability: each change is a
    new relationship for the child)."""
    if not summary or summary.get("handoffs") is None:
        return None
    return Indicator("Changes of worker (children re-allocated)", int(summary["handoffs"]), "int", sheet,
                     "allocation summary: handoffs")


def unallocated_children(summary: Mapping[str, Any] | None, sheet: str) -> Indicator | None:
    """Children the allocation could not place within the rules."""
    if not summary or summary.get("unallocated") is None:
        return None
    return Indicator("Children left unallocated", int(summary["unallocated"]), "int", sheet,
                     "allocation summary: unallocated")


def predicted_turnover(risk: pd.DataFrame | None, sheet: str) -> Indicator | None:
    """Expected share of workers leaving within the model's horizon (mean leaving probability)."""
    if not _has(risk, "p_leave"):
        return None
    return Indicator("Predicted turnover (mean p_leave)", float(_num(risk, "p_leave").mean()), "pct", sheet,
                     "mean of p_leave over workers scored")


def expected_leavers(risk: pd.DataFrame | None, sheet: str) -> Indicator | None:
    """Expected number of leavers: the sum of individual leaving probabilities."""
    if not _has(risk, "p_leave"):
        return None
    return Indicator("Expected leavers (headcount)", float(_num(risk, "p_leave").sum()), "float", sheet,
                     "sum of p_leave")


def high_risk_workers(risk: pd.DataFrame | None, sheet: str) -> Indicator | None:
    """Workers in the High risk band: the retention conversations to have first."""
    if not _has(risk, "band"):
        return None
    return Indicator("Workers in the High risk band", int((risk["band"] == "High").sum()), "int", sheet,
                     'count of band = "High"')


def _first_last(totals: pd.DataFrame, column: str) -> tuple[float, float]:
    ordered = totals.sort_values("quarter", kind="stable") if "quarter" in totals else totals
    values = _num(ordered, column)
    return float(values.iloc[0]), float(values.iloc[-1])


def agency_share_now_and_end(totals: pd.DataFrame | None, sheet: str) -> list[Indicator]:
    """Agency share of case-holding FTE in the first and last quarter of the plan, with the
    baseline (no-plan) share in the last quarter for comparison."""
    if not _has(totals, "agency_share"):
        return []
    first, last = _first_last(totals, "agency_share")
    out = [Indicator("Agency share, first quarter", first, "pct", sheet, "agency_share in the first quarter"),
           Indicator("Agency share, last quarter (plan)", last, "pct", sheet, "agency_share in the last quarter")]
    if "baseline_agency_share" in totals:
        out.append(Indicator("Agency share, last quarter (no plan)", _first_last(totals, "baseline_agency_share")[1],
                             "pct", sheet, "baseline_agency_share in the last quarter"))
    return out


def vacancies(totals: pd.DataFrame | None, sheet: str) -> list[Indicator]:
    """Vacant case-holding FTE (demand not met by permanent staff) now and at the end."""
    if not _has(totals, "vacancies_fte"):
        return []
    first, last = _first_last(totals, "vacancies_fte")
    return [Indicator("Vacancies (FTE), first quarter", first, "float", sheet, "vacancies_fte in the first quarter"),
            Indicator("Vacancies (FTE), last quarter", last, "float", sheet, "vacancies_fte in the last quarter")]


def plan_cost_and_saving(totals: pd.DataFrame | None, sheet: str) -> list[Indicator]:
    """Staffing cost over the whole plan, the no-plan baseline and the saving between them."""
    if not _has(totals, "cost_gbp"):
        return []
    cost = float(_num(totals, "cost_gbp").sum())
    out = [Indicator("Staffing cost over the plan", cost, "gbp", sheet, "sum of cost_gbp over quarters")]
    if "baseline_cost_gbp" in totals:
        base = float(_num(totals, "baseline_cost_gbp").sum())
        out.append(Indicator("Staffing cost with no plan (baseline)", base, "gbp", sheet,
                             "sum of baseline_cost_gbp over quarters"))
        out.append(Indicator("Saving against the baseline", base - cost, "gbp", sheet,
                             "sum of baseline_cost_gbp - sum of cost_gbp"))
    return out


def ld_cost_and_saving(gateway: pd.DataFrame | None, sheet: str) -> list[Indicator]:
    """Cost of the L&D offers and the saving expected from the leavers they prevent."""
    if not _has(gateway, "cost_gbp"):
        return []
    out = [Indicator("L&D plan cost", float(_num(gateway, "cost_gbp").sum()), "gbp", sheet, "sum of cost_gbp")]
    if "expected_saving_gbp" in gateway:
        out.append(Indicator("L&D expected saving", float(_num(gateway, "expected_saving_gbp").sum()), "gbp", sheet,
                             "sum of expected_saving_gbp"))
    return out


def fte_gap_end(projection: pd.DataFrame | None, sheet: str) -> Indicator | None:
    """Shortfall of case-holding FTE against demand in the last projected quarter (all teams)."""
    if not _has(projection, "quarter", "gap_fte"):
        return None
    last = projection["quarter"].max()
    value = float(_num(projection[projection["quarter"] == last], "gap_fte").sum())
    return Indicator("FTE gap, last quarter (all teams)", value, "float", sheet,
                     "sum of gap_fte over teams in the last quarter")


def shortfall_risk(montecarlo: pd.DataFrame | None, sheet: str) -> Indicator | None:
    """The highest chance, in any quarter, that supply falls short of demand."""
    if not _has(montecarlo, "p_shortfall"):
        return None
    return Indicator("Highest chance of a shortfall in a quarter", float(_num(montecarlo, "p_shortfall").max()),
                     "pct", sheet, "max of p_shortfall over quarters")


def _collect(*items: Indicator | list[Indicator] | None) -> list[Indicator]:
    out: list[Indicator] = []
    for item in items:
        if isinstance(item, list):
            out += item
        elif item is not None:
            out.append(item)
    return out


def _indicator_frame(indicators: list[Indicator]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": [i.name for i in indicators],
            "value": pd.Series([i.value for i in indicators], dtype=object),
            "source sheet": [i.sheet for i in indicators],
            "how it is computed": [i.basis for i in indicators],
        }
    )


def _put_indicators(grid: GridSheet, row: int, indicators: list[Indicator], name: str) -> int:
    frame = _indicator_frame(indicators)
    # value beside its name, formatted per row; the source sheet links to that sheet
    return grid.put_table(row, 1, frame, name, row_formats=[i.kind for i in indicators], format_column=1,
                          links={2: "sheet"})


# --- chart data --------------------------------------------------------------------------


def quarter_label(q: Any) -> str:
    """`Q1`, `Q2`, ... for integer quarters; other labels as given."""
    try:
        return f"Q{int(q)}"
    except (TypeError, ValueError):
        return str(q)


def team_points(worker_loads: pd.DataFrame) -> pd.DataFrame:
    """`team, points_after, capacity_points` summed per team (chart: load against capacity)."""
    g = worker_loads.groupby("team", sort=True)[["points_after", "capacity_points"]].sum().reset_index()
    g = g.astype({"team": object})
    return g.rename(columns={"points_after": "points held", "capacity_points": "capacity"})


def fte_against_demand(projection: pd.DataFrame, montecarlo: pd.DataFrame | None) -> pd.DataFrame:
    """Per quarter: demand and supply FTE summed over teams, with the Monte Carlo 10th-90th
    percentile band of supply when given (`band_width_fte` = p90 - p10, stacked on p10)."""
    g = projection.groupby("quarter", sort=True)[["demand_fte", "supply_fte"]].sum().reset_index()
    if _has(montecarlo, "quarter", "supply_fte_p10", "supply_fte_p90"):
        mc_cols = ["quarter", "supply_fte_p10", "supply_fte_p90"] + (["supply_fte_p50"] if "supply_fte_p50" in montecarlo else [])
        mc = montecarlo[mc_cols]
        g = g.merge(mc, on="quarter", how="left")
        g["band_width_fte"] = g["supply_fte_p90"] - g["supply_fte_p10"]
    g.insert(0, "quarter_label", [quarter_label(q) for q in g["quarter"]])
    return g.drop(columns="quarter").rename(columns=FTE_SERIES)


#: Chart-data column names (legend entries) for the FTE chart, from the frames' columns.
# The projection's supply has no new hires; the Monte Carlo's is the chosen plan's (hires, intake,
# agency), so both are shown and named, never mixed under one label.
FTE_SERIES = {"quarter_label": "quarter", "demand_fte": "demand FTE", "supply_fte": "supply with no new hires",
              "supply_fte_p50": "supply with the plan (median)",
              "supply_fte_p10": "supply FTE p10", "supply_fte_p90": "supply FTE p90",
              "band_width_fte": "supply 10th-90th percentile"}


def agency_share_series(totals: pd.DataFrame) -> pd.DataFrame:
    cols = ["quarter", "agency_share"] + (["baseline_agency_share"] if "baseline_agency_share" in totals else [])
    g = totals[cols].sort_values("quarter", kind="stable")
    g.insert(0, "quarter_label", [quarter_label(q) for q in g["quarter"]])
    g = g.drop(columns="quarter").reset_index(drop=True)
    return g.rename(columns={"quarter_label": "quarter", "agency_share": "agency share (plan)",
                             "baseline_agency_share": "agency share (no plan)"})


def workers_by_band(risk: pd.DataFrame) -> pd.DataFrame:
    counts = risk["band"].astype(str).value_counts()
    bands = [b for b in BAND_ORDER if b in counts.index] + sorted(b for b in counts.index if b not in BAND_ORDER)
    return pd.DataFrame({"band": pd.Series(bands, dtype=object), "workers": [int(counts[b]) for b in bands]})


def _axes_visible(chart) -> None:
    # openpyxl 3.1 marks axes deleted unless told otherwise; Excel then hides them
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def chart_team_points(ws, data_row: int, n: int) -> BarChart:
    """Clustered bars: points held after allocation against capacity, per team."""
    ch = BarChart()
    ch.type = "col"
    _title(ch, "Caseload points by team against capacity")
    ch.y_axis.title = "points"
    ch.y_axis.number_format = "#,##0"
    data = Reference(ws, min_col=2, max_col=3, min_row=data_row, max_row=data_row + n)
    ch.add_data(data, titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=data_row + 1, max_row=data_row + n))
    ch.series[0].graphicalProperties.solidFill = "4472C4"
    ch.series[1].graphicalProperties.solidFill = "BFBFBF"
    ch.gapWidth = 60
    ch.legend.position = "b"
    _size(ch)
    _axes_visible(ch)
    return ch


def chart_fte_demand(ws, data_row: int, n: int, columns: list[str]) -> Any:
    """Lines for demand and supply FTE; a shaded 10th-90th percentile band of supply when the
    Monte Carlo ran (a stacked area: the p10 layer is invisible, the band layer shaded)."""
    col = {c: i + 1 for i, c in enumerate(columns)}
    cats = Reference(ws, min_col=1, min_row=data_row + 1, max_row=data_row + n)
    line = LineChart()
    lines = [(FTE_SERIES["demand_fte"], "C00000", "dash"), (FTE_SERIES["supply_fte"], "7F7F7F", "sysDot"),
             (FTE_SERIES["supply_fte_p50"], "1F3864", None)]
    for name, colour, dash in lines:
        if name not in col:
            continue
        line.add_data(Reference(ws, min_col=col[name], min_row=data_row, max_row=data_row + n), titles_from_data=True)
        s = line.series[-1]
        s.graphicalProperties.line.solidFill = colour
        s.graphicalProperties.line.width = 28575
        if dash:
            s.graphicalProperties.line.dashStyle = dash
        s.smooth = False
    line.set_categories(cats)
    band_name = FTE_SERIES["band_width_fte"]
    if band_name in col:
        area = AreaChart(grouping="stacked")
        for name in (FTE_SERIES["supply_fte_p10"], band_name):
            area.add_data(Reference(ws, min_col=col[name], min_row=data_row, max_row=data_row + n), titles_from_data=True)
        low, band = area.series
        low.graphicalProperties = GraphicalProperties(noFill=True, ln=LineProperties(noFill=True))
        band.graphicalProperties = GraphicalProperties(solidFill="BDD7EE", ln=LineProperties(noFill=True))
        area.set_categories(cats)
        area += line
        chart = area
        chart.legend = Legend(legendEntry=[LegendEntry(idx=0, delete=True)])  # the invisible p10 layer
    else:
        chart = line
    _title(chart, "Case-holding FTE against demand" + (" (band: 10th-90th percentile)" if band_name in col else ""))
    chart.y_axis.title = "FTE"
    chart.y_axis.number_format = "#,##0"
    chart.legend.position = "b"
    _size(chart)
    _axes_visible(chart)
    return chart


def chart_agency_share(ws, data_row: int, n: int, n_series: int) -> LineChart:
    ch = LineChart()
    _title(ch, "Agency share of case-holding FTE")
    ch.add_data(Reference(ws, min_col=2, max_col=1 + n_series, min_row=data_row, max_row=data_row + n),
                titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=data_row + 1, max_row=data_row + n))
    ch.series[0].graphicalProperties.line.solidFill = "1F3864"
    ch.series[0].graphicalProperties.line.width = 28575
    if n_series > 1:
        ch.series[1].graphicalProperties.line.solidFill = "A5A5A5"
        ch.series[1].graphicalProperties.line.dashStyle = "dash"
    for series in ch.series:
        series.smooth = False  # a smoothed line overshoots below 0% where the share bottoms out
    ch.y_axis.number_format = "0%"
    ch.y_axis.scaling.min = 0
    ch.y_axis.majorGridlines = None
    ch.legend.position = "b"
    _size(ch)
    _axes_visible(ch)
    return ch


def chart_risk_bands(ws, data_row: int, bands: list[str]) -> BarChart:
    ch = BarChart()
    ch.type = "col"
    _title(ch, "Workers by risk band")
    ch.y_axis.number_format = "0"
    n = len(bands)
    ch.add_data(Reference(ws, min_col=2, min_row=data_row, max_row=data_row + n), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=data_row + 1, max_row=data_row + n))
    s = ch.series[0]
    for i, b in enumerate(bands):
        pt = DataPoint(idx=i)
        pt.graphicalProperties.solidFill = BAND_COLOURS.get(b, "7F7F7F")
        s.dPt.append(pt)
    s.dLbls = DataLabelList()
    s.dLbls.showVal = True
    for flag in ("showSerName", "showCatName", "showLegendKey", "showPercent"):
        setattr(s.dLbls, flag, False)
    ch.legend = None
    ch.gapWidth = 80
    _size(ch)
    _axes_visible(ch)
    return ch


def _size(chart, width: float = 14.4, height: float = 8.4) -> None:
    chart.width = width
    chart.height = height


def _title(chart, text: str, size: int = 1100) -> None:
    """A bold 11 pt title: the default 14 pt wraps and squeezes the plot area."""
    props = CharacterProperties(sz=size, b=True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    chart.title = Title(tx=Text(rich=RichText(p=[para])), overlay=False)


CHART_ROWS = 17  # rows an 8.4 cm chart covers at the default row height (0.53 cm)
# indicator | value | source sheet | how it is computed; two 14.4 cm charts fit A-C and D-
DASHBOARD_WIDTHS = {1: 44, 2: 14, 3: 18, 4: 58, 5: 14, 6: 14}


def _dashboard(book: SafeWorkbook, *, title: str, subtitle: str, indicators: list[Indicator],
               charts: list[tuple[str, pd.DataFrame, Callable[[Any, int], Any]]], description: str) -> None:
    """Title, indicator table, charts in two columns, then the data behind each chart."""
    grid = book.grid_sheet(SHEET_SUMMARY, description)
    grid.widths(DASHBOARD_WIDTHS)
    row = grid.put_title(1, title, subtitle) + 1
    if indicators:
        grid.put(row, 1, "Headline indicators", "wf heading")
        row = _put_indicators(grid, row + 1, indicators, "summary_indicators") + 1
    else:
        grid.put(row, 1, "No indicators: none of the inputs they need were given.", "wf note")
        row += 2
    if charts:
        grid.page_break_before(row)
        chart_top = row
        n_bands = (len(charts) + 1) // 2
        data_row = chart_top + n_bands * (CHART_ROWS + 1) + 1
        grid.page_break_before(data_row)
        grid.put(data_row, 1, "Chart data (computed from the sheets named)", "wf heading")
        data_row += 1
        made = []
        for title_text, frame, _ in charts:
            grid.put(data_row, 1, title_text, "wf label")
            made.append(data_row + 1)
            table = "chart_" + title_text.split(" (")[0].lower().replace(" ", "_")
            shares = {c: "pct" for c in frame.columns if "share" in str(c)}
            data_row = grid.put_table(data_row + 1, 1, frame, table, formats=shares) + 1
        for k, ((_, frame, make), header_row) in enumerate(zip(charts, made)):
            chart = make(grid.ws, header_row)
            anchor_col = "A" if k % 2 == 0 else "D"
            anchor_row = chart_top + (k // 2) * (CHART_ROWS + 1)
            grid.add_chart(chart, f"{anchor_col}{anchor_row}")
    grid.close()


# --- builders ----------------------------------------------------------------------------


def _table_sheet(book: SafeWorkbook, sheet: str, frame: pd.DataFrame | None, description: str, *,
                 name: str | None = None, **spec: Any) -> None:
    if frame is None:
        return
    book.add_table_sheet(sheet, [TableSpec(frame, name or sheet, **spec)], description)


def _assumptions_sheet(book: SafeWorkbook, assumptions: pd.DataFrame | Mapping[str, Any] | None,
                       description: str) -> None:
    if assumptions is None:
        return
    frame = assumptions if isinstance(assumptions, pd.DataFrame) else key_value_frame(assumptions)
    # values are mixed (numbers, text, lists): written as given, one kind per cell
    frame = frame.astype({c: object for c in frame.columns if c == "value"})
    book.add_table_sheet(SHEET_ASSUMPTIONS, [TableSpec(frame, "Assumptions", formats={"value": "mixed"})], description)


def write_allocation_workbook(path: PathLike, *, summary: Mapping[str, Any], allocations: pd.DataFrame,
                              worker_loads: pd.DataFrame, unallocated: pd.DataFrame, changes: pd.DataFrame,
                              settings: Mapping[str, Any] | pd.DataFrame | None = None,
                              inputs: Iterable[PathLike] = (), produced_by: str = "workforce allocate") -> Path:
    """The allocation workbook: Summary (solver figures, indicators, load by team chart),
    Allocations, Worker loads (over-cap loads highlighted), Unallocated, Changes, Assumptions
    (the settings used) and README (`produced_by`: the command that wrote it)."""
    book = SafeWorkbook(produced_by=produced_by, inputs=inputs, title="Case allocation")
    sheet_loads = "Worker loads"
    indicators = _collect(
        changes_of_worker(summary, "Changes"),
        unallocated_children(summary, "Unallocated"),
        caseload_per_fte(worker_loads, sheet_loads),
        workers_over_cap(worker_loads, sheet_loads),
        mean_utilisation(worker_loads, sheet_loads),
    )
    charts = []
    if _has(worker_loads, "team", "points_after", "capacity_points"):
        tp = team_points(worker_loads)
        charts.append(("Points by team (from Worker loads)", tp, lambda ws, r, n=len(tp): chart_team_points(ws, r, n)))
    grid_desc = "solver result, headline indicators and load by team"
    _allocation_summary_dashboard(book, summary, indicators, charts, grid_desc)
    _table_sheet(book, "Allocations", allocations, "one row per child: the worker chosen, the previous worker, "
                 "points and the cost of each objective term", highlights=(Highlight("{changed}=TRUE", "warn"),))
    _table_sheet(book, sheet_loads, worker_loads, "one row per worker: load before and after; over-cap loads "
                 "highlighted (amber: over the soft cap on children; red: utilisation above 100%)",
                 name="Worker_loads", highlights=OVER_CAP_HIGHLIGHTS, scales=(Scale("utilisation_after"),))
    _table_sheet(book, "Unallocated", unallocated, "children that could not be allocated, with the reason")
    _table_sheet(book, "Changes", changes, "the children whose worker changes")
    if settings is not None:
        frame = settings if isinstance(settings, pd.DataFrame) else key_value_frame(settings)
        book.add_table_sheet(SHEET_ASSUMPTIONS, [TableSpec(frame.astype(object), "Assumptions",
                                                           formats={c: "mixed" for c in frame.columns})],
                             "the settings this allocation used")
    book.add_readme()
    return book.save(path)


def _allocation_summary_dashboard(book: SafeWorkbook, summary: Mapping[str, Any], indicators: list[Indicator],
                                  charts: list, description: str) -> None:
    grid = book.grid_sheet(SHEET_SUMMARY, description)
    grid.widths(DASHBOARD_WIDTHS)
    status = str(summary.get("status", ""))
    row = grid.put_title(1, "Case allocation", f"solver status: {status}; produced {book.when:%Y-%m-%d %H:%M} UTC") + 1
    if indicators:
        grid.put(row, 1, "Headline indicators", "wf heading")
        row = _put_indicators(grid, row + 1, indicators, "summary_indicators") + 1
    grid.put(row, 1, "Solver result", "wf heading")
    kinds = {"gap": "pct", "max_utilisation": "pct", "mean_utilisation": "pct", "objective": "float",
             "bound": "float", "seconds": "float"}
    frame = key_value_frame(summary)
    row = grid.put_table(row + 1, 1, frame, "solver_result",
                         row_formats=[kinds.get(str(k)) for k in frame["item"]]) + 1
    for k, (title_text, data, make) in enumerate(charts):
        chart_row = row
        data_row = row + CHART_ROWS + 1
        grid.put(data_row, 1, title_text, "wf label")
        grid.put_table(data_row + 1, 1, data, "chart_team_points")
        grid.add_chart(make(grid.ws, data_row + 1), f"A{chart_row}")
        row = data_row + len(data) + 3
    grid.close()


def write_risk_register(path: PathLike, *, risk: pd.DataFrame, team_risk: pd.DataFrame | None = None,
                        fairness: pd.DataFrame | None = None, card: Mapping[str, Any] | pd.DataFrame | None = None,
                        inputs: Iterable[PathLike] = (), produced_by: str = "workforce churn score") -> Path:
    """The churn risk register: Summary (workers by band), Risk register (RAG bands on `band`,
    highest risk first), Team risk, Fairness audit, Model card, README (`produced_by`: the
    command that wrote it)."""
    book = SafeWorkbook(produced_by=produced_by, inputs=inputs, title="Retention risk register")
    indicators = _collect(predicted_turnover(risk, SHEET_RISK), expected_leavers(risk, SHEET_RISK),
                          high_risk_workers(risk, SHEET_RISK))
    charts = []
    if _has(risk, "band"):
        wb_ = workers_by_band(risk)
        bands = list(wb_["band"])
        charts.append(("Workers by risk band (from Risk register)", wb_,
                       lambda ws, r, b=bands: chart_risk_bands(ws, r, b)))
    _dashboard(book, title="Retention risk register", subtitle=f"produced {book.when:%Y-%m-%d %H:%M} UTC",
               indicators=indicators, charts=charts, description="headline risk figures and workers by band")
    _risk_sheets(book, risk, team_risk, fairness)
    if card is not None:
        frame = card if isinstance(card, pd.DataFrame) else key_value_frame(card)
        book.add_table_sheet(SHEET_CARD, [TableSpec(frame, "Model_card", formats={"value": "mixed"})],
                             "the churn model's card: data, validation, calibration, features, limits")
    book.add_readme(notes=["p_leave is a probability of leaving within the model horizon, not a certainty;"
                           " use it to prioritise conversations, never for decisions about individuals alone."])
    return book.save(path)


def _sorted_risk(risk: pd.DataFrame) -> pd.DataFrame:
    if "p_leave" in risk:
        return risk.sort_values("p_leave", ascending=False, kind="stable").reset_index(drop=True)
    return risk


def _risk_sheets(book: SafeWorkbook, risk: pd.DataFrame | None, team_risk: pd.DataFrame | None,
                 fairness: pd.DataFrame | None) -> None:
    if risk is not None:
        _table_sheet(book, SHEET_RISK, _sorted_risk(risk), "one row per worker, highest leaving risk first; "
                     "band in red/amber/green; driver_1-3 the main reasons", name="Risk_register",
                     highlights=RAG_HIGHLIGHTS, scales=(Scale("p_leave", "traffic"),))
    if team_risk is not None:
        _table_sheet(book, SHEET_TEAM_RISK, team_risk, "risk by team (small teams combined per locality)",
                     name="Team_risk")
    if fairness is not None:
        _table_sheet(book, SHEET_FAIRNESS, fairness, "model performance and predictions by protected group",
                     name="Fairness_audit")


def write_planner_workbook(path: PathLike, *, assumptions: pd.DataFrame, risk: pd.DataFrame | None = None,
                           gateway: pd.DataFrame | None = None, gateway_programmes: pd.DataFrame | None = None,
                           recruitment: pd.DataFrame | None = None, recruitment_totals: pd.DataFrame | None = None,
                           projection: pd.DataFrame | None = None, montecarlo: pd.DataFrame | None = None,
                           worker_loads: pd.DataFrame | None = None,
                           allocation_summary: Mapping[str, Any] | None = None,
                           fairness: pd.DataFrame | None = None, inputs: Iterable[PathLike] = (),
                           produced_by: str = "workforce plan") -> Path:
    """The HR planner's workbook `workforce_plan.xlsx`.

    Summary (headline indicators traced to their sheets, native charts), Risk register, L&D
    plan, Recruitment plan, Projection, Allocation, Fairness audit, Assumptions (editable; read
    back by `workforce plan --assumptions`), README (`produced_by`: the command that wrote it).
    A sheet whose frame is None is left out.
    """
    book = SafeWorkbook(produced_by=produced_by, inputs=inputs, title="Workforce plan")
    indicators = _collect(
        caseload_per_fte(worker_loads, SHEET_ALLOCATION),
        workers_over_cap(worker_loads, SHEET_ALLOCATION),
        changes_of_worker(allocation_summary, SHEET_ALLOCATION),
        predicted_turnover(risk, SHEET_RISK),
        expected_leavers(risk, SHEET_RISK),
        agency_share_now_and_end(recruitment_totals, SHEET_RECRUIT),
        vacancies(recruitment_totals, SHEET_RECRUIT),
        fte_gap_end(projection, SHEET_PROJECTION),
        shortfall_risk(montecarlo, SHEET_PROJECTION),
        plan_cost_and_saving(recruitment_totals, SHEET_RECRUIT),
        ld_cost_and_saving(gateway, SHEET_LD),
    )
    charts: list = []
    if _has(worker_loads, "team", "points_after", "capacity_points"):
        tp = team_points(worker_loads)
        charts.append(("Points by team (from Allocation)", tp, lambda ws, r, n=len(tp): chart_team_points(ws, r, n)))
    if _has(projection, "quarter", "demand_fte", "supply_fte"):
        fd = fte_against_demand(projection, montecarlo)
        charts.append(("FTE against demand (from Projection)", fd,
                       lambda ws, r, n=len(fd), c=list(fd.columns): chart_fte_demand(ws, r, n, c)))
    if _has(recruitment_totals, "quarter", "agency_share"):
        ag = agency_share_series(recruitment_totals)
        charts.append(("Agency share (from Recruitment plan)", ag,
                       lambda ws, r, n=len(ag), k=ag.shape[1] - 1: chart_agency_share(ws, r, n, k)))
    if _has(risk, "band"):
        wb_ = workers_by_band(risk)
        charts.append(("Workers by risk band (from Risk register)", wb_,
                       lambda ws, r, b=list(wb_["band"]): chart_risk_bands(ws, r, b)))
    _dashboard(book, title="Workforce plan", subtitle=f"produced {book.when:%Y-%m-%d %H:%M} UTC by workforce "
               f"{book.version}; every figure names the sheet it comes from",
               indicators=indicators, charts=charts,
               description="headline indicators, each traced to its sheet, and charts")
    if risk is not None:
        _risk_sheets(book, risk, None, None)
    _side_by_side(book, SHEET_LD, [(gateway_programmes, "LD_programmes"), (gateway, "LD_plan")],
                  "L&D offers: per programme (left) and per worker (right) with cost and expected saving")
    _side_by_side(book, SHEET_RECRUIT, [(recruitment_totals, "Recruitment_totals"), (recruitment, "Recruitment_plan")],
                  "recruitment per quarter for the whole service (left) and per unit (right)")
    _side_by_side(book, SHEET_PROJECTION, [(montecarlo, "Monte_carlo"), (projection, "Projection")],
                  "Monte Carlo percentiles per quarter (left) and the projection per quarter and team (right)")
    if worker_loads is not None or allocation_summary is not None:
        tables = []
        if worker_loads is not None:
            tables.append(TableSpec(worker_loads, "Allocation_loads", highlights=OVER_CAP_HIGHLIGHTS,
                                    scales=(Scale("utilisation_after"),)))
        if allocation_summary is not None:
            tables.append(TableSpec(key_value_frame(allocation_summary), "Allocation_summary",
                                    formats={"value": "mixed"}))
        book.add_table_sheet(SHEET_ALLOCATION, tables, "worker loads after allocation (over-cap loads highlighted)"
                             " and the allocation's summary")
    if fairness is not None:
        _table_sheet(book, SHEET_FAIRNESS, fairness, "model performance and predictions by protected group",
                     name="Fairness_audit")
    _assumptions_sheet(book, assumptions, "every planning assumption with unit and basis; edit the value column and "
                       "run `workforce plan --assumptions workforce_plan.xlsx` to re-plan")
    book.add_readme()
    return book.save(path)


def _side_by_side(book: SafeWorkbook, sheet: str, frames: list[tuple[pd.DataFrame | None, str]],
                  description: str) -> None:
    tables = [TableSpec(f, name) for f, name in frames if f is not None]
    if tables:
        book.add_table_sheet(sheet, tables, description)
