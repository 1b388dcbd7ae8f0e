"""Benchmark: the demand model on every English authority's published history, and Sandwell's
turnaround against the case study's claims.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/demand_bench.py [--published PATH] [--windows 2021-2023,2013-2023]

Prints, for each calibration window, the distribution over authorities of the mean absolute
percentage error (MAPE) with which the calibrated model reproduces the published stocks at 31 March
of the calibration years (children in need, on CP plans, looked after), started from the first
year's stocks and driven by the published first-time referrals; the authorities it could not
calibrate and why; the turnaround table; and seconds for one authority and for all of them
(library `run_demand`, and the whole `workforce demand` command for one authority).
Timings on a shared machine are noisy: it prints what it measured.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workforce.demand.measures import year_window  # noqa: E402
from workforce.demand.parameters import calibrate, usable_years  # noqa: E402
from workforce.demand.run import run_demand  # noqa: E402
from workforce.demand.settings import Budget, DemandAssumptions  # noqa: E402
from workforce.demand.turnaround import run_turnaround  # noqa: E402
from workforce.published import read_published  # noqa: E402

STOCKS = ("cin_at31", "cp_at31", "cla_at31")
COST_PER_FTE = 47_580.0  # the CLI's blended default (plans' salaries); only the budget uses it


def authorities(pub) -> list[str]:
    """Every local authority with children-in-need data in the published tables."""
    table = pub.authorities
    return sorted(table.loc[table["level"] == "local_authority", "la_code"])


def calibration_errors(pub, window: str, assumptions: DemandAssumptions) -> tuple[pd.DataFrame, float]:
    """One row per authority: MAPE per published stock over the window (or why it failed), and
    the seconds for all of them."""
    england = calibrate(pub.history("england"), window, name="England")
    rows = []
    start = time.perf_counter()
    for code in authorities(pub):
        history = pub.history(code)
        name = pub.name_of(code)
        try:
            year_window(window, usable_years(history))
        except ValueError:
            rows.append({"la_code": code, "la_name": name, "error": "", "no_data": True})
            continue
        t0 = time.perf_counter()
        try:
            result = run_demand(history, assumptions, name=name, fallback=england)
        except ValueError as exc:
            rows.append({"la_code": code, "la_name": name, "error": str(exc)})
            continue
        row = {"la_code": code, "la_name": name, "error": "", "seconds": time.perf_counter() - t0,
               "years": f"{result.calibration.years[0]}-{result.calibration.years[-1]}",
               "fallbacks": sum("England's value used" in n for n in result.notes)}
        for r in result.fit_mape.itertuples(index=False):
            row[r.measure] = r.mape
            row[f"{r.measure}_n"] = r.n
        rows.append(row)
    return pd.DataFrame(rows), time.perf_counter() - start


def distribution(errors: pd.DataFrame) -> pd.DataFrame:
    """Median, quartiles, 90th percentile and worst MAPE per stock over the authorities measured."""
    out = []
    for stock in STOCKS:
        if stock not in errors:
            continue
        values = errors[stock].dropna()
        values = values[errors.loc[values.index, f"{stock}_n"] > 0]
        if values.empty:
            continue
        worst = errors.loc[values.idxmax(), "la_name"]
        out.append({"stock": stock, "authorities": len(values), "median": values.median(),
                    "p25": values.quantile(0.25), "p75": values.quantile(0.75), "p90": values.quantile(0.9),
                    "max": values.max(), "worst": worst, "share_under_10pct": (values < 10).mean()})
    return pd.DataFrame(out)


def cli_seconds(la: str, published: Path | None) -> float:
    """Wall seconds of the whole `workforce demand --la` command (start-up, reading, outputs)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "workforce", "demand", "--la", la, "--out", str(Path(tmp) / "out")]
        if published:
            cmd += ["--data", str(published)]
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                              text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return seconds


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--published", type=Path, default=None, help="DfE files (default: the bundled copy)")
    parser.add_argument("--windows", default="2021-2023,2013-2023", help="calibration windows, comma-separated")
    args = parser.parse_args(argv)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 70)
    pub = read_published(args.published)
    a = DemandAssumptions(budget=Budget(cost_per_fte_gbp=COST_PER_FTE, cost_per_fte_basis="benchmark"))
    figures: dict = {}
    for window in args.windows.split(","):
        errors, seconds = calibration_errors(pub, window, DemandAssumptions(**{**a.__dict__, "years": window}))
        absent = errors["no_data"].fillna(False).astype(bool) if "no_data" in errors else errors["error"] != errors["error"]
        ok = errors[(errors["error"] == "") & ~absent]
        print(f"\n== calibration window {window}: {len(ok)} of {len(errors) - int(absent.sum())} authorities with "
              f"children-in-need data calibrated in {seconds:.1f} s ({seconds / max(len(ok), 1):.3f} s each)")
        print("  no children-in-need data in the window (joint workforce returns, authorities that did not exist): "
              + ", ".join(errors.loc[absent, "la_name"]))
        dist = distribution(ok)
        print(dist.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        failed = errors[(errors["error"] != "") & ~absent]
        for r in failed.itertuples(index=False):
            print(f"  not calibrated: {r.la_name} ({r.la_code}): {r.error}")
        if "fallbacks" in ok:
            print(f"  authorities with a rate from England's history: {(ok['fallbacks'] > 0).sum()}")
        figures[window] = {"dist": dist, "seconds": seconds, "n": len(ok), "failed": len(failed)}

    print("\n== Sandwell's turnaround (2013 -> 2016) against the case study's claims")
    england = calibrate(pub.history("england"), name="England")
    start = time.perf_counter()
    tr = run_turnaround(pub.history("333"), a, fallback=england, published=pub)
    t_turn = time.perf_counter() - start
    cols = ["claim", "claimed", "model_as_reported", "model_published_flows", "model_no_change", "published",
            "model_verdict", "published_verdict"]
    print(tr.comparison[cols].to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    print(f"  ({t_turn:.2f} s)")
    figures["turnaround"] = tr.comparison

    start = time.perf_counter()
    run_demand(pub.history("333"), a, name="Sandwell", fallback=england)
    one = time.perf_counter() - start
    cli = cli_seconds("333", args.published)
    print(f"\n== seconds: one authority (run_demand, Sandwell) {one:.2f} s; whole `workforce demand --la 333` "
          f"command {cli:.1f} s (reads the tables, runs the turnaround, writes 15 files and the workbook)")
    figures.update(one=one, cli=cli)
    return figures


if __name__ == "__main__":
    main()
