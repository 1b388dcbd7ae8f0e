"""Assumptions: exact round trips (frame, settings TOML, workbook sheet) and clear errors."""

from __future__ import annotations

import dataclasses

import pandas as pd
from plans_frames import write_sheet
import pytest

from workforce.config import load_assumptions, plan_settings_toml, settings_from_toml
from workforce.errors import InputError
from workforce.plans.assumptions import Assumptions, assumptions_frame, assumptions_from_frame


def assumptions_from_toml(text: str, source: str = "settings.toml") -> Assumptions:
    return settings_from_toml(text, source=source).plans


def edited() -> Assumptions:
    a = Assumptions().with_values({"costs.agency_hourly_rate_gbp": 45.5, "recruitment.nq_cohort_months": (1, 9),
                                   "recruitment.unit": "locality", "caseload.reserved_points": 20.0,
                                   "caseload.case_points.cp": 8.0,
                                   "caseload.roles.practice_supervisor.soft_children": 6},
                                  basis="planner: 2024 invoices")
    progs = tuple(a.programmes[:3]) + (dataclasses.replace(a.programmes[0], name="coaching", places=3),)
    return dataclasses.replace(a, programmes=progs)


def test_frame_round_trip_is_exact():
    a = edited()
    frame = assumptions_frame(a)
    back = assumptions_from_frame(frame)
    assert back == a
    pd.testing.assert_frame_equal(assumptions_frame(back), frame)
    assert a.basis_of("costs", "agency_hourly_rate_gbp") == "planner: 2024 invoices"
    assert "S53" in a.basis_of("costs", "hours_per_fte_year") or "S49" in a.basis_of("costs", "hours_per_fte_year")


def test_toml_round_trip_is_exact(tmp_path):
    a = edited()
    assert a.caseload.case_points_per_fte == 80.0 and a.caseload.role("practice_supervisor").soft_children == 6
    text = plan_settings_toml(a)
    assert assumptions_from_toml(text) == a
    path = tmp_path / "a.toml"
    path.write_text(text, encoding="utf-8")
    assert load_assumptions(path) == a


def test_plain_toml_values_and_missing_keys_keep_defaults():
    a = assumptions_from_toml("[plans.costs]\nagency_hourly_rate_gbp = 50\n[plans.gateway]\nbudget_gbp = 1000.0\n")
    assert a.costs.agency_hourly_rate_gbp == 50.0
    assert a.gateway.budget_gbp == 1000.0
    assert a.demand == Assumptions().demand
    assert a.programmes == Assumptions().programmes


def test_workbook_sheet_round_trip(tmp_path):
    a = edited()
    path = tmp_path / "plan.xlsx"
    write_sheet(assumptions_frame(a), path)
    assert load_assumptions(path) == a


def test_bad_value_names_row_and_key(tmp_path):
    frame = assumptions_frame(Assumptions())
    row = int(frame.index[(frame["section"] == "costs") & (frame["key"] == "on_cost_rate")][0])
    frame.at[row, "value"] = "lots"
    path = tmp_path / "plan.xlsx"
    write_sheet(frame, path)
    with pytest.raises(InputError) as err:
        load_assumptions(path)
    text = str(err.value)
    assert f"row {row + 2}" in text and "on_cost_rate" in text and "Assumptions" in text


def test_out_of_range_and_unknown_key_reported_together():
    frame = assumptions_frame(Assumptions())
    frame.loc[(frame["section"] == "demand") & (frame["key"] == "absence_rate"), "value"] = 1.5
    frame.loc[len(frame)] = ["costs", "golden_hello_gbp", 8000, "", "", ""]
    with pytest.raises(InputError) as err:
        assumptions_from_frame(frame, source="mine.csv")
    problems = err.value.problems
    assert len(problems) == 2
    assert any("absence_rate" in p.message and "maximum" in p.message for p in problems)
    assert any("golden_hello_gbp" in p.message and p.column == "key" for p in problems)
    assert all(p.file == "mine.csv" and p.row is not None for p in problems)


def test_toml_unknown_key_names_line_and_bad_syntax(tmp_path):
    with pytest.raises(InputError) as err:
        assumptions_from_toml("[plans.costs]\n\nagency_rate = 3\n", source="x.toml")
    assert "agency_rate" in str(err.value) and "row 3" in str(err.value)
    path = tmp_path / "broken.toml"
    path.write_text("[costs\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_assumptions(path)


def test_programme_roles_checked():
    frame = assumptions_frame(Assumptions())
    frame.loc[(frame["section"] == "programme:mentoring") & (frame["key"] == "roles"), "value"] = "case_holder;wizard"
    with pytest.raises(InputError, match="wizard"):
        assumptions_from_frame(frame)
