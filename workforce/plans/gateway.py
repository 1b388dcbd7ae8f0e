"""The learning and development gateway plan: who is offered which programme.

An integer programme chooses at most one programme per worker to maximise the expected value of
the offers, within the L&D budget and each programme's places. The value of a place is:

* the replacement cost it is expected to avoid: the worker's chance of leaving **voluntarily**
  over the plan (flight risk; retirement and the other reasons are never targeted) x the
  programme's relative cut in it x the cost of a leaver;
* less the place's cost;
* less the capacity it takes away while it runs (caseload relief, protected learning time, a
  student to supervise), valued at what agency cover for it costs;
* less what the career step it leads to costs: the new role's pay over the old and the caseload
  the new role no longer holds (a practice supervisor holds half a caseload, a team manager none),
  for the rest of the plan while the worker stays.

Only eligible pairs (role, ASYE status and the ASYE year left, tenure; never agency staff or
anyone on long leave) are offered, and pairs whose
value is not positive are left out up front: no optimal plan would use them. The chosen offers
then change the plan's workforce (:func:`apply_gateway`): voluntary hazards cut, capacity removed
while the programme runs, role and pay changed when a career step completes, so the recruitment
plan covers the capacity and pays the pay.

The offers are chosen once, before the Monte Carlo, at the assumed agency day rates (the cost of
a leaver's agency premium and the backfill of the caseload a place takes away): a plan is chosen
once. The simulated futures keep the offers and re-price them at each run's drawn rate, through
the workforce they change (:mod:`workforce.plans.montecarlo`, `agency_price_scale`); the values
above are the choice's central figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.mip import SolveReport, solve
from workforce.plans.assumptions import Assumptions, Programme
from workforce.plans.costs import agency_cost_per_fte_year, cost_per_fte_year, worker_cost_of_leaver
from workforce.plans.projection import Workforce, copy_workforce, holding_units, set_role

VOLUNTARY = 0  # index of the voluntary reason in the hazards (workforce.plans.leaving.REASONS)


@dataclass
class GatewayPlan:
    workers: pd.DataFrame  # per worker (see `_gateway_outputs`)
    programmes: pd.DataFrame  # per programme
    chosen: np.ndarray  # programme index per worker (-1: none)
    report: SolveReport
    spend_by_quarter: np.ndarray  # place costs per quarter (spread over each programme's duration)


# ---- eligibility: one rule each -----------------------------------------------------------


def eligible_role(workers: pd.DataFrame, programme: Programme) -> np.ndarray:
    """The programme is built for certain roles (e.g. team manager development for supervisors)."""
    return workers["role"].astype(str).isin(programme.roles).to_numpy()


def eligible_employment(workers: pd.DataFrame, programme: Programme) -> np.ndarray:
    """The authority invests in its own staff: agency workers are not offered programmes."""
    return ~workers["agency"].astype(bool).to_numpy()


def eligible_available(workers: pd.DataFrame, programme: Programme) -> np.ndarray:
    """A worker on long leave (`available` = no) is not at work to take a programme: no offer
    starts while they are away, as the allocation takes their children for the same reason."""
    if "available" not in workers.columns:
        return np.ones(len(workers), dtype=bool)
    return workers["available"].astype(bool).to_numpy()


def eligible_asye(workers: pd.DataFrame, programme: Programme,
                  asye_quarters_left: np.ndarray | None = None) -> np.ndarray:
    """ASYE support is for ASYEs only, and only while at least half of it falls inside their
    ASYE year (``asye_quarters_left``: quarters of the plan they are still in it; None: all of
    it): support offered in the year's last months would run mostly after the year it supports,
    and an ASYE then finishing is not the one it was built for. Career steps are for workers
    past their ASYE year."""
    asye = workers["asye"].astype(bool).to_numpy()
    if programme.asye == "only":
        if asye_quarters_left is None:
            return asye
        return asye & (np.asarray(asye_quarters_left, dtype=float) >= programme.duration_quarters / 2.0)
    if programme.asye == "exclude":
        return ~asye
    return np.ones(len(workers), dtype=bool)


def eligible_tenure(tenure_years: np.ndarray, programme: Programme) -> np.ndarray:
    """Progression needs experience (e.g. ~2.5 years to senior level [S35]); mentoring targets
    the first five years, when most leavers go [S13][S19]."""
    return (tenure_years >= programme.min_tenure_years) & (tenure_years <= programme.max_tenure_years)


def eligibility(workers: pd.DataFrame, tenure_years: np.ndarray, programmes: tuple[Programme, ...],
                asye_quarters_left: np.ndarray | None = None) -> np.ndarray:
    """(workers x programmes) True where the worker may take the programme (every rule above;
    ``asye_quarters_left`` as for :func:`eligible_asye`)."""
    out = np.zeros((len(workers), len(programmes)), dtype=bool)
    for j, prog in enumerate(programmes):
        out[:, j] = (eligible_role(workers, prog) & eligible_employment(workers, prog)
                     & eligible_available(workers, prog) & eligible_asye(workers, prog, asye_quarters_left)
                     & eligible_tenure(tenure_years, prog) & (prog.places > 0))
    return out


# ---- value of a place ---------------------------------------------------------------------


def reason_incidence(hazard: np.ndarray, quarters: int) -> np.ndarray:
    """(workers x reasons) chance of leaving for each reason within `quarters`, competing risks."""
    h = hazard[:, :quarters, :]
    total = h.sum(axis=2)
    before = np.concatenate([np.ones((len(h), 1)), np.cumprod(1.0 - total, axis=1)[:, :-1]], axis=1)
    return (before[:, :, None] * h).sum(axis=1)


def flight_risk_saving(p_voluntary: np.ndarray, reduction: np.ndarray, leaver_cost: np.ndarray) -> np.ndarray:
    """Objective term: replacement cost avoided = chance of leaving voluntarily x the programme's
    cut x the cost of a leaver. Retirement is not flight risk: no programme is valued for it."""
    return p_voluntary[:, None] * reduction[None, :] * leaver_cost[:, None]


def capacity_cost(wf: Workforce, programmes: tuple[Programme, ...], a: Assumptions) -> np.ndarray:
    """Objective term: (workers x programmes) cost of covering the caseload a programme takes away
    while it runs, at the agency rate (the binding dimension of the worker's capacity)."""
    agency_q = agency_cost_per_fte_year(a) / 4.0
    held = wf.cap.max(axis=2)  # (workers, H)
    out = np.zeros((len(held), len(programmes)))
    for j, p in enumerate(programmes):
        out[:, j] = p.capacity_removed_rate * held[:, :min(p.duration_quarters, wf.horizon)].sum(axis=1) * agency_q
    return out


def career_step_cost(wf: Workforce, programmes: tuple[Programme, ...], survival: np.ndarray,
                     a: Assumptions) -> np.ndarray:
    """Objective term: (workers x programmes) what a career step costs over the rest of the plan
    while the worker stays: the new role's pay over the old, and the caseload it no longer holds
    valued at the agency rate."""
    agency_q = agency_cost_per_fte_year(a) / 4.0
    out = np.zeros((len(wf.paid_fte), len(programmes)))
    roles = wf.workers["role"].astype(str).to_numpy()
    for j, p in enumerate(programmes):
        k = p.duration_quarters
        if not p.career_step or k >= wf.horizon:
            continue
        stay = survival[:, k + 1:].sum(axis=1)  # expected quarters in post after the step
        new_pay = np.array([cost_per_fte_year(a, p.career_step, False, False)] * len(roles)) * wf.paid_fte / 4.0
        old_pay = np.array([cost_per_fte_year(a, r, False, False) for r in roles]) * wf.paid_fte / 4.0
        new_cap = holding_units(wf.workers.assign(role=p.career_step, asye=False), a.caseload).max(axis=1)
        lost = np.clip(wf.cap[:, -1, :].max(axis=1) - new_cap, 0.0, None)
        out[:, j] = stay * ((new_pay - old_pay) + lost * agency_q)
    return out


def tenure_years(workers: pd.DataFrame, start: pd.Timestamp) -> np.ndarray:
    started = pd.to_datetime(workers["start_date"], errors="coerce")
    return ((start - started).dt.days / 365.25).fillna(0.0).clip(lower=0.0).to_numpy()


# ---- the programme ------------------------------------------------------------------------


def plan_gateway(wf: Workforce, a: Assumptions, start: pd.Timestamp) -> GatewayPlan:
    """Choose programmes (see the module docstring) for today's workforce `wf` (its hazards by
    reason, capacity and pay)."""
    import pulp

    workers = wf.workers
    programmes = tuple(a.programmes)
    horizon = wf.horizon
    incidence = reason_incidence(wf.hazard, horizon)
    year = reason_incidence(wf.hazard, min(4, horizon))
    survival = wf.survival(renew=False)
    reduction = np.array([p.leave_risk_reduction_rate for p in programmes], dtype=float)
    cost = np.array([p.cost_per_place_gbp for p in programmes], dtype=float)
    ok = eligibility(workers, tenure_years(workers, start), programmes, wf.asye_q.sum(axis=1))
    saving = flight_risk_saving(incidence[:, VOLUNTARY], reduction, worker_cost_of_leaver(workers, a))
    hidden = capacity_cost(wf, programmes, a) + career_step_cost(wf, programmes, survival, a)
    net = saving - cost[None, :] - hidden
    candidates = np.argwhere(ok & (net > 1e-9))

    prob = pulp.LpProblem("gateway", pulp.LpMaximize)
    x = [prob.add_variable(f"x_{i}_{j}", 0, 1, cat=pulp.LpBinary) for i, j in candidates]
    prob += pulp.lpSum(float(net[i, j]) * v for v, (i, j) in zip(x, candidates)), "expected_net_saving"
    by_worker: dict[int, list] = {}
    by_prog: dict[int, list] = {}
    for v, (i, j) in zip(x, candidates):
        by_worker.setdefault(int(i), []).append(v)
        by_prog.setdefault(int(j), []).append(v)
    for i, vs in by_worker.items():
        if len(vs) > 1:
            prob += pulp.lpSum(vs) <= 1, f"one_programme_{i}"  # at most one programme per worker
    for j, vs in by_prog.items():
        if len(vs) > programmes[j].places:
            prob += pulp.lpSum(vs) <= programmes[j].places, f"places_{j}"
    if len(x):
        prob += pulp.lpSum(float(cost[j]) * v for v, (i, j) in zip(x, candidates)) <= a.gateway.budget_gbp, "budget"
    report = solve(prob, sense="max", time_limit=a.gateway.time_limit_seconds)

    chosen = np.full(len(workers), -1, dtype=int)
    if report.status in ("optimal", "feasible"):
        for v, (i, j) in zip(x, candidates):
            if (v.varValue or 0.0) > 0.5:
                chosen[i] = j
    values = {"saving": saving, "hidden": hidden, "capacity": capacity_cost(wf, programmes, a)}
    return _gateway_outputs(wf, a, chosen, ok, incidence, year, reduction, cost, values, report)


def _gateway_outputs(wf: Workforce, a: Assumptions, chosen, ok, incidence, year, reduction, cost, values,
                     report) -> GatewayPlan:
    workers, programmes, horizon = wf.workers, tuple(a.programmes), wf.horizon
    has = chosen >= 0
    idx = np.where(has, chosen, 0)
    rows_i = np.arange(len(workers))
    cut = np.where(has, reduction[idx] if len(reduction) else 0.0, 0.0)
    pick = lambda m: np.where(has, m[rows_i, idx], 0.0) if m.shape[1] else np.zeros(len(workers))  # noqa: E731
    place_cost = np.where(has, cost[idx] if len(cost) else 0.0, 0.0)
    saving, capacity, hidden = pick(values["saving"]), pick(values["capacity"]), pick(values["hidden"])
    per_worker = pd.DataFrame({
        "worker_id": workers["worker_id"].astype(str).to_numpy(),
        "team": workers["team"].astype(str).to_numpy(),
        "role": workers["role"].astype(str).to_numpy(),
        "programme": [programmes[j].name if j >= 0 else "" for j in chosen],
        "career_step": [programmes[j].career_step if j >= 0 else "" for j in chosen],
        "eligible_programmes": ok.sum(axis=1),
        "p_voluntary": year[:, VOLUNTARY],
        "p_retirement": year[:, 1],
        "p_leave": year.sum(axis=1),
        "p_voluntary_plan": incidence[:, VOLUNTARY],
        "p_voluntary_plan_after": incidence[:, VOLUNTARY] * (1.0 - cut),
        "cost_gbp": place_cost,
        "capacity_cost_gbp": capacity,
        "career_step_cost_gbp": hidden - capacity,
        "expected_leavers_avoided": incidence[:, VOLUNTARY] * cut,
        "expected_saving_gbp": saving,
        "net_saving_gbp": saving - place_cost - hidden,
    })
    rows = []
    spend = np.zeros(horizon)
    for j, prog in enumerate(programmes):
        mine = chosen == j
        used = int(mine.sum())
        total = used * prog.cost_per_place_gbp
        part = per_worker.loc[mine]
        save = float(part["expected_saving_gbp"].sum())
        other = float(part["capacity_cost_gbp"].sum() + part["career_step_cost_gbp"].sum())
        quarters = min(prog.duration_quarters, horizon)
        spend[:quarters] += total / quarters
        low, high = a.range_of(f"programme:{prog.name}", "leave_risk_reduction_rate") or (np.nan, np.nan)
        rows.append({
            "programme": prog.name, "career_step": prog.career_step, "places": prog.places, "places_used": used,
            "eligible_workers": int(ok[:, j].sum()), "cost_per_place_gbp": prog.cost_per_place_gbp,
            "leave_risk_reduction_rate": prog.leave_risk_reduction_rate, "leave_risk_reduction_low": low,
            "leave_risk_reduction_high": high, "capacity_removed_rate": prog.capacity_removed_rate,
            "duration_quarters": prog.duration_quarters, "cost_gbp": total,
            "capacity_cost_gbp": float(part["capacity_cost_gbp"].sum()),
            "career_step_cost_gbp": float(part["career_step_cost_gbp"].sum()),
            "expected_leavers_avoided": float(part["expected_leavers_avoided"].sum()), "expected_saving_gbp": save,
            "net_saving_gbp": save - total - other,
            "roi_rate": (save - total - other) / (total + other) if total + other > 0 else np.nan,
        })
    return GatewayPlan(per_worker, pd.DataFrame(rows), chosen, report, spend)


def apply_gateway(wf: Workforce, plan: GatewayPlan, a: Assumptions) -> Workforce:
    """The plan's workforce: each offered worker's voluntary hazard cut by the programme, their
    capacity reduced while it runs, and their role and pay changed when a career step ends."""
    out = copy_workforce(wf)
    programmes = tuple(a.programmes)
    for i in np.flatnonzero(plan.chosen >= 0):
        p = programmes[plan.chosen[i]]
        out.hazard[i, :, VOLUNTARY] *= 1.0 - p.leave_risk_reduction_rate
        k = min(p.duration_quarters, out.horizon)
        out.cap[i, :k, :] *= 1.0 - p.capacity_removed_rate
        if p.career_step and p.career_step != str(out.workers["role"].iloc[i]):
            set_role(out, int(i), p.career_step, p.duration_quarters + 1, a)
    return out


def gateway_summary(plan: GatewayPlan, a: Assumptions) -> dict:
    """Headline figures of the L&D plan for the plan summary."""
    w = plan.workers
    cost = float(w["cost_gbp"].sum())
    other = float(w["capacity_cost_gbp"].sum() + w["career_step_cost_gbp"].sum())
    save = float(w["expected_saving_gbp"].sum())
    offered = w["programme"] != ""
    return {
        **plan.report.as_dict("gateway"),
        "gateway_budget_gbp": a.gateway.budget_gbp,
        "gateway_cost_gbp": cost,
        "gateway_capacity_cost_gbp": float(w["capacity_cost_gbp"].sum()),
        "gateway_career_step_cost_gbp": float(w["career_step_cost_gbp"].sum()),
        "gateway_places_used": int(offered.sum()),
        "gateway_expected_leavers_avoided": float(w["expected_leavers_avoided"].sum()),
        "gateway_expected_saving_gbp": save,
        "gateway_roi_rate": (save - cost - other) / (cost + other) if cost + other > 0 else None,
        "gateway_mean_retirement_risk_offered": float(w.loc[offered, "p_retirement"].mean()) if offered.any() else None,
    }
