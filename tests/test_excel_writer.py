"""The safe writer: hostile text stays text, Tables, formats, README, atomic save."""

from __future__ import annotations

import hashlib
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import excel_fixtures as fx  # noqa: E402

from workforce.excel.writer import SafeWorkbook, TableSpec, column_kind, needs_guard  # noqa: E402


def _sheet_xml(path: Path, sheet: str) -> str:
    """The XML of the named sheet, found through the workbook's relationships."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet[^>]*name="{re.escape(sheet)}"[^>]*r:id="(rId\d+)"', wb)
        if rid is None:
            rid = re.search(rf'<sheet[^>]*r:id="(rId\d+)"[^>]*name="{re.escape(sheet)}"', wb)
        target = re.search(rf'<Relationship[^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels) or \
            re.search(rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
        name = target.group(1).lstrip("/")
        return z.read(name if name.startswith("xl/") else "xl/" + name).decode()


def _hostile_frame() -> pd.DataFrame:
    n = len(fx.HOSTILE)
    return pd.DataFrame({
        "worker_id": pd.Series(fx.HOSTILE, dtype=object),
        "note": pd.Series(fx.HOSTILE[::-1], dtype="string"),
        "p_leave": np.linspace(0.1, 0.7, n),
        "cost_gbp": np.arange(n) * 1000.5,
        "start_date": pd.date_range("2024-01-01", periods=n),
        "children": np.arange(n, dtype="int64"),
        "flag": [True, False] * (n // 2) + [True] * (n % 2),
    })


def test_hostile_strings_are_stored_and_shown_as_text(tmp_path):
    path = tmp_path / "h.xlsx"
    book = SafeWorkbook(produced_by="test")
    book.add_table_sheet("Data", [TableSpec(_hostile_frame(), "Data")], "hostile strings")
    book.save(path)

    ws = openpyxl.load_workbook(path)["Data"]
    got = [ws.cell(row=r, column=1) for r in range(2, 2 + len(fx.HOSTILE))]
    assert [c.value for c in got] == fx.HOSTILE  # exactly as given, CR and tab included
    assert all(c.data_type == "s" for c in got)
    assert all(c.quotePrefix for c in got)  # Excel shows them as typed text
    assert [ws.cell(row=r, column=2).value for r in range(2, 2 + len(fx.HOSTILE))] == fx.HOSTILE[::-1]
    xml = _sheet_xml(path, "Data")
    assert "<f>" not in xml and "<f " not in xml
    # the lead's reader (which trims surrounding whitespace) gets the same text back
    from workforce.readers import read_xlsx

    raw = read_xlsx(path, "Data")
    assert list(raw["worker_id"]) == [s.strip() for s in fx.HOSTILE]


def test_error_codes_and_long_text_stay_text(tmp_path):
    path = tmp_path / "e.xlsx"
    frame = pd.DataFrame({"t": pd.Series(["#N/A", "#DIV/0!", "x" * 40000, "plain"], dtype=object)})
    book = SafeWorkbook(produced_by="test")
    book.add_table_sheet("T", [TableSpec(frame, "T")], "errors")
    from workforce.errors import InputWarning

    with pytest.warns(InputWarning, match="e.xlsx: 1 cell longer than Excel's 32,767 characters cut to fit"):
        book.save(path)  # the cut is said, not made silently
    ws = openpyxl.load_workbook(path)["T"]
    assert ws["A2"].value == "#N/A" and ws["A2"].data_type == "s"
    assert ws["A3"].value == "#DIV/0!" and ws["A3"].data_type == "s"
    assert len(ws["A4"].value) == 32767  # Excel's cell limit
    assert ws["A5"].value == "plain" and not ws["A5"].quotePrefix


def test_needs_guard_covers_every_formula_trigger():
    assert all(needs_guard(s) for s in fx.HOSTILE)
    assert not needs_guard("North CP") and not needs_guard("")


def test_tables_header_freeze_and_formats(tmp_path):
    path = tmp_path / "t.xlsx"
    book = SafeWorkbook(produced_by="test")
    book.add_table_sheet("Data", [TableSpec(_hostile_frame(), "Data"), TableSpec(_hostile_frame(), "Data")],
                         "two tables side by side")
    book.add_table_sheet("Empty", [TableSpec(_hostile_frame().iloc[0:0], "Data")], "no rows")
    book.save(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Data"]
    names = [t.displayName for s in wb for t in s.tables.values()]
    assert len(names) == len(set(n.lower() for n in names)) == 3  # unique across the workbook
    left, right = (ws.tables[n] for n in sorted(ws.tables, key=lambda n: ws.tables[n].ref))
    assert left.ref == "A1:G8" and right.ref == "I1:O8"  # both headers in row 1, one blank column between
    assert [c.name for c in left.tableColumns] == list(_hostile_frame().columns)
    assert left.autoFilter is not None
    assert ws.freeze_panes == "A2"
    assert ws["C2"].number_format == "0.0%"  # p_leave
    assert "£" in ws["D2"].number_format  # cost_gbp
    assert ws["E2"].is_date and ws["E2"].number_format == "dd mmm yyyy"
    assert ws["F2"].number_format == "#,##0"
    assert ws["G2"].value is True
    assert wb["Empty"].tables[next(iter(wb["Empty"].tables))].ref == "A1:G2"  # Excel needs a body row
    assert ws.column_dimensions["A"].width >= len('=HYPERLINK("http://x","click")')


@pytest.mark.parametrize("name,kind", [("cost_gbp", "gbp"), ("p_leave", "pct"), ("agency_share", "pct"),
                                       ("attrition_rate", "pct"), ("utilisation_after", "pct"),
                                       ("share_of_budget", "pct"), ("coverage", "pct"),
                                       ("carry_on_coverage", "pct"),
                                       ("start_date", "date"), ("team", "text")])
def test_column_kind_follows_the_naming_convention(name, kind):
    series = pd.Series(["2024-01-01"]) if kind in ("date", "text") else pd.Series([0.5])
    assert column_kind(name, series) == kind


@pytest.mark.parametrize("name,kind", [("year", "year"), ("price_year", "year"), ("start_year", "year"),
                                       ("change_per_year", "int"), ("count", "int")])
def test_a_year_column_shows_as_a_year_not_a_thousands_number(name, kind):
    """A year under the integer format read "2,023" in every benchmark and demand sheet."""
    assert column_kind(name, pd.Series([2023])) == kind


def test_years_in_the_benchmark_and_demand_workbooks_read_2023_not_2_023(tmp_path):
    from openpyxl.utils.cell import range_boundaries
    from typer.testing import CliRunner

    from workforce.cli import app
    from workforce.excel.cells import YEAR_COLUMNS

    for command, name in (("benchmark", "benchmark.xlsx"), ("demand", "demand.xlsx")):
        out = tmp_path / command
        r = CliRunner().invoke(app, [command, "--la", "333", "--out", str(out)])
        assert r.exit_code == 0, r.output
        wb = openpyxl.load_workbook(out / name)
        years = []
        for ws in wb:
            for table in ws.tables.values():
                left, top, right, bottom = range_boundaries(table.ref)
                for col in range(left, right + 1):
                    if str(ws.cell(top, col).value).lower() in YEAR_COLUMNS:
                        years += [ws.cell(row, col) for row in range(top + 1, bottom + 1)
                                  if isinstance(ws.cell(row, col).value, int)]
        assert len(years) > 10, name
        assert all("," not in c.number_format for c in years), (name, [c.coordinate for c in years
                                                                      if "," in c.number_format][:5])


def test_readme_lists_sheets_versions_and_input_checksums(tmp_path):
    src = tmp_path / "workers.csv"
    src.write_bytes(b"worker_id\nW1\n")
    path = tmp_path / "r.xlsx"
    book = SafeWorkbook(produced_by="workforce test", inputs=[src], title="T")
    book.add_table_sheet("Data", [TableSpec(_hostile_frame(), "Data")], "the data")
    book.add_readme()
    book.save(path)
    ws = openpyxl.load_workbook(path)["README"]
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert hashlib.sha256(src.read_bytes()).hexdigest() in values
    assert "workforce test" in values and "Data" in values and "the data" in values
    from workforce import __version__

    assert __version__ in values


def test_input_checksums_list_a_file_once_when_its_folder_is_given_too(tmp_path):
    """`churn score` gives the model folder and its files as inputs (so no output may overwrite
    them): risk.xlsx listed each model file twice. Each file is listed once, in the order met."""
    from workforce.excel.provenance import input_checksums

    model = tmp_path / "model"
    model.mkdir()
    for name in ("model.joblib", "model_card.json"):
        (model / name).write_bytes(name.encode())
    table = input_checksums([model, model / "model.joblib", model / "model_card.json"])
    assert table["file"].tolist() == [str(model / "model.joblib"), str(model / "model_card.json")]


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"old")
    book = SafeWorkbook(produced_by="test")
    book.add_table_sheet("Data", [TableSpec(_hostile_frame(), "Data")], "x")
    book.save(path)
    assert zipfile.is_zipfile(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx"]


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"old")
    book = SafeWorkbook(produced_by="test")
    book.add_table_sheet("Data", [TableSpec(_hostile_frame(), "Data")], "x")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(book.wb, "save", boom)
    with pytest.raises(OSError):
        book.save(path)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx"]


def test_many_rows_round_trip(tmp_path):
    n = 3000
    frame = fx.allocations(n=n, hostile=True)
    path = tmp_path / "big.xlsx"
    book = SafeWorkbook(produced_by="test")
    book.add_table_sheet("Allocations", [TableSpec(frame, "Allocations")], "many rows")
    book.save(path)
    back = pd.read_excel(path, sheet_name="Allocations")
    assert len(back) == n
    assert list(back["case_id"]) == list(frame["case_id"])
    assert np.allclose(back["points"], frame["points"])
    assert list(back["family_id"].iloc[:4]) == fx.HOSTILE[:4]


def test_each_workbook_tracks_its_own_layout_sheets_and_text(tmp_path):
    """Nothing is shared between workbooks: saving one closes only its own open layout sheets,
    and a carriage return in one workbook's text does not change how another is saved."""
    a, b = SafeWorkbook(produced_by="a"), SafeWorkbook(produced_by="b")
    grid_a, grid_b = a.grid_sheet("G", "grid of a"), b.grid_sheet("G", "grid of b")
    grid_a.put(1, 1, "line\rbreak")
    grid_b.put(1, 1, "from b")
    a.save(tmp_path / "a.xlsx")
    assert grid_a.closed and not grid_b.closed
    b.save(tmp_path / "b.xlsx")
    assert openpyxl.load_workbook(tmp_path / "a.xlsx")["G"]["A1"].value == "line\rbreak"
    assert openpyxl.load_workbook(tmp_path / "b.xlsx")["G"]["A1"].value == "from b"
    with zipfile.ZipFile(tmp_path / "b.xlsx") as z:
        assert all(b"&#13;" not in z.read(n) for n in z.namelist())


def test_table_names_are_unique_per_workbook_not_across_workbooks(tmp_path):
    a, b = SafeWorkbook(produced_by="a"), SafeWorkbook(produced_by="b")
    assert a.table_name("Data") == "Data" and a.table_name("data") == "data_2"
    assert b.table_name("Data") == "Data"
    assert a.table_name("A1") == "t_A1"  # a cell reference is not a valid Table name
