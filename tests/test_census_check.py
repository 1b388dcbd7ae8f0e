"""`workforce census check`: exit codes, the report (CSV and workbook), no personal data."""

from __future__ import annotations

import re

import pandas as pd
from openpyxl import load_workbook
from typer.testing import CliRunner

from census_frames import MAIN_2022, SHARED, agency_worker, leaver, needs_shared, worker, write
from workforce.census.check import PROBLEMS_CSV, PROBLEMS_XLSX, check_returns
from workforce.census.problems import PROBLEM_COLUMNS
from workforce.census.records import pseudonym
from workforce.cli import app


def _run(*args):
    return CliRunner().invoke(app, ["census", "check", *map(str, args)])


def test_clean_returns_exit_0_with_an_empty_report(tmp_path):
    paths = [write(tmp_path, [worker("SW1", y), agency_worker("SW2", y), leaver("SW3", f"{y}-04-01", y)], year=y)
             for y in (2023, 2024, 2025)]
    out = tmp_path / "report"
    result = _run(*paths, "--out", out, "--salt", "k")
    assert result.exit_code == 0, result.output
    assert "clean: ready to submit" in result.output
    table = pd.read_csv(out / PROBLEMS_CSV)
    assert list(table.columns) == list(PROBLEM_COLUMNS) and table.empty


def test_problems_exit_2_with_one_row_each_and_a_fix(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2", fte=0.0, ethnicity=None), leaver("SW3", "2022-04-01", reason=None),
                            agency_worker("SW4", ethnicity="WBRI")], name="csww_2021.xml")
    out = tmp_path / "report"
    result = _run(path, "--out", out, "--salt", "k")
    assert result.exit_code == 2
    table = pd.read_csv(out / PROBLEMS_CSV)
    found = set(zip(table["check"], table["position"].fillna(0).astype(int), table["field"].fillna("")))
    assert found == {
        ("header", 0, "Year"),  # file name says 2021
        ("fte_in_range", 2, "FTE"),
        ("mandatory_for_la_employed", 2, "Ethnicity"),
        ("leaver_has_reason", 3, "ReasonLeave"),
        ("agency_without_personal_details", 4, "Ethnicity"),
    }
    assert table["fix"].str.len().gt(20).all()
    assert table.loc[table["position"].notna(), "worker"].tolist() == [pseudonym(s, "k") for s in ("SW2", "SW2", "SW3", "SW4")]
    book = load_workbook(out / PROBLEMS_XLSX, read_only=True)
    assert {"Summary", "Problems", "README"} <= set(book.sheetnames)
    rows = list(book["Problems"].iter_rows(values_only=True))
    assert rows[0] == tuple(PROBLEM_COLUMNS) and len(rows) == len(table) + 1


def test_public_samples_report_without_personal_data(tmp_path):
    needs_shared()
    out = tmp_path / "report"
    result = _run(SHARED, "--out", out, "--salt", "k")
    assert result.exit_code == 2
    report = (out / PROBLEMS_CSV).read_text()
    book = load_workbook(out / PROBLEMS_XLSX, read_only=True)
    cells = " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    secrets = set()
    for path in SHARED.glob("*.xml"):
        text = path.read_text()
        secrets |= set(re.findall(r"<SWENo>([^<]+)</SWENo>", text)) | set(re.findall(r"<PersonBirthDate>([^<]+)<", text))
    assert secrets
    for secret in secrets:
        assert secret not in report and secret not in cells
    table = pd.read_csv(out / PROBLEMS_CSV)
    assert set(table["file"]) == {p.name for p in SHARED.glob("*.xml")}
    assert {"schema", "header", "mandatory_for_la_employed", "leave_in_census_year"} <= set(table["check"])


def test_check_is_the_library_call(tmp_path):
    needs_shared()
    result = check_returns([MAIN_2022], salt="k")
    assert not result.clean
    summary = result.summary().iloc[0]
    assert (summary["year"], summary["records"]) == (2022, 30)
    assert summary["errors"] == int((result.table()["severity"] == "error").sum())


def test_missing_path_exits_2(tmp_path):
    result = _run(tmp_path / "nope.xml", "--out", tmp_path / "r")
    assert result.exit_code == 2 and "not found" in result.output
    assert not (tmp_path / "r").exists()


