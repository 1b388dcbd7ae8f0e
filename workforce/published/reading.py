"""Reading DfE explore-education-statistics CSV files into one tidy frame.

A file is recognised by its columns (:mod:`workforce.published.layouts`), whatever it is called.
Every numeric cell becomes a float or, for a DfE status code, a missing value with a row in the
notes. Rows after ``until`` are dropped before any value is parsed, so a forecast cannot see them.
Where two files hold the same measure for the same authority and year, the newer publication
wins and every value it replaces is noted (code ``superseded``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from workforce.errors import InputError
from workforce.published.layouts import (
    LEVELS,
    SN_COUNT,
    SN_MODEL_NAME,
    STATUS_CODES,
    Layout,
    expected_description,
    recognise,
)
from workforce.readers import read_csv

VALUE_COLUMNS = ["la_code", "new_la_code", "la_name", "level", "region_code", "year", "measure", "value", "source"]
NOTE_COLUMNS = ["file", "measure", "la_code", "year", "code", "meaning"]
NEIGHBOUR_COLUMNS = ["la_code", "la_name", "region_name", "rank", "neighbour", "closeness"]
FILE_COLUMNS = ["file", "layout", "rows", "rows_read", "rows_after_until", "rows_not_used", "why_not_used"]

SUPERSEDED = "superseded"
PUBLISHED_SUFFIXES = (".csv",)


@dataclass
class FileRead:
    """What one file gave: tidy values (with the spreadsheet row), notes and a line for `files`."""

    values: pd.DataFrame
    notes: pd.DataFrame
    info: dict
    layout: Layout | None = None
    neighbours: pd.DataFrame | None = None
    max_year: int = 0


@dataclass
class ReadResult:
    """Everything read from a set of paths, before it becomes a :class:`Published`."""

    values: pd.DataFrame
    notes: pd.DataFrame
    files: pd.DataFrame
    skipped: pd.DataFrame
    neighbours: pd.DataFrame | None
    messages: list[str] = field(default_factory=list)


def empty_values() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in VALUE_COLUMNS})
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    return frame


def empty_notes() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in NOTE_COLUMNS})
    frame["year"] = frame["year"].astype("int64")
    return frame


def reject_first(bad: pd.Series, text: pd.Series, file: Path, column: str, message: str,
                 allowed: str | None = None) -> None:
    """Raise for the first bad cell (index = spreadsheet row), its text filling `message`'s {}."""
    if bad.any():
        row = int(bad[bad].index[0])
        raise InputError(message.format(text[row]), file=file, row=row, column=column, allowed=allowed)


def parse_year(raw: pd.Series, file: Path) -> pd.Series:
    """``time_period`` as the year it names: ``2023`` -> 2023; a two-year period ``202223`` -> 2023.

    Raises
    ------
    InputError
        On any other value, naming the file, row and column.
    """
    text = raw.astype(str).str.strip()
    four = text.str.fullmatch(r"\d{4}")
    six = text.str.fullmatch(r"\d{6}")
    reject_first(~(four | six), text, file, "time_period",
                 "time_period '{}' is not a year (expected e.g. 2023, or 202223 for 2022-23)")
    year = pd.Series(0, index=text.index, dtype="int64")
    year[four] = text[four].astype("int64")
    year[six] = text[six].str[:4].astype("int64") + 1
    return year


def parse_numbers(raw: pd.Series, file: Path, column: str) -> tuple[pd.Series, pd.Series]:
    """Numbers and status codes of one column: (float values, status code or None per row).

    Raises
    ------
    InputError
        On a cell that is neither a finite number nor a DfE status code.
    """
    text = raw.astype(str).str.strip()
    code = text.str.lower()
    status = code.isin(list(STATUS_CODES))
    number = pd.to_numeric(text.str.replace(",", "", regex=False).where(~status), errors="coerce")
    allowed = "a number, or " + ", ".join(repr(c) for c in STATUS_CODES if c) + " or blank"
    reject_first(~status & number.isna(), text, file, column, "'{}' is neither a number nor a DfE status code",
                 allowed=allowed)
    reject_infinite(number, text, file, column, allowed)
    return number.astype("float64"), code.where(status)


def reject_infinite(number: pd.Series, text: pd.Series, file: Path, column: str, allowed: str) -> None:
    """No published figure is infinite: 'inf' or a number too big for a float (1e400) is a typing
    or export error, and once read it turns every total, rate and FTE computed from it into
    infinity or NaN."""
    infinite = pd.Series(np.isinf(number.to_numpy(dtype="float64")), index=number.index)
    reject_first(infinite, text, file, column, "'{}' is not a finite number", allowed=allowed)


