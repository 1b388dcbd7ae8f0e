"""CSV cells a spreadsheet would run as formulas: marked when written, unmarked when read.

A planner opens our CSV files in Excel, which runs a cell starting with ``=``, ``+``, ``-`` or
``@`` as a formula (and treats a leading tab or carriage return the same way), so a team name,
an ID or a message copied from an input could run on their machine (OWASP, "CSV Injection").
Every CSV this project writes goes through :func:`write_csv`, which puts Excel's own text mark,
an apostrophe, before such text. The same files are read back as inputs (``allocations.csv``
as the next state, ``risk.csv`` as ``--risk``, ``hr_history.csv`` from ``census import``), so
every CSV reader removes one mark (:func:`unmark`) and the text round-trips exactly:

* text starting with a formula character, after any apostrophes, gets one more apostrophe
  (``=A1`` is written ``'=A1``, ``'=A1`` is written ``''=A1``), so removing one on reading
  gives back what was written, whatever the text;
* numbers stay numbers: numeric columns are untouched, and a cell that is a plain number
  (``-3``, ``+0.5``, ``-1e-3``, as ``to_csv_frame`` writes integers) is not marked;
* anything else (``'North``, ``O'Brien``) is left alone on both sides.

A user's own CSV with a cell typed ``'=A1`` (Excel's way to say "text") is read as ``=A1``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

#: What a spreadsheet runs as a formula at the start of a cell (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Excel's mark for "this cell is text".
TEXT_MARK = "'"
#: Text that starts, after any text marks, with a character of `FORMULA_START`.
_MARKED = re.compile("^" + re.escape(TEXT_MARK) + "*[" + re.escape("".join(FORMULA_START)) + "]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def needs_mark(value: object) -> bool:
    """Whether `value` is text a spreadsheet would run as a formula (or marked text that would
    lose its mark on reading): it starts, after any apostrophes, with a formula character, and
    is not a plain number."""
    return isinstance(value, str) and bool(_MARKED.match(value)) and not _NUMBER.match(value)


def mark(value: Any) -> Any:
    """`value` with one text mark put before it when :func:`needs_mark`, else unchanged."""
    return TEXT_MARK + value if needs_mark(value) else value


def unmark(value: str) -> str:
    """A cell as read with one text mark removed when :func:`mark` would have put it there."""
    if value.startswith(TEXT_MARK) and needs_mark(value[1:]):
        return value[1:]
    return value


def _is_text(dtype: object) -> bool:
    return dtype == object or isinstance(dtype, pd.StringDtype)


def _marked_labels(labels: pd.Index) -> pd.Index:
    if not _is_text(labels.dtype) or not any(needs_mark(v) for v in labels):
        return labels
    return labels.map(mark)


def marked(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell (and text index label) a spreadsheet would run marked."""
    out = frame.copy(deep=False)
    for i, column in enumerate(out.columns):
        values = out.iloc[:, i]
        if _is_text(values.dtype) and values.map(needs_mark).any():
            out.isetitem(i, values.map(mark))
    out.index = _marked_labels(out.index)
    return out


def unmarked(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (read with `pandas.read_csv`) with the marks :func:`write_csv` put removed from
    its text cells. :func:`workforce.readers.read_csv` does this itself."""
    out = frame.copy(deep=False)
    for i in range(out.shape[1]):
        values = out.iloc[:, i]
        if _is_text(values.dtype):
            out.isetitem(i, values.map(lambda v: unmark(v) if isinstance(v, str) else v))
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **options: Any) -> None:
    """Write `frame` as CSV with formula-like text marked (module docstring).

    Parameters
    ----------
    frame : DataFrame
        The table.
    path : str or Path
        The file (or anything `DataFrame.to_csv` accepts).
    **options
        Passed to `DataFrame.to_csv` (``index``, ``float_format``, ``date_format``, ...).
    """
    marked(frame).to_csv(path, **options)
