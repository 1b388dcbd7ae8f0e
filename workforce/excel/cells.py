"""Cell safety and formats: what every value written to Excel goes through.

* Text is always text: a string that starts with `=`, `+`, `-`, `@`, a tab or a carriage
  return (or spells an Excel error such as `#N/A`) is written as an inline string with the
  quote-prefix style, never as a formula, so hostile text from an input cannot run.
* Number formats follow the column-name convention shared by every module: `*_gbp` pounds;
  `p_*`, `*_share`, `share_of_*`, `*_rate`, `*utilisation*` per cent; `*_date` dates;
  `year`, `price_year` and the other :data:`YEAR_COLUMNS` years (2023, not 2,023); then the dtype.
* Values of every pandas/numpy flavour become plain Python values openpyxl can write, with
  every kind of missing value written as an empty cell.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

from workforce.csvcells import FORMULA_START
from workforce.sources import tags_in

# --- number formats by column-name convention --------------------------------------------

FMT_GBP = '"£"#,##0;[Red]-"£"#,##0'
FMT_PCT = "0.0%"
FMT_DATE = "dd mmm yyyy"
FMT_INT = "#,##0"
FMT_FLOAT = "#,##0.00"
FMT_YEAR = "0"  # a year is a label: 2023, never "2,023"
#: Columns that hold a year (named one by one: `change_per_year` and the like hold rates).
YEAR_COLUMNS = frozenset({"year", "price_year", "priced_in", "start_year", "first_year", "last_year"})
FMT_TEXT = "@"

#: Leading characters that make Excel or LibreOffice treat typed text as a formula (one list for
#: workbooks and CSVs: `workforce.csvcells`, which needs no openpyxl).
FORMULA_TRIGGERS = FORMULA_START

# Palette (muted, print-friendly, readable for common colour-vision deficiencies).
NAVY = "1F3864"
GREY = "595959"
RED_FILL = "F4C7C3"
RED_FONT = "9C0006"
AMBER_FILL = "FFE699"
AMBER_FONT = "7F6000"
GREEN_FILL = "C6EFCE"
GREEN_FONT = "006100"

HEADER_STYLE = "wf header"
EXCEL_MAX_TEXT = 32767

KIND_FORMAT = {"gbp": FMT_GBP, "pct": FMT_PCT, "date": FMT_DATE, "int": FMT_INT, "float": FMT_FLOAT,
               "year": FMT_YEAR}
KIND_STYLE = {"gbp": "wf pounds", "pct": "wf percent", "date": "wf date", "int": "wf integer", "float": "wf decimal",
              "year": "wf year"}
KIND_WIDTH = {"gbp": 12, "pct": 9, "date": 12, "int": 8, "float": 10, "bool": 8, "year": 6}


def column_kind(name: str, series: pd.Series | None = None) -> str:
    """The display kind of a column from its name (the cross-module convention), then its dtype.

    Parameters
    ----------
    name : str
        The column name.
    series : Series, optional
        The column's values: a bool or datetime dtype wins, and integer or float dtypes decide
        when the name says nothing.

    Returns
    -------
    str
        One of `gbp`, `pct`, `date`, `year`, `bool`, `int`, `float` or `text`.
    """
    low = str(name).lower()
    if series is not None and pd.api.types.is_bool_dtype(series.dtype):
        return "bool"
    if low.endswith("_gbp") or "_gbp_" in low:
        return "gbp"
    if (low.startswith("p_") or low == "p" or low.endswith("_share") or low.startswith("share_of_")
            or low.endswith("_rate") or "utilisation" in low or low == "coverage" or low.endswith("_coverage")):
        if series is None or pd.api.types.is_numeric_dtype(series.dtype):
            return "pct"
    if low.endswith("_date") or (series is not None and pd.api.types.is_datetime64_any_dtype(series.dtype)):
        return "date"
    if low in YEAR_COLUMNS and (series is None or pd.api.types.is_numeric_dtype(series.dtype)):
        return "year"
    if series is not None:
        if pd.api.types.is_integer_dtype(series.dtype):
            return "int"
        if pd.api.types.is_float_dtype(series.dtype):
            return "float"
    return "text"


def needs_guard(text: str) -> bool:
    """True when Excel would read `text` as something other than plain text if typed in."""
    return text[:1] in FORMULA_TRIGGERS or text in ERROR_CODES


def named_styles() -> list[NamedStyle]:
    """The workbook's named styles (titles, notes, headers, KPI and number formats)."""
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
        NamedStyle("wf year", number_format=FMT_YEAR),
    ]


