"""`workforce plan` with the demand model (--demand-*) and the published benchmark (--la), through
the CLI and the workbook: Demand and Benchmarks sheets with native charts and column notes, the
plan's demand following the chosen scenario, and bad options refused with exit 2."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from plans_frames import make_authority
from workforce.cli import app
from workforce.contracts import to_csv_frame

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan_evidence_in")
    tables = dict(zip(("workers", "cases", "risk"), make_authority(60, 800, seed=2, teams=3, localities=2)))
    for name, frame in tables.items():
        to_csv_frame(frame).to_csv(folder / f"{name}.csv", index=False)
    (folder / "a.toml").write_text("[plans.montecarlo]\nruns = 60\n", encoding="utf-8")
    (folder / "levers.toml").write_text('[levers]\nearly_help_diversion = { value = 0.25, basis = "our early help '
                                        'offer" }\n', encoding="utf-8")
    return folder


def plan(inputs, out, *extra):
    return runner.invoke(app, ["plan", "--workers", str(inputs / "workers.csv"), "--cases", str(inputs / "cases.csv"),
                               "--risk", str(inputs / "risk.csv"), "--assumptions", str(inputs / "a.toml"),
                               "--out", str(out), *extra])


@pytest.fixture(scope="module")
def baseline(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan_baseline") / "out"
    result = plan(inputs, out, "--la", "333", "--demand-la", "333")
    assert result.exit_code == 0, result.output
    return out, result


def _notes(ws) -> dict[str, str]:
    return {c.value: c.comment.text for row in ws.iter_rows() for c in row if c.comment is not None}


def test_plan_with_demand_and_benchmarks_writes_both_sheets(baseline):
    out, result = baseline
    wb = openpyxl.load_workbook(out / "workforce_plan.xlsx")
    names = wb.sheetnames
    assert names.index("Projection") < names.index("Demand") < names.index("Benchmarks") < names.index("Assumptions")
    assert len(wb["Demand"]._charts) >= 5 and len(wb["Benchmarks"]._charts) == 4
    notes = _notes(wb["Demand"])
    assert "looked after" in notes["cla"] and "DfE publishes" in notes["cin_at31"]
    assert "30 September" in _notes(wb["Benchmarks"])["year"]
    for name in ("demand_required_fte.csv", "demand_scenarios.csv", "demand_assumptions.toml", "benchmarks.csv"):
        assert (out / name).is_file(), name
    bench = pd.read_csv(out / "benchmarks.csv")  # each figure with its day, the values all figures
    assert bench["date"].notna().all() and pd.api.types.is_numeric_dtype(bench["value"])
    assert "the plan follows the 'baseline' scenario" in result.output
    assert "Sandwell (333)" in result.output


def test_the_plans_demand_follows_the_demand_model(baseline):
    out, _ = baseline
    projection = pd.read_csv(out / "projection.csv")
    req = pd.read_csv(out / "demand_required_fte.csv")
    points = req[req["social_work"]].groupby("quarter")["demand_points"].sum()
    demand = projection.groupby("quarter")["demand_points"].sum()
    # no team types in these workers: every team follows the whole service's points
    assert demand.loc[12] / demand.loc[1] == pytest.approx(points.loc[12] / points.loc[1], rel=1e-6)
    assert demand.loc[12] != pytest.approx(demand.loc[1], rel=1e-3)  # the model moves it (Sandwell's trend)
    # beside the model's own calendar, the plan quarter each model quarter stands for
    ends = req.groupby("quarter")["plan_quarter_end"].first()
    census = pd.read_csv(out / "census_measures.csv")
    plan_ends = census[census["scenario"] == "plan"].set_index("quarter")["quarter_end_date"]
    assert ends.loc[0] == plan_ends.loc[0] and ends.loc[12] == plan_ends.loc[12]


def test_levers_avoid_demand_hires_and_agency(inputs, baseline, tmp_path):
    out, _ = baseline
    result = plan(inputs, tmp_path / "out", "--la", "333", "--demand-assumptions", str(inputs / "levers.toml"))
    assert result.exit_code == 0, result.output  # --la gives the demand model's history
    assert "the plan follows the 'levers' scenario" in result.output
    base = pd.read_csv(out / "recruitment_totals.csv")
    cut = pd.read_csv(tmp_path / "out" / "recruitment_totals.csv")
    assert cut["required_fte"].iloc[-1] < 0.95 * base["required_fte"].iloc[-1]
    assert cut["agency_fte"].sum() < base["agency_fte"].sum()
    assert cut["permanent_hires"].sum() + cut["nq_intake"].sum() <= base["permanent_hires"].sum() + base["nq_intake"].sum()
    levers = openpyxl.load_workbook(tmp_path / "out" / "workforce_plan.xlsx")["Demand"]
    assert any(c.value == "our early help offer" for row in levers.iter_rows() for c in row)


@pytest.mark.parametrize("extra, message", [
    (["--demand-la", "333", "--demand-scenario", "nosuch"], "nosuch"),
    (["--demand-scenario", "baseline"], "--demand-la"),
    (["--demand-la", "333", "--demand-history", "h.csv"], "not both"),
    (["--la", "Nowhereshire"], "Nowhereshire"),
    (["--demand-la", "333", "--demand-years", "1990-1991"], "1990"),
])
def test_bad_demand_and_benchmark_options_exit_2(inputs, tmp_path, extra, message):
    out = tmp_path / "out"
    result = plan(inputs, out, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


@pytest.mark.filterwarnings("error::RuntimeWarning")  # numpy's warnings must not reach the console
def test_a_non_finite_demand_history_names_the_history_file(inputs, tmp_path):
    """`plan --demand-history` reads the history as `demand --history` does: 1e400 is refused
    naming the user's file, row and column, not an internal table ('demand', 'demand_points')."""
    from demand_frames import history_with

    path, row = history_with(tmp_path / "history.csv", "cin_at31", "1e400")
    out = tmp_path / "out"
    result = plan(inputs, out, "--demand-history", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}, row {row}, column 'cin_at31': '1e400' is not a finite number" in result.output
    assert "demand_points" not in result.output
    assert not out.exists()
