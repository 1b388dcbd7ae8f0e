"""Headline indicators, each defined once: the terminal summary, `summary.json`,
`plan_summary.json` and every workbook's Summary sheet all come from these functions.

An :class:`Indicator` carries its name, value, unit, a plain-English definition and the sheet
(or file) it comes from; where the value comes from the Monte Carlo simulation it also carries
the median and the 10th-90th percentile band (:class:`Band`), and its value is the median.
Census measures follow the DfE children's social work workforce census (:mod:`workforce.measures`):
the plan counts every social-work role in FTE, as the census does, and quotes the census's own
definition of each measure.

Every function is pure: frames and summaries in, indicators out; a function whose inputs were not
given (a step that did not run) returns nothing, so a figure is never invented.

Two figures that were easy to confuse have one name each:

* :data:`SHORTFALL` - the plan falls short: in a quarter, more than half a case-holder FTE of
  the service's demand has no worker even with the extra agency the market supplies (Monte Carlo);
* :data:`GAP_NO_HIRES` - demand minus today's staff still in post if nobody were hired: the size
  of the recruitment task (the projection), not a shortfall of the plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from workforce import measures
from workforce.caseload import CaseloadRules
from workforce.readers import RISK_REGISTER_SHEET

# Units, and how each is shown.
SHARE = "share"  # a fraction, shown as a percentage
GBP = "GBP"
COUNT = "count"
FTE = "FTE"
FTE_QUARTERS = "FTE-quarters"  # FTE summed over quarters: 4 FTE-quarters is 1 FTE short for a year
CASELOAD = "children per FTE"
SCORE = "score (0.5 = chance, 1 = perfect)"  # concordance and ROC AUC alike
PERCENTILE = "percentile (0-100)"  # a rank among others, shown as a whole number, never as a share
TEXT = "text"

#: The named definition of a shortfall, shared by the indicator, the Monte Carlo sheet and docs.
SHORTFALL = ("a quarter in which, with the plan (today's staff who stay, the planned hires and newly qualified "
             "intake who start, the planned agency cover and whatever extra agency the market supplies), more than "
             "half a case-holder FTE of the service's demand has no worker")
#: The named definition of the gap with no new hires (the projection's gap_fte).
GAP_NO_HIRES = ("the FTE demand needs at the safe standard (each team's real mix of roles, grossed up for absence) "
                "minus what today's staff still in post hold, in the same FTE, if nobody were hired and agency "
                "assignments only renewed as they do today: the size of the recruitment task, not a shortfall of the "
                "plan")


def gbp(value: float) -> str:
    """An amount of money as a finance officer writes it: £1,234 and -£1,234 (not £-1,234)."""
    return f"-£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


SHEET_RISK = RISK_REGISTER_SHEET
SHEET_CARD = "Model card"
SHEET_ALLOCATION = "Allocation"
SHEET_RECRUIT = "Recruitment plan"
SHEET_PROJECTION = "Projection"
SHEET_LD = "L&D plan"
SOURCE_INPUTS = "inputs"


@dataclass(frozen=True)
class Band:
    """Monte Carlo 10th, 50th (median) and 90th percentiles of one figure."""

    p10: float
    p50: float
    p90: float


@dataclass(frozen=True)
class Indicator:
    """One headline figure.

    Attributes
    ----------
    key : str
        Stable identifier (JSON key), e.g. ``agency_rate_end``.
    name : str
        What a reader sees, e.g. "Agency rate, end of the plan".
    value : float, int, str or None
        The figure (the median when `band` is given); None when it cannot be computed.
    unit : str
        One of :data:`SHARE` (a fraction, shown as %), :data:`GBP`, :data:`COUNT`, :data:`FTE`,
        :data:`FTE_QUARTERS`, :data:`CASELOAD`, :data:`SCORE` or :data:`TEXT`.
    definition : str
        What it measures, in plain English.
    source : str
        The workbook sheet (or file) it comes from.
    band : Band or None
        Monte Carlo percentiles, where the figure comes from the simulation.
    """

    key: str
    name: str
    value: Any
    unit: str
    definition: str
    source: str
    band: Band | None = None

    @property
    def kind(self) -> str:
        """The Excel display kind of the value (`pct`, `gbp`, `int`, `float` or `text`)."""
        if self.unit == SHARE:
            return "pct"
        if self.unit == GBP:
            return "gbp"
        if self.unit == TEXT:
            return "text"
        return "int" if isinstance(self.value, (int, np.integer)) and not isinstance(self.value, bool) else "float"

    def format(self, value: Any) -> str:
        """`value` shown in this indicator's unit."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        if self.unit == SHARE:
            return f"{100 * value:.1f}%"
        if self.unit == GBP:
            return gbp(value)
        if self.unit == SCORE:
            return f"{value:.3f}"
        if self.unit == PERCENTILE:
            return f"{value:.0f}"
        if self.unit == TEXT:
            return str(value)
        number = f"{value:,}" if isinstance(value, (int, np.integer)) else f"{value:,.1f}"
        return f"{number} {self.unit}" if self.unit in (FTE, FTE_QUARTERS, CASELOAD) else number

    @property
    def text(self) -> str:
        """The value as shown in the terminal: median with its P10-P90 band where simulated."""
        shown = self.format(self.value)
        if self.band is not None:
            shown += f" (P10-P90 {self.format(self.band.p10)} to {self.format(self.band.p90)})"
        return shown

    def as_dict(self) -> dict[str, Any]:
        """The indicator for JSON: every field, the band as `p10`, `p50`, `p90`, and `text`."""
        out = {"key": self.key, "name": self.name, "value": _plain(self.value), "unit": self.unit,
               "definition": self.definition, "source": self.source, "text": self.text}
        if self.band is not None:
            out.update(p10=_plain(self.band.p10), p50=_plain(self.band.p50), p90=_plain(self.band.p90))
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def has_columns(frame: pd.DataFrame | None, *columns: str) -> bool:
    """True when `frame` was given, has rows and has every one of `columns`."""
    return frame is not None and len(frame) > 0 and all(c in frame.columns for c in columns)


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce")


