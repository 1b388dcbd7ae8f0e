"""Planning assumptions: a frozen dataclass tree, each value tagged with its unit and basis.

Defaults come from the domain brief (`[S#]` sourced, `[DEFAULT]` the brief's chosen default,
`[DERIVED]` arithmetic on sourced figures) or are marked `assumption` where the brief found no
figure. Planners change them in the `[plans]` section of a settings file
(:mod:`workforce.config`) or in the Assumptions sheet of a plan workbook; both go through one
parser (:func:`assumptions_from_frame`), so every bad value is reported the same way: file, row
and key.

What a worker can hold is not a plan assumption: it is the capacity model,
:class:`workforce.caseload.CaseloadRules`, which a plan carries as `Assumptions.caseload` (the
`[caseload]` section of a settings file, `caseload` rows of the sheet). Two keys that used to
restate it here, `demand.target_points_per_fte` and `supply.asye_capacity_share`, are still read
from old files and mapped onto it with a :class:`~workforce.errors.InputWarning`.

The `assumptions` frame has columns `section, key, value, unit, basis, description`; the L&D
programme catalogue is held as rows whose section is `programme:<name>`, the capacity model as
rows whose section is `caseload`.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

from workforce.caseload import ROLES, CaseloadRules, describe
from workforce.errors import InputError, InputWarning, Problem
from workforce.readers import DATE_ORDERS, current_date_order, parse_date, parse_number, written_date

FRAME_COLUMNS = ("section", "key", "value", "low", "high", "unit", "basis", "description")
#: The default range of a value given relative to it (half to one and a half times).
RELATIVE_RANGE = ("x", 0.5, 1.5)
#: A plausible annual salary for any children's social work role, NQSW to team manager (brief
#: [S49][S70] put them at about 27k-52k): a value outside it is a typo (a salary of 0 would show a
#: saving of half the budget), so it is refused with this range stated.
SALARY_RANGE = (15000.0, 150000.0)
#: Units whose values are fractions, so "15%" reads as 0.15.
#: Units whose values are fractions, so that "15%" reads as 0.15: every unit that is a fraction or
#: a share of something, and rates a year.
FRACTION_UNIT_STARTS = ("fraction", "share")
FRACTION_UNIT_RATES = ("per year", "per year or auto")


def is_fraction_unit(unit: str) -> bool:
    """Does a value in `unit` take a typed percentage ("15%" for 0.15)?"""
    return unit.startswith(FRACTION_UNIT_STARTS) or unit in FRACTION_UNIT_RATES
PROGRAMME_PREFIX = "programme:"
CASELOAD_SECTION = "caseload"
ASSUMPTION = "assumption"


def _v(default: Any, kind: str, unit: str, basis: str, description: str, *,
       lo: float | None = None, hi: float | None = None, choices: tuple = (),
       rng: tuple[float, float] | None = None) -> Any:
    """A tagged value: default plus the metadata the Assumptions sheet shows. `rng` is the default
    range (low, high) of an uncertain value: the Monte Carlo samples it (triangular, the value the
    most likely), and the sheet and settings file show and take it as `low` and `high`."""
    meta = dict(kind=kind, unit=unit, basis=basis, description=description, lo=lo, hi=hi, choices=choices, rng=rng)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ProjectionAssumptions:
    horizon_quarters: int = _v(12, "int", "quarters", "[DEFAULT] brief s6: horizon 3 years, quarterly steps",
                               "how many quarters to plan", lo=1, hi=40)
    start_date: str = _v("auto", "date", "date or auto", ASSUMPTION,
                         "first day of quarter 1; auto = the quarter start after the latest date in the inputs")
    risk_horizon_months: int = _v(12, "int", "months", ASSUMPTION,
                                  "p_leave in the risk table is the chance of leaving within this many months",
                                  lo=1, hi=60)


@dataclass(frozen=True)
class DemandAssumptions:
    referral_trend_rate: float = _v(0.0, "float", "per year", ASSUMPTION,
                                    "growth of caseload per year (negative = falling); with the demand model's "
                                    "requirement the model sets the path and this range widens it in the Monte Carlo",
                                    lo=-0.5, hi=1.0, rng=(-0.04, 0.04))
    absence_rate: float = _v(0.032, "float", "fraction", "[S1] sickness absence rate 2023",
                             "working days lost to sickness / working days of FTE in post: required FTE is grossed "
                             "up for it (the workers' sickness_days_12m give the authority's own rate when present)",
                             lo=0.0, hi=0.5)


@dataclass(frozen=True)
class SupplyAssumptions:
    default_turnover_rate: float = _v(0.159, "float", "per year", "[S1] national turnover 2023",
                                      "chance of leaving within a year, any reason, for a worker with no risk score "
                                      "and no history to learn the authority's own rates from", lo=0.0, hi=0.99)
    default_retirement_share: float = _v(0.10, "float", "fraction", "assumption (the split of leavers by "
                                         "ReasonLeave is NOT FOUND in the brief; retirement concentrates at 60+ [S13])",
                                         "share of those default leavers who retire (no history)", lo=0.0, hi=1.0)
    default_other_share: float = _v(0.15, "float", "fraction", "assumption (split by ReasonLeave NOT FOUND)",
                                    "share of those default leavers who leave for another reason (redundancy, "
                                    "dismissal, other, not known; no history)", lo=0.0, hi=1.0)
    new_hire_turnover_rate: float = _v(0.20, "float", "per year",
                                       "assumption; [S15] 35% of leavers had under 2 years' service",
                                       "chance of leaving within a year for a new permanent hire", lo=0.0, hi=0.99,
                                       rng=(0.14, 0.26))
    asye_months: int = _v(12, "int", "months", "[S33] ASYE is a 12-month programme",
                          "months after starting until an ASYE carries a full caseload", lo=0, hi=36)
    agency_contract_quarters: int = _v(1, "int", "quarters",
                                       "[S60] agency notice aligned with permanent staff (4 weeks at launch)",
                                       "committed term left for an agency worker with no contract_end_date: after "
                                       "it the plan chooses whether to keep them", lo=0, hi=40)
    agency_end_rate: float = _v(0.45, "float", "per year", "assumption (agency tenure NOT FOUND in the brief); "
                                "with hr_history the authority's own agency tenures replace it",
                                "chance an agency assignment ends within a year (carrying on as now: the rest "
                                "renew)", lo=0.0, hi=0.99)
    agency_fill_rate: float = _v(1.0, "float", "fraction", "assumption: agency supply short in a tight market "
                                 "(caps and rules [S51][S52][S60])",
                                 "share of the extra agency cover a quarter needs that the market supplies (the rest "
                                 "is a shortfall)", lo=0.0, hi=1.0, rng=(0.85, 1.0))
    starter_rate: float = _v(0.182, "float", "per year", "[S1][DERIVED] England 2023: 6,027.5 starters FTE / "
                             "33,119 FTE in post", "carrying on as now without hr_history: LA-employed starters "
                             "FTE a year / FTE in post", lo=0.0, hi=2.0)
    starter_nq_share: float = _v(0.25, "float", "fraction", "assumption (starters by StartOrigin NOT FOUND)",
                                 "carrying on as now without hr_history: share of starters who are newly qualified",
                                 lo=0.0, hi=1.0)
    absent_return_quarters: int = _v(1, "int", "quarters", ASSUMPTION,
                                     "quarters until a worker on long leave (available = no) takes cases again", lo=0, hi=40)
    start_turnover_rate: float = _v(0.0, "float", "per year", "scenario",
                                    "scenario start: rescale leaving risks to this mean annual turnover (0 = as the data)",
                                    lo=0.0, hi=0.99)
    start_agency_share: float = _v(0.0, "float", "fraction", "scenario",
                                   "scenario start: move permanent case holders to agency until this share (0 = as the data)",
                                   lo=0.0, hi=0.95)


_PAY = "GBP per FTE-year"
_AGENCY_DAY = ("[S53][DERIVED] Devon agency spend £40.2 an hour 2015/16 x 7.4 hours; the top of the published "
               "evidence (an agency social worker invoicing about £6k a year above top-of-scale pay, 2018 FOI [S49d]; "
               "about £14.4k a year above a permanent NQSW, Sefton 2010 [S54]): set your own contract rates")
_AGENCY_RANGE = ("range x0.715 to x1 of the rate [DERIVED]: low from [S49d], (£35,444 top of scale [S49] + £6,000) "
                 "x 1.28 on-costs = £53,048 a year / 1,739 hours x 7.4 = £225.74 a day in 2018, / 1.03^2 pay award "
                 "= £212.78 in 2016 = 0.715 x £297.5 (Sefton [S54] lands near it: (£28,200 NQSW [S70] / 1.03^8 x "
                 "1.28 + £14,400) / 1,739 x 7.4 x 1.03^6 = £217.95, x0.733); high the rate itself, the top of the "
                 "evidence; one draw moves every grade's rate together (contracts move together)")
#: The agency day rates' default range relative to each grade's rate (x0.715 to x1, arithmetic in
#: `_AGENCY_RANGE`): the Monte Carlo draws one quantile a run for every grade, so with these
#: proportional ranges one multiplier moves them all.
AGENCY_DAY_RANGE = ("x", 0.715, 1.0)


@dataclass(frozen=True)
class CostAssumptions:
    price_year: int = _v(2025, "int", "year", "[DEFAULT] the year every cost of the plan is shown in",
                         "costs are indexed to this year's prices (pay awards to it, then held flat in real terms)",
                         lo=2000, hi=2100)
    pay_award_rate: float = _v(0.03, "float", "per year", "assumption: about the NJC local government pay awards "
                               "2018/19-2025/26 on average (not in the brief)",
                               "yearly pay award that indexes salaries and agency rates from their source year to "
                               "the price year", lo=0.0, hi=0.2)
    salary_year: int = _v(2018, "int", "year", "[S49] 2018 FOI (the other salaries are set beside it)",
                          "the year the salaries below are in", lo=2000, hi=2100)
    salary_case_holder_gbp: float = _v(35444.0, "float", _PAY, "[S49] 2018 national average top of scale",
                                       "salary of a case-holding social worker", lo=SALARY_RANGE[0], hi=SALARY_RANGE[1])
    salary_asye_gbp: float = _v(28200.0, "float", _PAY, "[S70][DERIVED] midpoint of NQSW band 26.8k-29.6k",
                                "salary of a newly qualified social worker (ASYE)", lo=SALARY_RANGE[0], hi=SALARY_RANGE[1])
    salary_senior_practitioner_gbp: float = _v(40000.0, "float", _PAY,
                                               "assumption between [S49] 35.4k and [S70] senior up to 44k",
                                               "salary of a senior practitioner", lo=SALARY_RANGE[0], hi=SALARY_RANGE[1])
    salary_advanced_practitioner_gbp: float = _v(41000.0, "float", _PAY,
                                                 "[S49][DERIVED] midpoint of regional medians 38.2k-43.8k",
                                                 "salary of an advanced practitioner", lo=SALARY_RANGE[0], hi=SALARY_RANGE[1])
    salary_practice_supervisor_gbp: float = _v(43000.0, "float", _PAY, ASSUMPTION,
                                               "salary of a practice supervisor", lo=SALARY_RANGE[0], hi=SALARY_RANGE[1])
    salary_team_manager_gbp: float = _v(47700.0, "float", _PAY,
                                        "[S49][DERIVED] midpoint of regional medians 43.8k-51.6k",
                                        "salary of a team manager", lo=SALARY_RANGE[0], hi=SALARY_RANGE[1])
    salary_service_manager_gbp: float = _v(56000.0, "float", "GBP per FTE-year",
                                           "assumption above the team manager's [S49] 43.8k-51.6k (service manager pay NOT FOUND)",
                                           "salary of a service (middle) manager, census OrgRole 2",
                                           lo=SALARY_RANGE[0], hi=SALARY_RANGE[1])
    salary_senior_manager_gbp: float = _v(75000.0, "float", "GBP per FTE-year",
                                          "assumption (head of service pay NOT FOUND in the brief)",
                                          "salary of a senior manager, census OrgRole 1", lo=SALARY_RANGE[0], hi=SALARY_RANGE[1])
    salary_qualified_no_cases_gbp: float = _v(40000.0, "float", "GBP per FTE-year",
                                              "assumption as a senior practitioner (IROs, CP chairs, MASH, quality roles)",
                                              "salary of a qualified social worker without cases, census OrgRole 6",
                                              lo=SALARY_RANGE[0], hi=SALARY_RANGE[1])
    market_supplement_gbp: float = _v(3000.0, "float", _PAY, "[S70] market premia of £2-4k are typical",
                                      "market supplement on top of salary for permanent case-holding practitioners "
                                      "(case holders past their ASYE, senior and advanced practitioners), in the "
                                      "price year's money",
                                      lo=0.0, hi=50000.0)
    on_cost_rate: float = _v(0.28, "float", "fraction of salary", "[DEFAULT] brief s5",
                             "employer on-costs (pension, NI) for permanent staff", lo=0.0, hi=2.0)
    agency_year: int = _v(2016, "int", "year", "[S53] 2015/16 and [S51] January 2016",
                          "the year the agency day rates below are in", lo=2000, hi=2100)
    agency_day_rate_case_holder_gbp: float = _v(297.5, "float", "GBP per day", f"{_AGENCY_DAY}; {_AGENCY_RANGE}",
                                                "what the authority pays per day for an agency social worker "
                                                "(case holder, or qualified without cases)", lo=50.0, hi=2000.0,
                                                rng=AGENCY_DAY_RANGE)
    agency_day_rate_senior_gbp: float = _v(371.9, "float", "GBP per day",
                                           f"{_AGENCY_DAY}, x 35/28 (London caps: senior/advanced £35 an hour against "
                                           f"£28 for a social worker [S51]); {_AGENCY_RANGE}",
                                           "per day for an agency senior or advanced practitioner", lo=50.0, hi=2000.0,
                                           rng=AGENCY_DAY_RANGE)
    agency_day_rate_supervisor_gbp: float = _v(403.8, "float", "GBP per day",
                                               f"{_AGENCY_DAY}, x 38/28 (London caps: assistant team manager £38 "
                                               f"[S51]); {_AGENCY_RANGE}",
                                               "per day for an agency practice supervisor", lo=50.0, hi=2000.0,
                                               rng=AGENCY_DAY_RANGE)
    agency_day_rate_manager_gbp: float = _v(446.3, "float", "GBP per day",
                                            f"{_AGENCY_DAY}, x 42/28 (London caps: team manager £42 [S51]); "
                                            f"{_AGENCY_RANGE}",
                                            "per day for an agency team, service or senior manager", lo=50.0, hi=3000.0,
                                            rng=AGENCY_DAY_RANGE)
    hours_per_day: float = _v(7.4, "float", "hours", "[DERIVED] 37 hours a week [S49d] over 5 days",
                              "paid hours in a working day (turns day rates into hourly and yearly costs)",
                              lo=1.0, hi=24.0)
    hours_per_fte_year: float = _v(1739.0, "float", "hours", "[S49d] 37 hours x 47 weeks",
                                   "paid working hours in an FTE-year", lo=1.0, hi=3000.0)
    recruitment_year: int = _v(2015, "int", "year", "[S59] CIPD and Oxford Economics (2014-15)",
                               "the year the recruitment cost below is in", lo=2000, hi=2100)
    cost_per_hire_gbp: float = _v(2500.0, "float", "GBP", "[S59] CIPD average direct recruitment cost",
                                  "advertising and selection cost of one permanent hire", lo=0.0, hi=1e6)
    golden_hello_gbp: float = _v(5000.0, "float", "GBP", "assumption within [S46] golden hellos of up to £8,000",
                                 "golden hello paid to each experienced permanent starter, in the price year's money",
                                 lo=0.0, hi=1e5)
    golden_hello_clawback_years: float = _v(2.0, "float", "years", "[S46] Kent: clawback if staff leave within 2 years",
                                            "a starter who leaves within this time repays the golden hello",
                                            lo=0.0, hi=10.0)
    time_to_hire_weeks: float = _v(12.0, "float", "weeks", "[DEFAULT] brief s5",
                                   "from deciding to hire to an accepted offer", lo=0.0, hi=104.0)
    notice_weeks_permanent: float = _v(8.0, "float", "weeks", "[DEFAULT] brief s5 (NOT FOUND in sources)",
                                       "notice a permanent starter serves with the old employer", lo=0.0, hi=52.0)
    productivity_weeks: float = _v(28.0, "float", "weeks", "[S59] Oxford Economics: 28 weeks to full productivity",
                                   "weeks before a new hire is fully productive", lo=0.0, hi=104.0)
    productivity_loss_rate: float = _v(0.5, "float", "fraction", "[DEFAULT] brief s5",
                                       "average productivity lost by a new hire during those weeks", lo=0.0, hi=1.0)
    asye_support_cost_gbp: float = _v(3000.0, "float", "GBP", "assumption (NOT FOUND in sources)",
                                      "cost of supporting one ASYE through the year, in the price year's money", lo=0.0, hi=1e6)
    asye_grant_gbp: float = _v(2000.0, "float", "GBP", "[S34] employer grant per ASYE",
                               "grant received per ASYE, in the price year's money", lo=0.0, hi=1e6)
    nq_replacement_share: float = _v(0.25, "float", "fraction", ASSUMPTION,
                                     "share of leavers replaced by a newly qualified worker (cost of a leaver)",
                                     lo=0.0, hi=1.0)


@dataclass(frozen=True)
class RecruitmentAssumptions:
    unit: str = _v("team", "str", "team or locality", ASSUMPTION, "level at which hires and agency are planned",
                   choices=("team", "locality"))
    hiring_capacity_per_quarter: int = _v(10, "int", "hires per quarter", ASSUMPTION,
                                          "most permanent hires the authority's recruitment team can make in a quarter",
                                          lo=0, hi=10000)
    hire_success_rate: float = _v(0.85, "float", "fraction", "assumption (offer acceptance and drop-out NOT FOUND)",
                                  "share of planned hires who start (offers accepted, no withdrawal before the first "
                                  "day); the plan recruits for the expected starters", lo=0.05, hi=1.0,
                                  rng=(0.75, 0.95))
    nq_cohort_months: tuple = _v((9,), "ints", "months (1-12)", "assumption: September intake of new graduates",
                                 "months in which newly qualified cohorts start", lo=1, hi=12)
    nq_places_per_cohort: int = _v(10, "int", "people per cohort", ASSUMPTION,
                                   "most newly qualified workers the authority can take in one cohort", lo=0, hi=10000)
    asye_share_max: float = _v(0.25, "float", "fraction of a unit's case holders",
                               "[DEFAULT] ASYEs co-work child protection and court work (brief s3 [S29]) and are "
                               "supervised weekly at first [S33]: a unit needs experienced colleagues for each",
                               "most of a unit's case holders (FTE today, LA-employed and agency) in their ASYE year "
                               "at once; a unit may always take one", lo=0.0, hi=1.0)
    agency_share_target: float = _v(0.15, "float", "fraction", "assumption; [S47][S48] councils cut agency to under 15%",
                                    "agency rate (agency FTE / (agency + LA-employed FTE)) the plan aims for from the "
                                    "target quarter", lo=0.0, hi=1.0)
    agency_target_quarter: int = _v(12, "int", "quarter", "assumption: the end of a three-year plan",
                                    "quarter from which the agency rate must be at or below target", lo=1, hi=40)
    team_agency_weight: float = _v(0.1, "float", "share of an agency FTE-quarter's cost",
                                   "[DEFAULT] agency staff leave children with more changes of worker [S40]: a team "
                                   "far above the target is worse than two near it",
                                   "in the plan's choice only (never in the costs it reports): each agency FTE-quarter "
                                   "a unit holds above the agency target's share of its own staff costs this much "
                                   "more, so hires go where agency is and no team is left mostly agency while another "
                                   "fills up (0 = hires wherever is cheapest)", lo=0.0, hi=10.0)
    team_agency_step: float = _v(0.1, "float", "fraction",
                                 "[DEFAULT] a team's agency share counts more the higher it is: a team at 60% agency "
                                 "is worse for children than two at 35% [S40], so a hire goes first to the team most "
                                 "reliant on agency",
                                 "in the plan's choice only: each further this much of a unit's agency share above "
                                 "the target costs `team_agency_weight` again per agency FTE-quarter (with a 15% "
                                 "target and a 0.1 step, agency above 15%, 25%, 35%, ... of a unit's staff is charged "
                                 "the weight once, twice, three times, ...)", lo=0.01, hi=1.0)
    safe_caseload_quarter: int = _v(12, "int", "quarter",
                                    "[DEFAULT] safe caseloads by the end of a three-year plan: councils that did it took "
                                    "about two to four years (Walsall 2018-2020 [S48], Central Bedfordshire 2014-2018 "
                                    "[S47]), so 8-16 quarters",
                                    "quarter by which the plan covers the whole need at the safe caseload (coverage 1), "
                                    "rising evenly from today's coverage; later when the market cannot supply the "
                                    "added staff that fast (carrying on as now keeps today's coverage)", lo=1, hi=40)
    budget_gbp: float = _v(0.0, "float", "GBP over the horizon", ASSUMPTION,
                           "most the workforce may cost over the horizon (0 = no budget)", lo=0.0, hi=1e12)
    cover_margin_rate: float = _v(0.03, "float", "fraction of demand", ASSUMPTION,
                                  "plan supply this much above expected demand to absorb chance leavers", lo=0.0, hi=1.0)
    # a safety net, not a budget: the demo's solve ends at the root in 1-2 s (1 December 2026), and
    # a limit that binds under load gives another plan for the same inputs (said when it stops)
    time_limit_seconds: float = _v(60.0, "float", "seconds",
                                   "[DEFAULT] a safety net several times the demo's 1-2 s solve, so that a busy "
                                   "machine gives the same plan as a quiet one; a stop by it is said in the plan's "
                                   "note", "solver time limit", lo=0.1, hi=3600.0)


_PUBLISHED = "[DERIVED] DfE workforce indicators 2017-2023 (csww_indicators), English authorities"


@dataclass(frozen=True)
class FeasibilityAssumptions:
    market_feasibility: bool = _v(True, "bool", "yes/no", "[DEFAULT] on: issue 11; see docs/architecture.md",
                                  "bound the plan by what comparable authorities have achieved: experienced hires "
                                  "per quarter and the pace of agency reduction")
    best_share: float = _v(0.10, "float", "fraction", "[DEFAULT] the best decile",
                           "the bounds are what this best share of comparable authorities achieved", lo=0.01, hi=0.5)
    max_starter_rate: str = _v("auto", "auto", "per year or auto", _PUBLISHED,
                               "most LA-employed starters a year as a share of FTE in post (auto: what the best "
                               "decile of authority-years achieved)", lo=0.0, hi=2.0)
    agency_fall_per_year: str = _v("auto", "auto", "percentage points per year or auto", _PUBLISHED,
                                   "fastest fall in the agency rate a year (auto: the best decile of authorities that "
                                   "started in the same band of agency rate, over 1, 2 and 3 years)", lo=0.0, hi=100.0)


@dataclass(frozen=True)
class GatewayAssumptions:
    budget_gbp: float = _v(150000.0, "float", "GBP", ASSUMPTION, "learning and development budget for the plan",
                           lo=0.0, hi=1e12)
    time_limit_seconds: float = _v(10.0, "float", "seconds", ASSUMPTION, "solver time limit", lo=0.1, hi=3600.0)


@dataclass(frozen=True)
class MonteCarloAssumptions:
    runs: int = _v(1000, "int", "runs", ASSUMPTION, "simulated futures", lo=10, hi=1_000_000)
    seed: int = _v(0, "int", "seed", ASSUMPTION, "random seed (the CLI's --seed overrides it)", lo=0, hi=2**32 - 1)


_NO_EVIDENCE = "assumption (brief s4: no controlled evaluation found)"


@dataclass(frozen=True)
class Programme:
    """One offer of the learning and development gateway."""

    name: str = field(default="", metadata=dict(kind="name"))
    cost_per_place_gbp: float = _v(0.0, "float", "GBP per place", ASSUMPTION,
                                   "cost of one place (fees, trainers' and mentors' time); the casework it takes the worker "
                                   "away from is capacity_removed_rate, which the plan covers, not this", lo=0.0, hi=1e6)
    places: int = _v(0, "int", "places", ASSUMPTION, "places available in the plan", lo=0, hi=100000)
    roles: tuple = _v((), "strs", "roles", ASSUMPTION, "roles that may take it", choices=ROLES)
    asye: str = _v("any", "str", "only / exclude / any", ASSUMPTION, "whether ASYEs only, not ASYEs, or anyone",
                   choices=("only", "exclude", "any"))
    min_tenure_years: float = _v(0.0, "float", "years", ASSUMPTION, "least time in the authority", lo=0.0, hi=60.0)
    max_tenure_years: float = _v(60.0, "float", "years", ASSUMPTION, "most time in the authority", lo=0.0, hi=60.0)
    duration_quarters: int = _v(1, "int", "quarters", ASSUMPTION, "how long it runs (cost spread evenly)", lo=1, hi=40)
    leave_risk_reduction_rate: float = _v(0.0, "float", "fraction", _NO_EVIDENCE,
                                          "relative cut in the chance of leaving voluntarily (retirement is never "
                                          "targeted); low-high is the range the Monte Carlo samples (default half to "
                                          "one and a half times the value)", lo=0.0, hi=1.0, rng=RELATIVE_RANGE)
    capacity_removed_rate: float = _v(0.0, "float", "fraction", ASSUMPTION,
                                      "share of the worker's caseload capacity taken away while it runs (caseload "
                                      "relief, protected learning time, a student to supervise): the plan covers it",
                                      lo=0.0, hi=1.0)
    career_step: str = _v("", "str", "role or blank", ASSUMPTION,
                          "the role the worker moves to when it ends (pay and caseload of that role), if any",
                          choices=("", *ROLES))


PROGRAMME_REQUIRED = ("cost_per_place_gbp", "places", "roles", "leave_risk_reduction_rate")


def default_programmes() -> tuple[Programme, ...]:
    """The default gateway catalogue: every figure is an assumption (brief s4 found no controlled
    evaluation of retention interventions); the pathways follow [S35][S70]."""
    practitioners = ("case_holder", "senior_practitioner")
    return (
        Programme("asye_support", 2500.0, 30, ("case_holder",), "only", 0.0, 60.0, 4, 0.30, 0.0, ""),
        Programme("mentoring", 600.0, 40, practitioners, "exclude", 0.0, 5.0, 2, 0.10, 0.02, ""),
        Programme("practice_educator", 1800.0, 12, practitioners, "exclude", 2.0, 60.0, 3, 0.15, 0.10, ""),
        Programme("senior_practitioner_pathway", 3000.0, 15, ("case_holder",), "exclude", 2.0, 60.0, 4, 0.25, 0.05,
                  "senior_practitioner"),
        Programme("advanced_practitioner_pathway", 3500.0, 6, ("senior_practitioner",), "exclude", 3.0, 60.0, 4,
                  0.20, 0.05, "advanced_practitioner"),
        Programme("practice_supervisor_development", 2500.0, 8, ("senior_practitioner", "advanced_practitioner"),
                  "exclude", 3.0, 60.0, 3, 0.20, 0.05, "practice_supervisor"),
        Programme("team_manager_development", 4000.0, 5, ("practice_supervisor", "advanced_practitioner"),
                  "exclude", 3.0, 60.0, 4, 0.20, 0.05, "team_manager"),
        Programme("caseload_relief", 5000.0, 20, practitioners, "exclude", 0.0, 60.0, 2, 0.30, 0.25, ""),
    )


SECTIONS: dict[str, type] = {
    "projection": ProjectionAssumptions,
    "demand": DemandAssumptions,
    "supply": SupplyAssumptions,
    "costs": CostAssumptions,
    "recruitment": RecruitmentAssumptions,
    "feasibility": FeasibilityAssumptions,
    "gateway": GatewayAssumptions,
    "montecarlo": MonteCarloAssumptions,
}


@dataclass(frozen=True)
class MovedKey:
    """A key that used to be a plan assumption and is now part of the capacity model."""

    to: str  # the CaseloadRules field it sets
    convert: Callable[[float, CaseloadRules], float]
    how: str  # the mapping, in words


#: Old plan keys that restated the capacity model, and how an old value maps onto it.
MOVED_TO_CASELOAD: dict[str, MovedKey] = {
    "demand.target_points_per_fte": MovedKey(
        "reserved_points", lambda value, rules: rules.points_per_fte - value,
        "a case-holding FTE carries points_per_fte - reserved_points, so reserved_points = points_per_fte - value"),
    "supply.asye_capacity_share": MovedKey(
        "asye_points_share", lambda value, rules: value, "asye_points_share = value"),
}


#: Old plan keys now held in another unit: (new key, conversion, the rule in words).
RENAMED: dict[str, tuple[str, Callable[[float], float], str]] = {
    "costs.agency_hourly_rate_gbp": ("agency_day_rate_case_holder_gbp", lambda v: v * 7.4,
                                     "agency costs are day rates by role now: day rate = hourly rate x 7.4 hours"),
}

#: How a basis reads once a planner changed the value but not the basis (issue 18.10).
EDITED = "edited by the user (was: {value}; {basis})"


@dataclass(frozen=True)
class Assumptions:
    """Everything a plan assumes. `basis` holds bases that differ from the shipped ones,
    keyed `section.key` (e.g. a planner's note "our 2024 agency invoices", or "edited by the user
    (was: ...)" for a value changed without one); `ranges` the (low, high) ranges that differ from
    the default ones; `caseload` is the capacity model the plan converts demand and supply with."""

    projection: ProjectionAssumptions = field(default_factory=ProjectionAssumptions)
    demand: DemandAssumptions = field(default_factory=DemandAssumptions)
    supply: SupplyAssumptions = field(default_factory=SupplyAssumptions)
    costs: CostAssumptions = field(default_factory=CostAssumptions)
    recruitment: RecruitmentAssumptions = field(default_factory=RecruitmentAssumptions)
    feasibility: FeasibilityAssumptions = field(default_factory=FeasibilityAssumptions)
    gateway: GatewayAssumptions = field(default_factory=GatewayAssumptions)
    montecarlo: MonteCarloAssumptions = field(default_factory=MonteCarloAssumptions)
    programmes: tuple[Programme, ...] = field(default_factory=default_programmes)
    basis: Mapping[str, str] = field(default_factory=dict)
    caseload: CaseloadRules = field(default_factory=CaseloadRules)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def basis_of(self, section: str, key: str) -> str:
        """The basis shown for a value: the planner's note if any, else the shipped one."""
        note = self.basis.get(f"{section}.{key}")
        if note:
            return note
        return _meta(_section_class(section), key)["basis"]

    def value_of(self, section: str, key: str) -> Any:
        """The value of ``section.key`` (a programme's as ``programme:<name>``)."""
        if section.startswith(PROGRAMME_PREFIX):
            name = section[len(PROGRAMME_PREFIX):]
            return getattr(next(p for p in self.programmes if p.name == name), key)
        return getattr(getattr(self, section), key)

    def range_of(self, section: str, key: str) -> tuple[float, float] | None:
        """The (low, high) range of an uncertain value, None for a value with no range: the
        planner's range if given, else the default one (:func:`default_range`)."""
        given = self.ranges.get(f"{section}.{key}")
        if given is not None:
            return given
        return default_range(section, key, self.value_of(section, key))

    def with_values(self, values: Mapping[str, Any], basis: str | None = None, *,
                    ranges: Mapping[str, tuple[float, float]] | None = None) -> "Assumptions":
        """A copy with some values changed, checked as a file's would be (e.g. for scenarios).

        Parameters
        ----------
        values : mapping
            ``{"section.key": value}``; the capacity model's numbers as ``caseload.<name>``
            (``caseload.roles.case_holder.soft_children``).
        basis : str, optional
            Tag the changed values with this basis (else a changed value's basis reads "edited by
            the user (was: ...)").
        ranges : mapping, optional
            ``{"section.key": (low, high)}`` for uncertain values.

        Returns
        -------
        Assumptions

        Raises
        ------
        InputError
            An unknown key or a bad value.
        """
        frame = assumptions_frame(self)
        frame = frame.set_index(frame["section"] + "." + frame["key"])
        for name, value in values.items():
            if name not in frame.index:
                raise InputError(f"unknown assumption '{name}'", column="key")
            frame.at[name, "value"] = _to_cell(value)
            if name not in self.ranges:  # the default range follows the new value
                frame.at[name, "low"] = frame.at[name, "high"] = None
            if basis:
                frame.at[name, "basis"] = basis
        for name, (low, high) in (ranges or {}).items():
            if name not in frame.index:
                raise InputError(f"unknown assumption '{name}'", column="key")
            frame.at[name, "low"], frame.at[name, "high"] = low, high
        return assumptions_from_frame(frame.reset_index(drop=True), source="scenario", warn_missing=False)


def _section_class(section: str) -> type:
    return Programme if section.startswith(PROGRAMME_PREFIX) else SECTIONS[section]


def _shipped_value(section: str, key: str) -> Any:
    """The shipped default of a value (a default programme's own, else the field's)."""
    if section.startswith(PROGRAMME_PREFIX):
        name = section[len(PROGRAMME_PREFIX):]
        for p in default_programmes():
            if p.name == name:
                return getattr(p, key)
    for f in fields(_section_class(section)):
        if f.name == key:
            return f.default
    raise KeyError(key)


def default_range(section: str, key: str, value: Any) -> tuple[float, float] | None:
    """The default (low, high) of an uncertain value: the field's range, or for a range relative
    to the value (:data:`RELATIVE_RANGE`) half to one and a half times it, kept inside the
    value's plausible limits; widened to hold the value when it lies outside. None when the
    value carries no range."""
    meta = _meta(_section_class(section), key)
    rng = meta.get("rng")
    if rng is None or not isinstance(value, (int, float)):
        return None
    if rng[0] == RELATIVE_RANGE[0]:
        low, high = value * rng[1], value * rng[2]
    else:
        low, high = rng
    lo, hi = meta.get("lo"), meta.get("hi")
    low = max(low, lo) if lo is not None else low
    high = min(high, hi) if hi is not None else high
    return (round(float(min(low, value)), 6), round(float(max(high, value)), 6))


def _meta(cls: type, key: str) -> dict:
    for f in fields(cls):
        if f.name == key:
            return dict(f.metadata)
    raise KeyError(key)


def value_fields(cls: type) -> list:
    """The fields of an assumptions section (or :class:`Programme`) that hold a tagged value."""
    return [f for f in fields(cls) if f.metadata.get("kind") not in (None, "name")]


# ---- values: to and from cells ------------------------------------------------------------


def _to_cell(value: Any) -> Any:
    """The frame/sheet form of a value: lists become `;`-joined text, the rest stay scalars."""
    if isinstance(value, (tuple, list)):
        return ";".join(str(v) for v in value)
    return value


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _parse_number(value: Any, meta: dict | None = None) -> float:
    """The shared number parser: "£42,000" where the unit is money, "15%" where it is a fraction."""
    unit = (meta or {}).get("unit", "")
    return parse_number(value, percent=is_fraction_unit(unit), currency=unit.startswith("GBP"))


def _parse_int(value: Any, meta: dict | None = None) -> int:
    number = _parse_number(value, meta)
    if not float(number).is_integer():
        raise ValueError(f"'{value}' is not a whole number")
    return int(number)


def _check_range(number: float, meta: dict) -> None:
    lo, hi = meta.get("lo"), meta.get("hi")
    unit = meta.get("unit", "")

    def shown(x: float) -> str:
        if not unit.startswith("GBP"):
            return f"{x:g}"
        return ("-" if x < 0 else "") + f"£{abs(x):,.2f}".removesuffix(".00")  # -£40,000, as finance writes it

    low, high = lo is not None and number < lo, hi is not None and number > hi
    if low or high:
        bounds = (f"{shown(lo)} to {shown(hi)}" if lo is not None and hi is not None
                  else f"at least {shown(lo)}" if lo is not None else f"at most {shown(hi)}")
        side = f"below the minimum {shown(lo)}" if low else f"above the maximum {shown(hi)}"
        raise ValueError(f"{shown(number)} is {side} (plausible range {bounds}, {unit})")


def _split_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return [part.strip() for part in str(value).split(";") if part.strip()]


def parse_value(value: Any, meta: dict) -> Any:
    """Turn a cell or TOML value into the typed value; ValueError says what is wrong."""
    kind = meta["kind"]
    choices = meta.get("choices") or ()
    if kind == "float":
        number = _parse_number(value, meta)
        _check_range(number, meta)
        return number
    if kind == "int":
        number = _parse_int(value, meta)
        _check_range(number, meta)
        return number
    if kind == "bool":
        text = str(value).strip().lower()
        if isinstance(value, bool):
            return value
        if text in ("yes", "y", "true", "1"):
            return True
        if text in ("no", "n", "false", "0"):
            return False
        raise ValueError(f"'{value}' is not yes/no")
    if kind == "str":
        text = "" if _blank(value) else str(value).strip()
        if choices and text not in choices:
            # a role typed 'senior practitioner' would be paid as a case holder and hold no cases
            raise ValueError(f"'{text}' is not one of {', '.join(c or 'blank' for c in choices)}")
        return text
    if kind == "auto":
        if str(value).strip().lower() == "auto":
            return "auto"
        try:
            number = _parse_number(value, meta)
        except ValueError as exc:
            raise ValueError(f"{exc}, or 'auto'") from None
        _check_range(number, meta)
        return number
    if kind == "date":
        text = str(value).strip()
        if text.lower() == "auto":
            return "auto"
        try:
            return parse_date(value).isoformat()
        except ValueError as exc:
            raise ValueError(f"{exc}, or 'auto'") from None
    if kind == "strs":
        items = _split_list(value)
        bad = [i for i in items if choices and i not in choices]
        if bad:
            raise ValueError(f"{', '.join(bad)} not allowed (allowed: {', '.join(choices)})")
        return tuple(items)
    if kind == "ints":
        items = tuple(_parse_int(v, meta) for v in _split_list(value))
        for item in items:
            _check_range(item, meta)
        return items
    raise AssertionError(kind)


# ---- the assumptions frame ----------------------------------------------------------------


def assumptions_frame(a: Assumptions) -> pd.DataFrame:
    """The Assumptions sheet: one row per value; the capacity model as `caseload` rows, the
    L&D catalogue as `programme:<name>` sections.

    Parameters
    ----------
    a : Assumptions

    Returns
    -------
    DataFrame
        Columns :data:`FRAME_COLUMNS` (object dtype): `low` and `high` hold the range of an
        uncertain value (blank for the rest); read back exactly by :func:`assumptions_from_frame`.
    """
    rows = []

    def add(section: str, obj: Any, cls: type) -> None:
        for f in value_fields(cls):
            m = f.metadata
            low, high = a.range_of(section, f.name) or (None, None)
            rows.append((section, f.name, _to_cell(getattr(obj, f.name)), low, high, m["unit"],
                         a.basis_of(section, f.name), m["description"]))

    for section, cls in SECTIONS.items():
        add(section, getattr(a, section), cls)
    for name, value, basis in a.caseload.rows():
        unit, description = describe(name)
        rows.append((CASELOAD_SECTION, name, value, None, None, unit, basis, description))
    for programme in a.programmes:
        add(PROGRAMME_PREFIX + programme.name, programme, Programme)
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS), dtype=object)
    return frame


