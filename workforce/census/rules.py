"""The DfE data-quality rules a return must pass before submission, one function per rule.

Record rules take the records frame of one return (:func:`workforce.census.records.records_frame`)
and return a :class:`CensusProblem` per record that breaks the rule; header rules take the
returns being checked together. The rules are those of the DfE guide and the liia-tools
validator (brief section 2 [S27][S28]); the schema itself is checked by
:mod:`workforce.census.schema`, so a rule does not repeat what the schema already reports.
No message repeats a SWE number or a birth date: records are named by position (and, in the
problems table, by a salted pseudonym), and a value from the return is quoted only as
:func:`workforce.census.problems.value_shown` allows.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

import pandas as pd

from workforce.census.problems import ERROR, WARNING, CensusProblem, value_shown
from workforce.census.reader import WORKER, CensusReturn
from workforce.census.records import AGENCY_PERSONAL_FIELDS, ORG_ROLE_BY_ROLE
from workforce.census.schema import PAY_FROM, SEX_FROM, YearChoice, mandatory_fields, reference_date
from workforce.measures import census_day as _census_date
from workforce.measures import is_census_day

#: Fields the DfE requires on every record of an LA-employed worker (brief section 2 [S27]);
#: the gender field and QualInst depend on the year.
LA_EMPLOYED_FIELDS = ("PersonBirthDate", "GENDER", "Ethnicity", "QualInst", "StepUpGrad", "OrgRole", "RoleStartDate",
                      "StartOrigin", "FTE30", "WorkingDaysLost", "FrontlineGrad")
#: [DEFAULT] The most cases (children) one worker can plausibly hold on the census day: above it
#: a count is more likely a keying error (an extra digit, a team's total) than a caseload. Basis,
#: brief s1 and s3: the highest individual caseloads reported are 16% of respondents above 35 in
#: a 2024 poll [S11] and ASYE caseloads up to 38 [S34b]; 60 is the top of what a whole Hackney
#: unit of five people shares [S37]. A warning, not an error: it asks for a check.
PLAUSIBLE_MAX_CASES = 60
#: OrgRole "qualified without cases": by its definition the worker holds no cases.
NO_CASES_ORG_ROLE = ORG_ROLE_BY_ROLE["qualified_no_cases"]


def _problem(row, rule: str, message: str, fix: str, field: str = "", severity: str = ERROR) -> CensusProblem:
    return CensusProblem(row.file, severity, rule, message, fix, int(row.position), WORKER, field, int(row.year))


def _rows(records: pd.DataFrame, mask: pd.Series, *extra: str):
    """The records where `mask` holds, as (file, position, year, *extra) tuples."""
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return iter(())
    return records.loc[mask, ["file", "position", "year", *extra]].itertuples(index=False)


def _cases(records: pd.DataFrame) -> pd.Series:
    """Cases30 as written (a number, NaN when absent or not a number): the typed `cases30`
    column has already dropped the impossible values these rules are about."""
    return pd.to_numeric(records["Cases30"].where(records["Cases30"].ne("")), errors="coerce").astype(float)


def _is_leaver(records: pd.DataFrame) -> pd.Series:
    """Left on or before the census day (a leaver of this return)."""
    return records["end_date"].notna() & (records["end_date"] <= records["reference_date"])


def mandatory_for_la_employed(records: pd.DataFrame) -> list[CensusProblem]:
    """LA-employed workers' records carry the fields the DfE needs to count and describe the
    workforce: birth date, gender or sex, ethnicity, qualification, route, role, start and
    origin, FTE, sickness. Fields the year's schema makes mandatory are reported by the schema."""
    out: list[CensusProblem] = []
    if records.empty:
        return out
    year = int(records["year"].iloc[0])
    by_schema = set(mandatory_fields(year))
    wanted = []
    for name in LA_EMPLOYED_FIELDS:
        name = ("Sex" if year >= SEX_FROM else "GenderCurrent") if name == "GENDER" else name
        if name == "QualInst" and year >= PAY_FROM:
            continue
        if name not in by_schema:
            wanted.append(name)
    la_employed = ~records["agency"]
    for name in wanted:
        for row in _rows(records, la_employed & records[name].eq("")):
            out.append(_problem(row, "mandatory_for_la_employed", f"<{name}> is missing on an LA-employed worker's record",
                                f"Add <{name}>: the DfE requires it for every LA-employed worker.", name))
    return out


