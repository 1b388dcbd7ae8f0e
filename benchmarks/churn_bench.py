"""Churn benchmarks (run by hand; prints what it measured).

1. Demo authority: training the time-to-event model (5 folds x 3 repeats) in <= 20 s; each
   candidate's cross-validated concordance, 12-month AUC and integrated Brier score; the
   out-of-time ROC AUC (any reason) next to the ROC AUC of the generator's true leaving
   probabilities on the same test rows (the best any model can do), and by reason; scoring
   1,000 workers (register with levers, plus 12 quarters of hazards) in <= 1 s.
2. IBM HR attrition table (`../shared/data/ibm_hr_attrition.csv`): the yes/no selection,
   5 folds x 3 repeats, ROC AUC and Brier score of the selected model (target >= 0.84).
3. Employee-turnover tenure table (E. Babushkin; provenance in `benchmarks/data/README.md`):
   the hazard candidates selected on part of the people and scored on the rest, over several
   random hold-outs of people; concordance and 12-month AUC of the selected model against the
   plain logistic hazard (the discrete-time Cox model) and the survival forest (targets:
   concordance >= 0.63, AUC >= 0.65); how many rows repeat another. Seeds: develop on hold-outs
   0-49 only (`--first-seed 0`); judge a settled change once on hold-outs never used for a
   choice and report what they say. The default, 200-209, judged the continuous-feature splines
   (200-204 had been looked at once before); 100-104, the earlier default, has been looked at
   many times (`--first-seed 100 --holdouts 5`). `--split rows` holds out rows instead (leaky, for comparison with
   published figures on this table; never the judged protocol).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/churn_bench.py [--seed 0] [--scale 1.0]
        [--tenure PATH] [--holdouts 10] [--first-seed 200] [--split person|rows] [--skip demo,ibm,tenure]

Timings on a shared 2-core machine are noisy; run twice if a figure is near its target.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from workforce.demo import generate_authority
from workforce.retention.labels import LABEL, add_months, label_snapshots, training_rows
from workforce.retention.model import predict_hazards, score, train

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TENURE_SHA256 = "7543d63419338fd7eeb246c518c8a13f8d25ca33392fbd6e103180d182a40564"
TENURE_CANDIDATES = (SHARED / "data" / "employee_turnover" / "turnover.csv", REPO / "benchmarks" / "data" / "turnover.csv")
# Rows identical in everything but the personality scores describe the same person (same tenure
# to the day, same age, firm and route): they are kept together on one side of every split.
FIRST_HOLDOUT_SEED = 200  # the hold-outs that judged the last change; development uses seeds 0-49 (docstring)
HOLDOUTS = 10  # hold-outs of about 230 people: five were too few to judge a bar 0.01 away
TENURE_PERSON = ["stag", "event", "gender", "age", "industry", "profession", "traffic", "coach", "head_gender",
                 "greywage", "way"]


def truth_auc_on_oot(authority, horizon_months: int = 12) -> tuple[float, float, int]:
    """ROC AUC of the generator's p_leave_true (any reason) on the out-of-time test rows
    (snapshots in the last complete year, as `train` picks them), their base rate and count."""
    rows = training_rows(label_snapshots(authority.hr_history, horizon_months=horizon_months)).reset_index(drop=True)
    last = rows["snapshot_date"].max()
    test = rows.loc[rows["snapshot_date"] > add_months(last, -12)]
    test = test.merge(authority.truth, on=["snapshot_date", "worker_id"], how="left")
    if test["p_leave_true"].isna().any():
        raise SystemExit("truth does not cover every test snapshot")
    y = test[LABEL].to_numpy(int)
    return float(roc_auc_score(y, test["p_leave_true"])), float(y.mean()), int(len(y))


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
    """Train and score on the demo authority; print as it goes when `verbose`; return the
    headline figures."""
    say = print if verbose else (lambda *a, **k: None)
    t0 = time.perf_counter()
    authority = generate_authority(seed=seed, scale=scale)
    h = authority.hr_history
    say(f"demo authority seed {seed} scale {scale}: generated in {time.perf_counter() - t0:.1f} s; "
        f"hr_history {len(h)} rows, {h['snapshot_date'].nunique()} snapshots, {h['worker_id'].nunique()} workers; "
        f"workers {len(authority.workers)}, cases {len(authority.cases)}")

    t0, c0 = time.perf_counter(), time.process_time()
    model, _ = train(h, seed=seed)
    train_seconds, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    card = model.card
    rows = card["rows"]
    say(f"\ntrain {train_seconds:.1f} s wall, {train_cpu:.1f} s CPU (target <= 20 s): {rows['snapshots_used']} snapshots, {rows['person_quarters']} "
        f"person-quarters, leavers {rows['leavers_by_reason']}")
    for name, m in card["selection"]["candidates"].items():
        mark = " <- selected" if name == card["selection"]["selected"] else (
            " (plain baseline)" if name == card["selection"]["plain_baseline"] else "")
        say(f"  CV {name:<24} concordance {m['c_index']['mean']:.3f} ± {m['c_index']['sd']:.3f}  "
            f"AUC 12m {m['auc_horizon']['mean']:.3f} ± {m['auc_horizon']['sd']:.3f}  "
            f"IBS {m['ibs']['mean']:.4f} ± {m['ibs']['sd']:.4f}{mark}")
    say(f"  {card['selection']['rule']}")
    reliability = pd.DataFrame.from_dict(card["reliability"], orient="index")
    say("  reliability of the 12-month probability (out of fold): "
        + ", ".join(f"{r.mean_predicted:.2f}->{r.observed_rate:.2f}" for r in reliability.itertuples()))
    oot = card["out_of_time"]
    truth_auc, base, n = truth_auc_on_oot(authority)
    if oot.get("available"):
        say(f"  out-of-time test year to {oot['test_year_end_date']} ({oot['test_rows']} rows, base rate {base:.3f}): "
            f"ROC AUC {oot['roc_auc']:.3f} vs truth ROC AUC {truth_auc:.3f} (Brier {oot['brier']:.4f}); "
            f"{oot['observed_leavers']} left, {oot['expected_leavers']:.1f} expected")
        for reason, m in oot["by_reason"].items():
            say(f"    {reason:<10} ROC AUC {m['roc_auc']:.3f}, {m['observed_leavers']} left, {m['expected_leavers']:.1f} expected")
    else:
        say(f"  out-of-time validation not available: {oot.get('reason')}")
    figures = {"train_seconds": train_seconds, "train_cpu_seconds": train_cpu, "selected": card["selection"]["selected"],
               "cv_c_index": card["cross_validated"]["c_index"]["mean"],
               "cv_auc": card["cross_validated"]["auc_horizon"]["mean"],
               "oot_auc": oot.get("roc_auc"), "truth_auc": truth_auc, "oot_by_reason": oot.get("by_reason")}

    workers, cases = thousand_workers(authority.workers, authority.cases)
    score(model, workers.iloc[:50], cases, as_of=authority.as_of)  # warm-up (imports, caches)
    t0, c0 = time.perf_counter(), time.process_time()
    risk = score(model, workers, cases, as_of=authority.as_of)
    hazards = predict_hazards(model, workers, cases, as_of=authority.as_of)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    say(f"\nscore {len(risk)} workers holding {len(cases)} children (register with levers and context, and "
        f"{len(hazards)} hazard rows): {seconds:.2f} s wall, {cpu:.2f} s CPU (target <= 1 s); "
        f"flight-risk bands {risk['band'].value_counts().to_dict()}")
    figures["score_1000_seconds"] = seconds
    figures["score_1000_cpu_seconds"] = cpu
    return figures


def measure_ibm(path, verbose: bool = True) -> dict:
    """`workforce churn evaluate` on the IBM table: 5 folds x 3 repeats, selected ROC AUC and Brier."""
    from workforce.retention.flat import FlatOptions, evaluate_table, read_flat

    t0 = time.perf_counter()
    report = evaluate_table(read_flat(path), FlatOptions(target="Attrition", positive="Yes"))
    seconds = time.perf_counter() - t0
    selected = report["selected"]
    auc, brier = selected["roc_auc"], selected["brier"]
    figures = {"selected": selected.get("name"), "auc_mean": auc["mean"], "auc_sd": auc["sd"],
               "brier_mean": brier["mean"], "brier_sd": brier["sd"], "seconds": seconds,
               "candidates": {k: round(v["roc_auc"]["mean"], 4) for k, v in report["candidates"].items()}}
    if verbose:
        print(f"IBM HR attrition: selected {figures['selected']} ROC AUC {auc['mean']:.3f} ± {auc['sd']:.3f}, "
              f"Brier {brier['mean']:.4f} ± {brier['sd']:.4f} (candidates {figures['candidates']}; "
              f"levels one-hot: {', '.join(report['data']['levels'])}) in {seconds:.1f} s")
    return figures


def find_tenure_table(path: str | None = None) -> Path | None:
    """The employee-turnover table: the path given, else the first of TENURE_CANDIDATES found."""
    for candidate in ([Path(path)] if path else list(TENURE_CANDIDATES)):
        if candidate.is_file():
            return candidate
    return None


def duplicate_rows(frame: pd.DataFrame) -> dict[str, int]:
    """How far the tenure table is from one row per person, counted from the data: exact
    duplicates; rows (exact duplicates dropped) that repeat another in everything but the
    personality scores (the person key `TENURE_PERSON`, by which hold-outs are grouped); and rows
    that repeat another in everything but `stag` and `event` (same person, firm, route and
    personality scores, another tenure; `person_ids` links them too)."""
    distinct = frame.drop_duplicates()
    apart_from_tenure = [c for c in distinct.columns if c not in ("stag", "event")]
    return {"rows": int(len(frame)), "exact_duplicates": int(frame.duplicated().sum()),
            "same_person_key": int(distinct.duplicated(TENURE_PERSON).sum()),
            "people": int(len(distinct.drop_duplicates(TENURE_PERSON))),
            "same_apart_from_tenure": int(distinct.duplicated(apart_from_tenure).sum()),
            "in_groups_apart_from_tenure": int(distinct.duplicated(apart_from_tenure, keep=False).sum())}


def person_ids(frame: pd.DataFrame) -> pd.Series:
    """One id per person: rows are linked when they share the person key `TENURE_PERSON` or
    repeat each other in everything but `stag` and `event` (the same person's answers, another
    tenure), and every row linked to another, directly or through others, gets its id. Hold-outs
    grouped by it keep each person's rows on one side."""
    apart_from_tenure = [c for c in frame.columns if c not in ("stag", "event")]
    keys = [frame[cols].astype(str).agg("|".join, axis=1) for cols in (TENURE_PERSON, apart_from_tenure)]
    ids = pd.Series(np.arange(len(frame)), index=frame.index)
    while True:  # each row takes the least id of its groups until nothing changes
        new = ids
        for key in keys:
            new = new.groupby(key).transform("min")
        if new.equals(ids):
            return ids.map("p{}".format)
        ids = new


