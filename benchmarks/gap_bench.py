"""Benchmark the generic assignment package (`workforce.gap`) on the public instances in ``shared/benchmarks/gap`` (run by hand).

    .venv/bin/python benchmarks/gap_bench.py --time-limit 60 --sets orlib,chu,yagiura
    .venv/bin/python benchmarks/gap_bench.py --instances d20200,d801600,e801600
    .venv/bin/python benchmarks/gap_bench.py --build-time          # model build time, 100,000 pairs

Prints one row per instance: size, best known value, our objective, gap to best known (%), gap
to our proven bound (%), seconds and status. OR-Library gap1-gap12 ("orlib", the cattrysse1994
files) are run in both senses unless --sense says otherwise; maximised instances are solved by
negating the costs and reported in their own (max) sense. Timings are wall-clock on whatever
machine runs this: note its load next to any figure you quote.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from workforce.gap import AssignmentModel, read_gap_instance, solve_assignment  # noqa: E402
from workforce.mip import HighsBulk  # noqa: E402

GAP_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "gap"
SETS = {"orlib": "cattrysse1994", "chu": "chu1997", "yagiura": "yagiura2004"}


def _instances(sets: list[str], names: set[str] | None, sense: str) -> list[tuple[str, str]]:
    """(instance id as in best_known.csv, sense) for every instance chosen."""
    known = pd.read_csv(GAP_DIR / "best_known.csv")
    out = []
    for key in sets:
        folder = SETS[key]
        for path in sorted((GAP_DIR / folder).iterdir(), key=lambda p: _natural(p.name)):
            if names and path.name not in names:
                continue
            senses = known.loc[known["instance"] == f"{folder}/{path.name}", "sense"].tolist()
            for s in ("min", "max"):
                if s in senses and sense in (s, "both"):
                    out.append((f"{folder}/{path.name}", s))
    return out


def _natural(name: str) -> tuple:
    head, _, tail = name.partition("-")
    digits = "".join(ch for ch in head if ch.isdigit())
    return (head.rstrip("0123456789"), int(digits) if digits else 0, int(tail) if tail.isdigit() else 0, name)


def run(args: argparse.Namespace) -> pd.DataFrame:
    known = pd.read_csv(GAP_DIR / "best_known.csv").set_index(["instance", "sense"])["best_known"]
    names = set(args.instances.split(",")) if args.instances else None
    sets = list(SETS) if names and not args.sets_given else args.sets.split(",")
    rows = []
    header = (f"{'instance':<26} {'sense':<5} {'m x n':>9} {'best':>9} {'ours':>11} {'gap_best%':>9} "
              f"{'gap_bound%':>10} {'seconds':>8}  status")
    print(header, flush=True)
    for inst_id, sense in _instances(sets, names, args.sense):
        inst = read_gap_instance(GAP_DIR / inst_id, name=inst_id)
        solved = inst.negated() if sense == "max" else inst
        result = solve_assignment(solved.pairs(), solved.capacity_series(), time_limit=args.time_limit,
                                  threads=args.threads, heuristic=args.heuristic, seed=args.seed)
        sign = -1.0 if sense == "max" else 1.0
        ours = None if result.objective is None else round(sign * result.objective, 6)  # no -0.000 from float noise
        best = float(known[(inst_id, sense)])
        gap_best = None if ours is None else 100.0 * sign * (ours - best) / abs(best) + 0.0  # never -0.0
        gap_bound = None if result.gap is None else 100.0 * result.gap
        row = {"instance": inst_id, "sense": sense, "m": inst.m, "n": inst.n, "best_known": best, "ours": ours,
               "gap_best_pct": gap_best, "gap_bound_pct": gap_bound, "seconds": result.seconds,
               "status": result.status, "message": result.message}
        rows.append(row)
        fmt = lambda v, spec: "-" if v is None else format(v, spec)  # noqa: E731
        print(f"{inst_id:<26} {sense:<5} {f'{inst.m}x{inst.n}':>9} {best:>9.0f} {fmt(ours, '>11.1f')} "
              f"{fmt(gap_best, '>9.3f')} {fmt(gap_bound, '>10.3f')} {result.seconds:>8.1f}  {result.status}",
              flush=True)
    table = pd.DataFrame(rows)
    if len(table):
        hit = (table["gap_best_pct"].abs() < 1e-6).sum()
        print(f"\n{len(table)} runs; best known reached on {hit}; optimal proven on "
              f"{(table['status'] == 'optimal').sum()}; mean gap to best known "
              f"{table['gap_best_pct'].mean():.3f}%; total {table['seconds'].sum():.0f} s")
    return table


def build_time(n_pairs: int = 100_000, agents: int = 50) -> None:
    """Time building a GAP with ``n_pairs`` binaries in PuLP, and passing it to HiGHS."""
    items = n_pairs // agents
    rng = np.random.default_rng(0)
    pairs = pd.DataFrame({"item": np.tile(np.arange(items), agents), "agent": np.repeat(np.arange(agents), items),
                          "cost": rng.integers(1, 100, agents * items).astype(float),
                          "load": rng.integers(1, 50, agents * items).astype(float)})
    capacity = pd.Series(np.full(agents, 30.0 * items / agents))
    t0 = time.perf_counter()
    model = AssignmentModel(pairs, capacity)
    t1 = time.perf_counter()
    model.problem.setObjective(model.objective())
    engine = HighsBulk(sense="min", msg=False)
    engine.createAndConfigureSolver(model.problem)
    engine.buildSolverModel(model.problem)
    t2 = time.perf_counter()
    print(f"build: {len(pairs):,} pairs ({agents} agents x {items} items): PuLP model {t1 - t0:.2f} s, "
          f"passed to HiGHS {t2 - t1:.2f} s, total {t2 - t0:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--sets", default=None, help="comma list of orlib, chu, yagiura (default all)")
    parser.add_argument("--instances", default=None, help="comma list of file names, e.g. d20200,gap1-0")
    parser.add_argument("--sense", default="both", choices=["min", "max", "both"],
                        help="for orlib gap1-gap12, which sense(s) to run")
    parser.add_argument("--heuristic", default="auto", choices=["auto", "on", "off"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", default=None, help="also write the table here")
    parser.add_argument("--build-time", action="store_true", help="only measure model build time")
    args = parser.parse_args(argv)
    if args.build_time:
        build_time()
        return 0
    if not GAP_DIR.is_dir():
        print(f"benchmark data not found at {GAP_DIR}", file=sys.stderr)
        return 2
    args.sets_given = args.sets is not None
    args.sets = args.sets or ",".join(SETS)
    table = run(args)
    if args.csv:
        table.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
