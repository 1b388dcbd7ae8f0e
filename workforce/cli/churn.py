"""CLI commands: `workforce churn train|score|evaluate|audit|import-csww`.

Thin over `workforce.retention`; heavy imports happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from workforce.cli.census import PROBLEMS_HELP, SALT_HELP, STRICT_HELP, run_import
from workforce.cli.common import Dates, dates_option, err, force_option, guarded, info
from workforce.errors import InputError
from workforce.retention.disclosure import MIN_GROUP

churn_app = typer.Typer(
    name="churn",
    help="Predict leavers: train on HR history, score workers, audit fairness, evaluate any table.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the `churn` command group to the app."""
    app.add_typer(churn_app, name="churn")


def _write_csv(frame, path: Path) -> None:
    from workforce.contracts import CHANCE_DIGITS
    from workforce.csvcells import write_csv

    write_csv(frame, path, index=False, float_format=f"%.{CHANCE_DIGITS}g")


def _fmt(value) -> str:
    """A metric to 3 decimals, "n/a" when it cannot be computed (e.g. no leaver of a reason)."""
    return "n/a" if value is None or value != value else f"{value:.3f}"


def _candidate_lines(candidates: dict, selected: str) -> list[str]:
    lines = [f"{'candidate':<18} {'ROC AUC':>15} {'PR AUC':>15} {'Brier':>15}"]
    for name, m in candidates.items():
        mark = " <- selected" if name == selected else ""
        cols = " ".join(f"{m[k]['mean']:>7.3f} ± {m[k]['sd']:.3f}" for k in ("roc_auc", "pr_auc", "brier"))
        lines.append(f"{name:<18} {cols}{mark}")
    return lines


def _hazard_candidate_lines(candidates: dict, selected: str, horizon: str, baseline: str | None = None) -> list[str]:
    lines = [f"{'candidate':<24} {'concordance':>15} {'AUC at ' + horizon:>17} {'integrated Brier':>17}"]
    for name, m in candidates.items():
        mark = " <- selected" if name == selected else (" (plain baseline)" if name == baseline else "")
        cols = " ".join(f"{m[k]['mean']:>9.3f} ± {m[k]['sd']:.3f}" for k in ("c_index", "auc_horizon", "ibs"))
        lines.append(f"{name:<24} {cols}{mark}")
    return lines


