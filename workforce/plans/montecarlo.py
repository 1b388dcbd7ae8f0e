"""One quarter-by-quarter engine for the plan and for carrying on as now: expected values, and a
Monte Carlo over everything that is uncertain.

A **policy** says how the workforce is renewed:

* the plan: the recruitment plan's appointments (experienced and newly qualified) and planned
  agency cover per unit and quarter (released where a future's own staff cover the need,
  :func:`agency_cover`), and the L&D offers already in the workforce's hazards;
* carrying on as now: case holders starting at the rate and mix the authority's own `hr_history`
  shows (experienced, newly qualified: :mod:`workforce.plans.leaving`), spread over units as
  today's case holders are, and agency covering the remaining gap as it does today: at today's
  coverage of the safe-caseload need (:func:`workforce.plans.recruitment.today_coverage`), so
  caseloads stay as they are, with the plan's cover margin. The plan's coverage rises from
  today's to 1 by the safe-caseload quarter; a shortfall is need left without a worker at the
  policy's own coverage.

Under both, posts that hold no cases stay filled (`Workforce.refilled`): an LA leaver is replaced
like for like and an agency assignment renewed.

Each run of the **Monte Carlo** draws, besides who leaves (each of today's workers by their own
hazards, new starters as binomial counts at the new-hire rate):

* demand: the caseload trend, from its range (`demand.referral_trend_rate` low-high);
* hiring success: the share of appointments who start (`recruitment.hire_success_rate`);
* agency availability: the share of extra cover a short quarter needs that the market supplies
  (`supply.agency_fill_rate`); the rest is a shortfall;
* effect sizes: each L&D programme's cut in voluntary leaving, from its range;
* the new-hire turnover rate, from its range;
* the agency day rates (`costs.agency_day_rate_*_gbp` low-high): one draw a run moves every grade
  together (the same quantile of each grade's range; with the default ranges, x0.715 to x1 of
  each rate, one multiplier), as agency contracts move together. It prices every pound a run
  pays at an agency rate, through one function (:func:`agency_price_scale`): the agency cover
  and today's agency staff outside it. The central run keeps the rates.

A plan is chosen once, before the simulation, at the assumed rates: the recruitment plan, and the
L&D gateway's offers, which it values by the cost of a leaver (an agency premium while the post is
vacant) and by agency cover for the caseload a programme takes away (its backfill,
:mod:`workforce.plans.gateway`). The runs keep those choices and re-price what they cost at their
own rate: the caseload a programme takes away and a leaver's vacancy are case-holding need the
run's agency cover meets, at the run's rate; a leaver's replacement costs recruitment fees and a
starter's ramp-up pay, which no agency rate enters. The gateway's valuations (`capacity_cost_gbp`,
`expected_saving_gbp`, its return) are the choice's own central figures: no run's cost adds them.

Uncertain values are drawn from a triangular distribution over their range, the assumption's
value the most likely. The plan and carrying on as now are simulated in the same futures (the
same draws, and the same random numbers for today's workers), so the saving is paired run by
run. Expected values are the same engine with every draw at its most likely value and every
leaving at its expected fraction. Vectorised over runs with numpy; seeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.plans.costs import AGENCY_GRADES, advert_gbp, agency_grade, clawback_leave_chance, golden_hello_net_gbp
from workforce.plans.leaving import annual_to_quarterly
from workforce.plans.projection import Workforce, stock_frames
from workforce.plans.recruitment import (DIMS, Decisions, RecruitmentInputs, covered_need, new_starter_curves,
                                         unit_index)

PERCENTILES = (10, 50, 90)
SOURCES = {
    "demand": "demand.referral_trend_rate", "success": "recruitment.hire_success_rate",
    "fill": "supply.agency_fill_rate", "new_hire": "supply.new_hire_turnover_rate",
    "agency_rate": "costs.agency_day_rate_<grade>_gbp",
}


@dataclass
class Draws:
    """What each run assumes (runs = 1 with every value at its most likely for expected values)."""

    demand: np.ndarray  # (runs, H) multiplier on expected demand
    success: np.ndarray  # (runs,)
    fill: np.ndarray  # (runs,)
    new_hazard: np.ndarray  # (runs,) quarterly leaving chance of a new starter
    effect: np.ndarray  # (runs, programmes) cut in voluntary leaving
    agency_rate: np.ndarray | None = None  # (runs, grades of AGENCY_GRADES) day rate drawn / assumed; None: 1
    expected: bool = False

    @property
    def runs(self) -> int:
        return len(self.success)


def _triangular(rng: np.random.Generator, span: tuple[float, float] | None, mode: float, runs: int) -> np.ndarray:
    if span is None or span[1] - span[0] <= 1e-12:
        return np.full(runs, float(mode))
    return rng.triangular(span[0], float(np.clip(mode, span[0], span[1])), span[1], size=runs)


def triangular_quantile(u: np.ndarray, span: tuple[float, float] | None, mode: float) -> np.ndarray:
    """The `u` quantiles of the triangular distribution over `span` peaking at `mode` (the inverse
    of its distribution function), so several values can share one draw: the same `u` gives each
    the same place in its own range. A missing or empty span gives the mode."""
    u = np.asarray(u, dtype=float)
    if span is None or span[1] - span[0] <= 1e-12:
        return np.full(u.shape, float(mode))
    low, high = float(span[0]), float(span[1])
    mode = float(np.clip(mode, low, high))
    width = high - low
    cut = (mode - low) / width
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1.0 - u) * width * (high - mode))
    return np.where(u < cut, left, right)


def agency_rate_draws(a, u: np.ndarray) -> np.ndarray:
    """(runs, grades) each grade's agency day rate in a run over its assumed rate: one quantile `u`
    a run shared by every grade (agency contracts move together), from each grade's range."""
    out = np.ones((len(u), len(AGENCY_GRADES)))
    for g, grade in enumerate(AGENCY_GRADES):
        key = f"agency_day_rate_{grade}_gbp"
        value = float(getattr(a.costs, key))
        out[:, g] = triangular_quantile(u, a.range_of("costs", key), value) / max(value, 1e-9)
    return out


