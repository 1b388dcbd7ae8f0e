"""Reading input files safely, and the one parser for each kind of value a user types.

Every table reader returns a DataFrame of strings (blank cells are ``""``) whose index is the row
number a spreadsheet user sees (header = row 1, first data row = row 2), so validation messages
can point at the row. Bad files raise :class:`workforce.errors.InputError`.

What every command shares, so that a file or a value means the same thing everywhere:

* :func:`find_table` / :func:`find_tables`: where a table is, for a file of any name given for
  that table, a folder holding it (file and sheet names matched ignoring case), or (for ``validate``) a CSV
  recognised by its name or columns; what a folder or workbook holds that is no table is named (:func:`not_read_text`);
  :func:`check_file` for any other input file (a folder there is reported as a folder).
* :func:`parse_dates` / :func:`parse_date`: UK day-first by default (``01/04/2025`` is 1 April),
  ``--dates us`` for month-first, unambiguous ISO ``2025-04-01`` and written dates
  (``1 April 2025``) always. :func:`date_order` sets the convention for a block of work.
* :func:`parse_numbers` / :func:`parse_number`: thousands separators, ``£`` where the value is
  money, ``%`` where it is a fraction, and the decimal comma of semicolon-separated CSVs.
* CSV dialects: comma, semicolon or tab separators are detected (:func:`detect_separator`), and
  a decimal comma where the file leaves no doubt (:func:`detect_decimal`).
* XLSX: formula cells without a saved result are named with the fix, never read as blank, and
  cells holding a spreadsheet error (``#N/A``) are named, never read as text.
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import io
import math
import re
import warnings
import zipfile
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from workforce.csvcells import unmark, unmarked
from workforce.errors import InputError, InputWarning, Problem

TABLES = ("workers", "cases", "hr_history")
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")

# An .xlsx is a zip of XML parts: refuse archives that would inflate beyond these before parsing.
MAX_XLSX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_CSV_BYTES = 200 * 1024 * 1024
FIRST_YEAR, LAST_YEAR = 1900, 2200


def size_text(size: int, limit: int) -> str:
    """'210.3 MB, over the limit of 209.7 MB': precise enough that the two never read alike."""
    for decimals in (1, 2, 3):
        a, b = f"{size / 1e6:,.{decimals}f}", f"{limit / 1e6:,.{decimals}f}"
        if a != b:
            return f"{a} MB, over the limit of {b} MB"
    return f"{size:,} bytes, over the limit of {limit:,} bytes"


# ------------------------------------------------------------------------------------ files


def check_file(path: str | Path, what: str = "file") -> Path:
    """`path` as a readable file; a missing path, a folder or an unreadable file is an InputError
    that says which (a folder is never reported as 'not found')."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} not found", file=path)
    if path.is_dir():
        raise InputError(f"is a folder; expected a {what}", file=path)
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=path) from None
    return path


#: Spreadsheet formats people save in that workforce does not read, with what each is, so the
#: refusal says how to save the file rather than how it failed to decode.
OTHER_SPREADSHEETS = {
    ".ods": "an OpenDocument spreadsheet",
    ".xls": "an Excel 97-2003 workbook",
    ".xlsb": "an Excel binary workbook",
    ".numbers": "a Numbers spreadsheet",
}


def check_not_other_spreadsheet(path: Path) -> None:
    """Refuse a spreadsheet saved in a format workforce does not read (.ods, .xls, ...), naming
    the format and the fix: save it as an Excel workbook (.xlsx)."""
    kind = OTHER_SPREADSHEETS.get(Path(path).suffix.lower())
    if kind is not None:
        raise InputError(f"is {kind}, which workforce does not read: save it as an Excel workbook (.xlsx: File > "
                         "Save As, 'Excel Workbook' in Excel, 'Excel 2007-365' in LibreOffice)", file=path,
                         allowed=".xlsx, .csv")


def file_kind(path: Path) -> str:
    """'csv' or 'xlsx' from the suffix; anything else is an input error."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    check_not_other_spreadsheet(path)
    raise InputError(
        f"not a CSV or XLSX file (suffix '{path.suffix or 'none'}')",
        file=path,
        allowed=".csv, .xlsx",
    )


def check_not_utf16(data: bytes, path: Path) -> None:
    """A file that starts with a UTF-16 byte order mark ('Unicode Text' from Excel, or a re-save
    in Notepad) is text, not binary: say which encoding it is and how to save it as CSV."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError("is saved as UTF-16 text; save it as CSV UTF-8 (Excel: Save As, 'CSV UTF-8')", file=path)


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) first; Windows-1252 for files saved by Excel on Windows."""
    check_not_utf16(data, path)
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


def not_utf8(data: bytes) -> tuple[int, int] | None:
    """Where bytes stop being UTF-8 text (a UTF-8 BOM allowed): (byte, line), both from 1, or None
    when they are UTF-8. A file re-saved in Windows-1252 (a '£' typed in Notepad) is named by
    this, with the fix, rather than by the codec's or a parser's words."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return exc.start + 1, data[:exc.start].count(b"\n") + 1
    return None


