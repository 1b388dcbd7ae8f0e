"""Churn hazard model on a small simulated history: training, card, persistence, hazards,
register, levers, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from retention_frames import history_frame
from typer.testing import CliRunner

from workforce.caseload import worker_caps
from workforce.errors import InputError
from workforce.retention.drivers import LEVERS
from workforce.retention.model import (
    HAZARD_COLUMNS,
    RISK_COLUMNS,
    ChurnModel,
    expected_leavers,
    few_leavers_warnings,
    predict_hazards,
    score,
    team_risk,
    train,
)
from workforce.outputs import file_digest
from workforce.retention.persistence import CARD_FILE, HASH_KEY, ModelVersionWarning, load_model, save_model

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
    return history_frame(rows, leave)


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


CANDIDATES = {"logistic_hazard_strong", "logistic_hazard", "forest_hazard", "survival_forest", "ensemble_hazard"}


def test_card_records_data_period_counts_selection_calibration_and_validation(history, trained):
    model, fairness_table = trained
    card = model.card
    assert card["rows"]["history"] == len(history)
    # the last snapshot has no follow-up: it teaches nothing
    last = history["snapshot_date"].max()
    assert card["rows"]["without_follow_up"] == int((history["snapshot_date"] == last).sum())
    assert card["training_period"]["last_snapshot_date"] < str(last.date())
    assert card["rows"]["person_quarters"] > card["rows"]["snapshots_used"]
    assert set(card["rows"]["leavers_by_reason"]) == {"voluntary", "retirement", "other"}
    assert card["reasons"] == {"voluntary": [1, 7], "retirement": [5], "other": [2, 3, 4, 6, 8, 9, 10]}
    selection = card["selection"]
    assert set(selection["candidates"]) == CANDIDATES and selection["plain_baseline"] == "logistic_hazard"
    assert selection["selected"] in CANDIDATES and "corrected standard error" in selection["rule"]
    for metric in ("c_index", "auc_horizon", "ibs"):
        assert set(card["cross_validated"][metric]) == {"mean", "sd"}
    assert card["cross_validated"]["c_index"]["mean"] > 0.6  # the simulated drivers are learnable
    reliability = pd.DataFrame.from_dict(card["reliability"], orient="index")
    assert reliability["count"].sum() == card["rows"]["known_at_horizon"]
    assert (reliability["mean_predicted"].diff().dropna() >= 0).all()
    oot = card["out_of_time"]
    assert oot["available"] and 0 <= oot["roc_auc"] <= 1 and oot["test_year_end_date"] == "2021-09-30"
    assert set(oot["by_reason"]) == {"voluntary", "retirement", "other"}
    assert oot["observed_leavers"] == sum(m["observed_leavers"] for m in oot["by_reason"].values())
    assert "gender" not in card["features"]["categorical"] and "age_band" not in card["features"]["categorical"]
    assert card["library_versions"]["scikit-learn"]
    assert len(card["data_hash"]) == 64
    # what personal data the model folder keeps is said, and it holds no worker IDs
    assert list(model.leavers.columns) == ["team", "leave_date"] and "leave date" in card["stored_with_model"]
    assert set(fairness_table["characteristic"]) == {"gender", "age_band"}
    assert "prediction" in set(fairness_table["check"])
    assert {f"lever: {name}" for name in ("caseload", "supervision")} <= set(fairness_table["check"])


def test_model_saved_and_loaded_gives_identical_hazards(tmp_path, history, trained):
    model, _ = trained
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.card == json.loads((tmp_path / "m" / CARD_FILE).read_text())
    workers = current_workers(history)
    pd.testing.assert_frame_equal(predict_hazards(model, workers), predict_hazards(loaded, workers))
    pd.testing.assert_frame_equal(score(model, workers), score(loaded, workers))


def test_load_refuses_feature_schema_mismatch(tmp_path, trained):
    model, _ = trained
    folder = save_model(model, tmp_path / "m")
    card = json.loads((folder / CARD_FILE).read_text())
    card["features"]["numeric"] = card["features"]["numeric"][:-1]
    (folder / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(InputError, match="feature schema mismatch"):
        load_model(folder)


def test_load_refuses_a_model_of_the_old_yes_no_format(tmp_path, trained):
    model, _ = trained
    folder = save_model(model, tmp_path / "m")
    card = json.loads((folder / CARD_FILE).read_text())
    del card["model_format"]
    (folder / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(InputError, match="older version"):
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
    _card_hash(folder)  # the card vouches for these bytes: the refusal is the unpickling's
    with pytest.raises(InputError, match=r"cannot load the model file.*workforce churn train"):
        load_model(folder)


def _card_hash(folder, value: str | None = None) -> None:
    """Set the card's model hash (to the file's own SHA-256 when `value` is None); "" deletes it."""
    card = json.loads((folder / CARD_FILE).read_text())
    if value == "":
        del card[HASH_KEY]
    else:
        card[HASH_KEY] = value or file_digest(folder / "model.joblib")
    (folder / CARD_FILE).write_text(json.dumps(card))


class _RunsCode:
    """A pickle that calls a function when loaded, as a hostile model file would."""

    def __reduce__(self):
        return (Path.touch, (Path(_RunsCode.marker),))


def test_a_model_file_that_does_not_match_its_card_is_refused_before_it_is_unpickled(tmp_path, trained):
    """joblib runs what a pickle says when it loads it: a model.joblib swapped in after training
    must be refused on its hash, before anything in it runs."""
    import joblib

    model, _ = trained
    folder = save_model(model, tmp_path / "m")
    card = json.loads((folder / CARD_FILE).read_text())
    assert card[HASH_KEY] == file_digest(folder / "model.joblib")
    _RunsCode.marker = str(tmp_path / "ran")
    joblib.dump(_RunsCode(), folder / "model.joblib")
    with pytest.raises(InputError, match=r"model\.joblib is not the file its card was written for") as exc:
        load_model(folder)
    assert exc.value.problems[0].file.endswith("model.joblib")
    assert not (tmp_path / "ran").exists()  # nothing in the file ran
    _card_hash(folder, "")  # a card without a hash (an earlier version's) cannot vouch for the file
    with pytest.raises(InputError, match=r"no model_sha256.*workforce churn train"):
        load_model(folder)
    assert not (tmp_path / "ran").exists()


def test_a_changed_model_file_is_refused_through_the_cli_with_exit_2(tmp_path, trained):
    from typer.testing import CliRunner

    from workforce.cli import app

    model, _ = trained
    folder = save_model(model, tmp_path / "m")
    with open(folder / "model.joblib", "ab") as handle:
        handle.write(b"\0")
    result = CliRunner().invoke(app, ["churn", "audit", "--model", str(folder), "--history", str(tmp_path / "h.csv")])
    assert result.exit_code == 2, result.output
    assert "model.joblib" in result.output and "not the file its card was written for" in result.output


def test_same_seed_same_model(history, trained):
    model, _ = trained
    again, _ = train(history, seed=0, **FAST)
    assert again.card == model.card
    workers = current_workers(history)
    np.testing.assert_array_equal(score(model, workers)["p_leave"], score(again, workers)["p_leave"])


def test_hazards_are_tidy_and_the_12_month_probability_is_one_minus_survival(history, trained):
    model, _ = trained
    workers = current_workers(history)
    as_of = pd.Timestamp("2022-09-30")
    hazards = predict_hazards(model, workers, as_of=as_of)
    assert list(hazards.columns) == HAZARD_COLUMNS
    assert len(hazards) == len(workers) * 12 * 3
    assert set(hazards["quarter"]) == set(range(1, 13)) and set(hazards["reason"]) == {"voluntary", "retirement", "other"}
    assert hazards.loc[hazards["quarter"] == 5, "quarter_start"].eq(pd.Timestamp("2023-09-30")).all()
    assert hazards["hazard"].between(0, 1).all()
    assert (hazards.groupby(["worker_id", "reason"])["cumulative_incidence"].diff().dropna() >= -1e-12).all()
    # survival after quarter 4 from the quarterly hazards of every reason
    wide = hazards.pivot_table(index=["worker_id", "quarter"], columns="reason", values="hazard")
    in_post = (1 - wide.sum(axis=1)).groupby(level="worker_id").apply(lambda s: s.loc[:, 1:4].prod())
    risk = score(model, workers, as_of=as_of).set_index("worker_id")
    np.testing.assert_allclose(risk["p_leave"], 1 - in_post.reindex(risk.index), atol=1e-12)
    np.testing.assert_allclose(risk["p_leave"], risk[["p_voluntary_12m", "p_retire_12m", "p_other_12m"]].sum(axis=1))
    # expected leavers by quarter and reason add up to the register's 12-month total
    by = expected_leavers(hazards, by=("quarter", "reason"))
    assert by.loc[by["quarter"] <= 4, "expected_leavers"].sum() == pytest.approx(risk["p_leave"].sum())
    teams = expected_leavers(hazards)
    assert {"team", "quarter", "quarter_start", "reason", "expected_leavers"} == set(teams.columns)


def test_register_bands_levers_and_context(history, trained):
    model, _ = trained
    workers = current_workers(history)
    risk = score(model, workers, bands=(0.15, 0.3))
    assert list(risk.columns) == RISK_COLUMNS
    assert risk["worker_id"].tolist() == workers["worker_id"].tolist()
    assert risk["p_leave"].between(0, 1).all()
    # the band is flight risk: voluntary leaving only
    v = risk["p_voluntary_12m"]
    assert (risk["band"] == np.where(v >= 0.3, "High", np.where(v >= 0.15, "Medium", "Low"))).all()
    drivers = risk[["driver_1", "driver_2", "driver_3"]].stack()
    drivers = drivers[drivers != ""]
    assert len(drivers) > 0
    assert drivers.str.match(r"^.+: 12-month flight risk (\d+(\.\d)?%|<1%) -> (\d+(\.\d)?%|<1%)$").all()
    # context (service, absence) is shown but never offered as a lever
    assert not drivers.str.contains("sickness|absence|service|age band").any()
    assert risk["context"].str.contains("service").any()
    # the busiest worker is over the safe standard of the capacity model (16 children per FTE
    # for a case holder, never the team median); caseload drives leaving in this simulation
    ratio = workers["caseload_points"] / workers["capacity_points"]
    busiest = int(np.argmax(ratio.to_numpy()))
    safe = worker_caps(workers, availability=False)["soft_children"].iloc[busiest]
    assert safe == np.floor(16 * workers["fte"].iloc[busiest])
    assert any(d.startswith(f"caseload from {workers['cases_held'].iloc[busiest]:.0f} to the safe standard {safe:.0f} children")
               for d in risk[["driver_1", "driver_2", "driver_3"]].iloc[busiest])
    # a worker at or above the supervision standard gets no supervision lever
    assert not risk.loc[workers["supervision_hours_3m"] >= 4.5, ["driver_1", "driver_2", "driver_3"]].stack().str.startswith("supervision").any()


class RetirementFollowsCaseload:
    """A stand-in hazard classifier: retiring rises steeply with caseload, voluntary leaving
    and other reasons do not depend on anything."""

    classes_ = np.array([0, 1, 2, 3])
    feature_names_in_ = np.array(["caseload_ratio", "cases_held", "children_per_fte", "supervision_hours_month",
                                  "tenure_years"], dtype=object)

    def predict_proba(self, X):
        retire = np.clip(0.05 + 0.2 * X["caseload_ratio"].to_numpy(dtype=float), 0, 0.5)
        voluntary = np.full(len(X), 0.03)
        other = np.full(len(X), 0.01)
        return np.column_stack([1 - retire - voluntary - other, voluntary, retire, other])


def test_retirement_is_never_a_lever(history):
    model = ChurnModel(estimator=RetirementFollowsCaseload(), numeric=list(RetirementFollowsCaseload.feature_names_in_),
                       categorical=[])
    workers = current_workers(history)
    risk = score(model, workers)
    assert (risk["p_retire_12m"] > risk["p_voluntary_12m"]).all()  # retirement dominates leaving here ...
    assert (risk[["driver_1", "driver_2", "driver_3"]] == "").all().all()  # ... and is never acted on
    assert (risk["band"] == "Low").all()  # nor counted as flight risk
    assert "retirement" not in " ".join(LEVERS)


def test_team_risk_from_hazards_and_from_a_risk_table_alone(history, trained):
    model, _ = trained
    workers = current_workers(history)
    risk = score(model, workers)
    teams = team_risk(risk, predict_hazards(model, workers))
    quarters = teams[[f"expected_leavers_q{k}" for k in range(1, 5)]].sum(axis=1)
    np.testing.assert_allclose(quarters, teams["expected_leavers"])
    np.testing.assert_allclose(teams[["expected_voluntary_12m", "expected_retire_12m", "expected_other_12m"]].sum(axis=1),
                               teams["expected_leavers"])
    assert "Tiny" not in set(teams["team"])  # under 5 people: only in the locality aggregate
    # a risk table read from a file has no hazards: a constant hazard spreads each p over the year
    table = pd.DataFrame({
        "worker_id": [f"W{i}" for i in range(9)], "team": ["A"] * 6 + ["B"] * 3, "locality": ["L"] * 9,
        "p_leave": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.2, 0.2, 0.2],
    })
    flat = team_risk(table)
    assert "B" not in set(flat["team"])
    a = flat.loc[flat["team"] == "A"].iloc[0]
    q = [a[f"expected_leavers_q{k}"] for k in range(1, 5)]
    assert sum(q) == pytest.approx(a["expected_leavers"]) == pytest.approx(2.1)
    assert q == sorted(q, reverse=True)  # fewer people left to leave each quarter


def test_expected_leavers_by_team_quarter_and_reason_add_up_to_the_register(history, trained):
    """Issue 16.1: expected leavers by team, quarter and reason. Over the first four quarters they
    add up, team by team and reason by reason, to the register's 12-month chances; small teams
    are combined as in the team view."""
    from workforce.retention.model import team_leavers

    model, _ = trained
    workers = current_workers(history)
    risk, hazards = score(model, workers), predict_hazards(model, workers)
    long = team_leavers(hazards)
    assert set(long["quarter"]) == set(range(1, hazards["quarter"].max() + 1))
    assert "Tiny" not in set(long["team"])
    first_year = long[long["quarter"] <= 4].pivot_table(index="team", columns="reason", values="expected_leavers",
                                                       aggfunc="sum")
    teams = team_risk(risk, hazards).set_index("team")
    for reason, column in (("voluntary", "expected_voluntary_12m"), ("retirement", "expected_retire_12m"),
                           ("other", "expected_other_12m")):
        np.testing.assert_allclose(first_year[reason].reindex(teams.index).fillna(0.0), teams[column], atol=1e-9)


def test_use_protected_adds_protected_features_as_context_only(history):
    model, _ = train(history, seed=0, use_protected=True, **FAST)
    assert {"gender", "age_band"} <= set(model.categorical)
    risk = score(model, current_workers(history))
    assert not risk[["driver_1", "driver_2", "driver_3"]].stack().str.contains("age band|gender").any()


def test_too_few_leavers_is_a_clear_input_error(history):
    calm = history.assign(leave_date=pd.NaT, leave_reason=pd.array([pd.NA] * len(history), dtype="Int64"))
    with pytest.raises(InputError, match="0 leavers"):
        train(calm, **FAST)
    with pytest.raises(InputError, match="whole quarters"):
        train(history, horizon_months=10, **FAST)


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
    assert "selected" in result.output and "out of time" in result.output and "concordance" in result.output
    # the out-of-time line says what was tested and for how long, never "test year to" its own start
    assert "test year to" not in result.output and "each followed for 12 months" in result.output
    assert (model_dir / "model.joblib").is_file() and (model_dir / CARD_FILE).is_file()

    out = tmp_path / "risk.csv"
    result = runner.invoke(app, ["churn", "score", "--model", str(model_dir), "--workers", str(w_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "retirement" in result.output and "year 3" in result.output
    risk = pd.read_csv(out, keep_default_na=False)
    assert list(risk.columns) == RISK_COLUMNS and len(risk) == len(current_workers(history))
    teams = pd.read_csv(tmp_path / "risk_teams.csv")
    assert "Tiny" not in set(teams["team"])  # under 5 people: only in the locality aggregate
    hazards = pd.read_csv(tmp_path / "risk_hazards.csv")
    assert list(hazards.columns) == HAZARD_COLUMNS and len(hazards) == len(risk) * 36
    leavers = pd.read_csv(tmp_path / "risk_team_leavers.csv")  # by team, quarter and reason
    assert {"team", "quarter", "reason", "expected_leavers"} <= set(leavers.columns) and "Tiny" not in set(leavers["team"])

    result = runner.invoke(app, ["churn", "audit", "--model", str(model_dir), "--history", str(h_path), "--out", str(tmp_path / "audit.csv")])
    assert result.exit_code == 0, result.output
    audit = pd.read_csv(tmp_path / "audit.csv")
    assert len(audit) and ((audit["count"] >= 10) | audit["suppressed"]).all()
    # suppression may be raised, never lowered below the rule (fairness.MIN_GROUP, the default)
    from workforce.retention.fairness import MIN_GROUP

    low = runner.invoke(app, ["churn", "audit", "--model", str(model_dir), "--history", str(h_path), "--min-group",
                              str(MIN_GROUP - 1), "--out", str(tmp_path / "audit_low.csv")])
    assert low.exit_code == 2 and not (tmp_path / "audit_low.csv").exists()
    higher = int(audit.loc[~audit["suppressed"], "count"].min()) + 1  # the smallest group shown is then hidden
    high = runner.invoke(app, ["churn", "audit", "--model", str(model_dir), "--history", str(h_path), "--min-group",
                               str(higher), "--out", str(tmp_path / "audit_high.csv")])
    assert high.exit_code == 0
    high_audit = pd.read_csv(tmp_path / "audit_high.csv")
    assert ((high_audit["count"] >= higher) | high_audit["suppressed"]).all()
    smallest = audit.loc[~audit["suppressed"]].sort_values("count").iloc[0]
    again = high_audit[(high_audit["check"] == smallest["check"]) & (high_audit["characteristic"] == smallest["characteristic"])]
    assert smallest["group"] not in set(again["group"])  # pooled, no longer shown or named alone

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


def test_cli_evaluate_tenure_table(tmp_path):
    from workforce.cli import app

    rng = np.random.default_rng(3)
    n = 300
    risk = rng.normal(size=n)
    leave = rng.exponential(20 * np.exp(-0.7 * risk))
    follow = rng.uniform(2, 40, n)
    path = tmp_path / "tenure.csv"
    pd.DataFrame({"risk": risk, "months": np.minimum(leave, follow).round(2),
                  "left": (leave <= follow).astype(int)}).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["churn", "evaluate", "--data", str(path), "--duration", "months", "--event", "left",
                                      "--holdout", "0.25", "--folds", "3", "--repeats", "1"])
    assert result.exit_code == 0, result.output
    assert "concordance" in result.output and "AUC at 12" in result.output and "held out" in result.output
    assert "(plain baseline)" in result.output


def test_reasons_with_too_few_leavers_are_warned_about(trained):
    from workforce.retention.model import model_warnings

    warnings = few_leavers_warnings({"voluntary": 120, "retirement": 0, "other": 4})
    assert len(warnings) == 2
    assert warnings[0].startswith("no retirement leavers") and "predicts none" in warnings[0]
    assert warnings[1].startswith("only 4 other leavers")
    model, _ = trained
    card = model.card
    assert card["warnings"] == [*few_leavers_warnings(card["rows"]["leavers_by_reason"]),
                                *model_warnings(card["cross_validated"], card["rows"]["leavers_by_reason"],
                                                card["use_protected"])]


def test_the_reallocation_reference_is_the_median_of_case_holders():
    """Managers and staff who hold no cases receive no reallocated cases; counting them would pull
    the median down and tell a typical case holder to aim for none. The reference is the case
    holders' median; sickness absence stays everyone's."""
    from workforce.retention.drivers import references

    states = pd.DataFrame({"role": ["case_holder"] * 3 + ["team_manager"] * 4, "fte": 1.0, "asye": False})
    features = pd.DataFrame({"reallocations_12m": [4.0, 5.0, 6.0, 0.0, 0.0, 0.0, 0.0],
                             "sickness_days_12m": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]})
    refs = references(states, features)
    assert refs["median_reallocations_12m"].iloc[0] == 5.0  # not 0.0, the median over everyone
    assert refs["median_sickness_days_12m"].iloc[0] == 4.0


def test_the_card_warns_of_a_model_near_chance_and_of_retirement_without_age():
    from workforce.retention.model import WEAK_CONCORDANCE, model_warnings

    weak = {"c_index": {"mean": WEAK_CONCORDANCE - 0.03}}
    strong = {"c_index": {"mean": WEAK_CONCORDANCE + 0.05}}
    said = model_warnings(weak, {"voluntary": 40, "retirement": 6}, use_protected=False)
    assert any("little better than chance" in w for w in said) and any("near retirement" in w for w in said)
    assert model_warnings(strong, {"voluntary": 40, "retirement": 0}, use_protected=False) == []
    # opted in: age is used (no retirement warning), and the use of protected characteristics is said
    [opted] = model_warnings(strong, {"voluntary": 40, "retirement": 6}, use_protected=True)
    assert opted.startswith("protected characteristics (gender, age_band, ethnicity, disability) are features")


def test_the_register_and_the_plan_hazards_are_scored_from_the_same_day(history, trained):
    """The pipeline's register (risk.csv, risk.xlsx) and the hazards behind team_risk.csv,
    team_leavers.csv and the plan start on the plan's first day: each worker's 12-month chance is
    the first four quarters of those hazards, even when the plan starts after the data's date."""
    from workforce.pipeline import plan_scores
    from workforce.plans.assumptions import Assumptions
    from workforce.retention.model import default_as_of, quarterly_leavers

    model, _ = trained
    workers = current_workers(history)
    start = default_as_of(workers) + pd.DateOffset(months=6)
    assumptions = Assumptions().with_values({"projection.start_date": str(start.date())})
    risk, hazards = plan_scores(model, workers, None, None, assumptions)
    assert (hazards["quarter_start"].min()) == start
    first_year = hazards.assign(left=quarterly_leavers(hazards)).query("quarter <= 4")
    by_worker = first_year.groupby("worker_id")["left"].sum()
    np.testing.assert_allclose(by_worker.reindex(risk["worker_id"]).to_numpy(), risk["p_leave"].to_numpy(), atol=1e-9)
    by_reason = first_year.pivot_table(index="worker_id", columns="reason", values="left", aggfunc="sum")
    np.testing.assert_allclose(by_reason["voluntary"].reindex(risk["worker_id"]).to_numpy(),
                               risk["p_voluntary_12m"].to_numpy(), atol=1e-9)
    teams = team_risk(risk, hazards)
    np.testing.assert_allclose(teams[[f"expected_leavers_q{k}" for k in range(1, 5)]].sum(axis=1),
                               teams["expected_leavers"], atol=1e-9)


