"""Evaluation on any flat table: screening, leakage, encodings, time-to-event, hold-out, IBM benchmark."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce.errors import InputError, InputWarning
from workforce.retention.flat import FlatOptions, evaluate_table, read_flat, tenure_periods
from workforce.retention.metrics import harrell_c

FAST = dict(n_splits=3, n_repeats=1)


def _table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    overtime = rng.random(n) < 0.3
    years = rng.integers(0, 20, n)
    logit = -1.8 + 1.5 * overtime - 0.08 * years
    left = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({
        "EmployeeRef": [f"E{i:05d}" for i in range(n)],
        "Department": rng.choice(["Sales", "R&D", "HR"], n),
        "OverTime": np.where(overtime, "Yes", "No"),
        "YearsAtCompany": years,
        "StandardHours": 80,
        "Left": np.where(left, "Yes", "No"),
        "TerminationDate": np.where(left, "2023-05-01", ""),
    })


def test_constant_id_duplicate_and_leakage_columns(tmp_path):
    frame = _table()
    frame = pd.concat([frame, frame.iloc[:7]], ignore_index=True)  # 7 exact duplicates
    path = tmp_path / "hr.csv"
    frame.to_csv(path, index=False)
    report = evaluate_table(read_flat(path), FlatOptions(target="Left", positive="Yes", seed=0, **FAST))
    data = report["data"]
    assert data["dropped"]["StandardHours"] == "constant"
    assert data["dropped"]["EmployeeRef"].startswith("ID-like")
    assert data["dropped"]["TerminationDate"].startswith("likely leakage")
    assert "TerminationDate" in data["leakage"]
    assert data["duplicates_dropped"] == 7 and data["rows_used"] == 300
    assert set(data["numeric"] + data["categorical"]) == {"Department", "OverTime", "YearsAtCompany"}
    assert any("duplicate" in m for m in report["messages"])
    assert set(report["candidates"]) == {"logistic_strong", "logistic", "boosted_trees"}
    selected = report["selected"]
    assert selected["name"] in report["candidates"]
    assert selected["roc_auc"] == report["candidates"][selected["name"]]["roc_auc"]
    for metrics in report["candidates"].values():
        assert set(metrics) == {"roc_auc", "pr_auc", "brier"}
        assert set(metrics["roc_auc"]) == {"mean", "sd"}


def test_keep_overrides_the_leakage_flag(tmp_path):
    path = tmp_path / "hr.csv"
    _table().to_csv(path, index=False)
    kept = evaluate_table(read_flat(path), FlatOptions(target="Left", positive="Yes", keep=["TerminationDate"], **FAST))
    assert "TerminationDate" not in kept["data"]["dropped"]
    assert kept["selected"]["roc_auc"]["mean"] > 0.97  # the leak makes it (too) easy


def test_windows_1252_file_reads_correctly(tmp_path):
    frame = _table(120)
    frame["Department"] = np.where(frame["Department"] == "HR", "Café Résumé £", frame["Department"])
    path = tmp_path / "export.csv"
    path.write_bytes(frame.to_csv(index=False).encode("cp1252"))
    read = read_flat(path)
    assert "Café Résumé £" in set(read["Department"])
    report = evaluate_table(read, FlatOptions(target="Left", positive="Yes", **FAST))
    assert "Department" in report["data"]["categorical"]


def test_same_seed_same_report(tmp_path):
    path = tmp_path / "hr.csv"
    _table().to_csv(path, index=False)
    a = evaluate_table(read_flat(path), FlatOptions(target="Left", positive="Yes", seed=3, **FAST))
    b = evaluate_table(read_flat(path), FlatOptions(target="Left", positive="Yes", seed=3, **FAST))
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_target_errors_are_clear():
    frame = _table().assign(Status=lambda f: np.where(f["Left"] == "Yes", "Leaver", "Active"))
    with pytest.raises(InputError, match="--positive"):
        evaluate_table(frame, FlatOptions(target="Status", **FAST))
    with pytest.raises(InputError, match="never occurs"):
        evaluate_table(frame, FlatOptions(target="Status", positive="Gone", **FAST))
    with pytest.raises(InputError, match="not found"):
        evaluate_table(frame, FlatOptions(target="Missing", **FAST))


def _tenure_table(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    time_to_leave = rng.exponential(24 * np.exp(-0.8 * risk))
    follow_up = rng.uniform(1, 36, n)
    return pd.DataFrame({
        "risk_factor": risk, "noise": rng.normal(size=n),
        "months": np.minimum(time_to_leave, follow_up).round(2),
        "left": np.where(time_to_leave <= follow_up, "yes", "no"),
    })


def test_time_to_event_keeps_censored_rows_and_reports_concordance_and_auc():
    frame = _tenure_table()
    report = evaluate_table(frame, FlatOptions(duration="months", event="left", horizon=12, holdout=0.25,
                                               also_held_out=["survival_forest"], **FAST))
    data = report["data"]
    assert data["rows_used"] == len(frame)  # censored rows are kept: their follow-up counts
    assert data["censored"] == int((frame["left"] == "no").sum()) and data["events"] == int((frame["left"] == "yes").sum())
    assert data["development_rows"] + data["held_out_rows"] == len(frame) and data["held_out_rows"] > 80
    assert set(report["candidates"]) == {"logistic_hazard_strong", "logistic_hazard", "forest_hazard",
                                         "survival_forest", "ensemble_hazard"}
    for metrics in report["candidates"].values():
        assert set(metrics) == {"c_index", "auc_horizon", "ibs"}
    selected = report["selected"]
    # the simulated risk factor is learnable: well above chance in CV and on the held-out rows
    assert selected["c_index"]["mean"] > 0.6 and selected["auc_horizon"]["mean"] > 0.6
    held = report["held_out"]
    assert held[selected["name"]]["c_index"] > 0.6 and held[report["plain_baseline"]]["c_index"] > 0.6
    # a candidate asked for besides them is refitted and scored on the same held-out rows
    assert held["survival_forest"]["c_index"] > 0.6 and set(held["survival_forest"]) == {"c_index", "auc_horizon", "ibs"}
    assert "months" not in data["numeric"] and "left" not in data["categorical"]


def test_an_unknown_candidate_to_score_on_the_hold_out_is_refused():
    with pytest.raises(InputError, match="no hazard candidate called cox_ph"):
        evaluate_table(_tenure_table(200), FlatOptions(duration="months", event="left", horizon=12, holdout=0.25,
                                                       also_held_out=["cox_ph"], **FAST))


def test_tenure_periods_are_quarters_of_the_horizon():
    duration = np.array([0.4, 3.0, 3.1, 7.9, 12.0, 2.9])
    event = np.array([True, True, True, False, False, False])
    # an event falls in the period it happened in; censoring counts whole periods observed
    assert tenure_periods(duration, event, 3.0).tolist() == [1, 1, 2, 2, 4, 0]


def test_harrell_c_matches_pair_counting():
    rng = np.random.default_rng(2)
    t = rng.integers(1, 10, 60).astype(float)
    e = rng.random(60) < 0.6
    r = rng.integers(0, 4, 60).astype(float)
    concordant = comparable = 0.0
    for i in range(60):
        for j in range(60):
            if e[i] and (t[i] < t[j] or (t[i] == t[j] and not e[j])):
                comparable += 1
                concordant += 1.0 if r[i] > r[j] else 0.5 if r[i] == r[j] else 0.0
    assert harrell_c(t, e, r) == pytest.approx(concordant / comparable)
    assert harrell_c(t, e, -t - 0.5 * ~e) == pytest.approx(1.0)  # earlier leavers (and, at a tie, the leaver) riskier


def test_holdout_on_a_yes_no_table_is_scored_once(tmp_path):
    report = evaluate_table(_table(400), FlatOptions(target="Left", positive="Yes", holdout=0.25, seed=1, **FAST))
    held = report["held_out"]
    assert held["rows"] == report["data"]["held_out_rows"] == 100
    assert 0.5 < held[report["selected"]["name"]]["roc_auc"] <= 1.0
    with pytest.raises(InputError, match="holdout"):
        evaluate_table(_table(), FlatOptions(target="Left", positive="Yes", holdout=1.5))


def test_a_target_beside_duration_and_event_is_refused_not_set_aside():
    with pytest.raises(InputError, match="not both"):
        evaluate_table(_tenure_table(200), FlatOptions(target="left", duration="months", event="left", horizon=12,
                                                       **FAST))


def test_protected_columns_are_audited_not_used(tmp_path):
    frame = _table(400).assign(gender=lambda f: np.random.default_rng(0).choice(["female", "male"], len(f)))
    report = evaluate_table(frame, FlatOptions(target="Left", positive="Yes", protected=["gender"], **FAST))
    assert "gender" not in report["data"]["categorical"]
    assert {r["group"] for r in report["fairness"]} == {"female", "male"}


def test_cli_evaluate_writes_report(tmp_path):
    from workforce.cli import app

    path = tmp_path / "hr.csv"
    _table().to_csv(path, index=False)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["churn", "evaluate", "--data", str(path), "--target", "Left", "--positive", "Yes",
                                      "--folds", "3", "--repeats", "1", "--report", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert {"candidates", "selected"} <= set(report)
    assert "likely leakage" in result.output
    bad = CliRunner().invoke(app, ["churn", "evaluate", "--data", str(path), "--target", "Nope"])
    assert bad.exit_code == 2


def test_ibm_attrition_selected_model_reaches_auc_084(shared_dir):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    frame = read_flat(shared_dir / "data" / "ibm_hr_attrition.csv")
    report = evaluate_table(frame, FlatOptions(target="Attrition", positive="Yes", seed=0, n_splits=5, n_repeats=3))
    assert {"EmployeeCount", "Over18", "StandardHours", "EmployeeNumber"} <= set(report["data"]["dropped"])
    assert report["selected"]["roc_auc"]["mean"] >= 0.84
    assert {"JobLevel", "StockOptionLevel"} <= set(report["data"]["levels"])  # scales one-hot as well


# ------------------------------------------------------------------------------- bad input


def _evaluate_cli(args: list[str]):
    from workforce.cli import app

    return CliRunner().invoke(app, ["churn", "evaluate", *args, "--folds", "2", "--repeats", "1"])


@pytest.mark.parametrize("value, why", [
    ("inf", "not a finite number"), ("Infinity", "not a finite number"), ("-inf", "not a finite number"),
    ("1e400", "not a finite number"), ("1e308", "out of range"), ("-1e300", "out of range"),
])
def test_cli_evaluate_refuses_numbers_no_model_can_use(tmp_path, value, why):
    """inf, 1e400 (inf as a float) and finite values that overflow the models' scaling are
    refused when the table is read: exit 2, the file, row and column named, no report."""
    frame = _table().astype({"YearsAtCompany": object})
    frame.loc[2, "YearsAtCompany"] = value  # spreadsheet row 4
    path = tmp_path / "hr.csv"
    frame.to_csv(path, index=False)
    before = path.read_bytes()
    out = tmp_path / "report.json"
    result = _evaluate_cli(["--data", str(path), "--target", "Left", "--positive", "Yes", "--report", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("error: ") == 1 and "Traceback" not in result.output
    for text in (str(path), "row 4", "column 'YearsAtCompany'", f"'{value}'", why):
        assert text in result.stderr, result.stderr
    assert not out.exists() and path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hr.csv"]


def test_a_number_within_the_limit_is_used(tmp_path):
    frame = _table().astype({"YearsAtCompany": object})
    frame.loc[2, "YearsAtCompany"] = "1e14"
    path = tmp_path / "hr.csv"
    frame.to_csv(path, index=False)
    assert read_flat(path)["YearsAtCompany"].max() == 1e14


def test_cli_evaluate_names_the_file_of_a_header_only_table(tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text("worker_id,fte,left\n", encoding="utf-8")
    result = _evaluate_cli(["--data", str(path), "--target", "left"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {path}: ") and "no data rows" in result.stderr, result.stderr


def test_cli_evaluate_names_the_file_of_a_problem_found_in_the_table(tmp_path):
    """A target with one value is a problem with that file: the message names it."""
    path = tmp_path / "all_stayed.csv"
    _table().assign(Left="No").to_csv(path, index=False)
    result = _evaluate_cli(["--data", str(path), "--target", "Left"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {path}: ") and "0 leavers" in result.stderr, result.stderr


def test_na_and_nan_in_a_numeric_column_are_read_as_missing_and_said(tmp_path):
    """An export that writes missing numbers as NA or nan keeps the column numeric (the years are
    not turned into 20 categories), and the report counts the cells read as missing; a text
    column whose values include 'none' stays text."""
    frame = _table().astype({"YearsAtCompany": object})
    frame.loc[[3, 10], "YearsAtCompany"] = ["nan", "NA"]
    frame["Bonus"] = np.where(np.arange(len(frame)) % 3 == 0, "none", "annual")
    path = tmp_path / "hr.csv"
    frame.to_csv(path, index=False)
    table = read_flat(path)
    assert table["YearsAtCompany"].dtype == float and table["YearsAtCompany"].isna().sum() == 2
    assert table.attrs["read_as_missing"] == {"YearsAtCompany": 2}
    assert (table["Bonus"] == "none").sum() == 100  # a category, not missing
    report = evaluate_table(table, FlatOptions(target="Left", positive="Yes", seed=0, **FAST))
    assert "YearsAtCompany" in report["data"]["numeric"] and "Bonus" in report["data"]["categorical"]
    assert "column 'YearsAtCompany': 2 cells written as NA, nan, null or the like read as missing" in report["messages"]


def test_dates_in_a_flat_table_follow_the_dates_option():
    """A flat table's date column is read by the one date reader: day first by default, month
    first under --dates us (01/04/2023 is 1 April, or 4 January)."""
    from workforce.readers import date_order
    from workforce.retention.flat import _parse_dates

    values = pd.Series(["01/04/2023", "15/05/2022", None])
    assert _parse_dates(values).iloc[0] == pd.Timestamp("2023-04-01")
    with date_order("us"):
        us = _parse_dates(pd.Series(["01/04/2023", "05/15/2022"]))
    assert us.iloc[0] == pd.Timestamp("2023-01-04") and us.iloc[1] == pd.Timestamp("2022-05-15")
    assert _parse_dates(pd.Series(["2023-04-01", "2022-05-15 00:00:00"])).notna().all()


def test_a_held_out_score_that_cannot_be_computed_is_said_n_a_not_nan():
    """On a small hold-out with no leaver before the horizon the AUC at the horizon has no value:
    `churn evaluate` says "n/a", as it does for the cross-validated scores, never "nan"."""
    from pathlib import Path

    from workforce.cli.churn import _evaluate_lines

    report = evaluate_table(_tenure_table(200), FlatOptions(duration="months", event="left", horizon=12,
                                                           holdout=0.25, **FAST))
    for metrics in report["held_out"].values():
        if isinstance(metrics, dict):
            metrics["auc_horizon"] = float("nan")
    lines = [line for line in _evaluate_lines(report, Path("t.csv"), True, 3, 1, 0) if line.startswith("held out")]
    assert lines and all("AUC at 12 n/a" in line and "nan" not in line for line in lines), lines


@pytest.mark.parametrize("slip", ["ja", "n.k.", "A" * 100_000])
def test_a_stray_word_in_a_numeric_column_is_said_not_read_silently_as_categories(tmp_path, slip):
    table = _table().astype({"YearsAtCompany": object})
    table.loc[4, "YearsAtCompany"] = slip
    path = tmp_path / "hr.csv"
    table.to_csv(path, index=False)
    with pytest.warns(InputWarning, match=r"column 'YearsAtCompany': read as categories, not numbers, .*\(row 6: "):
        read_flat(path)


def test_a_column_of_words_is_read_as_categories_without_a_word(tmp_path, recwarn):
    path = tmp_path / "hr.csv"
    _table().to_csv(path, index=False)
    read_flat(path)
    assert not [w for w in recwarn if issubclass(w.category, InputWarning)]
