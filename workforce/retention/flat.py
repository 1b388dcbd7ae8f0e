"""Evaluation on any flat table: the same model selection as the churn model, on a CSV/XLSX an
HR team already has (one row per person, a leaving column), or a time-to-event table.

Preparation, each step one function and each decision reported as a message:

* types inferred from the text (numbers, dates, text); Windows-1252 files read correctly;
* constant columns and ID-like columns (a unique value per row, or an ID-looking name) dropped;
* exact duplicate rows reported and dropped;
* a column that alone predicts the target almost perfectly (single-column ROC AUC >= 0.97,
  cross-fitted for text columns; a column's blanks count too, e.g. a termination date blank
  for every stayer) is flagged as likely leakage and left out unless `keep` names it;
* protected columns are used for the fairness audit only;
* time-to-event (`duration` and `event`): every row is kept with its follow-up (censored rows
  too); the discrete-time hazard candidates of :mod:`workforce.retention.hazard` are fitted on
  person-period rows (a period is a quarter of the horizon) with the time since the start
  (`elapsed`) as a feature, and compared on concordance, time-dependent AUC at the horizon and
  integrated Brier score (:mod:`workforce.retention.metrics`);
* `holdout`: a share of the people (grouped) is set aside before selection; the selected model
  and the plain baseline, refitted on the rest, are scored on it once at the end.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupShuffleSplit, StratifiedKFold

from workforce.errors import InputError, InputWarning, Problem, clip_quoted
from workforce.readers import parse_dates
from workforce.retention import fairness
from workforce.retention.hazard import PLAIN_BASELINE, hazard_candidates, predict_period_hazards
from workforce.retention.selection import (
    SurvivalData,
    candidate_pipelines,
    check_target,
    few_valued,
    fit_hazard_model,
    fold_metrics,
    select_hazard_model,
    select_model,
    survival_metrics,
)

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "1.0"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "0.0"})
LEAKAGE_AUC = 0.97
ELAPSED = "elapsed"  # time since the start, the hazard model's clock (in the duration's unit)
DEFAULT_HORIZON = 12.0  # months, when durations are in months
# The largest magnitude a number in a flat table may have. No person-level HR measure (pay in
# pence, days, counts, points) comes near it; past 2**53 (about 9e15) a float no longer holds every
# whole number, and the models' scaling squares values, which overflows long before 1e308.
MAX_MAGNITUDE = 1e15
ID_NAME = re.compile(r"(^|[_\s])(id|no|number|num|ref|reference|code|key)$|^(id|employee ?number|emp ?no)$|id$", re.I)


@dataclass
class FlatOptions:
    """What `workforce churn evaluate` was asked to do."""

    target: str | None = None
    positive: str | None = None
    id_col: str | None = None
    group_col: str | None = None
    drop: Sequence[str] = ()
    protected: Sequence[str] = ()
    keep: Sequence[str] = ()
    duration: str | None = None
    event: str | None = None
    horizon: float | None = None
    holdout: float = 0.0
    seed: int = 0
    n_splits: int = 5
    n_repeats: int = 3
    leakage_auc: float = LEAKAGE_AUC
    # tenure tables with a hold-out: candidates refitted and scored on it besides the selected one
    # and the plain baseline (for comparison only: selection never sees the hold-out)
    also_held_out: Sequence[str] = ()


@dataclass
class Prepared:
    X: pd.DataFrame
    y: np.ndarray
    groups: np.ndarray
    numeric: list[str]
    categorical: list[str]
    audit: pd.DataFrame  # protected columns (+ id) of the rows used
    duration: np.ndarray | None = None
    event: np.ndarray | None = None
    data: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


# -- reading ---------------------------------------------------------------------------------

#: How exports write a missing number (pandas, R, Excel, SQL): in a column whose other values are
#: all numbers they are read as missing and counted (`missing_markers`), not as a reason to read
#: the whole column as text, which would turn ages or salaries into categories.
MISSING_MARKERS = frozenset({"na", "n/a", "nan", "null", "none", "#n/a"})


def missing_markers(values: pd.Series) -> pd.Series:
    """True where a cell holds one of :data:`MISSING_MARKERS` (any case)."""
    return values.astype(str).str.strip().str.lower().isin(MISSING_MARKERS) & values.notna()


def _numbers_read(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(the numbers, NaN where a cell is no number; the cells that hold something): thousands
    commas, '£' and '%' allowed, blanks and missing markers (:data:`MISSING_MARKERS`) not held."""
    cleaned = values.astype(str).str.strip().str.replace(",", "", regex=False).str.replace(r"^£|%$", "", regex=True)
    present = values.notna() & ~missing_markers(values) & values.astype(str).str.strip().ne("")
    return pd.to_numeric(cleaned.where(present), errors="coerce"), present


