"""`workforce demand` end to end: outputs, the workbook, the Sandwell scenario, and exit 2 on bad input."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from demand_frames import synthetic_history
from plans_frames import make_cases, make_workers
from workforce.cli import app
from workforce.contracts import to_csv_frame
from workforce.demand.files import FILES

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["demand", *map(str, args)])


@pytest.fixture(scope="module")
def history_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demand_in")
    history, _ = synthetic_history()
    history.reset_index().to_csv(folder / "history.csv", index=False)
    (folder / "levers.toml").write_text(
        '[levers]\nearly_help_diversion = { value = 0.2, basis = "test" }\nstructure = "locality"\n'
        '[investment]\namount_gbp = 400000\nquarters = 4\n', encoding="utf-8")
    workers = make_workers(60)
    to_csv_frame(workers).to_csv(folder / "workers.csv", index=False)
    to_csv_frame(make_cases(workers, 500)).to_csv(folder / "cases.csv", index=False)
    return folder


def test_history_run_writes_every_output(history_file, tmp_path):
    out = tmp_path / "out"
    r = invoke("--history", history_file / "history.csv", "--assumptions", history_file / "levers.toml",
               "--workers", history_file / "workers.csv", "--cases", history_file / "cases.csv", "--out", out)
    assert r.exit_code == 0, r.output
    for name in FILES:
        assert (out / name).is_file() or name == "turnaround.csv", name
    assert not (out / "turnaround.csv").exists()
    summary = json.loads((out / "demand_summary.json").read_text())
    assert summary["chosen_scenario"] == "levers"
    assert set(summary["scenarios"]) == {"baseline", "levers", "turnaround"}
    assert summary["scenarios"]["levers"]["investment_gbp"] == 400000
    scenarios = pd.read_csv(out / "scenarios.csv")
    assert list(scenarios.columns) == ["measure", "unit", "baseline", "levers", "turnaround"]
    flows = pd.read_csv(out / "flows.csv")
    assert flows["conservation_gap"].abs().max() < 1e-6
    fte = pd.read_csv(out / "required_fte.csv")
    assert {"quarter", "team_type", "demand_points", "demand_children", "required_fte"} <= set(fte.columns)
    assert "derived" in " ".join(pd.read_csv(out / "parameters.csv")["basis"]).lower()
    assert "levers" in (out / "demand_assumptions.toml").read_text()
    assert "calibration years reproduced (MAPE)" in r.output


def test_workbook_has_its_sheets_and_native_charts(history_file, tmp_path):
    out = tmp_path / "out"
    assert invoke("--history", history_file / "history.csv", "--out", out).exit_code == 0
    wb = openpyxl.load_workbook(out / "demand.xlsx")
    assert wb.sheetnames[:3] == ["Summary", "Scenarios", "Levers"]
    assert {"Stocks", "Flows", "Required FTE", "Handoffs", "Placements", "Budget", "Parameters", "Fit",
            "README"} <= set(wb.sheetnames)
    assert len(wb["Summary"]._charts) == 4


def test_sandwell_scenario_writes_the_comparison(tmp_path):
    out = tmp_path / "out"
    r = invoke("--scenario", "sandwell_2013", "--out", out)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "turnaround.csv")
    assert table["claim"].str.contains("re-referrals about 9%").any()
    wb = openpyxl.load_workbook(out / "demand.xlsx", read_only=True)
    assert "Turnaround" in wb.sheetnames


def test_sandwell_scenario_costs_its_staff_in_its_own_price_year(tmp_path):
    """The turnaround is shown in 2015 prices (placements by the CPI); its staff line must be in
    2015 pounds too: the plans' cost of an FTE brought back by the pay award, not the default
    run's 2023 cost beside 2015 placements."""
    import tomllib

    from workforce.config import DemandSettings
    from workforce.demand.turnaround import PRICE_YEAR
    from workforce.plan_demand import demand_assumptions
    from workforce.plans.assumptions import Assumptions

    out = tmp_path / "out"
    r = invoke("--scenario", "sandwell_2013", "--out", out)
    assert r.exit_code == 0, r.output
    written = tomllib.loads((out / "demand_assumptions.toml").read_text(encoding="utf-8"))
    assert written["placements"]["price_year"] == PRICE_YEAR
    cost = written["budget"]["cost_per_fte_gbp"]
    assert f"in {PRICE_YEAR} prices" in cost["basis"]
    default = demand_assumptions(DemandSettings())  # the same role mix, in the default price year
    award = Assumptions().costs.pay_award_rate
    assert cost["value"] == pytest.approx(default.budget.cost_per_fte_gbp
                                          / (1.0 + award) ** (default.price_year - PRICE_YEAR), abs=0.1)


