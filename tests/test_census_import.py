"""Census import: every schema year, every record accounted for, leavers kept, labels honest,
no personal data out, the public samples."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from census_frames import MAIN_2022, SHARED, agency_worker, leaver, needs_shared, records_of, worker, write
from workforce.census import rules
from workforce.census.importer import import_returns
from workforce.census.records import BLANKED_FIELDS, blank_consequence, pseudonym
from workforce.contracts import load_hr_history
from workforce.errors import InputError
from workforce.retention.labels import LABEL, label_snapshots


def _row(history: pd.DataFrame, sweno: str, salt: str = "s") -> pd.DataFrame:
    return history.loc[history["worker_id"] == pseudonym(sweno, salt)]


def test_two_years_stack_with_leaves_attached_and_every_role_kept(tmp_path):
    y1 = write(tmp_path, [
        worker("SW123456", cases30=17, days_lost=3.5, cfkss=2),
        agency_worker("SW222222", fte=None, start_date=None, start_origin=None),
        worker("SW333333", org_role=2, fte=0.8, birth_date=pd.Timestamp("1960-03-01"), gender="male"),
        worker("SW555555", org_role=3, cfkss=3, fte=0.5, birth_date=pd.Timestamp("1958-01-15"), gender="male"),
        worker("SW666666", org_role=6, cases30=None),
    ], year=2021)
    y2 = write(tmp_path, [
        leaver("SW123456", "2022-03-31"),
        worker("SW444444", start_date=pd.Timestamp("2021-10-01"), start_origin=1, cfkss=1, birth_date=pd.Timestamp("1996-06-01")),
        worker("SW555555", org_role=3, cfkss=3, fte=0.5, birth_date=pd.Timestamp("1958-01-15"), gender="male"),
    ], year=2022)
    result = import_returns([y1, y2], salt="s")
    h, s = result.hr_history, result.summary
    assert s.records == 8 and s.adds_up() and s.outcomes == {"in_post": 7, "leave_attached": 1}
    sw1 = _row(h, "SW123456").iloc[0]
    assert sw1["snapshot_date"] == pd.Timestamp("2021-09-30") and sw1["leave_date"] == pd.Timestamp("2022-03-31")
    assert (sw1["leave_reason"], sw1["leaver_destination"]) == (1, 1)
    assert (sw1["role"], sw1["gender"], sw1["ethnicity"], sw1["age_band"]) == ("case_holder", "female", "WBRI", "30-39")
    assert sw1["cases_held"] == 17 and sw1["sickness_days_12m"] == 3.5 and sw1["fte"] == 1.0
    assert _row(h, "SW333333")["role"].tolist() == ["service_manager"]  # OrgRole 2 kept
    assert _row(h, "SW666666")["role"].tolist() == ["qualified_no_cases"]  # OrgRole 6 kept
    assert _row(h, "SW555555")["role"].tolist() == ["practice_supervisor"] * 2
    assert _row(h, "SW555555")["age_band"].tolist() == ["60+", "60+"]
    assert bool(_row(h, "SW444444")["asye"].iloc[0])
    agency = _row(h, "SW222222").iloc[0]
    assert bool(agency["agency"]) and agency["fte"] == 1.0 and agency["start_date"] == pd.Timestamp("2021-09-30")
    assert s.fte_defaulted == 1 and s.start_defaulted == 1


def test_multi_year_linking_with_a_change_of_role(tmp_path):
    paths = [write(tmp_path, [worker("SW7", org_role=5, cfkss=1, start_origin=1, start_date=pd.Timestamp("2020-10-01"))], year=2021),
             write(tmp_path, [worker("sw7 ", org_role=4, start_date=pd.Timestamp("2022-04-01"))], year=2022),
             write(tmp_path, [worker("SW7", org_role=3, cfkss=3, start_date=pd.Timestamp("2023-01-09"))], year=2023)]
    h = import_returns(paths, salt="s").hr_history
    rows = _row(h, "SW7")
    assert rows["role"].tolist() == ["case_holder", "senior_practitioner", "practice_supervisor"]
    assert rows["asye"].tolist() == [True, False, False]
    assert rows["worker_id"].nunique() == 1 and rows["leave_date"].isna().all()


def test_three_years_with_leavers_who_joined_and_left_between_census_days(tmp_path):
    """The issue's case: 88 workers, 32 leavers, 10 of whom were never in post on a census day."""
    stayers = [f"SW1{i:04d}" for i in range(50)]
    left_22 = [f"SW2{i:04d}" for i in range(12)]  # in post 2021, left in the year to 2022
    left_23 = [f"SW3{i:04d}" for i in range(10)]  # in post 2021 and 2022, left in the year to 2023
    between = [f"SW4{i:04d}" for i in range(10)]  # joined and left between census days
    starters = [f"SW5{i:04d}" for i in range(6)]  # started in 2022, stay
    r21 = [worker(s, 2021) for s in stayers + left_22 + left_23]
    r22 = ([worker(s, 2022) for s in stayers + left_23] + [leaver(s, "2022-02-01", reason=1) for s in left_22]
           + [leaver(s, "2022-06-30", start_date=pd.Timestamp("2021-11-01"), reason=5) for s in between[:5]]
           + [worker(s, 2022, start_date=pd.Timestamp("2022-01-10")) for s in starters])
    r23 = ([worker(s, 2023) for s in stayers + starters] + [leaver(s, "2023-03-01", 2023, reason=7) for s in left_23]
           + [leaver(s, "2023-08-31", 2023, start_date=pd.Timestamp("2022-12-01"), reason=1) for s in between[5:]])
    paths = [write(tmp_path, r21, year=2021), write(tmp_path, r22, year=2022), write(tmp_path, r23, year=2023)]
    result = import_returns(paths, salt="s")
    h, s = result.hr_history, result.summary
    assert s.records == len(r21) + len(r22) + len(r23) == 226
    assert (s.kept, s.merged, s.refused) == (204, 22, 0) and s.adds_up()
    assert s.outcomes["leaver_row"] == 10 and s.outcomes["leave_attached"] == 22
    assert h["worker_id"].nunique() == 88 and s.leaves == 32
    leaves = h.loc[h["leave_date"].notna()].drop_duplicates(["worker_id", "leave_date"])
    assert len(leaves) == 32
    for sweno in between:
        row = _row(h, sweno)
        assert len(row) == 1
        row = row.iloc[0]
        assert row["start_date"] < row["leave_date"] <= row["snapshot_date"]  # carries its start and its leave
    assert not any(LABEL in c for c in h.columns)
    labelled = label_snapshots(h)
    assert not labelled["worker_id"].isin([pseudonym(s, "s") for s in between]).any()  # never in post: no label row