def test_score_help_gives_the_default_date_it_uses():
    """`churn score --as-of` defaults to the data's own date (`default_as_of`: the latest start or
    allocation date in the inputs), not today: the help says so, as the README and the console do."""
    import typer.main

    from workforce.cli import app

    score = typer.main.get_command(app).commands["churn"].commands["score"]
    help_text = next(p.help for p in score.params if "--as-of" in p.opts)
    assert "latest start or allocation date" in help_text
    assert "today" not in help_text.split("(")[1].split(";")[0]


def test_cli_train_names_the_history_file_a_problem_is_about(tmp_path, history):
    """A history the model cannot be trained on (one snapshot date: no follow-up) is refused
    naming the file given with --history, as the README's exit code 2 promises, not only
    "hr_history: ..."."""
    from workforce.cli import app
    from workforce.contracts import to_csv_frame

    last = history.loc[history["snapshot_date"] == history["snapshot_date"].max()]
    h_path = tmp_path / "one snapshot.csv"
    to_csv_frame(last).to_csv(h_path, index=False)
    result = CliRunner().invoke(app, ["churn", "train", "--history", str(h_path), "--out", str(tmp_path / "m"),
                                      "--folds", "3", "--repeats", "1"])
    assert result.exit_code == 2 and not (tmp_path / "m").exists()
    assert f"error: {h_path}: " in result.output and "follow-up" in result.output, result.output


