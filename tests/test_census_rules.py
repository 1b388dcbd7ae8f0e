"""Each DfE data-quality rule on a tiny return where it binds and where it does not."""

from __future__ import annotations

import re

import pandas as pd

from census_frames import agency_worker, leaver, records_of, worker, write
from workforce.census import rules
from workforce.census.load import load_returns
from workforce.census.reader import read_return
from workforce.census.schema import detect_year


def _fields(problems) -> list[tuple[int, str]]:
    return sorted((p.position, p.field) for p in problems)


def test_mandatory_for_la_employed(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2", ethnicity=None, frontline=None),
                            agency_worker("SW3")])
    found = rules.mandatory_for_la_employed(records_of(path))
    assert _fields(found) == [(2, "Ethnicity"), (2, "FrontlineGrad")]  # agency worker 3 needs neither


def test_mandatory_fields_follow_the_year(tmp_path):
    # 2024: Sex, not GenderCurrent; 2025: QualInst no longer collected (and not asked for)
    p24 = write(tmp_path, [worker("SW1", 2024, gender=None)], year=2024)
    assert _fields(rules.mandatory_for_la_employed(records_of(p24))) == [(1, "Sex")]
    p25 = write(tmp_path, [worker("SW1", 2025)], year=2025)
    assert rules.mandatory_for_la_employed(records_of(p25)) == []


def test_fte_in_range(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2", fte=None), worker("SW3", fte=0.0),
                            leaver("SW4", "2022-05-01"), leaver("SW5", "2022-05-01", fte=0.5), agency_worker("SW6", fte=None)])
    assert _fields(rules.fte_in_range(records_of(path))) == [(2, "FTE"), (3, "FTE"), (5, "FTE")]


def test_dates_in_order(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2", birth_date=pd.Timestamp("2017-01-01")),
                            leaver("SW3", "2015-01-01"), worker("SW4", start_date=pd.Timestamp("2022-10-03"))])
    found = rules.dates_in_order(records_of(path))
    assert _fields(found) == [(2, "RoleStartDate"), (3, "RoleEndDate"), (4, "RoleStartDate")]


def test_leaver_has_reason_and_destination(tmp_path):
    path = write(tmp_path, [leaver("SW1", "2022-05-01"), leaver("SW2", "2022-05-01", reason=None),
                            leaver("SW3", "2022-05-01", destination=None), worker("SW4", leave_reason=1)])
    found = rules.leaver_has_reason(records_of(path))
    assert _fields(found) == [(2, "ReasonLeave"), (3, "LeaverDestination"), (4, "ReasonLeave")]


def test_leave_in_census_year(tmp_path):
    path = write(tmp_path, [leaver("SW1", "2022-05-01"), leaver("SW2", "2022-12-31"), leaver("SW3", "2020-05-01")])
    found = rules.leave_in_census_year(records_of(path))
    assert _fields(found) == [(2, "RoleEndDate"), (3, "RoleEndDate")]
    assert {p.severity for p in found} == {"warning"}


def test_agency_without_personal_details(tmp_path):
    path = write(tmp_path, [agency_worker("SW1"), agency_worker("SW2", birth_date=pd.Timestamp("1980-01-01"), ethnicity="WBRI"),
                            worker("SW3")])
    found = rules.agency_without_personal_details(records_of(path))
    assert _fields(found) == [(2, "Ethnicity"), (2, "PersonBirthDate")]


def test_duplicate_sweno_but_not_a_change_of_post(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("sw1", org_role=4), worker("SW2"), leaver("SW2", "2022-03-01"),
                            leaver("SW3", "2022-03-01"), leaver("SW3", "2022-03-01")])
    found = rules.duplicate_sweno(records_of(path))
    assert _fields(found) == [(1, "SWENo"), (2, "SWENo"), (5, "SWENo"), (6, "SWENo")]
    assert "also record 2" in next(p.message for p in found if p.position == 1)
    assert all("SW1" not in p.message and "sw1" not in p.message for p in found)


