"""Census import speed and memory (run by hand; prints what it measured).

Target: importing 5 yearly returns (2021-2025, one per schema year) of 5,000 workers each
within 10 s and 500 MB. The returns are synthetic (seeded): about 16% of workers leave each
year (a few joining and leaving between census days) and are replaced, so each return holds
5,000 workers in post plus the year's leavers. They are written with
`workforce.census.writer` before the clock starts. The import (safe parsing, schema validation
of every record against its year's XSD, typing, pseudonymising, linking the years into
hr_history) and then the pre-submission check each run in a fresh subprocess, so the peak
resident size (ru_maxrss) is that case's alone; it includes the interpreter, pandas and
xmlschema (about 100 MB before any work).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/census_bench.py [--workers 5000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workforce.census.writer import ReturnHeader, write_return  # noqa: E402

YEARS = (2021, 2022, 2023, 2024, 2025)
TURNOVER = 0.16
ETHNICITIES = np.array(["WBRI", "WIRI", "WOTH", "MWBC", "AIND", "APKN", "BAFR", "BCRB", "OOTH", "REFU"])

CASE = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
case, paths = sys.argv[1], sys.argv[2:]
from workforce.census.importer import import_returns
from workforce.census.check import check_returns
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t, cpu = time.perf_counter(), time.process_time()
if case == "import":
    result = import_returns(paths, salt="bench")
    detail = {{"records": result.summary.records, "rows": result.summary.rows, "adds_up": result.summary.adds_up(),
              "problems": len(result.problems)}}
else:
    result = check_returns(paths, salt="bench")
    detail = {{"records": int(sum(len(r.records) for r in result.loaded.returns)), "problems": len(result.problems)}}
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"case": case, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak / 1024, "before_mb": rss0 / 1024, **detail}}))
"""


def _worker(rng: np.random.Generator, sweno: str, start: pd.Timestamp, year: int) -> dict:
    role = int(rng.choice([5, 4, 3, 2, 1, 6], p=[0.55, 0.15, 0.12, 0.08, 0.03, 0.07]))
    agency = bool(rng.random() < 0.15)
    rec = dict(sweno=sweno, agency=agency, fte=round(float(rng.choice([1.0, 0.8, 0.6, 0.5], p=[0.75, 0.1, 0.1, 0.05])), 6),
               org_role=role, start_date=start, start_origin=int(rng.integers(1, 10)),
               cases30=int(rng.integers(0, 25)) if role in (4, 5) else None)
    if not agency:
        rec.update(birth_date=start - pd.Timedelta(days=int(rng.integers(22 * 365, 45 * 365))),
                   gender=str(rng.choice(["female", "male"], p=[0.85, 0.15])), ethnicity=str(rng.choice(ETHNICITIES)),
                   stepup=0, frontline=int(rng.random() < 0.1), fte30=rec["fte"],
                   days_lost=round(float(rng.exponential(8.0)), 2))
    if year < 2025:
        rec.update(qual_inst="University", cfkss=int(rng.integers(1, 5)))
    else:
        rec.update(base_salary=round(float(rng.normal(38000, 4000)), 2) if not agency else None,
                   rr_payments=float(rng.choice([0.0, 2000.0], p=[0.8, 0.2])) if not agency else None)
    return rec


def synthetic_returns(folder: Path, workers: int, seed: int = 0) -> list[Path]:
    """Five returns of `workers` in post each, with the year's leavers and starters."""
    rng = np.random.default_rng(seed)
    counter = iter(range(10**6, 10**8))
    staff: dict[str, pd.Timestamp] = {}
    for _ in range(workers):
        staff[f"SW{next(counter)}"] = pd.Timestamp("2021-09-30") - pd.Timedelta(days=int(rng.integers(30, 20 * 365)))
    paths = []
    for year in YEARS:
        ref = pd.Timestamp(f"{year}-09-30")
        records = []
        if year > YEARS[0]:
            # the year's leavers, replaced by starters; a few starters also leave before the census day
            gone = rng.choice(sorted(staff), size=int(TURNOVER * workers), replace=False)
            for sweno in gone:
                rec = _worker(rng, sweno, staff.pop(sweno), year)
                rec.update(fte=0.0, end_date=ref - pd.Timedelta(days=int(rng.integers(1, 360))),
                           leave_reason=int(rng.integers(1, 11)), leaver_destination=int(rng.integers(1, 10)))
                records.append(rec)
            for _ in range(len(gone)):
                start = ref - pd.Timedelta(days=int(rng.integers(1, 360)))
                if rng.random() < 0.05:
                    end = start + pd.Timedelta(days=int(rng.integers(1, max(2, (ref - start).days))))
                    rec = _worker(rng, f"SW{next(counter)}", start, year)
                    rec.update(fte=0.0, end_date=min(end, ref), leave_reason=1, leaver_destination=1)
                    records.append(rec)
                staff[f"SW{next(counter)}"] = start
            while len(staff) < workers:
                staff[f"SW{next(counter)}"] = ref - pd.Timedelta(days=int(rng.integers(1, 360)))
        records += [_worker(rng, sweno, start, year) for sweno, start in staff.items()]
        agency = [r for r in records if r["agency"] and "end_date" not in r]
        header = ReturnHeader(year, ref, "999", vacancies_fte=float(workers) * 0.17, agency_fte=float(sum(r["fte"] for r in agency)),
                              agency_headcount=len(agency), policies={"RetentionBonus": 2})
        paths.append(write_return(folder / f"csww_999_{year}.xml", pd.DataFrame(records), header))
    return paths


def run(case: str, paths: list[Path], target_s: float | None, target_mb: float | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "case.py"
        script.write_text(CASE.format(repo=str(REPO)))
        proc = subprocess.run([sys.executable, str(script), case, *map(str, paths)], capture_output=True, text=True,
                              cwd=REPO, timeout=1200)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    ok = (target_s is None or res["seconds"] <= target_s) and (target_mb is None or res["peak_mb"] <= target_mb)
    targets = f" (target <= {target_s:.0f} s, <= {target_mb:.0f} MB)" if target_s else ""
    print(f"{case:7s} {res['records']:,} records in {res['seconds']:.2f} s ({res['cpu_seconds']:.2f} s CPU), peak RSS {res['peak_mb']:.0f} MB "
          f"({res['before_mb']:.0f} MB before){targets}; {res['problems']} problems"
          + (f"; {res['rows']:,} hr_history rows; summary adds up: {res['adds_up']}" if "rows" in res else "")
          + (f": {'OK' if ok else 'OVER TARGET'}" if target_s else ""))
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=5000, help="workers in post in each return")
    args = parser.parse_args(argv)
    print("timings are noisy on a shared machine (CPU seconds are less so); each case runs in a fresh subprocess")
    with tempfile.TemporaryDirectory() as tmp:
        paths = synthetic_returns(Path(tmp), args.workers)
        size = sum(p.stat().st_size for p in paths) / 1e6
        print(f"5 returns ({', '.join(str(y) for y in YEARS)}), {args.workers:,} workers in post each, {size:.1f} MB of XML")
        run("import", paths, 10.0, 500.0)
        run("check", paths, None, None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
