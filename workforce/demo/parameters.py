"""Everything the demo generator assumes, each value with its basis and, where it is uncertain, a
range; and the profiles (`default`, `sandwell`) that set the authority's published levels.

A basis is a brief source tag ([S#] from `../shared/domain/brief.md`), [DERIVED] for arithmetic on
sourced figures, or [DEFAULT] for a judgement. `parameter_table()` lists them all; the range is
where the evidence or judgement leaves the value (the generator uses the default).

The leaving process follows the brief's section 4: job satisfaction and organisational commitment
are the strongest predictors, stress and burnout next, support and supervision matter, and
caseload did NOT significantly predict intention to leave (Kim & Kao 2014 [S44]); demographics
have small effects; risk concentrates in the first five years of service and among under-30s;
retirement comes at 60 and over; agency contract ends are a separate process. Satisfaction and
burnout are latent in the generator (no authority records them), so a churn model trained on the
demo cannot see its strongest drivers, as with a real authority's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from workforce import contracts
from workforce.measures import census_day

#: Team types (`workforce.contracts.TEAM_TYPES`); the demo leaves care leavers (held by personal
#: advisers) out of the social-work caseload.
TEAM_TYPES = contracts.TEAM_TYPES
CASE_HOLDING_TEAM_TYPES = TEAM_TYPES[:4]

#: The locality of service-wide units: no child lives there, so no child is in their reach.
SERVICE_WIDE = "Service-wide"
LOCALITY_NAMES = ("North", "South", "East", "West", "Central", "Riverside")
AGE_BANDS = ("20-29", "30-39", "40-49", "50-59", "60+")
SKILL_TAGS = ("adolescents", "care_leavers", "cla", "court", "cp", "disability", "domestic_abuse", "exploitation")


def _param(default: Any, basis: str, low: Any = None, high: Any = None) -> Any:
    """A parameter with its basis and, where uncertain, the range [low, high] it may take."""
    meta = {"basis": basis, "range": None if low is None else (low, high)}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def mean_family_size(sibling_group_p: dict) -> float:
    """Expected children in a family when sibling groups of each size (key) are drawn with the
    given weights (`DemoParameters.sibling_group_p`): what turns a count of children into one of
    families."""
    return float(np.dot(list(sibling_group_p), list(sibling_group_p.values())) / sum(sibling_group_p.values()))


def _service_units() -> dict:
    """Service-wide units of qualified staff who hold no children's cases (counts at scale 1)."""
    return {
        "Leadership": ("management", {"senior_manager": 4, "service_manager": 10}),
        "MASH": ("front_door", {"team_manager": 1, "qualified_no_cases": 26}),
        "Independent Reviewing": ("quality_assurance", {"team_manager": 2, "qualified_no_cases": 32}),
        "Practice and Quality": ("quality_assurance", {"team_manager": 1, "qualified_no_cases": 17}),
        "Emergency Duty": ("service_support", {"team_manager": 1, "qualified_no_cases": 15}),
        "Edge of Care": ("service_support", {"team_manager": 1, "qualified_no_cases": 20}),
        "Court and Permanence": ("service_support", {"team_manager": 1, "qualified_no_cases": 20}),
    }


