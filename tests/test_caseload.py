"""The capacity model: each rule where it binds and where it does not, on tiny frames."""

import numpy as np
import pandas as pd
import pytest

from workforce.caseload import (
    ROLES,
    CaseloadRules,
    family_child_points,
    holding_per_fte,
    is_complex,
    required_fte,
    safe_holding,
    worker_caps,
)


def _workers(rows):
    base = {"role": "case_holder", "fte": 1.0, "asye": False, "available": True}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_case_holder_full_caps():
    caps = worker_caps(_workers([{}])).iloc[0]
    assert caps["capacity_points"] == pytest.approx(85.0)
    assert (caps["soft_children"], caps["hard_children"], caps["complex_children"]) == (16, 20, 20)


def test_child_caps_scale_by_role():
    """A practice supervisor gets half the points and half the children, not a full cap."""
    caps = worker_caps(_workers([{"role": "practice_supervisor"}, {"role": "case_holder"}]))
    sup, holder = caps.iloc[0], caps.iloc[1]
    assert sup["capacity_points"] == pytest.approx(holder["capacity_points"] / 2)
    assert sup["hard_children"] < holder["hard_children"]
    assert sup["soft_children"] < holder["soft_children"]


def test_complex_cap_binds_for_senior_practitioner_only():
    caps = worker_caps(_workers([{"role": "senior_practitioner"}, {"role": "case_holder"}]))
    assert caps.iloc[0]["complex_children"] == 15 < caps.iloc[0]["hard_children"]
    assert caps.iloc[1]["complex_children"] == caps.iloc[1]["hard_children"]


def test_caps_scale_by_fte_and_round_down():
    caps = worker_caps(_workers([{"fte": 0.5}, {"fte": 0.55}]))
    assert list(caps["hard_children"]) == [10, 11]
    assert caps["capacity_points"].iloc[0] == pytest.approx(42.5)


def test_asye_protection_binds_only_for_asye():
    caps = worker_caps(_workers([{"asye": True}, {"asye": False}]))
    assert caps.iloc[0]["capacity_points"] == pytest.approx(0.9 * 85)
    assert caps.iloc[0]["hard_children"] == 12
    assert caps.iloc[1]["hard_children"] == 20


def test_second_year_protection_off_by_default_and_binds_when_on():
    w = _workers([{"second_year": True}])
    assert worker_caps(w).iloc[0]["hard_children"] == 20
    on = CaseloadRules(second_year_protection=True)
    caps = worker_caps(w, on).iloc[0]
    assert caps["hard_children"] == 16 and caps["capacity_points"] == pytest.approx(0.95 * 85)


@pytest.mark.parametrize("role", ["team_manager", "service_manager", "senior_manager", "qualified_no_cases"])
def test_non_case_holding_roles_hold_nothing(role):
    caps = worker_caps(_workers([{"role": role}])).iloc[0]
    assert caps["capacity_points"] == 0 and caps["hard_children"] == 0
    assert role in ROLES and role not in CaseloadRules().case_holding_roles


def test_unavailable_holds_nothing_now_but_counts_for_planning():
    w = _workers([{"available": False}])
    assert worker_caps(w).iloc[0]["hard_children"] == 0
    assert safe_holding(w).iloc[0]["children"] == 16


def test_overrides_win_and_keep_soft_below_hard():
    w = _workers([{"capacity_points": 50.0, "max_children": 8}, {"capacity_points": np.nan, "max_children": np.nan}])
    caps = worker_caps(w)
    assert caps.iloc[0]["capacity_points"] == 50 and caps.iloc[0]["hard_children"] == 8
    assert caps.iloc[0]["soft_children"] == 8
    assert caps.iloc[1]["hard_children"] == 20


def test_required_fte_takes_the_binding_limit():
    mix = _workers([{}, {"role": "team_manager"}])  # 2 FTE hold 85 points and 16 children
    pts, kids = holding_per_fte(mix)
    assert (pts, kids) == (pytest.approx(42.5), pytest.approx(8.0))
    # children bind: 32 children need 4 FTE although 85 points need only 2
    assert required_fte(85.0, 32.0, mix) == pytest.approx(4.0)
    # points bind: 170 points need 4 FTE although 8 children need only 1
    assert required_fte(170.0, 8.0, mix) == pytest.approx(4.0)


def test_required_fte_agrees_with_the_allocation_caps():
    """Planning and allocation see one capacity for the same (available) workforce."""
    mix = _workers([{}, {"role": "practice_supervisor", "fte": 0.8}, {"asye": True}, {"role": "senior_practitioner"}])
    caps = worker_caps(mix)
    total_fte = mix["fte"].sum()
    assert required_fte(caps["capacity_points"].sum(), 0.0, mix) == pytest.approx(total_fte)
    assert required_fte(0.0, caps["soft_children"].sum(), mix) == pytest.approx(total_fte)


def test_sibling_discount_and_complex_work():
    cases = pd.DataFrame({"family_id": ["F1", "F1", "F2"], "case_type": ["cp", "cin", "cla"],
                          "court": [False, False, True]})
    assert list(family_child_points(cases)) == [7.0, 2.0, 8.0]
    assert list(is_complex(cases)) == [True, False, True]


def test_from_mapping_edits_a_role_and_names_bad_keys():
    rules = CaseloadRules.from_mapping({"roles": {"practice_supervisor": {"soft_children": 6}}})
    assert rules.role("practice_supervisor").soft_children == 6
    assert rules.role("practice_supervisor").basis.startswith("edited by the user")
    with pytest.raises(KeyError, match="bogus"):
        CaseloadRules.from_mapping({"bogus": 1})
    with pytest.raises(KeyError, match="caseload.roles.case_holder"):
        CaseloadRules.from_mapping({"roles": {"case_holder": {"hard": 3}}})
    with pytest.raises(ValueError, match=r"soft_children \(30\) must not exceed roles.case_holder.hard_children"):
        CaseloadRules.from_mapping({"roles": {"case_holder": {"soft_children": 30}}})
    with pytest.raises(ValueError, match=r"roles.advanced_practitioner.points_share must be between 0 and 1"):
        CaseloadRules.from_mapping({"roles": {"advanced_practitioner": {"points_share": 80}}})


def test_every_number_has_a_basis():
    for name, value, basis in CaseloadRules().rows():
        assert basis, name


def test_restating_a_role_as_it_is_is_not_an_edit():
    """A complete settings file restates every role: only a changed value marks it edited."""
    rules = CaseloadRules.from_mapping({"roles": {"case_holder": {"soft_children": 16, "hard_children": 20}}})
    assert rules == CaseloadRules()
    changed = CaseloadRules.from_mapping({"roles": {"case_holder": {"soft_children": 15, "hard_children": 20}}})
    assert changed.role("case_holder").basis.startswith("edited by the user")


def test_every_number_has_a_unit_and_meaning():
    from workforce.caseload import describe

    for name, _, _ in CaseloadRules().rows():
        unit, meaning = describe(name)
        assert unit and meaning, name
