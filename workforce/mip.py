"""The one solver adapter for every integer programme in the product (allocation, GAP, plans).

A PuLP model goes to HiGHS through highspy in bulk (arrays, not one column or row per call) or,
when it is installed, to CBC. What comes back is stated honestly, in the sense the caller names:

* the status is read from HiGHS's own model status and primal solution status, never from a
  message: ``optimal`` only when HiGHS proved it (a MIP's gap within `OPTIMAL_GAP`, an LP solved
  to optimality); a solve stopped by its time limit with a solution is ``feasible`` with the gap
  to the best proven bound; otherwise ``infeasible`` or ``no_solution``;
* the objective reported is the objective of the solution returned: when HiGHS reports another
  (`consistent`), the solution's is kept, the status is ``feasible`` and no bound is trusted;
* the objective's sense is given explicitly by the caller and checked against the model's; the
  bound and gap are reported in that sense (HiGHS minimises the negated objective of a
  maximisation);
* HiGHS keeps process-wide state (a copyright banner printed on stdout by the first model, one
  global thread pool sized by the first run): both are handled here and nowhere else.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import highspy
import numpy as np
import pulp

from workforce.errors import InputError

SOLVERS = ("highs", "cbc")
SENSES = ("min", "max")
STATUSES = ("optimal", "feasible", "infeasible", "no_solution")
CBC_MISSING = "CBC is not installed; PuLP 4 no longer ships it; use --solver highs"
#: Relative gap under which a solve counts as optimal. HiGHS's own default (1e-4) stops short of
#: known optima on the GAP benchmark sets, so the default tolerance is tight.
OPTIMAL_GAP = 1e-6


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """The relative gap between an objective value and a proven bound.

    Parameters
    ----------
    objective, bound : float or None
        The best solution's objective and the best proven (dual) bound, in the same sense.

    Returns
    -------
    float or None
        ``|objective - bound| / max(1e-9, |objective|)``; 0.0 when they agree to 1e-9 relative;
        None when either is unknown or not finite.
    """
    if objective is None or bound is None or not math.isfinite(objective) or not math.isfinite(bound):
        return None
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(1e-9, abs(objective))


def cbc_available() -> bool:
    """Whether ``solver="cbc"`` can run here (a system ``cbc``, or the copy PuLP 3 bundles)."""
    return _cbc_engine_class() is not None


def check_solver(solver: str, *, column: str = "solver") -> str:
    """The solver's name, checked: one of `SOLVERS`, and installed.

    Parameters
    ----------
    solver : str
        "highs" or "cbc" (any case).
    column : str
        How the setting is named in an error (e.g. "--solver" on the command line).

    Returns
    -------
    str
        The lower-case name.

    Raises
    ------
    InputError
        For an unknown name, or "cbc" when CBC is not installed.
    """
    name = str(solver).strip().lower()
    if name not in SOLVERS:
        raise InputError(f"unknown solver '{solver}'", column=column, allowed=", ".join(SOLVERS))
    if name == "cbc" and not cbc_available():
        raise InputError(CBC_MISSING, column=column, allowed="highs")
    return name


def check_threads(threads: int) -> int:
    """``threads`` as an int of at least 1 (ValueError otherwise: a programming error)."""
    threads = int(threads)
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return threads


@dataclass(frozen=True)
class SolveReport:
    """What a solve found, stated honestly.

    ``status`` is "optimal" only when the solver proved it; ``objective`` and ``bound`` are in
    the sense the caller gave; ``gap`` is `relative_gap` (0.0 when optimal, None when unknown);
    ``message`` is the solver's own status text, for humans only (never parsed).
    """

    status: str  # "optimal" | "feasible" | "infeasible" | "no_solution"
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    message: str
    solver: str = "highs"
    limit: str | None = None  # what stopped an unfinished solve: "time", "work" (nodes, iterations) or None

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")

    def as_dict(self, prefix: str) -> dict:
        """The figures as ``<prefix>_status``, ``_objective``, ``_bound``, ``_gap``, ``_seconds`` and
        ``_stopped_by_time_limit`` (a solve the clock stopped may end elsewhere in another run)."""
        return {f"{prefix}_status": self.status, f"{prefix}_objective": self.objective,
                f"{prefix}_bound": self.bound, f"{prefix}_gap": self.gap, f"{prefix}_seconds": round(self.seconds, 3),
                f"{prefix}_stopped_by_time_limit": self.limit == "time"}


# ------------------------------------------------------------------ process-wide HiGHS state
_STATE = threading.Lock()
_BANNER_SHOWN = False
_SCHEDULER_THREADS: int | None = None


def _swallow_banner() -> None:
    """HiGHS prints its banner on stdout when the first model of a process is made, before any
    option can be set: make that one with stdout pointed at /dev/null, so command output (and CSV
    written to stdout) stays clean."""
    global _BANNER_SHOWN
    with _STATE:
        if _BANNER_SHOWN:
            return
        _BANNER_SHOWN = True
        try:
            sys.stdout.flush()
            saved = os.dup(1)
        except (OSError, ValueError):  # no real stdout (embedded): nothing to protect
            highspy.Highs()
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)


def _use_threads(threads: int) -> None:
    """HiGHS keeps one global thread pool per process, sized by the first run; a later run asking
    for another size fails ("Not Set"). Reset the pool when the requested size changes (also on
    first use: the pool may exist at its default size)."""
    global _SCHEDULER_THREADS
    threads = check_threads(threads)
    with _STATE:
        if _SCHEDULER_THREADS != threads:
            highspy.Highs.resetGlobalScheduler(True)
        _SCHEDULER_THREADS = threads


def new_highs(time_limit: float | None = None, threads: int = 1) -> highspy.Highs:
    """A silent, seeded highspy model for code that builds HiGHS models directly.

    Parameters
    ----------
    time_limit : float or None
        Seconds, or None for no limit.
    threads : int
        HiGHS threads for this model (run it with `run_highs`).

    Returns
    -------
    highspy.Highs
    """
    _swallow_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", check_threads(threads))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    return h


def run_highs(h: highspy.Highs, threads: int = 1) -> None:
    """Run a highspy model with the process's thread pool sized for ``threads``.

    Raises
    ------
    RuntimeError
        When HiGHS fails to run at all (an error, not an infeasible or time-limited model).
    """
    _use_threads(threads)
    if h.run() == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS failed to run ({h.modelStatusToString(h.getModelStatus())})")


def has_primal_solution(h: highspy.Highs) -> bool:
    """Whether HiGHS holds a feasible primal solution (from its solution status)."""
    return int(h.getInfo().primal_solution_status) == int(highspy.SolutionStatus.kSolutionStatusFeasible)


# ------------------------------------------------------------------------------ the engine
#: What HiGHS said of a warm start, in words (the summary's message is read by service managers).
WARM_START_WORDS = {highspy.HighsStatus.kOk: "accepted", highspy.HighsStatus.kWarning: "accepted with a warning",
                    highspy.HighsStatus.kError: "not accepted"}


class HighsBulk(pulp.HiGHS):
    """PuLP's HiGHS class with the model passed to highspy in bulk, an optional warm start and
    progress callback, the objective minimised in the sense given (a maximisation is passed
    negated), and HiGHS's own status, objective and bound kept in ``report``."""

    def __init__(self, *, sense: str = "min", warm_start: dict | None = None, progress: Callable | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.mult = -1.0 if _check_sense(sense) == "max" else 1.0
        self.warm_start = warm_start or {}
        self.progress = progress
        self.report: dict[str, Any] = {}

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        _swallow_banner()
        super().createAndConfigureSolver(lp)

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        inf = highspy.kHighsInf
        h = lp.solverModel
        variables = self.variables_ = lp.variables()
        for i, var in enumerate(variables):
            var.index = i
        n = len(variables)
        mult = self.mult
        cost = np.zeros(n)
        for var, coef in lp.objective.items():
            cost[var.index] = mult * coef
        lower = np.array([-inf if v.lowBound is None else v.lowBound for v in variables], dtype=float)
        upper = np.array([inf if v.upBound is None else v.upBound for v in variables], dtype=float)
        empty_i, empty_f = np.zeros(0, dtype=np.int32), np.zeros(0)
        h.addCols(n, cost, lower, upper, 0, empty_i, empty_i, empty_f)
        integer = np.array([v.index for v in variables if v.cat == pulp.LpInteger], dtype=np.int32)
        self.is_mip = bool(len(integer)) and self.mip
        if self.is_mip:
            h.changeColsIntegrality(len(integer), integer,
                                    np.full(len(integer), highspy.HighsVarType.kInteger.value, dtype=np.uint8))
        self.cost, self.offset = cost, mult * float(lp.objective.constant or 0.0)  # to check HiGHS's objective
        h.changeObjectiveOffset(self.offset)

        constraints = list(lp._constraints.values())
        starts, index, value, row_lo, row_up = [0], [], [], [], []
        for i, con in enumerate(constraints):
            con.index = i
            items = [(v.index, c) for v, c in con.items() if c != 0]
            index.extend(k for k, _ in items)
            value.extend(c for _, c in items)
            starts.append(len(index))
            lb, ub = con.getLb(), con.getUb()
            row_lo.append(-inf if lb is None else lb)
            row_up.append(inf if ub is None else ub)
        if constraints:
            h.addRows(len(constraints), np.array(row_lo, dtype=float), np.array(row_up, dtype=float),
                      len(index), np.array(starts[:-1], dtype=np.int32), np.array(index, dtype=np.int32),
                      np.array(value, dtype=float))

    def _set_warm_start(self, lp: pulp.LpProblem) -> None:
        """Hand HiGHS a (possibly partial) starting solution; HiGHS completes and checks it."""
        if not self.warm_start:
            return
        idx = np.array([v.index for v in self.warm_start], dtype=np.int32)
        val = np.array(list(self.warm_start.values()), dtype=float)
        status = lp.solverModel.setSolution(len(idx), idx, val)
        self.report["warm_start_status"] = WARM_START_WORDS.get(status, str(status))

    def _start_progress(self, lp: pulp.LpProblem) -> None:
        if self.progress is None:
            return
        progress, mult = self.progress, self.mult

        def on_event(kind: int, message: str, data_out: Any, data_in: Any, user: Any) -> None:
            objective = mult * data_out.objective_function_value
            bound = mult * data_out.mip_dual_bound
            progress({"seconds": data_out.running_time, "objective": objective, "bound": bound,
                      "gap": relative_gap(objective, bound)})

        lp.solverModel.setCallback(on_event, None)
        lp.solverModel.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)

    def actualSolve(self, lp: pulp.LpProblem, **kwargs: Any) -> int:  # noqa: N802 (PuLP's name)
        self.createAndConfigureSolver(lp)
        self.buildSolverModel(lp)
        self._set_warm_start(lp)
        self._start_progress(lp)
        h = lp.solverModel
        run_highs(h, self.threads or 1)
        model_status = h.getModelStatus()
        info = h.getInfo()
        has_solution = has_primal_solution(h)
        dual = info.mip_dual_bound
        self.report.update(
            model_status=model_status,
            message=h.modelStatusToString(model_status),
            has_solution=has_solution,
            objective=self.mult * info.objective_function_value if has_solution else None,
            bound=self.mult * dual if (self.is_mip and math.isfinite(dual)) else None,
        )
        if has_solution:
            values = np.asarray(h.getSolution().col_value)
            for var, value in zip(self.variables_, values.tolist()):
                var.varValue = value
            reached = float(self.cost @ values + self.offset)
            if not consistent(info.objective_function_value, reached):
                self.report.update(objective=self.mult * reached, bound=None,
                                   inconsistent=self.mult * info.objective_function_value)
            lp.assignStatus(pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible)
            return pulp.LpStatusOptimal
        for var in self.variables_:
            var.varValue = None
        infeasible = model_status in (highspy.HighsModelStatus.kInfeasible,
                                      highspy.HighsModelStatus.kUnboundedOrInfeasible)
        lp.assignStatus(pulp.LpStatusInfeasible if infeasible else pulp.LpStatusNotSolved)
        return lp.status