def agency_price_scale(d: Draws, wf: Workforce) -> tuple[np.ndarray, np.ndarray]:
    """Each run's agency day rates over the assumed ones, where a run pays them: the one place the
    drawn rate enters a run's cost, so a run prices every agency pound at its own rate.

    Parameters
    ----------
    d : Draws
        The runs' draws (`agency_rate` None: every run at the assumed rates).
    wf : Workforce
        Today's staff (the plan's after the L&D offers): who is agency, in which role.

    Returns
    -------
    cover : ndarray (runs,)
        For the agency case-holding cover, bought at a case holder's day rate (the cover that
        backfills the caseload an L&D programme takes away and a leaver's vacancy included).
    workers : ndarray (runs, workers)
        For each of today's workers' pay: an agency worker's at their own grade's rate (their grade
        as today: career steps are for LA staff), 1 for LA-employed staff, whose pay no agency
        rate enters.
    """
    rate = d.agency_rate if d.agency_rate is not None else np.ones((d.runs, len(AGENCY_GRADES)))
    grade = np.array([AGENCY_GRADES.index(agency_grade(str(r))) for r in wf.workers["role"]], dtype=int)
    return rate[:, AGENCY_GRADES.index("case_holder")], np.where(wf.agency[None, :], rate[:, grade], 1.0)


