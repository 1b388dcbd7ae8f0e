"""Allocation settings: objective weights, allocation policy and solver settings, with documented
defaults.

Every weight is a cost in the same unit ("cost points") so the terms can be traded against each
other. The defaults are [DEFAULT] judgements (brief section 3), chosen so that the order of
priorities a service manager would state holds:

1. a child protection, court or other priority-1 child is never left without a worker while
   anyone eligible can take them (5,000 per child, above anything a move or a load can cost);
2. no worker stays above a hard cap (points capacity, hard cap on children, cap on complex
   children: `workforce.caseload.worker_caps`) while a colleague in reach has room: each cap a
   worker ends above costs 1,000, and every point above capacity 50, every child above a child
   cap 200 (more than any handoff costs, so continuity is the price relief pays, never a reason
   to leave a worker at twice their capacity);
3. every other child is allocated where a rule allows (1,000 per priority-2 child, 600 per
   priority-3 child);
4. keep children with their worker (a move costs 20 per child, 60 when the child has already had
   two or more workers in 12 months: the Stability Index's "second change" [S40]; a move to
   another team, with `reach = "locality"`, 20 more per child);
5. keep workers out of the red (load above 85% of capacity costs 1 per point, above 95% a
   further 4 per point; each child above the soft headcount cap 5; the highest utilisation in
   each team 0.5 per percentage point);
6. avoid travel (2 per child outside the worker's locality) and avoid loading workers likely to
   leave (2 per point x p_leave).

The policy (hard rules a manager chooses, not costs):

* ``make_room`` (default false): a child held by an available worker who is not leaving is never
  left without a worker to make room for another child. With it, the optimiser may do so when
  that places a higher-priority child, and every child it unallocates is listed in
  ``changes.csv`` with the family it made room for.
* ``over_capacity_gains`` (default false): a worker already above a hard cap gets no new family
  (they may keep what they hold).
* ``over_demand`` (default ``"stay"``): where demand in reach exceeds capacity, an overloaded
  worker's families that nobody in reach has room for stay with them, over cap, and the worker is
  listed with the reason (``worker_loads.csv``, ``over_cap_reason``). ``"unallocate"`` puts such
  families on the unallocated list instead (each child listed as a change, with the reason).
* ``reach`` (default ``"team"``): a family goes to a worker of its own team (of its locality when
  no team is named). ``"locality"`` lets families move to another team in the same locality, at
  `team_transfer_cost` per child (counted and named as a cross-team move). Chosen on evidence
  (README, *Allocation: reach*): on the demo authority's rebalance locality reach left 1 worker
  over 100% of points instead of 19 and 24 children unallocated instead of 68, for 102
  cross-team moves; on the examples' leaver run it placed all 15 waiting children for 15. It
  serves children better where a locality's teams do the same work, and the inputs cannot say
  whether they do: where teams differ by function (assessment, safeguarding, children in care,
  disabled children), locality reach would move a family to a team that does other work. So the
  default is ``"team"``, and an authority whose locality teams are alike should set ``"locality"``.
  A worker left above a cap because their team holds more than its caps add up to is listed with
  the teams of the locality that have room and this setting (``checks.relief_detail``).
* ``contract_horizon_weeks`` (default 8): a worker whose contract ends within this many weeks of
  the run's "as of" date is not given new families of children who need continuity
  (looked-after, CP, court) while any other worker is eligible for them.

They are read from the `[allocation]` section of the settings file (:mod:`workforce.config`,
whose loader also reads the older layout with top-level `[weights]`, `[policy]` and `[solver]`);
the caseload rules are the file's top-level `[caseload]`::

    [caseload]            # workforce.caseload.CaseloadRules fields
    sibling_factor = 0.5
    [caseload.case_points]
    cp = 8
    [allocation.weights]
    continuity_cost = 20
    [allocation.weights.unallocated_cost]
    1 = 5000
    [allocation.policy]
    reach = "team"              # or "locality"
    make_room = false
    over_capacity_gains = false
    over_demand = "stay"        # or "unallocate"
    contract_horizon_weeks = 8
    [allocation.solver]
    time_limit = 30
    node_limit = 20000

Determinism: the answer depends on the inputs, these settings and nothing else whenever the run
finishes within `time_limit`: each block's solve is bounded by `node_limit` (branch-and-bound
nodes) and the local search by `search_passes`, both counts of work, never of seconds. The time
limit only stops a run early, and the summary says so (``stopped_by_time_limit``).

The manager's baseline (`baseline.py`) is always computed and reported beside the optimiser's
answer; the optimiser is never worse than it on the objective. There are no other guards: a
guard that froze handoffs or unallocated children at the baseline's would stop the very moves
that bring a worker within a hard cap or place a priority-1 child (issue 10.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from workforce.caseload import CaseloadRules
from workforce.errors import InputError, Problem

REACHES = ("team", "locality")
OVER_DEMAND = ("stay", "unallocate")
POLICY_KEYS = ("reach", "make_room", "over_capacity_gains", "over_demand", "contract_horizon_weeks")
SOLVER_KEYS = ("time_limit", "gap_rel", "node_limit", "search_passes", "threads", "decompose")


def _default_unallocated_cost() -> dict[int, float]:
    return {1: 5000.0, 2: 1000.0, 3: 600.0}


@dataclass(frozen=True)
class AllocationConfig:
    """Weights of the objective terms, the allocation policy, caseload rules and solver settings
    (see the module docstring for each default and its reason)."""

    rules: CaseloadRules = field(default_factory=CaseloadRules)
    # continuity: cost per child moved from a current worker; extra when the child has already
    # had `continuity_repeat_threshold` or more workers in 12 months
    continuity_cost: float = 20.0
    continuity_repeat_cost: float = 40.0
    continuity_repeat_threshold: int = 2
    # a move to a worker of another team (reach "locality"): cost per child
    team_transfer_cost: float = 20.0
    # travel: cost per child outside the worker's locality (the point itself is in the load)
    travel_cost: float = 2.0
    # load balance: (share of capacity, cost per point above it); costs add up, so the penalty
    # is piecewise increasing (convex)
    load_breakpoints: tuple[tuple[float, float], ...] = ((0.85, 1.0), (0.95, 4.0))
    soft_children_cost: float = 5.0  # per child above the worker's soft headcount cap
    # above the hard caps (worker_caps): per point above capacity, per child above the hard cap
    # on children, per complex child above the complex cap, and once per cap a worker ends above
    over_points_cost: float = 50.0
    over_children_cost: float = 200.0
    over_complex_cost: float = 200.0
    over_cap_charge: float = 1000.0
    # the most loaded worker of each team (per 1.0 of utilisation; 0.5 per percentage point);
    # scope "team" keeps team problems independent (exact decomposition), "service" takes the
    # single most loaded worker of the whole service (one model)
    highest_utilisation_cost: float = 50.0
    highest_utilisation_scope: str = "team"
    # risk-aware load: cost per point given to a worker, times the worker's p_leave
    risk_cost: float = 2.0
    # unallocated: cost per child by priority (1 highest: CP and court)
    unallocated_cost: dict[int, float] = field(default_factory=_default_unallocated_cost)
    # policy
    reach: str = "team"
    make_room: bool = False
    over_capacity_gains: bool = False
    over_demand: str = "stay"
    contract_horizon_weeks: float = 8.0
    # solver: `time_limit` covers the whole call (reading aside: the CLI starts the clock); work
    # limits (`node_limit` per block, `search_passes`) make the answer the same on any machine
    time_limit: float | None = 30.0
    gap_rel: float = 1e-3  # the solver stops within 0.1% of its proven bound
    node_limit: int = 20000
    search_passes: int = 3
    threads: int = 1
    decompose: str = "auto"  # "auto" | "teams" | "single": "auto" solves team by team when exact

    def __post_init__(self) -> None:
        problems = []
        for name in ("continuity_cost", "continuity_repeat_cost", "team_transfer_cost", "travel_cost",
                     "soft_children_cost", "over_points_cost", "over_children_cost", "over_complex_cost",
                     "over_cap_charge", "highest_utilisation_cost", "risk_cost", "gap_rel",
                     "contract_horizon_weeks"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                problems.append(f"{name} must be a finite number >= 0")
        if isinstance(self.gap_rel, (int, float)) and self.gap_rel > 1:
            # a share of the proven bound: 15 typed for 15% would accept any allocation found
            problems.append("gap_rel must be at most 1 (a share of the proven bound: 1% is 0.01)")
        shares = [b for b, _ in self.load_breakpoints]
        if shares != sorted(shares) or any(c < 0 for _, c in self.load_breakpoints):
            problems.append("load_breakpoints must be increasing shares with costs >= 0")
        elif any(not 0 < b <= 1 for b in shares):
            # shares of points capacity: 85 typed for 85% would put the first step at 85 caseloads;
            # above capacity the hard-cap terms (over_points_cost, over_cap_charge) take over
            problems.append("load_breakpoints shares must lie in (0, 1] (a share of points capacity: 85% is 0.85)")
        if set(self.unallocated_cost) != {1, 2, 3}:
            problems.append("unallocated_cost needs a cost for priorities 1, 2 and 3")
        if self.highest_utilisation_scope not in ("team", "service"):
            problems.append("highest_utilisation_scope must be team or service")
        if self.decompose not in ("auto", "teams", "single"):
            problems.append("decompose must be auto, teams or single")
        if self.reach not in REACHES:
            problems.append(f"reach must be one of {', '.join(REACHES)}")
        if self.over_demand not in OVER_DEMAND:
            problems.append(f"over_demand must be one of {', '.join(OVER_DEMAND)}")
        for name in ("make_room", "over_capacity_gains"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"{name} must be true or false")
        for name in ("threads", "node_limit", "search_passes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{name} must be a whole number of at least 1")
        if self.time_limit is not None and not (isinstance(self.time_limit, (int, float)) and
                                                math.isfinite(self.time_limit) and self.time_limit > 0):
            problems.append("time_limit must be a positive number of seconds")
        if problems:
            # one problem per key, each message starting with its key: `from_mapping` names the
            # key's table, and a settings file gives each its own line
            raise InputError(problems=[Problem("", p, column="allocation settings") for p in problems])

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, *, source: str = "",
                     rules: CaseloadRules | None = None, prefix: str = "") -> "AllocationConfig":
        """Settings from a nested mapping with tables `weights`, `policy`, `solver` (and
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
        tables = ("weights", "policy", "solver") + (("caseload",) if rules is None else ())
        if "guards" in values:
            raise InputError(f"the [{prefix}guards] table was removed: no guard may stop a move that brings a "
                             "worker within a hard cap or places a priority-1 child; the optimiser is never "
                             "worse than the manager's baseline on the objective (issue 10.5)", file=source,
                             column=f"{prefix}guards", allowed=", ".join(prefix + t for t in tables))
        unknown_tables = sorted(set(values) - set(tables))
        if unknown_tables:
            raise InputError(f"unknown settings table(s): {', '.join(prefix + t for t in unknown_tables)}",
                             file=source, allowed=", ".join(prefix + t for t in sorted(tables)))
        if rules is None:
            try:
                rules = CaseloadRules.from_mapping(values.get("caseload"))
            except (KeyError, TypeError) as exc:
                raise InputError(str(exc).strip("'\""), file=source) from None
        allowed = {"weights": {f.name for f in fields(cls)} - {"rules"} - set(POLICY_KEYS) - set(SOLVER_KEYS),
                   "policy": set(POLICY_KEYS), "solver": set(SOLVER_KEYS)}
        flat: dict[str, Any] = {}
        for table, keys in allowed.items():
            for key, value in dict(values.get(table) or {}).items():
                if key not in keys:
                    raise InputError(f"[{prefix}{table}] {key}: unknown key", file=source,
                                     allowed=", ".join(sorted(keys)))
                flat[key] = value
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
            table_of = {key: table for table, keys in allowed.items() for key in keys}

            def in_table(problem: Problem) -> Problem:
                # "reach must be one of ..." -> "[allocation.policy] reach: must be one of ...",
                # as the other sections name a key
                key, _, rest = problem.message.partition(" ")
                message = f"[{prefix}{table_of[key]}] {key}: {rest}" if key in table_of else problem.message
                return Problem(source, message, allowed=problem.allowed)

            raise InputError(problems=[in_table(p) for p in exc.problems]) from None

    def unallocated_cost_for(self, priority: int) -> float:
        return float(self.unallocated_cost.get(int(priority), self.unallocated_cost[3]))

    def tables(self) -> dict[str, dict[str, Any]]:
        """The settings as the tables `from_mapping` reads (`weights`, `policy`, `solver`), the
        capacity model aside: the one layout of the settings file, the workbook's Assumptions
        sheet and `settings.toml` written beside an allocation. A time limit of none is left out."""
        weights = {f.name: getattr(self, f.name) for f in fields(self)
                   if f.name not in ("rules", *POLICY_KEYS, *SOLVER_KEYS)}
        weights["load_breakpoints"] = [list(b) for b in self.load_breakpoints]
        weights["unallocated_cost"] = {str(k): float(v) for k, v in sorted(self.unallocated_cost.items())}
        solver = {k: getattr(self, k) for k in SOLVER_KEYS if getattr(self, k) is not None}
        return {"weights": weights, "policy": {k: getattr(self, k) for k in POLICY_KEYS}, "solver": solver}
