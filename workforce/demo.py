"""The synthetic demo authority: workers, children's cases and six years of HR snapshots.

A Sandwell-scale children's social care service (about 220 case-holding social workers in
6 localities and 18 teams, about 3,500 children in 2,200 families), generated deterministically
from a seed so that every part of `workforce` can be tried, tested and benchmarked without
personal data. Nothing here describes a real authority.

How it is made (each number is a field of :class:`DemoParameters` citing the brief or named as an
assumption):

1. *Organisation.* Localities hold teams; each team has an establishment of posts (one team
   manager, practice supervisors, senior/advanced practitioners, case holders) and a demand
   pressure that makes some teams busier than others.
2. *Children.* Families (sibling groups of 1-5) with the brief's case mix are placed in a team in
   proportion to the team's capacity times its pressure; some children of looked-after families
   live in another locality.
3. *History.* The workforce is simulated over annual 30 September snapshots. At each snapshot
   every worker in post gets a true probability of leaving in the next 12 months from a logistic
   hazard of plausible drivers (tenure, caseload pressure, agency, supervision, sickness, the end
   of the ASYE year, retirement age). The year's labour-market level (the intercept) is set so the
   expected FTE turnover equals that year's target. Leavers are drawn with exactly those
   probabilities by systematic sampling (Madow), which keeps each worker's marginal probability
   exact while holding the yearly count within one of its expectation. Leavers' posts are
   refilled after a hiring lag by agency, newly qualified (ASYE) or experienced starters, steered
   to the agency and ASYE shares.
4. *Today.* At the last snapshot (``as_of``) the families are allocated to the workers in post,
   respecting the hard rules (siblings together, no CP or court work for ASYEs, required skills,
   excluded workers) but not capacity, so some teams run over. Each child gets a current-worker
   start date and a count of workers in the last 12 months that agree with the workers' start
   dates (a child open longer than its worker has been in post was reallocated).

The generator keeps each worker's true leaving probability (`truth`), so later work can measure
how close a model gets to the best possible prediction. Protected characteristics other than age
have no effect on leaving in the generator.

Run ``python -m workforce.demo --out examples --seed 7 --scale 0.12`` to regenerate `examples/`.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from workforce.caseload import (
    CASE_TYPES,
    CaseloadRules,
    family_child_points,
    worker_capacity,
    worker_max_children,
    worker_soft_max_children,
)

AGE_BANDS = ("20-29", "30-39", "40-49", "50-59", "60+")
SKILL_TAGS = (
    "adolescents",
    "care_leavers",
    "cla",
    "court",
    "cp",
    "disability",
    "domestic_abuse",
    "exploitation",
)
CASE_HOLDING_ROLES = ("case_holder", "senior_practitioner", "advanced_practitioner", "practice_supervisor")
LOCALITY_NAMES = ("North", "South", "East", "West", "Central", "Riverside")
TRUTH_COLUMNS = ("snapshot_date", "worker_id", "p_leave_true")


def _param(default: Any, basis: str) -> Any:
    """A parameter with its basis (brief section and source tag, or 'assumption: ...')."""
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata={"basis": basis})
    return field(default=default, metadata={"basis": basis})


@dataclass(frozen=True)
class DemoParameters:
    """Everything the generator assumes. `parameter_table()` lists each value with its basis.

    Counts are for ``scale=1``; `generate_authority(scale=...)` multiplies workers, teams and
    families.
    """

    # --- size (brief intro: a Sandwell-type LA; Sandwell's own CSWW figures are NOT FOUND, brief s1)
    case_holders: int = _param(220, "project brief: Sandwell-scale, ~220 case-holding social workers (Sandwell's own CSWW figures NOT FOUND, brief s1)")
    vacancy_allowance: float = _param(0.05, "assumption: establishment exceeds posts filled by ~5% uncovered vacancies (agency covers 70-80% of vacancies, brief s1 [S8,S1])")
    localities: int = _param(6, "assumption: six localities (Sandwell has six towns)")
    teams: int = _param(18, "assumption: three teams per locality")
    families: int = _param(2200, "project brief: ~3,500 children in ~2,200 families")
    sibling_group_p: dict = _param(
        {1: 0.59, 2: 0.25, 3: 0.095, 4: 0.045, 5: 0.02},
        "assumption: sibling groups of 1-5 giving ~1.59 children per family (3,500 / 2,200) once most care leavers count alone",
    )
    # --- case mix (brief s3)
    case_mix: dict = _param(
        {"cin_assessment": 0.17, "cin": 0.42, "cp": 0.13, "cla": 0.13, "cla_complex": 0.05, "care_leaver": 0.10},
        "brief s3 [DERIVED from S67]: ~13% CP and ~18% looked after (split 13 stable / 5 complex: assumption); "
        "care leavers 10% and CIN under assessment 17%: assumption",
    )
    court_share: dict = _param(
        {"cp": 0.20, "cla": 0.10, "cla_complex": 0.40},
        "assumption: share of families of each type in PLO pre-proceedings or care proceedings (brief s3 [S65])",
    )
    sibling_type_change: float = _param(0.15, "assumption: chance a further sibling's case type differs from the family's (e.g. CP family, one child CIN)")
    placed_elsewhere: float = _param(0.12, "assumption: chance a looked-after child lives in another locality (siblings placed apart is normal, data contract)")
    team_pressure_sd: float = _param(0.15, "assumption: log-sd of demand between teams (LA caseloads vary widely, brief s1 [S19,S9])")
    unallocated_assessments: float = _param(0.22, "assumption: share of CIN-assessment families (new referrals) not yet allocated")
    unallocated_no_team: float = _param(0.5, "assumption: share of unallocated referrals with no team yet (any team in the locality)")
    # --- workforce mix (brief s1, s3)
    agency_share: float = _param(0.20, "brief s1: agency rate 15.5-17.9% nationally [S1,S16,S18]; Sandwell about a third agency or interim in 2018 [S23]; target 15-25%")
    asye_share: float = _param(0.11, "brief s1 [S22]: Sandwell nearly 60% agency or ASYE (2018); assumption: hiring aims at 11% of case-holding posts in the ASYE year, which lands near 10% because late-year vacancies fill after the census")
    senior_practitioners_per_team: int = _param(2, "assumption: two senior practitioners per team (OrgRole 4, brief s2)")
    advanced_practitioner_p: float = _param(0.5, "assumption: half of teams have an advanced practitioner")
    practice_supervisors_per_team: int = _param(1, "assumption: one practice supervisor per team (two from 14 posts)")
    fte_p: dict = _param({1.0: 0.80, 0.8: 0.09, 0.6: 0.07, 0.5: 0.04}, "assumption: part-time pattern of permanent staff (agency staff full time)")
    age_band_p: dict = _param({"20-29": 0.153, "30-39": 0.301, "40-49": 0.263, "50-59": 0.206, "60+": 0.077}, "brief s1 [S12]: age of in-post FTE, 2024")
    starter_age_band_p: dict = _param({"20-29": 0.282, "30-39": 0.34, "40-49": 0.21, "50-59": 0.14, "60+": 0.028}, "brief s1 [S12]: 28.2% of starters aged 20-29; other bands assumption")
    female_share: float = _param(0.86, "brief s1 [S15]: 86% female (2019)")
    ethnicity_p: dict = _param(
        {"WBRI": 0.55, "WIRI": 0.01, "WOTH": 0.04, "MWBC": 0.04, "MWAS": 0.01, "MOTH": 0.02, "AIND": 0.07,
         "APKN": 0.06, "ABAN": 0.02, "AOTH": 0.02, "BCRB": 0.06, "BAFR": 0.06, "BOTH": 0.01, "OOTH": 0.01, "NOBT": 0.02},
        "assumption: a diverse West Midlands workforce; codes are CSWW Ethnicity (brief s2)",
    )
    disability_p: dict = _param({"no": 0.86, "yes": 0.06, "not_known": 0.08}, "assumption")
    permanent_tenure_mean_years: float = _param(6.0, "brief s1 [S15]: 61% in post under 5 years (2019); exponential tenure at the first snapshot")
    agency_tenure_mean_years: float = _param(1.0, "assumption: agency assignments are short")
    skill_p: dict = _param(
        {"case_holder": {"cp": 0.65, "court": 0.30, "cla": 0.50, "care_leavers": 0.25, "disability": 0.15, "adolescents": 0.30, "exploitation": 0.15, "domestic_abuse": 0.35},
         "senior_practitioner": {"cp": 0.95, "court": 0.75, "cla": 0.60, "care_leavers": 0.30, "disability": 0.20, "adolescents": 0.40, "exploitation": 0.30, "domestic_abuse": 0.50},
         "advanced_practitioner": {"cp": 0.95, "court": 0.85, "cla": 0.60, "care_leavers": 0.30, "disability": 0.30, "adolescents": 0.50, "exploitation": 0.45, "domestic_abuse": 0.55},
         "practice_supervisor": {"cp": 0.95, "court": 0.70, "cla": 0.55, "care_leavers": 0.30, "disability": 0.20, "adolescents": 0.35, "exploitation": 0.30, "domestic_abuse": 0.50},
         "team_manager": {"cp": 1.0, "court": 0.9}},
        "assumption: skill tags by role; ASYEs get no cp/court and half the other rates (brief s3 [S29]: ASYEs hold CP and court work only when co-working)",
    )
    # --- workload (brief s1, s3)
    children_per_fte: float = _param(16.5, "brief s1: DfE caseload 16.0 (2023) [S1], 15.4 (2024) [S11], 17.8 (2017) [S19]")
    load_factor_sd: float = _param(0.20, "assumption: log-sd of individual load within a team (survey means ~18-19 cases, 16% over 35, brief s1 [S41,S11])")
    asye_protection: tuple = _param((0.6, 1.0), "brief s3 [S33,S34,S32]: ASYE protected caseload 90% but 49% did not get one; Devon counts ASYE as 0.6")
    unavailable_share: float = _param(0.04, "brief s1: sickness absence 2.9-3.5% [S9,S8,S1] plus maternity; assumption 4% on long leave today")
    # --- retention features (brief s1, s3, s4)
    sickness_mean_days: float = _param(7.5, "brief s1: sickness absence rate 3.2-3.5% [S1,S8] x ~225 working days")
    sickness_zero_share: float = _param(0.35, "assumption: share of workers with no sickness in 12 months")
    supervision_standard_hours_3m: float = _param(4.5, "brief s3 [S36]: at least 1.5 hours of supervision a month")
    supervision_team_sd: float = _param(1.2, "assumption: teams differ in supervision (74% of ASYEs had 3 hours a month or less, brief s3 [S34])")
    asye_extra_supervision: float = _param(2.0, "brief s3 [S33]: ASYE supervision weekly, then fortnightly, then monthly")
    # --- leaving hazard: log-odds effects (brief s4; magnitudes are assumptions)
    turnover_range: tuple = _param((0.165, 0.20), "brief s1: national turnover 13.5-17.1% [S1,S16]; Sandwell-like 22% (brief s6); London 21-23% [S5]; target 15-22%")
    tenure_logit: dict = _param(
        {0.0: 0.45, 1.0: 0.50, 2.0: 0.15, 5.0: -0.25, 10.0: -0.45},
        "brief s1 [S15,S19,S14]: 35% of leavers under 2 years' service, 33% 2-5 years, 63-70% under 5 years; keys are tenure lower bounds in years",
    )
    age_60_logit: float = _param(1.3, "brief s1 [S13]: attrition highest at 60+ (nearly a quarter left)")
    age_20s_logit: float = _param(0.15, "brief s4 [S13,S14,S19]: under-30s a growing share of leavers")
    pressure_logit: float = _param(1.6, "brief s4 [S42]: workload is the top reason for leaving (39%); per unit of caseload points / capacity above 0.85")
    agency_logit: float = _param(0.7, "assumption: agency assignments end more often than permanent staff leave (brief s6 stock-and-flow)")
    asye_logit: float = _param(0.6, "brief s3 [S34]: 69% stayed with their ASYE employer; the end of the ASYE year falls in the next 12 months")
    supervision_logit: float = _param(-0.12, "brief s4 [S44,S45]: poor support predicts leaving; per hour of supervision in 3 months above the 4.5-hour standard")
    sickness_logit: float = _param(0.25, "brief s4 [S42]: poor health 32% of leavers' reasons; per log(1 + sickness days)")
    reallocation_logit: float = _param(0.02, "assumption: per case received by reallocation in the last 12 months (churn breeds churn)")
    manager_logit: float = _param(-0.2, "assumption: team managers and practice supervisors leave a little less")
    # --- leavers and starters (brief s2, s5, s6)
    leave_reason_p: dict = _param(
        {1: 0.80, 2: 0.01, 3: 0.005, 4: 0.03, 6: 0.003, 7: 0.07, 8: 0.05, 9: 0.032},
        "brief s2: CSWW ReasonLeave codes; mix is an assumption (resignation dominant)",
    )
    retire_share_60: float = _param(0.7, "assumption: share of leavers aged 60+ recorded as retired (ReasonLeave 5)")
    agency_leave_reason_p: dict = _param({1: 0.55, 8: 0.35, 9: 0.10}, "assumption: agency leavers are mostly resignations or 'other' (assignment ended)")
    resign_destination_p: dict = _param(
        {1: 0.27, 3: 0.17, 6: 0.40, 4: 0.05, 5: 0.04, 8: 0.07},
        "brief s1 [S13]: of 15.4% turnover, 4.2% to another LA, 2.6% to agency, 8.6% out of LA children's social work",
    )
    hire_lag_months_agency: tuple = _param((0.25, 1.5), "assumption: agency cover arrives within weeks (brief s5 [S60] notice 4 weeks)")
    hire_lag_months_permanent: tuple = _param((2.5, 6.0), "brief s5 [DEFAULT]: time to hire 12 weeks plus 4-8 weeks' notice")
    hire_lag_months_nq: tuple = _param((1.5, 4.0), "brief s5 [DEFAULT]: time to hire 12 weeks; assumption: newly qualified starters have no notice to serve")
    # --- children's continuity and case flags (brief s3)
    open_months_mean: dict = _param(
        {"cin_assessment": 1.2, "cin": 9.0, "cp": 11.0, "cla": 40.0, "cla_complex": 30.0, "care_leaver": 36.0},
        "assumption: how long cases have been open; assessments within 45 working days (brief s7 [S64])",
    )
    worker_spell_mean_months: float = _param(15.0, "assumption: mean time with one worker; with staff turnover gives about a third of children with 2+ workers in 12 months (brief s3 [S40])")
    extra_change_rate: float = _param(0.5, "assumption: further worker changes per year before the current worker (brief s3 [S40]: ~1 in 4 CLA had more than one change)")
    pinned_share: float = _param(0.03, "assumption: share of allocated families a manager has pinned (court families three times as often)")
    required_skill_share: float = _param(0.04, "assumption: share of families with a child needing a specific skill")
    excluded_share: float = _param(0.012, "assumption: share of families with a worker who must not hold them")
    # --- calendar
    as_of: str = _param("2024-09-30", "assumption: 'today' is the last census day (brief s1: census year ends 30 September)")
    history_years: int = _param(6, "project brief: six annual HR snapshots")


def parameter_table(params: DemoParameters | None = None) -> pd.DataFrame:
    """Each parameter with its value and basis (brief source tag or 'assumption')."""
    params = params or DemoParameters()
    rows = [{"parameter": f.name, "value": repr(getattr(params, f.name)), "basis": f.metadata.get("basis", "")} for f in fields(params)]
    return pd.DataFrame(rows)


@dataclass
class DemoAuthority:
    """A generated authority. Frames are typed as `workforce.contracts.load_*` returns them."""

    workers: pd.DataFrame
    cases: pd.DataFrame
    hr_history: pd.DataFrame
    truth: pd.DataFrame
    as_of: pd.Timestamp
    params: DemoParameters


# --------------------------------------------------------------------------------------------
# internal state


@dataclass
class _Worker:
    worker_id: str
    team: str
    locality: str
    role: str
    agency: bool
    nq: bool  # started newly qualified: in the ASYE year for the first 12 months
    fte: float
    start: pd.Timestamp
    age_at_start: float
    gender: str
    ethnicity: str
    disability: str
    skills: tuple[str, ...]
    sick_propensity: float
    load_factor: float
    asye_protection: float
    leave_date: pd.Timestamp | None = None
    leave_reason: int | None = None
    destination: int | None = None

    def age(self, when: pd.Timestamp) -> float:
        return self.age_at_start + (when - self.start).days / 365.25

    def tenure(self, when: pd.Timestamp) -> float:
        return (when - self.start).days / 365.25

    def in_post(self, when: pd.Timestamp) -> bool:
        return self.start <= when and (self.leave_date is None or self.leave_date > when)

    def is_asye(self, when: pd.Timestamp) -> bool:
        return self.nq and self.tenure(when) < 1.0


@dataclass
class _Team:
    name: str
    locality: str
    posts: list[str]  # role of each post
    pressure: float  # demand relative to capacity (lognormal around 1)
    supervision: float  # team-level supervision offset (hours in 3 months)
    demand_walk: list[float] = field(default_factory=list)


def _choice(rng: np.random.Generator, mapping: dict, size: int | None = None):
    keys = list(mapping)
    p = np.array([mapping[k] for k in keys], dtype=float)
    idx = rng.choice(len(keys), size=size, p=p / p.sum())
    if size is None:
        return keys[int(idx)]
    return [keys[int(i)] for i in idx]


def _band(age: float) -> str:
    if age < 30:
        return "20-29"
    if age < 40:
        return "30-39"
    if age < 50:
        return "40-49"
    if age < 60:
        return "50-59"
    return "60+"


def _age_in_band(rng: np.random.Generator, band: str, minimum: float = 22.0) -> float:
    low, high = {"20-29": (22, 30), "30-39": (30, 40), "40-49": (40, 50), "50-59": (50, 60), "60+": (60, 67)}[band]
    return max(minimum, float(rng.uniform(low, high)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------------------------
# organisation


def _build_teams(params: DemoParameters, scale: float, rng: np.random.Generator) -> list[_Team]:
    """Localities and teams with their establishment of posts, demand pressure and supervision."""
    n_teams = max(1, round(params.teams * scale))
    n_loc = max(1, min(n_teams, round(params.localities * scale)))
    posts_total = max(n_teams * 4, round(params.case_holders * scale / (1 - params.vacancy_allowance)))
    sizes = rng.multinomial(posts_total - 4 * n_teams, np.full(n_teams, 1.0 / n_teams)) + 4
    names = [LOCALITY_NAMES[i] if i < len(LOCALITY_NAMES) else f"Locality {i + 1}" for i in range(n_loc)]
    teams: list[_Team] = []
    per_loc: dict[str, int] = {}
    for i in range(n_teams):
        loc = names[i % n_loc]
        per_loc[loc] = per_loc.get(loc, 0) + 1
        size = int(sizes[i])
        n_ps = params.practice_supervisors_per_team + (1 if size >= 14 else 0)
        n_sp = min(params.senior_practitioners_per_team, max(0, size - n_ps - 2))
        n_ap = 1 if (rng.random() < params.advanced_practitioner_p and size - n_ps - n_sp > 3) else 0
        roles = ["team_manager"] + ["practice_supervisor"] * n_ps + ["senior_practitioner"] * n_sp
        roles += ["advanced_practitioner"] * n_ap
        roles += ["case_holder"] * (size - n_ps - n_sp - n_ap)
        teams.append(
            _Team(
                name=f"{loc} {per_loc[loc]}",
                locality=loc,
                posts=roles,
                pressure=float(np.exp(rng.normal(0.0, params.team_pressure_sd))),
                supervision=float(rng.normal(0.0, params.supervision_team_sd)),
            )
        )
    return teams


# --------------------------------------------------------------------------------------------
# workers


class _WorkerFactory:
    """Creates workers with consistent attributes and sequential pseudonymous IDs."""

    def __init__(self, params: DemoParameters, rng: np.random.Generator) -> None:
        self.params = params
        self.rng = rng
        self.workers: list[_Worker] = []

    def _skills(self, role: str, nq: bool) -> tuple[str, ...]:
        rates = self.params.skill_p.get(role, {})
        tags = []
        for tag in SKILL_TAGS:
            p = rates.get(tag, 0.0)
            if nq:
                p = 0.0 if tag in ("cp", "court") else p * 0.5
            if self.rng.random() < p:
                tags.append(tag)
        return tuple(tags)

    def make(self, team: _Team, role: str, kind: str, start: pd.Timestamp, age_at_start: float | None = None) -> _Worker:
        """kind: 'agency', 'nq' (newly qualified, ASYE year) or 'permanent' (experienced)."""
        p, rng = self.params, self.rng
        if age_at_start is None:
            if kind == "nq":
                age_at_start = 22.0 + min(28.0, float(rng.exponential(5.0)))
            else:
                age_at_start = _age_in_band(rng, _choice(rng, p.starter_age_band_p), minimum=25.0)
        fte = 1.0 if kind == "agency" else float(_choice(rng, p.fte_p))
        gender = "female" if rng.random() < p.female_share else ("male" if rng.random() < 0.97 else "not_known")
        worker = _Worker(
            worker_id="",
            team=team.name,
            locality=team.locality,
            role=role,
            agency=kind == "agency",
            nq=kind == "nq",
            fte=fte,
            start=start,
            age_at_start=age_at_start,
            gender=gender,
            ethnicity=str(_choice(rng, p.ethnicity_p)),
            disability=str(_choice(rng, p.disability_p)),
            skills=self._skills(role, kind == "nq"),
            sick_propensity=float(np.exp(rng.normal(0.0, 0.6))),
            load_factor=float(np.exp(rng.normal(0.0, p.load_factor_sd))) * (1.05 if kind == "agency" else 1.0),
            asye_protection=float(rng.uniform(*p.asye_protection)) if kind == "nq" else 1.0,
        )
        self.workers.append(worker)
        return worker

    def initial(self, team: _Team, role: str, when: pd.Timestamp) -> _Worker:
        """A worker already in post at the first snapshot, with a tenure drawn to fit the brief."""
        p, rng = self.params, self.rng
        r = rng.random()
        if role != "practice_supervisor" and r < p.agency_share:
            kind, tenure = "agency", float(rng.exponential(p.agency_tenure_mean_years))
            age = _age_in_band(rng, _choice(rng, p.age_band_p), minimum=25.0)
        elif role == "case_holder" and r < p.agency_share + p.asye_share * 1.4:
            kind, tenure = "nq", float(rng.uniform(0.0, 1.0))
            age = 22.0 + min(28.0, float(rng.exponential(5.0))) + tenure
        else:
            kind, tenure = "permanent", float(rng.exponential(p.permanent_tenure_mean_years))
            age = _age_in_band(rng, _choice(rng, p.age_band_p), minimum=25.0 if role == "case_holder" else 28.0)
            if kind == "permanent" and tenure < 1.0 and role == "case_holder" and rng.random() < 0.3:
                tenure += 1.0  # newly qualified a while ago, past the ASYE year
        tenure = min(tenure, max(0.05, age - 22.5))
        start = (when - pd.Timedelta(days=int(tenure * 365.25))).normalize()
        return self.make(team, role, kind, start, age_at_start=age - tenure)


# --------------------------------------------------------------------------------------------
# children and families


def _build_families(params: DemoParameters, scale: float, teams: list[_Team], rng: np.random.Generator) -> pd.DataFrame:
    """One row per child: family, case type, court, team, locality, unallocated referral flag.

    Families go to teams in proportion to the team's establishment capacity times its pressure.
    """
    n_fam = max(len(teams), round(params.families * scale))
    sizes = np.array(_choice(rng, params.sibling_group_p, size=n_fam), dtype=int)
    # family type drawn so that children (not families) follow the case mix
    mix = params.case_mix
    types = list(mix)
    # a family's type is drawn in proportion to child share / expected children per family, so
    # that children (not families) follow the case mix; most care leavers count alone
    mean_size = sum(k * v for k, v in params.sibling_group_p.items()) / sum(params.sibling_group_p.values())
    expected = {t: (0.2 * mean_size + 0.8) if t == "care_leaver" else mean_size for t in types}
    child_p = np.array([mix[t] / expected[t] for t in types])
    child_p /= child_p.sum()
    weights = np.array([cap for cap in (sum(1 for r in t.posts if r != "team_manager") for t in teams)], dtype=float)
    team_p = weights * np.array([t.pressure for t in teams])
    team_p /= team_p.sum()
    alt = {"cp": "cin", "cin": "cin_assessment", "cla": "cla_complex", "cla_complex": "cla", "cin_assessment": "cin", "care_leaver": "cla"}
    rows = []
    fam_team = rng.choice(len(teams), size=n_fam, p=team_p)
    for f in range(n_fam):
        ftype = types[int(rng.choice(len(types), p=child_p))]
        size = 1 if ftype == "care_leaver" and rng.random() < 0.8 else int(sizes[f])
        court = ftype in params.court_share and rng.random() < params.court_share[ftype]
        team = teams[int(fam_team[f])]
        unallocated = ftype == "cin_assessment" and rng.random() < params.unallocated_assessments * team.pressure
        for k in range(size):
            ctype = ftype
            if k > 0 and rng.random() < params.sibling_type_change:
                ctype = alt[ftype]
            locality = team.locality
            if ctype in ("cla", "cla_complex") and len({t.locality for t in teams}) > 1 and rng.random() < params.placed_elsewhere:
                others = sorted({t.locality for t in teams} - {team.locality})
                locality = others[int(rng.integers(len(others)))]
            rows.append(
                {
                    "family": f,
                    "case_type": ctype,
                    "court": bool(court and ctype in ("cp", "cla", "cla_complex", "cin")),
                    "team": team.name,
                    "team_locality": team.locality,
                    "locality": locality,
                    "unallocated": bool(unallocated),
                    "primary_type": ftype,
                }
            )
    children = pd.DataFrame(rows)
    # IDs in a shuffled order so that numbering says nothing about team or type
    fam_order = rng.permutation(n_fam)
    width_f = max(5, len(str(n_fam)))
    fam_ids = {int(f): f"F{i + 1:0{width_f}d}" for i, f in enumerate(fam_order)}
    children["family_id"] = children["family"].map(fam_ids)
    children = children.sort_values(["family_id"], kind="stable").reset_index(drop=True)
    width_c = max(5, len(str(len(children))))
    children["case_id"] = [f"C{i + 1:0{width_c}d}" for i in range(len(children))]
    children["points"] = family_child_points(children[["family_id", "case_type", "court"]])
    return children


# --------------------------------------------------------------------------------------------
# hazard of leaving


def _tenure_effect(tenure: np.ndarray, table: dict) -> np.ndarray:
    bounds = sorted(table)
    out = np.zeros_like(tenure, dtype=float)
    for b in bounds:
        out = np.where(tenure >= b, table[b], out)
    return out


def leaving_logit(features: pd.DataFrame, params: DemoParameters) -> pd.Series:
    """The generator's log-odds of leaving within 12 months, without the year's intercept.

    Columns used: tenure_years, age, utilisation, agency, asye, supervision_hours_3m,
    sickness_days_12m, reallocations_12m, role. Each term is one driver from the brief s4.
    """
    p = params
    x = _tenure_effect(features["tenure_years"].to_numpy(float), p.tenure_logit)
    age = features["age"].to_numpy(float)
    x = x + np.where(age >= 60, p.age_60_logit, 0.0) + np.where(age < 30, p.age_20s_logit, 0.0)
    x = x + p.pressure_logit * (features["utilisation"].to_numpy(float) - 0.85)
    x = x + p.agency_logit * features["agency"].to_numpy(bool)
    x = x + p.asye_logit * features["asye"].to_numpy(bool)
    x = x + p.supervision_logit * (features["supervision_hours_3m"].to_numpy(float) - p.supervision_standard_hours_3m)
    x = x + p.sickness_logit * (np.log1p(features["sickness_days_12m"].to_numpy(float)) - np.log1p(p.sickness_mean_days))
    x = x + p.reallocation_logit * features["reallocations_12m"].to_numpy(float)
    x = x + p.manager_logit * features["role"].isin(["team_manager", "practice_supervisor"]).to_numpy()
    return pd.Series(x, index=features.index, name="logit")


def _calibrate_intercept(logit: np.ndarray, fte: np.ndarray, target: float) -> float:
    """The intercept b with sum(fte * sigmoid(b + logit)) / sum(fte) == target (bisection)."""
    lo, hi = -12.0, 12.0
    for _ in range(80):
        mid = (lo + hi) / 2
        rate = float(np.sum(fte * _sigmoid(mid + logit)) / np.sum(fte))
        if rate < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def systematic_sample(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw Bernoulli(p_i) outcomes whose total stays within one of sum(p) (Madow's method).

    Units are put in random order; a single uniform start selects unit i exactly when an integer
    falls in its slice of the cumulative sum, so P(selected_i) = p_i for every i.
    """
    order = rng.permutation(len(p))
    cum = np.concatenate([[0.0], np.cumsum(p[order])])
    u = rng.random()
    hits = np.floor(cum[1:] - u) - np.floor(cum[:-1] - u)
    out = np.zeros(len(p), dtype=bool)
    out[order] = hits > 0
    return out


