"""From the demand model's social-work staff line to the plan's workforce cost, step by step.

The Demand sheet's budget has a staff line: the FTE the child's journey requires in case-holding
team types, at the role mix's permanent pay, in the demand model's price year. The plan's
workforce cost is every post in post, agency at day rates, recruitment and L&D, in the plan's
price year. :func:`cost_reconciliation` walks from the one to the other for the plan's final
year in named steps, each the change of one idea, and checks that they add up to the difference.

Each step is priced by the plan's own costing (:mod:`workforce.plans.costs`) and read from the
plan's frames: nothing here is a new cost formula. Most steps hold FTE at the mix's permanent cost
per FTE in the plan's price year (the yardstick), so that what changes in a step is its own idea
(how many FTE, or what they cost against the yardstick).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.plans.assumptions import Assumptions
from workforce.plans.costs import agency_cost_per_fte_year

#: What each column of the reconciliation holds (header notes on the sheet).
RECONCILIATION_NOTES: dict[str, str] = {
    "step": "the figure (first and last rows) or the step between them",
    "amount_gbp": "the step's change in pounds over the plan's final year (first row: the Demand sheet's staff "
                  "line; last rows: the plan's workforce cost and the check)",
    "running_gbp": "the demand model's staff line plus the steps so far: the last step ends at the plan's cost",
    "fte": "the FTE the step counts (average of the final year's quarters; blank where the step is a price)",
    "computed_from": "the frames, columns and costing functions the step uses",
    "meaning": "what the step is, in words",
}

START = "demand model: social-work staff (Demand sheet, final year)"
END = "plan: workforce cost (Recruitment plan: cost_gbp, final year)"
CHECK = "check: steps less (plan cost - staff line), 0 when they add up"


def final_quarters(totals: pd.DataFrame) -> list[int]:
    """The plan's last four quarters (its final year; fewer when the plan is shorter)."""
    quarters = sorted(int(q) for q in totals["quarter"])
    return quarters[-4:]


