"""Optimiser against the manager's baseline on the demo authority at 1x, 2x and 4x scale.

Run by hand (timings are noisy on a shared machine):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/allocation_bench.py [--scales 1 2 4] [--time-limit 30] [--threads 2]

Prints, per scale and mode: handoffs, unallocated children, highest utilisation, workers over the
soft cap, objective (and the optimiser's proven bound and gap), seconds end to end; `new` mode
places 50 new families. `compare()` returns the same table (with the checks against the
baseline) for other benchmark entry points.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def _row(label: str, scale: float, mode: str, r) -> dict:
    s = r.summary
    return dict(scale=scale, mode=mode, method=label, status=s["status"], handoffs=s["handoffs"],
                unallocated=s["unallocated"], max_utilisation=s["max_utilisation"],
                over_soft_cap=s["workers_over_soft_cap"], objective=s["objective"],
                bound=s["bound"], gap=s["gap"], seconds=s["seconds"])


def _fifty_new_families(cases: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Take 50 allocated families and make them new (no current worker, not pinned)."""
    rng = np.random.default_rng(seed)
    held = cases[(cases["current_worker_id"] != "") & ~cases["pinned"]]
    fams = rng.choice(sorted(held["family_id"].unique()), size=50, replace=False)
    out = cases.copy()
    new = out["family_id"].isin(fams)
    out.loc[new, "current_worker_id"] = ""
    out.loc[new, "pinned"] = False
    return out


CHECKS = ("handoffs_ok", "unallocated_ok", "max_util_ok", "objective_better")


def compare(scales=(1.0, 2.0, 4.0), time_limit: float = 30.0, threads: int = 1, seed: int = 0,
            modes=("rebalance", "new"), verbose: bool = False) -> pd.DataFrame:
    """Baseline and optimiser on the demo authority at each scale and mode: one row per scale x
    mode x method with the table's columns (`seconds` end to end) and, on optimiser rows, the
    checks against the baseline of the same scale and mode: no worse on handoffs, unallocated
    children and highest utilisation, better on the objective. `new` mode makes 50 allocated
    families new."""
    from workforce.allocation import AllocationConfig, allocate, baseline_allocate
    from workforce.demo import generate_authority

    cfg = AllocationConfig(threads=threads)
    rows = []
    for scale in scales:
        a = generate_authority(seed=seed, scale=scale)
        if verbose:
            print(f"scale {scale}: {len(a.workers)} workers, {len(a.cases)} children, "
                  f"{a.cases['family_id'].nunique()} families", flush=True)
        for mode in modes:
            cases = a.cases if mode == "rebalance" else _fifty_new_families(a.cases, seed)
            t = time.perf_counter()
            base = _row("baseline", scale, mode, baseline_allocate(a.workers, cases, mode=mode, config=cfg))
            base["seconds"] = round(time.perf_counter() - t, 2)
            t = time.perf_counter()
            r = allocate(a.workers, cases, mode=mode, config=cfg, time_limit=time_limit)
            opt = _row("optimiser", scale, mode, r)
            opt["seconds"] = round(time.perf_counter() - t, 2)  # end to end, including building
            opt.update(handoffs_ok=opt["handoffs"] <= base["handoffs"],
                       unallocated_ok=opt["unallocated"] <= base["unallocated"],
                       max_util_ok=opt["max_utilisation"] <= base["max_utilisation"] + 1e-9,
                       objective_better=opt["objective"] < base["objective"],
                       used_baseline=r.summary["used_baseline"])
            rows += [base, opt]
            if verbose:
                print(pd.DataFrame(rows[-2:]).to_string(index=False), flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0, 4.0])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    table = compare(tuple(args.scales), args.time_limit, args.threads, args.seed, verbose=True)
    print()
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False))
    opt = table[table["method"] == "optimiser"]
    print()
    print("all checks pass" if bool(opt[list(CHECKS)].all().all()) else "some checks FAIL")


if __name__ == "__main__":
    main()
