"""Fairness audit: per-group figures, suppression of small groups, flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.retention.fairness import audit, lever_audit, lever_gap_flag, summary


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n_f, n_m, n_o, n_u = 60, 30, 4, 6  # two groups under ten, ten people between them: pooled and shown
    gender = ["female"] * n_f + ["male"] * n_m + ["other"] * n_o + [""] * n_u
    y = np.r_[rng.random(n_f) < 0.2, rng.random(n_m) < 0.2, [1, 0, 0, 0], np.zeros(n_u)].astype(int)
    p = np.r_[np.full(n_f, 0.2), np.full(n_m, 0.45), np.full(n_o + n_u, 0.3)]
    p = p + np.where(y == 1, 0.05, 0.0)
    return pd.DataFrame({"worker_id": [f"W{i}" for i in range(len(y))], "gender": gender, "p_leave": p, "left": y})


def test_groups_under_ten_people_are_pooled_and_never_named():
    table = audit(_frame(), y_col="left", characteristics=["gender", "ethnicity"])
    pooled = "groups under 10 (combined)"
    assert table.set_index("group")["count"].to_dict() == {"female": 60, "male": 30, pooled: 10}
    assert not table["suppressed"].any()
    assert not table["group"].isin(["other", "not_known"]).any()  # small groups: no row, no name
    assert "ethnicity" not in set(table["characteristic"])  # absent column: not audited


def test_a_small_groups_count_cannot_be_bounded_from_the_pool():
    """Ten ethnicity codes of one person each pool to a row of 10: were the ten codes listed as
    suppressed, each would be exactly one person. A group of 10 joined by one of 1 shows 11: were
    the small group named, both counts would be known. Neither small group may be named."""
    eth = ["WBRI"] * 60 + [f"E{i}" for i in range(10)]
    frame = pd.DataFrame({"worker_id": [f"W{i}" for i in range(70)], "ethnicity": eth,
                          "p_leave": np.linspace(0.1, 0.4, 70), "left": np.arange(70) % 3 == 0})
    table = audit(frame, y_col="left", characteristics=["ethnicity"])
    assert set(table["group"]) == {"WBRI", "groups under 10 (combined)"}
    gender = ["a"] * 10 + ["b"] + ["c"] * 40
    frame = pd.DataFrame({"worker_id": [f"W{i}" for i in range(51)], "gender": gender,
                          "p_leave": np.linspace(0.1, 0.4, 51), "left": np.arange(51) % 3 == 0})
    table = audit(frame, y_col="left", characteristics=["gender"])
    assert set(table["group"]) == {"c", "a, with groups under 10"} and "b" not in set(table["group"])
    levers = lever_audit(frame.rename(columns={"p_leave": "p_voluntary"}),
                         pd.DataFrame({"x": np.arange(51) % 2 == 0}), characteristics=["gender"])
    assert "b" not in set(levers["group"])


def test_a_pool_under_ten_with_no_group_to_join_shows_no_figures():
    frame = pd.DataFrame({"worker_id": ["W1", "W2", "W3"], "gender": ["a", "b", "b"], "p_leave": [0.1, 0.2, 0.3],
                          "left": [0, 1, 0]})
    table = audit(frame, y_col="left", characteristics=["gender"])
    assert table["group"].tolist() == ["groups under 10 (combined)"] and table["suppressed"].all()
    assert table["count"].isna().all() and table["mean_p_leave"].isna().all()
    assert summary(table)["rows_suppressed"] == 1


def test_people_not_rows_are_counted():
    frame = _frame()
    repeated = pd.concat([frame.loc[frame["gender"] == "other"]] * 5)  # 4 people, 20 snapshots
    table = audit(pd.concat([frame, repeated]), y_col="left", characteristics=["gender"])
    assert "other" not in set(table["group"])  # 4 people, not 24 rows: pooled
    assert table.set_index("group").at["groups under 10 (combined)", "count"] == 10


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
    # a flag says which way and what to look at, not only a number past a threshold
    male = frame[frame["gender"] == "male"]
    way = "under" if male["p_leave"].mean() < male["left"].mean() else "over"
    assert f"the model {way}-predicts leaving for this group" in table.loc["male", "flag"]
    assert "predicted chance is above the workforce's" in table.loc["male", "flag"]
    s = summary(table.reset_index())
    assert s["rows_suppressed"] == 0 and any(f.startswith("gender=male") for f in s["flags"])


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
    gender[:6] = "other"  # 6 people: suppressed, pooled with the next 6
    gender[6:12] = "not_known"
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
    assert male["lever_gap"] > 0.1
    # the flag says of what, in shares a reader can check against the row, and what to do
    assert f"offered to {male['offered_rate']:.0%} of the group" in male["flag"]
    assert f"against {male['expected_offered_rate']:.0%} expected for the same flight risk" in male["flag"]
    assert f"{male['lever_gap'] * 100:+.1f} percentage points" in male["flag"] and "more often than its risk explains" in male["flag"]
    # a gap just beyond the threshold does not read as equal to it ("+10 percentage points, beyond ±10")
    assert "+10.3 percentage points, beyond ±10" in lever_gap_flag(0.303, 0.2)
    assert male["offered_rate"] == pytest.approx(offered.loc[gender == "male", "caseload"].mean())
    assert "other" not in set(table["group"])
    s = summary(table)
    assert any("(lever: caseload)" in f for f in s["flags"]) and s["max_abs_lever_gap"] > 0.1


def test_no_suppressed_group_can_be_worked_out_by_subtraction():
    """The register gives everyone's chance, so the overall mean is known: were a suppressed group
    simply left out, the overall less the groups shown would give its mean. Small groups are
    pooled; a pool itself too small joins the smallest group shown; the rows shown then always
    hold everyone, so subtraction reveals nothing."""
    from workforce.retention.fairness import pooled_groups

    assert pooled_groups({"female": 60, "male": 30, "other": 4}) == {
        "female": "female", "male": "male, with groups under 10", "other": "male, with groups under 10"}
    assert pooled_groups({"a": 50, "b": 6, "c": 7}) == {"a": "a", "b": "groups under 10 (combined)",
                                                        "c": "groups under 10 (combined)"}
    assert pooled_groups({"a": 50, "b": 40}) == {"a": "a", "b": "b"}  # binds only with a small group
    frame = _frame()
    frame = frame[frame["gender"] != ""]  # one small group of 4 left: it joins male
    table = audit(frame, y_col="left", characteristics=["gender"])
    shown = table.loc[~table["suppressed"].astype(bool)]
    assert shown["count"].sum() == len(frame)  # everyone is in a row shown
    assert set(shown["group"]) == {"female", "male, with groups under 10"}


def test_a_lever_offered_to_very_few_of_a_group_is_not_audited_by_that_characteristic():
    """Five places, one to a group of 27: '1 of 27' with the plan's list of who got a place points
    at a person, so the lever is not audited by that characteristic at all (hiding that one group
    would leave it to subtraction from the five)."""
    n = 60
    gender = np.array(["female"] * 30 + ["male"] * 30)
    frame = pd.DataFrame({"worker_id": [f"W{i}" for i in range(n)], "gender": gender,
                          "p_voluntary": np.linspace(0.05, 0.5, n)})
    few = np.zeros(n, dtype=bool)
    few[[0, 30, 31, 32, 33]] = True  # one woman, four men
    many = np.zeros(n, dtype=bool)
    many[[0, 1, 2, 30, 31, 32]] = True  # three of each
    table = lever_audit(frame, pd.DataFrame({"few": few, "many": many}), characteristics=["gender"])
    assert table.loc[table["check"] == "lever: few", "suppressed"].all()
    assert not table.loc[table["check"] == "lever: many", "suppressed"].any()


def test_the_disclosure_thresholds_are_quoted_from_one_place():
    """The threshold the audit applies is the one its column notes and `churn audit --min-group`
    state: a note written as '10' would go stale the day the threshold is raised."""
    import inspect

    from workforce.cli.churn import audit
    from workforce.plans.columns import NOTES
    from workforce.retention import fairness
    from workforce.retention.disclosure import MIN_GROUP, MIN_OFFERED

    assert fairness.MIN_GROUP is MIN_GROUP and fairness.MIN_OFFERED is MIN_OFFERED
    assert f"under {MIN_GROUP} people" in NOTES["group"] and f"fewer than {MIN_OFFERED}" in NOTES["suppressed"]
    option = inspect.signature(audit).parameters["min_group"].default
    assert option.default == MIN_GROUP and option.min == MIN_GROUP


@pytest.mark.parametrize("option, value", [("gap_threshold", float("nan")), ("gap_threshold", -1.0),
                                           ("calibration_threshold", float("inf")), ("calibration_threshold", 0.0)])
def test_a_threshold_that_would_flag_every_group_or_none_is_refused(option, value):
    from workforce.errors import InputError

    with pytest.raises(InputError, match=f"--{option.replace('_', '-')}"):
        audit(_frame(), **{option: value})
