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
WORKFORCE = Path(sys.executable).parent / "workforce"

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


def write_sheet_bomb(path: Path, inflated_mb: int, *, zip64: bool = True) -> None:
    """An .xlsx whose sheet XML inflates to `inflated_mb` MB of spaces (a zip bomb), written in
    1 MB chunks so building it takes little memory."""
    write_minimal_xlsx(path, "workers", [["worker_id"], ["W1"]])
    tmp = path.with_suffix(".part")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, src.read(info.filename))
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=zip64) as f:
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
def authority(tmp_path, example_model) -> Authority:
    root = tmp_path / "in"
    root.mkdir()
    auth = Authority(root)
    for table in ("workers", "cases", "hr_history"):
        auth.files[table] = Path(shutil.copy(EXAMPLES / f"{table}.csv", root / f"{table}.csv"))
    workers = rows_of(auth.files["workers"])
    risk = [["worker_id", "p_leave", "band"]] + [[r[0], "0.2", "Medium"] for r in workers[1:]]
    auth.files["risk"] = root / "risk.csv"
    auth.files["risk"].write_text(csv_text(risk), encoding="utf-8")
    shutil.copytree(example_model, auth.model)
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
    # inside the middle row, after its first field: what follows includes required fields (a cut
    # just before a row's last, optional field would leave a row the reader rightly pads)
    start = data.rindex(b"\n", 0, len(data) // 2) + 1
    return data[:data.index(b",", start)]


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
    (Bad("start_date_year_2300", "workers", edited("workers", 2, "start_date", "2300-01-01"),
         ("row 2", "column 'start_date'")), ("validate", "allocate")),
]


@pytest.mark.parametrize("bad, command", [
    pytest.param(bad, cmd, id=f"{bad.name}[{bad.table}]-{cmd.replace(' ', '_')}",
                 )
    for bad, commands in HUGE for cmd in commands])
def test_huge_values_refused_through_the_cli(authority, tmp_path, bad, command):
    """A value far outside anything real (10**30 changes of worker or children, a capacity of
    1e308 points, a start in 2300) is bad input, not a number to compute with."""
    _run_bad(authority, tmp_path, bad, command)


EXTREME = [  # values the contract allows; a command may refuse them (exit 2) or use them (exit 0)
    (Bad("fte_1e-320", "workers", edited("workers", 2, "fte", "1e-320"), ("row 2", "column 'fte'")),
     ("validate", "allocate")),
    (Bad("sickness_days_1e308", "workers", edited("workers", 2, "sickness_days_12m", "1e308"),
         ("row 2", "column 'sickness_days_12m'")), ("churn score",)),
    (Bad("sickness_days_1e308", "hr_history", edited("hr_history", 2, "sickness_days_12m", "1e308"),
         ("row 2", "column 'sickness_days_12m'")), ("churn train",)),
]




@pytest.mark.parametrize("bad, command", [
    pytest.param(bad, cmd, id=f"{bad.name}[{bad.table}]-{cmd.replace(' ', '_')}",
                 )
    for bad, commands in EXTREME for cmd in commands])
