"""What each column of the plan's outputs holds: one note per column name, shown as a header
comment on every plan sheet and as the glossary of the workbook's README sheet (issue 18.11).

Units are consistent within every table: rates, chances and coverage are fractions shown as
percentages (columns named `*_rate`, `*_share`, `share_of_*`, `p_*`, `coverage`, `*_coverage`, and
the percentiles of a rate, `*_rate_p10`); FTE are
census FTE unless the name says case-holder FTE; money is in the price year's pounds
(`costs.price_year`); the trajectories table alone is in percentage points, as the DfE publishes.
"""

from __future__ import annotations

import re
from typing import Mapping

import pandas as pd

from workforce.retention.disclosure import MIN_GROUP, MIN_OFFERED

_CH = ("case-holder FTE: what one full-time experienced case holder holds at the safe standard (85 points, 16 "
       "children by default); an ASYE counts 0.9 in points and 0.625 in children")
_PRICE = "pounds in the price year (costs.price_year)"
_PCT = "percentage points, as the DfE publishes"

NOTES: dict[str, str] = {
    # projection (today's staff, no new hires)
    "quarter": "quarter of the plan (1 = the first quarter; 0 = today in the census measures)",
    "quarter_start_date": "first day of the quarter",
    "quarter_end_date": "last day of the quarter (the day the stocks are counted)",
    "team": "team (as in the workers and cases tables)",
    "worker_id": "the worker's pseudonymous ID (as in the workers table)",
    "team_type": "the team's type (workers' optional team_type column); its demand follows that type's in the demand "
                 "model",
    "locality": "locality the team sits in",
    "unit": "the level hires and agency are planned at (recruitment.unit: team or locality)",
    "demand_points": "weighted caseload points of the team's children (sibling discount applied), moved by the "
                     "referral trend or the demand model",
    "demand_children": "children the team holds (each child counts, siblings separately)",
    "required_fte": "FTE of the team's real mix of roles (team managers and supervisors included) needed to hold its "
                    "children and points at the safe standard, grossed up for absence (workforce.caseload.required_fte)",
    "capacity_fte": "what today's staff still in post hold at the safe standard, as FTE of the same mix (no new hires)",
    "gap_fte": "required_fte minus capacity_fte: the gap if nobody were hired (the size of the recruitment task, not "
               "a shortfall of the plan)",
    "in_post_start_fte": "LA-employed FTE in post at the start of the quarter, today's staff only",
    "leavers_fte": "LA-employed FTE expected to leave in the quarter, every reason",
    "leavers_voluntary_fte": "leavers for voluntary reasons (ReasonLeave 1 resignation, 7 moved within the LA)",
    "leavers_retirement_fte": "leavers who retire (ReasonLeave 5): not flight risk, never targeted by L&D",
    "leavers_other_fte": "leavers for other reasons (redundancy, dismissal, death, other, not known: ReasonLeave 2-4, "
                         "6, 8-10), at the authority's observed rate where the model does not cover them",
    "in_post_end_fte": "LA-employed FTE in post at the end of the quarter (in_post_start_fte - leavers_fte)",
    "agency_start_fte": "agency FTE at the start of the quarter, today's agency staff",
    "agency_ends_fte": "agency assignments that end in the quarter (after the committed term, at the rate the "
                       "authority's agency tenures show)",
    "agency_fte": "agency FTE at the end of the quarter",
    "asye_fte": "FTE still in their ASYE year at the end of the quarter",
    "case_holder_fte": "FTE of staff in case-holding roles at the end of the quarter (LA-employed and agency)",
    "staff_cost_gbp": f"pay of today's staff in the quarter (salary, supplement and on-costs, or agency day rates), {_PRICE}",
    # recruitment
    "permanent_hires": "experienced social workers appointed in the quarter (they start after the lead time; a share "
                       "do not start: recruitment.hire_success_rate)",
    "hires_starting": ("experienced starters expected to start in the quarter: the plan's appointments once the lead "
                       "time has passed, and in the first quarters the appointments already made before the plan began "
                       "(at the authority's own starter rate, spread as today's case holders), each times the hire "
                       "success rate; an expected value, so a fraction of a person"),
    "nq_intake": "newly qualified social workers appointed to start in the quarter (cohort quarters only)",
    "permanent_start_fte": "LA-employed FTE at the start of the quarter, with the plan",
    "permanent_fte": "LA-employed FTE at the end of the quarter, with the plan",
    "need_case_holder_fte": f"demand in {_CH}, the binding dimension (points or children), grossed up for absence",
    "capacity_case_holder_fte": f"capacity with the plan (staff, starters, agency) in {_CH}, the binding dimension",
    "coverage": "capacity / need at the safe caseload, the binding dimension (1: every child at the safe caseload, "
                "above 1 the planning margin; below 1 caseloads run above the safe level). The plan rises from today's "
                "to 1 by recruitment.safe_caseload_quarter",
    "carry_on_coverage": "coverage carrying on as now: today's, kept (agency covers the gap at today's caseloads)",
    "establishment_fte": "funded establishment: funded posts in FTE (an input; by default today's staff in post)",
    "vacancies_fte": "funded posts not filled by LA-employed staff (agency cover does not fill a vacancy)",
    "vacancy_rate": "vacancies / (vacancies + LA-employed FTE in post): the DfE vacancy rate",
    "agency_rate": "agency FTE / (agency FTE + LA-employed FTE): the DfE agency rate",
    "turnover_rate": "LA-employed leavers FTE in the year / LA-employed FTE in post: the DfE turnover rate",
    "caseload": "children / FTE of staff in case-holding roles (agency included): the DfE caseload",
    "absence_rate": "working days lost to sickness / (FTE in post x 253): the DfE absence rate",
    "starters_fte": "LA-employed starters in the quarter (experienced and newly qualified, and the refills)",
    "refilled_fte": ("LA-employed leavers from posts that hold no cases (managers, reviewing officers), refilled like "
                     "for like in the plan and carrying on alike"),
    "pay_cost_gbp": f"pay of LA-employed staff and of agency staff outside the case-holding cover, {_PRICE}",
    "agency_cost_gbp": f"agency case-holding cover at the case holder's day rate, {_PRICE}",
    "recruitment_cost_gbp": f"adverts, golden hellos net of clawback and ASYE support less the grant, {_PRICE}",
    "gateway_cost_gbp": f"L&D places, spread over each programme's duration, {_PRICE}",
    "cost_gbp": f"the whole workforce cost in the quarter (pay, agency, recruitment, L&D), {_PRICE}",
    "carry_on_permanent_fte": "LA-employed FTE carrying on as now (leavers replaced at the authority's own starter "
                              "rate and mix)",
    "carry_on_agency_fte": "agency FTE carrying on as now (agency covering the rest of the gap, as today)",
    "carry_on_agency_rate": "the DfE agency rate carrying on as now",
    "carry_on_vacancy_rate": "the DfE vacancy rate carrying on as now",
    "carry_on_starters_fte": ("LA-employed starters carrying on as now: case holders at the authority's own rate and "
                              "mix, and the refills"),
    "carry_on_refilled_fte": "carrying on as now: leavers from posts that hold no cases, refilled like for like",
    "carry_on_cost_gbp": f"the workforce cost carrying on as now, {_PRICE}",
    "hold_agency_rate": "the agency rate holding today's headcount (every leaver replaced like for like)",
    "hold_cost_gbp": f"the workforce cost holding today's headcount, {_PRICE}",
    "saving_gbp": (f"carry_on_cost_gbp minus cost_gbp (positive: the plan costs less), {_PRICE}; expected values "
                   "with no chance shortfalls, so their sum differs from the Summary's saving, the median of the "
                   "simulated futures' paired differences"),
    # L&D
    "programme": "the L&D programme offered (blank: none)",
    "career_step": "the role the programme leads to when it ends (pay and caseload of that role from then on)",
    "eligible_programmes": ("how many programmes the worker may take (role, ASYE status and the ASYE year left, "
                            "tenure; never agency staff or anyone on long leave)"),
    "role": "role (census OrgRole: case_holder, senior_practitioner, ...)",
    "p_voluntary": "chance of leaving voluntarily within the plan's first year (flight risk: what L&D targets)",
    "p_retirement": "chance of retiring within the plan's first year (never targeted)",
    "p_other": "chance of leaving for another reason within the plan's first year",
    "p_leave": "chance of leaving for any reason within the plan's first year",
    # the risk register
    "p_voluntary_12m": "flight risk: chance of leaving voluntarily within 12 months (what the band and the levers act "
                       "on)",
    "p_retire_12m": "chance of retiring within 12 months (age is a feature only when the user opts in to "
                    "protected characteristics, and the model card says whether they did; without it, close to the "
                    "authority's rate for everyone)",
    "p_other_12m": "chance of leaving for another reason within 12 months (an agency contract ending, dismissal, "
                   "other)",
    "band": "flight risk only (p_voluntary_12m): Low below 15%, Medium below 30%, High from 30%",
    "driver_1": "what-if on a lever a manager can pull, with the change in flight risk the model gives: an "
                "association learnt from the history, not a promise of the effect",
    "driver_2": "a second lever (as driver_1)",
    "driver_3": "a third lever (as driver_1)",
    "context": "what else raises this worker's chance in the model (tenure, sickness absence): shown so a manager "
               "understands the figure, never a lever and never a reason for a decision about the person",
    # team risk (the risk register's Team risk sheet, team_risk.csv)
    "level": "team, or locality: a locality's small teams combined in one row, so that no team figure is one or two "
             "people's",
    "workers": "people scored (headcount, agency staff included)",
    "expected_leavers": "expected leavers within 12 months, any reason: the sum of the workers' p_leave (headcount, "
                        "agency assignments ending included; 2.4 means about two or three people)",
    "expected_voluntary_12m": "expected voluntary leavers within 12 months (the sum of p_voluntary_12m)",
    "expected_retire_12m": "expected retirements within 12 months (the sum of p_retire_12m)",
    "expected_other_12m": "expected leavers for other reasons within 12 months (the sum of p_other_12m)",
    "expected_leavers_q": "expected leavers in one quarter of the next 12 months, any reason (quarter 1 starts on the "
                          "plan's first day; the four quarters add up to expected_leavers)",
    "p_voluntary_plan": "chance of leaving voluntarily over the whole plan",
    "p_voluntary_plan_after": "the same after the programme's assumed cut",
    "p_leave_after": "chance of leaving for any reason within the first year, after the L&D offer",
    "p_agency_end": "chance an agency assignment ends within a year once past its committed term",
    "source": "where the worker's leaving hazards come from (churn model, risk table, observed rates, defaults)",
    "capacity_cost_gbp": f"caseload the programme takes away while it runs, valued at agency cover at the assumed day "
                         f"rate (the simulated futures buy that cover at their own), {_PRICE}",
    "career_step_cost_gbp": f"the career step's extra pay and lost caseload over the rest of the plan, {_PRICE}",
    "expected_leavers_avoided": "expected voluntary leavers avoided (chance over the plan x the programme's cut)",
    "expected_saving_gbp": f"expected leavers avoided x the cost of a leaver (at the assumed agency day rate), "
                           f"{_PRICE}",
    "net_saving_gbp": f"expected saving less the place, capacity and career-step costs, {_PRICE}",
    "places": "places the programme has", "places_used": "places the plan fills",
    "eligible_workers": "workers who may take the programme",
    "cost_per_place_gbp": f"cost of one place (fees, trainers' and mentors' time; the casework it takes away is "
                          f"in capacity_cost_gbp), {_PRICE}",
    "leave_risk_reduction_rate": "assumed relative cut in the chance of leaving voluntarily (most likely value)",
    "leave_risk_reduction_low": "low end of that cut's range (sampled in the Monte Carlo)",
    "leave_risk_reduction_high": "high end of that cut's range",
    "capacity_removed_rate": "share of the worker's caseload capacity the programme takes away while it runs",
    "duration_quarters": "how long the programme runs",
    "roi_rate": "net saving / (place, capacity and career-step costs)",
    # Monte Carlo (percentiles p10, p50, p90 of each)
    "shortfall_fte": f"demand left without a worker in the quarter, in {_CH}, with the plan",
    "capacity_no_hires_case_holder_fte": f"what today's staff still in post would hold with no new hires, in {_CH}",
    "p_shortfall": "share of simulated futures in which the plan falls short in this quarter (more than half a "
                   "case-holder FTE of demand without a worker)",
    # census measures
    "scenario": "plan, carry_on (carrying on as now) or hold (holding today's headcount)",
    "figures": ("what the row's figures are: the plan and carrying on as now, medians of the simulated futures; "
                "holding today's headcount, one deterministic run (expected leavers, central demand: its FTE and "
                "vacancy and agency rates are constant by construction)"),
    "census_day": "the quarter ends on 30 September, the census's reference date",
    "in_post_fte": "LA-employed FTE in post (every social-work role)",
    "children": "children held (each child counts)",
    # trajectories
    "measure": "agency_rate, vacancy_rate or turnover_rate",
    "years": "span of the change (years from today)",
    "start": f"today's rate, {_PCT}",
    "value": f"the plan's rate at the end of the span, {_PCT}",
    "change": f"value - start, {_PCT}",
    "percentile": "share (0-100) of comparable authorities' changes at or below the plan's: 5 means only 5% fell as far",
    "comparable": "published spans of authorities that started in the same band",
    "best_decile_change": f"the change the best decile of them achieved, {_PCT}",
    "best_change": f"the best change any of them achieved, {_PCT}",
    "beyond_all": "the plan needs a bigger fall than any comparable authority achieved: flagged",
    # unit costs
    "grade": "pay grade (newly qualified in the ASYE year, else qualified)",
    "salary_source_gbp": "salary as the assumption states it, in costs.salary_year",
    "salary_gbp": f"salary indexed by the pay award to the price year, {_PRICE}",
    "market_supplement_gbp": f"market supplement a year (case-holding practitioners), {_PRICE}",
    "on_costs_gbp": f"employer on-costs a year (costs.on_cost_rate of salary and supplement), {_PRICE}",
    "permanent_cost_per_fte_year_gbp": f"what one permanent FTE costs a year, {_PRICE}",
    "agency_day_rate_source_gbp": "agency day rate as the assumption states it, in costs.agency_year",
    "agency_day_rate_gbp": f"agency day rate indexed to the price year, {_PRICE}",
    "agency_cost_per_fte_year_gbp": f"what one agency FTE costs a year (day rate x working days), {_PRICE}",
    "agency_premium_gbp": f"agency less permanent, a year, {_PRICE}",
    # assumptions and indicators
    "section": "the group of assumptions (programme:<name> rows describe one L&D programme; caseload rows the "
               "capacity model)",
    "key": "the assumption's name: keep it as it is",
    "low": "low end of an uncertain value's range (the Monte Carlo samples it); blank: no range",
    "high": "high end of that range",
    "basis": "where the value comes from: [S#]/[D#] a source (README sheet), [DEFAULT], [DERIVED], 'assumption', or "
             "'edited by the user (was: ...)'",
    "description": "what the value changes",
    "indicator": "the headline figure", "P10": "10th percentile of the simulated futures (blank: not simulated)",
    "P90": "90th percentile of the simulated futures", "source sheet": "the sheet the figure comes from",
    "definition": "what the figure measures",
    # fairness
    "check": "prediction (the model's scores), lever: <name> (levers offered), decision: <name> (L&D places and "
             "caseload relief)",
    "characteristic": "protected characteristic", "group": f"group of it (groups under {MIN_GROUP} people pooled in one row, never shown or named alone)",
    "count": "people in the group", "suppressed": f"too few people to show figures (a pool still under {MIN_GROUP}, or a lever offered to fewer than "
                              f"{MIN_OFFERED} of a group)",
    "observed_rate": "share who left within the horizon", "mean_p_leave": "mean predicted chance of leaving",
    "risk_gap": "group mean predicted risk less everyone's", "calibration_error": "|mean predicted - observed|",
    "offered_rate": "share of the group given it", "expected_offered_rate": "share expected from the group's flight risk",
    "lever_gap": "offered less expected (beyond ±10 points flagged)", "flag": "what exceeds its threshold",
    "auc": "ROC AUC within the group (0.5 chance, 1 perfect)",
}

