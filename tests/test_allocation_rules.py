"""Every hard rule, limit, objective term and guard of `workforce.allocation.rules`, called
directly on a tiny frame (no solver), in the style of Timefold's ConstraintVerifier: one row
where the rule binds and one where it does not."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from workforce.allocation import rules as R
from workforce.allocation.config import AllocationConfig
from workforce.allocation.objective import hinge_cost

CFG = AllocationConfig()


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def verdict(rule, cand: pd.DataFrame) -> list[bool]:
    out = rule(cand)
    assert isinstance(out, pd.Series) and out.dtype == bool and out.index.equals(cand.index)
    return out.tolist()


# ---- hard rules: rule(cand) -> bool Series (True = the worker may hold the unit) -------------------

def test_hard_rules_are_named_functions_on_the_candidate_frame():
    for name, rule, words in R.HARD_RULES:
        assert rule.__name__ == name and getattr(R, name) is rule and words
        assert list(inspect.signature(rule).parameters) == ["cand"]
        assert inspect.getdoc(rule)  # the domain reason


def test_worker_available():
    assert verdict(R.worker_available, frame(available=[False, True])) == [False, True]


def test_not_team_manager():
    assert verdict(R.not_team_manager, frame(role=["team_manager", "case_holder"])) == [False, True]


def test_not_leaving():
    assert verdict(R.not_leaving, frame(leaving=[True, False])) == [False, True]


def test_has_required_skills():
    cand = frame(required=[frozenset({"court"}), frozenset({"court"}), frozenset()],
                 skill_set=[frozenset({"cp"}), frozenset({"cp", "court"}), frozenset()])
    assert verdict(R.has_required_skills, cand) == [False, True, True]


def test_asye_no_sole_cp_or_court():
    cand = frame(asye=[True, True, False], cp_or_court=[True, False, True])
    assert verdict(R.asye_no_sole_cp_or_court, cand) == [False, True, True]


def test_not_excluded():
    cand = frame(worker_id=["W1", "W2"], excluded=[frozenset({"W1"}), frozenset({"W1"})])
    assert verdict(R.not_excluded, cand) == [False, True]


def test_joins_siblings():
    cand = frame(worker_id=["W1", "W2", "W1"], restrict_to=[frozenset({"W2"}), frozenset({"W2"}), None])
    assert verdict(R.joins_siblings, cand) == [False, True, True]


def _reach_frames():
    units = pd.DataFrame({"teams": [frozenset({"A"}), frozenset()], "localities": [{"North": 1}, {"South": 2}]},
                         index=pd.Index(["F1", "F2"], name="unit"))
    workers = pd.DataFrame({"team": ["A", "B", "C"], "locality": ["North", "North", "South"]},
                           index=pd.Index(["W1", "W2", "W3"], name="worker_id"))
    return units, workers


def test_same_team_or_locality_with_team_reach():
    units, workers = _reach_frames()
    cand = R.same_team_or_locality(units, workers, "team")
    # F1 names team A: W1 only, although W2 works in its locality; F2 names no team: its locality
    assert set(zip(cand["unit"], cand["worker_id"], cand["scope"])) == {("F1", "W1", "team"), ("F2", "W3", "locality")}
    assert {"teams", "locality"} <= set(cand.columns)  # unit and worker columns side by side


def test_same_team_or_locality_with_locality_reach():
    units, workers = _reach_frames()
    cand = R.same_team_or_locality(units, workers, "locality")
    # F1 may now go to team B of the same locality (a cross-team candidate), never to South
    assert set(zip(cand["unit"], cand["worker_id"], cand["scope"])) == {
        ("F1", "W1", "team"), ("F1", "W2", "other_team"), ("F2", "W3", "locality")}


def test_no_new_family_over_capacity():
    # over a cap now: may keep their own family (no new children), gets no new one; within caps: anything
    cand = frame(over_cap_now=[True, True, False], new_children=[2, 0, 2])
    assert verdict(R.no_new_family_over_capacity, cand) == [False, True, True]


def test_contract_not_ending():
    # contract ends soon, continuity-needing children new to the worker, someone else eligible: out
    cand = frame(contract_ends_soon=[True, True, True, True, False], needs_continuity=[True, True, True, False, True],
                 new_children=[1, 1, 0, 1, 1], others_eligible=[2, 0, 2, 2, 2])
    # ...unless nobody else is eligible, the worker holds them already, they need no continuity, or
    # the contract does not end soon
    assert verdict(R.contract_not_ending, cand) == [False, True, True, True, True]


def test_first_failed_rule_names_the_first_rule_broken_in_table_order():
    n = 4
    cand = frame(available=[False, True, True, True], role=["team_manager", "team_manager", "case_holder", "case_holder"],
                 leaving=[False] * n, worker_id=["W1", "W2", "W3", "W4"], excluded=[frozenset()] * n,
                 asye=[False] * n, cp_or_court=[False] * n, required=[frozenset()] * n,
                 skill_set=[frozenset()] * n, restrict_to=[None] * n, over_cap_now=[False, False, False, True],
                 new_children=[1] * n, contract_ends_soon=[False] * n, needs_continuity=[False] * n,
                 others_eligible=[1] * n)
    assert R.first_failed_rule(cand).tolist() == ["worker_available", "not_team_manager", "",
                                                  "no_new_family_over_capacity"]
    assert R.rule_reason("not_team_manager") == "is a team manager (holds no cases)"


# ---- limits ----------------------------------------------------------------------------------------

def _limit_workers() -> pd.DataFrame:
    return pd.DataFrame({"capacity": [50.0, 50.0, 50.0], "max_children": [10.0, 10.0, 10.0],
                         "available": [True, True, True], "leaving": [False, False, True]},
                        index=pd.Index(["W1", "W2", "W3"], name="worker_id"))


@pytest.mark.parametrize("column, held, pinned", [
    ("capacity", {"W1": 70.0, "W2": 20.0, "W3": 70.0}, {"W1": 60.0, "W2": 0.0, "W3": 0.0}),
    ("max_children", {"W1": 12, "W2": 3, "W3": 12}, {"W1": 11, "W2": 0, "W3": 0}),
])
def test_load_limit_keeps_what_an_overloaded_worker_holds_only_when_families_may_move(column, held, pinned):
    w = _limit_workers()
    cap = w[column]
    held, pinned = pd.Series(held), pd.Series(pinned)
    # binds: W1 above the cap keeps what they hold; a leaver keeps nothing extra
    assert R.load_limit(cap, held, pinned, w, "rebalance", CFG).tolist() == [held["W1"], cap["W2"], cap["W3"]]
    assert R.load_limit(cap, held, pinned, w, "leaver", CFG).tolist() == [held["W1"], cap["W2"], cap["W3"]]
    # does not bind: in new mode the cap is the limit; over_demand "unallocate" keeps only what is pinned
    assert R.load_limit(cap, held, pinned, w, "new", CFG).tolist() == cap.tolist()
    spill = AllocationConfig(over_demand="unallocate")
    assert R.load_limit(cap, held, pinned, w, "rebalance", spill).tolist() == [pinned["W1"], cap["W2"], cap["W3"]]


# ---- loads of a pair and of a child ------------------------------------------------------------------

def test_travel_children_and_pair_points():
    cand = frame(n_children=[3, 3], localities=[{"North": 2, "South": 1}] * 2, locality=["North", "East"],
                 base_points=[12.0, 12.0])
    assert R.travel_children(cand).tolist() == [1.0, 3.0]
    tp = CFG.rules.travel_points
    assert R.pair_points(cand, CFG).tolist() == [12.0 + tp, 12.0 + 3 * tp]


def test_child_points_at_adds_the_travel_point_only_outside_the_locality():
    cases = pd.DataFrame({"points": [4.0, 4.0], "locality": ["North", "South"]})
    workers = pd.DataFrame({"locality": ["North"]}, index=pd.Index(["W1"], name="worker_id"))
    got = R.child_points_at(cases, pd.Series(["W1", "W1"]), workers, CFG)
    assert got.tolist() == [4.0, 4.0 + CFG.rules.travel_points]


# ---- per-pair objective terms: cost(cand, config) -> Series ----------------------------------------------

def test_other_team_children_and_team_transfer_cost():
    cand = frame(team_counts=[{"A": 2, "B": 1}, {"A": 2}, {}], team=["A", "B", "B"])
    assert R.other_team_children(cand).tolist() == [1.0, 2.0, 0.0]  # a child naming no team moves freely
    assert R.team_transfer_cost(cand, CFG).tolist() == [CFG.team_transfer_cost, 2 * CFG.team_transfer_cost, 0.0]

def test_continuity_cost():
    cand = frame(worker_id=["W1", "W2"], current=[{"W1": 2}, {"W1": 2}], repeat=[{"W1": 1}, {"W1": 1}])
    # staying costs nothing; moving both children costs 20 each and 40 more for the one with a history
    assert R.continuity_cost(cand, CFG).tolist() == [0.0, 2 * CFG.continuity_cost + CFG.continuity_repeat_cost]


def test_travel_cost():
    cand = frame(n_children=[2, 2], localities=[{"North": 2}] * 2, locality=["North", "South"])
    assert R.travel_cost(cand, CFG).tolist() == [0.0, 2 * CFG.travel_cost]


def test_risk_cost():
    cand = frame(p_leave=[0.0, 0.5], n_children=[1, 1], localities=[{"North": 1}] * 2, locality=["North"] * 2,
                 base_points=[8.0, 8.0])
    assert R.risk_cost(cand, CFG).tolist() == [0.0, CFG.risk_cost * 0.5 * 8.0]


# ---- per-worker objective term: cost(workers, config) -> list[Hinge] --------------------------------------

def test_load_balance_cost():
    workers = pd.DataFrame({"capacity": [100.0, 100.0, 0.0], "soft_max_children": [16.0, 16.0, 0.0]})
    hinges = R.load_balance_cost(workers, CFG)
    points, children = np.array([80.0, 96.0, 5.0]), np.array([10.0, 18.0, 0.0])
    cost = hinge_cost(hinges, {"points": points, "children": children, "complex": np.zeros(3)}, np.arange(3))
    (s1, r1), (s2, r2) = CFG.load_breakpoints
    # within the safe level: nothing; above both breakpoints and the soft cap: every piece; no
    # capacity: no points pieces at all
    assert cost.tolist() == [0.0, r1 * (96 - s1 * 100) + r2 * (96 - s2 * 100) + CFG.soft_children_cost * 2, 0.0]


def test_over_cap_cost():
    # W1 may hold above every cap (their limits are above the caps: they held that much); W2 may not
    workers = pd.DataFrame({"capacity": [50.0, 50.0], "max_children": [10.0, 10.0], "max_complex": [5.0, 5.0],
                            "points_limit": [70.0, 50.0], "children_limit": [12.0, 10.0], "complex_limit": [7.0, 5.0]})
    hinges = R.over_cap_cost(workers, CFG)
    at = lambda p, k, x: hinge_cost(hinges, {"points": np.array([p, p]), "children": np.array([k, k]),
                                             "complex": np.array([x, x])}, np.arange(2))
    # within every cap: nothing
    assert at(50.0, 10.0, 5.0).tolist() == [0.0, 0.0]
    # above each cap: the rate per unit above it plus one charge per cap; nothing for W2, who cannot be above
    got = at(52.0, 11.0, 6.0)
    want = (2 * CFG.over_points_cost + CFG.over_children_cost + CFG.over_complex_cost + 3 * CFG.over_cap_charge)
    assert got.tolist() == [pytest.approx(want), 0.0]
    assert [h.step for h in hinges].count(True) == 3 and all(h.bound is not None for h in hinges if h.step)


# ---- per-group objective term: cost(workers, config) -> GroupMax -------------------------------------------

def test_highest_utilisation_cost():
    workers = pd.DataFrame({"capacity": [50.0, 100.0, 0.0], "team": ["A", "B", "B"]})
    team = R.highest_utilisation_cost(workers, CFG)
    assert team.weight == CFG.highest_utilisation_cost
    assert team.group.tolist() == ["A", "B", None]  # a worker without capacity is not counted
    assert team.divisor.tolist() == [50.0, 100.0, 0.0]
    service = R.highest_utilisation_cost(workers, AllocationConfig(highest_utilisation_scope="service"))
    assert service.group.tolist() == ["service", "service", None]


# ---- per-unit objective term: cost(units, cases, config) -> Series --------------------------------------

def test_unallocated_cost():
    units = pd.DataFrame(index=pd.Index(["F1", "F2", "F3"], name="unit"))
    cases = pd.DataFrame({"unit": ["F1", "F1", "", "F3", "F3"], "priority": [1, 3, 1, 2, 3],
                          "current_worker_id": ["", "", "", "W1", "W1"],
                          "waits_if_unplaced": [True, True, True, True, False]})
    got = R.unallocated_cost(units, cases, CFG)
    # F3: the child its keeper keeps costs nothing; the other had a worker: a lost worker is a change too
    assert got.tolist() == [CFG.unallocated_cost_for(1) + CFG.unallocated_cost_for(3), 0.0,
                            CFG.unallocated_cost_for(2) + CFG.continuity_cost]


def test_kept_against_rule_cost():
    units = pd.DataFrame(index=pd.Index(["F1", "F2"], name="unit"))
    cases = pd.DataFrame({"unit": ["F1", "F1", "F2"], "priority": [1, 3, 1], "kept_against_rule": [True, False, False]})
    assert R.kept_against_rule_cost(units, cases, CFG).tolist() == [CFG.unallocated_cost_for(1), 0.0]


# ---- counts the reports use -------------------------------------------------------------------------

def test_handoff_children():
    cand = frame(worker_id=["W1", "W3", "W1"], current=[{"W1": 2, "W2": 1}, {"W1": 2, "W2": 1}, {}])
    assert R.handoff_children(cand).tolist() == [1.0, 3.0, 0.0]


def test_new_children():
    cand = frame(worker_id=["W1", "W3"], n_children=[3, 3], current=[{"W1": 2, "W2": 1}, {"W1": 2, "W2": 1}])
    assert R.new_children(cand).tolist() == [1.0, 3.0]