def _row_numbers(frame: pd.DataFrame) -> list[int]:
    """Spreadsheet row numbers: the index when a reader gave them, else header = row 1."""
    if frame.index.name == "row":
        return [int(i) for i in frame.index]
    return list(range(2, len(frame) + 2))


def _caseload_value(raw: Any, default: Any, unit: str = "") -> Any:
    """A capacity-model cell typed like its default (yes/no, whole or decimal number, or blank
    for "no separate cap"); a fraction may be typed as a percentage, as on every other row."""
    if isinstance(default, bool):
        return parse_value(raw, {"kind": "bool"})
    if _blank(raw):
        if default is None:
            return None
        raise ValueError("value is blank")
    number = _parse_number(raw, {"unit": unit})
    return int(number) if isinstance(default, int) and number.is_integer() else number


def _caseload_row(message: str, cells: dict[str, tuple[int, Any, str]]) -> int | None:
    """The sheet row of the first caseload key a capacity-model message names, so that the problem
    points at the cell to change (None when it names none of the rows read)."""
    named = sorted(((message.find(name), name) for name in cells if name in message), key=lambda t: (t[0], -len(t[1])))
    return cells[named[0][1]][0] if named else None


def _caseload_edits(cells: dict[str, tuple[int, Any, str]], base: CaseloadRules,
                    problem: Callable[[int, str, str, str | None], None]) -> dict[str, Any]:
    """The `[caseload]`-style mapping of the `caseload` rows that differ from `base`.

    `cells` maps a row name (``points_per_fte``, ``case_points.cp``,
    ``roles.case_holder.soft_children``) to (row, raw value, basis note). A role whose values
    change keeps a basis note that differs from its own (a planner's, or an earlier edit's)."""
    current = {name: (value, basis) for name, value, basis in base.rows()}
    edits: dict[str, Any] = {}
    for name, (row, raw, note) in cells.items():
        if name not in current:
            problem(row, f"[{CASELOAD_SECTION}] {name}: unknown key", "key",
                    "the caseload rows of a plan workbook (see workforce.caseload.CaseloadRules)")
            continue
        default, basis = current[name]
        try:
            value = _caseload_value(raw, default, describe(name)[0])
        except ValueError as exc:
            problem(row, f"[{CASELOAD_SECTION}] {name}: {exc}", "value", None)
            continue
        if value == default:
            continue
        head, _, rest = name.partition(".")
        if head == "roles":
            role, _, key = rest.rpartition(".")
            table = edits.setdefault("roles", {}).setdefault(role, {})
            table[key] = value
            if note and note != basis:
                table["basis"] = note
        elif head == "case_points":
            edits.setdefault("case_points", {})[rest] = value
        else:
            edits[name] = value
    return edits