#: Columns shown as percentages though their names do not say so (fractions, like the rest).
_PCT_NAMES = re.compile(r"(_rate_p\d+$|_rate_end_p\d+$|^mean_p_|_gap$|^calibration_error$|"
                        r"^leave_risk_reduction_(low|high)$)")


def formats(frame: pd.DataFrame) -> dict[str, str]:
    """Display kinds for the columns of a plan table whose names the writer's convention does not
    cover, so a table never shows 17.4% beside 0.17."""
    return {str(c): "pct" for c in frame.columns if _PCT_NAMES.search(str(c))}


def _quarter_note(column: str, table: Mapping[str, str]) -> str | None:
    """The note of a quarter's column `x_q3`: that of `x_q`, with its quarter named (team risk's
    expected leavers per quarter)."""
    match = re.fullmatch(r"(.+_q)(\d+)", column)
    if match is None or match.group(1) not in table:
        return None
    return f"{table[match.group(1)]}: quarter {match.group(2)}"


def notes_for(columns, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The notes of `columns` (Monte Carlo percentiles `x_p10/_p50/_p90` take the note of `x`;
    quarters `x_q1, x_q2, ...` that of `x_q`)."""
    out = {}
    table = {**NOTES, **(extra or {})}
    for c in map(str, columns):
        stem = re.sub(r"_p(10|50|90)$", "", c)
        note = table.get(c) or table.get(stem)
        if note and c != stem and c not in table:
            note = f"{note} ({c[-3:]}: {c[-2:]}th percentile of the simulated futures)"
        note = note or _quarter_note(c, table)
        if note:
            out[c] = note
    return out
