"""Scoring forecasts against what the DfE later published (issue 13 point 4).

For each origin year the forecast is made from a reading that stops at that year (rows after it
are never read), with each measure's method chosen on targets up to ``select_until``; it is then
compared with the values published later, beside two baselines: persistence (the last value
carried forward) and the statistical neighbours (:func:`workforce.published.forecast.neighbour_mean`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from workforce.published.forecast import (
    FORECAST_MEASURES,
    METHODS,
    PERSISTENCE,
    Method,
    all_neighbours,
    apply_method,
    build_panel,
    candidates,
    forecast,
    journey_of,
)
from workforce.published.indicators import without_unreported_leavers
from workforce.published.store import Published

SCORE_COLUMNS = [
    "measure", "cases", "mae", "mae_persistence", "ratio_persistence", "mae_neighbours", "ratio_neighbours",
    "coverage_p10_p90", "methods", "not_forecast",
]


def baseline_forecasts(pub: Published, method: str, years: int, measures: Sequence[str]) -> pd.DataFrame:
    """``la_code, year, measure, value`` of one registry method (a baseline) from `pub`'s last year."""
    codes = sorted(set(pub.values.loc[pub.values["level"] == "local_authority", "la_code"]))
    neighbours = all_neighbours(pub, codes)
    journey = journey_of(pub)
    rows = []
    for measure in measures:
        panel = build_panel(pub, measure, neighbours, journey)
        if panel.data.empty:
            continue
        fc = apply_method(METHODS[method], panel, years)
        for h in fc.columns:
            rows.append(pd.DataFrame({"la_code": fc.index, "year": panel.origin + h, "measure": measure,
                                      "value": fc[h].to_numpy()}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["la_code", "year", "measure", "value"])
    return out.dropna(subset=["value"])


def backtest(read: Callable[[int | None], Published], origins: Sequence[int], years: int = 2, *,
             select_until: int | None = None, measures: Sequence[str] = FORECAST_MEASURES,
             methods: Mapping[str, Method] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast from each origin and score against what was published later.

    Parameters
    ----------
    read : callable
        ``read(until)`` returns the published statistics read up to `until` (None: everything).
    origins : sequence of int
        Forecast origins (e.g. 2020, 2021).
    years : int
        Horizon (targets origin+1 ... origin+years that have been published).
    select_until : int, optional
        Last target year on which methods are chosen (e.g. 2019: never the back-test years).
    methods : mapping, optional
        The method registry (default: :data:`METHODS`).

    Returns
    -------
    scores : DataFrame
        One row per measure (SCORE_COLUMNS) pooled over origins and horizons, on the cases where
        the forecast, persistence and the outcome all exist.
    cases : DataFrame
        Every scored case: ``origin, la_code, year, measure, actual, value, p10, p90, method,
        persistence, neighbours``.
    """
    truth = without_unreported_leavers(read(None).values)  # a 0% of leavers not reported is no outcome
    truth = truth[truth["level"] == "local_authority"][["la_code", "year", "measure", "value"]]
    truth = truth.rename(columns={"value": "actual"}).dropna(subset=["actual"])
    frames, missing = [], []
    for origin in origins:
        pub = read(origin)
        result = forecast(pub, years, measures=measures, select_until=select_until, methods=methods)
        fc = result.forecast.assign(origin=origin)
        pers = baseline_forecasts(pub, "persistence", years, measures).rename(columns={"value": "persistence"})
        nbrs = baseline_forecasts(pub, "neighbour_mean", years, measures).rename(columns={"value": "neighbours"})
        keys = ["la_code", "year", "measure"]
        merged = fc.merge(truth, on=keys, how="inner").merge(pers, on=keys, how="inner").merge(nbrs, on=keys, how="left")
        frames.append(merged)
        nf = result.not_forecast.assign(origin=origin)
        missing.append(nf)
    cases = pd.concat(frames, ignore_index=True)
    not_forecast = pd.concat(missing, ignore_index=True)
    rows = []
    for measure in measures:
        sub = cases[cases["measure"] == measure]
        nf = not_forecast[not_forecast["measure"] == measure]
        reason = "; ".join(f"{n} x {r}" for r, n in nf["reason"].str.replace(r"\b(19|20)\d\d\b", "YEAR", regex=True)
                           .value_counts().head(2).items())
        if sub.empty:
            rows.append({"measure": measure, "cases": 0, "not_forecast": reason, "methods": ""})
            continue
        mae = float((sub["value"] - sub["actual"]).abs().mean())
        mae_p = float((sub["persistence"] - sub["actual"]).abs().mean())
        nb = sub.dropna(subset=["neighbours"])
        mae_n = float((nb["neighbours"] - nb["actual"]).abs().mean()) if len(nb) else np.nan
        mae_own_nb = float((nb["value"] - nb["actual"]).abs().mean()) if len(nb) else np.nan
        inside = ((sub["actual"] >= sub["p10"]) & (sub["actual"] <= sub["p90"])).mean()
        rows.append({
            "measure": measure, "cases": int(len(sub)), "mae": mae, "mae_persistence": mae_p,
            "ratio_persistence": mae / mae_p if mae_p else np.nan, "mae_neighbours": mae_n,
            "ratio_neighbours": mae_own_nb / mae_n if mae_n else np.nan, "coverage_p10_p90": float(inside),
            "methods": ", ".join(f"{m} ({n})" for m, n in sub["method"].value_counts().items()),
            "not_forecast": reason,
        })
    return pd.DataFrame(rows, columns=SCORE_COLUMNS), cases


def candidate_scores(read: Callable[[int | None], Published], origins: Sequence[int], years: int = 2, *,
                     measures: Sequence[str] = FORECAST_MEASURES,
                     methods: Mapping[str, Method] | None = None) -> pd.DataFrame:
    """Every candidate method scored as if it had been chosen (for the report only: the forecast
    chooses on earlier years, never on these scores).

    Each candidate of `methods` (default :data:`METHODS`) is forced for the measures it serves
    (persistence stays the fallback for the authorities it cannot forecast) and scored like
    :func:`backtest`. Returns SCORE_COLUMNS plus ``method``.
    """
    reg = methods if methods is not None else METHODS
    names = list(dict.fromkeys(m.name for measure in measures for m in candidates(measure, reg)))
    fallback = replace(reg[PERSISTENCE], candidate=False)
    parts = []
    for name in names:
        served = [x for x in measures if any(m.name == name for m in candidates(x, reg))]
        registry = {name: reg[name]} | ({} if name == PERSISTENCE else {PERSISTENCE: fallback})
        scores, _ = backtest(read, origins, years, select_until=max(origins), measures=served, methods=registry)
        parts.append(scores.assign(method=name))
    return pd.concat(parts, ignore_index=True)
