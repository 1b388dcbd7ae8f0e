"""`workforce run` on what an authority already has: its yearly census returns (with a roster
linking them to the case system) in place of workers and hr_history, the demand model and the
published benchmark named in the settings file; end to end through the CLI and the workbook."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce.census.planning import USED_KEPT, USED_SET, USED_SHOWN, with_census_values
from workforce.census.writer import ReturnHeader, census_records, history_returns, sweno_for, write_return
from workforce.cli import app
from workforce.config import SALT_ENV
from workforce.contracts import to_csv_frame
from workforce.demo import DemoParameters, generate_authority
from workforce.plans.assumptions import Assumptions

runner = CliRunner()
SALARY = {"case_holder": 38000.0, "senior_practitioner": 43500.0, "team_manager": 52000.0}
VACANCIES = 4.5


def _returns(authority, folder) -> list:
    """Returns of 2021-2025 written by the census writer from the demo's history; the 2025 return
    carries pay (BaseSalary by role, RRPayments) and the vacancies the demo's establishment holds."""
    paths = history_returns(authority.hr_history, folder, la="333", seed=1)
    h = authority.hr_history
    snaps = sorted(h["snapshot_date"].unique())
    recs = census_records(h, snaps[-1], snaps[-2], year=2025, seed=1)
    la = ~recs["agency"].astype(bool) & recs.get("end_date", pd.Series(pd.NaT, index=recs.index)).isna()
    role = recs["org_role"].map({5: "case_holder", 4: "senior_practitioner", 3: "team_manager"})
    bump = np.arange(len(recs)) % 5 * 100.0  # a spread of salaries around each role's
    recs["base_salary"] = np.where(la & role.notna(), role.map(SALARY).fillna(0.0) + bump, np.nan)
    recs["rr_payments"] = np.where(la, np.where(np.arange(len(recs)) % 4 == 0, 1500.0, 0.0), np.nan)
    agency = recs["agency"].astype(bool) & recs.get("end_date", pd.Series(pd.NaT, index=recs.index)).isna()
    header = ReturnHeader(2025, pd.Timestamp(snaps[-1]), "333", VACANCIES, float(recs.loc[agency, "fte"].sum()),
                          int(agency.sum()))
    write_return(paths[-1], recs, header)
    return paths


@pytest.fixture(scope="module")
def authority_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("census_run")
    authority = generate_authority(seed=2, scale=0.12, params=dataclasses.replace(DemoParameters(), as_of="2025-09-30"))
    (folder / "returns").mkdir()
    _returns(authority, folder / "returns")
    w = authority.workers
    roster = pd.DataFrame({"swe_no": sweno_for(w["worker_id"], 1), "worker_id": w["worker_id"], "team": w["team"],
                           "locality": w["locality"], "skills": w["skills"]})
    roster.to_csv(folder / "roster.csv", index=False)
    to_csv_frame(authority.cases).to_csv(folder / "cases.csv", index=False)
    return folder, authority, roster


def _config_text(folder, *, salt: bool = True) -> str:
    """The run's settings, paths absolute (so the file may live anywhere)."""
    census = '[run.census]\nsalt = "a test salt"\n' if salt else ""
    return f"""[run]
seed = 1
la = "333"
[run.inputs]
census_returns = "{folder / 'returns'}"
roster = "{folder / 'roster.csv'}"
cases = "{folder / 'cases.csv'}"
[run.outputs]
folder = "out"
{census}[run.demand]
la = "333"
[allocation.solver]
time_limit = 5.0
[plans.montecarlo]
runs = 60
"""


@pytest.fixture(scope="module")
def census_run(authority_files):
    folder, authority, roster = authority_files
    config = folder / "run.toml"
    config.write_text(_config_text(folder))
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 0, result.output
    return folder / "out", result


def test_run_plans_from_census_returns_and_a_roster(authority_files, census_run):
    folder, authority, roster = authority_files
    out, result = census_run
    workers = pd.read_csv(out / "census" / "workers.csv", dtype=str)
    in_post = authority.hr_history[(authority.hr_history["snapshot_date"] == authority.as_of)
                                   & authority.hr_history["leave_date"].isna()]
    assert set(workers["worker_id"]) == set(in_post["worker_id"])  # the latest year, with the case system's IDs
    assert set(workers["team"]) == set(authority.workers["team"])
    history = pd.read_csv(out / "census" / "hr_history.csv", dtype=str)
    assert pd.to_datetime(history["snapshot_date"]).dt.year.nunique() == 5  # every year, linked by SWE number
    est = pd.read_csv(out / "census" / "establishment.csv").iloc[0]
    assert est["vacancies_fte"] == VACANCIES and est["establishment_fte"] == pytest.approx(est["in_post_fte"] + VACANCIES)
    check = pd.read_csv(out / "census" / "cases_check.csv")
    assert set(check["worker_id"]) == set(workers["worker_id"])
    assert "census/" in result.output and "census returns: read" in result.stderr


