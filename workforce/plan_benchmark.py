"""The plan against the published past: a plan workbook's Benchmarks sheet (issue 13.2).

An HR lead believes a plan only beside what real authorities have done. :func:`plan_trajectory`
gives the plan's own path at each 30 September it reaches, in the DfE workforce census's
measures and units (agency, vacancy and turnover rates in per cent of FTE, caseload in children
per case-holding FTE), with the plan and carrying on as now; :func:`benchmark_frames` sets it
after the published years of the authority (or, for the demo, a stated comparator), the mean of
its ten statistical neighbours, its region, England and England's interquartile range
(:func:`workforce.published.benchmark`); :func:`add_benchmarks_sheet` writes the sheet with a
native line chart per measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties

from workforce import measures
from workforce.caseload import CaseloadRules
from workforce.excel.book import SafeWorkbook
from workforce.excel.cells import header_names
from workforce.excel.tables import Highlight
from workforce.plans.demand import team_demand
from workforce.published.benchmark import (AUTHORITY, ENGLAND_COL, ENGLAND_P25, ENGLAND_P75, NEIGHBOURS_MEAN,
                                           REGION, Benchmark)
from workforce.published.indicators import BENCHMARK_INDICATORS

SHEET_BENCHMARKS = "Benchmarks"
#: The census measures the plan projects, in the order the sheet draws them.
TRAJECTORY_MEASURES = ("agency_rate_fte", "vacancy_rate_fte", "turnover_rate_fte", "caseload_fte")
#: Short chart titles (the published indicator's title wraps and squeezes the plot).
CHART_TITLES = {"agency_rate_fte": "Agency rate", "vacancy_rate_fte": "Vacancy rate",
                "turnover_rate_fte": "Turnover rate", "caseload_fte": "Caseload per case-holder FTE"}
PLAN = "plan"
CARRY_ON = "carry_on"
CHART_ROWS = 18  # rows a 9 cm chart covers at the default row height
#: (colour, dash, width in EMU) of each series: the plan bold, carrying on dashed, the
#: authority red, the comparators muted.
STYLE = {
    PLAN: ("00B050", None, 38100),
    CARRY_ON: ("7F7F7F", "dash", 28575),
    AUTHORITY: ("C00000", None, 28575),
    NEIGHBOURS_MEAN: ("1F3864", None, 22225),
    REGION: ("8064A2", "dash", 19050),
    ENGLAND_COL: ("000000", "sysDot", 19050),
    ENGLAND_P25: ("BFBFBF", "sysDash", 12700),
    ENGLAND_P75: ("BFBFBF", "sysDash", 12700),
}


@dataclass
class PlanBenchmark:
    """What the Benchmarks sheet draws.

    Attributes
    ----------
    bench : Benchmark
        The published tables of the authority (or comparator).
    trajectory : DataFrame
        :func:`plan_trajectory`.
    comparator : bool
        True when `bench` is not the plan's own authority (the demo): the sheet says so.
    notes : list of str
        Lines for the sheet (how the plan's figures are counted).
    """

    bench: Benchmark
    trajectory: pd.DataFrame
    comparator: bool = False
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- the plan's path


def _census_days(totals: pd.DataFrame) -> pd.DataFrame:
    """The quarters of the plan that end on a 30 September (a census day), with the census year."""
    starts = pd.to_datetime(totals["quarter_start_date"])
    ends = starts + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    out = totals.assign(quarter_end=ends.to_numpy())
    out = out[(out["quarter_end"].dt.month == 9) & (out["quarter_end"].dt.day == 30)]
    return out.assign(year=out["quarter_end"].dt.year)


def plan_trajectory(plan, workers: pd.DataFrame, cases: pd.DataFrame, *, demand: pd.DataFrame | None = None,
                    rules: CaseloadRules | None = None) -> pd.DataFrame:
    """The plan's path at each census day (30 September) it reaches, and its start.

    Counted as the plan counts (case-holding FTE, :mod:`workforce.measures` definitions):

    * agency rate: agency / (agency + permanent) FTE at the end of the quarter ending on 30
      September (the plan, and carrying on as now);
    * vacancy rate: vacant posts / (vacant posts + permanent FTE), a vacant post being demand not
      met by permanent staff (covered by agency or not), as the census counts vacancies;
    * turnover: the expected share of FTE leaving within a year (the churn model's risks, after
      the L&D offers for the plan), the same every year of the plan;
    * caseload: the children the plan's demand holds over the case-holding FTE (permanent and
      agency) at the end of the quarter.

    The start (the day before the plan's first quarter, when that is 30 September) carries
    today's agency rate, predicted turnover and caseload (children with an open case over today's
    case-holding FTE, counted as the plan counts).

    Parameters
    ----------
    plan : PlanResult
        From :func:`workforce.plans.planner.build_plan`.
    workers, cases : DataFrame
        The inputs of the plan.
    demand : DataFrame, optional
        The `workforce_requirement` frame the plan followed.
    rules : CaseloadRules, optional
        The plan's capacity model (default: the plan's assumptions').

    Returns
    -------
    DataFrame
        ``year, measure, plan, carry_on`` in the published units (per cent; children per FTE).
    """
    a = plan.assumptions
    rules = rules or a.caseload
    totals = plan.recruitment_totals.sort_values("quarter", kind="stable")
    days = _census_days(totals)
    children = team_demand(cases, workers, rules, a.projection.horizon_quarters, a.demand.referral_trend_rate,
                           demand).groupby("quarter")["demand_children"].sum()
    s = plan.summary
    rows = []
    start = pd.Timestamp(s["start_date"]) - pd.Timedelta(days=1)
    if (start.month, start.day) == (9, 30):
        holding = workers["fte"].astype(float) * workers["role"].map(lambda r: rules.role(str(r)).points_share)
        start_caseload = float(measures.caseload_per_case_holder(len(cases), holding.sum()))
        rows += [(start.year, "agency_rate_fte", 100 * s["agency_share_start"], 100 * s["agency_share_start"]),
                 (start.year, "turnover_rate_fte", 100 * s["start_turnover_rate"], 100 * s["start_turnover_rate"]),
                 (start.year, "caseload_fte", start_caseload, start_caseload)]
    for r in days.itertuples(index=False):
        perm, agency, base_perm, base_agency = r.permanent_fte, r.agency_fte, r.baseline_permanent_fte, r.baseline_agency_fte
        base_vacant = max(float(r.demand_fte) - float(base_perm), 0.0)
        kids = float(children.get(r.quarter, np.nan))
        rows += [
            (r.year, "agency_rate_fte", 100 * measures.agency_rate(agency, perm),
             100 * measures.agency_rate(base_agency, base_perm)),
            (r.year, "vacancy_rate_fte", 100 * measures.vacancy_rate(r.vacancies_fte, perm),
             100 * measures.vacancy_rate(base_vacant, base_perm)),
            (r.year, "turnover_rate_fte", 100 * s["turnover_rate_after_gateway"], 100 * s["start_turnover_rate"]),
            (r.year, "caseload_fte", measures.caseload_per_case_holder(kids, perm + agency),
             measures.caseload_per_case_holder(kids, base_perm + base_agency)),
        ]
    return pd.DataFrame(rows, columns=["year", "measure", PLAN, CARRY_ON])


# ----------------------------------------------------------------------------- the tables


def labels(bench: Benchmark, *, comparator: bool = False) -> dict[str, str]:
    """Series names as the sheet and its charts show them."""
    own = f"{bench.la_name} ({bench.la_code})" + (", the comparator" if comparator else "")
    return {PLAN: "this plan", CARRY_ON: "carrying on as now", AUTHORITY: own,
            NEIGHBOURS_MEAN: "statistical neighbours: mean", REGION: bench.region_name or "region",
            ENGLAND_COL: "England", ENGLAND_P25: "England: lower quartile", ENGLAND_P75: "England: upper quartile"}


def benchmark_frames(bench: Benchmark, trajectory: pd.DataFrame, *, comparator: bool = False) -> dict[str, pd.DataFrame]:
    """Per measure of :data:`TRAJECTORY_MEASURES`, the published years then the plan's: ``year``,
    the plan, carrying on as now, the authority, the neighbours' mean, the region, England and
    its quartiles (columns named as :func:`labels` says). A cell is blank where the series has no
    figure that year."""
    names = labels(bench, comparator=comparator)
    out = {}
    for measure in TRAJECTORY_MEASURES:
        table = bench.tables.get(measure)
        past = (table[[c for c in STYLE if c in table.columns]] if table is not None
                else pd.DataFrame(index=pd.Index([], name="year")))
        own = trajectory[trajectory["measure"] == measure].set_index("year")[[PLAN, CARRY_ON]]
        frame = past.join(own, how="outer").sort_index()
        frame = frame.reindex(columns=[c for c in STYLE if c in frame.columns or c in (PLAN, CARRY_ON)])
        frame = frame.astype(float).reset_index().rename(columns={"index": "year"})
        frame["year"] = frame["year"].astype(int).astype(str)  # a category, not a number: no "2,024"
        out[measure] = frame.rename(columns=names)
    return out


def column_notes(bench: Benchmark, *, comparator: bool = False) -> dict[str, str]:
    """What each column of the Benchmarks sheet's tables holds (header notes)."""
    names = labels(bench, comparator=comparator)
    own = ("a published authority set beside the plan for comparison (the demo has no published figures of its "
           "own)" if comparator else "the authority's own published figures")
    return {
        "year": "workforce census year: figures at 30 September of this year (leavers in the year to it)",
        names[PLAN]: "the plan's figure at 30 September (agency, vacancy, caseload at the end of the quarter ending "
                     "that day; turnover: expected share of FTE leaving within a year with the plan)",
        names[CARRY_ON]: "the same figure carrying on as now (no new permanent or newly qualified hires, agency "
                         "covering the gaps; turnover without the L&D offers)",
        names[AUTHORITY]: own,
        names[NEIGHBOURS_MEAN]: "mean of the DfE statistical neighbours that reported that year",
        names[REGION]: "the region's published figure",
        names[ENGLAND_COL]: "England's published figure",
        names[ENGLAND_P25]: "lower quartile across English authorities that year",
        names[ENGLAND_P75]: "upper quartile across English authorities that year",
        "indicator": "published measure (DfE)", "unit": "unit of the measure",
        "rank": "closeness rank among the statistical neighbours (1 = closest)", "code": "old LA code",
        "name": "authority", "closeness": "the DfE model's closeness band",
    }


