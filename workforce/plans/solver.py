"""Solving the plans' integer programmes with HiGHS (through PuLP) and reporting honestly.

`optimal` only when HiGHS proved it within the gap tolerance; a time-limited stop with a
solution is `feasible` with the gap to the best bound; otherwise `infeasible` or `no_solution`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

OPTIMAL_GAP = 1e-6
_BANNER_DONE = False


def _silence_banner() -> None:
    """HiGHS prints a copyright banner on stdout the first time a solver is made in a process;
    make that first one with stdout pointed at /dev/null so command output stays clean."""
    global _BANNER_DONE
    if _BANNER_DONE:
        return
    import os
    import sys

    import highspy

    _BANNER_DONE = True
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


@dataclass(frozen=True)
class SolveReport:
    status: str  # optimal | feasible | infeasible | no_solution
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    message: str

    def as_dict(self, prefix: str) -> dict:
        return {f"{prefix}_status": self.status, f"{prefix}_objective": self.objective,
                f"{prefix}_bound": self.bound, f"{prefix}_gap": self.gap, f"{prefix}_seconds": round(self.seconds, 3)}


def solve(problem, *, time_limit: float, gap_rel: float = OPTIMAL_GAP) -> SolveReport:
    """Solve a PuLP problem with HiGHS (one thread) and read HiGHS's own status and bound."""
    import highspy
    import pulp

    _silence_banner()
    began = time.perf_counter()
    if not problem.variables():
        return SolveReport("optimal", 0.0, 0.0, 0.0, 0.0, "empty model")
    engine = pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=gap_rel, threads=1)
    problem.solve(engine)
    seconds = time.perf_counter() - began
    h = problem.solverModel
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = int(info.primal_solution_status) == int(highspy.SolutionStatus.kSolutionStatusFeasible)
    message = h.modelStatusToString(status)
    S = highspy.HighsModelStatus
    if status in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return SolveReport("infeasible", None, None, None, seconds, message)
    if not has_solution:
        return SolveReport("no_solution", None, None, None, seconds, message)
    objective = float(pulp.value(problem.objective) or 0.0)
    is_mip = any(v.cat == pulp.LpInteger for v in problem.variables())
    if is_mip:
        # HiGHS may hold a maximisation as the minimisation of the negated objective: give the
        # bound in the problem's own sense.
        inner = float(info.objective_function_value)
        sign = -1.0 if abs(inner + objective) < abs(inner - objective) else 1.0
        bound = sign * float(info.mip_dual_bound)
        gap = abs(objective - bound) / max(1e-9, abs(objective)) if abs(bound) < 1e30 else None
    else:
        bound, gap = objective, 0.0
    if status == S.kOptimal and (gap is None or gap <= OPTIMAL_GAP or abs(objective - bound) < 1e-6):
        return SolveReport("optimal", objective, bound, 0.0, seconds, message)
    return SolveReport("feasible", objective, bound, gap, seconds, message)
