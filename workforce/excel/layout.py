"""Layout sheets: small sheets composed cell by cell (dashboards, instructions), the README
sheet every workbook carries, and the Assumptions sheet planners edit and feed back.

Write-only sheets are append-only, so a :class:`GridSheet` collects its cells by coordinate
and streams them out in row order when closed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.pagebreak import Break

from workforce.excel.cells import HEADER_STYLE, KIND_FORMAT, CellMaker, column_kind, header_names, py_value
from workforce.excel.provenance import input_checksums, provenance_rows
from workforce.excel.tables import Highlight, SheetInfo, TableNames, TableSpec, add_conditional_formats, add_table

#: Table style of the small tables on layout sheets (lighter than the data sheets').
GRID_TABLE_STYLE = "TableStyleLight9"


class GridSheet:
    """A small sheet composed by coordinates, streamed out in row order on :meth:`close`.

    Made by :meth:`workforce.excel.book.SafeWorkbook.grid_sheet`; the workbook closes any grid
    still open when it is saved.
    """

    def __init__(self, ws, info: SheetInfo, maker: CellMaker, names: TableNames) -> None:
        self.ws = ws
        self.info = info
        self.mk = maker
        self.names = names
        self.cells: dict[tuple[int, int], Any] = {}
        self.closed = False
        ws.sheet_view.showGridLines = False

    def widths(self, widths: Mapping[int, float]) -> None:
        """Set column widths (1-based column number -> width in characters)."""
        for col, w in widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = w

    def put(self, row: int, col: int, value: Any, style: str | None = None, *, kind: str | None = None,
            link_sheet: str | None = None, comment: str | None = None) -> None:
        """Place one value (text stays text), optionally styled, linked to a sheet or commented."""
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
                # tall enough to show the whole note when hovered (about 55 characters a line)
                cell.comment = Comment(comment, "workforce", width=320, height=max(110, 16 * (len(comment) // 55 + 2)))
        self.cells[(row, col)] = cell

    def put_title(self, row: int, title: str, subtitle: str | None = None) -> int:
        """A title (and subtitle) at `row`; returns the next free row."""
        self.put(row, 1, title, "wf title")
        if subtitle:
            self.put(row + 1, 1, subtitle, "wf subtitle")
            return row + 2
        return row + 1

    def put_table(self, row: int, col: int, frame: pd.DataFrame, name: str, *,
                  formats: Mapping[str, str] | None = None,
                  row_formats: Sequence[str | None] | None = None,
                  format_column: int | Sequence[int] = -1,
                  links: Mapping[int, str | set[str]] | None = None,
                  highlights: Sequence[Highlight] = (),
                  row_notes: Sequence[str | None] | None = None) -> int:
        """Place `frame` as an Excel Table with its header at (`row`, `col`).

        Parameters
        ----------
        row, col : int
            Where the header goes.
        frame : DataFrame
            The table.
        name : str
            The wanted Table name (made unique in the workbook).
        formats : mapping, optional
            Column name -> kind (`gbp`, `pct`, ...), overriding the naming convention.
        row_formats : sequence, optional
            A kind per data row, for item/value tables whose rows mix pounds, per cent and
            counts, applied to the column(s) `format_column` (default the last).
        links : mapping, optional
            Column offset -> the sheets its cells may link to (a set of names), or any text
            (``"sheet"``): a cell naming such a sheet becomes a link to it.
        highlights : sequence of Highlight
            Conditional formats over the data rows.
        row_notes : sequence, optional
            A note (or None) per data row, on its first cell: what an item of an item/value
            table means.

        Returns
        -------
        int
            The next free row below the table.
        """
        formats = dict(formats or {})
        headers = header_names(list(frame.columns))
        for j, h in enumerate(headers):
            self.put(row, col + j, h, HEADER_STYLE)
        kinds = [formats.get(str(c)) or column_kind(str(c), frame.iloc[:, j]) for j, c in enumerate(frame.columns)]
        fcols = {c % len(headers) for c in ([format_column] if isinstance(format_column, int) else format_column)}
        for i in range(len(frame)):
            for j in range(len(headers)):
                kind = row_formats[i] if row_formats is not None and j in fcols else kinds[j]
                v = frame.iat[i, j]
                target = (links or {}).get(j)
                linked = bool(target) and bool(py_value(v)) and (not isinstance(target, set) or str(v) in target)
                note = row_notes[i] if row_notes is not None and j == 0 else None
                self.put(row + 1 + i, col + j, v, None, kind=kind if kind in KIND_FORMAT else None,
                         link_sheet=str(v) if linked else None, comment=note or None)
        n = len(frame)
        ref = f"{get_column_letter(col)}{row}:{get_column_letter(col + len(headers) - 1)}{row + max(n, 1)}"
        tname = self.names.claim(name)
        add_table(self.ws, ref, tname, headers, GRID_TABLE_STYLE)
        self.info.tables.append(tname)
        if n and highlights:
            add_conditional_formats(self.ws, headers, col, row + 1, row + n, highlights)
        return row + max(n, 1) + 1

    def page_break_before(self, row: int) -> None:
        """Start a new printed page at `row` (keeps charts whole on paper)."""
        self.ws.row_breaks.append(Break(id=row - 1))

    def add_chart(self, chart, anchor: str) -> None:
        """Anchor a native chart at a cell (e.g. ``"A20"``)."""
        self.ws.add_chart(chart, anchor)
        self.info.charts += 1

    def close(self) -> None:
        """Stream the composed cells out in row order (write-only sheets are append-only)."""
        if self.closed:
            return
        self.closed = True
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
                rows.append((key, py_value(v)))

    walk(items, prefix)
    frame = pd.DataFrame(rows, columns=["item", "value"])
    return frame.astype({"value": object}) if len(frame) else frame


#: The Assumptions table's columns a planner edits and feeds back: each cell is written as given,
#: in the General format, so what the sheet shows is what is read back (a range of 0.075 to
#: 0.225 would show as 0.08 to 0.23 in a two-decimal format).
EDITABLE_COLUMNS = ("value", "low", "high")


def assumptions_spec(assumptions: pd.DataFrame | Mapping[str, Any], name: str = "Assumptions", *,
                     comments: Mapping[str, str] | None = None) -> TableSpec:
    """The Assumptions table: values of mixed kinds (numbers, text, lists) written as given,
    one kind per cell, so a planner can edit them and feed the sheet back in.

    Parameters
    ----------
    assumptions : DataFrame or mapping
        The table (`section, key, value, low, high, ...`), or a mapping shown as `item, value`.
    name : str
        The Excel Table's name.
    comments : mapping, optional
        Header notes by column (the template explains each column).

    Returns
    -------
    TableSpec
    """
    frame = assumptions if isinstance(assumptions, pd.DataFrame) else key_value_frame(assumptions)
    editable = [c for c in frame.columns if c in EDITABLE_COLUMNS]
    frame = frame.astype({c: object for c in editable})
    return TableSpec(frame, name, formats={c: "mixed" for c in editable}, comments=dict(comments or {}))


def write_readme(grid: GridSheet, *, title: str, produced_by: str, when: dt.datetime, version: str,
                 sheets: Sequence[SheetInfo], inputs: Sequence[Path], notes: Sequence[str] = (),
                 glossary: pd.DataFrame | None = None, sources: pd.DataFrame | None = None) -> None:
    """The README sheet: purpose of each sheet, provenance, versions and input checksums; the
    glossary of columns (`column, what it holds`) and the sources cited (`tag, brief,
    reference`) when given and not empty."""
    grid.widths({1: 26, 2: 70, 3: 14, 4: 66})
    r = grid.put_title(1, title or "workforce workbook", f"Produced by {produced_by} on {when:%Y-%m-%d %H:%M} UTC")
    r += 1
    r = _heading(grid, r, "Provenance")
    r = grid.put_table(r, 1, pd.DataFrame(provenance_rows(produced_by, when, version), columns=["item", "value"]),
                       "readme_provenance")
    r = _heading(grid, r + 1, "Sheets")
    listed = pd.DataFrame([(s.name, s.description, s.rows) for s in sheets],
                          columns=["sheet", "what it holds", "data rows"])
    r = grid.put_table(r, 1, listed, "readme_sheets", formats={"data rows": "int"})  # a count, though blank for some
    r = _heading(grid, r + 1, "Input files (sha256)")
    sums = input_checksums(inputs)
    if sums.empty:
        grid.put(r, 1, "no input files: built from data in memory (for example the demo authority)", "wf note")
        r += 2
    else:
        r = grid.put_table(r, 1, sums, "readme_inputs", formats={"bytes": "int"}) + 1
    notes = list(notes) + [
        "Text from input files is stored as text, never as a formula.",
        "Column formats: *_gbp pounds; p_*, *_share, share_of_*, *_rate, *utilisation* per cent; *_date dates; "
        "year, price_year and the like years (2023, not 2,023).",
    ]
    r = _heading(grid, r, "Notes")
    for note in notes:
        grid.put(r, 1, note, "wf note")
        r += 1
    if glossary is not None and len(glossary):
        r = _heading(grid, r + 1, "Glossary: what each column holds")
        r = grid.put_table(r, 1, glossary, "readme_glossary")
    if sources is not None and len(sources):
        r = _heading(grid, r + 1, "Sources: the tags in square brackets ([S49], [D5])")
        grid.put(r, 1, "[S#] workforce brief, [D#] demand brief; [DEFAULT] a judgement shipped as a tunable default, "
                       "[DERIVED] arithmetic on sourced figures, 'assumption' where no figure was found. All: "
                       "docs/sources.md.", "wf note")
        r = grid.put_table(r + 1, 1, sources, "readme_sources")
    grid.close()


def _heading(grid: GridSheet, row: int, text: str) -> int:
    grid.put(row, 1, text, "wf heading")
    grid.put(row, 2, None, "wf heading")
    return row + 1
