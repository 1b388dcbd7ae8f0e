"""The plan against the published past: its census-day trajectory, the tables that set it after
the neighbours' published years, and the Benchmarks sheet with its native charts."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from plans_frames import make_authority
from workforce.excel.book import SafeWorkbook
from workforce.plan_benchmark import (CARRY_ON, PLAN, TRAJECTORY_MEASURES, PlanBenchmark, add_benchmarks_sheet,
                                      benchmark_frames, labels, plan_trajectory, trajectory_notes)
from workforce.plans.assumptions import Assumptions
from workforce.plans.planner import build_plan
from workforce.published import benchmark, read_published


@pytest.fixture(scope="module")
def planned():
    workers, cases, risk = make_authority(60, 700, seed=3, teams=3, localities=1)
    a = Assumptions().with_values({"montecarlo.runs": 30, "projection.start_date": "2024-10-01"})
    return workers, cases, build_plan(workers, cases, risk, a)


@pytest.fixture(scope="module")
def bench():
    return benchmark(read_published(), "333")


def test_the_trajectory_is_read_at_each_census_day(planned):
    workers, cases, plan = planned
    t = plan_trajectory(plan)
    assert sorted(t["year"].unique()) == [2024, 2025, 2026, 2027]  # the start, then quarters 4, 8 and 12
    assert set(t["measure"]) == set(TRAJECTORY_MEASURES)
    # the figures are the plan's own census measures on 30 September 2026 (quarter 8), in per cent
    census = plan.census.set_index(["scenario", "quarter"])
    assert census.at[("plan", 8), "quarter_end_date"] == pd.Timestamp("2026-09-30")
    row = t[t["year"] == 2026].set_index("measure")
    for measure, column in (("agency_rate_fte", "agency_rate"), ("vacancy_rate_fte", "vacancy_rate"),
                            ("turnover_rate_fte", "turnover_rate")):
        assert row.at[measure, PLAN] == pytest.approx(100 * census.at[("plan", 8), column])
        assert row.at[measure, CARRY_ON] == pytest.approx(100 * census.at[("carry_on", 8), column])
    assert row.at["caseload_fte", PLAN] == pytest.approx(census.at[("plan", 8), "caseload"])
    start = t[t["year"] == 2024].set_index("measure")  # today, 30 September 2024
    assert start.at["agency_rate_fte", PLAN] == pytest.approx(100 * census.at[("plan", 0), "agency_rate"])
    assert start.at["agency_rate_fte", PLAN] == pytest.approx(start.at["agency_rate_fte", CARRY_ON])


def test_a_plan_not_starting_after_a_census_day_has_no_start_point():
    workers, cases, risk = make_authority(30, 300, seed=1, teams=2, localities=1)
    a = Assumptions().with_values({"montecarlo.runs": 20, "projection.start_date": "2025-01-01"})
    t = plan_trajectory(build_plan(workers, cases, risk, a))
    assert sorted(t["year"].unique()) == [2025, 2026, 2027]  # quarters 3, 7, 11 end on 30 September


def test_the_plan_follows_the_published_years(planned, bench):
    workers, cases, plan = planned
    frames = benchmark_frames(bench, plan_trajectory(plan))
    names = labels(bench)
    agency = frames["agency_rate_fte"].set_index("year")
    assert list(agency.index) == [str(y) for y in range(2017, 2028)]
    assert agency.loc[[str(y) for y in range(2017, 2024)], names[PLAN]].isna().all()
    assert agency.loc[["2025", "2026", "2027"], names[PLAN]].notna().all()
    assert agency.at["2023", names["authority"]] == pytest.approx(17.6)  # Sandwell, 30 September 2023 [published]
    assert agency.loc[["2025", "2026", "2027"], names["england"]].isna().all()
    assert labels(bench, comparator=True)["authority"].endswith("the comparator")


def test_the_benchmarks_sheet_has_a_chart_per_measure_and_notes(tmp_path, planned, bench):
    workers, cases, plan = planned
    book = SafeWorkbook(produced_by="test")
    add_benchmarks_sheet(book, PlanBenchmark(bench, plan_trajectory(plan), True, ["a note"]))
    path = book.save(tmp_path / "b.xlsx")
    ws = openpyxl.load_workbook(path)["Benchmarks"]
    assert len(ws._charts) == len(TRAJECTORY_MEASURES)
    text = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("Sandwell (333), the comparator" in v for v in text)
    notes = {c.value: c.comment.text for row in ws.iter_rows() for c in row if c.comment is not None}
    assert "this plan" in notes and "30 September" in notes["year"]
    years = [c.value for row in ws.iter_rows() for c in row if c.value in ("2017", "2027")]
    assert years and all(isinstance(v, str) for v in years)  # years as text: no "2,017" on the axis


def test_the_sheet_says_how_the_plan_counts_in_the_census_words():
    """The note under the Benchmarks title quotes the census definitions the trajectory is computed
    with (once stale text said case-holding FTE was weighted by role and turnover was expected)."""
    from workforce.plans.census_measures import DEFINITIONS

    (note,) = trajectory_notes()
    for measure in ("agency_rate", "vacancy_rate", "turnover_rate", "caseload"):
        assert DEFINITIONS[measure] in note
    assert "expected share" not in note and "share of a full caseload" not in note


def _sheet_tables(path) -> dict[str, dict[str, str]]:
    """Each table of the Benchmarks sheet: header -> its note ("" when it has none)."""
    ws = openpyxl.load_workbook(path)["Benchmarks"]
    out = {}
    for name, ref in ws.tables.items():
        header = ws[ref.split(":")[0]].row
        first, last = openpyxl.utils.range_boundaries(ref)[0], openpyxl.utils.range_boundaries(ref)[2]
        cells = [ws.cell(header, j) for j in range(first, last + 1)]
        out[name] = {c.value: (c.comment.text if c.comment else "") for c in cells}
    return out


def test_every_column_has_a_note_and_every_note_a_column(tmp_path, planned, bench):
    """A note for a column no table has misleads (once: `date`, which the chart data lacked though
    every published figure carries its date); a column without one leaves the reader guessing."""
    from workforce.plan_benchmark import column_notes

    workers, cases, plan = planned
    book = SafeWorkbook(produced_by="test")
    add_benchmarks_sheet(book, PlanBenchmark(bench, plan_trajectory(plan)))
    tables = _sheet_tables(book.save(tmp_path / "b.xlsx"))
    for name, headers in tables.items():
        assert all(headers.values()), (name, [h for h, n in headers.items() if not n])
    shown = {h for headers in tables.values() for h in headers}
    assert set(column_notes(bench)) <= shown, set(column_notes(bench)) - shown
    for measure in TRAJECTORY_MEASURES:  # the chart data carry the day each row refers to
        headers = tables[f"bench_plan_{measure}"]
        assert "date" in headers


def test_the_neighbours_mean_says_which_joint_returns_it_leaves_out(tmp_path, planned):
    """Neighbours sharing a joint workforce return are left out of the mean (shared_returns): the
    sheet says so where the mean is shown, in the words of Benchmark.joint_notes."""
    from workforce.published.authorities import joint_members

    pub = read_published()
    codes = pub.values.loc[pub.values["level"] == "local_authority", "la_code"].unique()
    members = [m for c in codes for m in joint_members(c)]
    bench = next(b for b in (benchmark(pub, m) for m in members) if len(b.shared))
    workers, cases, plan = planned
    book = SafeWorkbook(produced_by="test")
    add_benchmarks_sheet(book, PlanBenchmark(bench, plan_trajectory(plan)))
    path = book.save(tmp_path / "b.xlsx")
    mean = labels(bench)["neighbours_mean"]
    tables = _sheet_tables(path)
    assert all(line in tables["bench_summary"][mean] for line in bench.joint_notes())
    for measure in TRAJECTORY_MEASURES:
        note = tables[f"bench_plan_{measure}"][mean]
        assert all(line in note for line in bench.joint_notes(measure))
    assert any(bench.joint_notes(m) for m in TRAJECTORY_MEASURES), "a workforce measure has a neighbour left out"
    ws = openpyxl.load_workbook(path)["Benchmarks"]
    text = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert set(bench.joint_notes()) <= text  # and in plain sight, under the summary