def _check_sense(sense: str) -> str:
    if sense not in SENSES:
        raise ValueError(f"unknown objective sense {sense!r}; allowed: {', '.join(SENSES)}")
    return sense


def consistent(reported: float, reached: float) -> bool:
    """Is the objective a solver reports the objective its solution reaches (to a relative
    1e-7)? HiGHS 1.16, warm-started on a model with general integers, was seen to report an
    objective its returned solution does not reach, below the model's true optimum: 12,058 with
    a solution worth 14,458, where the optimum is 12,296 (an allocation block with 47 identical
    families counted by one integer per worker, tried and set aside on 30 November 2026; the
    recruitment plan's hires are general integers). Such a report proves nothing."""
    return abs(reported - reached) <= 1e-7 * max(1.0, abs(reached))


#: How a report says the solver's objective was not its solution's.
INCONSISTENT = ("its reported objective ({:.6g}) is not its solution's ({:.6g}): the solution's is kept and no bound "
                "is trusted")


def _highs_report(report: dict, is_mip: bool, seconds: float) -> SolveReport:
    """The honest status from HiGHS's model status, solution status, objective and bound (none
    trusted when HiGHS's objective is not its solution's: `consistent`)."""
    S = highspy.HighsModelStatus
    ms, objective, bound = report["model_status"], report["objective"], report["bound"]
    message = f"HiGHS: {report['message']}"
    if "warm_start_status" in report:
        message += f"; warm start {report['warm_start_status']}"
    limit = "time" if ms == S.kTimeLimit else ("work" if ms in (S.kSolutionLimit, S.kIterationLimit) else None)
    if "inconsistent" in report:
        message += "; " + INCONSISTENT.format(report["inconsistent"], objective)
        return SolveReport("feasible", objective, None, None, seconds, message, limit=limit)
    if not report["has_solution"]:
        status = "infeasible" if ms in (S.kInfeasible, S.kUnboundedOrInfeasible) else "no_solution"
        return SolveReport(status, None, None, None, seconds, message, limit=limit)
    if not is_mip:  # an LP solved to optimality is proven: its optimum is its bound
        if ms == S.kOptimal:
            return SolveReport("optimal", objective, objective, 0.0, seconds, message)
        return SolveReport("feasible", objective, None, None, seconds, message, limit=limit)
    gap = relative_gap(objective, bound)
    if ms == S.kOptimal and gap is not None and gap <= OPTIMAL_GAP:
        return SolveReport("optimal", objective, bound, 0.0, seconds, message)
    return SolveReport("feasible", objective, bound, gap, seconds, message, limit=limit)