def draws(inp: RecruitmentInputs, runs: int, rng: np.random.Generator | None) -> Draws:
    """The runs' draws (`rng` None: one run at the most likely values)."""
    a, H = inp.a, inp.horizon
    q = np.arange(1, H + 1) / 4.0
    trend0 = a.demand.referral_trend_rate
    modes = np.array([p.leave_risk_reduction_rate for p in a.programmes])
    if rng is None:
        return Draws(np.ones((1, H)), np.array([a.recruitment.hire_success_rate]), np.array([a.supply.agency_fill_rate]),
                     np.array([inp.hazard]), modes[None, :], expected=True)
    trend = _triangular(rng, a.range_of("demand", "referral_trend_rate"), trend0, runs)
    success = _triangular(rng, a.range_of("recruitment", "hire_success_rate"), a.recruitment.hire_success_rate, runs)
    fill = _triangular(rng, a.range_of("supply", "agency_fill_rate"), a.supply.agency_fill_rate, runs)
    turnover = _triangular(rng, a.range_of("supply", "new_hire_turnover_rate"), a.supply.new_hire_turnover_rate, runs)
    effect = np.column_stack([_triangular(rng, a.range_of(f"programme:{p.name}", "leave_risk_reduction_rate"),
                                          p.leave_risk_reduction_rate, runs) for p in a.programmes]) \
        if a.programmes else np.zeros((runs, 0))
    demand = ((1.0 + trend[:, None]) / (1.0 + trend0)) ** q[None, :]
    # drawn last, so the draws before it are those of a run without the agency range
    agency_rate = agency_rate_draws(a, rng.random(runs))
    return Draws(demand, success, fill, annual_to_quarterly(turnover), effect, agency_rate)


@dataclass
class Policy:
    """How the workforce is renewed (module docstring). `programme` (workers) is the L&D
    programme each worker was offered (-1: none), whose effect the runs draw."""

    name: str
    hires: np.ndarray | None = None  # (units, H) appointments decided
    nq: np.ndarray | None = None  # (units, H) appointments starting
    agency: np.ndarray | None = None  # (units, H) contracted agency cover; None: carrying on's own
    starter_rates: dict[str, float] | None = None  # carrying on: annual, by kind
    gateway_spend: np.ndarray | None = None
    programme: np.ndarray | None = None
    coverage: np.ndarray | None = None  # (units, H, 2) share of the safe-caseload need covered; None: all
    pipeline: np.ndarray | None = None  # (units, lead) experienced appointments made before quarter 1


@dataclass
class Outcome:
    """Per run and quarter (runs x H) unless stated."""

    la_fte: np.ndarray  # LA-employed paid FTE at the quarter's end
    la_start_fte: np.ndarray
    leavers_fte: np.ndarray  # LA-employed leavers in the quarter
    starters_fte: np.ndarray  # LA-employed starters, the refills included
    refilled_fte: np.ndarray  # LA-employed leavers from posts that hold no cases, refilled like for like
    agency_fte: np.ndarray  # paid agency FTE at the end (contracted, bought and non-case-holding)
    case_holder_fte: np.ndarray  # paid FTE of case-holding staff (LA and agency)
    capacity: np.ndarray  # (runs, units, H, 2) case-holder FTE held
    need: np.ndarray  # (runs, units, H, 2) demand (no margin)
    contracted: np.ndarray  # (runs, units, H) agency cover contracted
    bought: np.ndarray  # (runs, units, H) extra agency bought when short
    shortfall: np.ndarray  # (runs, units, H) case-holder FTE of demand left unmet
    cost: np.ndarray
    fees: np.ndarray  # recruitment costs (adverts, golden hellos, ASYE support)
    agency_cost: np.ndarray
    hires_starting: np.ndarray  # (runs, units, H) experienced starters
    nq_starting: np.ndarray  # (runs, units, H)
    la_unit_fte: np.ndarray  # (runs, units, H) LA-employed paid FTE at the quarter's end
    agency_unit_fte: np.ndarray  # (runs, units, H) paid agency FTE at the end (as agency_fte, by unit)
    extra: dict = field(default_factory=dict)


