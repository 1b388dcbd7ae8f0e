"""Why a worker is left above a hard cap (`checks.relief_check`): each reason of
`checks.OVER_CAP_RULES` called directly on a tiny facts frame, where it binds and where it does
not; the facts (`checks.relief_facts`) and the words (`checks.relief_detail`) on tiny problems
with the current allocation kept (no solver); and, once, through `allocate`, the summary's
counts by reason against ``worker_loads``."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

from allocation_frames import case, cases_frame, worker, workers_frame
from workforce.allocation import AllocationConfig, allocate
from workforce.allocation import checks as C
from workforce.allocation.build import build_problem
from workforce.allocation.explain import OVER_CAP_WORDS


def facts(**columns) -> pd.DataFrame:
    """Facts rows (`checks.FACT_COLUMNS`) for workers W1.., a worker above the hard cap on children
    with one family and one eligible move unless the columns say otherwise."""
    n = len(next(iter(columns.values()))) if columns else 1
    base = dict(over_points=False, over_children=True, over_complex=False, families=1, moves=1, fit_unit="",
                fit_to="", short_points=-10.0, short_children=-1.0, short_complex=-1.0, split_unit="")
    rows = {k: columns.get(k, [v] * n) for k, v in base.items()}
    return pd.DataFrame(rows, index=pd.Index([f"W{i + 1}" for i in range(n)], name="worker_id"))


def verdict(rule, f: pd.DataFrame) -> list[bool]:
    out = rule(f)
    assert isinstance(out, pd.Series) and out.dtype == bool and out.index.equals(f.index)
    return out.tolist()


# ---- the reasons, one predicate each, on a facts frame ----------------------------------------------

def test_reasons_are_named_functions_on_the_facts_frame():
    for name, rule in C.OVER_CAP_RULES:
        assert getattr(C, rule.__name__) is rule and name in OVER_CAP_WORDS
        assert list(inspect.signature(rule).parameters) == ["facts"]
        assert inspect.getdoc(rule)  # the domain reason
    assert "no_room" in OVER_CAP_WORDS


def test_everything_pinned():
    assert verdict(C.everything_pinned, facts(families=[0, 2])) == [True, False]


def test_no_eligible_colleague():
    assert verdict(C.no_eligible_colleague, facts(moves=[0, 3])) == [True, False]


def test_colleague_has_room():
    assert verdict(C.colleague_has_room, facts(fit_to=["W9", ""], fit_unit=["F1", ""])) == [True, False]


def test_reach_over_capacity_binds_on_a_cap_the_worker_is_above():
    f = facts(over_points=[False, False, True], over_children=[True, True, False],
              short_children=[2.0, 0.0, 5.0], short_points=[-3.0, -3.0, -3.0])
    # short on children and above it; not short; short on children but above points only
    assert verdict(C.reach_over_capacity, f) == [True, False, False]


def test_sibling_group_too_large():
    assert verdict(C.sibling_group_too_large, facts(split_unit=["F1", ""])) == [True, False]


def test_the_first_reason_that_binds_is_the_reason():
    f = facts(families=[0, 2, 2, 2, 2, 2], moves=[0, 0, 4, 4, 4, 4], fit_to=["", "", "W9", "", "", ""],
              short_children=[3.0, 3.0, 3.0, 3.0, -1.0, -1.0], split_unit=["F1", "F1", "F1", "F1", "F1", ""])
    assert C.over_cap_reason(f).tolist() == ["pinned", "no_eligible_worker", "relievable", "reach_over_capacity",
                                             "sibling_group_too_large", "no_room"]


# ---- the facts and words on tiny problems (the current allocation kept, no solver) -------------------

def check(ws, cs, **config):
    p = build_problem(workers_frame(*ws), cases_frame(*cs), mode="rebalance", config=AllocationConfig(**config))
    assignment = p.current_unit_worker
    return p, C.relief_facts(p, assignment), C.relief_check(p, assignment).set_index("worker_id")


def _team_a_full(team_b_locality="North", team_b_children=0, reach="team"):
    """Team A: W1 (hard cap 3) holds 5 children, W2 (cap 3) holds 3; team B: W3 (cap 3)."""
    ws = [worker("W1", max_children=3.0), worker("W2", max_children=3.0),
          worker("W3", team="B", locality=team_b_locality, max_children=3.0)]
    cs = [case(f"A{i}", current="W1") for i in range(5)] + [case(f"B{i}", current="W2") for i in range(3)]
    cs += [case(f"C{i}", team="B", locality=team_b_locality, current="W3") for i in range(team_b_children)]
    return check(ws, cs, reach=reach)


def test_team_short_says_by_how_much_and_which_teams_of_the_locality_have_room():
    p, f, r = _team_a_full()
    team_a = p.workers.index[p.workers["team"] == "A"]
    held = float((p.cases["current_worker_id"].isin(team_a)).sum())
    caps = float(p.workers.loc[team_a, "max_children"].sum())
    assert held > caps
    assert list(r.index) == ["W1"] and r.at["W1", "reason"] == "reach_over_capacity"
    assert f.at["W1", "short_children"] == held - caps
    assert f.at["W1", "outside_teams"] == ("B",)
    detail = r.at["W1", "detail"]
    assert f"{held - caps:g} over" in detail and "team A" in detail
    assert "B (" in detail and 'policy.reach = "locality"' in detail


def test_no_setting_is_named_when_no_team_of_the_locality_has_room():
    for p, f, r in (_team_a_full(team_b_locality="South"), _team_a_full(team_b_children=3)):
        assert r.at["W1", "reason"] == "reach_over_capacity" and f.at["W1", "outside_teams"] == ()
        assert "no other team of the same locality has room" in r.at["W1", "detail"]
        assert "policy.reach" not in r.at["W1", "detail"]


def test_a_team_with_room_on_points_only_is_shown_but_no_setting_is_named():
    # team A short of points and children (W2 within their caps, with room for less than a child);
    # team B (W3) has points to spare but holds a child above its hard cap
    ws = [worker("W1", capacity_points=10.0, max_children=3.0), worker("W2", capacity_points=10.0, max_children=3.0),
          worker("W3", team="B", max_children=2.0)]
    cs = [case(f"A{i}", current="W1") for i in range(5)] + [case(f"B{i}", current="W2") for i in range(2)]
    cs += [case(f"C{i}", team="B", current="W3") for i in range(3)]
    _, f, r = check(ws, cs)
    assert r.at["W1", "reason"] == "reach_over_capacity"
    assert f.at["W1", "short_points"] > 0 and f.at["W1", "short_children"] > 0
    assert f.at["W1", "outside_teams"] == ("B",)
    assert "1 child above its caps" in r.at["W1", "detail"] and "policy.reach" not in r.at["W1", "detail"]


def test_with_locality_reach_the_shortfall_is_the_localitys():
    p, f, r = _team_a_full(team_b_children=3, reach="locality")
    assert r.at["W1", "reason"] == "reach_over_capacity"
    assert f.at["W1", "reach_teams"] == ("A", "B")
    assert f.at["W1", "reach_cap_children"] == p.workers["max_children"].sum()
    assert "teams A, B" in r.at["W1", "detail"] and "policy.reach" not in r.at["W1", "detail"]


def test_team_with_room_relieves_rather_than_blames_the_team():
    # W2's hard cap raised: team A is no longer short and W2 has room for one of W1's children
    ws = [worker("W1", max_children=3.0), worker("W2", max_children=6.0)]
    cs = [case(f"A{i}", current="W1") for i in range(5)] + [case(f"B{i}", current="W2") for i in range(3)]
    _, f, r = check(ws, cs)
    assert f.at["W1", "short_children"] < 0
    assert r.at["W1", "reason"] == "relievable" and r.at["W1", "to_worker"] == "W2"


def _two_families(w3_children):
    """W1 (cap 4) holds a family of 3 and one of 2; W2 (cap 4) holds 3 children, W3 (cap 4) holds
    `w3_children`."""
    ws = [worker(w, max_children=4.0) for w in ("W1", "W2", "W3")]
    cs = [case(f"F{i}", "F", current="W1") for i in range(3)] + [case(f"G{i}", "G", current="W1") for i in range(2)]
    cs += [case(f"B{i}", current="W2") for i in range(3)] + [case(f"C{i}", current="W3") for i in range(w3_children)]
    return check(ws, cs)


def test_sibling_group_too_large_when_colleagues_could_take_the_children_between_them():
    p, f, r = _two_families(w3_children=3)  # W2 and W3 have room for one child each
    assert f.at["W1", "short_children"] < 0 and f.at["W1", "fit_to"] == ""
    assert r.at["W1", "reason"] == "sibling_group_too_large"
    assert p.units.at[f.at["W1", "split_unit"], "family_id"] == "G"  # the family of 3 does not fit even split
    assert f.at["W1", "split_most"] == 1
    assert "family G (2 children)" in r.at["W1", "detail"]


def test_no_room_when_the_room_is_smaller_than_any_family_even_split():
    p, f, r = _two_families(w3_children=4)  # only W2 has room, for one child
    assert f.at["W1", "short_children"] <= 0 and f.at["W1", "split_unit"] == ""
    assert r.at["W1", "reason"] == "no_room"
    # the nearest move: the family of 2 to W2, who has room for one child
    assert p.units.at[f.at["W1", "near_unit"], "family_id"] == "G" and f.at["W1", "near_to"] == "W2"
    assert f.at["W1", "near_children"] == 2 and f.at["W1", "near_room_children"] == 1
    assert "family G (" in r.at["W1", "detail"] and "W2 has room for" in r.at["W1", "detail"]


def _no_room_with_team_b(w4_children=4.0, locality="North", team_types=None):
    """`_two_families(w3_children=4)` (W1 left over a cap with no room in team A) and W4 of team
    B, empty, hard cap `w4_children`; with `team_types` (A's, B's), each team's type."""
    ws = [worker(w, max_children=4.0) for w in ("W1", "W2", "W3")] + [
        worker("W4", team="B", locality=locality, max_children=w4_children)]
    if team_types:
        ws = [{**w, "team_type": team_types[w["team"] == "B"]} for w in ws]
    cs = [case(f"F{i}", "F", current="W1") for i in range(3)] + [case(f"G{i}", "G", current="W1") for i in range(2)]
    cs += [case(f"B{i}", current="W2") for i in range(3)] + [case(f"C{i}", current="W3") for i in range(4)]
    return check(ws, cs)