def fte_in_range(records: pd.DataFrame) -> list[CensusProblem]:
    """An LA-employed worker in post on the census day works some hours: FTE above 0 and at
    most 1. A leaver's FTE is 0 (they are not in post on the census day)."""
    out: list[CensusProblem] = []
    leaver = _is_leaver(records)
    in_post = ~records["agency"] & ~leaver
    for row in _rows(records, in_post & records["FTE"].eq("")):
        out.append(_problem(row, "fte_in_range", "<FTE> is missing for a worker in post",
                            "Give <FTE>: the worker's full-time equivalent on the census day, above 0 and at most 1.", "FTE"))
    for row in _rows(records, in_post & records["fte"].eq(0)):
        out.append(_problem(row, "fte_in_range", "<FTE> is 0 for a worker in post",
                            "Give the worker's FTE on the census day (above 0), or record the leave with RoleEndDate.", "FTE"))
    for row in _rows(records, leaver & records["fte"].gt(0)):
        out.append(_problem(row, "fte_in_range", "<FTE> is above 0 for a leaver",
                            "Set <FTE> to 0 for a worker who left before the census day (their hours go in FTE30).", "FTE"))
    return out


def dates_in_order(records: pd.DataFrame) -> list[CensusProblem]:
    """Born before starting, started before leaving, started on or before the census day: a
    date out of order is a typing error that distorts tenure and turnover."""
    out: list[CensusProblem] = []
    born, start, end, ref = records["birth_date"], records["start_date"], records["end_date"], records["reference_date"]
    for row in _rows(records, born.notna() & start.notna() & (born >= start)):
        out.append(_problem(row, "dates_in_order", "<PersonBirthDate> is not before <RoleStartDate>",
                            "Check the birth date and the role start date: one of them is wrong.", "RoleStartDate"))
    for row in _rows(records, start.notna() & end.notna() & (end < start)):
        out.append(_problem(row, "dates_in_order", "<RoleEndDate> is before <RoleStartDate>",
                            "Check the start and end dates of the role: the worker cannot leave before starting.", "RoleEndDate"))
    for row in _rows(records, start.notna() & ref.notna() & (start > ref)):
        out.append(_problem(row, "dates_in_order", "<RoleStartDate> is after the census day (ReferenceDate)",
                            "A worker who starts after the census day belongs in next year's return: remove the record "
                            "or correct the start date.", "RoleStartDate"))
    return out


def leaver_has_reason(records: pd.DataFrame) -> list[CensusProblem]:
    """A leaver says why and where they went (ReasonLeave, LeaverDestination): turnover by
    reason and destination is what the DfE publishes. A reason without a leave date is an error
    the other way round."""
    out: list[CensusProblem] = []
    has_end = records["RoleEndDate"].ne("")
    for name, what in (("ReasonLeave", "why the worker left (1 resignation ... 10 not yet collected)"),
                       ("LeaverDestination", "where the worker went (1 another English LA ... 9 not yet collected)")):
        for row in _rows(records, has_end & records[name].eq("")):
            out.append(_problem(row, "leaver_has_reason", f"a leaver without <{name}>",
                                f"Add <{name}>: {what}. Use 'not known' rather than leaving it out.", name))
        for row in _rows(records, ~has_end & records[name].ne("")):
            out.append(_problem(row, "leaver_has_reason", f"<{name}> without <RoleEndDate>",
                                f"Add the leaving date (<RoleEndDate>) or remove <{name}>.", name))
    return out


def previous_census_day(reference: pd.Series | pd.Timestamp) -> pd.Series | pd.Timestamp:
    """The census day a year before `reference`: a return's census year runs from the day
    after it to `reference`, and a leave on or before it belongs to an earlier return."""
    return reference - pd.DateOffset(years=1)


