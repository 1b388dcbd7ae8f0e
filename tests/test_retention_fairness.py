"""Fairness audit: per-group figures, suppression of small groups, flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.retention.fairness import audit, lever_audit, summary


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n_f, n_m, n_o = 60, 30, 4
    gender = ["female"] * n_f + ["male"] * n_m + ["other"] * n_o
    y = np.r_[rng.random(n_f) < 0.2, rng.random(n_m) < 0.2, [1, 0, 0, 0]].astype(int)
    p = np.r_[np.full(n_f, 0.2), np.full(n_m, 0.45), np.full(n_o, 0.3)]
    p = p + np.where(y == 1, 0.05, 0.0)
    return pd.DataFrame({"worker_id": [f"W{i}" for i in range(len(y))], "gender": gender, "p_leave": p, "left": y})


def test_groups_under_ten_people_are_suppressed():
    table = audit(_frame(), y_col="left", characteristics=["gender", "ethnicity"])
    other = table.loc[table["group"] == "other"].iloc[0]
    assert bool(other["suppressed"])
    assert pd.isna(other["count"]) and pd.isna(other["mean_p_leave"]) and pd.isna(other["auc"])
    shown = table.loc[~table["suppressed"].astype(bool)]
    assert set(shown["group"]) == {"female", "male"}
    assert shown.set_index("group")["count"].to_dict() == {"female": 60, "male": 30}
    assert "ethnicity" not in set(table["characteristic"])  # absent column: not audited


def test_people_not_rows_are_counted():
    frame = _frame()
    repeated = pd.concat([frame.loc[frame["gender"] == "other"]] * 5)  # 4 people, 20 snapshots
    table = audit(pd.concat([frame, repeated]), y_col="left", characteristics=["gender"])
    assert bool(table.loc[table["group"] == "other", "suppressed"].iloc[0])


def test_figures_and_flags():
    frame = _frame()
    table = audit(frame, y_col="left", characteristics=["gender"], gap_threshold=0.05, calibration_threshold=0.05).set_index("group")
    female = frame[frame["gender"] == "female"]
    assert table.loc["female", "observed_rate"] == pytest.approx(female["left"].mean())
    assert table.loc["female", "mean_p_leave"] == pytest.approx(female["p_leave"].mean())
    assert table.loc["female", "calibration_error"] == pytest.approx(abs(female["p_leave"].mean() - female["left"].mean()))
    assert table.loc["female", "auc"] == pytest.approx(1.0)  # leavers get +0.05 within a group
    assert table.loc["male", "risk_gap"] > 0.05
    assert "risk gap" in table.loc["male", "flag"] and "calibration error" in table.loc["male", "flag"]
    s = summary(table.reset_index())
    assert s["groups_suppressed"] == 1 and any(f.startswith("gender=male") for f in s["flags"])


def test_scored_data_without_outcomes_reports_risk_gaps_only():
    table = audit(_frame().drop(columns="left"), y_col=None, characteristics=["gender"])
    male = table.loc[table["group"] == "male"].iloc[0]
    assert pd.isna(male["observed_rate"]) and pd.isna(male["calibration_error"])
    assert "risk gap" in male["flag"]


def test_lever_audit_compares_offers_at_the_same_risk():
    rng = np.random.default_rng(1)
    n = 200
    p = rng.uniform(0.05, 0.5, n)
    gender = np.where(np.arange(n) % 2 == 0, "female", "male")
    gender[:6] = "other"  # 6 people: suppressed
    high = p > 0.3
    # supervision is offered by risk alone; caseload also goes to men more than their risk explains
    offered = pd.DataFrame({
        "supervision": high,
        "caseload": high | ((gender == "male") & (rng.random(n) < 0.5)),
    })
    frame = pd.DataFrame({"worker_id": [f"W{i}" for i in range(n)], "gender": gender, "p_voluntary": p})
    table = lever_audit(frame, offered, characteristics=["gender"])
    assert set(table["check"]) == {"lever: supervision", "lever: caseload"}
    shown = table.loc[~table["suppressed"]].set_index(["check", "group"])
    assert shown.loc[("lever: supervision", "female"), "flag"] == ""
    assert abs(shown.loc[("lever: supervision", "male"), "lever_gap"]) < 0.05
    male = shown.loc[("lever: caseload", "male")]
    assert male["lever_gap"] > 0.1 and "against the same risk" in male["flag"]
    assert male["offered_rate"] == pytest.approx(offered.loc[gender == "male", "caseload"].mean())
    assert table.loc[table["group"] == "other", "suppressed"].all()
    s = summary(table)
    assert any("(lever: caseload)" in f for f in s["flags"]) and s["max_abs_lever_gap"] > 0.1