@dataclass(frozen=True)
class DemoParameters:
    """The generator's assumptions. Counts are for ``scale=1``; `generate_authority(scale=...)`
    multiplies teams, posts and families. `parameter_table()` lists every value with its basis."""

    profile: str = _param("default", "the profile these values belong to (`default` or `sandwell`)")
    bases: dict = _param({}, "the profile's own basis and range for each value it sets (parameter -> (basis, "
                             "range or None)), shown by parameter_table in place of the default's")
    # --- calendar
    as_of: str = _param("2024-09-30", "[DEFAULT] 'today' is the last census day (brief s1: the census year ends 30 September)")
    history_years: int = _param(6, "[DEFAULT] six annual 30 September HR snapshots")

    # --- organisation (brief intro: a Sandwell-type authority)
    localities: int = _param(6, "[DEFAULT] six localities (Sandwell has six towns)")
    cin_cp_teams: int = _param(9, "[DEFAULT] locality CIN/CP (safeguarding) teams, one or two per locality")
    children_in_care_teams: int = _param(3, "[DEFAULT] children in care teams, each covering two localities")
    disabled_children_teams: int = _param(1, "[DEFAULT] one service-wide disabled children's team")
    service_units: dict = _param(
        _service_units(),
        "brief s1 [DERIVED, S1]: case holders are about 52% of FTE (21,111 of 40,293 in 2023); the rest are "
        "managers (21.7% in 2021 [S16]) and qualified staff without cases (IROs, CP chairs, MASH screening, "
        "emergency duty, edge of care, court and permanence assessments, quality assurance). Fostering and "
        "adoption workers (whose cases are carers) are outside the demo. Counts [DEFAULT]")

    # --- children (brief s3)
    families: int = _param(2200, "project brief: about 3,500 open children's cases in about 2,200 families", 1800, 2600)
    sibling_group_p: dict = _param(
        {1: 0.59, 2: 0.25, 3: 0.095, 4: 0.045, 5: 0.02},
        "[DEFAULT] sibling groups of 1-5, about 1.6 children per family (3,500 / 2,200)")
    case_mix: dict = _param(
        {"cin_assessment": 0.17, "cin": 0.52, "cp": 0.13, "cla": 0.13, "cla_complex": 0.05},
        "brief s3 [DERIVED from S67]: about 13% of the CIN stock on CP plans and 18% looked after (13 stable, "
        "5 complex: [DEFAULT]); children under assessment 17% [DEFAULT]. Care leavers are held by personal "
        "advisers, who are not social workers (brief s3 [S32]): outside the social-work caseload, left out")
    court_share: dict = _param(
        {"cp": 0.20, "cla": 0.10, "cla_complex": 0.40},
        "[DEFAULT] share of families of each type in PLO pre-proceedings or care proceedings (brief s3 [S65])")
    sibling_type_change: float = _param(0.15, "[DEFAULT] chance a further sibling's case type differs from the family's")
    placed_elsewhere: float = _param(0.25, "[DEFAULT] chance a looked-after child lives outside the family's home locality", 0.1, 0.4)
    disabled_children_share: float = _param(0.06, "[DEFAULT] share of families held by the disabled children's team", 0.04, 0.08)
    cp_with_assessment: float = _param(0.15, "[DEFAULT] share of CP families still with the assessment team (plan just made)")
    locality_demand_sd: float = _param(0.15, "[DEFAULT] log-sd of demand between localities (caseloads vary widely, brief s1 [S19, S9])")

    # --- establishment: funded posts sized from demand through the capacity model
    funding_level: float = _param(
        0.88, "[DEFAULT] funded case-holding capacity at the safe standard (workforce.caseload.safe_holding) over "
        "the team's demand; below 1 because an authority at England's median caseload (16.0 in 2023 [S1]) "
        "is over the default safe standard", 0.8, 1.05)
    funding_sd: float = _param(0.04, "[DEFAULT] log-sd of funding between teams")
    short_teams: int = _param(2, "[DEFAULT] teams whose establishment has fallen well behind demand (one or two genuinely short, as in a real authority; at most 15% of the assessment, locality and children in care teams)", 0, 3)
    short_funding: float = _param(0.7, "[DEFAULT] funding level of a short team", 0.6, 0.8)
    senior_practitioner_share: float = _param(0.15, "[DEFAULT] senior practitioners among case-holding posts (OrgRole 4, brief s2)")
    advanced_practitioner_p: float = _param(0.5, "[DEFAULT] chance a locality or children in care team has an advanced practitioner")
    practice_supervisor_posts: tuple = _param((5, 14), "[DEFAULT] one practice supervisor from 5 case-holding posts, two from 14")
    assistant_manager_from: int = _param(8, "[DEFAULT] an assistant team manager (first-line manager, no cases) from 8 case-holding posts")
    fte_p: dict = _param({1.0: 0.80, 0.8: 0.09, 0.6: 0.07, 0.5: 0.04}, "[DEFAULT] part-time pattern of LA-employed staff (agency staff full time)")

    # --- the workforce levels the census measures (profile: default = England's 2023 middle)
    vacancy_rate: float = _param(0.17, "brief s1 [S1]: England 18.9% in 2023; the 2023 interquartile range across authorities is 11.6-27.2% (csww_indicators)", 0.116, 0.272)
    agency_rate: float = _param(0.165, "brief s1 [S1]: England 17.9% in 2023; interquartile range 10.2-26.3% (csww_indicators)", 0.102, 0.263)
    agency_cover_share: float = _param(0.8, "brief s1 [S1]: 80.1% of agency FTE covered vacancies in 2023; the rest is over establishment", 0.55, 0.95)
    turnover_range: tuple = _param((0.14, 0.18), "brief s1 [S1]: England 15.9% in 2023; interquartile range 12.5-20.1% (csww_indicators); the year to today at its middle (unless turnover_today), earlier years drawn in it", 0.125, 0.201)
    turnover_today: float | None = _param(None, "[DEFAULT] turnover of the year to today where a profile has a published figure for it; None: the middle of turnover_range")
    absence_rate: float = _param(0.032, "brief s1 [S1]: England sickness absence 3.2% in 2023; interquartile range 2.5-4.0% (csww_indicators)", 0.025, 0.04)
    level_noise: float = _param(0.06, "[DEFAULT] relative wobble of the vacancy, agency and absence levels in the years before today (today is at the profile's level)")
    inpost_history: dict = _param(
        {}, "[DEFAULT] none: LA-employed FTE in post in the years before today follows the vacancy level, which "
            "wobbles around today's; a profile gives {census year: published FTE in post} to follow instead")
    asye_share: float = _param(0.10, "[DEFAULT] case-holder posts held by ASYEs at each census (brief s1 [S22]: Sandwell nearly 60% agency or ASYE in 2018)", 0.06, 0.2)
    asye_share_counts_agency: bool = _param(
        False, "[DEFAULT] False: each year's newly qualified starters make asye_share of the case-holder posts filled "
               "before that year's agency starters arrive, so ASYEs hold less than asye_share of the census day's "
               "case-holder posts (the default profile: 8.6% at seed 0 against 10%; kept so its outputs stay as they "
               "are); True: of the census day's case-holder posts, agency staff included")
    vacancy_role_weight: dict = _param(
        {"case_holder": 1.25, "senior_practitioner": 1.0, "advanced_practitioner": 0.8, "practice_supervisor": 0.4,
         "team_manager": 0.7, "service_manager": 0.5, "senior_manager": 0.3, "qualified_no_cases": 0.7},
        "[DEFAULT] vacancies concentrate in case-holding posts (brief s1, s5)")
    agency_roles: tuple = _param(
        ("case_holder", "senior_practitioner", "advanced_practitioner", "team_manager", "service_manager", "qualified_no_cases"),
        "[DEFAULT] posts agency staff cover (practice supervisor is a permanent development role; senior managers are interim rarely)")

    # --- people (brief s1)
    age_band_p: dict = _param({"20-29": 0.153, "30-39": 0.301, "40-49": 0.263, "50-59": 0.206, "60+": 0.077}, "brief s1 [S12]: age of in-post FTE, 2024")
    starter_age_band_p: dict = _param({"20-29": 0.282, "30-39": 0.34, "40-49": 0.21, "50-59": 0.14, "60+": 0.028}, "brief s1 [S12]: 28.2% of starters aged 20-29; other bands [DEFAULT]")
    female_share: float = _param(0.86, "brief s1 [S15]: 86% female (2019)")
    ethnicity_p: dict = _param(
        {"WBRI": 0.55, "WIRI": 0.01, "WOTH": 0.04, "MWBC": 0.04, "MWAS": 0.01, "MOTH": 0.02, "AIND": 0.07,
         "APKN": 0.06, "ABAN": 0.02, "AOTH": 0.02, "BCRB": 0.06, "BAFR": 0.06, "BOTH": 0.01, "OOTH": 0.01, "NOBT": 0.02},
        "[DEFAULT] a diverse West Midlands workforce; codes are CSWW Ethnicity (brief s2)")
    disability_p: dict = _param({"no": 0.86, "yes": 0.06, "not_known": 0.08}, "[DEFAULT]")
    permanent_tenure_mean_years: float = _param(6.0, "brief s1 [S15]: 61% in post under 5 years (2019); exponential tenure at the first snapshot")
    agency_tenure_mean_years: float = _param(1.0, "[DEFAULT] agency assignments are short")
    skill_p: dict = _param(
        {"case_holder": {"cp": 0.65, "court": 0.30, "cla": 0.50, "care_leavers": 0.25, "disability": 0.15, "adolescents": 0.30, "exploitation": 0.15, "domestic_abuse": 0.35},
         "senior_practitioner": {"cp": 0.95, "court": 0.75, "cla": 0.60, "care_leavers": 0.30, "disability": 0.20, "adolescents": 0.40, "exploitation": 0.30, "domestic_abuse": 0.50},
         "advanced_practitioner": {"cp": 0.95, "court": 0.85, "cla": 0.60, "care_leavers": 0.30, "disability": 0.30, "adolescents": 0.50, "exploitation": 0.45, "domestic_abuse": 0.55},
         "practice_supervisor": {"cp": 0.95, "court": 0.70, "cla": 0.55, "care_leavers": 0.30, "disability": 0.20, "adolescents": 0.35, "exploitation": 0.30, "domestic_abuse": 0.50},
         "team_manager": {"cp": 1.0, "court": 0.9}},
        "[DEFAULT] skill tags by role; ASYEs get no cp/court and half the other rates (brief s3 [S29]); a team's "
        "own field is always held (disability in the disabled children's team, cla in children in care)")

    # --- features the retention model can see (brief s1, s3)
    sickness_zero_share: float = _param(0.35, "[DEFAULT] share of staff with no sickness in 12 months")
    supervision_standard_hours_3m: float = _param(4.5, "brief s3 [S36]: at least 1.5 hours of supervision a month")
    supervision_team_sd: float = _param(1.2, "[DEFAULT] teams differ in supervision (74% of ASYEs had 3 hours a month or less, brief s3 [S34])")
    asye_extra_supervision: float = _param(2.0, "brief s3 [S33]: ASYE supervision weekly, then fortnightly, then monthly")

    # --- the leaving process of LA-employed staff (brief s4): log-odds of leaving within 12 months
    tenure_logit: dict = _param(
        {0.0: 0.45, 1.0: 0.50, 2.0: 0.15, 5.0: -0.25, 10.0: -0.45},
        "brief s1 [S15, S19, S14]: 35% of leavers under 2 years' service, 33% 2-5 years, 63-70% under 5 years; keys are tenure lower bounds in years")
    satisfaction_logit: float = _param(
        -0.55, "brief s4 [S44] Kim & Kao 2014: job satisfaction and organisational commitment were the strongest predictors "
        "([S45] intrinsic job satisfaction and perceived LA support were associated with attrition); per SD of a latent "
        "satisfaction-and-commitment score the data does not hold [DEFAULT magnitude]", -0.8, -0.35)
    team_culture_share: float = _param(0.3, "[DEFAULT] share of the satisfaction score's variance shared by a team (culture, management)", 0.1, 0.5)
    burnout_logit: float = _param(
        0.35, "brief s4 [S44]: stress and burnout had medium-to-high effects ([S41] 51-60% stressed); per SD of a latent "
        "burnout score, seen only through sickness [DEFAULT magnitude]", 0.2, 0.5)
    supervision_logit: float = _param(
        -0.08, "brief s4 [S44] Mor Barak 2001: poor social support predicts leaving; per hour of supervision in 3 months "
        "against the 4.5-hour standard [S36] [DEFAULT magnitude]", -0.15, -0.03)
    caseload_logit: float = _param(
        0.2, "brief s4 [S44] Kim & Kao 2014: caseload did NOT significantly predict intention to leave; leavers name "
        "workload ([S42] 39%), so a small effect [DEFAULT]: per unit of children held over the worker's safe standard "
        "(soft cap, workforce.caseload) above it", 0.0, 0.4)
    health_logit: float = _param(0.15, "brief s4 [S42]: poor health in 32% of leavers' reasons; per log(1 + sickness days) [DEFAULT magnitude]", 0.0, 0.3)
    under30_logit: float = _param(0.15, "brief s1, s4 [S13, S14, S19]: under-30s a growing share of leavers; demographics small [S44]", 0.0, 0.3)
    asye_end_logit: float = _param(0.6, "brief s3 [S34]: 69% stayed with their ASYE employer; the end of the ASYE year falls in the next 12 months", 0.3, 0.9)
    reallocation_logit: float = _param(0.02, "[DEFAULT] per case received by reallocation in the last 12 months (team instability)", 0.0, 0.04)
    manager_logit: float = _param(-0.2, "[DEFAULT] managers and practice supervisors leave a little less", -0.4, 0.0)
    retirement_p_60: float = _param(0.16, "brief s1 [S13]: attrition highest at 60+ (nearly a quarter of that group left); a separate retirement hazard at 60 and over", 0.10, 0.22)
    retirement_p_55: float = _param(0.03, "[DEFAULT] early retirement at 55-59 (pension scheme minimum age)", 0.01, 0.05)
    other_leave_p: float = _param(0.02, "[DEFAULT] yearly chance of leaving for another reason (dismissal, redundancy, death, other, not known)", 0.01, 0.035)
    voluntary_reason_p: dict = _param({1: 0.93, 7: 0.07}, "brief s2: CSWW ReasonLeave 1 resignation, 7 moved to another social work role in the LA; split [DEFAULT]")
    other_reason_p: dict = _param(
        {2: 0.05, 3: 0.03, 4: 0.22, 6: 0.03, 8: 0.35, 9: 0.32},
        "brief s2: CSWW ReasonLeave 2/3 redundancy, 4 dismissed, 6 deceased, 8 other, 9 not known; split [DEFAULT]")
    resign_destination_p: dict = _param(
        {1: 0.27, 3: 0.17, 6: 0.40, 4: 0.05, 5: 0.04, 8: 0.07},
        "brief s1 [S13]: of 15.4% turnover, 4.2% to another LA, 2.6% to agency, 8.6% out of LA children's social work")
    # --- agency assignments: a separate process (not census leavers)
    agency_end_p: float = _param(0.45, "[DEFAULT] yearly chance an agency assignment ends (recorded as ReasonLeave 8 'other'; agency staff are not census leavers)", 0.3, 0.6)
    agency_destination_p: dict = _param({3: 0.7, 8: 0.3}, "[DEFAULT] agency staff mostly move to another agency assignment (LeaverDestination 3) or are not known (8)")
    hire_lag_days: tuple = _param((14, 120), "brief s5 [DEFAULT]: time to hire 12 weeks plus notice; starts spread over the year")
    nq_cohort_days: tuple = _param((0, 120), "[DEFAULT] newly qualified social workers start in the autumn after graduating")

    # --- today (the last census day)
    load_tolerance: float = _param(0.95, "[DEFAULT] the typical share of a worker's caps a manager allocating by hand fills before looking elsewhere", 0.85, 1.05)
    load_tolerance_sd: float = _param(0.10, "[DEFAULT] log-sd of how far above the caps a manager allocating by hand lets each worker go (survey means 18-19 cases, 16% over 35, brief s1 [S41, S11])", 0.05, 0.2)
    asye_protected_share: float = _param(0.51, "brief s3 [S34]: 82% promised a protected caseload but 49% did not get one")
    asye_unprotected_children: tuple = _param((11, 15), "brief s3 [S34, S34b]: unprotected ASYEs hold more than the 12-child cap (up to 38 reported)")
    long_sick_share: float = _param(0.02, "brief s1 [S1, S9]: sickness absence 2.9-3.5%; [DEFAULT] 2% on long-term sick leave today, still holding their children")
    maternity_share: float = _param(0.02, "[DEFAULT] 2% on maternity or other planned long leave today, children already reallocated")
    new_starter_days: int = _param(14, "[DEFAULT] starters of the last two weeks hold no children yet")
    awaiting_allocation: float = _param(0.12, "[DEFAULT] share of assessment families (new referrals) not yet allocated")
    awaiting_no_team: float = _param(0.5, "[DEFAULT] share of those with no team yet (any team in the locality)")
    recent_leaver_days: int = _param(28, "[DEFAULT] a case holder who left in the last four weeks ...")
    recent_leaver_unallocated: float = _param(0.4, "[DEFAULT] ... leaves this share of their families unallocated, held by the team manager")
    open_months_mean: dict = _param(
        {"cin_assessment": 1.2, "cin": 9.0, "cp": 11.0, "cla": 40.0, "cla_complex": 30.0, "care_leaver": 36.0},
        "[DEFAULT] how long cases have been open; assessments within 45 working days (brief s7 [S64])")
    worker_spell_mean_months: float = _param(15.0, "[DEFAULT] mean time with one worker; with staff turnover gives about a third of children with 2+ workers in 12 months (brief s3 [S40])")
    extra_change_rate: float = _param(0.5, "[DEFAULT] further worker changes per year before the current worker (brief s3 [S40]: about 1 in 4 looked-after children had more than one change)")
    pinned_share: float = _param(0.03, "[DEFAULT] share of allocated families a manager has pinned (court families three times as often)")
    required_skill_share: float = _param(0.04, "[DEFAULT] share of families with a child needing a specific skill")
    excluded_share: float = _param(0.012, "[DEFAULT] share of families with a worker who must not hold them")


