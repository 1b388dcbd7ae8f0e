"""Model selection: candidate Pipelines, repeated grouped stratified CV, calibration.

Candidates, from simplest to most flexible (ties go to the simpler):

* `logistic_strong`: L2 logistic regression, C=0.05 (heavily regularised);
* `logistic`: L2 logistic regression, C=0.5;
* `boosted_trees`: histogram gradient-boosted trees, shallow and slow-learning.

Each is a Pipeline of a ColumnTransformer (numeric: median imputation with missing-value
indicators, standardised; categorical: one-hot, unknown categories ignored; numeric columns with
a handful of values, such as 1-4 satisfaction scales or grade levels, one-hot as well, so a
linear model can give each level its own weight) and the estimator.
Folds are StratifiedGroupKFold grouped by worker (a worker's snapshots never sit on both sides
of a split), repeated with different seeds. Selection is by mean ROC AUC; a simpler candidate
within `tie_tolerance` of the best wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workforce.errors import InputError
from workforce.retention.forest import survival_target
from workforce.retention.curves import cumulative_incidence
from workforce.retention.hazard import (
    FEW_VALUES,
    AveragedHazards,
    at_start,
    expand_periods,
    is_subject_level,
    predict_period_hazards,
)
from workforce.retention.metrics import cumulative_dynamic_auc, harrell_c, integrated_brier_score

METRICS = ("roc_auc", "pr_auc", "brier")


def few_valued(X: pd.DataFrame, numeric: Sequence[str], most: int = FEW_VALUES) -> list[str]:
    """Numeric columns with 3..`most` distinct values (scales, levels, small counts): typed from
    the values alone, never from the outcome."""
    return [c for c in numeric if 3 <= X[c].nunique(dropna=True) <= most]


def preprocessor(numeric: Sequence[str], categorical: Sequence[str], levels: Sequence[str] = ()) -> ColumnTransformer:
    """Numeric: median-impute (+ missing indicators) and standardise; categorical: one-hot;
    `levels` (few-valued numeric columns): one-hot too, beside their numeric form."""
    parts = []
    if numeric:
        parts.append(
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                list(numeric),
            )
        )
    if categorical:
        parts.append(
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                list(categorical),
            )
        )
    if levels:
        parts.append(("levels", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                              OneHotEncoder(handle_unknown="ignore", sparse_output=False)), list(levels)))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)


def candidate_pipelines(numeric: Sequence[str], categorical: Sequence[str], seed: int = 0,
                        levels: Sequence[str] = ()) -> dict[str, Pipeline]:
    """The candidates, simplest first (dict order is the tie-break order)."""

    def pipe(estimator: object) -> Pipeline:
        return Pipeline([("features", preprocessor(numeric, categorical, levels)), ("model", estimator)])

    return {
        "logistic_strong": pipe(LogisticRegression(C=0.05, max_iter=2000)),
        "logistic": pipe(LogisticRegression(C=0.5, max_iter=2000)),
        "boosted_trees": pipe(
            HistGradientBoostingClassifier(
                learning_rate=0.05,
                max_iter=150,
                max_leaf_nodes=8,
                min_samples_leaf=30,
                l2_regularization=1.0,
                early_stopping=False,
                random_state=seed,
            )
        ),
    }


def check_target(y: np.ndarray, *, min_per_class: int = 5, where: str = "training data") -> None:
    """Cross-validation needs both outcomes, a few of each."""
    positives = int(np.sum(y))
    negatives = int(len(y) - positives)
    if min(positives, negatives) < min_per_class:
        raise InputError(
            f"{where}: {positives} leavers and {negatives} stayers; need at least {min_per_class} of each "
            "to fit and cross-validate a model"
        )


def grouped_splits(
    y: np.ndarray, groups: np.ndarray, *, n_splits: int = 5, n_repeats: int = 3, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Repeated StratifiedGroupKFold splits (a new shuffle seed per repeat)."""
    n_groups = len(np.unique(groups))
    n_splits = int(min(n_splits, n_groups, np.sum(y), len(y) - np.sum(y)))
    if n_splits < 2:
        raise InputError("too few workers or leavers for cross-validation (need 2 folds)")
    splits: list[tuple[np.ndarray, np.ndarray]] = []
    X_dummy = np.zeros((len(y), 1))
    for repeat in range(n_repeats):
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed + repeat)
        splits.extend(cv.split(X_dummy, y, groups))
    return splits


