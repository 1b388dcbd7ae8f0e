"""End to end: `workforce demo` and `workforce run CONFIG.toml` produce every output, consistently."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from libreoffice import convert_to_pdf, needs_soffice
from workforce import measures
from workforce.cli import app

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--seed", "0", "--quick"])
    assert result.exit_code == 0, result.output
    return out, result.stdout


@pytest.fixture(scope="module")
def demo_out(demo_run) -> Path:
    return demo_run[0]


def test_demo_writes_every_output(demo_out):
    for name in ("workforce_plan.xlsx", "allocation.xlsx", "risk.xlsx", "allocations.csv", "worker_loads.csv",
                 "unallocated.csv", "risk.csv", "projection.csv", "recruitment_plan.csv", "gateway_plan.csv",
                 "montecarlo.csv", "summary.json", "model/model.joblib", "model/model_card.json",
                 "model/fairness.csv", "inputs/workers.csv", "inputs/cases.csv", "inputs/hr_history.csv"):
        assert (demo_out / name).is_file(), name
    assert not list(demo_out.parent.glob(".*staging*"))


def test_demo_gives_each_worker_quarterly_hazards_that_make_the_register(demo_out):
    """Issue 16: per worker, the 12-month chance and the quarterly hazards by reason. hazards.csv
    holds them, and its first four quarters give risk.csv's chances, worker by worker and reason by
    reason, and team_risk.csv's quarters (all from the plan's first day)."""
    risk = pd.read_csv(demo_out / "risk.csv").set_index("worker_id")
    hazards = pd.read_csv(demo_out / "hazards.csv")
    assert set(hazards["worker_id"]) == set(risk.index)
    assert set(hazards["reason"]) == {"voluntary", "retirement", "other"}
    year = hazards[hazards["quarter"] == 4].pivot_table(index="worker_id", columns="reason",
                                                         values="cumulative_incidence", aggfunc="sum")
    for reason, column in (("voluntary", "p_voluntary_12m"), ("retirement", "p_retire_12m"), ("other", "p_other_12m")):
        assert (year[reason].reindex(risk.index) - risk[column]).abs().max() < 1e-9, reason
    teams = pd.read_csv(demo_out / "team_risk.csv")
    quarters = teams[[f"expected_leavers_q{k}" for k in range(1, 5)]].sum(axis=1)
    assert (quarters - teams["expected_leavers"]).abs().max() < 1e-9


def test_demo_planner_workbook_has_every_sheet(demo_out):
    wb = openpyxl.load_workbook(demo_out / "workforce_plan.xlsx")
    for sheet in ("Summary", "Risk register", "L&D plan", "Recruitment plan", "Projection", "Demand", "Benchmarks",
                  "Allocation", "Fairness audit", "Assumptions", "README"):
        assert sheet in wb.sheetnames, (sheet, wb.sheetnames)
    assert len(wb["Summary"]._charts) >= 4
    assert "workforce demo" in _produced_by(demo_out / "workforce_plan.xlsx")


def test_demo_demand_history_agrees_with_its_cases(demo_out):
    """The demo's open cases by stage and the demand model's start, as the Demand sheet shows them,
    agree within the stated tolerance (workforce.plan_demand.DEMO_TOLERANCE); the history is an input
    `workforce demand --history` reads."""
    from workforce.demand.history import read_history
    from workforce.plan_demand import DEMO_TOLERANCE

    ws = openpyxl.load_workbook(demo_out / "workforce_plan.xlsx")["Demand"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if r[:3] == ("stage", "open_cases", "model_start"))
    table = {r[0]: r for r in rows[head + 1:head + 6]}
    cases = pd.read_csv(demo_out / "inputs" / "cases.csv", dtype=str)
    assert table["total"][1] == (cases["case_type"] != "care_leaver").sum()
    for stage in ("assessment", "cin", "cp", "cla", "total"):
        assert abs(table[stage][2] / table[stage][1] - 1) <= DEMO_TOLERANCE, table[stage]
    assert len(ws._charts) >= 5
    history = read_history(demo_out / "inputs" / "demand_history.csv").frame
    assert {"referrals", "cin_at31", "cp_at31", "cla_at31"} <= set(history.columns)
    bench = openpyxl.load_workbook(demo_out / "workforce_plan.xlsx")["Benchmarks"]
    assert len(bench._charts) == 4
    assert any("Sandwell (333), the comparator" in str(c.value) for row in bench.iter_rows() for c in row)
    summary = json.loads((demo_out / "summary.json").read_text())
    assert summary["demand"]["scenario"] == "baseline" and "turnaround" in summary["demand"]["scenarios"]
    assert summary["benchmarks"] == {"la_code": "333", "la_name": "Sandwell", "comparator": True, "sheet": "Benchmarks"}


def _produced_by(path: Path) -> str:
    """The README sheet's 'produced by' entry: the command that wrote the workbook."""
    for row in openpyxl.load_workbook(path)["README"].iter_rows(values_only=True):
        if row and row[0] == "produced by":
            return str(row[1])
    raise AssertionError(f"no 'produced by' row in {path}")