def test_run_names_the_history_file_it_cannot_train_on(tmp_path, history):
    """`workforce run` trains the churn model on [run.inputs] hr_history: a history too short to
    train on is refused naming that file, as `churn train` names its --history."""
    import shutil
    from pathlib import Path

    from workforce.cli import app
    from workforce.contracts import to_csv_frame

    examples = Path(__file__).resolve().parents[1] / "examples"
    for name in ("workers.csv", "cases.csv"):
        shutil.copy(examples / name, tmp_path / name)
    last = history.loc[history["snapshot_date"] == history["snapshot_date"].max()]
    to_csv_frame(last).to_csv(tmp_path / "hr_history.csv", index=False)
    (tmp_path / "run.toml").write_text('[run.inputs]\nworkers = "workers.csv"\ncases = "cases.csv"\n'
                                       'hr_history = "hr_history.csv"\n[run.outputs]\nfolder = "out"\n')
    result = CliRunner().invoke(app, ["run", str(tmp_path / "run.toml")])
    assert result.exit_code == 2, result.output
    assert f"error: {tmp_path / 'hr_history.csv'}: " in result.output and "follow-up" in result.output, result.output


@pytest.mark.parametrize("text", ['check,group\n"a,b\n', "", "a,b\n1,2\n"])
def test_a_broken_fairness_file_in_the_model_folder_is_named_not_an_internal_error(tmp_path, text):
    """churn score shows the model folder's fairness.csv again; the model's hash does not cover it.
    Cut or edited (an open quote, empty, other columns) it stopped the command with 'internal
    error: ParserError' (exit 1, a bug) or went into the register as it was: now exit 2 naming it."""
    from workforce.retention.persistence import read_fairness

    (tmp_path / "fairness.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_fairness(tmp_path)
    assert str(tmp_path / "fairness.csv") in str(info.value)
    assert read_fairness(tmp_path / "other") is None