def test_future_dated_leaver_is_in_post_and_not_labelled_a_leaver(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2", end_date=pd.Timestamp("2022-12-31"), leave_reason=1,
                                                  leaver_destination=1)], year=2022)
    result = import_returns([path], salt="s")
    row = _row(result.hr_history, "SW2").iloc[0]
    assert row["leave_date"] == pd.Timestamp("2022-12-31") and row["snapshot_date"] == pd.Timestamp("2022-09-30")
    assert result.summary.outcomes == {"in_post": 2} and result.summary.future_leaves == 1
    labelled = label_snapshots(result.hr_history)
    assert len(labelled) == 2  # both in post
    assert not labelled[LABEL].any()  # the leave has not happened by the end of follow-up


def test_future_leave_contradicted_by_a_later_census_is_dropped(tmp_path):
    y1 = write(tmp_path, [worker("SW1", end_date=pd.Timestamp("2022-03-01"), leave_reason=1, leaver_destination=1)], year=2021)
    y2 = write(tmp_path, [worker("SW1")], year=2022)
    result = import_returns([y1, y2], salt="s")
    assert result.hr_history["leave_date"].isna().all() and result.summary.future_leaves_dropped == 1


def test_change_of_post_within_a_year_is_merged_not_a_leave(tmp_path):
    y1 = write(tmp_path, [worker("SW1")], year=2021)
    y2 = write(tmp_path, [leaver("SW1", "2022-03-01", start_date=pd.Timestamp("2016-01-04")),
                          worker("SW1", org_role=4, start_date=pd.Timestamp("2016-01-04")),
                          worker("SW2"), worker("SW2", org_role=3)], year=2022)
    result = import_returns([y1, y2], salt="s")
    s = result.summary
    assert s.outcomes == {"in_post": 3, "leave_not_taken": 1, "duplicate_post": 1} and s.adds_up()
    assert result.hr_history["leave_date"].isna().all()
    assert _row(result.hr_history, "SW2")["role"].tolist() == ["team_manager"]  # the more senior post


