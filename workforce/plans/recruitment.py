"""The recruitment plan: permanent hires, newly qualified intake and agency cover per quarter.

A multi-period integer programme per unit (team or locality) and quarter, at least total cost:

* permanent hires (integer appointments of experienced case holders, 1.0 FTE) decided in quarter
  d start in d + lead time; a share `recruitment.hire_success_rate` of them start; each costs the
  advert when decided and, for those who start, the golden hello net of expected clawback; they
  are below full productivity for their first quarters and leave at the new-hire turnover rate;
* newly qualified intake (integer) starts only in cohort quarters (e.g. September), up to the
  places per cohort, holding the ASYE caps in the first year;
* agency FTE (continuous, experienced case holders at the case holder's day rate) is available
  at once, and never below the agency contracts already signed.

Capacity and demand are counted in two dimensions, points and children, in case-holder FTE
(:mod:`workforce.plans.projection`). Constraints (one function each): capacity covers demand plus
a planning margin, times the plan's coverage (below), in both dimensions in every unit and quarter; hires per quarter within the
recruitment team's capacity and within what the market has supplied comparable authorities
(:mod:`workforce.plans.feasibility`); newly qualified places; the agency rate never below the pace
comparable authorities achieved, and at or below the target from the target quarter (the target
is lifted to that pace where the two clash, and the summary says so); total cost within the
budget when one is set. When the hard problem has no solution the status says `infeasible` and
an elastic version (agency target and budget may be missed, at a heavy penalty) gives the
closest plan: the status is then the elastic model's own, `relaxed` is true and the plan's summary
says which target was missed and why.

**Coverage** is how much of the safe-caseload need capacity and agency cover: today's is what
today's staff and agency in post hold over the need (at most 1; most authorities run above the safe
caseload, below 1). Carrying on as now keeps today's coverage; the plan rises from it to 1 by
`recruitment.safe_caseload_quarter`, or later when the market cannot supply the staff that fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.mip import SolveReport, solve
from workforce.plans.assumptions import Assumptions
from workforce.plans.costs import (advert_gbp, agency_cost_per_fte_year, clawback_leave_chance, golden_hello_net_gbp,
                                   lead_time_quarters, nq_fee_gbp, permanent_cost_per_fte_year, ramp_quarters)
from workforce.plans.feasibility import Feasibility
from workforce.plans.leaving import annual_to_quarterly
from workforce.plans.projection import CHILDREN, POINTS, Workforce, demand_units, holding_units, stock_frames

PENALTY_PER_FTE = 1e7  # elastic fallback only: missing the agency target by one FTE-quarter
PENALTY_PER_GBP = 100.0  # elastic fallback only: each pound over budget
# Stop once the plan's recruitment and agency spend is proven within 0.3% of the cheapest
# possible (on a Sandwell-sized authority about £20k over three years, under 0.1% of total
# workforce spend): the cost figures are estimates far looser than that. The status then says
# `feasible` with the gap, never `optimal`.
RECRUITMENT_GAP = 3e-3
DIMS = (POINTS, CHILDREN)


@dataclass
class UnitBase:
    """Today's staff per unit (rows) and quarter (columns): LA-employed stocks in paid FTE and
    capacity in case-holder FTE; agency contracts already signed."""

    units: list[str]
    perm_start: np.ndarray
    perm_leavers: np.ndarray
    perm_end: np.ndarray
    perm_cap: np.ndarray  # (units, H, 2)
    perm_cost: np.ndarray
    agency_floor: np.ndarray  # case-holding agency FTE under contract
    agency_other: np.ndarray  # agency staff who hold no cases (managers), paid FTE
    agency_other_cost: np.ndarray
    agency_start_rate: float  # today's agency rate (census definition)
    la_fte_today: float
    la_case_holding: np.ndarray  # (units,) LA-employed FTE in case-holding roles today
    holders_today: np.ndarray  # (units,) FTE in case-holding roles today, LA-employed and agency
    asye_fte: np.ndarray  # (units, H) today's LA-employed ASYEs still in their ASYE year at each quarter's end

    @property
    def case_holding_share(self) -> np.ndarray:
        """(units,) each unit's share of today's LA-employed case holders: how new case holders
        are spread (posts that hold no cases are refilled like for like, `Workforce.refilled`);
        even shares where there are none."""
        total = float(self.la_case_holding.sum())
        n = len(self.la_case_holding)
        return self.la_case_holding / total if total > 0 else np.full(n, 1.0 / max(n, 1))


def unit_index(wf: Workforce, units: list[str]) -> np.ndarray:
    index = {u: i for i, u in enumerate(units)}
    return np.array([index[u] for u in wf.unit], dtype=int)


def by_unit(matrix: np.ndarray, rows: np.ndarray, mask: np.ndarray, n_units: int) -> np.ndarray:
    """Sum a (workers x quarters [x k]) matrix by unit over the workers in `mask`."""
    out = np.zeros((n_units,) + matrix.shape[1:])
    np.add.at(out, rows[mask], matrix[mask])
    return out


def unit_base(wf: Workforce, units: list[str]) -> UnitBase:
    """Sum today's staff's expected stocks by unit (agency: committed terms only; posts that hold
    no cases kept filled, `Workforce.refilled`)."""
    s = stock_frames(wf, renew=False, refill=True)
    renewing = stock_frames(wf, renew=True, refill=True)
    rows, nu = unit_index(wf, units), len(units)
    la = ~wf.agency
    holds_now = wf.holds[:, 0]
    chair = wf.agency & holds_now
    other = wf.agency & ~holds_now
    cost = s["paid"] * wf.cost_q
    agency_now = float(wf.paid_fte[wf.agency].sum())
    la_now = float(wf.paid_fte[la].sum())
    return UnitBase(
        units=units,
        perm_start=by_unit(s["start"], rows, la, nu),
        perm_leavers=by_unit(s["leavers"], rows, la, nu),
        perm_end=by_unit(s["end"], rows, la, nu),
        perm_cap=by_unit(s["cap"], rows, la, nu),
        perm_cost=by_unit(cost, rows, la, nu),
        agency_floor=by_unit(s["end"], rows, chair, nu),
        agency_other=by_unit(renewing["end"], rows, other, nu),
        agency_other_cost=by_unit(renewing["paid"] * wf.cost_q, rows, other, nu),
        agency_start_rate=agency_now / (agency_now + la_now) if agency_now + la_now > 0 else 0.0,
        la_fte_today=la_now,
        la_case_holding=by_unit(wf.paid_fte[:, None], rows, la & holds_now, nu)[:, 0],
        holders_today=by_unit(wf.paid_fte[:, None], rows, holds_now, nu)[:, 0],
        asye_fte=by_unit(wf.asye_q * wf.paid_fte[:, None], rows, la, nu),
    )


@dataclass
class Cohort:
    """One appointment starting at the beginning of quarter `start`, expected: in post at the
    end of each quarter, at its start, capacity held (H x 2, case-holder FTE) and pay."""

    start: int
    end: np.ndarray
    start_stock: np.ndarray
    cap: np.ndarray
    payroll: np.ndarray
    pay: np.ndarray  # cost per quarter of one in post


def hire_cohort(start: int, horizon: int, hazard: float, cap_first: np.ndarray, cost_first: np.ndarray,
                cost_after: float, success: float = 1.0) -> Cohort:
    """One appointment starting at the beginning of quarter `start` (1-based), of whom `success`
    start: expected stock, capacity (both dimensions) and payroll in each quarter;
    `cap_first` (k x 2) / `cost_first` apply to their first k quarters."""
    q = np.arange(1, horizon + 1)
    k = q - start  # quarters completed before this one
    on = k >= 0
    end = np.where(on, (1.0 - hazard) ** (k + 1), 0.0) * success
    begin = np.where(k > 0, (1.0 - hazard) ** np.maximum(k, 0), 0.0) * success
    cap = np.ones((horizon, 2))
    cost = np.full(horizon, cost_after)
    for i, (c, pay) in enumerate(zip(cap_first, cost_first)):
        cap = np.where((k == i)[:, None], c[None, :], cap)
        cost = np.where(k == i, pay, cost)
    mid = (np.where(on, np.where(k == 0, success, begin), 0.0) + end) / 2.0
    return Cohort(start, end, begin, end[:, None] * cap, mid * cost, np.where(on, cost, 0.0))


@dataclass
class RecruitmentInputs:
    """Everything the programme needs, in arrays."""

    a: Assumptions
    units: list[str]
    horizon: int
    lead: int
    demand: np.ndarray  # (units, H, 2) case-holder FTE, grossed up for absence
    base: UnitBase
    cohorts: list[int]
    feasibility: Feasibility
    hire: dict[int, Cohort] = field(default_factory=dict)  # by start quarter
    nq: dict[int, Cohort] = field(default_factory=dict)
    gateway_spend: np.ndarray | None = None
    agency_target: np.ndarray | None = None  # target agency rate per quarter (NaN: none)
    coverage_today: np.ndarray | None = None  # (units, 2) today's coverage (carrying on keeps it)
    coverage: np.ndarray | None = None  # (units, H, 2) the plan's coverage path
    safe_quarter: int = 0  # quarter the plan reaches coverage 1 (horizon + 1 and beyond: not within the plan)
    observed: dict[str, float] = field(default_factory=dict)  # the authority's own starter rates a year, by kind
    pipeline: np.ndarray | None = None  # (units, lead) experienced appointments made before quarter 1
    # (units,) funded FTE per unit when the establishment is given by team; None when the plan does
    # not know the posts (no establishment, or one authority total): `appointments_fill_vacancies`
    establishment: np.ndarray | None = None

    @property
    def own(self) -> tuple[float, float]:
        """:func:`own_appointments` of this authority (experienced a quarter, newly qualified a cohort)."""
        return own_appointments(self.a, self.observed, float(self.base.la_case_holding.sum()))

    @property
    def hazard(self) -> float:
        return float(annual_to_quarterly(self.a.supply.new_hire_turnover_rate))

    @property
    def hire_fee(self) -> float:
        """Per appointment: the advert; per starter: the golden hello net of clawback."""
        a = self.a
        return advert_gbp(a) + a.recruitment.hire_success_rate * golden_hello_net_gbp(a, clawback_leave_chance(a))

    @property
    def nq_fee(self) -> float:
        return nq_fee_gbp(self.a)

    @property
    def agency_q(self) -> float:
        return agency_cost_per_fte_year(self.a) / 4.0


def pipeline_appointments(inp: RecruitmentInputs) -> np.ndarray:
    """(units, lead) experienced appointments already made when the plan starts, starting in the
    quarters before the plan's own first hires can (the lead time): the authority's own
    experienced starter rate (`observed`) of today's LA-employed case holders, spread as they are
    (posts that hold no cases are refilled like for like: `Workforce.refilled`). Carrying on as
    now has these starters too, so neither side gets a head start from the lead time."""
    rate = float(inp.observed.get("experienced", 0.0))
    held = float(inp.base.la_case_holding.sum())
    per_quarter = rate / 4.0 * held * inp.base.case_holding_share / max(inp.a.recruitment.hire_success_rate, 1e-9)
    lead = min(inp.lead, inp.horizon)
    return np.repeat(per_quarter[:, None], lead, axis=1)


def committed_stocks(inp: RecruitmentInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the plan starts with before it decides anything: today's LA-employed staff
    (`inp.base`) plus the appointments already made (`inp.pipeline`), per unit and quarter: in
    post at the quarter's end (units, H), capacity held (units, H, 2) and pay (units, H)."""
    end, cap, cost = inp.base.perm_end.copy(), inp.base.perm_cap.copy(), inp.base.perm_cost.copy()
    pipeline = inp.pipeline if inp.pipeline is not None else np.zeros((len(inp.units), 0))
    for q in range(pipeline.shape[1]):
        c = inp.hire[q + 1]
        end += pipeline[:, q, None] * c.end[None, :]
        cap += pipeline[:, q, None, None] * c.cap[None, :, :]
        cost += pipeline[:, q, None] * c.payroll[None, :]
    return end, cap, cost


