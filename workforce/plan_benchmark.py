"""The plan against the published past: a plan workbook's Benchmarks sheet (issue 13.2).

An HR lead believes a plan only beside what real authorities have done. :func:`plan_trajectory`
gives the plan's own path at each 30 September it reaches, in the DfE workforce census's
measures and units (agency, vacancy and turnover rates in per cent of FTE, caseload in children
per case-holding FTE), with the plan and carrying on as now; :func:`benchmark_frames` sets it
beside the published years of the authority (or, for the demo, a stated comparator), the mean of
its ten statistical neighbours, its region, England and England's interquartile range
(:func:`workforce.published.benchmark`); :func:`add_benchmarks_sheet` writes the sheet with a
native line chart per measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties

from workforce.excel.book import SafeWorkbook
from workforce.plans.census_measures import DEFINITIONS
from workforce.excel.cells import header_names
from workforce.excel.tables import Highlight
from workforce.published.benchmark import (AUTHORITY, ENGLAND_COL, ENGLAND_P25, ENGLAND_P75, NEIGHBOURS_MEAN,
                                           REGION, Benchmark)
from workforce.published.indicators import BENCHMARK_INDICATORS, reference_date

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


#: The plan's census measures (:mod:`workforce.plans.census_measures`) as the published indicators name them.
_PUBLISHED_NAME = {"agency_rate": "agency_rate_fte", "vacancy_rate": "vacancy_rate_fte",
                   "turnover_rate": "turnover_rate_fte", "caseload": "caseload_fte"}


def trajectory_notes() -> list[str]:
    """How the plan's figures on the sheet are counted: the plan's census measures at each 30
    September, in the words that define them (:data:`workforce.plans.census_measures.DEFINITIONS`,
    the one place they are written)."""
    return ["The plan's and carrying on's figures are the census measures at each 30 September (the median of the "
            "simulated futures), by the DfE's definitions on every social-work role in FTE: "
            + "; ".join(DEFINITIONS[m] for m in _PUBLISHED_NAME) + "."]


def plan_trajectory(plan) -> pd.DataFrame:
    """The plan's path at each census day (30 September) it reaches, today's figures included
    when today is one: the plan's own census measures (``plan.census``, computed once by
    :mod:`workforce.plans.census_measures` with the DfE definitions of :mod:`workforce.measures`),
    for the plan and carrying on as now, in the published units.

    Parameters
    ----------
    plan : PlanResult
        From :func:`workforce.plans.planner.build_plan`.

    Returns
    -------
    DataFrame
        ``year, measure, plan, carry_on`` in the published units (per cent; children per FTE).
        A measure with no figure on a day (turnover today when the history does not give it) is
        left out for that day.
    """
    census = plan.census[plan.census["census_day"]]
    rows = []
    for scenario, column in (("plan", PLAN), ("carry_on", CARRY_ON)):
        part = census[census["scenario"] == scenario]
        long = part.melt(id_vars=["quarter_end_date"], value_vars=list(_PUBLISHED_NAME), var_name="measure",
                         value_name=column)
        long["year"] = pd.to_datetime(long["quarter_end_date"]).dt.year
        long["measure"] = long["measure"].map(_PUBLISHED_NAME)
        long.loc[long["measure"] != "caseload_fte", column] *= 100.0  # rates in per cent, as published
        rows.append(long.set_index(["year", "measure"])[column])
    out = pd.concat(rows, axis=1).reset_index().dropna(subset=[PLAN, CARRY_ON], how="all")
    order = {m: i for i, m in enumerate(TRAJECTORY_MEASURES)}
    out = out.sort_values(["year", "measure"], key=lambda s: s.map(order) if s.name == "measure" else s, kind="stable")
    return out[["year", "measure", PLAN, CARRY_ON]].reset_index(drop=True)


# ----------------------------------------------------------------------------- the tables


def labels(bench: Benchmark, *, comparator: bool = False) -> dict[str, str]:
    """Series names as the sheet and its charts show them."""
    own = f"{bench.la_name} ({bench.la_code})" + (", the comparator" if comparator else "")
    return {PLAN: "this plan", CARRY_ON: "carrying on as now", AUTHORITY: own,
            NEIGHBOURS_MEAN: "statistical neighbours: mean", REGION: bench.region_name or "region",
            ENGLAND_COL: "England", ENGLAND_P25: "England: lower quartile", ENGLAND_P75: "England: upper quartile"}


def benchmark_frames(bench: Benchmark, trajectory: pd.DataFrame, *, comparator: bool = False) -> dict[str, pd.DataFrame]:
    """Per measure of :data:`TRAJECTORY_MEASURES`, the published years then the plan's: ``year``,
    ``date`` (the day the row's figures refer to, as every published figure carries it), the
    plan, carrying on as now, the authority, the neighbours' mean, the region, England and its
    quartiles (columns named as :func:`labels` says). A cell is blank where the series has no
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
        frame.insert(1, "date", [reference_date(measure, y) for y in frame["year"].astype(int)])
        frame["year"] = frame["year"].astype(int).astype(str)  # a category, not a number: no "2,024"
        out[measure] = frame.rename(columns=names)
    return out


def mean_note(bench: Benchmark, measure: str | None = None) -> str:
    """What the neighbours' mean is, and which neighbours it leaves out: a joint workforce return
    counts once among the comparators and never as the authority's own neighbour
    (:func:`workforce.published.benchmark.shared_returns`), so a mean shown without saying so
    looks like it averages every neighbour listed. The exceptions are said in the words of
    :meth:`Benchmark.joint_notes` (the one place they are written), for `measure` alone when given
    (one measure's table) or every measure (the summary)."""
    joint = bench.joint_notes(measure)
    return "mean of the DfE statistical neighbours that reported that year" + (
        ". " + "; ".join(joint) if joint else "")


def column_notes(bench: Benchmark, *, comparator: bool = False, measure: str | None = None) -> dict[str, str]:
    """What each column of the Benchmarks sheet's tables holds (header notes); the neighbours'
    mean names the joint returns it leaves out (:func:`mean_note`, for `measure` when given)."""
    names = labels(bench, comparator=comparator)
    own = ("a published authority set beside the plan for comparison (the demo has no published figures of its "
           "own)" if comparator else "the authority's own published figures")
    return {
        "year": "the DfE's year of the figure: for the workforce census figures at 30 September of this year "
                "(leavers in the year to it); the date column gives the day",
        names[PLAN]: "the plan's figure at 30 September (agency, vacancy, caseload at the end of the quarter ending "
                     "that day; turnover: expected share of FTE leaving within a year with the plan)",
        names[CARRY_ON]: "the same figure carrying on as now (no new permanent or newly qualified hires, agency "
                         "covering the gaps; turnover without the L&D offers)",
        names[AUTHORITY]: own,
        names[NEIGHBOURS_MEAN]: mean_note(bench, measure),
        names[REGION]: "the region's published figure",
        names[ENGLAND_COL]: "England's published figure",
        names[ENGLAND_P25]: "lower quartile across English authorities that year",
        names[ENGLAND_P75]: "upper quartile across English authorities that year",
        "indicator": "published measure (DfE)", "unit": "unit of the measure",
        "date": "the day the figure refers to: 30 September (workforce census), 31 March (children's tables)",
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

    def table(at: int, frame: pd.DataFrame, tname: str, measure: str | None = None, **kw) -> int:
        end = grid.put_table(at, 1, frame, tname, **kw)
        own = column_notes(bench, comparator=pb.comparator, measure=measure) if measure else notes
        for j, (column, header) in enumerate(zip(frame.columns, header_names(list(frame.columns)))):
            if own.get(str(column)):
                grid.put(at, j + 1, header, "wf header", comment=own[str(column)])
        return end

    grid.put(row, 1, "Where the authority stands: the latest published year of each indicator", "wf heading")
    summary = bench.summary()
    summary["year"] = summary["year"].astype("string").fillna("")
    summary = summary.rename(columns=names)
    row = table(row + 1, summary, "bench_summary", highlights=[Highlight("TRUE", "warn", names[AUTHORITY])]) + 1
    for line in bench.joint_notes():  # the neighbours left out of the mean, as the benchmark workbook says it
        grid.put(row, 1, line, "wf note")
        row += 1
    grid.put(row, 1, "The plan beside the published years (chart data below)", "wf heading")
    chart_top = row + 1
    data_row = chart_top + ((len(frames) + 1) // 2) * (CHART_ROWS + 1) + 1
    grid.put(data_row, 1, "Chart data", "wf heading")
    data_row += 1
    units = {ind.measure: (ind.title, ind.unit) for ind in BENCHMARK_INDICATORS}
    for k, (measure, frame) in enumerate(frames.items()):
        title, unit = units[measure]
        grid.put(data_row, 1, f"{title} ({unit})", "wf label")
        header = data_row + 1
        data_row = table(header, frame, f"bench_plan_{measure}", measure,
                         formats={c: "float" for c in frame.columns if c not in ("year", "date")}) + 1
        keys = {names[key]: key for key in STYLE}
        styles = [(j + 1, STYLE[keys[c]]) for j, c in enumerate(frame.columns) if c in keys and frame[c].notna().any()]
        anchor = ("A" if k % 2 == 0 else "E") + str(chart_top + (k // 2) * (CHART_ROWS + 1))
        grid.add_chart(_chart(grid.ws, header, frame, CHART_TITLES[measure], unit, styles), anchor)
    grid.put(data_row + 1, 1, "Statistical neighbours (DfE model, closest first)", "wf heading")
    table(data_row + 2, bench.neighbours.rename(columns={"la_code": "code", "la_name": "name"}), "bench_neighbours")
    grid.close()
