"""The walk from the Demand sheet's staff line to the plan's workforce cost: its steps add up
exactly on the demo plan, and each step means what it says on a tiny constructed case."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from workforce.config import DemandSettings
from workforce.demand.run import budget_frame
from workforce.demo import generate_authority
from workforce.excel.book import SafeWorkbook
from workforce.pipeline import add_reconciliation_sheet, demand_cost_reconciliation
from workforce.plan_demand import demo_history, plan_demand
from workforce.plans.assumptions import Assumptions
from workforce.plans.costs import agency_cost_per_fte_year
from workforce.plans.planner import build_plan
from workforce.plans.reconcile import (CHECK, END, RECONCILIATION_NOTES, START, cost_reconciliation,
                                       reconciliation_gap)
from workforce.published import read_published


@pytest.fixture(scope="module")
def demo_plan():
    pub = read_published()
    demo = generate_authority(seed=0, scale=0.25)
    dh = demo_history(demo.cases, pub, as_of=demo.as_of)
    a = Assumptions().with_values({"montecarlo.runs": 20})
    d = plan_demand(DemandSettings(), pub, workers=demo.workers, cases=demo.cases, plan=a, history=dh.frame)
    plan = build_plan(demo.workers, demo.cases, None, a, demand=d.requirement)
    return d, plan, demand_cost_reconciliation(d, plan, demo.workers)


def test_the_steps_add_up_exactly_from_the_demand_sheets_staff_line_to_the_plans_cost(demo_plan):
    d, plan, walk = demo_plan
    step = walk.set_index("step")["amount_gbp"]
    budget = budget_frame(d.result)
    staff = budget[(budget["scenario"] == d.result.chosen) & (budget["part"] == "social_work_staff")]
    assert step[START] == pytest.approx(float(staff["final_year_gbp"].iloc[0]), rel=1e-12)  # the Demand sheet's
    assert step[END] == pytest.approx(plan.recruitment_totals["cost_gbp"].iloc[-4:].sum(), rel=1e-12)
    steps = walk[~walk["step"].isin([START, END, CHECK])]["amount_gbp"]
    assert abs(steps.sum() - (step[END] - step[START])) < 1e-6  # pounds: to a millionth of a penny
    assert abs(step[CHECK]) < 1e-6 and abs(reconciliation_gap(walk)) < 1e-6
    assert walk["running_gbp"].iloc[-3] == pytest.approx(step[END], rel=1e-12)  # the last step ends at the cost
    assert list(walk.columns) == list(RECONCILIATION_NOTES)
    # the demo's demand model is in an earlier price year than the plan: indexing raises the line
    assert d.result.assumptions.price_year < plan.assumptions.costs.price_year and step["price year"] > 0


def test_the_reconciliation_sheet_carries_the_walk_with_its_notes(tmp_path, demo_plan):
    walk = demo_plan[2]
    book = SafeWorkbook(produced_by="test")
    add_reconciliation_sheet(book, walk)
    wb = openpyxl.load_workbook(book.save(tmp_path / "plan.xlsx"))
    ws = wb["Cost reconciliation"]
    header = [c.value for c in ws[1]]
    assert header[:len(RECONCILIATION_NOTES)] == list(RECONCILIATION_NOTES)
    assert ws.cell(1, 1).comment is not None
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)][-1] == CHECK


def tiny(absence=0.05):
    """Four quarters: the model requires 10 FTE, the plan 12 (absence included); 11 case-holding
    FTE in post of whom 2 agency cover, 3 FTE in posts without cases."""
    a = Assumptions().with_values({"demand.absence_rate": absence, "projection.horizon_quarters": 4})
    q = [1, 2, 3, 4]
    requirement = pd.DataFrame({"quarter": q * 2, "social_work": [True] * 4 + [False] * 4,
                                "required_fte": [10.0] * 4 + [99.0] * 4})  # personal advisers: not staff
    projection = pd.DataFrame({"quarter": q, "team": "T1", "required_fte": 12.0})
    agency_q = agency_cost_per_fte_year(a) / 4.0
    totals = pd.DataFrame({"quarter": q, "permanent_fte": 12.0, "agency_fte": 2.0, "case_holder_fte": 11.0,
                           "pay_cost_gbp": 150000.0, "agency_cost_gbp": 2.0 * agency_q,
                           "recruitment_cost_gbp": 1000.0, "gateway_cost_gbp": 500.0})
    totals["cost_gbp"] = totals[["pay_cost_gbp", "agency_cost_gbp", "recruitment_cost_gbp", "gateway_cost_gbp"]].sum(axis=1)
    return a, requirement, totals, projection


def test_each_step_means_what_it_says_on_a_tiny_case():
    a, requirement, totals, projection = tiny()
    c0, c1 = 50000.0, 53000.0  # an FTE a year at the mix's pay: demand's price year, the plan's
    walk = cost_reconciliation(requirement, totals, projection, a, staff_cost_per_fte=c0, staff_year=2023,
                               staff_cost_per_fte_plan_year=c1).set_index("step")
    s = walk["amount_gbp"]
    assert s[START] == pytest.approx(4 * 10 * c0 / 4)  # personal advisers are not in the staff line
    assert s["price year"] == pytest.approx(4 * 10 * (c1 - c0) / 4) and s["price year"] > 0
    assert s["absence"] == pytest.approx(4 * 12 * 0.05 * c1 / 4) and s["absence"] > 0
    assert s["the plan's own requirement"] == pytest.approx(4 * (12 * 0.95 - 10) * c1 / 4)
    # fewer case holders in post (11) than required (12): negative
    held = s["case-holding staff in post against the requirement"]
    assert held == pytest.approx(4 * (11 - 12) * c1 / 4) and held < 0
    assert s["posts that hold no cases"] == pytest.approx(4 * 3 * c1 / 4) and s["posts that hold no cases"] > 0
    # pay of the 12 LA FTE (no agency outside the cover here) against the mix's pay
    assert s["pay of the staff in post against the mix's"] == pytest.approx(4 * (150000.0 - 12 * c1 / 4))
    premium = 4 * 2 * (agency_cost_per_fte_year(a) - c1) / 4  # 2 FTE of cover at the day rate, not the mix's pay
    assert s["agency premium on the cover"] == pytest.approx(premium) and premium > 0
    assert walk.at["agency premium on the cover", "fte"] == pytest.approx(2.0)
    assert s["recruitment"] == 4000.0 and s["L&D"] == 2000.0
    assert s[END] == pytest.approx(totals["cost_gbp"].sum())
    assert abs(s[CHECK]) < 1e-6
    # no absence: its step is 0 and the plan's own requirement takes the whole 12
    walk0 = cost_reconciliation(*tiny(0.0)[1:], tiny(0.0)[0], staff_cost_per_fte=c0, staff_year=2023,
                                staff_cost_per_fte_plan_year=c1).set_index("step")["amount_gbp"]
    assert walk0["absence"] == 0.0 and walk0["the plan's own requirement"] == pytest.approx(4 * 2 * c1 / 4)
    # the same price year: no indexing step
    same = cost_reconciliation(requirement, totals, projection, a, staff_cost_per_fte=c1, staff_year=2025,
                               staff_cost_per_fte_plan_year=c1).set_index("step")["amount_gbp"]
    assert same["price year"] == 0.0
    assert np.isfinite(walk["running_gbp"].drop(CHECK)).all()


def test_only_the_plans_final_year_is_walked():
    a, requirement, totals, projection = tiny()
    longer = pd.concat([totals.assign(quarter=totals["quarter"] + 4), totals.assign(cost_gbp=1e9)], ignore_index=True)
    walk = cost_reconciliation(requirement.assign(quarter=requirement["quarter"] + 4), longer,
                               projection.assign(quarter=projection["quarter"] + 4), a, staff_cost_per_fte=1.0,
                               staff_year=2025, staff_cost_per_fte_plan_year=1.0).set_index("step")["amount_gbp"]
    assert walk[END] == pytest.approx(totals["cost_gbp"].sum())  # quarters 5-8, not the 1e9 of 1-4