def test_start_origin_with_start_date(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2", start_origin=None), worker("SW3", start_date=None),
                            agency_worker("SW4", start_origin=None)])
    found = rules.start_origin_with_start_date(records_of(path))
    assert _fields(found) == [(2, "StartOrigin"), (3, "RoleStartDate")]


def _header_problems(path):
    ret = read_return(path)
    return rules.check_header(ret, detect_year(ret))


def test_header_rules(tmp_path):
    clean = write(tmp_path, [worker("SW1")], name="csww_2022.xml")
    assert _header_problems(clean) == []
    odd_day = write(tmp_path, [worker("SW1")], ref="2022-04-13", name="odd.xml")
    assert [p.field for p in _header_problems(odd_day)] == ["ReferenceDate"]
    renamed = write(tmp_path, [worker("SW1")], name="csww_2021.xml")
    assert [p.message for p in _header_problems(renamed)] == ["the file name says 2021 but the header says '2022'"]


def test_returns_belong_together(tmp_path):
    a = write(tmp_path, [worker("SW1")], year=2021, la="301")
    b = write(tmp_path, [worker("SW1")], year=2022, la="316")
    c = write(tmp_path, [worker("SW1")], year=2023, la="301")
    found = [p for p in load_returns([a, b, c], salt="s").problems if p.field == "LEA"]
    assert [p.file for p in found] == [b.name]
    twice = write(tmp_path, [worker("SW1")], year=2023, la="301", name="copy_2023.xml")
    same_day = [p for p in load_returns([c, twice], salt="s").problems if p.field == "ReferenceDate"]
    assert sorted(p.file for p in same_day) == sorted([c.name, twice.name])


def test_case_counts(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2", cases30=-3), worker("SW3", cases30=rules.PLAUSIBLE_MAX_CASES),
                            worker("SW4", cases30=300), worker("SW5", org_role=6, cases30=17),
                            worker("SW6", org_role=6, cases30=0), agency_worker("SW7", org_role=6, cases30=None)])
    records = records_of(path)
    negative = rules.cases_not_negative(records)
    assert _fields(negative) == [(2, "Cases30")] and negative[0].severity == "error"
    assert "-3" in negative[0].message
    high = rules.cases_plausible(records)
    assert _fields(high) == [(4, "Cases30")] and high[0].severity == "warning"  # the threshold itself is plausible
    role = rules.cases_only_in_case_holding_role(records)
    assert _fields(role) == [(5, "Cases30")] and role[0].severity == "warning"
    assert {rules.cases_not_negative, rules.cases_plausible, rules.cases_only_in_case_holding_role} <= set(rules.RECORD_RULES)


def test_reference_date_fix_is_the_census_day_of_the_year_and_following_it_is_clean(tmp_path):
    odd = write(tmp_path, [worker("SW1", 2023)], year=2023, ref="2023-04-13", name="odd.xml")
    found = _header_problems(odd)
    assert [p.field for p in found] == ["ReferenceDate"]
    suggested = re.search(r"Set <ReferenceDate> to (\d{4}-\d\d-\d\d)", found[0].fix).group(1)
    assert suggested == str(rules.census_day(2023).date())
    followed = write(tmp_path, [worker("SW1", 2023)], year=2023, ref=suggested, name="followed.xml")
    assert _header_problems(followed) == []


def test_a_year_far_from_the_reference_date_is_not_followed_by_the_fix(tmp_path):
    """A header Year of 0000 (or 1500) beside an off-day ReferenceDate is itself the typo: the
    fix suggests the census day of the ReferenceDate's year, never a day that cannot exist (Year
    0000 was an internal error) or one centuries away; Year's disagreement has its own warning."""
    for typo in ("0000", "1500"):
        odd = write(tmp_path, [worker("SW1", 2022)], year=2022, ref="2022-04-13", name=f"y{typo}.xml")
        odd.write_text(odd.read_text().replace("<Year>2022</Year>", f"<Year>{typo}</Year>"))
        found = {p.field: p for p in _header_problems(odd)}
        assert f"Set <ReferenceDate> to {rules.census_day(2022).date()}" in found["ReferenceDate"].fix
        assert "disagrees with the year of <ReferenceDate>" in found["Year"].message