def unit_demand(demand: pd.DataFrame, units_col: str, units: list[str], horizon: int, a: Assumptions) -> np.ndarray:
    """Demand per unit, quarter and dimension in case-holder FTE, grossed up for absence."""
    values = demand_units(demand, a)
    out = np.zeros((len(units), horizon, 2))
    index = {u: i for i, u in enumerate(units)}
    for (u, q), v in zip(zip(demand[units_col].astype(str), demand["quarter"].astype(int)), values):
        if u in index:
            out[index[u], q - 1] += v
    return out


def cohort_quarters(starts: pd.DatetimeIndex, months: tuple[int, ...]) -> list[int]:
    """Quarters (1-based) in which a newly qualified cohort starts: those containing the 1st of
    a cohort month."""
    out = []
    for q in range(len(starts) - 1):
        first, nxt = starts[q], starts[q + 1]
        for year in (first.year, first.year + 1):
            for m in months:
                day = pd.Timestamp(year=year, month=m, day=1)
                if first <= day < nxt and q + 1 not in out:
                    out.append(q + 1)
    return sorted(out)


def new_starter_curves(a: Assumptions) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Capacity (k x 2) and pay per quarter of an experienced hire in their ramp quarters and of a
    newly qualified starter in their ASYE quarters, from the capacity model and the costs."""
    one = pd.DataFrame({"role": ["case_holder"], "fte": [1.0], "asye": [True]})
    asye_cap = holding_units(one, a.caseload)[0]
    ramp = ramp_quarters(a)
    asye_quarters = int(np.ceil(a.supply.asye_months / 3.0))
    hire_cap = np.full((ramp, 2), 1.0 - a.costs.productivity_loss_rate)
    nq_cap = np.tile(asye_cap, (asye_quarters, 1))
    full = permanent_cost_per_fte_year(a, "case_holder") / 4.0
    return hire_cap, np.full(ramp, full), nq_cap, np.full(asye_quarters, permanent_cost_per_fte_year(a, "case_holder", True) / 4.0)


def recruitment_inputs(a: Assumptions, wf: Workforce, need: pd.DataFrame, feasibility: Feasibility,
                       gateway_spend: np.ndarray | None = None, now: Workforce | None = None,
                       observed: dict[str, float] | None = None) -> RecruitmentInputs:
    """The programme's arrays from today's workforce (after the L&D plan) and the demand frame
    (`quarter`, the unit column, `demand_points`, `demand_children`); today's coverage from `now`,
    the staff before the L&D plan (default `wf`); `observed`, the authority's own starter rates a
    year by kind (:class:`workforce.plans.leaving.LeavingRates` `starter_rates`), the least the
    plan may recruit."""
    horizon = wf.horizon
    col = a.recruitment.unit
    units = sorted(set(wf.unit) | {str(u) for u in need[col].unique() if str(u)})
    base = unit_base(wf, units)
    inp = RecruitmentInputs(a, units, horizon, lead_time_quarters(a), unit_demand(need, col, units, horizon, a), base,
                            cohort_quarters(wf.starts, a.recruitment.nq_cohort_months), feasibility,
                            gateway_spend=gateway_spend, observed=dict(observed or {}))
    hire_cap, hire_pay, nq_cap, nq_pay = new_starter_curves(a)
    full = permanent_cost_per_fte_year(a, "case_holder") / 4.0
    success = a.recruitment.hire_success_rate
    for s in range(1, horizon + 1):
        inp.hire[s] = hire_cohort(s, horizon, inp.hazard, hire_cap, hire_pay, full, success)
    for c in inp.cohorts:
        inp.nq[c] = hire_cohort(c, horizon, inp.hazard, nq_cap, nq_pay, full, success)
    inp.pipeline = pipeline_appointments(inp)
    inp.agency_target = agency_targets(a, feasibility, horizon)
    first = inp.demand[:, 0, :]
    inp.coverage_today = today_coverage(today_capacity(now or wf, units), first, a.recruitment.cover_margin_rate)
    inp.safe_quarter = safe_caseload_quarter(a, feasibility, inp.coverage_today, first, inp.lead, inp.own[0])
    inp.coverage = coverage_path(inp.coverage_today, inp.safe_quarter, horizon)
    return inp


# ---- coverage: how much of the safe-caseload need is covered --------------------------------


def today_capacity(wf: Workforce, units: list[str]) -> np.ndarray:
    """(units, 2) case-holder FTE today's staff hold at the safe standard, LA-employed and agency
    in post (points, children; nobody has left yet, long leave holds nothing)."""
    out = np.zeros((len(units), 2))
    np.add.at(out, unit_index(wf, units), wf.cap[:, 0, :])
    return out


def today_coverage(capacity: np.ndarray, need: np.ndarray, margin_rate: float) -> np.ndarray:
    """Coverage today, per unit and dimension: what today's staff and agency in post hold over
    what the children of the plan's first quarter need at the safe caseload with the planning
    margin, at most 1. Below 1 the unit runs above the safe caseload today, as most authorities
    do; carrying on as now keeps it there (the same caseloads), the plan brings it to 1.

    Parameters
    ----------
    capacity : ndarray (units, 2)
        :func:`today_capacity`.
    need : ndarray (units, 2)
        Demand in case-holder FTE in the first quarter (grossed up for absence).
    margin_rate : float
        `recruitment.cover_margin_rate`.

    Returns
    -------
    ndarray (units, 2)
        In (0, 1]; 1 where there is no need.
    """
    planned = need * (1.0 + margin_rate)
    ratio = np.divide(capacity, planned, out=np.ones_like(planned), where=planned > 1e-9)
    return np.clip(ratio, 0.0, 1.0)


def market_hires_per_quarter(a: Assumptions, feasibility: Feasibility, own: float = 0.0) -> float:
    """Most experienced appointments a quarter: the recruitment team's capacity, within what the
    market has supplied comparable authorities (:mod:`workforce.plans.feasibility`), and never
    fewer than `own`, the appointments a quarter the authority already makes (its `hr_history`):
    a plan may not recruit more slowly than carrying on as now does."""
    bound = float(a.recruitment.hiring_capacity_per_quarter)
    if feasibility.max_hires_per_quarter is not None:
        bound = min(bound, float(np.floor(feasibility.max_hires_per_quarter + 1e-9)))
    return max(bound, float(np.floor(own + 1e-9)))


def own_appointments(a: Assumptions, observed: dict[str, float], la_fte: float) -> tuple[float, float]:
    """What the authority already recruits, from its own starter rates a year (carrying on's):
    experienced appointments a quarter (starters over the hire success rate) and newly qualified
    starters per cohort."""
    success = max(a.recruitment.hire_success_rate, 1e-9)
    experienced = observed.get("experienced", 0.0) * la_fte / 4.0 / success
    cohorts = max(len(a.recruitment.nq_cohort_months), 1)
    return experienced, observed.get("newly_qualified", 0.0) * la_fte / cohorts / success


def safe_caseload_quarter(a: Assumptions, feasibility: Feasibility, coverage: np.ndarray, need: np.ndarray,
                          lead: int, own: float = 0.0) -> int:
    """The quarter the plan reaches the safe caseload: `recruitment.safe_caseload_quarter`, or
    later when the market could not supply the added staff by then even if every experienced
    appointment it allows went to closing today's coverage gap (the first starters arrive after
    the lead time). Leavers are replaced alike in the plan and carrying on, so only the gap is
    counted.

    Returns
    -------
    int
        1 or more (may lie beyond the horizon: the plan is then still on its way at the end).
    """
    gap = float((need * (1.0 + a.recruitment.cover_margin_rate) * (1.0 - coverage)).max(axis=1).sum())
    wanted = int(a.recruitment.safe_caseload_quarter)
    if gap <= 1e-9:
        return wanted
    starters = market_hires_per_quarter(a, feasibility, own) * a.recruitment.hire_success_rate
    if starters <= 0:
        return 10**6  # the market supplies nobody: the gap is never closed by hires
    return max(wanted, lead + int(np.ceil(gap / starters - 1e-9)))


def coverage_path(today: np.ndarray, reach: int, horizon: int) -> np.ndarray:
    """(units, H, 2) the plan's coverage in each quarter: from today's, evenly up to 1 at quarter
    `reach` and 1 after it."""
    progress = np.minimum(1.0, np.arange(1, horizon + 1) / max(reach, 1))
    return today[:, None, :] + (1.0 - today[:, None, :]) * progress[None, :, None]


def covered_need(demand: np.ndarray, coverage: np.ndarray | float, margin_rate: float) -> np.ndarray:
    """What capacity and agency cover must hold: the safe-caseload need with the planning margin,
    times the coverage (the plan's and carrying on's one rule)."""
    return demand * (1.0 + margin_rate) * coverage


def agency_targets(a: Assumptions, feasibility: Feasibility, horizon: int) -> np.ndarray:
    """The agency rate the plan must reach in each quarter (NaN before the target quarter): the
    target, lifted to the feasibility floor where the floor is higher (no plan may fall faster
    than comparable authorities did)."""
    out = np.full(horizon, np.nan)
    first = a.recruitment.agency_target_quarter - 1
    out[first:] = a.recruitment.agency_share_target
    if feasibility.agency_floor is not None:
        out[first:] = np.maximum(out[first:], feasibility.agency_floor[first:])
    return out


# ---- the integer programme ----------------------------------------------------------------


@dataclass
class Decisions:
    hires: np.ndarray  # (units, H) appointments decided in each quarter
    nq: np.ndarray  # (units, H) appointments starting in each quarter (cohort quarters only)
    agency: np.ndarray  # (units, H) agency FTE (case holders)


def cover_demand(inp: RecruitmentInputs, capacity, agency) -> list:
    """Every unit holds its children and their points each quarter at the plan's coverage of the
    safe standard (today's, rising to 1 by the safe-caseload quarter): children need a worker, the
    margin absorbs chance leavers between plan reviews, and caseloads come down as fast as staff
    can be found, not in one quarter of agency."""
    coverage = 1.0 if inp.coverage is None else inp.coverage
    need = covered_need(inp.demand, coverage, inp.a.recruitment.cover_margin_rate)
    return [(capacity[u][q][d] + agency[u][q] >= float(need[u, q, d]), f"cover_{u}_{q}_{d}")
            for u in range(len(inp.units)) for q in range(inp.horizon) for d in DIMS]


def hiring_capacity(inp: RecruitmentInputs, hires) -> list:
    """Recruitment teams can run only so many campaigns and interviews a quarter, and the market
    has supplied comparable authorities only so many experienced social workers."""
    import pulp

    bound = market_hires_per_quarter(inp.a, inp.feasibility, inp.own[0])
    out = []
    for d in range(inp.horizon):
        vs = [hires[u][d] for u in range(len(inp.units)) if hires[u][d] is not None]
        if vs:
            out.append((pulp.lpSum(vs) <= bound, f"hiring_cap_{d}"))
    return out


def nq_places(inp: RecruitmentInputs, nq) -> list:
    """Each newly qualified cohort has a limited number of ASYE places (supervision, assessors),
    never fewer than the authority already takes."""
    import pulp

    places = max(float(inp.a.recruitment.nq_places_per_cohort), float(np.floor(inp.own[1] + 1e-9)))
    return [(pulp.lpSum(nq[u][c - 1] for u in range(len(inp.units))) <= places, f"nq_places_{c}") for c in inp.cohorts]


def asye_room(holders: np.ndarray, in_year: np.ndarray, share: float) -> np.ndarray:
    """Newly qualified appointments a unit can still take: `share` of its case holders
    (``holders``, FTE), at least one, less those already in their ASYE year (``in_year``), never
    below none."""
    cap = np.maximum(1.0, np.floor(share * np.asarray(holders, dtype=float) + 1e-9))
    return np.clip(cap - np.asarray(in_year, dtype=float), 0.0, None)


def asye_mix(inp: RecruitmentInputs, nq) -> list:
    """A unit takes newly qualified social workers only while those in their ASYE year stay
    within `recruitment.asye_share_max` of its case holders (`asye_room`): ASYEs co-work child
    protection and court work and are supervised weekly at first, so each needs experienced
    colleagues and a supervisor's time. Today's ASYEs still in their year count against it, and
    so do earlier cohorts of the plan whose year has not ended."""
    import pulp

    span = int(np.ceil(inp.a.supply.asye_months / 3.0))
    out = []
    for c in inp.cohorts:
        room = asye_room(inp.base.holders_today, inp.base.asye_fte[:, c - 1], inp.a.recruitment.asye_share_max)
        overlapping = [k for k in inp.cohorts if k <= c < k + span]
        for u in range(len(inp.units)):
            vs = [nq[u][k - 1] for k in overlapping if nq[u][k - 1] is not None]
            if vs:
                out.append((pulp.lpSum(vs) <= float(room[u]), f"asye_mix_{u}_{c}"))
    return out


def team_agency_steps(target: float, step: float) -> list[float]:
    """The agency shares at which a unit's agency is charged once more: the target, then every
    `step` above it, below 1 (a share of 1 has no permanent staff to weigh against)."""
    out, r = [], min(max(float(target), 0.0), 0.99)
    while r < 1.0 - 1e-9:
        out.append(r)
        r += max(float(step), 1e-3)
    return out


def team_agency_excess(inp: RecruitmentInputs, prob, perm_stock, agency) -> tuple[list, object]:
    """Objective term: agency FTE each unit holds above the agency target's share of its own
    staff (agency / (agency + LA-employed) at most the target), charged once more above each
    further `recruitment.team_agency_step` of share (:func:`team_agency_steps`), from the quarter
    the plan's first hires start, at `recruitment.team_agency_weight` of an agency FTE-quarter's
    cost a step. The costs alone are the same whichever team a hire joins, so without it the
    programme may fill one team past its need for agency elsewhere while another is left mostly
    agency; agency-heavy teams change children's workers more. It is charged at each year's end
    and the plan's last quarter (the census counts and the plan is reviewed then; charging every
    quarter gave the same spread at several times the solve time). The steps make the charge convex
    in the unit's share: a hire saves more the more agency-reliant its team, so hires go to the
    teams most reliant on agency even when every team is above the target (one linear charge
    above the target saves the same whichever team a hire joins then, and cannot choose).
    Returns the rows defining the excess and the term."""
    import pulp

    weight = inp.a.recruitment.team_agency_weight * inp.agency_q
    if weight <= 0:
        return [], 0.0
    rows, excess = [], []
    holding = holds_cases(inp)
    charged = [q for q in range(min(inp.lead, inp.horizon), inp.horizon) if (q + 1) % 4 == 0 or q == inp.horizon - 1]
    for j, r in enumerate(team_agency_steps(inp.a.recruitment.agency_share_target, inp.a.recruitment.team_agency_step)):
        k = r / (1.0 - r)  # agency <= r (agency + LA) <=> agency <= k LA
        for u in np.flatnonzero(holding):  # no appointment changes the agency of a unit that holds no cases
            for q in charged:
                x = prob.add_variable(f"team_agency_excess_{j}_{u}_{q}", 0)
                paid = agency[u][q] + float(inp.base.agency_other[u, q])
                rows.append((x - paid + k * perm_stock[u][q] >= 0, f"team_agency_excess_{j}_{u}_{q}"))
                excess.append(x)
    return rows, weight * pulp.lpSum(excess)


def holds_cases(inp: RecruitmentInputs) -> np.ndarray:
    """(units,) whether a unit holds children in some quarter of the plan (MASH, independent
    reviewing, edge of care and the like hold none: the plan recruits no case holders there)."""
    return inp.demand.max(axis=(1, 2)) > 0


def appointments_fill_vacancies(inp: RecruitmentInputs, prob, perm_stock, held: np.ndarray) -> tuple[list, object]:
    """An appointment fills a funded post: a unit's LA-employed staff above its funded
    establishment (`inp.establishment`), or above the staff it has today (or appointed before
    the plan) where those are more, so leavers are always replaced, costs an agency FTE-quarter
    on top of its pay. A hire into a team already at establishment is an appointment to a post
    that does not exist while another team's vacancies stay covered by agency; at that price the
    plan never goes above the posts to save agency, only by the fraction of an FTE whole
    appointments force (a post of 0.8 FTE free takes one appointment) or to reach a target it
    must. Need beyond the funded posts is covered by agency, and the Summary says how many FTE
    that is ('Staff beyond the funded establishment'): more posts are a funding decision, made by
    raising the establishment the plan reads. A soft ceiling, not a hard one: the hard ceiling
    made the programme a packing problem of whole appointments into fractional rooms, and the
    Sandwell profile's stronger-levers scenario stopped at its time limit 5-6% from its bound.
    Without an establishment by team the plan does not know the posts and the rule is off.
    `held` is the committed stock (units, H). Returns the rows and the objective term."""
    import pulp

    if inp.establishment is None:
        return [], 0.0
    est = np.asarray(inp.establishment, dtype=float)
    today = inp.base.perm_start[:, 0]
    rows, above = [], []
    for q in range(min(inp.lead, inp.horizon), inp.horizon):
        for u in range(len(inp.units)):
            x = prob.add_variable(f"above_establishment_{u}_{q}", 0)
            ceiling = max(float(est[u]), float(today[u]), float(held[u, q]))
            rows.append((perm_stock[u][q] - x <= ceiling, f"establishment_{u}_{q}"))
            above.append(x)
    return rows, inp.agency_q * pulp.lpSum(above)


def _agency_paid(inp: RecruitmentInputs, agency, q: int):
    import pulp

    return pulp.lpSum(agency[u][q] for u in range(len(inp.units))) + float(inp.base.agency_other[:, q].sum())


def agency_rate_target(inp: RecruitmentInputs, perm_stock, agency, slack=None) -> list:
    """From the target quarter the agency rate (agency / (agency + LA-employed FTE)) is at or
    below target: agency staff cost more and leave children with more changes of worker."""
    import pulp

    out = []
    for q in range(inp.horizon):
        t = inp.agency_target[q] if inp.agency_target is not None else np.nan
        if not np.isfinite(t):
            continue
        p_sum = pulp.lpSum(perm_stock[u][q] for u in range(len(inp.units)))
        lhs = (1.0 - t) * _agency_paid(inp, agency, q) - t * p_sum
        if slack is not None:
            lhs = lhs - slack[q]
        out.append((lhs <= 0, f"agency_target_{q}"))
    return out


def agency_pace(inp: RecruitmentInputs, perm_stock, agency) -> list:
    """The agency rate never falls faster than the best share of comparable authorities managed:
    agency staff are replaced only as fast as the market has let others recruit permanent staff."""
    import pulp

    floor = inp.feasibility.agency_floor
    if floor is None:
        return []
    out = []
    for q in range(inp.horizon):
        r = float(min(floor[q], inp.base.agency_start_rate))
        if r <= 0:
            continue
        p_sum = pulp.lpSum(perm_stock[u][q] for u in range(len(inp.units)))
        out.append(((1.0 - r) * _agency_paid(inp, agency, q) - r * p_sum >= 0, f"agency_pace_{q}"))
    return out


def within_budget(inp: RecruitmentInputs, total_cost, slack=None) -> list:
    """Total workforce spend over the horizon stays within the budget, when one is set."""
    budget = inp.a.recruitment.budget_gbp
    if budget <= 0:
        return []
    lhs = total_cost if slack is None else total_cost - slack
    return [(lhs <= budget, "budget")]


def horizon_share(inp: RecruitmentInputs, cohort: Cohort) -> float:
    """The share of a starter's expected stay that falls inside the plan: the quarters they are
    expected to serve in it over their whole expected stay (1 / the new-hire quarterly leaving
    hazard)."""
    stay = 1.0 / max(inp.hazard, 1e-9)
    first = float(cohort.end.max(initial=0.0))
    served = float(cohort.end.sum() / first) if first > 0 else 0.0
    return float(min(1.0, served / stay))


def appointment_cost(inp: RecruitmentInputs, cohort: Cohort, fee: float) -> float:
    """What the plan's choice charges one appointment: its pay inside the plan, less the part of
    its investment (the one-off fee, and the pay of the quarters a starter holds less than a full
    caseload: an experienced hire's first quarters, an ASYE's first year) that buys service after
    the plan's last quarter, in proportion to :func:`horizon_share`.

    A recruit serves beyond the plan's last quarter. Charging the whole investment to the plan
    would make it stop recruiting near its end and buy agency instead, an artefact of where the
    horizon stops rather than a choice a service would make. The costs the plan reports stay
    what is paid and when."""
    share = horizon_share(inp, cohort)
    held = np.divide(cohort.cap.min(axis=1), cohort.end, out=np.ones_like(cohort.end), where=cohort.end > 0)
    ramp = float((cohort.payroll * (1.0 - np.clip(held, 0.0, 1.0))).sum())
    return fee * share + float(cohort.payroll.sum()) - ramp * (1.0 - share)


def _build(inp: RecruitmentInputs, elastic: bool):
    import pulp

    nu, H = len(inp.units), inp.horizon
    prob = pulp.LpProblem("recruitment", pulp.LpMinimize)
    slots = appointment_slots(inp)
    hires: list[list] = [[None] * H for _ in range(nu)]
    nq: list[list] = [[None] * H for _ in range(nu)]
    for kind, table in (("hire", hires), ("nq", nq)):  # every unit's hires, then every unit's intakes
        for u in range(nu):
            for _, k, _ in (slot for slot in slots if slot[0] == kind):
                table[u][k] = prob.add_variable(f"{kind[0]}_{u}_{k}", 0, None, cat=pulp.LpInteger)
    agency = [[prob.add_variable(f"a_{u}_{q}", float(inp.base.agency_floor[u, q])) for q in range(H)]
              for u in range(nu)]
    capacity, perm_stock = [], []
    cost_terms = []
    held_end, held_cap, held_cost = committed_stocks(inp)
    for u in range(nu):
        cap_u, stock_u = [], []
        for q in range(H):
            cap = [{}, {}]
            stock = {}
            for v, c in _appointments(slots, hires, nq, u):
                if c.end[q]:
                    stock[v] = c.end[q]
                    for d in DIMS:
                        cap[d][v] = c.cap[q, d]
            cap_u.append([pulp.LpAffineExpression(cap[d], constant=float(held_cap[u, q, d])) for d in DIMS])
            stock_u.append(pulp.LpAffineExpression(stock, constant=float(held_end[u, q])))
        capacity.append(cap_u)
        perm_stock.append(stock_u)
        for kind, k, c in slots:
            fee = inp.hire_fee if kind == "hire" else inp.nq_fee
            cost_terms.append(((hires if kind == "hire" else nq)[u][k], appointment_cost(inp, c, fee)))
        for q in range(H):
            cost_terms.append((agency[u][q], inp.agency_q))
    constant = float(held_cost.sum() + inp.base.agency_other_cost.sum())
    constant += float(0 if inp.gateway_spend is None else inp.gateway_spend.sum())
    variable_cost = pulp.LpAffineExpression(cost_terms)
    total_cost = variable_cost + constant
    share_slack = [prob.add_variable(f"share_slack_{q}", 0) for q in range(H)] if elastic else None
    budget_slack = prob.add_variable("budget_slack", 0) if elastic else None
    spread_rows, spread = team_agency_excess(inp, prob, perm_stock, agency)
    post_rows, above_posts = appointments_fill_vacancies(inp, prob, perm_stock, held_end)
    objective = variable_cost + spread + above_posts
    if elastic:
        objective = objective + PENALTY_PER_FTE * pulp.lpSum(share_slack) + PENALTY_PER_GBP * budget_slack
    prob += objective, "total_cost"
    for rule in (cover_demand(inp, capacity, agency), hiring_capacity(inp, hires), nq_places(inp, nq), asye_mix(inp, nq),
                 agency_rate_target(inp, perm_stock, agency, share_slack), agency_pace(inp, perm_stock, agency),
                 within_budget(inp, total_cost, budget_slack), spread_rows, post_rows):
        for constraint, name in rule:
            prob += constraint, name
    return prob, hires, nq, agency


def appointment_slots(inp: RecruitmentInputs) -> list[tuple[str, int, Cohort]]:
    """Every appointment the programme may make, once for every unit, as (kind, quarter index,
    cohort): an experienced hire decided in quarter d (0-based) starts after the lead time, in
    quarter d + 1 + lead, so only decisions whose start falls within the horizon exist; a newly
    qualified intake exists in each cohort quarter. The one place that says which appointments
    there are and which cohort each follows: the model (`_build`), its costs and the stocks of a
    plan (`planned_stocks`) all read it."""
    hires = [("hire", d, inp.hire[d + 1 + inp.lead]) for d in range(inp.horizon) if d + inp.lead < inp.horizon]
    return hires + [("nq", cq - 1, inp.nq[cq]) for cq in inp.cohorts]


def _appointments(slots: list[tuple[str, int, Cohort]], hires, nq, u: int):
    """(appointments, cohort) for every slot of unit u: `hires` and `nq` are indexed [u][k], by
    model variables or by numbers of appointments."""
    for kind, k, c in slots:
        yield (hires if kind == "hire" else nq)[u][k], c


def solve_recruitment(inp: RecruitmentInputs) -> tuple[Decisions, SolveReport, bool]:
    """Solve; if the hard problem is infeasible, return the elastic plan with relaxed=True."""
    prob, hires, nq, agency = _build(inp, elastic=False)
    report = solve(prob, sense="min", time_limit=inp.a.recruitment.time_limit_seconds, gap_rel=RECRUITMENT_GAP)
    relaxed = False
    if report.status == "infeasible":
        prob, hires, nq, agency = _build(inp, elastic=True)
        relaxed_report = solve(prob, sense="min", time_limit=inp.a.recruitment.time_limit_seconds,
                               gap_rel=RECRUITMENT_GAP)
        relaxed = relaxed_report.has_solution
        # the status is the elastic model's own (optimal only when proven); `relaxed` says the
        # targets were out of reach and the summary says which were missed
        report = SolveReport(relaxed_report.status if relaxed else "infeasible", relaxed_report.objective,
                             relaxed_report.bound, relaxed_report.gap, report.seconds + relaxed_report.seconds,
                             "the agency target or budget cannot be met within the market-feasibility bounds; "
                             f"elastic plan (misses them at a heavy penalty per FTE and pound): {relaxed_report.status}",
                             limit=relaxed_report.limit)
        if not relaxed:
            return _empty(inp), report, False
    elif report.status not in ("optimal", "feasible"):
        return _empty(inp), report, False
    nu, H = len(inp.units), inp.horizon

    def val(v) -> float:
        return 0.0 if v is None else float(v.varValue or 0.0)

    dec = Decisions(
        hires=np.array([[round(val(hires[u][d])) for d in range(H)] for u in range(nu)], dtype=float),
        nq=np.array([[round(val(nq[u][q])) for q in range(H)] for u in range(nu)], dtype=float),
        agency=np.array([[max(val(agency[u][q]), inp.base.agency_floor[u, q]) for q in range(H)] for u in range(nu)]),
    )
    return dec, report, relaxed


# ---- what binds in the plan shown --------------------------------------------------------------

#: A rate within this of its bound is at the bound (the programme stops within its gap, and a
#: rate is reported to a tenth of a point).
AT_BOUND_RATE = 5e-4


def planned_stocks(inp: RecruitmentInputs, dec: Decisions) -> tuple[np.ndarray, np.ndarray]:
    """(units, H) LA-employed FTE at each quarter's end and (units, H, 2) capacity held, as the
    programme counts them for the decisions `dec` (today's staff, the pipeline, the plan's
    appointments)."""
    end, cap, _ = committed_stocks(inp)
    slots = appointment_slots(inp)
    for u in range(len(inp.units)):
        for n, c in _appointments(slots, dec.hires, dec.nq, u):
            end[u] += n * c.end
            cap[u] += n * c.cap
    return end, cap


def quarters_at_cap(per_quarter: np.ndarray, bound: float) -> list[int]:
    """Quarters (1-based) whose appointments reach their cap `bound` (a cap of none binds nowhere:
    it is a market with nobody in it, said elsewhere)."""
    if bound <= 0:
        return []
    return [q + 1 for q, n in enumerate(np.asarray(per_quarter, dtype=float)) if n >= bound - 1e-6]


def quarters_at_pace(agency: np.ndarray, permanent: np.ndarray, floor: np.ndarray | None, start_rate: float) -> list[int]:
    """Quarters (1-based) in which the agency rate (agency / (agency + LA-employed), paid FTE) is at
    the pace bound: the floor comparable authorities' best pace allows (`agency_pace`), at most
    today's rate, within `AT_BOUND_RATE`."""
    if floor is None:
        return []
    agency, permanent = np.asarray(agency, dtype=float), np.asarray(permanent, dtype=float)
    staff = agency + permanent
    rate = np.divide(agency, staff, out=np.zeros_like(staff), where=staff > 0)
    bound = np.minimum(np.asarray(floor, dtype=float), start_rate)
    return [q + 1 for q in range(len(rate)) if bound[q] > 0 and rate[q] <= bound[q] + AT_BOUND_RATE]


