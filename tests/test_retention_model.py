"""Churn model on a small simulated history: training, card, persistence, scoring, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce.errors import InputError
from workforce.retention.model import RISK_COLUMNS, quarterly_hazard, score, team_risk, train
from workforce.retention.persistence import CARD_FILE, ModelVersionWarning, load_model, save_model

FAST = dict(n_splits=3, n_repeats=1)


def simulate_history(seed: int = 0, n_workers: int = 120, years: int = 5) -> pd.DataFrame:
    """Annual snapshots where leaving rises with caseload, sickness and agency work and falls
    with supervision; leavers are replaced. Typed like `load_hr_history` output."""
    rng = np.random.default_rng(seed)
    teams = [f"T{i}" for i in range(6)] + ["Tiny"]
    counter = iter(range(1, 10**6))

    def new_worker(date: pd.Timestamp) -> dict:
        team = teams[rng.choice(len(teams), p=[0.16] * 6 + [0.04])]
        return {
            "worker_id": f"W{next(counter):04d}", "team": team, "locality": "North" if team in ("T0", "T1", "T2", "Tiny") else "South",
            "role": str(rng.choice(["case_holder", "senior_practitioner"], p=[0.8, 0.2])),
            "asye": bool(rng.random() < 0.15), "agency": bool(rng.random() < 0.2),
            "fte": float(rng.choice([1.0, 0.8])), "start_date": date - pd.Timedelta(days=int(rng.integers(30, 4000))),
            "gender": str(rng.choice(["female", "male", "other"], p=[0.8, 0.17, 0.03])),
            "age_band": str(rng.choice(["20-29", "30-39", "40-49", "50-59", "60+"])),
        }

    active = [new_worker(pd.Timestamp("2018-09-30")) for _ in range(n_workers)]
    rows, leave = [], {}
    for year in range(years):
        date = pd.Timestamp(f"{2018 + year}-09-30")
        stay = []
        for w in active:
            load = rng.gamma(6, 1 / 6) * 0.9
            sick = float(rng.poisson(4 + 12 * (load > 1.1)))
            supervision = float(rng.uniform(0, 9))
            logit = -2.0 + 2.5 * (load - 0.9) + 0.06 * sick - 0.25 * supervision / 3 + 0.9 * w["agency"]
            rows.append({**w, "snapshot_date": date, "cases_held": float(round(load * 16)),
                         "caseload_points": load * 85.0, "capacity_points": 85.0, "sickness_days_12m": sick,
                         "supervision_hours_3m": supervision, "reallocations_12m": float(rng.poisson(2))})
            if rng.random() < 1 / (1 + np.exp(-logit)):
                leave[w["worker_id"]] = (date + pd.Timedelta(days=int(rng.integers(1, 365))), int(rng.choice([1, 5, 7, 4], p=[0.8, 0.08, 0.08, 0.04])))
            else:
                stay.append(w)
        active = stay + [new_worker(date + pd.Timedelta(days=300)) for _ in range(n_workers - len(stay))]
    h = pd.DataFrame(rows)
    h["leave_date"] = pd.to_datetime(h["worker_id"].map(lambda i: leave.get(i, (pd.NaT, None))[0])).astype("datetime64[ns]")
    h["leave_reason"] = pd.array(h["worker_id"].map(lambda i: leave.get(i, (None, None))[1]), dtype="Int64")
    for c in ("snapshot_date", "start_date"):
        h[c] = h[c].astype("datetime64[ns]")
    return h


def current_workers(history: pd.DataFrame) -> pd.DataFrame:
    """The last snapshot as a workers table (with caseload columns kept as overrides)."""
    last = history.loc[history["snapshot_date"] == history["snapshot_date"].max()]
    return last.drop(columns=["snapshot_date", "leave_date", "leave_reason"]).assign(available=True, skills="").reset_index(drop=True)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return simulate_history()


@pytest.fixture(scope="module")
def trained(history):
    return train(history, seed=0, **FAST)


def test_card_records_data_period_counts_selection_and_validation(history, trained):
    model, fairness_table = trained
    card = model.card
    assert card["rows"]["history"] == len(history)
    # the last snapshot has no follow-up: censored, not trained on
    last = history["snapshot_date"].max()
    assert card["rows"]["censored"] == int((history["snapshot_date"] == last).sum())
    assert card["training_period"]["last_snapshot_date"] < str(last.date())
    assert set(card["selection"]["candidates"]) == {"logistic_strong", "logistic", "boosted_trees"}
    assert card["selection"]["selected"] in card["selection"]["candidates"]
    for metric in ("roc_auc", "pr_auc", "brier"):
        assert set(card["cross_validated"][metric]) == {"mean", "sd"}
    assert card["cross_validated"]["roc_auc"]["mean"] > 0.6  # the simulated drivers are learnable
    assert card["out_of_time"]["available"] and 0 <= card["out_of_time"]["roc_auc"] <= 1
    assert card["out_of_time"]["test_year_end_date"] == "2021-09-30"
    assert "gender" not in card["features"]["categorical"] and "age_band" not in card["features"]["categorical"]
    assert card["library_versions"]["scikit-learn"]
    assert len(card["data_hash"]) == 64
    assert set(fairness_table["characteristic"]) == {"gender", "age_band"}


def test_model_card_round_trip(tmp_path, history, trained):
    model, _ = trained
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.card == json.loads((tmp_path / "m" / CARD_FILE).read_text())
    assert loaded.card["selection"]["selected"] == model.card["selection"]["selected"]
    workers = current_workers(history)
    pd.testing.assert_frame_equal(score(model, workers), score(loaded, workers))


def test_load_refuses_feature_schema_mismatch(tmp_path, trained):
    model, _ = trained
    folder = save_model(model, tmp_path / "m")
    card = json.loads((folder / CARD_FILE).read_text())
    card["features"]["numeric"] = card["features"]["numeric"][:-1]
    (folder / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(InputError, match="feature schema mismatch"):
        load_model(folder)


def _claim_version(folder, version: str) -> None:
    card = json.loads((folder / CARD_FILE).read_text())
    card["library_versions"]["scikit-learn"] = version
    (folder / CARD_FILE).write_text(json.dumps(card))


def test_model_from_another_sklearn_version_loads_with_a_warning(tmp_path, history, trained):
    model, _ = trained
    folder = save_model(model, tmp_path / "m")
    _claim_version(folder, "1.4.0")
    with pytest.warns(ModelVersionWarning, match=r"scikit-learn 1\.4\.0.*workforce churn train"):
        loaded = load_model(folder)
    workers = current_workers(history)
    pd.testing.assert_frame_equal(score(model, workers), score(loaded, workers))


def test_same_version_loads_without_a_warning(tmp_path, trained):
    import warnings

    model, _ = trained
    folder = save_model(model, tmp_path / "m")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(folder)


def test_model_that_cannot_predict_under_this_version_is_refused_saying_how_to_retrain(tmp_path, trained):
    from dataclasses import replace

    from sklearn.linear_model import LogisticRegression

    model, _ = trained
    broken = replace(model, estimator=LogisticRegression())  # stands in for an estimator this version cannot run
    folder = save_model(broken, tmp_path / "m")
    _claim_version(folder, "0.24.2")
    with pytest.raises(InputError, match=r"cannot predict.*0\.24\.2.*workforce churn train"):
        load_model(folder)


def test_model_file_that_does_not_unpickle_is_refused_saying_how_to_retrain(tmp_path, trained):
    model, _ = trained
    folder = save_model(model, tmp_path / "m")
    _claim_version(folder, "0.24.2")
    (folder / "model.joblib").write_bytes(b"not a pickle")
    with pytest.raises(InputError, match=r"cannot load the model file.*workforce churn train"):
        load_model(folder)


def test_same_seed_same_model(history, trained):
    model, _ = trained
    again, _ = train(history, seed=0, **FAST)
    assert again.card == model.card
    workers = current_workers(history)
    np.testing.assert_array_equal(score(model, workers)["p_leave"], score(again, workers)["p_leave"])


def test_scores_bands_and_drivers(history, trained):
    model, _ = trained
    workers = current_workers(history)
    risk = score(model, workers, bands=(0.15, 0.3))
    assert list(risk.columns) == RISK_COLUMNS
    assert risk["worker_id"].tolist() == workers["worker_id"].tolist()
    assert risk["p_leave"].between(0, 1).all()
    expected = np.where(risk["p_leave"] >= 0.3, "High", np.where(risk["p_leave"] >= 0.15, "Medium", "Low"))
    assert (risk["band"] == expected).all()
    drivers = risk[["driver_1", "driver_2", "driver_3"]]
    filled = drivers.stack()
    filled = filled[filled != ""]
    assert len(filled) > 0
    assert filled.str.match(r"^[a-z .0-9/]+: risk (\d+|<1) points? lower$").all()
    # the busiest worker's caseload is above the team median; in this simulation caseload
    # drives leaving, so bringing it to the median must be one of the drivers
    ratio = workers["caseload_points"] / workers["capacity_points"]
    busiest = int(np.argmax(ratio.to_numpy()))
    assert any(d.startswith("caseload at the team median") for d in drivers.iloc[busiest])
    # a worker below every reference gets no driver for those levers
    assert not any(d.startswith("supervision") for d in drivers.loc[workers["supervision_hours_3m"] >= 4.5].stack())


def test_team_risk_spreads_leavers_over_quarters_and_hides_small_teams():
    risk = pd.DataFrame({
        "worker_id": [f"W{i}" for i in range(9)], "team": ["A"] * 6 + ["B"] * 3, "locality": ["L"] * 9,
        "p_leave": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.2, 0.2, 0.2],
    })
    teams = team_risk(risk)
    assert "B" not in set(teams["team"])
    combined = teams.loc[teams["level"] == "locality"].iloc[0]
    assert combined["workers"] == 3 and combined["expected_leavers"] == pytest.approx(0.6)
    a = teams.loc[teams["team"] == "A"].iloc[0]
    quarters = [a[f"expected_leavers_q{k}"] for k in range(1, 5)]
    assert sum(quarters) == pytest.approx(a["expected_leavers"]) == pytest.approx(2.1)
    assert quarters == sorted(quarters, reverse=True)  # fewer people left to leave each quarter
    assert 1 - (1 - quarterly_hazard(np.array([0.4]))[0]) ** 4 == pytest.approx(0.4)


def test_use_protected_adds_protected_features(history):
    model, _ = train(history, seed=0, use_protected=True, **FAST)
    assert {"gender", "age_band"} <= set(model.categorical)


def test_too_few_leavers_is_a_clear_input_error(history):
    calm = history.assign(leave_date=pd.NaT, leave_reason=pd.array([pd.NA] * len(history), dtype="Int64"))
    with pytest.raises(InputError, match="0 leavers"):
        train(calm, **FAST)


def test_cli_train_score_audit(tmp_path, history):
    from workforce.cli import app
    from workforce.contracts import to_csv_frame

    h_path = tmp_path / "hr_history.csv"
    to_csv_frame(history).to_csv(h_path, index=False)
    w_path = tmp_path / "workers.csv"
    to_csv_frame(current_workers(history)).to_csv(w_path, index=False)
    runner = CliRunner()
    model_dir = tmp_path / "models" / "sim"
    result = runner.invoke(app, ["churn", "train", "--history", str(h_path), "--out", str(model_dir), "--folds", "3", "--repeats", "1"])
    assert result.exit_code == 0, result.output
    assert "selected" in result.output and "out of time" in result.output
    assert (model_dir / "model.joblib").is_file() and (model_dir / CARD_FILE).is_file()

    out = tmp_path / "risk.csv"
    result = runner.invoke(app, ["churn", "score", "--model", str(model_dir), "--workers", str(w_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    risk = pd.read_csv(out, keep_default_na=False)
    assert list(risk.columns) == RISK_COLUMNS and len(risk) == len(current_workers(history))
    teams = pd.read_csv(tmp_path / "risk_teams.csv")
    assert "Tiny" not in set(teams["team"])  # under 5 people: only in the locality aggregate

    result = runner.invoke(app, ["churn", "audit", "--model", str(model_dir), "--history", str(h_path), "--out", str(tmp_path / "audit.csv")])
    assert result.exit_code == 0, result.output
    audit = pd.read_csv(tmp_path / "audit.csv")
    assert len(audit) and ((audit["count"] >= 10) | audit["suppressed"]).all()

    # refusing to overwrite an input, and a missing model folder, are input errors (exit 2)
    result = runner.invoke(app, ["churn", "score", "--model", str(model_dir), "--workers", str(w_path), "--out", str(w_path)])
    assert result.exit_code == 2
    result = runner.invoke(app, ["churn", "score", "--model", str(tmp_path / "nope"), "--workers", str(w_path)])
    assert result.exit_code == 2


def test_cli_use_protected_warns(tmp_path, history):
    from workforce.cli import app
    from workforce.contracts import to_csv_frame

    h_path = tmp_path / "hr_history.csv"
    to_csv_frame(history).to_csv(h_path, index=False)
    result = CliRunner().invoke(app, ["churn", "train", "--history", str(h_path), "--out", str(tmp_path / "m"),
                                      "--folds", "3", "--repeats", "1", "--use-protected"])
    assert result.exit_code == 0, result.output
    assert "warning: --use-protected" in result.output
