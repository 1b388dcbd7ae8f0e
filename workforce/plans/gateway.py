"""The learning and development gateway plan: who is offered which programme.

An integer programme chooses at most one programme per worker to maximise the expected
replacement cost avoided (chance of leaving over the plan horizon x the programme's relative
cut in that chance x the cost of a leaver) minus the programme's cost, within the L&D budget
and each programme's places. Only eligible pairs (role, ASYE status, tenure; never agency
staff) are offered, and pairs whose expected saving does not exceed their cost are left out
up front: no optimal plan would use them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.mip import SolveReport, solve
from workforce.plans.assumptions import Assumptions, Programme
from workforce.plans.costs import worker_cost_of_leaver


@dataclass
class GatewayPlan:
    workers: pd.DataFrame  # per worker (see `gateway_plan`)
    programmes: pd.DataFrame  # per programme
    p_year_after: np.ndarray  # each worker's chance of leaving within a year after the plan
    report: SolveReport
    spend_by_quarter: np.ndarray  # L&D spend per quarter (cost spread over each programme's duration)


# ---- eligibility: one rule each -----------------------------------------------------------


def eligible_role(workers: pd.DataFrame, programme: Programme) -> np.ndarray:
    """The programme is built for certain roles (e.g. team manager development for supervisors)."""
    return workers["role"].astype(str).isin(programme.roles).to_numpy()


def eligible_employment(workers: pd.DataFrame, programme: Programme) -> np.ndarray:
    """The authority invests in its own staff: agency workers are not offered programmes."""
    return ~workers["agency"].astype(bool).to_numpy()


def eligible_asye(workers: pd.DataFrame, programme: Programme) -> np.ndarray:
    """ASYE support is for ASYEs only; career steps are for workers past their ASYE year."""
    asye = workers["asye"].astype(bool).to_numpy()
    if programme.asye == "only":
        return asye
    if programme.asye == "exclude":
        return ~asye
    return np.ones(len(workers), dtype=bool)


def eligible_tenure(tenure_years: np.ndarray, programme: Programme) -> np.ndarray:
    """Progression needs experience (e.g. ~2.5 years to senior level [S35]); mentoring targets
    the first five years, when most leavers go [S13][S19]."""
    return (tenure_years >= programme.min_tenure_years) & (tenure_years <= programme.max_tenure_years)


def eligibility(workers: pd.DataFrame, tenure_years: np.ndarray, programmes: tuple[Programme, ...]) -> np.ndarray:
    """(workers x programmes) True where the worker may take the programme."""
    out = np.zeros((len(workers), len(programmes)), dtype=bool)
    for j, prog in enumerate(programmes):
        out[:, j] = (eligible_role(workers, prog) & eligible_employment(workers, prog)
                     & eligible_asye(workers, prog) & eligible_tenure(tenure_years, prog) & (prog.places > 0))
    return out


# ---- value of a place ---------------------------------------------------------------------


def horizon_risk(p_year: np.ndarray, horizon_quarters: int) -> np.ndarray:
    """Chance of leaving at some point over the plan horizon, from the chance within a year."""
    return 1.0 - (1.0 - np.clip(p_year, 0.0, 1.0 - 1e-12)) ** (horizon_quarters / 4.0)


def expected_saving(p_horizon: np.ndarray, reduction: np.ndarray, leaver_cost: np.ndarray) -> np.ndarray:
    """Objective term: expected replacement cost avoided = risk x reduction x cost of a leaver."""
    return p_horizon[:, None] * reduction[None, :] * leaver_cost[:, None]


def tenure_years(workers: pd.DataFrame, start: pd.Timestamp) -> np.ndarray:
    started = pd.to_datetime(workers["start_date"], errors="coerce")
    return ((start - started).dt.days / 365.25).fillna(0.0).clip(lower=0.0).to_numpy()


# ---- the programme ------------------------------------------------------------------------


def plan_gateway(workers: pd.DataFrame, p_year: np.ndarray, a: Assumptions, start: pd.Timestamp) -> GatewayPlan:
    """Choose programmes (see the module docstring). `p_year`: chance of leaving within a year."""
    import pulp

    programmes = tuple(a.programmes)
    horizon = a.projection.horizon_quarters
    p_h = horizon_risk(p_year, horizon)
    leaver_cost = worker_cost_of_leaver(workers, a)
    reduction = np.array([p.leave_risk_reduction_rate for p in programmes], dtype=float)
    cost = np.array([p.cost_per_place_gbp for p in programmes], dtype=float)
    ok = eligibility(workers, tenure_years(workers, start), programmes)
    saving = expected_saving(p_h, reduction, leaver_cost)
    net = saving - cost[None, :]
    candidates = np.argwhere(ok & (net > 1e-9))

    prob = pulp.LpProblem("gateway", pulp.LpMaximize)
    x = [prob.add_variable(f"x_{i}_{j}", 0, 1, cat=pulp.LpBinary) for i, j in candidates]
    prob += pulp.lpSum(float(net[i, j]) * v for v, (i, j) in zip(x, candidates)), "expected_net_saving"
    by_worker: dict[int, list] = {}
    by_prog: dict[int, list] = {}
    for v, (i, j) in zip(x, candidates):
        by_worker.setdefault(int(i), []).append(v)
        by_prog.setdefault(int(j), []).append((v, j))
    for i, vs in by_worker.items():
        if len(vs) > 1:
            prob += pulp.lpSum(vs) <= 1, f"one_programme_{i}"  # at most one programme per worker
    for j, vs in by_prog.items():
        if len(vs) > programmes[j].places:
            prob += pulp.lpSum(v for v, _ in vs) <= programmes[j].places, f"places_{j}"
    if len(x):
        prob += pulp.lpSum(float(cost[j]) * v for v, (i, j) in zip(x, candidates)) <= a.gateway.budget_gbp, "budget"
    report = solve(prob, sense="max", time_limit=a.gateway.time_limit_seconds)

    chosen = np.full(len(workers), -1, dtype=int)
    if report.status in ("optimal", "feasible"):
        for v, (i, j) in zip(x, candidates):
            if (v.varValue or 0.0) > 0.5:
                chosen[i] = j
    return _gateway_outputs(workers, programmes, chosen, ok, p_year, p_h, reduction, cost, saving, horizon, report)


def _gateway_outputs(workers, programmes, chosen, ok, p_year, p_h, reduction, cost, saving, horizon, report) -> GatewayPlan:
    has = chosen >= 0
    idx = np.where(has, chosen, 0)
    cut = np.where(has, reduction[idx], 0.0)
    p_h_after = p_h * (1.0 - cut)
    p_year_after = 1.0 - (1.0 - p_h_after) ** (4.0 / horizon)
    p_year_after = np.where(has, p_year_after, p_year)
    place_cost = np.where(has, cost[idx], 0.0)
    worker_saving = np.where(has, saving[np.arange(len(workers)), idx], 0.0)
    per_worker = pd.DataFrame({
        "worker_id": workers["worker_id"].astype(str).to_numpy(),
        "team": workers["team"].astype(str).to_numpy(),
        "role": workers["role"].astype(str).to_numpy(),
        "programme": [programmes[j].name if j >= 0 else "" for j in chosen],
        "career_step": [programmes[j].career_step if j >= 0 else "" for j in chosen],
        "eligible_programmes": ok.sum(axis=1),
        "p_leave": p_year,
        "p_leave_after": p_year_after,
        "cost_gbp": place_cost,
        "expected_leavers_avoided": p_h * cut,
        "expected_saving_gbp": worker_saving,
        "net_saving_gbp": worker_saving - place_cost,
    })
    rows = []
    spend = np.zeros(horizon)
    for j, prog in enumerate(programmes):
        mine = chosen == j
        used = int(mine.sum())
        total = used * prog.cost_per_place_gbp
        avoided = float(per_worker.loc[mine, "expected_leavers_avoided"].sum())
        save = float(per_worker.loc[mine, "expected_saving_gbp"].sum())
        quarters = min(prog.duration_quarters, horizon)
        spend[:quarters] += total / quarters
        rows.append({
            "programme": prog.name, "career_step": prog.career_step, "places": prog.places, "places_used": used,
            "eligible_workers": int(ok[:, j].sum()), "cost_per_place_gbp": prog.cost_per_place_gbp,
            "leave_risk_reduction_rate": prog.leave_risk_reduction_rate, "duration_quarters": prog.duration_quarters,
            "cost_gbp": total, "expected_leavers_avoided": avoided, "expected_saving_gbp": save,
            "net_saving_gbp": save - total, "roi_rate": (save - total) / total if total > 0 else np.nan,
        })
    return GatewayPlan(per_worker, pd.DataFrame(rows), p_year_after, report, spend)


def gateway_summary(plan: GatewayPlan, a: Assumptions) -> dict:
    """Headline figures of the L&D plan for summary.json."""
    w = plan.workers
    cost = float(w["cost_gbp"].sum())
    save = float(w["expected_saving_gbp"].sum())
    return {
        **plan.report.as_dict("gateway"),
        "gateway_budget_gbp": a.gateway.budget_gbp,
        "gateway_cost_gbp": cost,
        "gateway_places_used": int((w["programme"] != "").sum()),
        "gateway_expected_leavers_avoided": float(w["expected_leavers_avoided"].sum()),
        "gateway_expected_saving_gbp": save,
        "gateway_roi_rate": (save - cost) / cost if cost > 0 else None,
    }
