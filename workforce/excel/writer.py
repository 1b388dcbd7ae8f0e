"""The one safe workbook writer that every Excel output goes through.

What it guarantees, whatever the caller passes:

* every string is stored as text: a value that starts with `=`, `+`, `-`, `@`, a tab or a
  carriage return (or spells an Excel error such as `#N/A`) is written as an inline string with
  the quote-prefix style, never as a formula, so hostile text from an input cannot run;
* each frame becomes an Excel Table (ListObject) with a unique name, header in row 1, frozen
  header row, filter buttons, column widths from the content and number formats from the
  column-name convention (`_gbp` pounds; `p_*`, `*_share`, `share_of_*`, `*_rate`,
  `*utilisation*` per cent; `*_date` dates);
* the workbook carries a README sheet (what each sheet holds, what produced it and when, the
  software versions, the sha256 of every input file);
* saving is atomic (temporary file beside the target, then rename).

The writer is split by concern, and this module gathers its public names:

* :mod:`workforce.excel.cells` - cell safety and formats;
* :mod:`workforce.excel.tables` - Excel Tables, their names, highlights and colour scales;
* :mod:`workforce.excel.book` - :class:`SafeWorkbook`: the workbook, data sheets, atomic save;
* :mod:`workforce.excel.layout` - layout sheets: dashboards (:class:`GridSheet`), README,
  Assumptions;
* :mod:`workforce.excel.provenance` - what produced a workbook, when, from which inputs.
"""

from __future__ import annotations

from workforce.excel.book import SafeWorkbook
from workforce.excel.cells import (
    EXCEL_MAX_TEXT,
    FMT_DATE,
    FMT_FLOAT,
    FMT_GBP,
    FMT_INT,
    FMT_PCT,
    FMT_TEXT,
    FORMULA_TRIGGERS,
    HEADER_STYLE,
    KIND_FORMAT,
    CellMaker,
    column_kind,
    needs_guard,
)
from workforce.excel.layout import GridSheet, assumptions_spec, key_value_frame
from workforce.excel.provenance import input_checksums, produced_at, sha256_file
from workforce.excel.tables import TABLE_STYLE, Highlight, Scale, SheetInfo, TableSpec

__all__ = [
    "CellMaker", "EXCEL_MAX_TEXT", "FMT_DATE", "FMT_FLOAT", "FMT_GBP", "FMT_INT", "FMT_PCT", "FMT_TEXT",
    "FORMULA_TRIGGERS", "GridSheet", "HEADER_STYLE", "Highlight", "KIND_FORMAT", "SafeWorkbook", "Scale",
    "SheetInfo", "TABLE_STYLE", "TableSpec", "assumptions_spec", "column_kind", "input_checksums",
    "key_value_frame", "needs_guard", "produced_at", "sha256_file",
]