def _apply_moved(moved: dict[str, tuple[int, Any]], edits: dict[str, Any], base: CaseloadRules, source: str,
                 problem: Callable[[int, str, str, str | None], None]) -> None:
    """Map old plan keys that restated the capacity model onto it, saying where they went."""
    for name, (row, raw) in moved.items():
        rule = MOVED_TO_CASELOAD[name]
        try:
            value = rule.convert(_parse_number(raw), base)
        except ValueError as exc:
            problem(row, f"{name}: {exc}", "value", None)
            continue
        set_already = edits.get(rule.to, getattr(base, rule.to))
        if set_already != getattr(CaseloadRules(), rule.to) and set_already != value:
            problem(row, f"{name} moved to [caseload] {rule.to}, which is also set, to a different value",
                    "key", f"one of them ({rule.how})")
            continue
        if value != getattr(base, rule.to):
            edits[rule.to] = value
        warnings.warn(InputWarning(
            f"{source}: '{name}' is no longer a plan assumption: the capacity model sets it, as [caseload] "
            f"{rule.to} = {value:g} ({rule.how}); read from this file, but set it in [caseload] from now on"),
            stacklevel=3)


def sheet_section(section: str) -> str:
    """How a sheet names a group in messages: as its `section` column does (``recruitment``,
    ``programme:mentoring``)."""
    return section


