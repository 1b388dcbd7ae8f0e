"""What real authorities have achieved: the market-feasibility bounds of a plan and where its
trajectory sits among comparable authorities (issue 11 point 4).

From the DfE workforce indicators every English authority published (2017-2023, bundled with
:mod:`workforce.published`):

* **agency reduction pace**: among authorities that started in the same band of agency rate
  (:func:`workforce.published.trajectories.similar_starts`), the fall over one, two and three
  years that the best share (default the best decile) achieved. The plan's agency rate may not
  fall faster: at each quarter's end it stays at or above the start plus that fall (linear
  between whole years, the three-year pace beyond);
* **experienced hires**: starters FTE over FTE in post a year, the rate the best share of
  authority-years reached; the plan's experienced hires per quarter stay within that share of
  today's LA-employed FTE.

Both are on by default (`[plans.feasibility] market_feasibility`) and can be set by hand. After
the plan, :func:`trajectory_report` places its agency, vacancy and turnover rates at one, two
and three years among comparable authorities' changes, and flags a step bigger than any of them
achieved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from workforce.errors import InputError
from workforce.plans.assumptions import Assumptions
from workforce.published import read_published
from workforce.published.trajectories import band_of, change_table, similar_starts, trajectory_position

SPANS = (1, 2, 3)
#: The plan's census measures and the published measures they are compared with.
MEASURES = {"agency_rate": "agency_rate_fte", "vacancy_rate": "vacancy_rate_fte", "turnover_rate": "turnover_rate_fte"}


@lru_cache(maxsize=1)
def published_changes() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled published statistics' changes (:func:`change_table`) and starter rates
    (`la_code, year, starter_rate`), read once per process."""
    pub = read_published()
    v = pub.values[pub.values["level"] == "local_authority"]
    wide = v[v["measure"].isin(["starters_fte", "inpost_fte"])].pivot_table(
        index=["la_code", "year"], columns="measure", values="value")
    starters = (wide["starters_fte"] / wide["inpost_fte"]).replace([np.inf, -np.inf], np.nan).dropna()
    return change_table(pub), starters.rename("starter_rate").reset_index()


@dataclass(frozen=True)
class Feasibility:
    """The bounds a plan is held to (None: not bounded)."""

    max_hires_per_quarter: float | None
    agency_floor: np.ndarray | None  # lowest agency rate (fraction) at the end of each quarter
    max_starter_rate: float | None
    agency_fall: dict[int, float] = field(default_factory=dict)  # span (years) -> fall (points)
    basis: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "feasibility_max_hires_per_quarter": self.max_hires_per_quarter,
            "feasibility_max_starter_rate": self.max_starter_rate,
            **{f"feasibility_agency_fall_{k}y_points": v for k, v in self.agency_fall.items()},
            **{f"feasibility_basis_{k}": v for k, v in self.basis.items()},
        }


def agency_falls(changes: pd.DataFrame, start_pct: float, share: float) -> tuple[dict[int, float], str]:
    """The fall in agency rate (points, negative) the best `share` of comparable authorities
    achieved over 1, 2 and 3 years, and its basis."""
    falls, counts = {}, {}
    for span in SPANS:
        peers = similar_starts(changes, "agency_rate_fte", start_pct, span)
        if peers.empty:
            continue
        falls[span] = min(0.0, float(np.quantile(peers["change"].to_numpy(), share)))
        counts[span] = len(peers)
    low, high = band_of(start_pct)
    basis = (f"the best {share:.0%} of English authorities that started at {low:g}-{high:g}% agency "
             f"(2017-2023: {', '.join(f'{counts[s]} {s}-year spans' for s in counts)})")
    return falls, basis


