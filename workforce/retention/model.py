"""The churn model: training on `hr_history`, scoring current workers, team aggregates.

`train(history)` labels snapshots (censoring short follow-up), derives features, selects a
model by repeated grouped CV, calibrates the winner, validates out of time and audits
fairness. `score(model, workers, cases)` gives each worker's probability of leaving within
the horizon, a band and three what-if drivers; `team_risk(risk)` the expected leavers per team
and quarter.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from workforce.errors import InputError
from workforce.retention import drivers, fairness
from workforce.retention.features import (
    current_states,
    derive_features,
    feature_columns,
    history_features,
    leavers_from_history,
)
from workforce.retention.labels import DEFAULT_LEAVE_REASONS, LABEL, label_snapshots, training_rows
from workforce.retention.selection import (
    calibrated,
    candidate_pipelines,
    check_target,
    fold_metrics,
    grouped_splits,
    select_model,
)

DEFAULT_BANDS = (0.15, 0.30)  # Low < 15% <= Medium < 30% <= High; national turnover ~15% [S1]
MIN_TEAM_FOR_TEAM_RISK = 5
RISK_COLUMNS = ["worker_id", "team", "locality", "p_leave", "band", "driver_1", "driver_2", "driver_3"]


@dataclass
class ChurnModel:
    """A fitted, calibrated churn model and what scoring needs besides the estimator."""

    estimator: Any
    numeric: list[str]
    categorical: list[str]
    horizon_months: int = 12
    leave_reasons: tuple[int, ...] = DEFAULT_LEAVE_REASONS
    use_protected: bool = False
    bands: tuple[float, float] = DEFAULT_BANDS
    leavers: pd.DataFrame = field(default_factory=pd.DataFrame)  # team, leave_date (no worker IDs)
    known_from: pd.Timestamp | None = None
    known_to: pd.Timestamp | None = None
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of leaving within the horizon for each feature row."""
        missing = [c for c in self.features if c not in features]
        if missing:
            raise InputError(f"the data lacks feature(s) the model was trained on: {', '.join(missing)}")
        return self.estimator.predict_proba(features[self.features])[:, 1]


def data_hash(history: pd.DataFrame) -> str:
    """SHA-256 of the table's content (independent of file format and row order)."""
    ordered = history.sort_values(["snapshot_date", "worker_id"]).reset_index(drop=True)
    hashed = pd.util.hash_pandas_object(ordered.astype(str), index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(ordered.columns).encode()).hexdigest()


def library_versions() -> dict[str, str]:
    import joblib
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "joblib": joblib.__version__,
    }


def out_of_time_split(rows: pd.DataFrame, horizon_months: int) -> tuple[np.ndarray, np.ndarray, pd.Timestamp]:
    """Test = snapshots in the last complete year (the 12 months up to the latest uncensored
    snapshot); train = snapshots whose whole horizon ended by the first test snapshot, so no
    training outcome was unknown at test time."""
    dates = rows["snapshot_date"]
    last = pd.Timestamp(dates.max())
    test = (dates > last - pd.DateOffset(months=12)).to_numpy()
    first_test = pd.Timestamp(dates[test].min())
    train = ((dates + pd.DateOffset(months=horizon_months)) <= first_test).to_numpy()
    return train, test, last


def band(p: np.ndarray | pd.Series, bands: tuple[float, float] = DEFAULT_BANDS) -> np.ndarray:
    """Low below the first threshold, High at or above the second, Medium between."""
    low, high = bands
    if not 0 <= low < high <= 1:
        raise InputError(f"band thresholds must satisfy 0 <= low < high <= 1, got {low}, {high}")
    p = np.asarray(p, dtype=float)
    return np.where(p >= high, "High", np.where(p >= low, "Medium", "Low"))