def file_section(section: str) -> str:
    """How a settings file names a group in messages: ``plans.recruitment``,
    ``plans.programme.mentoring`` (the capacity model is its own top-level ``caseload``)."""
    if section == CASELOAD_SECTION:
        return section
    return "plans." + section.replace(PROGRAMME_PREFIX, "programme.", 1)


def assumptions_from_frame(frame: pd.DataFrame, *, source: str = "assumptions",
                           caseload: CaseloadRules | None = None, warn_missing: bool = True,
                           named: Callable[[str], str] = sheet_section) -> Assumptions:
    """Assumptions from an `assumptions` frame (typed values or the raw text of a sheet).

    Parameters
    ----------
    frame : DataFrame
        Columns `section, key, value` (and optionally `basis`, `low`, `high`); `caseload` rows edit the
        capacity model, `programme:<name>` rows the L&D catalogue. An index named `row` gives
        the row numbers used in messages.
    source : str
        The file (and sheet) named in messages.
    caseload : CaseloadRules, optional
        The capacity model the `caseload` rows and moved keys edit (default: the shipped one).
    warn_missing : bool
        Warn about assumptions that have no row (their defaults are used).
    named : callable
        How messages name a section (`sheet_section`, or `file_section` for a settings file).

    Returns
    -------
    Assumptions
        Rows left out keep their defaults.

    Warns
    -----
    InputWarning
        For each old key that moved to the capacity model (``demand.target_points_per_fte``,
        ``supply.asye_capacity_share``), saying where it went; and, with `warn_missing`, for
        the assumptions left out (a deleted row is never a silent change of plan).

    Raises
    ------
    InputError
        Every unknown section or key, duplicate and bad value together, each with `source`,
        row and key.
    """
    columns = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ("section", "key", "value") if c not in columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=source, row=1,
                         allowed=", ".join(FRAME_COLUMNS))
    base_caseload = caseload or CaseloadRules()
    problems: list[Problem] = []
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    programmes: dict[str, dict[str, Any]] = {}
    programme_rows: dict[str, int] = {}  # each programme's first row, where a missing key is reported
    caseload_cells: dict[str, tuple[int, Any, str]] = {}
    moved: dict[str, tuple[int, Any]] = {}
    basis: dict[str, str] = {}
    ranges: dict[str, tuple[float, float]] = {}
    seen: set[tuple[str, str]] = set()
    rows = _row_numbers(frame)
    basis_col = columns.get("basis")
    low_col, high_col = columns.get("low"), columns.get("high")

    def add_problem(row: int, message: str, column: str, allowed: str | None) -> None:
        problems.append(Problem(source, message, row, column, allowed))

    for row, (_, record) in zip(rows, frame.iterrows()):
        section = "" if _blank(record[columns["section"]]) else str(record[columns["section"]]).strip()
        key = "" if _blank(record[columns["key"]]) else str(record[columns["key"]]).strip()
        if not section and not key:
            continue
        where = f"[{named(section)}] {key}"

        def problem(message: str, allowed: str | None = None) -> None:
            problems.append(Problem(source, f"{where}: {message}", row, "value" if key else "key", allowed))

        raw = record[columns["value"]]
        note = "" if basis_col is None or _blank(record[basis_col]) else str(record[basis_col]).strip()
        if (section, key) in seen:
            problem("appears more than once")
            continue
        seen.add((section, key))
        if section == CASELOAD_SECTION:
            caseload_cells[key] = (row, raw, note)
            continue
        if f"{section}.{key}" in MOVED_TO_CASELOAD:
            moved[f"{section}.{key}"] = (row, raw)
            continue
        if f"{section}.{key}" in RENAMED:
            new_key, convert, how = RENAMED[f"{section}.{key}"]
            try:
                value = convert(_parse_number(raw, {"unit": "GBP"}))
            except ValueError as exc:
                problem(str(exc))
                continue
            if (section, new_key) in seen:
                problem(f"is also given as {new_key}: keep one")
                continue
            sections[section][new_key] = value
            seen.add((section, new_key))
            if note:
                basis[f"{section}.{new_key}"] = f"{note} (read as a day rate from {key})"
            warnings.warn(InputWarning(f"{source}: [{named(section)}] {key} = {raw} read as {new_key} = {value:g} ({how})"),
                          stacklevel=3)
            continue
        if section.startswith(PROGRAMME_PREFIX):
            name = section[len(PROGRAMME_PREFIX):].strip()
            if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
                problem("programme name must be letters, digits, _ or -")
                continue
            cls, target = Programme, programmes.setdefault(name, {})
            programme_rows.setdefault(name, row)
        elif section in SECTIONS:
            cls, target = SECTIONS[section], sections[section]
        else:
            problems.append(Problem(source, f"unknown section '{section}'", row, "section",
                                    ", ".join([*SECTIONS, CASELOAD_SECTION]) + ", programme:<name>"))
            continue
        known = {f.name: f for f in value_fields(cls)}
        if key not in known:
            problems.append(Problem(source, f"{where}: unknown key", row, "key", ", ".join(known)))
            continue
        meta = dict(known[key].metadata)
        if _blank(raw) and meta["kind"] not in ("str", "strs"):
            problem("value is blank")
            continue
        try:
            target[key] = parse_value(raw, meta)
        except ValueError as exc:
            problem(str(exc))
            continue
        cells = [None if col is None else record[col] for col in (low_col, high_col)]
        try:
            given = _parse_range(cells, target[key], meta)
        except ValueError as exc:
            # a value moved outside its range is the value's problem (what the planner edited)
            problems.append(Problem(source, f"{where}: {exc}", row,
                                    "value" if isinstance(exc, ValueOutsideRange) else "low", None))
            continue
        name = f"{section}.{key}"
        if given is not None and given != default_range(section, key, target[key]):
            ranges[name] = given
        shown = edited_basis(section, key, target[key], note, meta["basis"])
        if shown:
            basis[name] = shown
    edits = _caseload_edits(caseload_cells, base_caseload, add_problem)
    _apply_moved(moved, edits, base_caseload, source, add_problem)
    rules = base_caseload
    if edits:
        try:
            rules = CaseloadRules.from_mapping(_merge_edits(_caseload_mapping(base_caseload), edits))
        except (KeyError, ValueError) as exc:
            for part in str(exc).strip(chr(39) + chr(34)).split("; "):
                problems.append(Problem(source, f"[{CASELOAD_SECTION}] {part}", _caseload_row(part, caseload_cells),
                                        "value"))
    built: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        built[name] = cls(**sections[name])
    defaults = {p.name: p for p in default_programmes()}
    catalogue: list[Programme] = []
    if programmes:
        for name, values in programmes.items():
            absent = [k for k in PROGRAMME_REQUIRED if k not in values]
            if absent and name not in defaults:
                problems.append(Problem(source, f"[{named(PROGRAMME_PREFIX + name)}]: missing {', '.join(absent)}",
                                        programme_rows.get(name), "key"))
                continue
            base = defaults.get(name, Programme(name=name))
            catalogue.append(replace(base, **values))
    else:
        catalogue = list(defaults.values())
    # one order whatever the order of the rows (a sorted sheet is the same plan): the shipped
    # catalogue's, then the planner's own programmes by name
    shipped = list(defaults)
    catalogue.sort(key=lambda prog: (shipped.index(prog.name) if prog.name in shipped else len(shipped), prog.name))
    if problems:
        raise InputError(problems=problems)
    if warn_missing:
        warn_defaults_used(seen, programmes, source)
    return Assumptions(**built, programmes=tuple(catalogue), basis=basis, caseload=rules, ranges=ranges)