# ----------------------------------------------------------------------------- the sheet


def _chart(ws, header_row: int, frame: pd.DataFrame, title: str, unit: str, styles: list) -> LineChart:
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = unit
    chart.x_axis.title = "census year (30 September)"
    n = len(frame)
    for col, (colour, dash, width) in styles:
        chart.add_data(Reference(ws, min_col=col, min_row=header_row, max_row=header_row + n), titles_from_data=True)
        chart.series[-1].graphicalProperties = GraphicalProperties(ln=LineProperties(solidFill=colour, w=width,
                                                                                     prstDash=dash))
        chart.series[-1].smooth = False
    chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + n))
    chart.y_axis.scaling.min = 0
    chart.y_axis.number_format = "0"
    chart.legend.position = "r"
    chart.width, chart.height = 17.0, 9.0
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def add_benchmarks_sheet(book: SafeWorkbook, pb: PlanBenchmark, *, name: str = SHEET_BENCHMARKS) -> None:
    """The Benchmarks sheet: where the authority stands (latest published year of every
    benchmark indicator), then the plan's agency, vacancy, turnover and caseload drawn after the
    published years of the authority, its statistical neighbours, region and England (a native
    line chart each, the data beneath), and who the neighbours are."""
    bench = pb.bench
    names = labels(bench, comparator=pb.comparator)
    notes = column_notes(bench, comparator=pb.comparator)
    frames = benchmark_frames(bench, pb.trajectory, comparator=pb.comparator)
    grid = book.grid_sheet(name, f"the plan's agency, vacancy, turnover and caseload against the published past of "
                                 f"{bench.la_name}'s statistical neighbours, region and England (native charts)")
    grid.widths({1: 44, 2: 20, 3: 8, 4: 30, 5: 28, **{j: 22 for j in range(6, 12)}})
    who = (f"compared with {bench.la_name} ({bench.la_code}) and its statistical neighbours" if pb.comparator
           else f"{bench.la_name} ({bench.la_code}) against its statistical neighbours")
    row = grid.put_title(1, f"Benchmarks: this plan, {who}",
                         f"DfE published statistics (workforce census, children in need, looked after); region: "
                         f"{bench.region_name or 'not known'}")
    for line in pb.notes:
        grid.put(row, 1, line, "wf subtitle")
        row += 1
    row += 1

    def table(at: int, frame: pd.DataFrame, tname: str, **kw) -> int:
        end = grid.put_table(at, 1, frame, tname, **kw)
        for j, (column, header) in enumerate(zip(frame.columns, header_names(list(frame.columns)))):
            if notes.get(str(column)):
                grid.put(at, j + 1, header, "wf header", comment=notes[str(column)])
        return end

    grid.put(row, 1, "Where the authority stands: the latest published year of each indicator", "wf heading")
    summary = bench.summary()
    summary["year"] = summary["year"].astype("string").fillna("")
    summary = summary.rename(columns=names)
    row = table(row + 1, summary, "bench_summary", highlights=[Highlight("TRUE", "warn", names[AUTHORITY])]) + 1
    grid.put(row, 1, "The plan after the published years (chart data below)", "wf heading")
    chart_top = row + 1
    data_row = chart_top + ((len(frames) + 1) // 2) * (CHART_ROWS + 1) + 1
    grid.put(data_row, 1, "Chart data", "wf heading")
    data_row += 1
    units = {ind.measure: (ind.title, ind.unit) for ind in BENCHMARK_INDICATORS}
    for k, (measure, frame) in enumerate(frames.items()):
        title, unit = units[measure]
        grid.put(data_row, 1, f"{title} ({unit})", "wf label")
        header = data_row + 1
        data_row = table(header, frame, f"bench_plan_{measure}",
                         formats={c: "float" for c in frame.columns if c != "year"}) + 1
        keys = {names[key]: key for key in STYLE}
        styles = [(j + 1, STYLE[keys[c]]) for j, c in enumerate(frame.columns) if c in keys and frame[c].notna().any()]
        anchor = ("A" if k % 2 == 0 else "E") + str(chart_top + (k // 2) * (CHART_ROWS + 1))
        grid.add_chart(_chart(grid.ws, header, frame, CHART_TITLES[measure], unit, styles), anchor)
    grid.put(data_row + 1, 1, "Statistical neighbours (DfE model, closest first)", "wf heading")
    table(data_row + 2, bench.neighbours.rename(columns={"la_code": "code", "la_name": "name"}), "bench_neighbours")
    grid.close()