def read_toml_text(path: Path) -> str:
    """A settings file's text. TOML is UTF-8 by definition (a BOM is allowed): a file in another
    encoding is named with its line and the fix (`not_utf8`)."""
    data = Path(path).read_bytes()
    bad = not_utf8(data)
    if bad is not None:
        byte, line = bad
        raise InputError(problems=[Problem(
            str(path), "is not UTF-8 text (a TOML file must be): save it as UTF-8 (Notepad: Save As, Encoding UTF-8), "
                       f"or retype the character at byte {byte}", line, unit="line")])
    return data.decode("utf-8-sig")


# ------------------------------------------------------------------------------------ dates

DATE_ORDERS = {"uk": "day first (01/04/2025 is 1 April 2025)", "us": "month first (04/01/2025 is 1 April 2025)"}
_date_order: ContextVar[str] = ContextVar("workforce_date_order", default="uk")

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_YEAR_FIRST = re.compile(rf"^(\d{{4}})([-/.])(\d{{1,2}})\2(\d{{1,2}}){_TIME}$")
_YEAR_LAST = re.compile(rf"^(\d{{1,2}})([-/.])(\d{{1,2}})\2(\d{{4}}){_TIME}$")
_DAY_NAME = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})$")
_NAME_DAY = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9


def current_date_order() -> str:
    """The date convention in force: 'uk' (day first, the default) or 'us' (month first)."""
    return _date_order.get()


def check_date_order(order: str) -> str:
    """`order` lower-cased if it is a known convention, else an InputError."""
    value = str(order).strip().lower()
    if value not in DATE_ORDERS:
        raise InputError(f"unknown date order '{order}'", column="--dates",
                         allowed="; ".join(f"{k}: {v}" for k, v in DATE_ORDERS.items()))
    return value


@contextlib.contextmanager
def date_order(order: str | None) -> Iterator[str]:
    """Read dates in this block with `order` ('uk' or 'us'); None keeps the one in force."""
    if order is None:
        yield current_date_order()
        return
    token = _date_order.set(check_date_order(order))
    try:
        yield _date_order.get()
    finally:
        _date_order.reset(token)


def date_formats(order: str | None = None) -> str:
    """The date forms accepted, for messages."""
    order = order or current_date_order()
    numeric = "DD/MM/YYYY (day first, the UK way)" if order == "uk" else "MM/DD/YYYY (month first: --dates us)"
    return f"YYYY-MM-DD, {numeric} or 1 April 2025"


def parse_dates(values: pd.Series, order: str | None = None) -> pd.Series:
    """Dates from text, as `datetime64[ns]` at midnight; NaT where blank or not a date.

    Accepted: year first (``2025-04-01``, ``2025/04/01``, with an optional time as spreadsheets
    write it), day and month with a four-digit year in the convention `order` ('uk': day first,
    the default; 'us': month first) separated by ``/``, ``-`` or ``.``, and written dates
    (``1 April 2025``, ``1 Apr 2025``, ``April 1, 2025``). Years outside 1900-2200 are NaT (they are
    typos, and would overflow).
    """
    order = check_date_order(order) if order else current_date_order()
    full = values.astype(str).str.strip()
    # Dates repeat: parse each distinct text once, then map back (large tables stay fast).
    text = pd.Series(full.unique(), dtype=object)
    year = pd.Series(np.nan, index=text.index)
    month = year.copy()
    day = year.copy()

    def take(pattern: re.Pattern, y: int, m: int, d: int, month_name: bool = False) -> None:
        parts = text.str.extract(pattern)
        hit = parts[0].notna() & year.isna()
        if not hit.any():
            return
        year[hit] = pd.to_numeric(parts.loc[hit, y])
        month[hit] = (parts.loc[hit, m].str.lower().map(MONTHS) if month_name
                      else pd.to_numeric(parts.loc[hit, m]))
        day[hit] = pd.to_numeric(parts.loc[hit, d])

    take(_YEAR_FIRST, 0, 2, 3)
    if order == "uk":
        take(_YEAR_LAST, 3, 2, 0)
    else:
        take(_YEAR_LAST, 3, 0, 2)
    take(_DAY_NAME, 2, 1, 0, month_name=True)
    take(_NAME_DAY, 2, 0, 1, month_name=True)
    ok = year.between(FIRST_YEAR, LAST_YEAR) & month.notna() & day.notna()
    if not ok.any():
        return pd.Series(pd.NaT, index=full.index, dtype="datetime64[ns]")
    parts = pd.DataFrame({"year": year.where(ok), "month": month.where(ok), "day": day.where(ok)})
    parsed = pd.to_datetime(parts, errors="coerce").astype("datetime64[ns]")
    lookup = pd.Series(parsed.to_numpy(), index=text.to_numpy())
    return pd.Series(lookup.reindex(full.to_numpy()).to_numpy(), index=full.index, dtype="datetime64[ns]")


