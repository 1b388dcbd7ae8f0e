"""End to end through the MIP: the rules and terms at work together in `allocate`, one case where
each binds and one where it does not (each rule alone is tested without a solver in
`test_allocation_rules.py`)."""

from __future__ import annotations

import pandas as pd
import pytest

from allocation_frames import case, cases_frame, worker, workers_frame
from workforce.allocation import AllocationConfig, allocate
from workforce.errors import InputError


def placed(result, case_id: str) -> str:
    a = result.allocations.set_index("case_id")["worker_id"]
    return a.get(case_id, "")


def run(workers, cases, **kw):
    kw.setdefault("mode", "new")
    return allocate(workers_frame(*workers), cases_frame(*cases), time_limit=20, **kw)


# ---- hard rules ---------------------------------------------------------------------------

def test_blank_team_uses_locality_binds_and_not():
    r = run([worker("W1", team="A", locality="North"), worker("W2", team="B", locality="South")],
            [case("C1", team="", locality="South")])
    assert placed(r, "C1") == "W2"
    r = run([worker("W1", team="A", locality="North")], [case("C1", team="", locality="East")])
    assert placed(r, "C1") == "" and "nobody works in locality East" in r.unallocated["reason"].iloc[0]


def test_unallocated_reason_names_the_rule_that_excluded_each_worker():
    ws = [worker("W1", available=False), worker("TM", role="team_manager"), worker("N1", asye=True),
          worker("W2", skills=""), worker("W3")]
    r = run(ws, [case("C1", case_type="cp", required="court", excluded="W3")])
    reason = r.unallocated.set_index("case_id").at["C1", "reason"]
    assert placed(r, "C1") == ""
    for words in ("W1 is not available", "TM is a team manager", "N1 is an ASYE", "W2 lacks a required skill",
                  "W3 is excluded"):
        assert words in reason
    r = run([*ws[:4], worker("W3", skills="court")], [case("C1", case_type="cp", required="court")])
    assert placed(r, "C1") == "W3"  # the one worker no rule excludes


def test_asye_protected_capacity_and_child_cap():
    # an ASYE's capacity is 90% of 85 points and at most 12 children
    many = [case(f"C{i}", case_type="care_leaver") for i in range(14)]  # 3 points each
    r = run([worker("N1", asye=True)], many)
    loads = r.worker_loads.set_index("worker_id").loc["N1"]
    assert loads["children_after"] == 12 and loads["capacity_points"] == pytest.approx(76.5)
    r = run([worker("W1", asye=False)], many)
    assert r.worker_loads.set_index("worker_id").loc["W1", "children_after"] == 14


def test_leaver_must_hand_over_and_others_stay():
    ws = [worker("W1"), worker("W2"), worker("W3")]
    cs = [case("C1", current="W1"), case("C2", current="W2"), case("C3", current="W3")]
    r = run(ws, cs, mode="leaver", leavers=("W1",))
    assert placed(r, "C1") in {"W2", "W3"}
    assert placed(r, "C2") == "W2" and placed(r, "C3") == "W3"
    assert r.summary["handoffs"] == 1


def test_unknown_leaver_is_an_input_error():
    with pytest.raises(InputError, match="W9"):
        run([worker("W1")], [case("C1")], mode="leaver", leavers=("W9",))


def test_capacity_points_binds_and_not():
    ws = [worker("W1", capacity_points=10.0)]
    r = run(ws, [case("C1", case_type="cp"), case("C2", case_type="cp")])  # 7 points each
    assert sorted(r.allocations["case_id"]) in (["C1"], ["C2"])
    assert "points short" in r.unallocated["reason"].iloc[0]
    assert r.unallocated["shortfall_points"].iloc[0] == pytest.approx(4.0)  # 7 points needed, 3 free
    r = run([worker("W1", capacity_points=14.0)], [case("C1", case_type="cp"), case("C2", case_type="cp")])
    assert len(r.allocations) == 2


def test_pinned_child_keeps_worker_even_when_moving_pays():
    ws = [worker("W1", capacity_points=10.0), worker("W2")]
    # W1 is over capacity: rebalancing would move C1 unless pinned
    cs = [case("C1", case_type="cla_complex", current="W1", pinned=True), case("C2", case_type="cla_complex", current="W1")]
    r = run(ws, cs, mode="rebalance")
    assert placed(r, "C1") == "W1" and placed(r, "C2") == "W2"
    cs[0]["pinned"] = False
    r = run(ws, cs, mode="rebalance")
    assert r.summary["handoffs"] >= 1  # without the pin, work moves off the over-capacity worker
    assert placed(r, "C1") == "W2" or placed(r, "C2") == "W2"