def edited_basis(section: str, key: str, value: Any, note: str, shipped_basis: str) -> str:
    """The basis to keep for a value read from a file ("" = the shipped one).

    A planner's own note is kept. A value changed from its default with the shipped basis (or
    none) left beside it reads "edited by the user (was: <default>; <shipped basis>)", so an
    edited salary never still cites the source of the old one (issue 18.10); a value put back
    to its default drops that mark."""
    own = note if note and note != shipped_basis and not note.startswith(EDITED.split("{")[0]) else ""
    name = section[len(PROGRAMME_PREFIX):] if section.startswith(PROGRAMME_PREFIX) else None
    if own or (name is not None and name not in {p.name for p in default_programmes()}):
        return own  # a planner's note, or a programme of the planner's own (no default to differ from)
    shipped = _shipped_value(section, key)
    if value == shipped or (isinstance(value, tuple) and tuple(value) == tuple(shipped or ())):
        return ""
    if note.startswith(EDITED.split("{")[0]):
        return note
    return EDITED.format(value=_as_written(_to_cell(shipped)), basis=shipped_basis)


def _as_written(value: Any) -> Any:
    """A number as a planner writes it in a note (35,444 and 0.28, not 35444.0); the rest as is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.10g}"


class ValueOutsideRange(ValueError):
    """A value outside the low-high range given beside it on the sheet."""


def _parse_range(cells: list[Any], value: Any, meta: dict) -> tuple[float, float] | None:
    """(low, high) from the sheet's `low` and `high` cells (None when both are blank)."""
    if all(c is None or _blank(c) for c in cells):
        return None
    if meta.get("rng") is None:
        raise ValueError("takes no range (leave low and high blank)")
    if any(c is None or _blank(c) for c in cells):
        raise ValueError("give both low and high, or neither")
    low, high = (_parse_number(c, meta) for c in cells)
    for number in (low, high):
        _check_range(number, meta)
    if not low <= value <= high and _relative_default(low, high, meta):
        return None  # the default range of the old value, left as it was: it moves with the new one
    if not low <= value <= high:
        raise ValueOutsideRange(f"the value {value:g} is outside its range {low:g} to {high:g}: change the value, "
                                "or low and high to a range that holds it")
    return (float(low), float(high))


