"""End to end: `workforce demo` and `workforce run CONFIG.toml` produce every output, consistently."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from libreoffice import convert_to_pdf, needs_soffice
from workforce.cli import app

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--seed", "0", "--quick"])
    assert result.exit_code == 0, result.output
    return out


def test_demo_writes_every_output(demo_out):
    for name in ("workforce_plan.xlsx", "allocation.xlsx", "risk.xlsx", "allocations.csv", "worker_loads.csv",
                 "unallocated.csv", "risk.csv", "projection.csv", "recruitment_plan.csv", "gateway_plan.csv",
                 "montecarlo.csv", "summary.json", "model/model.joblib", "model/model_card.json",
                 "model/fairness.csv", "inputs/workers.csv", "inputs/cases.csv", "inputs/hr_history.csv"):
        assert (demo_out / name).is_file(), name
    assert not list(demo_out.parent.glob(".*staging*"))


def test_demo_planner_workbook_has_every_sheet(demo_out):
    wb = openpyxl.load_workbook(demo_out / "workforce_plan.xlsx")
    for sheet in ("Summary", "Risk register", "L&D plan", "Recruitment plan", "Projection", "Allocation",
                  "Fairness audit", "Assumptions", "README"):
        assert sheet in wb.sheetnames, (sheet, wb.sheetnames)
    assert len(wb["Summary"]._charts) >= 4
    assert "workforce demo" in _produced_by(demo_out / "workforce_plan.xlsx")


def _produced_by(path: Path) -> str:
    """The README sheet's 'produced by' entry: the command that wrote the workbook."""
    for row in openpyxl.load_workbook(path)["README"].iter_rows(values_only=True):
        if row and row[0] == "produced by":
            return str(row[1])
    raise AssertionError(f"no 'produced by' row in {path}")


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


def test_demo_summary_is_consistent_with_files(demo_out):
    summary = json.loads((demo_out / "summary.json").read_text())
    alloc = json.loads((demo_out / "allocation_summary.json").read_text())
    unallocated = pd.read_csv(demo_out / "unallocated.csv", dtype=str)
    assert alloc["unallocated"] == len(unallocated)
    assert alloc["status"] in ("optimal", "feasible")
    assert f"/ {alloc['unallocated']}" in summary["headline"]["changes of worker / unallocated children"]
    risk = pd.read_csv(demo_out / "risk.csv")
    assert risk["p_leave"].between(0, 1).all()
    assert summary["headline"]["predicted turnover (next 12 months)"] == f"{100 * risk['p_leave'].mean():.1f}%"


def _config(tmp_path: Path, **extra: str) -> Path:
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
    out = tmp_path / "out"  # relative to the config file
    for name in ("workforce_plan.xlsx", "allocation.xlsx", "risk.csv", "model/model.joblib", "summary.json"):
        assert (out / name).is_file(), name
    for name in ("workforce_plan.xlsx", "allocation.xlsx", "risk.xlsx"):
        assert _produced_by(out / name) == "workforce run", name
    assert {p.name: p.read_bytes() for p in EXAMPLES.glob("*.csv")} == before


def test_run_config_errors_exit_2(tmp_path):
    bad = _config(tmp_path, surprise='"x"')  # lands in [run]
    result = CliRunner().invoke(app, ["run", str(bad)])
    assert result.exit_code == 2
    assert "surprise" in result.output and "run.toml" in result.output
    assert not (tmp_path / "out").exists()
    broken = tmp_path / "broken.toml"
    broken.write_text("[inputs\nworkers=")
    result = CliRunner().invoke(app, ["run", str(broken)])
    assert result.exit_code == 2 and "not valid TOML" in result.output
