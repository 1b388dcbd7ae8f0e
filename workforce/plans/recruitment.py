"""The recruitment plan: permanent hires, newly qualified intake and agency cover per quarter.

A multi-period integer programme per unit (team or locality) and quarter, at least total cost:

* permanent hires (integer heads, 1.0 FTE) decided in quarter d start in d + lead time, cost a
  recruitment fee when decided, are below full productivity for their first quarters and leave
  at the new-hire turnover rate;
* newly qualified intake (integer heads) starts only in cohort quarters (e.g. September), up to
  the places per cohort, at ASYE capacity in the first year;
* agency FTE (continuous) is available at once at the agency rate, and never below the agency
  contracts already signed.

Constraints (one function each): supply covers demand (plus a planning margin) in every unit
and quarter; hires per quarter within the hiring capacity; the authority's agency share at or
below target from the target quarter; total cost within the budget when one is set.

Baseline ("carry on as now"): no new permanent or newly qualified hires; every gap is covered by
agency. When the hard problem has no solution the status says `infeasible` and an elastic
version (agency target and budget may be missed, at a heavy penalty) gives the closest plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.measures import agency_rate
from workforce.plans.assumptions import Assumptions
from workforce.plans.costs import (agency_cost_per_fte_year, lead_time_quarters, permanent_cost_per_fte_year,
                                   ramp_quarters)
from workforce.mip import SolveReport, solve
from workforce.plans.projection import Workforce, annual_to_quarterly_hazard, stock_frames

PENALTY_PER_FTE = 1e7  # elastic fallback only: missing the agency target by one FTE-quarter
PENALTY_PER_GBP = 100.0  # elastic fallback only: each pound over budget
# Stop once the plan's recruitment and agency spend is proven within 0.3% of the cheapest
# possible (on a Sandwell-sized authority about £20k over three years, under 0.1% of total
# workforce spend): the cost figures are estimates far looser than that, and closing the last
# fraction took 25 s against 1.5 s on the demo authority. The status then says `feasible` with
# the gap, never `optimal`.
RECRUITMENT_GAP = 3e-3


@dataclass
class UnitBase:
    """Existing staff per unit (rows) and quarter (columns), in case-holding FTE."""

    units: list[str]
    perm_start: np.ndarray
    perm_leavers: np.ndarray
    perm_end: np.ndarray
    perm_effective: np.ndarray
    agency_effective: np.ndarray  # agency contracts already signed, expected
    agency_end: np.ndarray
    perm_cost: np.ndarray  # payroll of existing permanent staff
    agency_start_share: float


def unit_base(wf: Workforce, units: list[str]) -> UnitBase:
    """Sum today's staff's expected stocks by unit."""
    stocks = stock_frames(wf)
    index = {u: i for i, u in enumerate(units)}
    rows = np.array([index[u] for u in wf.unit], dtype=int)
    perm = ~wf.agency

    def by_unit(matrix: np.ndarray, mask: np.ndarray) -> np.ndarray:
        out = np.zeros((len(units), wf.horizon))
        np.add.at(out, rows[mask], matrix[mask])
        return out

    cost = (stocks["paid"] / wf.paid_fte[:, None]) * wf.cost_q[:, None]
    start_agency = float((wf.share * wf.agency).sum())
    start_total = float(wf.share.sum())
    return UnitBase(
        units=units,
        perm_start=by_unit(stocks["start"], perm),
        perm_leavers=by_unit(stocks["leavers"], perm),
        perm_end=by_unit(stocks["end"], perm),
        perm_effective=by_unit(stocks["effective"], perm),
        agency_effective=by_unit(stocks["effective"], wf.agency),
        agency_end=by_unit(stocks["end"], wf.agency),
        perm_cost=by_unit(cost, perm),
        agency_start_share=start_agency / start_total if start_total > 0 else 0.0,
    )


def unit_demand(projection: pd.DataFrame, unit: str, units: list[str], horizon: int) -> np.ndarray:
    """Required case-holding FTE per unit and quarter, from the projection."""
    col = "team" if unit == "team" else "locality"
    grouped = projection.groupby([col, "quarter"])["demand_fte"].sum()
    out = np.zeros((len(units), horizon))
    for (u, q), value in grouped.items():
        if u in units:
            out[units.index(u), int(q) - 1] = value
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


@dataclass
class Cohort:
    """Survival and capacity of one head who starts at the beginning of quarter `start`."""

    start: int
    end: np.ndarray  # in post at the end of each quarter (expected fraction)
    start_stock: np.ndarray  # in post at the start of each quarter (before joining)
    effective: np.ndarray
    payroll: np.ndarray  # expected cost per quarter
    capacity: np.ndarray  # usable share of the head's FTE in each quarter
    pay: np.ndarray  # cost per quarter of the head while in post


def hire_cohort(start: int, horizon: int, hazard: float, capacity_first: np.ndarray,
                cost_first: np.ndarray, cost_after: float) -> Cohort:
    """One head starting at the beginning of quarter `start` (1-based): expected stock, effective
    FTE and payroll in each quarter; `capacity_first`/`cost_first` apply to their first quarters."""
    q = np.arange(1, horizon + 1)
    k = q - start  # quarters completed before this one
    on = k >= 0
    end = np.where(on, (1.0 - hazard) ** (k + 1), 0.0)
    begin = np.where(k > 0, (1.0 - hazard) ** np.maximum(k, 0), 0.0)
    cap = np.ones(horizon)
    cost = np.full(horizon, cost_after)
    for i, (c, pay) in enumerate(zip(capacity_first, cost_first)):
        cap = np.where(k == i, c, cap)
        cost = np.where(k == i, pay, cost)
    mid = (np.where(on, np.where(k == 0, 1.0, begin), 0.0) + end) / 2.0
    return Cohort(start, end, begin, end * cap, mid * cost, np.where(on, cap, 0.0), np.where(on, cost, 0.0))


@dataclass
class RecruitmentInputs:
    """Everything the programme needs, in arrays."""

    a: Assumptions
    units: list[str]
    horizon: int
    lead: int
    demand: np.ndarray
    base: UnitBase
    cohorts: list[int]
    hire: dict[int, Cohort] = field(default_factory=dict)  # by start quarter
    nq: dict[int, Cohort] = field(default_factory=dict)
    gateway_spend: np.ndarray | None = None


def recruitment_inputs(a: Assumptions, wf: Workforce, projection: pd.DataFrame,
                       gateway_spend: np.ndarray | None = None) -> RecruitmentInputs:
    horizon = wf.horizon
    units = sorted(set(wf.unit) | set(_projection_units(projection, a.recruitment.unit)))
    base = unit_base(wf, units)
    demand = unit_demand(projection, a.recruitment.unit, units, horizon)
    hazard = float(annual_to_quarterly_hazard(np.array([a.supply.new_hire_turnover_rate]))[0])
    ch = permanent_cost_per_fte_year(a, "case_holder") / 4.0
    nq_cost = permanent_cost_per_fte_year(a, "case_holder", asye=True) / 4.0
    ramp = ramp_quarters(a)
    asye_q = int(np.ceil(a.supply.asye_months / 3.0))
    inputs = RecruitmentInputs(a, units, horizon, lead_time_quarters(a), demand, base,
                               cohort_quarters(wf.starts, a.recruitment.nq_cohort_months),
                               gateway_spend=gateway_spend)
    for s in range(1, horizon + 1):
        inputs.hire[s] = hire_cohort(s, horizon, hazard, np.full(ramp, 1.0 - a.costs.productivity_loss_rate),
                                     np.full(ramp, ch), ch)
    for c in inputs.cohorts:
        inputs.nq[c] = hire_cohort(c, horizon, hazard, np.full(asye_q, a.caseload.asye_points_share),
                                   np.full(asye_q, nq_cost), ch)
    return inputs


def _projection_units(projection: pd.DataFrame, unit: str) -> list[str]:
    col = "team" if unit == "team" else "locality"
    return [str(u) for u in projection[col].unique() if str(u)]


def nq_fee_gbp(a: Assumptions) -> float:
    """Recruiting one newly qualified worker: the hire fee plus ASYE support, less the grant."""
    return a.costs.cost_per_hire_gbp + a.costs.asye_support_cost_gbp - a.costs.asye_grant_gbp


# ---- the integer programme ----------------------------------------------------------------


@dataclass
class Decisions:
    hires: np.ndarray  # (units, H) decided in each quarter
    nq: np.ndarray  # (units, H) starting in each quarter (cohort quarters only)
    agency: np.ndarray  # (units, H) agency FTE


def cover_demand(inp: RecruitmentInputs, effective, agency) -> list:
    """Every unit has enough case-holding capacity each quarter: children need a worker, and the
    margin absorbs chance leavers between plan reviews."""
    need = inp.demand * (1.0 + inp.a.recruitment.cover_margin_rate)
    return [(effective[u][q] + agency[u][q] >= float(need[u, q]), f"cover_{u}_{q}")
            for u in range(len(inp.units)) for q in range(inp.horizon)]


def hiring_capacity(inp: RecruitmentInputs, hires) -> list:
    """Recruitment teams can run only so many campaigns and interviews a quarter."""
    import pulp

    out = []
    for d in range(inp.horizon):
        vs = [hires[u][d] for u in range(len(inp.units)) if hires[u][d] is not None]
        if vs:
            out.append((pulp.lpSum(vs) <= inp.a.recruitment.hiring_capacity_per_quarter, f"hiring_cap_{d}"))
    return out


def nq_places(inp: RecruitmentInputs, nq) -> list:
    """Each newly qualified cohort has a limited number of ASYE places (supervision, assessors)."""
    import pulp

    return [(pulp.lpSum(nq[u][c - 1] for u in range(len(inp.units))) <= inp.a.recruitment.nq_places_per_cohort,
             f"nq_places_{c}") for c in inp.cohorts]


def agency_share_target(inp: RecruitmentInputs, perm_stock, agency, slack=None) -> list:
    """From the target quarter the authority's agency share is at or below target: agency staff
    cost more and leave children with more changes of worker."""
    import pulp

    t = inp.a.recruitment.agency_share_target
    out = []
    for q in range(inp.a.recruitment.agency_target_quarter - 1, inp.horizon):
        a_sum = pulp.lpSum(agency[u][q] for u in range(len(inp.units)))
        p_sum = pulp.lpSum(perm_stock[u][q] for u in range(len(inp.units)))
        lhs = (1.0 - t) * a_sum - t * p_sum
        if slack is not None:
            lhs = lhs - slack[q]
        out.append((lhs <= 0, f"agency_share_{q}"))
    return out


def within_budget(inp: RecruitmentInputs, total_cost, slack=None) -> list:
    """Total workforce spend over the horizon stays within the budget, when one is set."""
    budget = inp.a.recruitment.budget_gbp
    if budget <= 0:
        return []
    lhs = total_cost if slack is None else total_cost - slack
    return [(lhs <= budget, "budget")]


def _build(inp: RecruitmentInputs, elastic: bool):
    import pulp

    a = inp.a
    nu, H, L = len(inp.units), inp.horizon, inp.lead
    prob = pulp.LpProblem("recruitment", pulp.LpMinimize)
    hires = [[prob.add_variable(f"h_{u}_{d}", 0, None, cat=pulp.LpInteger) if d + L < H else None
              for d in range(H)] for u in range(nu)]
    nq = [[prob.add_variable(f"n_{u}_{q}", 0, None, cat=pulp.LpInteger) if (q + 1) in inp.cohorts else None
           for q in range(H)] for u in range(nu)]
    agency = [[prob.add_variable(f"a_{u}_{q}", float(inp.base.agency_effective[u, q]))
               for q in range(H)] for u in range(nu)]
    effective, perm_stock = [], []
    hire_fee, nq_fee = a.costs.cost_per_hire_gbp, nq_fee_gbp(a)
    agency_q = agency_cost_per_fte_year(a) / 4.0
    cost_terms = []
    for u in range(nu):
        eff_u, stock_u = [], []
        for q in range(H):
            eff = {}
            stock = {}
            for d in range(H):
                v = hires[u][d]
                if v is None:
                    continue
                c = inp.hire[d + 1 + L]
                if c.effective[q]:
                    eff[v] = c.effective[q]
                    stock[v] = c.end[q]
            for cq in inp.cohorts:
                v = nq[u][cq - 1]
                c = inp.nq[cq]
                if c.effective[q]:
                    eff[v] = c.effective[q]
                    stock[v] = c.end[q]
            eff_u.append(pulp.LpAffineExpression(eff, constant=float(inp.base.perm_effective[u, q])))
            stock_u.append(pulp.LpAffineExpression(stock, constant=float(inp.base.perm_end[u, q])))
        effective.append(eff_u)
        perm_stock.append(stock_u)
        for d in range(H):
            v = hires[u][d]
            if v is not None:
                c = inp.hire[d + 1 + L]
                cost_terms.append((v, hire_fee + float(c.payroll.sum())))
        for cq in inp.cohorts:
            c = inp.nq[cq]
            cost_terms.append((nq[u][cq - 1], nq_fee + float(c.payroll.sum())))
        for q in range(H):
            cost_terms.append((agency[u][q], agency_q))
    constant = float(inp.base.perm_cost.sum()) + float(0 if inp.gateway_spend is None else inp.gateway_spend.sum())
    variable_cost = pulp.LpAffineExpression(cost_terms)
    total_cost = variable_cost + constant
    share_slack = [prob.add_variable(f"share_slack_{q}", 0) for q in range(H)] if elastic else None
    budget_slack = prob.add_variable("budget_slack", 0) if elastic else None
    objective = variable_cost
    if elastic:
        objective = objective + PENALTY_PER_FTE * pulp.lpSum(share_slack) + PENALTY_PER_GBP * budget_slack
    prob += objective, "total_cost"
    for rule in (cover_demand(inp, effective, agency), hiring_capacity(inp, hires), nq_places(inp, nq),
                 agency_share_target(inp, perm_stock, agency, share_slack),
                 within_budget(inp, total_cost, budget_slack)):
        for constraint, name in rule:
            prob += constraint, name
    return prob, hires, nq, agency


def solve_recruitment(inp: RecruitmentInputs) -> tuple[Decisions, SolveReport, bool]:
    """Solve; if the hard problem is infeasible, return the elastic plan with relaxed=True."""
    prob, hires, nq, agency = _build(inp, elastic=False)
    report = solve(prob, sense="min", time_limit=inp.a.recruitment.time_limit_seconds, gap_rel=RECRUITMENT_GAP)
    relaxed = False
    if report.status == "infeasible":
        prob, hires, nq, agency = _build(inp, elastic=True)
        relaxed_report = solve(prob, sense="min", time_limit=inp.a.recruitment.time_limit_seconds,
                               gap_rel=RECRUITMENT_GAP)
        relaxed = relaxed_report.status in ("optimal", "feasible")
        report = SolveReport("infeasible", relaxed_report.objective, relaxed_report.bound, relaxed_report.gap,
                             report.seconds + relaxed_report.seconds,
                             f"hard constraints infeasible; elastic plan {relaxed_report.status}")
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
        agency=np.array([[max(val(agency[u][q]), inp.base.agency_effective[u, q]) for q in range(H)]
                         for u in range(nu)]),
    )
    return dec, report, relaxed


def _empty(inp: RecruitmentInputs) -> Decisions:
    z = np.zeros((len(inp.units), inp.horizon))
    return Decisions(z.copy(), z.copy(), z.copy())


def baseline_decisions(inp: RecruitmentInputs, base: UnitBase) -> Decisions:
    """Carry on as now: no permanent or newly qualified hires; agency covers every gap."""
    need = inp.demand * (1.0 + inp.a.recruitment.cover_margin_rate)
    z = np.zeros_like(need)
    return Decisions(z.copy(), z.copy(), np.maximum(base.agency_effective, need - base.perm_effective))


# ---- evaluation: the same arithmetic for plan and baseline --------------------------------


@dataclass
class Evaluation:
    perm_start: np.ndarray
    starters: np.ndarray
    leavers: np.ndarray
    perm_end: np.ndarray
    effective: np.ndarray
    agency: np.ndarray
    hires_starting: np.ndarray
    cost: np.ndarray  # per unit and quarter, excluding L&D spend


def evaluate(inp: RecruitmentInputs, base: UnitBase, dec: Decisions) -> Evaluation:
    """Expected stocks, flows and cost per unit and quarter for a set of decisions."""
    a = inp.a
    nu, H, L = len(inp.units), inp.horizon, inp.lead
    perm_start, starters = base.perm_start.copy(), np.zeros((nu, H))
    leavers, perm_end, effective = base.perm_leavers.copy(), base.perm_end.copy(), base.perm_effective.copy()
    cost = base.perm_cost + dec.agency * agency_cost_per_fte_year(a) / 4.0
    hires_starting = np.zeros((nu, H))
    hazard = float(annual_to_quarterly_hazard(np.array([a.supply.new_hire_turnover_rate]))[0])

    def add(heads: np.ndarray, c: Cohort, fee: float, fee_q: int) -> None:
        nonlocal perm_start, starters, leavers, perm_end, effective, cost
        h = heads[:, None]
        perm_start = perm_start + h * c.start_stock[None, :]
        joined = np.zeros(H)
        joined[c.start - 1] = 1.0
        starters = starters + h * joined[None, :]
        before = c.start_stock + joined
        leavers = leavers + h * (before * hazard)[None, :]
        perm_end = perm_end + h * c.end[None, :]
        effective = effective + h * c.effective[None, :]
        cost = cost + h * c.payroll[None, :]
        cost[:, fee_q - 1] += heads * fee

    for d in range(H):
        if d + L < H:
            add(dec.hires[:, d], inp.hire[d + 1 + L], a.costs.cost_per_hire_gbp, d + 1)
            hires_starting[:, d + L] += dec.hires[:, d]
    for c in inp.cohorts:
        add(dec.nq[:, c - 1], inp.nq[c], nq_fee_gbp(a), c)
    return Evaluation(perm_start, starters, leavers, perm_end, effective, dec.agency, hires_starting, cost)


def recruitment_frames(inp: RecruitmentInputs, plan_base: UnitBase, dec: Decisions, baseline_base: UnitBase,
                       starts: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `recruitment` (per quarter x unit) and `recruitment_totals` (per quarter) frames."""
    H = inp.horizon
    ev = evaluate(inp, plan_base, dec)
    bl = evaluate(inp, baseline_base, baseline_decisions(inp, baseline_base))
    rows = []
    for u, unit in enumerate(inp.units):
        for q in range(H):
            rows.append({
                "quarter": q + 1, "quarter_start_date": starts[q], "unit": unit,
                "permanent_hires": int(dec.hires[u, q]), "hires_starting": int(ev.hires_starting[u, q]),
                "nq_intake": int(dec.nq[u, q]), "agency_fte": ev.agency[u, q],
                "permanent_start_fte": ev.perm_start[u, q], "starters_fte": ev.starters[u, q],
                "leavers_fte": ev.leavers[u, q], "permanent_fte": ev.perm_end[u, q],
                "effective_fte": ev.effective[u, q], "demand_fte": inp.demand[u, q],
                "vacancies_fte": max(0.0, inp.demand[u, q] - ev.perm_end[u, q]),
                "cost_gbp": ev.cost[u, q], "baseline_agency_fte": bl.agency[u, q],
                "baseline_cost_gbp": bl.cost[u, q],
            })
    per_unit = pd.DataFrame(rows)
    spend = inp.gateway_spend if inp.gateway_spend is not None else np.zeros(H)
    totals = per_unit.groupby("quarter", as_index=False).agg(
        quarter_start_date=("quarter_start_date", "first"), demand_fte=("demand_fte", "sum"),
        permanent_fte=("permanent_fte", "sum"), agency_fte=("agency_fte", "sum"),
        vacancies_fte=("vacancies_fte", "sum"), permanent_hires=("permanent_hires", "sum"),
        hires_starting=("hires_starting", "sum"), nq_intake=("nq_intake", "sum"),
        recruitment_cost_gbp=("cost_gbp", "sum"), baseline_agency_fte=("baseline_agency_fte", "sum"),
        baseline_cost_gbp=("baseline_cost_gbp", "sum"),
    )
    bl_perm = bl.perm_end.sum(axis=0)
    totals["gateway_cost_gbp"] = spend
    totals["cost_gbp"] = totals["recruitment_cost_gbp"] + totals["gateway_cost_gbp"]
    totals["agency_share"] = agency_rate(totals["agency_fte"], totals["permanent_fte"])
    totals["baseline_permanent_fte"] = bl_perm
    totals["baseline_agency_share"] = agency_rate(totals["baseline_agency_fte"], bl_perm)
    totals["saving_gbp"] = totals["baseline_cost_gbp"] - totals["cost_gbp"]
    order = ["quarter", "quarter_start_date", "demand_fte", "permanent_fte", "agency_fte", "agency_share",
             "vacancies_fte", "permanent_hires", "hires_starting", "nq_intake", "recruitment_cost_gbp",
             "gateway_cost_gbp", "cost_gbp", "baseline_permanent_fte", "baseline_agency_fte",
             "baseline_agency_share", "baseline_cost_gbp", "saving_gbp"]
    return per_unit, totals[order]


