"""Headline indicators, each defined once: the terminal summary, `summary.json`,
`plan_summary.json` and every workbook's Summary sheet all come from these functions.

An :class:`Indicator` carries its name, value, unit, a plain-English definition and the sheet
(or file) it comes from; where the value comes from the Monte Carlo simulation it also carries
the median and the 10th-90th percentile band (:class:`Band`), and its value is the median.
Census-like measures follow the DfE children's social work workforce census
(:mod:`workforce.measures`), counted on the frames the product has: the plan counts case-holding
FTE (FTE times the role's share of a full caseload, :mod:`workforce.caseload`), and says so.

Every function is pure: frames and summaries in, indicators out; a function whose inputs were not
given (a step that did not run) returns nothing, so a figure is never invented.

Two figures that were easy to confuse have one name each:

* :data:`SHORTFALL` - the plan falls short: in a quarter, the case-holding FTE the service has
  with the plan is below what its expected demand needs (Monte Carlo, whole service);
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

# Units, and how each is shown.
SHARE = "share"  # a fraction, shown as a percentage
GBP = "GBP"
COUNT = "count"
FTE = "FTE"
CASELOAD = "children per FTE"
SCORE = "ROC AUC"
TEXT = "text"

#: The named definition of a shortfall, shared by the indicator, the Monte Carlo sheet and docs.
SHORTFALL = ("a quarter in which the service's case-holding FTE with the plan (today's staff who stay, the "
             "planned permanent hires and newly qualified intake, and the planned agency cover) is below the "
             "case-holding FTE its expected demand needs")
#: The named definition of the gap with no new hires (the projection's gap_fte).
GAP_NO_HIRES = ("demand FTE minus the case-holding FTE of today's staff still in post, if nobody were hired and "
                "no new agency cover bought: the size of the recruitment task, not a shortfall of the plan")
#: Case-holding FTE, the unit the plans count in.
CASE_HOLDING_FTE = "case-holding FTE (FTE times the role's share of a full caseload)"

SHEET_RISK = "Risk register"
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
        :data:`CASELOAD`, :data:`SCORE` or :data:`TEXT`.
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
            return f"£{value:,.0f}"
        if self.unit == SCORE:
            return f"{value:.3f}"
        if self.unit == TEXT:
            return str(value)
        number = f"{value:,}" if isinstance(value, (int, np.integer)) else f"{value:,.1f}"
        return f"{number} {self.unit}" if self.unit in (FTE, CASELOAD) else number

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
    chosen = card.get("selection", {}).get("selected")
    if chosen:
        out.append(Indicator("churn_model", "Churn model chosen", chosen, TEXT,
                             "the candidate with the best cross-validated ROC AUC (ties to the simpler model)",
                             source))
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


def expected_leavers(risk: pd.DataFrame | None, *, horizon_months: int = 12,
                     source: str = SHEET_RISK) -> Indicator | None:
    """Expected number of people leaving: the sum of individual leaving chances."""
    if not has_columns(risk, "p_leave"):
        return None
    return Indicator("expected_leavers", f"Expected leavers within {horizon_months} months",
                     float(_num(risk, "p_leave").sum()), COUNT,
                     "sum of each scored worker's chance of leaving (headcount, agency staff included)", source)


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
                    high_risk_workers(risk, source))


# ----------------------------------------------------------------------------- allocation


def allocation_status(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> list[Indicator]:
    """The solver's honest status and, when not proven optimal, its gap to the best bound."""
    if not summary or summary.get("status") is None:
        return []
    out = [Indicator("allocation_status", "Allocation status", str(summary["status"]), TEXT,
                     "optimal: no better allocation exists (proven); feasible: the best found in the time allowed",
                     source)]
    if summary.get("gap") is not None:
        out.append(Indicator("allocation_gap", "Allocation gap to the proven bound", float(summary["gap"]), SHARE,
                             "how far the allocation's cost may be above the best possible (0% = proven best)",
                             source))
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


