"""The allocation objective is defined once (`objective.TERMS`); its four derived forms agree.

On random small authorities (the property tests' strategy), for a random assignment:

1. the numpy evaluation (`evaluate_objective`), term by term;
2. the PuLP build (`objective.add_objective`): the model with every unit and worker, the
   assignment fixed, solved: each term's value;
3. the incremental deltas (`objective.Loads.deltas`, and the local search's move evaluation in
   `improve`): the change of each term for random moves against a full re-evaluation;
4. the explanations (`build_result`): the runner-up's cost difference against a full
   re-evaluation with the family moved, and each child's share of the pair terms adding up to
   the family's.
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
    reach = draw(st.sampled_from(["team", "locality"]))
    config = AllocationConfig(reach=reach, make_room=draw(st.booleans()),
                              over_demand=draw(st.sampled_from(["stay", "unallocate"])))
    problem = build_problem(workers, cases, mode=mode, leavers=tuple(leavers), risk=risk, config=config)
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
    assert O.TERM_NAMES == ("continuity", "team_transfer", "travel", "risk", "load_balance", "over_cap",
                            "highest_utilisation", "unallocated", "kept_against_rule")
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
    fb = problem.fallback
    model = AssignmentModel(frame, capacity, unassigned_cost=problem.unallocated_cost, fallback_agent=fb["worker_id"],
                            fallback_load=fb["points"])
    O.add_objective(model, problem, pairs, workers, floors={})
    chosen = (pairs["worker_id"] == pairs["unit"].map(assignment)).to_numpy()
    for var, on in zip(model.x.to_numpy(), chosen):
        var.lowBound = var.upBound = float(on)
    for unit, var in model.unassigned.items():
        var.lowBound = var.upBound = float(assignment[unit] == "")
    result = model.solve()
    assert result.status == "optimal"
    # the GAP's unassigned cost carries every unit term at once
    got = {**result.terms, "unallocated": result.terms["unassigned"] - terms["kept_against_rule"]}
    for t in O.TERM_NAMES:
        if t == "kept_against_rule":
            continue
        assert got.get(t, 0.0) == pytest.approx(terms[t], abs=TOL), t
    assert result.objective == pytest.approx(terms["total"], abs=TOL)


@settings(PROPERTY_SETTINGS, max_examples=25)
@given(case=instances(), data=st.data())
def test_incremental_deltas_equal_full_re_evaluation(case, data):
    problem, assignment = case
    state = O.Loads(O.ObjectiveData.from_problem(problem, problem.pairs), O.choice_of(problem, problem.pairs, assignment))
    assert O.total(state.values()) == pytest.approx(evaluate_objective(problem, assignment)["total"], abs=TOL)
    # the local search's own view of a unit's options
    search = I.search_data(problem, problem.pairs)
    s = O.Loads(search.objective, state.choice)
    units = list(problem.units.index)
    for _ in range(6):
        u = data.draw(st.sampled_from(units))
        k = units.index(u)
        rows = np.flatnonzero((problem.pairs["unit"] == u).to_numpy())
        waits = [-1] if problem.units.at[u, "may_wait"] or state.choice[k] < 0 else []
        to = int(data.draw(st.sampled_from([*waits, *rows.tolist()])))
        after = _moved(assignment, u, "" if to < 0 else problem.pairs["worker_id"].iloc[to])
        expected = _difference(problem, assignment, after)
        got = state.deltas(np.array([k]), np.array([state.choice[k]]), np.array([to]))
        for t in O.TERM_NAMES:
            assert float(got[t][0]) == pytest.approx(expected[t], abs=TOL), t
        opts, delta, _ = I._options(s, search, k)
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
                baseline_objective=terms["total"], used_baseline=False, solver="test", blocks=0, message="")
    result = build_result(problem, assignment, info)
    expl = result.explanations.set_index("case_id")
    unit_of = problem.cases.set_index("case_id")["unit"]
    for case_id, row in expl.iterrows():
        extra = row["runner_up_extra_cost"]
        if row["worker_id"] == "" or not isinstance(row["runner_up"], str) or pd.isna(extra):
            continue
        unit = unit_of[case_id]
        expected = _difference(problem, assignment, _moved(assignment, unit, row["runner_up"]))
        assert extra == pytest.approx(sum(expected.values()), abs=TOL)
        if row["runner_up_code"].startswith("cost:"):
            worst = row["runner_up_code"].split(":")[1]
            assert expected[worst] == pytest.approx(max(expected.values()), abs=TOL)
    # each child's share of the pair terms adds up to the family's
    alloc = result.allocations[result.allocations["decided"]]
    chosen = problem.eligible.merge(pd.DataFrame({"unit": assignment.index, "worker_id": assignment.to_numpy()}))
    for t in O.terms_of("pair"):
        col = f"cost_{t.name}"
        per_unit = alloc.assign(unit=alloc["case_id"].map(unit_of)).groupby("unit")[col].sum()
        own = chosen.set_index("unit")[col]
        assert np.allclose(per_unit.reindex(own.index).fillna(0.0).to_numpy(), own.to_numpy(), atol=1e-3), t.name
    # and the totals reported are the evaluation's
    assert result.summary["objective"] == pytest.approx(terms["total"], abs=1e-3)


def test_term_notes_give_each_weight_used_and_say_when_it_was_edited():
    """The Summary sheet's note on each ``terms.<name>`` figure comes from the objective table:
    one per term, each weight with the value used, and an edited weight named with its default."""
    from workforce.allocation.config import AllocationConfig

    notes = O.summary_notes()
    assert list(notes) == [f"terms.{name}" for name in O.TERM_NAMES]
    default = AllocationConfig()
    by_priority = ", ".join(f"priority {k}: {v:g}" for k, v in sorted(default.unallocated_cost.items()))
    assert f"unallocated_cost = {by_priority}" in notes["terms.unallocated"]
    assert "edited" not in notes["terms.continuity"]
    edited = O.summary_notes(AllocationConfig(continuity_cost=default.continuity_cost + 15))
    assert (f"continuity_cost = {default.continuity_cost + 15:g} (default {default.continuity_cost:g})"
            in edited["terms.continuity"])
    assert "edited in the settings used" in edited["terms.continuity"]
    assert "edited" not in edited["terms.travel"]
