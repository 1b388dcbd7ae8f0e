"""The workforce over six annual 30 September snapshots: who is in post, who leaves and why, and
how posts are refilled.

Posts are the funded establishment (:mod:`workforce.demo.organisation`), grouped by team and role.
At each snapshot every worker in post gets a true probability of leaving within 12 months from
the leaving process (:mod:`workforce.demo.leaving`); leavers are drawn with exactly those
probabilities (systematic sampling keeps each year's count within one of its expectation).
Through the year the authority recruits permanent staff (experienced, or newly qualified into
case-holder posts) into its vacancies and brings in agency staff, most to cover vacancies and
some over establishment in the teams under most pressure. How many it manages each year follows
the profile's vacancy and agency levels, so each census day sits near them, as the published
figures of a real authority do year after year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from workforce.caseload import CaseloadRules, worker_caps
from workforce.demo.leaving import calibrate_intercept, draw_reason, leaving_probabilities, systematic_sample
from workforce.demo.organisation import (
    Team,
    build_children,
    build_teams,
    choice,
    service_units,
    size_establishment,
)
from workforce.demo.parameters import SKILL_TAGS, DemoParameters
from workforce.measures import WORKING_DAYS_PER_YEAR

TEAM_SKILL = {"disabled_children": "disability", "children_in_care": "cla"}


@dataclass
class Worker:
    team: str
    locality: str
    team_type: str
    role: str
    agency: bool
    extra: bool  # agency over establishment
    nq: bool  # started newly qualified: in the ASYE year for the first 12 months
    fte: float
    start: pd.Timestamp
    age_at_start: float
    gender: str
    ethnicity: str
    disability: str
    skills: tuple[str, ...]
    sick_propensity: float
    satisfaction_own: float  # individual part of the latent satisfaction-and-commitment score
    burnout_own: float  # lasting part of the latent burnout score
    tolerance: float  # how far above the caps a manager lets this worker's load go
    asye_protected: bool
    worker_id: str = ""
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


def age_band(age: float) -> str:
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


class WorkerFactory:
    """Creates workers with consistent attributes, in a fixed order (IDs follow it)."""

    def __init__(self, params: DemoParameters, rng: np.random.Generator) -> None:
        self.params = params
        self.rng = rng
        self.workers: list[Worker] = []

    def _skills(self, role: str, nq: bool, team_type: str) -> tuple[str, ...]:
        rates = self.params.skill_p.get(role, {})
        tags = []
        for tag in SKILL_TAGS:
            p = rates.get(tag, 0.0)
            if nq:
                p = 0.0 if tag in ("cp", "court") else p * 0.5
            if self.rng.random() < p or (TEAM_SKILL.get(team_type) == tag and role in rates):
                tags.append(tag)
        return tuple(tags)

    def _newly_qualified_age(self) -> float:
        """Age on qualifying: from 22, most in their twenties, some much later."""
        return 22.0 + min(28.0, float(self.rng.exponential(5.0)))

    def qualify_newly(self, worker: Worker, start: pd.Timestamp) -> None:
        """Make an experienced starter not yet in post a newly qualified one starting at `start`:
        an NQ's age and skills (no cp or court, half the rest), as :meth:`make` gives them."""
        worker.nq, worker.start = True, start
        worker.age_at_start = self._newly_qualified_age()
        worker.skills = self._skills(worker.role, True, worker.team_type)

    def make(self, team: Team, role: str, kind: str, start: pd.Timestamp, *, fte: float | None = None,
             age_at_start: float | None = None, extra: bool = False) -> Worker:
        """kind: 'agency', 'nq' (newly qualified, ASYE year) or 'permanent' (experienced)."""
        p, rng = self.params, self.rng
        if age_at_start is None:
            if kind == "nq":
                age_at_start = self._newly_qualified_age()
            else:
                minimum = 25.0 if role in ("case_holder", "qualified_no_cases") else 28.0
                age_at_start = _age_in_band(rng, choice(rng, p.starter_age_band_p), minimum=minimum)
        if fte is None:
            fte = 1.0 if (kind == "agency" or role not in ("case_holder", "senior_practitioner", "advanced_practitioner",
                                                           "qualified_no_cases")) else float(choice(rng, p.fte_p))
        gender = "female" if rng.random() < p.female_share else ("male" if rng.random() < 0.97 else "not_known")
        worker = Worker(
            team=team.name, locality=team.locality, team_type=team.team_type, role=role, agency=kind == "agency",
            extra=extra, nq=kind == "nq", fte=fte, start=start, age_at_start=age_at_start, gender=gender,
            ethnicity=str(choice(rng, p.ethnicity_p)), disability=str(choice(rng, p.disability_p)),
            skills=self._skills(role, kind == "nq", team.team_type),
            sick_propensity=float(np.exp(rng.normal(0.0, 0.6))),
            satisfaction_own=float(rng.normal()), burnout_own=float(rng.normal()),
            tolerance=float(p.load_tolerance * np.exp(rng.normal(0.0, p.load_tolerance_sd))),
            asye_protected=bool(rng.random() < p.asye_protected_share),
        )
        self.workers.append(worker)
        return worker

    def initial(self, team: Team, role: str, when: pd.Timestamp, *, fte: float, agency: bool, extra: bool = False) -> Worker:
        """A worker already in post at the first snapshot, with a tenure drawn to fit the brief."""
        p, rng = self.params, self.rng
        if agency:
            kind, tenure = "agency", float(rng.exponential(p.agency_tenure_mean_years))
            age = _age_in_band(rng, choice(rng, p.age_band_p), minimum=25.0)
        elif role == "case_holder" and rng.random() < p.asye_share:
            kind, tenure = "nq", float(rng.uniform(0.0, 1.0))
            age = self._newly_qualified_age() + tenure
        else:
            kind, tenure = "permanent", float(rng.exponential(p.permanent_tenure_mean_years))
            age = _age_in_band(rng, choice(rng, p.age_band_p), minimum=25.0 if role == "case_holder" else 28.0)
            if tenure < 1.0 and role == "case_holder" and rng.random() < 0.3:
                tenure += 1.0  # newly qualified a while ago, past the ASYE year
        tenure = min(tenure, max(0.05, age - 22.5))
        start = (when - pd.Timedelta(days=int(tenure * 365.25))).normalize()
        return self.make(team, role, kind, start, fte=1.0 if agency else fte, age_at_start=age - tenure, extra=extra)