def safe_caseloads_bind(capacity: np.ndarray, agency: np.ndarray, need: np.ndarray, coverage: np.ndarray,
                        coverage_today: np.ndarray, agency_floor: np.ndarray) -> bool:
    """Whether the safe-caseload requirement costs the plan agency: in some unit and quarter whose
    coverage (units, H, 2) is above today's (units, 2), capacity (units, H, 2) and agency (units,
    H) only just hold the covered need (units, H, 2: :func:`covered_need`) and the agency there is
    more than its signed contracts (`agency_floor`), so the higher standard is bought with agency
    the plan would otherwise not hold."""
    rising = coverage > coverage_today[:, None, :] + 1e-9
    tight = capacity + agency[:, :, None] <= need + 1e-6 * np.maximum(need, 1.0)
    bought = (agency > agency_floor + 1e-6)[:, :, None]
    return bool((rising & tight & bought).any())


def units_at_establishment(permanent: np.ndarray, establishment: np.ndarray | None, agency: np.ndarray,
                           agency_floor: np.ndarray, room: float, first: int = 0) -> list[int]:
    """Units (indices) whose funded posts are full in some quarter from `first` (0-based) while
    agency beyond its signed contracts covers part of their need: less than `room` FTE (what one
    more appointment adds) left below the establishment (`appointments_fill_vacancies`)."""
    if establishment is None:
        return []
    est = np.asarray(establishment, dtype=float)[:, None]
    full = (est - permanent < room - 1e-9) & (agency > agency_floor + 1e-6)
    return [int(u) for u in np.flatnonzero(full[:, first:].any(axis=1))]


