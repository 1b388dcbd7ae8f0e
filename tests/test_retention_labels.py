"""Churn labels (censoring, leave reasons) and the one feature derivation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.retention.features import (
    current_states,
    derive_features,
    history_features,
    leavers_from_history,
    tenure_band,
)
from workforce.contracts import LEAVE_REASON_GROUPS
from workforce.retention.labels import LABEL, label_snapshots, reason_group, snapshot_outcomes, training_rows

D = pd.Timestamp


def _history(rows: list[dict]) -> pd.DataFrame:
    base = {"team": "A", "locality": "L", "role": "case_holder", "asye": False, "agency": False, "fte": 1.0,
            "start_date": D("2015-01-01"), "leave_date": pd.NaT, "leave_reason": pd.NA}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["leave_reason"] = frame["leave_reason"].astype("Int64")
    return frame


def test_snapshots_with_short_follow_up_are_censored_and_never_reach_training():
    h = _history([
        {"worker_id": "W1", "snapshot_date": D("2019-09-30")},
        {"worker_id": "W1", "snapshot_date": D("2020-09-30")},
        {"worker_id": "W1", "snapshot_date": D("2021-03-31")},  # 6 months before the data ends
        {"worker_id": "W1", "snapshot_date": D("2021-09-30")},
    ])
    labelled = label_snapshots(h, horizon_months=12)
    assert labelled["censored"].tolist() == [False, False, True, True]
    follow_up = D("2021-09-30") - labelled["snapshot_date"]
    assert (labelled["censored"] == (follow_up < pd.Timedelta(days=365))).all()
    kept = training_rows(labelled)
    assert kept["snapshot_date"].tolist() == [D("2019-09-30"), D("2020-09-30")]
    # a shorter horizon gives more follow-up to the later snapshots
    assert len(training_rows(label_snapshots(h, horizon_months=6))) == 3


def test_censoring_drops_leavers_too_so_the_base_rate_is_not_biased():
    h = _history([
        {"worker_id": "W1", "snapshot_date": D("2020-09-30")},
        {"worker_id": "W2", "snapshot_date": D("2020-09-30"), "leave_date": D("2021-01-15"), "leave_reason": 1},
        {"worker_id": "W1", "snapshot_date": D("2021-09-30")},
    ])
    labelled = label_snapshots(h, horizon_months=12, end_date=D("2021-06-30"))
    assert labelled["censored"].all()
    assert training_rows(labelled).empty


def test_labels_come_from_leave_date_within_horizon_and_counted_reasons():
    snap = D("2019-09-30")
    h = _history([
        {"worker_id": "resigned", "snapshot_date": snap, "leave_date": D("2020-03-01"), "leave_reason": 1},
        {"worker_id": "retired", "snapshot_date": snap, "leave_date": D("2020-09-30"), "leave_reason": 5},
        {"worker_id": "moved", "snapshot_date": snap, "leave_date": D("2020-01-01"), "leave_reason": 7},
        {"worker_id": "died", "snapshot_date": snap, "leave_date": D("2020-03-01"), "leave_reason": 6},
        {"worker_id": "dismissed", "snapshot_date": snap, "leave_date": D("2020-03-01"), "leave_reason": 4},
        {"worker_id": "later", "snapshot_date": snap, "leave_date": D("2020-10-01"), "leave_reason": 1},
        {"worker_id": "stayer", "snapshot_date": snap},
        {"worker_id": "stayer", "snapshot_date": D("2021-09-30")},
    ])
    labelled = training_rows(label_snapshots(h)).set_index("worker_id")
    # every leave within the horizon counts by default: each is a post to fill
    assert labelled[LABEL].to_dict() == {
        "resigned": True, "retired": True, "moved": True, "died": True, "dismissed": True,
        "later": False, "stayer": False,
    }
    assert labelled["reason"].to_dict() == {
        "resigned": "voluntary", "retired": "retirement", "moved": "voluntary", "died": "other", "dismissed": "other",
        "later": "", "stayer": "",
    }
    # the reasons can be narrowed, e.g. to voluntary leaving only
    voluntary = training_rows(label_snapshots(h, reasons=LEAVE_REASON_GROUPS["voluntary"])).set_index("worker_id")[LABEL]
    assert voluntary[voluntary].index.tolist() == ["resigned", "moved"]


def test_reason_groups_come_from_the_contract():
    codes = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, None], dtype="Float64")
    groups = reason_group(codes).tolist()
    assert groups == ["voluntary", "other", "other", "other", "retirement", "other", "voluntary", "other", "other", "other", ""]


def test_snapshot_outcomes_time_to_event_in_quarters_with_censoring():
    h = _history([
        # left in the second quarter after the 2019 snapshot, voluntarily
        {"worker_id": "A", "snapshot_date": D("2019-09-30"), "leave_date": D("2020-02-10"), "leave_reason": 1},
        # stays to the end of follow-up (2021-09-30): 8 whole quarters after 2019, 4 after 2020
        {"worker_id": "B", "snapshot_date": D("2019-09-30")},
        {"worker_id": "B", "snapshot_date": D("2020-09-30")},
        {"worker_id": "B", "snapshot_date": D("2021-09-30")},
        # retires after the follow-up ends: not known yet, censored
        {"worker_id": "C", "snapshot_date": D("2020-09-30"), "leave_date": D("2022-01-15"), "leave_reason": 5},
        # left on the last day of the fourth quarter after 2020
        {"worker_id": "D", "snapshot_date": D("2020-09-30"), "leave_date": D("2021-09-30"), "leave_reason": 4},
    ])
    out = snapshot_outcomes(h).set_index(["worker_id", "snapshot_date"])
    a = out.loc[("A", D("2019-09-30"))]
    assert (a["time_quarters"], a["event"], a["reason"], a["train_quarters"]) == (2, True, "voluntary", 2)
    b = out.loc["B"]
    assert b["time_quarters"].tolist() == [8, 4, 0] and not b["event"].any()
    # each snapshot teaches the model the 4 quarters to the next snapshot; the last one nothing
    assert b["train_quarters"].tolist() == [4, 4, 0]
    c = out.loc[("C", D("2020-09-30"))]
    assert (c["time_quarters"], c["event"], c["reason"]) == (4, False, "")
    d = out.loc[("D", D("2020-09-30"))]
    assert (d["time_quarters"], d["event"], d["reason"], d["train_quarters"]) == (4, True, "other", 4)


def test_rows_after_the_leave_date_are_not_in_post():
    h = _history([
        {"worker_id": "W1", "snapshot_date": D("2019-09-30"), "leave_date": D("2019-09-30"), "leave_reason": 1},
        {"worker_id": "W2", "snapshot_date": D("2019-09-30")},
        {"worker_id": "W2", "snapshot_date": D("2020-09-30")},
    ])
    assert "W1" not in set(label_snapshots(h)["worker_id"])


def test_team_turnover_counts_the_previous_year_and_is_unknown_before_the_history_starts():
    h = _history([
        {"worker_id": "W1", "snapshot_date": D("2019-09-30"), "leave_date": D("2020-02-01"), "leave_reason": 1},
        {"worker_id": "W2", "snapshot_date": D("2019-09-30")},
        {"worker_id": "W2", "snapshot_date": D("2020-09-30")},
        {"worker_id": "W3", "snapshot_date": D("2020-09-30")},
        {"worker_id": "W4", "snapshot_date": D("2020-09-30"), "team": "B"},
    ])
    f = history_features(h)
    first = h["snapshot_date"] == D("2019-09-30")
    assert f.loc[first, "team_turnover_12m"].isna().all()
    second = f.loc[~first]
    # team A: one leaver in the year to 2020-09-30, two in post now
    assert second.loc[h["team"] == "A", "team_turnover_12m"].tolist() == [0.5, 0.5]
    assert second.loc[h["team"] == "B", "team_turnover_12m"].tolist() == [0.0]
    assert leavers_from_history(h)[["worker_id", "team"]].values.tolist() == [["W1", "A"]]


def test_tenure_bands_follow_years_of_service():
    bands = tenure_band(pd.Series([0.2, 1.0, 4.9, 5.0, 12.0, np.nan]))
    assert bands.tolist() == ["0-1", "1-2", "2-5", "5-10", "10+", "unknown"]


def test_current_workers_and_history_rows_go_through_the_same_derivation():
    """A worker described once as an hr_history row and once as workers + cases at the same
    date gets identical features."""
    as_of = D("2024-09-30")
    workers = pd.DataFrame({
        "worker_id": ["W1", "W2"], "team": ["A", "A"], "locality": ["L", "L"],
        "role": ["case_holder", "senior_practitioner"], "asye": [True, False], "agency": [False, True],
        "fte": [1.0, 0.8], "start_date": [D("2023-10-01"), D("2018-01-01")], "skills": ["", ""],
        "available": [True, True], "sickness_days_12m": [3.0, 12.0], "supervision_hours_3m": [4.5, 1.5],
    })
    cases = pd.DataFrame({
        "case_id": ["C1", "C2", "C3"], "family_id": ["F1", "F1", "F2"], "case_type": ["cp", "cin", "cla"],
        "court": [False, False, True], "locality": ["L"] * 3, "current_worker_id": ["W1", "W1", "W2"],
        "allocated_since": [D("2024-05-01"), D("2024-05-01"), D("2020-01-01")], "workers_12m": [2, 2, 1],
    })
    states = current_states(workers, cases, as_of)
    from_workers = derive_features(states)
    as_history = states.copy()  # the same facts written as hr_history columns
    from_history = derive_features(as_history[[
        "snapshot_date", "worker_id", "team", "role", "asye", "agency", "fte", "start_date", "cases_held",
        "caseload_points", "capacity_points", "sickness_days_12m", "supervision_hours_3m", "reallocations_12m",
    ]])
    pd.testing.assert_frame_equal(from_workers, from_history)
    w1 = from_workers.iloc[0]
    assert w1["cases_held"] == 2 and w1["reallocations_12m"] == 2
    # 7 + 4 * 0.5 (sibling) = 9 points over 85 * 0.9 (ASYE) capacity
    assert w1["caseload_ratio"] == pytest.approx(9.0 / 76.5)
    assert w1["supervision_hours_month"] == pytest.approx(1.5)
    assert "gender" not in from_workers.columns


def test_team_turnover_is_unknown_when_the_history_ended_long_before_the_as_of_date():
    h = _history([
        {"worker_id": "W1", "snapshot_date": D("2019-09-30"), "leave_date": D("2020-02-01"), "leave_reason": 1},
        {"worker_id": "W2", "snapshot_date": D("2019-09-30")},
        {"worker_id": "W2", "snapshot_date": D("2020-09-30")},
    ])
    states = h.loc[[2]].assign(snapshot_date=D("2022-09-30"))
    leavers = leavers_from_history(h)
    stale = derive_features(states, leavers=leavers, known_from=D("2019-09-30"), known_to=D("2020-09-30"))
    assert stale["team_turnover_12m"].isna().all()
    fresh = derive_features(states.assign(snapshot_date=D("2020-11-30")), leavers=leavers,
                            known_from=D("2019-09-30"), known_to=D("2020-09-30"))
    assert fresh["team_turnover_12m"].tolist() == [1.0]


def test_default_as_of_is_the_data_date_not_today():
    from workforce.retention.model import default_as_of

    workers = pd.DataFrame({"start_date": [D("2020-01-01"), D("2024-08-01")]})
    cases = pd.DataFrame({"allocated_since": [D("2024-09-29"), pd.NaT]})
    assert default_as_of(workers) == D("2024-08-01")
    assert default_as_of(workers, cases) == D("2024-09-29")