def leave_in_census_year(records: pd.DataFrame) -> list[CensusProblem]:
    """A return lists the leavers of its census year (the 12 months to the census day). A leave
    after the census day is not a leave yet: the worker is in post and the leave belongs in next
    year's return. A leave before the year belongs to an earlier return."""
    out: list[CensusProblem] = []
    end, ref = records["end_date"], records["reference_date"]
    for row in _rows(records, end.notna() & ref.notna() & (end > ref)):
        out.append(_problem(row, "leave_in_census_year", "<RoleEndDate> is after the census day",
                            "Report the worker as in post (no RoleEndDate, ReasonLeave or LeaverDestination); "
                            "the leave goes in next year's return.", "RoleEndDate", WARNING))
    year_start = previous_census_day(ref)
    for row in _rows(records, end.notna() & ref.notna() & (end <= year_start)):
        out.append(_problem(row, "leave_in_census_year", "<RoleEndDate> is before this census year",
                            "A leave before the 12 months to the census day belongs to an earlier return: remove the "
                            "record or correct the date.", "RoleEndDate", WARNING))
    return out


def agency_without_personal_details(records: pd.DataFrame) -> list[CensusProblem]:
    """The DfE does not collect personal details of agency workers; sending them shares
    personal data with no purpose (data minimisation)."""
    out: list[CensusProblem] = []
    for name in AGENCY_PERSONAL_FIELDS:
        for row in _rows(records, records["agency"] & records[name].ne("")):
            out.append(_problem(row, "agency_without_personal_details", f"<{name}> given for an agency worker",
                                f"Remove <{name}> from agency workers' records: the DfE does not collect it.", name))
    return out


def duplicate_sweno(records: pd.DataFrame) -> list[CensusProblem]:
    """One record per worker in post, and one per leaving: the DfE counts people by SWE number
    (with birth date, gender and ethnicity), so a second in-post record, or the same leave twice,
    inflates headcount or turnover. A leaver record beside an in-post record of the same worker
    (a change of post) is allowed."""
    out: list[CensusProblem] = []
    keyed = records.loc[records["worker_id"].ne("")]
    leaver = _is_leaver(keyed)
    groups = (
        (keyed.loc[~leaver], ["worker_id"], "in post on more than one record"),
        (keyed.loc[leaver], ["worker_id", "end_date"], "the same leave on more than one record"),
    )
    for frame, key, what in groups:
        dup = frame.loc[frame.duplicated(key, keep=False)]
        for _, group in dup.groupby(key, sort=False):
            places = list(zip(group["position"], group["line"]))
            for row in group.itertuples(index=False):
                others = ", ".join(f"{p} at line {line}" if pd.notna(line) else str(p)
                                   for p, line in places if p != row.position)
                out.append(_problem(row, "duplicate_sweno", f"the same SWE number is {what} (also record {others})",
                                    "Keep one record per worker in post (the most senior post) and one per leaving; "
                                    "remove or merge the others.", "SWENo"))
    return out


def start_origin_with_start_date(records: pd.DataFrame) -> list[CensusProblem]:
    """Where a starter came from (StartOrigin) goes with when they started (RoleStartDate):
    one without the other cannot be counted in the DfE's starters table."""
    out: list[CensusProblem] = []
    start, origin = records["RoleStartDate"].ne(""), records["StartOrigin"].ne("")
    for row in _rows(records, start & ~origin & ~records["agency"]):
        out.append(_problem(row, "start_origin_with_start_date", "<RoleStartDate> without <StartOrigin>",
                            "Add <StartOrigin>: where the worker came from (1 newly qualified ... 9 not known).", "StartOrigin"))
    for row in _rows(records, origin & ~start):
        out.append(_problem(row, "start_origin_with_start_date", "<StartOrigin> without <RoleStartDate>",
                            "Add <RoleStartDate> (when the worker started) or remove <StartOrigin>.", "RoleStartDate"))
    return out