def run(wf: Workforce, inp: RecruitmentInputs, policy: Policy, d: Draws, *, seed: int = 0) -> Outcome:
    """Run a policy through the quarters for every draw.

    Parameters
    ----------
    wf : Workforce
        Today's staff (the plan's after the L&D offers).
    inp : RecruitmentInputs
        Units, demand, cohorts' curves, costs.
    policy : Policy
    d : Draws
    seed : int
        Seeds who leaves (the same seed gives the plan and carrying on the same random numbers
        for today's workers).
    """
    a, H, nu, R = inp.a, inp.horizon, len(inp.units), d.runs
    rng = np.random.default_rng(seed)
    rows = unit_index(wf, inp.units)
    la = ~wf.agency
    tracked = ~(wf.agency & wf.holds[:, 0])  # case-holding agency staff are inside the agency cover
    onehot = np.zeros((len(rows), nu))
    onehot[np.arange(len(rows)), rows] = 1.0
    onehot_la = onehot * la[:, None]
    onehot_other = onehot * (wf.agency & tracked)[:, None]  # agency staff outside the cover, by unit
    cover_rate, worker_rate = agency_price_scale(d, wf)
    pay_scale = worker_rate[:, tracked]
    hire_cap, hire_pay, nq_cap, nq_pay = new_starter_curves(a)
    full_pay = float(inp.hire[1].pay[-1]) if inp.hire else 0.0
    hello = golden_hello_net_gbp(a, clawback_leave_chance(a))
    # one-off costs of an expected starter (adverts for the appointments that fall through too)
    refill_fee = advert_gbp(a) / max(a.recruitment.hire_success_rate, 1e-9)  # a post refilled: no golden hello
    starter_fee = refill_fee + hello
    agency_q = inp.agency_q
    spend = policy.gateway_spend if policy.gateway_spend is not None else np.zeros(H)

    # today's workers: voluntary hazards scaled by each run's programme effect
    effect_scale = np.ones((R, len(rows)))
    if policy.programme is not None and d.effect.shape[1]:
        offered = policy.programme >= 0
        j = policy.programme[offered]
        mode = np.array([p.leave_risk_reduction_rate for p in a.programmes])[j]
        effect_scale[:, offered] = (1.0 - d.effect[:, j]) / np.maximum(1.0 - mode, 1e-9)[None, :]
    voluntary = wf.hazard[:, :, 0]
    other_hazard = wf.hazard[:, :, 1:].sum(axis=2)
    # agency staff outside the cover (managers): renew after their committed term at the observed rate
    agency_end = np.where(wf.agency[:, None] & (np.arange(1, H + 1)[None, :] >= wf.end_q[:, None]),
                          wf.agency_hazard[:, None], 0.0)

    unit_share = inp.base.case_holding_share  # carrying on's starters, spread as today's case holders

    # cohorts: heads alive per run, unit, start quarter and kind (0 experienced, 1 newly qualified)
    heads = np.zeros((R, nu, H, 2))
    cohort_cap = np.zeros((H, H, 2, 2))  # [start, quarter, kind, dim]
    cohort_pay = np.zeros((H, H, 2))
    for s in range(H):
        for kind, (cap_first, pay_first) in enumerate(((hire_cap, hire_pay), (nq_cap, nq_pay))):
            for q in range(s, H):
                k = q - s
                cohort_cap[s, q, kind] = cap_first[k] if k < len(cap_first) else 1.0
                cohort_pay[s, q, kind] = pay_first[k] if k < len(pay_first) else full_pay

    if policy.starter_rates is not None:
        cohort_cap[:, :, 0, :] *= role_for_role_holding(wf)[None, None, :]

    alive = np.ones((R, len(rows)))
    alive[:, ~tracked] = 0.0
    out = {name: np.zeros((R, H)) for name in ("la_fte", "la_start_fte", "leavers_fte", "starters_fte", "refilled_fte",
                                               "agency_fte", "case_holder_fte", "cost", "fees", "agency_cost")}
    capacity = np.zeros((R, nu, H, 2))
    need = np.zeros((R, nu, H, 2))
    contracted = np.zeros((R, nu, H))
    bought = np.zeros((R, nu, H))
    shortfall = np.zeros((R, nu, H))
    hires_starting = np.zeros((R, nu, H))
    nq_starting = np.zeros((R, nu, H))
    la_unit = np.zeros((R, nu, H))
    agency_unit = np.zeros((R, nu, H))
    paid_by_unit = onehot_la * wf.paid_fte[:, None]
    other_by_unit = onehot_other * wf.paid_fte[:, None]
    margin = a.recruitment.cover_margin_rate
    for q in range(H):
        la_start = (alive * la) @ wf.paid_fte + heads.sum(axis=(1, 2, 3))
        out["la_start_fte"][:, q] = la_start
        # -- who leaves among today's workers
        hazard = np.clip(voluntary[None, :, q] * effect_scale + other_hazard[None, :, q] + agency_end[None, :, q], 0, 1)
        before = alive
        if d.expected:
            alive = alive * (1.0 - hazard)
        else:
            alive = alive * (rng.random(alive.shape) >= hazard)
        left = ((before - alive) * la) @ wf.paid_fte
        # posts that hold no cases stay filled: an LA leaver counts and is replaced like for like,
        # an agency assignment that ends is renewed (`Workforce.refilled`)
        refill = wf.refilled[:, q]
        refilled = (before - alive)[:, refill & la] @ wf.paid_fte[refill & la]
        alive[:, refill] = before[:, refill]
        mid = (before + alive) / 2.0
        cost = (mid[:, tracked] * pay_scale) @ wf.cost_q[tracked, q]
        # -- starters this quarter
        fees = refilled * refill_fee
        new_exp = np.zeros((R, nu))
        new_nq = np.zeros((R, nu))
        if policy.starter_rates is not None:  # carrying on as now: case holders at the observed rate
            holders = (before * la * wf.holds[:, q]) @ wf.paid_fte + heads.sum(axis=(1, 2, 3))
            scale = d.success / max(a.recruitment.hire_success_rate, 1e-9)
            for kind, key in ((0, "experienced"), (1, "newly_qualified")):
                mean = policy.starter_rates.get(key, 0.0) / 4.0 * holders[:, None] * unit_share[None, :] * scale[:, None]
                drawn = mean if d.expected else rng.poisson(mean).astype(float)
                (new_exp if kind == 0 else new_nq)[:] = drawn
            fees += new_exp.sum(axis=1) * starter_fee
            fees += new_nq.sum(axis=1) * inp.nq_fee
        else:
            if policy.pipeline is not None and q < policy.pipeline.shape[1]:  # appointed before the plan
                mean = policy.pipeline[None, :, q] * d.success[:, None]
                new_exp = mean if d.expected else rng.poisson(mean).astype(float)
                fees += new_exp.sum(axis=1) * starter_fee
            if policy.hires is not None:
                fees += advert_gbp(a) * policy.hires[:, q].sum()  # adverts when decided
                d_q = q - inp.lead
                if d_q >= 0:
                    appointed = policy.hires[:, d_q]
                    new_exp = appointed[None, :] * d.success[:, None] if d.expected else \
                        rng.binomial(appointed.astype(int)[None, :].repeat(R, 0), d.success[:, None]).astype(float)
                    fees += new_exp.sum(axis=1) * hello
            if policy.nq is not None and policy.nq[:, q].any():
                appointed = policy.nq[:, q]
                new_nq = appointed[None, :] * d.success[:, None] if d.expected else \
                    rng.binomial(appointed.astype(int)[None, :].repeat(R, 0), d.success[:, None]).astype(float)
                fees += policy.nq[:, q].sum() * inp.nq_fee
        heads[:, :, q, 0] += new_exp
        heads[:, :, q, 1] += new_nq
        hires_starting[:, :, q] = new_exp
        nq_starting[:, :, q] = new_nq
        joined = heads.copy()
        if d.expected:
            heads = heads * (1.0 - d.new_hazard[:, None, None, None])
        else:
            heads = heads - rng.binomial(heads.astype(int), d.new_hazard[:, None, None, None])
        gone = (joined - heads).sum(axis=(1, 2, 3))
        cost += (((joined + heads) / 2.0) * cohort_pay[None, None, :, q, :]).sum(axis=(1, 2, 3))
        # -- capacity against demand, agency cover
        held = alive * la
        cap = np.stack([(held * wf.cap[:, q, dim]) @ onehot for dim in DIMS], axis=2)
        cap += (heads.reshape(R * nu, H * 2) @ cohort_cap[:, q, :, :].reshape(H * 2, 2)).reshape(R, nu, 2)
        demand = inp.demand[None, :, q, :] * d.demand[:, q][:, None, None]
        coverage = 1.0 if policy.coverage is None else policy.coverage[None, :, q, :]
        # agency covers the gap at the policy's coverage with the margin: up to the cover planned
        # (carrying on's expected run: all of it), never below assignments already committed
        planned = np.inf if policy.agency is None else policy.agency[None, :, q]
        cover = agency_cover(planned, (covered_need(demand, coverage, margin) - cap).max(axis=2),
                             inp.base.agency_floor[None, :, q])
        short = np.clip(covered_need(demand, coverage, 0.0) - cap - cover[:, :, None], 0.0, None).max(axis=2)
        got = short * d.fill[:, None]
        capacity[:, :, q, :] = cap + (cover + got)[:, :, None]
        need[:, :, q, :] = demand
        contracted[:, :, q] = cover
        bought[:, :, q] = got
        shortfall[:, :, q] = short - got
        agency_unit[:, :, q] = cover + got + alive @ other_by_unit
        agency_paid = agency_unit[:, :, q].sum(axis=1)
        out["agency_cost"][:, q] = (cover.sum(axis=1) + got.sum(axis=1)) * agency_q * cover_rate
        out["cost"][:, q] = cost + fees + out["agency_cost"][:, q] + spend[q]
        out["fees"][:, q] = fees
        la_end = (alive * la) @ wf.paid_fte + heads.sum(axis=(1, 2, 3))
        la_unit[:, :, q] = alive @ paid_by_unit + heads.sum(axis=(2, 3))
        out["la_fte"][:, q] = la_end
        out["leavers_fte"][:, q] = left + gone
        out["starters_fte"][:, q] = new_exp.sum(axis=1) + new_nq.sum(axis=1) + refilled
        out["refilled_fte"][:, q] = refilled
        out["agency_fte"][:, q] = agency_paid
        out["case_holder_fte"][:, q] = ((alive * la * wf.holds[:, q]) @ wf.paid_fte + heads.sum(axis=(1, 2, 3))
                                        + cover.sum(axis=1) + got.sum(axis=1))
    return Outcome(**out, capacity=capacity, need=need, contracted=contracted, bought=bought, shortfall=shortfall,
                   hires_starting=hires_starting, nq_starting=nq_starting, la_unit_fte=la_unit,
                   agency_unit_fte=agency_unit)


