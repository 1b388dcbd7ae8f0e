"""Provenance: what produced a workbook, when, with which software, from which input files."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
from pathlib import Path
from typing import Any, Iterable

import openpyxl
import pandas as pd


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def input_checksums(inputs: Iterable[str | Path]) -> pd.DataFrame:
    """`file, bytes, sha256` for each input file (folders: each file inside, sorted).

    A path that does not exist is listed with a note instead of a checksum."""
    rows, seen = [], set()
    for item in inputs:
        p = Path(item)
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            if f in seen:  # a file given on its own and within a folder given too: listed once
                continue
            seen.add(f)
            if f.is_file():
                rows.append({"file": str(f), "bytes": f.stat().st_size, "sha256": sha256_file(f)})
            else:
                rows.append({"file": str(f), "bytes": None, "sha256": "(not found when the workbook was written)"})
    return pd.DataFrame(rows, columns=["file", "bytes", "sha256"])


def produced_at() -> dt.datetime:
    """Now (UTC, to the second), or SOURCE_DATE_EPOCH when set so builds can be reproduced."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def provenance_rows(produced_by: str, when: dt.datetime, version: str) -> list[tuple[str, Any]]:
    """`(item, value)` rows saying what produced a workbook, when and with which software."""
    return [
        ("produced by", produced_by),
        ("produced at (UTC)", when),
        ("workforce version", version),
        ("python", platform.python_version()),
        ("pandas / openpyxl", f"{pd.__version__} / {openpyxl.__version__}"),
    ]