def cases_not_negative(records: pd.DataFrame) -> list[CensusProblem]:
    """Cases30 counts children: below zero it cannot be right (the schema types it as any
    integer), and it would understate the DfE's caseload (cases per case-holding FTE)."""
    return [_problem(row, "cases_not_negative", f"<Cases30>{value_shown('Cases30', row.Cases30)} is below 0: a number of cases cannot be negative",
                     "Give the number of cases (children) the worker held on the census day, 0 or more.", "Cases30")
            for row in _rows(records, _cases(records).lt(0), "Cases30")]


def cases_plausible(records: pd.DataFrame) -> list[CensusProblem]:
    """A case count above :data:`PLAUSIBLE_MAX_CASES` is more than any one worker is reported
    to hold: most likely a keying error, and one such record moves the authority's caseload."""
    return [_problem(row, "cases_plausible",
                     f"<Cases30>{value_shown('Cases30', row.Cases30)} is more than the {PLAUSIBLE_MAX_CASES} cases one worker can "
                     "plausibly hold",
                     "Check the count: it may have an extra digit or be a team's total. Give the children this "
                     "worker held on the census day.", "Cases30", WARNING)
            for row in _rows(records, _cases(records).gt(PLAUSIBLE_MAX_CASES), "Cases30")]


def cases_only_in_case_holding_role(records: pd.DataFrame) -> list[CensusProblem]:
    """OrgRole 6 is a qualified social worker without cases: cases on such a record mean either
    the role or the count is wrong, and the DfE's caseload counts only case holders' cases."""
    no_cases_role = records["org_role"].eq(NO_CASES_ORG_ROLE)
    return [_problem(row, "cases_only_in_case_holding_role",
                     f"<Cases30>{value_shown('Cases30', row.Cases30)} is more than 0 on a record with <OrgRole> {NO_CASES_ORG_ROLE} (qualified without cases)",
                     "Correct one of them: give the worker's actual <OrgRole> "
                     f"({ORG_ROLE_BY_ROLE['case_holder']} case holder) if they hold cases, or set <Cases30> to 0.", "Cases30", WARNING)
            for row in _rows(records, no_cases_role & _cases(records).gt(0), "Cases30")]


RECORD_RULES: tuple[Callable[[pd.DataFrame], list[CensusProblem]], ...] = (
    mandatory_for_la_employed,
    fte_in_range,
    dates_in_order,
    leaver_has_reason,
    leave_in_census_year,
    agency_without_personal_details,
    duplicate_sweno,
    start_origin_with_start_date,
    cases_not_negative,
    cases_plausible,
    cases_only_in_case_holding_role,
)


def check_records(records: pd.DataFrame) -> list[CensusProblem]:
    """Every record rule on one return's records."""
    out: list[CensusProblem] = []
    for rule in RECORD_RULES:
        out.extend(rule(records))
    return out


# ---- header rules ------------------------------------------------------------------------


def _header(ret: CensusReturn, choice: YearChoice, message: str, fix: str, element: str, severity: str = WARNING) -> CensusProblem:
    return CensusProblem(ret.name, severity, "header", message, fix, None, element, element.rsplit("/", 1)[-1], choice.year)


def reference_date_present(ret: CensusReturn, choice: YearChoice) -> list[CensusProblem]:
    """Without a census day the return cannot be placed in time: its records cannot be used."""
    if reference_date(ret) is not None:
        return []
    return [_header(ret, choice, "no usable <ReferenceDate> in the header: the return cannot be placed in time",
                    "Give <ReferenceDate> as YYYY-MM-DD (the census day, 30 September).",
                    "Header/CollectionDetails/ReferenceDate", ERROR)]


def year_matches_reference_date(ret: CensusReturn, choice: YearChoice) -> list[CensusProblem]:
    """The collection `Year` is the year of the census day: a mismatch means the header was
    copied from another year's return, or the wrong file was sent."""
    ref = reference_date(ret)
    if ref is None or not ret.year_text or ret.year_text == str(ref.year):
        return []
    return [_header(ret, choice, f"<Year>{value_shown('Year', ret.year_text)} disagrees with the year of <ReferenceDate> ({ref.year})",
                    f"Make <Year> and <ReferenceDate> agree (checked against the {choice.year} schema: {choice.basis}).",
                    "Header/CollectionDetails/Year")]


