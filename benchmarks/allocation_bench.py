"""Optimiser against the manager's baseline on the demo authority at 1x, 2x and 4x scale.

Run by hand (timings are noisy on a shared machine):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/allocation_bench.py [--scales 1 2 4] [--time-limit 30]

Prints, per scale and mode: handoffs, unallocated children, highest utilisation, workers over the
soft cap, objective (and the optimiser's proven bound and gap), seconds; then `new` mode for 50
new families end to end.
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


def main() -> None:
    from workforce.allocation import AllocationConfig, allocate, baseline_allocate
    from workforce.demo import generate_authority

    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0, 4.0])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    cfg = AllocationConfig(threads=args.threads)
    rows = []
    for scale in args.scales:
        a = generate_authority(seed=args.seed, scale=scale)
        print(f"scale {scale}: {len(a.workers)} workers, {len(a.cases)} children, "
              f"{a.cases['family_id'].nunique()} families", flush=True)
        for mode in ("rebalance", "new"):
            cases = a.cases if mode == "rebalance" else _fifty_new_families(a.cases, args.seed)
            rows.append(_row("baseline", scale, mode, baseline_allocate(a.workers, cases, mode=mode, config=cfg)))
            t = time.perf_counter()
            r = allocate(a.workers, cases, mode=mode, config=cfg, time_limit=args.time_limit)
            row = _row("optimiser", scale, mode, r)
            row["seconds"] = round(time.perf_counter() - t, 2)  # end to end, including building
            rows.append(row)
            print(pd.DataFrame(rows[-2:]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False))
    opt = table[table["method"] == "optimiser"].set_index(["scale", "mode"])
    base = table[table["method"] == "baseline"].set_index(["scale", "mode"])
    checks = pd.DataFrame({
        "handoffs_ok": opt["handoffs"] <= base["handoffs"],
        "unallocated_ok": opt["unallocated"] <= base["unallocated"],
        "max_util_ok": opt["max_utilisation"] <= base["max_utilisation"] + 1e-9,
        "objective_better": opt["objective"] < base["objective"],
    })
    print()
    print(checks.to_string())


if __name__ == "__main__":
    main()
