"""Features at a snapshot date, derived by ONE function for training rows and current workers.

`derive_features(states, leavers=...)` takes one row per worker per as-of date (`hr_history`
rows, or the `workers` table with an as-of `snapshot_date` added by :func:`current_states`) and
returns the model's feature frame. Because training and scoring go through the same function,
the two cannot drift apart.

Feature columns (all optional inputs give NaN when absent; the model imputes them):

| feature | from | why it may matter |
|---|---|---|
| `tenure_years`, `tenure_band` | `snapshot_date - start_date` | leaving concentrates in the first 5 years |
| `fte`, `agency`, `asye`, `role` | as recorded | contract and career stage |
| `cases_held`, `children_per_fte` | `cases_held` | headcount caseload |
| `caseload_ratio` | `caseload_points / capacity_points` | weighted caseload against capacity |
| `sickness_days_12m` | as recorded | stress and burnout |
| `supervision_hours_month` | `supervision_hours_3m / 3` | support (standard: 1.5 h a month) |
| `reallocations_12m` | as recorded | changes of caseload received |
| `team_turnover_12m` | leavers of the team in the previous 12 months / team headcount | contagion, team stability |
| `team_size` | headcount of the team at the date | small-team pressure |
| `age_band`, `gender`, `ethnicity`, `disability` | protected; only with `use_protected` | |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC_FEATURES: tuple[str, ...] = (
    "tenure_years",
    "fte",
    "agency",
    "asye",
    "cases_held",
    "children_per_fte",
    "caseload_ratio",
    "sickness_days_12m",
    "supervision_hours_month",
    "reallocations_12m",
    "team_turnover_12m",
    "team_size",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("role", "tenure_band")
# Leaving is not linear in tenure: it concentrates in the first 2 years, then 2-5 (brief s1:
# 35% of leavers under 2 years' service, 33% 2-5 years [S15]).
TENURE_BANDS = ((10.0, "10+"), (5.0, "5-10"), (2.0, "2-5"), (1.0, "1-2"), (0.0, "0-1"))
PROTECTED: tuple[str, ...] = ("gender", "age_band", "ethnicity", "disability")
UNKNOWN_TEAM = "unknown"


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    """A numeric column, or NaN when the table does not have it."""
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return frame[column].astype("boolean").astype(float)


def leavers_from_history(history: pd.DataFrame) -> pd.DataFrame:
    """One row per leaving: `worker_id, team, leave_date` (the team of the worker's last snapshot
    before leaving). Every leave reason counts: a team feels a death or a dismissal too."""
    if "leave_date" not in history:
        return pd.DataFrame({"worker_id": [], "team": [], "leave_date": pd.to_datetime([])})
    rows = history.loc[history["leave_date"].notna() & (history["snapshot_date"] < history["leave_date"])]
    last = rows.sort_values(["worker_id", "leave_date", "snapshot_date"]).drop_duplicates(
        ["worker_id", "leave_date"], keep="last"
    )
    return last[["worker_id", "team", "leave_date"]].reset_index(drop=True)


TURNOVER_STALE_DAYS = 92  # leavers recorded up to a quarter before the as-of date still count


def team_turnover(
    states: pd.DataFrame,
    leavers: pd.DataFrame | None,
    known_from: pd.Timestamp | None,
    known_to: pd.Timestamp | None = None,
) -> pd.Series:
    """Leavers of the worker's team in the 12 months before the as-of date, over the team's
    headcount at that date. NaN when the history does not cover the previous year: it starts
    after `as-of - 12 months` (`known_from`) or ends more than a quarter before the as-of date
    (`known_to`, default: the latest leave date), or there is no history."""
    result = pd.Series(np.nan, index=states.index, dtype=float)
    if leavers is None or known_from is None:
        return result
    if known_to is None:
        known_to = leavers["leave_date"].max() if len(leavers) else None
    headcount = states.groupby(["snapshot_date", "team"])["team"].transform("size").astype(float)
    for date in states["snapshot_date"].dropna().unique():
        date = pd.Timestamp(date)
        start = date - pd.DateOffset(months=12)
        if start < pd.Timestamp(known_from):
            continue
        if known_to is not None and pd.notna(known_to) and date > pd.Timestamp(known_to) + pd.Timedelta(days=TURNOVER_STALE_DAYS):
            continue
        window = leavers.loc[(leavers["leave_date"] > start) & (leavers["leave_date"] <= date)]
        counts = window.groupby("team").size()
        at_date = states["snapshot_date"] == date
        n_left = states.loc[at_date, "team"].map(counts).fillna(0.0).astype(float)
        result.loc[at_date] = (n_left / headcount.loc[at_date]).to_numpy()
    return result


def tenure_band(tenure_years: pd.Series) -> pd.Series:
    """Years of service as a band (`unknown` when the start date is missing)."""
    band = pd.Series("unknown", index=tenure_years.index, dtype=object)
    for lower, label in reversed(TENURE_BANDS):
        band = band.mask(tenure_years >= lower, label)
    return band


def derive_features(
    states: pd.DataFrame,
    *,
    leavers: pd.DataFrame | None = None,
    known_from: pd.Timestamp | None = None,
    known_to: pd.Timestamp | None = None,
    use_protected: bool = False,
) -> pd.DataFrame:
    """The feature frame for each row of `states` at its own `snapshot_date`.

    `states` columns: `snapshot_date, worker_id, team, role, asye, agency, fte, start_date` and
    any of `cases_held, caseload_points, capacity_points, sickness_days_12m,
    supervision_hours_3m, reallocations_12m` (+ protected columns). `leavers`
    (`team, leave_date`), `known_from` and `known_to` (the period in which leavers are
    observed) feed the team turnover. Returns a frame aligned to `states` with :data:`NUMERIC_FEATURES`, the
    categorical features and, only when `use_protected`, the protected columns present.
    """
    as_of = pd.to_datetime(states["snapshot_date"])
    out = pd.DataFrame(index=states.index)
    start = pd.to_datetime(states["start_date"]) if "start_date" in states else pd.Series(pd.NaT, index=states.index)
    out["tenure_years"] = ((as_of - start).dt.days / 365.25).clip(lower=0)
    out["fte"] = _num(states, "fte")
    out["agency"] = _flag(states, "agency")
    out["asye"] = _flag(states, "asye")
    out["cases_held"] = _num(states, "cases_held")
    out["children_per_fte"] = out["cases_held"] / out["fte"].where(out["fte"] > 0)
    capacity = _num(states, "capacity_points")
    out["caseload_ratio"] = _num(states, "caseload_points") / capacity.where(capacity > 0)
    out["sickness_days_12m"] = _num(states, "sickness_days_12m")
    out["supervision_hours_month"] = _num(states, "supervision_hours_3m") / 3.0
    out["reallocations_12m"] = _num(states, "reallocations_12m")
    team = states["team"].astype(str) if "team" in states else pd.Series(UNKNOWN_TEAM, index=states.index)
    keyed = pd.DataFrame({"snapshot_date": as_of, "team": team}, index=states.index)
    out["team_turnover_12m"] = team_turnover(keyed, leavers, known_from, known_to)
    out["team_size"] = keyed.groupby(["snapshot_date", "team"])["team"].transform("size").astype(float)
    # A team called "unknown" (CSWW has no teams) is the whole authority, not a team.
    out.loc[team == UNKNOWN_TEAM, ["team_turnover_12m", "team_size"]] = np.nan
    out["role"] = states["role"].astype(str) if "role" in states else "unknown"
    out["tenure_band"] = tenure_band(out["tenure_years"])
    if use_protected:
        for column in PROTECTED:
            if column in states:
                out[column] = states[column].astype(str).replace({"": "not_known", "nan": "not_known"})
    return out


def advance(features: pd.DataFrame, quarter: np.ndarray | int) -> pd.DataFrame:
    """Features at the start of `quarter` after their as-of date (quarter 1 starts on it).

    The one rule for time passing, used for training rows and forecasts alike: tenure grows by
    a quarter each quarter and its band follows; the ASYE year ends once a year of service is
    passed (or a year after the as-of date for someone recorded as ASYE with longer service).
    Everything else is held at its as-of value: a forecast assumes today's caseload, support
    and team carry on.

    Parameters
    ----------
    features : DataFrame
        Feature rows (any subset of the model's columns).
    quarter : int or array of int
        The quarter of each row (1-based).

    Returns
    -------
    DataFrame
        A copy with the time-dependent columns moved on.
    """
    out = features.copy()
    step = 0.25 * (np.asarray(quarter, dtype=float) - 1.0)
    if "tenure_years" in out:
        before = out["tenure_years"].to_numpy(dtype=float)
        now = before + step
        out["tenure_years"] = now
        if "tenure_band" in out:
            out["tenure_band"] = tenure_band(out["tenure_years"]).to_numpy()
        if "asye" in out:
            ended = np.where(before < 1.0, now >= 1.0, step >= 1.0)
            out["asye"] = np.where(ended, 0.0, out["asye"].to_numpy(dtype=float))
    return out


def feature_columns(features: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(numeric, categorical) columns worth modelling: those with at least one value.

    A column the data never fills (e.g. supervision in a CSWW-only history) is left out rather
    than imputed from nothing."""
    numeric = [c for c in NUMERIC_FEATURES if c in features and features[c].notna().any()]
    categorical = [c for c in features.columns if c not in NUMERIC_FEATURES]
    return numeric, categorical


def history_features(history: pd.DataFrame, *, use_protected: bool = False) -> pd.DataFrame:
    """Features for every `hr_history` row (training), team turnover from the history itself."""
    return derive_features(
        history,
        leavers=leavers_from_history(history),
        known_from=pd.Timestamp(history["snapshot_date"].min()),
        known_to=pd.Timestamp(history["snapshot_date"].max()),
        use_protected=use_protected,
    )


def current_states(
    workers: pd.DataFrame,
    cases: pd.DataFrame | None,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """The `workers` table as snapshot rows at `as_of`, with caseload columns from `cases`.

    `cases_held` counts children whose `current_worker_id` is the worker; `caseload_points`
    sums their points (sibling discount inside each family, `workforce.caseload`);
    `capacity_points` is the worker's contractual capacity (availability ignored, so a
    worker on leave keeps a meaningful ratio); `reallocations_12m`, when the workers table lacks
    it, counts children allocated to the worker in the last 12 months who have had 2+ workers
    in that time (`allocated_since`, `workers_12m`)."""
    from workforce.caseload import family_child_points, worker_capacity

    states = workers.copy()
    states["snapshot_date"] = pd.Timestamp(as_of)
    if cases is not None and "current_worker_id" in cases:
        held = cases.loc[cases["current_worker_id"].astype(str).str.len() > 0]
        points = family_child_points(held) if len(held) else pd.Series(dtype=float)
        by_worker = pd.DataFrame(
            {"worker_id": held["current_worker_id"].astype(str).to_numpy(), "points": points.to_numpy()}
        ).groupby("worker_id")["points"]
        wid = states["worker_id"].astype(str)
        states["cases_held"] = wid.map(by_worker.size()).fillna(0).astype(float)
        states["caseload_points"] = wid.map(by_worker.sum()).fillna(0.0).astype(float)
        if "reallocations_12m" not in states and {"allocated_since", "workers_12m"} <= set(held.columns):
            # Children this worker took over in the last year: allocated within 12 months to a
            # child who has had 2+ workers in that time.
            since = pd.to_datetime(held["allocated_since"])
            taken_over = held.loc[(since > pd.Timestamp(as_of) - pd.DateOffset(months=12)).to_numpy()
                                  & (pd.to_numeric(held["workers_12m"], errors="coerce") >= 2).to_numpy()]
            counts = taken_over.groupby(taken_over["current_worker_id"].astype(str)).size()
            states["reallocations_12m"] = wid.map(counts).fillna(0).astype(float)
        # worker_capacity keeps any `capacity_points` override the table gives.
        states["capacity_points"] = worker_capacity(states.assign(available=True)).to_numpy()
    return states