TENURE_SHOWN = ("logistic_hazard", "survival_forest")  # beside the selected model, on every hold-out
SPLITS = {"person": "person-grouped hold-outs (the protocol the bar is judged on)",
          "rows": "row-level hold-outs, LEAKY: copies of one person may sit on both sides of a split"}


def measure_tenure(path, holdouts: int = HOLDOUTS, n_splits: int = 5, n_repeats: int = 3, verbose: bool = True,
                   split: str = "person", first_seed: int = FIRST_HOLDOUT_SEED) -> dict:
    """Hazard candidates on the tenure table, selected by grouped CV on 75% of the people and
    scored on the other 25%, for `holdouts` different random hold-outs (seeds from
    `first_seed`); the selected model, the plain logistic hazard and the survival forest are
    scored on each. `split="rows"` splits rows instead, in the hold-outs and in the CV (near-
    duplicate rows of one person may then sit on both sides, as in most published figures for
    this table): a leaky comparison, never the one the target is judged on."""
    from workforce.retention.flat import FlatOptions, evaluate_table, read_flat

    if split not in SPLITS:
        raise SystemExit(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    say = print if verbose else (lambda *a, **k: None)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest != TENURE_SHA256:
        say(f"warning: {path} has SHA-256 {digest}, not the documented {TENURE_SHA256}")
    frame = read_flat(path)
    dups = duplicate_rows(frame)
    frame["person"] = person_ids(frame)
    say(f"tenure table {path}: {dups['rows']} rows; {dups['exact_duplicates']} exact duplicates (dropped); of the "
        f"rest, {dups['same_person_key']} repeat another row in everything but the personality scores (one person: "
        f"{dups['people']} people), and {dups['same_apart_from_tenure']} repeat another in everything but "
        f"stag/event ({dups['in_groups_apart_from_tenure']} rows in such groups; linked too): "
        f"{frame['person'].nunique()} people")
    say(f"  {SPLITS[split]}")
    models = ("selected", *TENURE_SHOWN)
    runs = []
    t0 = time.perf_counter()
    for seed in range(first_seed, first_seed + holdouts):
        report = evaluate_table(frame, FlatOptions(duration="stag", event="event", horizon=12, holdout=0.25,
                                                   group_col="person" if split == "person" else None, drop=["person"],
                                                   seed=seed, n_splits=n_splits, n_repeats=n_repeats,
                                                   also_held_out=TENURE_SHOWN))
        held, selected = report["held_out"], report["selected"]["name"]
        run = {"seed": seed, "selected": selected, "cv_c_index": report["selected"]["c_index"]["mean"],
               "cv_auc": report["selected"]["auc_horizon"]["mean"], "held_rows": held["rows"]}
        for label, name in zip(models, (selected, *TENURE_SHOWN)):
            run[f"{label}_c_index"], run[f"{label}_auc"] = held[name]["c_index"], held[name]["auc_horizon"]
        runs.append(run)
        say(f"  hold-out {seed}: {run['held_rows']} rows; selected {selected} (CV concordance {run['cv_c_index']:.3f}, "
            f"AUC {run['cv_auc']:.3f}); held out, concordance / AUC 12m: "
            + "; ".join(f"{label} {run[f'{label}_c_index']:.3f} / {run[f'{label}_auc']:.3f}" for label in models))
    table = pd.DataFrame(runs)
    keys = [f"{label}_{m}" for label in models for m in ("c_index", "auc")]
    figures = {"runs": runs, "seconds": time.perf_counter() - t0,
               **{f"{k}_mean": float(table[k].mean()) for k in keys},
               **{f"{k}_sd": float(table[k].std(ddof=1)) if len(table) > 1 else 0.0 for k in keys},
               "selected": table["selected"].value_counts().to_dict(), "rows": int(len(frame)), "sha256": digest,
               "split_by": split, "seeds": f"{first_seed}-{first_seed + holdouts - 1}", "duplicates": dups,
               "persons": int(frame["person"].nunique()), "seconds_per_holdout": (time.perf_counter() - t0) / holdouts}
    say(f"over {holdouts} {SPLITS[split]} (seeds {figures['seeds']}; selected {figures['selected']}), held out, "
        f"mean ± sd ({figures['seconds']:.0f} s):")
    for label, name in zip(models, ("selected model", "plain logistic hazard (discrete-time Cox)", "survival forest")):
        say(f"  {name:<42} concordance {figures[f'{label}_c_index_mean']:.3f} ± {figures[f'{label}_c_index_sd']:.3f}, "
            f"AUC 12m {figures[f'{label}_auc_mean']:.3f} ± {figures[f'{label}_auc_sd']:.3f}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--tenure", default=None, help="employee-turnover CSV (default: look in ../shared/data and benchmarks/data)")
    parser.add_argument("--holdouts", type=int, default=HOLDOUTS)
    parser.add_argument("--first-seed", type=int, default=FIRST_HOLDOUT_SEED, help="tenure table: first hold-out seed")
    parser.add_argument("--split", choices=sorted(SPLITS), default="person",
                        help="tenure table: hold out people (default, the protocol the target is judged on) or rows "
                             "(leaky: for comparison with published figures)")
    parser.add_argument("--skip", default="", help="comma list of: demo, ibm, tenure")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if "demo" not in skip:
        measure(args.seed, args.scale)
    if "ibm" not in skip:
        ibm = SHARED / "data" / "ibm_hr_attrition.csv"
        print()
        if ibm.is_file():
            measure_ibm(ibm)
        else:
            print(f"IBM table: skipped, {ibm} not found")
    if "tenure" not in skip:
        print()
        path = find_tenure_table(args.tenure)
        if path is None:
            print("tenure table: skipped, not found (see benchmarks/data/README.md for where to get it)")
        else:
            measure_tenure(path, args.holdouts, split=args.split, first_seed=args.first_seed)


if __name__ == "__main__":
    main()
