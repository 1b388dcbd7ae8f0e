"""Back-test of `workforce forecast` against what the DfE published later (issue 13 point 4).

Run: OMP_NUM_THREADS=1 PYTHONPATH=$PWD python benchmarks/published_bench.py [--data DIR] [--select-until 2019]

For each measure it forecasts 2022 and 2023 from data to 2021, and 2021 and 2022 from data to
2020 (each read stops at its origin: later rows are never read), with every measure's method
chosen on targets up to 2019 only (never on a back-test year). It compares the mean absolute
error with persistence (last value carried forward) and with the statistical neighbours
(their mean for percentages; their recent growth applied to the authority's last value for
counts), and reports the share of outcomes inside the 10th-90th percentile interval, and which
method won selection. Then every candidate method (the product's demand model among them) scored
as if it had been chosen, for the report only (the forecast never chooses on these years). Then
the seconds to forecast one authority and all of them, cold (no cached demand-model runs) and warm
(timings on a shared machine are noisy).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from workforce.demand.forecasting import DEMAND_METHODS, clear_cache, forecast_methods  # noqa: E402
from workforce.published import read_published  # noqa: E402
from workforce.published.backtest import backtest, candidate_scores  # noqa: E402
from workforce.published.forecast import DEMAND_MEASURES, build_panel, forecast, rolling_forecasts  # noqa: E402

ORIGINS = (2020, 2021)
STOCKS = ("cin_at31", "cp_at31", "cla_at31")
CLEARLY = 0.95  # "beat persistence clearly": at least 5% lower error [DEFAULT judgement]


def reader(data: list[Path] | None = None):
    """The published tables read to a given year, each year read once."""
    @functools.lru_cache(maxsize=None)
    def read(until: int | None):
        return read_published(data, until=until)
    return read


def run_backtest(read, select_until: int = 2019, methods=None):
    """The back-test of `ORIGINS`, 1-2 years ahead: (scores, cases, seconds)."""
    started = time.perf_counter()
    scores, cases = backtest(read, ORIGINS, 2, select_until=select_until, methods=methods or forecast_methods())
    return scores, cases, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", help="DfE files or folders (default: bundled copy)")
    parser.add_argument("--select-until", type=int, default=2019)
    args = parser.parse_args(argv)
    read = reader(args.data or None)
    methods = forecast_methods()
    scores, cases, seconds = run_backtest(read, args.select_until, methods)
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


    selection = forecast(read(max(ORIGINS)), 2, select_until=args.select_until, methods=methods).selection
    persistence = selection[selection["method"] == "persistence"].set_index("measure")["mae"]
    selection["cell"] = [f"{m / persistence.get(k, float('nan')):.3f}{' *' if c else ''}" if n else "-"
                         for k, m, n, c in zip(selection["measure"], selection["mae"], selection["n"], selection["chosen"])]
    print(f"\nselection (targets <= {args.select_until}, origin {max(ORIGINS)}'s run): each candidate's MAE over "
          "persistence's on the cases all could forecast; * chosen:")
    print(selection.pivot(index="measure", columns="method", values="cell").reindex(scores["measure"]).fillna("")
          .to_string())

    early = read(args.select_until)
    print(f"\nthe demand model one year ahead, targets <= {args.select_until}: correlation of its predicted change "
          "(log) with the change published, and the spread of each:")
    for measure in ("cin_at31", "cp_at31", "referrals"):
        panel = build_panel(early, measure)
        fc = rolling_forecasts(panel, DEMAND_METHODS["demand_model"], 1, args.select_until)
        last = panel.data.stack().rename("last").rename_axis(["origin", "la_code"]).reset_index()
        fc = fc.merge(last, on=["origin", "la_code"])
        with np.errstate(divide="ignore", invalid="ignore"):
            predicted, happened = np.log(fc["forecast"] / fc["last"]), np.log(fc["actual"] / fc["last"])
        ok = np.isfinite(predicted) & np.isfinite(happened)
        print(f"  {measure:<10} correlation {np.corrcoef(predicted[ok], happened[ok])[0, 1]:.2f}; standard deviation "
              f"predicted {predicted[ok].std():.3f}, published {happened[ok].std():.3f} ({int(ok.sum())} cases)")

    started = time.perf_counter()
    forced = candidate_scores(read, ORIGINS, 2, methods=methods)
    print(f"\nevery candidate forced (as if chosen; not how the forecast chooses), ratio of MAE to persistence's "
          f"/ share inside P10-P90 ({time.perf_counter() - started:.1f} s):")
    forced["cell"] = [f"{r:.3f} / {c:.0%}" if n else "-" for r, c, n in
                      zip(forced["ratio_persistence"], forced["coverage_p10_p90"], forced["cases"])]
    print(forced.pivot(index="measure", columns="method", values="cell").reindex(scores["measure"]).fillna("")
          .to_string())

    pub = read(2023)
    timings = {}
    for label, las in (("one authority", ["333"]), ("all", None)):
        clear_cache()
        t0 = time.perf_counter()
        result = forecast(pub, 3, las=las, methods=methods)
        timings[label] = time.perf_counter() - t0
        t0 = time.perf_counter()
        forecast(pub, 3, las=las, methods=methods)
        timings[label + " (warm)"] = time.perf_counter() - t0
    print(f"\nseconds (10 measures, 3 years, from data to 2023; read not included): "
          f"one authority {timings['one authority']:.1f} s cold, {timings['one authority (warm)']:.1f} s warm; "
          f"all {result.forecast['la_code'].nunique()} authorities {timings['all']:.1f} s cold, "
          f"{timings['all (warm)']:.1f} s warm (cold: the demand model calibrated and run for every authority at "
          f"every origin its selection and intervals need)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
