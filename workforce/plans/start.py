"""The start of a plan under a scenario: leaving risks rescaled to a target turnover and
permanent case holders moved to agency until a target agency share.

These sit below both the planner (which applies them) and the named scenarios (which set the
targets), so neither imports the other to reach them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.caseload import CaseloadRules
from workforce.plans.assumptions import Assumptions


def rescale_turnover(p_year: np.ndarray, weights: np.ndarray, target: float) -> np.ndarray:
    """Scale every worker's odds of leaving by one factor so the FTE-weighted mean chance of
    leaving within a year equals `target`; the order of risk between workers is kept.

    Parameters
    ----------
    p_year : ndarray
        Each worker's chance of leaving within a year.
    weights : ndarray
        Each worker's FTE.
    target : float
        The mean annual turnover wanted (0-1).

    Returns
    -------
    ndarray
        The rescaled chances.
    """
    p = np.clip(p_year, 1e-6, 1.0 - 1e-6)
    odds = p / (1.0 - p)

    def mean(log_k: float) -> float:
        scaled = odds * np.exp(log_k)
        return float(np.average(scaled / (1.0 + scaled), weights=weights))

    lo, hi = -20.0, 20.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if mean(mid) < target else (lo, mid)
    scaled = odds * np.exp((lo + hi) / 2.0)
    return scaled / (1.0 + scaled)


def move_to_agency(workers: pd.DataFrame, target: float, seed: int, rules: CaseloadRules) -> pd.DataFrame:
    """Mark permanent case holders (not ASYEs) as agency, in a seeded random order, until agency
    holds `target` of case-holding FTE (each role's share from `rules`). Their contracts get the
    default length."""
    out = workers.copy()
    share = (out["fte"].astype(float) * out["role"].map(lambda r: rules.role(str(r)).points_share)).to_numpy()
    agency = out["agency"].astype(bool).to_numpy().copy()
    total = share.sum()
    if total <= 0 or share[agency].sum() / total >= target:
        return out
    pool = np.flatnonzero(~agency & (out["role"] == "case_holder").to_numpy() & ~out["asye"].astype(bool).to_numpy())
    order = np.random.default_rng(seed).permutation(pool)
    for i in order:
        if share[agency].sum() / total >= target:
            break
        agency[i] = True
    out["agency"] = agency
    if "contract_end_date" in out:
        moved = agency & ~workers["agency"].astype(bool).to_numpy()
        out.loc[moved, "contract_end_date"] = pd.NaT
    return out


def apply_start(workers: pd.DataFrame, p_year: np.ndarray, a: Assumptions, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The scenario's start: rescaled turnover and agency share (0 = leave as the data).

    Parameters
    ----------
    workers : DataFrame
        Typed workers.
    p_year : ndarray
        Each worker's chance of leaving within a year.
    a : Assumptions
        `supply.start_turnover_rate` and `supply.start_agency_share`; the capacity model for
        each role's share of a caseload.
    seed : int
        Seeds the order in which permanent case holders are moved to agency.

    Returns
    -------
    tuple of (DataFrame, ndarray)
        The workers and their chances of leaving at the start of the plan.
    """
    if a.supply.start_agency_share > 0:
        workers = move_to_agency(workers, a.supply.start_agency_share, seed, a.caseload)
    if a.supply.start_turnover_rate > 0:
        p_year = rescale_turnover(p_year, workers["fte"].astype(float).to_numpy(), a.supply.start_turnover_rate)
    return workers, p_year