def test_every_problem_gives_the_line_where_its_record_or_header_element_starts(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2", cases30=-3), worker("SW3"), worker("SW2", org_role=4)],
                 year=2023, ref="2023-04-13")
    text = path.read_text().replace("><", ">\n<")  # one element per line, as most exports are laid out
    path.write_text(text)
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines, start=1) if line == "<CSWWWorker>"]
    reference = next(i for i, line in enumerate(lines, start=1) if line.startswith("<ReferenceDate>"))
    out = tmp_path / "report"
    result = _run(path, "--out", out, "--salt", "k")
    assert result.exit_code == 2
    table = pd.read_csv(out / PROBLEMS_CSV)
    assert list(table.columns) == list(PROBLEM_COLUMNS) and table["line"].notna().all()
    on_records = table.loc[table["position"].notna()]
    assert set(zip(on_records["position"].astype(int), on_records["line"].astype(int))) == {
        (2, starts[1]), (4, starts[3])}  # the negative count, the duplicate in post ...
    header = table.loc[table["field"] == "ReferenceDate"]
    assert header["line"].tolist() == [reference]  # ... and the header element
    assert f"record 2 (line {starts[1]}, " in result.output
    assert f"also record 4 at line {starts[3]}" in " ".join(table["message"])
    assert "SW2" not in (out / PROBLEMS_CSV).read_text() and "SW2" not in result.output


#: Personal data typed into the wrong fields, as a column shifted in an export leaves it.
MISPLACED = {
    "GenderCurrent": "Firstname Lastname born 1980-01-01 SW7654326",
    "Cases30": "SW7654326 1980-01-01",
    "Ethnicity": "John Smith",
}


def test_values_in_the_wrong_field_are_described_not_repeated(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2"), worker("SW3", cases30=1234567), worker("SW4", org_role=7)])
    text = path.read_text()
    for name, value in MISPLACED.items():  # on record 1
        text = re.sub(f"<{name}>[^<]*</{name}>", f"<{name}>{value}</{name}>", text, count=1)
    path.write_text(text.replace("<Year>2022</Year>", "<Year>19800101</Year>"))
    out = tmp_path / "report"
    result = _run(path, "--out", out, "--salt", "k")
    assert result.exit_code == 2 and "Traceback" not in result.output
    report = (out / PROBLEMS_CSV).read_text()
    book = load_workbook(out / PROBLEMS_XLSX, read_only=True)
    cells = " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    imported = tmp_path / "problems.csv"
    CliRunner().invoke(app, ["census", "import", str(path), "--out", str(tmp_path / "h.csv"), "--salt", "k",
                             "--problems", str(imported)])
    for said in (result.output, report, cells, imported.read_text()):
        for secret in ("SW7654326", "7654326", "1980-01-01", "19800101", "Firstname", "Lastname", "John", "Smith", "1234567"):
            assert secret not in said
    table = pd.read_csv(out / PROBLEMS_CSV)
    messages: dict[tuple[int, str], list[str]] = {}
    for position, name, message in zip(table["position"].fillna(0).astype(int), table["field"], table["message"]):
        messages.setdefault((position, name), []).append(message)
    # still useful: the field, the kind of value and what is wrong; short codes are still quoted
    assert messages[(1, "GenderCurrent")] == ["<GenderCurrent> (something like a SWE number, not shown) is not valid: "
                                              "not one of the codes allowed"]
    assert messages[(1, "Ethnicity")] == ["<Ethnicity> (text of 10 characters, not shown) is not valid: not one of the codes allowed"]
    assert messages[(1, "Cases30")] == ["<Cases30> (something like a SWE number, not shown) is not valid: not a number"]
    assert messages[(3, "Cases30")][0].startswith("<Cases30> (a number of 7 digits, not shown) is more than")
    assert messages[(4, "OrgRole")] == ["<OrgRole> '7' is not valid: not one of the codes allowed"]
    assert "<Year> (a date, not shown) disagrees with the year of <ReferenceDate> (2022)" in messages[(0, "Year")]


def test_a_short_name_in_capitals_is_described_while_census_codes_are_quoted(tmp_path):
    """A surname or first name of a few capital letters has the shape of a code: it is quoted only
    when it is a code of a census code list (a code in the wrong field), never as free text."""
    path = write(tmp_path, [worker("SW1", ethnicity="KHAN"), worker("SW2", ethnicity="LEE"), worker("SW3")])
    text = path.read_text()
    path.write_text(re.sub("<GenderCurrent>[^<]*</GenderCurrent>", "<GenderCurrent>WBRI</GenderCurrent>", text,
                           count=1).replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity>M</Ethnicity>"))
    out = tmp_path / "report"
    result = _run(path, "--out", out, "--salt", "k")
    assert result.exit_code == 2
    report = (out / PROBLEMS_CSV).read_text()
    for said in (result.output, report):
        assert "KHAN" not in said and "LEE" not in said
    table = pd.read_csv(out / PROBLEMS_CSV)
    messages = dict(zip(zip(table["position"].fillna(0).astype(int), table["field"]), table["message"]))
    assert messages[(1, "Ethnicity")] == "<Ethnicity> (text of 4 characters, not shown) is not valid: not one of the codes allowed"
    assert messages[(2, "Ethnicity")].startswith("<Ethnicity> (text of 3 characters, not shown)")
    assert messages[(1, "GenderCurrent")].startswith("<GenderCurrent> 'WBRI' is not valid")  # a code, wrong field
    assert messages[(3, "Ethnicity")].startswith("<Ethnicity> 'M' is not valid")