def _band(summary: Mapping[str, Any], stem: str) -> Band | None:
    keys = [f"{stem}_p10", f"{stem}_p50", f"{stem}_p90"]
    if not all(summary.get(k) is not None for k in keys):
        return None
    return Band(*(float(summary[k]) for k in keys))


# ----------------------------------------------------------------------------- inputs


def workforce_size(workers: pd.DataFrame | None, cases: pd.DataFrame | None,
                   source: str = SOURCE_INPUTS) -> list[Indicator]:
    """Headcount of staff and number of children the run covers."""
    out = []
    if workers is not None:
        out.append(Indicator("workers", "Staff in post (headcount)", int(len(workers)), COUNT,
                             "rows of the workers table: every role, agency staff included", source))
    if cases is not None:
        out.append(Indicator("children", "Children with an open case", int(len(cases)), COUNT,
                             "rows of the cases table: each child counts, siblings separately", source))
    return out


# ----------------------------------------------------------------------------- retention


def churn_model_quality(card: Mapping[str, Any] | None, source: str = SHEET_CARD) -> list[Indicator]:
    """The churn model chosen and how well it ranks leavers: cross-validated concordance and
    ROC AUC at the horizon, and the ROC AUC on the last complete year (0.5 = no better than
    chance, 1 = perfect)."""
    if not card:
        return []
    out = []
    selection = card.get("selection", {})
    chosen = selection.get("selected")
    if chosen:
        # the rule the selection applied, in its own words (one place: `selection.choose_within_noise`)
        rule = selection.get("rule") or "the candidate with the best cross-validated score (ties to the simpler model)"
        out.append(Indicator("churn_model", "Churn model chosen", chosen, TEXT, rule, source))
    if card.get("use_protected"):
        out.append(Indicator("churn_protected", "Protected characteristics as model features", "yes (opted in)", TEXT,
                             "gender, age band, ethnicity and disability are features of the churn model: every "
                             "chance of leaving, and the decisions that read them, depend partly on them (without "
                             "the opt-in they are used for the fairness audit alone)", source))
    cv = card.get("cross_validated", {})
    horizon = card.get("horizon_months", 12)
    concordance = cv.get("c_index", {}).get("mean")
    if concordance is not None:
        out.append(Indicator("churn_cv_c_index", "Churn model concordance, cross-validated", float(concordance), SCORE,
                             "chance that, of two workers, the one who leaves sooner was scored the riskier (Harrell's "
                             "C, censoring allowed for), averaged over folds grouped by worker (0.5 = chance, "
                             "1 = perfect)", source))
    auc = cv.get("auc_horizon", cv.get("roc_auc", {})).get("mean")
    if auc is not None:
        out.append(Indicator("churn_cv_roc_auc", "Churn model ROC AUC, cross-validated", float(auc), SCORE,
                             f"chance that a random worker who leaves within {horizon} months is scored above a "
                             "random one who stays, averaged over folds grouped by worker (0.5 = chance, "
                             "1 = perfect)", source))
    oot = card.get("out_of_time", {})
    if oot.get("available") and oot.get("roc_auc") is not None:
        out.append(Indicator("churn_oot_roc_auc", "Churn model ROC AUC, last complete year", float(oot["roc_auc"]),
                             SCORE, "the same measure on the last complete year, trained only on earlier years",
                             source))
    return out


def predicted_turnover(risk: pd.DataFrame | None, workers: pd.DataFrame | None, *, horizon_months: int = 12,
                       source: str = SHEET_RISK) -> Indicator | None:
    """Predicted turnover as the DfE census counts turnover: expected FTE leavers over FTE in post,
    LA-employed staff only (agency workers are neither leavers nor in post)."""
    if not has_columns(risk, "worker_id", "p_leave") or not has_columns(workers, "worker_id", "fte", "agency"):
        return None
    p = pd.Series(_num(risk, "p_leave").to_numpy(), index=risk["worker_id"].astype(str))
    p = p[~p.index.duplicated()]
    employed = workers[~workers["agency"].astype(bool)]
    fte = pd.Series(employed["fte"].astype(float).to_numpy(), index=employed["worker_id"].astype(str))
    scored = fte.index.isin(p.index)
    leavers = float((fte[scored] * p.reindex(fte.index[scored])).sum())
    value = measures.turnover_rate(leavers, float(fte[scored].sum()))
    return Indicator("predicted_turnover", f"Predicted turnover, next {horizon_months} months", value, SHARE,
                     f"expected FTE leavers within {horizon_months} months (sum of each worker's chance of leaving "
                     "times FTE) / FTE in post, LA-employed staff only, as the DfE census counts turnover", source)


def _sum_any_order(values: pd.Series) -> float:
    """The exact sum of the numbers given (blanks skipped), whatever their order: the register
    sorted by flight risk (risk.xlsx) and by worker (risk.csv) give one figure."""
    return math.fsum(values.dropna())


