"""Fairness of decisions: L&D places and caseload relief by protected group, for the same flight
risk, small groups suppressed by the retention audit's own rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.audit import decision_audit, decisions
from workforce.retention.fairness import MIN_GROUP


def frames(n: int = 80):
    rng = np.random.default_rng(0)
    workers = pd.DataFrame({"worker_id": [f"W{i}" for i in range(n)], "gender": ["female"] * 60 + ["male"] * 20,
                            "age_band": ["30-39"] * 75 + ["60+"] * 5})
    risk = pd.Series(rng.uniform(0.05, 0.4, n))
    programme = np.where(workers["gender"] == "female", "mentoring", "").astype(object)  # only women offered places
    programme[:10] = "caseload_relief"
    gateway = pd.DataFrame({"worker_id": workers["worker_id"], "programme": programme})
    loads = pd.DataFrame({"worker_id": workers["worker_id"], "points_before": 80.0,
                          "points_after": np.where(np.arange(n) % 2 == 0, 70.0, 80.0)})
    return workers, risk, gateway, loads


def test_decisions_read_from_the_plan_and_the_allocation():
    workers, _, gateway, loads = frames()
    made = decisions(workers, gateway, loads)
    assert list(made.columns) == ["gateway place", "caseload relief (L&D)", "caseload relief (allocation)"]
    assert made["gateway place"].sum() == 60 and made["caseload relief (L&D)"].sum() == 10
    assert made["caseload relief (allocation)"].sum() == 40


def test_a_group_offered_less_for_the_same_risk_is_flagged_and_small_groups_suppressed():
    workers, risk, gateway, loads = frames()
    table = decision_audit(workers, risk, gateway, loads)
    places = table[(table["check"] == "decision: gateway place") & (table["characteristic"] == "gender")]
    men = places.set_index("group").loc["male"]
    assert men["offered_rate"] == 0 and men["lever_gap"] < -0.1 and men["flag"]
    ages = table[table["characteristic"] == "age_band"]
    assert "60+" not in set(ages["group"])  # 5 < MIN_GROUP people: pooled, not named
    assert ages["group"].str.contains("groups under 10").any()
    assert MIN_GROUP > 5
    assert decision_audit(workers[["worker_id"]], risk, gateway).empty  # nothing protected: nothing to audit