# --------------------------------------------------------------------------------------------
# the simulation


class _Simulation:
    def __init__(self, params: DemoParameters, scale: float, seed: int) -> None:
        self.p = params
        self.rng = np.random.default_rng(seed)
        self.rules = CaseloadRules()
        self.as_of = pd.Timestamp(params.as_of)
        self.snapshots = [self.as_of - pd.DateOffset(years=k) for k in range(params.history_years - 1, -1, -1)]
        self.snapshots = [pd.Timestamp(s).normalize() for s in self.snapshots]
        self.teams = _build_teams(params, scale, self.rng)
        self.team_by_name = {t.name: t for t in self.teams}
        self.children = _build_families(params, scale, self.teams, self.rng)
        self.factory = _WorkerFactory(params, self.rng)
        self.rows: list[dict] = []
        self.truth: list[dict] = []
        self.targets = self.rng.uniform(*params.turnover_range, size=len(self.snapshots))
        # team demand in points today, walked back in time for the history
        final = self.children.groupby("team")["points"].sum()
        for team in self.teams:
            steps = self.rng.normal(0.0, 0.06, size=len(self.snapshots) - 1)
            walk = np.exp(np.concatenate([np.cumsum(steps[::-1])[::-1], [0.0]]))
            team.demand_walk = list(float(final.get(team.name, 0.0)) * walk)
        self.points_per_child = float(self.children["points"].mean())

    # -- staffing
    def staff_initial(self) -> None:
        first = self.snapshots[0]
        for team in self.teams:
            for role in team.posts:
                w = self.factory.initial(team, role, first)
                if self.rng.random() < self.p.vacancy_allowance * 0.8:
                    # the post is vacant at the first census; its holder arrives within months
                    w.start = first + pd.Timedelta(days=int(self.rng.uniform(10, 150)))
                    w.age_at_start = max(22.0, w.age_at_start)

    def in_post(self, when: pd.Timestamp) -> list[_Worker]:
        return [w for w in self.factory.workers if w.in_post(when)]

    # -- features at a snapshot
    def _capacity(self, workers: Sequence[_Worker], when: pd.Timestamp) -> np.ndarray:
        frame = pd.DataFrame(
            {
                "fte": [w.fte for w in workers],
                "role": [w.role for w in workers],
                "asye": [w.is_asye(when) for w in workers],
                "available": True,
            }
        )
        return worker_capacity(frame, self.rules).to_numpy(float)

    def _synthetic_loads(self, workers: list[_Worker], when: pd.Timestamp, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Historic caseloads: the team's demand shared in proportion to capacity x load factor."""
        cap = self._capacity(workers, when)
        share = cap * np.array([w.load_factor * w.asye_protection for w in workers])
        points = np.zeros(len(workers))
        teams = np.array([w.team for w in workers])
        for team in self.teams:
            mask = teams == team.name
            total = share[mask].sum()
            if total > 0:
                noise = np.exp(self.rng.normal(0.0, 0.03))
                points[mask] = team.demand_walk[t] * noise * share[mask] / total
        per_child = self.points_per_child * np.exp(self.rng.normal(0.0, 0.08, size=len(workers)))
        cases = np.where(cap > 0, np.round(points / per_child), 0).astype(int)
        return points, cases

    def _sickness(self, workers: list[_Worker], utilisation: np.ndarray) -> np.ndarray:
        p = self.p
        n = len(workers)
        sick = np.array([w.sick_propensity for w in workers])
        zero = self.rng.random(n) < p.sickness_zero_share / np.sqrt(sick)
        # mean of the non-zero part so the overall mean is about sickness_mean_days
        scale = p.sickness_mean_days / (1 - p.sickness_zero_share) / 1.2
        days = self.rng.gamma(0.8, scale / 0.8, size=n) * sick * np.clip(utilisation, 0.5, 1.6)
        return np.round(np.where(zero, 0.0, days) * 2) / 2

    def _supervision(self, workers: list[_Worker], when: pd.Timestamp) -> np.ndarray:
        p = self.p
        base = np.array([self.team_by_name[w.team].supervision for w in workers]) + p.supervision_standard_hours_3m
        base += np.array([p.asye_extra_supervision if w.is_asye(when) else 0.0 for w in workers])
        base -= np.array([0.5 if w.agency else 0.0 for w in workers])
        base[np.array([w.role == "team_manager" for w in workers])] -= 1.0
        hours = base + self.rng.normal(0.0, 1.3, size=len(workers))
        return np.round(np.clip(hours, 0.0, 15.0) * 2) / 2

    def _features(self, workers: list[_Worker], when: pd.Timestamp, points: np.ndarray, cases: np.ndarray,
                  reallocations: np.ndarray, sickness: np.ndarray | None = None) -> pd.DataFrame:
        cap = self._capacity(workers, when)
        util = np.where(cap > 0, points / np.where(cap > 0, cap, 1.0), 0.85)
        f = pd.DataFrame(
            {
                "worker": workers,
                "tenure_years": [w.tenure(when) for w in workers],
                "age": [w.age(when) for w in workers],
                "utilisation": util,
                "agency": [w.agency for w in workers],
                "asye": [w.is_asye(when) for w in workers],
                "role": [w.role for w in workers],
                "fte": [w.fte for w in workers],
                "capacity_points": np.round(cap, 2),
                "caseload_points": np.round(points, 1),
                "cases_held": cases,
                "reallocations_12m": reallocations,
            }
        )
        f["sickness_days_12m"] = self._sickness(workers, util) if sickness is None else sickness
        f["supervision_hours_3m"] = self._supervision(workers, when)
        return f

    def _historic_reallocations(self, workers: list[_Worker], when: pd.Timestamp, cases: np.ndarray, prev_rate: dict) -> np.ndarray:
        """Cases received by reallocation: new starters inherit most of theirs; others a share
        that grows with last year's leavers in the team."""
        rate = np.array([0.7 if w.tenure(when) < 1 else 0.08 + prev_rate.get(w.team, 0.15) for w in workers])
        return self.rng.poisson(cases * np.clip(rate, 0, 1)).clip(0, cases)

    # -- leavers and starters
    def _leave(self, w: _Worker, when: pd.Timestamp, next_snap: pd.Timestamp) -> None:
        p, rng = self.p, self.rng
        days = (next_snap - when).days
        if w.is_asye(when):
            # leaving at the end of the ASYE year (or soon after), within the year ahead
            end = (w.start + pd.Timedelta(days=365 + int(rng.uniform(0, 60)))) - when
            offset = int(np.clip(end.days, 1, days - 1))
        else:
            offset = int(rng.integers(1, days))
        w.leave_date = when + pd.Timedelta(days=offset)
        if w.agency:
            w.leave_reason = int(_choice(rng, p.agency_leave_reason_p))
        elif w.age(w.leave_date) >= 60 and rng.random() < p.retire_share_60:
            w.leave_reason = 5
        else:
            w.leave_reason = int(_choice(rng, p.leave_reason_p))
        w.destination = self._destination(w.leave_reason)

    def _destination(self, reason: int) -> int:
        """CSWW LeaverDestination from the reason (brief s1 [S13] for resignations)."""
        if reason == 1:
            return int(_choice(self.rng, self.p.resign_destination_p))
        if reason in (5, 2, 3):
            return 6
        if reason == 9:
            return 8
        return 7

    def _hire(self, leavers: list[_Worker], stayers: list[_Worker], t: int) -> None:
        """Refill leavers' posts, steering agency and ASYE shares toward their targets."""
        p, rng = self.p, self.rng
        if not leavers:
            return
        posts_total = sum(len(team.posts) for team in self.teams)
        ch_posts = sum(1 for team in self.teams for r in team.posts if r != "team_manager")
        pending = [w for w in self.factory.workers if w.start > self.snapshots[t]]
        agency_now = sum(1 for w in stayers + pending if w.agency)
        target_agency = round(p.agency_share * rng.uniform(0.85, 1.15) * posts_total)
        n_agency = int(np.clip(target_agency - agency_now, 0, len(leavers)))
        ch_vacancies = [i for i, w in enumerate(leavers) if w.role == "case_holder"]
        # newly qualified starters: enough that the next census has about asye_share in the
        # ASYE year, counting those already hired who will still be in it then
        nxt = self.snapshots[t + 1]
        pipeline = sum(1 for w in stayers + pending if w.nq and w.start > nxt - pd.Timedelta(days=365))
        target_nq = round(p.asye_share * rng.uniform(0.9, 1.1) * ch_posts)
        n_nq = int(np.clip(target_nq - pipeline, 0, len(ch_vacancies)))
        # newly qualified cohorts fill the year's earliest vacancies, so they start before the census
        ch_vacancies.sort(key=lambda i: (leavers[i].leave_date, rng.random()))
        nq_posts = set(ch_vacancies[:n_nq])
        rest = [i for i in rng.permutation(len(leavers)) if int(i) not in nq_posts and leavers[int(i)].role != "practice_supervisor"]
        agency_posts = {int(i) for i in rest[:n_agency]}
        for i, old in enumerate(leavers):
            kind = "nq" if i in nq_posts else ("agency" if i in agency_posts else "permanent")
            lag = {"agency": p.hire_lag_months_agency, "nq": p.hire_lag_months_nq}.get(kind, p.hire_lag_months_permanent)
            start = old.leave_date + pd.Timedelta(days=int(rng.uniform(*lag) * 30.4))
            team = self.team_by_name[old.team]
            if start <= self.as_of:
                self.factory.make(team, old.role, kind, start.normalize())

    def _record(self, when: pd.Timestamp, f: pd.DataFrame, p_true: np.ndarray) -> None:
        for (_, r), prob in zip(f.iterrows(), p_true):
            w: _Worker = r["worker"]
            self.rows.append(
                {
                    "snapshot_date": when,
                    "w": w,
                    "team": w.team,
                    "locality": w.locality,
                    "role": w.role,
                    "asye": bool(r["asye"]),
                    "agency": w.agency,
                    "fte": w.fte,
                    "start_date": w.start,
                    "cases_held": int(r["cases_held"]),
                    "caseload_points": float(r["caseload_points"]),
                    "capacity_points": float(r["capacity_points"]),
                    "sickness_days_12m": float(r["sickness_days_12m"]),
                    "supervision_hours_3m": float(r["supervision_hours_3m"]),
                    "reallocations_12m": int(r["reallocations_12m"]),
                    "age_band": _band(float(r["age"])),
                }
            )
            self.truth.append({"snapshot_date": when, "w": w, "p_leave_true": float(prob)})

    def run_history(self) -> None:
        """Snapshots before today: features, true probabilities, leavers, replacements."""
        prev_rate: dict[str, float] = {}
        for t, when in enumerate(self.snapshots[:-1]):
            workers = self.in_post(when)
            points, cases = self._synthetic_loads(workers, when, t)
            realloc = self._historic_reallocations(workers, when, cases, prev_rate)
            f = self._features(workers, when, points, cases, realloc)
            logit = leaving_logit(f, self.p).to_numpy()
            fte = f["fte"].to_numpy(float)
            b = _calibrate_intercept(logit, fte, float(self.targets[t]))
            p_true = _sigmoid(b + logit)
            leaves = systematic_sample(p_true, self.rng)
            self._record(when, f, p_true)
            nxt = self.snapshots[t + 1]
            leavers = [w for w, gone in zip(workers, leaves) if gone]
            for w in leavers:
                self._leave(w, when, nxt)
            stayers = [w for w, gone in zip(workers, leaves) if not gone]
            self._hire(leavers, stayers, t)
            counts = pd.Series([w.team for w in workers]).value_counts()
            gone = pd.Series([w.team for w in leavers], dtype=object).value_counts()
            prev_rate = {team: float(gone.get(team, 0) / n) for team, n in counts.items()}

    # -- today
    def run_today(self) -> tuple[pd.DataFrame, list[_Worker], dict]:
        when = self.as_of
        t = len(self.snapshots) - 1
        workers = self.in_post(when)
        n = len(workers)
        # availability: long-term sickness or other long leave today
        sick_rank = np.array([w.sick_propensity for w in workers]) * self.rng.exponential(1.0, size=n)
        n_off = int(round(self.p.unavailable_share * n))
        sick_idx = set(np.argsort(-sick_rank, kind="stable")[: n_off // 2].tolist())
        others = [i for i in self.rng.permutation(n).tolist() if i not in sick_idx and workers[i].role != "team_manager"]
        off_idx = sick_idx | set(others[: n_off - len(sick_idx)])
        available = np.array([i not in off_idx for i in range(n)])
        cases, info = _allocate_today(self, workers, available)
        held = cases[cases["current_worker_id"] != ""]
        pts = held.groupby("current_worker_id")["points"].sum()
        kids = held.groupby("current_worker_id").size()
        recent = held[(held["allocated_since"] > when - pd.Timedelta(days=365)) & (held["workers_12m"] >= 2)]
        realloc = recent.groupby("current_worker_id").size()
        ids = [w.worker_id for w in workers]
        points = np.array([float(pts.get(i, 0.0)) for i in ids])
        n_cases = np.array([int(kids.get(i, 0)) for i in ids])
        reallocs = np.array([int(realloc.get(i, 0)) for i in ids])
        cap = self._capacity(workers, when)
        util = np.where(cap > 0, points / np.where(cap > 0, cap, 1.0), 0.85)
        sickness = self._sickness(workers, util)
        long_sick = np.array([i in sick_idx for i in range(n)])
        sickness = np.where(long_sick, np.maximum(sickness, np.round(self.rng.uniform(30, 120, size=n))), sickness)
        f = self._features(workers, when, points, n_cases, reallocs, sickness=sickness)
        logit = leaving_logit(f, self.p).to_numpy()
        b = _calibrate_intercept(logit, f["fte"].to_numpy(float), float(self.targets[t]))
        p_true = _sigmoid(b + logit)
        self._record(when, f, p_true)
        today = f.assign(available=available)
        return cases, workers, {"today": today, **info}


def _family_frame(children: pd.DataFrame) -> pd.DataFrame:
    fam = children.groupby("family_id", sort=True).agg(
        team=("team", "first"),
        team_locality=("team_locality", "first"),
        size=("case_id", "size"),
        points=("points", "sum"),
        needs_experienced=("case_type", lambda s: bool((s == "cp").any())),
        court=("court", "any"),
        unallocated=("unallocated", "first"),
        primary_type=("primary_type", "first"),
    )
    fam["needs_experienced"] = fam["needs_experienced"] | fam["court"]
    return fam


_SKILL_FOR_TYPE = {
    "cin_assessment": ("disability", "domestic_abuse"),
    "cin": ("disability", "domestic_abuse", "adolescents"),
    "cp": ("disability", "domestic_abuse", "exploitation", "adolescents"),
    "cla": ("disability", "adolescents", "cla"),
    "cla_complex": ("exploitation", "adolescents", "disability", "cla"),
    "care_leaver": ("care_leavers",),
}


def _allocate_today(sim: _Simulation, workers: list[_Worker], available: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """Today's allocations: families to workers in post in the family's team.

    Hard rules hold (siblings together, no CP or court families for ASYEs, required skills,
    excluded workers); capacity does not, so busy teams run over. Loads are balanced greedily on
    points relative to each worker's capacity times an individual load factor.
    """
    rng, p, when = sim.rng, sim.p, sim.as_of
    width = max(4, len(str(len(sim.factory.workers))))
    for i, w in enumerate(sim.factory.workers):
        w.worker_id = f"W{i + 1:0{width}d}"
    children = sim.children.copy()
    fam = _family_frame(children)
    cap = sim._capacity(workers, when)
    wframe = pd.DataFrame(
        {
            "fte": [w.fte for w in workers],
            "role": [w.role for w in workers],
            "asye": [w.is_asye(when) for w in workers],
            "available": True,
        }
    )
    hard = worker_max_children(wframe, sim.rules).to_numpy()
    by_team: dict[str, list[int]] = {}
    for i, w in enumerate(workers):
        if w.role != "team_manager":
            by_team.setdefault(w.team, []).append(i)
    asye = wframe["asye"].to_numpy()
    skills = [set(w.skills) for w in workers]

    def eligible(team: str, needs_exp: bool, need: set, excluded: set) -> list[int]:
        return [
            i for i in by_team.get(team, [])
            if not (needs_exp and asye[i]) and need <= skills[i] and workers[i].worker_id not in excluded
        ]

    fam_required: dict[str, set] = {}
    fam_excluded: dict[str, set] = {}
    for fid, row in fam.iterrows():
        if rng.random() < p.required_skill_share:
            pool = [i for i in eligible(row["team"], row["needs_experienced"], set(), set()) if available[i]]
            options = [s for s in _SKILL_FOR_TYPE[row["primary_type"]] if any(s in skills[i] for i in pool)]
            if options:
                fam_required[fid] = {options[int(rng.integers(len(options)))]}
        if rng.random() < p.excluded_share and len(by_team.get(row["team"], [])) > 2:
            pool = by_team[row["team"]]
            fam_excluded[fid] = {workers[pool[int(rng.integers(len(pool)))]].worker_id}

    load = np.zeros(len(workers))
    kids = np.zeros(len(workers), dtype=int)
    weight = cap * np.array([w.load_factor * w.asye_protection for w in workers])
    holder: dict[str, int] = {}
    unplaced: list[str] = []
    # constrained families first, so the unconstrained fill round them
    order = fam.assign(_r=rng.random(len(fam)), _c=~(fam["needs_experienced"] | fam.index.isin(list(fam_required))))
    order = order.sort_values(["_c", "_r"])
    for fid, row in order.iterrows():
        if row["unallocated"]:
            continue
        cand = eligible(row["team"], row["needs_experienced"], fam_required.get(fid, set()), fam_excluded.get(fid, set()))
        if not cand:
            unplaced.append(fid)
            continue
        c = np.array(cand)
        score = (load[c] + row["points"]) / np.maximum(weight[c], 1e-6) * rng.uniform(0.93, 1.07, size=len(c))
        score += np.where(kids[c] + row["size"] > hard[c], 5.0, 0.0)
        best = int(c[int(np.argmin(score))])
        holder[fid] = best
        load[best] += row["points"]
        kids[best] += row["size"]

    # continuity: when each family got its current worker and how many workers in 12 months
    fam_since: dict[str, pd.Timestamp] = {}
    fam_w12: dict[str, int] = {}
    fam_pinned: dict[str, bool] = {}
    for fid, i in holder.items():
        w = workers[i]
        ptype = fam.at[fid, "primary_type"]
        open_days = max(1.0, rng.exponential(p.open_months_mean[ptype] * 30.4))
        tenure_days = (when - w.start).days
        spell = min(open_days, tenure_days, rng.exponential(p.worker_spell_mean_months * 30.4))
        spell = max(0.0, spell)
        fam_since[fid] = (when - pd.Timedelta(days=int(spell))).normalize()
        if spell < min(open_days, 365) - 1:
            window = (min(open_days, 365) - spell) / 365
            fam_w12[fid] = int(min(4, 2 + rng.poisson(p.extra_change_rate * window)))
        else:
            fam_w12[fid] = 1
        weight_pin = 3.0 if fam.at[fid, "court"] else 1.0
        fam_pinned[fid] = bool(available[i] and rng.random() < p.pinned_share * weight_pin)

    children["current_worker_id"] = children["family_id"].map(lambda f: workers[holder[f]].worker_id if f in holder else "")
    children["allocated_since"] = pd.to_datetime(children["family_id"].map(lambda f: fam_since.get(f, pd.NaT))).astype("datetime64[ns]")
    children["workers_12m"] = children["family_id"].map(lambda f: fam_w12.get(f, 0)).astype("int64")
    children["pinned"] = children["family_id"].map(lambda f: fam_pinned.get(f, False)).astype(bool)
    # a required skill sits on one child of the family (the one who needs it)
    first_child = ~children["family_id"].duplicated()
    children["required_skills"] = [
        ";".join(sorted(fam_required[f])) if (f in fam_required and first) else ""
        for f, first in zip(children["family_id"], first_child)
    ]
    children["excluded_workers"] = children["family_id"].map(lambda f: ";".join(sorted(fam_excluded.get(f, set()))))
    no_team = children["unallocated"] & children["family_id"].map(
        dict(zip(fam.index, rng.random(len(fam)) < p.unallocated_no_team))
    )
    children.loc[no_team, "team"] = ""
    children.loc[no_team, "locality"] = children.loc[no_team, "team_locality"]
    return children, {"unplaced_families": len(unplaced)}


def _priority(cases: pd.DataFrame) -> pd.Series:
    """Triage priority as the data contract's default: CP and court 1; looked after and
    assessments 2; the rest 3."""
    high = cases["case_type"].eq("cp") | cases["court"]
    mid = cases["case_type"].isin(["cla", "cla_complex", "cin_assessment"])
    return pd.Series(np.where(high, 1, np.where(mid, 2, 3)), index=cases.index, dtype="int64")


# --------------------------------------------------------------------------------------------
# frames


def _text(values) -> pd.Series:
    return pd.Series([str(v) for v in values], dtype="str")


def generate_authority(seed: int = 0, scale: float = 1.0, params: DemoParameters | None = None) -> DemoAuthority:
    """Generate a demo authority, deterministic by `seed`; `scale` multiplies workers, teams and
    families (1.0 is Sandwell scale)."""
    if not (scale > 0 and math.isfinite(scale)):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    params = params or DemoParameters()
    sim = _Simulation(params, scale, seed)
    sim.staff_initial()
    sim.run_history()
    cases_raw, today_workers, info = sim.run_today()
    today = info["today"]
    as_of = sim.as_of

    # workers (today)
    rng = sim.rng
    contract_end = [
        (as_of + pd.Timedelta(days=int(rng.uniform(2, 26) * 7))) if w.agency else pd.NaT for w in today_workers
    ]
    workers = pd.DataFrame(
        {
            "worker_id": _text(w.worker_id for w in today_workers),
            "team": _text(w.team for w in today_workers),
            "locality": _text(w.locality for w in today_workers),
            "role": _text(w.role for w in today_workers),
            "asye": today["asye"].to_numpy(bool),
            "agency": np.array([w.agency for w in today_workers], dtype=bool),
            "fte": np.array([w.fte for w in today_workers], dtype=float),
            "start_date": pd.to_datetime([w.start for w in today_workers]).astype("datetime64[ns]"),
            "skills": _text(";".join(sorted(w.skills)) for w in today_workers),
            "available": today["available"].to_numpy(bool),
            "contract_end_date": pd.to_datetime(pd.Series(contract_end, dtype="datetime64[ns]")).dt.normalize(),
            "sickness_days_12m": today["sickness_days_12m"].to_numpy(float),
            "supervision_hours_3m": today["supervision_hours_3m"].to_numpy(float),
            "age_band": _text(_band(a) for a in today["age"]),
            "gender": _text(w.gender for w in today_workers),
            "ethnicity": _text(w.ethnicity for w in today_workers),
            "disability": _text(w.disability for w in today_workers),
        }
    )
    workers = workers.sort_values("worker_id", kind="stable").reset_index(drop=True)

    # cases (today)
    c = cases_raw
    cases = pd.DataFrame(
        {
            "case_id": _text(c["case_id"]),
            "family_id": _text(c["family_id"]),
            "case_type": _text(c["case_type"]),
            "court": c["court"].to_numpy(bool),
            "locality": _text(c["locality"]),
            "team": _text(c["team"]),
            "current_worker_id": _text(c["current_worker_id"]),
            "allocated_since": c["allocated_since"].astype("datetime64[ns]").to_numpy(),
            "workers_12m": c["workers_12m"].to_numpy("int64"),
        }
    )
    cases["priority"] = _priority(cases)
    cases["required_skills"] = _text(c["required_skills"])
    cases["pinned"] = c["pinned"].to_numpy(bool)
    cases["excluded_workers"] = _text(c["excluded_workers"])

    # hr_history and truth
    rows = sim.rows
    hist = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime([r["snapshot_date"] for r in rows]).astype("datetime64[ns]"),
            "worker_id": _text(r["w"].worker_id for r in rows),
            "team": _text(r["team"] for r in rows),
            "locality": _text(r["locality"] for r in rows),
            "role": _text(r["role"] for r in rows),
            "asye": np.array([r["asye"] for r in rows], dtype=bool),
            "agency": np.array([r["agency"] for r in rows], dtype=bool),
            "fte": np.array([r["fte"] for r in rows], dtype=float),
            "start_date": pd.to_datetime([r["start_date"] for r in rows]).astype("datetime64[ns]"),
            "cases_held": pd.array([r["cases_held"] for r in rows], dtype="Float64"),
            "caseload_points": np.array([r["caseload_points"] for r in rows], dtype=float),
            "capacity_points": np.array([r["capacity_points"] for r in rows], dtype=float),
            "sickness_days_12m": np.array([r["sickness_days_12m"] for r in rows], dtype=float),
            "supervision_hours_3m": np.array([r["supervision_hours_3m"] for r in rows], dtype=float),
            "reallocations_12m": pd.array([r["reallocations_12m"] for r in rows], dtype="Float64"),
            "age_band": _text(r["age_band"] for r in rows),
            "gender": _text(r["w"].gender for r in rows),
            "ethnicity": _text(r["w"].ethnicity for r in rows),
            "disability": _text(r["w"].disability for r in rows),
            "leave_date": pd.to_datetime(pd.Series([r["w"].leave_date for r in rows], dtype="datetime64[ns]")),
            "leave_reason": pd.array([r["w"].leave_reason for r in rows], dtype="Float64"),
            "leaver_destination": pd.array([r["w"].destination for r in rows], dtype="Float64"),
        }
    )
    hist = hist.sort_values(["snapshot_date", "worker_id"], kind="stable").reset_index(drop=True)
    truth = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime([r["snapshot_date"] for r in sim.truth]).astype("datetime64[ns]"),
            "worker_id": _text(r["w"].worker_id for r in sim.truth),
            "p_leave_true": np.array([r["p_leave_true"] for r in sim.truth], dtype=float),
        }
    )
    truth = truth.sort_values(["snapshot_date", "worker_id"], kind="stable").reset_index(drop=True)
    return DemoAuthority(workers=workers, cases=cases, hr_history=hist, truth=truth, as_of=as_of, params=params)