def agency_cover(planned: np.ndarray | float, needed: np.ndarray, committed: np.ndarray) -> np.ndarray:
    """The agency cover a unit contracts in a quarter: what its need calls for (``needed``: the
    safe-caseload need at the policy's coverage with the planning margin, less its own staff's
    capacity), at most the cover ``planned`` for it, and never less than the assignments already
    committed (``committed``: today's agency staff on their committed terms).

    Agency assignments run on four weeks' notice [S60], inside a quarter, so a team whose own staff
    already cover its need does not renew agency it planned for, as a team that falls short buys
    more (`Outcome.bought`). Without this a simulated future kept every planned assignment while
    buying more where it fell short, and the median future's agency rate sat well above the central
    projection's, in the plan and in carrying on as now alike."""
    return np.maximum(committed, np.minimum(planned, needed))


# ---- expected values and the Monte Carlo ---------------------------------------------------

#: Shortfall below this many case-holder FTE over the whole service is rounding, not a shortfall.
SHORTFALL_TOLERANCE_FTE = 0.5


def expected(wf: Workforce, inp: RecruitmentInputs, policy: Policy) -> Outcome:
    """The policy with every draw at its most likely value and every leaving at its expected
    fraction (runs = 1)."""
    return run(wf, inp, policy, draws(inp, 1, None))