@dataclass
class Binding:
    """The limits that bind in the plan shown (:func:`binding_limits`)."""

    hiring_cap: float  # experienced appointments a quarter allowed
    hiring_cap_quarters: list[int]  # quarters whose appointments reach it
    pace_quarters: list[int]  # quarters whose agency rate is at the pace bound
    safe_caseloads: bool  # the safe-caseload requirement buys agency
    safe_quarter: int
    full_units: list[str]  # case-holding units whose funded posts are full while agency covers need
    case_holding_units: int
    nq_places: float
    nq_cohorts: list[int]  # cohort quarters whose newly qualified places are all taken
    agency_outside_fte: float  # agency at the end in posts the plan does not recruit for
    agency_outside_rate: float  # the same as points of the agency rate at the end (fraction)


def binding_limits(inp: RecruitmentInputs, dec: Decisions) -> Binding:
    """Which of the plan's limits bind in its solution: appointments at their cap in some quarter,
    the agency rate at the pace bound, the safe-caseload requirement buying agency, funded posts
    full, newly qualified places all taken; and the agency the plan holds at the end in posts it
    does not recruit for (posts that hold no cases, refilled like for like, and every agency post
    of units that hold no children)."""
    H, lead = inp.horizon, inp.lead
    perm, cap = planned_stocks(inp, dec)
    paid = dec.agency + inp.base.agency_other
    bound = market_hires_per_quarter(inp.a, inp.feasibility, inp.own[0])
    places = max(float(inp.a.recruitment.nq_places_per_cohort), float(np.floor(inp.own[1] + 1e-9)))
    coverage = np.ones_like(inp.demand) if inp.coverage is None else inp.coverage
    today = np.ones((len(inp.units), 2)) if inp.coverage_today is None else inp.coverage_today
    need = covered_need(inp.demand, coverage, inp.a.recruitment.cover_margin_rate)
    holding = holds_cases(inp)
    # full when the agency target is judged (from its quarter to the end): a team full early on that
    # has vacancies again later did not stop the plan reaching the target
    judged = min(max(int(inp.a.recruitment.agency_target_quarter) - 1, lead), H - 1)
    full = units_at_establishment(perm, inp.establishment, dec.agency, inp.base.agency_floor,
                                  inp.a.recruitment.hire_success_rate, judged)
    outside = float(inp.base.agency_other[:, H - 1].sum() + dec.agency[~holding, H - 1].sum())
    staff_end = float(paid[:, H - 1].sum() + perm[:, H - 1].sum())
    nq_total = dec.nq.sum(axis=0)
    return Binding(
        hiring_cap=bound, hiring_cap_quarters=quarters_at_cap(dec.hires.sum(axis=0)[:max(H - lead, 0)], bound),
        pace_quarters=quarters_at_pace(paid.sum(axis=0), perm.sum(axis=0), inp.feasibility.agency_floor,
                                       inp.base.agency_start_rate),
        safe_caseloads=safe_caseloads_bind(cap, dec.agency, need, coverage, today, inp.base.agency_floor),
        safe_quarter=int(inp.safe_quarter),
        full_units=[inp.units[u] for u in full if holding[u]], case_holding_units=int(holding.sum()),
        nq_places=places, nq_cohorts=[c for c in inp.cohorts if places > 0 and nq_total[c - 1] >= places - 1e-6],
        agency_outside_fte=outside, agency_outside_rate=outside / staff_end if staff_end > 0 else 0.0,
    )


def _empty(inp: RecruitmentInputs) -> Decisions:
    z = np.zeros((len(inp.units), inp.horizon))
    return Decisions(z.copy(), z.copy(), inp.base.agency_floor.copy())
