"""Input templates: notes, drop-downs, examples that are refused as data while marked, and that
validate and run through the commands once the marker is removed."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from workforce.caseload import CASE_TYPES, ROLES
from workforce.contracts import EXAMPLE_PREFIX, SCHEMAS, load_cases, load_hr_history, load_workers
from workforce.errors import InputError
from workforce.excel.templates import TEMPLATE_FILES, build_templates

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "templates_xlsx"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    build_templates(out)
    return out


@pytest.fixture(scope="module")
def unmarked(fresh, tmp_path_factory) -> Path:
    """The templates with the example marker removed, as if the examples were real rows."""
    out = tmp_path_factory.mktemp("unmarked")
    for name in TEMPLATE_FILES:
        wb = openpyxl.load_workbook(fresh / name)
        for ws in wb:
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    if isinstance(cell.value, str) and EXAMPLE_PREFIX in cell.value:
                        cell.value = cell.value.replace(EXAMPLE_PREFIX, "")
        wb.save(out / name)
    return out


def _content(path: Path) -> dict:
    """What a person sees: per sheet, the cell values, header notes and validations."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb:
        cells = [[c.value for c in row] for row in ws.iter_rows()]
        if ws.title == "Instructions":
            cells = cells[2:]  # the subtitle names the version; compare the steps and column table
        notes = [c.comment.text if c.comment else None for c in ws[1]]
        dvs = sorted((str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation)
        out[ws.title] = (cells, notes, dvs)
    return out


@pytest.mark.parametrize("name", TEMPLATE_FILES)
def test_committed_templates_match_a_fresh_build(fresh, name):
    assert (COMMITTED / name).is_file(), "run: python -m workforce.excel.templates templates_xlsx"
    assert _content(COMMITTED / name) == _content(fresh / name)


@pytest.mark.parametrize("table", ["workers", "cases", "hr_history"])
def test_template_sheets_have_notes_dropdowns_and_instructions(fresh, table):
    wb = openpyxl.load_workbook(fresh / f"{table}.xlsx")
    assert wb.sheetnames == [table, "Instructions"]
    ws = wb[table]
    header = [c.value for c in ws[1]]
    assert header == [c.name for c in SCHEMAS[table]]
    for cell in ws[1]:
        assert cell.comment.text.startswith(cell.value)
    lists = {ws.cell(row=1, column=openpyxl.utils.column_index_from_string(str(dv.sqref)[0])).value: dv.formula1
             for dv in ws.data_validations.dataValidation if dv.type == "list"}
    if table == "cases":
        assert lists["case_type"] == '"' + ",".join(CASE_TYPES) + '"'
        assert lists["court"] == lists["pinned"] == '"yes,no"'
    else:
        assert lists["role"] == '"' + ",".join(ROLES) + '"'
        assert lists["asye"] == '"yes,no"'
    assert ws.max_row >= 3  # example rows


def test_marked_examples_are_refused_as_data(fresh):
    for table, loader in (("workers", load_workers), ("hr_history", load_hr_history)):
        with pytest.raises(InputError, match="template example row") as info:
            loader(fresh / f"{table}.xlsx")
        assert {p.column for p in info.value.problems} == {"worker_id"}
        assert len(info.value.problems) == openpyxl.load_workbook(fresh / f"{table}.xlsx")[table].max_row - 1
    with pytest.raises(InputError, match="template example row"):
        load_cases(fresh / "cases.xlsx")


def test_filled_templates_validate(unmarked):
    workers = load_workers(unmarked / "workers.xlsx")
    cases = load_cases(unmarked / "cases.xlsx", workers)
    history = load_hr_history(unmarked / "hr_history.xlsx")
    assert len(workers) and len(cases) and len(history)
    assert set(cases["current_worker_id"]) - {""} <= set(workers["worker_id"])


def test_templates_run_through_allocate_and_plan(unmarked, tmp_path):
    from workforce.cli import app

    fresh = unmarked
    runner = CliRunner()
    res = runner.invoke(app, ["allocate", "--workers", str(fresh / "workers.xlsx"), "--cases",
                              str(fresh / "cases.xlsx"), "--out", str(tmp_path / "alloc")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "alloc" / "allocation.xlsx").is_file()
    risk = tmp_path / "risk.csv"
    risk.write_text("worker_id,p_leave\nW0001,0.1\nW0002,0.2\nW0003,0.3\nW0004,0.5\nW0005,0.05\n")
    res = runner.invoke(app, ["plan", "--workers", str(fresh / "workers.xlsx"), "--cases", str(fresh / "cases.xlsx"),
                              "--risk", str(risk), "--assumptions", str(fresh / "assumptions.xlsx"),
                              "--out", str(tmp_path / "plan")])
    assert res.exit_code == 0, res.output


def test_template_command_writes_the_four_files(tmp_path):
    from workforce.cli import app

    res = CliRunner().invoke(app, ["template", "--out", str(tmp_path / "t")])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted(TEMPLATE_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]  # no lock or staging left beside it