#: The published authority, census year and turnover years the `sandwell` profile is built to
#: match (the DfE workforce indicators, `csww_indicators_2017_to_2023.csv`): Sandwell at 30
#: September 2018, the year the trust began (brief s1 [S22, S24]), and its turnover over 2017-2019.
SANDWELL = {"old_la_code": "333", "year": 2018, "turnover_years": (2017, 2019)}

#: The `sandwell` profile's census levels: parameter -> the published measure it is set to (a
#: percentage in the file, a share here).
SANDWELL_MEASURES = {"vacancy_rate": "vacancy_rate_fte", "agency_rate": "agency_rate_fte",
                     "agency_cover_share": "agency_cover_rate_fte", "absence_rate": "absence_rate_fte"}


def sandwell_targets() -> dict[str, tuple[Any, str, tuple[float, float] | None]]:
    """Sandwell's published census figures the `sandwell` profile is set to, read from the bundled
    DfE workforce indicators, each with its basis and Sandwell's own range over
    `SANDWELL["turnover_years"]`: parameter -> (value, basis, range).

    The levels, and turnover in the year to today, are the census year's (`SANDWELL["year"]`); the
    years before today draw their turnover in the range over those years (Sandwell's swung from
    22.0% to 14.3% and back to 22.4%). The case mix is Sandwell's children at 31 March of that year
    (:func:`sandwell_case_mix`); the size is Sandwell's census-day cases and FTE in post
    (:func:`sandwell_families`, :func:`sandwell_service_units`). Read from the files, so the profile can never drift from the
    figures it claims (no hand-typed copy of them).

    Raises
    ------
    ValueError
        A figure missing from the published file (a status code or no row).
    """
    from workforce.published import read_published

    code, year = SANDWELL["old_la_code"], SANDWELL["year"]
    history = read_published().history(code)
    source = f"csww_indicators_2017_to_2023.csv, Sandwell (old_la_code {code})"

    def published(measure: str, y: int) -> float:
        value = history[measure].get(y) if measure in history.columns else None
        if value is None or value != value:
            raise ValueError(f"{source}: no {measure} for {y}, which the sandwell profile is built on")
        return float(value)

    first, last = SANDWELL["turnover_years"]
    years = range(first, last + 1)

    def share(v: float) -> float:
        return round(v / 100.0, 4)

    out: dict[str, tuple[Any, str, tuple[float, float] | None]] = {}
    for name, measure in SANDWELL_MEASURES.items():
        value, span = published(measure, year), [published(measure, y) for y in years]
        out[name] = (share(value), f"{source}, 30 September {year}: {measure} {value:.1f}% (range: {first}-{last})",
                     (share(min(span)), share(max(span))))
    out["case_mix"] = sandwell_case_mix(year)
    out["families"] = sandwell_families({y: published("cases", y) for y in years}, year, source)
    out["service_units"] = sandwell_service_units(
        {m: published(m, year) for m in ("inpost_fte", "agency_fte", "case_holders_fte")}, year, source)
    history_start = year - DemoParameters().history_years + 1
    inpost = history["inpost_fte"] if "inpost_fte" in history.columns else pd.Series(dtype=float)
    snapshot_years = [y for y in range(history_start, year + 1) if y == year or pd.notna(inpost.get(y))]
    out["inpost_history"] = sandwell_inpost_history(
        {y: {m: published(m, y) for m in ("inpost_fte", "vacancy_fte", "starters_fte", "leavers_fte")}
         for y in snapshot_years}, year, source)
    turnover = {y: published("turnover_rate_fte", y) for y in years}
    lo, hi = share(min(turnover.values())), share(max(turnover.values()))
    out["turnover_range"] = ((lo, hi), f"{source}: turnover_rate_fte "
                             + ", ".join(f"{v:.1f}% ({y})" for y, v in turnover.items())
                             + "; the years before today drawn in it", (lo, hi))
    out["turnover_today"] = (share(turnover[year]), f"{source}, the year to 30 September {year}: turnover_rate_fte "
                             f"{turnover[year]:.1f}% (range: {first}-{last})", (lo, hi))
    return out


