"""GAP heuristics: feasible construction, never-worse local search, determinism by seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.gap import heuristics as heur
from workforce.gap.model import AssignmentModel
from workforce.gap.search import GapMatrices, heuristic_start, kernel_search, mip_neighbourhood_search


def _instance(m: int, n: int, seed: int, ratio: float = 0.8, ineligible: float = 0.0):
    """Random type-D-like GAP (cost falls as load rises); some pairs optionally ineligible."""
    rng = np.random.default_rng(seed)
    load = rng.integers(1, 101, size=(m, n)).astype(float)
    cost = (111 - load + rng.integers(-10, 11, size=(m, n))).astype(float)
    if ineligible:
        cut = rng.random((m, n)) < ineligible
        cut[rng.integers(m, size=n), np.arange(n)] = False  # each item keeps at least one agent
        cost[cut] = np.inf
    capacity = np.floor(ratio * load.sum(axis=1) / m)
    return cost, load, capacity


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_greedy_is_capacity_feasible(seed):
    cost, load, capacity = _instance(10, 100, seed, ineligible=0.3)
    assign = heur.greedy_assignment(cost, load, capacity)
    assert heur.is_feasible(assign, cost, load, capacity)
    assert (heur.agent_loads(assign, load) <= capacity + 1e-9).all()
    assert np.isfinite(cost[assign, np.arange(100)]).all()


def test_greedy_leaves_items_unassigned_only_when_allowed_and_needed():
    cost = np.array([[1.0, 1.0, 1.0]])
    load = np.array([[1.0, 1.0, 1.0]])
    unassigned = np.array([5.0, 9.0, 7.0])
    assign = heur.greedy_assignment(cost, load, np.array([2.0]), unassigned_cost=unassigned)
    assert heur.is_feasible(assign, cost, load, np.array([2.0]), unassigned)
    assert (assign == -1).sum() == 1
    # the cheapest item to leave out is the one left out after local search
    best = heur.local_search(assign, cost, load, np.array([2.0]), unassigned_cost=unassigned, max_rounds=5)
    assert list(best) == [-1, 0, 0]
    roomy = heur.greedy_assignment(cost, load, np.array([3.0]), unassigned_cost=unassigned)
    assert (roomy == 0).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_local_search_never_worsens_and_stays_feasible(seed):
    cost, load, capacity = _instance(8, 80, seed)
    start = heur.greedy_assignment(cost, load, capacity)
    before = heur.assignment_cost(start, cost)
    improved = heur.local_search(start, cost, load, capacity, seed=seed, max_rounds=20, time_limit=30)
    assert heur.is_feasible(improved, cost, load, capacity)
    assert heur.assignment_cost(improved, cost) <= before
    # and from a local optimum it stays put or improves
    again = heur.local_search(improved, cost, load, capacity, seed=seed + 1, max_rounds=5, time_limit=30)
    assert heur.assignment_cost(again, cost) <= heur.assignment_cost(improved, cost)


def test_local_search_is_deterministic_by_seed():
    cost, load, capacity = _instance(8, 80, 7)
    start = heur.greedy_assignment(cost, load, capacity)
    a = heur.local_search(start, cost, load, capacity, seed=3, max_rounds=15, time_limit=60)
    b = heur.local_search(start, cost, load, capacity, seed=3, max_rounds=15, time_limit=60)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(heur.greedy_assignment(cost, load, capacity),
                                  heur.greedy_assignment(cost, load, capacity))


def test_lp_rounding_keeps_whole_items_and_repairs_split_ones():
    cost, load, capacity = _instance(6, 60, 11)
    pairs = pd.DataFrame({"item": np.tile(np.arange(60), 6), "agent": np.repeat(np.arange(6), 60),
                          "cost": cost.ravel(), "load": load.ravel()})
    model = AssignmentModel(pairs, pd.Series(capacity))
    g = GapMatrices.from_model(model)
    lp = g.lp_relaxation(None)
    x, bound = lp.x, lp.bound
    assign = heur.lp_rounding_repair(x, g.cost, g.load, g.capacity)
    assert heur.is_feasible(assign, g.cost, g.load, g.capacity)
    assert heur.assignment_cost(assign, g.cost) >= bound - 1e-6  # the LP bound is a lower bound
    whole = x.max(axis=0) > 1 - 1e-6
    kept = assign[whole] == np.argmax(x[:, whole], axis=0)
    # repair may move a few whole items, but rounding keeps nearly all of them
    assert kept.mean() > 0.8


def test_warm_start_pipeline_and_neighbourhood_search_only_improve():
    cost, load, capacity = _instance(10, 100, 5)
    pairs = pd.DataFrame({"item": np.tile(np.arange(100), 10), "agent": np.repeat(np.arange(10), 100),
                          "cost": cost.ravel(), "load": load.ravel()})
    model = AssignmentModel(pairs, pd.Series(capacity))
    start = heuristic_start(model, time_limit=1.0, seed=0)
    assert start.objective is not None and start.lp_bound <= start.objective
    better, value = mip_neighbourhood_search(model, start.assignment, time_limit=5, max_moves=8,
                                             items_per_move=20)
    assert value <= start.objective
    kernel, kernel_value, _ = kernel_search(model, start.lp, better, time_limit=3)
    assert kernel_value <= value
    k_arr = GapMatrices.from_model(model).array(kernel)
    assert heur.is_feasible(k_arr, cost, load, capacity)
    assert heur.assignment_cost(k_arr, cost) == pytest.approx(kernel_value)
    g = GapMatrices.from_model(model)
    arr = g.array(better)
    assert heur.is_feasible(arr, g.cost, g.load, g.capacity)
    assert heur.assignment_cost(arr, g.cost) == pytest.approx(value)


def test_integral_bound_rounds_up_only_for_whole_number_costs():
    whole = pd.DataFrame({"item": [0, 0], "agent": [0, 1], "cost": [3.0, 4.0], "load": [1.0, 1.0]})
    g = GapMatrices.from_model(AssignmentModel(whole, pd.Series([1.0, 1.0])))
    assert g.integral_bound(2.2) == 3.0 and g.integral_bound(3.0000000001) == 3.0
    frac = whole.assign(cost=[3.5, 4.0])
    g = GapMatrices.from_model(AssignmentModel(frac, pd.Series([1.0, 1.0])))
    assert g.integral_bound(2.2) == 2.2


def test_local_search_stops_at_a_proven_bound_and_on_patience():
    cost, load, capacity = _instance(8, 80, 12)
    start = heur.greedy_assignment(cost, load, capacity)
    value = heur.assignment_cost(start, cost)
    # told the start is already optimal, it stops without kicking (nothing better exists)
    same = heur.local_search(start, cost, load, capacity, lower_bound=value + 1e6, time_limit=30, max_rounds=50)
    descent_only = heur.local_search(start, cost, load, capacity, time_limit=30, max_rounds=0)
    np.testing.assert_array_equal(same, descent_only)
    quick = heur.local_search(start, cost, load, capacity, patience=3, time_limit=30)
    assert heur.is_feasible(quick, cost, load, capacity) and heur.assignment_cost(quick, cost) <= value
