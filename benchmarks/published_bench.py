"""Back-test of `workforce forecast` against what the DfE published later (issue 13 point 4).

Run: OMP_NUM_THREADS=1 PYTHONPATH=$PWD python benchmarks/published_bench.py [--data DIR] [--select-until 2019]

For each measure it forecasts 2022 and 2023 from data to 2021, and 2021 and 2022 from data to
2020 (each read stops at its origin: later rows are never read), with every measure's method
chosen on targets up to 2019 only (never on a back-test year). It compares the mean absolute
error with persistence (last value carried forward) and with the statistical neighbours
(their mean for percentages; their recent growth applied to the authority's last value for
counts), and reports the share of outcomes inside the 10th-90th percentile interval. Then the
seconds to forecast one authority and all of them (timings on a shared machine are noisy).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from workforce.published import read_published  # noqa: E402
from workforce.published.backtest import backtest  # noqa: E402
from workforce.published.forecast import DEMAND_MEASURES, forecast  # noqa: E402

ORIGINS = (2020, 2021)
STOCKS = ("cin_at31", "cp_at31", "cla_at31")
CLEARLY = 0.95  # "beat persistence clearly": at least 5% lower error [DEFAULT judgement]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", help="DfE files or folders (default: bundled copy)")
    parser.add_argument("--select-until", type=int, default=2019)
    args = parser.parse_args(argv)
    data = args.data or None

    def read(until: int | None):
        return read_published(data, until=until)

    started = time.perf_counter()
    scores, cases = backtest(read, ORIGINS, 2, select_until=args.select_until)
    seconds = time.perf_counter() - started
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 70)
    print(f"Back-test: origins {', '.join(map(str, ORIGINS))}, 1-2 years ahead; methods chosen on targets "
          f"<= {args.select_until}; {seconds:.1f} s\n")
    table = scores.copy()
    for col in ("mae", "mae_persistence", "mae_neighbours"):
        table[col] = table[col].map(lambda v: f"{v:,.2f}" if pd.notna(v) else "-")
    for col in ("ratio_persistence", "ratio_neighbours"):
        table[col] = table[col].map(lambda v: f"{v:.3f}" if pd.notna(v) else "-")
    table["coverage_p10_p90"] = table["coverage_p10_p90"].map(lambda v: f"{v:.0%}" if pd.notna(v) else "-")
    print(table.drop(columns=["not_forecast"]).to_string(index=False))
    print()
    for row in scores.itertuples(index=False):
        if row.cases == 0:
            print(f"{row.measure}: not back-tested: {row.not_forecast}")
    scored = scores[scores["cases"] > 0]
    stocks = scored[scored["measure"].isin(STOCKS)]
    workforce = scored[~scored["measure"].isin(DEMAND_MEASURES)]
    print()
    print("goal: demand stocks beat persistence clearly (ratio <= %.2f): %s" % (CLEARLY, ", ".join(
        f"{r.measure} {r.ratio_persistence:.3f} {'yes' if r.ratio_persistence <= CLEARLY else 'NO'}"
        for r in stocks.itertuples())))
    print("goal: workforce rates at least match persistence (ratio <= 1): %s" % ", ".join(
        f"{r.measure} {r.ratio_persistence:.3f} {'yes' if r.ratio_persistence <= 1.0 else 'NO'}"
        for r in workforce.itertuples()))
    print("goal: intervals hold about 80%% of outcomes: %s" % ", ".join(
        f"{r.measure} {r.coverage_p10_p90:.0%}" for r in scored.itertuples()))
    by_origin = cases.groupby(["measure", "origin"]).apply(
        lambda g: (g["value"] - g["actual"]).abs().mean() / (g["persistence"] - g["actual"]).abs().mean(),
        include_groups=False).unstack("origin")
    print("\nratio to persistence by origin:\n" + by_origin.round(3).to_string())

    pub = read_published(data, until=2023)
    t0 = time.perf_counter()
    forecast(pub, 3, las=["333"])
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    everything = forecast(pub, 3)
    every = time.perf_counter() - t0
    print(f"\nseconds: one authority {one:.2f} s, all {everything.forecast['la_code'].nunique()} authorities "
          f"{every:.2f} s (10 measures, 3 years, from data to 2023; read not included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
