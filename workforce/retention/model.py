"""The churn model: when people leave and why, quarter by quarter, from `hr_history`.

A discrete-time competing-risks hazard model (:mod:`workforce.retention.hazard`) learns, from
person-quarter rows of the history, each worker's chance of leaving in each quarter for each
reason (voluntary, retirement, other: :data:`workforce.contracts.LEAVE_REASON_GROUPS`).

The API the plans and the register build on:

* :func:`train` - select the hazard model by repeated grouped CV (concordance, 12-month
  time-dependent AUC, integrated Brier score), fit it, check it out of time by reason, audit
  fairness, write the model card;
* :func:`predict_hazards` - the tidy forecast for 12 quarters: `worker_id, team, locality,
  quarter, quarter_start, reason, hazard, cumulative_incidence`;
* :func:`expected_leavers` - sums of it by team, quarter and reason;
* :func:`score` - the risk register: `p_leave` (leaving for any reason within 12 months,
  retirement included: every leaver is a post to fill), `p_voluntary_12m` (the flight risk the
  band and the levers are about), `p_retire_12m`, `p_other_12m`, band, levers and context;
* :func:`team_risk` - expected leavers per team for the register.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workforce.contracts import LEAVE_REASON_GROUPS, latest_input_date
from workforce.errors import InputError
from workforce.retention import drivers, fairness
from workforce.retention.features import (
    PROTECTED,
    advance,
    current_states,
    derive_features,
    feature_columns,
    history_features,
    leavers_from_history,
)
from workforce.retention.curves import cumulative_incidence
from workforce.retention.hazard import (
    PLAIN_BASELINE,
    hazard_candidates,
    predict_period_hazards,
)
from workforce.retention.labels import REASONS, add_months, reason_class, snapshot_outcomes
from workforce.retention.metrics import reliability_table
from workforce.retention.selection import (
    SurvivalData,
    check_target,
    fit_hazard_model,
    fold_metrics,
    select_hazard_model,
)

DEFAULT_BANDS = (0.15, 0.30)  # Low < 15% <= Medium < 30% <= High flight risk; national turnover 15.4% [S13]
MIN_TEAM_FOR_TEAM_RISK = 5
FORECAST_QUARTERS = 12  # the plans' three-year horizon
RISK_COLUMNS = ["worker_id", "team", "locality", "p_leave", "p_voluntary_12m", "p_retire_12m", "p_other_12m",
                "band", "driver_1", "driver_2", "driver_3", "context"]
MODEL_FORMAT = 2  # 2: quarterly competing-risks hazards (1: the yes/no classifier before them)
HAZARD_COLUMNS = ["worker_id", "team", "locality", "quarter", "quarter_start", "reason", "hazard", "cumulative_incidence"]


@dataclass
class ChurnModel:
    """A fitted hazard model and what scoring needs besides the estimator.

    `estimator` predicts, for a feature row at the start of a quarter, the probability of
    staying (class 0) or leaving for each reason (classes 1..3 in :data:`REASONS` order)
    during that quarter.
    """

    estimator: Any
    numeric: list[str]
    categorical: list[str]
    horizon_months: int = 12
    reasons: tuple[str, ...] = REASONS
    use_protected: bool = False
    bands: tuple[float, float] = DEFAULT_BANDS
    leavers: pd.DataFrame = field(default_factory=pd.DataFrame)  # team, leave_date (no worker IDs)
    known_from: pd.Timestamp | None = None
    known_to: pd.Timestamp | None = None
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def horizon_quarters(self) -> int:
        return self.horizon_months // 3

    def hazards(self, features: pd.DataFrame, quarters: int = FORECAST_QUARTERS) -> np.ndarray:
        """Quarterly hazards by reason for each feature row: array (rows, quarters, reasons)."""
        missing = [c for c in self.features if c not in features]
        if missing:
            raise InputError(f"the data lacks feature(s) the model was trained on: {', '.join(missing)}")
        return predict_period_hazards(self.estimator, features[self.features], quarters, advance, len(self.reasons))

    def incidence(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of leaving for each reason within the horizon: array (rows, reasons)."""
        _, F = cumulative_incidence(self.hazards(features, self.horizon_quarters))
        return F[:, -1, :]

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of leaving for any reason within the horizon for each feature row."""
        S, _ = cumulative_incidence(self.hazards(features, self.horizon_quarters))
        return 1.0 - S[:, -1]

    def predict_voluntary(self, features: pd.DataFrame) -> np.ndarray:
        """Flight risk: probability of leaving voluntarily within the horizon."""
        return self.incidence(features)[:, self.reasons.index("voluntary")]


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


def band(p: np.ndarray | pd.Series, bands: tuple[float, float] = DEFAULT_BANDS) -> np.ndarray:
    """Low below the first threshold, High at or above the second, Medium between."""
    low, high = bands
    if not 0 <= low < high <= 1:
        raise InputError(f"band thresholds must satisfy 0 <= low < high <= 1, got {low}, {high}")
    p = np.asarray(p, dtype=float)
    return np.where(p >= high, "High", np.where(p >= low, "Medium", "Low"))


def check_horizon(horizon_months: int) -> int:
    """The horizon must be whole quarters within the three-year forecast."""
    if horizon_months % 3 or not 3 <= horizon_months <= 3 * FORECAST_QUARTERS:
        raise InputError(f"the horizon must be 3 to {3 * FORECAST_QUARTERS} months in whole quarters, got {horizon_months}")
    return horizon_months // 3


def survival_data(outcomes: pd.DataFrame, X: pd.DataFrame, horizon_quarters: int) -> SurvivalData:
    """The snapshots as time-to-event subjects (see :func:`snapshot_outcomes`)."""
    return SurvivalData(
        X=X.reset_index(drop=True),
        time=outcomes["time_quarters"].to_numpy(dtype=int),
        event=outcomes["event"].to_numpy(dtype=bool),
        cause=reason_class(outcomes["reason"]),
        groups=outcomes["worker_id"].astype(str).to_numpy(),
        train_periods=outcomes["train_quarters"].to_numpy(dtype=int),
        advance=advance,
        horizon=horizon_quarters,
        periods=FORECAST_QUARTERS,
        n_reasons=len(REASONS),
    )


def _by_reason(y_reason: np.ndarray, incidence: np.ndarray) -> dict[str, dict[str, float]]:
    """Per reason: ROC AUC of its 12-month incidence, observed and expected leavers."""
    out = {}
    for j, reason in enumerate(REASONS):
        y = (y_reason == reason).astype(int)
        metrics = fold_metrics(y, incidence[:, j])
        out[reason] = {"roc_auc": metrics["roc_auc"], "brier": metrics["brier"],
                       "observed_leavers": int(y.sum()), "expected_leavers": float(incidence[:, j].sum())}
    return out


def out_of_time(history: pd.DataFrame, features: pd.DataFrame, estimator, numeric: list[str],
                categorical: list[str], horizon_quarters: int) -> dict[str, Any]:
    """The selected recipe refitted on what was known at the start of the last complete year
    and tested on that year's snapshots, overall and by reason.

    Test: snapshots in the 12 months up to the latest snapshot with a whole horizon of follow-up.
    Train: earlier snapshots with their outcomes cut off at the first test snapshot (nothing
    later was known then)."""
    horizon_months = 3 * horizon_quarters
    end = pd.Timestamp(history["snapshot_date"].max())
    dates = pd.to_datetime(history["snapshot_date"])
    complete = dates[add_months(dates, horizon_months) <= end]
    if complete.empty:
        return {"available": False, "reason": "no snapshot has a whole horizon of follow-up"}
    last = pd.Timestamp(complete.max())
    first_test = pd.Timestamp(dates[(dates > add_months(last, -12)) & (dates <= last)].min())
    known = history.loc[dates <= first_test]
    train_out = snapshot_outcomes(known, end_date=first_test)
    train_out = train_out.loc[train_out["train_quarters"] > 0]
    test_out = snapshot_outcomes(history)
    test_out = test_out.loc[(test_out["snapshot_date"] >= first_test) & (test_out["snapshot_date"] <= last)]
    if train_out.empty or test_out.empty:
        return {"available": False, "reason": "needs earlier years to train on and a complete test year"}
    data = survival_data(train_out, features.loc[train_out.index, [*numeric, *categorical]], horizon_quarters)
    left = data.left_by_horizon
    if min(left.sum(), len(left) - left.sum()) < 5:
        return {"available": False, "reason": "fewer than 5 leavers (or stayers) in the years before the test year"}
    try:
        model = fit_hazard_model(estimator, data)
    except InputError as exc:
        return {"available": False, "reason": str(exc)}
    X_test = features.loc[test_out.index, [*numeric, *categorical]].reset_index(drop=True)
    h = predict_period_hazards(model, X_test, horizon_quarters, advance, len(REASONS))
    S, F = cumulative_incidence(h)
    p = 1.0 - S[:, -1]
    by_horizon = test_out["event"].to_numpy() & (test_out["time_quarters"].to_numpy() <= horizon_quarters)
    y_reason = np.where(by_horizon, test_out["reason"].to_numpy(dtype=object), "")
    if len(np.unique(by_horizon)) < 2:
        return {"available": False, "reason": "the test year has a single outcome"}
    return {
        "available": True,
        "train_until_date": str(first_test.date()),
        "test_year_end_date": str(last.date()),
        "train_rows": int(len(train_out)),
        "test_rows": int(len(test_out)),
        "test_base_rate": float(by_horizon.mean()),
        **fold_metrics(by_horizon.astype(int), p),
        "expected_leavers": float(p.sum()),
        "observed_leavers": int(by_horizon.sum()),
        "by_reason": _by_reason(y_reason, F[:, -1, :]),
    }


def lever_fairness(model: "ChurnModel", history: pd.DataFrame, features: pd.DataFrame, rows: pd.Index,
                   **thresholds: Any) -> pd.DataFrame:
    """Fairness of the levers on the history's snapshots `rows`: do the levers offered differ by
    protected group for the same flight risk? (the fitted model's what-ifs on every snapshot;
    `thresholds` go to :func:`fairness.lever_audit`)."""
    states = history.loc[rows]
    f = features.loc[rows, model.features]
    result = drivers.what_ifs(model.predict_voluntary, f, drivers.references(states, f))
    frame = states.reset_index(drop=True).assign(p_voluntary=result.risk)
    return fairness.lever_audit(frame, result.offered().reset_index(drop=True), **thresholds)


def train(
    history: pd.DataFrame,
    *,
    horizon_months: int = 12,
    seed: int = 0,
    use_protected: bool = False,
    n_splits: int = 5,
    n_repeats: int = 3,
    bands: tuple[float, float] = DEFAULT_BANDS,
) -> tuple[ChurnModel, pd.DataFrame]:
    """Fit the churn hazard model on `hr_history`.

    Parameters
    ----------
    history : DataFrame
        Typed `hr_history` (`workforce.contracts.load_hr_history`).
    horizon_months : int
        Horizon of the register's probabilities (whole quarters, default 12).
    seed : int
        Folds and models.
    use_protected : bool
        Also use protected characteristics as features (opt-in; they are always audited).
    n_splits, n_repeats : int
        Grouped cross-validation folds and repeats.
    bands : (float, float)
        Flight-risk band thresholds.

    Returns
    -------
    (ChurnModel, DataFrame)
        The model (with its card) and the fairness audit (predictions out of fold on snapshots
        with a known 12-month outcome; levers on every snapshot).

    Raises
    ------
    InputError
        Too little follow-up or too few leavers to fit and cross-validate.
    """
    horizon_quarters = check_horizon(horizon_months)
    features_all = history_features(history, use_protected=use_protected)
    outcomes = snapshot_outcomes(history)
    followed = outcomes.loc[outcomes["time_quarters"] > 0]
    if followed.empty:
        raise InputError("hr_history: no snapshot has any follow-up (a single snapshot date); the history "
                         "must span at least two snapshot dates")
    numeric, categorical = feature_columns(features_all.loc[followed.index])
    X = features_all.loc[followed.index, [*numeric, *categorical]]
    data = survival_data(followed, X, horizon_quarters)
    known = data.known_at_horizon
    check_target(data.left_by_horizon[known].astype(int), where=f"hr_history (snapshots with {horizon_months} months of follow-up)")
    candidates = hazard_candidates(numeric, categorical, spline=["tenure_years"] if "tenure_years" in numeric else [], seed=seed)
    selection = select_hazard_model(data, candidates, n_splits=n_splits, n_repeats=n_repeats, seed=seed)
    winner = candidates[selection.selected]
    estimator = fit_hazard_model(winner, data)
    model = ChurnModel(
        estimator=estimator, numeric=numeric, categorical=categorical, horizon_months=horizon_months,
        use_protected=use_protected, bands=bands,
        leavers=leavers_from_history(history)[["team", "leave_date"]].reset_index(drop=True),
        known_from=pd.Timestamp(history["snapshot_date"].min()),
        known_to=pd.Timestamp(history["snapshot_date"].max()),
    )

    # Calibration and fairness of the 12-month probability, out of fold, where it is known.
    p_oof = selection.oof_risk[selection.selected][known]
    y_known = data.left_by_horizon[known].astype(int)
    reliability = reliability_table(p_oof, y_known, n_bins=10)
    audit_rows = followed.loc[known]
    table = fairness.audit(audit_rows.reset_index(drop=True).assign(p_leave=p_oof, left=y_known),
                           p_col="p_leave", y_col="left")
    fairness_table = pd.concat([table, lever_fairness(model, history, features_all, followed.index)], ignore_index=True)

    oot = out_of_time(history, features_all, winner, numeric, categorical, horizon_quarters)
    snapshot_dates = followed["snapshot_date"]
    by_reason = {r: int(((followed["reason"] == r) & followed["event"]).sum()) for r in REASONS}
    model.card = {
        "model_format": MODEL_FORMAT,
        "data_hash": data_hash(history),
        "training_period": {
            "first_snapshot_date": str(pd.Timestamp(snapshot_dates.min()).date()),
            "last_snapshot_date": str(pd.Timestamp(snapshot_dates.max()).date()),
            "follow_up_end_date": str(pd.Timestamp(history["snapshot_date"].max()).date()),
        },
        "rows": {
            "history": int(len(history)),
            "in_post_snapshots": int(len(outcomes)),
            "without_follow_up": int(len(outcomes) - len(followed)),
            "snapshots_used": int(len(followed)),
            "person_quarters": int(data.train_periods.sum()),
            "workers": int(followed["worker_id"].nunique()),
            "leavers_by_reason": by_reason,
            "known_at_horizon": int(known.sum()),
            "left_within_horizon": int(y_known.sum()),
        },
        "base_rate": float(y_known.mean()),
        "horizon_months": int(horizon_months),
        "forecast_quarters": FORECAST_QUARTERS,
        "reasons": {r: list(LEAVE_REASON_GROUPS[r]) for r in REASONS},
        "p_leave": ("probability of leaving for any reason (voluntary, retirement or other) within the horizon; "
                    "p_voluntary is the flight risk the band and the levers act on; retirement is shown separately "
                    "and is never flight risk"),
        "use_protected": bool(use_protected),
        "features": {"numeric": numeric, "categorical": categorical},
        "bands": {"low_below": bands[0], "high_from": bands[1], "on": "p_voluntary (flight risk)"},
        "selection": {
            "method": (f"discrete-time competing-risks hazard (person-quarters); StratifiedGroupKFold by worker, "
                       f"{n_splits} folds x {n_repeats} repeats, seed {seed}; concordance (Harrell, censored), "
                       f"time-dependent AUC at {horizon_months} months (IPCW) and integrated Brier score over "
                       f"{FORECAST_QUARTERS} quarters (IPCW)"),
            "rule": selection.rule,
            "candidates": selection.candidates,
            "selected": selection.selected,
            "plain_baseline": PLAIN_BASELINE,
            "calibration": "none after fitting: the reliability table checks the 12-month probability out of fold",
        },
        "cross_validated": selection.candidates[selection.selected],
        "reliability": {f"bin {int(r['bin'])}": {k: round(float(r[k]), 4) if k != "count" else int(r[k])
                                                 for k in ("count", "p_from", "p_to", "mean_predicted", "observed_rate")}
                        for _, r in reliability.iterrows()},
        "out_of_time": oot,
        "fairness": fairness.summary(fairness_table),
        "warnings": [*few_leavers_warnings(by_reason),
                     *model_warnings(selection.candidates[selection.selected], by_reason, use_protected)],
        "stored_with_model": ("each leaver's team and leave date (no worker IDs), to count team turnover when "
                              "scoring without hr_history: a team with one leaver points to a person, so share the "
                              "model folder only as you would the HR history"),
        "library_versions": library_versions(),
        "seed": int(seed),
    }
    return model, fairness_table


MIN_LEAVERS_PER_REASON = 10  # [DEFAULT] fewer and a reason's hazard rests on too few events to trust


#: Below this cross-validated concordance a model ranks people little better than chance [DEFAULT]
#: (0.5 is chance; the published tenure models reach about 0.6).
WEAK_CONCORDANCE = 0.6


def model_warnings(cross_validated: dict, leavers_by_reason: dict[str, int], use_protected: bool) -> list[str]:
    """What a reader of the register must know before using it on a person: protected
    characteristics used as features (only when the user opts in: every output that shows the
    model's warnings then says so), a model that ranks people little better than chance, and a
    retirement chance that cannot tell who is near retirement because age is not used."""
    out = []
    if use_protected:
        out.append(f"protected characteristics ({', '.join(PROTECTED)}) are features of this model (opted in): every "
                   "chance of leaving, and the caseload and L&D decisions that read them, depend partly on them; the "
                   "fairness audit shows their effect, and without the opt-in they are used for the audit alone")
    c_index = (cross_validated.get("c_index") or {}).get("mean")
    if c_index is not None and c_index < WEAK_CONCORDANCE:
        out.append(f"the model ranks people little better than chance (cross-validated concordance {c_index:.2f}; "
                   "0.5 is chance): read the register's chances as the authority's rates for people like these, "
                   "not as predictions about a person")
    if not use_protected and leavers_by_reason.get("retirement", 0) > 0:
        out.append("age is not used (a protected characteristic, used only when you opt in), so the model cannot "
                   "tell who is near retirement: p_retire_12m is close to the authority's retirement rate for "
                   "everyone; plan retirements from ages in the HR system")
    return out


def few_leavers_warnings(leavers_by_reason: dict[str, int], minimum: int = MIN_LEAVERS_PER_REASON) -> list[str]:
    """A warning for each reason with too few leavers in the history to estimate its hazard."""
    out = []
    for reason, n in leavers_by_reason.items():
        if n == 0:
            out.append(f"no {reason} leavers in the history: the model predicts none (plan for them from other evidence)")
        elif n < minimum:
            out.append(f"only {n} {reason} leavers in the history: that hazard rests on very few events")
    return out


def default_as_of(workers: pd.DataFrame, cases: pd.DataFrame | None = None) -> pd.Timestamp:
    """The data's own date (`contracts.latest_input_date`); today when the data holds no date.

    Not simply "today": an extract scored a year after it was taken (as the demo authority
    is) would otherwise age every worker's tenure by a year."""
    latest = latest_input_date(workers, cases)
    return latest if latest is not None else pd.Timestamp.today().normalize()


def check_in_post(workers: pd.DataFrame, as_of: pd.Timestamp, option: str = "--as-of") -> None:
    """Refuse a scoring date before a worker's `start_date`: they were not in post then, and their
    tenure (clipped at 0) would be scored as a new starter's without a word. The inputs' own date
    (:func:`default_as_of`) is never before a start date.

    Raises
    ------
    InputError
        Naming the option, how many workers and the first of them.
    """
    if "start_date" not in workers:
        return
    early = workers[pd.to_datetime(workers["start_date"]) > as_of]
    if len(early):
        first = early.iloc[0]
        raise InputError(f"{as_of.date()} is before the start_date of {len(early)} of {len(workers)} workers (first "
                         f"{first['worker_id']}, {pd.Timestamp(first['start_date']).date()}): they were not in post then; "
                         "score at a later date, or leave it out for the inputs' own date", column=option)


def worker_states(
    model: ChurnModel,
    workers: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | None = None,
    history: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(states, features) of current workers through the same :func:`derive_features` as
    training. Team turnover comes from `history` when given, otherwise from the leavers stored
    with the model."""
    as_of = pd.Timestamp(as_of) if as_of is not None else default_as_of(workers, cases)
    states = current_states(workers, cases, as_of)
    if history is not None:
        leavers = leavers_from_history(history)
        known_from, known_to = pd.Timestamp(history["snapshot_date"].min()), pd.Timestamp(history["snapshot_date"].max())
    else:
        leavers, known_from, known_to = model.leavers, model.known_from, model.known_to
    features = derive_features(states, leavers=leavers, known_from=known_from, known_to=known_to,
                               use_protected=model.use_protected)
    return states, features


def worker_features(model: ChurnModel, workers: pd.DataFrame, cases: pd.DataFrame | None = None, *,
                    as_of: pd.Timestamp | None = None, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Features of current workers (see :func:`worker_states`)."""
    return worker_states(model, workers, cases, as_of=as_of, history=history)[1]


def _teams(workers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    teams = workers["team"].astype(str) if "team" in workers else pd.Series("unknown", index=workers.index)
    locality = workers["locality"].astype(str) if "locality" in workers else teams
    return teams.to_numpy(), locality.to_numpy()


def predict_hazards(
    model: ChurnModel,
    workers: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | None = None,
    history: pd.DataFrame | None = None,
    quarters: int = FORECAST_QUARTERS,
) -> pd.DataFrame:
    """Each worker's chance of leaving in each of the next `quarters` quarters, by reason.

    Parameters
    ----------
    model : ChurnModel
    workers, cases : DataFrame
        Typed `workers` and (optionally) `cases`, as for :func:`score`.
    as_of : Timestamp, optional
        Start of quarter 1 (default: :func:`default_as_of`).
    history : DataFrame, optional
        Recent `hr_history` for team turnover (default: the leavers stored with the model).
    quarters : int
        Quarters forecast (default 12, three years).

    Returns
    -------
    DataFrame
        One row per worker, quarter and reason (tidy), columns :data:`HAZARD_COLUMNS`:
        `quarter` 1..quarters; `quarter_start` its first day (as_of + 3(quarter-1) months);
        `reason` voluntary / retirement / other; `hazard` the chance of leaving for that reason
        in that quarter if still in post at its start; `cumulative_incidence` the chance of
        having left for that reason by the quarter's end. The chance of still being in post
        after quarter k is 1 minus the sum over reasons of `cumulative_incidence` at k.
    """
    as_of = pd.Timestamp(as_of) if as_of is not None else default_as_of(workers, cases)
    _, features = worker_states(model, workers, cases, as_of=as_of, history=history)
    h = model.hazards(features, quarters)
    _, F = cumulative_incidence(h)
    teams, locality = _teams(workers)
    n, R = len(features), len(model.reasons)
    index = np.arange(n).repeat(quarters * R)
    quarter = np.tile(np.arange(1, quarters + 1).repeat(R), n)
    starts = pd.DatetimeIndex([add_months(as_of, 3 * (q - 1)) for q in range(1, quarters + 1)])
    return pd.DataFrame({
        "worker_id": workers["worker_id"].astype(str).to_numpy()[index],
        "team": teams[index],
        "locality": locality[index],
        "quarter": quarter,
        "quarter_start": starts[quarter - 1],
        "reason": np.tile(np.array(model.reasons, dtype=object), n * quarters),
        "hazard": h.reshape(-1),
        "cumulative_incidence": F.reshape(-1),
    }, columns=HAZARD_COLUMNS)


def quarterly_leavers(hazards: pd.DataFrame) -> pd.Series:
    """Each row's chance of leaving for its reason *in* its quarter (the step in cumulative
    incidence), aligned to `hazards`."""
    ordered = hazards.sort_values(["worker_id", "reason", "quarter"], kind="stable")
    step = ordered.groupby(["worker_id", "reason"], sort=False)["cumulative_incidence"].diff()
    step = step.fillna(ordered["cumulative_incidence"])
    return step.reindex(hazards.index)


def expected_leavers(hazards: pd.DataFrame, by: tuple[str, ...] = ("team", "quarter", "reason")) -> pd.DataFrame:
    """Expected leavers (sums of probabilities) from :func:`predict_hazards`, grouped `by` any
    of its columns; `quarter_start` is kept when grouping by quarter."""
    frame = hazards.assign(expected_leavers=quarterly_leavers(hazards))
    keys = list(by)
    if "quarter" in keys and "quarter_start" not in keys:
        keys.insert(keys.index("quarter") + 1, "quarter_start")
    return frame.groupby(keys, sort=True)["expected_leavers"].sum().reset_index()


def score(
    model: ChurnModel,
    workers: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | None = None,
    history: pd.DataFrame | None = None,
    bands: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """The risk register, columns :data:`RISK_COLUMNS` (probability names follow the model's
    horizon; 12 months by default).

    `p_leave`: leaving for any reason within the horizon (one minus survival from the quarterly
    hazards of every reason); `p_voluntary_12m`, `p_retire_12m`, `p_other_12m`: by reason (they
    add up to `p_leave`); `band`: flight-risk band on `p_voluntary_12m`; `driver_1..3`: the
    levers that lower the flight risk most, each stating what changes and by how much;
    `context`: tenure, absence (and age band when used) where they add to the flight risk,
    shown but never offered as levers.
    """
    states, features = worker_states(model, workers, cases, as_of=as_of, history=history)
    F = model.incidence(features)
    h_months = model.horizon_months
    result = drivers.what_ifs(model.predict_voluntary, features, drivers.references(states, features))
    levers = drivers.top_levers(result, horizon_months=h_months)
    teams, locality = _teams(workers)
    voluntary = F[:, model.reasons.index("voluntary")]
    risk = pd.DataFrame({
        "worker_id": workers["worker_id"].astype(str).to_numpy(),
        "team": teams,
        "locality": locality,
        "p_leave": F.sum(axis=1),
        f"p_voluntary_{h_months}m": voluntary,
        f"p_retire_{h_months}m": F[:, model.reasons.index("retirement")],
        f"p_other_{h_months}m": F[:, model.reasons.index("other")],
        "band": band(voluntary, bands or model.bands),
    })
    for column in levers.columns:
        risk[column] = levers[column].to_numpy()
    risk["context"] = drivers.context_text(result).to_numpy()
    return risk


def _constant_quarters(p: np.ndarray, quarters: int) -> np.ndarray:
    """Leavers per quarter when only a horizon probability is known (constant hazard)."""
    q = 1.0 - np.power(1.0 - np.clip(p, 0.0, 1.0 - 1e-12), 1.0 / quarters)
    return np.stack([np.power(1.0 - q, k - 1) * q for k in range(1, quarters + 1)], axis=1)


def _team_levels(frame: pd.DataFrame, min_team: int) -> pd.DataFrame:
    """`frame` (one row per worker and whatever else, with `worker_id`, `team`, `locality`) with
    `level`: teams under `min_team` people are combined into one row per locality, so that no
    team figure is one or two people's."""
    size = frame.groupby("team")["worker_id"].transform("nunique")
    small = (size < min_team).to_numpy()
    out = frame.copy()
    out["level"] = np.where(small, "locality", "team")
    out.loc[small, "team"] = f"(teams under {min_team} combined)"
    return out


def team_leavers(hazards: pd.DataFrame, *, min_team: int = MIN_TEAM_FOR_TEAM_RISK) -> pd.DataFrame:
    """Expected leavers by team, quarter and reason over the hazards' quarters (no replacements):
    `level, locality, team, quarter, quarter_start, reason, expected_leavers`, teams under
    `min_team` people combined per locality as in :func:`team_risk`."""
    frame = _team_levels(hazards.assign(expected_leavers=quarterly_leavers(hazards)), min_team)
    keys = ["level", "locality", "team", "quarter", "quarter_start", "reason"]
    out = frame.groupby(keys, sort=True)["expected_leavers"].sum().reset_index()
    return out.sort_values(["locality", "level", "team", "quarter", "reason"],
                           ascending=[True, False, True, True, True]).reset_index(drop=True)


def team_risk(
    risk: pd.DataFrame,
    hazards: pd.DataFrame | None = None,
    *,
    quarters: int = 4,
    min_team: int = MIN_TEAM_FOR_TEAM_RISK,
) -> pd.DataFrame:
    """Expected leavers per team within the horizon and per quarter.

    With `hazards` (:func:`predict_hazards`) the quarters come from the model's quarterly
    hazards; without (a risk table read from a file) from a constant hazard over the horizon.
    Columns: `level, locality, team, workers, mean_p_leave, expected_leavers`, expected leavers
    by reason where the risk table has them, `expected_leavers_q1..q{quarters}`. Teams under
    `min_team` people are combined into one row per locality (`level` = "locality")."""
    frame = risk[["worker_id", "team", "locality", "p_leave"]].copy()
    reason_columns = [c for c in risk.columns if c.startswith(("p_voluntary_", "p_retire_", "p_other_"))]
    for column in reason_columns:
        frame["expected_" + column[2:]] = risk[column].astype(float).to_numpy()
    if hazards is not None:
        per = hazards.assign(leavers=quarterly_leavers(hazards))
        per = per.loc[per["quarter"] <= quarters].pivot_table(index="worker_id", columns="quarter", values="leavers",
                                                              aggfunc="sum")
        by_quarter = per.reindex(frame["worker_id"].astype(str)).reindex(columns=range(1, quarters + 1)).to_numpy()
    else:
        by_quarter = _constant_quarters(frame["p_leave"].to_numpy(dtype=float), quarters)
    for k in range(1, quarters + 1):
        frame[f"expected_leavers_q{k}"] = by_quarter[:, k - 1]
    frame = _team_levels(frame, min_team)
    agg = {"workers": ("p_leave", "size"), "mean_p_leave": ("p_leave", "mean"), "expected_leavers": ("p_leave", "sum")}
    agg.update({c: (c, "sum") for c in frame.columns if c.startswith("expected_")})
    out = frame.groupby(["level", "locality", "team"], sort=True).agg(**agg).reset_index()
    return out.sort_values(["locality", "level", "team"], ascending=[True, False, True]).reset_index(drop=True)
