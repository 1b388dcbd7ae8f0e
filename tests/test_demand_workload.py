"""From demand to workforce: points through the capacity model, FTE by team type, handoffs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plans_frames import make_cases, make_workers
from workforce.caseload import CaseloadRules, family_child_points, required_fte
from workforce.demand.workload import (
    STRUCTURES,
    Structure,
    default_mix,
    fit_worker_changes,
    handoffs,
    role_mixes,
    stage_points,
    three_plus_share,
    workforce_demand,
)

STOCKS = pd.DataFrame({"quarter": [1, 2], "assessment": [100.0, 90.0], "cin": [800.0, 780.0], "cp": [200.0, 190.0],
                       "cla": [400.0, 395.0], "care_leaver": [120.0, 121.0]})
OPENING = pd.Series({"assessment": 110.0, "cin": 820.0, "cp": 210.0, "cla": 405.0, "care_leaver": 119.0})


def test_points_per_child_come_from_the_capacity_model():
    rules = CaseloadRules()
    pts = stage_points(rules).set_index("stage")
    # the sibling discount lowers every stage held as families below its case weight
    assert pts.at["cin", "points_per_child"] < rules.case_points["cin"]
    assert pts.at["care_leaver", "points_per_child"] == rules.case_points["care_leaver"]
    heavier = stage_points(CaseloadRules.from_mapping({"case_points": {"cp": 10.0}})).set_index("stage")
    assert heavier.at["cp", "points_per_child"] > pts.at["cp", "points_per_child"]


def test_points_per_child_from_a_cases_table_are_its_own():
    cases = make_cases(make_workers(40), 600, seed=3)
    pts = stage_points(None, cases).set_index("stage")
    own = family_child_points(cases).groupby(cases["case_type"]).mean()
    assert pts.at["cp", "points_per_child"] == pytest.approx(own["cp"])
    assert pts.at["cp", "basis"].startswith("[DERIVED]")
    share = (cases.loc[cases["case_type"].isin(["cla", "cla_complex"]), "case_type"] == "cla_complex").mean()
    assert pts.at["cla", "points_per_child"] == pytest.approx((1 - share) * own["cla"] + share * own["cla_complex"])


def test_required_fte_is_the_capacity_models():
    structure = STRUCTURES["functional"]
    pts = stage_points()
    mixes, _ = role_mixes(structure)
    wf = workforce_demand(STOCKS, OPENING, structure, 2023, pts, mixes)
    row = wf[(wf["quarter"] == 1) & (wf["team_type"] == "safeguarding")].iloc[0]
    per = pts.set_index("stage")["points_per_child"]
    points = 800 * per["cin"] + 200 * per["cp"]
    assert row["demand_children"] == 1000 and row["demand_points"] == pytest.approx(points)
    assert row["required_fte"] == pytest.approx(float(required_fte(points, 1000, default_mix())))
    assert list(wf["quarter"].unique()) == [0, 1, 2]
    assert str(wf.loc[wf["quarter"] == 0, "quarter_end"].iloc[0].date()) == "2023-03-31"
    leaving = wf[wf["team_type"] == "leaving_care"]
    assert not leaving["social_work"].any() and leaving["required_fte"].isna().all()


def test_personal_advisers_get_fte_when_the_rules_define_them():
    rules = CaseloadRules.from_mapping({"roles": {"personal_adviser": {
        "org_role": 6, "points_share": 1.0, "soft_children": 25, "hard_children": 30}}})
    structure = STRUCTURES["functional"]
    mixes, basis = role_mixes(structure, None, rules)
    wf = workforce_demand(STOCKS, OPENING, structure, 2023, stage_points(rules), mixes, rules)
    leaving = wf[(wf["team_type"] == "leaving_care") & (wf["quarter"] == 1)].iloc[0]
    assert leaving["required_fte"] == pytest.approx(120.0 / 25)
    assert "personal_adviser" in basis["leaving_care"]


def test_workers_table_sets_the_mix_by_team_type():
    workers = make_workers(60)
    workers["team_type"] = np.where(np.arange(len(workers)) < 20, "assessment", "safeguarding")
    mixes, basis = role_mixes(STRUCTURES["functional"], workers)
    assert len(mixes["assessment"]) == 20 and len(mixes["safeguarding"]) == 40
    assert len(mixes["children_in_care"]) == 60 and "whole workforce" in basis["children_in_care"]


def test_locality_model_has_no_transfer_points():
    assert STRUCTURES["locality"].transfer_points == 0
    assert STRUCTURES["functional"].transfer_points == 3
    assert STRUCTURES["specialist"].transfer_points == 5
    with pytest.raises(ValueError, match="needs a team type"):
        Structure("broken", {"assessment": "a"})
    with pytest.raises(ValueError, match="personal advisers"):
        Structure("one team", {s: "everyone" for s in ("assessment", "cin", "cp", "cla", "care_leaver")})


FLOWS_2Q = pd.DataFrame({"quarter": [1, 2], "referrals": [350.0, 340.0], "assessed_in_need": [300.0, 300.0],
                         "cp_start": [50.0, 50.0], "cp_step_down": [40.0, 40.0], "care_entry_from_cin": [10.0, 10.0],
                         "care_entry_from_cp": [12.0, 12.0]})


def test_fewer_transfer_points_mean_fewer_social_workers_per_child():
    exits = np.array([0.09, 0.09])
    func = handoffs(FLOWS_2Q, STOCKS, OPENING, STRUCTURES["functional"], 0.4, exits)
    local = handoffs(FLOWS_2Q, STOCKS, OPENING, STRUCTURES["locality"], 0.4, exits)
    assert (local["transfers"] == 0).all() and (func["transfers"] == 322.0).all()
    assert (local["sw_per_child_year"] < func["sw_per_child_year"]).all()


def test_social_workers_per_child_count_the_children_seen_not_the_child_years_held():
    # quarter 1 stands for the year: 1,545 children held at the start and 350 x 4 referred are
    # seen; they are held for 1,522.5 child-years (the mean of 1,545 and 1,500), at 0.4 changes
    # each; in the functional structure 322 x 4 transfers between teams on top
    exits = np.array([0.09, 0.09])
    local = handoffs(FLOWS_2Q, STOCKS, OPENING, STRUCTURES["locality"], 0.4, exits)
    func = handoffs(FLOWS_2Q, STOCKS, OPENING, STRUCTURES["functional"], 0.4, exits)
    seen = 1545.0 + 4 * 350.0
    assert local["sw_per_child_year"].iloc[0] == pytest.approx(1.0 + 0.4 * 1522.5 / seen)
    assert func["sw_per_child_year"].iloc[0] == pytest.approx(1.0 + (4 * 322.0 + 0.4 * 1522.5) / seen)
    # two quarters: each counts twice towards the year
    seen2 = 1545.0 + 2 * (350.0 + 340.0)
    held = np.mean([1545.0, 1500.0, 1455.0])
    assert func["sw_per_child_year"].iloc[1] == pytest.approx(1.0 + (2 * 644.0 + 0.4 * held) / seen2)
    # per child-year held it would be 1 + 4 x 322 / 1,522.5 + 0.4, about 2.25
    assert func["sw_per_child_year"].iloc[0] < 1.0 + 4 * 322.0 / 1522.5 + 0.4 - 0.5
    assert (local["cla_3plus_share"] < func["cla_3plus_share"]).all()


def test_worker_changes_reproduce_the_published_three_plus_share():
    structure = STRUCTURES["functional"]
    fitted = fit_worker_changes(0.27, 0.3, 0.5, structure, "test")
    assert three_plus_share(fitted.parameter.value, 0.3, 0.5, structure) == pytest.approx(0.27, abs=1e-6)
    assert fitted.parameter.lo < fitted.parameter.value < fitted.parameter.hi
    # the transfer on entering care is one change: the locality model needs more other changes
    local = fit_worker_changes(0.27, 0.3, 0.5, STRUCTURES["locality"], "test")
    assert local.parameter.value > fitted.parameter.value
    assert fit_worker_changes(0.0, 0.3, 0.5, structure, "test").parameter.value == pytest.approx(0.0, abs=1e-9)
