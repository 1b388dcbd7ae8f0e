"""Property-based tests of `workforce.allocation.model.allocate` on random small authorities.

Hypothesis draws typed `workers` / `cases` frames (as `contracts.load_workers` / `load_cases`
return them): 2-4 teams in two localities, 3-10 workers (ASYEs, agency, unavailable, team
managers, practice supervisors, skills, tight capacity overrides) and 5-30 children in families
of 1-4 (CP and court cases, current workers from any team, pinned children, required skills,
excluded workers, split families). Every mode is run and the result checked against the hard
rules, recomputed here from the inputs rather than read from the model's own bookkeeping:

* every case_id is in exactly one of `allocations` and `unallocated`;
* children that are not to be decided keep their worker: in `new` mode every child that has a
  worker, otherwise pinned children, except that in `leaver` mode a child pinned to a leaver is
  released (reported as `pinned_to_leaver`) and never stays with the leaver;
* a child decided now goes only to an eligible worker (team, or locality when no team is named;
  available; not a team manager; not leaving; not excluded; has every required skill of the
  family; an ASYE never holds a family with a CP or court child);
* siblings decided now share one worker, which is the worker holding their fixed siblings when
  there is one; a family not already split by fixed children is never split;
* a worker given new work ends within capacity: points and children at most the caps in `new`
  mode; at most the larger of the cap and what they held before when families may move
  (`rebalance`, `leaver`: see `rules.points_limit`);
* status is `optimal` or `feasible`, never infeasible; the same input gives the same output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from allocation_frames import PROPERTY_SETTINGS, authorities
from workforce.allocation.model import allocate
from workforce.caseload import CaseloadRules, family_child_points, worker_capacity, worker_max_children

TIME_LIMIT = 5.0  # seconds per solve: these problems solve in well under a second

# ------------------------------------------------------------------------------- the checks


def _tagset(value: str) -> frozenset[str]:
    return frozenset(t for t in str(value).split(";") if t)


def _fixed_mask(cases: pd.DataFrame, mode: str, leavers: set[str]) -> pd.Series:
    """Children whose worker is not to be decided now (the contract of each mode)."""
    has_current = cases["current_worker_id"] != ""
    if mode == "new":
        return has_current
    pinned = cases["pinned"] & has_current
    if mode == "leaver":
        pinned &= ~cases["current_worker_id"].isin(leavers)
    return pinned


def _child_points(cases: pd.DataFrame, held_by: pd.Series, workers: pd.DataFrame) -> pd.Series:
    """Each child's points with the worker holding it: sibling discount plus a travel point."""
    rules = CaseloadRules()
    pts = family_child_points(cases, rules)
    worker_loc = held_by.map(workers.set_index("worker_id")["locality"])
    return pts + (worker_loc.notna() & (worker_loc != cases["locality"])).astype(float) * rules.travel_points