def test_no_room_names_a_team_of_the_locality_with_an_eligible_worker_with_room():
    """A worker left over a cap because nobody in their team has room for any of their families
    is told, like the other reasons, of a team of the same locality doing the same work whose
    eligible worker has room for one of them, and of the setting that would let it move."""
    p, f, r = _no_room_with_team_b()
    assert r.at["W1", "reason"] == "no_room"
    # W4 (hard cap 4) takes the family of 3 first (F before G); the family of 2 no longer fits
    assert f.at["W1", "locality_takers"] == {"B": (p.units.index[p.units["family_id"] == "F"][0],)}
    detail = r.at["W1", "detail"]
    assert "W2 has room for" in detail  # the numbers are still there
    assert "their families each team could take at once: B: 1" in detail and "--reach locality" in detail
    p, f, r = _no_room_with_team_b(team_types=("safeguarding", "safeguarding"))
    assert "--reach locality" in r.at["W1", "detail"] and "to the safeguarding teams" in r.at["W1", "detail"]


@pytest.mark.parametrize("setup", [dict(locality="South"), dict(w4_children=1.0),
                                   dict(team_types=("safeguarding", "assessment"))])
def test_no_room_names_no_setting_where_no_team_of_the_locality_doing_the_work_has_room(setup):
    """Team B in another locality, or B's worker with room for neither family: nothing is said;
    B doing other work: its room is said, but moving families there is not advised."""
    _, f, r = _no_room_with_team_b(**setup)
    assert r.at["W1", "reason"] == "no_room" and "--reach" not in r.at["W1", "detail"]
    if "team_types" in setup:
        assert "none of them is a safeguarding team, so moving families there is not advised" in r.at["W1", "detail"]
    else:
        assert f.at["W1", "locality_takers"] == {} and "other teams of locality" not in r.at["W1", "detail"]


