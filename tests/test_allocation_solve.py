"""How the allocation solves its blocks: the bound without a solve, the two passes and the gap
shared by the whole, and the local search's skipping of settled units."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from workforce.allocation import AllocationConfig, allocate
from workforce.allocation import model as M
from workforce.allocation.build import build_problem
from workforce.gap.model import AssignmentResult

INF = np.inf


# ------------------------------------------------------------------ the room shortfall bound


def test_room_shortfall_costs_nothing_when_the_units_fit():
    cost = M._room_shortfall_cost(np.array([1.0, 2.0]), np.array([600.0, 600.0]), need=np.array([10.0, 10.0]),
                                  kept=np.zeros(2), free=20.0, priced=0.0, price=50.0)
    assert cost == 0.0


def test_room_shortfall_makes_the_cheapest_unit_per_point_wait_in_part():
    # 5 points too many: unit 1 frees 10 points at (1000-0)/10 = 100 a point, unit 0 at 60 a point
    cost = M._room_shortfall_cost(np.array([0.0, 0.0]), np.array([600.0, 1000.0]), need=np.array([10.0, 10.0]),
                                  kept=np.zeros(2), free=15.0, priced=0.0, price=50.0)
    assert cost == pytest.approx(5 * 60.0)


def test_room_shortfall_uses_priced_room_above_caps_when_cheaper_than_waiting():
    cost = M._room_shortfall_cost(np.array([0.0, 0.0]), np.array([600.0, 1000.0]), need=np.array([10.0, 10.0]),
                                  kept=np.zeros(2), free=15.0, priced=3.0, price=50.0)
    assert cost == pytest.approx(3 * 50.0 + 2 * 60.0)


def test_room_shortfall_counts_what_a_waiting_unit_leaves_on_its_keeper():
    # unit 0 may wait but keeps 8 of its 10 points on its keeper: waiting frees only 2
    cost = M._room_shortfall_cost(np.array([0.0]), np.array([600.0]), need=np.array([10.0]), kept=np.array([8.0]),
                                  free=9.0, priced=0.0, price=50.0)
    assert cost == pytest.approx(0.5 * 600.0)


def test_units_that_may_not_wait_free_nothing():
    cost = M._room_shortfall_cost(np.array([0.0]), np.array([INF]), need=np.array([10.0]), kept=np.zeros(1),
                                  free=5.0, priced=0.0, price=50.0)
    assert cost == 0.0


def _small_demo(scale: float = 0.3):
    demo = pytest.importorskip("workforce.demo")
    return demo.generate_authority(seed=0, scale=scale)


def _blocks_of_small_demo(cfg: AllocationConfig):
    """The small demo's rebalance problem, the baseline as warm start, the floors and the blocks."""
    from workforce.allocation import objective as O
    from workforce.allocation.baseline import baseline_assignment

    a = _small_demo()
    problem = build_problem(a.workers, a.cases, mode="rebalance", config=cfg)
    _, floors = O.outside_constant(problem)
    blocks = M._blocks(problem)
    assert blocks
    return problem, baseline_assignment(problem), floors, blocks


def test_the_bound_without_a_solve_never_exceeds_a_blocks_solved_optimum():
    problem, warm, floors, blocks = _blocks_of_small_demo(AllocationConfig(time_limit=None, gap_rel=1e-6))
    quick = M.QuickBound.of_problem(problem)
    for units, workers in blocks:
        bound = quick.of(units, workers)
        res = M._solve_block(problem, units, workers, warm, floors, deadline=None, solver="highs", progress=None,
                             quick_bound=lambda: bound)
        assert res.bound is not None and res.objective is not None
        assert bound <= res.objective + 1e-6