def _share_out(needs: dict, draw, rng: np.random.Generator) -> list[tuple]:
    """Whole people for fractional needs: groups in random order, each taking people (of the FTE
    `draw(group)` gives) while it is short by at least half of one, and passing what it is left
    short (or over) on to the next, so the total stays within half a post of the sum of needs."""
    out = []
    balance = 0.0
    keys = [g for g, n in needs.items() if n > 1e-9]
    for i in rng.permutation(len(keys)):
        group = keys[int(i)]
        need = needs[group] + balance
        while True:
            fte = draw(group)
            if need < fte / 2:
                break
            out.append((group, fte))
            need -= fte
        balance = need
    return out


class Simulation:
    """The authority's history; `run_history()` fills `rows` (hr_history) and `truth`."""

    def __init__(self, params: DemoParameters, scale: float, seed: int) -> None:
        self.p = params
        self.rules = CaseloadRules()
        self.rng = np.random.default_rng(seed)
        self.as_of = pd.Timestamp(params.as_of).normalize()
        self.snapshots = [pd.Timestamp(self.as_of - pd.DateOffset(years=k)).normalize()
                          for k in range(params.history_years - 1, -1, -1)]
        self.teams = build_teams(params, scale, self.rng)
        self.children = build_children(params, scale, self.teams, self.rng)
        size_establishment(self.teams, self.children, params, self.rng)
        self.teams += service_units(params, scale, self.rng)
        self.team_by_name = {t.name: t for t in self.teams}
        self.factory = WorkerFactory(params, self.rng)
        self.rows: list[dict] = []
        self.truth: list[dict] = []
        n = len(self.snapshots)
        # the profile's levels today; earlier years wobble around them
        noise = lambda: np.append(np.exp(self.rng.normal(0.0, params.level_noise, size=n - 1)), 1.0)  # noqa: E731
        self.vacancy = np.clip(params.vacancy_rate * noise(), 0.0, 0.8)
        self.agency = np.clip(params.agency_rate * noise(), 0.0, 0.8)
        self.absence = params.absence_rate * noise()
        # [k]: the year ending at snapshot k, the one ending today at the profile's published figure
        # or mid-range; [n]: the year after today
        self.turnover = self.rng.uniform(*params.turnover_range, size=n + 1)
        today = params.turnover_today
        self.turnover[n - 1] = float(np.mean(params.turnover_range)) if today is None else float(today)
        # funded FTE by (team, role)
        self.groups: dict[tuple[str, str], float] = {}
        for t in self.teams:
            for role, fte in t.funded().items():
                self.groups[(t.name, role)] = fte
        weight = params.vacancy_role_weight
        total = sum(self.groups.values())
        mean_w = sum(fte * weight.get(r, 1.0) for (_, r), fte in self.groups.items()) / total
        self.role_weight = {r: weight.get(r, 1.0) / mean_w for (_, r) in self.groups}
        if params.inpost_history:
            self.vacancy = self.follow_inpost_history()
        # team demand in children today, walked back in time for the history
        final = self.children.groupby("team").size()
        self.points_per_child = self.children.groupby("team")["points"].mean()
        for team in self.teams:
            steps = self.rng.normal(0.0, 0.05, size=n - 1)
            walk = np.exp(np.concatenate([np.cumsum(steps[::-1])[::-1], [0.0]]))
            team.demand_walk = list(float(final.get(team.name, 0)) * walk)

    # ------------------------------------------------------------------ staffing levels

    def _role_vacancy(self, role: str, level: float) -> float:
        """A role's vacancy when the authority's level is `level`: its weighted share of it, at
        most 0.9 (one rule for the posts filled, the hiring and the level sought)."""
        return float(min(0.9, level * self.role_weight.get(role, 1.0)))

    def _vacancy_of(self, role: str, k: int) -> float:
        return self._role_vacancy(role, self.vacancy[k])

    def la_target(self, k: int) -> float:
        """LA-employed FTE the authority aims to have in post at snapshot k."""
        return self._la_fte_at(self.vacancy[k])

    def _la_fte_at(self, level: float) -> float:
        """LA-employed FTE in post when the vacancy level is `level` (each role's vacancy its
        `_role_vacancy`)."""
        return sum((1.0 - self._role_vacancy(role, level)) * fte for (_, role), fte in self.groups.items())

    def follow_inpost_history(self) -> np.ndarray:
        """The vacancy level of each year before today set so LA-employed FTE in post follows
        the profile's published history (`inpost_history`, census year -> FTE in post) as a share
        of today's: a real authority's starters of a year are its growth as well as its leavers'
        replacements. A year without a figure keeps the share of the last year before it with one
        (the first, before any) and its usual wobble; today keeps the profile's vacancy level.

        Raises
        ------
        ValueError
            A history without today's census year, which the shares are of.
        """
        history, today = self.p.inpost_history, self.as_of.year
        if today not in history:
            raise ValueError(f"inpost_history has no figure for {today}, the census year of today "
                             f"({self.as_of.date()})")
        levels = self.vacancy.copy()
        now = self._la_fte_at(levels[-1])
        for k, when in enumerate(self.snapshots[:-1]):
            known = [y for y in history if y <= when.year]
            year = max(known) if known else min(history)
            wobble = 1.0 if year == when.year else self._la_fte_at(levels[k]) / now
            levels[k] = self._level_for(history[year] / history[today] * now * wobble)
        return levels

    def _level_for(self, fte: float) -> float:
        """The vacancy level (within the 0-0.8 the levels are held to) at which LA-employed FTE in
        post is `fte`: bisection, as FTE in post falls as the level rises."""
        low, high = 0.0, 0.8
        for _ in range(60):
            mid = (low + high) / 2
            low, high = (mid, high) if self._la_fte_at(mid) > fte else (low, mid)
        return (low + high) / 2

    def in_post(self, when: pd.Timestamp) -> list[Worker]:
        return [w for w in self.factory.workers if w.in_post(when)]

    def _group_fte(self, workers: Sequence[Worker], *, agency: bool, extra: bool | None = None) -> dict:
        out: dict[tuple[str, str], float] = {}
        for w in workers:
            if w.agency == agency and (extra is None or w.extra == extra):
                out[(w.team, w.role)] = out.get((w.team, w.role), 0.0) + w.fte
        return out

    def _starts(self, when: pd.Timestamp, until: pd.Timestamp, lag: tuple[float, float]) -> pd.Timestamp:
        days = max(1, (until - when).days)
        offset = int(np.clip(self.rng.uniform(*lag), 1, days))
        return (when + pd.Timedelta(days=offset)).normalize()

    def _hire(self, when: pd.Timestamp, nxt: pd.Timestamp, k: int, staying: list[Worker]) -> list[Worker]:
        """Permanent starters in the year up to snapshot k (at `nxt`) so LA FTE in post there
        meets the year's vacancy level; newly qualified starters into case-holder posts keep the
        ASYE share of the case-holder posts filled so far (the year's agency starters come after).
        Returns the starters."""
        p, rng = self.p, self.rng
        la = self._group_fte(staying, agency=False)
        # posts come whole, so some groups sit above their level: the year's hires make up the
        # authority's total shortfall, shared among the groups below theirs, vacancies no agency
        # worker covers first
        deficit = {g: max(0.0, (1.0 - self._vacancy_of(g[1], k)) * funded - la.get(g, 0.0))
                   for g, funded in self.groups.items()}
        covered = self._group_fte(staying, agency=True, extra=False)
        open_gap = {g: max(0.0, d - covered.get(g, 0.0)) for g, d in deficit.items()}
        short = max(0.0, self.la_target(k) - sum(la.values()))
        first = min(short, sum(open_gap.values()))
        f_open = first / sum(open_gap.values()) if first > 0 else 0.0
        rest = sum(deficit.values()) - sum(open_gap.values())
        f_rest = min(1.0, (short - first) / rest) if rest > 0 else 0.0
        needs = {g: open_gap[g] * f_open + (gap - open_gap[g]) * f_rest for g, gap in deficit.items()}

        def fte_of(group: tuple[str, str]) -> float:
            part_time = group[1] in ("case_holder", "senior_practitioner", "advanced_practitioner", "qualified_no_cases")
            return float(choice(rng, p.fte_p)) if part_time else 1.0

        hires = [(self.team_by_name[team], role, fte) for (team, role), fte in _share_out(needs, fte_of, rng)]
        holders = [i for i, (_, role, _) in enumerate(hires) if role == "case_holder"]
        ch_next = sum(1 for w in staying if w.role == "case_holder") + len(holders)
        asye_next = sum(1 for w in staying if w.is_asye(nxt))
        n_nq = int(np.clip(round(p.asye_share * ch_next) - asye_next, 0, len(holders)))
        nq = set(rng.choice(holders, size=n_nq, replace=False).tolist()) if n_nq else set()
        made = []
        for i, (team, role, fte) in enumerate(hires):
            kind = "nq" if i in nq else "permanent"
            start = self._starts(when, nxt, p.nq_cohort_days if kind == "nq" else p.hire_lag_days)
            made.append(self.factory.make(team, role, kind, start, fte=fte))
        return made

    def _asye_share_with_agency(self, when: pd.Timestamp, nxt: pd.Timestamp, starters: list[Worker]) -> None:
        """More of the year's experienced starters into case-holder posts made newly qualified, so
        ASYEs hold `asye_share` of the case-holder posts in post at `nxt` with the year's agency
        starters counted (`asye_share_counts_agency`): the brief's share of ASYEs is of the whole
        workforce in those posts, agency staff included (brief s1 [S22]). At most every such
        starter: an ASYE on the census day is one of the year's starters."""
        holders = [w for w in self.factory.workers if w.role == "case_holder" and w.in_post(nxt)]
        short = int(round(self.p.asye_share * len(holders))) - sum(w.is_asye(nxt) for w in holders)
        experienced = [w for w in starters if w.role == "case_holder" and not w.nq]
        n = min(max(0, short), len(experienced))
        chosen = self.rng.choice(len(experienced), size=n, replace=False).tolist() if n else []
        for i in sorted(chosen):
            self.factory.qualify_newly(experienced[i], self._starts(when, nxt, self.p.nq_cohort_days))

    def _agency(self, when: pd.Timestamp, nxt: pd.Timestamp, k: int, staying: list[Worker], *, initial: bool = False) -> None:
        """Agency staff in post at snapshot k: covering vacancies in the posts agencies fill, and
        over establishment in the case-holding teams funded furthest below their demand."""
        p, rng = self.p, self.rng
        la = self._group_fte(staying, agency=False)
        la_total = sum(la.values())
        target = self.agency[k] / (1.0 - self.agency[k]) * la_total
        vac = {g: max(0.0, funded - la.get(g, 0.0)) for g, funded in self.groups.items() if g[1] in p.agency_roles}
        vac_total = sum(vac.values())
        cover = min(target * p.agency_cover_share, vac_total)
        covering = self._group_fte(staying, agency=True, extra=False)
        ratio = cover / vac_total if vac_total > 0 else 0.0
        gaps = {g: max(0.0, ratio * v - covering.get(g, 0.0)) for g, v in vac.items()}
        for (team, role), _ in _share_out(gaps, lambda g: 1.0, rng):
            self._agency_worker(self.team_by_name[team], role, when, nxt, initial, extra=False)
        extras_now = sum(w.fte for w in staying if w.agency and w.extra)
        case_teams = [t for t in self.teams if t.case_holding]
        weight = np.array([(1.0 / t.funding) ** 4 * sum(f for r, f in t.funded().items() if r != "team_manager")
                           for t in case_teams])
        for _ in range(int(round(max(0.0, target - cover - extras_now)))):
            team = case_teams[int(rng.choice(len(case_teams), p=weight / weight.sum()))]
            self._agency_worker(team, "case_holder", when, nxt, initial, extra=True)

    def _agency_worker(self, team: Team, role: str, when: pd.Timestamp, nxt: pd.Timestamp, initial: bool, extra: bool) -> None:
        if initial:
            self.factory.initial(team, role, when, fte=1.0, agency=True, extra=extra)
        else:
            self.factory.make(team, role, "agency", self._starts(when, nxt, (1, 365)), extra=extra)

    def staff_initial(self) -> None:
        """The workforce at the first snapshot: each funded post filled by an LA employee at the
        year's vacancy level, then agency staff."""
        first = self.snapshots[0]
        for team in self.teams:
            for post in team.posts:
                if self.rng.random() >= self._vacancy_of(post.role, 0):
                    self.factory.initial(team, post.role, first, fte=post.fte, agency=False)
        self._agency(first, first, 0, self.in_post(first), initial=True)

    # ------------------------------------------------------------------ features

    def caps(self, workers: Sequence[Worker], when: pd.Timestamp) -> pd.DataFrame:
        """Each worker's caps from the capacity model (whether or not available today)."""
        frame = pd.DataFrame({"role": [w.role for w in workers], "fte": [w.fte for w in workers],
                              "asye": [w.is_asye(when) for w in workers]})
        return worker_caps(frame, availability=False)

    def synthetic_loads(self, workers: list[Worker], when: pd.Timestamp, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Historic caseloads: each team's children shared by capacity at the safe standard times
        the worker's tolerance; points from the team's points per child."""
        caps = self.caps(workers, when)
        share = caps["soft_children"].to_numpy(float) * np.array([w.tolerance for w in workers])
        children = np.zeros(len(workers))
        points = np.zeros(len(workers))
        teams = np.array([w.team for w in workers])
        for team in self.teams:
            mask = teams == team.name
            total = share[mask].sum()
            if total > 0:
                children[mask] = team.demand_walk[k] * np.exp(self.rng.normal(0.0, 0.03)) * share[mask] / total
                ppc = float(self.points_per_child.get(team.name, 0.0))
                points[mask] = children[mask] * ppc * np.exp(self.rng.normal(0.0, 0.08, size=int(mask.sum())))
        return np.round(children).astype(int), points

    def sickness(self, workers: list[Worker], burnout: np.ndarray, k: int, fixed: np.ndarray | None = None) -> np.ndarray:
        """Sickness days in the last 12 months: personal propensity and burnout, zero for about a
        third; LA-employed staff's days add up to the year's absence level (census definition,
        `workforce.measures.absence_rate`). `fixed` (NaN where free) holds days already known."""
        p, rng = self.p, self.rng
        n = len(workers)
        sick = np.array([w.sick_propensity for w in workers]) * np.exp(0.4 * burnout)
        fte = np.array([w.fte for w in workers])
        zero = rng.random(n) < p.sickness_zero_share / np.sqrt(sick)
        days = np.where(zero, 0.0, rng.gamma(0.8, 1.0 / 0.8, size=n) * sick * fte)
        fixed = np.full(n, np.nan) if fixed is None else fixed
        la = ~np.array([w.agency for w in workers])
        free = la & np.isnan(fixed)
        target = self.absence[k] * WORKING_DAYS_PER_YEAR * fte[la].sum() - np.nansum(fixed[la])
        scale = max(0.0, target) / days[free].sum() if days[free].sum() > 0 else 0.0
        agency_scale = scale if scale > 0 else 1.0
        days = np.where(la, days * scale, days * agency_scale)
        days = np.where(np.isnan(fixed), days, fixed)
        return np.round(np.minimum(days, 250.0) * 2) / 2

    def supervision(self, workers: list[Worker], when: pd.Timestamp) -> np.ndarray:
        p = self.p
        base = np.array([self.team_by_name[w.team].supervision for w in workers]) + p.supervision_standard_hours_3m
        base += np.array([p.asye_extra_supervision if w.is_asye(when) else 0.0 for w in workers])
        base -= np.array([0.5 if w.agency else 0.0 for w in workers])
        base -= np.array([1.0 if w.role in ("team_manager", "service_manager", "senior_manager") else 0.0 for w in workers])
        hours = base + self.rng.normal(0.0, 1.3, size=len(workers))
        return np.round(np.clip(hours, 0.0, 15.0) * 2) / 2

    def features(self, workers: list[Worker], when: pd.Timestamp, k: int, children: np.ndarray, points: np.ndarray,
                 reallocations: np.ndarray, fixed_sickness: np.ndarray | None = None) -> pd.DataFrame:
        """Everything the leaving process reads, and the hr_history columns, at snapshot k."""
        caps = self.caps(workers, when)
        soft = caps["soft_children"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            pressure = np.where(soft > 0, np.maximum(0.0, children / np.where(soft > 0, soft, 1.0) - 1.0), 0.0)
        rho = self.p.team_culture_share
        satisfaction = np.array([np.sqrt(rho) * self.team_by_name[w.team].culture + np.sqrt(1 - rho) * w.satisfaction_own
                                 for w in workers])
        burnout = 0.8 * np.array([w.burnout_own for w in workers]) + 0.6 * self.rng.normal(size=len(workers))
        f = pd.DataFrame({
            "worker": workers,
            "tenure_years": [w.tenure(when) for w in workers],
            "age": [w.age(when) for w in workers],
            "caseload_pressure": pressure,
            "agency": [w.agency for w in workers],
            "asye": [w.is_asye(when) for w in workers],
            "role": [w.role for w in workers],
            "fte": [w.fte for w in workers],
            "capacity_points": np.round(caps["capacity_points"].to_numpy(float), 2),
            "caseload_points": np.round(points, 1),
            "cases_held": children.astype(int),
            "reallocations_12m": reallocations,
            "satisfaction": satisfaction,
            "burnout": burnout,
        })
        f["sickness_days_12m"] = self.sickness(workers, burnout, k, fixed_sickness)
        f["supervision_hours_3m"] = self.supervision(workers, when)
        return f

    def _historic_reallocations(self, workers: list[Worker], when: pd.Timestamp, cases: np.ndarray, prev_rate: dict) -> np.ndarray:
        """Cases received by reallocation: new starters inherit most of theirs; others a share
        that grows with last year's leavers in the team."""
        rate = np.array([0.7 if w.tenure(when) < 1 else 0.08 + prev_rate.get(w.team, 0.15) for w in workers])
        return self.rng.poisson(cases * np.clip(rate, 0, 1)).clip(0, cases)

    # ------------------------------------------------------------------ the years

    def probabilities(self, f: pd.DataFrame, k_next: int) -> pd.DataFrame:
        """True chances of leaving within 12 months, the voluntary level set so LA-employed FTE
        leavers over the FTE in post at the next census meet that year's turnover."""
        level = self.la_target(min(k_next, len(self.snapshots) - 1))
        intercept = calibrate_intercept(f, self.p, float(self.turnover[k_next]) * level)
        return leaving_probabilities(f, self.p, intercept)

    def record(self, when: pd.Timestamp, f: pd.DataFrame, probs: pd.DataFrame) -> None:
        cols = {c: f[c].to_numpy() for c in ("worker", "asye", "cases_held", "caseload_points", "capacity_points",
                                              "sickness_days_12m", "supervision_hours_3m", "reallocations_12m", "age")}
        pr = {c: probs[c].to_numpy(float) for c in probs.columns}
        for i, w in enumerate(cols["worker"]):
            self.rows.append({
                "snapshot_date": when, "w": w, "team": w.team, "locality": w.locality, "role": w.role,
                "asye": bool(cols["asye"][i]), "agency": w.agency, "fte": w.fte, "start_date": w.start,
                "cases_held": int(cols["cases_held"][i]), "caseload_points": float(cols["caseload_points"][i]),
                "capacity_points": float(cols["capacity_points"][i]),
                "sickness_days_12m": float(cols["sickness_days_12m"][i]),
                "supervision_hours_3m": float(cols["supervision_hours_3m"][i]),
                "reallocations_12m": int(cols["reallocations_12m"][i]), "age_band": age_band(float(cols["age"][i])),
            })
            self.truth.append({"snapshot_date": when, "w": w, **{c: float(v[i]) for c, v in pr.items()}})

    def _leave(self, w: Worker, probs: pd.Series, when: pd.Timestamp, nxt: pd.Timestamp) -> None:
        p, rng = self.p, self.rng
        days = (nxt - when).days
        if w.is_asye(when):
            # at the end of the ASYE year or soon after, within the year ahead
            offset = int(np.clip((w.start + pd.Timedelta(days=365 + int(rng.uniform(0, 60))) - when).days, 1, days - 1))
        else:
            offset = int(rng.integers(1, days))
        w.leave_date = when + pd.Timedelta(days=offset)
        w.leave_reason = draw_reason(probs, w.agency, p, rng)
        if w.agency:
            w.destination = int(choice(rng, p.agency_destination_p))
        elif w.leave_reason == 1:
            w.destination = int(choice(rng, p.resign_destination_p))
        elif w.leave_reason in (2, 3, 5):
            w.destination = 6
        elif w.leave_reason == 7:
            w.destination = 4
        elif w.leave_reason == 9:
            w.destination = 8
        else:
            w.destination = 7

    def run_history(self) -> None:
        """Snapshots before today: features, true probabilities, leavers, then the year's
        permanent and agency starters."""
        self.staff_initial()
        prev_rate: dict[str, float] = {}
        for k, when in enumerate(self.snapshots[:-1]):
            nxt = self.snapshots[k + 1]
            workers = self.in_post(when)
            children, points = self.synthetic_loads(workers, when, k)
            realloc = self._historic_reallocations(workers, when, children, prev_rate)
            f = self.features(workers, when, k, children, points, realloc)
            probs = self.probabilities(f, k + 1)
            self.record(when, f, probs)
            # LA leavers and agency ends drawn apart, so each count stays within one of its expectation
            gone = np.zeros(len(workers), dtype=bool)
            agency = f["agency"].to_numpy(bool)
            for part in (~agency, agency):
                gone[part] = systematic_sample(probs["p_leave"].to_numpy()[part], self.rng)
            for i in np.flatnonzero(gone):
                self._leave(workers[i], probs.iloc[i], when, nxt)
            staying = [w for w, leaves in zip(workers, gone) if not leaves]
            starters = self._hire(when, nxt, k + 1, staying)
            self._agency(when, nxt, k + 1, [w for w in self.factory.workers if w.in_post(nxt)])
            if self.p.asye_share_counts_agency:
                self._asye_share_with_agency(when, nxt, starters)
            counts = pd.Series([w.team for w in workers]).value_counts()
            left = pd.Series([w.team for w, g in zip(workers, gone) if g], dtype=object).value_counts()
            prev_rate = {team: float(left.get(team, 0) / n) for team, n in counts.items()}