def workers_over_hard_caps(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> list[Indicator]:
    """Workers above each hard cap of the capacity model after the allocation (and before)."""
    out = []
    for key, name, what in (("workers_over_capacity_points", "Workers over 100% of points capacity", "points"),
                            ("workers_over_hard_children", "Workers over the hard cap on children", "children"),
                            ("workers_over_complex_children", "Workers over the cap on complex children",
                             "complex children (CP, complex looked-after, court)")):
        figure = (summary or {}).get(key)
        if isinstance(figure, Mapping) and figure.get("after") is not None:
            out.append(Indicator(key, name, int(figure["after"]), COUNT,
                                 f"workers holding more {what} than their cap after the allocation ({figure.get('before')}"
                                 " before); each one left over a cap is listed with the reason", source))
    return out


def highest_utilisation(summary: Mapping[str, Any] | None, source: str = SHEET_ALLOCATION) -> Indicator | None:
    """The busiest case-holding worker's load against capacity, in points."""
    if not summary or summary.get("max_utilisation") is None:
        return None
    return Indicator("highest_utilisation", "Highest utilisation after allocation", float(summary["max_utilisation"]),
                     SHARE, "weighted caseload points held / points capacity, for the busiest case-holding worker",
                     source)


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
    return Indicator("caseload", "Caseload per case-holder FTE", measures.caseload_per_case_holder(
        float(children.sum()), holders), CASELOAD,
        "children held after allocation / FTE of workers holding at least one child (agency included), "
        "as the DfE census counts caseload", source)


def mean_utilisation(worker_loads: pd.DataFrame | None, source: str = SHEET_ALLOCATION) -> Indicator | None:
    """Average load against capacity over the workers who can hold cases."""
    if not has_columns(worker_loads, "utilisation_after", "capacity_points"):
        return None
    holding = _num(worker_loads, "capacity_points") > 0
    return Indicator("mean_utilisation", "Mean utilisation after allocation",
                     float(_num(worker_loads, "utilisation_after")[holding].mean()), SHARE,
                     "mean of points held / points capacity over workers with case capacity", source)


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
                     "workers offered a programme of the L&D gateway", source),
           Indicator("ld_cost", "L&D cost", float(_num(gateway, "cost_gbp").sum()), GBP,
                     "cost of the places offered, backfill of protected time included", source)]
    if "expected_leavers_avoided" in gateway:
        out.append(Indicator("ld_leavers_avoided", "Leavers avoided by L&D (expected)",
                             float(_num(gateway, "expected_leavers_avoided").sum()), COUNT,
                             "sum over workers offered a place of their chance of leaving over the plan times the "
                             "programme's assumed cut in it", source))
    if "expected_saving_gbp" in gateway:
        out.append(Indicator("ld_saving", "Replacement cost avoided by L&D (expected)",
                             float(_num(gateway, "expected_saving_gbp").sum()), GBP,
                             "leavers avoided times the cost of replacing each (recruitment, agency cover while "
                             "vacant, lost productivity)", source))
    return out


def recruitment_volumes(totals: pd.DataFrame | None, source: str = SHEET_RECRUIT) -> list[Indicator]:
    """People the plan recruits over its horizon: permanent hires and newly qualified intake."""
    out = []
    if has_columns(totals, "permanent_hires"):
        out.append(Indicator("permanent_hires", "Permanent hires over the plan", int(_num(totals, "permanent_hires").sum()),
                             COUNT, "experienced social workers the plan recruits (decided per quarter; each starts "
                             "after the time to hire and notice)", source))
    if has_columns(totals, "nq_intake"):
        out.append(Indicator("nq_intake", "Newly qualified intake over the plan", int(_num(totals, "nq_intake").sum()),
                             COUNT, "newly qualified social workers starting their ASYE year in the plan's cohorts",
                             source))
    return out


def _last(totals: pd.DataFrame, column: str, position: int) -> float:
    ordered = totals.sort_values("quarter", kind="stable") if "quarter" in totals else totals
    return float(_num(ordered, column).iloc[position])


def agency_rate(plan_summary: Mapping[str, Any] | None, totals: pd.DataFrame | None,
                source: str = SHEET_RECRUIT) -> list[Indicator]:
    """Agency rate at the start of the plan and at its end, with the plan and carrying on as
    now: the DfE agency rate (agency FTE / (agency + LA-employed FTE)) on case-holding FTE."""
    if not plan_summary or plan_summary.get("agency_share_start") is None:
        return []
    basis = f"agency / (agency + permanent) {CASE_HOLDING_FTE}, the DfE agency rate"
    out = [Indicator("agency_rate_start", "Agency rate at the start of the plan",
                     float(plan_summary["agency_share_start"]), SHARE, f"{basis}, on the plan's first day", source)]
    if has_columns(totals, "agency_fte", "permanent_fte"):
        end = measures.agency_rate(_last(totals, "agency_fte", -1), _last(totals, "permanent_fte", -1))
        out.append(Indicator("agency_rate_end", "Agency rate at the end of the plan", end, SHARE,
                             f"{basis}, at the end of the last quarter, with the plan", source))
    if has_columns(totals, "baseline_agency_fte", "baseline_permanent_fte"):
        end = measures.agency_rate(_last(totals, "baseline_agency_fte", -1), _last(totals, "baseline_permanent_fte", -1))
        out.append(Indicator("agency_rate_end_carry_on", "Agency rate at the end, carrying on as now", end, SHARE,
                             f"{basis}, at the end of the last quarter, with no new permanent or newly qualified "
                             "hires and agency covering every gap", source))
    return out


