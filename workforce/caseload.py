"""The one capacity model: what a case weighs and what a worker can hold.

This module is the only place that says what a worker can hold. Allocation (points and headcount
caps), plans (required FTE), the demand model (points per stock of children), explanations and
the demo all call these functions; nothing else states a cap or a case weight.

Two kinds of number live here, each with its basis (a brief section, a source tag, or [DEFAULT]
for a judgement the authority should set for itself):

* case weights: points per child by case type, court work, the sibling discount and travel;
* role capacity: for each role, the share of a full caseload in points, a soft (safe standard)
  and a hard cap on children, and for senior and advanced practitioners a cap on complex
  children, all per 1.0 FTE and scaled by the worker's FTE. ASYEs in their first year hold 90%
  of the points and about 12 children and never a CP or court case alone; a second year of
  protection is optional.

Roles follow the census's OrgRole: 1 senior manager, 2 middle (service) manager, 3 first-line
manager (team manager, practice supervisor), 4 senior practitioner (senior, advanced), 5 case
holder, 6 qualified without cases. Roles that hold no cases have zero capacity: they are part of
the workforce and of the establishment, never dropped.

The planning rule (:func:`required_fte`) is derived from the same caps: the FTE a team needs is
its demand divided by what its mix of roles can hold at the safe standard (the soft cap in
children, the points capacity in points), whichever binds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

import numpy as np
import pandas as pd

CASE_TYPES = ("cin_assessment", "cin", "cp", "cla", "cla_complex", "care_leaver")

#: Case types whose children count as complex work (with any child in court proceedings).
COMPLEX_CASE_TYPES = ("cp", "cla_complex")


@dataclass(frozen=True)
class RoleCapacity:
    """What one role holds per 1.0 FTE.

    Attributes
    ----------
    org_role : int
        The census OrgRole code (1-6) this role reports as.
    points_share : float
        Share of a full case capacity in points (``points_per_fte - reserved_points``).
    soft_children : float
        The safe standard: children per 1.0 FTE above which the load is flagged and planning
        adds staff.
    hard_children : float
        Children per 1.0 FTE never exceeded by an allocation.
    complex_children : float or None
        Cap on complex children (CP, complex looked-after, court) per 1.0 FTE; None for no
        separate cap.
    basis : str
        Where the numbers come from.
    """

    org_role: int
    points_share: float
    soft_children: float
    hard_children: float
    complex_children: float | None = None
    basis: str = "[DEFAULT]"

    @property
    def holds_cases(self) -> bool:
        """Whether the role holds cases at all (capacity above zero)."""
        return self.points_share > 0 and self.hard_children > 0


def _default_roles() -> dict[str, RoleCapacity]:
    return {
        "case_holder": RoleCapacity(
            5, 1.0, 16, 20, None,
            "brief s3 [DEFAULT]: experienced social worker soft 16, hard 20 [S1, S38]"),
        "senior_practitioner": RoleCapacity(
            4, 1.0, 16, 20, 15,
            "brief s3 [DEFAULT]: senior practitioner at most 15 complex children [S1, S29, S38]"),
        "advanced_practitioner": RoleCapacity(
            4, 0.8, 13, 16, 12,
            "[DEFAULT]: 80% of a caseload for mentoring and complex work; caps 80% of the senior "
            "practitioner's (brief s3: 15 complex)"),
        "practice_supervisor": RoleCapacity(
            3, 0.5, 8, 10, 5,
            "[DEFAULT]: half the time supervising; a small protected caseload, half a case "
            "holder's caps (brief s3, Employer Standard 3 [S36])"),
        "team_manager": RoleCapacity(3, 0.0, 0, 0, 0, "brief s3: team managers hold no cases [S29]"),
        "service_manager": RoleCapacity(2, 0.0, 0, 0, 0, "census OrgRole 2 (middle manager): no cases"),
        "senior_manager": RoleCapacity(1, 0.0, 0, 0, 0, "census OrgRole 1 (senior manager): no cases"),
        "qualified_no_cases": RoleCapacity(
            6, 0.0, 0, 0, 0, "census OrgRole 6 (qualified social worker without cases)"),
    }


#: Role codes, in the census's order within each OrgRole.
ROLES = tuple(_default_roles())


def _default_case_points() -> dict[str, float]:
    return {
        "cin_assessment": 5.0,
        "cin": 4.0,
        "cp": 7.0,
        "cla": 5.0,
        "cla_complex": 8.0,
        "care_leaver": 3.0,
    }


#: The basis of every scalar default (and of the case weights); shown beside each value.
BASIS: dict[str, str] = {
    "case_points": "brief s3 [DEFAULT]: inside Berkshire's 4-10 range [S30]",
    "court_points": "brief s3 [DEFAULT]: PLO pre-proceedings +3 [S30]",
    "sibling_factor": "brief s3 [DEFAULT]: each further sibling at 50% (Swindon [S31])",
    "travel_points": "brief s3 [DEFAULT]: +1 point outside the worker's locality [S31]",
    "points_per_fte": "brief s3: Wirral's 100 points per full-time worker [S29]",
    "reserved_points": "brief s3: 15 of the 100 points reserved for non-case work [S29]",
    "asye_points_share": "brief s3: an ASYE holds 90% of a full workload [S29, S33]",
    "asye_soft_children": "[DEFAULT]: two below the ASYE hard cap",
    "asye_hard_children": "brief s3: an ASYE holds about 12 children (Wirral [S29])",
    "asye_sole_cp_or_court": "brief s3: ASYEs hold CP and court work only when co-working [S29]",
    "second_year_protection": "[DEFAULT] off: Warwickshire protects an 18-24 month early career stage [S35]",
    "second_year_points_share": "[DEFAULT]: between the ASYE's 90% and a full caseload [S35]",
    "second_year_hard_children": "[DEFAULT]: between the ASYE's 12 and the case holder's 20 [S35]",
}


#: Unit and plain-English meaning of each number, for the Assumptions sheet and settings files.
#: Role fields are keyed by field name; everything is per 1.0 FTE of the role.
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "case_points": ("points per child", "weight of one child of this case type (before the sibling discount)"),
    "court_points": ("points per child", "added for a child in pre-proceedings or care proceedings"),
    "sibling_factor": ("fraction", "share of its own weight each further sibling in a family adds"),
    "travel_points": ("points per child", "added for a child outside the worker's locality"),
    "points_per_fte": ("points per FTE", "total workload points of a full-time worker"),
    "reserved_points": ("points per FTE", "points kept for non-case work (a case-holding FTE carries "
                                          "points_per_fte - reserved_points)"),
    "asye_points_share": ("fraction", "share of the role's case points an ASYE holds in the first year"),
    "asye_soft_children": ("children per FTE", "safe standard for an ASYE: children above which the load is flagged"),
    "asye_hard_children": ("children per FTE", "most children an ASYE is ever given"),
    "asye_sole_cp_or_court": ("yes/no", "whether an ASYE may hold a CP or court case alone"),
    "second_year_protection": ("yes/no", "whether workers in their second year keep a protected caseload"),
    "second_year_points_share": ("fraction", "share of case points a protected second-year worker holds"),
    "second_year_hard_children": ("children per FTE", "most children a protected second-year worker is given"),
    "org_role": ("code", "census OrgRole the role reports as (1-6)"),
    "points_share": ("fraction", "share of a full caseload in points (0 = holds no cases)"),
    "soft_children": ("children per FTE", "safe standard: children above which the load is flagged and "
                                          "planning adds staff"),
    "hard_children": ("children per FTE", "children never exceeded by an allocation"),
    "complex_children": ("children per FTE", "most complex children (CP, complex looked-after, court); "
                                             "blank = no separate cap"),
}


def describe(name: str) -> tuple[str, str]:
    """Unit and meaning of a number named as in :meth:`CaseloadRules.rows` (e.g. ``case_points.cp``,
    ``roles.case_holder.soft_children``)."""
    head, _, tail = name.partition(".")
    if head == "roles":
        return DESCRIPTIONS[tail.rpartition(".")[2]]
    return DESCRIPTIONS[head]


@dataclass(frozen=True)
class CaseloadRules:
    """Case weights and role capacities. Every value is a default with its basis, not a national
    rule: there is no national caseload cap (brief s3 [S38, S39]).

    Build with overrides from a TOML ``[caseload]`` table with :meth:`from_mapping`.
    """

    case_points: dict[str, float] = field(default_factory=_default_case_points)
    court_points: float = 3.0
    sibling_factor: float = 0.5
    travel_points: float = 1.0
    points_per_fte: float = 100.0
    reserved_points: float = 15.0
    roles: dict[str, RoleCapacity] = field(default_factory=_default_roles)
    asye_points_share: float = 0.9
    asye_soft_children: float = 10
    asye_hard_children: float = 12
    asye_sole_cp_or_court: bool = False
    second_year_protection: bool = False
    second_year_points_share: float = 0.95
    second_year_hard_children: float = 16

    def __post_init__(self) -> None:
        problems = []
        if set(self.case_points) != set(CASE_TYPES):
            problems.append(f"case_points needs exactly the case types {', '.join(CASE_TYPES)}")
        if any(float(v) < 0 for v in self.case_points.values()):
            problems.append("case_points must be >= 0")
        if not 0 <= self.sibling_factor <= 1:
            problems.append("sibling_factor must be between 0 and 1")
        if not 0 <= self.reserved_points < self.points_per_fte:
            problems.append(f"points_per_fte ({self.points_per_fte:g}) must be above reserved_points "
                            f"({self.reserved_points:g}), which must be >= 0")
        for name, role in self.roles.items():
            # a share of a full caseload: 80 typed for 80% would give the role 80 caseloads
            if not 0 <= role.points_share <= 1:
                problems.append(f"roles.{name}.points_share must be between 0 and 1 (a share of a full caseload: "
                                "80% is 0.8)")
            if role.soft_children < 0:
                problems.append(f"roles.{name}.soft_children must be >= 0")
            if role.hard_children < role.soft_children:
                problems.append(f"roles.{name}.soft_children ({role.soft_children:g}) must not exceed "
                                f"roles.{name}.hard_children ({role.hard_children:g})")
        for name in ("asye_points_share", "second_year_points_share"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name} must be between 0 and 1")
        if self.asye_hard_children < self.asye_soft_children:
            problems.append("asye_soft_children must not exceed asye_hard_children")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def case_points_per_fte(self) -> float:
        """Points a full-time worker of share 1.0 can hold: total less the reserved points."""
        return self.points_per_fte - self.reserved_points

    def role(self, name: str) -> RoleCapacity:
        """The capacity of a role; an unknown role holds nothing."""
        return self.roles.get(name, RoleCapacity(0, 0.0, 0, 0, 0, "unknown role: no cases"))

    @property
    def case_holding_roles(self) -> tuple[str, ...]:
        """Roles that hold cases (DfE's "case holders" are those with cases at 30 September)."""
        return tuple(n for n, r in self.roles.items() if r.holds_cases)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> "CaseloadRules":
        """Rules with the given overrides (a TOML ``[caseload]`` table).

        Parameters
        ----------
        values : mapping or None
            Scalar fields by name; ``case_points`` a table by case type; ``roles`` a table of
            role tables (``[caseload.roles.practice_supervisor] soft_children = 6``). A new role
            needs every field of :class:`RoleCapacity` but ``basis``.

        Raises
        ------
        KeyError
            An unknown key, naming it.
        ValueError
            A value out of range.
        """
        if not values:
            return cls()
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise KeyError(f"unknown caseload setting(s): {', '.join(unknown)}")
        base = cls()
        merged: dict[str, Any] = {}
        for key, value in values.items():
            if key == "roles":
                merged[key] = _merge_roles(base.roles, value)
            elif key == "case_points":
                extra = sorted(set(value) - set(CASE_TYPES))
                if extra:
                    raise KeyError(f"unknown case type(s) in caseload.case_points: {', '.join(extra)}")
                merged[key] = {**base.case_points, **{k: float(v) for k, v in value.items()}}
            else:
                merged[key] = value
        return replace(base, **merged)

    def rows(self) -> list[tuple[str, Any, str]]:
        """(name, value, basis) for every number, for the Assumptions sheet and the settings."""
        out: list[tuple[str, Any, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "case_points":
                out += [(f"case_points.{k}", v, BASIS["case_points"]) for k, v in value.items()]
            elif f.name == "roles":
                for name, role in value.items():
                    for rf in fields(role):
                        if rf.name != "basis":
                            out.append((f"roles.{name}.{rf.name}", getattr(role, rf.name), role.basis))
            else:
                out.append((f.name, value, BASIS.get(f.name, "[DEFAULT]")))
        return out


def _merge_roles(current: dict[str, RoleCapacity], values: Mapping[str, Any]) -> dict[str, RoleCapacity]:
    out = dict(current)
    allowed = {f.name for f in fields(RoleCapacity)}
    for name, table in dict(values).items():
        table = dict(table)
        bad = sorted(set(table) - allowed)
        if bad:
            raise KeyError(f"unknown setting(s) in caseload.roles.{name}: {', '.join(bad)}")
        if name in out:
            values = {k: v for k, v in table.items() if k != "basis"}
            if "basis" not in table and all(getattr(out[name], k) == v for k, v in values.items()):
                continue  # restated as it is (a complete settings file): not an edit
            edited = {"basis": "edited by the user (was: " + out[name].basis + ")", **table}
            out[name] = replace(out[name], **edited)
        else:
            missing = sorted(allowed - {"basis", "complex_children"} - set(table))
            if missing:
                raise KeyError(f"new role caseload.roles.{name} needs {', '.join(missing)}")
            out[name] = RoleCapacity(**{"basis": "set by the user", **table})
    return out


# ----------------------------------------------------------------------------- case weights


def is_complex(cases: pd.DataFrame) -> pd.Series:
    """Complex work: a CP plan, a complex looked-after child, or a child in court proceedings.

    Columns used: `case_type`, `court` (bool).
    """
    return cases["case_type"].isin(COMPLEX_CASE_TYPES) | cases["court"].astype(bool)


def child_points(cases: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.Series:
    """Points for each child on its own: case-type weight plus court points (no sibling discount).

    Columns used: `case_type`, `court` (bool). Returns a float Series aligned to `cases`.
    """
    rules = rules or CaseloadRules()
    base = cases["case_type"].map(rules.case_points).astype(float)
    court = cases["court"].astype(bool).to_numpy() * rules.court_points
    return base + court


def family_child_points(cases: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.Series:
    """Points for each child with the sibling discount applied inside its family.

    The heaviest child of a family carries full weight, each further sibling
    `sibling_factor` of its own weight (one visit, one set of meetings covers several children).
    Columns used: `family_id`, `case_type`, `court`. Returns a float Series aligned to `cases`.
    """
    rules = rules or CaseloadRules()
    pts = child_points(cases, rules)
    order = pd.DataFrame({"family_id": cases["family_id"].to_numpy(), "pts": pts.to_numpy()})
    order["pos"] = np.arange(len(order))
    order = order.sort_values(["family_id", "pts", "pos"], ascending=[True, False, True], kind="stable")
    first = ~order["family_id"].duplicated()
    factor = np.where(first, 1.0, rules.sibling_factor)
    out = pd.Series(order["pts"].to_numpy() * factor, index=order["pos"].to_numpy()).sort_index()
    return pd.Series(out.to_numpy(), index=cases.index, name="points")


# ----------------------------------------------------------------------------- worker caps

CAP_COLUMNS = ("capacity_points", "soft_children", "hard_children", "complex_children")


def _flag(workers: pd.DataFrame, column: str, default: bool) -> np.ndarray:
    if column not in workers:
        return np.full(len(workers), default, dtype=bool)
    return workers[column].fillna(default).astype(bool).to_numpy()


def worker_caps(workers: pd.DataFrame, rules: CaseloadRules | None = None, *,
                availability: bool = True) -> pd.DataFrame:
    """Each worker's capacity in points and caps on children, from role, FTE and ASYE status.

    Parameters
    ----------
    workers : DataFrame
        Columns `role`, `fte`, `asye` (bool); optional `available` (bool), `second_year` (bool),
        `capacity_points` and `max_children` (the manager's overrides, used where given).
    rules : CaseloadRules, optional
    availability : bool
        When True (allocation), an unavailable worker can hold nothing now. Planning passes
        False: a worker on leave is still part of the establishment.

    Returns
    -------
    DataFrame aligned to `workers` with `capacity_points` (float), `soft_children`,
    `hard_children` and `complex_children` (int; complex equals hard where the role has no
    separate cap). Child caps are the role's per-FTE caps times FTE, rounded down; an ASYE is
    held to the ASYE caps (and 90% of the role's points), a protected second-year worker to the
    second-year caps when that protection is on.
    """
    rules = rules or CaseloadRules()
    role = workers["role"].astype(str)
    fte = workers["fte"].astype(float).to_numpy()
    spec = [rules.role(r) for r in role]
    share = np.array([s.points_share for s in spec], dtype=float)
    soft = np.array([s.soft_children for s in spec], dtype=float) * fte
    hard = np.array([s.hard_children for s in spec], dtype=float) * fte
    cplx = np.array([s.hard_children if s.complex_children is None else s.complex_children for s in spec],
                    dtype=float) * fte
    points = rules.case_points_per_fte * fte * share

    asye = _flag(workers, "asye", False) & (share > 0)
    points = np.where(asye, points * rules.asye_points_share, points)
    soft = np.where(asye, np.minimum(soft, rules.asye_soft_children * fte), soft)
    hard = np.where(asye, np.minimum(hard, rules.asye_hard_children * fte), hard)
    if rules.second_year_protection:
        second = _flag(workers, "second_year", False) & ~asye & (share > 0)
        points = np.where(second, points * rules.second_year_points_share, points)
        hard = np.where(second, np.minimum(hard, rules.second_year_hard_children * fte), hard)
        soft = np.minimum(soft, hard)

    out = pd.DataFrame({
        "capacity_points": points,
        "soft_children": np.floor(soft + 1e-9),
        "hard_children": np.floor(hard + 1e-9),
        "complex_children": np.floor(np.minimum(cplx, hard) + 1e-9),
    }, index=workers.index)
    if "capacity_points" in workers:
        override = pd.to_numeric(workers["capacity_points"], errors="coerce")
        out["capacity_points"] = override.where(override.notna(), out["capacity_points"])
    if "max_children" in workers:
        override = pd.to_numeric(workers["max_children"], errors="coerce")
        out["hard_children"] = override.where(override.notna(), out["hard_children"])
        out["soft_children"] = np.minimum(out["soft_children"], out["hard_children"])
        out["complex_children"] = np.minimum(out["complex_children"], out["hard_children"])
    if availability and "available" in workers:
        off = ~workers["available"].fillna(True).astype(bool)
        out.loc[off, list(CAP_COLUMNS)] = 0
    out["capacity_points"] = out["capacity_points"].astype(float)
    for col in CAP_COLUMNS[1:]:
        out[col] = out[col].astype(int)
    return out


def worker_capacity(workers: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.Series:
    """Case capacity in points per worker (see :func:`worker_caps`); 0 when unavailable."""
    return worker_caps(workers, rules)["capacity_points"].rename("capacity_points")


def worker_max_children(workers: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.Series:
    """Hard cap on children per worker (see :func:`worker_caps`); 0 when unavailable."""
    return worker_caps(workers, rules)["hard_children"].rename("max_children")


def worker_soft_max_children(workers: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.Series:
    """Soft cap on children (the safe standard) per worker; 0 when unavailable."""
    return worker_caps(workers, rules)["soft_children"].rename("soft_max_children")


def holds_cases(workers: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.Series:
    """Whether each worker's role holds cases (availability aside)."""
    rules = rules or CaseloadRules()
    return workers["role"].map(lambda r: rules.role(str(r)).holds_cases).astype(bool)


# ----------------------------------------------------------------------------- planning


def safe_holding(workers: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.DataFrame:
    """What each worker holds at the safe standard, for planning: points capacity and the soft
    cap on children, whether or not the worker is available today.

    Returns a DataFrame aligned to `workers` with `points` and `children` (float).
    """
    caps = worker_caps(workers, rules, availability=False)
    return pd.DataFrame({"points": caps["capacity_points"].astype(float),
                         "children": caps["soft_children"].astype(float)}, index=workers.index)


def holding_per_fte(workers: pd.DataFrame, rules: CaseloadRules | None = None) -> tuple[float, float]:
    """Points and children one FTE of this mix of roles holds at the safe standard.

    The mix is the workers given (all roles count in the FTE: a team of four case holders and a
    team manager holds four caseloads across five FTE). Returns ``(points_per_fte,
    children_per_fte)``, (0, 0) for an empty mix.
    """
    total = float(workers["fte"].astype(float).sum()) if len(workers) else 0.0
    if total <= 0:
        return 0.0, 0.0
    held = safe_holding(workers, rules)
    return float(held["points"].sum()) / total, float(held["children"].sum()) / total


def required_fte(demand_points: float | np.ndarray, demand_children: float | np.ndarray,
                 workers: pd.DataFrame, rules: CaseloadRules | None = None) -> np.ndarray:
    """FTE of this mix of roles needed to hold the demand at the safe standard.

    The larger of demand points over points per FTE and demand children over children per FTE
    (:func:`holding_per_fte`): whichever the mix runs out of first. Absence is the caller's to
    add. Returns an array shaped like the demand (NaN when the mix holds nothing).
    """
    pts, kids = holding_per_fte(workers, rules)
    dp = np.asarray(demand_points, dtype=float)
    dc = np.asarray(demand_children, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_points = np.where(pts > 0, dp / pts, np.nan)
        by_children = np.where(kids > 0, dc / kids, np.nan)
    return np.fmax(by_points, by_children)
