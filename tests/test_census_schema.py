"""Bundled schemas, year detection, validation (shared per layout and value, equal to xmlschema's
whole-file verdict) and hostile XML."""

from __future__ import annotations

import collections
import io
import re

import pytest
import xmlschema
from typer.testing import CliRunner

from census_frames import SHARED, needs_shared, worker, write
from workforce.census import reader
from workforce.census.reader import read_return
from workforce.census.schema import (
    CORRECTED_SWENO_PATTERN,
    PUBLISHED_SWENO_PATTERN,
    SCHEMA_DIR,
    SCHEMA_FILES,
    detect_year,
    load_schema,
    schema_text,
    validate_return,
)
from workforce.errors import InputError


def test_bundled_schemas_are_the_published_files():
    needs_shared()
    for name in set(SCHEMA_FILES.values()):
        assert (SCHEMA_DIR / name).read_bytes() == (SHARED / "xsd" / name).read_bytes()


def test_sweno_pattern_correction_is_needed_and_the_only_change():
    for year in (2021, 2024, 2025):
        original = (SCHEMA_DIR / SCHEMA_FILES[year]).read_text(encoding="utf-8")
        corrected = schema_text(year)
        assert corrected == original.replace(PUBLISHED_SWENO_PATTERN, CORRECTED_SWENO_PATTERN)
        sweno = load_schema(year).types["swetype"]
        published = xmlschema.XMLSchema(io.StringIO(original)).types["swetype"]
        assert not published.is_valid("SW123456")  # read literally, no real number matches
        assert published.is_valid("SW123456$")
        assert sweno.is_valid("SW123456") and sweno.is_valid("ab1")
        assert not sweno.is_valid("SW123456$") and not sweno.is_valid("S1234") and not sweno.is_valid("SW12345678901")


def test_year_detection(tmp_path):
    def choice(path):
        return detect_year(read_return(path))

    assert choice(write(tmp_path, [worker("SW1", 2024)], year=2024)).year == 2024
    bad_year = write(tmp_path, [worker("SW1")], year=2022, name="x.xml")
    bad_year.write_text(bad_year.read_text().replace("<Year>2022</Year>", "<Year>2020</Year>"))
    assert (choice(bad_year).year, choice(bad_year).basis) == (2022, "the year of ReferenceDate")
    no_header = write(tmp_path, [worker("SW1", 2025, base_salary=40000.0)], year=2025, name="y.xml")
    text = re.sub(r"<Header>.*</Header>", "", no_header.read_text())
    no_header.write_text(text)
    assert (choice(no_header).year, choice(no_header).basis) == (2025, "the layout of the records")
    old = write(tmp_path, [worker("SW1")], year=2019, name="z.xml")
    assert choice(old).year == 2021  # the nearest year with a schema


def _full(schema, ret) -> collections.Counter:
    """xmlschema's verdict on the whole file: problems per record position (None = header)."""
    out = collections.Counter()
    for error in schema.iter_errors(ret.root):
        found = re.search(r"CSWWWorker\[(\d+)\]", error.path or "")
        if found:
            out[int(found.group(1))] += 1
        elif "CSWWWorker" in (error.path or ""):
            out[1] += 1  # a single worker has no index in the path
        else:
            out[None] += 1
    return out


@pytest.mark.parametrize("year", [2022, 2024, 2025])
def test_shared_validation_equals_whole_file_validation(year):
    needs_shared()
    for path in sorted(SHARED.glob("*.xml")):
        ret = read_return(path)
        ours = collections.Counter(p.position for p in validate_return(ret, year))
        assert ours == _full(load_schema(year), ret), path.name


def test_shared_validation_on_odd_records(tmp_path):
    path = write(tmp_path, [worker("SW1"), worker("SW2"), worker("SW3", fte=2.0), worker("SW4")])
    text = path.read_text()
    text = text.replace("<SWENo>SW2</SWENo>", "<SWENo a='1'>SW2</SWENo>")  # an attribute: validated whole
    text = text.replace("<OrgRole>5</OrgRole>", "<OrgRole>9</OrgRole><Foo>1</Foo>", 1)  # record 1
    text = text.replace("<SWENo>SW4</SWENo>", "<SWENo>SW4<b/></SWENo>")  # a nested element
    path.write_text(text)
    ret = read_return(path)
    ours = collections.Counter(p.position for p in validate_return(ret, 2022))
    assert ours == _full(load_schema(2022), ret)
    assert set(ours) == {1, 2, 3, 4}