@churn_app.command("train")
@guarded
def train(
    history: Path = typer.Option(..., "--history", help="hr_history table (CSV, or XLSX with an hr_history sheet)."),
    out: Path = typer.Option(..., "--out", help="Model folder to create, e.g. models/authority."),
    horizon_months: int = typer.Option(12, "--horizon-months", min=3, max=36, help="Horizon of the register's probabilities, in whole quarters (the hazards always cover 12 quarters)."),
    seed: int = typer.Option(0, "--seed", help="Random seed for folds and models."),
    use_protected: bool = typer.Option(False, "--use-protected", help="Also use gender, age band, ethnicity and disability as features (not recommended)."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Cross-validation repeats (new shuffle each)."),
    low: float = typer.Option(0.15, "--low", help="Risk below this is Low."),
    high: float = typer.Option(0.30, "--high", help="Risk at or above this is High."),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Train, validate out of time and audit a time-to-event churn model on hr_history.

    Quarterly hazards of leaving voluntarily, retiring or leaving for another reason."""
    from workforce.contracts import load_hr_history
    from workforce.outputs import OutputDir
    from workforce.retention.model import band, check_horizon, train as fit
    from workforce.retention.persistence import CARD_FILE, FAIRNESS_FILE, save_model

    band([0.5], (low, high))  # validates the thresholds before any work
    check_horizon(horizon_months)
    if use_protected:
        err("warning: --use-protected: gender, age band, ethnicity and disability are model features. "
            "Predictions may then differ by protected characteristic by design; check the fairness audit "
            "and your Equality Act duties before using them.")
    frame = load_hr_history(history)
    try:
        model, fairness_table = fit(
            frame, horizon_months=horizon_months, seed=seed,
            use_protected=use_protected, n_splits=folds, n_repeats=repeats, bands=(low, high),
        )
    except InputError as exc:  # too little history to train on: it is about the file given
        raise naming_file(exc, history) from None
    card = model.card
    with OutputDir(out, inputs=[history], force=force) as od:
        save_model(model, od.path(CARD_FILE).parent)
        _write_csv(fairness_table, od.path(FAIRNESS_FILE))
        # Composed before the block ends: the model is published only if the summary can be told too.
        report = _train_report(card, horizon_months, out)
    for say, line in report:
        say(line)


def _train_report(card: dict, horizon_months: int, out: Path) -> list[tuple]:
    """What `churn train` says, as (info or err, line) pairs in the order they are shown: the
    history, the candidates and the one selected, the out-of-time check, warnings (stderr),
    fairness flags and the files written."""
    from workforce.retention.persistence import CARD_FILE, FAIRNESS_FILE, MODEL_FILE

    rows = card["rows"]
    left = ", ".join(f"{n} {r}" for r, n in rows["leavers_by_reason"].items())
    lines = [
        f"history: {rows['history']} rows; {rows['snapshots_used']} snapshots with follow-up ({rows['without_follow_up']} "
        f"without: the last snapshot date), {rows['person_quarters']} person-quarters, {rows['workers']} workers; "
        f"leavers {left}; left within {horizon_months} months where known {card['base_rate']:.3f}",
        f"features: {', '.join(card['features']['numeric'] + card['features']['categorical'])}",
        *_hazard_candidate_lines(card["selection"]["candidates"], card["selection"]["selected"],
                                 f"{horizon_months} months", card["selection"]["plain_baseline"]),
        f"selected {card['selection']['selected']}: {card['selection']['rule']}",
    ]
    oot = card["out_of_time"]
    if oot.get("available"):
        by_reason = "; ".join(f"{r} AUC {_fmt(m['roc_auc'])} ({m['observed_leavers']} left, {m['expected_leavers']:.1f} expected)"
                              for r, m in oot["by_reason"].items())
        start, end = oot["train_until_date"], oot["test_year_end_date"]
        tested = f"the {start} snapshot" if start == end else f"the snapshots of {start} to {end}"
        lines.append(f"out of time (trained on what was known by {start}; tested on {tested}, each followed for "
                     f"{horizon_months} months: {oot['test_rows']} rows): any reason ROC AUC {oot['roc_auc']:.3f}, Brier {oot['brier']:.3f}, "
                     f"{oot['observed_leavers']} left against {oot['expected_leavers']:.1f} expected; {by_reason}")
    else:
        lines.append(f"out of time: not available ({oot.get('reason', 'needs earlier years with leavers and a complete test year')})")
    report = [(info, line) for line in lines] + [(err, f"warning: {w}") for w in card.get("warnings", [])]
    flags = card["fairness"]["flags"]
    report.append((info, f"fairness: {card['fairness']['groups_shown']} groups shown (groups under {MIN_GROUP} people "
                         "pooled, never shown or named alone); "
                         + (f"{len(flags)} flag(s): " + "; ".join(flags) if flags else "no flags")))
    report.append((info, f"wrote {out}/{MODEL_FILE}, {out}/{CARD_FILE}, {out}/{FAIRNESS_FILE}"))
    return report


def check_risk_table_path(out: Path) -> Path:
    """`churn score --out` names the risk table's CSV file; the team, hazards and Excel files are
    named after it. A folder (`--out results/`, or one that exists) or a name without .csv would
    give files called `results`, `results.xlsx` and `results_teams.csv` beside the folder, so it
    is refused before any work, with the name to give instead."""
    from workforce.readers import CSV_SUFFIXES

    out = Path(out)
    example = out / "risk.csv" if out.suffix == "" or out.is_dir() else out.with_suffix(".csv")
    if out.is_dir():
        raise InputError(f"is a folder; --out names the risk table CSV, e.g. {example} (the team aggregates, "
                         "hazards and Excel register go beside it)", file=out)
    if out.suffix.lower() not in CSV_SUFFIXES:
        raise InputError(f"--out names the risk table CSV and must end in .csv, e.g. {example} (the team "
                         "aggregates, hazards and Excel register go beside it)", file=out)
    return out


@churn_app.command("score")
@guarded
def score(
    model_dir: Path = typer.Option(..., "--model", help="Model folder written by `workforce churn train`."),
    workers: Path = typer.Option(..., "--workers", help="workers table."),
    cases: Optional[Path] = typer.Option(None, "--cases", help="cases table (for caseload features)."),
    out: Path = typer.Option(Path("risk.csv"), "--out", help="Risk table CSV file, e.g. results/risk.csv (not a folder); beside it go the team aggregates (…_teams.csv), the quarterly hazards (…_hazards.csv) and an Excel register (.xlsx)."),
    history: Optional[Path] = typer.Option(None, "--history", help="hr_history for up-to-date team turnover (default: the model's training history)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date to score at, YYYY-MM-DD (default: the latest start or allocation date in the inputs; today if they hold none)."),
    low: Optional[float] = typer.Option(None, "--low", help="Override the model's Low/Medium threshold."),
    high: Optional[float] = typer.Option(None, "--high", help="Override the model's Medium/High threshold."),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Score each worker: the chance of leaving, a flight-risk band, levers and quarterly hazards.

    Per worker: the chance of leaving within the horizon (any reason, voluntary, retirement,
    other), a flight-risk band, the levers that lower it most and context; and the quarterly
    hazards by reason for the next 12 quarters."""
    import pandas as pd

    from workforce.contracts import load_cases, load_hr_history, load_workers
    from workforce.excel.workbooks import write_risk_register
    from workforce.indicators import render, risk_indicators
    from workforce.outputs import OutputDir
    from workforce.retention.model import (check_in_post, default_as_of, expected_leavers, predict_hazards, score as score_workers,
                                           team_leavers, team_risk)
    from workforce.retention.persistence import load_model, model_inputs, read_fairness
    from workforce.readers import parse_date

    out = check_risk_table_path(out)
    model = load_model(model_dir)
    w = load_workers(workers)
    c = load_cases(cases, w) if cases is not None else None
    h = load_hr_history(history) if history is not None else None
    try:
        date = pd.Timestamp(parse_date(as_of)) if as_of else None
    except ValueError as exc:
        raise InputError(f"--as-of: {exc}", column="--as-of") from None
    date = date if date is not None else default_as_of(w, c)
    check_in_post(w, date)
    info(f"scoring as of {date.date()}" + ("" if as_of else " (the latest start or allocation date in the data; --as-of to change)"))
    if model.known_to is not None and h is None and date > model.known_to + pd.DateOffset(months=15):
        info(f"note: the model's history ends {model.known_to.date()}; team turnover is unknown this long after it "
             "(pass --history with recent leavers)")
    bands = (low if low is not None else model.bands[0], high if high is not None else model.bands[1])
    risk = score_workers(model, w, c, as_of=date, history=h, bands=bands)
    hazards = predict_hazards(model, w, c, as_of=date, history=h)
    teams = team_risk(risk, hazards)
    teams_path = out.with_name(out.stem + "_teams.csv")
    hazards_path = out.with_name(out.stem + "_hazards.csv")
    leavers_path = out.with_name(out.stem + "_team_leavers.csv")
    xlsx_path = out.with_suffix(".xlsx")
    inputs = [*model_inputs(model_dir), *(p for p in (workers, cases, history) if p is not None)]
    fairness_table = read_fairness(model_dir)
    indicators = risk_indicators(risk, w, card=model.card, horizon_months=model.horizon_months)
    # The four files appear together or not at all.
    with OutputDir(out.parent, inputs=inputs, force=force, beside_inputs=True) as od:
        _write_csv(risk, od.path(out.name))
        _write_csv(teams, od.path(teams_path.name))
        _write_csv(hazards, od.path(hazards_path.name))
        _write_csv(team_leavers(hazards), od.path(leavers_path.name))
        write_risk_register(od.path(xlsx_path.name), risk=risk, team_risk=teams, fairness=fairness_table,
                            card=model.card, indicators=indicators, inputs=inputs)
        # Composed before the block ends: the files are published only if the summary can be told too.
        counts = risk["band"].value_counts()
        m = model.horizon_months
        yearly = expected_leavers(hazards.assign(year=(hazards["quarter"] - 1) // 4 + 1), by=("year",))
        lines = [
            f"scored {len(risk)} workers; flight-risk bands "
            + ", ".join(f"{b} {int(counts.get(b, 0))}" for b in ("High", "Medium", "Low")),
            *render(indicators),
            f"  of the expected leavers within {m} months: voluntary {risk[f'p_voluntary_{m}m'].sum():.1f}, "
            f"retirement {risk[f'p_retire_{m}m'].sum():.1f}, other {risk[f'p_other_{m}m'].sum():.1f}",
            "expected leavers by year of the next three (no replacements): "
            + ", ".join(f"year {int(r.year)} {r.expected_leavers:.1f}" for r in yearly.itertuples()),
            f"wrote {out}, {teams_path} and {leavers_path} (expected leavers by team, quarter and reason; teams "
            f"under 5 people combined per locality), {hazards_path} and {xlsx_path}",
        ]
    for line in lines:
        info(line)


def naming_file(exc: InputError, path: Path) -> InputError:
    """`exc` with `path` as the file of every problem that names none: a problem found in the
    table (a target with one value, a column not found) is about that file, and a message
    saying only 'the table' leaves the user to guess which one."""
    from dataclasses import replace

    return InputError(problems=[p if p.file else replace(p, file=str(path)) for p in exc.problems])


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
    horizon: Optional[float] = typer.Option(None, "--horizon", help="Time-to-event: horizon in the duration's unit (default 12, for months); a period is a quarter of it."),
    holdout: float = typer.Option(0.0, "--holdout", help="Share of people (grouped) held out from selection and scored once at the end, e.g. 0.25."),
    seed: int = typer.Option(0, "--seed"),
    folds: int = typer.Option(5, "--folds", min=2),
    repeats: int = typer.Option(3, "--repeats", min=1),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the report as JSON here."),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Run the churn model selection on any table: a yes/no target or a tenure table.

    A yes/no target (ROC AUC, PR AUC, Brier score) or a tenure table with --duration and --event
    (time-to-event hazard models: concordance, AUC at the horizon, integrated Brier score)."""
    from workforce.outputs import output_file
    from workforce.retention.flat import FlatOptions, evaluate_table, read_flat
    from workforce.retention.persistence import card_json

    frame = read_flat(data)
    options = FlatOptions(
        target=target, positive=positive, id_col=id_col, group_col=group, drop=drop, protected=protected,
        keep=keep, duration=duration, event=event, horizon=horizon, holdout=holdout, seed=seed, n_splits=folds,
        n_repeats=repeats,
    )
    try:
        result = evaluate_table(frame, options)
    except InputError as exc:
        raise naming_file(exc, data) from None
    # Composed before the report is written: it is published only if the summary can be told too.
    lines = _evaluate_lines(result, data, duration is not None, folds, repeats, seed)
    if report is not None:
        with output_file(report, inputs=[data], force=force) as path:
            path.write_text(card_json(result), encoding="utf-8")
            lines.append(f"wrote {report}")
    for line in lines:
        info(line)


def _evaluate_lines(result: dict, data: Path, hazard: bool, folds: int, repeats: int, seed: int) -> list[str]:
    """What `churn evaluate` says: the rows and features used, the screening messages, each
    candidate's cross-validated scores, the one selected, the hold-out and fairness flags."""
    d = result["data"]
    if hazard:
        lines = [f"{data}: {d['rows_used']} rows used of {d['rows_read']} ({d['development_rows']} for selection, "
                 f"{d['held_out_rows']} held out); {d['events']} events, {d['censored']} censored; "
                 f"{len(d['numeric'])} numeric and {len(d['categorical'])} categorical features; "
                 f"periods of {d['period']:g}, horizon {d['horizon']:g}"]
    else:
        lines = [f"{data}: {d['rows_used']} rows used of {d['rows_read']}; {d['positives']} positive (base rate {d['base_rate']:.3f}); "
                 f"{len(d['numeric'])} numeric and {len(d['categorical'])} categorical features"]
    lines += [f"  {message}" for message in result["messages"]]
    lines.append(f"{result['cv']['method']}, {folds} folds x {repeats} repeats, seed {seed}")
    s = result["selected"]
    held = result.get("held_out")
    if hazard:
        lines += _hazard_candidate_lines(result["candidates"], s["name"], f"{d['horizon']:g}", result["plain_baseline"])
        lines.append(f"selected: {s['name']} ({result['cv']['selection']})")
        if held:
            for name in dict.fromkeys([s["name"], result["plain_baseline"]]):
                m = held[name]
                lines.append(f"held out ({held['rows']} rows, {held['events']} events), {name}: concordance {_fmt(m['c_index'])}, "
                             f"AUC at {d['horizon']:g} {_fmt(m['auc_horizon'])}, integrated Brier {_fmt(m['ibs'])}")
    else:
        lines += _candidate_lines(result["candidates"], s["name"])
        lines.append(f"selected: {s['name']} (ROC AUC {s['roc_auc']['mean']:.3f} ± {s['roc_auc']['sd']:.3f})")
        if held:
            m = held[s["name"]]
            lines.append(f"held out ({held['rows']} rows, {held['positives']} positive): ROC AUC {_fmt(m['roc_auc'])}, "
                         f"PR AUC {_fmt(m['pr_auc'])}, Brier {_fmt(m['brier'])}")
    lines += [f"  fairness flag: {row['characteristic']}={row['group']}: {row['flag']}"
              for row in result.get("fairness", []) if row.get("flag")]
    return lines


@churn_app.command("audit")
@guarded
def audit(
    model_dir: Path = typer.Option(..., "--model", help="Model folder written by `workforce churn train`."),
    history: Optional[Path] = typer.Option(None, "--history", help="hr_history with outcomes: full audit (observed rate, AUC, calibration)."),
    scored: Optional[Path] = typer.Option(None, "--scored", help="Or a risk table from `churn score` ..."),
    workers: Optional[Path] = typer.Option(None, "--workers", help="... with the workers table holding the protected columns."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the audit table as CSV here."),
    min_group: int = typer.Option(MIN_GROUP, "--min-group", min=MIN_GROUP, metavar="N",
                                  help=f"Suppress groups with fewer people than this: at least {MIN_GROUP} (small "
                                       "groups would disclose facts about people), higher to suppress more."),
    calibration_threshold: float = typer.Option(0.05, "--calibration-threshold"),
    gap_threshold: float = typer.Option(0.05, "--gap-threshold"),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Fairness audit per protected characteristic: the predictions and the levers offered.

    Groups under --min-group people are pooled, never shown or named alone. With --history, also
    whether the levers offered differ by group for the same risk."""
    import pandas as pd

    from workforce.contracts import load_hr_history, load_risk, load_workers
    from workforce.outputs import output_file
    from workforce.retention import fairness
    from workforce.retention.features import history_features
    from workforce.retention.labels import LABEL, label_snapshots, training_rows
    from workforce.retention.model import lever_fairness
    from workforce.retention.persistence import load_model, model_inputs

    model = load_model(model_dir)
    thresholds = dict(min_group=min_group, calibration_threshold=calibration_threshold, gap_threshold=gap_threshold)
    if history is not None:
        h = load_hr_history(history)
        rows = training_rows(label_snapshots(h, horizon_months=model.horizon_months))
        if rows.empty:
            raise InputError("no snapshot with full follow-up to audit", file=history)
        features = history_features(h, use_protected=model.use_protected)
        frame = rows.assign(p_leave=model.predict(features.loc[rows.index]))
        levers = lever_fairness(model, h, features, rows.index, min_group=min_group)
        table = pd.concat([fairness.audit(frame, p_col="p_leave", y_col=LABEL, **thresholds), levers], ignore_index=True)
        lines = [f"audited {len(frame)} snapshots with outcomes, predictions and the levers offered "
                 "(note: in-sample if this is the training history)"]
    elif scored is not None and workers is not None:
        risk = load_risk(scored)
        w = load_workers(workers)
        frame = risk[["worker_id", "p_leave"]].merge(w.drop(columns=["team", "locality"], errors="ignore"), on="worker_id", how="left")
        table = fairness.audit(frame, p_col="p_leave", y_col=None, **thresholds)
        lines = [f"audited {len(frame)} scored workers (no outcomes: risk gaps only)"]
    else:
        raise InputError("give --history, or --scored together with --workers")
    # Composed before the table is written: it is published only if the summary can be told too.
    if table.empty:
        lines.append("no protected columns (gender, age_band, ethnicity, disability) in the data: nothing to audit")
    else:
        lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-"))
    if out is not None:
        inputs = [*model_inputs(model_dir), *(p for p in (history, scored, workers) if p is not None)]
        with output_file(out, inputs=inputs, force=force) as path:
            _write_csv(table, path)
            lines.append(f"wrote {out}")
    for line in lines:
        info(line)


@churn_app.command("import-csww")
@guarded
def import_csww(
    files: List[Path] = typer.Argument(..., help="CSWW census return XML files, one per year (or folders of them)."),
    out: Path = typer.Option(..., "--out", help="hr_history CSV to write."),
    salt: Optional[str] = typer.Option(None, "--salt", envvar="WORKFORCE_CSWW_SALT", help=SALT_HELP),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    problems: Optional[Path] = typer.Option(None, "--problems", help=PROBLEMS_HELP),
    force: bool = force_option(),
) -> None:
    """Stack DfE CSWW census returns into an hr_history table (same as `workforce census import`)."""
    run_import(files, out, salt, strict=strict, problems=problems, force=force)
