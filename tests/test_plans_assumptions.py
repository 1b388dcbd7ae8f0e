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
    a = Assumptions().with_values({"costs.agency_day_rate_case_holder_gbp": 345.5, "recruitment.nq_cohort_months": (1, 9),
                                   "recruitment.unit": "locality", "caseload.reserved_points": 20.0,
                                   "caseload.case_points.cp": 8.0,
                                   "caseload.roles.practice_supervisor.soft_children": 6},
                                  basis="planner: 2024 invoices")
    a = a.with_values({"costs.golden_hello_gbp": 8000.0, "feasibility.agency_fall_per_year": 3.5,
                       "supply.agency_fill_rate": 0.95},
                      ranges={"recruitment.hire_success_rate": (0.6, 0.9), "supply.agency_fill_rate": (0.8, 1.0),
                              "programme:mentoring.leave_risk_reduction_rate": (0.0, 0.3)})
    progs = tuple(a.programmes[:3]) + (dataclasses.replace(a.programmes[0], name="coaching", places=3),)
    return dataclasses.replace(a, programmes=progs)


def test_frame_round_trip_is_exact():
    a = edited()
    frame = assumptions_frame(a)
    back = assumptions_from_frame(frame)
    assert back == a
    pd.testing.assert_frame_equal(assumptions_frame(back), frame)
    assert a.basis_of("costs", "agency_day_rate_case_holder_gbp") == "planner: 2024 invoices"
    assert a.basis_of("costs", "golden_hello_gbp").startswith("edited by the user (was: 5,000;")
    assert a.range_of("recruitment", "hire_success_rate") == (0.6, 0.9)
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
    a = assumptions_from_toml("[plans.costs]\nagency_day_rate_case_holder_gbp = 350\n[plans.gateway]\nbudget_gbp = 1000.0\n")
    assert a.costs.agency_day_rate_case_holder_gbp == 350.0
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


def test_a_new_programme_missing_keys_names_its_row(tmp_path):
    """A planner adds a programme on the sheet with only some of its rows: the refusal points at
    the programme's first row, as every other problem on the sheet names its row."""
    frame = assumptions_frame(Assumptions())
    added = pd.DataFrame([{"section": "programme:coaching", "key": "places", "value": 10}])
    frame = pd.concat([frame, added], ignore_index=True).astype(object)
    path = tmp_path / "plan.xlsx"
    write_sheet(frame, path)
    with pytest.raises(InputError) as err:
        load_assumptions(path)
    [problem] = err.value.problems
    assert problem.row == len(frame) + 1  # the added row, below the header and the shipped rows
    assert problem.message.startswith("[programme:coaching]: missing") and "roles" in problem.message


def test_out_of_range_and_unknown_key_reported_together():
    frame = assumptions_frame(Assumptions())
    frame.loc[(frame["section"] == "demand") & (frame["key"] == "absence_rate"), "value"] = 1.5
    frame.loc[len(frame)] = ["costs", "golden_goodbye_gbp", 8000, None, None, "", "", ""]
    with pytest.raises(InputError) as err:
        assumptions_from_frame(frame, source="mine.csv")
    problems = err.value.problems
    assert len(problems) == 2
    assert any("absence_rate" in p.message and "maximum" in p.message for p in problems)
    assert any("golden_goodbye_gbp" in p.message and p.column == "key" for p in problems)
    assert all(p.file == "mine.csv" and p.row is not None for p in problems)


