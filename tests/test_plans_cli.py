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