def _column_map(frame: pd.DataFrame) -> dict[str, str]:
    return {str(c).strip().lower(): c for c in frame.columns}


def _geography(frame: pd.DataFrame, cols: dict[str, str], file: Path) -> pd.DataFrame:
    """la_code, new_la_code, la_name, level and region_code for each row (level '' = not used)."""

    def col(name: str) -> pd.Series:
        return frame[cols[name]].astype(str).str.strip() if name in cols else pd.Series("", index=frame.index)

    level = col("geographic_level").str.lower().map(LEVELS).fillna("")
    region = col("region_code")
    out = pd.DataFrame(
        {
            "la_code": col("old_la_code"),
            "new_la_code": col("new_la_code"),
            "la_name": col("la_name"),
            "level": level,
            "region_code": region,
        },
        index=frame.index,
    )
    national = level == "national"
    out.loc[national, "la_code"] = "england"
    out.loc[national, "new_la_code"] = col("country_code")[national]
    out.loc[national, "la_name"] = col("country_name")[national].replace("", "England")
    out.loc[national, "region_code"] = ""
    regional = level == "regional"
    out.loc[regional, "la_code"] = region[regional]
    out.loc[regional, "new_la_code"] = region[regional]
    out.loc[regional, "la_name"] = col("region_name")[regional]
    for mask, column in ((regional, "region_code"), (level == "local_authority", "old_la_code")):
        blank = mask & (out["la_code"] == "")
        if blank.any():
            row = int(blank[blank].index[0])
            raise InputError(f"{column} is blank on a {level[row]} row", file=file, row=row, column=column)
    return out


def _tidy_time_series(frame: pd.DataFrame, layout: Layout, file: Path, until: int | None) -> FileRead:
    cols = _column_map(frame)
    rows = len(frame)
    year = parse_year(frame[cols["time_period"]], file)
    after = until is not None
    keep = year <= until if after else pd.Series(True, index=frame.index)
    frame, year = frame[keep], year[keep]
    geo = _geography(frame, cols, file)
    other_level = geo["level"] == ""
    not_used: dict[str, int] = {}
    if other_level.any():
        for name, n in frame.loc[other_level, cols["geographic_level"]].value_counts().items():
            not_used[f"geographic_level '{name}'"] = int(n)
    pieces: list[pd.DataFrame] = []
    notes: list[pd.DataFrame] = []

    def take(mask: pd.Series, mapping: dict[str, str]) -> None:
        for column, measure in mapping.items():
            if column not in cols or not mask.any():
                continue
            number, status = parse_numbers(frame.loc[mask, cols[column]], file, cols[column])
            part = geo[mask].assign(year=year[mask], measure=measure, value=number, source=layout.name)
            part["row"] = part.index
            pieces.append(part)
            coded = status.notna()
            if coded.any():
                notes.append(
                    pd.DataFrame(
                        {
                            "file": file.name,
                            "measure": measure,
                            "la_code": geo.loc[status.index[coded], "la_code"].to_numpy(),
                            "year": year[status.index[coded]].to_numpy(),
                            "code": status[coded].to_numpy(),
                            "meaning": status[coded].map(STATUS_CODES).to_numpy(),
                        }
                    )
                )

    usable = ~other_level
    if layout.category:
        missing = [c for c in layout.category if c not in cols]
        if missing:
            raise InputError(f"column '{missing[0]}' is missing", file=file, row=1, column=missing[0])
        key = frame[[cols[c] for c in layout.category]].apply(lambda s: s.astype(str).str.strip().str.lower())
        key_tuple = pd.Series(list(map(tuple, key.to_numpy())), index=frame.index)
        known = key_tuple.isin(list(layout.categories))
        for category, mapping in layout.categories.items():
            take(usable & (key_tuple == category), dict(mapping))
        unknown = usable & ~known
        if unknown.any():
            for value, n in key_tuple[unknown].value_counts().items():
                not_used[f"category '{' / '.join(value)}'"] = int(n)
    else:
        take(usable, dict(layout.columns))
    values = pd.concat(pieces, ignore_index=True) if pieces else empty_values().assign(row=pd.Series(dtype="int64"))
    dup = values.duplicated(["la_code", "year", "measure"], keep=False)
    if dup.any():
        first = values[dup].sort_values("row").iloc[0]
        rows_dup = sorted(values.loc[dup & (values["la_code"] == first["la_code"]) & (values["year"] == first["year"]), "row"].unique())
        raise InputError(
            f"{first['la_name'] or first['la_code']} {first['year']} appears more than once "
            f"(rows {', '.join(str(r) for r in rows_dup[:5])}): which value to use is ambiguous",
            file=file,
            row=int(rows_dup[0]),
        )
    note_frame = pd.concat(notes, ignore_index=True) if notes else empty_notes()
    info = {
        "file": str(file),
        "layout": layout.name,
        "rows": rows,
        "rows_read": int(len(frame) - other_level.sum() - sum(v for k, v in not_used.items() if k.startswith("category"))),
        "rows_after_until": int(rows - len(frame)),
        "rows_not_used": int(sum(not_used.values())),
        "why_not_used": "; ".join(f"{k}: {v} rows" for k, v in not_used.items()),
    }
    return FileRead(values, note_frame, info, layout=layout, max_year=int(year.max()) if len(year) else 0)


