"""Excel Tables: what a frame written as a table carries (names, highlights, colour scales).

Shared by the data sheets (:mod:`workforce.excel.book`) and the small tables placed on layout
sheets (:mod:`workforce.excel.layout`), so a highlight or a table name follows one rule
wherever the table sits.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd
from openpyxl.formatting.rule import ColorScaleRule, DataBarRule, FormulaRule
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from workforce.excel.cells import tone_style

TABLE_STYLE = "TableStyleMedium2"


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
    """What the README sheet says about one sheet."""

    name: str
    description: str
    rows: int | None = None
    tables: list[str] = field(default_factory=list)
    charts: int = 0


def safe_table_name(wanted: str) -> str:
    """A valid Excel Table name close to `wanted`: letters, digits and `_`, never a cell reference."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", wanted)
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = "t_" + name
    # names that look like cell references (A1, R1C1) are refused by Excel
    if re.fullmatch(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*|[RrCc]", name):
        name = "t_" + name
    return name[:250]


class TableNames:
    """The Table names used in one workbook (Excel requires them unique, case-insensitively)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def claim(self, wanted: str) -> str:
        """A valid name not yet used in this workbook, recorded as used."""
        base = safe_table_name(wanted)
        name, k = base, 2
        while name.lower() in self._used:
            name, k = f"{base}_{k}", k + 1
        self._used.add(name.lower())
        return name


def add_table(ws, ref: str, name: str, headers: Sequence[str], style: str = TABLE_STYLE) -> None:
    """Put an Excel Table named `name` over `ref` with the given header texts."""
    table = Table(displayName=name, name=name, ref=ref)
    table.tableColumns = [TableColumn(id=i + 1, name=h) for i, h in enumerate(headers)]
    table.autoFilter = AutoFilter(ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
    # the columns are set by hand (write-only sheets cannot read their header back), so
    # openpyxl's reminder to do exactly that is noise
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="In write-only mode you must add table columns manually")
        ws.add_table(table)


def add_conditional_formats(ws, headers: Sequence[str], first_col: int, first_row: int, last_row: int,
                            highlights: Sequence[Highlight] = (), scales: Sequence[Scale] = ()) -> None:
    """Highlights and colour scales over a table's data rows `first_row..last_row`.

    A highlight or scale that names a column the table lacks is left out (nothing to show)."""
    letters = {h: get_column_letter(first_col + i) for i, h in enumerate(headers)}
    whole = f"{letters[headers[0]]}{first_row}:{letters[headers[-1]]}{last_row}"
    for hl in highlights:
        needed = re.findall(r"{(\w+)}", hl.when)
        if any(c not in letters for c in needed) or (hl.column is not None and hl.column not in letters):
            continue
        formula = re.sub(r"{(\w+)}", lambda m: f"${letters[m.group(1)]}{first_row}", hl.when)
        target = whole if hl.column is None else f"{letters[hl.column]}{first_row}:{letters[hl.column]}{last_row}"
        fill, font = tone_style(hl.tone)
        ws.conditional_formatting.add(target, FormulaRule(formula=[formula], fill=fill, font=font))
    for sc in scales:
        if sc.column not in letters:
            continue
        rng = f"{letters[sc.column]}{first_row}:{letters[sc.column]}{last_row}"
        if sc.kind == "traffic":  # low green, high red (risk-like measures)
            rule = ColorScaleRule(start_type="min", start_color="63BE7B", mid_type="percentile",
                                  mid_value=50, mid_color="FFEB84", end_type="max", end_color="F8696B")
        else:
            rule = DataBarRule(start_type="num", start_value=0, end_type="max", color="5B9BD5", showValue=True)
        ws.conditional_formatting.add(rng, rule)