def fold_metrics(y_true: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision) and Brier score of one fold (NaN if one class)."""
    if len(np.unique(y_true)) < 2:
        return {"roc_auc": float("nan"), "pr_auc": float("nan"), "brier": float(brier_score_loss(y_true, p))}
    return {
        "roc_auc": float(roc_auc_score(y_true, p)),
        "pr_auc": float(average_precision_score(y_true, p)),
        "brier": float(brier_score_loss(y_true, p)),
    }


def summarise(folds: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean and sd (ddof=1) over folds for each metric."""
    table = pd.DataFrame(folds)
    return {
        m: {"mean": float(table[m].mean()), "sd": float(table[m].std(ddof=1)) if len(table) > 1 else 0.0}
        for m in table.columns
    }


@dataclass
class SelectionResult:
    """What model selection found: per-candidate CV summaries, the winner, its OOF predictions."""

    candidates: dict[str, dict[str, dict[str, float]]]
    selected: str
    oof: dict[str, np.ndarray] = field(default_factory=dict)  # mean out-of-fold p per candidate
    n_folds: int = 0

    def table(self) -> pd.DataFrame:
        rows = []
        for name, summary in self.candidates.items():
            row = {"candidate": name, "selected": name == self.selected}
            for metric, stats in summary.items():
                row[f"{metric}_mean"] = stats["mean"]
                row[f"{metric}_sd"] = stats["sd"]
            rows.append(row)
        return pd.DataFrame(rows)


def cross_validate_candidates(
    X: pd.DataFrame,
    y: np.ndarray,
    candidates: dict[str, Pipeline],
    splits: list[tuple[np.ndarray, np.ndarray]],
    *,
    extra_metrics: "callable | None" = None,
) -> dict[str, tuple[list[dict[str, float]], np.ndarray]]:
    """Fit every candidate on every split; per-fold metrics and mean out-of-fold predictions.

    `extra_metrics(test_index, p)` may add metrics per fold (e.g. concordance)."""
    results = {}
    for name, pipeline in candidates.items():
        folds = []
        p_sum = np.zeros(len(y))
        p_n = np.zeros(len(y))
        for train, test in splits:
            model = clone(pipeline).fit(X.iloc[train], y[train])
            p = model.predict_proba(X.iloc[test])[:, 1]
            metrics = fold_metrics(y[test], p)
            if extra_metrics is not None:
                metrics.update(extra_metrics(test, p))
            folds.append(metrics)
            p_sum[test] += p
            p_n[test] += 1
        results[name] = (folds, np.divide(p_sum, p_n, out=np.full(len(y), np.nan), where=p_n > 0))
    return results


def choose(summaries: dict[str, dict[str, dict[str, float]]], tie_tolerance: float = 0.002) -> str:
    """Best mean ROC AUC; the first (simplest) candidate within `tie_tolerance` of it wins."""
    best = max(s["roc_auc"]["mean"] for s in summaries.values())
    for name, s in summaries.items():  # dict order = simplest first
        if s["roc_auc"]["mean"] >= best - tie_tolerance:
            return name
    raise AssertionError("unreachable")  # pragma: no cover


def select_model(
    X: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    candidates: dict[str, Pipeline],
    *,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    tie_tolerance: float = 0.002,
    extra_metrics: "callable | None" = None,
) -> SelectionResult:
    """Repeated grouped stratified CV of each candidate, then :func:`choose`."""
    splits = grouped_splits(y, groups, n_splits=n_splits, n_repeats=n_repeats, seed=seed)
    results = cross_validate_candidates(X, y, candidates, splits, extra_metrics=extra_metrics)
    summaries = {name: summarise(folds) for name, (folds, _) in results.items()}
    return SelectionResult(
        candidates=summaries,
        selected=choose(summaries, tie_tolerance),
        oof={name: oof for name, (_, oof) in results.items()},
        n_folds=len(splits),
    )


def calibrated(
    pipeline: Pipeline, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, *, n_splits: int = 5, seed: int = 0
) -> CalibratedClassifierCV:
    """Fit the winner with sigmoid calibration on grouped folds (Platt scaling: stable with a
    few hundred leavers, where isotonic regression would overfit)."""
    splits = grouped_splits(y, groups, n_splits=n_splits, n_repeats=1, seed=seed)
    model = CalibratedClassifierCV(pipeline, method="sigmoid", cv=splits)
    return model.fit(X, y)


# -- time-to-event selection -----------------------------------------------------------------