def _tidy_sn_model(frame: pd.DataFrame, file: Path) -> FileRead:
    cols = _column_map(frame)

    def col(name: str) -> pd.Series:
        return frame[cols[name]].astype(str).str.strip() if name in cols else pd.Series("", index=frame.index)

    pieces = []
    for rank in range(1, SN_COUNT + 1):
        pieces.append(
            pd.DataFrame(
                {
                    "la_code": col("old_la_code"),
                    "la_name": col("la_name"),
                    "region_name": col("region_name"),
                    "rank": rank,
                    "neighbour": col(f"sn_{rank}"),
                    "closeness": col(f"sn_{rank}p"),
                    "row": frame.index,
                }
            )
        )
    table = pd.concat(pieces, ignore_index=True)
    blank = table["la_code"] == ""
    if blank.any():
        row = int(table.loc[blank, "row"].iloc[0])
        raise InputError("old_la_code is blank", file=file, row=row, column="old_la_code")
    table = table[table["neighbour"] != ""]
    dup = frame[cols["old_la_code"]].astype(str).str.strip().duplicated()
    if dup.any():
        row = int(dup[dup].index[0])
        raise InputError("authority appears twice in the neighbour model", file=file, row=row, column="old_la_code")
    info = {
        "file": str(file),
        "layout": SN_MODEL_NAME,
        "rows": len(frame),
        "rows_read": len(frame),
        "rows_after_until": 0,
        "rows_not_used": 0,
        "why_not_used": "",
    }
    neighbours = table.drop(columns="row").sort_values(["la_code", "rank"]).reset_index(drop=True)
    return FileRead(empty_values(), empty_notes(), info, neighbours=neighbours)


def read_file(path: Path, until: int | None = None) -> FileRead | None:
    """Read one published file; None when its columns are none of the known layouts."""
    frame = read_csv(path)
    kind = recognise(list(frame.columns))
    if kind is None:
        return None
    if kind == SN_MODEL_NAME:
        return _tidy_sn_model(frame, path)
    assert isinstance(kind, Layout)
    return _tidy_time_series(frame, kind, path, until)


def _candidates(paths: Sequence[Path]) -> tuple[list[tuple[Path, bool]], list[tuple[str, str]]]:
    """Files to read (path, named explicitly) and files skipped in folders (with the reason)."""
    files: list[tuple[Path, bool]] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if not path.exists():
            raise InputError("file or folder not found", file=path)
        if path.is_dir():
            found = False
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name.startswith("."):
                    continue
                if child.suffix.lower() in PUBLISHED_SUFFIXES:
                    files.append((child, False))
                    found = True
                else:
                    skipped.append((str(child), f"not a CSV file (suffix '{child.suffix or 'none'}')"))
            if not found and not any(s[0].startswith(str(path)) for s in skipped):
                raise InputError("folder holds no files", file=path)
        else:
            files.append((path, True))
    return files, skipped


def _joint_members(code: str) -> list[str]:
    return [c.strip() for c in code.split("/")] if "/" in code else []