def _relative_default(low: float, high: float, meta: dict) -> bool:
    """Is (low, high) the default range of some value, for a value whose default range is relative
    to it (:data:`RELATIVE_RANGE`, the agency day rates' x0.715-x1)? A sheet or file that changes
    such a value and leaves the range it was written with takes the new value's default range,
    as :meth:`Assumptions.with_values` does (a planner's own range must still hold the value)."""
    rng = meta.get("rng")
    if rng is None or rng[0] != RELATIVE_RANGE[0] or rng[2] <= 0 or high <= 0:
        return False
    base = high / rng[2]
    return math.isclose(low, base * rng[1], rel_tol=1e-5, abs_tol=1e-6)


def warn_defaults_used(seen: set[tuple[str, str]], programmes: Mapping[str, Any], source: str) -> None:
    """Say which assumptions had no row, so their defaults are used: a deleted row is never a
    silent change of plan (an InputWarning, which the CLI prints as a 'warning:' line)."""
    expected = [(section, f.name) for section, cls in SECTIONS.items() for f in value_fields(cls)]
    # A listed programme's missing keys keep that programme's defaults (or the blank Programme's).
    expected += [(PROGRAMME_PREFIX + name, f.name) for name in programmes for f in value_fields(Programme)]
    missing = [(section, key) for section, key in expected if (section, key) not in seen]
    dropped = [p.name for p in default_programmes() if programmes and p.name not in programmes]
    if not missing and programmes and not dropped:
        return
    parts = []
    if len(missing) > 10:  # a file of a few overrides: say so, without listing every default
        parts.append(f"{len(missing)} of {len(expected)} assumptions are not in it, so their defaults are used "
                     "(every value used is in the plan's assumptions.toml and Assumptions sheet)")
    elif missing:
        defaults = assumptions_frame(Assumptions()).set_index(["section", "key"])["value"]
        blank = {f.name: _to_cell(f.default) for f in value_fields(Programme)}  # a programme of the user's own
        shown = [f"{section.removeprefix(PROGRAMME_PREFIX)}.{key} = {defaults.get((section, key), blank.get(key))}"
                 for section, key in missing]
        parts.append(f"no row for {'; '.join(shown)}: using the default")
    if not programmes:
        parts.append("no programme rows, so the default L&D programmes are used")
    if dropped:
        parts.append(f"no rows for the default programme{'s' if len(dropped) > 1 else ''} {', '.join(dropped)}: "
                     "left out of the L&D plan")
    warnings.warn(InputWarning(f"{source}: " + "; and ".join(parts)), stacklevel=3)


