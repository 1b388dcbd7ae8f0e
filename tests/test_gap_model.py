"""Behaviour of the GAP model (`workforce.gap`): assignment, capacity, slack, honest status, warm start, benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.gap import AssignmentModel, read_gap_instance, solve_assignment
from workforce.errors import InputError
from workforce.mip import cbc_available


def _pairs(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item", "agent", "cost", "load"])


def _cost_of(result, pairs: pd.DataFrame, unassigned_cost: pd.Series | None = None) -> float:
    """Objective recomputed from the returned assignment (independent of the solver's number)."""
    merged = result.assignment.merge(pairs, on=["item", "agent"], how="left")
    total = float(merged["cost"].sum())
    if unassigned_cost is not None:
        total += float(unassigned_cost.reindex(result.unassigned).sum())
    return total


def _loads_within(result, pairs: pd.DataFrame, capacity: pd.Series) -> bool:
    merged = result.assignment.merge(pairs, on=["item", "agent"], how="left")
    used = merged.groupby("agent")["load"].sum().reindex(capacity.index, fill_value=0.0)
    return bool((used <= capacity + 1e-9).all())


def _type_d(m: int, n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """A random instance of Chu & Beasley's hard type D (cost falls as load rises, tight capacity)."""
    rng = np.random.default_rng(seed)
    load = rng.integers(1, 101, size=(m, n))
    cost = 111 - load + rng.integers(-10, 11, size=(m, n))
    capacity = np.floor(0.8 * load.sum(axis=1) / m)
    pairs = pd.DataFrame({"item": np.tile(np.arange(n), m), "agent": np.repeat(np.arange(m), n),
                          "cost": cost.ravel().astype(float), "load": load.ravel().astype(float)})
    return pairs, pd.Series(capacity, index=np.arange(m))


# two items both cheaper on agent "a"
TWO_ITEMS = _pairs([("i1", "a", 1.0, 2.0), ("i1", "b", 5.0, 2.0), ("i2", "a", 2.0, 2.0), ("i2", "b", 3.0, 2.0)])


def test_cheapest_agents_when_capacity_does_not_bind():
    capacity = pd.Series({"a": 10.0, "b": 10.0})
    result = solve_assignment(TWO_ITEMS, capacity)
    assert result.status == "optimal"
    assert result.assignment.to_dict("records") == [{"item": "i1", "agent": "a"}, {"item": "i2", "agent": "a"}]
    assert result.objective == pytest.approx(3.0)
    assert result.objective == pytest.approx(_cost_of(result, TWO_ITEMS))
    assert result.gap == 0.0 and result.bound == pytest.approx(result.objective)


def test_binding_capacity_moves_the_item_with_least_regret():
    capacity = pd.Series({"a": 2.0, "b": 10.0})
    result = solve_assignment(TWO_ITEMS, capacity)
    assert result.status == "optimal"
    # moving i2 to b costs 1 more, moving i1 costs 4 more
    assert dict(zip(result.assignment["item"], result.assignment["agent"])) == {"i1": "a", "i2": "b"}
    assert result.objective == pytest.approx(4.0)
    assert _loads_within(result, TWO_ITEMS, capacity)
    assert result.terms["assignment"] == pytest.approx(4.0)


def test_unassigned_slack_used_only_when_capacity_is_short():
    pairs = _pairs([(f"c{k}", "w", 1.0, 1.0) for k in range(3)])
    slack = pd.Series(10.0, index=[f"c{k}" for k in range(3)])
    short = solve_assignment(pairs, pd.Series({"w": 2.0}), unassigned_cost=slack)
    assert short.status == "optimal"
    assert len(short.unassigned) == 1 and len(short.assignment) == 2
    assert short.terms["unassigned"] == pytest.approx(10.0)
    assert short.objective == pytest.approx(_cost_of(short, pairs, slack)) == pytest.approx(12.0)

    ample = solve_assignment(pairs, pd.Series({"w": 5.0}), unassigned_cost=slack)
    assert ample.unassigned == [] and len(ample.assignment) == 3
    assert ample.terms["unassigned"] == 0.0


def test_item_with_no_eligible_agent_but_slack_is_unassigned():
    pairs = _pairs([("c1", "w", 1.0, 1.0)])
    slack = pd.Series({"c1": 5.0, "c2": 7.0})
    result = solve_assignment(pairs, pd.Series({"w": 3.0}), unassigned_cost=slack)
    assert result.status == "optimal" and result.unassigned == ["c2"]
    assert result.objective == pytest.approx(8.0)


def test_infeasible_without_slack_is_reported_not_faked():
    pairs = _pairs([(f"c{k}", "w", 1.0, 1.0) for k in range(3)])
    result = solve_assignment(pairs, pd.Series({"w": 2.0}))
    assert result.status == "infeasible"
    assert result.objective is None and result.assignment.empty


def test_time_limited_solve_is_not_called_optimal():
    pairs, capacity = _type_d(20, 200, seed=3)
    result = solve_assignment(pairs, capacity, time_limit=0.5, heuristic="off")  # HiGHS alone
    assert result.status in ("feasible", "no_solution")
    if result.status == "no_solution":  # stopped before any solution: nothing is claimed
        assert result.objective is None and result.gap is None and result.assignment.empty
        return
    assert result.objective == pytest.approx(_cost_of(result, pairs))
    assert _loads_within(result, pairs, capacity)
    # a time-limited stop with a solution has a proven bound below it and a positive gap
    assert result.bound is not None and result.bound < result.objective
    assert result.gap > 0


def test_warm_start_is_used():
    pairs, capacity = _type_d(20, 200, seed=4)
    first = solve_assignment(pairs, capacity, time_limit=2.0)
    assert first.status in ("feasible", "optimal")
    # a 0.05 s run cannot find this incumbent on its own; it must start from the warm start
    again = solve_assignment(pairs, capacity, time_limit=0.05, warm_start=first.assignment)
    assert again.status in ("feasible", "optimal")
    assert again.objective <= first.objective + 1e-9
    assert "warm start" in again.message


def test_ineligible_warm_start_pairs_are_ignored_and_counted():
    capacity = pd.Series({"a": 10.0, "b": 10.0})
    result = solve_assignment(TWO_ITEMS, capacity, warm_start=pd.DataFrame({"item": ["i1"], "agent": ["zz"]}))
    assert result.status == "optimal" and "1 warm-start pairs" in result.message


def test_solve_is_deterministic():
    rng = np.random.default_rng(5)
    m, n = 6, 40
    load = rng.integers(5, 26, size=(m, n))
    pairs = pd.DataFrame({"item": np.tile(np.arange(n), m), "agent": np.repeat(np.arange(m), n),
                          "cost": rng.integers(10, 51, size=m * n).astype(float), "load": load.ravel().astype(float)})
    capacity = pd.Series(np.floor(0.6 * load.sum(axis=1) / m), index=np.arange(m))
    a = solve_assignment(pairs, capacity)
    b = solve_assignment(pairs, capacity)
    assert a.status == b.status == "optimal"
    pd.testing.assert_frame_equal(a.assignment, b.assignment)
    assert a.objective == b.objective


def test_extension_terms_resources_and_constraints():
    pairs = _pairs([("c1", "a", 1.0, 1.0), ("c1", "b", 2.0, 1.0), ("c2", "a", 1.0, 1.0), ("c2", "b", 2.0, 1.0)])
    model = AssignmentModel(pairs, pd.Series({"a": 5.0, "b": 5.0}))
    # at most one case on agent a (a second resource, like a cap on children)
    model.add_resource("children", pd.Series(1.0, index=pairs.index), pd.Series({"a": 1.0}))
    over = model.add_variables("over", ["a"], cat="Continuous", low=0.0)
    model.add_constraints("over_def", [over["a"] >= model.x[0] + model.x[2] - 0.5])
    model.add_term("overload", 1.0 * over["a"])
    result = model.solve()
    assert result.status == "optimal"
    assert sorted(result.assignment["agent"]) == ["a", "b"]
    assert result.terms["assignment"] == pytest.approx(3.0)
    assert result.terms["overload"] == pytest.approx(0.5)
    assert result.objective == pytest.approx(sum(result.terms.values()))


def test_bad_solver_names_and_bad_input():
    capacity = pd.Series({"a": 10.0, "b": 10.0})
    with pytest.raises(InputError, match="highs, cbc"):
        solve_assignment(TWO_ITEMS, capacity, solver="gurobi")
    with pytest.raises(InputError, match="capacity"):
        solve_assignment(TWO_ITEMS, pd.Series({"a": 10.0}))
    with pytest.raises(InputError, match="cost"):
        solve_assignment(TWO_ITEMS.drop(columns="cost"), capacity)


def test_cbc_runs_or_says_clearly_that_it_is_missing():
    capacity = pd.Series({"a": 2.0, "b": 10.0})
    try:
        result = solve_assignment(TWO_ITEMS, capacity, solver="cbc")
    except InputError as exc:
        assert not cbc_available() and "use --solver highs" in str(exc)
    else:
        assert result.status == "optimal" and result.objective == pytest.approx(4.0)


def _best_known(shared_dir) -> pd.DataFrame:
    return pd.read_csv(shared_dir / "benchmarks" / "gap" / "best_known.csv")


CATTRYSSE = [f"gap{k}-{p}" for k in range(1, 13) for p in range(5)]


@pytest.mark.parametrize("name", CATTRYSSE)
def test_orlib_small_set_reaches_known_minimum(shared_dir, name):
    inst = read_gap_instance(shared_dir / "benchmarks" / "gap" / "cattrysse1994" / name)
    best = _best_known(shared_dir).set_index(["instance", "sense"])["best_known"]
    result = solve_assignment(inst.pairs(), inst.capacity_series())
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best[(f"cattrysse1994/{name}", "min")])


@pytest.mark.parametrize("name", CATTRYSSE[::6])
def test_orlib_small_set_reaches_known_maximum(shared_dir, name):
    inst = read_gap_instance(shared_dir / "benchmarks" / "gap" / "cattrysse1994" / name).negated()
    best = _best_known(shared_dir).set_index(["instance", "sense"])["best_known"]
    result = solve_assignment(inst.pairs(), inst.capacity_series())
    assert result.status == "optimal"
    assert -result.objective == pytest.approx(best[(f"cattrysse1994/{name}", "max")])


def test_heuristic_pipeline_reports_a_checked_solution_and_honest_status():
    pairs, capacity = _type_d(10, 100, seed=8)
    result = solve_assignment(pairs, capacity, time_limit=4.0, heuristic="on")
    assert result.status in ("feasible", "optimal")
    assert result.objective == pytest.approx(_cost_of(result, pairs))
    assert _loads_within(result, pairs, capacity)
    assert sorted(result.assignment["item"]) == list(range(100))
    assert result.bound is not None and result.bound <= result.objective + 1e-6
    if result.status == "feasible":
        assert result.gap > 0
    with pytest.raises(ValueError, match="auto, on, off"):
        solve_assignment(pairs, capacity, heuristic="maybe")


def test_progress_reports_improving_solutions():
    pairs, capacity = _type_d(10, 100, seed=9)
    events = []
    model = AssignmentModel(pairs, capacity)
    result = model.solve(time_limit=2.0, progress=events.append)
    assert result.status in ("feasible", "optimal")
    assert events, "HiGHS found solutions, so progress must have been called"
    objectives = [e["objective"] for e in events]
    assert objectives == sorted(objectives, reverse=True)  # each one improves on the last
    assert events[-1]["objective"] == pytest.approx(result.objective)
    assert all({"seconds", "objective", "bound", "gap"} <= set(e) for e in events)


def test_thread_count_can_change_between_solves():
    capacity = pd.Series({"a": 2.0, "b": 10.0})
    for threads in (2, 1, 2):
        result = solve_assignment(TWO_ITEMS, capacity, threads=threads)
        assert result.status == "optimal" and result.objective == pytest.approx(4.0)
    with pytest.raises(ValueError, match="threads"):
        solve_assignment(TWO_ITEMS, capacity, threads=0)
