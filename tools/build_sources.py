"""Build the bundled sources table and docs/sources.md from the domain briefs' source lists.

    python tools/build_sources.py [--shared ../shared]

Writes `workforce/data/sources/sources.csv` (tag, brief, reference) and `docs/sources.md`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workforce.sources import COLUMNS, load_sources, parse_source_list, sources_markdown  # noqa: E402

BRIEFS = (("brief.md", "workforce brief"), ("demand.md", "demand brief"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(REPO.parent / "shared"), help="the shared folder")
    args = parser.parse_args()
    rows = []
    for name, brief in BRIEFS:
        rows += parse_source_list((Path(args.shared) / "domain" / name).read_text(encoding="utf-8"), brief)
    target = REPO / "workforce" / "data" / "sources" / "sources.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    load_sources.cache_clear()
    (REPO / "docs" / "sources.md").write_text(sources_markdown(), encoding="utf-8")
    print(f"{len(rows)} sources -> {target.relative_to(REPO)} and docs/sources.md")


if __name__ == "__main__":
    main()