TTE_METRICS = ("c_index", "auc_horizon", "ibs")
#: The metrics as the headline figures name them: the selection rule is shown on the Summary
#: sheet beside "Churn model concordance", where a manager reads it.
METRIC_NAMES = {"c_index": "concordance", "auc_horizon": "12-month ROC AUC", "ibs": "integrated Brier score"}


@dataclass
class SurvivalData:
    """Subjects for a time-to-event model: one row each at time 0, with their follow-up.

    Attributes
    ----------
    X : DataFrame
        Features at time 0 (a snapshot, or a person's first day).
    time : ndarray of int
        Periods to the event or to censoring.
    event : ndarray of bool
    cause : ndarray of int
        Reason class of the event (1..n_reasons), 0 without an event.
    groups : ndarray
        Person of each row: folds never split a person.
    train_periods : ndarray of int
        Periods each row teaches the model (up to `time`; fewer when a later row of the same
        person carries fresher features).
    advance : callable
        Features at the start of period k (see :mod:`workforce.retention.hazard`).
    horizon : int
        Periods in the headline horizon (4 quarters = 12 months).
    periods : int
        Periods predicted and scored (the integrated Brier score's span).
    n_reasons : int
    """

    X: pd.DataFrame
    time: np.ndarray
    event: np.ndarray
    cause: np.ndarray
    groups: np.ndarray
    train_periods: np.ndarray
    advance: "callable"
    horizon: int = 4
    periods: int = 12
    n_reasons: int = 3

    def subset(self, index: np.ndarray) -> "SurvivalData":
        return SurvivalData(self.X.iloc[index].reset_index(drop=True), self.time[index], self.event[index],
                            self.cause[index], self.groups[index], self.train_periods[index], self.advance,
                            self.horizon, self.periods, self.n_reasons)

    @property
    def last_outcome(self) -> np.ndarray:
        """Outcome class of each row's last training period (the event only if it falls there)."""
        return np.where(self.event & (self.train_periods == self.time), self.cause, 0)

    @property
    def left_by_horizon(self) -> np.ndarray:
        return self.event & (self.time <= self.horizon)

    @property
    def known_at_horizon(self) -> np.ndarray:
        """Rows whose horizon outcome is known: left by then, or followed for the whole horizon."""
        return self.left_by_horizon | (self.time >= self.horizon)

    def period_rows(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The person-period training rows and their outcome classes."""
        rows, y, _ = expand_periods(self.X, self.train_periods, self.last_outcome, self.advance)
        return rows, y


def fit_hazard_model(estimator, data: SurvivalData):
    """Fit a clone of `estimator` on the person-period rows of `data`, or, for a subject-level
    model (:func:`workforce.retention.hazard.is_subject_level`), on the subjects at the start
    with their whole follow-up (`time`, and the reason when they left); an
    :class:`~workforce.retention.hazard.AveragedHazards` member by member."""
    if isinstance(estimator, AveragedHazards):
        return estimator.with_fitted([(name, fit_hazard_model(member, data)) for name, member in estimator.estimators],
                                     data.X.columns)
    if is_subject_level(estimator):
        if not data.event.any():
            raise InputError("no leaver among the training subjects: nothing to learn a hazard from")
        target = survival_target(data.time, np.where(data.event, data.cause, 0))
        return clone(estimator).fit(at_start(data.X, data.advance), target)
    rows, y = data.period_rows()
    if len(np.unique(y)) < 2:
        raise InputError("no leaver among the training periods: nothing to learn a hazard from")
    return clone(estimator).fit(rows, y)


def survival_metrics(data: SurvivalData, hazards: np.ndarray) -> dict[str, float]:
    """Concordance (risk = probability of leaving by the horizon), time-dependent ROC AUC at the
    horizon and integrated Brier score over the periods with follow-up, all with censoring
    (:mod:`workforce.retention.metrics`)."""
    S, _ = cumulative_incidence(hazards)
    risk = 1.0 - S[:, data.horizon - 1]
    times = [k for k in range(1, data.periods + 1) if np.any(data.time > k)]
    out = {
        "c_index": harrell_c(data.time, data.event, risk),
        "auc_horizon": cumulative_dynamic_auc(data.time, data.event, risk, data.horizon),
        "ibs": integrated_brier_score(data.time, data.event, S[:, [k - 1 for k in times]], times) if times else float("nan"),
    }
    return out


def _stratified_group_splits(data: SurvivalData, n_splits: int, n_repeats: int, seed: int):
    strata = data.left_by_horizon.astype(int)
    return grouped_splits(strata, data.groups, n_splits=n_splits, n_repeats=n_repeats, seed=seed)


@dataclass
class HazardSelection:
    """What time-to-event selection found."""

    candidates: dict[str, dict[str, dict[str, float]]]
    selected: str
    rule: str
    oof_risk: dict[str, np.ndarray] = field(default_factory=dict)  # mean OOF P(leave by horizon)
    oof_incidence: dict[str, np.ndarray] = field(default_factory=dict)  # mean OOF F_r(horizon), (n, R)
    n_folds: int = 0


def choose_within_noise(folds: dict[str, list[dict[str, float]]], metric: str, n_splits: int) -> tuple[str, str]:
    """The simplest candidate (dict order) within noise of the best on `metric` (higher is better).

    Noise is judged on paired fold differences (every candidate is scored on the same folds, so
    how hard a fold is cancels out): a candidate is within noise when its mean shortfall against
    the best is at most one standard error of that shortfall, with the Nadeau-Bengio correction
    for repeated cross-validation (the variance of the mean difference is the fold variance times
    1/J + n_test/n_train, J folds in all; with k folds per repeat n_test/n_train = 1/(k-1))."""
    table = {name: np.array([f[metric] for f in rows], dtype=float) for name, rows in folds.items()}
    means = {name: float(np.nanmean(v)) for name, v in table.items() if np.isfinite(v).any()}
    if not means:
        raise InputError(f"no candidate could be scored on {metric}")
    best = max(means, key=means.get)
    label = METRIC_NAMES.get(metric, metric)
    for name in folds:  # dict order = simplest first
        if name not in means:
            continue
        if name == best:
            return name, (f"{best} has the highest mean {label} ({means[best]:.3f}), and no simpler candidate is "
                          "within noise of it (one corrected standard error on paired folds)")
        diff = table[best] - table[name]
        diff = diff[np.isfinite(diff)]
        J = len(diff)
        se = 0.0 if J < 2 else float(np.std(diff, ddof=1) * np.sqrt(1.0 / J + 1.0 / max(n_splits - 1, 1)))
        if float(np.mean(diff)) <= se:
            rule = (f"highest mean {label} is {best} ({means[best]:.3f}); {name} ({means[name]:.3f}) is the simplest "
                    f"candidate within noise of it (one corrected standard error, {se:.3f}, on paired folds)")
            return name, rule
    raise AssertionError("unreachable")  # pragma: no cover


def select_hazard_model(
    data: SurvivalData,
    candidates: dict[str, object],
    *,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    metric: str = "c_index",
) -> HazardSelection:
    """Repeated grouped stratified CV of each hazard candidate on :func:`survival_metrics`, then
    :func:`choose_within_noise` on `metric`. An :class:`AveragedHazards` candidate whose members
    are other candidates is scored from their fold predictions (no refit)."""
    splits = _stratified_group_splits(data, n_splits, n_repeats, seed)
    folds: dict[str, list[dict[str, float]]] = {name: [] for name in candidates}
    n = len(data.time)
    risk_sum = {name: np.zeros(n) for name in candidates}
    inc_sum = {name: np.zeros((n, data.n_reasons)) for name in candidates}
    seen = np.zeros(n)
    for train, test in splits:
        train_data, test_data = data.subset(train), data.subset(test)
        fold_h: dict[str, np.ndarray] = {}
        for name, estimator in candidates.items():
            members = [m for m, _ in getattr(estimator, "estimators", [])]
            if members and all(m in fold_h for m in members):
                h = np.mean([fold_h[m] for m in members], axis=0)
            else:
                model = fit_hazard_model(estimator, train_data)
                h = predict_period_hazards(model, test_data.X, data.periods, data.advance, data.n_reasons)
            fold_h[name] = h
            folds[name].append(survival_metrics(test_data, h))
            S, F = cumulative_incidence(h)
            risk_sum[name][test] += 1.0 - S[:, data.horizon - 1]
            inc_sum[name][test] += F[:, data.horizon - 1, :]
        seen[test] += 1
    summaries = {name: summarise(f) for name, f in folds.items()}
    selected, rule = choose_within_noise(folds, metric, max(2, len(splits) // max(n_repeats, 1)))
    safe = np.maximum(seen, 1)
    return HazardSelection(
        candidates=summaries, selected=selected, rule=rule,
        oof_risk={k: v / safe for k, v in risk_sum.items()},
        oof_incidence={k: v / safe[:, None] for k, v in inc_sum.items()},
        n_folds=len(splits),
    )