def test_protected_characteristics_reach_the_fairness_audit_but_not_the_census_files(census_run):
    """The returns give age band (from the birth date), gender and ethnicity: the fairness audit
    needs them, the census/ files a planner shares do not (they go to the audit in memory)."""
    out, _ = census_run
    for name in ("workers.csv", "hr_history.csv"):
        columns = set(pd.read_csv(out / "census" / name, nrows=1).columns)
        assert not columns & {"age_band", "gender", "ethnicity", "disability"}, name
    audited = set(pd.read_csv(out / "model" / "fairness.csv")["characteristic"])
    assert {"age_band", "gender", "ethnicity"} <= audited
    assert {"gender", "ethnicity"} <= set(pd.read_csv(out / "decision_fairness.csv")["characteristic"])


def test_pay_from_the_2025_return_reaches_the_assumptions_sheet(census_run):
    out, _ = census_run
    values = pd.read_csv(out / "census" / "values.csv").set_index("key")
    assert values.at["costs.salary_case_holder_gbp", "used"] == USED_SET
    assert values.at["census.establishment_fte", "used"] == USED_SHOWN
    ws = openpyxl.load_workbook(out / "workforce_plan.xlsx")["Assumptions"]
    header = [c.value for c in ws[1]]
    rows = {(r[0], r[1]): dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    salary = rows[("costs", "salary_case_holder_gbp")]
    assert salary["value"] == pytest.approx(float(values.at["costs.salary_case_holder_gbp", "value"]))
    assert SALARY["case_holder"] <= salary["value"] <= SALARY["case_holder"] + 400
    assert salary["basis"] == "from the census returns (csww_333_2025.xml, 2025)"
    assert rows[("supply", "default_turnover_rate")]["basis"].startswith("from the census returns")
    assert rows[("costs", "on_cost_rate")]["basis"] != salary["basis"]  # only what the returns gave


def test_no_swe_number_reaches_any_output(authority_files, census_run):
    _, _, roster = authority_files
    out, result = census_run
    swe = set(roster["swe_no"])
    pattern = re.compile(r"SW\d{8}")
    for path in out.rglob("*"):
        if path.suffix in (".csv", ".json", ".toml", ".txt"):
            assert not set(pattern.findall(path.read_text(encoding="utf-8", errors="replace"))) & swe, path
    assert not set(pattern.findall(result.output)) & swe


def test_the_census_run_has_demand_and_benchmarks(census_run):
    out, _ = census_run
    wb = openpyxl.load_workbook(out / "workforce_plan.xlsx")
    assert {"Demand", "Benchmarks"} <= set(wb.sheetnames)
    assert (out / "benchmarks.csv").is_file() and (out / "demand_required_fte.csv").is_file()


def test_census_values_never_overwrite_the_planners_own():
    values = pd.DataFrame({"key": ["costs.salary_case_holder_gbp", "costs.salary_asye_gbp", "census.agency_rate"],
                           "value": [39000.0, 30000.0, 0.2], "unit": "", "basis": "from the census returns (r, 2025)",
                           "description": ""})
    mine = Assumptions().with_values({"costs.salary_asye_gbp": 31000.0}, basis="our pay scale")
    a, used = with_census_values(mine, values)
    assert a.costs.salary_case_holder_gbp == 39000.0 and a.costs.salary_asye_gbp == 31000.0
    assert used["used"].tolist() == [USED_SET, USED_KEPT, USED_SHOWN]
    assert a.basis_of("costs", "salary_case_holder_gbp") == "from the census returns (r, 2025)"


@pytest.mark.parametrize("salt, changes, message", [
    (False, [], "[run.census] salt"),
    (True, [("[run.inputs]\n", '[run.inputs]\nworkers = "w.csv"\n')], "comes from census_returns"),
    (True, [("census_returns = ", 'workers = "w.csv"\nhr_history = "h.csv"\n# census_returns = ')],
     "needs census_returns"),
    (True, [('la = "333"\n[run.inputs]', "[run.inputs]"), ('[run.demand]\nla = "333"', '[run.demand]\nscenario = "x"')],
     "[run.demand] la"),
])
def test_bad_census_and_demand_settings_exit_2(authority_files, tmp_path, monkeypatch, salt, changes, message):
    folder, _, _ = authority_files
    monkeypatch.delenv(SALT_ENV, raising=False)
    text = _config_text(folder, salt=salt)
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    config = tmp_path / "run.toml"
    config.write_text(text)
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_a_run_refuses_a_demand_history_with_impossible_values(authority_files, tmp_path, monkeypatch):
    """`[run.demand] history` is read by the same reader as `demand --history`: a negative count
    exits 2 naming the file, row and column, and nothing is written."""
    from demand_frames import history_with

    folder, _, _ = authority_files
    monkeypatch.delenv(SALT_ENV, raising=False)
    path, row = history_with(tmp_path / "history.csv", "referrals", "-500")
    config = tmp_path / "run.toml"
    config.write_text(_config_text(folder).replace('[run.demand]\nla = "333"', f'[run.demand]\nhistory = "{path}"'))
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 2, result.output
    assert f"{path}, row {row}, column 'referrals': referrals '-500' is below zero" in result.output
    assert not (tmp_path / "out").exists()