#: The share of a service's open children its workers hold on the census day, (value, basis,
#: range): the census counts only the cases case holders hold, while a service also has children
#: waiting for allocation.
SANDWELL_HELD_SHARE = (0.96, "[DEFAULT] share of the service's open children a worker holds on the census day; the "
                             "rest wait (new referrals, a leaver's families, teams with no room) and the census does "
                             "not count them (at seed 0 the demo holds 95.6% on this profile and 97.2% on the "
                             "default)", (0.93, 0.98))

#: The `sandwell` profile's service-wide units as a share of the default's counts, (value, basis,
#: range): with Sandwell's case holders, the default's units would make a service larger than Sandwell's.
SANDWELL_SERVICE_UNIT_SHARE = (0.76, "[DEFAULT] chosen so the FTE in post is near Sandwell's published inpost_fte "
                                     "with its case holders (checked by the tests)", (0.65, 0.9))


def sandwell_families(cases: dict[int, float], year: int, source: str) -> tuple[int, str, tuple[int, int]]:
    """The `sandwell` profile's families, from Sandwell's published cases by census year: the
    children its case holders held at 30 September of `year`, over the share of open children
    held that day (:data:`SANDWELL_HELD_SHARE`) and the children in a family
    (:func:`mean_family_size`), so the generated service is Sandwell's size by the census's own
    count, not the default authority's; (families, basis, range over the years of `cases`)."""
    size = mean_family_size(DemoParameters().sibling_group_p)
    held, held_basis, _ = SANDWELL_HELD_SHARE

    def families(n: float) -> int:
        return int(round(n / held / size))

    first, last = min(cases), max(cases)
    basis = (f"[DERIVED] {source}, 30 September {year}: cases {cases[year]:.0f} (children held by case holders; "
             f"{min(cases.values()):.0f}-{max(cases.values()):.0f} over {first}-{last}), over {held:.2f} of the "
             f"service's children held that day ({held_basis}), over {size:.3f} children a family (sibling_group_p)")
    return families(cases[year]), basis, (families(min(cases.values())), families(max(cases.values())))


