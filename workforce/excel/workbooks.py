"""The workbooks `workforce` hands to people, all built on the one safe writer.

* :func:`write_allocation_workbook` - a service manager's allocation (Summary, Allocations,
  Worker loads, Unallocated, Changes, Assumptions, README);
* :func:`write_risk_register` - the churn risk register (RAG bands, team risk, fairness audit,
  model card);
* :func:`write_planner_workbook` - the HR planner's `workforce_plan.xlsx`: a Summary dashboard
  of headline indicators, each traced to the sheet it comes from, with native charts, then one
  sheet per planning step that was run. A step that was not run leaves its sheet out.

Every headline figure on a Summary sheet is a :class:`workforce.indicators.Indicator`, computed
by the same functions that give the terminal summary and `summary.json`, from the frames
written on the sheets beneath it; each names its unit, its definition and its source sheet, and
a simulated figure shows its median with the 10th-90th percentile band.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

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

from workforce.allocation.columns import COLUMN_NOTES
from workforce.caseload import CaseloadRules
from workforce.excel.book import SafeWorkbook
from workforce.excel.layout import GridSheet, key_value_frame
from workforce.excel.tables import Highlight, Scale, TableSpec
from workforce.indicators import (SHEET_ALLOCATION, SHEET_CARD, SHEET_LD, SHEET_PROJECTION, SHEET_RECRUIT,
                                  SHEET_RISK, Indicator, allocation_indicators, capacity_after, caseload_per_case_holder,
                                  census_days, changes_of_worker, children_losing_worker, has_columns,
                                  highest_utilisation, indicator_frame, mean_utilisation, plan_indicators,
                                  priority_one_unallocated, risk_indicators, unallocated_children,
                                  workers_over_hard_caps, workers_over_soft_cap)
from workforce.plans.census_measures import DEFINITIONS
from workforce.plans.columns import formats as plan_formats
from workforce.plans.columns import notes_for
from workforce.retention.card import CARD_TABLES, card_tables
from workforce.retention.disclosure import MIN_GROUP

PathLike = str | Path

SHEET_SUMMARY = "Summary"
SHEET_TEAM_RISK = "Team risk"
SHEET_FAIRNESS = "Fairness audit"
SHEET_ASSUMPTIONS = "Assumptions"

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


def _put_indicators(grid: GridSheet, row: int, indicators: list[Indicator], name: str, sheets: set[str]) -> int:
    """The indicator table: value and band formatted per row in its unit; the source links to
    its sheet when that sheet is in this workbook."""
    frame = indicator_frame(indicators)
    return grid.put_table(row, 1, frame, name, row_formats=[i.kind for i in indicators], format_column=(1, 2, 3),
                          links={5: sheets})


def allocation_workbook_indicators(summary: Mapping[str, Any] | None, worker_loads: pd.DataFrame | None,
                                   rules: CaseloadRules | None = None) -> list[Indicator]:
    """The allocation workbook's (and `workforce allocate`'s) headline, traced to its sheets."""
    loads = "Worker loads"
    figures = [changes_of_worker(summary, "Changes"), children_losing_worker(summary, "Changes"),
               unallocated_children(summary, "Unallocated"), priority_one_unallocated(summary, "Unallocated"),
               *workers_over_hard_caps(summary, loads),
               highest_utilisation(summary, loads), workers_over_soft_cap(worker_loads, rules, loads),
               caseload_per_case_holder(worker_loads, loads), mean_utilisation(worker_loads, loads)]
    return [i for i in figures if i is not None]


# --- chart data --------------------------------------------------------------------------


def quarter_label(q: Any) -> str:
    """`Q1`, `Q2`, ... for integer quarters; other labels as given."""
    try:
        return f"Q{int(q)}"
    except (TypeError, ValueError):
        return str(q)


def team_points(worker_loads: pd.DataFrame) -> pd.DataFrame:
    """`team, points_after, capacity_points` summed per team (chart: load against capacity), the
    capacity as it is after the allocation (`capacity_after`: a leaver's is gone)."""
    g = worker_loads.assign(capacity_points=capacity_after(worker_loads)).groupby(
        "team", sort=True)[["points_after", "capacity_points"]].sum().reset_index()
    g = g.astype({"team": object})
    return g.rename(columns={"points_after": "points held", "capacity_points": "capacity"})


def capacity_against_demand(montecarlo: pd.DataFrame) -> pd.DataFrame:
    """Per quarter, in case-holder FTE: what demand needs, what today's staff would hold with no
    new hires, and what the plan holds (median, with the 10th-90th percentile band stacked on
    p10 as `band_width_fte`)."""
    cols = ["quarter", "need_case_holder_fte_p50", "capacity_no_hires_case_holder_fte", "capacity_case_holder_fte_p50",
            "capacity_case_holder_fte_p10", "capacity_case_holder_fte_p90"]
    g = montecarlo[[c for c in cols if c in montecarlo]].copy()
    g["band_width_fte"] = g["capacity_case_holder_fte_p90"] - g["capacity_case_holder_fte_p10"]
    g.insert(0, "quarter_label", [quarter_label(q) for q in g["quarter"]])
    return g.drop(columns="quarter").rename(columns=FTE_SERIES)


#: Chart-data column names (legend entries) for the capacity chart, from the Monte Carlo's columns.
FTE_SERIES = {"quarter_label": "quarter", "need_case_holder_fte_p50": "demand",
              "capacity_no_hires_case_holder_fte": "today's staff, no new hires",
              "capacity_case_holder_fte_p50": "with the plan (median)",
              "capacity_case_holder_fte_p10": "with the plan p10", "capacity_case_holder_fte_p90": "with the plan p90",
              "band_width_fte": "with the plan, 10th-90th percentile"}


def agency_rate_series(census: pd.DataFrame) -> pd.DataFrame:
    """Per quarter: the agency rate with the plan, carrying on as now (the census measures:
    medians of the simulated futures) and holding today's headcount (one deterministic run)."""
    names = {"plan": "agency rate (plan)", "carry_on": "carrying on as now",
             "hold": "holding today's headcount (one deterministic run)"}
    wide = census.pivot_table(index="quarter", columns="scenario", values="agency_rate").sort_index()
    g = wide[[c for c in names if c in wide.columns]].rename(columns=names).reset_index()
    g.insert(0, "quarter_label", [quarter_label(q) if q else "today" for q in g["quarter"]])
    return g.drop(columns="quarter").rename(columns={"quarter_label": "quarter"})


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
    """Lines for demand and capacity (case-holder FTE); a shaded 10th-90th percentile band of the
    plan's capacity (a stacked area: the p10 layer is invisible, the band layer shaded)."""
    col = {c: i + 1 for i, c in enumerate(columns)}
    cats = Reference(ws, min_col=1, min_row=data_row + 1, max_row=data_row + n)
    line = LineChart()
    lines = [(FTE_SERIES["need_case_holder_fte_p50"], "C00000", "dash"),
             (FTE_SERIES["capacity_no_hires_case_holder_fte"], "7F7F7F", "sysDot"),
             (FTE_SERIES["capacity_case_holder_fte_p50"], "1F3864", None)]
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
    area = AreaChart(grouping="stacked")
    for name in (FTE_SERIES["capacity_case_holder_fte_p10"], band_name):
        area.add_data(Reference(ws, min_col=col[name], min_row=data_row, max_row=data_row + n), titles_from_data=True)
    low, band = area.series
    low.graphicalProperties = GraphicalProperties(noFill=True, ln=LineProperties(noFill=True))
    band.graphicalProperties = GraphicalProperties(solidFill="BDD7EE", ln=LineProperties(noFill=True))
    area.set_categories(cats)
    area += line
    chart = area
    chart.legend = Legend(legendEntry=[LegendEntry(idx=0, delete=True)])  # the invisible p10 layer
    _title(chart, "Case-holding capacity against demand, case-holder FTE (band: 10th-90th percentile)")
    chart.y_axis.title = "case-holder FTE"
    chart.y_axis.number_format = "#,##0"
    chart.legend.position = "b"
    _size(chart)
    _axes_visible(chart)
    return chart


def chart_agency_share(ws, data_row: int, n: int, n_series: int) -> LineChart:
    ch = LineChart()
    _title(ch, "Agency rate: plan, carrying on, holding headcount")
    ch.add_data(Reference(ws, min_col=2, max_col=1 + n_series, min_row=data_row, max_row=data_row + n),
                titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=data_row + 1, max_row=data_row + n))
    ch.series[0].graphicalProperties.line.solidFill = "1F3864"
    ch.series[0].graphicalProperties.line.width = 28575
    for series, colour, dash in zip(ch.series[1:], ("A5A5A5", "C55A11"), ("dash", "sysDot")):
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.dashStyle = dash
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
# indicator | value | P10 | P90 | unit | source sheet | definition; two 14.4 cm charts fit A-D and E-
DASHBOARD_WIDTHS = {1: 42, 2: 14, 3: 14, 4: 14, 5: 12, 6: 16, 7: 120}
SECOND_CHART_COLUMN = "E"


