"""The Generalized Assignment core: give each item to one eligible agent within capacity, at least cost.

`AssignmentModel` builds the GAP in PuLP (in bulk: one binary per eligible pair, expressions made
from lists, never grown term by term) and solves it with HiGHS through highspy, reading HiGHS's own
model status, dual bound and gap so that a time-limited stop is never called optimal. Richer models
(the social-care model) extend it with resources, variables, constraints and named objective terms.
`solve_assignment` is the one-call form, with heuristic warm starts for large or hard instances.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
import pulp

from workforce.errors import InputError

SOLVERS = ("highs", "cbc")
CBC_MISSING = "CBC is not installed; PuLP 4 no longer ships it; use --solver highs"
#: Relative gap under which a solve counts as optimal. HiGHS's own default (1e-4) stops short of
#: known optima on the benchmark sets, so the default tolerance is tight.
OPTIMAL_GAP = 1e-6

PAIR_COLUMNS = ("item", "agent", "cost", "load")


@dataclass
class AssignmentResult:
    """What a solve found, stated honestly.

    ``status`` is "optimal" only when the solver proved it (gap within 1e-6); a solve stopped by a
    time limit is "feasible" (with ``gap`` to the best proven ``bound``) or "no_solution".
    """

    assignment: pd.DataFrame  # columns item, agent (assigned items only), sorted by item
    unassigned: list  # items left unassigned at their unassigned cost
    objective: float | None
    bound: float | None  # best proven (dual) bound
    gap: float | None  # |objective - bound| / max(1e-9, |objective|); 0.0 when optimal
    status: str  # "optimal" | "feasible" | "infeasible" | "no_solution"
    seconds: float
    solver: str
    terms: dict[str, float] = field(default_factory=dict)  # objective value of each named term
    message: str = ""  # the solver's own status text, for humans


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / max(1e-9, |objective|)``, or None when either is unknown."""
    if objective is None or bound is None or not math.isfinite(objective) or not math.isfinite(bound):
        return None
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(1e-9, abs(objective))


def _check_solver_name(solver: str) -> str:
    name = str(solver).lower()
    if name not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; allowed: {', '.join(SOLVERS)}")
    return name