def sandwell_inpost_history(census: dict[int, dict[str, float]], year: int, source: str) -> tuple[dict, str, None]:
    """The `sandwell` profile's LA-employed FTE in post at each snapshot year Sandwell published
    it (`census`: year -> its `inpost_fte`, `vacancy_fte`, `starters_fte` and `leavers_fte`), for
    the history to follow (`DemoParameters.inpost_history`); (history, basis, None).

    Sandwell grew into its census year (190.0 FTE in post in 2017, 213.6 in 2018): its starters
    of the year were its growth as well as its leavers' replacements, and an ASYE on the census
    day is one of those starters, so a history held at today's level has too few of both.
    """
    first = min(census)
    figures = ", ".join(f"{c['inpost_fte']:.1f} ({y})" for y, c in sorted(census.items()))
    size = {y: c["inpost_fte"] + c["vacancy_fte"] for y, c in sorted(census.items())}
    now = census[year]
    basis = (f"{source}: inpost_fte {figures}; LA-employed FTE in post at each snapshot follows these as a share "
             f"of {year}'s (snapshots before {first}, unpublished, keep {first}'s share [DEFAULT]), so the year to "
             f"today's starters are Sandwell's growth and its leavers' replacements (published starters_fte "
             f"{now['starters_fte']:.1f}, leavers_fte {now['leavers_fte']:.1f} in {year}). The demo's establishment "
             "is fixed, so the earlier years reach it through their vacancy level, above Sandwell's published one: "
             "Sandwell's own establishment (inpost_fte + vacancy_fte) went "
             + " to ".join(f"{v:.1f} ({y})" for y, v in size.items()))
    return {y: c["inpost_fte"] for y, c in sorted(census.items())}, basis, None