def _parse_numbers(values: pd.Series) -> pd.Series | None:
    """Numbers when every non-blank value is one (thousands commas and % allowed), a missing
    marker (:data:`MISSING_MARKERS`) read as missing; None when some value is text."""
    parsed, present = _numbers_read(values)
    if present.any() and parsed[present].notna().all():
        return parsed
    return None


#: A column read as text because of at most this share of its filled cells (and at least 10
#: numbers beside them) is numbers with a typing slip ('ja' in Age), not categories.
STRAY_TEXT_SHARE = 0.01


def stray_text_in_numbers(raw: pd.DataFrame, typed: pd.DataFrame, file: str) -> list[str]:
    """A sentence per column read as categories because of a stray cell or two among numbers:
    without it an age or a salary would silently become dozens of categories, the model learning
    from them as labels (the rows are named so the cell can be corrected or blanked)."""
    notes = []
    for name in typed.columns:
        if pd.api.types.is_numeric_dtype(typed[name]) or pd.api.types.is_datetime64_any_dtype(typed[name]):
            continue
        parsed, present = _numbers_read(raw[name])
        stray = present & parsed.isna()
        k, n = int(stray.sum()), int(present.sum())
        if 0 < k <= max(1, STRAY_TEXT_SHARE * n) and n - k >= 10:
            shown = "; ".join(f"row {row}: '{raw.at[row, name]}'" for row in stray[stray].index[:3])
            notes.append(clip_quoted(
                f"{file}, column '{name}': read as categories, not numbers, because of {k} value{'s' if k > 1 else ''} "
                f"that {'are' if k > 1 else 'is'} not a number ({shown}) among {n - k} numbers: correct or blank "
                f"{'them' if k > 1 else 'it'} to use {name} as a number"))
    return notes