# --------------------------------------------------------------------------------------------
# summary


def annual_turnover(hr_history: pd.DataFrame) -> pd.DataFrame:
    """Turnover per census year as DfE counts it: FTE leavers in the year after each snapshot
    divided by FTE in post at that snapshot (brief s1). The last snapshot has no year after it.

    Columns: snapshot_date, year_end_date, fte_in_post, fte_leavers, headcount, leavers,
    turnover_rate, headcount_turnover_rate.
    """
    snaps = sorted(hr_history["snapshot_date"].dropna().unique())
    out = []
    for start, end in zip(snaps[:-1], snaps[1:]):
        rows = hr_history[hr_history["snapshot_date"] == start]
        left = rows["leave_date"].notna() & (rows["leave_date"] > start) & (rows["leave_date"] <= end)
        out.append(
            {
                "snapshot_date": pd.Timestamp(start),
                "year_end_date": pd.Timestamp(end),
                "fte_in_post": float(rows["fte"].sum()),
                "fte_leavers": float(rows.loc[left, "fte"].sum()),
                "headcount": int(len(rows)),
                "leavers": int(left.sum()),
            }
        )
    frame = pd.DataFrame(out)
    if not frame.empty:
        frame["turnover_rate"] = frame["fte_leavers"] / frame["fte_in_post"]
        frame["headcount_turnover_rate"] = frame["leavers"] / frame["headcount"]
    return frame