def sandwell_service_units(fte: dict[str, float], year: int, source: str) -> tuple[dict, str, None]:
    """The `sandwell` profile's service-wide units of qualified staff without cases and managers:
    the default's units at :data:`SANDWELL_SERVICE_UNIT_SHARE` of their counts, so that with
    Sandwell's case holders the FTE in post is Sandwell's published figure (`fte`: its
    `inpost_fte`, `agency_fte` and `case_holders_fte` at 30 September of `year`); (units, basis,
    None: the range is the share's, in the basis)."""
    share, basis, (low, high) = SANDWELL_SERVICE_UNIT_SHARE
    units = {name: (kind, {role: int(round(n * share)) for role, n in roles.items()})
             for name, (kind, roles) in DemoParameters().service_units.items()}
    total = fte["inpost_fte"] + fte["agency_fte"]
    text = (f"the default's service-wide units at {share:.0%} of their counts (range {low:.0%}-{high:.0%}) "
            f"{basis}: {source}, 30 September {year}: inpost_fte {fte['inpost_fte']:.1f}, agency_fte "
            f"{fte['agency_fte']:.0f}, case_holders_fte {fte['case_holders_fte']:.1f} ({fte['case_holders_fte'] / total:.1%} "
            "of its FTE)")
    return units, text, None


