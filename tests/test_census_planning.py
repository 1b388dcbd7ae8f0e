"""Planning from census returns: workers that validate and join the case system, the
establishment and DfE rates, and pay values that reach the plans' assumptions."""

from __future__ import annotations

import pandas as pd
import pytest

from census_frames import agency_worker, leaver, worker, write
from workforce.census.planning import MIN_SALARIES, cases_check, plan_inputs
from workforce.census.records import pseudonym
from workforce.contracts import load_cases, load_hr_history, load_workers, to_csv_frame
from workforce.errors import InputError
from workforce.plans.assumptions import Assumptions, assumptions_frame

POLICIES = {"RecruitmentBonus": 2, "RetentionBonus": 1, "PerformanceAward": 0, "CarAllowance": 0,
            "RelocationPackage": 2, "RegionalWeighting": 1, "CostSWE": 1, "CostDBS": 1}


@pytest.fixture()
def returns(tmp_path):
    y24 = write(tmp_path, [worker(f"SW{i}", 2024) for i in range(8)] + [agency_worker("SW90", 2024)], year=2024)
    salaries = [34000.0, 35000.0, 36000.0, 37000.0, 38000.0, 39000.0]
    y25 = [worker(f"SW{i}", 2025, base_salary=s, rr_payments=(2000.0 if i < 2 else 0.0)) for i, s in enumerate(salaries)]
    y25 += [worker("SW6", 2025, fte=0.5, base_salary=18000.0, rr_payments=0.0)]  # part time: not in the median
    y25 += [worker(f"SW7{i}", 2025, start_date=pd.Timestamp("2025-01-06"), start_origin=1, base_salary=29000.0 + i * 100)
            for i in range(MIN_SALARIES)]  # newly qualified: ASYE from StartOrigin and start date
    y25 += [worker("SW8", 2025, org_role=4, base_salary=45000.0, absent=True, absence_reason="SIC")]
    y25 += [worker("SW100", 2025, org_role=2, cases30=None)]  # a middle manager, no cases
    y25 += [leaver("SW7", "2025-03-31", 2025, fte30=1.0), agency_worker("SW90", 2025, cases30=20)]
    path25 = write(tmp_path, y25, year=2025, vacancies_fte=4.5, agency_fte=1.0, agency_headcount=1, policies=POLICIES,
                   other_allowances="market supplement for child protection")
    return [y24, path25]


def test_workers_from_the_latest_year_validate_and_link_across_years(returns, tmp_path):
    p = plan_inputs(returns, salt="k")
    w = p.workers
    assert len(w) == 6 + 1 + MIN_SALARIES + 1 + 1 + 1  # the leaver is gone; every role kept
    path = tmp_path / "workers.csv"
    to_csv_frame(w).to_csv(path, index=False)
    typed = load_workers(path)  # a valid workers table
    assert set(typed["role"]) == {"case_holder", "senior_practitioner", "service_manager"}
    by_id = w.set_index("worker_id")
    assert not by_id.loc[pseudonym("SW8", "k"), "available"]
    assert "absence_reason" not in by_id.columns  # health data nothing reads: not carried into the run's files
    assert by_id.loc[pseudonym("SW90", "k"), "census_cases"] == 20 and bool(by_id.loc[pseudonym("SW90", "k"), "agency"])
    assert by_id.loc[[pseudonym(f"SW7{i}", "k") for i in range(MIN_SALARIES)], "asye"].all()
    assert "SW1" not in path.read_text() and "1985-06-01" not in path.read_text()
    h = tmp_path / "hr_history.csv"
    to_csv_frame(p.hr_history).to_csv(h, index=False)
    history = load_hr_history(h)
    assert history.loc[history["worker_id"] == pseudonym("SW1", "k"), "snapshot_date"].dt.year.tolist() == [2024, 2025]
    left = history.loc[history["worker_id"] == pseudonym("SW7", "k")]
    assert left["leave_date"].tolist() == [pd.Timestamp("2025-03-31")]  # on the 2024 in-post row