def expected_leavers(risk: pd.DataFrame | None, *, horizon_months: int = 12,
                     source: str = SHEET_RISK) -> Indicator | None:
    """Expected number of people leaving: the sum of individual leaving chances."""
    if not has_columns(risk, "p_leave"):
        return None
    return Indicator("expected_leavers", f"Expected leavers within {horizon_months} months, agency included",
                     _sum_any_order(_num(risk, "p_leave")), COUNT,
                     "sum of each scored worker's chance of leaving (headcount): LA-employed staff and agency "
                     "assignments ending alike (the next line counts LA-employed staff alone)", source)


def expected_employed_leavers(risk: pd.DataFrame | None, workers: pd.DataFrame | None, *, horizon_months: int = 12,
                              source: str = SHEET_RISK) -> Indicator | None:
    """Expected LA-employed leavers: the people the predicted turnover counts. Agency assignments
    end far more often than employees leave, so a count with them reads as a turnover it is not."""
    if not has_columns(risk, "p_leave", "worker_id") or not has_columns(workers, "worker_id", "agency"):
        return None
    employed = set(workers.loc[~workers["agency"].astype(bool), "worker_id"].astype(str))
    mine = risk["worker_id"].astype(str).isin(employed).to_numpy()
    return Indicator("expected_employed_leavers", f"Expected LA-employed leavers within {horizon_months} months",
                     _sum_any_order(_num(risk, "p_leave")[mine]), COUNT,
                     "sum of each LA-employed worker's chance of leaving (headcount, agency staff excluded)", source)


def high_risk_workers(risk: pd.DataFrame | None, source: str = SHEET_RISK) -> Indicator | None:
    """Workers in the High risk band: the retention conversations to have first."""
    if not has_columns(risk, "band"):
        return None
    return Indicator("high_risk_workers", "Workers in the High risk band", int((risk["band"] == "High").sum()), COUNT,
                     "workers whose risk band (the risk register's `band` column: flight risk, the chance of "
                     "leaving voluntarily) is High", source)


def risk_indicators(risk: pd.DataFrame | None, workers: pd.DataFrame | None = None, *,
                    card: Mapping[str, Any] | None = None, horizon_months: int = 12,
                    source: str = SHEET_RISK, card_source: str = SHEET_CARD) -> list[Indicator]:
    """The churn model's quality and what it predicts for the workforce.

    Parameters
    ----------
    risk : DataFrame or None
        The risk table (`worker_id, p_leave, band`).
    workers : DataFrame, optional
        `worker_id, fte, agency`: needed for the predicted turnover (a census measure on FTE).
    card : mapping, optional
        The model card (model chosen, ROC AUC).
    horizon_months : int
        The months each p_leave covers.
    source, card_source : str
        The sheets the figures are traced to.

    Returns
    -------
    list of Indicator
        Those the inputs allow, in a fixed order.
    """
    return _collect(churn_model_quality(card, card_source),
                    predicted_turnover(risk, workers, horizon_months=horizon_months, source=source),
                    expected_leavers(risk, horizon_months=horizon_months, source=source),
                    expected_employed_leavers(risk, workers, horizon_months=horizon_months, source=source),
                    high_risk_workers(risk, source))


# ----------------------------------------------------------------------------- allocation


#: The named definitions of the allocation figures that may be blank, shared by the indicators
#: and the notes on the allocation workbook's Summary items (`allocation.summary_items`).
ALLOCATION_GAP = "how far the allocation's cost may be above the best possible (0% = proven best)"
HIGHEST_UTILISATION = "weighted caseload points held / points capacity, for the busiest case-holding worker"