def test_pinned_and_no_eligible_worker():
    ws = [worker("W1", max_children=2.0, skills="cp"), worker("W2")]
    cs = [case(f"P{i}", current="W1", pinned=True) for i in range(3)]
    _, _, r = check(ws, cs)
    assert r.at["W1", "reason"] == "pinned"
    cs = [case(f"S{i}", current="W1", required="cp") for i in range(3)]  # only W1 has the skill
    _, f, r = check(ws, cs)
    assert f.at["W1", "moves"] == 0 and r.at["W1", "reason"] == "no_eligible_worker"


# ---- through the allocation: the reason in worker_loads and the summary agree -----------------------

def test_worker_loads_reason_and_summary_counts_agree():
    ws = [worker("W1", max_children=3.0), worker("W2", max_children=3.0), worker("W3", team="B", max_children=3.0)]
    cs = [case(f"A{i}", current="W1") for i in range(5)] + [case(f"B{i}", current="W2") for i in range(3)]
    r = allocate(workers_frame(*ws), cases_frame(*cs), mode="rebalance", time_limit=10)
    wl = r.worker_loads.set_index("worker_id")
    left = r.summary["workers_left_over_a_cap"]
    assert left == {"reach_over_capacity": 1}
    for code, n in left.items():
        assert wl["over_cap_reason"].astype(str).str.startswith(OVER_CAP_WORDS[code] + ": ").sum() == n
    assert "B (" in wl.at["W1", "over_cap_reason"]
    assert (wl.drop(index="W1")["over_cap_reason"] == "").all()