def test_problems_never_repeat_a_swe_number_or_birth_date(tmp_path):
    path = write(tmp_path, [worker("SW1", birth_date=None), worker("SW2")])
    text = path.read_text().replace("<SWENo>SW2</SWENo>", "<SWENo>XX12-34</SWENo>")
    text = text.replace("<PersonBirthDate>1985-06-01</PersonBirthDate>", "<PersonBirthDate>1985-13-01</PersonBirthDate>")
    path.write_text(text)
    problems = validate_return(read_return(path), 2022)
    fields = sorted(p.field for p in problems)
    assert fields == ["PersonBirthDate", "SWENo"]
    for p in problems:
        assert "XX12-34" not in p.message + p.fix and "1985-13-01" not in p.message + p.fix


# ---- hostile XML ----------------------------------------------------------------------------

BOMB = ('<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Message>&c;</Message>')
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>'


def _hostile(tmp_path):
    huge = write(tmp_path, [worker("SW1")], name="huge.xml")
    huge.write_text(huge.read_text().replace("University of Nowhere", "x" * (reader.MAX_TEXT + 1)))
    tail = write(tmp_path, [worker("SW1")], name="tail.xml")
    tail.write_text(tail.read_text().replace("</Header>", "</Header>" + " " * (reader.MAX_TEXT + 1)))
    deep = tmp_path / "deep.xml"
    deep.write_text("<Message>" + "<a>" * 200 + "</a>" * 200 + "</Message>")
    bomb, external = tmp_path / "bomb.xml", tmp_path / "external.xml"
    bomb.write_text(BOMB)
    external.write_text(EXTERNAL)
    return {"bomb": bomb, "external": external, "huge": huge, "tail": tail, "deep": deep}


@pytest.mark.parametrize("kind", ["bomb", "external", "huge", "tail", "deep"])
def test_hostile_xml_is_refused(tmp_path, kind):
    path = _hostile(tmp_path)[kind]
    with pytest.raises(InputError) as info:
        read_return(path)
    assert path.name in str(info.value) and "refused" in str(info.value)


def test_too_large_a_file_or_too_many_elements_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path, [worker(f"SW{i}") for i in range(20)])
    monkeypatch.setattr(reader, "MAX_ELEMENTS", 100)
    with pytest.raises(InputError, match="more than 100 elements"):
        read_return(path)
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InputError, match="a census return is a few MB"):
        read_return(path)


@pytest.mark.parametrize("kind", ["bomb", "external", "huge", "deep"])
def test_hostile_xml_exits_2_from_import_and_check(tmp_path, kind):
    from workforce.cli import app

    path = _hostile(tmp_path)[kind]
    out = tmp_path / "h.csv"
    result = CliRunner().invoke(app, ["census", "import", str(path), "--out", str(out), "--salt", "k"])
    assert result.exit_code == 2 and not out.exists()
    assert "refused" in result.output and "Traceback" not in result.output
    report = tmp_path / "report"
    result = CliRunner().invoke(app, ["census", "check", str(path), "--out", str(report), "--salt", "k"])
    assert result.exit_code == 2, result.output
    assert "refused" in (report / "census_problems.csv").read_text()


