"""Churn model benchmark on the demo authority (run by hand; prints what it measured).

Targets: training on the demo's 6 years of history in <= 20 s; scoring 1,000 workers in
<= 1 s. Also reports the out-of-time ROC AUC next to the ROC AUC of the generator's true
leaving probabilities on the same test rows (the best any model can do), once with the default
leave reasons (1, 5, 7) and once counting every leave (what the generator's truth describes).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/churn_bench.py [--seed 0] [--scale 1.0]

Timings on a shared 2-core machine are noisy; run twice if a figure is near its target.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from workforce.demo import generate_authority
from workforce.retention.labels import LABEL, label_snapshots, training_rows
from workforce.retention.model import out_of_time_split, score, train


def truth_auc_on_oot(authority, horizon_months: int, reasons: tuple[int, ...]) -> tuple[float, float, int]:
    """ROC AUC of the generator's p_leave_true on the out-of-time test rows, and their base rate."""
    rows = training_rows(label_snapshots(authority.hr_history, horizon_months=horizon_months, reasons=reasons))
    rows = rows.reset_index(drop=True)
    _, test, _ = out_of_time_split(rows, horizon_months)
    test_rows = rows.loc[test].merge(authority.truth, on=["snapshot_date", "worker_id"], how="left")
    if test_rows["p_leave_true"].isna().any():
        raise SystemExit("truth does not cover every test snapshot")
    y = test_rows[LABEL].to_numpy(int)
    return float(roc_auc_score(y, test_rows["p_leave_true"])), float(y.mean()), int(len(y))


def thousand_workers(workers: pd.DataFrame, cases: pd.DataFrame, n: int = 1000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n workers drawn with replacement from the demo's, with fresh IDs, each holding a copy of
    the original worker's children (so caseload features are realistic)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(workers), n)
    sample = workers.iloc[picks].reset_index(drop=True)
    new_ids = [f"B{i:05d}" for i in range(n)]
    held = {wid: part for wid, part in cases.groupby("current_worker_id")}
    copies = []
    for new_id, old_id in zip(new_ids, workers["worker_id"].to_numpy()[picks]):
        part = held.get(old_id)
        if part is not None:
            copies.append(part.assign(case_id=part["case_id"] + "_" + new_id, family_id=part["family_id"] + "_" + new_id,
                                      current_worker_id=new_id))
    sample["worker_id"] = new_ids
    return sample, pd.concat(copies, ignore_index=True)


def measure(seed: int = 0, scale: float = 1.0, verbose: bool = True) -> dict:
    """Train (twice: default and every leave reason) and score on the demo authority; print as it
    goes when `verbose`; return the figures for the default reasons."""
    say = print if verbose else (lambda *a, **k: None)
    t0 = time.perf_counter()
    authority = generate_authority(seed=seed, scale=scale)
    h = authority.hr_history
    say(f"demo authority seed {seed} scale {scale}: generated in {time.perf_counter() - t0:.1f} s; "
        f"hr_history {len(h)} rows, {h['snapshot_date'].nunique()} snapshots, {h['worker_id'].nunique()} workers; "
        f"workers {len(authority.workers)}, cases {len(authority.cases)}")

    figures: dict = {}
    for label, reasons in (("default reasons 1,5,7", (1, 5, 7)), ("every leave reason", tuple(range(1, 11)))):
        t0 = time.perf_counter()
        model, _ = train(h, seed=seed, leave_reasons=reasons)
        seconds = time.perf_counter() - t0
        card = model.card
        oot = card["out_of_time"]
        truth_auc, base, n = truth_auc_on_oot(authority, 12, reasons)
        cv = card["cross_validated"]["roc_auc"]
        say(f"\n[{label}] train {seconds:.1f} s (target <= 20 s) on {card['rows']['training']} uncensored snapshots, "
            f"base rate {card['base_rate']:.3f}")
        for name, m in card["selection"]["candidates"].items():
            say(f"  CV {name:<16} ROC AUC {m['roc_auc']['mean']:.3f} ± {m['roc_auc']['sd']:.3f}  "
                f"PR AUC {m['pr_auc']['mean']:.3f}  Brier {m['brier']['mean']:.4f}")
        say(f"  selected {card['selection']['selected']} (CV ROC AUC {cv['mean']:.3f})")
        if oot.get("available"):
            say(f"  out-of-time test year to {oot['test_year_end_date']} ({oot['test_rows']} rows, base rate {base:.3f}): "
                f"model ROC AUC {oot['roc_auc']:.3f} vs truth ROC AUC {truth_auc:.3f} (Brier {oot['brier']:.4f})")
        else:
            say("  out-of-time validation not available")
        if not figures:
            figures = {"train_seconds": seconds, "selected": card["selection"]["selected"], "cv_auc": cv["mean"],
                       "oot_auc": oot.get("roc_auc"), "truth_auc": truth_auc}

    model, _ = train(h, seed=seed)
    workers, cases = thousand_workers(authority.workers, authority.cases)
    score(model, workers, cases, as_of=authority.as_of)  # warm-up (imports, caches)
    t0 = time.perf_counter()
    risk = score(model, workers, cases, as_of=authority.as_of)
    seconds = time.perf_counter() - t0
    say(f"\nscore {len(risk)} workers holding {len(cases)} children (features from cases, drivers): "
        f"{seconds:.2f} s (target <= 1 s); "
        f"bands {risk['band'].value_counts().to_dict()}")
    figures["score_1000_seconds"] = seconds
    return figures


def measure_ibm(path, verbose: bool = True) -> dict:
    """`workforce churn evaluate` on the IBM table: 5 folds x 3 repeats, selected ROC AUC."""
    from workforce.retention.flat import FlatOptions, evaluate_table, read_flat

    t0 = time.perf_counter()
    report = evaluate_table(read_flat(path), FlatOptions(target="Attrition", positive="Yes"))
    seconds = time.perf_counter() - t0
    selected = report["selected"]
    auc = selected["roc_auc"]
    figures = {"selected": selected.get("name"), "auc_mean": auc["mean"], "auc_sd": auc["sd"], "seconds": seconds,
               "candidates": {k: v["roc_auc"]["mean"] for k, v in report["candidates"].items()}}
    if verbose:
        print(f"IBM HR attrition: selected {figures['selected']} ROC AUC {auc['mean']:.3f} ± {auc['sd']:.3f} "
              f"(candidates {figures['candidates']}) in {seconds:.1f} s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    measure(args.seed, args.scale)


if __name__ == "__main__":
    main()
