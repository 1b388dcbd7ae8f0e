"""Every benchmark behind one command, ending in one table (run by hand; prints what it measured).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/run_all.py [--quick] [--gap-time-limit 60]

Rows: allocation optimiser against the manager's baseline at 1x/2x/4x, the GAP benchmark summary,
churn on the demo authority, the IBM table and the tenure table, the plan on the demo authority,
census import, demand calibration, the forecast back-test and forecast time, workbook write time
and `workforce --help` start-up time. Each area's own script (`*_bench.py`) prints more detail.
`--quick` runs 1x only, a 10 s GAP limit and a shorter GAP set, for a smoke check.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(HERE))

import pandas as pd  # noqa: E402

ROWS: list[dict] = []


def add(area: str, measure: str, value: str, target: str = "", met: bool | None = None) -> None:
    ROWS.append({"area": area, "measure": measure, "value": value, "target": target,
                 "met": "" if met is None else ("yes" if met else "NO")})


def allocation(scales: list[float], time_limit: float) -> None:
    import allocation_bench

    table = allocation_bench.compare(scales=tuple(scales), time_limit=time_limit)
    for (scale, mode), part in table.groupby(["scale", "mode"], sort=False):
        opt = part[part["method"] == "optimiser"].iloc[0]
        base = part[part["method"] == "baseline"].iloc[0]
        gap = "-" if pd.isna(opt.get("gap")) else f"{100 * opt['gap']:.2f}%"
        target = opt.get("target") if isinstance(opt.get("target"), str) else "no worse objective than the baseline"
        met = bool(opt["objective_no_worse"]) and (bool(opt["target_met"]) if isinstance(opt.get("target"), str) else True)
        add(f"allocation {scale:g}x {mode}",
            "handoffs / losing worker / unallocated (P1) / over 100% points / gap / s (optimiser vs baseline)",
            f"{opt['handoffs']:.0f} vs {base['handoffs']:.0f} / {opt['losing_worker']:.0f} vs {base['losing_worker']:.0f} / "
            f"{opt['unallocated']:.0f} ({opt['p1_unallocated']:.0f}) vs {base['unallocated']:.0f} "
            f"({base['p1_unallocated']:.0f}) / {opt['over_points']:.0f} vs {base['over_points']:.0f} / {gap} / "
            f"{opt['seconds']:.1f}" + (" (stopped)" if opt["stopped"] else ""),
            target, met)


def gap(time_limit: float, quick: bool) -> None:
    import argparse as ap

    import gap_bench

    if not gap_bench.GAP_DIR.is_dir():
        add("GAP", "instances", f"skipped: {gap_bench.GAP_DIR} not found")
        return
    runs = [("orlib gap1-gap12 (min)", "orlib", None, "min")]
    if quick:
        runs.append(("hard: d20200", "chu", "d20200", "both"))
    else:
        runs.append(("chu1997 A, B, C", "chu", None, "both"))
        runs.append(("hard: d20200, d801600, e801600", "chu,yagiura", "d20200,d801600,e801600", "both"))
    for label, sets, names, sense in runs:
        args = ap.Namespace(time_limit=time_limit, sets=sets, instances=names, sense=sense, heuristic="auto",
                            threads=1, seed=0, sets_given=True)
        table = gap_bench.run(args)
        if names is None and sets == "chu":
            table = table[table["instance"].str.contains(r"chu1997/[abc]")]
        if names is None:
            reached = int((table["gap_best_pct"].abs() < 1e-6).sum())
            add("GAP", label, f"best known reached on {reached}/{len(table)}; max {table['seconds'].max():.1f} s",
                "all, <= 60 s each", reached == len(table) and table["seconds"].max() <= 60)
        else:
            for row in table.itertuples():
                add("GAP", row.instance, f"{row.gap_best_pct:.2f}% above best known, {row.gap_bound_pct:.2f}% to bound, "
                    f"{row.seconds:.0f} s", "beat plain HiGHS (d20200 0.54%, d/e801600 7-8%)")


def churn() -> None:
    import churn_bench

    demo = churn_bench.measure(verbose=False)
    add("churn (demo)", "train seconds (wall / CPU)", f"{demo['train_seconds']:.1f} / {demo['train_cpu_seconds']:.1f}",
        "<= 20 s", demo["train_seconds"] <= 20)
    add("churn (demo)", "out-of-time ROC AUC vs truth ceiling",
        f"{demo['oot_auc']:.3f} vs {demo['truth_auc']:.3f} (CV concordance {demo['cv_c_index']:.3f}, "
        f"12-month AUC {demo['cv_auc']:.3f}, {demo['selected']})")
    add("churn (demo)", "score 1,000 workers (register + 12-quarter hazards)", f"{demo['score_1000_seconds']:.2f} s",
        "<= 1 s", demo["score_1000_seconds"] <= 1)
    ibm = SHARED / "data" / "ibm_hr_attrition.csv"
    if ibm.is_file():
        res = churn_bench.measure_ibm(ibm, verbose=False)
        add("churn (IBM)", "selected ROC AUC, Brier, 5x3 CV",
            f"{res['auc_mean']:.3f} ± {res['auc_sd']:.3f}, {res['brier_mean']:.3f} ({res['selected']})",
            ">= 0.84", res["auc_mean"] >= 0.84)
    else:
        add("churn (IBM)", "selected ROC AUC", f"skipped: {ibm} not found")
    tenure = churn_bench.find_tenure_table()
    if tenure is not None:
        res = churn_bench.measure_tenure(tenure, verbose=False)
        add("churn (tenure table)", "held-out concordance / 12-month AUC, selected vs plain logistic hazard",
            f"{res['selected_c_index_mean']:.3f} / {res['selected_auc_mean']:.3f} vs "
            f"{res['logistic_hazard_c_index_mean']:.3f} / {res['logistic_hazard_auc_mean']:.3f}", ">= 0.63 / 0.65",
            res["selected_c_index_mean"] >= 0.63 and res["selected_auc_mean"] >= 0.65)
    else:
        add("churn (tenure table)", "held-out concordance", "skipped: see benchmarks/data/README.md")


def plan() -> None:
    import plan_bench

    from workforce.indicators import gbp

    res = plan_bench.measure(verbose=False)
    s = res["summary"]
    add("plan", "full plan incl. 1,000 Monte Carlo runs", f"{res['seconds']:.2f} s", "<= 10 s", res["seconds"] <= 10)
    add("plan (demo, true risks)", "agency rate now -> 3 years, plan (carry on); saving against carry on, Monte Carlo median "
        "(P10-P90)", f"{s['agency_rate_start']:.1%} -> {s['agency_rate_end']:.1%} ({s['carry_on_agency_rate_end']:.1%}); "
        f"{gbp(s['saving_gbp_p50'])} ({s['saving_share_p50']:.1%}; {gbp(s['saving_gbp_p10'])} to "
        f"{gbp(s['saving_gbp_p90'])})")
    add("plan (demo, true risks)", "the plan's 3-year agency change among authorities that started alike",
        plan_bench.agency_percentile(res["result"]))


def excel() -> None:
    import excel_bench

    demo = excel_bench.run("demo", 5.0, None)
    add("excel", "planner workbook (demo size)", f"{demo['seconds']:.2f} s", "<= 5 s", demo["seconds"] <= 5)
    big = excel_bench.run("alloc20k", 10.0, 500.0)
    add("excel", "20,000-row allocation workbook", f"{big['seconds']:.2f} s, {big['peak_mb']:.0f} MB peak",
        "<= 10 s, <= 500 MB", big["seconds"] <= 10 and big["peak_mb"] <= 500)


def census() -> None:
    import census_bench

    with tempfile.TemporaryDirectory() as tmp:
        paths = census_bench.synthetic_returns(Path(tmp), 5000)
        imp = census_bench.run("import", paths, 10.0, 500.0)
        check = census_bench.run("check", paths, None, None)
    add("census", f"import 5 returns of 5,000 workers in post ({imp['records']:,} records with the years' leavers)",
        f"{imp['seconds']:.1f} s "
        f"({imp['cpu_seconds']:.1f} s CPU), {imp['peak_mb']:.0f} MB peak", "<= 10 s, <= 500 MB",
        imp["seconds"] <= 10 and imp["peak_mb"] <= 500)
    add("census", "check the same returns (schema and DfE rules)", f"{check['seconds']:.1f} s, {check['peak_mb']:.0f} MB peak")


def demand() -> None:
    import demand_bench

    figures = demand_bench.main(["--windows", "2021-2023"])
    window = figures["2021-2023"]
    add("demand", "calibrate every authority's published history (2021-2023)",
        f"{window['n']} calibrated, {window['failed']} not, {window['seconds']:.1f} s")
    add("demand", "one authority (run_demand, Sandwell); `workforce demand --la 333` end to end",
        f"{figures['one']:.2f} s; {figures['cli']:.1f} s")


def published() -> None:
    import published_bench

    scores, _, seconds = published_bench.run_backtest(published_bench.reader(), select_until=2019)
    scored = scores[scores["cases"] > 0]
    add("forecast back-test", "MAE ratio to persistence per measure (origins 2020, 2021; 1-2 years ahead)",
        ", ".join(f"{r.measure} {r.ratio_persistence:.3f}" for r in scored.itertuples()),
        "demand stocks <= 0.95, workforce rates <= 1",
        bool(all(r.ratio_persistence <= (0.95 if r.measure in published_bench.STOCKS else 1.0)
                 for r in scored.itertuples() if r.measure in published_bench.STOCKS
                 or r.measure not in published_bench.DEMAND_MEASURES)))
    add("forecast back-test", "share of outcomes inside P10-P90", ", ".join(
        f"{r.measure} {r.coverage_p10_p90:.0%}" for r in scored.itertuples()), "about 80%")
    add("forecast back-test", "seconds (every authority, both origins, selection included)", f"{seconds:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        exe = Path(sys.executable).parent / "workforce"
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "workforce"]
        t0 = time.perf_counter()
        subprocess.run(cmd + ["forecast", "--until", "2021", "--years", "2", "--out", str(out / "f")],
                       capture_output=True, check=True)
        cold = time.perf_counter() - t0
    add("forecast", "`workforce forecast --until 2021 --years 2`, every authority, fresh process", f"{cold:.1f} s",
        "a few seconds (<= 10 s)", cold <= 10)


def startup() -> None:
    exe = Path(sys.executable).parent / "workforce"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "workforce"]
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(cmd + ["--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    best = min(times)
    add("cli", "`workforce --help` start-up (best of 5)", f"{best:.2f} s", "< 0.5 s", best < 0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--gap-time-limit", type=float, default=60.0)
    parser.add_argument("--allocation-time-limit", type=float, default=30.0)
    parser.add_argument("--only", default=None, help="comma list of: allocation, gap, churn, plan, excel, cli, "
                                                     "census, demand, published")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else {"allocation", "gap", "churn", "plan", "excel", "cli", "census", "demand",
                                                             "published"}
    began = time.perf_counter()
    if "cli" in only:
        startup()
    if "excel" in only:
        excel()
    if "plan" in only:
        plan()
    if "census" in only:
        census()
    if "demand" in only:
        demand()
    if "published" in only:
        published()
    if "churn" in only:
        churn()
    if "allocation" in only:
        allocation([1.0] if args.quick else [1.0, 2.0, 4.0], args.allocation_time_limit)
    if "gap" in only:
        gap(10.0 if args.quick else args.gap_time_limit, args.quick)
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; load average {os.getloadavg()[0]:.2f}; "
          f"total {time.perf_counter() - began:.0f} s")
    print(markdown(pd.DataFrame(ROWS)))
    return 0


def markdown(table: pd.DataFrame) -> str:
    """A Markdown table (so the README can show exactly what was printed)."""
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
