"""Weighted caseload: points per child and per family, and each worker's capacity.

Defaults are the brief's [DEFAULT] allocation parameters (section 3): Wirral's 100 points per
full-time worker with 15 reserved for non-case work, case weights inside Berkshire's 4-10 range,
siblings after the first at 50%, +1 point for travel outside the worker's locality, and the
headcount caps (experienced soft 16 / hard 20, ASYE 90 points and 12 children, team managers 0).
All are tunable through :class:`CaseloadRules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

import numpy as np
import pandas as pd

CASE_TYPES = ("cin_assessment", "cin", "cp", "cla", "cla_complex", "care_leaver")
ROLES = (
    "case_holder",
    "senior_practitioner",
    "advanced_practitioner",
    "practice_supervisor",
    "team_manager",
)


def _default_case_points() -> dict[str, float]:
    return {
        "cin_assessment": 5.0,
        "cin": 4.0,
        "cp": 7.0,
        "cla": 5.0,
        "cla_complex": 8.0,
        "care_leaver": 3.0,
    }


@dataclass(frozen=True)
class CaseloadRules:
    """Weights and caps. Every value is a [DEFAULT] from the brief, not a national rule."""

    case_points: dict[str, float] = field(default_factory=_default_case_points)
    court_points: float = 3.0  # PLO pre-proceedings +3 [DEFAULT]
    sibling_factor: float = 0.5  # each further sibling at 50% [DEFAULT]
    travel_points: float = 1.0  # case outside the worker's locality [DEFAULT]
    points_per_fte: float = 100.0  # Wirral [S29]
    reserved_points: float = 15.0  # non-case work, per 1.0 FTE [S29]
    asye_capacity_share: float = 0.9  # ASYE holds 90% of a full workload [S29, S33]
    asye_max_children: int = 12  # Wirral [S29]
    soft_max_children: int = 16  # experienced social worker [DEFAULT]
    hard_max_children: int = 20  # experienced social worker [DEFAULT]
    role_capacity_share: dict[str, float] = field(
        default_factory=lambda: {
            "case_holder": 1.0,
            "senior_practitioner": 1.0,
            "advanced_practitioner": 0.8,  # more complex work, smaller caseload [DEFAULT]
            "practice_supervisor": 0.5,  # half the time supervising [DEFAULT]
            "team_manager": 0.0,  # team managers hold no cases [DEFAULT]
        }
    )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> "CaseloadRules":
        """Rules with the given overrides (e.g. a TOML table); unknown keys are an error."""
        if not values:
            return cls()
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise KeyError(f"unknown caseload setting(s): {', '.join(unknown)}")
        base = cls()
        merged: dict[str, Any] = {}
        for key, value in values.items():
            current = getattr(base, key)
            merged[key] = {**current, **value} if isinstance(current, dict) else value
        return replace(base, **merged)


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


def worker_capacity(workers: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.Series:
    """Case capacity in points per worker: (points_per_fte - reserved) x fte x role share,
    times 90% for ASYEs; 0 for unavailable workers; `capacity_points` overrides when given.

    Columns used: `fte`, `role`, `asye` (bool), `available` (bool), optional `capacity_points`.
    """
    rules = rules or CaseloadRules()
    share = workers["role"].map(rules.role_capacity_share).fillna(0.0).astype(float)
    cap = (rules.points_per_fte - rules.reserved_points) * workers["fte"].astype(float) * share
    cap = cap.where(~workers["asye"].astype(bool), cap * rules.asye_capacity_share)
    if "capacity_points" in workers:
        override = pd.to_numeric(workers["capacity_points"], errors="coerce")
        cap = override.where(override.notna(), cap)
    cap = cap.where(workers["available"].astype(bool), 0.0)
    return cap.astype(float).rename("capacity_points")


def worker_max_children(workers: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.Series:
    """Hard cap on children per worker: ASYE 12, team manager 0, others the hard cap x fte
    (rounded down); `max_children` overrides when given; 0 when unavailable."""
    rules = rules or CaseloadRules()
    cap = np.floor(rules.hard_max_children * workers["fte"].astype(float))
    cap = cap.where(~workers["asye"].astype(bool), np.minimum(cap, rules.asye_max_children))
    cap = cap.where(workers["role"] != "team_manager", 0)
    if "max_children" in workers:
        override = pd.to_numeric(workers["max_children"], errors="coerce")
        cap = override.where(override.notna(), cap)
    cap = cap.where(workers["available"].astype(bool), 0)
    return cap.astype(int).rename("max_children")


def worker_soft_max_children(workers: pd.DataFrame, rules: CaseloadRules | None = None) -> pd.Series:
    """Soft cap on children (16 x fte; ASYE 12) used by load-balance penalties and reporting."""
    rules = rules or CaseloadRules()
    cap = np.floor(rules.soft_max_children * workers["fte"].astype(float))
    cap = cap.where(~workers["asye"].astype(bool), np.minimum(cap, rules.asye_max_children))
    return cap.astype(int).rename("soft_max_children")