def role_for_role_holding(wf: Workforce) -> np.ndarray:
    """(2,) what an experienced starter holds when carrying on as now, in case-holder FTE per FTE
    (points, children): what today's experienced LA-employed case holders hold per paid FTE.
    Carrying on replaces case holders role for role (practice supervisors and seniors included),
    so its starters bring the caseload capacity of the staff they replace, not a full case
    holder's each (which would let carrying on drift to safe caseloads it never paid for). Posts
    that hold no cases are refilled like for like in both the plan and carrying on
    (`Workforce.refilled`), outside these starters."""
    experienced = ~wf.agency & ~wf.asye_q[:, 0] & wf.holds[:, 0]
    paid = float(wf.paid_fte[experienced].sum())
    if paid <= 0:
        return np.ones(2)
    return np.clip(wf.cap[experienced, 0, :].sum(axis=0) / paid, 0.0, 1.0)


def carry_on_policy(starter_rates: dict[str, float], inp: RecruitmentInputs | None = None) -> Policy:
    """Carrying on as now: starters at the observed rates, agency covering the gap at today's
    coverage (`inp.coverage_today`; None: the whole safe-caseload need)."""
    coverage = None
    if inp is not None and inp.coverage_today is not None:
        coverage = np.repeat(inp.coverage_today[:, None, :], inp.horizon, axis=1)
    return Policy("carry_on", starter_rates=dict(starter_rates), coverage=coverage)