def allocation_status(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> list[Indicator]:
    """The solver's honest status and, when not proven optimal, its gap to the best bound."""
    if not summary or summary.get("status") is None:
        return []
    out = [Indicator("allocation_status", "Allocation status", str(summary["status"]), TEXT,
                     "optimal: no better allocation exists (proven); feasible: the best found in the time allowed",
                     source)]
    if summary.get("gap") is not None:
        out.append(Indicator("allocation_gap", "Allocation gap to the proven bound", float(summary["gap"]), SHARE,
                             ALLOCATION_GAP, source))
    return out


def changes_of_worker(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> Indicator | None:
    """Children whose social worker changes under the allocation (each change is a new
    relationship for the child)."""
    if not summary or summary.get("handoffs") is None:
        return None
    return Indicator("changes_of_worker", "Children changing social worker (handoffs)", int(summary["handoffs"]), COUNT,
                     "children allocated to a different worker from the one who holds them today", source)


def unallocated_children(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> Indicator | None:
    """Children the allocation could not place within the rules."""
    if not summary or summary.get("unallocated") is None:
        return None
    return Indicator("unallocated_children", "Children left unallocated", int(summary["unallocated"]), COUNT,
                     "children no eligible worker could take within the caps and rules (each with its reason)",
                     source)


def children_losing_worker(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> Indicator | None:
    """Children who had a social worker before the allocation and have none after (a leaver's or
    an absent worker's children nobody could take; with the make-room option, children left
    without a worker to place others): each is listed in the changes with why."""
    if not summary or summary.get("children_losing_worker") is None:
        return None
    return Indicator("children_losing_worker", "Children losing their social worker",
                     int(summary["children_losing_worker"]), COUNT,
                     "children who had a worker before the allocation and have none after (not counted in the "
                     "handoffs; each listed in the changes with the previous worker and why)", source)


def priority_one_unallocated(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> Indicator | None:
    """Child protection, court and other priority-1 children left without a worker."""
    if not summary or summary.get("unallocated_priority_1") is None:
        return None
    return Indicator("priority_one_unallocated", "Priority-1 children unallocated", int(summary["unallocated_priority_1"]),
                     COUNT, "child protection, court and other priority-1 children no eligible worker in reach could "
                     "take (each with the nearest worker and the shortfall)", source)


#: The counts of workers above a hard cap of the capacity model: summary key -> (indicator name,
#: what the cap counts).
HARD_CAP_COUNTS = {
    "workers_over_capacity_points": ("Workers over 100% of points capacity", "points"),
    "workers_over_hard_children": ("Workers over the hard cap on children", "children"),
    "workers_over_complex_children": ("Workers over the cap on complex children",
                                      "complex children (CP, complex looked-after, court)"),
}


def over_hard_cap_definition(key: str, when: str) -> str:
    """What a count of `HARD_CAP_COUNTS` counts, at ``when`` ("after the allocation", ...): one
    wording for the headline, the summary's before and after, and the baseline's figure."""
    return f"workers holding more {HARD_CAP_COUNTS[key][1]} than their cap {when}"


def workers_over_hard_caps(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> list[Indicator]:
    """Workers above each hard cap of the capacity model after the allocation (and before)."""
    out = []
    for key, (name, _) in HARD_CAP_COUNTS.items():
        figure = (summary or {}).get(key)
        if isinstance(figure, Mapping) and figure.get("after") is not None:
            out.append(Indicator(key, name, int(figure["after"]), COUNT,
                                 f"{over_hard_cap_definition(key, 'after the allocation')} ({figure.get('before')}"
                                 " before); each one left over a cap is listed with the reason", source))
    return out


def highest_utilisation(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> Indicator | None:
    """The busiest case-holding worker's load against capacity, in points."""
    if not summary or summary.get("max_utilisation") is None:
        return None
    return Indicator("highest_utilisation", "Highest utilisation after allocation", float(summary["max_utilisation"]),
                     SHARE, HIGHEST_UTILISATION, source)


def workers_over_soft_cap(worker_loads: pd.DataFrame | None, rules: CaseloadRules | None = None,
                          source: str = SHEET_ALLOCATION) -> Indicator | None:
    """Workers holding more children than their soft cap. The soft cap counts children, not
    points, so a worker can be under capacity in points and over the soft cap in children."""
    if not has_columns(worker_loads, "over_soft_cap"):
        return None
    rules = rules or CaseloadRules()
    holder = rules.role("case_holder").soft_children
    return Indicator("workers_over_soft_cap", "Workers over the soft cap on children",
                     int(worker_loads["over_soft_cap"].astype(bool).sum()), COUNT,
                     f"workers holding more children than their soft cap after allocation. The soft cap is a count "
                     f"of children (the safe standard: {holder:g} per FTE for a case holder, "
                     f"{rules.asye_soft_children:g} for an ASYE), not points: a worker can be under capacity in "
                     "points and over it in children", source)


def caseload_per_case_holder(worker_loads: pd.DataFrame | None, source: str = SHEET_ALLOCATION) -> Indicator | None:
    """Caseload as the DfE census counts it: children held over the FTE of workers holding cases."""
    if not has_columns(worker_loads, "children_after", "fte"):
        return None
    children = _num(worker_loads, "children_after")
    holders = float(_num(worker_loads, "fte")[children > 0].sum())
    if holders <= 0:
        return None
    return Indicator("caseload", "Caseload per case-holder FTE, after allocation", measures.caseload_per_case_holder(
        float(children.sum()), holders), CASELOAD,
        "children held after allocation / FTE of workers holding at least one child (agency included), "
        "as the DfE census counts caseload", source)


def capacity_after(worker_loads: pd.DataFrame) -> pd.Series:
    """Per worker (a ``worker_loads`` frame): their points capacity after the allocation, 0 for a
    named leaver. A leaver's capacity goes with them: counted, it shows a team that lost a worker
    as having room it no longer has, and their 0% pulls the mean utilisation down."""
    leaving = (worker_loads["leaving"].astype(str).str.strip().str.lower().isin(["true", "1", "yes"])
               if "leaving" in worker_loads.columns else pd.Series(False, index=worker_loads.index))
    return _num(worker_loads, "capacity_points").fillna(0.0).where(~leaving, 0.0)


def mean_utilisation(worker_loads: pd.DataFrame | None, source: str = SHEET_ALLOCATION) -> Indicator | None:
    """Average load against capacity over the workers who can hold cases after the allocation
    (`capacity_after`: leavers are not counted)."""
    if not has_columns(worker_loads, "utilisation_after", "capacity_points"):
        return None
    holding = capacity_after(worker_loads) > 0
    return Indicator("mean_utilisation", "Mean utilisation after allocation",
                     float(_num(worker_loads, "utilisation_after")[holding].mean()), SHARE,
                     "mean of points held / points capacity over workers with case capacity (leavers not "
                     "counted)", source)


def allocation_indicators(summary: Mapping[str, Any] | None, worker_loads: pd.DataFrame | None, *,
                          rules: CaseloadRules | None = None, source: str = SHEET_ALLOCATION,
                          loads_source: str | None = None) -> list[Indicator]:
    """The allocation's headline: status, changes of worker, unallocated children, loads.

    Parameters
    ----------
    summary : mapping or None
        The allocation summary (`status`, `gap`, `handoffs`, `unallocated`, `max_utilisation`).
    worker_loads : DataFrame or None
        Loads after allocation (`fte`, `children_after`, `over_soft_cap`).
    rules : CaseloadRules, optional
        The capacity model used (its soft caps are quoted in the definitions).
    source, loads_source : str
        The sheets the summary's and the loads' figures are traced to.

    Returns
    -------
    list of Indicator
    """
    loads_source = loads_source or source
    return _collect(allocation_status(summary, source), changes_of_worker(summary, source),
                    children_losing_worker(summary, source), unallocated_children(summary, source),
                    priority_one_unallocated(summary, source), workers_over_hard_caps(summary, loads_source),
                    highest_utilisation(summary, loads_source),
                    workers_over_soft_cap(worker_loads, rules, loads_source),
                    caseload_per_case_holder(worker_loads, loads_source))


# ----------------------------------------------------------------------------- plans


def ld_gateway(gateway: pd.DataFrame | None, source: str = SHEET_LD) -> list[Indicator]:
    """The L&D offers: places used, their cost, and the leavers and replacement cost they are
    expected to avoid over the plan."""
    if not has_columns(gateway, "programme", "cost_gbp"):
        return []
    out = [Indicator("ld_places", "L&D places offered", int((gateway["programme"].astype(str) != "").sum()), COUNT,
                     "workers offered a programme of the L&D gateway (never for retirement: offers target the chance of "
                     "leaving voluntarily)", source),
           Indicator("ld_cost", "L&D cost", float(_num(gateway, "cost_gbp").sum()), GBP,
                     "cost of the places offered, their fees and trainers' time (the caseload the programmes "
                     "take away and the pay of career steps are in the workforce cost)", source)]
    if "expected_leavers_avoided" in gateway:
        out.append(Indicator("ld_leavers_avoided", "Voluntary leavers avoided by L&D (expected)",
                             float(_num(gateway, "expected_leavers_avoided").sum()), COUNT,
                             "sum over workers offered a place of their chance of leaving voluntarily over the plan "
                             "times the programme's assumed cut in it", source))
    if "expected_saving_gbp" in gateway:
        out.append(Indicator("ld_saving", "Replacement cost avoided by L&D (expected)",
                             float(_num(gateway, "expected_saving_gbp").sum()), GBP,
                             "leavers avoided times the cost of replacing each (recruitment, agency cover while "
                             "vacant, lost productivity)", source))
    return out


def recruitment_volumes(totals: pd.DataFrame | None, source: str = SHEET_RECRUIT) -> list[Indicator]:
    """People the plan recruits over its horizon, and what carrying on as now would recruit."""
    out = []
    if has_columns(totals, "permanent_hires"):
        out.append(Indicator("permanent_hires", "Experienced social workers appointed",
                             int(_num(totals, "permanent_hires").sum()), COUNT,
                             "appointments the plan makes (decided per quarter; each starts after the time to hire and "
                             "notice, and a share do not start: recruitment.hire_success_rate)", source))
    if has_columns(totals, "nq_intake"):
        out.append(Indicator("nq_intake", "Newly qualified intake over the plan", int(_num(totals, "nq_intake").sum()),
                             COUNT, "newly qualified social workers appointed to the plan's ASYE cohorts", source))
    # Appointments count people in the plan's programme; the two lines below count every LA-employed
    # starter in FTE, the posts that hold no cases refilled included, so plan and carrying on are read
    # side by side in one measure.
    if has_columns(totals, "starters_fte"):
        out.append(Indicator("starters", "Starters with the plan", float(_num(totals, "starters_fte").sum()), FTE,
                             "LA-employed starters over the plan with the plan: the experienced appointments who "
                             "start, the newly qualified intake and the posts that hold no cases refilled like for "
                             "like, in FTE (the measure of the line below)", source))
    if has_columns(totals, "carry_on_starters_fte"):
        out.append(Indicator("carry_on_starters", "Starters carrying on as now", float(_num(totals, "carry_on_starters_fte").sum()),
                             FTE, "LA-employed starters over the plan carrying on as now, the counterfactual the saving "
                             "is measured against: case holders at the rate and mix the authority's own history shows "
                             "(newly qualified and experienced), and the posts that hold no cases refilled like for "
                             "like (as in the plan)", source))
    return out


def _census_value(census: pd.DataFrame, scenario: str, quarter: int, column: str) -> float | None:
    row = census[(census["scenario"] == scenario) & (census["quarter"] == quarter)]
    if row.empty or column not in row:
        return None
    value = row[column].iloc[0]
    return None if pd.isna(value) else float(value)


def census_days(census: pd.DataFrame | None) -> pd.DataFrame:
    """The census measures at each 30 September of the plan (and today), one row per scenario
    and day: the table on the Summary sheet and in `plan_summary.json`."""
    if not has_columns(census, "scenario", "quarter", "census_day"):
        return pd.DataFrame()
    days = census[(census["census_day"].astype(bool)) | (census["quarter"] == 0)]
    return days.reset_index(drop=True)


#: Why a plan at the safe level shows a census caseload below the soft cap on children.
SAFE_CASELOAD_ON_THE_CENSUS_COUNT = (
    ". At the safe level this sits below the soft cap on children of a full-time experienced case holder: "
    "ASYEs, practice supervisors and advanced practitioners hold smaller caseloads (the capacity model), and the "
    "plan covers absence and its planning margin")

#: Why the plan's caseload (today and at the end, one basis) differs from the allocation's.
CASELOAD_BY_ROLE = (". A plan cannot know who will hold a case, so it counts every open case over the FTE of staff "
                    "in case-holding roles; the allocation's caseload counts the children held over the FTE of the "
                    "workers holding them (the census's own count), after the allocation has placed children "
                    "waiting today")

#: The census measures shown as headline figures: column, name, unit.
CENSUS_HEADLINES = (("establishment_fte", "Funded establishment", FTE), ("vacancy_rate", "Vacancy rate", SHARE),
                    ("agency_rate", "Agency rate", SHARE), ("turnover_rate", "Turnover rate", SHARE),
                    ("caseload", "Caseload per case-holder FTE", CASELOAD), ("absence_rate", "Absence rate", SHARE))


def census_measures(census: pd.DataFrame | None, definitions: Mapping[str, str] | None = None,
                    plan_summary: Mapping[str, Any] | None = None, source: str = SHEET_PROJECTION) -> list[Indicator]:
    """Each census measure today and, for those the plan moves, at its last 30 September (or last
    quarter) with the plan: the median of the simulated futures, with the P10-P90 band where the
    summary has one. Each named and defined as the DfE census defines it."""
    if not has_columns(census, "scenario", "quarter", "census_day"):
        return []
    definitions = definitions or {}
    plan = census[census["scenario"] == "plan"]
    days = plan.loc[plan["census_day"].astype(bool) & (plan["quarter"] > 0), "quarter"]
    last = int(days.max()) if len(days) else int(plan["quarter"].max())
    when = pd.Timestamp(plan.loc[plan["quarter"] == last, "quarter_end_date"].iloc[0])
    bands = {"agency_rate": _band(plan_summary or {}, "agency_rate_end")} if last == plan["quarter"].max() else {}
    out = []
    for column, name, unit in CENSUS_HEADLINES:
        meaning = definitions.get(column, name)
        moves = column not in ("establishment_fte", "absence_rate")
        for key, label, quarter in (("now", "today", 0), ("end", f"{when:%d %b %Y}, plan", last)):
            value = _census_value(census, "plan", quarter, column)
            if value is None or (key == "end" and not moves):
                continue
            what = f"{meaning} (DfE workforce census definition, every social-work role in FTE)"
            if column == "caseload":
                what += CASELOAD_BY_ROLE
            if key == "end":
                what += "; the median of the simulated futures with the plan"
                if column == "caseload":
                    what += SAFE_CASELOAD_ON_THE_CENSUS_COUNT
            band = bands.get(column) if key == "end" else None
            out.append(Indicator(f"{column.removesuffix('_fte')}_{key}", f"{name}, {label}",
                                 band.p50 if band is not None else value, unit, what, source, band))
        if column == "establishment_fte":
            out += beyond_establishment(census, last, f"{when:%d %b %Y}, plan", source)
    return out


def beyond_establishment(census: pd.DataFrame, last: int, label: str, source: str = SHEET_PROJECTION) -> list[Indicator]:
    """Staff the service has beyond its funded posts, today and at the plan's last census day.

    A vacancy rate says posts are unfilled by employees; it does not say the pay bill is under the
    establishment: agency staff may cover more than the vacancies, and a plan that brings caseloads
    to the safe level may need more posts than are funded. A finance director needs both figures."""
    if not has_columns(census, "in_post_fte", "agency_fte", "establishment_fte"):
        return []
    out = []
    for key, when, quarter in (("now", "today", 0), ("end", label, last)):
        values = [_census_value(census, "plan", quarter, c) for c in ("in_post_fte", "agency_fte", "establishment_fte")]
        if any(v is None for v in values):
            continue
        in_post, agency, est = values
        what = ("LA-employed FTE in post plus agency FTE, less the funded establishment, over the whole service: "
                "staff paid for beyond the funded posts, net of posts left empty and uncovered (a team over its "
                "posts offsets another's empty posts, so the teams over their posts hold more than this; "
                "negative: more posts empty than staff beyond them)")
        if key == "end":
            what += " (from the medians of the simulated futures)"
        out.append(Indicator(f"beyond_establishment_{key}", f"Staff beyond the funded establishment, {when}",
                             in_post + agency - est, FTE, what, source))
    return out


def agency_rate(plan_summary: Mapping[str, Any] | None, source: str = SHEET_PROJECTION) -> list[Indicator]:
    """Agency rate at the end of the plan carrying on as now (simulated, median with the P10-P90
    band) and holding today's headcount: the plan's own is among the census measures."""
    if not plan_summary or plan_summary.get("carry_on_agency_rate_end") is None:
        return []
    basis = "agency FTE / (agency FTE + LA-employed FTE), the DfE agency rate, at the end of the last quarter"
    out = []
    band = _band(plan_summary, "carry_on_agency_rate_end")
    out.append(Indicator("agency_rate_end_carry_on", "Agency rate at the end, carrying on",
                         band.p50 if band else float(plan_summary["carry_on_agency_rate_end"]), SHARE,
                         f"{basis}, carrying on as now: leavers replaced at the authority's own starter rate and mix, "
                         "agency covering the rest (median of the simulated futures)", source, band))
    if plan_summary.get("hold_agency_rate_end") is not None:
        out.append(Indicator("agency_rate_end_hold", "Agency rate at the end, holding headcount",
                             float(plan_summary["hold_agency_rate_end"]), SHARE,
                             f"{basis}, holding today's headcount: every leaver replaced like for like (one "
                             "deterministic run, not a median of simulated futures)", source))
    return out


def targets(plan_summary: Mapping[str, Any] | None, source: str = SHEET_PROJECTION) -> list[Indicator]:
    """The chance of meeting each target across the simulated futures."""
    if not plan_summary or plan_summary.get("p_meet_agency_target") is None:
        return []
    runs = plan_summary.get("montecarlo_runs") or "the"
    target, quarter = plan_summary.get("agency_share_target"), plan_summary.get("agency_target_quarter")
    out = [Indicator("chance_agency_target", "Chance of meeting the agency target", float(plan_summary["p_meet_agency_target"]),
                     SHARE, f"share of {runs} simulated futures whose agency rate is at or below {target:.0%} in every "
                     f"quarter from quarter {quarter}", source)]
    if plan_summary.get("p_within_budget") is not None:
        out.append(Indicator("chance_within_budget", "Chance of staying within budget",
                             float(plan_summary["p_within_budget"]), SHARE,
                             f"share of {runs} simulated futures whose workforce cost is within the budget", source))
    if plan_summary.get("recruitment_relaxed") and plan_summary.get("recruitment_note"):
        out.append(Indicator("recruitment_targets", "Recruitment plan", str(plan_summary["recruitment_note"]), TEXT,
                             "the recruitment programme could not meet every target within the market-feasibility "
                             "bounds, so the elastic plan (targets may be missed at a heavy penalty) is shown", source))
    if plan_summary.get("cost_note"):
        out.append(Indicator("plan_cost_note", "What the plan's money buys", str(plan_summary["cost_note"]), TEXT,
                             "the plan's expected cost against carrying on as now, and the coverage of the "
                             "safe-caseload need each gives", source))
    if plan_summary.get("agency_target_lifted_to_feasible"):
        pace = str(plan_summary.get("feasibility_basis_agency") or "")
        words = (f"not reachable at the pace set by the planner ({pace.removeprefix('set by the planner: ')}, "
                 "[plans.feasibility] agency_fall_per_year)" if pace.startswith("set by the planner")
                 else "not reachable at a pace comparable authorities achieved")
        out.append(Indicator("agency_target_feasible", "Agency target", f"{words}: the plan aims for that pace instead",
                             TEXT, "the agency target is below the floor the market-feasibility constraint sets",
                             source))
    return out


def trajectory(trajectories: pd.DataFrame | None, plan_summary: Mapping[str, Any] | None = None,
               source: str = SHEET_PROJECTION) -> list[Indicator]:
    """Where the plan's three-year change in agency rate sits among authorities that started at the
    same level, and whether any step needs more than any of them achieved (the flag)."""
    if not has_columns(trajectories, "measure", "years", "percentile", "beyond_all"):
        return []
    out = []
    agency = trajectories[trajectories["measure"] == "agency_rate"]
    if len(agency):
        last = agency.sort_values("years").iloc[-1]
        out.append(Indicator("agency_change_percentile", f"Agency change, {int(last['years'])} years: percentile",
                             float(last["percentile"]), PERCENTILE,
                             f"the percentage of {int(last['comparable'])} published {int(last['years'])}-year changes of English "
                             f"authorities that started in the same band of agency rate whose change was at or below the "
                             f"plan's ({last['change']:+.1f} points; the best decile {last['best_decile_change']:+.1f}); "
                             "a low percentile is an ambitious plan", source))
    beyond = trajectories[trajectories["beyond_all"].astype(bool)]
    if len(beyond):
        text = "FLAG: " + "; ".join(f"{r.measure.replace('_', ' ')} over {r.years} year(s) {r.change:+.1f} points, more "
                                    f"than any of {r.comparable} comparable authorities achieved ({r.best_change:+.1f})"
                                    for r in beyond.itertuples())
    else:
        text = "within what comparable authorities have achieved"
    out.append(Indicator("trajectory_flag", "Plan against real authorities", text, TEXT,
                         "each of the plan's one-, two- and three-year changes in agency, vacancy and turnover rates "
                         "against the changes English authorities that started at the same level achieved (DfE "
                         "workforce indicators 2017-2023)", source))
    return out


def gap_with_no_hires(projection: pd.DataFrame | None, source: str = SHEET_PROJECTION) -> Indicator | None:
    """:data:`GAP_NO_HIRES` in the last quarter of the plan, all teams."""
    if not has_columns(projection, "quarter", "gap_fte"):
        return None
    last = projection["quarter"].max()
    value = float(_num(projection[projection["quarter"] == last], "gap_fte").sum())
    return Indicator("gap_no_hires_end", "Gap if nobody were hired, last quarter", value, FTE, GAP_NO_HIRES, source)


def shortfall_chance(plan_summary: Mapping[str, Any] | None, source: str = SHEET_PROJECTION) -> list[Indicator]:
    """The chance that the plan falls short (:data:`SHORTFALL`) in some quarter, and how much
    demand goes without a worker."""
    if not plan_summary or plan_summary.get("p_shortfall_any_quarter") is None:
        return []
    runs = plan_summary.get("montecarlo_runs")
    out = [Indicator("shortfall_chance", "Chance the plan falls short in some quarter",
                     float(plan_summary["p_shortfall_any_quarter"]), SHARE,
                     f"share of {runs or 'the'} simulated futures with at least one shortfall: {SHORTFALL} "
                     "(the Projection sheet's p_shortfall is the chance in each quarter)", source)]
    band = _band(plan_summary, "shortfall_fte_quarters")
    if band is not None:
        out.append(Indicator("shortfall", "Demand left without a worker", band.p50, FTE_QUARTERS,
                             "case-holder FTE of demand not covered, summed over the plan's quarters (4 FTE-quarters "
                             "is one FTE short for a year), in the simulated futures: when the market cannot supply "
                             "the extra agency a short quarter needs",
                             source, band))
    return out


def plan_costs(plan_summary: Mapping[str, Any] | None, source: str = SHEET_PROJECTION) -> list[Indicator]:
    """What the plan costs over its horizon against carrying on as now, simulated: the median
    with the 10th-90th percentile band, the saving paired run by run."""
    if not plan_summary:
        return []
    runs = plan_summary.get("montecarlo_runs")
    year = plan_summary.get("price_year")
    # A plan dated in the past (the Sandwell profile starts in 2018) is still costed in the price
    # year's pounds: the year is named so nobody sets it beside that year's budgets unadjusted.
    money = (f"in {year} prices (costs.price_year: salaries and day rates indexed by the pay award to {year}; "
             "later pay awards are not added, so the cash cost of later years is higher)" if year
             else "in the price year's money")
    sim = (f"median of {runs or 'the'} simulated futures (leavers, demand, hiring success, agency supply, L&D "
           "effects and the agency day rates drawn from their ranges, the day rates at or below the assumed ones, "
           "which are the top of the published evidence; a team buys extra agency when it falls short and releases agency its own "
           f"staff do not need), {money}. The Recruitment plan sheet's cost columns are the expected values, with no "
           "chance shortfalls")
    out = []
    if year and _band(plan_summary, "total_cost_gbp") is not None:
        out.append(Indicator("price_year", "Costs in", f"{year} prices", TEXT,
                             "the year whose pounds the plan's costs are shown in (costs.price_year): salaries and "
                             f"agency day rates indexed by the pay award to {year}, whatever years the plan covers "
                             "(pay awards after it are not added); the Demand sheet's placement and budget figures "
                             "are in the demand model's price year, which it names", source))
    for key, name, stem, unit, what in (
        ("plan_cost", "Workforce cost over the plan", "total_cost_gbp", GBP,
         "pay and on-costs of LA-employed staff, agency at day rates by role, recruitment (adverts, golden hellos net "
         "of clawback, ASYE support) and L&D over the plan"),
        ("carry_on_cost", "Workforce cost carrying on as now", "baseline_cost_gbp", GBP,
         "the same costs with leavers replaced at the authority's own starter rate and mix and agency covering the "
         "rest"),
        ("saving", "Saving against carrying on as now", "saving_gbp", GBP,
         "cost carrying on as now minus cost with the plan, in the same simulated future"),
        ("saving_share", "Saving as a share of carrying on", "saving_share", SHARE,
         "saving / cost carrying on as now, in the same simulated future"),
    ):
        band = _band(plan_summary, stem)
        if band is not None:
            out.append(Indicator(key, name, band.p50, unit, f"{what}; {sim}", source, band))
    return out


def plan_indicators(plan_summary: Mapping[str, Any] | None, *, totals: pd.DataFrame | None = None,
                    projection: pd.DataFrame | None = None, gateway: pd.DataFrame | None = None,
                    census: pd.DataFrame | None = None, trajectories: pd.DataFrame | None = None,
                    definitions: Mapping[str, str] | None = None) -> list[Indicator]:
    """The plan's headline: L&D, recruitment, the census measures today and at the end, agency
    rate against carrying on and holding today's headcount, where the trajectory sits among real
    authorities, the gap to fill, shortfalls, targets, and costs against carrying on as now.

    Parameters
    ----------
    plan_summary : mapping or None
        `PlanResult.summary`.
    totals, projection, gateway, census, trajectories : DataFrame, optional
        `PlanResult.recruitment_totals`, `.projection`, `.gateway`, `.census`, `.trajectories`.
    definitions : mapping, optional
        The census's definition of each measure (`workforce.plans.census_measures.DEFINITIONS`).

    Returns
    -------
    list of Indicator
    """
    return _collect(census_measures(census, definitions, plan_summary), agency_rate(plan_summary),
                    trajectory(trajectories),
                    ld_gateway(gateway), recruitment_volumes(totals), gap_with_no_hires(projection),
                    shortfall_chance(plan_summary), targets(plan_summary), plan_costs(plan_summary))


# ----------------------------------------------------------------------------- together


def _collect(*items: Indicator | list[Indicator] | None) -> list[Indicator]:
    out: list[Indicator] = []
    for item in items:
        if isinstance(item, list):
            out += item
        elif item is not None:
            out.append(item)
    return out


def indicator_frame(indicators: Iterable[Indicator]) -> pd.DataFrame:
    """One row per indicator: `indicator, value, P10, P90, unit, source sheet, definition`."""
    items = list(indicators)
    return pd.DataFrame({
        "indicator": [i.name for i in items],
        "value": pd.Series([i.value for i in items], dtype=object),
        "P10": pd.Series([i.band.p10 if i.band else None for i in items], dtype=object),
        "P90": pd.Series([i.band.p90 if i.band else None for i in items], dtype=object),
        "unit": [i.unit for i in items],
        "source sheet": [i.source for i in items],
        "definition": [i.definition for i in items],
    })


def indicators_json(indicators: Iterable[Indicator]) -> dict[str, Any]:
    """For `summary.json` / `plan_summary.json`: `headline` (name -> text, as the terminal shows
    it) and `indicators` (every field of each)."""
    items = list(indicators)
    return {"headline": {i.name: i.text for i in items}, "indicators": [i.as_dict() for i in items]}


def render(indicators: Iterable[Indicator], width: int = 44) -> list[str]:
    """Terminal lines: one per indicator, name then value (and band), the values in one column
    (at least `width` wide, wider when a name is longer)."""
    indicators = list(indicators)
    width = max([width, *(len(i.name) for i in indicators)])
    return [f"  {i.name:<{width}} {i.text}" for i in indicators]