def parse_date(value: object, order: str | None = None) -> date:
    """One date (see :func:`parse_dates`); a `date`/`datetime` is taken as it is. ValueError says
    which forms are accepted."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    parsed = parse_dates(pd.Series([str(value)]), order)[0]
    if pd.isna(parsed):
        raise ValueError(f"'{value}' is not a date in the years {FIRST_YEAR}-{LAST_YEAR} "
                         f"(use {date_formats(order)})")
    return parsed.date()


def written_date(value: date | datetime | pd.Timestamp) -> str:
    """A date as people write it, which no convention can misread: '1 April 2025'."""
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"


# ---------------------------------------------------------------------------------- numbers

_FINITE_WORDS = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "-nan", "+nan"}
_PLAIN = {".": re.compile(r"^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"),
          ",": re.compile(r"^(\d+,?\d*|,\d+)([eE][+-]?\d+)?$")}
_GROUPED = {".": re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$"), ",": re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")}
_SPACED = re.compile(r"^\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?$")


def parse_number(value: object, *, decimal: str = ".", percent: bool = False, currency: bool = False) -> float:
    """A number as people type it: ``42000``, ``42,000``, ``£42,000`` (where `currency`),
    ``15%`` = 0.15 (where `percent`: the value is a fraction), ``1.5e3``, and with
    `decimal` = ',' (a semicolon CSV that uses decimal commas) ``0,8`` and ``1.234,5``.

    Raises ValueError with a sentence naming the value and what to write instead.
    """
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is yes/no, not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"'{value}' is not a finite number")
        return number
    shown = str(value).strip()
    text = shown.replace("\u2212", "-")
    sign = 1.0
    if text[:1] in "+-" and text:
        sign, text = (-1.0 if text[0] == "-" else 1.0), text[1:].strip()
    if text.startswith("£"):
        if not currency:
            raise ValueError(f"'{shown}' is money, but this value is not an amount of money: give a plain number")
        text = text[1:].strip()
        if text[:1] == "-" and sign > 0:
            sign, text = -1.0, text[1:].strip()
    scale = 1.0
    if text.endswith("%"):
        if not percent:
            raise ValueError(f"'{shown}' is a percentage, but this value is not a fraction: give a plain number")
        text, scale = text[:-1].strip(), 0.01
    if text.lower() in _FINITE_WORDS:
        raise ValueError(f"'{shown}' is not a finite number")
    other = "," if decimal == "." else "."
    if _PLAIN[decimal].match(text):
        number = float(text.replace(",", "."))
    elif _GROUPED[decimal].match(text):
        number = float(text.replace(other, "").replace(",", "."))
    elif _SPACED.match(text):
        body = re.sub(r"[ \u00a0\u202f]", "", text)
        number = float(body.replace(",", ".") if decimal == "," else body)
    elif decimal == "." and re.fullmatch(r"\d+,\d+", text):
        raise ValueError(f"'{shown}' is not a number (a decimal comma? write {text.replace(',', '.')})")
    else:
        raise ValueError(f"'{shown}' is not a number")
    if not math.isfinite(number):
        raise ValueError(f"'{shown}' is not a finite number")
    if scale != 1.0:
        # '57%' is the number 0.57, as typing 0.57 gives it (57 * 0.01 is 0.5700000000000001)
        number = float(Decimal(repr(number)) / 100)
    return sign * number


def parse_numbers(values: pd.Series, *, decimal: str = ".", percent: bool = False,
                  currency: bool = False) -> tuple[pd.Series, dict[object, str]]:
    """Numbers from a column of text (see :func:`parse_number`): the floats (NaN where blank or
    bad) and, for each bad cell's index, the message saying why."""
    text = values.astype(str).str.strip()
    blank = text.eq("")
    numbers = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(float)
    # Plain numbers parse fast; everything else (and every value in a decimal-comma file, where
    # '1.500' means fifteen hundred) goes through the one parser, once per distinct text.
    slow = numbers.isna() | ~np.isfinite(numbers)
    if decimal == ",":
        slow |= text.str.contains(r"[.,]", regex=True)
    slow &= ~blank
    errors: dict[object, str] = {}
    if slow.any():
        results: dict[str, float | str] = {}
        for item in text[slow].unique():
            try:
                results[item] = parse_number(item, decimal=decimal, percent=percent, currency=currency)
            except ValueError as exc:
                results[item] = str(exc)
        for index, item in text[slow].items():
            result = results[item]
            if isinstance(result, str):
                errors[index] = result
                numbers[index] = np.nan
            else:
                numbers[index] = result
    return numbers, errors


# -------------------------------------------------------------------------------------- CSV

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
# Evidence for a decimal comma or point; '1,500' and '1.500' (three digits after the mark) could
# be thousands either way, so they count for neither.
_COMMA_DECIMAL = re.compile(r"^[+-]?(\d+,(\d{1,2}|\d{4,})|\d{1,3}(\.\d{3})+,\d+)$")
_DOT_DECIMAL = re.compile(r"^[+-]?(\d+\.(\d{1,2}|\d{4,})|\d{1,3}(,\d{3})+\.\d+)$")


