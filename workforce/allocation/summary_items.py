"""What each item of the allocation summary counts, for the note on its cell in the Summary sheet
of ``allocation.xlsx`` (the items are `summary.json`'s keys, nested ones dotted).

Each note says what the item counts, by which definition, and where the rows behind it are (the
sheet and CSV, per child or per worker). Nothing is defined twice: an item the headline shows
takes its headline indicator's definition and sheet (`workforce.indicators`, through
`INDICATOR_OF`); the objective's ``terms.*`` take `objective.summary_notes`; a worker's reason
for being left above a cap takes its rule's words and docstring (`checks.OVER_CAP_RULES`,
`explain.OVER_CAP_WORDS`); the existing problems take `families.existing_issues`'s docstring;
``baseline.<item>`` is ``<item>`` for the manager's baseline and ``<item>_ids`` the IDs of
``<item>``. Only the items defined nowhere else are defined here (`DEFINITIONS`).
"""

from __future__ import annotations

import inspect
from typing import Any, Iterable, Mapping

from workforce.allocation import checks as C
from workforce.allocation import objective as O
from workforce.allocation.config import AllocationConfig
from workforce.allocation.explain import OVER_CAP_WORDS
from workforce.allocation.families import existing_issues
from workforce.excel.layout import key_value_frame
from workforce.indicators import ALLOCATION_GAP, HARD_CAP_COUNTS, HIGHEST_UTILISATION, Indicator, over_hard_cap_definition


def _first_paragraph(fn) -> str:
    """A function's definition, to follow a colon: its docstring's first paragraph on one line,
    from a small letter, without its full stop."""
    text = inspect.getdoc(fn).split("\n\n")[0].replace("\n", " ").rstrip(".")
    return text[:1].lower() + text[1:]


#: Where the rows behind a summary item are: the sheets of ``allocation.xlsx`` (each also a CSV
#: beside it) and the CSVs with no sheet.
PLACES = {
    "Allocations": "the Allocations sheet (allocations.csv), one row per child with a worker",
    "Unallocated": "the Unallocated sheet (unallocated.csv), one row per child without a worker",
    "Changes": "the Changes sheet (changes.csv), one row per child whose worker changes",
    "Worker loads": "the Worker loads sheet (worker_loads.csv), one row per worker",
    "existing_issues.csv": "existing_issues.csv beside this workbook, one row per problem",
}

#: Summary items the headline shows: the key of the indicator that reads it
#: (`workforce.indicators.allocation_indicators`), whose definition and sheet the note takes.
INDICATOR_OF = {
    "status": "allocation_status", "gap": "allocation_gap", "handoffs": "changes_of_worker",
    "children_losing_worker": "children_losing_worker", "unallocated": "unallocated_children",
    "unallocated_priority_1": "priority_one_unallocated",
    "workers_over_capacity_points": "workers_over_capacity_points",
    "workers_over_hard_children": "workers_over_hard_children",
    "workers_over_complex_children": "workers_over_complex_children",
    "max_utilisation": "highest_utilisation", "workers_over_soft_cap": "workers_over_soft_cap",
    "mean_utilisation": "mean_utilisation",
}

#: Items of `INDICATOR_OF` that may be blank, when its indicator is not made: the definition,
#: why it is blank, and the place of its rows.
WHEN_BLANK = {"gap": (ALLOCATION_GAP, "no bound was proven", None),
              "max_utilisation": (HIGHEST_UTILISATION, "no worker has case capacity after the allocation",
                                  "Worker loads")}

#: Summary items that hold a figure per team (``<item>.<team>``).
PER_TEAM = ("waiting_families_other_teams_could_take",)

#: Who ``workers_left_over_a_cap`` counts, with or without a reason.
LEFT_OVER = ("workers left above a hard cap after the allocation (points capacity, hard cap on children, cap on "
             "complex children)")

#: When ``<count>.before`` and ``<count>.after`` count the workers over a hard cap (`HARD_CAP_COUNTS`).
WHEN = {"before": "before the allocation, with the workers the cases table names",
        "after": "after the allocation; each one left over a cap is listed with the reason"}

