"""The bundled copy of the published statistics (years to 2023), so everything works offline.

The bundle is the tidy result of reading the DfE files in ``../shared/data/dfe/`` with this
package's own reader, written as gzip CSV to ``workforce/data/dfe/`` by
``tools/build_dfe_bundle.py``. Provenance and licence: ``workforce/data/dfe/README.md``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from workforce.published.reading import FILE_COLUMNS, NEIGHBOUR_COLUMNS, NOTE_COLUMNS, VALUE_COLUMNS, ReadResult

BUNDLE_DIR = Path(__file__).resolve().parent.parent / "data" / "dfe"
VALUES_FILE = "values.csv.gz"
NOTES_FILE = "notes.csv.gz"
NEIGHBOURS_FILE = "neighbours.csv.gz"
FILES_FILE = "files.csv"

_TEXT = {c: str for c in ("la_code", "new_la_code", "la_name", "level", "region_code", "measure", "source",
                          "file", "code", "meaning", "la_name", "region_name", "neighbour", "closeness")}


def _gzip(frame: pd.DataFrame, path: Path) -> None:
    # mtime=0: the same data give the same bytes, so rebuilding the bundle is reproducible.
    frame.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0}, lineterminator="\n")


def write_bundle(result: ReadResult, out_dir: Path = BUNDLE_DIR) -> list[Path]:
    """Write a read result as the bundle (values, notes, neighbours, files with checksums)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / VALUES_FILE, out_dir / NOTES_FILE, out_dir / NEIGHBOURS_FILE, out_dir / FILES_FILE]
    _gzip(result.values[VALUE_COLUMNS], paths[0])
    _gzip(result.notes[NOTE_COLUMNS], paths[1])
    neighbours = result.neighbours if result.neighbours is not None else pd.DataFrame(columns=NEIGHBOUR_COLUMNS)
    _gzip(neighbours[NEIGHBOUR_COLUMNS], paths[2])
    files = result.files.copy()
    files["sha256"] = [hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files["file"]]
    files["file"] = [Path(f).name for f in files["file"]]
    files[FILE_COLUMNS + ["sha256"]].to_csv(paths[3], index=False, lineterminator="\n")
    return paths


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=_TEXT, keep_default_na=False, na_values={"value": [""]})
    return frame


def bundle_files(folder: Path = BUNDLE_DIR) -> list[Path]:
    """The bundled data files (for checksums on a workbook's README sheet)."""
    return [folder / name for name in (VALUES_FILE, NOTES_FILE, NEIGHBOURS_FILE, FILES_FILE)]


def load_neighbours(folder: Path = BUNDLE_DIR) -> pd.DataFrame:
    """The bundled statistical-neighbour model (tidy: one row per authority and rank)."""
    neighbours = _read(folder / NEIGHBOURS_FILE)
    neighbours["rank"] = neighbours["rank"].astype("int64")
    return neighbours


def load_bundle(until: int | None = None, folder: Path = BUNDLE_DIR) -> ReadResult:
    """The bundled read result; rows after `until` are dropped as they are loaded."""
    values = _read(folder / VALUES_FILE)
    notes = _read(folder / NOTES_FILE)
    values["value"] = pd.to_numeric(values["value"]).astype("float64")
    values["year"] = values["year"].astype("int64")
    notes["year"] = notes["year"].astype("int64")
    if until is not None:
        values = values[values["year"] <= until].reset_index(drop=True)
        notes = notes[notes["year"] <= until].reset_index(drop=True)
    neighbours = load_neighbours(folder)
    files = pd.read_csv(folder / FILES_FILE, dtype={"file": str, "layout": str, "why_not_used": str},
                        keep_default_na=False)
    files["file"] = "bundled: " + files["file"]
    return ReadResult(values, notes, files, pd.DataFrame(columns=["file", "reason"]), neighbours, [])
