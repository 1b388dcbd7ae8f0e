"""`python -m workforce.demo`: generate the demo authority into a folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence

from workforce.demo.authority import generate_authority
from workforce.demo.files import write_authority
from workforce.demo.parameters import PROFILES
from workforce.demo.summary import authority_summary, capacity_vs_demand


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m workforce.demo --out examples --seed 7 --scale 0.12 [--profile sandwell]`"""
    parser = argparse.ArgumentParser(prog="python -m workforce.demo", description="Generate the synthetic demo authority.")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the CSV files (and workbook/authority.xlsx)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = Sandwell scale (~3,600 children, ~240 case holders, ~420 staff)")
    parser.add_argument("--profile", choices=PROFILES, default="default",
                        help="default: England's 2023 middle; sandwell: Sandwell's published 2018 figures")
    parser.add_argument("--no-xlsx", action="store_true", help="CSV files only")
    parser.add_argument("--force", action="store_true", help="replace files in --out that workforce did not write")
    parser.add_argument("--summary", action="store_true", help="print the census measures and capacity against demand")
    args = parser.parse_args(argv)
    if not args.scale > 0:
        parser.error("--scale must be a positive number")
    authority = generate_authority(seed=args.seed, scale=args.scale, profile=args.profile)
    for path in write_authority(authority, args.out, xlsx=not args.no_xlsx, force=args.force):
        print(path)
    if args.summary:
        print(json.dumps(authority_summary(authority), indent=2))
        print(capacity_vs_demand(authority).to_string(index=False))
        print(capacity_vs_demand(authority, reach="locality").to_string(index=False))
    return 0