def test_unusable_records_are_refused_counted_and_listed(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2"), worker("SW3")], year=2022)
    text = path.read_text().replace("<SWENo>SW2</SWENo>", "<SWENo></SWENo>")
    text = text.replace("<SWENo>SW3</SWENo><FTE>1.000000</FTE>", "<SWENo>SW3</SWENo><FTE>lots</FTE>")
    path.write_text(text)
    result = import_returns([path], salt="s")
    assert result.summary.outcomes == {"in_post": 1, "refused": 2} and result.summary.adds_up()
    refused = [p for p in result.problems if p.check == "import"]
    assert [(p.position, p.field) for p in refused] == [(2, "SWENo"), (3, "FTE")]
    with pytest.raises(InputError):
        import_returns([path], salt="s", strict=True)


def test_sex_field_from_2024(tmp_path):
    path = write(tmp_path, [worker("SW1", 2024, gender="male"), worker("SW2", 2024, gender="female"),
                            worker("SW3", 2024, gender=None)], year=2024)
    assert "<Sex>M</Sex>" in path.read_text() and "GenderCurrent" not in path.read_text()
    result = import_returns([path], salt="s")
    assert [p for p in result.problems if p.severity == "error"] == []
    assert [_row(result.hr_history, s)["gender"].iloc[0] for s in ("SW1", "SW2", "SW3")] == ["male", "female", "not_known"]


def test_every_schema_year_imports_without_problems(tmp_path):
    paths = [write(tmp_path, [worker(f"SW{y}", y), leaver(f"SW9{y}", f"{y}-05-01", y)], year=y) for y in range(2021, 2026)]
    result = import_returns(paths, salt="s")
    assert result.problems == []
    assert [r.year for r in result.loaded.returns] == [2021, 2022, 2023, 2024, 2025]


def test_no_registration_number_or_birth_date_is_written(tmp_path):
    from workforce.cli import app

    y1 = write(tmp_path, [worker("SW123456"), worker("SW444444", birth_date=pd.Timestamp("1996-06-01"))], year=2021)
    y2 = write(tmp_path, [leaver("SW123456", "2022-03-31"), worker("SW444444", birth_date=pd.Timestamp("1996-06-01"))], year=2022)
    out, problems = tmp_path / "hr_history.csv", tmp_path / "problems.csv"
    for command in (["census", "import"], ["churn", "import-csww"]):  # the old command is an alias
        args = [*command, str(y1), str(y2), "--out", str(out), "--salt", "k"]
        if command[0] == "census":
            args += ["--problems", str(problems)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        text = out.read_text() + (problems.read_text() if problems.exists() else "")
        for secret in ("SW123456", "SW444444", "1985-06-01", "1996-06-01", "PersonBirthDate", "SWENo,"):
            assert secret not in text
        assert len(load_hr_history(out)) == 3  # a valid hr_history table


def test_cli_strict_refuses_and_writes_nothing(tmp_path):
    from workforce.cli import app

    path = write(tmp_path, [worker("SW1"), worker("SW2", ethnicity="XXXX")])
    out = tmp_path / "h.csv"
    result = CliRunner().invoke(app, ["census", "import", str(path), "--out", str(out), "--salt", "k", "--strict"])
    assert result.exit_code == 2 and not out.exists()
    assert "Ethnicity" in result.output
    result = CliRunner().invoke(app, ["census", "import", str(path), "--out", str(out), "--salt", "k"])
    assert result.exit_code == 0 and out.exists() and "Ethnicity" in result.output


def _tree(root: Path) -> dict[str, bytes]:
    return {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}


@pytest.mark.parametrize("problems_at", ["folder", "someone's file", "the --out file", "a folder elsewhere"])
def test_cli_problems_path_that_cannot_be_written_writes_nothing(tmp_path, problems_at):
    """A --problems path that is refused (a folder, a file workforce did not write, the --out file
    itself) fails the run before anything is published: no hr_history beside the refusal."""
    from workforce.cli import app

    returns = write(tmp_path, [worker("SW1"), worker("SW2")], year=2021)
    out = tmp_path / "hr_history.csv"
    problems = {"folder": tmp_path / "reports", "someone's file": tmp_path / "notes.csv",
                "the --out file": out, "a folder elsewhere": tmp_path / "elsewhere" / "reports"}[problems_at]
    if problems_at == "someone's file":
        problems.write_text("my notes\n")
    elif problems != out:
        problems.mkdir(parents=True)
    before = _tree(tmp_path)
    result = CliRunner().invoke(app, ["census", "import", str(returns), "--out", str(out), "--salt", "k",
                                      "--problems", str(problems)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("error: ") == 1 and "Traceback" not in result.output, result.stderr
    assert (problems.name if problems_at != "someone's file" else "notes.csv") in result.stderr
    assert _tree(tmp_path) == before and not out.exists()


def test_cli_problems_in_another_folder_are_written_with_the_history(tmp_path):
    from workforce.cli import app

    returns = write(tmp_path, [worker("SW1"), worker("SW2")], year=2021)
    out, problems = tmp_path / "hr_history.csv", tmp_path / "reports" / "problems.csv"
    problems.parent.mkdir()
    result = CliRunner().invoke(app, ["census", "import", str(returns), "--out", str(out), "--salt", "k",
                                      "--problems", str(problems)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and problems.is_file()


def test_malformed_xml_names_file_and_element(tmp_path):
    path = write(tmp_path, [worker("SW1")], name="broken.xml")
    path.write_text(path.read_text().replace("</FTE>", "</FT>", 1))
    with pytest.raises(InputError) as info:
        import_returns([path])
    message = str(info.value)
    assert "broken.xml" in message and "FTE" in message and "CSWWWorker" in message


# ---- the public samples ---------------------------------------------------------------------

#: For each public sample: (schema year detected, records, schema problems, of which missing QualInst).
SAMPLES = {
    "social_work_workforce_2022.xml": (2022, 30, 12, 12),
    "NEW_social_work_workforce_2021.xml": (2021, 30, 12, 12),
    "NEW_social_work_workforce_2022.xml": (2022, 30, 12, 12),
    "BAD_social_work_workforce_2021_year2020_refdate2023.xml": (2023, 30, 12, 12),
    "csww_sample.xml": (2023, 14, 2, 2),
    "csww_sample2.xml": (2023, 19, 5, 5),
    "csww_pipeline_social_work_workforce_2022_1worker.xml": (2022, 1, 0, 0),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_public_sample_imports_with_its_schema_problems_listed(name):
    needs_shared()
    year, n, schema_problems, qualinst = SAMPLES[name]
    result = import_returns([SHARED / name], salt="s")
    s = result.summary
    assert result.loaded.returns[0].year == year
    # every record kept, except leaves from before the census year: census check warns about exactly those
    earlier = [p for p in rules.leave_in_census_year(result.loaded.records) if "before this census year" in p.message]
    assert s.records == n and s.refused == 0 and s.adds_up()
    assert s.outcomes.get("leave_before_census_year", 0) == len(earlier) and s.kept == n - len(earlier)
    schema = [p for p in result.problems if p.check == "schema"]
    assert len(schema) == schema_problems
    assert sum(p.field == "QualInst" for p in schema) == qualinst
    assert all(p.position is not None and p.element == "CSWWWorker" for p in schema)
    assert not any(p.field == "SWENo" for p in schema)  # the corrected pattern accepts real-looking numbers


def test_main_sample_keeps_managers_and_staff_without_cases():
    needs_shared()
    h = import_returns([MAIN_2022], salt="s").hr_history
    roles = h["role"].value_counts()
    # 3 middle managers in the file; one record is a leave from 2019, before the census year (not a 2022 leaver)
    assert roles.get("senior_manager", 0) == 4 and roles.get("service_manager", 0) == 2
    assert roles.get("qualified_no_cases", 0) == 5
    # 11 leavers are dated after the census day: in post with a known future leave
    future = h.loc[h["leave_date"] > h["snapshot_date"]]
    assert len(future) == 11


def test_mismatched_year_and_reference_date_is_flagged():
    needs_shared()
    result = import_returns([SHARED / "BAD_social_work_workforce_2021_year2020_refdate2023.xml"], salt="s")
    warnings = {p.message for p in result.problems if p.severity == "warning"}
    assert "<Year> '2020' disagrees with the year of <ReferenceDate> (2023)" in warnings
    assert "the file name says 2021 but the header says '2020'" in warnings
    assert "<ReferenceDate> is not 30 September" in warnings  # the fix names the census day
    clean = import_returns([MAIN_2022], salt="s")
    assert not [p for p in clean.problems if p.severity == "warning"]


def test_two_year_public_history_links_by_sweno_and_flags_the_la_codes():
    needs_shared()
    paths = [SHARED / "NEW_social_work_workforce_2021.xml", SHARED / "NEW_social_work_workforce_2022.xml"]
    result = import_returns(paths, salt="s")
    h = result.hr_history
    in_both = h.groupby("worker_id")["snapshot_date"].nunique()
    assert (in_both == 2).sum() >= 26  # 29 SWE numbers shared, less the leavers
    assert any(p.field == "LEA" for p in result.problems)  # LA 301 then 316
    assert result.summary.adds_up()


def test_old_module_is_gone():
    assert not Path("workforce/retention/csww.py").exists()


def test_unusable_value_is_blanked_counted_listed_and_refused_by_strict(tmp_path):
    from workforce.cli import app

    path = write(tmp_path, [worker("SW1"), worker("SW2", cases30=-3, days_lost=400.0)])
    result = import_returns([path], salt="s")
    s = result.summary
    assert s.outcomes == {"in_post": 2} and s.adds_up()  # the record is kept ...
    assert pd.isna(_row(result.hr_history, "SW2")["cases_held"].iloc[0])  # ... with the value blank
    assert s.blanked == {"Cases30": 1, "WorkingDaysLost": 1}
    assert any("Cases30 1" in line for line in s.lines())
    listed = [(p.position, p.field, p.severity) for p in result.problems if p.check == "import"]
    assert listed == [(2, "Cases30", "error"), (2, "WorkingDaysLost", "error")]
    out = tmp_path / "h.csv"
    strict = CliRunner().invoke(app, ["census", "import", str(path), "--out", str(out), "--salt", "k", "--strict"])
    assert strict.exit_code == 2 and not out.exists()
    assert "Cases30" in strict.output and "record 2" in strict.output and "Traceback" not in strict.output


def test_leave_before_the_census_year_is_not_a_leaver_of_that_year(tmp_path):
    path = write(tmp_path, [worker("SW1", 2021),
                            leaver("SW2", "2019-09-23", 2021, start_date=pd.Timestamp("2019-01-07")),
                            leaver("SW3", "2020-09-30", 2021),  # on the previous census day: the 2020 return's
                            leaver("SW4", "2020-10-01", 2021)], year=2021)  # the first day of the census year
    result = import_returns([path], salt="s")
    s, h = result.summary, result.hr_history
    assert s.outcomes == {"in_post": 1, "leave_before_census_year": 2, "leaver_row": 1} and s.adds_up()
    assert _row(h, "SW2").empty and _row(h, "SW3").empty
    assert _row(h, "SW4")["leave_date"].tolist() == [pd.Timestamp("2020-10-01")]
    assert s.leaves == 1
    assert any(line.strip().startswith("2  leaves dated on or before the previous census day") for line in s.lines())
    warned = rules.leave_in_census_year(records_of(path))  # census check warns about the same records
    assert sorted(p.position for p in warned) == [2, 3]


def test_ethnicity_not_in_the_code_list_is_blanked_counted_and_listed(tmp_path):
    from workforce.cli import app

    path = write(tmp_path, [worker("SW1"), worker("SW2")])
    path.write_text(path.read_text().replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity>John Smith</Ethnicity>", 1))
    result = import_returns([path], salt="s")
    s, h = result.summary, result.hr_history
    assert s.outcomes == {"in_post": 2} and s.adds_up()  # the record is kept ...
    assert _row(h, "SW1")["ethnicity"].tolist() == [""] and _row(h, "SW2")["ethnicity"].tolist() == ["WBRI"]
    assert s.blanked == {"Ethnicity": 1}
    assert any("Ethnicity 1 (as ethnicity)" in line for line in s.lines())
    # listed once: the schema's problem (the code list is its fix) says the import leaves it blank
    listed = [(p.check, p.position, p.field, p.severity) for p in result.problems]
    assert listed == [("schema", 1, "Ethnicity", "error")]
    assert blank_consequence("Ethnicity") in result.problems[0].message
    out = tmp_path / "h.csv"
    cli = CliRunner().invoke(app, ["census", "import", str(path), "--out", str(out), "--salt", "k"])
    assert cli.exit_code == 0 and "Ethnicity" in cli.output
    assert "John" not in out.read_text() and "John" not in cli.output
    assert set(load_hr_history(out)["ethnicity"].fillna("")) == {"", "WBRI"}


def test_agency_workers_protected_characteristics_are_not_kept(tmp_path):
    path = write(tmp_path, [worker("SW1"),
                            agency_worker("SW2", birth_date=pd.Timestamp("1980-01-01"), gender="male", ethnicity="BAFR"),
                            agency_worker("SW3", ethnicity="WBRI"),
                            agency_worker("SW4")])
    path.write_text(path.read_text().replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity>free text</Ethnicity>", 2))
    result = import_returns([path], salt="s")
    s, h = result.summary, result.hr_history
    assert s.outcomes == {"in_post": 4} and s.adds_up()  # the records are kept ...
    agency = h.loc[h["agency"], ["age_band", "gender", "ethnicity"]]
    assert len(agency) == 3 and agency.eq("").all().all()  # ... without their protected characteristics
    assert _row(h, "SW1")[["age_band", "gender", "ethnicity"]].values.tolist() == [["30-39", "female", ""]]
    assert s.agency_details_dropped == 2 and s.blanked == {"Ethnicity": 1}  # SW1's free text; SW3's not counted twice
    assert any(line.startswith("2 agency records giving a birth date, gender or ethnicity: not kept") for line in s.lines())
    # consistent with census check, which reports each of these fields on an agency record
    checked = rules.agency_without_personal_details(records_of(path))
    assert sorted({p.position for p in checked}) == [2, 3]


def test_a_short_salt_is_warned_about_without_being_repeated(tmp_path):
    from workforce.census.load import load_returns
    from workforce.errors import InputWarning

    path = write(tmp_path, [worker("SW1")])
    with pytest.warns(InputWarning) as caught:
        load_returns([path], salt="shortsalt7")
    said = " ".join(str(w.message) for w in caught)
    assert "only 10 characters" in said and "secrets.token_hex(16)" in said and "WORKFORCE_CSWW_SALT" in said
    assert "shortsalt7" not in said
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        load_returns([path], salt="0123456789abcdef")  # 16 characters: no warning
        load_returns([path])  # a random salt: no warning


def test_the_salt_can_come_from_the_environment_and_a_short_one_is_warned_about(tmp_path):
    from workforce.cli import app

    path = write(tmp_path, [worker("SW1")])
    out = tmp_path / "h.csv"
    short = CliRunner().invoke(app, ["census", "import", str(path), "--out", str(out), "--salt", "x"])
    assert short.exit_code == 0 and "warning: the salt is only 1 characters" in short.output
    salt = "9f86d081884c7d659a2feaa0c55ad015"
    from_env = CliRunner().invoke(app, ["census", "import", str(path), "--out", str(out), "--force"],
                                  env={"WORKFORCE_CSWW_SALT": salt})
    assert from_env.exit_code == 0 and "warning" not in from_env.output and "no --salt" not in from_env.output
    assert pd.read_csv(out)["worker_id"].tolist() == [pseudonym("SW1", salt)]
    check = CliRunner().invoke(app, ["census", "check", str(path), "--out", str(tmp_path / "c"), "--salt", "x"])
    assert "warning: the salt is only 1 characters" in check.output


def test_unusable_values_on_merged_records_are_not_counted_as_blank_in_hr_history(tmp_path):
    """A merged record writes no row, so its unusable values blank nothing in hr_history: the
    summary says where they went instead of counting them among the blanks (each is still listed)."""
    y1 = write(tmp_path, [worker("SW1", 2021), worker("SW3", 2021)], year=2021)
    y2 = write(tmp_path, [worker("SW1", org_role=3), worker("SW1", cases30=-3),  # a second post: merged
                          worker("SW2", cases30=-2),  # kept: its cases_held is blank
                          # a leave put on SW3's 2021 row: its destination is carried there, its caseload is not
                          leaver("SW3", "2022-03-01", destination=99, cases30=-4)], year=2022)
    result = import_returns([y1, y2], salt="s")
    s, h = result.summary, result.hr_history
    assert s.outcomes["duplicate_post"] == 1 and s.outcomes["leave_attached"] == 1 and s.adds_up()
    listed = [p for p in result.problems if p.field in BLANKED_FIELDS and blank_consequence(p.field) in p.message]
    assert sum(s.blanked.values()) + s.unusable_merged == len(listed)  # every value counted once, somewhere
    # what is counted as blank is what hr_history has blank
    assert s.blanked.get("Cases30", 0) == int(h["cases_held"].isna().sum())
    assert s.blanked.get("LeaverDestination", 0) == int((h["leave_date"].notna() & h["leaver_destination"].isna()).sum())
    assert s.unusable_merged == len(listed) - int(h["cases_held"].isna().sum()) - s.blanked.get("LeaverDestination", 0)
    assert s.unusable_merged > 0
    lines = s.lines()
    assert any("left blank in hr_history" in line and f"Cases30 {s.blanked['Cases30']}" in line for line in lines)
    assert any(line.startswith(f"{s.unusable_merged} values given but unusable on records merged") for line in lines)
    assert not any("hr_history" in p.message for p in listed)  # `census check` lists them too, with no hr_history


def test_a_value_the_schema_refuses_is_one_problem_not_two(tmp_path):
    """An Ethnicity outside the code list, a birth date that is not a date and a Cases30 that is
    not a number break the schema and are blanked by the import: one thing to fix each, so one
    problem each (the schema's, with its line and allowed values, saying what the import does),
    and "N schema and data problems" counts them once."""
    path = write(tmp_path, [worker("SW1"), worker("SW2"), worker("SW3"), worker("SW4", cases30=-3)])
    text = path.read_text().replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity>John Smith</Ethnicity>", 1)
    born = re.findall(r"<PersonBirthDate>[^<]*</PersonBirthDate>", text)[1]
    text = text.replace(born, "<PersonBirthDate>1985-02-30</PersonBirthDate>", 1)
    cases = [m.start() for m in re.finditer("<Cases30>17</Cases30>", text)][2]
    text = text[:cases] + "<Cases30>lots</Cases30>" + text[cases + len("<Cases30>17</Cases30>"):]
    path.write_text(text)
    result = import_returns([path], salt="s")
    s = result.summary
    things = [(p.position, p.field) for p in result.problems]
    assert len(things) == len(set(things))  # one problem per value to fix
    assert s.schema_errors == len(set(things))
    assert sum(s.blanked.values()) == len(things)  # each blanked value is one of them ...
    for p in result.problems:  # ... saying what the import does with it, with the line to find it
        assert blank_consequence(p.field) in p.message and p.line is not None
    schema = {(p.position, p.field) for p in result.problems if p.check == "schema"}
    assert {"Ethnicity", "PersonBirthDate", "Cases30"} == {f for _, f in schema}
    assert [(p.position, p.field) for p in result.problems if p.check == "import"] == [(4, "Cases30")]  # schema-valid
    with pytest.raises(InputError):
        import_returns([path], salt="s", strict=True)


def test_the_old_command_takes_the_same_options_as_census_import(tmp_path):
    """The README gives `workforce churn import-csww` as another name for `workforce census
    import`: --strict and --problems work on it too."""
    from workforce.cli import app

    path = write(tmp_path, [worker("SW1"), worker("SW2", ethnicity="XXXX")])
    out, problems = tmp_path / "h.csv", tmp_path / "problems.csv"
    result = CliRunner().invoke(app, ["churn", "import-csww", str(path), "--out", str(out), "--salt", "k", "--strict"])
    assert result.exit_code == 2 and not out.exists()
    assert "Ethnicity" in result.output
    result = CliRunner().invoke(app, ["churn", "import-csww", str(path), "--out", str(out), "--salt", "k",
                                      "--problems", str(problems)])
    assert result.exit_code == 0, result.output
    assert out.exists() and "Ethnicity" in problems.read_text()


def test_strict_refusal_gives_each_problem_with_its_fix_not_as_what_is_allowed(tmp_path):
    """A --strict refusal lists each problem as `census check` does, "... Fix: ...": the fix is
    an instruction, and "(allowed: Add <QualInst> ...)" read as if it were a list of values."""
    from workforce.cli import app

    path = write(tmp_path, [worker("SW1"), worker("SW2", ethnicity="XXXX")])
    result = CliRunner().invoke(app, ["census", "import", str(path), "--out", str(tmp_path / "h.csv"),
                                      "--salt", "k", "--strict"])
    assert result.exit_code == 2
    line = next(text for text in result.output.splitlines() if "Ethnicity" in text)
    assert "record 2" in line and "Fix: " in line and "(allowed:" not in line, line