@pytest.mark.parametrize("reach", ["team", "locality"])
def test_relief_check_leaves_nobody_relievable_after_allocate(reach):
    ws = [worker("W1", max_children=3.0), worker("W2", max_children=3.0), worker("W3", team="B", max_children=3.0)]
    cs = [case(f"A{i}", current="W1") for i in range(5)] + [case(f"B{i}", current="W2") for i in range(3)]
    r = allocate(workers_frame(*ws), cases_frame(*cs), mode="rebalance", time_limit=10,
                 config=AllocationConfig(reach=reach))
    relief = C.relief_check(r.problem, r.assignment)
    assert not relief["relievable"].any()
    if reach == "locality":  # team B takes what team A has no room for
        assert not len(relief)


def test_the_setting_is_named_only_for_a_team_that_does_the_same_work():
    """Team B has room, but moving team A's families there helps only if B does A's work: with team
    types given, the setting is named for a team of A's type, and advised against for another."""
    def typed(kind_b):
        ws = [{**worker("W1", max_children=3.0), "team_type": "safeguarding"},
              {**worker("W2", max_children=3.0), "team_type": "safeguarding"},
              {**worker("W3", team="B", max_children=3.0), "team_type": kind_b}]
        cs = [case(f"A{i}", current="W1") for i in range(5)] + [case(f"B{i}", current="W2") for i in range(3)]
        return check(ws, cs)

    _, f, r = typed("safeguarding")
    assert f.at["W1", "outside_teams"] == ("B",)
    assert 'policy.reach = "locality"' in r.at["W1", "detail"] and "to the safeguarding teams" in r.at["W1", "detail"]
    _, f, r = typed("assessment")
    assert f.at["W1", "outside_teams"] == ("B",) and "B (" in r.at["W1", "detail"]  # still shown, with its room
    assert "policy.reach" not in r.at["W1", "detail"] and "none of them is a safeguarding team" in r.at["W1", "detail"]


# ---- room in the teams reach "locality" would add (with reach "team") -------------------------------

def _waiting_in_team_a(reach="team"):
    """Team A's only case holder is full; three families wait there: a CP child and two children in
    need. Team B (same locality) has an ASYE with room for one child, and team C (another
    locality) has room for everyone."""
    ws = [worker("W1", max_children=1.0), worker("W3", team="B", asye=True, max_children=1.0),
          worker("W5", team="C", locality="South")]
    cs = [case("H1", current="W1"), case("P1", case_type="cp"), case("N1"), case("N2")]
    return allocate(workers_frame(*ws), cases_frame(*cs), mode="new", time_limit=10,
                    config=AllocationConfig(reach=reach))