def test_blocks_the_search_does_not_reach_get_the_lp_relaxations_bound(monkeypatch):
    # all the time kept back for bounds: no block is searched, and each is bounded by its LP
    # relaxation, which is above the simple bound and below what a solve proves
    problem, warm, floors, blocks = _blocks_of_small_demo(AllocationConfig(time_limit=None, gap_rel=1e-6))
    monkeypatch.setattr(M, "BOUND_SECONDS_PER_PAIR", 1e6)
    monkeypatch.setattr(M, "BOUND_SHARE", 1.0)
    results = M._run_blocks(problem, blocks, warm, floors, deadline=time.perf_counter() + 60.0, solver="highs",
                            progress=None)
    quick = M.QuickBound.of_problem(problem)
    solved = M._run_blocks(problem, blocks, warm, floors, deadline=None, solver="highs", progress=None)
    higher = 0
    for (units, workers), res, best in zip(blocks, results, solved):
        assert res.objective is None and "not searched for want of time" in res.message
        assert quick.of(units, workers) - 1e-6 <= res.bound <= best.objective + 1e-6
        if res.bound > quick.of(units, workers) + 1e-6:
            higher += 1
            assert M.LP_BOUND in res.message
    assert higher > 0


def test_without_time_kept_back_unreached_blocks_keep_the_simple_bound():
    problem, warm, floors, blocks = _blocks_of_small_demo(AllocationConfig(time_limit=None))
    results = M._run_blocks(problem, blocks, warm, floors, deadline=time.perf_counter() - 1.0, solver="highs",
                            progress=None)
    quick = M.QuickBound.of_problem(problem)
    for (units, workers), res in zip(blocks, results):
        assert res.bound == pytest.approx(quick.of(units, workers))
        assert M.SIMPLE_BOUND in res.message


# ------------------------------------------------------------------ the two passes


def _result(objective, bound, status="feasible", limit=None, item="U1"):
    return AssignmentResult(assignment=pd.DataFrame({"item": [item], "agent": ["W1"]}), unassigned=[],
                            objective=objective, bound=bound, gap=None, status=status, seconds=1.0, solver="highs",
                            limit=limit, message="m")


def test_better_keeps_the_better_answer_and_the_higher_bound():
    first = _result(110.0, 100.0, limit="work", item="root")
    second = _result(105.0, 98.0, item="search")
    best = M._better(first, second)
    assert best.objective == 105.0 and best.bound == 100.0
    assert best.assignment["item"].tolist() == ["search"]
    assert best.gap == pytest.approx(5.0 / 105.0) and best.seconds == 2.0
    worse = M._better(first, _result(None, None, limit="time"))
    assert worse.objective == 110.0 and worse.bound == 100.0 and worse.limit == "time"


def test_second_pass_stops_once_the_whole_is_within_its_gap():
    a = _small_demo(0.5)
    r = allocate(a.workers, a.cases, mode="rebalance", config=AllocationConfig(time_limit=None))
    s = r.summary
    assert not s["stopped_by_time_limit"]
    assert s["gap"] is not None and s["gap"] <= AllocationConfig().gap_rel + 1e-9


def test_one_pass_when_the_node_limit_is_the_root():
    a = _small_demo()
    cfg = AllocationConfig(time_limit=None, node_limit=M.ROOT_NODES)
    r = allocate(a.workers, a.cases, mode="rebalance", config=cfg)
    two = allocate(a.workers, a.cases, mode="rebalance", config=AllocationConfig(time_limit=None))
    assert r.summary["objective"] >= two.summary["objective"] - 1e-6  # more search is never worse


# ------------------------------------------------------------------ the local search skips settled units


def test_a_move_changes_the_versions_of_its_two_workers_and_their_groups_only():
    from workforce.allocation import improve as I
    from workforce.allocation import objective as O
    from workforce.allocation.baseline import baseline_assignment

    a = _small_demo()
    problem = build_problem(a.workers, a.cases, mode="rebalance", config=AllocationConfig())
    d = I.search_data(problem, problem.pairs)
    s = O.Loads(d.objective, O.choice_of(problem, problem.pairs, baseline_assignment(problem)))
    u = next(k for k, rows in enumerate(d.unit_pairs) if len(rows) > 1 and s.choice[k] >= 0)
    frm = int(s.choice[u])
    to = int(next(r for r in d.unit_pairs[u] if d.pair_worker[r] != d.pair_worker[frm]))
    before = s.worker_version.copy()
    groups_before = {k: v.copy() for k, v in s.group_version.items()}
    s.apply(u, to)
    changed = set(np.flatnonzero(s.worker_version != before))
    assert changed == {int(d.pair_worker[frm]), int(d.pair_worker[to])}
    for name, (_, codes, _, _) in d.objective.groups.items():
        moved = {int(codes[w]) for w in changed if codes[w] >= 0}
        assert set(np.flatnonzero(s.group_version[name] != groups_before[name])) == moved