def _dashboard(book: SafeWorkbook, *, title: str, subtitle: str, indicators: list[Indicator],
               charts: list[tuple[str, pd.DataFrame, Callable[[Any, int], Any]]], description: str,
               sheets: set[str], tables: list[tuple[str, pd.DataFrame, str, Mapping[str, str]]] = ()) -> None:
    """Title, indicator table, further tables (title, frame, table name, formats), charts in two
    columns, then the data behind each chart."""
    grid = book.grid_sheet(SHEET_SUMMARY, description)
    grid.widths(DASHBOARD_WIDTHS)
    row = grid.put_title(1, title, subtitle) + 1
    if indicators:
        grid.put(row, 1, "Headline indicators", "wf heading")
        row = _put_indicators(grid, row + 1, indicators, "summary_indicators", sheets) + 1
    else:
        grid.put(row, 1, "No indicators: none of the inputs they need were given.", "wf note")
        row += 2
    for heading, frame, name, formats in tables:
        if frame is not None and len(frame):
            grid.put(row, 1, heading, "wf heading")
            row = grid.put_table(row + 1, 1, frame, name, formats=formats) + 1
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
            shares = {c: "pct" for c in frame.columns if any(w in str(c) for w in ("share", "rate", "carrying on",
                                                                                        "holding"))}
            data_row = grid.put_table(data_row + 1, 1, frame, table, formats=shares) + 1
        for k, ((_, frame, make), header_row) in enumerate(zip(charts, made)):
            chart = make(grid.ws, header_row)
            anchor_col = "A" if k % 2 == 0 else SECOND_CHART_COLUMN
            anchor_row = chart_top + (k // 2) * (CHART_ROWS + 1)
            grid.add_chart(chart, f"{anchor_col}{anchor_row}")
    grid.close()


# --- builders ----------------------------------------------------------------------------


def _table_sheet(book: SafeWorkbook, sheet: str, frame: pd.DataFrame | None, description: str, *,
                 name: str | None = None, **spec: Any) -> None:
    if frame is None:
        return
    book.add_table_sheet(sheet, [TableSpec(frame, name or sheet, **spec)], description)


def write_allocation_workbook(path: PathLike, *, summary: Mapping[str, Any], allocations: pd.DataFrame,
                              worker_loads: pd.DataFrame, unallocated: pd.DataFrame, changes: pd.DataFrame,
                              settings: Mapping[str, Any] | pd.DataFrame | None = None,
                              rules: CaseloadRules | None = None, inputs: Iterable[PathLike] = (),
                              produced_by: str = "workforce allocate",
                              notes: Mapping[str, str] | None = None,
                              indicators: list[Indicator] | None = None) -> Path:
    """The allocation workbook.

    Summary (headline indicators from :func:`allocation_workbook_indicators`, solver figures,
    load by team chart), Allocations, Worker loads (over-cap loads highlighted), Unallocated,
    Changes, Assumptions (the settings used) and README (with a glossary). Every data column's
    header carries its note (`workforce.allocation.columns`).

    Parameters
    ----------
    path : str or Path
        Where to save (atomically).
    summary : mapping
        The allocation summary (`AllocationResult.summary`).
    allocations, worker_loads, unallocated, changes : DataFrame
        The allocation's frames.
    settings : mapping or DataFrame, optional
        The settings used (name, value), shown on the Assumptions sheet.
    rules : CaseloadRules, optional
        The capacity model used (its soft caps are quoted in the definitions).
    inputs : iterable of paths
        Input files listed with their checksums in the README.
    produced_by : str
        The command named in the README.
    notes : mapping, optional
        Notes on the Summary's solver figures by item, shown on the item's cell: what each counts,
        by which definition and where its rows are (`allocation.summary_items.item_notes`; for
        ``terms.continuity``, what the objective term measures and its weights' basis).
    indicators : list of Indicator, optional
        The headline it shows, when the caller has built it to note the items
        (default :func:`allocation_workbook_indicators` of `summary`, `worker_loads`, `rules`).

    Returns
    -------
    Path
        The workbook written.
    """
    book = SafeWorkbook(produced_by=produced_by, inputs=inputs, title="Case allocation", notes=COLUMN_NOTES)
    if indicators is None:
        indicators = allocation_workbook_indicators(summary, worker_loads, rules)
    charts = []
    if has_columns(worker_loads, "team", "points_after", "capacity_points"):
        tp = team_points(worker_loads)
        charts.append(("Points by team (from Worker loads)", tp, lambda ws, r, n=len(tp): chart_team_points(ws, r, n)))
    sheets = {"Allocations", "Worker loads", "Unallocated", "Changes"}
    _allocation_summary_dashboard(book, summary, indicators, charts,
                                  "solver result, headline indicators and load by team", sheets, notes or {})
    _table_sheet(book, "Allocations", allocations, "one row per child: priority (sort on it for the most "
                 "vulnerable children first), the worker chosen, the previous worker, points and the cost of each "
                 "objective term", highlights=(Highlight("{changed}=TRUE", "warn"),))
    _table_sheet(book, "Worker loads", worker_loads, "one row per worker: load before and after; over-cap loads "
                 "highlighted (amber: over the soft cap on children; red: utilisation above 100%)",
                 name="Worker_loads", highlights=OVER_CAP_HIGHLIGHTS, scales=(Scale("utilisation_after"),))
    _table_sheet(book, "Unallocated", unallocated, "children that could not be allocated, with the reason")
    _table_sheet(book, "Changes", changes, "the children whose worker changes: first those left without a "
                 "worker (with who holds them meanwhile), then handoffs and new allocations, each by priority")
    if settings is not None:
        frame = settings if isinstance(settings, pd.DataFrame) else key_value_frame(settings)
        book.add_table_sheet(SHEET_ASSUMPTIONS, [TableSpec(frame.astype(object), "Assumptions",
                                                           formats={c: "mixed" for c in frame.columns})],
                             "the settings this allocation used (allocation_settings.toml beside this workbook holds "
                             "the same: edit it and pass it back with `workforce allocate --config "
                             "allocation_settings.toml`)")
    book.add_readme()
    return book.save(path)


def _allocation_summary_dashboard(book: SafeWorkbook, summary: Mapping[str, Any], indicators: list[Indicator],
                                  charts: list, description: str, sheets: set[str],
                                  notes: Mapping[str, str]) -> None:
    grid = book.grid_sheet(SHEET_SUMMARY, description)
    grid.widths(DASHBOARD_WIDTHS)
    status = str(summary.get("status", ""))
    row = grid.put_title(1, "Case allocation", f"solver status: {status}; produced {book.when:%Y-%m-%d %H:%M} UTC") + 1
    if indicators:
        grid.put(row, 1, "Headline indicators", "wf heading")
        row = _put_indicators(grid, row + 1, indicators, "summary_indicators", sheets) + 1
    grid.put(row, 1, "Solver result", "wf heading")
    kinds = {"gap": "pct", "max_utilisation": "pct", "mean_utilisation": "pct", "objective": "float",
             "bound": "float", "seconds": "float"}
    frame = key_value_frame(summary)
    # by the figure's own name, nested ones too: baseline.max_utilisation is a share like max_utilisation
    row = grid.put_table(row + 1, 1, frame, "solver_result",
                         row_formats=[kinds.get(str(k).rsplit(".", 1)[-1]) for k in frame["item"]],
                         row_notes=[notes.get(str(k)) for k in frame["item"]]) + 1
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
                        workers: pd.DataFrame | None = None, indicators: list[Indicator] | None = None,
                        inputs: Iterable[PathLike] = (), produced_by: str = "workforce churn score") -> Path:
    """The churn risk register: Summary (headline figures, workers by band), Risk register (RAG
    bands on `band`, highest flight risk first), Team risk, Fairness audit, Model card, README.

    Parameters
    ----------
    path : str or Path
        Where to save (atomically).
    risk : DataFrame
        The risk table (`worker_id, team, locality, p_leave, band, driver_1..3`).
    team_risk, fairness : DataFrame, optional
        Risk by team; the fairness audit.
    card : mapping or DataFrame, optional
        The model card.
    workers : DataFrame, optional
        The workers scored: with their FTE and agency flag the predicted turnover is counted as
        the DfE counts turnover.
    indicators : list of Indicator, optional
        The headline figures (default: :func:`workforce.indicators.risk_indicators`).
    inputs : iterable of paths
        Input files listed with their checksums in the README.
    produced_by : str
        The command named in the README.

    Returns
    -------
    Path
        The workbook written.
    """
    # every sheet's columns noted, not the register's alone: a manager reads Team risk and an HR
    # business partner the Fairness audit with no one to ask what lever_gap means
    columns = [c for frame in (risk, team_risk, fairness) if frame is not None for c in frame.columns]
    book = SafeWorkbook(produced_by=produced_by, inputs=inputs, title="Retention risk register",
                        notes=notes_for(columns))
    model_card = card if isinstance(card, Mapping) else None
    horizon = int((model_card or {}).get("horizon_months", 12))
    if indicators is None:
        indicators = risk_indicators(risk, workers, card=model_card, horizon_months=horizon)
    charts = []
    if has_columns(risk, "band"):
        wb_ = workers_by_band(risk)
        bands = list(wb_["band"])
        charts.append(("Workers by risk band (from Risk register)", wb_,
                       lambda ws, r, b=bands: chart_risk_bands(ws, r, b)))
    sheets = {SHEET_RISK, SHEET_TEAM_RISK, SHEET_FAIRNESS, SHEET_CARD}
    _dashboard(book, title="Retention risk register", subtitle=f"produced {book.when:%Y-%m-%d %H:%M} UTC",
               indicators=indicators, charts=charts, description="headline risk figures and workers by band",
               sheets=sheets)
    _risk_sheets(book, risk, team_risk, fairness)
    if card is not None:
        _card_sheet(book, card)
    book.add_readme(notes=["p_leave is a probability of leaving within the model horizon, not a certainty;"
                           " use it to prioritise conversations, never for decisions about individuals alone."])
    return book.save(path)