def _combine(reads: list[tuple[FileRead, int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep, for each (authority, year, measure), the value of the newest publication.

    Newer means: the higher layout rank (csww_indicators over csww_headline_measures), then the
    file that reaches the later year, then the file read later. A joint return published by a
    newer layout (e.g. ``314 / 318``) supersedes an older layout's rows for its members that year.
    """
    frames = []
    for order, (fr, _) in enumerate(reads):
        if fr.values.empty:
            continue
        v = fr.values.assign(_rank=fr.layout.rank if fr.layout else 0, _max=fr.max_year, _order=order,
                             _file=Path(fr.info["file"]).name)
        frames.append(v)
    if not frames:
        return empty_values(), empty_notes()
    allv = pd.concat(frames, ignore_index=True)
    allv["_key"] = allv["la_code"]
    joints = allv.loc[allv["la_code"].str.contains("/", regex=False), ["la_code", "year", "measure", "_rank"]]
    if not joints.empty:
        joints = joints.groupby(["la_code", "year", "measure"], as_index=False)["_rank"].max()
        joints = joints.rename(columns={"la_code": "_joint", "_rank": "_jrank"})
        joints["member"] = joints["_joint"].map(_joint_members)
        joints = joints.explode("member")
        hit = allv.reset_index().merge(joints, left_on=["la_code", "year", "measure"],
                                       right_on=["member", "year", "measure"], how="inner")
        hit = hit[hit["_rank"] < hit["_jrank"]]
        allv.loc[hit["index"].to_numpy(), "_key"] = hit["_joint"].to_numpy()
    allv = allv.sort_values(["_rank", "_max", "_order"], ascending=False, kind="stable")
    lost = allv.duplicated(["_key", "year", "measure"], keep="first")
    notes = empty_notes()
    if lost.any():
        winners = allv[~lost].set_index(["_key", "year", "measure"])
        losers = allv[lost]
        idx = pd.MultiIndex.from_frame(losers[["_key", "year", "measure"]])
        wsource = winners["source"].reindex(idx).to_numpy()
        wfile = winners["_file"].reindex(idx).to_numpy()
        wcode = winners["la_code"].reindex(idx).to_numpy()
        meaning = [
            f"replaced by {s} ({f}{'' if c == lc else ', joint return ' + c}), the newer publication"
            for s, f, c, lc in zip(wsource, wfile, wcode, losers["la_code"])
        ]
        notes = pd.DataFrame(
            {
                "file": losers["_file"].to_numpy(),
                "measure": losers["measure"].to_numpy(),
                "la_code": losers["la_code"].to_numpy(),
                "year": losers["year"].to_numpy(),
                "code": SUPERSEDED,
                "meaning": meaning,
            }
        )
    values = allv[~lost][VALUE_COLUMNS].sort_values(["la_code", "measure", "year"], kind="stable").reset_index(drop=True)
    return values, notes


def read_paths(paths: Iterable[str | Path], until: int | None = None) -> ReadResult:
    """Read every published file in `paths` (files and/or folders).

    Parameters
    ----------
    paths : iterable of str or Path
        Files (each must be a known layout) and folders (unknown files are skipped and listed).
    until : int, optional
        Last year read; later rows are dropped before their values are parsed.

    Returns
    -------
    ReadResult

    Raises
    ------
    InputError
        A missing path, a named file that is no known layout, a bad value (file, row, column),
        or no published table at all.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("no published data files or folders given")
    files, skipped = _candidates(paths)
    reads: list[tuple[FileRead, int]] = []
    for order, (path, explicit) in enumerate(files):
        fr = read_file(path, until)
        if fr is None:
            if explicit:
                raise InputError(f"is not a published table this product reads; expected {expected_description()}",
                                 file=path)
            skipped.append((str(path), "columns match no known DfE layout"))
            continue
        reads.append((fr, order))
    if not reads:
        raise InputError(
            "no published DfE table found in " + ", ".join(str(p) for p in paths)
            + f"; expected {expected_description()}",
            file=paths[0],
        )
    values, superseded = _combine(reads)
    notes = pd.concat([empty_notes()] + [fr.notes for fr, _ in reads if not fr.notes.empty] + [superseded],
                      ignore_index=True)
    notes["year"] = notes["year"].astype("int64")
    sn = [fr.neighbours for fr, _ in reads if fr.neighbours is not None]
    neighbours = sn[-1] if sn else None
    files_frame = pd.DataFrame([fr.info for fr, _ in reads], columns=FILE_COLUMNS)
    skipped_frame = pd.DataFrame(skipped, columns=["file", "reason"])
    messages = []
    if len(sn) > 1:
        messages.append(f"{len(sn)} statistical-neighbour files: the last one read is used")
    n_sup = int((notes["code"] == SUPERSEDED).sum())
    if n_sup:
        by = notes[notes["code"] == SUPERSEDED].groupby("file").size()
        messages.append(
            "where two files hold the same measure for the same authority and year the newer publication wins: "
            + ", ".join(f"{n} values of {f} replaced" for f, n in by.items())
        )
    for file, reason in skipped:
        messages.append(f"skipped {file}: {reason}")
    values["value"] = values["value"].astype("float64")
    values["year"] = values["year"].astype("int64")
    return ReadResult(values, notes, files_frame, skipped_frame, neighbours, messages)


def status_counts(notes: pd.DataFrame) -> pd.DataFrame:
    """Counts of notes per file, measure and code (the compact form of `Published.notes`)."""
    if notes.empty:
        return pd.DataFrame(columns=["file", "measure", "code", "meaning", "count"])
    return (
        notes.groupby(["file", "measure", "code", "meaning"], dropna=False)
        .size()
        .rename("count")
        .reset_index()
    )
