"""What each column of the allocation's outputs holds, in a service manager's words: one note per
column name, shown as a header note on every data sheet of ``allocation.xlsx`` and as the
glossary of its README sheet.

Units: *points* are weighted caseload points (each child's case-type weight, siblings after the
first at a discount, plus court and travel points; ``[caseload]`` in the settings); a worker's
*capacity* is their points at the safe standard (points per FTE less the reserve for non-case
work, times FTE and the role's share); *utilisation* is points held / capacity, shown as a
percentage. Kept free of the solver's imports: the workbook writer reads it.
"""

from __future__ import annotations

from workforce.contracts import DEFAULT_PRIORITY_WORDS

_BEFORE = "before the allocation (the cases table's current workers)"
_AFTER = "after the allocation"
_POINTS = "weighted caseload points (case-type weight, sibling discount, court and travel points)"
_COST = ("this child's share of the objective term '{}' with the worker they end with (0 when it does not apply): "
         "the solver weighs these against each other; a higher figure is a less preferred choice, not money")

COLUMN_NOTES: dict[str, str] = {
    # the child
    "case_id": "the child's case ID (as in the cases table); each child is one row",
    "family_id": "the sibling group: siblings always share one worker",
    "priority": "the child's priority as the allocation weighed it, 1 = most urgent, then 2, 3: the cases table's "
                f"priority, or where it gives none, by case type ({DEFAULT_PRIORITY_WORDS}). Sort on it to see the "
                "most vulnerable children first",
    "points": f"the child's {_POINTS}",
    "pinned": "a manager pinned the child to their worker: the allocation does not move them",
    "decided": "True when this run chose the child's worker; False when the worker was kept by a rule (pinned, "
               "or an existing allocation in 'new' mode)",
    # the worker and the change
    "worker_id": "the child's worker after the allocation (pseudonymous ID, as in the workers table)",
    "previous_worker_id": "the child's worker before the allocation (blank: none)",
    "changed": "True when the child's worker after differs from before (a new allocation or a handoff)",
    "handoff": "True when a child who had a worker moves to another (counted in 'Children changing social worker')",
    "cross_team": "True when the child moves to a worker of another team than their case record's",
    "change": "lost_worker (had a worker and has none now: listed first, with who holds them meanwhile), handoff "
              "(moves to another worker) or new_allocation (had none, has one now)",
    "previous_team": "the team of the worker before the allocation",
    "reason": "why, in words, with the numbers behind it (the runner-up, the cap that binds, the shortfall)",
    "cost_continuity": _COST.format("continuity: moving a child from their current worker"),
    "cost_team_transfer": _COST.format("team transfer: a move to another team"),
    "cost_travel": _COST.format("travel: a child living outside the worker's locality"),
    "cost_risk": _COST.format("risk: the worker's predicted chance of leaving"),
    # waiting children
    "team": "the team (for a waiting child, the team their case record names)",
    "locality": "the locality (area) the team or child belongs to",
    "held_meanwhile_by": "who holds a child without a worker until one is found: their team's manager (one not "
                         "leaving or on leave), else the duty system of the team or locality (blank: the child has "
                         "a worker)",
    "nearest_worker": "the eligible worker closest to having room for the family",
    "shortfall_points": "how many points the nearest worker lacks to take the whole family",
    "shortfall_children": "how many children over their hard cap the nearest worker would be with the family",
    "shortfall_complex": "how many complex children (CP, complex looked-after, court) over their cap the nearest "
                         "worker would be with the family",
    # the worker's load
    "role": "role (census OrgRole: case_holder, senior_practitioner, ...); team managers hold no cases",
    "fte": "full-time equivalent (1 = full time)",
    "available": "False when on long leave: takes no new work, and their children are moved",
    "leaving": "True for a named leaver (--leaver): every child they hold must move",
    "capacity_points": "the points a worker holds at the safe standard: points per FTE less the reserve for non-case "
                       "work, times FTE and the role's share (an ASYE 90%); 0 for team managers and staff without "
                       "cases",
    "points_before": f"{_POINTS} held {_BEFORE}",
    "points_after": f"{_POINTS} held {_AFTER}",
    "utilisation_before": f"points held / capacity {_BEFORE}; over 100% is over the points cap",
    "utilisation_after": f"points held / capacity {_AFTER}; over 100% is over the points cap",
    "max_children": "hard cap on children (by role and FTE; an ASYE's is lower): nobody is given work above it",
    "soft_max_children": "soft cap on children, the safe standard: above it the load is flagged (amber)",
    "children_before": f"children held {_BEFORE}",
    "children_after": f"children held {_AFTER}",
    "max_complex": "cap on complex children (CP, complex looked-after, court) for the role",
    "complex_before": f"complex children held {_BEFORE}",
    "complex_after": f"complex children held {_AFTER}",
    "over_points_before": f"True when over the points capacity {_BEFORE}",
    "over_points_after": f"True when over the points capacity {_AFTER}",
    "over_children_before": f"True when over the hard cap on children {_BEFORE}",
    "over_children_after": f"True when over the hard cap on children {_AFTER}",
    "over_complex_before": f"True when over the cap on complex children {_BEFORE}",
    "over_complex_after": f"True when over the cap on complex children {_AFTER}",
    "over_soft_cap": f"True when holding more children than the soft cap {_AFTER}",
    "over_cap_reason": "for a worker left above a hard cap: why nobody could take the excess, then the numbers",
    "p_leave": "chance of leaving within the risk table's horizon (--risk; 0 when no risk table was given), "
               "which the risk term weighs",
}