def vacancy_rate(totals: pd.DataFrame | None, source: str = SHEET_RECRUIT) -> list[Indicator]:
    """Vacancy rate at the end of the first and of the last quarter of the plan: the DfE vacancy
    rate on case-holding FTE, where a post covered by agency still counts as vacant."""
    if not has_columns(totals, "vacancies_fte", "permanent_fte"):
        return []
    basis = (f"vacant posts / (vacant posts + permanent staff), in {CASE_HOLDING_FTE}; a vacant post is demand not "
             "met by permanent staff, covered by agency or not, as the DfE census counts vacancies")
    return [Indicator(f"vacancy_rate_{tag}", f"Vacancy rate, end of {label}",
                      measures.vacancy_rate(_last(totals, "vacancies_fte", i), _last(totals, "permanent_fte", i)),
                      SHARE, f"{basis}; end of {label}", source)
            for tag, label, i in (("first_quarter", "the first quarter", 0), ("end", "the plan", -1))]


def gap_with_no_hires(projection: pd.DataFrame | None, source: str = SHEET_PROJECTION) -> Indicator | None:
    """:data:`GAP_NO_HIRES` in the last quarter of the plan, all teams."""
    if not has_columns(projection, "quarter", "gap_fte"):
        return None
    last = projection["quarter"].max()
    value = float(_num(projection[projection["quarter"] == last], "gap_fte").sum())
    return Indicator("gap_no_hires_end", "Gap if nobody were hired, last quarter", value, FTE, GAP_NO_HIRES, source)


def shortfall_chance(plan_summary: Mapping[str, Any] | None, source: str = SHEET_PROJECTION) -> Indicator | None:
    """The chance that the plan falls short (:data:`SHORTFALL`) in at least one quarter."""
    if not plan_summary or plan_summary.get("p_shortfall_any_quarter") is None:
        return None
    runs = plan_summary.get("montecarlo_runs")
    return Indicator("shortfall_chance", "Chance the plan falls short in some quarter",
                     float(plan_summary["p_shortfall_any_quarter"]), SHARE,
                     f"share of {runs or 'the'} simulated futures with at least one shortfall: {SHORTFALL} "
                     "(the Projection sheet's p_shortfall is the chance in each quarter)", source)


def plan_costs(plan_summary: Mapping[str, Any] | None, source: str = SHEET_PROJECTION) -> list[Indicator]:
    """What the plan costs over its horizon against carrying on as now, simulated: the median
    with the 10th-90th percentile band, the saving paired run by run."""
    if not plan_summary:
        return []
    runs = plan_summary.get("montecarlo_runs")
    sim = (f"median of {runs or 'the'} simulated futures (leavers drawn at random; extra agency bought "
           "whenever a team falls short). The Recruitment plan sheet's cost columns are the plan with every "
           "leaver at its expected rate and no chance shortfalls, which comes out lower")
    out = []
    for key, name, stem, unit, what in (
        ("plan_cost", "Workforce cost over the plan", "total_cost_gbp", GBP,
         "pay and on-costs of permanent staff, agency, recruitment and L&D over the plan"),
        ("carry_on_cost", "Workforce cost carrying on as now", "baseline_cost_gbp", GBP,
         "the same costs with no new permanent or newly qualified hires and agency covering every gap"),
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
                    projection: pd.DataFrame | None = None, gateway: pd.DataFrame | None = None) -> list[Indicator]:
    """The plan's headline: L&D, recruitment, agency and vacancy rates, the gap to fill, the
    chance of a shortfall, and costs against carrying on as now.

    Parameters
    ----------
    plan_summary : mapping or None
        `PlanResult.summary` (start agency share, Monte Carlo totals and bands).
    totals : DataFrame, optional
        `PlanResult.recruitment_totals`.
    projection : DataFrame, optional
        `PlanResult.projection`.
    gateway : DataFrame, optional
        `PlanResult.gateway` (the L&D offers per worker).

    Returns
    -------
    list of Indicator
    """
    return _collect(ld_gateway(gateway), recruitment_volumes(totals), agency_rate(plan_summary, totals),
                    vacancy_rate(totals), gap_with_no_hires(projection), shortfall_chance(plan_summary),
                    plan_costs(plan_summary))


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
    """Terminal lines: one per indicator, name then value (and band)."""
    return [f"  {i.name:<{width}} {i.text}" for i in indicators]