def train(
    history: pd.DataFrame,
    *,
    horizon_months: int = 12,
    leave_reasons: Iterable[int] = DEFAULT_LEAVE_REASONS,
    seed: int = 0,
    use_protected: bool = False,
    n_splits: int = 5,
    n_repeats: int = 3,
    bands: tuple[float, float] = DEFAULT_BANDS,
) -> tuple[ChurnModel, pd.DataFrame]:
    """Fit the churn model on `hr_history`; returns the model (with its card) and the fairness
    audit table (out-of-fold calibrated predictions, uncensored snapshots)."""
    reasons = tuple(int(r) for r in leave_reasons)
    features_all = history_features(history, use_protected=use_protected)
    labelled = label_snapshots(history, horizon_months=horizon_months, reasons=reasons)
    rows = training_rows(labelled)
    if rows.empty:
        raise InputError(
            f"hr_history: no snapshot has {horizon_months} months of follow-up (all censored); "
            "the history must span more than the horizon"
        )
    X = features_all.loc[rows.index]
    y = rows[LABEL].to_numpy(dtype=int)
    groups = rows["worker_id"].astype(str).to_numpy()
    check_target(y, where="hr_history (uncensored snapshots)")
    numeric, categorical = feature_columns(X)
    X = X[[*numeric, *categorical]].reset_index(drop=True)
    candidates = candidate_pipelines(numeric, categorical, seed=seed)
    selection = select_model(X, y, groups, candidates, n_splits=n_splits, n_repeats=n_repeats, seed=seed)
    winner = candidates[selection.selected]
    estimator = calibrated(winner, X, y, groups, n_splits=n_splits, seed=seed)

    # Out-of-time: the same recipe fitted on earlier years, tested on the last complete year.
    oot: dict[str, Any] = {"available": False}
    train_mask, test_mask, last = out_of_time_split(rows.reset_index(drop=True), horizon_months)
    y_tr, y_te = y[train_mask], y[test_mask]
    if train_mask.sum() and min(y_tr.sum(), len(y_tr) - y_tr.sum()) >= 5 and len(np.unique(y_te)) == 2:
        oot_model = calibrated(winner, X.loc[train_mask], y_tr, groups[train_mask], n_splits=n_splits, seed=seed)
        p_te = oot_model.predict_proba(X.loc[test_mask])[:, 1]
        oot = {
            "available": True,
            "train_until_date": str(pd.Timestamp(rows["snapshot_date"].to_numpy()[train_mask].max()).date()),
            "test_year_end_date": str(last.date()),
            "train_rows": int(train_mask.sum()),
            "test_rows": int(test_mask.sum()),
            "test_base_rate": float(y_te.mean()),
            **fold_metrics(y_te, p_te),
        }

    # Fairness on cross-fitted calibrated predictions (one repeat of grouped folds).
    p_oof = np.full(len(y), np.nan)
    for tr, te in grouped_splits(y, groups, n_splits=n_splits, n_repeats=1, seed=seed + 1000):
        fold_model = calibrated(winner, X.iloc[tr], y[tr], groups[tr], n_splits=3, seed=seed)
        p_oof[te] = fold_model.predict_proba(X.iloc[te])[:, 1]
    audit_frame = rows.reset_index(drop=True).assign(p_leave=p_oof)
    fairness_table = fairness.audit(audit_frame, p_col="p_leave", y_col=LABEL)

    leavers = leavers_from_history(history)[["team", "leave_date"]].reset_index(drop=True)
    snapshot_dates = rows["snapshot_date"]
    card = {
        "data_hash": data_hash(history),
        "training_period": {
            "first_snapshot_date": str(pd.Timestamp(snapshot_dates.min()).date()),
            "last_snapshot_date": str(pd.Timestamp(snapshot_dates.max()).date()),
            "follow_up_end_date": str(pd.Timestamp(history["snapshot_date"].max()).date()),
        },
        "rows": {
            "history": int(len(history)),
            "in_post_snapshots": int(len(labelled)),
            "censored": int(labelled["censored"].sum()),
            "training": int(len(rows)),
            "workers": int(rows["worker_id"].nunique()),
            "leavers": int(y.sum()),
        },
        "base_rate": float(y.mean()),
        "horizon_months": int(horizon_months),
        "leave_reasons": list(reasons),
        "use_protected": bool(use_protected),
        "features": {"numeric": numeric, "categorical": categorical},
        "bands": {"low_below": bands[0], "high_from": bands[1]},
        "selection": {
            "method": f"StratifiedGroupKFold by worker, {n_splits} folds x {n_repeats} repeats, seed {seed}; "
            "mean ROC AUC, ties (0.002) to the simpler model",
            "candidates": selection.candidates,
            "selected": selection.selected,
            "calibration": "CalibratedClassifierCV(method='sigmoid', grouped folds)",
        },
        "cross_validated": selection.candidates[selection.selected],
        "out_of_time": oot,
        "fairness": fairness.summary(fairness_table),
        "library_versions": library_versions(),
        "seed": int(seed),
    }
    model = ChurnModel(
        estimator=estimator,
        numeric=numeric,
        categorical=categorical,
        horizon_months=horizon_months,
        leave_reasons=reasons,
        use_protected=use_protected,
        bands=bands,
        leavers=leavers,
        known_from=pd.Timestamp(history["snapshot_date"].min()),
        known_to=pd.Timestamp(history["snapshot_date"].max()),
        card=card,
    )
    return model, fairness_table