def test_field_verdicts_equal_the_public_api():
    """The shared validation context gives the same verdicts as xmlschema's `iter_errors`."""
    from xml.etree.ElementTree import Element

    from workforce.census.schema import FieldVerdicts, worker_declarations

    values = {"SWENo": ["SW1", "S1", "SW123$", ""], "FTE": ["0.5", "1.5", "lots", "0.1234567", " 1"],
              "PersonBirthDate": ["1980-01-01", "1980-13-01", "01/02/1980"], "OrgRole": ["5", "7", " 5 "],
              "Sex": ["M", "X"], "GenderCurrent": ["9", "3"], "BaseSalary": ["35000.00", "35000.123"],
              "WorkingDaysLost": ["3.50", "-1"], "Cases30": ["12", "1.5"]}
    for year in (2022, 2024, 2025):
        declared = worker_declarations(year)
        verdicts = FieldVerdicts(declared)
        for name, texts in values.items():
            if name not in declared:
                continue
            for text in texts:
                child = Element(name)
                child.text = text
                public = [e.reason for e in declared[name].iter_errors(child)]
                assert verdicts.reasons(name, text) == public, (year, name, text)


# ---- plain messages -------------------------------------------------------------------------

LIBRARY_WORDS = ("class", "Decimal(", "elementpath", "datatypes", "less than or equal than")


def test_invalid_values_are_explained_in_plain_words(tmp_path):
    path = write(tmp_path, [worker("SW1", start_date=None), worker("SW2", fte=1.5), worker("SW3", org_role=7),
                            worker("SW4", fte=0.25, fte30=0.25)])
    text = path.read_text().replace("<StartOrigin>", "<RoleStartDate>31/02/2020</RoleStartDate><StartOrigin>", 1)
    text = text.replace("<FTE>0.250000</FTE>", "<FTE>0.1234567</FTE>").replace("<Cases30>17</Cases30>", "<Cases30>3.5</Cases30>", 1)
    path.write_text(text.replace("<LEA>301</LEA>", "<LEA>31</LEA>"))
    problems = validate_return(read_return(path), 2022)
    said = {(p.position, p.field): p.message for p in problems}
    assert said[(1, "RoleStartDate")] == "<RoleStartDate> (a date, not shown) is not valid: not a real date written YYYY-MM-DD"
    assert said[(1, "Cases30")] == "<Cases30> '3.5' is not valid: not a whole number"
    assert said[(2, "FTE")] == "<FTE> '1.500000' is not valid: more than 1"
    assert said[(3, "OrgRole")] == "<OrgRole> '7' is not valid: not one of the codes allowed"
    assert said[(4, "FTE")] == "<FTE> '0.1234567' is not valid: more than 6 decimal places"
    assert said[(None, "LEA")] == "<LEA> '31' is not valid: not the authority's three-digit DfE code"
    for p in problems:
        assert not any(word in p.message for word in LIBRARY_WORDS), p.message


@pytest.mark.parametrize("kind", ["empty", "csv", "cut short", "windows-1252"])
def test_a_file_that_is_not_a_return_says_why_and_exits_2(tmp_path, kind):
    from workforce.cli import app

    path = tmp_path / "return.xml"
    if kind == "cut short":
        whole = write(tmp_path, [worker("SW1")], name="whole.xml").read_text()
        path.write_text(whole.replace("><", ">\n<")[: len(whole) // 2])
    elif kind == "windows-1252":  # re-saved by Notepad: a '£' that is one byte, not UTF-8
        whole = write(tmp_path, [worker("SW1")], name="whole.xml").read_text()
        path.write_bytes(whole.replace("</Message>", "<!-- \u00a3 --></Message>").encode("cp1252"))
    else:
        path.write_text({"empty": "", "csv": "AgencyWorker,SWENo\n0,SW1\n"}[kind])
    said = {"empty": "the file is empty", "csv": "the file is not XML", "cut short": r"malformed XML \(.*\) at line \d+",
            "windows-1252": r"the file is not UTF-8 text \(byte \d+\)"}[kind]
    with pytest.raises(InputError, match=said):
        read_return(path)
    report = tmp_path / "report"
    result = CliRunner().invoke(app, ["census", "check", str(path), "--out", str(report), "--salt", "k"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    row = (report / "census_problems.csv").read_text()
    assert re.search(said, row) and "DTD" not in row and "SW1" not in row
    out = tmp_path / "h.csv"
    result = CliRunner().invoke(app, ["census", "import", str(path), "--out", str(out), "--salt", "k"])
    assert result.exit_code == 2 and not out.exists() and "Traceback" not in result.output
    assert re.search(said, result.output)
