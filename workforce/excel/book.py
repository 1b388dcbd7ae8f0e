"""The workbook and its atomic save: :class:`SafeWorkbook`, which every Excel output goes through.

Each frame becomes an Excel Table (ListObject) with a unique name, header in row 1, frozen
header row, filter buttons, column widths from the content and number formats from the
column-name convention (:mod:`workforce.excel.cells`); layout sheets (dashboards, README,
Assumptions) come from :mod:`workforce.excel.layout`. Saving is atomic: a temporary file beside
the target, then a rename.

Workbooks are built in openpyxl's write-only (streaming) mode so that a 20,000-row sheet is
written in seconds with little memory. Everything a workbook tracks while it is built (its
sheets, table names, open layout sheets) belongs to the workbook object: nothing is global.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange

from workforce import __version__
from workforce.errors import InputWarning
from workforce.excel.cells import EXCEL_MAX_TEXT, HEADER_STYLE, CellMaker, TextLog, column_kind, column_values, \
    column_width, header_names, named_styles
from workforce.excel.layout import GridSheet, assumptions_spec, key_value_frame, write_readme
from workforce.excel.provenance import produced_at
from workforce.excel.tables import SheetInfo, TableNames, TableSpec, add_conditional_formats, add_table
from workforce.outputs import atomic_path
from workforce.sources import sources_frame


class SafeWorkbook:
    """Builds one workbook sheet by sheet, then saves it atomically.

    Typical use::

        book = SafeWorkbook(produced_by="workforce allocate", inputs=[workers_csv, cases_csv])
        book.add_table_sheet("Allocations", [TableSpec(allocations, "Allocations")],
                             "one row per child with the worker chosen")
        book.add_readme()
        book.save(path)

    Parameters
    ----------
    produced_by : str
        The command or function that produced the workbook (shown in the README sheet).
    inputs : iterable of paths
        Input files whose size and SHA-256 the README sheet lists.
    title : str
        The workbook's title (document properties and README).
    notes : mapping, optional
        Column name -> what the column holds: each table header with a note gets it as a header
        comment (unless its TableSpec gives its own), and the README sheet lists the notes of
        the columns used as a glossary.
    """

    def __init__(self, *, produced_by: str, inputs: Iterable[str | Path] = (), title: str = "",
                 notes: Mapping[str, str] | None = None) -> None:
        self.wb = Workbook(write_only=True)
        for style in named_styles():
            self.wb.add_named_style(style)
        self.produced_by = produced_by
        self.title = title
        self.inputs = [Path(p) for p in inputs]
        self.version = __version__
        self.when = produced_at()
        self.sheets: list[SheetInfo] = []
        self._names = TableNames()
        self._text = TextLog()
        self._grids: list[GridSheet] = []
        self._saved = False
        self.notes = dict(notes or {})
        self.columns: list[str] = []  # column headers of the data tables, in order, once each
        props = self.wb.properties
        props.creator = f"workforce {__version__}"
        props.title = title or None
        props.created = props.modified = self.when

    def table_name(self, wanted: str) -> str:
        """A valid Table name not yet used in this workbook (Excel requires unique names)."""
        return self._names.claim(wanted)

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

        Parameters
        ----------
        name : str
            The sheet name (unique in the workbook).
        tables : sequence of TableSpec
            The frames, left to right, `gap` empty columns apart.
        description : str
            What the sheet holds (listed in the README sheet).
        freeze : bool
            Freeze the header row.

        Returns
        -------
        SheetInfo
            What the README will say about the sheet.

        Raises
        ------
        ValueError
            A sheet of that name exists already.
        """
        ws = self._new_sheet(name)
        mk = CellMaker(ws, self._text)
        info = SheetInfo(name, description, rows=max((len(t.frame) for t in tables), default=0))
        blocks = []
        col0 = 1
        for spec in tables:
            frame = spec.frame
            headers = header_names(list(frame.columns))
            kinds, columns = [], []
            for j, col in enumerate(frame.columns):
                series = frame.iloc[:, j]
                kind = spec.formats.get(str(col)) or column_kind(str(col), series)
                kinds.append(kind)
                columns.append(column_values(series, kind))
            for j, (h, kind, values) in enumerate(zip(headers, kinds, columns)):
                ws.column_dimensions[get_column_letter(col0 + j)].width = column_width(h, values, kind)
            blocks.append((spec, col0, headers, kinds, columns))
            col0 += len(headers) + gap
        if freeze:  # the sheet view is streamed with the first row, so set it before any row
            ws.freeze_panes = "A2"
        header_row: list[Any] = []
        for spec, c0, headers, _, _ in blocks:
            header_row += [None] * (c0 - 1 - len(header_row))
            for h in headers:
                cell = mk.text(h, HEADER_STYLE)  # explicit style: LibreOffice ignores table styles
                note = spec.comments.get(h) or self.notes.get(h)
                if note:
                    cell.comment = Comment(note, "workforce", width=300, height=120)
                if h not in self.columns:
                    self.columns.append(h)
                header_row.append(cell)
        ws.append(header_row)
        # data rows: per-column cell builders keep the inner loop small
        n_rows = max((len(b[0].frame) for b in blocks), default=0)
        builders: list[tuple[int, list[Any], Callable[[Any], Any]]] = []
        for spec, c0, headers, kinds, columns in blocks:
            for j, (kind, values) in enumerate(zip(kinds, columns)):
                builders.append((c0 - 1 + j, values, mk.builder(kind)))
        width = max((b[0] for b in builders), default=-1) + 1
        for r in range(n_rows):
            row: list[Any] = [None] * width
            for idx, values, build in builders:
                if r < len(values):
                    v = values[r]
                    if v is not None:
                        row[idx] = build(v)
            ws.append(row)
        for spec, c0, headers, _, _ in blocks:
            n = len(spec.frame)
            ref = f"{get_column_letter(c0)}1:{get_column_letter(c0 + len(headers) - 1)}{max(n + 1, 2)}"
            tname = self.table_name(spec.name)
            add_table(ws, ref, tname, headers)
            info.tables.append(tname)
            if n:
                add_conditional_formats(ws, headers, c0, 2, n + 1, spec.highlights, spec.scales)
            _validations(ws, spec, headers, c0)
        self.sheets.append(info)
        return info

    def add_key_value_sheet(self, name: str, items: Mapping[str, Any] | pd.DataFrame, description: str,
                            *, table: str | None = None) -> SheetInfo:
        """A two-column `item, value` table from a mapping (nested mappings flattened with dots)."""
        frame = items if isinstance(items, pd.DataFrame) else key_value_frame(items)
        return self.add_table_sheet(name, [TableSpec(frame, table or name)], description)

    def add_assumptions_sheet(self, assumptions: pd.DataFrame | Mapping[str, Any], description: str,
                              *, name: str = "Assumptions") -> SheetInfo:
        """The Assumptions sheet: one row per assumption, values written as given (editable)."""
        return self.add_table_sheet(name, [assumptions_spec(assumptions)], description)

    # --- layout sheets (dashboards, README) --------------------------------------------

    def grid_sheet(self, name: str, description: str) -> GridSheet:
        """A small sheet composed cell by cell (dashboards); call `.close()` when done (the save
        closes it otherwise)."""
        ws = self._new_sheet(name)
        info = SheetInfo(name, description)
        self.sheets.append(info)
        grid = GridSheet(ws, info, CellMaker(ws, self._text), self._names)
        self._grids.append(grid)
        return grid

    def add_readme(self, *, notes: Sequence[str] = ()) -> SheetInfo:
        """The README sheet: purpose of each sheet, provenance, versions and input checksums, a
        glossary of the columns that have notes, and the full reference of every source tag the
        workbook's cells cite."""
        grid = self.grid_sheet("README", "this sheet: what each sheet holds and how the workbook was produced")
        glossary = pd.DataFrame([(c, self.notes[c]) for c in self.columns if c in self.notes],
                                columns=["column", "what it holds"])
        write_readme(grid, title=self.title, produced_by=self.produced_by, when=self.when, version=self.version,
                     sheets=self.sheets, inputs=self.inputs, notes=notes, glossary=glossary,
                     sources=sources_frame(self._text.tags))
        return grid.info

    # --- save -------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the workbook atomically to `path` (temporary file beside it, then rename).

        Raises
        ------
        RuntimeError
            The workbook was saved already (a write-only workbook can be saved once).
        OSError
            The file cannot be written; an existing file at `path` is left as it was.
        """
        if self._saved:
            raise RuntimeError("workbook already saved")
        path = Path(path)
        for grid in self._grids:
            grid.close()
        try:
            with atomic_path(path) as tmp:
                if self._text.carriage_return:
                    buf = io.BytesIO()
                    self.wb.save(buf)
                    _escape_carriage_returns(buf, tmp)
                else:
                    self.wb.save(tmp)
        except BaseException:
            self._discard()
            raise
        self._saved = True
        if self._text.cut:
            # a value typed or pasted too long for Excel (a 100,000-character team name) must not be cut unsaid
            warnings.warn(InputWarning(
                f"{path.name}: {self._text.cut} cell{'s' if self._text.cut != 1 else ''} longer than Excel's "
                f"{EXCEL_MAX_TEXT:,} characters cut to fit (the CSV files hold the whole text)"), stacklevel=2)
        return path

    def _discard(self) -> None:
        """Close the streamed sheets of a workbook that will not be saved (frees temp files)."""
        for ws in self.wb.worksheets:
            try:
                if not ws.closed:
                    ws.close()
            except Exception:  # noqa: BLE001 - best effort on the error path
                pass


def _validations(ws, spec: TableSpec, headers: list[str], c0: int) -> None:
    last = max(spec.validation_rows, len(spec.frame)) + 1
    for i, h in enumerate(headers):
        dv = spec.validations.get(h)
        if dv is None:
            continue
        letter = get_column_letter(c0 + i)
        dv.sqref = MultiCellRange(f"{letter}2:{letter}{last}")
        ws.data_validations.append(dv)


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
