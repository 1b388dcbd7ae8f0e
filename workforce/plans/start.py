"""The start of a plan under a scenario: leaving hazards rescaled to a target turnover and
permanent case holders moved to agency until a target agency rate.

These sit below both the planner (which applies them) and the named scenarios (which set the
targets), so neither imports the other to reach them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.plans.assumptions import Assumptions
from workforce.plans.leaving import Leaving, annual_to_quarterly


def rescale_turnover(leaving: Leaving, weights: np.ndarray, target: float) -> Leaving:
    """Scale every LA-employed worker's hazards (every reason, every quarter) by one factor so the
    FTE-weighted mean chance of leaving within a year equals `target`; the order of risk between
    workers and the mix of reasons are kept.

    Parameters
    ----------
    leaving : Leaving
        The workers' hazards.
    weights : ndarray
        Each worker's FTE (0 for agency staff, who are not census leavers).
    target : float
        The mean annual turnover wanted (0-1).

    Returns
    -------
    Leaving
        A copy with the rescaled hazards.
    """
    h = leaving.hazard

    def mean(k: float) -> float:
        total = np.clip(h.sum(axis=2) * k, 0.0, 1.0 - 1e-9)
        year = 1.0 - np.prod(1.0 - total[:, :4], axis=1)
        return float(np.average(year, weights=weights)) if weights.sum() > 0 else 0.0

    lo, hi = 0.0, 1.0
    while mean(hi) < target and hi < 1e6:
        hi *= 2.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if mean(mid) < target else (lo, mid)
    k = (lo + hi) / 2.0
    scaled = h * k
    total = scaled.sum(axis=2, keepdims=True)
    scaled = np.where(total > 1.0 - 1e-9, scaled / np.maximum(total, 1e-12) * (1.0 - 1e-9), scaled)
    return Leaving(scaled, leaving.agency_hazard.copy(), leaving.source.copy(), leaving.rates)


def move_to_agency(workers: pd.DataFrame, leaving: Leaving, target: float, seed: int) -> tuple[pd.DataFrame, Leaving]:
    """Mark permanent case holders (not ASYEs) as agency, in a seeded random order, until agency
    holds `target` of FTE (the census agency rate). Their contracts get the default committed
    term, their assignments end at the agency rate and they stop being census leavers."""
    out = workers.copy()
    fte = out["fte"].astype(float).to_numpy()
    agency = out["agency"].astype(bool).to_numpy().copy()
    total = fte.sum()
    if total <= 0 or fte[agency].sum() / total >= target:
        return out, leaving
    pool = np.flatnonzero(~agency & (out["role"] == "case_holder").to_numpy() & ~out["asye"].astype(bool).to_numpy())
    for i in np.random.default_rng(seed).permutation(pool):
        if fte[agency].sum() / total >= target:
            break
        agency[i] = True
    moved = agency & ~workers["agency"].astype(bool).to_numpy()
    out["agency"] = agency
    if "contract_end_date" in out:
        out.loc[moved, "contract_end_date"] = pd.NaT
    hazard = leaving.hazard.copy()
    hazard[moved] = 0.0
    agency_hazard = leaving.agency_hazard.copy()
    agency_hazard[moved] = float(annual_to_quarterly(leaving.rates.agency_end_rate))
    source = leaving.source.copy()
    source[moved] = "scenario: moved to agency"
    return out, Leaving(hazard, agency_hazard, source, leaving.rates)


def apply_start(workers: pd.DataFrame, leaving: Leaving, a: Assumptions, seed: int) -> tuple[pd.DataFrame, Leaving]:
    """The scenario's start: agency rate and turnover rescaled (0 = leave as the data).

    Parameters
    ----------
    workers : DataFrame
        Typed workers.
    leaving : Leaving
        Their hazards.
    a : Assumptions
        `supply.start_turnover_rate` and `supply.start_agency_share`.
    seed : int
        Seeds the order in which permanent case holders are moved to agency.

    Returns
    -------
    tuple of (DataFrame, Leaving)
        The workers and their hazards at the start of the plan.
    """
    if a.supply.start_agency_share > 0:
        workers, leaving = move_to_agency(workers, leaving, a.supply.start_agency_share, seed)
    if a.supply.start_turnover_rate > 0:
        weights = workers["fte"].astype(float).to_numpy() * ~workers["agency"].astype(bool).to_numpy()
        leaving = rescale_turnover(leaving, weights, a.supply.start_turnover_rate)
    return workers, leaving