def test_extreme_values_never_crash(authority, tmp_path, bad, command):
    """An FTE of 1e-320 (> 0, so allowed) or 1e308 sickness days: either refused as bad input
    (exit 2, nothing written) or used (exit 0), never an internal error."""
    bad_dir = tmp_path / "in" / "bad"
    bad_dir.mkdir()
    dest = bad_dir / f"{bad.table}{bad.suffix}"
    bad.make(authority, dest)
    files = {**authority.files, bad.table: dest}
    args = command_args(command, files, tmp_path / "out", authority.model)
    before = snapshot(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {result.stderr}"
    if result.exit_code == 2:
        assert_refused(result, before, tmp_path, (dest.name, *bad.expect))
    else:
        assert "Traceback" not in result.stdout + result.stderr
        assert command == "validate" or (tmp_path / "out").is_dir()


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


# Runs the command line like the console script does, then reports the process's own peak
# memory (VmHWM belongs to the address space made at exec; ru_maxrss would include the pytest
# process the child was forked from).
_MEASURED = """
import atexit, os, sys
def _peak():
    status = open("/proc/self/status").read()
    with open(os.environ["WF_PEAK_FILE"], "w") as f:
        f.write(status.split("VmHWM:")[1].split()[0])
atexit.register(_peak)
from workforce.cli import main
sys.argv = ["workforce", *sys.argv[1:]]
sys.exit(main())
"""


def _run_cli(args: list[str], cwd: Path, *, measure: bool = False, timeout: float = 300) -> tuple[int, str, str, int | None]:
    """Run the installed `workforce` console script (or, with `measure`, the same entry point in
    a fresh interpreter that records its peak memory); return (exit code, stdout, stderr, peak MB)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("WORKFORCE_DEBUG", None)
    peak_file = cwd.parent / f".{cwd.name}.peak"
    if measure:
        cmd = [sys.executable, "-c", _MEASURED]
        env["WF_PEAK_FILE"] = str(peak_file)
    else:
        cmd = [str(WORKFORCE)] if WORKFORCE.exists() else [sys.executable, "-m", "workforce"]
    proc = subprocess.run(cmd + args, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)
    peak = None
    if measure:
        peak = int(peak_file.read_text()) // 1024
        peak_file.unlink()
    return proc.returncode, proc.stdout, proc.stderr, peak


def test_zip_bomb_console_script_stays_small(authority, tmp_path, bombs):
    """The real command refuses the 500 MB bomb without inflating it (peak memory far below it)."""
    shutil.copy(bombs["size"], authority.root / "bomb.xlsx")
    before = snapshot(tmp_path)
    code, out, err, peak_mb = _run_cli(
        ["allocate", "--workers", "in/bomb.xlsx", "--cases", "in/cases.csv", "--out", "out"], tmp_path, measure=True)
    assert code == 2, err
    assert "Traceback" not in out + err
    assert "zip bomb" in err and "bomb.xlsx" in err
    assert peak_mb < 400, f"peak memory {peak_mb} MB: the sheet was inflated"
    assert snapshot(tmp_path) == before


def understate_sheet_size(path: Path, declared: int = 4096) -> None:
    """Make the archive lie: the sheet's uncompressed size in both its local header and the
    central directory says `declared` bytes, though the stream inflates to far more. A check
    that trusts the directory passes; the reader must still not inflate the whole stream."""
    import struct

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    assert data[info.header_offset:info.header_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    name = info.filename.encode()
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46:pos + 46 + name_len]) == name:
            struct.pack_into("<I", data, pos + 24, declared)
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    else:
        raise AssertionError("central directory entry not found")
    path.write_bytes(bytes(data))


def test_zip_bomb_that_understates_its_size(authority, tmp_path):
    """300 MB of sheet XML declared as 4 KB: refused (the stream does not match its header)
    without inflating it, exit 2 naming the file."""
    bomb = authority.root / "liar.xlsx"
    write_sheet_bomb(bomb, 300, zip64=False)
    understate_sheet_size(bomb)
    with zipfile.ZipFile(bomb) as z:
        assert sum(i.file_size for i in z.infolist()) < 1_000_000  # the lie is in place
    before = snapshot(tmp_path)
    code, out, err, peak_mb = _run_cli(["validate", "in/liar.xlsx"], tmp_path, measure=True)
    assert code == 2, err
    assert "Traceback" not in out + err
    assert "liar.xlsx" in err
    assert peak_mb < 250, f"peak memory {peak_mb} MB: the sheet was inflated"
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
    assert any("Nörth" in t for t in teams) and not any("North" in t for t in teams), teams
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


@pytest.mark.parametrize("given, suggested", [("results/", "results/risk.csv"), ("results", "results/risk.csv"),
                                              ("risk.xlsx", "risk.csv")])
def test_churn_score_output_that_is_not_a_csv_name(authority, tmp_path, given, suggested):
    """`--out results/` (a folder not made yet), a name without .csv or with another suffix
    used to write files called `results` and `results.xlsx`: refused before any work, naming the
    CSV to give instead."""
    args = _out_args("churn score", authority, tmp_path / "risk.csv")
    args[args.index("--out") + 1] = f"{tmp_path}/{given}"
    run_refused(args, tmp_path, expect=("must end in .csv", f"{tmp_path}/{suggested}"))


def test_churn_score_stages_beside_its_output(authority, tmp_path, monkeypatch):
    """`churn score --out risk.csv` (the default, relative to the working folder) must stage in
    the working folder: its parent may belong to someone else (cd ~ puts the staging in /home)."""
    import tempfile

    work = tmp_path / "work"
    work.mkdir()
    made: list[Path] = []
    real_mkdtemp = tempfile.mkdtemp

    def spy(*args, **kwargs):
        path = real_mkdtemp(*args, **kwargs)
        made.append(Path(path))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    monkeypatch.chdir(work)
    result = runner.invoke(app, ["churn", "score", "--model", str(authority.model),
                                 "--workers", str(authority.files["workers"]), "--out", "risk.csv"])
    assert result.exit_code == 0, result.stderr
    assert (work / "risk.csv").is_file()
    assert made and all(p.parent == work for p in made), f"staged in {[str(p.parent) for p in made]}, not {work}"


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


@pytest.mark.parametrize("command", ("allocate", "plan", "churn train"))
def test_output_folder_where_an_output_name_is_a_folder(authority, tmp_path, command):
    """The output folder exists and holds a folder named like one of the outputs (sorted after
    others, so a publish that moves files one by one would have moved some before failing):
    refused with exit 2 and the folder unchanged, not a partial set of outputs."""
    name = {"allocate": "changes.csv", "plan": "scenarios.csv", "churn train": "model.joblib"}[command]
    out = tmp_path / "results"
    (out / name).mkdir(parents=True)
    (out / name / "keep.txt").write_text("keep")
    run_refused(_out_args(command, authority, out), tmp_path, expect=(name,))


RUN_CONFIGS = {
    "not_toml": ("[inputs\nworkers = ", ("run.toml", "TOML")),
    "unknown_key": ('[run.inputs]\nworkers = "workers.csv"\ncases = "cases.csv"\nhr_history = "hr_history.csv"\n'
                    'wrokers = "x.csv"\n[run.outputs]\nfolder = "../out"\n', ("run.toml", "wrokers")),
    "missing_input": ('[run.inputs]\nworkers = "nowhere.csv"\ncases = "cases.csv"\nhr_history = "hr_history.csv"\n'
                      '[run.outputs]\nfolder = "../out"\n', ("nowhere.csv",)),
    "output_is_input": ('[run.inputs]\nworkers = "workers.csv"\ncases = "cases.csv"\nhr_history = "hr_history.csv"\n'
                        '[run.outputs]\nfolder = "cases.csv"\n', ("cases.csv", "input")),
    "bad_table": ('[run.inputs]\nworkers = "workers.csv"\ncases = "bad/cases.csv"\nhr_history = "hr_history.csv"\n'
                  '[run.outputs]\nfolder = "../out"\n', ("cases.csv", "row 2", "column 'case_type'")),
}


@pytest.mark.parametrize("name", sorted(RUN_CONFIGS))
def test_run_config_problems_refused(authority, tmp_path, name):
    """`workforce run CONFIG.toml`: a bad config, or a bad file it names, is refused like the rest."""
    text, expect = RUN_CONFIGS[name]
    (authority.root / "bad").mkdir()
    (authority.root / "bad" / "cases.csv").write_text(
        csv_text(set_cell(authority.rows("cases"), 2, "case_type", "adoption")), encoding="utf-8")
    config = authority.root / "run.toml"
    config.write_text(text, encoding="utf-8")
    run_refused(["run", str(config)], tmp_path, expect=expect)


# ------------------------------------------------------------------- the real console script


@pytest.mark.parametrize("case", [
    "binary_csv",
    "billion_laughs",
    "output_is_input", "unwritable"])
def test_console_script_gives_one_message_and_no_traceback(authority, tmp_path, case):
    """What a user sees from the installed command: exit 2 and a one-line message naming the
    file, nothing else."""
    workers, out, named = "in/workers.csv", "out", "workers.csv"
    if case == "binary_csv":
        (authority.root / "bad").mkdir()
        (authority.root / "bad" / "workers.csv").write_bytes(_random_bytes(True)(authority, "workers"))
        workers = "in/bad/workers.csv"
    elif case == "billion_laughs":
        write_minimal_xlsx(authority.root / "workers.xlsx", "workers", authority.rows("workers"),
                           doctype=BILLION_LAUGHS, entity_cell=(1, 1, "&lol9;"))
        workers, named = "in/workers.xlsx", "workers.xlsx"
    elif case == "output_is_input":
        out, named = "in/cases.csv", "cases.csv"
    else:
        out = named = "/proc/wf-out"
    before = snapshot(tmp_path)
    code, stdout, stderr, _ = _run_cli(
        ["allocate", "--workers", workers, "--cases", "in/cases.csv", "--out", out, "--time-limit", "2"], tmp_path)
    assert code == 2, stderr
    assert "Traceback" not in stdout + stderr
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert named in stderr
    assert snapshot(tmp_path) == before


# ------------------------------------------------------- a console summary that fails publishes nothing


def fail_when_called_from(monkeypatch, target: str, module: str) -> None:
    """Make `target` ("package.module:attr" or "package.module:Class.method") raise when code in
    the command module `module` calls it, as its console summary does, and work as before for
    everyone else (the code that writes the files)."""
    import importlib

    where, _, path = target.partition(":")
    *parents, name = path.split(".")
    owner = importlib.import_module(where)
    for part in parents:
        owner = getattr(owner, part)
    real = getattr(owner, name)

    def failing(*args, **kwargs):
        if sys._getframe(1).f_globals.get("__name__") == module:
            raise RuntimeError("the console summary failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def _census_returns(folder: Path) -> list[str]:
    from census_frames import agency_worker, leaver, worker, write

    folder.mkdir()
    return [str(write(folder, [worker("SW1", y), agency_worker("SW2", y), leaver("SW3", f"{y}-04-01", y)], year=y))
            for y in (2023, 2024)]


def _flat_table(path: Path) -> str:
    rng = random.Random(0)
    rows = [["EmployeeRef", "OverTime", "YearsAtCompany", "Left"]]
    for i in range(200):
        overtime, years = rng.random() < 0.3, rng.randrange(20)
        left = rng.random() < (0.45 if overtime else 0.12) * (1.5 if years < 3 else 1)
        rows.append([f"E{i:04d}", "Yes" if overtime else "No", str(years), "Yes" if left else "No"])
    path.write_text(csv_text(rows), encoding="utf-8")
    return str(path)


PUBLISHED = Path(__file__).parent / "data" / "published"

# command -> (its arguments, given the authority and a scratch folder; what fails when the
# command's module calls it for its summary: workforce.cli.<first word>, census for import-csww)
SUMMARY_FAILURES: dict[str, tuple[Callable[[Authority, Path], list[str]], str]] = {
    "allocate": (lambda a, t: command_args("allocate", a.files, t / "out", a.model),
                 "workforce.excel.workbooks:allocation_workbook_indicators"),
    "allocate --explain": (lambda a, t: [*command_args("allocate", a.files, t / "out", a.model), "--explain", "C00001"],
                           "workforce.allocation.explain:explain_row"),
    "benchmark": (lambda a, t: ["benchmark", "--la", "333", "--out", str(t / "out")],
                  "workforce.published.benchmark:Benchmark.summary"),
    "forecast": (lambda a, t: ["forecast", "--data", str(PUBLISHED), "--until", "2021", "--years", "2",
                               "--out", str(t / "out")],
                 "pandas:DataFrame.groupby"),
    "census check": (lambda a, t: ["census", "check", *_census_returns(t / "returns"), "--out", str(t / "out"),
                                   "--salt", "k"],
                     "workforce.census.check:CensusCheck.summary"),
    "census import": (lambda a, t: ["census", "import", *_census_returns(t / "returns"), "--out", str(t / "h.csv"),
                                    "--problems", str(t / "problems.csv"), "--salt", "k"],
                      "workforce.census.history:ImportSummary.lines"),
    "churn import-csww": (lambda a, t: ["churn", "import-csww", *_census_returns(t / "returns"),
                                        "--out", str(t / "h.csv"), "--salt", "k"],
                          "workforce.census.history:ImportSummary.lines"),
    "churn train": (lambda a, t: command_args("churn train", a.files, t / "out", a.model),
                    "workforce.cli.churn:_fmt"),
    "churn score": (lambda a, t: command_args("churn score", a.files, t / "out", a.model),
                    "workforce.indicators:render"),
    # churn audit (and churn evaluate, below) already printed their summaries before writing, so
    # these two pass on the old code as well: they guard that order, not a file once left behind.
    "churn audit": (lambda a, t: ["churn", "audit", "--model", str(a.model), "--history", str(a.files["hr_history"]),
                                  "--out", str(t / "audit.csv")],
                    "pandas:DataFrame.to_string"),
}


@pytest.mark.parametrize("command", sorted(SUMMARY_FAILURES))
def test_a_failing_console_summary_publishes_nothing(authority, tmp_path, monkeypatch, command):
    """Every line a command prints about its outputs is composed before they are published: a
    failure there (a KeyError, a format on an unexpected value) exits 1 and leaves no file, no
    staging folder and no lock behind (it used to be printed after publishing, so the outputs
    were left behind an exit 1)."""
    make_args, target = SUMMARY_FAILURES[command]
    args = make_args(authority, tmp_path)
    module = "workforce.cli.census" if command == "churn import-csww" else f"workforce.cli.{command.split()[0]}"
    fail_when_called_from(monkeypatch, target, module)
    before = snapshot(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "internal error: RuntimeError: the console summary failed" in result.stderr
    assert snapshot(tmp_path) == before, "outputs (or staging) were left behind a failed command"


def test_churn_evaluate_failing_summary_writes_no_report(tmp_path, monkeypatch):
    """`churn evaluate --report`: a figure the summary cannot format (here the base rate) exits 1
    with no report written (a guard: evaluate already printed its summary before writing)."""
    import workforce.retention.flat as flat

    real = flat.evaluate_table

    def unexpected(*args, **kwargs):
        result = real(*args, **kwargs)
        result["data"]["base_rate"] = "not measured"
        return result

    monkeypatch.setattr(flat, "evaluate_table", unexpected)
    data = _flat_table(tmp_path / "hr.csv")
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["churn", "evaluate", "--data", data, "--target", "Left", "--positive", "Yes",
                                 "--folds", "2", "--repeats", "1", "--report", str(tmp_path / "report.json")])
    assert result.exit_code == 1, result.output
    assert "internal error: ValueError" in result.stderr
    assert snapshot(tmp_path) == before


def test_every_command_that_reads_tables_takes_the_dates_option():
    """The README promises --dates on every command that reads tables: any command with a table
    option (--workers, --cases, --history, --hr-history, --establishment) has it, and so does
    `churn evaluate` (its --data is the user's own table; elsewhere --data is the DfE's published
    files, which hold years, not typed dates)."""
    import typer.main

    from workforce.cli import app

    group = typer.main.get_command(app)
    tables = {"--workers", "--cases", "--history", "--hr-history", "--establishment"}
    lacking = []

    def walk(command, path):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, f"{path} {name}")
            return
        options = {opt for p in command.params for opt in getattr(p, "opts", [])}
        reads = options & tables or path.strip() == "churn evaluate"
        if reads and "--dates" not in options:
            lacking.append(path.strip())

    walk(group, "")
    assert not lacking, f"commands reading tables without --dates: {lacking}"
