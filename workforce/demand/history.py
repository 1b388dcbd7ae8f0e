"""An authority's own history for calibration, in the published tables' shape.

A history is a frame indexed by ``year`` (ending 31 March) with one column per published measure
(the names of `workforce.published`, e.g. ``referrals``, ``cin_at31``, ``cla_ceased``). It comes
from ``Published.history(la)`` or from the authority's own extracts, read here from a CSV file or
an XLSX sheet named ``history`` in either of two shapes:

* wide: a ``year`` column and one column per measure;
* tidy: columns ``year, measure, value``.

Cells hold numbers or DfE status codes (``x``, ``z``, ``c``, ``low``, ``k``, ``u`` or blank), which
become missing values and are counted. Numbers must be possible values of their measure: finite,
never below zero, percentages (``*_pct``) at most 100 and counts at most :data:`MOST_COUNT`. The
calibration needs ``referrals`` and ``cin_at31`` in at least one year. Columns that are not
published measures are left out and named; anything else wrong is an error naming the file, row
and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workforce.demand.measures import HISTORY_MEASURES
from workforce.errors import InputError
from workforce.published.layouts import STATUS_CODES, measure_layouts
from workforce.published.reading import parse_numbers, reject_first
from workforce.readers import read_table, source_label

TABLE = "history"
ID_COLUMNS = ("la_code", "old_la_code", "new_la_code", "la_name", "time_identifier", "geographic_level")

#: The measures the calibration cannot do without (:func:`workforce.demand.parameters.usable_years`).
CALIBRATION_MEASURES = ("referrals", "cin_at31")

#: Highest count one year of a history may hold. The DfE's estimate of the children in England
#: (``child_population``, England, in the bundled children-looked-after table) is 11.9 million,
#: and England's own yearly counts are far below it (referrals about 0.66 million, children in
#: need about 0.4 million): no authority's count of children, referrals, plans or staff can be
#: larger than all of England's children. 15 million leaves room for population growth, so the
#: bound only catches values that cannot be one authority's (1e12, a mistyped exponent).
MOST_COUNT = 15_000_000


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


def _is_percentage(measure: str) -> bool:
    """Published shares are named ``..._pct`` (e.g. ``rereferral_pct``)."""
    return measure.endswith("_pct")


def _is_count(measure: str) -> bool:
    """Counts of children, events or staff: every measure that is not a percentage or a rate."""
    return not _is_percentage(measure) and "rate" not in measure


def _not_negative(values: pd.Series, text: pd.Series, label: str, column: str, measure: str) -> None:
    """Every published measure counts children, events or staff, or is a rate or share of them, so
    none is below zero; a negative count would make the model's flows run backwards (-500
    referrals in the last year cut the required FTE to a tenth)."""
    reject_first(values < 0, text, Path(label), column, f"{measure} '{{}}' is below zero",
                 allowed="0 or more")


def _percentage_within_100(values: pd.Series, text: pd.Series, label: str, column: str, measure: str) -> None:
    """A percentage is a share of a whole, so at most 100; above it is usually a count in the
    wrong column, and the model would send more children back than were referred."""
    if _is_percentage(measure):
        reject_first(values > 100, text, Path(label), column, f"{measure} '{{}}' is above 100%",
                     allowed="a percentage from 0 to 100")


def _count_within_england(values: pd.Series, text: pd.Series, label: str, column: str, measure: str) -> None:
    """One authority's count cannot exceed all the children in England (see :data:`MOST_COUNT`);
    such a value is a typing error that would size the workforce in billions."""
    if _is_count(measure):
        reject_first(values > MOST_COUNT, text, Path(label), column,
                     f"{measure} '{{}}' is more than all the children in England",
                     allowed=f"a count from 0 to {MOST_COUNT:,}, above England's 11.9 million children")


def _check_values(values: pd.Series, raw: pd.Series, label: str, column: str, measure: str) -> None:
    """Refuse values `measure` cannot take, naming the first one's row (index = spreadsheet row).
    Finite numbers are checked by `parse_numbers`; status codes are NaN and pass."""
    text = raw.astype(str).str.strip()
    for rule in (_not_negative, _percentage_within_100, _count_within_england):
        rule(values, text, label, column, measure)


def _check_calibration_measures(frame: pd.DataFrame, label: str, shape: str, ignored: list[str]) -> None:
    """The calibration starts from referrals and children in need at 31 March: without both, above
    zero, in some year there is no journey to calibrate (every rate would divide by nothing).
    Names what is missing (and the columns left out, where a misspelt measure usually is)."""
    left_out = f"; left out as not published measures: {', '.join(ignored)}" if ignored else ""  # a typo is there
    needed = " and ".join(CALIBRATION_MEASURES)
    for measure in CALIBRATION_MEASURES:
        if measure not in frame.columns:
            where = "column" if shape == "wide" else "measure"
            raise InputError(f"no '{measure}' {where}: the calibration needs {needed} for at least one year"
                             f"{left_out}", file=label, row=1 if shape == "wide" else None,
                             column=measure if shape == "wide" else "measure")
    if not (frame[list(CALIBRATION_MEASURES)] > 0).all(axis=1).any():
        raise InputError(f"no year has both {needed} above zero, the measures the calibration needs" if len(frame) else
                         f"no years of data: the calibration needs {needed} for at least one year",
                         file=label)


def history_from_frame(raw: pd.DataFrame, label: str) -> History:
    """A history from a frame of strings as the readers give it (index = spreadsheet row).

    Raises
    ------
    InputError
        No ``year`` column, a bad year, a cell that is neither a finite number nor a status code,
        a value its measure cannot take (below zero, a percentage above 100, a count above
        :data:`MOST_COUNT`), a year (and measure) given twice, no measure at all, no year with
        the measures the calibration needs (:data:`CALIBRATION_MEASURES`).
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
        for m in measure[keep].unique():
            rows = measure[keep] == m
            _check_values(values[rows], raw.loc[keep, columns["value"]][rows], label, str(columns["value"]), m)
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
        shape = "tidy"
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
            _check_values(values, raw[col], label, str(col), key)
            frame[key] = values.to_numpy()
            for code, n in status.dropna().value_counts().items():
                codes[str(code)] = codes.get(str(code), 0) + int(n)
        shape = "wide"
    frame = frame.sort_index()
    frame.index = frame.index.astype("int64")
    frame.index.name = "year"
    frame.columns.name = None
    if frame.shape[1] == 0:
        raise InputError("no published measure columns", file=label, row=1,
                         allowed="measures such as " + ", ".join(HISTORY_MEASURES[:6]) + ", ...")
    _check_calibration_measures(frame, label, shape, ignored)
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
