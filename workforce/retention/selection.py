"""Model selection: candidate Pipelines, repeated grouped stratified CV, calibration.

Candidates, from simplest to most flexible (ties go to the simpler):

* `logistic_strong`: L2 logistic regression, C=0.05 (heavily regularised);
* `logistic`: L2 logistic regression, C=0.5;
* `boosted_trees`: histogram gradient-boosted trees, shallow and slow-learning.

Each is a Pipeline of a ColumnTransformer (numeric: median imputation with missing-value
indicators, standardised; categorical: one-hot, unknown categories ignored) and the estimator.
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

METRICS = ("roc_auc", "pr_auc", "brier")


def preprocessor(numeric: Sequence[str], categorical: Sequence[str]) -> ColumnTransformer:
    """Numeric: median-impute (+ missing indicators) and standardise; categorical: one-hot."""
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
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)


def candidate_pipelines(numeric: Sequence[str], categorical: Sequence[str], seed: int = 0) -> dict[str, Pipeline]:
    """The candidates, simplest first (dict order is the tie-break order)."""

    def pipe(estimator: object) -> Pipeline:
        return Pipeline([("features", preprocessor(numeric, categorical)), ("model", estimator)])

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
