"""The one safe workbook writer that every Excel output goes through.

What it guarantees, whatever the caller passes:

* every string is stored as text: a value that starts with `=`, `+`, `-`, `@`, a tab or a
  carriage return (or spells an Excel error such as `#N/A`) is written as an inline string with
  the quote-prefix style, never as a formula, so hostile text from an input cannot run;
* each frame becomes an Excel Table (ListObject) with a unique name, header in row 1, frozen
  header row, filter buttons, column widths from the content and number formats from the
  column-name convention (`_gbp` pounds; `p_*`, `*_share`, `*_rate`, `*utilisation*` per cent;
  `*_date` dates);
* the workbook carries a README sheet (what each sheet holds, what produced it and when, the
  software versions, the sha256 of every input file);
* saving is atomic (temporary file beside the target, then rename).

Workbooks are built in openpyxl's write-only (streaming) mode so that a 20,000-row sheet is
written in seconds with little memory; small layout sheets (dashboards) are composed on a
grid and streamed out in row order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import platform
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import ColorScaleRule, DataBarRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from workforce.outputs import atomic_path

# --- number formats by column-name convention --------------------------------------------

FMT_GBP = '"£"#,##0;[Red]-"£"#,##0'
FMT_PCT = "0.0%"
FMT_DATE = "dd mmm yyyy"
FMT_INT = "#,##0"
FMT_FLOAT = "#,##0.00"
FMT_TEXT = "@"

#: Leading characters that make Excel or LibreOffice treat typed text as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Palette (muted, print-friendly, readable for common colour-vision deficiencies).
NAVY = "1F3864"
GREY = "595959"
RED_FILL = "F4C7C3"
RED_FONT = "9C0006"
AMBER_FILL = "FFE699"
AMBER_FONT = "7F6000"
GREEN_FILL = "C6EFCE"
GREEN_FONT = "006100"

TABLE_STYLE = "TableStyleMedium2"
HEADER_STYLE = "wf header"
EXCEL_MAX_TEXT = 32767


def column_kind(name: str, series: pd.Series | None = None) -> str:
    """The display kind of a column from its name (the cross-module convention), then its dtype:
    `gbp`, `pct`, `date`, `bool`, `int`, `float` or `text`."""
    low = str(name).lower()
    if series is not None and pd.api.types.is_bool_dtype(series.dtype):
        return "bool"
    if low.endswith("_gbp") or "_gbp_" in low:
        return "gbp"
    if low.startswith("p_") or low == "p" or low.endswith("_share") or low.endswith("_rate") or "utilisation" in low:
        if series is None or pd.api.types.is_numeric_dtype(series.dtype):
            return "pct"
    if low.endswith("_date") or (series is not None and pd.api.types.is_datetime64_any_dtype(series.dtype)):
        return "date"
    if series is not None:
        if pd.api.types.is_integer_dtype(series.dtype):
            return "int"
        if pd.api.types.is_float_dtype(series.dtype):
            return "float"
    return "text"


KIND_FORMAT = {"gbp": FMT_GBP, "pct": FMT_PCT, "date": FMT_DATE, "int": FMT_INT, "float": FMT_FLOAT}
KIND_STYLE = {"gbp": "wf pounds", "pct": "wf percent", "date": "wf date", "int": "wf integer", "float": "wf decimal"}
KIND_WIDTH = {"gbp": 12, "pct": 9, "date": 12, "int": 8, "float": 10, "bool": 8}


def needs_guard(text: str) -> bool:
    """True when Excel would read `text` as something other than plain text if typed in."""
    return text[:1] in FORMULA_TRIGGERS or text in ERROR_CODES


def _named_styles() -> list[NamedStyle]:
    thin = Side(style="thin", color="BFBFBF")
    return [
        NamedStyle("wf title", font=Font(name="Calibri", size=16, bold=True, color=NAVY)),
        NamedStyle("wf subtitle", font=Font(name="Calibri", size=10, italic=True, color=GREY)),
        NamedStyle("wf heading", font=Font(name="Calibri", size=12, bold=True, color=NAVY),
                   border=Border(bottom=Side(style="medium", color=NAVY))),
        NamedStyle("wf note", font=Font(name="Calibri", size=10, color=GREY),
                   alignment=Alignment(wrap_text=True, vertical="top")),
        NamedStyle("wf label", font=Font(name="Calibri", size=11, bold=True),
                   alignment=Alignment(vertical="top")),
        NamedStyle("wf kpi", font=Font(name="Calibri", size=14, bold=True, color=NAVY),
                   border=Border(bottom=thin), alignment=Alignment(horizontal="right")),
        NamedStyle("wf header", font=Font(name="Calibri", size=11, bold=True, color="FFFFFF"),
                   fill=PatternFill(start_color=NAVY, end_color=NAVY, fill_type="solid"),
                   alignment=Alignment(vertical="center"), border=Border(bottom=thin)),
        NamedStyle("wf text", number_format=FMT_TEXT),
        NamedStyle("wf pounds", number_format=FMT_GBP),
        NamedStyle("wf percent", number_format=FMT_PCT),
        NamedStyle("wf date", number_format=FMT_DATE),
        NamedStyle("wf integer", number_format=FMT_INT),
        NamedStyle("wf decimal", number_format=FMT_FLOAT),
    ]


def _py(value: Any) -> Any:
    """A plain Python value openpyxl can write; None for every flavour of missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if isinstance(value, (dt.date, int, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return "; ".join(str(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value))
    return str(value)


def _column_values(series: pd.Series, kind: str) -> list[Any]:
    """The column as a list of plain Python values (vectorised where the dtype allows)."""
    if kind == "date" and pd.api.types.is_datetime64_any_dtype(series.dtype):
        s = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series
        return [None if pd.isna(v) else v.to_pydatetime() for v in s]
    if kind in ("bool", "mixed"):
        return [_py(v) for v in series.tolist()]
    if pd.api.types.is_float_dtype(series.dtype) and not isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        arr = series.to_numpy(dtype=float)
        return [None if not math.isfinite(v) else v for v in arr.tolist()]
    if pd.api.types.is_integer_dtype(series.dtype) and not isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        return series.to_numpy().tolist()
    return [_py(v) for v in series.tolist()]


class CellMaker:
    """Turns values into write-only cells: guarded text, formats by kind, styles on demand."""

    def __init__(self, book: "SafeWorkbook", ws) -> None:
        self.book = book
        self.ws = ws

    def text(self, value: str, style: str | None = None):
        """A cell holding `value` as text, never as a formula."""
        if len(value) > EXCEL_MAX_TEXT:
            value = value[:EXCEL_MAX_TEXT]
        if "\r" in value:
            self.book._has_cr = True
        if style is None and not needs_guard(value):
            return value
        cell = WriteOnlyCell(self.ws, value)
        cell.data_type = "s"  # forced: '=...' would otherwise become a formula, '#N/A' an error
        if style:
            cell.style = style
        if needs_guard(value):
            cell.quotePrefix = True  # Excel shows and re-saves it as typed text
        return cell

    def value(self, value: Any, kind: str | None = None, style: str | None = None):
        """Any value: text goes through :meth:`text`; numbers and dates get their format."""
        value = _py(value)
        if isinstance(value, str):
            return self.text(value, style)
        if value is None:
            if style:
                cell = WriteOnlyCell(self.ws, None)
                cell.style = style
                return cell
            return None
        if kind is None:
            kind = "date" if isinstance(value, dt.date) else ("float" if isinstance(value, float) else None)
        if isinstance(value, bool):
            kind = None
        if style is None and kind is None:
            return value
        cell = WriteOnlyCell(self.ws, value)
        if style:
            cell.style = style
        if kind in KIND_FORMAT:
            cell.number_format = KIND_FORMAT[kind]
        return cell


@dataclass
class Highlight:
    """A conditional format on a table's rows or one column.

    `when` is an Excel formula over the table's first data row, with `{column}` placeholders
    (e.g. `"{utilisation_after}>1"`); `column` limits the formatting to one column, else the
    whole row is formatted. `tone` is `bad`, `warn` or `good`.
    """

    when: str
    tone: str = "bad"
    column: str | None = None


@dataclass
class Scale:
    """A colour scale or data bar on one numeric column (`kind`: `bar` or `traffic`)."""

    column: str
    kind: str = "bar"


@dataclass
class TableSpec:
    """One frame to write as an Excel Table."""

    frame: pd.DataFrame
    name: str
    highlights: Sequence[Highlight] = ()
    scales: Sequence[Scale] = ()
    formats: Mapping[str, str] = field(default_factory=dict)  # column -> kind override
    comments: Mapping[str, str] = field(default_factory=dict)  # column -> header note
    validations: Mapping[str, Any] = field(default_factory=dict)  # column -> openpyxl DataValidation
    validation_rows: int = 0  # data rows the validations cover (templates: room to fill in)


@dataclass
class SheetInfo:
    name: str
    description: str
    rows: int | None = None
    tables: list[str] = field(default_factory=list)
    charts: int = 0


def _tone_style(tone: str):
    fill, font = {"bad": (RED_FILL, RED_FONT), "warn": (AMBER_FILL, AMBER_FONT), "good": (GREEN_FILL, GREEN_FONT)}[tone]
    return PatternFill(start_color=fill, end_color=fill, fill_type="solid"), Font(color=font)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def input_checksums(inputs: Iterable[str | Path]) -> pd.DataFrame:
    """`file, bytes, sha256` for each input file (folders: each file inside, sorted)."""
    rows = []
    for item in inputs:
        p = Path(item)
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            if f.is_file():
                rows.append({"file": str(f), "bytes": f.stat().st_size, "sha256": sha256_file(f)})
            else:
                rows.append({"file": str(f), "bytes": None, "sha256": "(not found when the workbook was written)"})
    return pd.DataFrame(rows, columns=["file", "bytes", "sha256"])


def produced_at() -> dt.datetime:
    """Now (UTC, to the second), or SOURCE_DATE_EPOCH when set so builds can be reproduced."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _safe_table_name(wanted: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", wanted)
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = "t_" + name
    # names that look like cell references (A1, R1C1) are refused by Excel
    if re.fullmatch(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*|[RrCc]", name):
        name = "t_" + name
    return name[:250]


def _header_names(columns: Sequence[Any]) -> list[str]:
    """Header texts: strings, unique (Excel Tables require it), never empty."""
    out: list[str] = []
    seen: set[str] = set()
    for i, c in enumerate(columns, 1):
        base = str(c).replace("\r", " ").replace("\n", " ").strip() or f"column_{i}"
        name, k = base, 2
        while name.lower() in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name.lower())
        out.append(name)
    return out


def _width(header: str, values: list[Any], kind: str) -> float:
    sample = values[:300]
    longest = max((len(str(v)) for v in sample if isinstance(v, str)), default=0)
    base = max(len(header) + 3, KIND_WIDTH.get(kind, 0), longest + 2)
    return float(min(max(base, 8), 60))


class SafeWorkbook:
    """Builds one workbook sheet by sheet, then saves it atomically.

    Typical use::

        book = SafeWorkbook(produced_by="workforce allocate", inputs=[workers_csv, cases_csv])
        book.add_table_sheet("Allocations", [TableSpec(allocations, "Allocations")],
                             "one row per child with the worker chosen")
        book.add_readme()
        book.save(path)
    """

    def __init__(self, *, produced_by: str, inputs: Iterable[str | Path] = (), title: str = "") -> None:
        from workforce import __version__

        self.wb = Workbook(write_only=True)
        for style in _named_styles():
            self.wb.add_named_style(style)
        self.produced_by = produced_by
        self.title = title
        self.inputs = [Path(p) for p in inputs]
        self.version = __version__
        self.when = produced_at()
        self.sheets: list[SheetInfo] = []
        self._table_names: set[str] = set()
        self._has_cr = False
        self._saved = False
        props = self.wb.properties
        props.creator = f"workforce {__version__}"
        props.title = title or None
        props.created = props.modified = self.when

    # --- names ------------------------------------------------------------------------

    def table_name(self, wanted: str) -> str:
        """A valid Table name not yet used in this workbook (Excel requires unique names)."""
        base = _safe_table_name(wanted)
        name, k = base, 2
        while name.lower() in self._table_names:
            name, k = f"{base}_{k}", k + 1
        self._table_names.add(name.lower())
        return name

    def _new_sheet(self, name: str):
        if any(s.name.lower() == name.lower() for s in self.sheets):
            raise ValueError(f"duplicate sheet name {name!r}")
        ws = self.wb.create_sheet(title=name)
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        return ws

    # --- data sheets ------------------------------------------------------------------

    def add_table_sheet(self, name: str, tables: Sequence[TableSpec], description: str, *,
                        gap: int = 1, freeze: bool = True) -> SheetInfo:
        """Write one or more frames side by side as Excel Tables, each with its header in row 1.

        The header row is frozen; formats follow the column-name convention unless
        `TableSpec.formats` overrides a column's kind.
        """
        ws = self._new_sheet(name)
        mk = CellMaker(self, ws)
        info = SheetInfo(name, description, rows=max((len(t.frame) for t in tables), default=0))
        blocks = []
        col0 = 1
        for spec in tables:
            frame = spec.frame
            headers = _header_names(list(frame.columns))
            kinds, columns = [], []
            for j, col in enumerate(frame.columns):
                series = frame.iloc[:, j]
                kind = spec.formats.get(str(col)) or column_kind(str(col), series)
                kinds.append(kind)
                columns.append(_column_values(series, kind))
            for j, (h, kind, values) in enumerate(zip(headers, kinds, columns)):
                ws.column_dimensions[get_column_letter(col0 + j)].width = _width(h, values, kind)
            blocks.append((spec, col0, headers, kinds, columns))
            col0 += len(headers) + gap
        if freeze:  # the sheet view is streamed with the first row, so set it before any row
            ws.freeze_panes = "A2"
        # header row
        header_row: list[Any] = []
        for spec, c0, headers, kinds, columns in blocks:
            header_row += [None] * (c0 - 1 - len(header_row))
            for h in headers:
                cell = mk.text(h, HEADER_STYLE)  # explicit style: LibreOffice ignores table styles
                if spec.comments.get(h):
                    cell.comment = Comment(spec.comments[h], "workforce", width=300, height=120)
                header_row.append(cell)
        ws.append(header_row)
        # data rows: per-column cell builders keep the inner loop small
        n_rows = max((len(b[0].frame) for b in blocks), default=0)
        builders: list[tuple[int, list[Any], Callable[[Any], Any]]] = []
        for spec, c0, headers, kinds, columns in blocks:
            for j, (kind, values) in enumerate(zip(kinds, columns)):
                builders.append((c0 - 1 + j, values, self._builder(mk, kind)))
        width = max((b[0] for b in builders), default=-1) + 1
        for r in range(n_rows):
            row: list[Any] = [None] * width
            for idx, values, build in builders:
                if r < len(values):
                    v = values[r]
                    if v is not None:
                        row[idx] = build(v)
            ws.append(row)
        # tables, formats
        for spec, c0, headers, kinds, columns in blocks:
            n = len(spec.frame)
            first = get_column_letter(c0)
            lastc = get_column_letter(c0 + len(headers) - 1)
            ref = f"{first}1:{lastc}{max(n + 1, 2)}"
            tname = self.table_name(spec.name)
            table = Table(displayName=tname, name=tname, ref=ref)
            table.tableColumns = [TableColumn(id=i + 1, name=h) for i, h in enumerate(headers)]
            table.autoFilter = AutoFilter(ref=ref)
            table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
            _add_table(ws, table)
            info.tables.append(tname)
            if n:
                self._conditional(ws, spec, headers, c0, n)
            self._validations(ws, spec, headers, c0)
        self.sheets.append(info)
        return info

    @staticmethod
    def _builder(mk: CellMaker, kind: str) -> Callable[[Any], Any]:
        if kind in KIND_FORMAT:
            fmt = KIND_FORMAT[kind]
            ws = mk.ws

            def build(v: Any) -> Any:
                if isinstance(v, str):
                    return mk.text(v)
                if isinstance(v, bool):
                    return v
                cell = WriteOnlyCell(ws, v)
                cell.number_format = fmt
                return cell

            return build

        exact = kind == "mixed"  # values shown as given (General format), e.g. assumptions

        def build_plain(v: Any) -> Any:
            if isinstance(v, str):
                return mk.text(v)
            if isinstance(v, float):
                return v if exact else mk.value(v, "float")
            if isinstance(v, dt.date):
                return mk.value(v, "date")
            return v

        return build_plain

    @staticmethod
    def _validations(ws, spec: TableSpec, headers: list[str], c0: int) -> None:
        last = max(spec.validation_rows, len(spec.frame)) + 1
        for i, h in enumerate(headers):
            dv = spec.validations.get(h)
            if dv is None:
                continue
            letter = get_column_letter(c0 + i)
            dv.sqref = MultiCellRange(f"{letter}2:{letter}{last}")
            ws.data_validations.append(dv)

    def _conditional(self, ws, spec: TableSpec, headers: list[str], c0: int, n: int) -> None:
        letters = {h: get_column_letter(c0 + i) for i, h in enumerate(headers)}
        full = f"{letters[headers[0]]}2:{letters[headers[-1]]}{n + 1}"
        for hl in spec.highlights:
            needed = re.findall(r"{(\w+)}", hl.when)
            if any(c not in letters for c in needed):
                continue  # the column is absent from this frame: nothing to highlight
            formula = re.sub(r"{(\w+)}", lambda m: f"${letters[m.group(1)]}2", hl.when)
            target = full if hl.column is None else f"{letters[hl.column]}2:{letters[hl.column]}{n + 1}"
            if hl.column is not None and hl.column not in letters:
                continue
            fill, font = _tone_style(hl.tone)
            ws.conditional_formatting.add(target, FormulaRule(formula=[formula], fill=fill, font=font))
        for sc in spec.scales:
            if sc.column not in letters:
                continue
            rng = f"{letters[sc.column]}2:{letters[sc.column]}{n + 1}"
            if sc.kind == "traffic":  # low green, high red (risk-like measures)
                rule = ColorScaleRule(start_type="min", start_color="63BE7B", mid_type="percentile",
                                      mid_value=50, mid_color="FFEB84", end_type="max", end_color="F8696B")
            else:
                rule = DataBarRule(start_type="num", start_value=0, end_type="max", color="5B9BD5", showValue=True)
            ws.conditional_formatting.add(rng, rule)

    # --- layout sheets (dashboards, README) --------------------------------------------

    def grid_sheet(self, name: str, description: str) -> "GridSheet":
        """A small sheet composed cell by cell (dashboards); call `.close()` when done."""
        ws = self._new_sheet(name)
        info = SheetInfo(name, description)
        self.sheets.append(info)
        return GridSheet(self, ws, info)

    def add_key_value_sheet(self, name: str, items: Mapping[str, Any] | pd.DataFrame, description: str,
                            *, table: str | None = None) -> SheetInfo:
        """A two-column `item, value` table from a mapping (nested mappings flattened with dots)."""
        frame = items if isinstance(items, pd.DataFrame) else key_value_frame(items)
        return self.add_table_sheet(name, [TableSpec(frame, table or name)], description)

    def add_readme(self, *, notes: Sequence[str] = ()) -> SheetInfo:
        """The README sheet: purpose of each sheet, provenance, versions and input checksums."""
        import openpyxl

        grid = self.grid_sheet("README", "this sheet: what each sheet holds and how the workbook was produced")
        grid.widths({1: 26, 2: 70, 3: 14, 4: 66})
        r = grid.put_title(1, self.title or "workforce workbook",
                           f"Produced by {self.produced_by} on {self.when:%Y-%m-%d %H:%M} UTC")
        r += 1
        grid.put(r, 1, "Provenance", "wf heading")
        grid.put(r, 2, None, "wf heading")
        r += 1
        prov = [
            ("produced by", self.produced_by),
            ("produced at (UTC)", self.when),
            ("workforce version", self.version),
            ("python", platform.python_version()),
            ("pandas / openpyxl", f"{pd.__version__} / {openpyxl.__version__}"),
        ]
        r = grid.put_table(r, 1, pd.DataFrame(prov, columns=["item", "value"]), "readme_provenance")
        r += 1
        grid.put(r, 1, "Sheets", "wf heading")
        grid.put(r, 2, None, "wf heading")
        r += 1
        sheets = pd.DataFrame(
            [(s.name, s.description, s.rows) for s in self.sheets],
            columns=["sheet", "what it holds", "data rows"],
        )
        r = grid.put_table(r, 1, sheets, "readme_sheets")
        r += 1
        grid.put(r, 1, "Input files (sha256)", "wf heading")
        grid.put(r, 2, None, "wf heading")
        r += 1
        sums = input_checksums(self.inputs)
        if sums.empty:
            grid.put(r, 1, "no input files: built from data in memory (for example the demo authority)", "wf note")
            r += 2
        else:
            r = grid.put_table(r, 1, sums, "readme_inputs", formats={"bytes": "int"})
            r += 1
        notes = list(notes) + [
            "Text from input files is stored as text, never as a formula.",
            "Column formats: *_gbp pounds; p_*, *_share, *_rate, *utilisation* per cent; *_date dates.",
        ]
        grid.put(r, 1, "Notes", "wf heading")
        grid.put(r, 2, None, "wf heading")
        r += 1
        for note in notes:
            grid.put(r, 1, note, "wf note")
            r += 1
        grid.close()
        return grid.info

    # --- save -------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the workbook atomically to `path` (temporary file beside it, then rename)."""
        if self._saved:
            raise RuntimeError("workbook already saved")
        path = Path(path)
        for grid in list(_open_grids.get(id(self), [])):
            grid.close()
        try:
            with atomic_path(path) as tmp:
                if self._has_cr:
                    buf = io.BytesIO()
                    self.wb.save(buf)
                    _escape_carriage_returns(buf, tmp)
                else:
                    self.wb.save(tmp)
        except BaseException:
            self._discard()
            raise
        self._saved = True
        return path

    def _discard(self) -> None:
        """Close the streamed sheets of a workbook that will not be saved (frees temp files)."""
        for ws in self.wb.worksheets:
            try:
                if not ws.closed:
                    ws.close()
            except Exception:  # noqa: BLE001 - best effort on the error path
                pass


_open_grids: dict[int, list["GridSheet"]] = {}


class GridSheet:
    """A small sheet composed by coordinates, streamed out in row order on `close()`."""

    def __init__(self, book: SafeWorkbook, ws, info: SheetInfo) -> None:
        self.book = book
        self.ws = ws
        self.info = info
        self.mk = CellMaker(book, ws)
        self.cells: dict[tuple[int, int], Any] = {}
        self.closed = False
        ws.sheet_view.showGridLines = False
        _open_grids.setdefault(id(book), []).append(self)

    def widths(self, widths: Mapping[int, float]) -> None:
        for col, w in widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = w

    def put(self, row: int, col: int, value: Any, style: str | None = None, *, kind: str | None = None,
            link_sheet: str | None = None, comment: str | None = None) -> None:
        cell = self.mk.value(value, kind, style)
        if link_sheet or comment:
            if not isinstance(cell, Cell):
                cell = WriteOnlyCell(self.ws, cell)
                if isinstance(value, str):
                    cell.data_type = "s"
            if link_sheet:
                cell.hyperlink = Hyperlink(ref="", location=f"{quote_sheetname(link_sheet)}!A1",
                                           display=str(value))
                cell.font = Font(color="0563C1", underline="single")
            if comment:
                cell.comment = Comment(comment, "workforce", width=320, height=110)
        self.cells[(row, col)] = cell

    def put_title(self, row: int, title: str, subtitle: str | None = None) -> int:
        self.put(row, 1, title, "wf title")
        if subtitle:
            self.put(row + 1, 1, subtitle, "wf subtitle")
            return row + 2
        return row + 1

    def put_table(self, row: int, col: int, frame: pd.DataFrame, name: str, *,
                  formats: Mapping[str, str] | None = None,
                  row_formats: Sequence[str | None] | None = None,
                  format_column: int = -1,
                  links: Mapping[int, str] | None = None,
                  highlights: Sequence[Highlight] = ()) -> int:
        """Place `frame` as an Excel Table with its header at (`row`, `col`); returns the next
        free row. `row_formats` gives a kind per data row (for item/value tables whose rows mix
        pounds, per cent and counts) applied to column `format_column` (default the last); `links` maps a column offset to
        link cells to the sheet they name."""
        formats = dict(formats or {})
        headers = _header_names(list(frame.columns))
        for j, h in enumerate(headers):
            self.put(row, col + j, h, HEADER_STYLE)
        kinds = [formats.get(str(c)) or column_kind(str(c), frame.iloc[:, j]) for j, c in enumerate(frame.columns)]
        fcol = format_column % len(headers)
        for i in range(len(frame)):
            for j in range(len(headers)):
                kind = kinds[j]
                if row_formats is not None and j == fcol:
                    kind = row_formats[i]
                v = frame.iat[i, j]
                link = (links or {}).get(j)
                self.put(row + 1 + i, col + j, v, None, kind=kind if kind in KIND_FORMAT else None,
                         link_sheet=(str(v) if link and _py(v) else None))
        n = len(frame)
        ref = f"{get_column_letter(col)}{row}:{get_column_letter(col + len(headers) - 1)}{row + max(n, 1)}"
        tname = self.book.table_name(name)
        table = Table(displayName=tname, name=tname, ref=ref)
        table.tableColumns = [TableColumn(id=i + 1, name=h) for i, h in enumerate(headers)]
        table.autoFilter = AutoFilter(ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        _add_table(self.ws, table)
        self.info.tables.append(tname)
        if n and highlights:
            letters = {h: get_column_letter(col + i) for i, h in enumerate(headers)}
            for hl in highlights:
                needed = re.findall(r"{(\w+)}", hl.when)
                if any(c not in letters for c in needed):
                    continue
                formula = re.sub(r"{(\w+)}", lambda m: f"${letters[m.group(1)]}{row + 1}", hl.when)
                tcol = hl.column if hl.column in letters else None
                target = (f"{letters[tcol]}{row + 1}:{letters[tcol]}{row + n}" if tcol else
                          f"{letters[headers[0]]}{row + 1}:{letters[headers[-1]]}{row + n}")
                fill, font = _tone_style(hl.tone)
                self.ws.conditional_formatting.add(target, FormulaRule(formula=[formula], fill=fill, font=font))
        return row + max(n, 1) + 1

    def page_break_before(self, row: int) -> None:
        """Start a new printed page at `row` (keeps charts whole on paper)."""
        from openpyxl.worksheet.pagebreak import Break

        self.ws.row_breaks.append(Break(id=row - 1))

    def add_chart(self, chart, anchor: str) -> None:
        self.ws.add_chart(chart, anchor)
        self.info.charts += 1

    def close(self) -> None:
        """Stream the composed cells out in row order (write-only sheets are append-only)."""
        if self.closed:
            return
        self.closed = True
        grids = _open_grids.get(id(self.book), [])
        if self in grids:
            grids.remove(self)
        if not self.cells:
            return
        max_row = max(r for r, _ in self.cells)
        max_col = max(c for _, c in self.cells)
        by_row: dict[int, dict[int, Any]] = {}
        for (r, c), cell in self.cells.items():
            by_row.setdefault(r, {})[c] = cell
        for r in range(1, max_row + 1):
            cols = by_row.get(r, {})
            self.ws.append([cols.get(c) for c in range(1, max_col + 1)] if cols else [])
        self.cells.clear()


def _add_table(ws, table: Table) -> None:
    # the columns are set by hand (write-only sheets cannot read their header back), so
    # openpyxl's reminder to do exactly that is noise
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="In write-only mode you must add table columns manually")
        ws.add_table(table)


def key_value_frame(items: Mapping[str, Any], prefix: str = "") -> pd.DataFrame:
    """`item, value` rows from a mapping; nested mappings become dotted items, lists `; `-joined."""
    rows: list[tuple[str, Any]] = []

    def walk(obj: Mapping[str, Any], pre: str) -> None:
        for k, v in obj.items():
            key = f"{pre}{k}"
            if isinstance(v, Mapping):
                walk(v, key + ".")
            elif isinstance(v, pd.DataFrame):
                rows.append((key, f"table of {len(v)} rows"))
            else:
                rows.append((key, _py(v) if not isinstance(v, (list, tuple, set, frozenset)) else _py(v)))

    walk(items, prefix)
    frame = pd.DataFrame(rows, columns=["item", "value"])
    return frame.astype({"value": object}) if len(frame) else frame


def _escape_carriage_returns(buf: io.BytesIO, target: Path) -> None:
    """Rewrite the saved archive with carriage returns in text as `&#13;`.

    Without lxml, openpyxl writes a CR raw, and every XML parser turns a raw CR into a line feed:
    the value read back would differ from the input. A character reference survives parsing.
    """
    buf.seek(0)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/") and info.filename.endswith(".xml"):
                data = data.replace(b"\r", b"&#13;")
            dst.writestr(info, data)