def authority_summary(authority: DemoAuthority) -> dict:
    """Aggregate rates of a generated authority, to compare with the brief's figures."""
    w, c, h = authority.workers, authority.cases, authority.hr_history
    rules = CaseloadRules()
    holders = w[w["role"] != "team_manager"]
    allocated = c[c["current_worker_id"] != ""]
    pts = family_child_points(c)
    held_pts = pts[c["current_worker_id"] != ""].groupby(c.loc[c["current_worker_id"] != "", "current_worker_id"]).sum()
    held_kids = allocated.groupby("current_worker_id").size()
    cap = worker_capacity(w, rules)
    loads = pd.DataFrame(
        {
            "team": w["team"],
            "capacity": cap.to_numpy(),
            "points": w["worker_id"].map(held_pts).fillna(0.0).to_numpy(),
            "children": w["worker_id"].map(held_kids).fillna(0).to_numpy(),
            "soft": worker_soft_max_children(w, rules).to_numpy(),
            "hard": worker_max_children(w.assign(available=True), rules).to_numpy(),
            "holder": (w["role"] != "team_manager").to_numpy(),
        }
    )
    team = loads.groupby("team")[["capacity", "points"]].sum()
    lh = loads[loads["holder"]]
    turnover = annual_turnover(h)
    leavers = h.drop_duplicates("worker_id")
    reasons = leavers["leave_reason"].dropna().astype(int).value_counts().sort_index()
    mean_p = authority.truth.groupby("snapshot_date")["p_leave_true"].mean()
    fte = w["fte"]
    return {
        "as_of": authority.as_of.date().isoformat(),
        "workers": int(len(w)),
        "case_holders": int(len(holders)),
        "case_holding_fte": round(float(holders["fte"].sum()), 1),
        "teams": int(w["team"].nunique()),
        "localities": int(w["locality"].nunique()),
        "children": int(len(c)),
        "families": int(c["family_id"].nunique()),
        "agency_share": round(float(fte[w["agency"]].sum() / fte.sum()), 3),
        "agency_share_headcount": round(float(w["agency"].mean()), 3),
        "asye_share_of_case_holders": round(float(holders["asye"].mean()), 3),
        "unavailable_share": round(float((~w["available"]).mean()), 3),
        "case_mix": {t: round(float((c["case_type"] == t).mean()), 3) for t in CASE_TYPES},
        "court_share": round(float(c["court"].mean()), 3),
        "unallocated_children": int((c["current_worker_id"] == "").sum()),
        "children_per_case_holding_fte": round(float(len(allocated) / holders["fte"].sum()), 2),
        "mean_children_per_case_holder": round(float(lh["children"].mean()), 2),
        "mean_utilisation": round(float(team["points"].sum() / team["capacity"].sum()), 3),
        "teams_over_capacity_share": round(float((team["points"] > team["capacity"]).mean()), 3),
        "case_holders_over_soft_cap_share": round(float((lh["children"] > lh["soft"]).mean()), 3),
        "case_holders_over_hard_cap_share": round(float((lh["children"] > lh["hard"]).mean()), 3),
        "children_2plus_workers_12m_share": round(float((c["workers_12m"] >= 2).mean()), 3),
        "children_3plus_workers_12m_share": round(float((c["workers_12m"] >= 3).mean()), 3),
        "pinned_children": int(c["pinned"].sum()),
        "children_with_required_skills": int((c["required_skills"] != "").sum()),
        "children_with_excluded_workers": int((c["excluded_workers"] != "").sum()),
        "hr_history_rows": int(len(h)),
        "snapshots": [d.date().isoformat() for d in sorted(h["snapshot_date"].unique())],
        "turnover_by_year": {r.year_end_date.date().isoformat(): round(float(r.turnover_rate), 3) for r in turnover.itertuples()},
        "mean_turnover": round(float(turnover["turnover_rate"].mean()), 3) if len(turnover) else float("nan"),
        "leavers_by_reason": {int(k): int(v) for k, v in reasons.items()},
        "mean_p_leave_true_by_snapshot": {pd.Timestamp(k).date().isoformat(): round(float(v), 3) for k, v in mean_p.items()},
    }


