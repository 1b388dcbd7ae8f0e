"""Trajectories real authorities have achieved (issue 11 point 4).

From the published workforce indicators: every one-, two- and three-year change in agency rate,
vacancy rate and turnover across English authorities, with the level each started from. A plan's
trajectory is then placed among the authorities that started at a similar level (the same band
of the starting rate): the percentile of its change, and the best-decile pace (the 10th
percentile of change, since lower is better for all three) that a market-feasibility constraint
can default to. All figures are percentage points of the DfE rates (15.9 means 15.9%).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from workforce.errors import InputError
from workforce.published.indicators import wide, without_unreported_leavers
from workforce.published.store import Published

TRAJECTORY_MEASURES = ("agency_rate_fte", "vacancy_rate_fte", "turnover_rate_fte")
SPANS = (1, 2, 3)
# Bands of the starting rate in percentage points [DEFAULT]: each holds enough authority-years
# (about 100 or more one-year spans in 2017-2022) to read a 10th percentile from.
DEFAULT_BANDS: tuple[float, ...] = (0, 5, 10, 15, 20, 30, 100)
BEST_DECILE = 0.10
CHANGE_COLUMNS = ["la_code", "measure", "start_year", "span", "start", "end", "change", "change_per_year", "ratio"]


def change_table(pub: Published, measures: Sequence[str] = TRAJECTORY_MEASURES, spans: Sequence[int] = SPANS) -> pd.DataFrame:
    """Every observed change over `spans` years, per authority and starting year.

    Returns
    -------
    DataFrame
        ``la_code, measure, start_year, span, start, end, change`` (end - start, points),
        ``change_per_year`` and ``ratio`` (end / start; NaN when the start is 0). Authorities as
        published (a joint return counts once); spans with a missing end or start are left out,
        and so is a turnover the return contradicts (:func:`workforce.published.indicators.unreported_leavers`).
    """
    # a 0% turnover of leavers not reported is no level to change from or to (Manchester 15.5 -> 0 -> 22.5)
    v = without_unreported_leavers(pub.values[pub.values["level"] == "local_authority"])
    parts = []
    for measure in measures:
        frame = wide(v, measure, fill_joint=False)
        if frame.empty:
            continue
        frame = frame.reindex(range(int(frame.index.min()), int(frame.index.max()) + 1))
        for span in spans:
            start = frame.iloc[:-span] if span < len(frame) else frame.iloc[0:0]
            end = frame.shift(-span).iloc[: len(start)]
            long = pd.DataFrame({
                "start": start.stack(),
                "end": end.stack(),
            }).dropna()
            if long.empty:
                continue
            long = long.reset_index()
            long.columns = ["start_year", "la_code", "start", "end"]
            long["measure"] = measure
            long["span"] = span
            parts.append(long)
    if not parts:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["change"] = out["end"] - out["start"]
    out["change_per_year"] = out["change"] / out["span"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = np.where(out["start"] > 0, out["end"] / out["start"].where(out["start"] > 0), np.nan)
    out["start_year"] = out["start_year"].astype("int64")
    return out[CHANGE_COLUMNS].sort_values(["measure", "span", "la_code", "start_year"]).reset_index(drop=True)


def band_of(level: float, bands: Sequence[float] = DEFAULT_BANDS) -> tuple[float, float]:
    """The band ``[low, high)`` of starting levels that holds `level` (the top band is closed)."""
    edges = list(bands)
    if not edges[0] <= level <= edges[-1]:
        raise InputError(f"starting level {level} is outside the bands {edges[0]}-{edges[-1]}", column="start")
    for low, high in zip(edges[:-1], edges[1:]):
        if low <= level < high:
            return (low, high)
    return (edges[-2], edges[-1])


def similar_starts(changes: pd.DataFrame, measure: str, start: float, span: int,
                   bands: Sequence[float] = DEFAULT_BANDS) -> pd.DataFrame:
    """The observed `span`-year changes of `measure` that started in the same band as `start`."""
    low, high = band_of(start, bands)
    top = high == list(bands)[-1]
    sel = (changes["measure"] == measure) & (changes["span"] == span) & (changes["start"] >= low)
    sel &= (changes["start"] <= high) if top else (changes["start"] < high)
    return changes[sel]


@dataclass(frozen=True)
class Position:
    """Where a trajectory sits among authorities that started at a similar level."""

    measure: str
    start: float
    band: tuple[float, float]
    table: pd.DataFrame  # span, value, change, percentile, n, best_decile_change, best_change, beyond_all

    @property
    def beyond_all(self) -> bool:
        """True when some step needs a bigger fall than any comparable authority achieved."""
        return bool(self.table["beyond_all"].any())


def trajectory_position(changes: pd.DataFrame, measure: str, start: float, trajectory: Sequence[float],
                        bands: Sequence[float] = DEFAULT_BANDS) -> Position:
    """The percentile of each step of a trajectory among comparable authorities' changes.

    Parameters
    ----------
    changes : DataFrame
        From :func:`change_table`.
    measure : str
        ``agency_rate_fte``, ``vacancy_rate_fte`` or ``turnover_rate_fte``.
    start : float
        Today's rate (points, e.g. 20.9).
    trajectory : sequence of float
        The rate at +1, +2, +3 years (fewer is fine).

    Returns
    -------
    Position
        Per span: the planned change, its percentile (the share of comparable spans whose change
        was at or below it: 2.0 means only 2% of authorities that started in this band fell as
        far), how many spans it is compared with, the best-decile change (10th percentile), the
        best change any achieved, and whether the plan needs more than any achieved.

    Raises
    ------
    InputError
        An unknown measure, a level outside the bands, or no comparable spans.
    """
    if measure not in set(changes["measure"]):
        raise InputError(f"no published changes of '{measure}'", column="measure",
                         allowed=", ".join(sorted(set(changes["measure"]))))
    rows = []
    for span, value in enumerate(trajectory, start=1):
        peers = similar_starts(changes, measure, start, span, bands)
        if peers.empty:
            raise InputError(f"no authority's {span}-year change of {measure} started near {start}", column="start")
        change = float(value) - float(start)
        observed = peers["change"].to_numpy()
        rows.append({
            "span": span,
            "value": float(value),
            "change": change,
            "percentile": float(100.0 * np.mean(observed <= change)),
            "n": int(len(observed)),
            "best_decile_change": float(np.quantile(observed, BEST_DECILE)),
            "best_change": float(observed.min()),
            "beyond_all": bool(change < observed.min()),
        })
    return Position(measure, float(start), band_of(start, bands), pd.DataFrame(rows))


def best_decile_pace(changes: pd.DataFrame, measure: str, start: float, span: int = 1,
                     bands: Sequence[float] = DEFAULT_BANDS) -> float:
    """Points per year that the best decile of comparable authorities achieved over `span` years
    (the 10th percentile of change per year; negative = a fall). The default bound of a
    market-feasibility constraint on, e.g., the pace of agency reduction."""
    peers = similar_starts(changes, measure, start, span, bands)
    if peers.empty:
        raise InputError(f"no authority's {span}-year change of {measure} started near {start}", column="start")
    return float(np.quantile(peers["change_per_year"].to_numpy(), BEST_DECILE))


def share_reaching(changes: pd.DataFrame, measure: str, low: float, high: float, span: int, ratio: float) -> tuple[float, int]:
    """Share of `span`-year spans starting in [low, high] that ended at `ratio` x the start or lower.

    Returns (share, number of spans). E.g. ``share_reaching(t, "agency_rate_fte", 15, 30, 3, 1/6)``.
    """
    sel = (changes["measure"] == measure) & (changes["span"] == span)
    sel &= (changes["start"] >= low) & (changes["start"] <= high)
    peers = changes[sel]
    if peers.empty:
        return (float("nan"), 0)
    return (float((peers["end"] <= ratio * peers["start"]).mean()), int(len(peers)))


def band_summary(changes: pd.DataFrame, bands: Sequence[float] = DEFAULT_BANDS) -> pd.DataFrame:
    """Per measure, span and starting band: spans observed and the 10th, 50th and 90th percentiles
    of change (points) and of change per year."""
    edges = list(bands)
    labels = [f"{lo:g}-{hi:g}" for lo, hi in zip(edges[:-1], edges[1:])]
    frame = changes.assign(band=pd.cut(changes["start"], edges, right=False, labels=labels, include_lowest=True))
    top = changes["start"] == edges[-1]
    frame.loc[top, "band"] = labels[-1]
    grouped = frame.groupby(["measure", "span", "band"], observed=True)
    out = grouped["change"].agg(n="size", p10=lambda s: s.quantile(0.1), p50="median", p90=lambda s: s.quantile(0.9))
    out["p10_per_year"] = grouped["change_per_year"].quantile(0.1)
    return out.reset_index()
