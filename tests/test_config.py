"""The one settings loader: every section, keys named in errors, old layouts still read."""

from __future__ import annotations

import re
import tomllib
import warnings
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest
from plans_frames import write_sheet

from workforce.allocation.config import POLICY_KEYS, SOLVER_KEYS, AllocationConfig
from workforce.caseload import CaseloadRules
from workforce.config import (EXAMPLE, RUN_TABLES, load_settings, plan_settings_toml, settings_from_toml)
from workforce.errors import InputError, InputWarning
from workforce.plans.assumptions import SECTIONS, Assumptions, assumptions_frame, value_fields

REPO = Path(__file__).resolve().parents[1]


def settings(text: str, **kw):
    """Settings from TOML text in the current layout: nothing is read from an old place."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        result = settings_from_toml(text, source="w.toml", **kw)
    moved = [str(w.message) for w in caught if "old place" in str(w.message) or "no longer" in str(w.message)]
    assert not moved, moved
    return result


def refused(text: str) -> str:
    with pytest.raises(InputError) as err:
        settings_from_toml(text, source="w.toml", base_dir=Path("/tmp"))
    return str(err.value)


RUN = '[run.inputs]\nworkers = "w.csv"\ncases = "c.csv"\nhr_history = "h.csv"\n[run.outputs]\nfolder = "out"\n'


# ------------------------------------------------------------------------- every section


def test_every_section_lands_where_it_is_used(tmp_path):
    s = settings("""