def floor_path(start_pct: float, falls: Mapping[int, float], horizon: int) -> np.ndarray:
    """Lowest agency rate (fraction) at the end of quarters 1..horizon: the start plus the fall
    at each whole year, linear in between, the last year's pace beyond the last span."""
    years = np.array([0.0, *sorted(falls)])
    change = np.array([0.0, *(falls[k] for k in sorted(falls))])
    t = np.arange(1, horizon + 1) / 4.0
    path = np.interp(t, years, change)
    if len(years) > 1:
        pace = (change[-1] - change[-2]) / (years[-1] - years[-2])
        path = np.where(t > years[-1], change[-1] + pace * (t - years[-1]), path)
    return np.clip((start_pct + path) / 100.0, 0.0, 1.0)


def feasibility_bounds(a: Assumptions, start_agency_rate: float, la_fte: float) -> Feasibility:
    """The bounds for this authority's start (agency rate as a fraction, LA-employed FTE today).

    Raises
    ------
    InputError
        The published statistics hold no comparable authority.
    """
    f = a.feasibility
    horizon = a.projection.horizon_quarters
    if not f.market_feasibility:
        return Feasibility(None, None, None, basis={"market_feasibility": "off ([plans.feasibility])"})
    changes, starters = published_changes()
    start_pct = 100.0 * float(start_agency_rate)
    basis = {}
    if f.agency_fall_per_year == "auto":
        falls, basis["agency"] = agency_falls(changes, min(start_pct, 100.0), f.best_share)
        if not falls:
            raise InputError(f"no published authority started near {start_pct:.1f}% agency", column="agency")
    else:
        falls = {k: -float(f.agency_fall_per_year) * k for k in SPANS}
        basis["agency"] = f"set by the planner: {float(f.agency_fall_per_year):g} points a year"
    if f.max_starter_rate == "auto":
        rate = float(np.quantile(starters["starter_rate"].to_numpy(), 1.0 - f.best_share))
        basis["hires"] = (f"the best {f.best_share:.0%} of {len(starters)} authority-years: starters FTE / FTE in "
                          "post (2017-2023)")
    else:
        rate = float(f.max_starter_rate)
        basis["hires"] = "set by the planner"
    return Feasibility(rate * la_fte / 4.0, floor_path(start_pct, falls, horizon), rate, falls, basis)


TRAJECTORY_COLUMNS = ["measure", "years", "start", "value", "change", "percentile", "comparable", "best_decile_change",
                      "best_change", "beyond_all"]


def trajectory_report(starts: Mapping[str, float], paths: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """Where a plan's trajectory sits among authorities that started at the same level.

    Parameters
    ----------
    starts : mapping
        Measure (`agency_rate`, `vacancy_rate`, `turnover_rate`) -> today's rate (fraction).
    paths : mapping
        Measure -> the rate at one, two, three years (fractions; fewer is fine).

    Returns
    -------
    DataFrame
        :data:`TRAJECTORY_COLUMNS`, rates in percentage points as published: `percentile` is the
        share of comparable spans whose change was at or below the plan's (2 = only 2% fell as
        far), `beyond_all` the plan needs a bigger fall than any comparable authority achieved.
        A measure without a start or comparable authorities is left out.
    """
    changes, _ = published_changes()
    rows = []
    for name, measure in MEASURES.items():
        start, path = starts.get(name), [p for p in paths.get(name, []) if p is not None and np.isfinite(p)]
        if start is None or not np.isfinite(start) or not path:
            continue
        try:
            pos = trajectory_position(changes, measure, 100.0 * float(start), [100.0 * p for p in path[:3]])
        except InputError:
            continue
        for r in pos.table.itertuples():
            rows.append({"measure": name, "years": int(r.span), "start": 100.0 * float(start), "value": r.value,
                         "change": r.change, "percentile": r.percentile, "comparable": int(r.n),
                         "best_decile_change": r.best_decile_change, "best_change": r.best_change,
                         "beyond_all": bool(r.beyond_all)})
    return pd.DataFrame(rows, columns=TRAJECTORY_COLUMNS)