# --------------------------------------------------------------------------------------------
# files


_SHEET_NOTES = {
    "workers": "one row per member of staff in post today (data contract: workers)",
    "cases": "one row per open child's case today, with the current allocation (data contract: cases)",
    "hr_history": "one row per worker in post per 30 September snapshot (data contract: hr_history)",
}


def _write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """The input tables as sheets named after them, through the project's safe workbook writer;
    yes/no columns as the words the contract uses, dates as date cells."""
    from workforce.excel.writer import SafeWorkbook, TableSpec

    book = SafeWorkbook(produced_by="workforce.demo", title="Demo authority (synthetic)")
    for name, frame in sheets.items():
        shown = frame.copy()
        for col in shown.columns:
            if pd.api.types.is_bool_dtype(shown[col]):
                shown[col] = np.where(shown[col], "yes", "no")
        book.add_table_sheet(name, [TableSpec(shown, name)], _SHEET_NOTES[name])
    book.add_readme(notes=["Synthetic data from workforce.demo: no real person, child or authority is described."])
    book.save(path)


def write_authority(authority: DemoAuthority, folder: Path, *, xlsx: bool = True) -> list[Path]:
    """Write workers.csv, cases.csv, hr_history.csv and truth.csv (the generator's true leaving
    probabilities, not an input table) into `folder`, and with `xlsx` the workbook
    `workbook/authority.xlsx` with sheets workers, cases and hr_history.

    The workbook sits in a subfolder so that `workforce validate FOLDER` finds each table once.
    Dates are ISO, yes/no columns "yes"/"no", tags ';'-joined. All files appear together or not
    at all.
    """
    from workforce.contracts import to_csv_frame
    from workforce.outputs import OutputDir

    folder = Path(folder)
    tables = {"workers": authority.workers, "cases": authority.cases, "hr_history": authority.hr_history}
    with OutputDir(folder) as od:
        for name, frame in tables.items():
            to_csv_frame(frame).to_csv(od.path(f"{name}.csv"), index=False, lineterminator="\n")
        to_csv_frame(authority.truth).to_csv(od.path("truth.csv"), index=False, lineterminator="\n", float_format="%.6f")
        if xlsx:
            _write_workbook(od.path("workbook/authority.xlsx"), tables)
    return sorted(od.written)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m workforce.demo --out examples --seed 7 --scale 0.12`"""
    parser = argparse.ArgumentParser(prog="python -m workforce.demo", description="Generate the synthetic demo authority.")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the CSV files (and workbook/authority.xlsx)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = Sandwell scale (~220 case-holders)")
    parser.add_argument("--no-xlsx", action="store_true", help="CSV files only")
    parser.add_argument("--summary", action="store_true", help="print the aggregate rates")
    args = parser.parse_args(argv)
    authority = generate_authority(seed=args.seed, scale=args.scale)
    for path in write_authority(authority, args.out, xlsx=not args.no_xlsx):
        print(path)
    if args.summary:
        import json

        print(json.dumps(authority_summary(authority), indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