def check_result(workers: pd.DataFrame, cases: pd.DataFrame, mode: str, leavers: set[str], result,
                 note=None) -> None:
    """Assert every hard rule; `note` records what an example exercised (hypothesis.event)."""
    note = note or event
    a, un = result.allocations, result.unallocated
    W = workers.set_index("worker_id")

    # nothing lost, nothing duplicated
    ids = list(a["case_id"]) + list(un["case_id"])
    assert sorted(ids) == sorted(cases["case_id"]), "every case_id exactly once across allocations + unallocated"
    assert set(a["worker_id"]) <= set(W.index)
    assert result.summary["status"] in ("optimal", "feasible")
    assert result.summary["unallocated"] == len(un)
    assert (un["reason"].astype(str).str.len() > 0).all(), "every unallocated child has a reason"

    final = cases["case_id"].map(a.set_index("case_id")["worker_id"]).astype(object).fillna("")
    fixed = _fixed_mask(cases, mode, leavers)

    # fixed children keep their worker
    kept = final[fixed] == cases.loc[fixed, "current_worker_id"]
    assert kept.all(), f"fixed children moved: {list(cases.loc[fixed[fixed].index[~kept.to_numpy()], 'case_id'])}"
    if mode == "leaver":
        released = cases["pinned"] & cases["current_worker_id"].isin(leavers)
        assert not final[released].isin(leavers).any(), "a child pinned to a leaver stayed with the leaver"
        assert set(cases.loc[released, "case_id"]) <= set(
            result.issues.loc[result.issues["issue"] == "pinned_to_leaver", "case_id"])
        assert not final.isin(leavers).any(), "a leaver still holds a child after leaver mode"
    # a pinned child whose worker is unavailable stays (a manager's decision), and it is reported
    stuck = fixed & cases["current_worker_id"].map(W["available"]).eq(False)
    assert set(cases.loc[stuck, "case_id"]) <= set(
        result.issues.loc[result.issues["issue"] == "unavailable_worker", "case_id"])

    # decided children: one worker per family, eligible under every hard rule
    decided = ~fixed
    for fam, kids in cases[decided].groupby("family_id"):
        workers_given = set(final[kids.index])
        assert len(workers_given) == 1, f"family {fam}: decided siblings split or partly unallocated {workers_given}"
        wid = workers_given.pop()
        fixed_workers = set(cases.loc[fixed & (cases["family_id"] == fam), "current_worker_id"])
        if wid == "":
            continue
        wk = W.loc[wid]
        if fixed_workers:
            assert wid in fixed_workers, f"family {fam}: joins {wid}, not its fixed siblings' worker {fixed_workers}"
        named_teams = set(kids["team"]) - {""}
        if named_teams:
            assert wk["team"] in named_teams, f"family {fam}: {wid} is outside teams {named_teams}"
        else:
            assert wk["locality"] in set(kids["locality"]), f"family {fam}: {wid} is outside its localities"
        assert bool(wk["available"]), f"family {fam}: unavailable worker {wid} got new work"
        assert wk["role"] != "team_manager", f"family {fam}: team manager {wid} got a case"
        assert wid not in leavers, f"family {fam}: leaver {wid} got a case"
        excluded = frozenset().union(*map(_tagset, kids["excluded_workers"]))
        assert wid not in excluded, f"family {fam}: excluded worker {wid}"
        required = frozenset().union(*map(_tagset, kids["required_skills"]))
        assert required <= _tagset(wk["skills"]), f"family {fam}: {wid} lacks {required - _tagset(wk['skills'])}"
        cp_or_court = bool(((kids["case_type"] == "cp") | kids["court"]).any())
        assert not (bool(wk["asye"]) and cp_or_court), f"family {fam}: ASYE {wid} holds a CP or court case alone"

    # a family not split by fixed children ends with at most one worker
    for fam, kids in cases.groupby("family_id"):
        fixed_workers = set(cases.loc[fixed & (cases["family_id"] == fam), "current_worker_id"])
        if len(fixed_workers) <= 1:
            held = set(final[kids.index]) - {""}
            assert len(held) <= 1, f"family {fam} split across {held}"

    # capacity: recomputed from the caseload rules, and the report agrees
    rules = CaseloadRules()
    cap_pts = pd.Series(worker_capacity(workers, rules).to_numpy(), index=W.index)
    cap_kids = pd.Series(worker_max_children(workers, rules).to_numpy(), index=W.index)
    after_pts = _child_points(cases, final.where(final != ""), workers).groupby(final).sum().reindex(W.index).fillna(0.0)
    after_kids = final[final != ""].value_counts().reindex(W.index).fillna(0)
    current = cases["current_worker_id"]
    before_pts = _child_points(cases, current.where(current != ""), workers).groupby(current).sum().reindex(W.index).fillna(0.0)
    before_kids = current[current != ""].value_counts().reindex(W.index).fillna(0)
    loads = result.worker_loads.set_index("worker_id")
    assert np.allclose(loads["points_after"].reindex(W.index), after_pts, atol=1e-3)
    assert (loads["children_after"].reindex(W.index) == after_kids).all()
    receiving = set(final[decided & (final != "")])
    for wid in receiving:
        if mode == "new":
            lim_pts, lim_kids = cap_pts[wid], cap_kids[wid]
        else:  # may keep an existing overload, never add to it
            lim_pts, lim_kids = max(cap_pts[wid], before_pts[wid]), max(cap_kids[wid], before_kids[wid])
        assert after_pts[wid] <= lim_pts + 1e-6, f"{wid}: {after_pts[wid]} points > limit {lim_pts}"
        assert after_kids[wid] <= lim_kids, f"{wid}: {after_kids[wid]} children > limit {lim_kids}"
        if after_pts[wid] >= 0.8 * lim_pts or after_kids[wid] == lim_kids:
            note("a worker given new work ends at or near a cap")
    # what the examples exercised (shown with --hypothesis-show-statistics)
    note(f"mode {mode}: {'some' if len(un) else 'no'} children unallocated")
    if (fixed & cases["pinned"]).any():
        note("pinned children")
    if mode == "leaver" and (cases["pinned"] & cases["current_worker_id"].isin(leavers)).any():
        note("a child pinned to a leaver")