def sandwell_case_mix(year: int) -> tuple[dict, str, None]:
    """Sandwell's children at 31 March of `year` by stage, as the demo's demand model reads its
    history to that year (:func:`workforce.plan_demand.demo_calibration`), as the profile's
    `case_mix`: (mix, basis, None).

    So the demo's children are Sandwell's mix (children on CP plans 22.5% of children in need in
    2018, not England's 13%) and its demand history scales every stage alike. Looked-after
    children at 31 March are not in the bundled tables before 2021: the calibration imputes them
    from what was published by then (England's share of children in need), and the basis says so.
    Looked-after children are split stable and complex as the default's 13:5 ([DEFAULT]).
    """
    from workforce.plan_demand import demo_calibration
    from workforce.published import read_published

    cal = demo_calibration(read_published(), SANDWELL["old_la_code"], as_of=pd.Timestamp(census_day(year)))
    stocks = cal.stocks.loc[year, ["assessment", "cin", "cp", "cla"]].astype(float)
    share = (stocks / stocks.sum()).round(4)
    default = DemoParameters().case_mix
    complex_share = default["cla_complex"] / (default["cla"] + default["cla_complex"])
    mix = {"cin_assessment": float(share["assessment"]), "cin": float(share["cin"]), "cp": float(share["cp"]),
           "cla": round(float(share["cla"]) * (1 - complex_share), 4),
           "cla_complex": round(float(share["cla"]) * complex_share, 4)}
    imputed = [n for n in cal.notes if "looked-after" in n]
    basis = (f"b1/d5 children in need and CP plans, Sandwell (old_la_code {SANDWELL['old_la_code']}), 31 March {year}: "
             + ", ".join(f"{k} {v:.0f}" for k, v in stocks.round(0).items())
             + " children, as the demand model reads them (children under assessment from referrals x assessment "
             "time)" + (f"; {imputed[0]}" if imputed else "") + "; looked-after split stable:complex 13:5 [DEFAULT]")
    return mix, basis, None


