"""The one solver adapter (`workforce.mip`): honest status from HiGHS's model status, the sense
given explicitly, bound and gap in that sense, solver checks and the process-wide thread pool."""

from __future__ import annotations

import pulp
import pytest

from workforce import mip
from workforce.errors import InputError


def _knapsack(sense: int) -> tuple[pulp.LpProblem, list]:
    """Pick items of value 5, 4, 3 (weights 4, 3, 2) within weight 5: the best value is 7 (4 + 3)."""
    prob = pulp.LpProblem("knapsack", sense)
    x = [prob.add_variable(f"x{i}", 0, 1, cat=pulp.LpBinary) for i in range(3)]
    value = 5 * x[0] + 4 * x[1] + 3 * x[2]
    prob += value if sense == pulp.LpMaximize else -value, "value"
    prob += 4 * x[0] + 3 * x[1] + 2 * x[2] <= 5, "weight"
    return prob, x


def test_maximisation_reports_objective_and_bound_in_its_own_sense():
    prob, x = _knapsack(pulp.LpMaximize)
    report = mip.solve(prob, sense="max")
    assert report.status == "optimal" and report.gap == 0.0
    assert report.objective == pytest.approx(7.0) and report.bound == pytest.approx(7.0)
    assert [round(v.varValue) for v in x] == [0, 1, 1]


def test_minimisation_of_the_same_model_agrees():
    prob, _ = _knapsack(pulp.LpMinimize)
    report = mip.solve(prob, sense="min")
    assert report.status == "optimal"
    assert report.objective == pytest.approx(-7.0) and report.bound == pytest.approx(-7.0)


def test_sense_is_never_guessed():
    prob, _ = _knapsack(pulp.LpMaximize)
    with pytest.raises(ValueError, match="maximise"):
        mip.solve(prob, sense="min")
    with pytest.raises(ValueError, match="sense"):
        mip.solve(prob, sense="maximise")


def test_lp_solved_to_optimality_is_optimal_with_its_optimum_as_bound():
    prob = pulp.LpProblem("lp", pulp.LpMinimize)
    y = prob.add_variable("y", 0, 10)
    prob += 2 * y, "cost"
    prob += y >= 1.5, "need"
    report = mip.solve(prob, sense="min")
    assert report.status == "optimal" and report.bound == report.objective == pytest.approx(3.0)
    assert report.message.startswith("HiGHS")  # for humans only: the status is not read from it


def test_infeasible_and_empty_models():
    prob = pulp.LpProblem("none", pulp.LpMinimize)
    z = prob.add_variable("z", 0, 1, cat=pulp.LpBinary)
    prob += z, "cost"
    prob += z >= 2, "impossible"
    report = mip.solve(prob, sense="min")
    assert report.status == "infeasible" and report.objective is None and not report.has_solution
    empty = mip.solve(pulp.LpProblem("empty", pulp.LpMaximize), sense="max")
    assert empty.status == "optimal" and empty.objective == 0.0


def test_relative_gap():
    assert mip.relative_gap(100.0, 90.0) == pytest.approx(0.1)
    assert mip.relative_gap(-100.0, -110.0) == pytest.approx(0.1)
    assert mip.relative_gap(100.0, 100.0 + 1e-8) == 0.0
    assert mip.relative_gap(None, 1.0) is None and mip.relative_gap(1.0, float("inf")) is None


def test_solver_checks_name_the_setting():
    assert mip.check_solver("HiGHS") == "highs"
    with pytest.raises(InputError, match="--solver.*highs, cbc"):
        mip.check_solver("gurobi", column="--solver")
    if not mip.cbc_available():
        with pytest.raises(InputError, match="CBC is not installed"):
            mip.check_solver("cbc")
    else:
        assert mip.check_solver("cbc") == "cbc"


def test_thread_count_can_change_between_solves_and_must_be_positive():
    for threads in (2, 1, 2, 1):
        prob, _ = _knapsack(pulp.LpMaximize)
        assert mip.solve(prob, sense="max", threads=threads).objective == pytest.approx(7.0)
    prob, _ = _knapsack(pulp.LpMaximize)
    with pytest.raises(ValueError, match="threads"):
        mip.solve(prob, sense="max", threads=0)


def test_report_as_dict():
    prob, _ = _knapsack(pulp.LpMaximize)
    d = mip.solve(prob, sense="max").as_dict("plan")
    assert d["plan_status"] == "optimal" and d["plan_objective"] == pytest.approx(7.0)
    assert set(d) == {"plan_status", "plan_objective", "plan_bound", "plan_gap", "plan_seconds",
                      "plan_stopped_by_time_limit"}
    assert d["plan_stopped_by_time_limit"] is False


def test_an_objective_the_solution_does_not_reach_is_not_reported_and_proves_nothing():
    from workforce import mip

    assert mip.consistent(100.0, 100.0 + 1e-6)
    assert not mip.consistent(12058.28, 14458.28)
    import highspy

    report = {"model_status": highspy.HighsModelStatus.kOptimal, "message": "Optimal", "has_solution": True,
              "objective": 14458.28, "bound": None, "inconsistent": 12058.28}
    out = mip._highs_report(report, True, 0.1)
    assert out.status == "feasible" and out.objective == 14458.28
    assert out.bound is None and out.gap is None
    assert "not its solution's" in out.message