[caseload]
reserved_points = 20
[caseload.case_points]
cp = 9
[caseload.roles.practice_supervisor]
soft_children = 6
[allocation.weights]
travel_cost = 3.5
[allocation.weights.unallocated_cost]
1 = 2000
[allocation.policy]
reach = "locality"
[allocation.solver]
time_limit = 12
threads = 2
[plans.costs]
on_cost_rate = { value = 0.3, basis = "our 2024 payroll" }
[plans.programme.coaching]
cost_per_place_gbp = 900.0
places = 4
roles = ["case_holder"]
leave_risk_reduction_rate = 0.1
[run]
seed = 7
allocation_mode = "leaver"
leavers = ["W0003"]
[run.churn]
horizon_months = 6
use_protected = true
""" + RUN.replace("[run.inputs]", "[run.inputs]\nmodel = \"m\""), base_dir=tmp_path)
    rules = s.caseload
    assert rules.case_points_per_fte == 80 and rules.case_points["cp"] == 9
    assert rules.role("practice_supervisor").soft_children == 6
    assert s.allocation.rules is rules and s.plans.caseload is rules  # one capacity model
    assert s.allocation.travel_cost == 3.5 and s.allocation.unallocated_cost[1] == 2000
    assert s.allocation.reach == "locality" and s.allocation.time_limit == 12 and s.allocation.threads == 2
    assert s.plans.costs.on_cost_rate == 0.3 and s.plans.basis_of("costs", "on_cost_rate") == "our 2024 payroll"
    assert [p.name for p in s.plans.programmes] == ["coaching"]
    run = s.run
    assert (run.seed, run.allocation_mode, run.leavers) == (7, "leaver", ("W0003",))
    assert run.workers == tmp_path / "w.csv" and run.model == tmp_path / "m" and run.out == tmp_path / "out"
    assert run.churn_horizon_months == 6 and run.use_protected is True
    # the run's seed and churn horizon are the plan's too (one number each)
    assert s.plans.montecarlo.seed == 7 and s.plans.projection.risk_horizon_months == 6


def test_sections_are_optional_and_default():
    s = settings("")
    assert s == type(s)(source="w.toml")
    assert s.caseload == CaseloadRules() and s.allocation == AllocationConfig() and s.plans == Assumptions()
    assert s.run is None


# ------------------------------------------------------------------------- errors name the key


@pytest.mark.parametrize("text, named, allowed", [
    ("[caseload]\nbogus = 1\n", "[caseload] bogus: unknown key", "points_per_fte"),
    ("[allocation]\nbogus = 1\n", "[allocation] bogus: unknown key", "[allocation.weights]"),
    ("[allocation.weights]\nbogus = 1\n", "[allocation.weights] bogus: unknown key", "travel_cost"),
    ("[allocation.policy]\nspeed = true\n", "[allocation.policy] speed: unknown key", "make_room"),
    ("[allocation.guards]\nhandoffs = true\n", "[allocation.guards] table was removed", "allocation.policy"),
    ("[plans.costs]\n\nbogus = 1\n", "[plans.costs] bogus: unknown key", "on_cost_rate"),
    ("[plans]\nbogus = 1\n", "'plans.bogus' must be a table", None),
    ("[run]\nbogus = 1\n" + RUN, "[run] bogus: unknown key", "allocation_mode"),
    ("[run.inputs]\nwrkers = 'w.csv'\n", "[run.inputs] wrkers: unknown key", "workers"),
    ("[wheights]\nx = 1\n", "[wheights]: unknown section", "caseload, allocation, plans, run"),
])
def test_unknown_key_is_named_with_the_file_and_what_is_allowed(text, named, allowed):
    message = refused(text)
    assert message.startswith("w.toml") and named in message, message
    if allowed:
        assert allowed in message.split("allowed:")[1], message


def test_the_line_of_a_bad_key_is_given():
    assert "line 4" in refused("[caseload]\nsibling_factor = 0.5\n\nbogus = 1\n")
    assert "line 3" in refused("# plans\n[plans.costs]\nbogus = 1\n")


@pytest.mark.parametrize("text, says", [
    ("[caseload]\npoints_per_fte = 'many'\n", "[caseload] points_per_fte: must be a number"),
    ("[caseload]\nsecond_year_protection = 1\n", "[caseload] second_year_protection: must be true or false"),
    ("[caseload.roles.case_holder]\nsoft_children = 30\n",
     "roles.case_holder.soft_children (30) must not exceed roles.case_holder.hard_children (20)"),
    ("[caseload.case_points]\nwizardry = 3\n", "wizardry"),
    ("[plans.demand]\nabsence_rate = 1.5\n", "maximum"),
    # a number the run shares with the plan is refused under the key the user wrote, not the plan's row
    ("[run.churn]\nhorizon_months = 1000\n" + RUN, "w.toml, line 2: [run.churn] horizon_months: 1000 is above the maximum 60"),
    ("[run]\nseed = 9999999999\n" + RUN, "w.toml, line 2: [run] seed: 1e+10 is above the maximum"),
    ("[run.demand]\nla = '333'\nyears = '2023-2021'\n" + RUN,
     "w.toml, line 3: [run.demand] years: '2023-2021': the last year is before the first"),
    # the run's leavers are named as the file's key, not as allocate's option --leaver
    ("[run]\nallocation_mode = 'leaver'\n" + RUN, "[run] leavers: is empty: allocation_mode = \"leaver\""),
    ("[run]\nleavers = ['W1']\n" + RUN, "w.toml, line 2: [run] leavers: names workers leaving, but allocation_mode"),
    ("[allocation]\nweights = 5\n", "[allocation] weights: must be a table ([allocation.weights])"),
    ("[allocation]\npolicy = 'team'\n", "[allocation] policy: must be a table ([allocation.policy])"),
    ("[allocation]\nsolver = [1]\n", "[allocation] solver: must be a table ([allocation.solver])"),
    ("[run]\nseed = -1\n" + RUN, "[run] seed: must be a whole number >= 0"),
    ("[run]\nallocation_mode = 'random'\n" + RUN, "unknown mode 'random'"),
    ("[run.inputs]\nworkers = 'w.csv'\n[run.outputs]\nfolder = 'o'\n", "[run.inputs] cases: is required"),
    ("[run.inputs]\nworkers = 'w.csv'\ncases = 'c.csv'\n[run.outputs]\nfolder = 'o'\n", "hr_history"),
])
def test_bad_values_are_refused_naming_the_key(text, says):
    assert says in refused(text)


def test_a_missing_or_broken_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="settings file not found"):
        load_settings(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[caseload\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_settings(broken)
    no_run = tmp_path / "plans.toml"
    no_run.write_text("[plans.costs]\non_cost_rate = 0.3\n")
    with pytest.raises(InputError, match=re.escape("[run.outputs]")):
        load_settings(no_run, need_run=True)


# ------------------------------------------------------------------------- one place for each number


def test_a_number_the_run_and_the_plan_share_is_set_once():
    assert "the run uses one number for both" in refused("[run]\nseed = 1\n[plans.montecarlo]\nseed = 2\n" + RUN)
    assert "risk_horizon_months" in refused(
        "[run.churn]\nhorizon_months = 6\n[plans.projection]\nrisk_horizon_months = 12\n" + RUN)
    s = settings("[plans.montecarlo]\nseed = 4\n" + RUN, base_dir=Path("/tmp"))
    assert s.run.seed == 4  # given once, in the plan: the run uses it


def test_run_assumptions_file_supplies_plans_and_caseload(tmp_path):
    a = Assumptions().with_values({"costs.on_cost_rate": 0.31, "caseload.reserved_points": 25.0})
    (tmp_path / "plan.toml").write_text(plan_settings_toml(a))
    s = settings(RUN.replace("[run.inputs]", '[run.inputs]\nassumptions = "plan.toml"'), base_dir=tmp_path)
    assert s.plans == a and s.caseload == a.caseload and s.allocation.rules == a.caseload
    both = RUN.replace("[run.inputs]", '[run.inputs]\nassumptions = "plan.toml"') + "[caseload]\nreserved_points = 10\n"
    with pytest.raises(InputError, match="may not also set"):
        settings_from_toml(both, source="w.toml", base_dir=tmp_path)


# ------------------------------------------------------------------------- older layouts


def test_old_allocation_settings_file_is_read_with_a_note_on_what_moved(tmp_path):
    old = tmp_path / "alloc.toml"
    old.write_text("[caseload]\nsibling_factor = 0.6\n[weights]\ncontinuity_cost = 25\n"
                   "[policy]\nmake_room = true\n[solver]\ntime_limit = 9\n")
    with pytest.warns(InputWarning) as caught:
        s = load_settings(old)
    text = str(caught[0].message)
    assert "[weights] -> [allocation.weights]" in text and "[solver] -> [allocation.solver]" in text
    assert EXAMPLE in text and str(old) in text
    assert s.allocation.continuity_cost == 25 and s.allocation.make_room is True
    assert s.allocation.time_limit == 9 and s.allocation.rules.sibling_factor == 0.6


def test_old_plan_assumptions_file_is_read_with_a_note(tmp_path):
    old = tmp_path / "assumptions.toml"
    old.write_text("[costs]\nagency_hourly_rate_gbp = { value = 50.0, basis = \"invoices\" }\n"
                   "[programme.mentoring]\nplaces = 3\n")
    with pytest.warns(InputWarning, match=re.escape("[costs] -> [plans.costs]")):
        s = load_settings(old)
    assert s.plans.costs.agency_day_rate_case_holder_gbp == pytest.approx(50.0 * 7.4)  # renamed: day rates by role
    assert s.plans.basis_of("costs", "agency_day_rate_case_holder_gbp").startswith("invoices")
    assert [p.name for p in s.plans.programmes] == ["mentoring"] and s.plans.programmes[0].places == 3


def test_old_run_config_is_read_with_a_note(tmp_path):
    old = tmp_path / "run.toml"
    old.write_text('[inputs]\nworkers = "w.csv"\ncases = "c.csv"\nrisk = "r.csv"\n[outputs]\nfolder = "o"\n'
                   '[allocation]\nmode = "new"\nleavers = []\ntime_limit = 7\n[churn]\nhorizon_months = 12\n'
                   '[run]\nseed = 3\n')
    with pytest.warns(InputWarning) as caught:
        s = load_settings(old, need_run=True)
    text = str(caught[0].message)
    for moved in ("[inputs] -> [run.inputs]", "[allocation] mode -> [run] allocation_mode",
                  "[allocation] time_limit -> [allocation.solver] time_limit", "[churn] -> [run.churn]"):
        assert moved in text
    assert s.run.allocation_mode == "new" and s.run.seed == 3 and s.run.risk == tmp_path / "r.csv"
    assert s.allocation.time_limit == 7 and s.run.config_path == old


def test_a_key_in_both_its_old_and_new_place_is_refused():
    message = refused("[weights]\ntravel_cost = 1\n[allocation.weights]\ntravel_cost = 2\n")
    assert "travel_cost" in message and "set twice" in message


@pytest.mark.parametrize("key, value, field, expect", [
    ("demand.target_points_per_fte", 70.0, "reserved_points", 30.0),  # a case-holding FTE carries 100 - 30
    ("supply.asye_capacity_share", 0.8, "asye_points_share", 0.8),
])
def test_plan_keys_that_restated_the_capacity_model_move_to_it(key, value, field, expect):
    section, name = key.split(".")
    with pytest.warns(InputWarning, match=re.escape(f"[caseload] {field}")):
        s = settings_from_toml(f"[{section}]\n{name} = {value}\n", source="old.toml")
    assert getattr(s.caseload, field) == expect and s.allocation.rules == s.caseload == s.plans.caseload


def test_a_moved_plan_key_that_contradicts_caseload_is_refused():
    message = refused("[caseload]\nreserved_points = 10\n[plans.demand]\ntarget_points_per_fte = 70\n")
    assert "target_points_per_fte" in message and "reserved_points" in message


def test_old_assumptions_sheet_is_read_and_its_moved_rows_mapped(tmp_path):
    """A workbook saved before the capacity model moved: it has the two old rows, no caseload rows."""
    frame = assumptions_frame(Assumptions())
    frame = frame[frame["section"] != "caseload"]
    old_rows = pd.DataFrame([{"section": "demand", "key": "target_points_per_fte", "value": 80.0,
                              "unit": "points per FTE", "basis": "[S29]", "description": ""},
                             {"section": "supply", "key": "asye_capacity_share", "value": 0.9, "unit": "fraction",
                              "basis": "[S29]", "description": ""}], columns=frame.columns)
    path = tmp_path / "workforce_plan.xlsx"
    write_sheet(pd.concat([frame, old_rows], ignore_index=True), path)
    with pytest.warns(InputWarning, match="target_points_per_fte"):
        s = load_settings(path)
    assert s.caseload.reserved_points == 20.0 and s.caseload.asye_points_share == 0.9
    assert s.allocation.rules == s.caseload


def test_edited_caseload_rows_of_a_plan_workbook_are_read_back(tmp_path):
    a = Assumptions().with_values({"caseload.roles.case_holder.soft_children": 14, "caseload.points_per_fte": 110.0})
    path = tmp_path / "plan.xlsx"
    write_sheet(assumptions_frame(a), path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        s = load_settings(path)
    assert s.plans == a and s.caseload.role("case_holder").soft_children == 14
    assert s.caseload.role("case_holder").basis.startswith("edited by the user")


# ------------------------------------------------------------------------- the example file


def test_the_example_settings_file_states_every_default():
    s = load_settings(REPO / EXAMPLE)
    assert s.caseload == CaseloadRules() and s.allocation == AllocationConfig() and s.plans == Assumptions()
    assert s.run.workers == REPO / "examples" / "workers.csv"


def _keys(doc: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in doc.items():
        if isinstance(value, dict) and not key.isdigit() and key != "unallocated_cost" and "value" not in value:
            out |= _keys(value, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


def test_the_example_settings_file_documents_every_key():
    """Every key the loader accepts appears in the example (commented out where the keys are
    alternatives), so the example stays the complete reference."""
    text = (REPO / EXAMPLE).read_text()
    uncommented = re.sub(r"(?m)^# ?(\[?[a-z_.]+\]? ?=|\[plans\.programme|\[run\.)", r"\1", text)
    listed = _keys(tomllib.loads(uncommented))
    rules, config = CaseloadRules(), AllocationConfig()
    expected = {f"caseload.{f.name}" for f in fields(rules) if f.name not in ("case_points", "roles")}
    expected |= {f"caseload.case_points.{k}" for k in rules.case_points}
    expected |= {f"caseload.roles.{r}.{f.name}" for r in rules.roles for f in fields(rules.roles[r])
                 if f.name not in ("basis", "complex_children")}
    expected |= {f"allocation.solver.{k}" for k in SOLVER_KEYS}
    expected |= {f"allocation.policy.{k}" for k in POLICY_KEYS}
    expected |= {f"allocation.weights.{f.name}" for f in fields(config)
                 if f.name not in SOLVER_KEYS + POLICY_KEYS and f.name != "rules"}
    expected |= {f"plans.{s}.{f.name}" for s, cls in SECTIONS.items() for f in value_fields(cls)}
    expected |= {"run.seed", "run.allocation_mode", "run.leavers", "run.la"}
    expected |= {f"run.{t}.{k}" for t, keys in RUN_TABLES.items() for k in keys}
    assert expected - listed == set()
    assert any(k.startswith("plans.programme.") for k in listed)


@pytest.mark.parametrize("text, says, line", [
    ("[allocation.solver]\nnode_limit = 10\ntime_limit = -5\n",
     "[allocation.solver] time_limit: must be a positive number of seconds", 3),
    ("[caseload]\nsibling_factor = 0.5\npoints_per_fte = -3\n", "points_per_fte (-3) must be above reserved_points", 3),
    ("# plans\n[plans.recruitment]\nasye_share_max = 7\n", "[plans.recruitment] asye_share_max", 3),
])
def test_a_settings_file_problem_is_said_by_line_and_as_the_file_names_it(text, says, line):
    """A settings file's problems name the line (never 'row') of the key at fault, and the plan
    groups as the file writes them ([plans.recruitment], not the sheet's [recruitment])."""
    message = refused(text)
    assert says in message and f"line {line}" in message and "row " not in message, message


def test_a_removed_table_is_refused_without_saying_it_still_works(recwarn):
    with pytest.raises(InputError, match="guards"):
        settings_from_toml("[guards]\nmax_handoffs = 3\n", source="old.toml")
    assert not [w for w in recwarn.list if "still works" in str(w.message)]


def test_plan_groups_are_named_as_the_file_names_them():
    """The plan parser names a group as the settings file does, whatever the message: an inline
    table without a value and an unknown key alike say [plans.costs], a programme
    [plans.programme.x]; the sheet keeps its own names ([costs])."""
    assert "[plans.costs] salary_case_holder_gbp: an inline table needs 'value'" in refused(
        "[plans.costs]\nsalary_case_holder_gbp = { basis = 'x' }\n")
    assert "[plans.programme.coaching]: missing" in refused("[plans.programme.coaching]\nplaces = 3\n")


@pytest.mark.parametrize("text, says", [
    ('[allocation.policy]\nreach = "county"\n', "w.toml, line 2: [allocation.policy] reach: must be one of team, locality"),
    ('[allocation.policy]\nmake_room = "yes"\n', "w.toml, line 2: [allocation.policy] make_room: must be true or false"),
    ("[allocation.weights]\n\ntravel_cost = -1\n",
     "w.toml, line 3: [allocation.weights] travel_cost: must be a finite number >= 0"),
    ("[allocation.weights]\nbogus = 1\n", "w.toml, line 2: [allocation.weights] bogus: unknown key"),
    ("[allocation.solver]\nspeed = 1\n", "w.toml, line 2: [allocation.solver] speed: unknown key"),
    # 15 typed for 15%: a gap of 1500% would accept the first allocation found
    ("[allocation.solver]\ngap_rel = 15\n", "w.toml, line 2: [allocation.solver] gap_rel: must be at most 1"),
    # 85 typed for 85%: the first step of the load balance would start at 85 caseloads
    ("[allocation.weights]\nload_breakpoints = [[85, 1.0], [95, 4.0]]\n",
     "w.toml, line 2: [allocation.weights] load_breakpoints: shares must lie in (0, 1]"),
])
def test_allocation_settings_name_the_key_as_every_section_does(text, says):
    """The README: a bad key or value is refused naming the file, the line and the key as
    `[section] key`, as [caseload], [plans] and [run] already did ("policy.reach must be ..." did not)."""
    assert says in refused(text)


def test_each_bad_allocation_setting_is_its_own_problem_at_its_own_line():
    message = refused('[allocation.solver]\ntime_limit = -3\n[allocation.weights]\ntravel_cost = "x"\n')
    assert "w.toml, line 2: [allocation.solver] time_limit: must be a positive number of seconds" in message
    assert "w.toml, line 4: [allocation.weights] travel_cost: must be a finite number >= 0" in message


def test_a_settings_file_saved_as_windows_1252_names_the_line_and_the_fix(tmp_path):
    from workforce.demand.settings import load_assumptions as load_demand

    path = tmp_path / "w.toml"
    path.write_bytes("[caseload]\n# costs in \u00a3\npoints_per_fte = 20\n".encode("cp1252"))
    for load in (load_settings, load_demand):
        with pytest.raises(InputError) as err:
            load(path)
        message = str(err.value)
        assert "line 2" in message and "not UTF-8" in message and "codec" not in message, message
