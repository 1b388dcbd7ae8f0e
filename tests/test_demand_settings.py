"""Demand assumptions: TOML in and out, every bad key or value named."""

from __future__ import annotations

import tomllib

import pytest

from workforce.demand.settings import (
    DemandAssumptions,
    assumptions_from_mapping,
    assumptions_toml,
    load_assumptions,
)
from workforce.errors import InputError

MINE = """
[calibration]
years = "2019-2023"
horizon_quarters = 8

[judgements]
assessment_days = { value = 40, basis = "our case system 2024" }

[parameters]
care_exit_hazard = { value = 0.07, basis = "our looked-after data" }

[structure]
current = "yours"
basis = "our teams"
[structure.teams]
assessment = "front_door"
cin = "family_support"
cp = "family_support"
cla = "children_in_care"
care_leaver = "leaving_care"

[levers]
structure = "locality"
early_help_diversion = { value = 0.15, basis = "early help business case" }
care_entries = -0.1

[investment]
amount_gbp = 500000
quarters = 6
label = "partner"
basis = "contract"

[scenarios.cautious]
description = "half the effect"
early_help_diversion = 0.075

[placements]
price_year = 2022
[placements.weekly_gbp]
ifa = { value = 1000, priced_in = 2022, basis = "our framework price" }
[placements.mix]
in_house_foster = 0.3
ifa = 0.3
kinship = 0.1
childrens_home = 0.1
supported = 0.1
other = 0.1

[budget]
cost_per_fte_gbp = 52000
total_gbp = 90000000

[caseload]
sibling_factor = 0.6
"""


def test_a_planners_file_is_read_in_full(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(MINE, encoding="utf-8")
    a = load_assumptions(path)
    assert a.years == "2019-2023" and a.horizon_quarters == 8
    assert a.judgements == {"assessment_days": 40.0} and a.basis["assessment_days"] == "our case system 2024"
    assert a.overrides == {"care_exit_hazard": 0.07}
    assert a.structure.name == "yours" and a.structure.teams["cin"] == "family_support"
    lev = a.scenarios["levers"]
    assert lev.levers.values == {"early_help_diversion": 0.15, "care_entries": -0.1}
    assert lev.levers.structure == "locality" and lev.investment.amount_gbp == 500000.0
    assert a.scenarios["cautious"].description == "half the effect"
    assert a.unit_costs["ifa"].weekly_gbp == 1000.0 and a.unit_costs["ifa"].priced_in == 2022
    assert a.price_year == 2022 and a.placement_mix["ifa"] == 0.3
    assert a.budget.cost_per_fte_gbp == 52000.0 and a.budget.total_gbp == 9e7
    assert a.rules().sibling_factor == 0.6


def test_what_is_written_reads_back_the_same(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(MINE, encoding="utf-8")
    a = load_assumptions(path)
    again = assumptions_from_mapping(tomllib.loads(assumptions_toml(a)))
    assert again == a
    default = DemandAssumptions()
    assert assumptions_from_mapping(tomllib.loads(assumptions_toml(default))) == default
    assert "# early_help_diversion = " in assumptions_toml(default)  # the levers, ready to switch on


@pytest.mark.parametrize("text, key", [
    ("[levers]\nearly_help_diversion = 0.9\n", "levers.early_help_diversion"),
    ("[levers]\nmagic = 1\n", "levers.magic"),
    ("[judgements]\nassessment_days = 'long'\n", "judgements.assessment_days"),
    ("[placements.mix]\nifa = 0.5\n", "placements.mix"),
    ("[structure]\ncurrent = 'matrix'\n", "structure.current"),
    ("[budget]\nother_share = 0.95\n", "budget.other_share"),
    ("[caseload]\nsibling_factor = 2\n", "caseload"),
    ("[wishes]\nx = 1\n", "wishes"),
    ("[placements.weekly_gbp]\nifa = { value = 820, lo = 900, hi = 700 }\n", "placements.weekly_gbp.ifa"),
    ("[calibration]\nhorizon_quarters = 2.5\n", "calibration.horizon_quarters"),
    ("[placements.weekly_gbp]\nifa = { value = 820, lo = 500, hi = 600 }\n", "placements.weekly_gbp.ifa"),
])
def test_bad_values_are_named(text, key):
    with pytest.raises(InputError) as err:
        assumptions_from_mapping(tomllib.loads(text), source="mine.toml")
    assert any(p.column == key and p.file == "mine.toml" for p in err.value.problems), err.value.describe()


@pytest.mark.parametrize("text, says", [
    ("[calibration]\n\n[judgements]\nassessment_days = 'x'\n", "mine.toml, line 4: [judgements] assessment_days: 'x' is not a number"),
    ("[placements.weekly_gbp]\nifa = { value = 820, lo = 900, hi = 700 }\n", "mine.toml, line 2: [placements.weekly_gbp] ifa: "),
    ("# levers\njudgements = 3\n", "mine.toml, line 2: [judgements]: must be a table"),
])
def test_a_bad_value_in_the_file_is_named_by_line_and_key(tmp_path, text, says):
    # as every other settings file says it: the line and [table] key, the key said once
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_assumptions(path)
    assert says in str(err.value).replace(str(tmp_path) + "/", ""), str(err.value)


def test_a_bad_placement_share_is_one_problem_not_two():
    """A share refused as it stands ('half', or 1.5) used to add a second problem, 'shares add up to
    0.000, not 1', about a sum the user never typed; the refused share is the only problem said."""
    for typed in ("'half'", "1.5"):
        with pytest.raises(InputError) as err:
            assumptions_from_mapping(tomllib.loads(f"[placements.mix]\nifa = {typed}\n"), source="mine.toml")
        assert [p.column for p in err.value.problems] == ["placements.mix.ifa"], err.value.describe()
    with pytest.raises(InputError) as err:  # shares each fine, their sum not
        assumptions_from_mapping(tomllib.loads("[placements.mix]\nifa = 0.5\n"), source="mine.toml")
    assert "shares add up to 0.500, not 1" in err.value.describe()


def test_not_toml_is_an_input_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[levers\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_assumptions(path)
