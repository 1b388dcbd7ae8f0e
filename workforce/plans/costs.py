"""Derived costs: what an FTE costs per quarter, what an agency FTE costs, what a leaver costs.

All figures come from :class:`~workforce.plans.assumptions.CostAssumptions`; nothing here is a
new number, only the brief's formulas (section 5) applied to them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workforce.plans.assumptions import Assumptions

WEEKS_PER_QUARTER = 52.0 / 4.0


def salary_gbp(a: Assumptions, role: str, asye: bool = False) -> float:
    """Annual salary of one FTE in `role` (an ASYE is paid on the newly qualified scale)."""
    if asye:
        return a.costs.salary_asye_gbp
    return float(getattr(a.costs, f"salary_{role}_gbp"))


def permanent_cost_per_fte_year(a: Assumptions, role: str = "case_holder", asye: bool = False) -> float:
    """Salary plus employer on-costs: what a permanent FTE costs the authority in a year."""
    return salary_gbp(a, role, asye) * (1.0 + a.costs.on_cost_rate)


def agency_cost_per_fte_year(a: Assumptions) -> float:
    """Agency hourly rate times paid hours: what an agency FTE costs in a year."""
    return a.costs.agency_hourly_rate_gbp * a.costs.hours_per_fte_year


def lead_time_quarters(a: Assumptions) -> int:
    """Quarters from deciding to hire to the starter's first day: time to hire plus the
    starter's notice with the old employer, rounded up to whole quarters."""
    weeks = a.costs.time_to_hire_weeks + a.costs.notice_weeks_permanent
    return int(math.ceil(weeks / WEEKS_PER_QUARTER - 1e-9))


def ramp_quarters(a: Assumptions) -> int:
    """Quarters a new hire spends below full productivity (28 weeks -> 2 quarters)."""
    return int(round(a.costs.productivity_weeks / WEEKS_PER_QUARTER))


def cost_of_leaver_gbp(a: Assumptions, role: str = "case_holder", asye: bool = False) -> float:
    """The brief's [DEFAULT] cost of one leaver (section 5):

    recruitment cost + agency-cover premium x weeks vacant + weeks to full productivity x loss
    x the replacement's weekly cost + the net ASYE support cost for the share replaced by a
    newly qualified worker. Weeks vacant equal the time to hire: recruiting runs while the
    leaver serves notice and the starter serves theirs, so the two notices cancel out.
    """
    c = a.costs
    weekly_permanent = permanent_cost_per_fte_year(a, role, asye) / 52.0
    premium = max(0.0, agency_cost_per_fte_year(a) / 52.0 - weekly_permanent)
    vacancy = premium * c.time_to_hire_weeks
    ramp = c.productivity_weeks * c.productivity_loss_rate * weekly_permanent
    asye_support = c.nq_replacement_share * max(0.0, c.asye_support_cost_gbp - c.asye_grant_gbp)
    return c.cost_per_hire_gbp + vacancy + ramp + asye_support


def worker_cost_of_leaver(workers: pd.DataFrame, a: Assumptions) -> np.ndarray:
    """Cost of a leaver for each worker (by role and ASYE status)."""
    cache: dict[tuple[str, bool], float] = {}
    out = np.empty(len(workers))
    for i, (role, asye) in enumerate(zip(workers["role"], workers["asye"].astype(bool))):
        key = (str(role), bool(asye))
        if key not in cache:
            cache[key] = cost_of_leaver_gbp(a, *key)
        out[i] = cache[key]
    return out


def worker_cost_per_quarter(workers: pd.DataFrame, a: Assumptions) -> np.ndarray:
    """What each worker costs per quarter while in post: agency at the agency rate, the rest at
    salary plus on-cost, scaled by FTE."""
    agency = workers["agency"].astype(bool).to_numpy()
    fte = workers["fte"].astype(float).to_numpy()
    perm = np.array([permanent_cost_per_fte_year(a, str(r), bool(s))
                     for r, s in zip(workers["role"], workers["asye"].astype(bool))])
    yearly = np.where(agency, agency_cost_per_fte_year(a), perm)
    return yearly * fte / 4.0