# ---- objective terms ------------------------------------------------------------------------

def test_continuity_keeps_child_and_yields_to_overload():
    ws = [worker("W1"), worker("W2")]
    r = run(ws, [case("C1", current="W1")], mode="rebalance")
    assert placed(r, "C1") == "W1" and r.summary["handoffs"] == 0
    # a worker far above capacity: moving pays more than continuity costs
    r = run([worker("W1", capacity_points=5.0), worker("W2")],
            [case("C1", current="W1", case_type="cla_complex"), case("C2", current="W1", case_type="cla_complex")],
            mode="rebalance")
    assert r.summary["handoffs"] >= 1


def test_continuity_repeat_cost_protects_children_with_many_changes():
    # room for one of two children to move; the one with 3 workers in 12 months stays
    ws = [worker("W1", capacity_points=8.0), worker("W2")]
    cs = [case("C1", current="W1", case_type="cla_complex", workers_12m=3),
          case("C2", current="W1", case_type="cla_complex", workers_12m=1)]
    r = run(ws, cs, mode="rebalance")
    assert placed(r, "C1") == "W1" and placed(r, "C2") == "W2"
    cs[0]["workers_12m"], cs[1]["workers_12m"] = 1, 3
    r = run(ws, cs, mode="rebalance")
    assert placed(r, "C2") == "W1" and placed(r, "C1") == "W2"


def test_travel_prefers_local_worker_unless_full():
    ws = [worker("W1", locality="North"), worker("W2", locality="South")]
    assert placed(run(ws, [case("C1", locality="South")]), "C1") == "W2"
    ws[1]["capacity_points"] = 2.0
    r = run(ws, [case("C1", locality="South")])
    assert placed(r, "C1") == "W1"
    assert r.allocations["points"].iloc[0] == pytest.approx(4.0 + 1.0)  # travel point added


def test_load_balance_outweighs_travel_only_above_the_safe_level():
    # every child lives in the North: travel keeps them with W1 until W1's load passes the
    # first breakpoint, then load balance sends the rest to W2 in the South
    ws = [worker("W1", locality="North", capacity_points=100.0), worker("W2", locality="South", capacity_points=100.0)]
    no_top = AllocationConfig(highest_utilisation_cost=0.0)
    few = [case(f"C{i}", case_type="cla_complex", locality="North") for i in range(4)]  # 32 points
    r = run(ws, few, config=no_top)
    assert set(r.allocations["worker_id"]) == {"W1"} and r.summary["terms"]["load_balance"] == 0
    many = [case(f"C{i}", case_type="cla_complex", locality="North") for i in range(12)]  # 96 points: W1 could hold them
    r = run(ws, many, config=no_top)
    loads = r.worker_loads.set_index("worker_id")["points_after"]
    assert loads["W2"] > 0 and loads["W1"] <= 0.85 * 100.0  # W1 down to the first breakpoint, no further


def test_highest_utilisation_term_evens_out_the_top():
    # two CP children in the North, far below the safe level: only the top-utilisation term can
    # outweigh the travel cost of sending one to W2 in the South
    ws = [worker("W1", locality="North"), worker("W2", locality="South")]
    cs = [case("C1", case_type="cp", locality="North"), case("C2", case_type="cp", locality="North")]
    r = run(ws, cs)
    assert placed(r, "C1") != placed(r, "C2") and r.summary["terms"]["travel"] > 0
    r = run(ws, cs, config=AllocationConfig(highest_utilisation_cost=0.0))
    assert placed(r, "C1") == placed(r, "C2") == "W1" and r.summary["terms"]["travel"] == 0


def test_risk_aware_load_prefers_worker_less_likely_to_leave():
    ws = [worker("W1"), worker("W2")]
    risk = pd.DataFrame({"worker_id": ["W1", "W2"], "p_leave": [0.9, 0.1]})
    r = run(ws, [case("C1")], risk=risk)
    assert placed(r, "C1") == "W2" and r.summary["terms"]["risk"] > 0
    r = run(ws, [case("C1")])
    assert r.summary["terms"]["risk"] == 0


def test_unallocated_cost_by_priority_places_cp_first():
    ws = [worker("W1", capacity_points=8.0)]
    r = run(ws, [case("C1", case_type="cin"), case("C2", case_type="cp")])
    assert placed(r, "C2") == "W1" and placed(r, "C1") == ""
    r = run([worker("W1", capacity_points=20.0)], [case("C1", case_type="cin"), case("C2", case_type="cp")])
    assert len(r.unallocated) == 0
