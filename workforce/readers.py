"""Reading one input table from a CSV file or an XLSX sheet, safely.

Every reader returns a DataFrame of strings (blank cells are ``""``) whose index is the row
number a spreadsheet user sees (header = row 1, first data row = row 2), so validation
messages can point at the row. Bad files raise :class:`workforce.errors.InputError`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from workforce.errors import InputError

TABLES = ("workers", "cases", "hr_history")
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")

# An .xlsx is a zip of XML parts: refuse archives that would inflate beyond these before parsing.
MAX_XLSX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_CSV_BYTES = 200 * 1024 * 1024


def file_kind(path: Path) -> str:
    """'csv' or 'xlsx' from the suffix; anything else is an input error."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    raise InputError(
        f"not a CSV or XLSX file (suffix '{path.suffix or 'none'}')",
        file=path,
        allowed=".csv, .xlsx",
    )


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("expected a file, found a folder", file=path)
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=path) from None


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) first; Windows-1252 for files saved by Excel on Windows."""
    if b"\x00" in data[:65536]:
        raise InputError("looks like a binary file, not CSV text", file=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"text is neither UTF-8 nor Windows-1252 (byte {exc.start})", file=path
        ) from None


def _frame_from_rows(header: list[str], rows: list[tuple[int, list[str]]], path: Path) -> pd.DataFrame:
    names = [str(h).strip() for h in header]
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not name:
            # Trailing blank header cells with no data are common in spreadsheets; ignore them.
            if any(i < len(values) and values[i].strip() for _, values in rows):
                raise InputError(f"column {i + 1} has data but no header", file=path, row=1)
            continue
        if name in seen:
            raise InputError("duplicate column name", file=path, row=1, column=name)
        seen.add(name)
    keep = [i for i, name in enumerate(names) if name]
    width = len(names)
    records = []
    index = []
    for rownum, values in rows:
        if len(values) > width and any(v.strip() for v in values[width:]):
            raise InputError(
                f"has {len(values)} values but the header has {width} columns",
                file=path,
                row=rownum,
            )
        padded = values + [""] * (width - len(values))
        records.append([padded[i].strip() for i in keep])
        index.append(rownum)
    frame = pd.DataFrame(records, columns=[names[i] for i in keep], index=pd.Index(index, name="row"), dtype=object)
    return frame


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV table as strings; index = spreadsheet row number."""
    _check_readable(path)
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise InputError(f"file is too large ({size / 1e6:.0f} MB; limit {MAX_CSV_BYTES / 1e6:.0f} MB)", file=path)
    text = decode_text(path.read_bytes(), path)
    if not text.strip():
        raise InputError("file is empty", file=path)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        rows_raw = list(reader)
    except csv.Error as exc:
        raise InputError(f"is not valid CSV ({exc})", file=path) from None
    # csv.reader counts physical lines; a quoted field may span lines, so track line numbers.
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    for number, values in enumerate(rows_raw, start=1):
        if header is None:
            header = values
            continue
        if not any(v.strip() for v in values):
            continue
        rows.append((number, values))
    assert header is not None
    return _frame_from_rows(header, rows, path)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def check_xlsx_archive(path: Path) -> None:
    """Refuse files that are not zip archives, or that would inflate absurdly (zip bombs)."""
    _check_readable(path)
    if not zipfile.is_zipfile(path):
        raise InputError("is not a valid XLSX workbook (not a zip archive)", file=path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"is not a valid XLSX workbook ({exc})", file=path) from None
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_XLSX_UNCOMPRESSED or (total > 10 * 1024 * 1024 and total / packed > MAX_XLSX_RATIO):
        raise InputError(
            f"refused: the workbook would expand to {total / 1e6:.0f} MB "
            f"({total / packed:.0f}x its size); possible zip bomb",
            file=path,
        )