def test_la_run_from_the_published_tables(tmp_path):
    out = tmp_path / "out"
    r = invoke("--la", "E08000028", "--years", "2021-2023", "--out", out)
    assert r.exit_code == 0, r.output
    assert "Sandwell (333)" in r.output
    mape = pd.read_csv(out / "fit_mape.csv")
    assert mape["years"].eq("2022-2023").all()


@pytest.mark.parametrize("args, text", [
    (["--la", "999"], "unknown local authority '999'"),
    (["--la", "Atlantis"], "unknown local authority 'Atlantis'"),
    ([], "give --la CODE"),
    (["--la", "333", "--scenario", "dreams"], "unknown scenario 'dreams'"),
    (["--la", "333", "--years", "2030"], "no calibration data in 2030"),
    # a window of the wrong form is named with the option that held it
    (["--la", "333", "--years", "abc"], "option --years: 'abc' is not a year"),
    (["--la", "333", "--years", "2023-2021"], "option --years: '2023-2021': the last year is before the first"),
    # a typo is said as one, not as a window outside data 'in 1900-2200' that nothing read
    (["--la", "333", "--years", "20232"], "option --years: '20232': years run from 1900 to 2200"),
])
def test_bad_input_exits_2_naming_it_and_writes_nothing(tmp_path, args, text):
    out = tmp_path / "out"
    r = invoke(*args, "--out", out)
    assert r.exit_code == 2, r.output
    assert text in r.output
    assert not out.exists()


def test_bad_history_cell_exits_2_with_row_and_column(history_file, tmp_path):
    raw = pd.read_csv(history_file / "history.csv").astype(object)
    raw.loc[3, "cp_at31"] = "lots"
    bad = tmp_path / "history.csv"
    raw.to_csv(bad, index=False)
    r = invoke("--history", bad, "--out", tmp_path / "out")
    assert r.exit_code == 2
    assert "row 5" in r.output and "column 'cp_at31'" in r.output and "lots" in r.output
    assert not (tmp_path / "out").exists()


def test_newer_dfe_files_can_be_given(shared_dir, tmp_path):
    out = tmp_path / "out"
    r = invoke("--la", "333", "--data", shared_dir / "data" / "dfe", "--out", out)
    assert r.exit_code == 0, r.output
    assert "read the bundled" not in r.output


def _history_with(history_file, tmp_path, column, cell):
    """The fixture's history with one cell of the last year (the row a run starts from) changed."""
    raw = pd.read_csv(history_file / "history.csv").astype(object)
    raw.loc[len(raw) - 1, column] = cell
    path = tmp_path / "history.csv"
    raw.to_csv(path, index=False)
    return path, len(raw) + 1  # the header is row 1


@pytest.mark.parametrize("column, cell, message", [
    ("cin_at31", "1e400", "not a finite number"),
    ("referrals", "-500", "below zero"),
    ("cla_at31", "1e12", "more than all the children in England"),
    ("rereferral_pct", "150", "above 100%"),
])
def test_impossible_history_values_exit_2_naming_them_and_write_nothing(history_file, tmp_path, column, cell, message):
    path, row = _history_with(history_file, tmp_path, column, cell)
    before = path.read_bytes()
    out = tmp_path / "out"
    r = invoke("--history", path, "--out", out)
    assert r.exit_code == 2, r.output
    assert f"error: {path}, row {row}, column '{column}'" in r.output and message in r.output
    assert "internal error" not in r.output and "Traceback" not in r.output
    assert not out.exists()
    assert path.read_bytes() == before  # inputs are never modified