#: Reliability columns that are chances (shown as percentages).
_CARD_PCT = {"Reliability": ("p_from", "p_to", "mean_predicted", "observed_rate")}


def _card_sheet(book: SafeWorkbook, card: Mapping[str, Any] | pd.DataFrame) -> None:
    """The Model card sheet: the card's tables (`retention.card.card_tables`) side by side, each
    header noted with what the table holds; a card given as a frame is written as it is."""
    if isinstance(card, pd.DataFrame):
        specs = [TableSpec(card, "Model_card", formats={"value": "mixed"})]
    else:
        specs = []
        for name, frame in card_tables(card).items():
            first = frame.columns[0]
            formats = {"value": "mixed"} if name == "About" else {c: "pct" for c in _CARD_PCT.get(name, ())}
            specs.append(TableSpec(frame, f"Card_{name}", formats=formats,
                                   comments={first: f"{name.replace('_', ' ')}: {CARD_TABLES[name]}"}))
    book.add_table_sheet(SHEET_CARD, specs, "the churn model's card, table by table: what was chosen and how, its "
                         "warnings, each candidate's cross-validated scores, the last complete year held back, "
                         "reliability of the 12-month chance, the features")


def _sorted_risk(risk: pd.DataFrame) -> pd.DataFrame:
    """The register in the order a manager works through it: flight risk first (the chance of
    leaving voluntarily, which the band measures and the levers act on), then the chance of
    leaving for any reason. Sorted on `p_leave` alone, the top was agency staff whose assignments
    end (55% and band Low), ahead of the people a conversation could keep."""
    keys = [k for k in ("p_voluntary_12m", "p_leave") if k in risk]
    if keys:
        return risk.sort_values(keys, ascending=False, kind="stable").reset_index(drop=True)
    return risk