def detect_separator(text: str, sample_lines: int = 50) -> str:
    """The field separator of CSV text: the one of comma, semicolon and tab that splits the
    header into the most columns with the rows agreeing; comma when none splits it."""
    sample = "\n".join(text.splitlines()[:sample_lines])
    best, best_width = ",", 1
    for sep in SEPARATORS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=sep) if any(v.strip() for v in r)]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        agree = sum(len(r) == width for r in rows[1:])
        if width > best_width and agree >= 0.9 * (len(rows) - 1):
            best, best_width = sep, width
    return best


def detect_decimal(rows: Iterable[list[str]], separator: str) -> str:
    """',' when a file separated by semicolons or tabs writes decimals with a comma (``0,8``)
    and never with a point; '.' otherwise. A comma-separated file always uses '.'."""
    if separator == ",":
        return "."
    commas = dots = 0
    for values in rows:
        for v in values:
            v = v.strip()
            if _COMMA_DECIMAL.match(v):
                commas += 1
            elif _DOT_DECIMAL.match(v):
                dots += 1
    return "," if commas and not dots else "."


def _title_row_hint(names: list[str]) -> str:
    """When row 1 holds a single cell, it is most likely a title typed above the column names
    (a sheet headed 'Workers, March 2025'): say so, with the fix, rather than only that some
    column has no header."""
    named = [n for n in names if n]
    if len(named) != 1:
        return ""
    return (f": row 1 holds only one cell ({len(named[0])} characters), so it looks like a title above the "
            "column names; delete that row so the column names are in row 1")


def _frame_from_rows(header: list[str], rows: list[tuple[int, list[str]]], path: Path | str) -> pd.DataFrame:
    names = [str(h).strip() for h in header]
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not name:
            # Trailing blank header cells with no data are common in spreadsheets; ignore them.
            if any(i < len(values) and values[i].strip() for _, values in rows):
                raise InputError(f"column {i + 1} has data but no header{_title_row_hint(names)}", file=path, row=1)
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
        # the mark write_csv put before formula-like text, judged before the trailing spaces every
        # cell loses go ('-3 ' was marked: not a plain number)
        records.append([unmark(padded[i].lstrip()).rstrip() for i in keep])
        index.append(rownum)
    frame = pd.DataFrame(records, columns=[names[i] for i in keep], index=pd.Index(index, name="row"), dtype=object)
    frame.attrs.update(source=str(path), decimal=".", separator=None)
    return frame


def _csv_text(path: Path) -> str:
    check_file(path)
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise InputError(f"file is too large ({size_text(size, MAX_CSV_BYTES)})", file=path)
    text = decode_text(path.read_bytes(), path)
    if not text.strip():
        raise InputError("file is empty", file=path)
    return text