def _caseload_mapping(rules: CaseloadRules) -> dict[str, Any]:
    """The edits that turn the shipped capacity model into `rules` (empty for the shipped one)."""
    shipped = CaseloadRules()
    out: dict[str, Any] = {}
    for f in fields(rules):
        value = getattr(rules, f.name)
        if value == getattr(shipped, f.name):
            continue
        if f.name == "roles":
            out["roles"] = {name: {rf.name: getattr(role, rf.name) for rf in fields(role)}
                            for name, role in value.items() if shipped.roles.get(name) != role}
        else:
            out[f.name] = value
    return out


def _merge_edits(base: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    """`edits` over `base`, table by table (case points by type, roles by role and field)."""
    out = dict(base)
    for key, value in edits.items():
        if key == "roles":
            roles = {name: dict(table) for name, table in out.get("roles", {}).items()}
            for name, table in value.items():
                roles[name] = {**roles.get(name, {}), **table}
            out["roles"] = roles
        elif key == "case_points":
            out["case_points"] = {**out.get("case_points", {}), **value}
        else:
            out[key] = value
    return out


def assumptions_from_sections(sections: Mapping[str, Any], *, source: str = "settings",
                              lines: Mapping[tuple[str, str], int] | None = None,
                              caseload: CaseloadRules | None = None) -> Assumptions:
    """Assumptions from a TOML-like mapping of sections: ``{"costs": {"on_cost_rate": 0.3}}``.

    Parameters
    ----------
    sections : mapping
        Section name -> table of ``key = value`` or ``key = {value = .., basis = ..}``;
        programmes under ``programme`` (or ``programmes``) as one table per name.
    source : str
        The file named in messages.
    lines : mapping, optional
        (section, key) -> line number in the file, for messages; programme sections are named
        ``programme.<name>``.
    caseload : CaseloadRules, optional
        The capacity model (the settings file's `[caseload]`); moved keys edit it.

    Returns
    -------
    Assumptions

    Raises
    ------
    InputError
        A section that is not a table, an inline table without `value`, a caseload table inside
        the plan sections, and every problem :func:`assumptions_from_frame` reports.
    """
    if not sections:  # a settings file without plan assumptions: the defaults, nothing to say
        return Assumptions(caseload=caseload or CaseloadRules())
    lines = lines or {}
    records: list[tuple[int, str, str, Any, Any]] = []
    problems: list[Problem] = []

    def add(section: str, named: str, table: Any) -> None:
        if not isinstance(table, dict):
            problems.append(Problem(source, f"'{file_section(section)}' must be a table ([{file_section(section)}])",
                                    lines.get((named, ""), None), "key"))
            return
        for key, item in table.items():
            line = lines.get((named, key), 0)
            note = None
            if isinstance(item, dict):
                extra = set(item) - {"value", "basis", "unit", "description", "low", "high"}
                if "value" not in item or extra:
                    problems.append(Problem(source, f"[{file_section(section)}] {key}: an inline table needs 'value' "
                                                    "(and may have 'basis', 'low' and 'high')", line or None, "value"))
                    continue
                note, low, high, item = item.get("basis"), item.get("low"), item.get("high"), item["value"]
            else:
                low = high = None
            records.append((line, section, key, item, note, low, high))

    for name, table in sections.items():
        if name == CASELOAD_SECTION:
            problems.append(Problem(source, "the capacity model is its own top-level [caseload] section, not part of "
                                            "the plan assumptions", lines.get((name, ""), None), "key"))
        elif name in ("programme", "programmes") and isinstance(table, dict):
            for pname, ptable in table.items():
                add(PROGRAMME_PREFIX + pname, f"{name}.{pname}", ptable)
        else:
            add(name, name, table)
    if problems:
        raise InputError(problems=problems)
    frame = pd.DataFrame(
        [(s, k, v if not isinstance(v, list) else tuple(v), b, lo, hi) for _, s, k, v, b, lo, hi in records],
        columns=["section", "key", "value", "basis", "low", "high"], dtype=object,
    )
    frame.index = pd.Index([r[0] or (i + 1) for i, r in enumerate(records)], name="row")
    return assumptions_from_frame(frame, source=source, caseload=caseload, named=file_section)


def date_echo_lines(a: Assumptions) -> list[str]:
    """Each date the assumptions set, written out ("projection.start_date: 1 April 2025, a
    Tuesday"), for the run's terminal summary: a date typed 01/04/2025 and read the other way
    round shows at once. 'auto' dates are not echoed (the plan says where it starts)."""
    order = current_date_order()
    lines = []
    for section, cls in SECTIONS.items():
        for f in value_fields(cls):
            value = getattr(getattr(a, section), f.name)
            if f.metadata["kind"] == "date" and value != "auto":
                day = parse_date(value)
                lines.append(f"{section}.{f.name}: {written_date(day)}, a {day:%A} (dates such as 01/04/2025 "
                             f"are read {DATE_ORDERS[order].split(' (')[0]}; --dates {'us' if order == 'uk' else 'uk'} "
                             "reads them the other way)")
    return lines


def changed_values(a: Assumptions, b: Assumptions) -> pd.DataFrame:
    """Rows whose value differs between two assumption sets (`section, key, value_a, value_b`)."""
    fa, fb = assumptions_frame(a), assumptions_frame(b)
    merged = fa.merge(fb, on=["section", "key"], how="outer", suffixes=("_a", "_b"))
    differ = merged["value_a"].astype(str) != merged["value_b"].astype(str)
    return merged.loc[differ, ["section", "key", "value_a", "value_b"]].reset_index(drop=True)


def iter_values(a: Assumptions) -> Iterable[tuple[str, str, Any]]:
    for _, row in assumptions_frame(a).iterrows():
        yield row["section"], row["key"], row["value"]