def test_roster_links_the_census_to_the_case_system(returns, tmp_path):
    roster = pd.DataFrame({"swe_no": ["sw0", "SW1", "SW8", "SW7"], "worker_id": ["W001", "W002", "W003", "W004"],
                           "team": ["North A", "North A", "South B", ""], "locality": ["North", "North", "South", ""]})
    p = plan_inputs(returns, salt="k", roster=roster)
    w = p.workers.set_index("worker_id")
    assert w.loc["W001", "team"] == "North A" and w.loc["W003", "locality"] == "South"
    assert "W004" not in w.index  # left before the census
    assert p.roster_unmatched == len(w) - 3
    assert "W004" in set(p.hr_history["worker_id"])  # linked in the history too
    workers_csv, cases_csv = tmp_path / "workers.csv", tmp_path / "cases.csv"
    to_csv_frame(p.workers).to_csv(workers_csv, index=False)
    pd.DataFrame({"case_id": ["C1", "C2", "C3"], "family_id": ["F1", "F1", "F2"], "case_type": ["cin", "cin", "cp"],
                  "court": ["no", "no", "yes"], "locality": ["North", "North", "South"], "current_worker_id": ["W001", "W001", "W003"],
                  "workers_12m": [1, 1, 2], "pinned": ["no", "no", "no"]}).to_csv(cases_csv, index=False)
    workers = load_workers(workers_csv)
    cases = load_cases(cases_csv, workers)  # the references resolve
    check = cases_check(p.workers, cases).set_index("worker_id")
    assert check.loc["W001", "cases_now"] == 2 and check.loc["W001", "census_cases"] == 17
    assert check.loc["W001", "difference"] == -15


def test_roster_problems_are_reported(returns):
    with pytest.raises(InputError, match="missing column"):
        plan_inputs(returns, salt="k", roster=pd.DataFrame({"swe_no": ["SW1"]}))
    with pytest.raises(InputError, match="appears twice"):
        plan_inputs(returns, salt="k", roster=pd.DataFrame({"swe_no": ["SW1", "sw1"], "worker_id": ["A", "B"]}))


def test_establishment_and_dfe_rates(returns):
    p = plan_inputs(returns, salt="k")
    e = p.establishment.iloc[0]
    in_post = 6 * 1.0 + 0.5 + MIN_SALARIES + 1.0 + 1.0  # LA-employed FTE in post on 30 September 2025
    assert e["in_post_fte"] == pytest.approx(in_post) and e["vacancies_fte"] == 4.5
    assert e["establishment_fte"] == pytest.approx(in_post + 4.5)
    assert e["vacancy_rate"] == pytest.approx(4.5 / (in_post + 4.5))
    assert e["agency_rate"] == pytest.approx(1.0 / (1.0 + in_post))
    assert e["turnover_rate"] == pytest.approx(1.0 / in_post)  # one FTE left in the year, resigning
    assert e["turnover_rate_voluntary"] == e["turnover_rate"] and e["turnover_rate_retirement"] == 0.0


def test_pay_fields_reach_the_assumptions(returns):
    p = plan_inputs(returns, salt="k")
    values = p.values.set_index("key")
    assert values.loc["costs.salary_case_holder_gbp", "value"] == 36500.0  # median of six full-time salaries
    assert values.loc["costs.salary_asye_gbp", "value"] == 29200.0
    assert "costs.salary_senior_practitioner_gbp" not in values.index  # one salary is too few
    assert values.loc["census.retention_payment_share", "value"] == pytest.approx(2 / 7)  # of those with RRPayments given
    assert values.loc["census.RetentionBonus", "value"] == "yes, all LA-employed social workers eligible"
    assert (values["basis"] == "from the census returns (csww_301_2025.xml, 2025)").all()
    known = set(assumptions_frame(Assumptions()).pipe(lambda f: f["section"] + "." + f["key"]))
    plan_keys = [k for k in values.index if k in known]
    assert {"costs.salary_case_holder_gbp", "costs.salary_asye_gbp", "supply.default_turnover_rate"} <= set(plan_keys)
    a = Assumptions()
    for key in plan_keys:
        a = a.with_values({key: values.loc[key, "value"]}, basis=values.loc[key, "basis"])
    assert a.costs.salary_case_holder_gbp == 36500.0
    sheet = assumptions_frame(a).set_index(["section", "key"])
    assert sheet.loc[("costs", "salary_asye_gbp"), "basis"] == "from the census returns (csww_301_2025.xml, 2025)"