def csv_text(path: str | Path) -> str:
    """The text of a CSV file under the rules every table is read with: a file (not a folder),
    at most MAX_CSV_BYTES, UTF-8 (BOM or not) or Windows-1252, not binary, not empty."""
    return _csv_text(Path(path))


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV table as strings; index = spreadsheet row number. The separator (comma,
    semicolon or tab) and a decimal comma are detected; `frame.attrs` records both."""
    path = Path(path)
    text = _csv_text(path)
    separator = detect_separator(text)
    try:
        rows_raw = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True))
    except csv.Error as exc:
        raise InputError(f"is not valid CSV ({exc})", file=path) from None
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
    if len(header) == 1 and _guessed_separator(header[0]):
        # Split by none of the separators we know, but visibly by another: say so, before the
        # rows (whose commas would split them) are compared with a one-column header.
        raise InputError(single_column_hint(header[0]), file=path, row=1)
    frame = _frame_from_rows(header, rows, path)
    frame.attrs.update(separator=separator, decimal=detect_decimal((v for _, v in rows), separator))
    return frame


def read_written_csv(path: Path, **options) -> pd.DataFrame:
    """A CSV this project wrote (`csvcells.write_csv`: an allocation's explanations, a model's
    fairness audit), read back with pandas' own typing (`options` go to `pandas.read_csv`) and the
    text marks taken off, so text reads as it was written.

    Raises
    ------
    InputError
        The file is not CSV, or empty (named, with the parser's first line).
    """
    try:
        frame = pd.read_csv(io.StringIO(csv_text(path)), **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first_line = (str(exc).splitlines() or [""])[0].rstrip(". ").split("C error: ")[-1]
        raise InputError(f"is not valid CSV ({first_line})", file=path) from None
    return unmarked(frame)


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV (first line, separator detected), without reading the rest."""
    path = check_file(path)
    with path.open("rb") as f:
        head = f.read(65536)
    text = decode_text(head, path) if head else ""
    first = text.splitlines()[:50]
    if not first:
        return []
    separator = detect_separator("\n".join(first))
    try:
        return [h.strip() for h in next(csv.reader(io.StringIO(first[0]), delimiter=separator))]
    except (csv.Error, StopIteration):
        return []


_OTHER_SEPARATORS = "|:^~#!/ "


def _guessed_separator(name: str) -> str | None:
    used = [c for c in _OTHER_SEPARATORS if c in name.strip()]
    return used[0] if used else None


def single_column_hint(name: str, csv_file: bool = True) -> str:
    """The message for a table whose header came out as one column called `name`."""
    sep = _guessed_separator(name)
    guess = f" (it seems to use '{sep}')" if sep else ""
    fix = ("separate the columns with commas, semicolons or tabs (Excel: Save As, CSV)" if csv_file
           else "put each column in its own cell (Excel: Data, Text to Columns)")
    return f"was read as a single column ('{name[:60]}'){guess}: {fix}"


def one_column_hint(frame: pd.DataFrame) -> str | None:
    """For a table read as a single column, a sentence about its separator; None otherwise."""
    if len(frame.columns) != 1:
        return None
    # A workbook sheet has no separator: text pasted into one column.
    return single_column_hint(str(frame.columns[0]), csv_file=frame.attrs.get("separator") is not None)


# ------------------------------------------------------------------------------------- XLSX


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
    check_file(path)
    if not zipfile.is_zipfile(path):
        raise InputError("is not a valid XLSX workbook (not a zip archive)", file=path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"is not a valid XLSX workbook ({exc})", file=path) from None
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_XLSX_UNCOMPRESSED:
        raise InputError(f"refused: the workbook would expand to {size_text(total, MAX_XLSX_UNCOMPRESSED)} "
                         f"({total / packed:.0f}x its size); possible zip bomb", file=path)
    if total > 10 * 1024 * 1024 and total / packed > MAX_XLSX_RATIO:
        raise InputError(f"refused: the workbook would expand {total / packed:.0f}x its size to {total / 1e6:,.1f} MB "
                         f"(the limit is {MAX_XLSX_RATIO}x); possible zip bomb", file=path)


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


#: The sheet of workforce's own risk register workbook (``risk.xlsx``) that holds the risk table:
#: the register a planner opened and checked is read back as ``--risk`` without copying it out.
RISK_REGISTER_SHEET = "Risk register"

#: Sheets of workforce's own output workbooks that hold a table under another name, by table.
OWN_WORKBOOK_SHEETS: dict[str, tuple[str, ...]] = {"risk": (RISK_REGISTER_SHEET,)}


def table_sheet(names: list[str], sheet: str) -> str | None:
    """The sheet of a workbook with sheets `names` that holds `sheet`: the one of that name, else
    the sheet workforce's own output workbook keeps that table in (`OWN_WORKBOOK_SHEETS`: the
    risk register's ``Risk register``); None when there is neither."""
    found = find_sheet(names, sheet)
    for own in () if found is not None else OWN_WORKBOOK_SHEETS.get(sheet.strip().lower(), ()):
        found = find_sheet(names, own)
        if found is not None:
            break
    return found


def find_sheet(names: list[str], wanted: str) -> str | None:
    """The sheet called `wanted`, ignoring case and surrounding spaces (on both sides: `wanted`
    may be a sheet's own name, 'Workers ', as a workbook scan found it)."""
    wanted = wanted.strip().lower()
    for name in names:
        if name.strip().lower() == wanted:
            return name
    return None


_FORMULA_TAGS = (b"<f>", b"<f ", b":f>", b":f ", b"<f/>")
# A cell holding a spreadsheet error (#N/A, #DIV/0!, ...) is typed t="e" in the sheet's XML.
_ERROR_TAGS = (b' t="e"', b" t='e'")
_ERROR_CODE = re.compile(r"#[A-Z0-9/!?_]{1,14}")


def _part_holds(archive: zipfile.ZipFile, part: str, tags: tuple[bytes, ...]) -> bool:
    """Whether a sheet's XML holds any of `tags` (read in chunks, never whole)."""
    keep = max(len(tag) for tag in tags) - 1
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            if any(tag in tail + chunk for tag in tags):
                return True
            tail = chunk[-keep:]
    return False


def _sheet_cells(archive: zipfile.ZipFile, part: str) -> Iterator[tuple[int, int, str | None, dict]]:
    """(row, column, type attribute, child elements by tag) of every cell of sheet `part`,
    streamed (a cell without a reference follows the one before it, as the format allows)."""
    from defusedxml.ElementTree import iterparse  # entity expansion refused, as for the workbook
    from openpyxl.utils.cell import coordinate_to_tuple

    with archive.open(part) as stream:
        row = col = 0
        for event, element in iterparse(stream, events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "row" and event == "start":
                row, col = int(element.get("r") or row + 1), 0
            elif tag == "row":
                element.clear()
            elif tag == "c" and event == "end":
                ref = element.get("r")
                row, col = coordinate_to_tuple(ref) if ref else (row, col + 1)
                yield row, col, element.get("t"), {k.tag.rsplit("}", 1)[-1]: k for k in element}


def uncached_formulas(path: Path, part: str) -> list[tuple[int, int, str]]:
    """(row, column, formula) of each formula cell in sheet `part` of the workbook at `path`
    that has no saved result (no value, or an empty one), as written by scripts that never
    calculate (openpyxl, many exporters)."""
    with zipfile.ZipFile(path) as archive:
        if not _part_holds(archive, part, _FORMULA_TAGS):
            return []
        # No saved result: no value, or an empty one that is not an empty text result.
        return [(row, col, "=" + (kids["f"].text or "")) for row, col, kind, kids in _sheet_cells(archive, part)
                if "f" in kids and ("v" not in kids or (not kids["v"].text and kind != "str"))]


def error_cells(path: Path, part: str) -> list[tuple[int, int, str]]:
    """(row, column, error) of each cell in sheet `part` of the workbook at `path` that holds a
    spreadsheet error such as ``#N/A`` or ``#DIV/0!``: the saved result of a formula that failed
    (a lookup that found nothing), which a reader of values would take for text."""
    with zipfile.ZipFile(path) as archive:
        if not _part_holds(archive, part, _ERROR_TAGS):
            return []
        found = []
        for row, col, kind, kids in _sheet_cells(archive, part):
            if kind == "e":
                text = (kids["v"].text or "").strip() if "v" in kids else ""
                # only an error code is quoted: the file could hold any text there
                found.append((row, col, text if _ERROR_CODE.fullmatch(text) else "#error"))
        return found


_MERGE_TAGS = (b"<mergeCell ", b":mergeCell ")


def merged_ranges(path: Path, part: str) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of each block of merged cells in sheet
    `part` of the workbook at `path` (a read-only openpyxl sheet does not list them)."""
    from defusedxml.ElementTree import iterparse
    from openpyxl.utils.cell import range_boundaries

    with zipfile.ZipFile(path) as archive:
        if not _part_holds(archive, part, _MERGE_TAGS):
            return []
        found = []
        with archive.open(part) as stream:
            for _, element in iterparse(stream, events=("end",)):
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "mergeCell" and element.get("ref"):
                    min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                    found.append((min_row, min_col, max_row, max_col))
                elif tag in ("row", "c"):
                    element.clear()
        return found


def fill_merged_down(rows: list[tuple[int, list[str]]], merged: Iterable[tuple[int, int, int, int]]) -> list[str]:
    """Give every row a merged cell spans its value, in the block's first column, in place.

    A planner merges a group's cells (the section of the rows it holds, one basis for several
    values) and reads the one value on each row; a spreadsheet keeps it only in the block's first
    row, and a reader of cells would see the other rows blank. Rows with nothing else in them stay
    blank, and the header row is never copied into data. Returns the blocks filled, as 'A2:A4'."""
    from openpyxl.utils.cell import get_column_letter

    by_number = dict(rows)
    filled = []
    for first, col, last, last_col in merged:
        top = by_number.get(first)
        if first < 2 or last <= first or top is None or col > len(top) or not top[col - 1].strip():
            continue
        wrote = False
        for number in range(first + 1, last + 1):
            texts = by_number.get(number)
            if texts is not None and col <= len(texts) and not texts[col - 1].strip():
                texts[col - 1] = top[col - 1]
                wrote = True
        if wrote:  # a block over rows the sheet does not hold changes nothing: no warning
            filled.append(f"{get_column_letter(col)}{first}:{get_column_letter(last_col)}{last}")
    return filled


def _column_named(header: list[str], col: int) -> str:
    """How a message names sheet column `col` (1-based): its header, else its number."""
    name = header[col - 1].strip() if 0 < col <= len(header) else ""
    return name or f"column {col}"


def _formula_problems(path: Path, ws, header: list[str], label: str, last_row: int) -> list[Problem]:
    part = getattr(ws, "_worksheet_path", None)
    if part is None:  # pragma: no cover - openpyxl without the attribute: check every part
        return []
    problems = []
    for row, col, formula in uncached_formulas(path, part):
        if row > last_row:
            continue
        shown = formula if len(formula) <= 40 else formula[:37] + "..."
        problems.append(Problem(
            label, f"holds the formula {shown} with no saved result (the workbook was written by a program "
                   "that does not calculate): open it in Excel or LibreOffice and save it, or type the value",
            row, _column_named(header, col)))
    return problems


def _error_problems(path: Path, ws, header: list[str], label: str, last_row: int) -> list[Problem]:
    """A cell holding a spreadsheet error is never read as the text of the error (a team called
    '#N/A'): each is named, with the fix."""
    part = getattr(ws, "_worksheet_path", None)
    if part is None:  # pragma: no cover - openpyxl without the attribute
        return []
    return [Problem(label, f"holds the spreadsheet error {error} (a formula whose result failed, such as a lookup "
                           "that found nothing): correct the formula or type the value", row, _column_named(header, col))
            for row, col, error in error_cells(path, part) if row <= last_row]


def read_xlsx(path: Path, sheet: str) -> pd.DataFrame:
    """Read the sheet named `sheet` (header in row 1) as strings; index = row number.

    A formula cell whose result was never saved, or that holds a spreadsheet error such as
    ``#N/A``, is an error naming the cell and the fix (never read as blank or as text, in a
    required column or an optional one)."""
    path = Path(path)
    wb = _open_workbook(path)
    try:
        found = table_sheet(list(wb.sheetnames), sheet)
        if found is None:
            raise InputError(
                f"has no sheet named '{sheet}'",
                file=path,
                allowed="sheets present: " + ", ".join(wb.sheetnames),
            )
        label = f"{path} [{found}]"
        ws = wb[found]
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        last = 0
        try:
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                texts = [_cell_text(v) for v in values]
                if header is None:
                    header = texts
                    continue
                if any(t.strip() for t in texts):
                    rows.append((number, texts))
                last = number
            formulas = (_formula_problems(path, ws, header or [], label, max(last, 1))
                        + _error_problems(path, ws, header or [], label, max(last, 1)))
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"sheet '{found}' cannot be read ({type(exc).__name__}: {exc})", file=path) from None
        if formulas:
            raise InputError(problems=formulas)
        if header is None:
            raise InputError("sheet is empty", file=label)
        if not any(t.strip() for t in header):
            raise InputError("header row 1 is empty", file=label, row=1)
        part = getattr(ws, "_worksheet_path", None)
        filled = fill_merged_down(rows, merged_ranges(path, part)) if part is not None else []
        if filled:
            warnings.warn(InputWarning(f"{label}: merged cells {', '.join(filled[:5])}"
                                       f"{' and more' if len(filled) > 5 else ''} read as their value on each "
                                       "row they span"), stacklevel=2)
        frame = _frame_from_rows(header, rows, label)
        frame.attrs["label"] = label  # the sheet as found ('Risk register' for the table risk)
        return frame
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


# ------------------------------------------------------------------------ finding the tables


@dataclass(frozen=True)
class TableSource:
    """Where one table is: a CSV file, or a workbook and the sheet named after the table."""

    table: str
    path: Path
    sheet: str | None = None

    @property
    def label(self) -> str:
        return source_label(self.path, self.sheet or self.table)

    def read(self) -> pd.DataFrame:
        return read_table(self.path, self.table, sheet=self.sheet)


TABLE_WORDS = {"workers": {"workers", "worker", "staff"}, "cases": {"cases", "case", "children"},
               "hr_history": {"history"}}


#: Sheets that explain a workbook rather than hold a table (the templates' Instructions sheet):
#: never read as a table, and not listed as "not read".
NOTE_SHEETS = frozenset({"instructions", "readme", "read me", "about", "notes"})


def table_named(name: str, tables: Iterable[str] = TABLES) -> str | None:
    """The table a file stem or sheet name is named after, ignoring case and surrounding spaces:
    `Workers.CSV` and a sheet 'WORKERS' are the workers table, for every command (a name typed
    in capitals on Windows, where the file system ignores case, must not hide a table)."""
    return find_sheet(list(tables), str(name).strip())  # the one name-matching rule


def _table_in_words(name: str) -> str | None:
    """The one table a name has a word for ('Workers export 2024' -> workers), else None."""
    words = set(re.sub(r"[^a-z]+", " ", str(name).lower()).split())
    hits = [t for t, names in TABLE_WORDS.items() if words & names]
    return hits[0] if len(hits) == 1 else None


def recognise_csv(path: Path, required: Mapping[str, Iterable[str]]) -> str | None:
    """Which table a CSV not named after one holds: by its columns (the table with the largest
    share of its `required` columns present, at least half), else by a word for one table in
    the file name ('Workers export 2024.csv'). None when neither tells."""
    header = set(csv_header(path))
    shares = sorted(((len(header & set(cols)) / max(1, len(set(cols))), t) for t, cols in required.items()),
                    reverse=True)
    if shares and shares[0][0] >= 0.5 and (len(shares) == 1 or shares[0][0] > shares[1][0]):
        return shares[0][1]
    return _table_in_words(path.stem)


def not_read_text(path: Path, sheet: str | None = None) -> str:
    """How a file or sheet that was not read as a table is named, with what would have it read:
    'fold1/Staff 2024.csv (name it workers.csv, or pass it as --workers FILE)'."""
    guess = _table_in_words(sheet if sheet is not None else path.stem)
    if sheet is not None:
        fix = (f"name the sheet '{guess}' to have it read" if guess
               else "not named after a table: " + ", ".join(TABLES))
        return f"{path} [{sheet}] ({fix})"
    fix = (f"name it {guess}.csv, or pass it as --{guess.replace('_', '-')} FILE" if guess
           else "not named after a table: " + ", ".join(f"{t}.csv" for t in TABLES))
    return f"{path} ({fix})"


def _workbook_tables(path: Path, tables: Iterable[str]) -> tuple[list[TableSource], list[str]]:
    """A workbook's sheets named after one of `tables` (any case), and the sheets named after no
    table, as :func:`not_read_text` names them (explanatory sheets such as Instructions left out)."""
    tables = tuple(tables)
    found, skipped = [], []
    for name in xlsx_sheet_names(path):
        table = table_named(name, tables)
        if table is not None:
            found.append(TableSource(table, path, name))
        elif name.strip().lower() not in NOTE_SHEETS and table_named(name) is None:  # another table's sheet
            skipped.append(not_read_text(path, name))
    return found, skipped


def _folder_scan(folder: Path, tables: Iterable[str] = TABLES) -> tuple[list[TableSource], list[str]]:
    """The `tables` a folder holds (CSVs named after their table, any case, and workbooks' sheets
    named after one), and every CSV or sheet there named after no table, for the messages."""
    tables = tuple(tables)
    entries = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in CSV_SUFFIXES + XLSX_SUFFIXES)
    found: list[TableSource] = []
    skipped: list[str] = []
    for entry in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in OTHER_SPREADSHEETS):
        skipped.append(f"{entry} ({OTHER_SPREADSHEETS[entry.suffix.lower()]}: save it as an Excel workbook, .xlsx, "
                       "to have it read)")
    for entry in entries:
        if entry.suffix.lower() in CSV_SUFFIXES:
            table = table_named(entry.stem, tables)
            if table is not None:
                found.append(TableSource(table, entry))
            elif table_named(entry.stem) is None:  # another table's CSV is no surprise
                skipped.append(not_read_text(entry))
        else:
            hits, others = _workbook_tables(entry, tables)
            found += hits
            skipped += others
    return found, skipped


def _folder_tables(folder: Path, tables: Iterable[str] = TABLES) -> list[TableSource]:
    """The `tables` a folder holds: CSVs named after their table and workbooks' table sheets."""
    return _folder_scan(folder, tables)[0]