def _cbc_engine_class() -> type | None:
    """A system ``cbc`` (COIN_CMD) first, else the copy PuLP 3 bundles; None when neither runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # PULP_CBC_CMD is going in PuLP 4
        for cls in (pulp.COIN_CMD, pulp.PULP_CBC_CMD):
            if cls(msg=False).available():
                return cls
    return None


def _solve_cbc(problem: pulp.LpProblem, *, time_limit: float | None, threads: int, gap_rel: float,
               warm_start: dict, began: float) -> SolveReport:
    """CBC through PuLP: its status is PuLP's solution status (CBC's command line reports no
    bound, so a bound is given only when CBC proved optimality)."""
    cls = _cbc_engine_class()
    if cls is None:
        raise InputError(CBC_MISSING, column="solver", allowed="highs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        engine = cls(msg=False, timeLimit=time_limit, gapRel=gap_rel, threads=threads,
                     warmStart=bool(warm_start), options=["randomSeed 0"])
    for var, value in warm_start.items():
        var.setInitialValue(value)
    problem.solve(engine)
    sol = problem.sol_status
    if sol == pulp.LpSolutionOptimal:
        status = "optimal"
    elif sol == pulp.LpSolutionIntegerFeasible:
        status = "feasible"
    elif sol == pulp.LpSolutionInfeasible or problem.status == pulp.LpStatusInfeasible:
        status = "infeasible"
    else:
        status = "no_solution"
    objective = float(pulp.value(problem.objective)) if status in ("optimal", "feasible") else None
    bound = objective if status == "optimal" else None
    message = f"CBC: {pulp.LpStatus[problem.status]} ({pulp.LpSolution[sol]})"
    return SolveReport(status, objective, bound, 0.0 if status == "optimal" else None,
                       time.perf_counter() - began, message, solver="cbc")


def solve(problem: pulp.LpProblem, *, sense: str, solver: str = "highs", time_limit: float | None = None,
          gap_rel: float = OPTIMAL_GAP, threads: int = 1, warm_start: dict | None = None,
          progress: Callable | None = None, node_limit: int | None = None,
          options: dict[str, Any] | None = None) -> SolveReport:
    """Solve a PuLP model and report what was found honestly (see the module docstring).

    Parameters
    ----------
    problem : pulp.LpProblem
        The model; its variables get their values when a solution is found.
    sense : {"min", "max"}
        The objective's sense, stated by the caller (checked against the model's own).
    solver : {"highs", "cbc"}
        CBC only when installed.
    time_limit : float or None
        Seconds for the solver, or None for no limit.
    gap_rel : float
        Relative gap at which the solver may stop; the status is "optimal" only within
        `OPTIMAL_GAP` whatever this is.
    threads : int
        Solver threads (HiGHS's process-wide pool is resized when this changes).
    warm_start : dict or None
        ``{variable: value}`` for a (possibly partial) starting solution.
    progress : callable or None
        HiGHS only: called with ``{"seconds", "objective", "bound", "gap"}`` at each improving
        solution.
    node_limit : int or None
        HiGHS only: at most this many branch-and-bound nodes. A work limit, unlike the time
        limit: a solve it stops ends the same on any machine (with one thread and the fixed
        seed), so the answer can be repeated exactly. ``SolveReport.limit`` says which stopped it.
    options : dict or None
        HiGHS only: further HiGHS options by their HiGHS names (a caller that measured a setting
        to suit its models, e.g. ``{"mip_allow_restart": False}``).

    Returns
    -------
    SolveReport

    Raises
    ------
    ValueError
        When ``sense`` is not "min"/"max" or disagrees with the model's sense, or ``threads`` < 1.
    InputError
        For an unknown solver, or CBC when it is not installed.
    RuntimeError
        When HiGHS fails to run.
    """
    _check_sense(sense)
    model_sense = "max" if problem.sense == pulp.LpMaximize else "min"
    if model_sense != sense:
        raise ValueError(f"model {problem.name!r} is built to {model_sense}imise but sense={sense!r} was given")
    solver = check_solver(solver)
    threads = check_threads(threads)
    began = time.perf_counter()
    if not problem.variables():  # nothing to decide: the objective is its constant
        constant = float(problem.objective.constant) if problem.objective is not None else 0.0
        return SolveReport("optimal", constant, constant, 0.0, 0.0, "empty model", solver)
    if solver == "cbc":
        return _solve_cbc(problem, time_limit=time_limit, threads=threads, gap_rel=gap_rel,
                          warm_start=warm_start or {}, began=began)
    extra = dict(options or {})
    if node_limit is not None:
        extra["mip_max_nodes"] = int(node_limit)
    engine = HighsBulk(sense=sense, msg=False, timeLimit=time_limit, gapRel=gap_rel, threads=threads,
                       warm_start=warm_start, progress=progress, random_seed=0, **extra)
    problem.solve(engine)
    return _highs_report(engine.report, engine.is_mip, time.perf_counter() - began)