def test_no_pay_values_before_2025(returns):
    p = plan_inputs(returns[:1], salt="k")
    assert not p.values["key"].str.startswith("costs.").any()
    assert "census.establishment_fte" in set(p.values["key"])


def test_a_return_with_no_leaver_in_its_year_does_not_set_the_plans_turnover_to_nothing(returns):
    """A return with no leaver dated in its year (the public samples date all 13 of theirs outside
    it) gives 0% turnover; as the plans' default chance of leaving that planned for nobody to
    leave. It is shown, not used, and the plan keeps its own default."""
    from workforce.census.planning import with_census_values

    p = plan_inputs(returns[:1], salt="k")  # 2024: nobody left in the year
    assert p.establishment.iloc[0]["turnover_rate"] == 0.0  # the premise
    values = p.values.set_index("key")
    assert "supply.default_turnover_rate" not in values.index
    assert values.loc["census.turnover_rate", "value"] == 0.0
    assert "not used" in values.loc["census.turnover_rate", "description"]
    planned, used = with_census_values(Assumptions(), p.values)
    assert planned.supply.default_turnover_rate == Assumptions().supply.default_turnover_rate > 0
    assert used.set_index("key").loc["census.turnover_rate", "used"].startswith("shown only")
    # with a leaver in the year the rate is the plans' default, as before
    assert "supply.default_turnover_rate" in set(plan_inputs(returns, salt="k").values["key"])


def test_roster_workers_not_in_post_are_named_before_their_cases_are_refused(returns, tmp_path):
    """A roster row whose worker left before the latest census (W004 here) has no row in the
    workers table the run takes from that return, so a case naming them is refused as naming an
    unknown worker: the run says who and why first, instead of leaving the planner to wonder why
    a worker on their roster 'does not exist in workers'."""
    from typer.testing import CliRunner

    from workforce.cli import app

    roster = pd.DataFrame({"swe_no": ["SW1", "SW7"], "worker_id": ["W002", "W004"]})
    assert plan_inputs(returns, salt="k", roster=roster).roster_not_in_post == ("W004",)
    folder = tmp_path / "returns"  # a folder of its own: the output may not sit in an input folder
    folder.mkdir()
    for path in returns:
        (folder / path.name).write_bytes(path.read_bytes())
    roster.to_csv(tmp_path / "roster.csv", index=False)
    pd.DataFrame({"case_id": ["C1"], "family_id": ["F1"], "case_type": ["cin"], "court": ["no"], "locality": ["North"],
                  "current_worker_id": ["W004"], "workers_12m": [1], "pinned": ["no"]}).to_csv(tmp_path / "cases.csv", index=False)
    config = tmp_path / "run.toml"
    config.write_text(f'[run.inputs]\ncensus_returns = "{folder}"\nroster = "{tmp_path / "roster.csv"}"\n'
                      f'cases = "{tmp_path / "cases.csv"}"\n[run.outputs]\nfolder = "{tmp_path / "out"}"\n'
                      '[run.census]\nsalt = "k"\n')
    result = CliRunner().invoke(app, ["run", str(config)])
    assert result.exit_code == 2
    assert "1 roster worker not in post at the latest census (W004)" in result.output
    assert "worker 'W004' does not exist in workers" in result.output


def test_a_run_from_returns_without_a_salt_names_the_settings_key(returns, tmp_path, monkeypatch):
    """README (Settings file): a refused setting is named as `[section] key`, not as a table's
    column: the run says 'run.toml, [run.census] salt: ...' and exits 2."""
    from typer.testing import CliRunner

    from workforce.cli import app

    monkeypatch.delenv("WORKFORCE_CSWW_SALT", raising=False)
    folder = tmp_path / "returns"
    folder.mkdir()
    for path in returns:
        (folder / path.name).write_bytes(path.read_bytes())
    config = tmp_path / "run.toml"
    config.write_text(f'[run.inputs]\ncensus_returns = "{folder}"\ncases = "{tmp_path / "cases.csv"}"\n'
                      f'[run.outputs]\nfolder = "{tmp_path / "out"}"\n')
    result = CliRunner().invoke(app, ["run", str(config)])
    assert result.exit_code == 2
    assert f"{config}, [run.census] salt: census returns need a salt" in result.output
    assert "column" not in result.output
