"""The whole plan in one call: projection, L&D gateway, recruitment, Monte Carlo, summary.

`build_plan` is what `workforce plan` and the demo pipeline call; it is a pure function of its
inputs and the seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from workforce.errors import InputError
from workforce.plans.assumptions import Assumptions, assumptions_frame
from workforce.plans.gateway import gateway_summary, plan_gateway
from workforce.plans.montecarlo import montecarlo_frame, montecarlo_summary, simulate
from workforce.plans.projection import annual_leave_probability, build_workforce, plan_start_date, project
from workforce.plans.recruitment import (baseline_decisions, recruitment_frames, recruitment_inputs,
                                         recruitment_summary, solve_recruitment, unit_base)
from workforce.plans.start import apply_start


@dataclass
class PlanResult:
    """The frames of a plan (columns as in docs/architecture and the preamble) and a summary."""

    assumptions: Assumptions
    assumptions_frame: pd.DataFrame
    projection: pd.DataFrame
    gateway: pd.DataFrame
    gateway_programmes: pd.DataFrame
    recruitment: pd.DataFrame
    recruitment_totals: pd.DataFrame
    montecarlo: pd.DataFrame
    risk: pd.DataFrame
    summary: dict = field(default_factory=dict)


def _check_inputs(workers: pd.DataFrame, cases: pd.DataFrame, risk: pd.DataFrame | None) -> None:
    need_w = ("worker_id", "team", "locality", "role", "asye", "agency", "fte", "start_date", "available")
    need_c = ("family_id", "case_type", "court", "locality")
    for name, frame, cols in (("workers", workers, need_w), ("cases", cases, need_c)):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}", file=name, row=1)
    if len(workers) == 0:
        raise InputError("has no workers", file="workers")
    if risk is not None:
        for col in ("worker_id", "p_leave"):
            if col not in risk.columns:
                raise InputError("missing column", file="risk", row=1, column=col)
        p = pd.to_numeric(risk["p_leave"], errors="coerce")
        bad = p.isna() | (p < 0) | (p > 1)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError("p_leave must be a number from 0 to 1", file="risk", row=row, column="p_leave")


def build_plan(workers: pd.DataFrame, cases: pd.DataFrame, risk: pd.DataFrame | None = None,
               assumptions: Assumptions | None = None, *, seed: int | None = None) -> PlanResult:
    """Run the whole plan: L&D gateway, projection, recruitment plan, Monte Carlo for the plan and
    for carrying on as now, and the summary.

    Parameters
    ----------
    workers, cases : DataFrame
        Typed frames (`workforce.contracts.load_*`).
    risk : DataFrame, optional
        `worker_id, p_leave` (chance of leaving within `projection.risk_horizon_months`);
        workers it misses get the default turnover.
    assumptions : Assumptions, optional
        The plan assumptions and their capacity model (default: the shipped ones).
    seed : int, optional
        Overrides `montecarlo.seed` (and is recorded in the assumptions returned).

    Returns
    -------
    PlanResult

    Raises
    ------
    InputError
        A frame lacks a column the plan needs, there are no workers, or a p_leave is outside
        0-1.
    """
    timings: dict[str, float] = {}
    began = time.perf_counter()
    a = assumptions or Assumptions()
    if seed is not None and seed != a.montecarlo.seed:
        a = a.with_values({"montecarlo.seed": int(seed)})
    _check_inputs(workers, cases, risk)
    start = plan_start_date(a, workers, cases)

    p_year = annual_leave_probability(workers, risk, a)
    workers, p_year = apply_start(workers, p_year, a, a.montecarlo.seed)

    t = time.perf_counter()
    gateway = plan_gateway(workers, p_year, a, start)
    timings["gateway_seconds"] = time.perf_counter() - t

    wf_now = build_workforce(workers, p_year, a, start)
    wf_plan = build_workforce(workers, gateway.p_year_after, a, start)
    projection = project(workers, cases, wf_now, a)

    t = time.perf_counter()
    inp = recruitment_inputs(a, wf_plan, projection, gateway.spend_by_quarter)
    decisions, report, relaxed = solve_recruitment(inp)
    base_now = unit_base(wf_now, inp.units)
    recruitment, totals = recruitment_frames(inp, inp.base, decisions, base_now, wf_now.starts)
    timings["recruitment_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    sim = simulate(wf_plan, inp, decisions, runs=a.montecarlo.runs, seed=a.montecarlo.seed)
    # carrying on as now in the same kind of future: today's staff without the L&D offers, no
    # hires, agency covering every expected gap (and, as for the plan, any chance shortfall)
    carry_on = simulate(wf_now, replace(inp, gateway_spend=None), baseline_decisions(inp, base_now),
                        runs=a.montecarlo.runs, seed=a.montecarlo.seed)
    montecarlo = montecarlo_frame(sim, wf_now.starts)
    timings["montecarlo_seconds"] = time.perf_counter() - t

    risk_used = pd.DataFrame({
        "worker_id": workers["worker_id"].astype(str).to_numpy(),
        "team": workers["team"].astype(str).to_numpy(),
        "locality": workers["locality"].astype(str).to_numpy(),
        "agency": workers["agency"].astype(bool).to_numpy(),
        "p_leave": p_year,
        "p_leave_after": gateway.p_year_after,
    })
    fte = workers["fte"].astype(float).to_numpy()
    summary = {
        "start_date": start.date().isoformat(),
        "horizon_quarters": a.projection.horizon_quarters,
        "workers": int(len(workers)),
        "cases": int(len(cases)),
        "start_turnover_rate": float(np.average(p_year, weights=fte)),
        "turnover_rate_after_gateway": float(np.average(gateway.p_year_after, weights=fte)),
        "demand_fte_start": float(projection.loc[projection["quarter"] == 1, "demand_fte"].sum()),
        "supply_fte_start": float(projection.loc[projection["quarter"] == 1, "supply_fte"].sum()),
        "expected_leavers_no_plan": float(projection["expected_leavers"].sum()),
        **gateway_summary(gateway, a),
        **recruitment_summary(totals, report, relaxed, inp),
        **montecarlo_summary(sim, a.montecarlo.runs, a.montecarlo.seed, baseline=carry_on),
        **{k: round(v, 3) for k, v in timings.items()},
    }
    summary["seconds"] = round(time.perf_counter() - began, 3)
    return PlanResult(a, assumptions_frame(a), projection, gateway.workers, gateway.programmes,
                      recruitment, totals, montecarlo, risk_used, summary)
