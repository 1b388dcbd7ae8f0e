"""The Generalized Assignment Problem as a PuLP model: give each item to one eligible agent within
capacity, at least cost.

`AssignmentModel` builds the GAP in bulk (one binary per eligible pair, expressions made from
lists, never grown term by term) and solves it through the one solver adapter (`workforce.mip`),
which reads the solver's own model status, bound and gap so that a time-limited stop is never
called optimal. Richer models extend it with resources, variables, constraints and named
objective terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np
import pandas as pd
import pulp

from workforce import mip
from workforce.errors import InputError

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
    limit: str | None = None  # what stopped an unfinished solve: "time", "work" or None


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


class AssignmentModel:
    """A GAP built in PuLP that richer models extend with resources, variables, constraints and
    named objective terms. Minimises the sum of the terms ("assignment", "unassigned" and any added).

    Parameters
    ----------
    pairs : DataFrame
        One row per *eligible* (item, agent) pair with columns ``item, agent, cost, load`` (extra
        columns are kept in ``self.pairs``).
    capacity : Series
        Capacity by agent.
    unassigned_cost : Series or None
        By item (NaN = must be assigned): an item may stay unassigned at that cost.
    fallback_agent : Series or None
        By item: an agent an item left unassigned still loads (it falls back to that agent's
        keeping; e.g. part of a job its current holder keeps). Only items with an unassigned
        cost; the load is given per resource (``fallback_load`` here for the capacity, and in
        `add_resource`).
    fallback_load : Series or None
        By item: the capacity load an unassigned item keeps on its fallback agent.
    name : str
        The model's name.

    Raises
    ------
    InputError
        For a missing column, a non-finite cost, load or capacity, a duplicated pair, or an agent
        without a capacity.
    """

    def __init__(self, pairs: pd.DataFrame, capacity: pd.Series, *, unassigned_cost: pd.Series | None = None,
                 fallback_agent: pd.Series | None = None, fallback_load: pd.Series | None = None,
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
        self.fallback_agent = (pd.Series(fallback_agent, dtype=object).reindex(self.unassigned.index).dropna()
                               if fallback_agent is not None else pd.Series([], dtype=object))
        self._add_assign_once_rows()
        self.add_resource("capacity", pd.Series(self._load, index=pairs.index), self.capacity,
                          fallback_load=fallback_load)
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

    def add_resource(self, name: str, load: pd.Series, capacity: pd.Series,
                     fallback_load: pd.Series | None = None) -> None:
        """Another knapsack row per agent: sum of ``load`` (aligned with pairs.index) over the agent's
        assigned pairs, plus ``fallback_load`` (by item) of the unassigned items falling back to
        the agent, <= ``capacity[agent]``. Agents without a capacity entry are not limited."""
        load = pd.to_numeric(pd.Series(load).reindex(self.pairs.index)).fillna(0.0).to_numpy(dtype=float)
        cap = pd.to_numeric(capacity).astype(float)
        keep = load != 0
        keys, variables, coefs = self.pairs["agent"].to_numpy()[keep], self._x[keep], load[keep]
        if fallback_load is not None and len(self.fallback_agent):
            fb = pd.to_numeric(pd.Series(fallback_load).reindex(self.fallback_agent.index)).fillna(0.0)
            on = fb.to_numpy(float) != 0
            keys = np.concatenate([keys, self.fallback_agent.to_numpy()[on]])
            variables = np.concatenate([variables, self.unassigned.reindex(self.fallback_agent.index).to_numpy()[on]])
            coefs = np.concatenate([coefs, fb.to_numpy(float)[on]])
        agents, exprs = _grouped_expressions(keys, variables, coefs)
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
              warm_start: pd.DataFrame | None = None, gap_rel: float = mip.OPTIMAL_GAP,
              progress: Callable | None = None, node_limit: int | None = None,
              options: dict | None = None) -> AssignmentResult:
        """Minimise the sum of the terms and report status, objective, bound and gap honestly.

        Parameters
        ----------
        time_limit : float or None
            Seconds for the solver.
        solver : {"highs", "cbc"}
        threads : int
            Solver threads.
        warm_start : DataFrame or None
            ``item, agent`` rows: a (possibly partial) starting assignment; pairs that are not
            eligible are skipped and counted in the message.
        gap_rel : float
            Relative gap at which the solver may stop (the status says "optimal" only within
            `workforce.mip.OPTIMAL_GAP`).
        progress : callable or None
            Called at each improving solution (HiGHS only; see `workforce.mip.solve`).
        node_limit : int or None
            At most this many branch-and-bound nodes (HiGHS only; a work limit: see
            `workforce.mip.solve`).
        options : dict or None
            Further HiGHS options by name (HiGHS only; see `workforce.mip.solve`).

        Returns
        -------
        AssignmentResult

        Raises
        ------
        InputError
            For an unknown solver, CBC when it is not installed, or a warm start without
            ``item``/``agent`` columns.
        ValueError
            When ``threads`` < 1.
        """
        self.problem.setObjective(self.objective())
        ws_values, skipped = self.warm_start_values(warm_start) if warm_start is not None else ({}, 0)
        report = mip.solve(self.problem, sense="min", solver=solver, time_limit=time_limit, gap_rel=gap_rel,
                           threads=threads, warm_start=ws_values, progress=progress, node_limit=node_limit,
                           options=options)
        if skipped:
            report = replace(report, message=f"{report.message}; {skipped} warm-start pairs were not eligible "
                                             "and were ignored")
        return self._result(report)

    def _result(self, report: mip.SolveReport) -> AssignmentResult:
        if report.has_solution:
            x = np.array([v.varValue or 0.0 for v in self._x]) > 0.5
            assignment = (self.pairs.loc[x, ["item", "agent"]].sort_values("item", kind="stable")
                          .reset_index(drop=True))
            unassigned = [item for item, v in self.unassigned.items() if (v.varValue or 0.0) > 0.5]
            terms = {name: float(expr.value() or 0.0) if len(expr) else float(expr.constant)
                     for name, expr in self.terms.items()}
        else:
            assignment = pd.DataFrame({"item": self.pairs["item"].iloc[:0], "agent": self.pairs["agent"].iloc[:0]})
            unassigned, terms = [], {}
        return AssignmentResult(assignment=assignment, unassigned=unassigned, objective=report.objective,
                                bound=report.bound, gap=report.gap, status=report.status, seconds=report.seconds,
                                solver=report.solver, terms=terms, message=report.message, limit=report.limit)