def test_demo_demand_assumptions_pass_back_as_the_readme_says(demo_out, tmp_path):
    """demand_assumptions.toml, written beside the plan, is read back by `workforce demand
    --assumptions` and by `plan --demand-assumptions` (no [caseload] of its own to clash with the
    plan's, no value written as the text 'None')."""
    from workforce.demand.settings import load_assumptions

    written = demo_out / "demand_assumptions.toml"
    assert "[caseload]" not in written.read_text() and '"None"' not in written.read_text()
    assert load_assumptions(written).caseload == {}  # reads back, with the plan's capacity model left to the plan
    inputs = demo_out / "inputs"
    res = CliRunner().invoke(app, ["plan", "--workers", str(inputs / "workers.csv"), "--cases", str(inputs / "cases.csv"),
                                   "--risk", str(demo_out / "risk.csv"), "--demand-history",
                                   str(inputs / "demand_history.csv"), "--demand-assumptions", str(written),
                                   "--out", str(tmp_path / "plan")])
    assert res.exit_code == 0, res.output


def test_readme_outputs_table_names_every_file_the_demo_writes(demo_out):
    """README (Outputs): the table of what `workforce demo --out DIR` writes names every file
    there (a file in a folder by its own name, or the folder's row names it), so nothing a planner
    finds in the folder is unexplained."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Outputs\n", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    named = set(re.findall(r"`([^`]+)`", "\n".join(table)))
    unnamed = sorted(str(p.relative_to(demo_out)) for p in demo_out.rglob("*")
                     if p.is_file() and not p.name.startswith(".") and p.name not in named)
    assert not unnamed, f"files the demo writes that the README's Outputs table does not name: {unnamed}"


def test_demo_workbook_fed_back_replans_the_same_figures(demo_out, tmp_path):
    """The README (Outputs): `workforce plan --assumptions workforce_plan.xlsx` with the run's other
    inputs (hr_history, establishment, model and the demo's demand history) re-plans the demo's
    figures. Without `--demand-history` the plan's demand is today's caseload instead of the
    child's journey, and its agency at three years was 18.9% against the demo's 14.9%."""
    inputs = demo_out / "inputs"
    res = CliRunner().invoke(app, ["plan", "--workers", str(inputs / "workers.csv"), "--cases", str(inputs / "cases.csv"),
                                   "--hr-history", str(inputs / "hr_history.csv"),
                                   "--establishment", str(inputs / "establishment.csv"),
                                   "--model", str(demo_out / "model"),
                                   "--demand-history", str(inputs / "demand_history.csv"),
                                   "--assumptions", str(demo_out / "workforce_plan.xlsx"),
                                   "--out", str(tmp_path / "replan")])
    assert res.exit_code == 0, res.output
    ran = json.loads((demo_out / "plan_summary.json").read_text())
    again = json.loads((tmp_path / "replan" / "summary.json").read_text())
    for key in ("agency_rate_start", "agency_rate_end", "carry_on_agency_rate_end", "plan_cost_gbp",
                "baseline_cost_gbp", "saving_gbp", "saving_gbp_p50", "permanent_hires", "nq_intake", "need_end"):
        assert again[key] == ran[key], key


@needs_soffice
def test_demo_workbook_converts_with_libreoffice(demo_out, tmp_path):
    """The real demo workbook, not a fixture, opens in LibreOffice and prints to PDF."""
    convert_to_pdf(demo_out / "workforce_plan.xlsx", tmp_path)


def test_demo_every_child_once(demo_out):
    cases = pd.read_csv(demo_out / "inputs" / "cases.csv", dtype=str)
    allocated = pd.read_csv(demo_out / "allocations.csv", dtype=str)
    unallocated = pd.read_csv(demo_out / "unallocated.csv", dtype=str)
    seen = pd.concat([allocated["case_id"], unallocated["case_id"]])
    assert seen.is_unique
    assert set(seen) == set(cases["case_id"])
    # siblings stay together
    assert (allocated.groupby("family_id")["worker_id"].nunique() == 1).all()


def _indicators(summary: dict) -> dict[str, dict]:
    return {i["key"]: i for i in summary["indicators"]}


def test_demo_summary_is_consistent_with_files(demo_out):
    summary = json.loads((demo_out / "summary.json").read_text())
    figures = _indicators(summary)
    alloc = json.loads((demo_out / "allocation_summary.json").read_text())
    unallocated = pd.read_csv(demo_out / "unallocated.csv", dtype=str)
    assert alloc["unallocated"] == len(unallocated) == figures["unallocated_children"]["value"]
    assert alloc["status"] in ("optimal", "feasible")
    risk = pd.read_csv(demo_out / "risk.csv")
    assert risk["p_leave"].between(0, 1).all()
    # predicted turnover as the DfE counts turnover: expected FTE leavers / FTE in post, LA-employed only
    workers = pd.read_csv(demo_out / "inputs" / "workers.csv")
    employed = workers[workers["agency"] == "no"].merge(risk[["worker_id", "p_leave"]], on="worker_id")
    by_hand = (employed["fte"] * employed["p_leave"]).sum() / employed["fte"].sum()
    assert figures["predicted_turnover"]["value"] == pytest.approx(by_hand)
    assert figures["expected_leavers"]["value"] == pytest.approx(risk["p_leave"].sum())


def test_terminal_summary_json_and_summary_sheet_show_the_same_figures(demo_run):
    """One set of headline figures: every indicator in summary.json is printed on the terminal
    with the same text, and stands on the Summary sheet with the same value and band."""
    out, terminal = demo_run
    figures = json.loads((out / "summary.json").read_text())["indicators"]
    ws = openpyxl.load_workbook(out / "workforce_plan.xlsx")["Summary"]
    rows = [[c.value for c in r] for r in ws[ws.tables["summary_indicators"].ref]]
    sheet = pd.DataFrame(rows[1:], columns=rows[0]).set_index("indicator")
    assert list(sheet.index) == [f["name"] for f in figures]
    for f in figures:
        assert f"{f['name']}" in terminal and f["text"] in terminal, f["name"]
        row = sheet.loc[f["name"]]
        if f["unit"] == "text":
            assert row["value"] == f["value"]
        else:
            assert row["value"] == pytest.approx(f["value"]), f["name"]
        if "p10" in f:
            assert (row["P10"], row["P90"]) == pytest.approx((f["p10"], f["p90"])), f["name"]
            assert f["p10"] <= f["value"] <= f["p90"]
        assert row["definition"] == f["definition"] and f["definition"]
    keys = {f["key"] for f in figures}
    # the figures issue 18 found disagreeing or unexplained are each there once, defined
    assert {"agency_rate_now", "agency_rate_end", "agency_rate_end_carry_on", "shortfall_chance", "plan_cost",
            "saving", "workers_over_soft_cap", "gap_no_hires_end", "vacancy_rate_now", "turnover_rate_end",
            "trajectory_flag", "chance_agency_target"} <= keys
    plan = json.loads((out / "plan_summary.json").read_text())
    plan_figures = _indicators(plan)
    assert plan_figures["plan_cost"]["value"] == plan["total_cost_gbp_p50"]
    assert plan_figures["agency_rate_now"]["value"] == plan["agency_rate_start"]
    assert plan_figures["agency_rate_end"]["value"] == plan["agency_rate_end_p50"]
    days = plan["census_days"]
    assert {d["scenario"] for d in days} == {"plan", "carry_on", "hold"}
    assert set(plan["census_definitions"]) >= {"vacancy_rate", "agency_rate", "turnover_rate", "caseload"}


def _config(tmp_path: Path, **extra: str) -> Path:
    """A run config in the old layout ([inputs], [outputs], [allocation] mode and time_limit)."""
    body = f"""
[inputs]
workers = "{EXAMPLES / 'workers.csv'}"
cases = "{EXAMPLES / 'cases.csv'}"
hr_history = "{EXAMPLES / 'hr_history.csv'}"
[outputs]
folder = "out"
[allocation]
mode = "rebalance"
time_limit = 5
[run]
seed = 1
"""
    for key, value in extra.items():
        body += f"{key} = {value}\n"
    path = tmp_path / "run.toml"
    path.write_text(body)
    return path


def test_run_config_on_examples(tmp_path):
    before = {p.name: p.read_bytes() for p in EXAMPLES.glob("*.csv")}
    result = CliRunner().invoke(app, ["run", str(_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "[inputs] -> [run.inputs]" in result.stderr  # old layout: still read
    assert "[allocation] time_limit -> [allocation.solver] time_limit" in result.stderr
    out = tmp_path / "out"  # relative to the config file
    for name in ("workforce_plan.xlsx", "allocation.xlsx", "risk.csv", "model/model.joblib", "summary.json"):
        assert (out / name).is_file(), name
    for name in ("workforce_plan.xlsx", "allocation.xlsx", "risk.xlsx"):
        assert _produced_by(out / name) == "workforce run", name
    assert {p.name: p.read_bytes() for p in EXAMPLES.glob("*.csv")} == before
    assert json.loads((out / "summary.json").read_text())["seed"] == 1


def test_run_with_the_example_settings_file(tmp_path):
    """examples/workforce.toml, moved beside copies of the example inputs, runs as it stands, with
    the funded establishment it names. Its plan workbook fed back to `workforce plan` with the same
    inputs re-plans the same figures: the HR planner's round trip changes nothing until they edit."""
    for name in ("workers.csv", "cases.csv", "hr_history.csv", "establishment.csv"):
        (tmp_path / name).write_bytes((EXAMPLES / name).read_bytes())
    text = (EXAMPLES / "workforce.toml").read_text().replace('folder = "../out/example"', 'folder = "out"')
    text = text.replace("time_limit = 30.0", "time_limit = 5.0")
    (tmp_path / "workforce.toml").write_text(text)
    result = CliRunner().invoke(app, ["run", str(tmp_path / "workforce.toml")])
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.stderr
    out = tmp_path / "out"
    assert (out / "workforce_plan.xlsx").is_file()
    ran = json.loads((out / "plan_summary.json").read_text())
    funded = pd.read_csv(EXAMPLES / "establishment.csv")["funded_fte"].sum()
    assert ran["basis_establishment"].startswith("the funded establishment given")
    assert f"{funded:,.1f} FTE" in ran["basis_establishment"] or "by team" in ran["basis_establishment"]
    replan = CliRunner().invoke(app, ["plan", "--workers", str(tmp_path / "workers.csv"),
                                      "--cases", str(tmp_path / "cases.csv"),
                                      "--hr-history", str(tmp_path / "hr_history.csv"),
                                      "--establishment", str(tmp_path / "establishment.csv"),
                                      "--model", str(out / "model"), "--assumptions", str(out / "workforce_plan.xlsx"),
                                      "--out", str(tmp_path / "replan")])
    assert replan.exit_code == 0, replan.output
    again = json.loads((tmp_path / "replan" / "summary.json").read_text())  # `plan` names it summary.json
    for key in ("basis_establishment", "basis_starters", "basis_turnover_today", "agency_rate_start",
                "agency_rate_end", "carry_on_agency_rate_end", "plan_cost_gbp", "baseline_cost_gbp", "saving_gbp"):
        assert again[key] == ran[key], key


def test_run_config_errors_exit_2(tmp_path):
    bad = _config(tmp_path, surprise='"x"')  # lands in [run]
    result = CliRunner().invoke(app, ["run", str(bad)])
    assert result.exit_code == 2
    assert "[run] surprise: unknown key" in result.output and "run.toml" in result.output
    assert not (tmp_path / "out").exists()
    broken = tmp_path / "broken.toml"
    broken.write_text("[inputs\nworkers=")
    result = CliRunner().invoke(app, ["run", str(broken)])
    assert result.exit_code == 2 and "not valid TOML" in result.output
    plans_only = tmp_path / "plans.toml"
    plans_only.write_text("[plans.costs]\non_cost_rate = 0.3\n")
    result = CliRunner().invoke(app, ["run", str(plans_only)])
    assert result.exit_code == 2 and "[run.inputs]" in result.output and "examples/workforce.toml" in result.output


def test_demo_profile_sandwell_runs_the_sandwell_like_authority(demo_out, tmp_path):
    """`--profile sandwell` reaches the generator: the authority has Sandwell 2018's far higher
    agency share than the default one, and summary.json names the profile."""
    out = tmp_path / "sandwell"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--seed", "0", "--quick", "--profile", "sandwell"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["profile"] == "sandwell"
    assert json.loads((demo_out / "summary.json").read_text())["profile"] == "default"

    def agency(folder: Path) -> float:
        w = pd.read_csv(folder / "inputs" / "workers.csv")
        is_agency = w["agency"].astype(str).str.lower().isin(["yes", "true", "1", "y"])
        return float(measures.agency_rate(w.loc[is_agency, "fte"].sum(), w.loc[~is_agency, "fte"].sum()))

    assert agency(out) > agency(demo_out) + 0.05


def test_demo_unknown_profile_is_refused_and_writes_nothing(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "x"), "--profile", "leeds"])
    assert result.exit_code == 2
    assert "--profile" in result.output and "sandwell" in result.output
    assert not (tmp_path / "x").exists()


def test_the_closing_summary_names_the_output_folder_without_dot_dots():
    # settings files name the output relative to themselves ("../out/example"): the summary shows
    # the folder a user would type, not "examples/../out/example"
    from pathlib import Path

    from workforce.pipeline import PipelineOutputs

    text = PipelineOutputs(out=Path("run/examples/../out/example"), files={"risk.csv": "the register"}).report()
    assert "outputs in run/out/example" in text
    assert "run/out/example/risk.csv" in text and ".." not in text