def recruitment_summary(totals: pd.DataFrame, report: SolveReport, relaxed: bool, inp: RecruitmentInputs) -> dict:
    """Headline figures: total cost against the baseline (pounds and per cent), agency share."""
    a = inp.a
    cost, base = float(totals["cost_gbp"].sum()), float(totals["baseline_cost_gbp"].sum())
    target_q = a.recruitment.agency_target_quarter
    after = totals[totals["quarter"] >= target_q]
    met = bool((after["agency_share"] <= a.recruitment.agency_share_target + 1e-6).all()) if len(after) else True
    return {
        **report.as_dict("recruitment"),
        "recruitment_relaxed": relaxed,
        "lead_time_quarters": inp.lead,
        "plan_cost_gbp": cost,
        "baseline_cost_gbp": base,
        "saving_gbp": base - cost,
        "saving_pct": 100.0 * (base - cost) / base if base > 0 else None,
        "agency_share_start": inp.base.agency_start_share,
        "agency_share_end": float(totals["agency_share"].iloc[-1]),
        "baseline_agency_share_end": float(totals["baseline_agency_share"].iloc[-1]),
        "agency_share_target": a.recruitment.agency_share_target,
        "agency_target_quarter": target_q,
        "agency_target_met": met,
        "permanent_hires": int(totals["permanent_hires"].sum()),
        "nq_intake": int(totals["nq_intake"].sum()),
    }