def test_waiting_families_name_the_team_of_the_locality_that_could_take_them():
    r = _waiting_in_team_a()
    reason = r.unallocated.set_index("case_id")["reason"]
    assert set(reason.index) == {"P1", "N1", "N2"}
    # the ASYE may not hold a CP case alone: no room is claimed for the CP family
    assert "other teams of locality" not in reason["P1"]
    for cid in ("N1", "N2"):
        assert "eligible workers of other teams of locality North have room" in reason[cid]
        # the ASYE has room for one child: B could take one of the two families at once, not both
        assert "waiting families each team could take at once: B: 1" in reason[cid]
        assert "--reach locality" in reason[cid]
        assert "C " not in reason[cid]  # another locality is never offered
    assert r.summary["waiting_families_other_teams_could_take"] == {"B": 1}
    assert r.summary["other_teams_doing_other_work"] == []
    expl = r.explanations.set_index("case_id")
    assert "--reach locality" in expl.at["N1", "reason"]


def test_with_locality_reach_nothing_is_suggested():
    r = _waiting_in_team_a(reach="locality")
    assert r.summary["waiting_families_other_teams_could_take"] == {}
    assert not r.unallocated["reason"].str.contains("--reach locality").any()


def test_locality_takers_respect_eligibility_and_shrinking_room():
    ws = [worker("W1", max_children=1.0), worker("W3", team="B", asye=True, max_children=2.0),
          worker("W4", team="B", max_children=1.0)]
    cs = [case("H1", current="W1"), case("P1", case_type="cp"), case("N1"), case("N2"), case("N3")]
    p = build_problem(workers_frame(*ws), cases_frame(*cs), mode="new", config=AllocationConfig())
    assignment = pd.Series("", index=p.units.index, dtype=object)
    room = C.room_left(p, C.assignment_loads(p, assignment))
    pairs = C.locality_reach_room(p, room, list(p.units.index))
    # W3 (ASYE) is never a taker of the CP family; W4 is
    assert set(pairs.loc[pairs["unit"] == "FP1", "worker_id"]) == {"W4"}
    takers = C.locality_takers(p, room, list(p.units.index))
    # 3 children of room in B: the CP family first (priority 1) to W4, then two of the three others to W3
    assert takers == {"B": ("FP1", "FN1", "FN2")}


def test_no_eligible_worker_names_a_team_of_the_locality_with_an_eligible_worker_with_room():
    ws = [worker("W1", max_children=2.0, skills="cp"), worker("W2"), worker("W3", team="B", skills="cp")]
    cs = [case(f"S{i}", current="W1", required="cp") for i in range(3)]  # only W1 in team A has the skill
    _, f, r = check(ws, cs)
    assert r.at["W1", "reason"] == "no_eligible_worker"
    assert f.at["W1", "locality_takers"] == {"B": ("FS0", "FS1", "FS2")}
    assert "their families each team could take at once: B: 3" in r.at["W1", "detail"]
    assert "--reach locality" in r.at["W1", "detail"]
    _, f, r = check([*ws[:2], worker("W3", team="B")], cs)  # B's worker lacks the skill: nothing to say
    assert f.at["W1", "locality_takers"] == {} and "--reach" not in r.at["W1", "detail"]


def test_waiting_families_are_not_advised_to_a_team_that_does_other_work():
    ws = [{**worker("W1", max_children=1.0), "team_type": "safeguarding"},
          {**worker("W3", team="B", max_children=1.0), "team_type": "assessment"}]
    cs = [case("H1", current="W1"), case("N1")]
    r = allocate(workers_frame(*ws), cases_frame(*cs), mode="new", time_limit=10)
    reason = r.unallocated.set_index("case_id").at["N1", "reason"]
    assert "none of them is a safeguarding team, so moving families there is not advised" in reason
    assert "--reach" not in reason
    assert r.summary["waiting_families_other_teams_could_take"] == {"B": 1}
    assert r.summary["other_teams_doing_other_work"] == ["B"]