def plan_policy(dec: Decisions, gateway_spend: np.ndarray | None, programme: np.ndarray | None,
                coverage: np.ndarray | None = None, pipeline: np.ndarray | None = None) -> Policy:
    """The recruitment plan's decisions, its coverage path, the appointments made before it began
    (`pipeline`), and the L&D plan's spend and offers."""
    return Policy("plan", hires=dec.hires, nq=dec.nq, agency=dec.agency, gateway_spend=gateway_spend,
                  programme=programme, coverage=coverage, pipeline=pipeline)


def simulate_pair(wf_plan: Workforce, wf_now: Workforce, inp: RecruitmentInputs, plan: Policy, carry_on: Policy,
                  *, runs: int, seed: int) -> tuple[Outcome, Outcome, Draws]:
    """The plan and carrying on as now in the same `runs` futures. Carrying on plans the agency its
    expected run needs, as the plan does; in each future both release planned agency their own
    staff do not need and buy more where they fall short (`agency_cover`)."""
    d = draws(inp, runs, np.random.default_rng(seed))
    contracted = expected(wf_now, inp, carry_on).contracted[0]
    fixed = Policy(carry_on.name, starter_rates=carry_on.starter_rates, agency=contracted, coverage=carry_on.coverage)
    return (run(wf_plan, inp, plan, d, seed=seed + 1), run(wf_now, inp, fixed, d, seed=seed + 1), d)


def agency_rate(o: Outcome) -> np.ndarray:
    """(runs x H) agency rate at each quarter's end (census definition)."""
    total = o.agency_fte + o.la_fte
    return np.divide(o.agency_fte, total, out=np.zeros_like(total), where=total > 0)


def service_shortfall(o: Outcome) -> np.ndarray:
    """(runs x H) case-holder FTE of demand left without a worker over the whole service."""
    return o.shortfall.sum(axis=1)


def binding_dimension(capacity: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What a unit holds and needs in its binding dimension: of points and children (the last
    axis), the one its capacity covers least. Both figures come from that one dimension, so their
    ratio is the unit's coverage (the smaller capacity over the larger need would mix them: a
    unit covered 103% in points and children read 98%). A unit with no need takes its smaller
    capacity."""
    ratio = np.divide(capacity, need, out=np.full(capacity.shape, np.inf), where=need > 0)
    d = np.where((need > 0).any(axis=-1), ratio.argmin(axis=-1), capacity.argmin(axis=-1))[..., None]
    return np.take_along_axis(capacity, d, axis=-1)[..., 0], np.take_along_axis(need, d, axis=-1)[..., 0]


def service_capacity(o: Outcome) -> np.ndarray:
    """(runs x H) case-holder FTE held, the binding dimension of each unit, summed."""
    return binding_dimension(o.capacity, o.need)[0].sum(axis=1)


def service_need(o: Outcome) -> np.ndarray:
    """(runs x H) case-holder FTE demand needs, the binding dimension of each unit, summed."""
    return binding_dimension(o.capacity, o.need)[1].sum(axis=1)


def service_coverage(o: Outcome) -> np.ndarray:
    """(runs x H) coverage over the whole service: case-holder FTE held over the safe-caseload
    need (1: every child at the safe caseload; above 1, the planning margin)."""
    need = service_need(o)
    return np.divide(service_capacity(o), need, out=np.full_like(need, np.nan), where=need > 0)


def no_hires_capacity(wf: Workforce, inp: RecruitmentInputs) -> np.ndarray:
    """(H,) case-holder FTE today's staff still in post hold with no new hires (agency renewing as
    today), the binding dimension of each unit, summed: the chart's "no new hires" line."""
    s = stock_frames(wf, renew=True)
    held = np.zeros((len(inp.units), inp.horizon, 2))
    np.add.at(held, unit_index(wf, inp.units), s["cap"])
    return held.min(axis=2).sum(axis=0)


