"""No-worse-than-the-baseline guards (one bind / not-bind pair each) and the local search."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allocation_frames import case, cases_frame, worker, workers_frame
from workforce.allocation import AllocationConfig, allocate, evaluate_objective, explain_case
from workforce.allocation import improve as I
from workforce.allocation import model as M
from workforce.allocation.baseline import baseline_allocate, baseline_assignment
from workforce.errors import InputError


def placed(result, case_id: str) -> str:
    return result.allocations.set_index("case_id")["worker_id"].get(case_id, "")


def run(workers, cases, config, **kw):
    kw.setdefault("mode", "new")
    return allocate(workers_frame(*workers), cases_frame(*cases), config=config, time_limit=20, **kw)


# ---- handoffs ---------------------------------------------------------------------------------

def _crowded_worker():
    # W1 is within capacity, so the manager moves nothing; a steep load penalty makes moving pay
    ws = [worker("W1"), worker("W2")]
    cs = [case(f"C{i}", case_type="cla_complex", current="W1") for i in range(6)]
    steep = dict(load_breakpoints=((0.3, 10.0),), highest_utilisation_cost=0.0)
    return ws, cs, steep


def test_handoff_guard_binds_and_not():
    ws, cs, steep = _crowded_worker()
    r = run(ws, cs, AllocationConfig(**steep), mode="rebalance")
    assert r.summary["handoffs"] == 0  # the baseline moves nobody, so the optimiser may not either
    assert "guards do not allow" in explain_case(r, "C0")  # the explanation names the guard
    r = run(ws, cs, AllocationConfig(**steep, guard_handoffs=False), mode="rebalance")
    assert r.summary["handoffs"] >= 1


# ---- unallocated children --------------------------------------------------------------------------

def test_unallocated_guard_binds_and_not():
    # placing a child costs more than leaving it (10 per point, 30 per unallocated child); the
    # manager places both children, so the optimiser must too
    ws = [worker("W1")]
    cs = [case("C1", case_type="cin"), case("C2", case_type="cin")]
    cheap = dict(load_breakpoints=((0.0, 10.0),), unallocated_cost={1: 30.0, 2: 30.0, 3: 30.0})
    r = run(ws, cs, AllocationConfig(**cheap))
    assert r.summary["unallocated"] == 0
    r = run(ws, cs, AllocationConfig(**cheap, guard_unallocated=False))
    assert r.summary["unallocated"] == 2


# ---- highest utilisation ---------------------------------------------------------------------------

def test_utilisation_guard_binds_and_not():
    # W2 (South) already holds a CP child; the new South child goes to the least-loaded worker by
    # hand (W1). A high travel cost makes W2 cheaper, which would raise the team's top utilisation.
    ws = [worker("W1", locality="North"), worker("W2", locality="South")]
    cs = [case("C0", case_type="cp", locality="South", current="W2"), case("C1", case_type="cin", locality="South")]
    far = dict(travel_cost=50.0)
    r = run(ws, cs, AllocationConfig(**far))
    assert placed(r, "C1") == "W1"
    base = baseline_allocate(workers_frame(*ws), cases_frame(*cs), mode="new", config=AllocationConfig(**far))
    assert r.summary["max_utilisation"] <= base.summary["max_utilisation"] + 1e-9
    r = run(ws, cs, AllocationConfig(**far, guard_utilisation=False))
    assert placed(r, "C1") == "W2"


def test_utilisation_guard_scope_service_binds_and_not():
    # team B's busiest worker (V1) is far busier than anyone in team A: with the service-wide
    # guard, team A's worker may go above team A's baseline top, up to the service's
    ws = [worker("W1", locality="North"), worker("W2", locality="South"), worker("V1", team="B")]
    cs = [case("C0", case_type="cp", locality="South", current="W2"), case("C1", case_type="cin", locality="South"),
          *[case(f"B{i}", case_type="cla_complex", team="B", current="V1") for i in range(8)]]
    far = dict(travel_cost=50.0)
    r = run(ws, cs, AllocationConfig(**far, guard_utilisation_scope="service"))
    assert placed(r, "C1") == "W2"
    r = run(ws, cs, AllocationConfig(**far, guard_utilisation_scope="team"))
    assert placed(r, "C1") == "W1"


# ---- settings ----------------------------------------------------------------------------------------

def test_guards_settings_table():
    cfg = AllocationConfig.from_mapping({"guards": {"handoffs": False}})
    assert not cfg.guard_handoffs and cfg.guard_unallocated and cfg.guard_utilisation
    with pytest.raises(InputError, match="guards.speed"):
        AllocationConfig.from_mapping({"guards": {"speed": True}})
    with pytest.raises(InputError, match="true or false"):
        AllocationConfig.from_mapping({"guards": {"handoffs": "no"}})
    assert AllocationConfig.from_mapping({"guards": {"utilisation_scope": "service"}}).guard_utilisation_scope == "service"
    with pytest.raises(InputError, match="utilisation_scope"):
        AllocationConfig.from_mapping({"guards": {"utilisation_scope": "county"}})
    with pytest.raises(InputError, match="guard_handoffs"):
        AllocationConfig.from_mapping({"solver": {"guard_handoffs": False}})


# ---- local search --------------------------------------------------------------------------------------

def _search_setup(problem):
    base = baseline_assignment(problem)
    guarded = M.apply_guards(problem, base)
    blocks = M._blocks(guarded)
    budgets = M.guard_budgets(guarded, base, blocks)
    unit_block = pd.Series({u: k for k, (units, _) in enumerate(blocks) for u in units}, dtype=int)
    d = I.search_data(guarded, guarded.pairs, guarded.points_limit, unit_block,
                      {k: b[0] for k, b in enumerate(budgets)}, {k: b[1] for k, b in enumerate(budgets)})
    row = pd.Series(np.arange(len(guarded.pairs)),
                    index=pd.MultiIndex.from_arrays([guarded.pairs["unit"], guarded.pairs["worker_id"]]))
    start = np.full(len(d.units), -1)
    held = base[base != ""]
    start[d.units.get_indexer(held.index)] = row.reindex(
        pd.MultiIndex.from_arrays([held.index, held.to_numpy()])).to_numpy()
    return guarded, base, d, start, budgets, blocks


def _as_assignment(problem, d, choice):
    out = pd.Series("", index=d.units, dtype=object)
    on = choice >= 0
    out.iloc[np.flatnonzero(on)] = problem.pairs["worker_id"].to_numpy()[choice[on]]
    return out


def test_local_search_improves_within_limits_and_guards():
    demo = pytest.importorskip("workforce.demo")
    a = demo.generate_authority(seed=0, scale=0.25)
    problem = M.build_problem(a.workers, a.cases, mode="rebalance")
    guarded, base, d, start, budgets, blocks = _search_setup(problem)
    assert I.objective_of(d, start) == pytest.approx(evaluate_objective(guarded, base)["total"])
    choice = I.improve(d, start, time_limit=60)
    after = _as_assignment(guarded, d, choice)
    total = evaluate_objective(guarded, after)["total"]
    assert total == pytest.approx(I.objective_of(d, choice))  # the search's bookkeeping is the model's
    assert total < evaluate_objective(guarded, base)["total"]
    assert M.is_feasible(guarded, after)
    after_budgets = M.guard_budgets(guarded, after, blocks)
    for (h, u), (hb, ub) in zip(after_budgets, budgets):
        assert h <= hb + 1e-9 and u <= ub + 1e-9
    np.testing.assert_array_equal(choice, I.improve(d, start, time_limit=60))  # deterministic


def test_demo_optimiser_no_worse_than_baseline_on_every_measure():
    demo = pytest.importorskip("workforce.demo")
    a = demo.generate_authority(seed=0, scale=0.25)
    r = allocate(a.workers, a.cases, mode="rebalance", time_limit=8)
    b = baseline_allocate(a.workers, a.cases, mode="rebalance")
    assert r.summary["handoffs"] <= b.summary["handoffs"]
    assert r.summary["unallocated"] <= b.summary["unallocated"]
    assert r.summary["max_utilisation"] <= b.summary["max_utilisation"] + 1e-9
    assert r.summary["objective"] < b.summary["objective"]
    assert r.summary["bound"] is not None and r.summary["bound"] <= r.summary["objective"] + 1e-6
