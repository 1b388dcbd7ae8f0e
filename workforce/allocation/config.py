"""Allocation settings: objective weights and solver settings, with documented defaults.

Every weight is a cost in the same unit ("cost points") so the terms can be traded against each
other. The defaults are [DEFAULT] judgements (brief section 3), chosen so that the order of
priorities a service manager would state holds:

1. allocate every child who can be allocated (an unallocated CP or court child costs 1000, far
   more than anything else a single family can cost);
2. keep children with their worker (a move costs 20 per child, 60 when the child has already had
   two or more workers in 12 months: the Stability Index's "second change" [S40]);
3. keep workers out of the red (load above 85% of capacity costs 1 per point, above 95% a
   further 4 per point; each child above the soft headcount cap 5; the highest utilisation
   in each team 0.5 per percentage point);
4. avoid travel (2 per child outside the worker's locality) and avoid loading workers likely to
   leave (2 per point x p_leave).

They are read from the `[allocation]` section of the settings file (:mod:`workforce.config`,
whose loader also reads the older layout with top-level `[weights]`, `[guards]` and
`[solver]`); the caseload rules are the file's top-level `[caseload]`::

    [caseload]            # workforce.caseload.CaseloadRules fields
    sibling_factor = 0.5
    [caseload.case_points]
    cp = 8
    [allocation.weights]
    continuity_cost = 20
    [allocation.weights.unallocated_cost]
    1 = 1000
    [allocation.guards]   # never worse than the manager's baseline (all on by default)
    handoffs = true
    unallocated = true
    utilisation = true
    utilisation_scope = "service"   # or "team"
    [allocation.solver]
    time_limit = 30

Guards: a manager will not accept an "optimised" allocation that moves more children, leaves
more children unallocated, or loads the busiest worker more than doing it by hand would. With
the guards on (default) the optimiser's answer is at least as good as the baseline's on
handoffs, unallocated children and the highest utilisation (the service's busiest worker by
default, or each team's), and no worse on the objective; turning one off lets the optimiser trade that measure against the others. They are
not free: where the manager moves few children, the handoff guard can leave children unallocated
that the weights alone would place by moving others (measure with `benchmarks/allocation_bench.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from workforce.caseload import CaseloadRules
from workforce.errors import InputError


def _default_unallocated_cost() -> dict[int, float]:
    return {1: 1000.0, 2: 600.0, 3: 400.0}


@dataclass(frozen=True)
class AllocationConfig:
    """Weights of the objective terms, caseload rules and solver settings."""

    rules: CaseloadRules = field(default_factory=CaseloadRules)
    # continuity: cost per child moved from a current worker; extra when the child has already
    # had `continuity_repeat_threshold` or more workers in 12 months
    continuity_cost: float = 20.0
    continuity_repeat_cost: float = 40.0
    continuity_repeat_threshold: int = 2
    # travel: cost per child outside the worker's locality (the point itself is in the load)
    travel_cost: float = 2.0
    # load balance: (share of capacity, cost per point above it); costs add up, so the penalty
    # is piecewise increasing (convex)
    load_breakpoints: tuple[tuple[float, float], ...] = ((0.85, 1.0), (0.95, 4.0))
    soft_children_cost: float = 5.0  # per child above the worker's soft headcount cap
    # the most loaded worker of each team (per 1.0 of utilisation; 0.5 per percentage point);
    # scope "team" keeps team problems independent (exact decomposition), "service" takes the
    # single most loaded worker of the whole service (one model)
    highest_utilisation_cost: float = 50.0
    highest_utilisation_scope: str = "team"
    # risk-aware load: cost per point given to a worker, times the worker's p_leave
    risk_cost: float = 2.0
    # unallocated: cost per child by priority (1 highest: CP and court)
    unallocated_cost: dict[int, float] = field(default_factory=_default_unallocated_cost)
    # guards (`rules.py`): no more handoffs, unallocated children or team highest utilisation
    # than the manager's baseline
    guard_handoffs: bool = True
    guard_unallocated: bool = True
    guard_utilisation: bool = True
    # "service" (default): the service's busiest worker no busier than in the baseline; "team":
    # no team's busiest worker busier (caps every worker of a team at the baseline's top
    # utilisation there, which on the demo authority leaves ~24 more children unallocated)
    guard_utilisation_scope: str = "service"
    # solver: `time_limit` covers the whole call (building, solving, reporting); `threads` > 1
    # solves that many independent blocks at once
    time_limit: float | None = 30.0
    gap_rel: float = 1e-4
    threads: int = 1
    decompose: str = "auto"  # "auto" | "teams" | "single": "auto" solves team by team when exact

    def __post_init__(self) -> None:
        problems = []
        for name in ("continuity_cost", "continuity_repeat_cost", "travel_cost", "soft_children_cost",
                     "highest_utilisation_cost", "risk_cost", "gap_rel"):
            if float(getattr(self, name)) < 0:
                problems.append(f"{name} must be >= 0")
        shares = [b for b, _ in self.load_breakpoints]
        if shares != sorted(shares) or any(c < 0 for _, c in self.load_breakpoints):
            problems.append("load_breakpoints must be increasing shares with costs >= 0")
        if set(self.unallocated_cost) != {1, 2, 3}:
            problems.append("unallocated_cost needs a cost for priorities 1, 2 and 3")
        if self.highest_utilisation_scope not in ("team", "service"):
            problems.append("highest_utilisation_scope must be team or service")
        if self.decompose not in ("auto", "teams", "single"):
            problems.append("decompose must be auto, teams or single")
        if self.guard_utilisation_scope not in ("team", "service"):
            problems.append("guards.utilisation_scope must be team or service")
        if int(self.threads) < 1:
            problems.append("threads must be at least 1")
        if problems:
            raise InputError("; ".join(problems), column="allocation settings")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, *, source: str = "",
                     rules: CaseloadRules | None = None, prefix: str = "") -> "AllocationConfig":
        """Settings from a nested mapping with tables `weights`, `guards`, `solver` (and
        `caseload`, unless the caseload rules are given).

        Parameters
        ----------
        values : mapping or None
            The tables.
        source : str
            The file named in messages.
        rules : CaseloadRules, optional
            The capacity model, when the caller has read it already (the settings loader reads
            the top-level `[caseload]` once for allocation and plans alike).
        prefix : str
            How the tables are named in the file (``"allocation."`` for `[allocation.weights]`).

        Raises
        ------
        InputError
            An unknown table or key (named with `prefix`, with the allowed ones), or a bad value.
        """
        values = dict(values or {})
        tables = {"weights", "guards", "solver"} | ({"caseload"} if rules is None else set())
        unknown_tables = sorted(set(values) - tables)
        if unknown_tables:
            raise InputError(f"unknown settings table(s): {', '.join(prefix + t for t in unknown_tables)}",
                             file=source, allowed=", ".join(prefix + t for t in sorted(tables)))
        if rules is None:
            try:
                rules = CaseloadRules.from_mapping(values.get("caseload"))
            except (KeyError, TypeError) as exc:
                raise InputError(str(exc).strip("'\""), file=source) from None
        known = {f.name for f in fields(cls)} - {"rules"} - {f.name for f in fields(cls) if f.name.startswith("guard_")}
        flat: dict[str, Any] = {}
        for table in ("weights", "solver"):
            for key, value in dict(values.get(table) or {}).items():
                if key not in known:
                    raise InputError(f"unknown setting '{prefix}{table}.{key}'", file=source,
                                     allowed=", ".join(sorted(known)))
                flat[key] = value
        guards = {"handoffs", "unallocated", "utilisation", "utilisation_scope"}
        for key, value in dict(values.get("guards") or {}).items():
            if key not in guards:
                raise InputError(f"unknown setting '{prefix}guards.{key}'", file=source,
                                 allowed=", ".join(sorted(guards)))
            if key == "utilisation_scope":
                flat["guard_utilisation_scope"] = str(value)
                continue
            if not isinstance(value, bool):
                raise InputError(f"{prefix}guards.{key} must be true or false", file=source)
            flat[f"guard_{key}"] = value
        if "unallocated_cost" in flat:
            try:
                flat["unallocated_cost"] = {
                    **_default_unallocated_cost(),
                    **{int(k): float(v) for k, v in dict(flat["unallocated_cost"]).items()},
                }
            except (TypeError, ValueError):
                raise InputError(f"{prefix}weights.unallocated_cost must map priority 1-3 to a number",
                                 file=source) from None
        if "load_breakpoints" in flat:
            try:
                flat["load_breakpoints"] = tuple((float(b), float(c)) for b, c in flat["load_breakpoints"])
            except (TypeError, ValueError):
                raise InputError(f"{prefix}weights.load_breakpoints must be a list of [share, cost] pairs",
                                 file=source) from None
        try:
            return replace(cls(rules=rules), **flat)
        except InputError as exc:
            raise InputError(exc.problems[0].message, file=source) from None

    def unallocated_cost_for(self, priority: int) -> float:
        return float(self.unallocated_cost.get(int(priority), self.unallocated_cost[3]))

    def settings_rows(self) -> list[tuple[str, str]]:
        """(name, value) pairs for the workbook's settings block."""
        rows = [(f.name, str(getattr(self, f.name))) for f in fields(self) if f.name != "rules"]
        rows += [(f"caseload.{f.name}", str(getattr(self.rules, f.name))) for f in fields(self.rules)]
        return rows
