"""Build the bundled copy of the DfE published statistics (workforce/data/dfe/).

Usage (from the repository root)::

    PYTHONPATH=$PWD python tools/build_dfe_bundle.py [SOURCE_DIR]

SOURCE_DIR defaults to ``../shared/data/dfe``. The files are read with the package's own reader
(recognised by their columns, status codes noted, the newer publication winning overlaps) and the
tidy result is written as gzip CSV with each source file's SHA-256 in ``files.csv``. The output is
byte-for-byte reproducible from the same sources.
"""

from __future__ import annotations

import sys
from pathlib import Path

from workforce.published.bundle import BUNDLE_DIR, write_bundle
from workforce.published.reading import read_paths


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else Path("../shared/data/dfe")
    result = read_paths([source])
    for path in write_bundle(result, BUNDLE_DIR):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    print(f"{len(result.values)} values, {len(result.notes)} notes, {len(result.files)} files")
    for message in result.messages:
        print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