#: Above every risk register: what the chances are and are not for.
RISK_REGISTER_CAVEAT = ("For supportive conversations and planning, never for decisions about a person on their own: "
                        "each chance is the model's, learnt from the authority's history (associations, not causes; "
                        "the model card says how well it ranks people and what it cannot see).")


def _risk_sheets(book: SafeWorkbook, risk: pd.DataFrame | None, team_risk: pd.DataFrame | None,
                 fairness: pd.DataFrame | None) -> None:
    if risk is not None:
        _table_sheet(book, SHEET_RISK, _sorted_risk(risk), RISK_REGISTER_CAVEAT + " One row per worker, highest "
                     "flight risk first (the chance of leaving voluntarily, p_voluntary_12m); band (red/amber/green) "
                     "is that flight risk only, while p_leave adds retirement and other reasons such as an agency "
                     "contract ending; driver_1-3 are what-ifs on levers a manager can pull", name="Risk_register",
                     highlights=RAG_HIGHLIGHTS, comments={"worker_id": RISK_REGISTER_CAVEAT})
    if team_risk is not None:
        _table_sheet(book, SHEET_TEAM_RISK, team_risk, "risk by team (small teams combined per locality)",
                     name="Team_risk", formats=plan_formats(team_risk))
    if fairness is not None:
        _table_sheet(book, SHEET_FAIRNESS, fairness, "model performance and predictions by protected group",
                     name="Fairness_audit", formats=plan_formats(fairness))