def test_a_misspelt_calibration_column_exits_2_naming_it(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("year,referals,cin_at31\n2022,100,50\n2023,110,55\n", encoding="utf-8")
    r = invoke("--history", path, "--out", tmp_path / "out")
    assert r.exit_code == 2, r.output
    assert f"{path}, row 1, column 'referrals': no 'referrals' column" in r.output and "referals" in r.output
    assert "min()" not in r.output
    assert not (tmp_path / "out").exists()


def test_a_failure_after_the_files_are_staged_publishes_nothing(history_file, tmp_path, monkeypatch):
    """The console summary is composed before the outputs are published: a failure there (once a
    non-finite figure in the summary) leaves no output folder behind."""
    import workforce.indicators

    def broken(value):
        raise TypeError("summary failed")

    monkeypatch.setattr(workforce.indicators, "gbp", broken)
    out = tmp_path / "out"
    r = invoke("--history", history_file / "history.csv", "--out", out)
    assert r.exit_code == 1
    assert not out.exists()


@pytest.mark.filterwarnings("error::RuntimeWarning")  # numpy's division warnings must not reach the console
def test_no_looked_after_children_at_the_start_is_reported_not_a_crash(history_file, tmp_path):
    """A change since the start is not measured when the start is zero (was a TypeError, exit 1)."""
    raw = pd.read_csv(history_file / "history.csv")
    raw["cla_at31"] = 0.0
    path = tmp_path / "history.csv"
    raw.to_csv(path, index=False)
    r = invoke("--history", path, "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert "looked after not measured (none at the start)" in r.output


@pytest.fixture(scope="module")
def sandwell_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sandwell") / "out"
    r = invoke("--la", "333", "--years", "2021-2023", "--out", out)
    assert r.exit_code == 0, r.output
    return out, r.output


def _score(frame):
    """The ranking `largest_misses` documents: the miss in children over the root of the published count."""
    frame = frame[frame["published"] > 0]
    return ((frame["model"] - frame["published"]).abs() / frame["published"] ** 0.5)


def test_flow_fit_is_reported_with_the_largest_misses_named(sandwell_run):
    out, output = sandwell_run
    summary = json.loads((out / "demand_summary.json").read_text(encoding="utf-8"))
    fit = pd.read_csv(out / "fit.csv")
    flows = fit[(fit["kind"] == "flow") & fit["published"].notna()]
    misses = summary["fit_flows_largest_misses"]
    assert misses
    worst = flows.loc[_score(flows).idxmax()]
    assert (misses[0]["measure"], misses[0]["year"]) == (worst["measure"], worst["year"])
    assert misses[0]["pct_error"] == pytest.approx(worst["pct_error"], abs=0.01)
    for m in summary["fit_flows_mape_pct"]:
        part = flows[flows["measure"] == m]["pct_error"].dropna()
        assert summary["fit_flows_mape_pct"][m] == pytest.approx(part.abs().mean(), abs=0.01)
    line = next(x for x in output.splitlines() if x.startswith("flows reproduced"))
    assert all(f"{m['measure']} {m['pct_error']:+.0f}% in {m['year']}" in line for m in misses)


def test_baseline_first_year_is_set_beside_the_last_published_year(sandwell_run):
    from workforce.demand.measures import PUBLISHED_FLOWS
    from workforce.published import read_published

    out, output = sandwell_run
    summary = json.loads((out / "demand_summary.json").read_text(encoding="utf-8"))
    history = read_published().history("333")
    flows = pd.read_csv(out / "flows.csv")
    first = flows[(flows["scenario"] == "baseline") & flows["quarter"].between(1, 4)]
    rows = pd.DataFrame([{"measure": m, "published": history.at[2023, m], "model": first[list(f)].to_numpy().sum()}
                         for m, f in PUBLISHED_FLOWS.items()]).dropna()
    worst = rows.loc[_score(rows).idxmax()]
    miss = summary["baseline_first_year_flows_largest_misses"][0]
    assert (miss["measure"], miss["year"]) == (worst["measure"], 2023)
    assert miss["model"] == pytest.approx(worst["model"], abs=0.01)
    assert miss["published"] == worst["published"]
    assert any(x.startswith("baseline's first year") and worst["measure"] in x for x in output.splitlines())


def test_console_tells_published_in_post_fte_from_the_models_required_fte(sandwell_run):
    from workforce.published import read_published

    out, output = sandwell_run
    inpost = read_published().history("333")["inpost_fte"].dropna()
    summary = json.loads((out / "demand_summary.json").read_text(encoding="utf-8"))
    assert summary["published_inpost_fte"] == {"date": f"{inpost.index.max()}-09-30", "fte": round(inpost.iloc[-1], 1)}
    lines = output.splitlines()
    assert any(x.startswith("published social workers in post") and f"{inpost.iloc[-1]:.1f} FTE" in x for x in lines)
    scenario = next(x for x in lines if x.startswith("baseline:"))
    assert "required social-work FTE (model)" in scenario


def test_in_post_fte_is_the_census_of_the_models_own_time_not_the_latest(tmp_path):
    """The 2013 turnaround starts at 31 March 2013; the workforce census starts in 2017. Setting
    the latest census (2023) beside its required FTE compared two services a decade apart; there
    is no census of its time, so none is shown, and the console says why."""
    from workforce.published import read_published

    out = tmp_path / "out"
    r = invoke("--scenario", "sandwell_2013", "--out", out)
    assert r.exit_code == 0, r.output
    first = int(read_published().history("333")["inpost_fte"].dropna().index.min())
    assert first > 2013  # the premise: no census near 2013
    summary = json.loads((out / "demand_summary.json").read_text(encoding="utf-8"))
    assert summary["published_inpost_fte"] is None
    line = next(x for x in r.output.splitlines() if x.startswith("published social workers in post"))
    assert "no workforce census" in line and "31 March 2013" in line and f"{first}-09-30" in line


def test_workbook_names_the_published_files_it_rests_on_and_their_licence(sandwell_run):
    """A run on the DfE tables said "no input files: built from data in memory" on its README
    sheet: a reader could not tell which release the calibration came from, and the Open
    Government Licence's attribution was missing."""
    from workforce.published.bundle import bundle_files
    from workforce.published.workbook import LICENCE

    out, _ = sandwell_run
    ws = openpyxl.load_workbook(out / "demand.xlsx", read_only=True)["README"]
    cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert not any(c.startswith("no input files") for c in cells)
    for path in bundle_files():
        assert str(path) in cells, path.name
    assert LICENCE in cells


def test_the_quarters_year_is_said_to_be_the_dfe_reporting_year(sandwell_run):
    """Stocks put quarter_end 2023-06-30 beside year 2024: the DfE's year to 31 March, which a
    reader takes for a typing error unless the sheet says which year it is."""
    out, _ = sandwell_run
    stocks = pd.read_csv(out / "stocks.csv", parse_dates=["quarter_end"])
    june = stocks[stocks["quarter_end"].dt.month == 6].iloc[0]
    assert june["year"] == june["quarter_end"].year + 1  # the premise
    ws = openpyxl.load_workbook(out / "demand.xlsx", read_only=True)["README"]
    described = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if len(row) > 1 and row[0]}
    for sheet in ("Stocks", "Flows", "Required FTE", "Handoffs", "Placements"):
        assert "reporting year" in described[sheet] and "31 March" in described[sheet], sheet


def test_the_levers_scenario_without_levers_says_how_to_set_one(tmp_path):
    """`--scenario levers` is the README's "your file's" scenario: with no levers set (no
    assumptions file, or the one a run writes, levers commented out) the refusal says why and how,
    and names no table column (there is none: the scenario is an option)."""
    out = tmp_path / "out"
    r = invoke("--la", "333", "--scenario", "levers", "--out", out)
    assert r.exit_code == 2 and not out.exists()
    assert "unknown scenario 'levers'" in r.output and "set no lever" in r.output
    assert "[levers]" in r.output and "demand_assumptions.toml" in r.output
    assert "column 'scenario'" not in r.output
