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
* a worker given a child they did not hold ends within every cap of the one capacity model
  (points, hard cap on children, cap on complex children: `caseload.worker_caps`), and a worker
  above any cap before the run gains no child at all (issue 17.1);
* every child held by an available worker who is not leaving is still held by them, or is a
  change listed with a reason; by default (no make-room option) never left without a worker;
* no worker is left above a cap while a colleague in reach has room for one of their families
  (`checks.relief_check`); no priority-1 child waits while an eligible worker has room or holds a
  lower-priority family that could move (`checks.priority_check`);
* status is `optimal` or `feasible`, never infeasible; the same input gives byte-identical
  outputs; every child's explanation agrees with allocations.csv.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from allocation_frames import PROPERTY_SETTINGS, authorities
from workforce.allocation import checks as C
from workforce.allocation.config import AllocationConfig
from workforce.allocation.explain import explanation_text
from workforce.allocation.model import allocate
from workforce.caseload import CaseloadRules, family_child_points, is_complex, worker_caps
from workforce.pipeline import ALLOCATION_CSVS, _write_csv

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


def _decision_groups(cases: pd.DataFrame, decided: pd.Series, keeps: pd.Series) -> pd.Series:
    """The children decided together: a family's decided children, or, for a family whose
    decided children are held by two or more workers who stay, each worker's part (the family's
    other children join the largest part; ties to the lowest worker ID)."""
    keeper = cases["current_worker_id"].where(keeps & decided, "")
    group = cases["family_id"].copy()
    for fam, kids in cases[decided].groupby("family_id"):
        parts = keeper[kids.index][keeper[kids.index] != ""].value_counts()
        if len(parts) < 2:
            continue
        main = sorted(parts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        group[kids.index] = fam + "@" + keeper[kids.index].where(keeper[kids.index] != "", main)
    return group


def check_result(workers: pd.DataFrame, cases: pd.DataFrame, mode: str, leavers: set[str], result,
                 note=None, make_room: bool = False, reach: str = "team") -> None:
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

    # a child given a worker they did not have: eligible under every hard rule
    decided = ~fixed
    current = cases["current_worker_id"]
    team_locality = W.drop_duplicates("team").set_index("team")["locality"]
    group = _decision_groups(cases, decided, current.map(W["available"]).eq(True) & ~current.isin(leavers))
    for fam, kids in cases[decided & (final != "") & (final != current)].groupby(group):
        fam_kids = cases[decided & (group == fam)]
        for wid in set(final[kids.index]):
            wk = W.loc[wid]
            fixed_workers = set(cases.loc[fixed & (cases["family_id"] == fam), "current_worker_id"])
            if fixed_workers:
                assert wid in fixed_workers, f"family {fam}: joins {wid}, not its fixed siblings' worker {fixed_workers}"
            named_teams = set(fam_kids["team"]) - {""}
            if named_teams and reach == "team":
                assert wk["team"] in named_teams, f"family {fam}: {wid} is outside teams {named_teams}"
            elif named_teams:
                assert wk["locality"] in set(team_locality.reindex(list(named_teams)).dropna()), \
                    f"family {fam}: {wid} is outside the localities of teams {named_teams}"
            else:
                assert wk["locality"] in set(fam_kids["locality"]), f"family {fam}: {wid} is outside its localities"
            assert bool(wk["available"]), f"family {fam}: unavailable worker {wid} got new work"
            assert wk["role"] != "team_manager", f"family {fam}: team manager {wid} got a case"
            assert wid not in leavers, f"family {fam}: leaver {wid} got a case"
            excluded = frozenset().union(*map(_tagset, fam_kids["excluded_workers"]))
            assert wid not in excluded, f"family {fam}: excluded worker {wid}"
            required = frozenset().union(*map(_tagset, fam_kids["required_skills"]))
            assert required <= _tagset(wk["skills"]), f"family {fam}: {wid} lacks {required - _tagset(wk['skills'])}"
            cp_or_court = bool(((fam_kids["case_type"] == "cp") | fam_kids["court"]).any())
            assert not (bool(wk["asye"]) and cp_or_court), f"family {fam}: ASYE {wid} holds a CP or court case alone"

    # siblings together: a family not split now (by fixed children, or held by two available
    # workers who stay) ends with at most one worker
    keeps = current.map(W["available"]).eq(True) & ~current.isin(leavers) & decided
    for fam, kids in cases.groupby("family_id"):
        fixed_workers = set(cases.loc[fixed & (cases["family_id"] == fam), "current_worker_id"])
        keepers = set(current[kids.index][keeps[kids.index]])
        if len(fixed_workers) <= 1 and len(keepers) <= 1 and not (fixed_workers and keepers - fixed_workers):
            held = set(final[kids.index]) - {""}
            assert len(held) <= 1, f"family {fam} split across {held}"

    # capacity: recomputed from the one capacity model, and the report agrees
    caps = worker_caps(workers, CaseloadRules()).set_index(W.index)
    after_pts = _child_points(cases, final.where(final != ""), workers).groupby(final).sum().reindex(W.index).fillna(0.0)
    after_kids = final[final != ""].value_counts().reindex(W.index).fillna(0)
    cx = is_complex(cases)
    after_cx = final[(final != "") & cx].value_counts().reindex(W.index).fillna(0)
    before_pts = _child_points(cases, current.where(current != ""), workers).groupby(current).sum().reindex(W.index).fillna(0.0)
    before_kids = current[current != ""].value_counts().reindex(W.index).fillna(0)
    before_cx = current[(current != "") & cx].value_counts().reindex(W.index).fillna(0)
    loads = result.worker_loads.set_index("worker_id")
    assert np.allclose(loads["points_after"].reindex(W.index), after_pts, atol=1e-3)
    assert (loads["children_after"].reindex(W.index) == after_kids).all()
    assert (loads["complex_after"].reindex(W.index) == after_cx).all()
    over_before = ((before_pts > caps["capacity_points"] + 1e-6) | (before_kids > caps["hard_children"])
                   | (before_cx > caps["complex_children"]))
    gained = final[(final != "") & (final != current)]
    for wid in set(gained):
        assert not over_before[wid], f"{wid} was above a cap and gained {list(gained.index[gained == wid])}"
        assert after_pts[wid] <= caps.at[wid, "capacity_points"] + 1e-6, f"{wid}: {after_pts[wid]} points"
        assert after_kids[wid] <= caps.at[wid, "hard_children"], f"{wid}: {after_kids[wid]} children"
        assert after_cx[wid] <= caps.at[wid, "complex_children"], f"{wid}: {after_cx[wid]} complex children"
        if after_pts[wid] >= 0.8 * caps.at[wid, "capacity_points"] or after_kids[wid] == caps.at[wid, "hard_children"]:
            note("a worker given new work ends at or near a cap")

    # every child held by an available worker who is not leaving keeps them, or is a listed change
    keeper = current.map(W["available"]).eq(True) & ~current.isin(leavers)
    moved = cases[keeper & (final != current)]
    changes = result.changes.set_index("case_id")
    for cid in moved["case_id"]:
        assert cid in changes.index and len(str(changes.at[cid, "reason"])) > 3, f"{cid} changed without a word"
    lost = cases[(current != "") & (final == "")]
    assert set(lost["case_id"]) == set(changes.index[changes["change"] == "lost_worker"])
    assert result.summary["children_losing_worker"] == len(lost)
    if not make_room:
        assert not (keeper & (final == "")).any() or mode == "new", \
            f"held children left without a worker: {list(cases.loc[keeper & (final == ''), 'case_id'])}"
    if (keeper & (final != current)).any():
        note("a held child moved (a listed change)")

    # relief and the most vulnerable first
    relief = C.relief_check(result.problem, result.assignment)
    assert not relief["relievable"].any(), f"relievable workers left: {relief[relief['relievable']].to_dict('records')}"
    if len(relief):
        note("a worker left above a cap, with a reason")
    prio = C.priority_check(result.problem, result.assignment)
    assert not prio["status"].isin(["room", "could_move"]).any(), prio.to_dict("records")
    un_order = un["priority"].tolist()
    assert un_order == sorted(un_order), "unallocated children are listed by priority"

    # every child's explanation agrees with allocations.csv
    expl = result.explanations.set_index("case_id")
    assert sorted(expl.index) == sorted(cases["case_id"])
    kept = a.set_index("case_id")["worker_id"]
    for cid, row in expl.iterrows():
        assert (row["worker_id"] or "") == kept.get(cid, ""), cid
        text = explanation_text(row.to_dict())
        if kept.get(cid, ""):
            assert kept[cid] in text
        else:
            assert "NOT allocated" in text or "NO worker" in text
    # what the examples exercised (shown with --hypothesis-show-statistics)
    note(f"mode {mode}: {'some' if len(un) else 'no'} children unallocated")
    if (fixed & cases["pinned"]).any():
        note("pinned children")
    if mode == "leaver" and (cases["pinned"] & cases["current_worker_id"].isin(leavers)).any():
        note("a child pinned to a leaver")


def _run(workers, cases, mode, leavers, *, something_to_decide: bool = False, config: AllocationConfig | None = None):
    if something_to_decide:
        # "nothing to decide" has its own test below (test_nothing_to_decide_is_not_an_error)
        assume(not _fixed_mask(cases, mode, leavers).all())
    return allocate(workers, cases, mode=mode, leavers=tuple(sorted(leavers)), time_limit=TIME_LIMIT, config=config)


def _outputs(result) -> dict[str, bytes]:
    """What `workforce allocate` writes, as bytes: every CSV, and the summary JSON without its
    timings (the one field that may differ between runs)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, attr in ALLOCATION_CSVS.items():
            _write_csv(getattr(result, attr), Path(tmp) / name)
        out = {name: (Path(tmp) / name).read_bytes() for name in ALLOCATION_CSVS}
    out["summary.json"] = json.dumps(result.summary, indent=2, default=str).encode()
    return out


@st.composite
def _settings(draw, modes=("new", "rebalance", "leaver")):
    mode = draw(st.sampled_from(modes))
    config = AllocationConfig(reach=draw(st.sampled_from(["team", "team", "locality"])),
                              make_room=draw(st.sampled_from([False, False, True])))
    return mode, config


@pytest.mark.parametrize("mode", ["new", "rebalance", "leaver"])
@PROPERTY_SETTINGS
@given(authority=authorities(), data=st.data())
def test_allocation_respects_every_rule_and_property(mode, authority, data):
    workers, cases = authority
    leavers = set(data.draw(st.sets(st.sampled_from(list(workers["worker_id"])), min_size=1, max_size=2))) \
        if mode == "leaver" else set()
    config = AllocationConfig(reach=data.draw(st.sampled_from(["team", "team", "locality"])),
                              make_room=data.draw(st.sampled_from([False, False, True])))
    result = _run(workers, cases, mode, leavers, something_to_decide=True, config=config)
    check_result(workers, cases, mode, leavers, result, make_room=config.make_room, reach=config.reach)


@settings(PROPERTY_SETTINGS, max_examples=10)
@given(authority=authorities(), setting=_settings(), data=st.data())
def test_same_input_byte_identical_outputs(authority, setting, data):
    workers, cases = authority
    mode, config = setting
    leavers = set(data.draw(st.sets(st.sampled_from(list(workers["worker_id"])), min_size=1, max_size=1))) \
        if mode == "leaver" else set()
    first = _outputs(_run(workers, cases, mode, leavers, something_to_decide=True, config=config))
    second = _outputs(_run(workers.copy(), cases.copy(), mode, leavers, config=config))
    for name in first:
        assert first[name] == second[name], name


@settings(PROPERTY_SETTINGS, max_examples=15)
@given(authority=authorities(), setting=_settings(("rebalance", "new")))
def test_feeding_the_outputs_back_changes_nothing(authority, setting):
    """Allocate, take the allocation as the new current state, allocate again: a fixed point (no
    child changes worker or loses one; at most children who waited are now placed, and the
    summary counts them)."""
    workers, cases = authority
    mode, config = setting
    first = _run(workers, cases, mode, set(), something_to_decide=True, config=config)
    assume(first.summary["status"] == "optimal")
    after = cases["case_id"].map(first.allocations.set_index("case_id")["worker_id"]).fillna("")
    again = cases.assign(current_worker_id=after)
    second = _run(workers, again, mode, set(), config=config)
    s = second.summary
    assert s["handoffs"] == 0 and s["children_losing_worker"] == 0, second.changes.to_dict("records")
    placed = second.changes[second.changes["change"] == "new_allocation"]
    assert set(placed["case_id"]) <= set(first.unallocated["case_id"])
    assert s["new_allocations"] == len(placed)
    if s["new_allocations"]:
        event("a second run placed children who waited")


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