#: The items no indicator defines: what each counts, and the sheet (or file) with its rows
#: (None: a figure of the run as a whole).
DEFINITIONS: dict[str, tuple[str, str | None]] = {
    "mode": ("the allocation mode (--mode): new (place children without a worker; existing work stays), "
             "rebalance (every child not pinned may move) or leaver (as rebalance, and the named leavers "
             "(--leaver) take nothing)", None),
    "reach": ("where a family may go (--reach, policy.reach): team (a worker of its own team; of its locality "
              "when no team is named) or locality (also another team of the same locality, at team_transfer_cost "
              "per child)", None),
    "as_of": ("the date contract ends are measured from (contract_horizon_weeks): --as-of, else the latest date "
              "the inputs record (a start date or allocated_since), never today's date", None),
    "objective": ("the allocation's cost under the objective the solver minimises: the sum of the terms.* items "
                  "(cost points, not money; lower is better); each child's share of the pair terms is in the "
                  "cost_* columns", "Allocations"),
    "bound": ("the solver's proven lower bound on the objective: no allocation within the rules costs less "
              "(blank: none proven)", None),
    "stopped_by_time_limit": ("True when the time limit stopped the run before its work was done (the solver's "
                              "node_limit, the local search's search_passes): a longer limit may give a better "
                              "answer. False: the answer depends on the inputs and settings only", None),
    "children": ("children in the cases table, each child counted (siblings separately); those with a worker "
                 "after are on Allocations, the rest on Unallocated", "Allocations"),
    "families_decided": ("sibling groups whose worker this run decided (siblings always share one worker); a "
                         "child pinned by a manager, or with a worker in 'new' mode, keeps theirs (the column "
                         "decided)", "Allocations"),
    "new_allocations": ("children who had no worker before the allocation and have one after "
                        "(change = new_allocation)", "Changes"),
    "cross_team_moves": ("children who move to a worker of another team than their case record names "
                         "(cross_team = True; only with reach locality)", "Allocations"),
    "unallocated_families": ("sibling groups with at least one child left without a worker", "Unallocated"),
    "workers_left_over_a_cap": (f"{LEFT_OVER}, counted by the reason nobody could take the excess: the "
                                "first that holds of the reasons in turn; over_cap_reason gives the reason and the "
                                "numbers", "Worker loads"),
    "waiting_families_other_teams_could_take": (
        "the waiting families the eligible workers of this team, another team of the same locality, could take "
        "at once within every cap (the hard rules applied as in the allocation, the most urgent "
        "families first; a first fit, so at least that many). Families may not move there while the reach is "
        "team; each such child's reason names the team and the setting", "Unallocated"),
    "other_teams_doing_other_work": (
        "of the teams counted in waiting_families_other_teams_could_take, those of another team_type than every "
        "waiting family they could take: moving families there is not advised", "Unallocated"),
    "relief_moves_after_solve": ("families the post-solve check moved off a worker above a hard cap to a colleague "
                                 "in reach with room (0: the solver left no such move)", None),
    "solver": ("the MIP solver used (highs; cbc when installed and chosen)", None),
    "blocks": ("the independent parts the problem was solved in (team by team where that is exact: "
               "decompose = auto)", None),
    "baseline": ("the manager's baseline's figures (see baseline_objective): blank when it was not computed", None),
    "baseline_objective": ("the objective (as objective) of the manager's baseline, what a service manager does "
                           "by hand: each family that needs a worker to the least-loaded eligible worker with room, "
                           "highest priority first; in rebalance, families move only off a worker above a hard cap or "
                           "one who may no longer hold them; the same rules apply. The optimiser is never worse than "
                           "it on the objective, and baseline.* gives its other figures", None),
    "used_baseline": ("True when the solver's answer was not better than the manager's baseline on the objective, "
                      "so the baseline is what is returned", None),
    "existing_issues": ("problems the inputs' current allocation has before the run: "
                        + _first_paragraph(existing_issues),
                        "existing_issues.csv"),
    "message": ("the solver's own account of the run, block by block: its status, the warm start, any relief "
                "moves and the time limit", None),
    "risk_rows_not_in_workers": ("rows of the risk table (--risk) for a worker not in the workers table: not used "
                                 "(a table scored before they left?)", None),
    "workers_not_in_risk": ("workers the risk table does not score: the allocation weighs no risk of leaving for "
                            "them (p_leave 0)", "Worker loads"),
    "workers_not_in_risk_use": ("what the allocation uses for workers the risk table does not score", None),
    "risk_notes": ("what the risk table's rows and the workers left unmatched mean, in sentences, as the console "
                   "prints them", None),
}


