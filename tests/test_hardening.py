"""Hardening through the command line: a corpus of bad inputs and bad output places.

Every bad case must give exit code 2 and one clear message naming the file (and the row and
column where they apply), no traceback, no output (the output folder does not appear, no hidden
staging folder or temporary file is left) and untouched inputs. The corpus is built in
`tmp_path` at test time from the example authority in `examples/`: every validation rule of
the data contracts, truncated and binary files, huge values, a 10 MB cell, zip bombs and an
XML entity expansion ("billion laughs") inside an `.xlsx`, an output folder that cannot be
created, an output path that is an input, and an output folder that holds an input under an
output's name. UTF-8 (with and without a byte-order mark) and Windows-1252 CSVs are valid
input: those must succeed and keep the text ("Nörth").

Most runs use `typer.testing.CliRunner` (fast, in process); a few run the installed
`workforce` console script in a subprocess to check what a user really sees.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from typer.testing import CliRunner

from workforce.cli import app

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
EXAMPLE_MODEL = REPO / "models" / "example"
WORKFORCE = Path(sys.executable).parent / "workforce"
TABLES = ("workers", "cases", "hr_history", "risk")

runner = CliRunner()


# --------------------------------------------------------------------------- corpus helpers


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def set_cell(rows: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    """Set the cell a spreadsheet user calls (row, column): the header is row 1."""
    rows = [list(r) for r in rows]
    if column not in rows[0]:
        rows[0].append(column)
        for r in rows[1:]:
            r.append("")
    rows[row - 1][rows[0].index(column)] = value
    return rows


def drop_column(rows: list[list[str]], column: str) -> list[list[str]]:
    k = rows[0].index(column)
    return [r[:k] + r[k + 1:] for r in rows]


def snapshot(root: Path) -> dict[str, str]:
    """Every file (with its hash) and folder under `root`, hidden ones included."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
    return out


# ------------------------------------------------------------------------------- XLSX builders

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _col(k: int) -> str:
    name = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        name = chr(65 + r) + name
    return name


def write_minimal_xlsx(path: Path, sheet: str, rows: list[list[str]], *, doctype: str = "",
                       entity_cell: tuple[int, int, str] | None = None) -> None:
    """A minimal workbook by hand (one sheet, text in sharedStrings), so the XML can be tampered
    with: `doctype` is put before <sst> and `entity_cell` (row, column, raw XML text) replaces
    one shared string with raw XML such as an entity reference."""
    strings: list[str] = []
    cells = []
    for i, row in enumerate(rows):
        xs = []
        for j, value in enumerate(row):
            if value == "":
                continue
            raw = entity_cell[2] if entity_cell and (i, j) == entity_cell[:2] else _esc(value)
            strings.append(raw)
            xs.append(f'<c r="{_col(j)}{i + 1}" t="s"><v>{len(strings) - 1}</v></c>')
        cells.append(f'<row r="{i + 1}">{"".join(xs)}</row>')
    sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            "</Types>"),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" xmlns:r="{_REL}">'
            f'<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NS}"><sheetData>{"".join(cells)}'
            "</sheetData></worksheet>"),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<sst xmlns="{_NS}" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{sst}</sst>'),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">' for k in range(1, 10))
    + "]>"
)


def write_sheet_bomb(path: Path, inflated_mb: int) -> None:
    """An .xlsx whose sheet XML inflates to `inflated_mb` MB of spaces (a zip bomb), written in
    1 MB chunks so building it takes little memory."""
    write_minimal_xlsx(path, "workers", [["worker_id"], ["W1"]])
    tmp = path.with_suffix(".part")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, src.read(info.filename))
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><worksheet xmlns="{_NS}"><sheetData>'.encode())
            chunk = b" " * (1 << 20)
            for _ in range(inflated_mb):
                f.write(chunk)
            f.write(b"</sheetData></worksheet>")
    tmp.replace(path)