def montecarlo_frame(plan: Outcome, carry_on: Outcome, starts: pd.DatetimeIndex,
                     no_hires: np.ndarray | None = None) -> pd.DataFrame:
    """Per quarter: 10th/50th/90th percentiles of demand, capacity, LA-employed FTE, agency rate,
    cost and shortfall with the plan, agency rate and cost carrying on as now, the chance the plan
    falls short, and (`no_hires`) what today's staff would hold with no new hires."""
    H = plan.la_fte.shape[1]
    out = pd.DataFrame({"quarter": np.arange(1, H + 1), "quarter_start_date": starts[:H]})
    if no_hires is not None:
        out["capacity_no_hires_case_holder_fte"] = no_hires
    series = {"need_case_holder_fte": service_need(plan), "capacity_case_holder_fte": service_capacity(plan),
              "permanent_fte": plan.la_fte, "agency_rate": agency_rate(plan), "cost_gbp": plan.cost,
              "shortfall_fte": service_shortfall(plan),
              "carry_on_agency_rate": agency_rate(carry_on), "carry_on_cost_gbp": carry_on.cost}
    for name, values in series.items():
        for p, row in zip(PERCENTILES, np.percentile(values, PERCENTILES, axis=0)):
            out[f"{name}_p{p}"] = row
    out["p_shortfall"] = (service_shortfall(plan) > SHORTFALL_TOLERANCE_FTE).mean(axis=0)
    return out


def _percentiles(stem: str, values: np.ndarray) -> dict[str, float]:
    return {f"{stem}_p{p}": float(v) for p, v in zip(PERCENTILES, np.percentile(values, PERCENTILES))}


def montecarlo_summary(plan: Outcome, carry_on: Outcome, inp: RecruitmentInputs, runs: int, seed: int) -> dict:
    """The runs' headline: percentiles of total cost (plan, carrying on, saving paired run by
    run), of the agency rate at the end, of the shortfall, and the chance of meeting each target.

    Returns
    -------
    dict
        `total_cost_gbp_*`, `baseline_cost_gbp_*`, `saving_gbp_*`, `saving_share_*`,
        `agency_rate_end_*`, `carry_on_agency_rate_end_*`, `shortfall_fte_quarters_*` (p10, p50,
        p90), `p_shortfall_any_quarter`, `p_meet_agency_target`, `p_within_budget` (when a
        budget is set), `montecarlo_runs`, `montecarlo_seed`.
    """
    a = inp.a
    total = plan.cost.sum(axis=1)
    base = carry_on.cost.sum(axis=1)
    saving = base - total
    rate, rate_now = agency_rate(plan), agency_rate(carry_on)
    short = service_shortfall(plan)
    first = a.recruitment.agency_target_quarter - 1
    out = {
        "montecarlo_runs": runs,
        "montecarlo_seed": seed,
        "p_shortfall_any_quarter": float((short > SHORTFALL_TOLERANCE_FTE).any(axis=1).mean()),
        "p_meet_agency_target": float((rate[:, first:] <= a.recruitment.agency_share_target + 1e-9).all(axis=1).mean()),
        **_percentiles("total_cost_gbp", total),
        **_percentiles("baseline_cost_gbp", base),
        **_percentiles("saving_gbp", saving),
        **_percentiles("saving_share", np.divide(saving, base, out=np.zeros_like(saving), where=base > 0)),
        **_percentiles("agency_rate_end", rate[:, -1]),
        **_percentiles("carry_on_agency_rate_end", rate_now[:, -1]),
        **_percentiles("shortfall_fte_quarters", short.sum(axis=1)),
    }
    if a.recruitment.budget_gbp > 0:
        out["p_within_budget"] = float((total <= a.recruitment.budget_gbp).mean())
    return out