def find_table(path: str | Path, table: str, *, sheet: str | None = None) -> TableSource:
    """Where `table` is, given the path a user named for it (`--workers PATH`).

    A CSV of any name holds the table; a workbook holds it in the sheet named `sheet` (default:
    the table's name); a folder holds it as `<table>.csv` or a workbook sheet of that name.
    Every command resolves its tables through here, so they all accept the same paths.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("not found", file=path)
    if path.is_dir():
        hits, skipped = _folder_scan(path, (sheet or table,) if sheet else (table,))
        if not hits:
            there = f"; not read there: {'; '.join(skipped)}" if skipped else ""
            raise InputError(f"is a folder with no {table} table in it{there}", file=path,
                             allowed=f"{table}.csv (any case), or an XLSX workbook with a sheet named '{table}'")
        if len(hits) > 1:
            raise InputError(f"is a folder with the {table} table twice: {hits[0].label} and {hits[1].label}",
                             file=path)
        return hits[0]
    check_file(path)
    if file_kind(path) == "csv":
        return TableSource(table, path)
    return TableSource(table, path, sheet or table)


def find_tables(paths: Iterable[str | Path], named: Mapping[str, str | Path] | None = None, *,
                required: Mapping[str, Iterable[str]] | None = None,
                not_read: list[str] | None = None) -> dict[str, TableSource]:
    """Map table name -> source for `workforce validate`.

    `named` gives a table explicitly (`--workers FILE`: any file name, or a folder). Each of
    `paths` may be a CSV (named after its table in any case, or recognised by its columns or by
    a table's name in the file name; `required` gives each table's required columns), a workbook
    (every sheet named after a table) or a folder (its CSVs named after their table and its
    workbooks), read as :func:`find_table` reads them. The same table from two sources is an
    error, and so is a path that holds no table at all. Each CSV or sheet inside a folder or
    workbook that is no table is appended to `not_read` (as :func:`not_read_text` names it), so
    the command can say what it did not check.
    """
    found: dict[str, TableSource] = {}
    skipped = not_read if not_read is not None else []

    def add(source: TableSource) -> None:
        seen = found.get(source.table)
        if seen is not None and seen != source:
            raise InputError(f"table '{source.table}' is given twice: {seen.label} and {source.label}",
                             file=source.path)
        found[source.table] = source

    for table, raw in (named or {}).items():
        add(find_table(raw, table))
    paths = list(paths)
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError("not found", file=path)
        if path.is_dir():
            hits, others = _folder_scan(path)
            if not hits:
                there = f"; not read there: {'; '.join(others)}" if others else ""
                raise InputError(f"is a folder with none of the tables in it{there}", file=path,
                                 allowed=", ".join(f"{t}.csv" for t in TABLES) + " (any case), XLSX workbooks with "
                                 "sheets named after them, or give a file as --workers/--cases/--hr-history FILE")
            for source in hits:
                add(source)
            skipped += others
            continue
        check_file(path)
        if file_kind(path) == "csv":
            table = table_named(path.stem) or recognise_csv(path, required or {})
            header = csv_header(path) if table is None else []
            if len(header) == 1 and _guessed_separator(header[0]):
                raise InputError(single_column_hint(header[0]), file=path, row=1)
            if table is None:
                raise InputError(
                    "cannot tell which table this CSV holds (its columns match none of them)",
                    file=path,
                    allowed=", ".join(f"{t}.csv" for t in TABLES) + ", or give it as --workers/--cases/--hr-history FILE",
                )
            add(TableSource(table, path))
        else:
            hits, others = _workbook_tables(path, TABLES)
            if not hits:
                there = f"; not read: {'; '.join(others)}" if others else ""
                raise InputError(
                    f"has none of the needed sheets{there}",
                    file=path,
                    allowed="sheets named " + ", ".join(TABLES) + " (any case); sheets present: "
                    + ", ".join(xlsx_sheet_names(path)),
                )
            for source in hits:
                add(source)
            skipped += others
    if not found:
        shown = ", ".join(map(str, paths + list((named or {}).values())))
        raise InputError("no input tables found (expected workers.csv, cases.csv, hr_history.csv or an XLSX "
                         "with those sheets)", file=shown)
    return found