#: The `sandwell` profile's judgements: parameter -> (value, basis, range). Chosen so the
#: generated authority reaches Sandwell's published caseload (checked by the tests).
SANDWELL_JUDGEMENTS = {
    "asye_share": (0.16, "[DEFAULT] Sandwell: nearly 60% of the social work workforce agency staff or ASYEs "
                         "(brief s1 [S22], Jan 2018), so more ASYEs than the default's 10%, of the case-holder posts "
                         "with agency staff counted (asye_share_counts_agency); reached only as far as the year's "
                         "starters into case-holder posts allow, as an ASYE on the census day is a newly qualified "
                         "starter of the year before it: Sandwell's starters were its growth as well as its leavers' "
                         "replacements (inpost_history)", (0.1, 0.3)),
    "asye_share_counts_agency": (True, "[DEFAULT] Sandwell: the brief's share (nearly 60% agency or ASYE, brief s1 "
                                       "[S22]) is of the whole workforce in case-holder posts, agency staff included",
                                 None),
    "funding_level": (0.6, "[DEFAULT] Sandwell's posts funded far below its demand: chosen so the caseload is at "
                           "Sandwell's published caseload_fte (2018) with its vacancy and agency levels", (0.5, 0.7)),
    "short_funding": (0.55, "[DEFAULT] a short team, funded below the whole service's funding_level", (0.45, 0.6)),
}


def _sandwell() -> DemoParameters:
    targets = sandwell_targets()
    chosen = {**targets, **SANDWELL_JUDGEMENTS}
    settings = {name: value for name, (value, _, _) in chosen.items()}
    bases = {name: (basis, span) for name, (_, basis, span) in chosen.items()}
    bases["as_of"] = (f"Sandwell's census day: 30 September {SANDWELL['year']} "
                      f"(csww_indicators_2017_to_2023.csv, old_la_code {SANDWELL['old_la_code']})", None)
    return replace(DemoParameters(), profile="sandwell", as_of=census_day(SANDWELL["year"]).isoformat(), bases=bases, **settings)


PROFILES = ("default", "sandwell")


def profile_parameters(profile: str = "default") -> DemoParameters:
    """The parameters of a named profile.

    Parameters
    ----------
    profile : str
        ``default``: an authority at England's 2023 middle on every census measure (Sandwell-sized);
        ``sandwell``: a Sandwell-like authority at Sandwell's published 2018 figures (agency 31%,
        vacancy 26%, caseload 18, turnover 14-22% over 2017-19, absence 5%) and size (3,157 cases
        held, 175 case-holding FTE, 214 FTE in post), today 30 September 2018.

    Raises
    ------
    ValueError
        An unknown profile, naming the known ones.
    """
    if profile == "default":
        return DemoParameters()
    if profile == "sandwell":
        return _sandwell()
    raise ValueError(f"unknown demo profile '{profile}' (known: {', '.join(PROFILES)})")


def parameter_table(params: DemoParameters | None = None) -> pd.DataFrame:
    """Each parameter with its value, basis and range (blank where the value is a count or a
    structural choice rather than an uncertain magnitude).

    Returns
    -------
    DataFrame with columns `parameter`, `value`, `basis`, `range`.
    """
    params = params or DemoParameters()
    rows = []
    for f in fields(params):
        if f.name == "bases":
            continue
        basis, rng = params.bases.get(f.name) or (f.metadata.get("basis", ""), f.metadata.get("range"))
        rows.append({"parameter": f.name, "value": repr(getattr(params, f.name)), "basis": basis,
                     "range": "" if rng is None else f"{rng[0]} to {rng[1]}"})
    return pd.DataFrame(rows)


def parameter_range(name: str) -> tuple[Any, Any] | None:
    """The stated range of a parameter (None when it has none)."""
    for f in fields(DemoParameters):
        if f.name == name:
            return f.metadata.get("range")
    raise KeyError(name)