def test_skipping_settled_units_gives_the_same_answer(monkeypatch):
    import itertools

    from workforce.allocation import improve as I
    from workforce.allocation import objective as O
    from workforce.allocation.baseline import baseline_assignment

    a = _small_demo(0.5)
    problem = build_problem(a.workers, a.cases, mode="rebalance", config=AllocationConfig())
    d = I.search_data(problem, problem.pairs)
    start = O.choice_of(problem, problem.pairs, baseline_assignment(problem))
    skipped, _ = I.improve(d, start, max_passes=3)
    fresh = itertools.count(10**12)
    monkeypatch.setattr(I, "_state_keys", lambda s, d: (lambda u: next(fresh)))  # never settled
    every, _ = I.improve(d, start, max_passes=3)
    assert (skipped == every).all()
    assert (skipped != start).any()  # the search did move families


def _calls(monkeypatch):
    seen = []
    solve = M._solve_block

    def record(problem, units, workers, warm, floors, **kw):
        seen.append((units[0], kw.get("node_limit"), kw.get("options")))
        return solve(problem, units, workers, warm, floors, **kw)

    monkeypatch.setattr(M, "_solve_block", record)
    return seen


def test_small_blocks_are_solved_whole_in_the_first_pass_with_default_settings(monkeypatch):
    a = _small_demo()
    seen = _calls(monkeypatch)
    monkeypatch.setattr(M, "WHOLE_IN_FIRST_PASS", 10**9)
    allocate(a.workers, a.cases, mode="rebalance", config=AllocationConfig(time_limit=None))
    assert seen and all(nodes is None and options is None for _, nodes, options in seen)
    assert len({u for u, _, _ in seen}) == len(seen)  # each block solved once


def test_large_blocks_get_their_root_first_without_restarts(monkeypatch):
    a = _small_demo()
    seen = _calls(monkeypatch)
    monkeypatch.setattr(M, "WHOLE_IN_FIRST_PASS", 0)
    allocate(a.workers, a.cases, mode="rebalance", config=AllocationConfig(time_limit=None))
    firsts = {}
    for u, nodes, options in seen:
        firsts.setdefault(u, nodes)
        assert options == M.LARGE_BLOCK_OPTIONS
    assert set(firsts.values()) == {M.ROOT_NODES}


def test_teams_left_at_their_root_say_so_and_are_not_counted_as_stopped(monkeypatch):
    from dataclasses import replace

    a = _small_demo(0.5)
    monkeypatch.setattr(M, "WHOLE_IN_FIRST_PASS", 0)
    solve, calls = M._solve_block, []

    def root_stops_at_its_node_limit(*args, **kw):  # as HiGHS reports a root stopped by mip_max_nodes
        calls.append(kw.get("node_limit"))
        res = solve(*args, **kw)
        if kw.get("node_limit") == M.ROOT_NODES:
            res = replace(res, limit="work", message="HiGHS: Solution limit reached")
        return res

    monkeypatch.setattr(M, "_solve_block", root_stops_at_its_node_limit)
    r = allocate(a.workers, a.cases, mode="rebalance", config=AllocationConfig(time_limit=None, gap_rel=0.5))
    s = r.summary
    assert calls and set(calls) == {M.ROOT_NODES}  # the roots were enough: no second pass
    assert not s["stopped_by_time_limit"] and s["gap"] <= 0.5
    assert "Solution limit" not in s["message"] and M.ROOT_ENOUGH in s["message"]
