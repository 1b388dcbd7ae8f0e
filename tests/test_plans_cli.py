"""`workforce plan` end to end, and the workbook going round: edit the Assumptions sheet, re-run."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from plans_frames import make_authority, write_sheet
from workforce.cli import app
from workforce.contracts import to_csv_frame
from workforce.config import load_assumptions
from workforce.plans.assumptions import Assumptions, assumptions_frame
from workforce.plans.planner import build_plan

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan_in")
    workers, cases, risk = make_authority(60, 800, seed=2, teams=3, localities=2)
    to_csv_frame(workers).to_csv(folder / "workers.csv", index=False)
    to_csv_frame(cases).to_csv(folder / "cases.csv", index=False)
    risk.to_csv(folder / "risk.csv", index=False)
    (folder / "a.toml").write_text("[montecarlo]\nruns = 200\n", encoding="utf-8")
    return folder


def run(inputs, out, *extra):
    return runner.invoke(app, ["plan", "--workers", str(inputs / "workers.csv"), "--cases", str(inputs / "cases.csv"),
                               "--risk", str(inputs / "risk.csv"), "--out", str(out), *extra])


def test_cli_writes_every_output(inputs, tmp_path):
    out = tmp_path / "out"
    result = run(inputs, out, "--assumptions", str(inputs / "a.toml"), "--seed", "5")
    assert result.exit_code == 0, result.output
    for name in ("projection.csv", "gateway_plan.csv", "gateway_programmes.csv", "recruitment_plan.csv",
                 "recruitment_totals.csv", "montecarlo.csv", "scenarios.csv", "summary.json", "assumptions.toml"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["montecarlo_runs"] == 200 and summary["montecarlo_seed"] == 5
    used = load_assumptions(out / "assumptions.toml")
    assert used.montecarlo.seed == 5 and used.montecarlo.runs == 200
    scenarios = pd.read_csv(out / "scenarios.csv")
    assert list(scenarios["scenario"]) == ["baseline", "sandwell_like", "sandwell_interventions"]
    # whether the target is met is the central projection's verdict, shown beside its own rate
    totals = pd.read_csv(out / "recruitment_totals.csv")
    baseline = scenarios.iloc[0]
    assert baseline["agency_rate_end_expected"] == pytest.approx(totals["agency_rate"].iloc[-1])
    assert baseline["agency_rate_end"] == pytest.approx(summary["agency_rate_end"])
    gateway = pd.read_csv(out / "gateway_plan.csv")
    assert "name" not in gateway.columns and len(gateway) == 60
    assert load_assumptions(out / "workforce_plan.xlsx") == used


def test_cli_bad_assumption_exits_2_and_writes_nothing(inputs, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[costs]\non_cost_rate = -1\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run(inputs, out, "--assumptions", str(bad))
    assert result.exit_code == 2
    assert "on_cost_rate" in result.output and "bad.toml" in result.output
    assert not out.exists()


def test_cli_needs_exactly_one_risk_source(inputs, tmp_path):
    result = runner.invoke(app, ["plan", "--workers", str(inputs / "workers.csv"), "--cases",
                                 str(inputs / "cases.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--risk" in result.output


def test_cli_bad_risk_row_named(inputs, tmp_path):
    risk = pd.read_csv(inputs / "risk.csv")
    risk.loc[3, "p_leave"] = 1.7
    path = tmp_path / "risk.csv"
    risk.to_csv(path, index=False)
    result = runner.invoke(app, ["plan", "--workers", str(inputs / "workers.csv"), "--cases", str(inputs / "cases.csv"),
                                 "--risk", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "row 5" in result.output and "p_leave" in result.output


def test_cli_risk_row_for_unknown_worker_counted_and_said(inputs, tmp_path):
    """A risk table scored before a worker left: the row for the leaver is not used, and the
    worker it misses is planned at the fallback rates; both on the console and in summary.json."""
    risk = pd.read_csv(inputs / "risk.csv", dtype={"worker_id": str})
    workers = pd.read_csv(inputs / "workers.csv", dtype={"worker_id": str})
    missed = workers.loc[workers["agency"].eq("no"), "worker_id"].iloc[0]
    risk.loc[risk["worker_id"] == missed, "worker_id"] = "LEFT-LAST-MONTH"
    row = int(risk.index[risk["worker_id"] == "LEFT-LAST-MONTH"][0]) + 2
    path = tmp_path / "risk.csv"
    risk.to_csv(path, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["plan", "--workers", str(inputs / "workers.csv"), "--cases", str(inputs / "cases.csv"),
                                 "--risk", str(path), "--assumptions", str(inputs / "a.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (f"risk table {path}: 1 row for a worker not in the workers table was not used "
            f"(row {row}: LEFT-LAST-MONTH") in result.output
    assert f"is not in it ({missed}); for them: the default leaving rates" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["risk_rows_not_in_workers"] == 1 and summary["risk_rows_not_in_workers_ids"] == ["LEFT-LAST-MONTH"]
    assert summary["workers_not_in_risk"] == 1 and summary["workers_not_in_risk_ids"] == [missed]
    assert summary["workers_not_in_risk_use"].startswith("the default leaving rates")


def test_cli_partial_risk_table_says_how_many_at_default_rates(inputs, tmp_path):
    """A risk table for some workers only: the console says how many LA-employed workers it
    misses and the rates used for them (before, only summary.json's leaving_sources did)."""
    risk = pd.read_csv(inputs / "risk.csv", dtype={"worker_id": str})
    workers = pd.read_csv(inputs / "workers.csv", dtype={"worker_id": str})
    path = tmp_path / "risk.csv"
    risk.head(10).to_csv(path, index=False)
    la = set(workers.loc[workers["agency"].eq("no"), "worker_id"])
    missing = len(la - set(risk.head(10)["worker_id"]))
    out = tmp_path / "out"
    result = runner.invoke(app, ["plan", "--workers", str(inputs / "workers.csv"), "--cases", str(inputs / "cases.csv"),
                                 "--risk", str(path), "--assumptions", str(inputs / "a.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{missing} of the {len(la)} LA-employed workers it should score are not in it" in result.output
    assert "the default leaving rates" in result.output and "supply.default_turnover_rate" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["workers_not_in_risk"] == missing and summary["risk_rows_not_in_workers"] == 0


def edit(path, section: str, key: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Assumptions"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == section and row[1].value == key:
            row[2].value = value
    wb.save(path)


def test_edited_workbook_changes_the_plan_as_expected(tmp_path):
    workers, cases, risk = make_authority(60, 800, seed=2, teams=3, localities=2)
    base = Assumptions().with_values({"montecarlo.runs": 100})
    path = tmp_path / "plan.xlsx"
    write_sheet(assumptions_frame(base), path)
    before = build_plan(workers, cases, risk, load_assumptions(path))

    edit(path, "costs", "agency_day_rate_case_holder_gbp", 444.0)
    dear = build_plan(workers, cases, risk, load_assumptions(path))
    assert dear.summary["baseline_cost_gbp"] > before.summary["baseline_cost_gbp"]
    # both pay the dearer agency: the plan (which now buys safe caseloads, partly with agency) costs more too
    assert dear.summary["plan_cost_gbp"] > before.summary["plan_cost_gbp"]
    assert dear.recruitment_totals["agency_fte"].sum() <= before.recruitment_totals["agency_fte"].sum() + 1e-6

    edit(path, "costs", "agency_day_rate_case_holder_gbp", base.costs.agency_day_rate_case_holder_gbp)
    half = before.summary["gateway_cost_gbp"] / 2.0  # a budget the plan before would break
    assert half > 0
    edit(path, "gateway", "budget_gbp", half)
    lean = build_plan(workers, cases, risk, load_assumptions(path))
    assert lean.summary["gateway_cost_gbp"] <= half
    assert lean.summary["gateway_cost_gbp"] < before.summary["gateway_cost_gbp"]
    assert lean.summary["gateway_expected_leavers_avoided"] < before.summary["gateway_expected_leavers_avoided"]


@pytest.mark.parametrize("seed", ["-1", "9999999999"])
def test_a_seed_out_of_range_is_named_as_the_option(inputs, tmp_path, seed):
    # the assumptions refuse it; the message must name --seed, not a row of a 'scenario' table
    result = run(inputs, tmp_path / "out", "--seed", seed)
    assert result.exit_code == 2
    assert "option --seed:" in result.output and "scenario, row" not in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_a_demand_window_of_the_wrong_form_is_named_as_the_option(inputs, tmp_path):
    result = run(inputs, tmp_path / "out", "--demand-la", "333", "--demand-years", "2023-2021")
    assert result.exit_code == 2
    assert "option --demand-years: '2023-2021': the last year is before the first" in result.output, result.output
    assert not (tmp_path / "out").exists()