def _parse_dates(values: pd.Series) -> pd.Series | None:
    """Dates when nearly every non-blank value looks like one (ISO, or day and month in the order
    `--dates` gives)."""
    text = values.dropna().astype(str).str.strip()
    if not len(text) or not text.str.contains(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", regex=True).mean() >= 0.95:
        return None
    parsed = parse_dates(values.where(values.notna(), ""))  # the one date reader: --dates decides day or month first
    return parsed if parsed.notna().sum() >= 0.95 * len(text) else None


def infer_types(raw: pd.DataFrame) -> pd.DataFrame:
    """Columns of strings to numbers, dates or text (blank -> missing). Cells of a numeric column
    read as missing because they held a missing marker are counted per column in
    ``attrs["read_as_missing"]`` (column -> count), for the report to say."""
    out, marked = {}, {}
    for name in raw.columns:
        column = raw[name].astype(object).where(raw[name].astype(str).str.strip() != "", None)
        numbers = _parse_numbers(column)
        if numbers is not None:
            out[name] = numbers.astype(float)
            n = int(missing_markers(column).sum())
            if n:
                marked[str(name)] = n
            continue
        dates = _parse_dates(column)
        out[name] = dates if dates is not None else column.astype("string").str.strip()
    frame = pd.DataFrame(out, index=raw.index)
    frame.attrs["read_as_missing"] = marked
    return frame


def check_has_rows(raw: pd.DataFrame, file: str) -> None:
    """A table with a header and no data rows has nobody to learn from: say so, naming the file,
    rather than count 0 leavers and 0 stayers later."""
    if raw.empty:
        raise InputError("has a header but no data rows", file=file)


def non_finite_numbers(raw: pd.DataFrame, typed: pd.DataFrame, file: str) -> list[Problem]:
    """Cells of a numeric column written as inf, Infinity or a number too large for a float
    (1e400): they measure nobody, and no model can scale them (scikit-learn stops with an error),
    so each is named where it is."""
    problems = []
    for name in typed.columns:
        if pd.api.types.is_float_dtype(typed[name]):
            for row in typed.index[np.isinf(typed[name].to_numpy())]:
                problems.append(Problem(file, f"'{raw.at[row, name]}' is not a finite number", int(row), str(name)))
    return problems


def huge_numbers(raw: pd.DataFrame, typed: pd.DataFrame, file: str) -> list[Problem]:
    """Finite numbers beyond +-MAX_MAGNITUDE (1e15): nothing about a person is that large, the
    models' scaling overflows on values such as 1e308 or -1e300, and past 2**53 whole numbers
    (identifiers) are no longer held exactly. Refused rather than clipped, so no model is
    fitted on a value the user never meant."""
    problems = []
    for name in typed.columns:
        if pd.api.types.is_float_dtype(typed[name]):
            values = typed[name].to_numpy()
            for row in typed.index[np.isfinite(values) & (np.abs(values) > MAX_MAGNITUDE)]:
                problems.append(Problem(file, f"'{raw.at[row, name]}' is out of range", int(row), str(name),
                                        allowed=f"numbers from -{MAX_MAGNITUDE:g} to {MAX_MAGNITUDE:g}; "
                                                "write a code or identifier with a letter in it"))
    return problems


def read_flat(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8 with or without BOM, or Windows-1252) or an XLSX sheet (first sheet by
    default) through the safe readers, then infer column types. A table without data rows, and
    numbers that are not finite or beyond +-1e15, are refused naming the file, row and column."""
    from workforce.readers import file_kind, read_csv, read_xlsx, source_label, xlsx_sheet_names

    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    if file_kind(path) == "csv":
        raw = read_csv(path)
        label = str(path)
    else:
        found = sheet or xlsx_sheet_names(path)[0]
        raw = read_xlsx(path, found)
        label = source_label(path, found)
    check_has_rows(raw, label)
    typed = infer_types(raw)
    problems = non_finite_numbers(raw, typed, label) + huge_numbers(raw, typed, label)
    if problems:
        raise InputError(problems=problems)
    for note in stray_text_in_numbers(raw, typed, label):
        warnings.warn(InputWarning(note), stacklevel=2)
    return typed.reset_index(drop=True)


# -- labels ----------------------------------------------------------------------------------

def _truthy(values: pd.Series, column: str) -> np.ndarray:
    words = values.astype(str).str.strip().str.lower()
    unknown = sorted(set(words) - TRUE_WORDS - FALSE_WORDS)
    if unknown:
        raise InputError(f"expected yes/no or 1/0, found {', '.join(unknown[:5])}", column=column)
    return words.isin(TRUE_WORDS).to_numpy()


def target_labels(values: pd.Series, positive: str | None, column: str) -> np.ndarray:
    """1 where the target equals `positive`; without `positive`, yes/true/1 is the positive."""
    text = values.astype(str).str.strip()
    if text.str.match(r"^-?\d+\.0$").all():
        text = text.str.replace(r"\.0$", "", regex=True)
    distinct = sorted(text.unique())
    if positive is None:
        if set(s.lower() for s in distinct) <= TRUE_WORDS | FALSE_WORDS:
            return _truthy(text, column).astype(int)
        raise InputError(
            f"cannot tell which value means leaving; give --positive (values: {', '.join(distinct[:10])})",
            column=column,
        )
    if positive not in distinct:
        matches = [d for d in distinct if d.lower() == positive.lower()]
        if not matches:
            raise InputError(f"--positive '{positive}' never occurs (values: {', '.join(distinct[:10])})", column=column)
        positive = matches[0]
    if len(distinct) < 2:
        raise InputError("the target has a single value: nothing to predict", column=column)
    return (text == positive).to_numpy().astype(int)


def durations(values: pd.Series, column: str) -> np.ndarray:
    """Follow-up durations: numbers >= 0 on every row (the row of the first bad one named)."""
    d = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(d) | (d < 0))
    if len(bad):
        raise InputError(f"durations must be numbers >= 0, found '{values.iloc[bad[0]]}'", row=int(bad[0]) + 2, column=column)
    return d


def tenure_periods(duration: np.ndarray, event: np.ndarray, width: float) -> np.ndarray:
    """Periods of `width` to the event (the period it falls in) or to censoring (whole periods
    observed): the discrete time of a tenure table."""
    ratio = duration / width
    return np.where(event, np.maximum(1, np.ceil(ratio - 1e-9)), np.floor(ratio + 1e-9)).astype(int)


# -- column screening ------------------------------------------------------------------------

def constant_columns(frame: pd.DataFrame) -> list[str]:
    """Columns with one value on every row (a blank counts as a value: a date filled only for
    leavers is not constant, it is a leak)."""
    return [c for c in frame.columns if frame[c].nunique(dropna=False) <= 1]


def id_like_columns(frame: pd.DataFrame) -> list[str]:
    """A unique text or whole-number value on every row, or an ID-looking name with >= 90%
    distinct values: identifiers, not characteristics."""
    found = []
    n = len(frame)
    for c in frame.columns:
        values = frame[c].dropna()
        if not len(values):
            continue
        unique_share = values.nunique() / len(values)
        whole = pd.api.types.is_numeric_dtype(values) and np.all(np.mod(values.to_numpy(dtype=float), 1) == 0)
        text = pd.api.types.is_string_dtype(values) or values.dtype == object
        if n > 20 and unique_share == 1.0 and (whole or text):
            found.append(c)
        elif ID_NAME.search(str(c).strip()) and unique_share >= 0.9:
            found.append(c)
    return found


def free_text_columns(frame: pd.DataFrame) -> list[str]:
    """Text with more than 100 distinct values covering most rows (comments, names)."""
    out = []
    for c in frame.columns:
        if pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object:
            values = frame[c].dropna()
            if values.nunique() > 100 and values.nunique() > 0.5 * len(values):
                out.append(c)
    return out


def single_column_auc(values: pd.Series, y: np.ndarray, seed: int = 0) -> float:
    """How well one column alone separates the outcomes (0.5 none, 1.0 perfectly), in either
    direction; blanks count as information. Text is target-encoded out of fold."""
    if len(np.unique(y)) < 2:
        return float("nan")
    missing = values.isna().to_numpy()
    scores = []
    if missing.any() and not missing.all():
        scores.append(roc_auc_score(y, missing))
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        x = values.astype("int64").where(values.notna()) if pd.api.types.is_datetime64_any_dtype(values) else values
        x = x.astype(float).to_numpy()
        if not missing.all():
            fill = np.nanmin(x) - 1.0
            scores.append(roc_auc_score(y, np.where(missing, fill, x)))
    else:
        codes = values.astype(str).fillna("<blank>").to_numpy()
        encoded = np.full(len(y), y.mean())
        n_splits = int(min(5, y.sum(), len(y) - y.sum()))
        if n_splits >= 2:
            for train, test in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(codes, y):
                rates = pd.Series(y[train]).groupby(codes[train]).mean()
                encoded[test] = pd.Series(codes[test]).map(rates).fillna(y[train].mean()).to_numpy()
            scores.append(roc_auc_score(y, encoded))
    return float(max(max(s, 1 - s) for s in scores)) if scores else 0.5


# -- preparation and evaluation ----------------------------------------------------------------

def _require(frame: pd.DataFrame, column: str | None, what: str) -> None:
    if column is not None and column not in frame:
        raise InputError(f"{what} column not found (columns: {', '.join(map(str, frame.columns[:30]))})", column=column)


def prepare(frame: pd.DataFrame, options: FlatOptions) -> Prepared:
    """Labels, screening and the feature frame, with a message for every decision."""
    messages: list[str] = []
    survival = options.duration is not None or options.event is not None
    if survival and (options.duration is None or options.event is None):
        raise InputError("time-to-event evaluation needs --duration and --event together")
    if not survival and options.target is None:
        raise InputError("give --target COL (or --duration and --event)")
    if survival and options.target is not None:
        # one outcome or the other: evaluating the tenure silently set the yes/no target aside
        raise InputError("give --target (a yes/no outcome) or --duration and --event (time to event), not both",
                         column="--target")
    if not 0 <= options.holdout < 1:
        raise InputError(f"--holdout must be a share from 0 to below 1, got {options.holdout}")
    for column, what in ((options.target, "target"), (options.id_col, "--id"), (options.group_col, "--group"),
                         (options.duration, "--duration"), (options.event, "--event")):
        _require(frame, column, what)
    for column in [*options.drop, *options.protected, *options.keep]:
        _require(frame, column, "named")

    for column, n in frame.attrs.get("read_as_missing", {}).items():
        messages.append(f"column '{column}': {n} cell{'s' if n != 1 else ''} written as NA, nan, null or the like "
                        "read as missing")
    frame = frame.copy()
    outcome_cols = [c for c in (options.target, options.duration, options.event) if c]
    blank = frame[outcome_cols].isna().any(axis=1).to_numpy()
    if blank.any():
        messages.append(f"dropped {int(blank.sum())} rows with a blank outcome ({', '.join(outcome_cols)})")
        frame = frame.loc[~blank].reset_index(drop=True)
    duplicated = frame.duplicated().to_numpy()
    if duplicated.any():
        messages.append(f"found {int(duplicated.sum())} exact duplicate rows; dropped them (kept the first)")
        frame = frame.loc[~duplicated].reset_index(drop=True)

    duration = event = None
    if survival:
        event = _truthy(frame[options.event].astype(str), options.event)
        duration = durations(frame[options.duration], options.duration)
        y = event.astype(int)
        messages.append(f"time to event: {int(event.sum())} events and {int((~event).sum())} censored rows, all kept "
                        "(the hazard model learns from every period each person was followed)")
    else:
        y = target_labels(frame[options.target], options.positive, options.target)
    check_target(y, where="rows with an outcome")

    reserved = {c for c in (options.target, options.duration, options.event, options.id_col, options.group_col) if c}
    if survival and ELAPSED in frame.columns:
        raise InputError(f"a column is called '{ELAPSED}', the name the hazard model gives the time since the start; "
                         "rename it or leave it out with --drop", column=ELAPSED)
    dropped: dict[str, str] = {c: "dropped by --drop" for c in options.drop}
    candidates = frame.drop(columns=[c for c in frame.columns if c in reserved or c in dropped or c in options.protected])
    for c in constant_columns(candidates):
        dropped[c] = "constant"
    for c in id_like_columns(candidates.drop(columns=[c for c in dropped if c in candidates])):
        dropped[c] = "ID-like (a distinct value on (nearly) every row)"
    for c in free_text_columns(candidates.drop(columns=[c for c in dropped if c in candidates])):
        dropped[c] = "free text (too many distinct values)"
    for c, reason in dropped.items():
        if c in options.keep and reason != "dropped by --drop":
            del dropped[c]
    features = candidates.drop(columns=[c for c in dropped if c in candidates])

    leakage = {}
    for c in features.columns:
        auc = single_column_auc(features[c], y, options.seed)
        if auc >= options.leakage_auc:
            leakage[c] = round(auc, 4)
    for c, auc in leakage.items():
        if c in options.keep:
            messages.append(f"column '{c}' alone predicts the target (AUC {auc}); kept because --keep names it")
        else:
            dropped[c] = f"likely leakage: alone predicts the target with ROC AUC {auc} (use --keep to keep it)"
    features = features.drop(columns=[c for c in leakage if c not in options.keep])
    for c, reason in dropped.items():
        if reason != "dropped by --drop":
            messages.append(f"column '{c}': {reason}")

    for c in features.columns:
        if pd.api.types.is_datetime64_any_dtype(features[c]):
            features[c] = (features[c] - pd.Timestamp("1970-01-01")).dt.days.astype(float)
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    categorical = [c for c in features.columns if c not in numeric]
    for c in categorical:
        features[c] = features[c].astype(object).where(features[c].notna(), np.nan)
    if not numeric and not categorical:
        raise InputError("no feature columns left after screening")

    group_col = options.group_col or options.id_col
    groups = frame[group_col].astype(str).to_numpy() if group_col else np.arange(len(frame)).astype(str)
    audit = frame[[c for c in [*options.protected] if c in frame]].copy()
    if options.id_col:
        audit["worker_id"] = frame[options.id_col].astype(str).to_numpy()
    data = {
        "rows_read": int(len(frame) + blank.sum() + duplicated.sum()),
        "rows_used": int(len(frame)),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()),
        "duplicates_dropped": int(duplicated.sum()),
        "numeric": numeric,
        "categorical": categorical,
        "dropped": dropped,
        "leakage": leakage,
        "grouped_by": group_col,
    }
    if survival:
        data["censored"] = int((~event).sum())
        data["events"] = int(event.sum())
    return Prepared(features[numeric + categorical], y, groups, numeric, categorical, audit, duration, event, data, messages)


def _holdout_split(prep: Prepared, options: FlatOptions) -> tuple[np.ndarray, np.ndarray]:
    """(development rows, held-out rows), whole groups on one side."""
    everything = np.arange(len(prep.y))
    if not options.holdout:
        return everything, everything[:0]
    splitter = GroupShuffleSplit(n_splits=1, test_size=options.holdout, random_state=options.seed)
    dev, held = next(splitter.split(prep.X, groups=prep.groups))
    return np.sort(dev), np.sort(held)


def _subset(prep: Prepared, rows: np.ndarray) -> Prepared:
    take = lambda a: None if a is None else a[rows]  # noqa: E731
    return Prepared(prep.X.iloc[rows].reset_index(drop=True), prep.y[rows], prep.groups[rows], prep.numeric,
                    prep.categorical, prep.audit.iloc[rows].reset_index(drop=True), take(prep.duration),
                    take(prep.event), prep.data, prep.messages)


def tenure_data(prep: Prepared, horizon: float) -> SurvivalData:
    """A tenure table as time-to-event subjects: periods of a quarter of the horizon, the time
    since the start (`elapsed`) moving on with each period."""
    width = horizon / 4.0

    def advance_elapsed(X: pd.DataFrame, k: np.ndarray) -> pd.DataFrame:
        return X.assign(**{ELAPSED: (np.asarray(k, dtype=float) - 1.0) * width})

    time = tenure_periods(prep.duration, prep.event, width)
    return SurvivalData(
        X=prep.X.reset_index(drop=True), time=time, event=prep.event.astype(bool), cause=prep.event.astype(int),
        groups=prep.groups, train_periods=time, advance=advance_elapsed, horizon=4, periods=12, n_reasons=1,
    )


def _held_out_survival(candidates: dict, names: list[str], dev: SurvivalData, held: SurvivalData) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": int(len(held.time)), "events": int(held.event.sum())}
    for name in dict.fromkeys(names):
        model = fit_hazard_model(candidates[name], dev)
        h = predict_period_hazards(model, held.X, held.periods, held.advance, held.n_reasons)
        out[name] = survival_metrics(held, h)
    return out


def evaluate_tenure(prep: Prepared, options: FlatOptions) -> dict[str, Any]:
    """Time-to-event selection on a tenure table, with an optional held-out check."""
    horizon = float(options.horizon) if options.horizon is not None else DEFAULT_HORIZON
    if horizon <= 0:
        raise InputError(f"--horizon must be above 0, got {horizon}")
    dev_rows, held_rows = _holdout_split(prep, options)
    data = tenure_data(prep, horizon)
    dev = data.subset(dev_rows)
    check_target(dev.left_by_horizon[dev.known_at_horizon].astype(int), where="rows with an outcome (events by the horizon)")
    candidates = hazard_candidates([*prep.numeric, ELAPSED], prep.categorical, spline=[ELAPSED], seed=options.seed)
    unknown = sorted(set(options.also_held_out) - set(candidates))
    if unknown:
        raise InputError(f"no hazard candidate called {', '.join(unknown)}; the candidates are {', '.join(candidates)}")
    result = select_hazard_model(dev, candidates, n_splits=options.n_splits, n_repeats=options.n_repeats, seed=options.seed)
    report: dict[str, Any] = {
        "data": {**prep.data, "horizon": horizon, "period": horizon / 4.0, "development_rows": int(len(dev_rows)),
                 "held_out_rows": int(len(held_rows))},
        "cv": {
            "method": "StratifiedGroupKFold" + (f" grouped by {prep.data['grouped_by']}" if prep.data["grouped_by"] else " (one row per group)"),
            "folds": options.n_splits, "repeats": options.n_repeats, "seed": options.seed,
            "model": "discrete-time hazard on person-periods (a quarter of the horizon each)",
            "selection": result.rule,
            "metrics": {"c_index": "Harrell's concordance with censoring (risk: probability of the event by the horizon)",
                        "auc_horizon": f"time-dependent (cumulative/dynamic) ROC AUC at {horizon:g}, IPCW",
                        "ibs": "integrated Brier score over 12 periods, IPCW"},
        },
        "candidates": result.candidates,
        "selected": {"name": result.selected, **result.candidates[result.selected]},
        "plain_baseline": PLAIN_BASELINE,
        "messages": prep.messages,
    }
    if len(held_rows):
        report["held_out"] = _held_out_survival(candidates, [result.selected, PLAIN_BASELINE, *options.also_held_out],
                                                dev, data.subset(held_rows))
    return report


def evaluate_table(frame: pd.DataFrame, options: FlatOptions) -> dict[str, Any]:
    """Model selection on a prepared flat table. Returns the report: `data`, `cv`, `candidates`
    (per candidate: metric -> {mean, sd}), `selected` (name + the winner's metrics), `fairness`
    (protected groups, out-of-fold predictions of the winner), `held_out` (with `holdout`) and
    `messages`. With `duration` and `event` the candidates are time-to-event hazard models
    (:func:`evaluate_tenure`)."""
    prep = prepare(frame, options)
    if prep.duration is not None:
        return evaluate_tenure(prep, options)
    dev_rows, held_rows = _holdout_split(prep, options)
    dev = _subset(prep, dev_rows)
    levels = few_valued(prep.X, prep.numeric)
    candidates = candidate_pipelines(prep.numeric, prep.categorical, seed=options.seed, levels=levels)
    result = select_model(dev.X, dev.y, dev.groups, candidates,
                          n_splits=options.n_splits, n_repeats=options.n_repeats, seed=options.seed)
    report: dict[str, Any] = {
        "data": {**prep.data, "levels": levels, "development_rows": int(len(dev_rows)), "held_out_rows": int(len(held_rows))},
        "cv": {
            "method": "StratifiedGroupKFold" + (f" grouped by {prep.data['grouped_by']}" if prep.data["grouped_by"] else " (one row per group)"),
            "folds": options.n_splits,
            "repeats": options.n_repeats,
            "seed": options.seed,
            "selection": "mean ROC AUC; a simpler candidate within 0.002 wins",
        },
        "candidates": result.candidates,
        "selected": {"name": result.selected, **result.candidates[result.selected]},
        "messages": prep.messages,
    }
    if len(held_rows):
        held = _subset(prep, held_rows)
        model = clone(candidates[result.selected]).fit(dev.X, dev.y)
        report["held_out"] = {"rows": int(len(held_rows)), "positives": int(held.y.sum()),
                              result.selected: fold_metrics(held.y, model.predict_proba(held.X)[:, 1])}
    if len(dev.audit.columns.difference(["worker_id"])):
        audit_frame = dev.audit.assign(p_leave=result.oof[result.selected], outcome=dev.y)
        table = fairness.audit(audit_frame, p_col="p_leave", y_col="outcome", characteristics=list(options.protected))
        report["fairness"] = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    return report
