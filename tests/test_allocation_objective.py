"""The allocation objective is defined once (`objective.TERMS`); its four derived forms agree.

On random small authorities (the property tests' strategy), for a random assignment:

1. the numpy evaluation (`evaluate_objective`), term by term;
2. the PuLP build (`objective.add_objective`): the model with every unit and worker, the
   assignment fixed, solved: each term's value;
3. the incremental deltas (`objective.Loads.deltas`, and the local search's move evaluation in
   `improve`): the change of each term for random moves against a full re-evaluation;
4. the explanations (`build_result`): the runner-up's cost difference per term against a full
   re-evaluation with the family moved, each family's own load-balance cost, and each child's
   share of the pair terms adding up to the family's.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from allocation_frames import PROPERTY_SETTINGS, authorities
from workforce.allocation import improve as I
from workforce.allocation import objective as O
from workforce.allocation.build import build_problem
from workforce.allocation.config import AllocationConfig
from workforce.allocation.explain import build_result
from workforce.allocation.objective import evaluate_objective
from workforce.allocation.problem import MODES
from workforce.gap.model import AssignmentModel

TOL = 1e-6


@st.composite
def instances(draw):
    """A problem (random mode, leavers and risk) and a random assignment over its pairs."""
    workers, cases = draw(authorities())
    mode = draw(st.sampled_from(MODES))
    ids = list(workers["worker_id"])
    leavers = draw(st.sets(st.sampled_from(ids), min_size=1, max_size=1)) if mode == "leaver" else set()
    risk = pd.DataFrame({"worker_id": ids, "p_leave": draw(st.lists(st.sampled_from([0.0, 0.1, 0.6]),
                                                                    min_size=len(ids), max_size=len(ids)))})
    problem = build_problem(workers, cases, mode=mode, leavers=tuple(leavers), risk=risk)
    assume(len(problem.pairs) > 0)
    options = problem.pairs.groupby("unit")["worker_id"].agg(list)
    assignment = pd.Series("", index=problem.units.index, dtype=object)
    for unit, wids in options.items():
        assignment[unit] = draw(st.sampled_from(["", *wids]))
    return problem, assignment


def _moved(assignment: pd.Series, unit: str, worker: str) -> pd.Series:
    out = assignment.copy()
    out[unit] = worker
    return out


def _difference(problem, before: pd.Series, after: pd.Series) -> dict[str, float]:
    a, b = evaluate_objective(problem, after), evaluate_objective(problem, before)
    return {t: a[t] - b[t] for t in O.TERM_NAMES}


def test_the_table_is_the_objective():
    assert O.TERM_NAMES == ("continuity", "travel", "risk", "load_balance", "highest_utilisation", "unallocated")
    assert all(t.kind in O.KINDS and t.reason and t.words for t in O.TERMS)
    # every weight a term reads is a setting of AllocationConfig (overridable in the TOML)
    settings_ = {f.name for f in fields(AllocationConfig)}
    assert all(t.weights and set(t.weights) <= settings_ for t in O.TERMS)
    table = O.table()
    assert list(table["term"]) == list(O.TERM_NAMES) and table["reason"].str.len().gt(20).all()


@settings(PROPERTY_SETTINGS, max_examples=25)
@given(case=instances())
def test_pulp_build_equals_numpy_evaluation(case):
    problem, assignment = case
    terms = evaluate_objective(problem, assignment)
    pairs = problem.pairs
    workers = list(problem.workers.index)
    frame = pd.DataFrame({"item": pairs["unit"], "agent": pairs["worker_id"], "cost": 0.0, "load": pairs["points"]})
    capacity = pd.Series(1e9, index=problem.workers.index)  # no limits: only the objective is compared
    model = AssignmentModel(frame, capacity, unassigned_cost=problem.unallocated_cost)
    O.add_objective(model, problem, pairs, workers, floors={})
    chosen = (pairs["worker_id"] == pairs["unit"].map(assignment)).to_numpy()
    for var, on in zip(model.x.to_numpy(), chosen):
        var.lowBound = var.upBound = float(on)
    for unit, var in model.unassigned.items():
        var.lowBound = var.upBound = float(assignment[unit] == "")
    result = model.solve()
    assert result.status == "optimal"
    got = {**result.terms, "unallocated": result.terms["unassigned"]}
    for t in O.TERM_NAMES:
        assert got.get(t, 0.0) == pytest.approx(terms[t], abs=TOL), t
    assert result.objective == pytest.approx(terms["total"], abs=TOL)


@settings(PROPERTY_SETTINGS, max_examples=25)
@given(case=instances(), data=st.data())
def test_incremental_deltas_equal_full_re_evaluation(case, data):
    problem, assignment = case
    state = O.Loads(O.ObjectiveData.from_problem(problem, problem.pairs), O.choice_of(problem, problem.pairs, assignment))
    assert O.total(state.values()) == pytest.approx(evaluate_objective(problem, assignment)["total"], abs=TOL)
    # the local search's own view of a unit's options (no guards, no limits)
    search = I.search_data(problem, problem.pairs, problem.points_limit, pd.Series(dtype=int), {}, {})
    s = I._State(search, state.choice)
    units = list(problem.units.index)
    for _ in range(6):
        u = data.draw(st.sampled_from(units))
        k = units.index(u)
        rows = np.flatnonzero((problem.pairs["unit"] == u).to_numpy())
        to = int(data.draw(st.sampled_from([-1, *rows.tolist()])))
        after = _moved(assignment, u, "" if to < 0 else problem.pairs["worker_id"].iloc[to])
        expected = _difference(problem, assignment, after)
        got = state.deltas(np.array([k]), np.array([state.choice[k]]), np.array([to]))
        for t in O.TERM_NAMES:
            assert float(got[t][0]) == pytest.approx(expected[t], abs=TOL), t
        opts, delta, _ = I._shift_options(s, k)
        assert float(delta[list(opts).index(to)]) == pytest.approx(sum(expected.values()), abs=TOL)
        # apply the move and carry on from there
        state.apply(k, to)
        s.apply(k, to)
        assignment = after
    assert I.objective_of(search, s.choice) == pytest.approx(evaluate_objective(problem, assignment)["total"], abs=TOL)


@settings(PROPERTY_SETTINGS, max_examples=25)
@given(case=instances())
def test_explanations_equal_full_re_evaluation(case):
    problem, assignment = case
    terms = evaluate_objective(problem, assignment)
    info = dict(status="feasible", objective=terms["total"], bound=None, gap=None, terms=terms,
                baseline_objective=terms["total"], used_baseline=False, seconds=0.0, solver="test", blocks=0,
                message="")
    result = build_result(problem, assignment, info)
    expl = result.explanations.set_index("unit")
    for unit, row in expl.iterrows():
        if row["worker_id"] == "":
            continue
        # the family's own load-balance cost: what the term falls by were it taken off its worker
        off = _difference(problem, _moved(assignment, unit, ""), assignment)
        assert row["cost_load_balance"] == pytest.approx(off["load_balance"], abs=TOL)
        deltas = row.get("runner_up_deltas")
        if isinstance(deltas, dict):
            expected = _difference(problem, assignment, _moved(assignment, unit, row["runner_up"]))
            for t in O.TERM_NAMES:
                assert deltas[t] == pytest.approx(expected[t], abs=TOL), t
            assert row["runner_up_extra_cost"] == pytest.approx(sum(expected.values()), abs=TOL)
    # each child's share of the pair terms adds up to the family's
    alloc = result.allocations[result.allocations["decided"]]
    chosen = problem.eligible.merge(pd.DataFrame({"unit": assignment.index, "worker_id": assignment.to_numpy()}))
    for t in O.terms_of("pair"):
        col = f"cost_{t.name}"
        per_family = alloc.groupby("family_id")[col].sum()
        own = chosen.set_index("unit")[col]
        family = problem.units["family_id"]
        assert np.allclose(per_family.reindex(family[own.index].to_numpy()).to_numpy(), own.to_numpy(), atol=1e-3), t.name
    # and the totals reported are the evaluation's
    assert result.summary["objective"] == pytest.approx(terms["total"], abs=1e-3)
