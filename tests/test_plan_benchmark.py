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