def write_planner_workbook(path: PathLike, *, assumptions: pd.DataFrame, risk: pd.DataFrame | None = None,
                           gateway: pd.DataFrame | None = None, gateway_programmes: pd.DataFrame | None = None,
                           recruitment: pd.DataFrame | None = None, recruitment_totals: pd.DataFrame | None = None,
                           projection: pd.DataFrame | None = None, montecarlo: pd.DataFrame | None = None,
                           census: pd.DataFrame | None = None, trajectories: pd.DataFrame | None = None,
                           unit_costs: pd.DataFrame | None = None,
                           worker_loads: pd.DataFrame | None = None,
                           allocation_summary: Mapping[str, Any] | None = None,
                           plan_summary: Mapping[str, Any] | None = None,
                           fairness: pd.DataFrame | None = None, indicators: list[Indicator] | None = None,
                           produced_by: str = "workforce plan", inputs: Iterable[PathLike] = (),
                           more_sheets: Sequence[Callable[[SafeWorkbook], Any]] = ()) -> Path:
    """The HR planner's workbook.

    Summary (headline indicators traced to their sheets, the census measures at each 30
    September, where the plan sits among real authorities, native charts), Risk register, L&D
    plan, Recruitment plan (with the unit costs), Projection (census measures, Monte Carlo,
    projection), then `more_sheets` (Demand, Benchmarks), Allocation, Fairness audit, Assumptions
    (editable; read back by `workforce plan --assumptions`), README (with a glossary of every
    column and the sources cited). A sheet whose frames are None is left out. Every plan table's
    header carries a note (:mod:`workforce.plans.columns`).

    Parameters
    ----------
    path : str or Path
        Where to save (atomically).
    assumptions : DataFrame
        The assumptions frame (`workforce.plans.assumptions.assumptions_frame`).
    risk, gateway, gateway_programmes, recruitment, recruitment_totals, projection, montecarlo : DataFrame, optional
        The plan's frames (`PlanResult`) and the risk table.
    census, trajectories, unit_costs : DataFrame, optional
        The plan's census measures, trajectory positions and unit costs (`PlanResult`).
    worker_loads : DataFrame, optional
        Loads after allocation.
    allocation_summary, plan_summary : mapping, optional
        The allocation's and the plan's summaries.
    fairness : DataFrame, optional
        The fairness audit (of the model's scores, its levers and the plan's decisions).
    indicators : list of Indicator, optional
        The headline figures; the pipeline passes the list it prints. Default: the indicators
        of :mod:`workforce.indicators` computed from the frames given.
    produced_by : str
        The command named in the README.
    inputs : iterable of paths
        Input files listed with their checksums in the README.
    more_sheets : sequence of callables
        Each adds its sheet(s) to the workbook, after the Projection sheet (the plan's Demand
        sheet, :func:`workforce.demand.workbook.add_demand_sheet`; its Benchmarks sheet,
        :func:`workforce.plan_benchmark.add_benchmarks_sheet`).

    Returns
    -------
    Path
        The workbook written.
    """
    frames = [f for f in (risk, gateway, gateway_programmes, recruitment, recruitment_totals, projection, montecarlo,
                          census, trajectories, unit_costs, worker_loads, fairness, assumptions) if f is not None]
    book = SafeWorkbook(produced_by=produced_by, inputs=inputs, title="Workforce plan",
                        notes=notes_for({c for f in frames for c in f.columns}))
    if indicators is None:
        indicators = [*risk_indicators(risk),
                      *allocation_indicators(allocation_summary, worker_loads),
                      *plan_indicators(plan_summary, totals=recruitment_totals, projection=projection,
                                       gateway=gateway, census=census, trajectories=trajectories,
                                       definitions=DEFINITIONS)]
    charts: list = []
    if has_columns(worker_loads, "team", "points_after", "capacity_points"):
        tp = team_points(worker_loads)
        charts.append(("Points by team (from Allocation)", tp, lambda ws, r, n=len(tp): chart_team_points(ws, r, n)))
    if has_columns(montecarlo, "quarter", "capacity_case_holder_fte_p10", "capacity_case_holder_fte_p90"):
        fd = capacity_against_demand(montecarlo)
        charts.append(("Capacity against demand (from Projection)", fd,
                       lambda ws, r, n=len(fd), c=list(fd.columns): chart_fte_demand(ws, r, n, c)))
    if has_columns(census, "quarter", "scenario", "agency_rate"):
        ag = agency_rate_series(census)
        charts.append(("Agency rate (from Projection)", ag,
                       lambda ws, r, n=len(ag), k=ag.shape[1] - 1: chart_agency_share(ws, r, n, k)))
    if has_columns(risk, "band"):
        wb_ = workers_by_band(risk)
        charts.append(("Workers by risk band (from Risk register)", wb_,
                       lambda ws, r, b=list(wb_["band"]): chart_risk_bands(ws, r, b)))
    present = {name for name, parts in (
        (SHEET_RISK, (risk,)), (SHEET_LD, (gateway, gateway_programmes)),
        (SHEET_RECRUIT, (recruitment, recruitment_totals, unit_costs)),
        (SHEET_PROJECTION, (projection, montecarlo, census)),
        (SHEET_ALLOCATION, (worker_loads, allocation_summary)), (SHEET_FAIRNESS, (fairness,)),
    ) if any(f is not None for f in parts)}
    days = census_days(census)
    tables = [("Census measures today and at each 30 September (DfE definitions; plan and carrying on as now: medians "
               "of the simulated futures; holding today's headcount: one deterministic run)", days,
               "summary_census_days", plan_formats(days)),
              ("Where the plan sits among English authorities that started at the same level (percentage points, "
               "DfE workforce indicators 2017-2023)", trajectories, "summary_trajectories",
               plan_formats(trajectories) if trajectories is not None else {})]
    _dashboard(book, title="Workforce plan", subtitle=f"produced {book.when:%Y-%m-%d %H:%M} UTC by workforce "
               f"{book.version}; every figure names the sheet it comes from and what it measures",
               indicators=indicators, charts=charts, tables=tables,
               description="headline indicators, each traced to its sheet and defined; the census measures at each "
                           "30 September; the plan against real authorities' trajectories; charts", sheets=present)
    if risk is not None:
        _risk_sheets(book, risk, None, None)
    _side_by_side(book, SHEET_LD, [(gateway_programmes, "LD_programmes"), (gateway, "LD_plan")],
                  "L&D offers: per programme (left) and per worker (right), with the place, the caseload it takes "
                  "away and any career step's pay, against the voluntary leaving it is expected to avoid")
    _side_by_side(book, SHEET_RECRUIT, [(recruitment_totals, "Recruitment_totals"), (recruitment, "Recruitment_plan"),
                                        (unit_costs, "Unit_costs")],
                  "recruitment per quarter for the whole service against carrying on as now and holding today's "
                  "headcount (left), per unit (middle), and the unit costs by role and grade in the price year "
                  "(right). These are the central projection's expected values, with no chance shortfalls: the "
                  "Summary's rates and costs at the end are the medians of the simulated futures (Projection sheet), "
                  "so they differ a little")
    _side_by_side(book, SHEET_PROJECTION, [(census, "Census_measures"), (montecarlo, "Monte_carlo"),
                                           (projection, "Projection")],
                  "the DfE census measures per quarter for the plan and carrying on as now (medians of the simulated "
                  "futures) and holding today's headcount (one deterministic run; column figures) (left); Monte Carlo percentiles per quarter (middle; p_shortfall: the chance of a shortfall in "
                  "that quarter); the projection per quarter and team with no new hires (right; gap_fte: required "
                  "FTE minus what today's staff still in post hold)")
    for add in more_sheets:
        add(book)
    if worker_loads is not None or allocation_summary is not None:
        parts = []
        if worker_loads is not None:
            parts.append(TableSpec(worker_loads, "Allocation_loads", highlights=OVER_CAP_HIGHLIGHTS,
                                   scales=(Scale("utilisation_after"),)))
        if allocation_summary is not None:
            parts.append(TableSpec(key_value_frame(allocation_summary), "Allocation_summary",
                                   formats={"value": "mixed"}))
        book.add_table_sheet(SHEET_ALLOCATION, parts, "worker loads after allocation (over-cap loads highlighted)"
                             " and the allocation's summary")
    if fairness is not None:
        _table_sheet(book, SHEET_FAIRNESS, fairness, "the model's predictions, the levers it offers and the plan's "
                     f"decisions (L&D places, caseload relief) by protected group; groups under {MIN_GROUP} people pooled, never shown "
                     "or named alone",
                     name="Fairness_audit", formats=plan_formats(fairness))
    book.add_assumptions_sheet(assumptions, "every planning assumption, and the capacity model (caseload rows), "
                               "with unit, range (low-high, sampled by the Monte Carlo) and basis; edit the value "
                               "column (a value with a range must lie within it: move the range with the value; a "
                               "range relative to the value, as the agency day rates' and the L&D effects', left as "
                               "written moves by itself) and "
                               "re-plan with the same inputs: `workforce run` with this workbook as "
                               "[run.inputs] assumptions, or `workforce plan --assumptions workforce_plan.xlsx` with "
                               "the run's workers, cases, --hr-history, --establishment and --model "
                               "(without them the plan falls back on national defaults, and its figures move for "
                               "that reason alone)")
    book.add_readme()
    return book.save(path)


def _side_by_side(book: SafeWorkbook, sheet: str, frames: list[tuple[pd.DataFrame | None, str]],
                  description: str) -> None:
    tables = [TableSpec(f, name, formats=plan_formats(f)) for f, name in frames if f is not None]
    if tables:
        book.add_table_sheet(sheet, tables, description)