def xlsx_sheet_names(path: Path) -> list[str]:
    """Sheet names of a workbook (after the archive checks)."""
    wb = _open_workbook(path)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _open_workbook(path: Path):
    check_xlsx_archive(path)
    import openpyxl  # openpyxl parses with defusedxml when it is installed (it is a dependency)

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad input file
        if type(exc).__module__.startswith("defusedxml"):
            raise InputError("refused: the workbook contains unsafe XML (entity declarations)", file=path) from None
        first_line = (str(exc).splitlines() or [""])[0].rstrip(". ")
        raise InputError(f"is not a readable XLSX workbook ({type(exc).__name__}: {first_line})", file=path) from None


def find_sheet(names: list[str], wanted: str) -> str | None:
    """The sheet called `wanted`, ignoring case and surrounding spaces."""
    for name in names:
        if name.strip().lower() == wanted.lower():
            return name
    return None


def read_xlsx(path: Path, sheet: str) -> pd.DataFrame:
    """Read the sheet named `sheet` (header in row 1) as strings; index = row number."""
    wb = _open_workbook(path)
    try:
        found = find_sheet(list(wb.sheetnames), sheet)
        if found is None:
            raise InputError(
                f"has no sheet named '{sheet}'",
                file=path,
                allowed="sheets present: " + ", ".join(wb.sheetnames),
            )
        ws = wb[found]
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        try:
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                texts = [_cell_text(v) for v in values]
                if header is None:
                    if not any(t.strip() for t in texts):
                        raise InputError("header row 1 is empty", file=f"{path} [{found}]", row=1)
                    header = texts
                    continue
                if any(t.strip() for t in texts):
                    rows.append((number, texts))
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"sheet '{found}' cannot be read ({type(exc).__name__}: {exc})", file=path) from None
        if header is None:
            raise InputError("sheet is empty", file=f"{path} [{found}]")
        return _frame_from_rows(header, rows, Path(f"{path} [{found}]"))
    finally:
        wb.close()


def read_table(path: str | Path, table: str, *, sheet: str | None = None) -> pd.DataFrame:
    """Read `table` from a CSV file, or from the sheet named after it in an XLSX workbook."""
    path = Path(path)
    kind = file_kind(path)
    if kind == "csv":
        return read_csv(path)
    return read_xlsx(path, sheet or table)


def source_label(path: str | Path, table: str) -> str:
    """How messages name a table's source: the file, plus the sheet for workbooks."""
    path = Path(path)
    if path.suffix.lower() in XLSX_SUFFIXES:
        return f"{path} [{table}]"
    return str(path)


def find_tables(paths: list[str | Path]) -> dict[str, Path]:
    """Map table name -> file for the given CSV files, XLSX workbooks or folders.

    A CSV must be named after its table (`workers.csv`); a workbook contributes every sheet named
    after a table; a folder contributes the CSV and XLSX files inside it. The same table from two
    sources is an error.
    """
    found: dict[str, Path] = {}

    def add(table: str, path: Path) -> None:
        if table in found and found[table] != path:
            raise InputError(f"table '{table}' is given twice: {found[table]} and {path}", file=path)
        found[table] = path

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError("not found", file=path)
        if path.is_dir():
            entries = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CSV_SUFFIXES + XLSX_SUFFIXES)
            for entry in entries:
                if entry.suffix.lower() in CSV_SUFFIXES:
                    if entry.stem in TABLES:
                        add(entry.stem, entry)
                else:
                    for table in TABLES:
                        if find_sheet(xlsx_sheet_names(entry), table):
                            add(table, entry)
            continue
        kind = file_kind(path)
        if kind == "csv":
            if path.stem not in TABLES:
                raise InputError(
                    "cannot tell which table this CSV holds: name it after its table",
                    file=path,
                    allowed=", ".join(f"{t}.csv" for t in TABLES),
                )
            add(path.stem, path)
        else:
            names = xlsx_sheet_names(path)
            hits = [t for t in TABLES if find_sheet(names, t)]
            if not hits:
                raise InputError(
                    "has none of the needed sheets",
                    file=path,
                    allowed="sheets named " + ", ".join(TABLES) + "; sheets present: " + ", ".join(names),
                )
            for table in hits:
                add(table, path)
    if not found:
        raise InputError("no input tables found (expected workers.csv, cases.csv, hr_history.csv or an XLSX with those sheets)", file=", ".join(map(str, paths)))
    return found