def cost_reconciliation(requirement: pd.DataFrame, totals: pd.DataFrame, projection: pd.DataFrame,
                        a: Assumptions, *, staff_cost_per_fte: float, staff_year: int,
                        staff_cost_per_fte_plan_year: float) -> pd.DataFrame:
    """The walk from the demand model's staff line to the plan's workforce cost, final year.

    Parameters
    ----------
    requirement : DataFrame
        The demand model's requirement the plan follows
        (:func:`workforce.demand.run.workforce_requirement`: `quarter`, `social_work`,
        `required_fte`); its quarter k is the plan's quarter k.
    totals : DataFrame
        The plan's `recruitment_totals` (`quarter`, `permanent_fte`, `agency_fte`,
        `case_holder_fte`, `pay_cost_gbp`, `agency_cost_gbp`, `recruitment_cost_gbp`,
        `gateway_cost_gbp`, `cost_gbp`).
    projection : DataFrame
        The plan's projection (`quarter`, `required_fte`: each team's requirement at its own role
        mix, grossed up for absence).
    a : Assumptions
        The plan's assumptions (absence rate, agency day rate, price year).
    staff_cost_per_fte : float
        The demand model's cost of one FTE a year (`[budget] cost_per_fte_gbp`), in `staff_year`.
    staff_year : int
        The demand model's price year.
    staff_cost_per_fte_plan_year : float
        The same FTE's cost in the plan's price year: the yardstick of the steps after the first
        (:func:`workforce.plan_demand.staff_cost_in_plan_year`).

    Returns
    -------
    DataFrame
        :data:`RECONCILIATION_NOTES` columns: the staff line, then the steps (price year,
        absence, the plan's own requirement, case-holding staff in post against it, posts that
        hold no cases, pay of the staff in post against the mix's, agency premium on the cover,
        recruitment, L&D), the plan's cost and the check (0 when the steps add up to the
        difference; :func:`reconciliation_gap`).
    """
    quarters = final_quarters(totals)
    n = len(quarters)
    t = totals[totals["quarter"].isin(quarters)]
    req = requirement[requirement["quarter"].isin(quarters) & requirement["social_work"].astype(bool)]
    dem_fte = float(req["required_fte"].sum())
    plan_req = float(projection.loc[projection["quarter"].isin(quarters), "required_fte"].sum())
    absence = a.demand.absence_rate
    ch = float(t["case_holder_fte"].sum())
    staffed = float((t["permanent_fte"] + t["agency_fte"]).sum())
    agency_q = agency_cost_per_fte_year(a) / 4.0
    cover = float(t["agency_cost_gbp"].sum()) / agency_q  # FTE-quarters of cover at the case holder's rate
    yard = staff_cost_per_fte_plan_year / 4.0  # a FTE-quarter at the mix's pay, plan prices
    year = a.costs.price_year

    start = dem_fte * staff_cost_per_fte / 4.0
    rows = [
        (START, start, dem_fte / n, "Demand sheet budget: requirement required_fte (social-work team types) x "
         "[budget] cost_per_fte_gbp / 4",
         f"the FTE the child's journey requires in case-holding team types at the role mix's pay, in {staff_year} "
         "prices, before absence and agency"),
        ("price year", dem_fte * (staff_cost_per_fte_plan_year - staff_cost_per_fte) / 4.0, None,
         "plan_demand.blended_cost_per_fte in each year (costs.permanent_cost_per_fte_year)",
         f"the same FTE at the mix's pay in {year} prices (the plan's) rather than {staff_year}'s"),
        ("absence", plan_req * absence * yard, plan_req * absence / n,
         "projection required_fte x demand.absence_rate",
         f"the plan grosses its requirement up for sickness absence ({absence:.1%} of working days): required = "
         "held / (1 - rate)"),
        ("the plan's own requirement", (plan_req * (1.0 - absence) - dem_fte) * yard,
         (plan_req * (1.0 - absence) - dem_fte) / n, "projection required_fte (before absence) - requirement "
         "required_fte",
         "the plan's teams hold today's cases moved by the model's index, each at its own role mix (team managers "
         "and supervisors included), against the model's FTE at the service's mix"),
        ("case-holding staff in post against the requirement", (ch - plan_req) * yard, (ch - plan_req) / n,
         "recruitment_totals case_holder_fte - projection required_fte",
         "paid FTE in case-holding roles (LA and agency, at each quarter's end) against the requirement: the "
         "coverage path to safe caseloads with its margin, the mix's team managers netted off"),
        ("posts that hold no cases", (staffed - ch) * yard, (staffed - ch) / n,
         "recruitment_totals permanent_fte + agency_fte - case_holder_fte",
         "team, service and senior managers, reviewing officers and qualified staff without cases, kept filled: "
         "outside the demand model's requirement, at the mix's pay"),
        ("pay of the staff in post against the mix's", float(t["pay_cost_gbp"].sum()) - (staffed - cover) * yard,
         None, "recruitment_totals pay_cost_gbp (costs.cost_per_fte_year per worker) - the same FTE at the mix's pay",
         "each post at its own pay (grades, ASYEs on the NQ grade, supplements, agency staff outside the cover at "
         "their day rates), over the quarter's average in post rather than its end"),
        ("agency premium on the cover", float(t["agency_cost_gbp"].sum()) - cover * yard, cover / n,
         "recruitment_totals agency_cost_gbp - cover FTE x the mix's pay (costs.agency_cost_per_fte_year)",
         "agency case-holding cover at the case holder's day rate rather than permanent pay"),
        ("recruitment", float(t["recruitment_cost_gbp"].sum()), None, "recruitment_totals recruitment_cost_gbp",
         "adverts, golden hellos net of clawback, ASYE support less the grant"),
        ("L&D", float(t["gateway_cost_gbp"].sum()), None, "recruitment_totals gateway_cost_gbp",
         "L&D places of the gateway"),
    ]
    end = float(t["cost_gbp"].sum())
    frame = pd.DataFrame(rows, columns=["step", "amount_gbp", "fte", "computed_from", "meaning"])
    frame["running_gbp"] = frame["amount_gbp"].cumsum()
    gap = float(frame["amount_gbp"].iloc[1:].sum()) - (end - start)
    tail = pd.DataFrame([
        (END, end, end, staffed / n, "recruitment_totals cost_gbp",
         f"every post in post, agency at day rates, recruitment and L&D, in {year} prices"),
        (CHECK, gap, np.nan, None, "sum of the steps - (plan cost - staff line)", "0: the steps add up exactly"),
    ], columns=["step", "amount_gbp", "running_gbp", "fte", "computed_from", "meaning"])
    frame = pd.concat([frame, tail], ignore_index=True)
    return frame[list(RECONCILIATION_NOTES)]


def reconciliation_gap(frame: pd.DataFrame) -> float:
    """The check of a reconciliation: its steps less the difference between its two figures."""
    steps = frame[~frame["step"].isin([START, END, CHECK])]["amount_gbp"].sum()
    start = float(frame.loc[frame["step"] == START, "amount_gbp"].iloc[0])
    end = float(frame.loc[frame["step"] == END, "amount_gbp"].iloc[0])
    return float(steps - (end - start))