def test_toml_unknown_key_names_line_and_bad_syntax(tmp_path):
    with pytest.raises(InputError) as err:
        assumptions_from_toml("[plans.costs]\n\nagency_rate = 3\n", source="x.toml")
    assert "agency_rate" in str(err.value) and "line 3" in str(err.value)
    path = tmp_path / "broken.toml"
    path.write_text("[costs\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_assumptions(path)


def test_programme_roles_checked():
    frame = assumptions_frame(Assumptions())
    frame.loc[(frame["section"] == "programme:mentoring") & (frame["key"] == "roles"), "value"] = "case_holder;wizard"
    with pytest.raises(InputError, match="wizard"):
        assumptions_from_frame(frame)


def _refused_at_row(section: str, key: str, value) -> tuple[pd.DataFrame, pd.Series, str, int]:
    """The Assumptions frame (indexed by spreadsheet rows, as the reader gives them) with one
    value typed in, and what refusing it says: (frame, the row's mask, message, row number)."""
    frame = assumptions_frame(Assumptions())
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    where = (frame["section"] == section) & (frame["key"] == key)
    frame.loc[where, "value"] = value
    with pytest.raises(InputError) as err:
        assumptions_from_frame(frame)
    return frame, where, str(err.value), int(frame.index[where][0])


def test_a_career_step_must_be_a_role_or_blank():
    """A career step typed 'senior practitioner' named no role: the worker was paid as a case
    holder and held no cases after the programme. It is refused naming the row and the roles;
    a role code and a blank (no step) are read as typed."""
    frame, where, message, row = _refused_at_row("programme:caseload_relief", "career_step", "senior practitioner")
    assert f"row {row}, column 'value'" in message
    assert "'senior practitioner' is not one of blank, case_holder, senior_practitioner" in message
    for typed, step in (("senior_practitioner", "senior_practitioner"), ("", ""), (None, "")):
        frame.loc[where, "value"] = typed
        relief = next(p for p in assumptions_from_frame(frame).programmes if p.name == "caseload_relief")
        assert relief.career_step == step


def test_every_new_assumption_round_trips_through_toml_and_the_workbook(tmp_path):
    """Each value of the sections and programmes, changed from its default (and each range),
    comes back from the settings file and from the workbook's Assumptions sheet exactly."""
    base = Assumptions()
    frame = assumptions_frame(base)
    changes, ranges = {}, {}
    for row in frame.itertuples():
        if row.section == "caseload":
            continue
        name = f"{row.section}.{row.key}"
        value = row.value
        if isinstance(value, bool):
            changes[name] = not value
        elif isinstance(value, float):
            for new in ((round(value * 1.25, 6), round(value * 0.75, 6), round(value * 0.5, 6)) if value else (0.25,)):
                try:
                    base.with_values({name: new})
                except InputError:
                    continue
                changes[name] = new
                break
        elif row.low is not None:
            ranges[name] = (row.low, row.high)
        if row.low is not None and isinstance(value, float):
            new = changes[name]
            high = max(row.high, new)  # a fraction's range stays within 1; a day rate's is in pounds
            ranges[name] = (min(row.low, new) * 0.5 if row.low > 0 else row.low, min(high, 1.0) if row.high <= 1 else high)
    edited_all = base.with_values(changes, ranges=ranges)
    assert edited_all != base
    assert assumptions_from_toml(plan_settings_toml(edited_all)) == edited_all
    path = tmp_path / "plan.xlsx"
    write_sheet(assumptions_frame(edited_all), path)
    assert load_assumptions(path) == edited_all
    for name in ("costs.pay_award_rate", "costs.market_supplement_gbp", "supply.agency_fill_rate",
                 "feasibility.best_share", "recruitment.hire_success_rate"):
        section, key = name.split(".")
        assert edited_all.basis_of(section, key).startswith("edited by the user (was: ")


def test_an_edited_value_says_so_and_a_restored_one_does_not():
    a = Assumptions().with_values({"costs.salary_case_holder_gbp": 42000.0})
    basis = a.basis_of("costs", "salary_case_holder_gbp")
    assert basis == "edited by the user (was: 35,444; [S49] 2018 national average top of scale)"
    back = a.with_values({"costs.salary_case_holder_gbp": 35444.0})
    assert back.basis_of("costs", "salary_case_holder_gbp") == "[S49] 2018 national average top of scale"
    noted = Assumptions().with_values({"costs.salary_case_holder_gbp": 42000.0}, basis="our 2025 pay scales")
    assert noted.basis_of("costs", "salary_case_holder_gbp") == "our 2025 pay scales"


def test_ranges_are_checked():
    frame = assumptions_frame(Assumptions())
    where = (frame["section"] == "recruitment") & (frame["key"] == "hire_success_rate")
    frame.loc[where, ["low", "high"]] = [0.9, 0.95]  # does not hold the value 0.85
    with pytest.raises(InputError, match="the value 0.85 is outside its range 0.9 to 0.95") as err:
        assumptions_from_frame(frame)
    assert [p.column for p in err.value.problems] == ["value"]  # the value is what was edited
    frame.loc[where, ["low", "high"]] = [0.7, None]
    with pytest.raises(InputError, match="both low and high"):
        assumptions_from_frame(frame)
    other = assumptions_frame(Assumptions())
    other.loc[(other["section"] == "costs") & (other["key"] == "on_cost_rate"), ["low", "high"]] = [0.2, 0.3]
    with pytest.raises(InputError, match="takes no range"):
        assumptions_from_frame(other)


def test_the_old_agency_hourly_rate_is_read_as_a_day_rate():
    with pytest.warns(Warning, match="agency_day_rate_case_holder_gbp"):
        a = assumptions_from_toml("[plans.costs]\nagency_hourly_rate_gbp = 40\n")
    assert a.costs.agency_day_rate_case_holder_gbp == pytest.approx(40 * 7.4)


def test_every_fraction_takes_a_typed_percentage_on_the_sheet():
    """A planner types "20%" wherever the value is a fraction or share (a unit's ASYE share, the
    team agency weight, the capacity model's points shares as much as the agency target); a unit
    that is not a fraction (points a year, hires a quarter) refuses it."""
    from workforce.plans.assumptions import is_fraction_unit

    frame = assumptions_frame(Assumptions())
    fractions = [u for u in frame["unit"].dropna().unique() if is_fraction_unit(str(u))]
    assert {"fraction of a unit's case holders", "share of an agency FTE-quarter's cost", "per year or auto",
            "fraction"} <= set(fractions)
    for section, key in (("recruitment", "asye_share_max"), ("recruitment", "team_agency_weight"),
                         ("feasibility", "max_starter_rate"), ("caseload", "asye_points_share"),
                         ("recruitment", "agency_share_target")):
        typed = frame.copy()
        where = (typed["section"] == section) & (typed["key"] == key)
        assert where.sum() == 1, (section, key)
        typed.loc[where, "value"] = "20%"
        back = assumptions_from_frame(typed)
        value = back.caseload.asye_points_share if section == "caseload" else getattr(getattr(back, section), key)
        assert value == pytest.approx(0.2), (section, key)
    assert not is_fraction_unit("percentage points per year or auto") and not is_fraction_unit("hires per quarter")
    typed = frame.copy()
    typed.loc[(typed["section"] == "recruitment") & (typed["key"] == "hiring_capacity_per_quarter"), "value"] = "20%"
    with pytest.raises(InputError, match="hiring_capacity_per_quarter"):
        assumptions_from_frame(typed)


def test_a_capacity_model_clash_names_the_key_and_its_row():
    """A soft cap typed above its hard cap is refused naming both keys, with the row of the first."""
    _, _, message, row = _refused_at_row("caseload", "roles.case_holder.soft_children", 25)
    assert "roles.case_holder.soft_children (25) must not exceed roles.case_holder.hard_children (20)" in message
    assert f"row {row}" in message, message


def test_a_points_share_typed_as_a_percentage_number_is_refused_with_its_row():
    """80 typed for 80% in a role's points share would give the role 80 full caseloads: refused,
    naming the row and the value column, while 80% and 0.8 read as the share they mean."""
    frame, where, message, row = _refused_at_row("caseload", "roles.advanced_practitioner.points_share", "80")
    assert "roles.advanced_practitioner.points_share must be between 0 and 1" in message
    assert f"row {row}, column 'value'" in message, message
    for typed in ("80%", "0.8", "70%"):
        frame.loc[where, "value"] = typed
        share = assumptions_from_frame(frame).caseload.role("advanced_practitioner").points_share
        assert share == pytest.approx(float(typed.rstrip("%")) / (100 if "%" in typed else 1))


def test_a_negative_amount_is_written_as_finance_writes_it():
    frame = assumptions_frame(Assumptions())
    frame.loc[(frame["section"] == "costs") & (frame["key"] == "salary_case_holder_gbp"), "value"] = "-40000"
    with pytest.raises(InputError) as err:
        assumptions_from_frame(frame)
    assert "-£40,000 is below the minimum £15,000" in str(err.value) and "£-" not in str(err.value)


def test_the_order_of_the_rows_does_not_change_the_assumptions():
    """A planner who sorts the Assumptions sheet (by section and key, or any other way) has the
    same assumptions, the L&D catalogue in the same order, so the same plan."""
    a = edited()
    frame = assumptions_frame(a)
    shuffled = frame.sort_values(["section", "key"], ascending=False).reset_index(drop=True)
    back = assumptions_from_frame(shuffled)
    assert back == a and [p.name for p in back.programmes] == [p.name for p in a.programmes]


def test_a_relative_range_left_as_written_moves_with_an_edited_value():
    """The agency day rate edited in the sheet, its range left as written (x0.715-x1 of the old
    rate): the new rate's default range; a planner's own range must still hold the value."""
    frame = assumptions_frame(Assumptions())
    row = (frame["section"] == "costs") & (frame["key"] == "agency_day_rate_case_holder_gbp")
    frame.loc[row, "value"] = 444.0
    a = assumptions_from_frame(frame, warn_missing=False)
    assert a.costs.agency_day_rate_case_holder_gbp == 444.0
    assert a.range_of("costs", "agency_day_rate_case_holder_gbp") == pytest.approx((444.0 * 0.715, 444.0))
    frame.loc[row, ["low", "high"]] = [250.0, 300.0]  # the planner's own: must hold the value
    with pytest.raises(InputError, match="the value 444 is outside its range 250 to 300"):
        assumptions_from_frame(frame, warn_missing=False)


def test_an_edited_value_s_note_gives_the_old_value_as_a_planner_writes_it():
    """The note beside an edited value names the shipped one as written on the sheet: pounds
    with thousands separators and no '.0' (35,444, not 35444.0), fractions as they are."""
    from workforce.plans.assumptions import edited_basis

    a = Assumptions()
    salary = edited_basis("costs", "salary_case_holder_gbp", 36000.0, "", a.basis_of("costs", "salary_case_holder_gbp"))
    assert f"(was: {a.costs.salary_case_holder_gbp:,.0f};" in salary and ".0;" not in salary
    on_cost = edited_basis("costs", "on_cost_rate", 0.3, "", a.basis_of("costs", "on_cost_rate"))
    assert f"(was: {a.costs.on_cost_rate:g};" in on_cost