def _run(workers, cases, mode, leavers, *, something_to_decide: bool = False):
    if something_to_decide:
        # "nothing to decide" has its own test below (test_nothing_to_decide_is_not_an_error)
        assume(not _fixed_mask(cases, mode, leavers).all())
    return allocate(workers, cases, mode=mode, leavers=tuple(sorted(leavers)), time_limit=TIME_LIMIT)


def _same(r1, r2) -> None:
    pd.testing.assert_frame_equal(r1.allocations, r2.allocations)
    pd.testing.assert_frame_equal(r1.unallocated, r2.unallocated)


@pytest.mark.parametrize("mode", ["new", "rebalance"])
@PROPERTY_SETTINGS
@given(authority=authorities())
def test_allocation_respects_every_hard_rule(mode, authority):
    workers, cases = authority
    result = _run(workers, cases, mode, set(), something_to_decide=True)
    check_result(workers, cases, mode, set(), result)


@PROPERTY_SETTINGS
@given(authority=authorities(), data=st.data())
def test_leaver_mode_respects_every_hard_rule(authority, data):
    workers, cases = authority
    leavers = set(data.draw(st.sets(st.sampled_from(list(workers["worker_id"])), min_size=1, max_size=2)))
    result = _run(workers, cases, "leaver", leavers, something_to_decide=True)
    check_result(workers, cases, "leaver", leavers, result)


@settings(PROPERTY_SETTINGS, max_examples=8)
@given(authority=authorities(), mode=st.sampled_from(["new", "rebalance", "leaver"]), data=st.data())
def test_same_input_same_allocation(authority, mode, data):
    workers, cases = authority
    leavers = set(data.draw(st.sets(st.sampled_from(list(workers["worker_id"])), min_size=1, max_size=1))) \
        if mode == "leaver" else set()
    first = _run(workers, cases, mode, leavers, something_to_decide=True)
    second = _run(workers.copy(), cases.copy(), mode, leavers)
    _same(first, second)


@pytest.mark.parametrize("mode", ["new", "rebalance", "leaver"])
def test_nothing_to_decide_is_not_an_error(mode):
    """Every child already has a worker (new mode) or is pinned: nothing to decide, and the
    result says so instead of failing."""
    workers, cases = _fixed_example()
    cases["current_worker_id"] = "W0"
    cases["pinned"] = True
    leavers = {"W1"} if mode == "leaver" else set()
    result = _run(workers, cases, mode, leavers)
    check_result(workers, cases, mode, leavers, result, note=lambda _: None)  # not a hypothesis test
    assert set(result.allocations["case_id"]) | set(result.unallocated["case_id"]) == set(cases["case_id"])


def test_inputs_are_not_modified():
    """allocate() must not change the caller's frames (pandas copy-on-write aside)."""
    workers, cases = _fixed_example()
    w0, c0 = workers.copy(), cases.copy()
    _run(workers, cases, "rebalance", set())
    pd.testing.assert_frame_equal(workers, w0)
    pd.testing.assert_frame_equal(cases, c0)


def _fixed_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    workers = pd.DataFrame([
        dict(worker_id="W0", team="T0", locality="North", role="case_holder", asye=False, agency=False, fte=1.0,
             start_date=pd.Timestamp("2020-01-01"), skills="cp;court", available=True,
             capacity_points=math.nan, max_children=math.nan),
        dict(worker_id="W1", team="T0", locality="North", role="case_holder", asye=True, agency=False, fte=1.0,
             start_date=pd.Timestamp("2020-01-01"), skills="", available=True,
             capacity_points=math.nan, max_children=math.nan),
    ])
    cases = pd.DataFrame([
        dict(case_id="C1", family_id="F1", case_type="cp", court=False, locality="North", team="T0",
             current_worker_id="W1", allocated_since=pd.Timestamp("2024-01-01"), workers_12m=1,
             required_skills="", pinned=False, excluded_workers="", priority=1),
        dict(case_id="C2", family_id="F1", case_type="cin", court=False, locality="North", team="T0",
             current_worker_id="", allocated_since=pd.NaT, workers_12m=0,
             required_skills="", pinned=False, excluded_workers="", priority=3),
    ])
    return workers, cases