# ------------------------------------------------------------------------------ the authority


@dataclass
class Authority:
    """Input files in tmp_path: workers.csv, cases.csv, hr_history.csv, risk.csv, model/."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def model(self) -> Path:
        return self.root / "model"

    def rows(self, table: str) -> list[list[str]]:
        return rows_of(self.files[table])


@pytest.fixture
def authority(tmp_path) -> Authority:
    root = tmp_path / "in"
    root.mkdir()
    auth = Authority(root)
    for table in ("workers", "cases", "hr_history"):
        auth.files[table] = Path(shutil.copy(EXAMPLES / f"{table}.csv", root / f"{table}.csv"))
    workers = rows_of(auth.files["workers"])
    risk = [["worker_id", "p_leave", "band"]] + [[r[0], "0.2", "Medium"] for r in workers[1:]]
    auth.files["risk"] = root / "risk.csv"
    auth.files["risk"].write_text(csv_text(risk), encoding="utf-8")
    shutil.copytree(EXAMPLE_MODEL, auth.model)
    return auth


# which commands read which table, and how
def command_args(command: str, files: dict[str, Path], out: Path, model: Path) -> list[str]:
    f = {k: str(v) for k, v in files.items()}
    if command == "validate":
        return ["validate", f["workers"], f["cases"], f["hr_history"]]
    if command == "allocate":
        args = ["allocate", "--workers", f["workers"], "--cases", f["cases"], "--out", str(out), "--time-limit", "2"]
        return args + (["--risk", f["risk"]] if "risk" in files else [])
    if command == "plan":
        return ["plan", "--workers", f["workers"], "--cases", f["cases"], "--risk", f["risk"], "--out", str(out)]
    if command == "churn train":
        return ["churn", "train", "--history", f["hr_history"], "--out", str(out), "--folds", "2", "--repeats", "1"]
    if command == "churn score":
        args = ["churn", "score", "--model", str(model), "--workers", f["workers"], "--cases", f["cases"],
                "--out", str(out / "risk.csv")]
        return args + (["--history", f["hr_history"]] if "hr_history" in files else [])
    raise ValueError(command)


READERS = {
    "workers": ("validate", "allocate", "plan", "churn score"),
    "cases": ("validate", "allocate", "plan", "churn score"),
    "hr_history": ("validate", "churn train", "churn score"),
    "risk": ("allocate", "plan"),
}


def assert_refused(result, before: dict[str, str], root: Path, expect: tuple[str, ...] = ()) -> str:
    """Exit 2, one message saying `expect`, no traceback, nothing written, inputs untouched."""
    err = result.stderr
    both = result.stdout + err
    assert "Traceback" not in both
    assert result.exit_code == 2, f"exit {result.exit_code}: {err or result.stdout}"
    assert isinstance(result.exception, SystemExit)
    assert err.startswith("error: ") and err.count("error: ") == 1, err
    for text in expect:
        assert text in err, f"{text!r} not in: {err}"
    assert snapshot(root) == before, "something was written, or an input changed"
    return err


def run_refused(args: list[str], root: Path, expect: tuple[str, ...] = ()) -> str:
    before = snapshot(root)
    result = runner.invoke(app, args)
    return assert_refused(result, before, root, expect)


# ---------------------------------------------------------------------------- the bad-input corpus


@dataclass(frozen=True)
class Bad:
    """One bad input: which table it replaces, how it is made, what the message must say."""

    name: str
    table: str
    make: Callable[[Authority, Path], None]  # (authority, destination path) -> writes the bad file
    expect: tuple[str, ...]
    suffix: str = ".csv"


def edited(table: str, row: int, column: str, value: str):
    def make(auth: Authority, dest: Path) -> None:
        dest.write_text(csv_text(set_cell(auth.rows(table), row, column, value)), encoding="utf-8")
    return make


def rows_edit(table: str, fn: Callable[[list[list[str]]], list[list[str]]]):
    def make(auth: Authority, dest: Path) -> None:
        dest.write_text(csv_text(fn(auth.rows(table))), encoding="utf-8")
    return make


def raw_bytes(fn: Callable[[Authority, str], bytes]):
    def make(auth: Authority, dest: Path) -> None:
        dest.write_bytes(fn(auth, dest.stem))
    return make


def _duplicate_id(rows, source_row=2, target_row=5, column=0):
    rows = [list(r) for r in rows]
    rows[target_row - 1][column] = rows[source_row - 1][column]
    return rows


def _first_worker(auth: Authority) -> str:
    return auth.rows("workers")[1][0]


def _case_pinned_without_worker(rows):
    rows = set_cell(rows, 3, "current_worker_id", "")
    return set_cell(rows, 3, "pinned", "yes")


def _hr_leaver_row(rows) -> int:
    k = rows[0].index("leave_date")
    return next(i + 1 for i, r in enumerate(rows) if i and r[k])


def _hr_in_post_row(rows) -> int:
    k = rows[0].index("leave_date")
    return next(i + 1 for i, r in enumerate(rows) if i and not r[k])


def _hr_edit(fn):
    return rows_edit("hr_history", fn)


VALIDATION = [
    # workers
    Bad("workers_missing_column", "workers", rows_edit("workers", lambda r: drop_column(r, "fte")),
        ("row 1", "column 'fte'", "required column is missing")),
    Bad("workers_blank_required", "workers", edited("workers", 3, "team", ""), ("row 3", "column 'team'", "blank")),
    Bad("workers_unknown_role", "workers", edited("workers", 4, "role", "wizard"),
        ("row 4", "column 'role'", "unknown code", "wizard")),
    Bad("workers_not_yes_no", "workers", edited("workers", 2, "asye", "maybe"), ("row 2", "column 'asye'", "yes/no")),
    Bad("workers_fte_zero", "workers", edited("workers", 6, "fte", "0"), ("row 6", "column 'fte'", "out of range")),
    Bad("workers_fte_text", "workers", edited("workers", 6, "fte", "full"), ("row 6", "column 'fte'", "not a number")),
    Bad("workers_fte_huge", "workers", edited("workers", 7, "fte", "1e308"), ("row 7", "column 'fte'", "out of range")),
    Bad("workers_fte_infinite", "workers", edited("workers", 7, "fte", "inf"), ("row 7", "column 'fte'")),
    Bad("workers_bad_date", "workers", edited("workers", 8, "start_date", "31/02/2020"),
        ("row 8", "column 'start_date'", "not a date")),
    Bad("workers_date_year_99999", "workers", edited("workers", 8, "start_date", "99999-01-01"),
        ("row 8", "column 'start_date'")),
    Bad("workers_duplicate_id", "workers", rows_edit("workers", _duplicate_id),
        ("row 5", "column 'worker_id'", "duplicate")),
    Bad("workers_max_children_fraction", "workers", edited("workers", 9, "max_children", "2.5"),
        ("row 9", "column 'max_children'", "whole number")),
    Bad("workers_negative_capacity", "workers", edited("workers", 9, "capacity_points", "-5"),
        ("row 9", "column 'capacity_points'", "out of range")),
    Bad("workers_header_only", "workers", rows_edit("workers", lambda r: r[:1]), ("no data rows",)),
    Bad("workers_empty_file", "workers", raw_bytes(lambda a, t: b""), ("empty",)),
    Bad("workers_duplicate_column", "workers", rows_edit("workers", lambda r: [r[0] + [r[0][1]]] + [x + [x[1]] for x in r[1:]]),
        ("row 1", "duplicate column")),
    Bad("workers_extra_values", "workers", rows_edit("workers", lambda r: r[:3] + [r[3] + ["extra"]] + r[4:]),
        ("row 4", "values but the header has")),
    # cases
    Bad("cases_unknown_case_type", "cases", edited("cases", 2, "case_type", "adoption"),
        ("row 2", "column 'case_type'", "unknown code")),
    Bad("cases_court_not_yes_no", "cases", edited("cases", 3, "court", "perhaps"), ("row 3", "column 'court'")),
    Bad("cases_unknown_current_worker", "cases", edited("cases", 4, "current_worker_id", "W9999"),
        ("row 4", "column 'current_worker_id'", "W9999")),
    Bad("cases_unknown_excluded_worker", "cases", edited("cases", 5, "excluded_workers", "W9998"),
        ("row 5", "column 'excluded_workers'", "W9998")),
    Bad("cases_pinned_without_worker", "cases", rows_edit("cases", _case_pinned_without_worker),
        ("row 3", "column 'pinned'")),
    Bad("cases_priority_4", "cases", edited("cases", 6, "priority", "4"), ("row 6", "column 'priority'", "out of range")),
    Bad("cases_workers_12m_negative", "cases", edited("cases", 7, "workers_12m", "-1"),
        ("row 7", "column 'workers_12m'", "out of range")),
    Bad("cases_workers_12m_fraction", "cases", edited("cases", 7, "workers_12m", "1.5"),
        ("row 7", "column 'workers_12m'", "whole number")),
    Bad("cases_duplicate_case_id", "cases", rows_edit("cases", _duplicate_id), ("row 5", "column 'case_id'", "duplicate")),
    Bad("cases_date_year_99999", "cases", edited("cases", 8, "allocated_since", "99999-12-31"),
        ("row 8", "column 'allocated_since'")),
    # hr_history
    Bad("history_leave_date_without_reason", "hr_history",
        _hr_edit(lambda r: set_cell(r, _hr_leaver_row(r), "leave_reason", "")), ("column 'leave_reason'",)),
    Bad("history_reason_without_date", "hr_history",
        _hr_edit(lambda r: set_cell(r, _hr_in_post_row(r), "leave_reason", "1")), ("column 'leave_date'",)),
    Bad("history_leave_before_start", "hr_history",
        _hr_edit(lambda r: set_cell(r, _hr_leaver_row(r), "leave_date", "1990-01-01")),
        ("column 'leave_date'", "before start_date")),
    Bad("history_reason_11", "hr_history", _hr_edit(lambda r: set_cell(r, _hr_leaver_row(r), "leave_reason", "11")),
        ("column 'leave_reason'",)),
    Bad("history_duplicate_snapshot", "hr_history", _hr_edit(lambda r: r + [r[1]]), ("column 'worker_id'", "twice")),
    Bad("history_missing_snapshot_date", "hr_history", _hr_edit(lambda r: drop_column(r, "snapshot_date")),
        ("column 'snapshot_date'",)),
    # risk
    Bad("risk_p_leave_above_1", "risk", edited("risk", 3, "p_leave", "1.5"), ("row 3", "column 'p_leave'")),
    Bad("risk_p_leave_text", "risk", edited("risk", 4, "p_leave", "high"), ("row 4", "column 'p_leave'")),
    Bad("risk_missing_p_leave", "risk", rows_edit("risk", lambda r: drop_column(r, "p_leave")), ("p_leave",)),
    Bad("risk_duplicate_worker", "risk", rows_edit("risk", _duplicate_id), ("row 5", "column 'worker_id'")),
]


def _truncated_mid_row(auth: Authority, table: str) -> bytes:
    data = auth.files[table].read_bytes()
    cut = data.rindex(b",", 0, len(data) // 2)  # inside a row, just before a field
    return data[:cut]


def _unterminated_quote(auth: Authority, table: str) -> bytes:
    text = auth.files[table].read_text(encoding="utf-8")
    return (text + '"an unterminated, quoted field\n').encode()


def _random_bytes(with_nul: bool):
    def make(auth: Authority, table: str) -> bytes:
        rng = random.Random(7)
        data = rng.randbytes(16384)
        return data if with_nul else data.replace(b"\x00", b"\x01")
    return make


def _ten_mb_cell(auth: Authority, table: str) -> bytes:
    rows = auth.rows(table)
    rows = set_cell(rows, 2, rows[0][1], "x" * 10_000_000)
    return csv_text(rows).encode()


def _xlsx_truncated(auth: Authority, table: str) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = table
    for row in auth.rows(table):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    return data[: len(data) // 2]


def _zip_not_workbook(auth: Authority, table: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


def _xlsx_from(fn: Callable[[Authority, str, Path], None]):
    def make(auth: Authority, dest: Path) -> None:
        fn(auth, dest.stem, dest)
    return make


def _xlsx_without_sheet(auth, table, dest):
    write_minimal_xlsx(dest, "Sheet1", auth.rows(table))


def _xlsx_billion_laughs(auth, table, dest):
    write_minimal_xlsx(dest, table, auth.rows(table), doctype=BILLION_LAUGHS, entity_cell=(1, 1, "&lol9;"))


def _xlsx_bad_cell(auth, table, dest):
    write_minimal_xlsx(dest, table, set_cell(auth.rows(table), 3, "fte", "5"))


FILES = [
    Bad("csv_truncated_mid_row", "workers", raw_bytes(_truncated_mid_row), ("workers.csv", "row ")),
    Bad("csv_truncated_mid_row", "cases", raw_bytes(_truncated_mid_row), ("cases.csv", "row ")),
    Bad("csv_unterminated_quote", "workers", raw_bytes(_unterminated_quote), ("workers.csv", "not valid CSV")),
    Bad("csv_unterminated_quote", "hr_history", raw_bytes(_unterminated_quote), ("hr_history.csv", "not valid CSV")),
    Bad("csv_binary_with_nul", "workers", raw_bytes(_random_bytes(True)), ("workers.csv", "binary")),
    Bad("csv_binary_with_nul", "risk", raw_bytes(_random_bytes(True)), ("risk.csv", "binary")),
    Bad("csv_binary_no_nul", "cases", raw_bytes(_random_bytes(False)), ("cases.csv",)),
    Bad("csv_ten_mb_cell", "workers", raw_bytes(_ten_mb_cell), ("workers.csv",)),
    Bad("csv_empty", "hr_history", raw_bytes(lambda a, t: b"\n\n  \n"), ("hr_history.csv", "empty")),
    Bad("xlsx_random_bytes", "workers", raw_bytes(_random_bytes(True)), ("workers.xlsx", "not a valid XLSX"), ".xlsx"),
    Bad("xlsx_truncated_half", "workers", raw_bytes(_xlsx_truncated), ("workers.xlsx", "XLSX"), ".xlsx"),
    Bad("xlsx_truncated_half", "hr_history", raw_bytes(_xlsx_truncated), ("hr_history.xlsx", "XLSX"), ".xlsx"),
    Bad("xlsx_zip_not_workbook", "cases", raw_bytes(_zip_not_workbook), ("cases.xlsx", "XLSX"), ".xlsx"),
    Bad("xlsx_without_the_sheet", "workers", _xlsx_from(_xlsx_without_sheet), ("workers.xlsx",), ".xlsx"),
    Bad("xlsx_billion_laughs", "workers", _xlsx_from(_xlsx_billion_laughs), ("workers.xlsx",), ".xlsx"),
    Bad("xlsx_billion_laughs", "hr_history", _xlsx_from(_xlsx_billion_laughs), ("hr_history.xlsx",), ".xlsx"),
    Bad("xlsx_bad_cell", "workers", _xlsx_from(_xlsx_bad_cell), ("workers.xlsx", "row 3", "column 'fte'"), ".xlsx"),
    Bad("not_csv_or_xlsx", "workers", raw_bytes(lambda a, t: a.files[t].read_bytes()), ("workers.json", ".csv, .xlsx"), ".json"),
]


def _cases(corpus: list[Bad]):
    return [pytest.param(bad, command, id=f"{bad.name}[{bad.table}]-{command.replace(' ', '_')}")
            for bad in corpus for command in READERS[bad.table]]


def _run_bad(authority: Authority, tmp_path: Path, bad: Bad, command: str) -> str:
    bad_dir = tmp_path / "in" / "bad"
    bad_dir.mkdir()
    dest = bad_dir / f"{bad.table}{bad.suffix}"
    bad.make(authority, dest)
    files = dict(authority.files)
    files[bad.table] = dest
    args = command_args(command, files, tmp_path / "out", authority.model)
    return run_refused(args, tmp_path, expect=(dest.name, *bad.expect))


@pytest.mark.parametrize("bad, command", _cases(VALIDATION))
def test_every_validation_rule_refused_through_the_cli(authority, tmp_path, bad, command):
    _run_bad(authority, tmp_path, bad, command)


@pytest.mark.parametrize("bad, command", _cases(FILES))
def test_broken_files_refused_through_the_cli(authority, tmp_path, bad, command):
    _run_bad(authority, tmp_path, bad, command)


def test_billion_laughs_refused_because_of_the_entities(authority, tmp_path):
    """The same hand-made workbook without the entity declarations is read: the refusal above
    comes from the entity expansion, not from the way the workbook is built."""
    files = dict(authority.files)
    files["workers"] = authority.root / "workers.xlsx"
    write_minimal_xlsx(files["workers"], "workers", authority.rows("workers"))
    result = runner.invoke(app, ["validate", str(files["workers"]), str(files["cases"])])
    assert result.exit_code == 0, result.stderr
    assert "all tables valid" in result.stdout


# ------------------------------------------------------------------------------- huge values

HUGE = [  # (bad value, the commands it is tried with)
    (Bad("workers_12m_10e30", "cases", edited("cases", 2, "workers_12m", str(10**30)),
         ("row 2", "column 'workers_12m'")), ("validate", "allocate")),
    (Bad("max_children_10e30", "workers", edited("workers", 2, "max_children", str(10**30)),
         ("row 2", "column 'max_children'")), ("validate", "allocate")),
    (Bad("capacity_points_1e308", "workers", edited("workers", 2, "capacity_points", "1e308"),
         ("row 2", "column 'capacity_points'")), ("validate", "allocate")),
    (Bad("sickness_days_1e308", "workers", edited("workers", 2, "sickness_days_12m", "1e308"),
         ("row 2", "column 'sickness_days_12m'")), ("validate", "churn score")),
    (Bad("sickness_days_1e308", "hr_history", edited("hr_history", 2, "sickness_days_12m", "1e308"),
         ("row 2", "column 'sickness_days_12m'")), ("validate", "churn train")),
    (Bad("start_date_year_2300", "workers", edited("workers", 2, "start_date", "2300-01-01"),
         ("row 2", "column 'start_date'")), ("validate", "allocate")),
    (Bad("fte_denormal", "workers", edited("workers", 2, "fte", "1e-320"), ("row 2", "column 'fte'")),
     ("validate", "allocate")),
]


@pytest.mark.parametrize("bad, command", [
    pytest.param(bad, cmd, id=f"{bad.name}[{bad.table}]-{cmd.replace(' ', '_')}")
    for bad, commands in HUGE for cmd in commands])
def test_huge_values_refused_through_the_cli(authority, tmp_path, bad, command):
    """A value far outside anything real (10**30 changes of worker, a capacity of 1e308 points, a
    start in 2300, an FTE of 1e-320) is bad input, not a number to compute with."""
    _run_bad(authority, tmp_path, bad, command)


# ------------------------------------------------------------------------------- zip bombs


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    """Built once: 500 MB of XML in ~0.5 MB (over the size limit) and 60 MB in ~60 KB (over the
    ratio limit)."""
    root = tmp_path_factory.mktemp("bombs")
    out = {}
    for name, mb in (("size", 500), ("ratio", 60)):
        (root / name).mkdir()
        path = root / name / "workers.xlsx"
        write_sheet_bomb(path, mb)
        out[name] = path
    return out


@pytest.mark.parametrize("kind", ["size", "ratio"])
@pytest.mark.parametrize("command", ["validate", "allocate", "plan", "churn score"])
def test_zip_bomb_refused_before_inflating(authority, tmp_path, bombs, kind, command):
    dest = authority.root / "bad" / "workers.xlsx"
    dest.parent.mkdir()
    shutil.copy(bombs[kind], dest)
    files = {**authority.files, "workers": dest}
    run_refused(command_args(command, files, tmp_path / "out", authority.model), tmp_path,
                expect=("workers.xlsx", "zip bomb"))


def _run_measured(args: list[str], cwd: Path, timeout: float = 300) -> tuple[int, str, str, int]:
    """Run the real console script; return (exit code, stdout, stderr, peak RSS in MB)."""
    cmd = [str(WORKFORCE)] if WORKFORCE.exists() else [sys.executable, "-m", "workforce"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("WORKFORCE_DEBUG", None)
    with open(cwd / ".stdout", "w+b") as so, open(cwd / ".stderr", "w+b") as se:
        proc = subprocess.Popen(cmd + args, cwd=cwd, stdout=so, stderr=se, env=env)
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        code = proc.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0)
        se.seek(0)
        out, err = so.read().decode(errors="replace"), se.read().decode(errors="replace")
    (cwd / ".stdout").unlink()
    (cwd / ".stderr").unlink()
    return code, out, err, usage.ru_maxrss // 1024


def test_zip_bomb_console_script_stays_small(authority, tmp_path, bombs):
    """The real command refuses the 500 MB bomb without inflating it (peak memory far below it)."""
    shutil.copy(bombs["size"], authority.root / "bomb.xlsx")
    before = snapshot(tmp_path)
    code, out, err, peak_mb = _run_measured(
        ["allocate", "--workers", "in/bomb.xlsx", "--cases", "in/cases.csv", "--out", "out"], tmp_path)
    assert code == 2, err
    assert "Traceback" not in out + err
    assert "zip bomb" in err and "bomb.xlsx" in err
    assert peak_mb < 400, f"peak memory {peak_mb} MB: the sheet was inflated"
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------- valid text encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_bom_and_windows_1252_csv_are_valid_and_keep_the_text(authority, tmp_path, encoding):
    """UTF-8 with or without a byte-order mark and Windows-1252 (Excel on Windows, CRLF line ends)
    are all read; 'Nörth' survives to the outputs."""
    for table in ("workers", "cases"):
        text = authority.files[table].read_text(encoding="utf-8").replace("North", "Nörth")
        authority.files[table].write_bytes(text.replace("\n", "\r\n").encode(encoding))
    raw = {t: authority.files[t].read_bytes() for t in ("workers", "cases")}
    if encoding == "cp1252":
        with pytest.raises(UnicodeDecodeError):
            raw["workers"].decode("utf-8")
    result = runner.invoke(app, ["validate", str(authority.files["workers"]), str(authority.files["cases"])])
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "out"
    result = runner.invoke(app, ["allocate", "--workers", str(authority.files["workers"]),
                                 "--cases", str(authority.files["cases"]), "--out", str(out), "--time-limit", "2"])
    assert result.exit_code == 0, result.stderr
    loads = rows_of(out / "worker_loads.csv")
    teams = {r[loads[0].index("team")] for r in loads[1:]}
    assert teams and all(t.startswith("Nörth") for t in teams), teams
    assert {t: authority.files[t].read_bytes() for t in raw} == raw


# ------------------------------------------------------------------------- bad output places


OUT_COMMANDS = ("allocate", "plan", "churn train", "churn score")


def _out_args(command: str, auth: Authority, out: Path) -> list[str]:
    args = command_args(command, auth.files, out.parent if command == "churn score" else out, auth.model)
    if command == "churn score":
        args[args.index("--out") + 1] = str(out)
    return args


@pytest.mark.parametrize("command", OUT_COMMANDS)
def test_output_path_equal_to_an_input(authority, tmp_path, command):
    target = authority.files["hr_history" if command == "churn train" else "workers"]
    run_refused(_out_args(command, authority, target), tmp_path, expect=(target.name, "input"))


@pytest.mark.parametrize("command", ("allocate", "plan", "churn train"))
def test_output_folder_that_is_a_regular_file(authority, tmp_path, command):
    target = tmp_path / "report.txt"
    target.write_text("someone's notes")
    run_refused(_out_args(command, authority, target), tmp_path, expect=("report.txt", "not a folder"))


def test_churn_score_output_that_is_a_folder(authority, tmp_path):
    """`churn score --out` names a CSV file; an existing folder there is bad input (exit 2)."""
    target = tmp_path / "results"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    run_refused(_out_args("churn score", authority, target), tmp_path, expect=("results",))


@pytest.mark.parametrize("command", OUT_COMMANDS)
def test_output_folder_that_cannot_be_created(authority, tmp_path, command):
    """Permissions do not stop root, so use /proc, where no folder can be made."""
    target = Path("/proc/wf-out")
    if command == "churn score":
        target = target / "risk.csv"
    run_refused(_out_args(command, authority, target), tmp_path, expect=("/proc/wf-out",))
    assert not Path("/proc/wf-out").exists()


# an input given under the name one of the command's outputs has, inside the output folder
COLLIDING = {
    "allocate": ("cases", "allocations.csv"),
    "plan": ("risk", "projection.csv"),
    "churn train": ("hr_history", "fairness.csv"),
    "churn score": ("cases", "risk_teams.csv"),
}


@pytest.mark.parametrize("command", OUT_COMMANDS)
def test_output_folder_holding_an_input_under_an_output_name(authority, tmp_path, command):
    """The output folder exists and holds an input named like an output: refused, the folder
    unchanged (no other output appears in it either)."""
    table, name = COLLIDING[command]
    out = tmp_path / "shared"
    out.mkdir()
    authority.files[table] = Path(shutil.copy(authority.files[table], out / name))
    target = out / "risk.csv" if command == "churn score" else out
    args = _out_args(command, authority, target)
    run_refused(args, tmp_path, expect=(name, "input"))


# ------------------------------------------------------------------- the real console script


@pytest.mark.parametrize("case", ["binary_csv", "billion_laughs", "output_is_input", "unwritable"])
def test_console_script_gives_one_message_and_no_traceback(authority, tmp_path, case):
    workers = "in/workers.csv"
    out = "out"
    if case == "binary_csv":
        (authority.root / "bad").mkdir()
        (authority.root / "bad" / "workers.csv").write_bytes(_random_bytes(True)(authority, "workers"))
        workers = "in/bad/workers.csv"
    elif case == "billion_laughs":
        write_minimal_xlsx(authority.root / "workers.xlsx", "workers", authority.rows("workers"),
                           doctype=BILLION_LAUGHS, entity_cell=(1, 1, "&lol9;"))
        workers = "in/workers.xlsx"
    elif case == "output_is_input":
        out = "in/cases.csv"
    else:
        out = "/proc/wf-out"
    before = snapshot(tmp_path)
    code, stdout, stderr, _ = _run_measured(
        ["allocate", "--workers", workers, "--cases", "in/cases.csv", "--out", out, "--time-limit", "2"], tmp_path)
    assert code == 2, stderr
    assert "Traceback" not in stdout + stderr
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert (workers if case != "output_is_input" else "cases.csv") in stderr or Path(workers).name in stderr
    assert snapshot(tmp_path) == before
