"""Unit costs a finance officer recognises: pay by role and grade with on-costs, agency day rates
by role, recruitment (advert, golden hello with clawback), all in one price year.

Every figure comes from :class:`~workforce.plans.assumptions.CostAssumptions`; nothing here is a
new number, only the brief's formulas (section 5) applied to them. Each source figure is in its
own year (salaries 2018 [S49], agency rates 2016 [S51][S53], recruitment 2015 [S59]); the
pay-award assumption indexes each to `costs.price_year`, and the plan is costed in that year's
prices throughout (real terms: no pay award inside the plan).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workforce.caseload import ROLES
from workforce.plans.assumptions import Assumptions

WEEKS_PER_QUARTER = 52.0 / 4.0

#: Which agency day rate each role is paid at (brief s5: London caps by grade [S51]).
AGENCY_GRADE = {
    "case_holder": "case_holder", "qualified_no_cases": "case_holder",
    "senior_practitioner": "senior", "advanced_practitioner": "senior",
    "practice_supervisor": "supervisor",
    "team_manager": "manager", "service_manager": "manager", "senior_manager": "manager",
}
#: The agency grades, each with its own day rate (`costs.agency_day_rate_<grade>_gbp`).
AGENCY_GRADES = ("case_holder", "senior", "supervisor", "manager")
#: Permanent roles that draw the market supplement (case-holding practitioners past the ASYE).
SUPPLEMENT_ROLES = ("case_holder", "senior_practitioner", "advanced_practitioner")


def price_index(a: Assumptions, year: int) -> float:
    """What a pound of `year` is worth in the price year, by the pay award each year between."""
    return (1.0 + a.costs.pay_award_rate) ** (a.costs.price_year - year)


def salary_gbp(a: Assumptions, role: str, asye: bool = False) -> float:
    """Annual salary of one FTE in `role`, in the price year (an ASYE is paid on the newly
    qualified grade). A role the assumptions have no salary for is paid as a case holder."""
    key = "salary_asye_gbp" if asye else f"salary_{role}_gbp"
    value = getattr(a.costs, key, a.costs.salary_case_holder_gbp)
    return float(value) * price_index(a, a.costs.salary_year)


def market_supplement_gbp(a: Assumptions, role: str, asye: bool = False) -> float:
    """The market supplement a permanent worker of `role` draws (price year), 0 for the rest."""
    return a.costs.market_supplement_gbp if role in SUPPLEMENT_ROLES and not asye else 0.0


def permanent_cost_per_fte_year(a: Assumptions, role: str = "case_holder", asye: bool = False) -> float:
    """Salary and market supplement plus employer on-costs: what a permanent FTE costs a year."""
    return (salary_gbp(a, role, asye) + market_supplement_gbp(a, role, asye)) * (1.0 + a.costs.on_cost_rate)


def agency_grade(role: str) -> str:
    """The agency grade whose day rate a worker of `role` is paid at (a role not listed: a case
    holder's)."""
    return AGENCY_GRADE.get(role, "case_holder")


def agency_day_rate_gbp(a: Assumptions, role: str = "case_holder") -> float:
    """What the authority pays a day for an agency worker of `role`, in the price year."""
    grade = agency_grade(role)
    return float(getattr(a.costs, f"agency_day_rate_{grade}_gbp")) * price_index(a, a.costs.agency_year)


def agency_cost_per_fte_year(a: Assumptions, role: str = "case_holder") -> float:
    """Agency day rate times the working days of an FTE-year (paid hours / hours a day)."""
    return agency_day_rate_gbp(a, role) * a.costs.hours_per_fte_year / a.costs.hours_per_day


def advert_gbp(a: Assumptions) -> float:
    """Advertising and selection for one permanent hire, in the price year."""
    return a.costs.cost_per_hire_gbp * price_index(a, a.costs.recruitment_year)


def golden_hello_net_gbp(a: Assumptions, leave_within_clawback: float) -> float:
    """Expected net cost of one golden hello: paid to every experienced starter, repaid by those
    who leave within the clawback period (chance `leave_within_clawback`)."""
    return a.costs.golden_hello_gbp * (1.0 - float(np.clip(leave_within_clawback, 0.0, 1.0)))


def clawback_leave_chance(a: Assumptions) -> float:
    """Chance a new hire leaves within the clawback period, at the new-hire turnover rate."""
    return 1.0 - (1.0 - a.supply.new_hire_turnover_rate) ** a.costs.golden_hello_clawback_years


def hire_fee_gbp(a: Assumptions) -> float:
    """Recruiting one experienced permanent social worker: advert and selection plus the golden
    hello net of expected clawback."""
    return advert_gbp(a) + golden_hello_net_gbp(a, clawback_leave_chance(a))


def nq_fee_gbp(a: Assumptions) -> float:
    """Recruiting one newly qualified worker: advert and selection plus ASYE support, less the
    grant (no golden hello for a first post)."""
    return advert_gbp(a) + a.costs.asye_support_cost_gbp - a.costs.asye_grant_gbp


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
    premium = max(0.0, agency_cost_per_fte_year(a, role) / 52.0 - weekly_permanent)
    vacancy = premium * c.time_to_hire_weeks
    ramp = c.productivity_weeks * c.productivity_loss_rate * weekly_permanent
    asye_support = c.nq_replacement_share * max(0.0, c.asye_support_cost_gbp - c.asye_grant_gbp)
    return hire_fee_gbp(a) + vacancy + ramp + asye_support


def per_worker(workers: pd.DataFrame, value) -> np.ndarray:
    """`value(role, asye, agency)` for each worker, computed once per distinct combination."""
    cache: dict[tuple[str, bool, bool], float] = {}
    agency = workers["agency"].astype(bool) if "agency" in workers else pd.Series(False, index=workers.index)
    out = np.empty(len(workers))
    for i, key in enumerate(zip(workers["role"].astype(str), workers["asye"].astype(bool), agency)):
        if key not in cache:
            cache[key] = value(*key)
        out[i] = cache[key]
    return out


def worker_cost_of_leaver(workers: pd.DataFrame, a: Assumptions) -> np.ndarray:
    """Cost of a leaver for each worker (by role and ASYE status)."""
    return per_worker(workers, lambda role, asye, agency: cost_of_leaver_gbp(a, role, asye))


def cost_per_fte_year(a: Assumptions, role: str, asye: bool, agency: bool) -> float:
    """A year of one FTE: agency at the role's day rate, the rest at pay plus on-costs."""
    return agency_cost_per_fte_year(a, role) if agency else permanent_cost_per_fte_year(a, role, asye)


def worker_cost_per_quarter(workers: pd.DataFrame, a: Assumptions) -> np.ndarray:
    """What each worker costs per quarter while in post, scaled by FTE."""
    yearly = per_worker(workers, lambda role, asye, agency: cost_per_fte_year(a, role, asye, agency))
    return yearly * workers["fte"].astype(float).to_numpy() / 4.0


def unit_costs(a: Assumptions) -> pd.DataFrame:
    """The unit costs the plan uses, one row per role and grade, in the price year: what a
    finance officer checks first.

    Columns: `role, grade, salary_source_gbp` (as the assumption states it, in `salary_year`),
    `salary_gbp` (indexed), `market_supplement_gbp`, `on_costs_gbp`, `permanent_cost_per_fte_year_gbp`,
    `agency_day_rate_source_gbp` (in `agency_year`), `agency_day_rate_gbp` (indexed),
    `agency_cost_per_fte_year_gbp`, `agency_premium_gbp` (agency less permanent, a year).
    """
    rows = []
    for role in ROLES:
        for asye in ((False, True) if role == "case_holder" else (False,)):
            salary = salary_gbp(a, role, asye)
            supplement = market_supplement_gbp(a, role, asye)
            permanent = permanent_cost_per_fte_year(a, role, asye)
            grade = AGENCY_GRADE.get(role, "case_holder")
            agency = agency_cost_per_fte_year(a, role)
            rows.append({
                "role": role, "grade": "newly qualified (ASYE)" if asye else "qualified",
                "salary_source_gbp": salary / price_index(a, a.costs.salary_year),
                "salary_gbp": salary, "market_supplement_gbp": supplement,
                "on_costs_gbp": (salary + supplement) * a.costs.on_cost_rate,
                "permanent_cost_per_fte_year_gbp": permanent,
                "agency_day_rate_source_gbp": np.nan if asye else float(getattr(a.costs, f"agency_day_rate_{grade}_gbp")),
                "agency_day_rate_gbp": np.nan if asye else agency_day_rate_gbp(a, role),
                "agency_cost_per_fte_year_gbp": np.nan if asye else agency,
                "agency_premium_gbp": np.nan if asye else agency - permanent,
            })
    return pd.DataFrame(rows)