def tone_style(tone: str) -> tuple[PatternFill, Font]:
    """Fill and font of a conditional-format tone: `bad` (red), `warn` (amber), `good` (green)."""
    fill, font = {"bad": (RED_FILL, RED_FONT), "warn": (AMBER_FILL, AMBER_FONT), "good": (GREEN_FILL, GREEN_FONT)}[tone]
    return PatternFill(start_color=fill, end_color=fill, fill_type="solid"), Font(color=font)


def py_value(value: Any) -> Any:
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


def column_values(series: pd.Series, kind: str) -> list[Any]:
    """The column as a list of plain Python values (vectorised where the dtype allows)."""
    if kind == "date" and pd.api.types.is_datetime64_any_dtype(series.dtype):
        s = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series
        return [None if pd.isna(v) else v.to_pydatetime() for v in s]
    if kind in ("bool", "mixed"):
        return [py_value(v) for v in series.tolist()]
    if pd.api.types.is_float_dtype(series.dtype) and not isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        arr = series.to_numpy(dtype=float)
        return [None if not math.isfinite(v) else v for v in arr.tolist()]
    if pd.api.types.is_integer_dtype(series.dtype) and not isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        return series.to_numpy().tolist()
    return [py_value(v) for v in series.tolist()]


def header_names(columns: Sequence[Any]) -> list[str]:
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


def column_width(header: str, values: list[Any], kind: str) -> float:
    """A column width that fits the header and the longest text among the first 300 values."""
    sample = values[:300]
    longest = max((len(str(v)) for v in sample if isinstance(v, str)), default=0)
    base = max(len(header) + 3, KIND_WIDTH.get(kind, 0), longest + 2)
    return float(min(max(base, 8), 60))


@dataclass
class TextLog:
    """What the cells of one workbook held that the save (and the README sheet) must know about."""

    carriage_return: bool = False  # a CR in text: the saved archive must escape it (see book.py)
    cut: int = 0  # text cells cut to Excel's limit: the save says how many (the CSVs hold them whole)
    tags: set[str] = field(default_factory=set)  # source tags ([S49], [D5]) cited: the README lists them


class CellMaker:
    """Turns values into write-only cells for one sheet: guarded text, formats by kind, styles."""

    def __init__(self, ws, log: TextLog) -> None:
        self.ws = ws
        self.log = log

    def text(self, value: str, style: str | None = None):
        """A cell holding `value` as text, never as a formula (cut to Excel's 32,767 characters)."""
        if len(value) > EXCEL_MAX_TEXT:
            value = value[:EXCEL_MAX_TEXT]
            self.log.cut += 1
        if "\r" in value:
            self.log.carriage_return = True
        if "[" in value:
            self.log.tags |= tags_in(value)
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
        value = py_value(value)
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

    def builder(self, kind: str) -> Callable[[Any], Any]:
        """A fast per-column cell builder for a column of `kind` (the data sheets' inner loop).

        `mixed` columns (e.g. the assumptions' values) keep each value as given, in the General
        format; other kinds get their number format."""
        if kind in KIND_FORMAT:
            fmt = KIND_FORMAT[kind]
            ws = self.ws

            def build(v: Any) -> Any:
                if isinstance(v, str):
                    return self.text(v)
                if isinstance(v, bool):
                    return v
                cell = WriteOnlyCell(ws, v)
                cell.number_format = fmt
                return cell

            return build

        exact = kind == "mixed"

        def build_plain(v: Any) -> Any:
            if isinstance(v, str):
                return self.text(v)
            if isinstance(v, float):
                return v if exact else self.value(v, "float")
            if isinstance(v, dt.date):
                return self.value(v, "date")
            return v

        return build_plain
