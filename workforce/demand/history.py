"""An authority's own history for calibration, in the published tables' shape.

A history is a frame indexed by ``year`` (ending 31 March) with one column per published measure
(the names of `workforce.published`, e.g. ``referrals``, ``cin_at31``, ``cla_ceased``). It comes
from ``Published.history(la)`` or from the authority's own extracts, read here from a CSV file or
an XLSX sheet named ``history`` in either of two shapes:

* wide: a ``year`` column and one column per measure;
* tidy: columns ``year, measure, value``.

Cells hold numbers or DfE status codes (``x``, ``z``, ``c``, ``low``, ``k``, ``u`` or blank), which
become missing values and are counted. Columns that are not published measures are left out and
named; anything else wrong is an error naming the file, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workforce.demand.measures import HISTORY_MEASURES
from workforce.errors import InputError
from workforce.published.layouts import STATUS_CODES, measure_layouts
from workforce.published.reading import parse_numbers
from workforce.readers import read_table, source_label

TABLE = "history"
ID_COLUMNS = ("la_code", "old_la_code", "new_la_code", "la_name", "time_identifier", "geographic_level")


@dataclass
class History:
    """A history read from a file, with what reading it found.

    Attributes
    ----------
    frame : DataFrame
        Wide: index ``year`` (int), one float column per measure.
    status_codes : dict of str to int
        How many cells held each status code (now missing).
    ignored : list of str
        Columns that are not published measures (left out).
    source : str
    """

    frame: pd.DataFrame
    status_codes: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    source: str = ""

    def messages(self) -> list[str]:
        out = []
        if self.status_codes:
            counts = ", ".join(f"{n} '{code or 'blank'}' ({STATUS_CODES[code]})" for code, n in self.status_codes.items())
            out.append(f"{self.source}: status codes read as missing: {counts}")
        if self.ignored:
            out.append(f"{self.source}: columns that are not published measures were left out: "
                       f"{', '.join(self.ignored)}")
        return out


def known_measures() -> set[str]:
    """Every measure name the published tables use."""
    return set(measure_layouts()) | set(HISTORY_MEASURES)


def _years(raw: pd.Series, label: str) -> pd.Series:
    text = raw.astype(str).str.strip()
    # "2022/23" and "202223" are the year ending 31 March 2023, as the DfE writes them.
    six = text.str.fullmatch(r"\d{6}")
    slash = text.str.fullmatch(r"\d{4}/\d{2}")
    four = text.str.fullmatch(r"\d{4}")
    bad = ~(six | slash | four)
    if bad.any():
        row = int(bad[bad].index[0])
        raise InputError(f"'{text[row]}' is not a year", file=label, row=row, column="year",
                         allowed="a year ending 31 March (2023), or 2022/23 or 202223")
    year = pd.Series(0, index=text.index, dtype="int64")
    year[four] = text[four].astype("int64")
    year[six | slash] = text[six | slash].str[:4].astype("int64") + 1
    out_of_range = (year < 1990) | (year > 2100)
    if out_of_range.any():
        row = int(out_of_range[out_of_range].index[0])
        raise InputError(f"year {year[row]} is out of range", file=label, row=row, column="year", allowed="1990-2100")
    return year


def history_from_frame(raw: pd.DataFrame, label: str) -> History:
    """A history from a frame of strings as the readers give it (index = spreadsheet row).

    Raises
    ------
    InputError
        No ``year`` column, a bad year, a cell that is neither a number nor a status code, a year
        (and measure) given twice, no measure at all.
    """
    columns = {str(c).strip().lower(): c for c in raw.columns}
    if "year" not in columns:
        raise InputError("no 'year' column", file=label, row=1, column="year",
                         allowed="wide: year plus one column per measure; tidy: year, measure, value")
    known = known_measures()
    codes: dict[str, int] = {}
    years = _years(raw[columns["year"]], label)
    if {"measure", "value"} <= set(columns):
        measure = raw[columns["measure"]].astype(str).str.strip()
        unknown = sorted(set(measure) - known)
        keep = measure.isin(known)
        values, status = parse_numbers(raw.loc[keep, columns["value"]], Path(label), "value")
        for code, n in status.dropna().value_counts().items():
            codes[str(code)] = int(n)
        tidy = pd.DataFrame({"year": years[keep], "measure": measure[keep], "value": values})
        dup = tidy.duplicated(["year", "measure"])
        if dup.any():
            row = int(dup[dup].index[0])
            raise InputError(f"{tidy.at[row, 'measure']} for {tidy.at[row, 'year']} is given twice", file=label,
                             row=row, column="measure")
        frame = tidy.pivot(index="year", columns="measure", values="value")
        ignored = [f"measure '{m}'" for m in unknown]
    else:
        dup = years.duplicated()
        if dup.any():
            row = int(dup[dup].index[0])
            raise InputError(f"year {years[row]} is given twice", file=label, row=row, column="year")
        frame = pd.DataFrame(index=pd.Index(years.to_numpy(), name="year"))
        ignored = []
        for key, col in columns.items():
            if key == "year" or key in ID_COLUMNS:
                continue
            if key not in known:
                ignored.append(str(col))
                continue
            values, status = parse_numbers(raw[col], Path(label), str(col))
            frame[key] = values.to_numpy()
            for code, n in status.dropna().value_counts().items():
                codes[str(code)] = codes.get(str(code), 0) + int(n)
    frame = frame.sort_index()
    frame.index = frame.index.astype("int64")
    frame.index.name = "year"
    frame.columns.name = None
    if frame.shape[1] == 0:
        raise InputError("no published measure columns", file=label, row=1,
                         allowed="measures such as " + ", ".join(HISTORY_MEASURES[:6]) + ", ...")
    return History(frame.astype("float64"), codes, ignored, label)


def read_history(path: str | Path) -> History:
    """Read an authority's own history from a CSV file or the ``history`` sheet of an XLSX workbook.

    Raises
    ------
    InputError
        See :func:`history_from_frame`; also a missing or unreadable file.
    """
    raw = read_table(path, TABLE)
    return history_from_frame(raw, source_label(path, TABLE))
