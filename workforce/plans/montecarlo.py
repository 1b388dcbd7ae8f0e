"""Monte Carlo over leavers for a chosen plan, and for carrying on as now: how wide the range of
outcomes is.

Each run draws who leaves in each quarter: today's workers one by one (each with their own
quarterly hazard, agency contracts ending on their dates) and each cohort of new hires or newly
qualified starters as a binomial count at the new-hire hazard. Planned agency FTE is fixed;
when a unit's supply falls short of demand in a run, extra agency is bought at the agency rate
(that is what happens in practice) and counted in that run's cost. Vectorised over runs with
numpy; seeded, so the same seed gives the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.plans.costs import agency_cost_per_fte_year
from workforce.plans.projection import Workforce, annual_to_quarterly_hazard
from workforce.plans.recruitment import Decisions, RecruitmentInputs, nq_fee_gbp

PERCENTILES = (10, 50, 90)


def _cohorts(inp: RecruitmentInputs, dec: Decisions) -> list[tuple[int, int, int, object, float]]:
    """(unit, start quarter, heads, cohort curves, fee) for every planned hire and intake."""
    out = []
    for u in range(len(inp.units)):
        for d in range(inp.horizon):
            heads = int(round(dec.hires[u, d]))
            if heads and d + inp.lead < inp.horizon:
                out.append((u, d + 1 + inp.lead, heads, inp.hire[d + 1 + inp.lead], inp.a.costs.cost_per_hire_gbp, d + 1))
        for c in inp.cohorts:
            heads = int(round(dec.nq[u, c - 1]))
            if heads:
                out.append((u, c, heads, inp.nq[c], nq_fee_gbp(inp.a), c))
    return out


def simulate(wf: Workforce, inp: RecruitmentInputs, dec: Decisions, *, runs: int, seed: int) -> dict[str, np.ndarray]:
    """Simulated (runs x quarters) permanent FTE, supply, cost and shortfall flags."""
    rng = np.random.default_rng(seed)
    H, nu = inp.horizon, len(inp.units)
    unit_index = {u: i for i, u in enumerate(inp.units)}
    onehot = np.zeros((len(wf.unit), nu))
    onehot[np.arange(len(wf.unit)), [unit_index[u] for u in wf.unit]] = 1.0
    perm = ~wf.agency
    agency_q = agency_cost_per_fte_year(inp.a) / 4.0
    new_hazard = float(annual_to_quarterly_hazard(np.array([inp.a.supply.new_hire_turnover_rate]))[0])
    cohorts = _cohorts(inp, dec)
    alive_cohort = np.zeros((runs, len(cohorts)), dtype=np.int64)
    cohort_unit = np.zeros((len(cohorts), nu))
    for k, (u, *_rest) in enumerate(cohorts):
        cohort_unit[k, u] = 1.0
    cap = np.array([c[3].capacity for c in cohorts]).reshape(len(cohorts), H)
    pay = np.array([c[3].pay for c in cohorts]).reshape(len(cohorts), H)
    need = inp.demand  # expected demand, no margin: the margin is what absorbs the draws

    alive = np.ones((runs, len(wf.unit)), dtype=bool)
    perm_fte = np.zeros((runs, H))
    supply = np.zeros((runs, H))
    cost = np.zeros((runs, H))
    short = np.zeros((runs, H), dtype=bool)
    extra = np.zeros((runs, H))
    spend = inp.gateway_spend if inp.gateway_spend is not None else np.zeros(H)
    for q in range(H):
        before = alive
        leave = rng.random(alive.shape) < wf.hazard[None, :]
        alive = alive & ~leave & (q + 1 < wf.end_q)[None, :]
        mid = (before.astype(float) + alive) / 2.0
        cost[:, q] = mid @ (wf.cost_q * perm) + spend[q]  # agency is paid through dec.agency
        eff_unit = (alive * (wf.share * wf.capacity[:, q] * perm)[None, :]) @ onehot
        stock = alive @ (wf.share * perm)
        # cohorts join at the start of their quarter, then lose binomial leavers each quarter
        if cohorts:
            for k, (_, s, heads, _, fee, fee_q) in enumerate(cohorts):
                if q + 1 == s:
                    alive_cohort[:, k] = heads
                if q + 1 == fee_q:
                    cost[:, q] += heads * fee
            at_start = alive_cohort
            alive_cohort = at_start - rng.binomial(at_start, new_hazard)
            eff_unit = eff_unit + (alive_cohort * cap[:, q][None, :]) @ cohort_unit
            stock = stock + alive_cohort.sum(axis=1)
            cost[:, q] += ((at_start + alive_cohort) / 2.0) @ pay[:, q]
        eff_unit = eff_unit + dec.agency[:, q][None, :]
        gap = np.clip(need[:, q][None, :] - eff_unit, 0.0, None)
        extra[:, q] = gap.sum(axis=1)
        cost[:, q] += dec.agency[:, q].sum() * agency_q + extra[:, q] * agency_q
        perm_fte[:, q] = stock
        supply[:, q] = eff_unit.sum(axis=1)
        short[:, q] = supply[:, q] < need[:, q].sum() - 1e-9
    return {"permanent_fte": perm_fte, "supply_fte": supply, "cost_gbp": cost, "shortfall": short,
            "extra_agency_fte": extra, "extra_agency_cost_gbp": extra * agency_q}


def montecarlo_frame(sim: dict[str, np.ndarray], starts: pd.DatetimeIndex) -> pd.DataFrame:
    """Per quarter: 10th/50th/90th percentiles of supply, permanent FTE and cost, and the
    chance that supply falls below demand."""
    H = sim["supply_fte"].shape[1]
    out = pd.DataFrame({"quarter": np.arange(1, H + 1), "quarter_start_date": starts[:H]})
    for name in ("supply_fte", "permanent_fte", "cost_gbp", "extra_agency_fte"):
        values = np.percentile(sim[name], PERCENTILES, axis=0)
        for p, row in zip(PERCENTILES, values):
            out[f"{name}_p{p}"] = row
    out["p_shortfall"] = sim["shortfall"].mean(axis=0)  # whole service below expected demand
    return out


def _percentiles(stem: str, values: np.ndarray) -> dict[str, float]:
    return {f"{stem}_p{p}": float(v) for p, v in zip(PERCENTILES, np.percentile(values, PERCENTILES))}


def montecarlo_summary(sim: dict[str, np.ndarray], runs: int, seed: int,
                       baseline: dict[str, np.ndarray] | None = None) -> dict:
    """Chance of a shortfall in some quarter, and the 10th/50th/90th percentiles of the plan's
    total cost; with `baseline` (carrying on as now, simulated with the same seed) also of its
    cost and of the saving, paired run by run.

    Parameters
    ----------
    sim : dict of ndarray
        :func:`simulate` for the plan (`cost_gbp`, `shortfall`: runs x quarters).
    runs, seed : int
        Recorded in the summary.
    baseline : dict of ndarray, optional
        :func:`simulate` for carrying on as now.

    Returns
    -------
    dict
        `p_shortfall_any_quarter`, `total_cost_gbp_p10/p50/p90` and, with `baseline`,
        `baseline_cost_gbp_*`, `saving_gbp_*` and `saving_share_*`.
    """
    total = sim["cost_gbp"].sum(axis=1)
    out = {
        "montecarlo_runs": runs,
        "montecarlo_seed": seed,
        "p_shortfall_any_quarter": float(sim["shortfall"].any(axis=1).mean()),
        **_percentiles("total_cost_gbp", total),
    }
    if baseline is not None:
        base = baseline["cost_gbp"].sum(axis=1)
        saving = base - total
        out.update(_percentiles("baseline_cost_gbp", base))
        out.update(_percentiles("saving_gbp", saving))
        out.update(_percentiles("saving_share", np.divide(saving, base, out=np.zeros_like(saving), where=base > 0)))
    return out