def default_as_of(workers: pd.DataFrame, cases: pd.DataFrame | None = None) -> pd.Timestamp:
    """The data's own date: the latest worker start date or case allocation date (an extract
    is as recent as the last thing it records); today when the data holds no such date.

    Not simply "today": an extract scored a year after it was taken (as the demo authority
    is) would otherwise age every worker's tenure by a year."""
    dates = []
    if "start_date" in workers:
        dates.append(pd.to_datetime(workers["start_date"], errors="coerce").max())
    if cases is not None and "allocated_since" in cases:
        dates.append(pd.to_datetime(cases["allocated_since"], errors="coerce").max())
    dates = [d for d in dates if pd.notna(d)]
    return pd.Timestamp(max(dates)).normalize() if dates else pd.Timestamp.today().normalize()


def worker_features(
    model: ChurnModel,
    workers: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Features of current workers through the same :func:`derive_features` as training. Team
    turnover comes from `history` when given, otherwise from the leavers stored with the model."""
    as_of = pd.Timestamp(as_of) if as_of is not None else default_as_of(workers, cases)
    states = current_states(workers, cases, as_of)
    if history is not None:
        leavers = leavers_from_history(history)
        known_from, known_to = pd.Timestamp(history["snapshot_date"].min()), pd.Timestamp(history["snapshot_date"].max())
    else:
        leavers, known_from, known_to = model.leavers, model.known_from, model.known_to
    return derive_features(
        states, leavers=leavers, known_from=known_from, known_to=known_to, use_protected=model.use_protected
    )


def score(
    model: ChurnModel,
    workers: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | None = None,
    history: pd.DataFrame | None = None,
    bands: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """The risk table: `worker_id, team, locality, p_leave, band, driver_1..3`."""
    features = worker_features(model, workers, cases, as_of=as_of, history=history)
    teams = workers["team"].astype(str) if "team" in workers else pd.Series("unknown", index=workers.index)
    p, effects = drivers.predict_with_what_ifs(model.predict, features, teams)
    top = drivers.top_drivers(effects)
    risk = pd.DataFrame(
        {
            "worker_id": workers["worker_id"].astype(str).to_numpy(),
            "team": teams.to_numpy(),
            "locality": (workers["locality"].astype(str) if "locality" in workers else teams).to_numpy(),
            "p_leave": p,
            "band": band(p, bands or model.bands),
        }
    )
    for column in top.columns:
        risk[column] = top[column].to_numpy()
    return risk[RISK_COLUMNS]


def quarterly_hazard(p: np.ndarray | pd.Series, quarters: int = 4) -> np.ndarray:
    """Constant hazard per quarter over the horizon: p_q = 1 - (1 - p)^(1/quarters)."""
    return 1.0 - np.power(1.0 - np.asarray(p, dtype=float), 1.0 / quarters)


def team_risk(risk: pd.DataFrame, *, quarters: int = 4, min_team: int = MIN_TEAM_FOR_TEAM_RISK) -> pd.DataFrame:
    """Expected leavers per team and per quarter (sums of probabilities; quarter k gets
    (1 - p_q)^(k-1) p_q so the quarters add up to p). Teams under `min_team` people are not
    shown on their own: they are combined into one row per locality (`level` = "locality")."""
    frame = risk[["team", "locality", "p_leave"]].copy()
    p_q = quarterly_hazard(frame["p_leave"], quarters)
    for k in range(1, quarters + 1):
        frame[f"expected_leavers_q{k}"] = np.power(1.0 - p_q, k - 1) * p_q
    size = frame.groupby("team")["team"].transform("size")
    small = size < min_team
    frame["level"] = np.where(small, "locality", "team")
    frame.loc[small, "team"] = "(teams under 5 combined)" if min_team == 5 else f"(teams under {min_team} combined)"
    agg = {"workers": ("p_leave", "size"), "mean_p_leave": ("p_leave", "mean"), "expected_leavers": ("p_leave", "sum")}
    agg.update({f"expected_leavers_q{k}": (f"expected_leavers_q{k}", "sum") for k in range(1, quarters + 1)})
    out = frame.groupby(["level", "locality", "team"], sort=True).agg(**agg).reset_index()
    return out.sort_values(["locality", "level", "team"], ascending=[True, False, True]).reset_index(drop=True)