def census_day(year: int) -> pd.Timestamp:
    """The census day of collection year `year`: 30 September of that year. The one mapping
    from Year to census day (:func:`workforce.measures.census_day`) as a Timestamp:
    :func:`year_matches_reference_date` expects it, the fixes suggest it."""
    return pd.Timestamp(_census_date(year))


def fix_year(ret: CensusReturn, ref: pd.Timestamp) -> int:
    """The collection year whose census day the ReferenceDate fix suggests: the header's `Year`
    when it is within a year of the ReferenceDate's (only the day is wrong, and following the fix
    leaves Year and ReferenceDate in agreement), else the ReferenceDate's own year: a Year such as
    0000 or 1500 is the typo itself (:func:`year_matches_reference_date` says so), and its
    census day cannot exist or is centuries from the return."""
    if re.fullmatch(r"\d{4}", ret.year_text) and abs(int(ret.year_text) - ref.year) <= 1:
        return int(ret.year_text)
    return ref.year


def reference_date_is_census_day(ret: CensusReturn, choice: YearChoice) -> list[CensusProblem]:
    """The census counts the workforce on 30 September. The fix suggests the census day of the
    header's `Year` when it is close to the ReferenceDate (:func:`fix_year`), so following it
    leaves Year and ReferenceDate in agreement."""
    ref = reference_date(ret)
    if ref is None or is_census_day(ref):
        return []
    year = fix_year(ret, ref)
    return [_header(ret, choice, "<ReferenceDate> is not 30 September",
                    f"Set <ReferenceDate> to {census_day(year).date()} (the census day of collection year {year}), "
                    "or check which return this is.", "Header/CollectionDetails/ReferenceDate")]


def file_name_matches_year(ret: CensusReturn, choice: YearChoice) -> list[CensusProblem]:
    """A year in the file name that differs from the header's is a sign the wrong file (or the
    wrong header) is being used."""
    named = ret.year_in_file_name()
    declared = ret.year_text or (str(reference_date(ret).year) if reference_date(ret) is not None else "")
    if named is None or not declared or str(named) == declared:
        return []
    return [_header(ret, choice, f"the file name says {named} but the header says{value_shown('Year', declared)}",
                    "Check that this is the right return, then rename the file or correct the header.",
                    "Header/CollectionDetails/Year")]


HEADER_RULES = (reference_date_present, year_matches_reference_date, reference_date_is_census_day, file_name_matches_year)


def check_header(ret: CensusReturn, choice: YearChoice) -> list[CensusProblem]:
    """Every header rule on one return."""
    out: list[CensusProblem] = []
    for rule in HEADER_RULES:
        out.extend(rule(ret, choice))
    return out


def returns_belong_together(returns: Sequence[tuple[CensusReturn, YearChoice]]) -> list[CensusProblem]:
    """Returns read together (a history) come from one authority, one per census day: another
    LA code means another authority's file; two returns for one day would double the workforce."""
    out: list[CensusProblem] = []
    las = pd.Series([r.la for r, _ in returns])
    if las.nunique() > 1:
        usual = las.mode().iloc[0]
        for ret, choice in returns:
            if ret.la != usual:
                out.append(_header(ret, choice, f"LA code{value_shown('LEA', ret.la)} differs from{value_shown('LEA', usual)} in the other returns",
                                   "Check that every return is this authority's; remove another authority's file.",
                                   "Header/Source/LEA"))
    days = pd.Series([r.reference_text for r, _ in returns])
    for ret, choice in returns:
        if ret.reference_text and (days == ret.reference_text).sum() > 1:
            out.append(_header(ret, choice, "another return has the same <ReferenceDate>",
                               "Give one return per census day: remove the duplicate file.",
                               "Header/CollectionDetails/ReferenceDate"))
    return out