def _where(place: str | None) -> str:
    """Where the rows behind a figure are, in words ("" for a figure of the run as a whole)."""
    return f" Rows: {PLACES[place]}." if place in PLACES else ""


def over_cap_reason_notes() -> dict[str, str]:
    """Per reason code of ``workers_left_over_a_cap``: who it counts, the reason's words and the
    rule's definition (the rule's docstring), in the order they are tried."""
    defined = {name: _first_paragraph(rule) for name, rule in C.OVER_CAP_RULES}
    defined["no_room"] = "none of the reasons tried before it holds"
    return {name: f'{LEFT_OVER}, for the reason "{OVER_CAP_WORDS[name]}": {text}' for name, text in defined.items()}


def item_notes(summary: Mapping[str, Any], indicators: Iterable[Indicator],
                  config: AllocationConfig | None = None) -> dict[str, str]:
    """A note for every item of the Summary sheet (the summary's keys, nested ones dotted, as
    `excel.layout.key_value_frame` lists them): what it counts, by which definition, and where
    its rows are.

    Parameters
    ----------
    summary : mapping
        The allocation summary (`AllocationResult.summary`).
    indicators : iterable of Indicator
        The allocation's headline (`allocation_status` and `allocation_workbook_indicators`, traced
        to the workbook's sheets): the items they read take their definitions.
    config : AllocationConfig, optional
        The settings used (the objective terms' weights).

    Returns
    -------
    dict
        item -> note; an item defined nowhere has none (a test keeps every item noted).
    """
    by_key = {i.key: i for i in indicators}
    reasons = over_cap_reason_notes()
    terms = O.summary_notes(config)

    def define(item: str) -> tuple[str, str | None] | None:
        """The item's definition and the place of its rows (None: defined nowhere)."""
        head, _, tail = item.partition(".")
        inner = None
        if head == "baseline" and tail in HARD_CAP_COUNTS:  # the headline's wording quotes the run's own figures
            return f"for the manager's baseline: {over_hard_cap_definition(tail, 'after its allocation')}", None
        if head == "baseline" and tail:
            found = define(tail)  # the sheets' rows are the allocation returned's, not the baseline's
            return None if found is None else (f"for the manager's baseline (see baseline_objective): {found[0]}", None)
        elif item.endswith("_ids"):
            prefix, inner = "their IDs", define(item.removesuffix("_ids"))
        elif head == "workers_left_over_a_cap" and tail in reasons:
            return reasons[tail], define(head)[1]
        elif tail in WHEN and head in HARD_CAP_COUNTS:
            return f"{HARD_CAP_COUNTS[head][0]}, {tail}: {over_hard_cap_definition(head, WHEN[tail])}", "Worker loads"
        elif tail and head in PER_TEAM:
            prefix, inner = f"team {tail}", define(head)
        if inner is not None:
            return f"{prefix}: {inner[0]}", inner[1]
        indicator = by_key.get(INDICATOR_OF.get(item, ""))
        if indicator is not None:
            return f"{indicator.name}: {indicator.definition}", indicator.source
        if item in WHEN_BLANK:
            text, blank, place = WHEN_BLANK[item]
            return f"{text}; blank when {blank}", place
        return DEFINITIONS.get(item)

    def note(item: str) -> str | None:
        if item in terms:
            return terms[item]
        found = define(item)
        return None if found is None else found[0] + "." + _where(found[1])

    out = {}
    for item in key_value_frame(summary)["item"] if len(summary) else []:
        text = note(str(item))
        if text:
            out[str(item)] = text
    return out