def _validate_pairs(pairs: pd.DataFrame, capacity: pd.Series, unassigned_cost: pd.Series | None) -> None:
    """Input checks that name the column at fault (bad input never reaches the solver)."""
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise InputError(f"pairs table lacks column(s) {', '.join(missing)}", file="pairs",
                         column=missing[0], allowed=", ".join(PAIR_COLUMNS))
    for col in ("cost", "load"):
        values = pd.to_numeric(pairs[col], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(f"'{col}' must be a finite number, got {pairs[col].iloc[row]!r}",
                             file="pairs", row=row, column=col)
    if pairs.duplicated(["item", "agent"]).any():
        row = int(np.flatnonzero(pairs.duplicated(["item", "agent"]).to_numpy())[0])
        raise InputError("the same (item, agent) pair appears twice", file="pairs", row=row, column="agent")
    cap = pd.to_numeric(capacity, errors="coerce")
    if cap.isna().any() or not np.isfinite(cap.to_numpy(dtype=float)).all():
        agent = cap.index[~np.isfinite(cap.to_numpy(dtype=float, na_value=np.nan))][0]
        raise InputError(f"capacity of agent {agent!r} must be a finite number", file="capacity", column="capacity")
    unknown = pd.Index(pairs["agent"].unique()).difference(capacity.index)
    if len(unknown):
        raise InputError(f"agent {unknown[0]!r} has pairs but no capacity", file="pairs", column="agent")
    if unassigned_cost is not None:
        uc = pd.to_numeric(unassigned_cost, errors="coerce")
        if uc.index.duplicated().any():
            raise InputError(f"item {uc.index[uc.index.duplicated()][0]!r} has two unassigned costs",
                             file="unassigned_cost", column="item")
        bad = uc.notna() & ~np.isfinite(uc.to_numpy(dtype=float, na_value=0.0))
        if bad.any():
            raise InputError(f"unassigned cost of item {uc.index[bad.to_numpy()][0]!r} must be finite",
                             file="unassigned_cost", column="unassigned_cost")


def _grouped_expressions(keys: np.ndarray, variables: np.ndarray, coefs: np.ndarray) -> tuple[np.ndarray, list]:
    """One `LpAffineExpression` per distinct key, each built in one go from a list of (var, coef)."""
    codes, uniques = pd.factorize(keys, sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    vs, cs = variables[order], coefs[order].tolist()
    exprs = [
        pulp.LpAffineExpression(list(zip(vs[bounds[g]:bounds[g + 1]], cs[bounds[g]:bounds[g + 1]])))
        for g in range(len(uniques))
    ]
    return np.asarray(uniques), exprs


_BANNER_SHOWN = False
_SCHEDULER_THREADS: int | None = None


def _use_threads(threads: int) -> None:
    """HiGHS keeps one global thread pool per process, sized by the first run; a later run asking
    for another size fails ("Not Set"). Reset the pool when the requested size changes."""
    import highspy

    global _SCHEDULER_THREADS
    threads = int(threads)
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    if _SCHEDULER_THREADS != threads:  # also on first use: the pool may exist at its default size
        highspy.Highs.resetGlobalScheduler(True)
    _SCHEDULER_THREADS = threads


def new_highs(time_limit: float | None = None, threads: int = 1) -> Any:
    """A silent, seeded highspy model. HiGHS prints its banner to stdout when the first model of a
    process is made, before any option can be set; that one construction has stdout redirected so
    CLI output (and CSV written to stdout) stays clean."""
    import os

    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", int(threads))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    return h


class _HighsBulk(pulp.HiGHS):
    """PuLP's HiGHS API class, with the model passed to highspy in bulk (arrays, not one
    column/row per call), an optional warm start, a progress callback, and HiGHS's own status,
    bound and gap kept for honest reporting."""

    def __init__(self, *, warm_start: dict | None = None, progress: Callable | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.warm_start = warm_start or {}
        self.progress = progress
        self.report: dict[str, Any] = {}

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        if not _BANNER_SHOWN:
            new_highs()  # shows (and swallows) the banner once
        super().createAndConfigureSolver(lp)

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        import highspy

        inf = highspy.kHighsInf
        h = lp.solverModel
        variables = self.variables_ = lp.variables()
        for i, var in enumerate(variables):
            var.index = i
        n = len(variables)
        mult = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        cost = np.zeros(n)
        for var, coef in lp.objective.items():
            cost[var.index] = mult * coef
        lower = np.array([-inf if v.lowBound is None else v.lowBound for v in variables], dtype=float)
        upper = np.array([inf if v.upBound is None else v.upBound for v in variables], dtype=float)
        empty_i, empty_f = np.zeros(0, dtype=np.int32), np.zeros(0)
        h.addCols(n, cost, lower, upper, 0, empty_i, empty_i, empty_f)
        integer = np.array([v.index for v in variables if v.cat == pulp.LpInteger], dtype=np.int32)
        if len(integer) and self.mip:
            h.changeColsIntegrality(len(integer), integer,
                                    np.full(len(integer), highspy.HighsVarType.kInteger.value, dtype=np.uint8))
        h.changeObjectiveOffset(mult * float(lp.objective.constant or 0.0))

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
        self.sense_mult = mult

    def _set_warm_start(self, lp: pulp.LpProblem) -> None:
        """Hand HiGHS a (possibly partial) starting solution; HiGHS completes and checks it."""
        if not self.warm_start:
            return
        idx = np.array([v.index for v in self.warm_start], dtype=np.int32)
        val = np.array(list(self.warm_start.values()), dtype=float)
        status = lp.solverModel.setSolution(len(idx), idx, val)
        self.report["warm_start_status"] = str(status)

    def _start_progress(self, lp: pulp.LpProblem) -> None:
        if self.progress is None:
            return
        import highspy

        progress, mult = self.progress, self.sense_mult

        def on_event(kind: int, message: str, data_out: Any, data_in: Any, user: Any) -> None:
            objective = mult * data_out.objective_function_value
            bound = mult * data_out.mip_dual_bound
            progress({"seconds": data_out.running_time, "objective": objective, "bound": bound,
                      "gap": relative_gap(objective, bound)})

        lp.solverModel.setCallback(on_event, None)
        lp.solverModel.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)

    def actualSolve(self, lp: pulp.LpProblem, **kwargs: Any) -> int:  # noqa: N802 (PuLP's name)
        import highspy

        self.createAndConfigureSolver(lp)
        self.buildSolverModel(lp)
        self._set_warm_start(lp)
        self._start_progress(lp)
        h = lp.solverModel
        _use_threads(self.threads or 1)
        run_status = h.run()
        if run_status == highspy.HighsStatus.kError:
            raise RuntimeError(f"HiGHS failed to run ({h.modelStatusToString(h.getModelStatus())})")
        model_status = h.getModelStatus()
        info = h.getInfo()
        has_solution = int(info.primal_solution_status) == int(highspy.SolutionStatus.kSolutionStatusFeasible)
        mult = self.sense_mult
        self.report.update(
            model_status=model_status,
            message=h.modelStatusToString(model_status),
            has_solution=has_solution,
            objective=mult * info.objective_function_value if has_solution else None,
            bound=mult * info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None,
            nodes=int(info.mip_node_count),
        )
        if has_solution:
            values = np.asarray(h.getSolution().col_value)
            for var, value in zip(self.variables_, values.tolist()):
                var.varValue = value
            lp.assignStatus(pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible)
            return pulp.LpStatusOptimal
        for var in self.variables_:
            var.varValue = None
        infeasible = model_status in (highspy.HighsModelStatus.kInfeasible,
                                      highspy.HighsModelStatus.kUnboundedOrInfeasible)
        lp.assignStatus(pulp.LpStatusInfeasible if infeasible else pulp.LpStatusNotSolved)
        return lp.status


def cbc_available() -> bool:
    """Whether `solver="cbc"` can run here (a system cbc, or the copy PuLP 3 bundles)."""
    try:
        _cbc_engine(msg=False)
    except RuntimeError:
        return False
    return True


def _cbc_engine(**kwargs: Any) -> pulp.LpSolver:
    """A CBC command: a system ``cbc`` (COIN_CMD) first, else the copy PuLP 3 bundles; clear error if neither."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # PULP_CBC_CMD is going in PuLP 4
        for cls in (pulp.COIN_CMD, pulp.PULP_CBC_CMD):
            engine = cls(**kwargs)
            if engine.available():
                return engine
    raise RuntimeError(CBC_MISSING)


class AssignmentModel:
    """A GAP built in PuLP that richer models (the social-care model) extend.

    ``pairs`` has one row per *eligible* (item, agent) pair with columns ``item, agent, cost,
    load`` (extra columns are kept in ``self.pairs``); ``capacity`` is indexed by agent;
    ``unassigned_cost`` (indexed by item, NaN = must be assigned) lets an item stay unassigned at
    that cost. Minimises the sum of the named terms ("assignment", "unassigned" and any added).
    """

    def __init__(self, pairs: pd.DataFrame, capacity: pd.Series, *, unassigned_cost: pd.Series | None = None,
                 name: str = "assignment") -> None:
        _validate_pairs(pairs, capacity, unassigned_cost)
        self.name = name
        self.pairs = pairs.copy()
        self.capacity = pd.to_numeric(capacity).astype(float)
        self.problem = pulp.LpProblem(name, pulp.LpMinimize)
        self.terms: dict[str, pulp.LpAffineExpression] = {}
        self._names: set[str] = set()
        self._x = np.array(self._make_vars("x", len(pairs), cat=pulp.LpBinary), dtype=object)
        self.x = pd.Series(self._x, index=pairs.index, name="x")
        cost = pd.to_numeric(pairs["cost"]).to_numpy(dtype=float)
        self._cost = cost
        self._load = pd.to_numeric(pairs["load"]).to_numpy(dtype=float)

        items = pd.Index(pd.unique(pairs["item"]))
        if unassigned_cost is not None:
            uc = pd.to_numeric(unassigned_cost).astype(float).dropna()
            items = items.append(uc.index.difference(items))
            u = self._make_vars("u", len(uc), cat=pulp.LpBinary)
            self.unassigned = pd.Series(np.array(u, dtype=object), index=uc.index, name="unassigned")
            self.unassigned_cost = uc
        else:
            self.unassigned = pd.Series([], dtype=object, name="unassigned")
            self.unassigned_cost = pd.Series([], dtype=float)
        self.items = items
        self._add_assign_once_rows()
        self.add_resource("capacity", pd.Series(self._load, index=pairs.index), self.capacity)
        self.add_term("assignment", pulp.LpAffineExpression(list(zip(self._x, cost.tolist()))))
        self.add_term("unassigned", pulp.LpAffineExpression(
            list(zip(self.unassigned.to_numpy(), self.unassigned_cost.to_numpy().tolist()))))

    # -- building blocks -------------------------------------------------------------------
    def _make_vars(self, prefix: str, count: int, *, cat: str, low: float | None = 0,
                   up: float | None = None) -> list:
        if prefix in self._names:
            raise ValueError(f"variable group {prefix!r} already exists in model {self.name!r}")
        if not prefix.isidentifier():
            raise ValueError(f"variable group name {prefix!r} must be an identifier")
        self._names.add(prefix)
        width = max(7, len(str(count)))
        add = self.problem.add_variable
        return [add(f"{prefix}_{k:0{width}d}", low, up, cat) for k in range(count)]

    def _add_assign_once_rows(self) -> None:
        """Each item goes to exactly one agent, or (if it has an unassigned cost) stays unassigned."""
        keys = self.pairs["item"].to_numpy()
        slack_vars = self.unassigned.to_numpy()
        all_keys = np.concatenate([keys, self.unassigned.index.to_numpy()]) if len(slack_vars) else keys
        all_vars = np.concatenate([self._x, slack_vars]) if len(slack_vars) else self._x
        items, exprs = _grouped_expressions(all_keys, all_vars, np.ones(len(all_vars)))
        self.add_constraints("assign", [pulp.LpConstraint(e, pulp.LpConstraintEQ, rhs=1) for e in exprs])
        self._assign_rows_items = items

    def add_variables(self, name: str, index: pd.Index | list | int, *, cat: str = "Continuous",
                      low: float | None = 0.0, up: float | None = None) -> pd.Series:
        """Make one variable per entry of ``index`` (or ``range(index)``) in one go; returns them as a
        Series on that index. ``cat`` is "Continuous", "Binary" or "Integer"; names are ``<name>_<k>``."""
        idx = pd.RangeIndex(index) if isinstance(index, int) else pd.Index(index)
        cats = {"continuous": pulp.LpContinuous, "binary": pulp.LpBinary, "integer": pulp.LpInteger}
        if str(cat).lower() not in cats:
            raise ValueError(f"unknown variable category {cat!r}; allowed: Continuous, Binary, Integer")
        variables = self._make_vars(name, len(idx), cat=cats[str(cat).lower()], low=low, up=up)
        return pd.Series(np.array(variables, dtype=object), index=idx, name=name)

    def add_resource(self, name: str, load: pd.Series, capacity: pd.Series) -> None:
        """Another knapsack row per agent: sum of ``load`` (aligned with pairs.index) over the agent's
        assigned pairs <= ``capacity[agent]``. Agents without a capacity entry are not limited."""
        load = pd.to_numeric(pd.Series(load).reindex(self.pairs.index)).fillna(0.0).to_numpy(dtype=float)
        cap = pd.to_numeric(capacity).astype(float)
        keep = load != 0
        agents, exprs = _grouped_expressions(self.pairs["agent"].to_numpy()[keep], self._x[keep], load[keep])
        rows = []
        for agent, expr in zip(agents, exprs):
            limit = cap.get(agent, np.nan)
            if pd.notna(limit):
                rows.append(pulp.LpConstraint(expr, pulp.LpConstraintLE, rhs=float(limit)))
        self.add_constraints(name, rows)

    def add_constraints(self, name: str, constraints: list) -> None:
        """Add PuLP constraints, named ``<name>_<k>`` (so a group can be found and reported)."""
        if name in self._names:
            raise ValueError(f"constraint group {name!r} already exists in model {self.name!r}")
        self._names.add(name)
        width = max(7, len(str(len(constraints))))
        for k, con in enumerate(constraints):
            self.problem.addConstraint(con, f"{name}_{k:0{width}d}")

    def add_term(self, name: str, expression: Any) -> None:
        """Add an objective term (minimised); its value is reported in ``result.terms[name]``."""
        if name in self.terms:
            raise ValueError(f"objective term {name!r} already exists in model {self.name!r}")
        expr = expression if isinstance(expression, pulp.LpAffineExpression) else pulp.LpAffineExpression(expression)
        self.terms[name] = expr

    def objective(self) -> pulp.LpAffineExpression:
        """The sum of all terms (each added once, in place, to a fresh expression)."""
        total = pulp.LpAffineExpression()
        for expr in self.terms.values():
            total.addInPlace(expr)
        return total

    # -- warm start ------------------------------------------------------------------------
    def warm_start_values(self, warm_start: pd.DataFrame) -> tuple[dict, int]:
        """Variable values for an (item, agent) assignment: x for every pair of each listed item,
        and the item's unassigned slack. Pairs that are not eligible are skipped (counted)."""
        if not {"item", "agent"} <= set(warm_start.columns):
            raise InputError("warm start lacks column item or agent", file="warm_start", column="item")
        pair_pos = pd.Series(np.arange(len(self.pairs)),
                             index=pd.MultiIndex.from_frame(self.pairs[["item", "agent"]]))
        chosen = pair_pos.reindex(pd.MultiIndex.from_frame(warm_start[["item", "agent"]]))
        skipped = int(chosen.isna().sum())
        chosen_items = set(warm_start["item"][chosen.notna().to_numpy()])
        listed = self.pairs["item"].isin(chosen_items).to_numpy()
        values = {v: 0.0 for v in self._x[listed]}
        for k in chosen.dropna().astype(int):
            values[self._x[k]] = 1.0
        for item, var in self.unassigned.items():
            if item in chosen_items:
                values[var] = 0.0
        return values, skipped

    # -- solving ---------------------------------------------------------------------------
    def solve(self, *, time_limit: float | None = None, solver: str = "highs", threads: int = 1,
              warm_start: pd.DataFrame | None = None, gap_rel: float = OPTIMAL_GAP,
              progress: Callable | None = None) -> AssignmentResult:
        """Solve (minimise the sum of terms) and report status, objective, bound and gap honestly."""
        solver = _check_solver_name(solver)
        if int(threads) < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        start = time.perf_counter()
        self.problem.setObjective(self.objective())
        ws_values, skipped = self.warm_start_values(warm_start) if warm_start is not None else ({}, 0)
        if solver == "highs":
            engine = _HighsBulk(msg=False, timeLimit=time_limit, gapRel=gap_rel, threads=threads,
                                warm_start=ws_values, progress=progress, random_seed=0)
            self.problem.solve(engine)
            return self._result_from_highs(engine.report, time.perf_counter() - start, skipped, time_limit)
        return self._solve_cbc(time_limit, threads, ws_values, gap_rel, start)

    def _result_from_highs(self, report: dict, seconds: float, skipped: int,
                           time_limit: float | None) -> AssignmentResult:
        import highspy

        ms = report["model_status"]
        objective, bound = report["objective"], report["bound"]
        gap = relative_gap(objective, bound)
        if report["has_solution"]:
            proven = ms == highspy.HighsModelStatus.kOptimal and gap is not None and gap <= OPTIMAL_GAP
            status = "optimal" if proven else "feasible"
            if status == "optimal":
                gap = 0.0
        elif ms in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            status = "infeasible"
        else:
            status = "no_solution"
        message = f"HiGHS: {report['message']}"
        if "warm_start_status" in report:
            message += f"; warm start given ({report['warm_start_status']})"
        if skipped:
            message += f"; {skipped} warm-start pairs were not eligible and were ignored"
        return self._result(status, objective, bound, gap, seconds, "highs", message)

    def _solve_cbc(self, time_limit: float | None, threads: int, ws_values: dict, gap_rel: float,
                   start: float) -> AssignmentResult:
        engine = _cbc_engine(msg=False, timeLimit=time_limit, gapRel=gap_rel, threads=threads,
                             warmStart=bool(ws_values), options=["randomSeed 0"])
        for var, value in ws_values.items():
            var.setInitialValue(value)
        self.problem.solve(engine)
        sol = self.problem.sol_status
        if sol == pulp.LpSolutionOptimal:
            status = "optimal"
        elif sol == pulp.LpSolutionIntegerFeasible:
            status = "feasible"
        elif sol == pulp.LpSolutionInfeasible or self.problem.status == pulp.LpStatusInfeasible:
            status = "infeasible"
        else:
            status = "no_solution"
        has = status in ("optimal", "feasible")
        objective = float(pulp.value(self.problem.objective)) if has else None
        bound = objective if status == "optimal" else None  # CBC through PuLP does not report its bound
        gap = 0.0 if status == "optimal" else None
        message = f"CBC: {pulp.LpStatus[self.problem.status]} ({pulp.LpSolution[sol]})"
        return self._result(status, objective, bound, gap, time.perf_counter() - start, "cbc", message)

    def _result(self, status: str, objective: float | None, bound: float | None, gap: float | None,
                seconds: float, solver: str, message: str) -> AssignmentResult:
        has = status in ("optimal", "feasible")
        if has:
            x = np.array([v.varValue or 0.0 for v in self._x]) > 0.5
            assignment = (self.pairs.loc[x, ["item", "agent"]].sort_values("item", kind="stable")
                          .reset_index(drop=True))
            unassigned = [item for item, v in self.unassigned.items() if (v.varValue or 0.0) > 0.5]
            terms = {name: float(expr.value() or 0.0) if len(expr) else float(expr.constant)
                     for name, expr in self.terms.items()}
        else:
            assignment = pd.DataFrame({"item": self.pairs["item"].iloc[:0], "agent": self.pairs["agent"].iloc[:0]})
            unassigned, terms = [], {}
        return AssignmentResult(assignment=assignment, unassigned=unassigned, objective=objective, bound=bound,
                                gap=gap, status=status, seconds=seconds, solver=solver, terms=terms,
                                message=message)


@dataclass
class LpRelaxation:
    """The GAP's LP relaxation: fractional x (agent x item), unassigned shares, bound, reduced costs."""

    x: np.ndarray
    unassigned: np.ndarray
    bound: float
    reduced_cost: np.ndarray  # inf where the pair is not eligible


@dataclass
class GapMatrices:
    """The base GAP of a model as dense matrices for the numpy heuristics (rows = agents)."""

    items: pd.Index
    agents: pd.Index
    cost: np.ndarray  # inf where the pair is not eligible
    load: np.ndarray
    capacity: np.ndarray
    unassigned_cost: np.ndarray | None  # inf where the item must be assigned
    pair_pos: np.ndarray  # (agent row, item column) of each pairs row, as two arrays stacked

    @classmethod
    def from_model(cls, model: "AssignmentModel") -> "GapMatrices":
        agents = pd.Index(pd.unique(model.pairs["agent"]))
        agents = agents.append(model.capacity.index.difference(agents))
        items = model.items
        rows = agents.get_indexer(model.pairs["agent"])
        cols = items.get_indexer(model.pairs["item"])
        cost = np.full((len(agents), len(items)), np.inf)
        load = np.zeros((len(agents), len(items)))
        cost[rows, cols] = model._cost
        load[rows, cols] = model._load
        cap = model.capacity.reindex(agents).to_numpy(dtype=float)
        uc = None
        if len(model.unassigned):
            uc = model.unassigned_cost.reindex(items).to_numpy(dtype=float, na_value=np.inf)
        return cls(items, agents, cost, load, cap, uc, np.vstack([rows, cols]))

    def integral_bound(self, bound: float) -> float:
        """A lower bound rounded up when every cost is a whole number (then so is every objective)."""
        costs = self.cost[np.isfinite(self.cost)]
        if self.unassigned_cost is not None:
            costs = np.concatenate([costs, self.unassigned_cost[np.isfinite(self.unassigned_cost)]])
        if np.all(costs == np.round(costs)):
            return float(math.ceil(bound - 1e-6))
        return bound

    def frame(self, assign: np.ndarray) -> pd.DataFrame:
        """An agent-per-item array (-1 = unassigned) as the ``item, agent`` frame."""
        ok = assign >= 0
        return pd.DataFrame({"item": self.items[ok], "agent": self.agents[assign[ok]]})

    def array(self, assignment: pd.DataFrame) -> np.ndarray:
        """The ``item, agent`` frame back as an agent-per-item array (-1 = unassigned)."""
        out = np.full(len(self.items), -1, dtype=np.int64)
        cols = self.items.get_indexer(assignment["item"])
        out[cols] = self.agents.get_indexer(assignment["agent"])
        return out

    def lp_relaxation(self, time_limit: float | None, threads: int = 1) -> LpRelaxation | None:
        """Solve the LP relaxation with HiGHS (x by agent x item, unassigned share by item, bound and
        reduced costs), or None when it did not reach optimality in time."""
        import highspy

        inf = highspy.kHighsInf
        m, n = self.cost.shape
        ii, jj = np.nonzero(np.isfinite(self.cost))
        k = len(ii)
        h = new_highs(None if time_limit is None else max(0.1, float(time_limit)), threads)
        h.addRows(n + m, np.concatenate([np.ones(n), np.full(m, -inf)]),
                  np.concatenate([np.ones(n), self.capacity]), 0,
                  np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        index = np.empty(2 * k, dtype=np.int32)
        index[0::2], index[1::2] = jj, n + ii
        value = np.empty(2 * k)
        value[0::2], value[1::2] = 1.0, self.load[ii, jj]
        h.addCols(k, self.cost[ii, jj], np.zeros(k), np.ones(k), 2 * k,
                  np.arange(0, 2 * k, 2, dtype=np.int32), index, value)
        slack_cols = np.zeros(0, dtype=np.int64)
        if self.unassigned_cost is not None:
            slack_cols = np.flatnonzero(np.isfinite(self.unassigned_cost))
            s = len(slack_cols)
            h.addCols(s, self.unassigned_cost[slack_cols], np.zeros(s), np.ones(s), s,
                      np.arange(s, dtype=np.int32), slack_cols.astype(np.int32), np.ones(s))
        _use_threads(threads)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = h.getSolution()
        values, duals = np.asarray(solution.col_value), np.asarray(solution.col_dual)
        x = np.zeros((m, n))
        x[ii, jj] = values[:k]
        rc = np.full((m, n), np.inf)
        rc[ii, jj] = duals[:k]
        u = np.zeros(n)
        u[slack_cols] = values[k:]
        return LpRelaxation(x, u, float(h.getInfo().objective_function_value), rc)


@dataclass
class HeuristicStart:
    """A heuristic warm start: the assignment, its cost, and the LP bound found on the way."""

    assignment: pd.DataFrame
    objective: float | None  # None when no capacity-feasible assignment was found
    lp_bound: float | None
    seconds: float
    how: str
    lp: LpRelaxation | None = None


def heuristic_start(model: "AssignmentModel", *, time_limit: float = 5.0, seed: int = 0,
                    threads: int = 1, lp_time_limit: float | None = None) -> HeuristicStart:
    """LP relaxation, rounding with repair (or regret greedy when the LP is not solved within
    ``lp_time_limit``, default half of ``time_limit``), then shift/swap local search for what is
    left of ``time_limit``. Considers the base GAP of ``model`` only (cost, load, capacity,
    unassigned cost), not resources, constraints or terms added to it."""
    from workforce.allocation import heuristics as heur

    start = time.perf_counter()
    g = GapMatrices.from_model(model)
    args = dict(unassigned_cost=g.unassigned_cost)
    lp = g.lp_relaxation(0.5 * time_limit if lp_time_limit is None else lp_time_limit, threads)
    if lp is not None:
        assign = heur.lp_rounding_repair(lp.x, g.cost, g.load, g.capacity, unassigned_frac=lp.unassigned, **args)
        how = "LP rounding"
    else:
        assign = heur.greedy_assignment(g.cost, g.load, g.capacity, **args)
        how = "regret greedy"
    lp_bound = None if lp is None else g.integral_bound(lp.bound)
    assign = heur.local_search(assign, g.cost, g.load, g.capacity, **args, seed=seed, patience=LS_PATIENCE,
                               lower_bound=lp_bound,
                               time_limit=max(0.0, start + float(time_limit) - time.perf_counter()))
    feasible = heur.is_feasible(assign, g.cost, g.load, g.capacity, g.unassigned_cost)
    objective = heur.assignment_cost(assign, g.cost, g.unassigned_cost) if feasible else None
    return HeuristicStart(g.frame(assign), objective, lp_bound, time.perf_counter() - start,
                          how + " + local search", lp)


def kernel_search(model: "AssignmentModel", lp: LpRelaxation, assignment: pd.DataFrame, *, time_limit: float,
                  threads: int = 1, first_width: int = 3) -> tuple[pd.DataFrame, float, str]:
    """Restricted-MIP search: keep, for each item, only its ``width`` agents with the lowest LP
    reduced cost (plus its current agent), solve that much smaller GAP with HiGHS from the
    current assignment, and double ``width`` while the restricted MIP is solved to optimality in
    time. Every restricted solution is feasible for the full GAP. Returns assignment, cost, note."""
    from workforce.allocation import heuristics as heur

    deadline = time.perf_counter() + float(time_limit)
    g = GapMatrices.from_model(model)
    current = g.array(assignment)
    cost_now = heur.assignment_cost(current, g.cost, g.unassigned_cost)
    m = len(g.agents)
    order = np.argsort(lp.reduced_cost, axis=0, kind="stable")  # agents by reduced cost, per item
    rows, cols = g.pair_pos
    width, note = first_width, []
    floor = g.integral_bound(lp.bound)
    while time.perf_counter() < deadline - 0.5 and cost_now > floor + 1e-9:
        keep = np.zeros(g.cost.shape, dtype=bool)
        top = order[:min(width, m)]
        keep[top, np.arange(g.cost.shape[1])[None, :]] = True
        on = current >= 0
        keep[current[on], np.flatnonzero(on)] = True
        sub_pairs = model.pairs.loc[keep[rows, cols], ["item", "agent", "cost", "load"]]
        sub = AssignmentModel(sub_pairs, model.capacity, unassigned_cost=(
            model.unassigned_cost if len(model.unassigned) else None), name="kernel")
        result = sub.solve(time_limit=max(0.5, deadline - time.perf_counter()), threads=threads,
                           warm_start=g.frame(current))
        note.append(f"width {width}: {len(sub_pairs)} pairs, {result.status}, {result.objective}")
        if result.objective is not None and result.objective < cost_now - 1e-9:
            current, cost_now = g.array(result.assignment), float(result.objective)
        if result.status != "optimal" or width >= m:
            break
        width *= 2
    return g.frame(current), cost_now, "; ".join(note)


#: Local search stops after this many kicks without improvement (the MIP then takes over).
LS_PATIENCE = 400

#: Below this many eligible pairs HiGHS alone is quick; above it (with a time limit) the heuristic
#: warm start pays for itself.
HEURISTIC_MIN_PAIRS = 1000
#: Up to this many pairs the full MIP runs first (it usually proves optimality); above it the
#: reduced-cost kernel search runs first and the LP gives the bound.
SMALL_PAIRS = 5000


def solve_assignment(pairs: pd.DataFrame, capacity: pd.Series, *, unassigned_cost: pd.Series | None = None,
                     time_limit: float | None = None, solver: str = "highs", threads: int = 1,
                     warm_start: pd.DataFrame | None = None, heuristic: str = "auto",
                     seed: int = 0) -> AssignmentResult:
    """Solve a GAP given as eligible pairs (``item, agent, cost, load``) and capacities by agent.

    ``heuristic``: "auto" (with a time limit and at least `HEURISTIC_MIN_PAIRS` pairs), "on" or "off".
    With it: the LP relaxation, rounding + local search (15% of the time for small instances, 35%
    for large) give a warm start.
    Up to `SMALL_PAIRS` pairs the full MIP then runs from it (to 70% of the time) and, if that does
    not prove optimality, a reduced-cost kernel search uses the rest; larger instances go straight
    to the kernel search with the LP bound as proven bound. An LP-rounded start that meets the LP
    bound is optimal at once. The best assignment found is returned
    with the tightest proven bound; "optimal" only when that bound closes the gap.
    """
    _check_solver_name(solver)
    if heuristic not in ("auto", "on", "off"):
        raise ValueError(f"unknown heuristic setting {heuristic!r}; allowed: auto, on, off")
    start = time.perf_counter()
    model = AssignmentModel(pairs, capacity, unassigned_cost=unassigned_cost)
    use = heuristic == "on" or (heuristic == "auto" and time_limit is not None and len(pairs) >= HEURISTIC_MIN_PAIRS)
    if not use or warm_start is not None and heuristic != "on":
        return model.solve(time_limit=time_limit, solver=solver, threads=threads, warm_start=warm_start)
    T = float(time_limit) if time_limit is not None else 20.0  # untimed: heuristics get a nominal budget
    small = len(pairs) <= SMALL_PAIRS or solver != "highs"
    # small instances: a quick warm start, most time for the MIP; large: LP (which may take a while
    # on 100k pairs) and a longer local search before the kernel search
    share = (0.15, 0.1) if small else (0.35, 0.3)
    heur = heuristic_start(model, time_limit=share[0] * T, lp_time_limit=share[1] * T, seed=seed, threads=threads)
    first = warm_start if warm_start is not None else (heur.assignment if heur.objective is not None else None)

    def left() -> float:
        return max(1.0, T - (time.perf_counter() - start))

    if heur.objective is not None and relative_gap(heur.objective, heur.lp_bound) == 0.0 and warm_start is None:
        return _best_of(model, _lp_only(heur.lp_bound), heur, time.perf_counter() - start)  # proven by the LP
    if heur.lp is None or first is None:  # no LP in time, or no feasible start: the full MIP alone
        result = model.solve(time_limit=None if time_limit is None else left(), solver=solver, threads=threads,
                             warm_start=first)
        return _best_of(model, result, heur, time.perf_counter() - start)
    if small:
        # the full MIP from the warm start proves most small instances optimal (A-C types within
        # seconds); the reduced-cost kernel search only gets the time left when it does not
        result = model.solve(time_limit=None if time_limit is None else max(1.0, 0.7 * T - (time.perf_counter() - start)),
                             solver=solver, threads=threads, warm_start=first)
        best = _best_of(model, result, heur, time.perf_counter() - start)
        if best.status != "feasible" or time_limit is None:
            return best
        first = best.assignment
    else:
        result = _lp_only(heur.lp_bound)  # no full MIP on large instances: the LP gives the bound
    kernel, kernel_cost, note = kernel_search(model, heur.lp, first, time_limit=left(), threads=threads)
    found = HeuristicStart(kernel, kernel_cost, heur.lp_bound, heur.seconds, f"{heur.how} + kernel search ({note})")
    return _best_of(model, result, found, time.perf_counter() - start)


def _lp_only(bound: float | None) -> AssignmentResult:
    """A solver result holding only the LP relaxation's bound (no full MIP was run)."""
    return AssignmentResult(assignment=pd.DataFrame(columns=["item", "agent"]), unassigned=[], objective=None,
                            bound=bound, gap=None, status="no_solution", seconds=0.0, solver="highs",
                            message="HiGHS: LP relaxation bound (full MIP not run)")


def _best_of(model: "AssignmentModel", result: AssignmentResult, heur: HeuristicStart,
             seconds: float) -> AssignmentResult:
    """Report the better of the solver's and the heuristic's assignments, with the best bound."""
    bounds = [b for b in (result.bound, heur.lp_bound) if b is not None]
    bound = max(bounds) if bounds else None
    if result.status == "infeasible":
        return result
    use_heur = heur.objective is not None and (result.objective is None or heur.objective < result.objective - 1e-9)
    if use_heur:
        assignment = heur.assignment.sort_values("item", kind="stable").reset_index(drop=True)
        placed = set(assignment["item"])
        unassigned = [i for i in model.items if i not in placed]
        objective = heur.objective
        terms = {"assignment": objective - float(model.unassigned_cost.reindex(unassigned).sum()),
                 "unassigned": float(model.unassigned_cost.reindex(unassigned).sum())}
        source = f"; best solution from the heuristic ({heur.how})"
    else:
        assignment, unassigned, objective, terms = result.assignment, result.unassigned, result.objective, result.terms
        source = ""
    gap = relative_gap(objective, bound)
    status = "optimal" if gap is not None and gap <= OPTIMAL_GAP else ("feasible" if objective is not None else result.status)
    if status == "optimal":
        gap = 0.0
    message = f"{result.message}{source}; heuristic {heur.how} {heur.seconds:.1f}s"
    if heur.objective is not None:
        message += f" objective {heur.objective:g}"
    return AssignmentResult(assignment=assignment, unassigned=unassigned, objective=objective, bound=bound, gap=gap,
                            status=status, seconds=seconds, solver=result.solver, terms=terms, message=message)


def _sub_gap(g: GapMatrices, agents: np.ndarray, items: np.ndarray, current: np.ndarray,
             time_limit: float, threads: int) -> np.ndarray | None:
    """Solve the GAP restricted to ``agents`` and the ``items`` now on them (all others fixed)
    exactly with HiGHS, starting from ``current``; the new agent per item (-1 = unassigned), or
    None when HiGHS found nothing."""
    import highspy

    inf = highspy.kHighsInf
    sub_c = g.cost[np.ix_(agents, items)]
    ii, jj = np.nonzero(np.isfinite(sub_c))
    k, n, m = len(ii), len(items), len(agents)
    h = new_highs(time_limit, threads)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.addRows(n + m, np.concatenate([np.ones(n), np.full(m, -inf)]),
              np.concatenate([np.ones(n), g.capacity[agents]]), 0,
              np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    index = np.empty(2 * k, dtype=np.int32)
    index[0::2], index[1::2] = jj, n + ii
    value = np.empty(2 * k)
    value[0::2], value[1::2] = 1.0, g.load[agents[ii], items[jj]]
    h.addCols(k, sub_c[ii, jj], np.zeros(k), np.ones(k), 2 * k, np.arange(0, 2 * k, 2, dtype=np.int32), index, value)
    slack = np.zeros(0, dtype=np.int64)
    if g.unassigned_cost is not None:
        slack = np.flatnonzero(np.isfinite(g.unassigned_cost[items]))
        s = len(slack)
        h.addCols(s, g.unassigned_cost[items][slack], np.zeros(s), np.ones(s), s,
                  np.arange(s, dtype=np.int32), slack.astype(np.int32), np.ones(s))
    total = k + len(slack)
    h.changeColsIntegrality(total, np.arange(total, dtype=np.int32),
                            np.full(total, highspy.HighsVarType.kInteger.value, dtype=np.uint8))
    # warm start: the current assignment of these items
    start = np.zeros(total)
    row_of = {a: r for r, a in enumerate(agents.tolist())}
    pos = {(int(i), int(j)): p for p, (i, j) in enumerate(zip(ii, jj))}
    slack_pos = {int(j): k + p for p, j in enumerate(slack)}
    for col, j in enumerate(items):
        a = int(current[j])
        p = pos.get((row_of[a], col)) if a >= 0 else slack_pos.get(col)
        if p is not None:
            start[p] = 1.0
    h.setSolution(total, np.arange(total, dtype=np.int32), start)
    _use_threads(threads)
    h.run()
    if int(h.getInfo().primal_solution_status) != int(highspy.SolutionStatus.kSolutionStatusFeasible):
        return None
    values = np.asarray(h.getSolution().col_value)
    out = np.full(n, -1, dtype=np.int64)
    chosen = np.flatnonzero(values[:k] > 0.5)
    out[jj[chosen]] = agents[ii[chosen]]
    return out


def mip_neighbourhood_search(model: "AssignmentModel", assignment: pd.DataFrame, *, time_limit: float,
                             seed: int = 0, threads: int = 1, items_per_move: int = 60,
                             max_moves: int | None = None) -> tuple[pd.DataFrame, float]:
    """Large-neighbourhood search on the base GAP: free the items of a few agents (one at random
    plus the agents where its items have their cheapest alternatives), re-solve that small GAP to
    optimality with HiGHS, keep it when cheaper. Returns the assignment and its cost. ``max_moves``
    makes it deterministic; ``time_limit`` caps it."""
    from workforce.allocation import heuristics as heur

    deadline = time.perf_counter() + float(time_limit)
    g = GapMatrices.from_model(model)
    current = g.array(assignment)
    if not heur.is_feasible(current, g.cost, g.load, g.capacity, g.unassigned_cost):
        raise ValueError("mip_neighbourhood_search needs a capacity-feasible assignment to start from")
    cost_now = heur.assignment_cost(current, g.cost, g.unassigned_cost)
    rng = np.random.default_rng(seed)
    m = len(g.agents)
    per_agent = max(1.0, len(g.items) / max(1, m))
    size = int(min(m, max(2, round(items_per_move / per_agent))))
    moves = 0
    while time.perf_counter() < deadline and (max_moves is None or moves < max_moves):
        moves += 1
        first = int(rng.integers(m))
        on_first = np.flatnonzero(current == first)
        if size < m:
            # agents whose cost for these items is closest to what they pay now are the natural partners
            regret = g.cost[:, on_first] - g.cost[first, on_first][None, :] if len(on_first) else np.zeros((m, 1))
            score = np.where(np.isfinite(regret), regret, np.inf).min(axis=1, initial=np.inf)
            score = score + rng.uniform(0, 1e-6 + np.nanstd(np.where(np.isfinite(score), score, np.nan)), size=m)
            score[first] = -np.inf
            agents = np.argsort(score, kind="stable")[:size]
        else:
            agents = np.arange(m)
        items = np.flatnonzero(np.isin(current, agents) | (current < 0))
        if len(items) == 0:
            continue
        left = deadline - time.perf_counter()
        new = _sub_gap(g, agents, items, current, min(max(0.05, left), 5.0), threads)
        if new is None:
            continue
        trial = current.copy()
        trial[items] = new
        trial_cost = heur.assignment_cost(trial, g.cost, g.unassigned_cost)
        if trial_cost < cost_now - 1e-9 and heur.is_feasible(trial, g.cost, g.load, g.capacity, g.unassigned_cost):
            current, cost_now = trial, trial_cost
    return g.frame(current), cost_now
