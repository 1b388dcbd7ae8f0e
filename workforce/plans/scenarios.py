"""Named assumption sets, compared side by side.

* `baseline`: the authority as its data says, national rates for anyone the risk table misses.
* `sandwell_like`: a high-turnover start like Sandwell's (brief s6): leaving hazards rescaled to
  22% turnover a year and permanent case holders moved to agency until a third of FTE
  (30-35% [S5][S23]) is agency; the plan's levers at their defaults.
* `sandwell_interventions`: the same start with stronger levers, as in the turnaround
  (Central Bedfordshire, Walsall [S47][S48]): a larger L&D budget, more hiring capacity, two
  newly qualified cohorts a year and an agency target of 10% by quarter 8.

Every row of the comparison sets the plan against carrying on as now in the same scenario.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

import pandas as pd

from workforce.errors import InputError
from workforce.plans.assumptions import Assumptions
from workforce.plans.planner import build_plan

SANDWELL_BASIS = "scenario: brief s6 Sandwell-like start (turnover 22%, agency 30-35%)"
INTERVENTION_BASIS = "scenario: turnaround levers, cf. [S47][S48]"


def _baseline(a: Assumptions) -> Assumptions:
    return a


def _sandwell_like(a: Assumptions) -> Assumptions:
    return a.with_values({"supply.start_turnover_rate": 0.22, "supply.start_agency_share": 0.325}, SANDWELL_BASIS)


def _sandwell_interventions(a: Assumptions) -> Assumptions:
    a = _sandwell_like(a)
    return a.with_values({
        "gateway.budget_gbp": max(250000.0, a.gateway.budget_gbp),
        "recruitment.hiring_capacity_per_quarter": max(14, a.recruitment.hiring_capacity_per_quarter),
        "recruitment.nq_cohort_months": (1, 9),
        "recruitment.nq_places_per_cohort": max(12, a.recruitment.nq_places_per_cohort),
        "recruitment.agency_share_target": min(0.10, a.recruitment.agency_share_target),
        "recruitment.agency_target_quarter": min(8, a.recruitment.agency_target_quarter),
    }, INTERVENTION_BASIS)


SCENARIOS: dict[str, Callable[[Assumptions], Assumptions]] = {
    "baseline": _baseline,
    "sandwell_like": _sandwell_like,
    "sandwell_interventions": _sandwell_interventions,
}


def scenario_assumptions(name: str, base: Assumptions | None = None) -> Assumptions:
    """The named scenario built on `base` (default assumptions when None)."""
    if name not in SCENARIOS:
        raise InputError(f"unknown scenario '{name}'", column="--scenario", allowed=", ".join(SCENARIOS))
    return SCENARIOS[name](base or Assumptions())


# ---- side by side -------------------------------------------------------------------------

#: The comparison's columns: costs, saving and the agency rates at the end are the Monte Carlo's
#: (median and 10th-90th percentiles, the plan and carrying on as now simulated in the same
#: futures), as in the headline figures (`workforce.indicators.plan_costs`);
#: `agency_rate_end_expected` and `agency_target_met` are the central projection's (every draw
#: at its most likely value), which the recruitment plan is built to meet, and
#: `p_meet_agency_target` the share of futures that meet the target.
SCENARIO_COLUMNS = (
    "scenario", "turnover_rate", "agency_rate_start", "agency_rate_end", "carry_on_agency_rate_end",
    "agency_rate_end_expected", "agency_target_met", "p_meet_agency_target", "total_cost_gbp_p50", "total_cost_gbp_p10", "total_cost_gbp_p90",
    "baseline_cost_gbp_p50", "saving_gbp_p50", "saving_gbp_p10", "saving_gbp_p90", "saving_share_p50",
    "gateway_cost_gbp", "gateway_expected_leavers_avoided", "permanent_hires", "nq_intake",
    "p_shortfall_any_quarter", "trajectory_beyond_all", "recruitment_status", "recruitment_gap",
)


def scenario_row(name: str, summary: Mapping) -> dict:
    """One line of the comparison from a plan's summary."""
    row = {k: summary.get(k) for k in SCENARIO_COLUMNS}
    row["scenario"] = name
    row["turnover_rate"] = summary.get("start_turnover_rate")
    return row


def compare_scenarios(workers: pd.DataFrame, cases: pd.DataFrame, risk: pd.DataFrame | None,
                      base: Assumptions | None = None, names: Iterable[str] = tuple(SCENARIOS), *,
                      seed: int | None = None, runs: int | None = None, **plan_inputs) -> pd.DataFrame:
    """Run the plan under each named scenario and return one row per scenario.

    Parameters
    ----------
    workers, cases, risk : DataFrame
        As for :func:`workforce.plans.planner.build_plan`.
    base : Assumptions, optional
        The assumptions each scenario starts from.
    names : iterable of str
        Scenario names (keys of `SCENARIOS`).
    seed : int, optional
        Monte Carlo seed.
    runs : int, optional
        Overrides the Monte Carlo runs (a comparison may use fewer for speed).
    **plan_inputs
        The other inputs of :func:`~workforce.plans.planner.build_plan` (`demand`, `history`,
        `hazards`, `establishment`), the same for every scenario.

    Returns
    -------
    DataFrame
        One row per scenario, columns `SCENARIO_COLUMNS`.

    Raises
    ------
    InputError
        An unknown scenario name.
    """
    rows = []
    for name in names:
        a = scenario_assumptions(name, base)
        if runs is not None:
            a = a.with_values({"montecarlo.runs": runs})
        result = build_plan(workers, cases, risk, a, seed=seed, **plan_inputs)
        rows.append(scenario_row(name, result.summary))
    return pd.DataFrame(rows, columns=list(SCENARIO_COLUMNS))
