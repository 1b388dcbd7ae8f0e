"""CLI commands: `workforce churn train|score|evaluate|audit|import-csww`.

Thin over `workforce.retention`; heavy imports happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from workforce.cli.census import run_import
from workforce.cli.common import Dates, dates_option, err, force_option, guarded, info

churn_app = typer.Typer(
    name="churn",
    help="Predict leavers: train on HR history, score workers, audit fairness, evaluate any table.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the `churn` command group to the app."""
    app.add_typer(churn_app, name="churn")


def _reasons(text: str) -> tuple[int, ...]:
    from workforce.errors import InputError

    try:
        codes = tuple(int(part) for part in text.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise InputError(f"--leave-reasons must be CSWW ReasonLeave codes 1-10 separated by commas, got '{text}'") from None
    if not codes or any(not 1 <= c <= 10 for c in codes):
        raise InputError(f"--leave-reasons must be CSWW ReasonLeave codes 1-10, got '{text}'")
    return codes


def _write_csv(frame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format="%.6g")


def _print_candidates(candidates: dict, selected: str) -> None:
    info(f"{'candidate':<18} {'ROC AUC':>15} {'PR AUC':>15} {'Brier':>15}")
    for name, m in candidates.items():
        mark = " <- selected" if name == selected else ""
        cols = " ".join(f"{m[k]['mean']:>7.3f} ± {m[k]['sd']:.3f}" for k in ("roc_auc", "pr_auc", "brier"))
        extra = f"  C-index {m['c_index']['mean']:.3f} ± {m['c_index']['sd']:.3f}" if "c_index" in m else ""
        info(f"{name:<18} {cols}{extra}{mark}")


@churn_app.command("train")
@guarded
def train(
    history: Path = typer.Option(..., "--history", help="hr_history table (CSV, or XLSX with an hr_history sheet)."),
    out: Path = typer.Option(..., "--out", help="Model folder to create, e.g. models/authority."),
    horizon_months: int = typer.Option(12, "--horizon-months", min=1, max=60, help="Predict leaving within this many months."),
    seed: int = typer.Option(0, "--seed", help="Random seed for folds and models."),
    use_protected: bool = typer.Option(False, "--use-protected", help="Also use gender, age band, ethnicity and disability as features (not recommended)."),
    leave_reasons: str = typer.Option("1,5,7", "--leave-reasons", help="CSWW ReasonLeave codes that count as leaving (default resignation, retired, moved)."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Cross-validation repeats (new shuffle each)."),
    low: float = typer.Option(0.15, "--low", help="Risk below this is Low."),
    high: float = typer.Option(0.30, "--high", help="Risk at or above this is High."),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Train, calibrate, validate out of time and audit a churn model on hr_history."""
    from workforce.contracts import load_hr_history
    from workforce.outputs import OutputDir
    from workforce.retention.model import band, train as fit
    from workforce.retention.persistence import CARD_FILE, save_model

    band([0.5], (low, high))  # validates the thresholds before any work
    if use_protected:
        err("warning: --use-protected: gender, age band, ethnicity and disability are model features. "
            "Predictions may then differ by protected characteristic by design; check the fairness audit "
            "and your Equality Act duties before using them.")
    frame = load_hr_history(history)
    model, fairness_table = fit(
        frame, horizon_months=horizon_months, leave_reasons=_reasons(leave_reasons), seed=seed,
        use_protected=use_protected, n_splits=folds, n_repeats=repeats, bands=(low, high),
    )
    card = model.card
    with OutputDir(out, inputs=[history], force=force) as od:
        save_model(model, od.path(CARD_FILE).parent)
        _write_csv(fairness_table, od.path("fairness.csv"))
    rows = card["rows"]
    info(f"history: {rows['history']} rows; {rows['in_post_snapshots']} in-post snapshots, {rows['censored']} censored "
         f"(less than {horizon_months} months of follow-up), {rows['training']} used ({rows['workers']} workers, "
         f"{rows['leavers']} left; base rate {card['base_rate']:.3f})")
    info(f"features: {', '.join(card['features']['numeric'] + card['features']['categorical'])}")
    _print_candidates(card["selection"]["candidates"], card["selection"]["selected"])
    oot = card["out_of_time"]
    if oot.get("available"):
        info(f"out of time (train to {oot['train_until_date']}, test year to {oot['test_year_end_date']}, "
             f"{oot['test_rows']} rows): ROC AUC {oot['roc_auc']:.3f}, PR AUC {oot['pr_auc']:.3f}, Brier {oot['brier']:.3f}")
    else:
        info("out of time: not available (needs earlier years with leavers and a test year with both outcomes)")
    flags = card["fairness"]["flags"]
    info(f"fairness: {card['fairness']['groups_shown']} groups shown, {card['fairness']['groups_suppressed']} suppressed (<10 people); "
         + (f"{len(flags)} flag(s): " + "; ".join(flags) if flags else "no flags"))
    info(f"wrote {out}/model.joblib, {out}/{CARD_FILE}, {out}/fairness.csv")


@churn_app.command("score")
@guarded
def score(
    model_dir: Path = typer.Option(..., "--model", help="Model folder written by `workforce churn train`."),
    workers: Path = typer.Option(..., "--workers", help="workers table."),
    cases: Optional[Path] = typer.Option(None, "--cases", help="cases table (for caseload features)."),
    out: Path = typer.Option(Path("risk.csv"), "--out", help="Risk table CSV; team aggregates go beside it (…_teams.csv) and an Excel register (.xlsx)."),
    history: Optional[Path] = typer.Option(None, "--history", help="hr_history for up-to-date team turnover (default: the model's training history)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date to score at, YYYY-MM-DD (default today, or the latest start date if later)."),
    low: Optional[float] = typer.Option(None, "--low", help="Override the model's Low/Medium threshold."),
    high: Optional[float] = typer.Option(None, "--high", help="Override the model's Medium/High threshold."),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Probability of leaving within the horizon per worker, a band and three what-if drivers."""
    import pandas as pd

    from workforce.contracts import load_cases, load_hr_history, load_workers
    from workforce.errors import InputError
    from workforce.excel.workbooks import write_risk_register
    from workforce.outputs import OutputDir
    from workforce.retention.model import score as score_workers, team_risk
    from workforce.retention.persistence import load_model
    from workforce.readers import parse_date

    model = load_model(model_dir)
    w = load_workers(workers)
    c = load_cases(cases, w) if cases is not None else None
    h = load_hr_history(history) if history is not None else None
    try:
        date = pd.Timestamp(parse_date(as_of)) if as_of else None
    except ValueError as exc:
        raise InputError(f"--as-of: {exc}", column="--as-of") from None
    from workforce.retention.model import default_as_of

    date = date if date is not None else default_as_of(w, c)
    info(f"scoring as of {date.date()}" + ("" if as_of else " (the latest start or allocation date in the data; --as-of to change)"))
    if model.known_to is not None and h is None and date > model.known_to + pd.DateOffset(months=15):
        info(f"note: the model's history ends {model.known_to.date()}; team turnover is unknown this long after it "
             "(pass --history with recent leavers)")
    bands = (low if low is not None else model.bands[0], high if high is not None else model.bands[1])
    risk = score_workers(model, w, c, as_of=date, history=h, bands=bands)
    teams = team_risk(risk)
    out = Path(out)
    teams_path = out.with_name(out.stem + "_teams.csv")
    xlsx_path = out.with_suffix(".xlsx")
    inputs = [p for p in (workers, cases, history) if p is not None]
    fairness_csv = Path(model_dir) / "fairness.csv"
    fairness_table = pd.read_csv(fairness_csv) if fairness_csv.is_file() else None
    # The three files appear together or not at all.
    with OutputDir(out.parent, inputs=inputs, force=force, beside_inputs=True) as od:
        _write_csv(risk, od.path(out.name))
        _write_csv(teams, od.path(teams_path.name))
        write_risk_register(od.path(xlsx_path.name), risk=risk, team_risk=teams, fairness=fairness_table,
                            card=model.card, inputs=inputs)
    counts = risk["band"].value_counts()
    info(f"scored {len(risk)} workers: " + ", ".join(f"{b} {int(counts.get(b, 0))}" for b in ("High", "Medium", "Low"))
         + f"; expected leavers within {model.horizon_months} months {risk['p_leave'].sum():.1f}")
    info(f"wrote {out}, {teams_path} (teams under 5 people combined per locality) and {xlsx_path}")


@churn_app.command("evaluate")
@guarded
def evaluate(
    data: Path = typer.Option(..., "--data", help="Flat table: CSV (UTF-8 or Windows-1252) or XLSX (first sheet)."),
    target: Optional[str] = typer.Option(None, "--target", help="Column saying whether the person left."),
    positive: Optional[str] = typer.Option(None, "--positive", help="Target value that means leaving (default yes/true/1)."),
    id_col: Optional[str] = typer.Option(None, "--id", help="Person ID column (excluded; groups folds when repeated)."),
    group: Optional[str] = typer.Option(None, "--group", help="Column grouping rows that must stay in one fold."),
    drop: List[str] = typer.Option([], "--drop", help="Column to leave out (repeatable)."),
    protected: List[str] = typer.Option([], "--protected", help="Protected column: audit only, never a feature (repeatable)."),
    keep: List[str] = typer.Option([], "--keep", help="Keep a column flagged as leakage, constant or ID-like (repeatable)."),
    duration: Optional[str] = typer.Option(None, "--duration", help="Time-to-event: follow-up duration column."),
    event: Optional[str] = typer.Option(None, "--event", help="Time-to-event: did the person leave (yes/no, 1/0)."),
    horizon: Optional[float] = typer.Option(None, "--horizon", help="Time-to-event: horizon in the duration's unit."),
    seed: int = typer.Option(0, "--seed"),
    folds: int = typer.Option(5, "--folds", min=2),
    repeats: int = typer.Option(3, "--repeats", min=1),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the report as JSON here."),
    force: bool = force_option(),
) -> None:
    """Run the churn model selection on any table and report ROC AUC, PR AUC and Brier score."""
    from workforce.outputs import output_file
    from workforce.retention.flat import FlatOptions, evaluate_table, read_flat
    from workforce.retention.persistence import card_json

    frame = read_flat(data)
    options = FlatOptions(
        target=target, positive=positive, id_col=id_col, group_col=group, drop=drop, protected=protected,
        keep=keep, duration=duration, event=event, horizon=horizon, seed=seed, n_splits=folds, n_repeats=repeats,
    )
    result = evaluate_table(frame, options)
    d = result["data"]
    info(f"{data}: {d['rows_used']} rows used of {d['rows_read']}; {d['positives']} positive (base rate {d['base_rate']:.3f}); "
         f"{len(d['numeric'])} numeric and {len(d['categorical'])} categorical features")
    for message in result["messages"]:
        info(f"  {message}")
    info(f"{result['cv']['method']}, {folds} folds x {repeats} repeats, seed {seed}")
    _print_candidates(result["candidates"], result["selected"]["name"])
    s = result["selected"]
    info(f"selected: {s['name']} (ROC AUC {s['roc_auc']['mean']:.3f} ± {s['roc_auc']['sd']:.3f})")
    for row in result.get("fairness", []):
        if row.get("flag"):
            info(f"  fairness flag: {row['characteristic']}={row['group']}: {row['flag']}")
    if report is not None:
        with output_file(report, inputs=[data], force=force) as path:
            path.write_text(card_json(result), encoding="utf-8")
        info(f"wrote {report}")


@churn_app.command("audit")
@guarded
def audit(
    model_dir: Path = typer.Option(..., "--model", help="Model folder written by `workforce churn train`."),
    history: Optional[Path] = typer.Option(None, "--history", help="hr_history with outcomes: full audit (observed rate, AUC, calibration)."),
    scored: Optional[Path] = typer.Option(None, "--scored", help="Or a risk table from `churn score` ..."),
    workers: Optional[Path] = typer.Option(None, "--workers", help="... with the workers table holding the protected columns."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the audit table as CSV here."),
    min_group: int = typer.Option(10, "--min-group", min=1, metavar="N", help="Suppress groups with fewer people than this."),
    calibration_threshold: float = typer.Option(0.05, "--calibration-threshold"),
    gap_threshold: float = typer.Option(0.05, "--gap-threshold"),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Fairness audit per protected characteristic (groups under 10 people suppressed)."""
    from workforce.contracts import load_hr_history, load_risk, load_workers
    from workforce.errors import InputError
    from workforce.outputs import output_file
    from workforce.retention import fairness
    from workforce.retention.features import history_features
    from workforce.retention.labels import LABEL, label_snapshots, training_rows
    from workforce.retention.persistence import load_model

    model = load_model(model_dir)
    thresholds = dict(min_group=min_group, calibration_threshold=calibration_threshold, gap_threshold=gap_threshold)
    if history is not None:
        h = load_hr_history(history)
        rows = training_rows(label_snapshots(h, horizon_months=model.horizon_months, reasons=model.leave_reasons))
        if rows.empty:
            raise InputError("no snapshot with full follow-up to audit", file=history)
        features = history_features(h, use_protected=model.use_protected).loc[rows.index]
        frame = rows.assign(p_leave=model.predict(features))
        table = fairness.audit(frame, p_col="p_leave", y_col=LABEL, **thresholds)
        info(f"audited {len(frame)} snapshots with outcomes (note: in-sample if this is the training history)")
    elif scored is not None and workers is not None:
        risk = load_risk(scored)
        w = load_workers(workers)
        frame = risk[["worker_id", "p_leave"]].merge(w.drop(columns=["team", "locality"], errors="ignore"), on="worker_id", how="left")
        table = fairness.audit(frame, p_col="p_leave", y_col=None, **thresholds)
        info(f"audited {len(frame)} scored workers (no outcomes: risk gaps only)")
    else:
        raise InputError("give --history, or --scored together with --workers")
    if table.empty:
        info("no protected columns (gender, age_band, ethnicity, disability) in the data: nothing to audit")
    else:
        info(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-"))
    if out is not None:
        with output_file(out, inputs=[p for p in (history, scored, workers) if p is not None], force=force) as path:
            _write_csv(table, path)
        info(f"wrote {out}")


@churn_app.command("import-csww")
@guarded
def import_csww(
    files: List[Path] = typer.Argument(..., help="CSWW census return XML files (one per year)."),
    out: Path = typer.Option(..., "--out", help="hr_history CSV to write."),
    salt: Optional[str] = typer.Option(None, "--salt", envvar="WORKFORCE_CSWW_SALT", help="Secret salt for pseudonymous IDs (keep it to match IDs across imports)."),
    force: bool = force_option(),
) -> None:
    """Stack DfE CSWW census returns into an hr_history table (same as `workforce census import`)."""
    run_import(files, out, salt, force=force)
