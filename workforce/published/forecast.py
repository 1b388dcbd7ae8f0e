"""Forecasts of every authority's published measures, with intervals, scored on earlier years.

A forecast **method** is a named function from a :class:`Panel` (one measure for every
authority, years up to the forecast origin, and the published history of the child's journey to
the same origin, :class:`Journey`) to point forecasts for the next ``H`` years. Methods live in a
registry (:data:`METHODS`, :func:`register_method`); the product's own demand model comes as more
methods from :mod:`workforce.demand.forecasting` (the demand package sits above this one: pass
``methods=workforce.demand.forecasting.forecast_methods()``); :func:`per_authority` adapts a
function of one authority's history.

The framework around the methods is the same for all of them:

* **selection** — each candidate method forecasts from every earlier origin whose targets fall
  on or before ``select_until`` (default: the last year read); the one with the lowest mean
  absolute error (original units, pooled over authorities, horizons 1-2, on the forecasts every
  candidate could make) is chosen for that measure;
* **intervals** — the chosen method's own out-of-sample errors at each horizon (rolling origins,
  targets up to the last year read), on the log scale for counts and in points for
  percentages, divided by each authority's own volatility (standard deviation of its one-year
  changes, shrunk toward the pooled value) and turned into empirical 10th and 90th percentiles;
* **too few years** — an authority with no value in the last year read, or fewer years than the
  method needs, is not forecast by it (it falls back to persistence when persistence has an error
  history); a measure with no error history at all is not forecast. Each omission is listed with
  its reason, never filled with a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import hashlib

import numpy as np
import pandas as pd

from workforce.errors import InputError
from workforce.published.authorities import SUCCESSORS
from workforce.published.indicators import TURNOVER, is_rate, reference_date, wide, without_unreported_leavers
from workforce.published.layouts import measure_layouts
from workforce.published.store import Published

FORECAST_MEASURES: tuple[str, ...] = (
    "referrals", "rereferral_pct", "cin_at31", "cp_at31", "cla_at31",
    "inpost_fte", "turnover_rate_fte", "agency_rate_fte", "vacancy_rate_fte", "caseload_fte",
)
DEMAND_MEASURES = ("referrals", "rereferral_pct", "cin_at31", "cp_at31", "cla_at31")
# `date`: the day each year's figure refers to (30 September for the census, 31 March for the children's tables)
FORECAST_COLUMNS = ["la_code", "year", "date", "measure", "value", "p10", "p90", "method"]
NOT_FORECAST_COLUMNS = ["la_code", "measure", "reason"]

SELECTION_HORIZONS = (1, 2)
MIN_INTERVAL_ERRORS = 30  # fewer pooled errors than this at a horizon: borrow the shorter horizon's
SCALE_SHRINK_YEARS = 3.0  # an authority's volatility counts as this many years of the pooled one
P_LOW, P_HIGH = 0.10, 0.90
PERSISTENCE = "persistence"

#: The published tables of the child's journey (children in need, referrals, CP plans, children
#: looked after) and their measures: what :class:`Journey` holds for a method to read.
JOURNEY_LAYOUTS = ("b1_children_in_need", "c1_referrals", "d3_cp_subsequent", "d5_cp_duration", "cla_numbers",
                   "cla_placement_stability", "cla_swcount")
JOURNEY_MEASURES: tuple[str, ...] = tuple(
    m for m, layouts in measure_layouts().items() if set(layouts) & set(JOURNEY_LAYOUTS))


# --- the panel a method sees ----------------------------------------------------------------


@dataclass(frozen=True)
class Journey:
    """The published history of the child's journey up to a forecast origin (the input of the
    product's demand model, :func:`workforce.demand.calibrate`).

    ``authorities`` maps each measure of :data:`JOURNEY_MEASURES` to a year x la_code frame (local
    authorities as published, NaN where nothing was); ``england`` is England's history (year x
    measure). ``year`` is the origin: no row after it is held.
    """

    year: int
    authorities: Mapping[str, pd.DataFrame]
    england: pd.DataFrame
    # Cuts already made: every measure's panel cuts the same journey at the same origins.
    _cuts: dict[int, "Journey"] = field(default_factory=dict, init=False, repr=False, compare=False)

    def upto(self, year: int) -> "Journey":
        year = min(int(year), self.year)
        if year == self.year:
            return self
        if year not in self._cuts:
            self._cuts[year] = Journey(year, {m: f.loc[:year] for m, f in self.authorities.items()},
                                       self.england.loc[:year])
        return self._cuts[year]

    @property
    def codes(self) -> list[str]:
        first = next(iter(self.authorities.values()), pd.DataFrame())
        return list(first.columns)

    def histories(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Each authority's wide history (index year, one column per measure), as
        ``Published.history`` gives it for these measures (NaN where nothing was published)."""
        measures = list(self.authorities)
        if not measures:
            return
        first = self.authorities[measures[0]]
        cube = np.stack([self.authorities[m].to_numpy(dtype="float64") for m in measures], axis=2)
        index = pd.Index(first.index, name="year")
        for i, code in enumerate(first.columns):
            yield code, pd.DataFrame(cube[:, i, :], index=index, columns=measures)

    def history(self, code: str) -> pd.DataFrame:
        """One authority's history (see :meth:`histories`)."""
        for other, frame in self.histories():
            if other == code:
                return frame
        raise KeyError(code)

    def digest(self) -> str:
        """A checksum of everything held (the key of cached model runs: other data, other key)."""
        return self._checksum

    @cached_property
    def _checksum(self) -> str:
        h = hashlib.sha1(str(self.year).encode())
        for name, frame in [*sorted(self.authorities.items()), ("england", self.england)]:
            h.update(name.encode())
            h.update("|".join(map(str, frame.columns)).encode())
            h.update(np.asarray(frame.index, dtype="int64").tobytes())
            h.update(np.ascontiguousarray(frame.to_numpy(dtype="float64")).tobytes())
        return h.hexdigest()


def journey_of(pub: Published, year: int | None = None) -> Journey:
    """The journey history of every local authority and England in `pub`, up to `year` (default:
    the last year read)."""
    v = pub.values[pub.values["measure"].isin(JOURNEY_MEASURES)]
    last = int(v["year"].max()) if len(v) else 0
    year = min(year if year is not None else last, pub.until if pub.until is not None else last)
    v = v[v["year"] <= year]
    local = v[v["level"] == "local_authority"]
    codes = sorted(set(local["la_code"]))
    years = pd.Index(range(int(v["year"].min()), year + 1) if len(v) else [], name="year", dtype="int64")

    def frame(rows: pd.DataFrame, by: str, columns: list[str]) -> pd.DataFrame:
        out = rows.pivot_table(index="year", columns=by, values="value", aggfunc="first") if len(rows) else None
        out = (out if out is not None else pd.DataFrame()).reindex(index=years, columns=columns).astype("float64")
        out.columns.name = None
        return out

    authorities = {m: frame(local[local["measure"] == m], "la_code", codes) for m in JOURNEY_MEASURES}
    england = frame(v[v["level"] == "national"], "measure", list(JOURNEY_MEASURES))
    return Journey(year, authorities, england)


@dataclass(frozen=True)
class Panel:
    """One measure for every authority: ``data`` is indexed by consecutive years (the last is
    the forecast origin), one column per la_code, NaN where nothing was published.

    ``neighbours`` maps la_code -> its statistical neighbours; ``log`` says whether the measure
    is modelled on the log scale (counts and ratios) or in points (percentages); ``context``
    holds other measures of the same authorities and years (same shape) that a method may use;
    ``journey`` the published journey history to the same origin (None: not available), for the
    product's demand model. :meth:`upto` cuts all of them at a year.
    """

    measure: str
    data: pd.DataFrame
    neighbours: Mapping[str, Sequence[str]] = field(default_factory=dict)
    log: bool = True
    context: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    journey: Journey | None = None

    @property
    def origin(self) -> int:
        return int(self.data.index[-1])

    def upto(self, year: int) -> "Panel":
        return replace(self, data=self.data.loc[: year], context={k: v.loc[: year] for k, v in self.context.items()},
                       journey=self.journey.upto(year) if self.journey is not None else None)

    def z(self) -> pd.DataFrame:
        """The modelling scale: log(1 + y) for counts and ratios, the value itself for percentages."""
        return np.log1p(self.data.clip(lower=0)) if self.log else self.data

    def from_z(self, z: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
        return np.expm1(z) if self.log else z

    def years_available(self) -> pd.Series:
        return self.data.notna().sum()


MethodFn = Callable[[Panel, int], pd.DataFrame]


@dataclass(frozen=True)
class Method:
    """A named forecasting method.

    ``fn(panel, H)`` returns a frame indexed by la_code with columns ``1..H``: the point forecast
    for each of the next H years in the measure's own units (NaN where it cannot forecast).
    ``min_years`` is the fewest published years an authority needs; ``measures`` limits the
    method to some measures (None: any); ``candidate`` False keeps it out of selection (a
    comparison baseline only).
    """

    name: str
    fn: MethodFn
    description: str
    min_years: int = 1
    measures: frozenset[str] | None = None
    candidate: bool = True


METHODS: dict[str, Method] = {}


def register_method(method: Method) -> Method:
    """Add (or replace) a method in the registry; returns it."""
    METHODS[method.name] = method
    return method


def per_authority(fn: Callable[[pd.Series, int], Sequence[float]]) -> MethodFn:
    """Adapt a function of one authority's history (a Series by year, NaN gaps kept) returning H
    point forecasts into a panel method (for models calibrated authority by authority)."""

    def run(panel: Panel, horizon: int) -> pd.DataFrame:
        rows = {}
        for code in panel.data.columns:
            out = list(fn(panel.data[code], horizon))
            rows[code] = (out + [np.nan] * horizon)[:horizon]
        return pd.DataFrame.from_dict(rows, orient="index", columns=range(1, horizon + 1))

    return run


# --- statistical methods --------------------------------------------------------------------


def _last(panel: Panel) -> pd.Series:
    return panel.data.iloc[-1]


def persistence(panel: Panel, horizon: int) -> pd.DataFrame:
    """The last published value carried forward (the benchmark every method must beat)."""
    last = _last(panel)
    return pd.DataFrame({h: last for h in range(1, horizon + 1)})


def recent_mean(panel: Panel, horizon: int, years: int = 3) -> pd.DataFrame:
    """The mean of the last three published years (on the modelling scale): for noisy rates whose
    year-to-year changes mostly reverse."""
    z = panel.z().iloc[-years:]
    mean = panel.from_z(z.mean(skipna=True))
    mean = mean.where(_last(panel).notna())
    return pd.DataFrame({h: mean for h in range(1, horizon + 1)})


def damped_trend(panel: Panel, horizon: int, alpha: float = 0.5, beta: float = 0.2, phi: float = 0.7) -> pd.DataFrame:
    """Holt's linear trend with a damped trend on the modelling scale [DEFAULT alpha 0.5, beta
    0.2, phi 0.7]: follows a sustained rise or fall, but flattens it out over the horizon."""
    z = panel.z().to_numpy(dtype="float64")
    level = np.full(z.shape[1], np.nan)
    trend = np.zeros(z.shape[1])
    for row in z:
        ok = ~np.isnan(row)
        new = np.isnan(level) & ok
        level[new] = row[new]
        upd = ok & ~new
        prev = level[upd]
        level[upd] = alpha * row[upd] + (1 - alpha) * (prev + phi * trend[upd])
        trend[upd] = beta * (level[upd] - prev) + (1 - beta) * phi * trend[upd]
    out = {}
    damp = 0.0
    for h in range(1, horizon + 1):
        damp += phi**h
        out[h] = panel.from_z(level + damp * trend)
    frame = pd.DataFrame(out, index=panel.data.columns)
    return frame.where(_last(panel).notna(), np.nan)


def _trailing_mean(z: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last `window` published values up to and including each year (NaN-aware)."""
    ok = ~np.isnan(z)
    vals = np.where(ok, z, 0.0)
    csum = np.vstack([np.zeros((1, z.shape[1])), np.cumsum(vals, axis=0)])
    ccnt = np.vstack([np.zeros((1, z.shape[1])), np.cumsum(ok, axis=0)])
    t = np.arange(z.shape[0])
    lo = np.maximum(t + 1 - window, 0)
    total = csum[t + 1] - csum[lo]
    count = ccnt[t + 1] - ccnt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _shift(z: np.ndarray, k: int) -> np.ndarray:
    return np.vstack([np.full((k, z.shape[1]), np.nan), z[:-k]]) if k < len(z) else np.full_like(z, np.nan)


def _neighbour_index(panel: Panel) -> np.ndarray:
    """N x 10 column positions of each authority's neighbours in the panel (-1: none)."""
    pos = {c: i for i, c in enumerate(panel.data.columns)}
    out = np.full((len(pos), 10), -1, dtype=int)
    for code, i in pos.items():
        nb = [pos[c] for c in panel.neighbours.get(code, ()) if c in pos][:10]
        out[i, : len(nb)] = nb
    return out


def _neighbour_values(panel: Panel, z: np.ndarray) -> np.ndarray:
    """The neighbours' mean of z for each year and authority (NaN where none published)."""
    idx = _neighbour_index(panel)
    padded = np.concatenate([z, np.full((z.shape[0], 1), np.nan)], axis=1)
    gathered = padded[:, np.where(idx < 0, z.shape[1], idx)]  # T x N x 10
    ok = ~np.isnan(gathered)
    count = ok.sum(axis=2)
    total = np.where(ok, gathered, 0.0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _nan_median_rows(z: np.ndarray) -> np.ndarray:
    out = np.full(z.shape[0], np.nan)
    for i, row in enumerate(z):
        row = row[~np.isnan(row)]
        if len(row):
            out[i] = np.median(row)
    return out


# Other measures that carry information about a measure's next change [DERIVED from the
# stock-and-flow of the child's journey]: ratios between linked stocks revert (CP plans per child
# in need, referrals per child in need), a high share of plans under three months old means
# recent inflow, and a high re-referral rate means referrals that come back.
CONTEXT_FEATURES: dict[str, tuple[tuple[str, str], ...]] = {
    "cin_at31": (("log_ratio", "cp_at31"), ("log_ratio", "referrals")),
    "cp_at31": (("log_ratio", "cin_at31"), ("share", "cp_at31_le3m_pct")),
    "referrals": (("share", "rereferral_pct"), ("log_ratio", "cin_at31")),
}

FEATURES_ALL = ("last_change", "from_mean_3y", "from_mean_5y")
FEATURES_RATES = ("from_neighbours", "from_england_median")


def feature_cube(panel: Panel) -> tuple[np.ndarray, tuple[str, ...]]:
    """Features of every authority at every origin year: T x N x K (0 where a feature is missing,
    NaN where the authority has no value that year).

    ``last_change``: the last yearly change; ``from_mean_3y``, ``from_mean_5y``: distance from
    the authority's own recent means (year-to-year noise reverses); for percentages also
    ``from_neighbours`` and ``from_england_median`` (shrinkage toward comparable authorities);
    for some demand measures the linked measures of :data:`CONTEXT_FEATURES`.
    """
    z = panel.z().to_numpy(dtype="float64")
    prev = _shift(z, 1)
    change = z - prev
    cols = [change, z - _trailing_mean(z, 3), z - _trailing_mean(z, 5)]
    names = FEATURES_ALL
    if not panel.log:
        cols += [z - _neighbour_values(panel, z), z - _nan_median_rows(z)[:, None]]
        names = FEATURES_ALL + FEATURES_RATES
    for kind, other in CONTEXT_FEATURES.get(panel.measure, ()):
        if other not in panel.context:
            continue
        ctx = panel.context[other].to_numpy(dtype="float64")
        if kind == "log_ratio":
            cols.append(np.log1p(np.clip(ctx, 0, None)) - np.log1p(np.clip(panel.data.to_numpy(dtype="float64"), 0, None)))
        else:
            cols.append(ctx / 100.0)
        names = names + (f"{kind}:{other}",)
    cube = np.nan_to_num(np.stack(cols, axis=2), nan=0.0)
    cube[np.isnan(z)] = np.nan
    return cube, names


RIDGE = 1.0  # [DEFAULT] small ridge penalty on standardised features: stable with a few hundred rows
WINSOR = (0.01, 0.99)  # [DEFAULT] targets clipped to their 1st-99th percentiles: one authority's
# restatement (a 300% jump) must not tilt the model for all the others


def fit_ridge(x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None,
              ridge: float = RIDGE) -> Callable[[np.ndarray], np.ndarray]:
    """Weighted ridge regression on standardised features (intercept not penalised); returns predict(x)."""
    lo, hi = np.quantile(y, WINSOR)
    y = np.clip(y, lo, hi)
    w = np.ones(len(y)) if weight is None else weight / weight.mean()
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd == 0] = 1.0
    design = np.column_stack([np.ones(len(x)), (x - mu) / sd])
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    dw = design * w[:, None]
    beta = np.linalg.solve(design.T @ dw + penalty, dw.T @ y)
    return lambda xn: np.column_stack([np.ones(len(xn)), (xn - mu) / sd]) @ beta


MIN_FIT_ROWS = 20


def pooled_change(panel: Panel, horizon: int) -> pd.DataFrame:
    """Pooled-across-authorities change model: the change over h years (log change for counts,
    points for percentages) regressed (ridge) on the features of :func:`feature_cube`, fitted on
    every earlier origin of every authority, one model per horizon. Counts are weighted by the
    authority's size, so the fit minimises errors in children rather than in per cent."""
    z = panel.z().to_numpy(dtype="float64")
    level = panel.data.to_numpy(dtype="float64")
    cube, _ = feature_cube(panel)
    T = z.shape[0]
    now = cube[-1]
    out = {}
    for h in range(1, horizon + 1):
        xs, ys, ws = [], [], []
        for t in range(T - h):
            y = z[t + h] - z[t]
            ok = ~np.isnan(y) & ~np.isnan(cube[t]).any(axis=1)
            if ok.any():
                xs.append(cube[t][ok])
                ys.append(y[ok])
                ws.append(np.clip(level[t][ok], 1.0, None) if panel.log else np.ones(ok.sum()))
        n = sum(len(y) for y in ys)
        if n < MIN_FIT_ROWS:
            out[h] = np.full(z.shape[1], np.nan)
            continue
        predict = fit_ridge(np.vstack(xs), np.concatenate(ys), np.concatenate(ws))
        pred = np.full(z.shape[1], np.nan)
        ok = ~np.isnan(now).any(axis=1)
        pred[ok] = z[-1][ok] + predict(now[ok])
        out[h] = panel.from_z(pred)
    return pd.DataFrame(out, index=panel.data.columns)


def neighbour_mean(panel: Panel, horizon: int) -> pd.DataFrame:
    """Comparison baseline: for percentages, the mean of the statistical neighbours at the origin;
    for counts (not comparable between authorities), the authority's last value moved by its
    neighbours' mean yearly log change over the last three years."""
    z = panel.z().to_numpy(dtype="float64")
    if panel.log:
        change = (z - _shift(z, 1))[-3:]
        growth = _neighbour_values(panel, change)  # neighbours' mean change in each of 3 years
        with np.errstate(invalid="ignore"):
            mean_growth = np.where(np.isnan(growth).all(axis=0), np.nan, np.nanmean(np.where(np.isnan(growth), 0, growth), axis=0)
                                   * (len(growth) / np.maximum((~np.isnan(growth)).sum(axis=0), 1)))
        out = {h: panel.from_z(z[-1] + h * mean_growth) for h in range(1, horizon + 1)}
    else:
        level = _neighbour_values(panel, z)[-1]
        out = {h: level for h in range(1, horizon + 1)}
    frame = pd.DataFrame(out, index=panel.data.columns)
    return frame.where(panel.data.iloc[-1].notna(), np.nan)


register_method(Method(PERSISTENCE, persistence, "last published value carried forward", min_years=1))
register_method(Method("recent_mean", recent_mean, "mean of the last three published years", min_years=3))
register_method(Method("damped_trend", damped_trend, "damped local linear trend (Holt, phi 0.7)", min_years=3))
register_method(Method("pooled_change", pooled_change,
                       "change regressed on the last change and the distance from the authority's own recent "
                       "means (and, for percentages, from its neighbours and England; for some demand measures, "
                       "linked measures), pooled over authorities", min_years=2))
register_method(Method("neighbour_mean", neighbour_mean,
                       "statistical neighbours' mean (percentages) or their recent growth (counts)",
                       min_years=1, candidate=False))


# --- panels from the published data -----------------------------------------------------------


def build_panel(pub: Published, measure: str, neighbours: Mapping[str, Sequence[str]] | None = None,
                journey: Journey | None = None) -> Panel:
    """The panel of one measure: every local authority (and joint return) as published, with the
    journey history (`journey`, or read from `pub`) cut at the panel's origin."""
    v = pub.values[pub.values["level"] == "local_authority"]
    if measure == TURNOVER:  # the only measure a return's unreported leavers make wrong
        v = without_unreported_leavers(v)
    data = wide(v, measure, fill_joint=False)
    if data.empty:
        return Panel(measure, data, neighbours or {}, log=not is_rate(measure) or measure == "caseload_fte")
    years = range(int(data.index.min()), int(data.index.max()) + 1)
    data = data.reindex(years)
    data.index.name = "year"
    if pub.until is not None:
        data = data.loc[: pub.until]
    log = not is_rate(measure) or measure == "caseload_fte"
    context = {}
    for _, other in CONTEXT_FEATURES.get(measure, ()):
        ctx = wide(v, other, fill_joint=False)
        context[other] = ctx.reindex(index=data.index, columns=data.columns)
    journey = (journey if journey is not None else journey_of(pub)).upto(int(data.index[-1]))
    return Panel(measure, data, neighbours if neighbours is not None else all_neighbours(pub, data.columns),
                 log=log, context=context, journey=journey)


def all_neighbours(pub: Published, codes: Iterable[str]) -> dict[str, list[str]]:
    """Statistical neighbours of every code that the model (or a reorganisation) covers."""
    out = {}
    for code in codes:
        try:
            out[code] = pub.neighbours(code)
        except InputError:
            out[code] = []
    return out


# --- evaluation, selection, intervals ---------------------------------------------------------


def rolling_forecasts(panel: Panel, method: Method, horizon: int, last_target: int) -> pd.DataFrame:
    """Forecasts of `method` from every origin whose targets can be checked by `last_target`.

    Each forecast uses only the years up to its origin. Returns ``la_code, origin, h, forecast,
    actual`` (only where both exist).
    """
    data = panel.data.to_numpy(dtype="float64")
    years = list(panel.data.index)
    codes = np.asarray(panel.data.columns, dtype=object)
    parts: list[tuple[np.ndarray, ...]] = []
    for i, origin in enumerate(years[:-1]):
        if origin + 1 > last_target:
            continue
        sub = panel.upto(origin)
        if sub.years_available().max() < method.min_years:
            continue
        hmax = min(horizon, last_target - origin, len(years) - 1 - i)
        fc = apply_method(method, sub, hmax).to_numpy(dtype="float64")
        for h in range(1, hmax + 1):
            f, a = fc[:, h - 1], data[i + h]
            ok = ~np.isnan(f) & ~np.isnan(a)
            parts.append((codes[ok], np.full(ok.sum(), origin), np.full(ok.sum(), h), f[ok], a[ok]))
    if not parts:
        return pd.DataFrame(columns=["la_code", "origin", "h", "forecast", "actual"])
    return pd.DataFrame({
        "la_code": np.concatenate([p[0] for p in parts]),
        "origin": np.concatenate([p[1] for p in parts]).astype("int64"),
        "h": np.concatenate([p[2] for p in parts]).astype("int64"),
        "forecast": np.concatenate([p[3] for p in parts]),
        "actual": np.concatenate([p[4] for p in parts]),
    })


def apply_method(method: Method, panel: Panel, horizon: int) -> pd.DataFrame:
    """The method's forecasts, blanked where the authority has too few years or no last value;
    counts and ratios (modelled on the log scale) never below 0 (log1p lets a change model dip an
    authority with none just under it)."""
    fc = method.fn(panel, horizon)
    if not fc.index.equals(panel.data.columns):
        fc = fc.reindex(panel.data.columns)
    arr = fc.reindex(columns=range(1, horizon + 1)).to_numpy(dtype="float64", copy=True)
    if panel.log:
        arr = np.where(arr < 0, 0.0, arr)
    data = panel.data.to_numpy(dtype="float64")
    usable = (~np.isnan(data)).sum(axis=0) >= method.min_years
    usable &= ~np.isnan(data[-1])
    arr[~usable] = np.nan
    return pd.DataFrame(arr, index=panel.data.columns, columns=range(1, horizon + 1))


def candidates(measure: str, methods: Mapping[str, Method] | None = None) -> list[Method]:
    reg = methods if methods is not None else METHODS
    return [m for m in reg.values() if m.candidate and (m.measures is None or measure in m.measures)]


MIN_COMPARISON = 100  # fewest common cases on which candidates are compared


def select_method(runs: Mapping[str, pd.DataFrame], select_until: int) -> pd.DataFrame:
    """Score candidates on their rolling forecasts with targets up to `select_until`; lowest MAE first.

    ``runs`` maps method name -> :func:`rolling_forecasts` output. Candidates are compared on the
    cases (authority, origin, horizon 1-2) that all of them forecast; a method whose short
    coverage would leave fewer than MIN_COMPARISON common cases is left out of the comparison
    (reported with n = 0), fewest cases first.

    Returns ``method, mae, n, chosen`` (MAE in the measure's units).
    """
    scored = {}
    for name, fc in runs.items():
        sub = fc[(fc["origin"] + fc["h"] <= select_until) & fc["h"].isin(SELECTION_HORIZONS)]
        scored[name] = sub.set_index(["la_code", "origin", "h"])
    active = {k: v for k, v in scored.items() if len(v)}
    while active:
        common = None
        for fc in active.values():
            common = fc.index if common is None else common.intersection(fc.index)
        if len(common) >= MIN_COMPARISON or len(active) == 1:
            break
        active.pop(min(active, key=lambda k: len(active[k])))
    rows = []
    for name in scored:
        if name in active and len(common):
            sub = active[name].loc[common]
            rows.append({"method": name, "mae": float((sub["forecast"] - sub["actual"]).abs().mean()), "n": int(len(sub))})
        else:
            rows.append({"method": name, "mae": np.nan, "n": 0})
    table = pd.DataFrame(rows, columns=["method", "mae", "n"])
    table = table.sort_values(["mae", "method"], na_position="last").reset_index(drop=True)
    table["chosen"] = False
    if len(table) and table["n"].iloc[0] > 0:
        table.loc[0, "chosen"] = True
    return table


def authority_scale(panel: Panel) -> pd.Series:
    """Each authority's volatility on the modelling scale: the standard deviation of its one-year
    changes, shrunk toward the pooled value (a few years say little on their own)."""
    d = panel.z().diff()
    pooled = float(np.nanstd(d.to_numpy())) if d.notna().any().any() else np.nan
    n = d.notna().sum()
    own = d.std(ddof=0).fillna(pooled)
    var = (n * own**2 + SCALE_SHRINK_YEARS * pooled**2) / (n + SCALE_SHRINK_YEARS)
    return np.sqrt(var).where(lambda s: s > 0, pooled)


def interval_quantiles(panel: Panel, fc: pd.DataFrame, horizon: int) -> tuple[dict[int, tuple[float, float]], dict[int, str]]:
    """Empirical 10th/90th percentiles of a method's standardised out-of-sample errors by horizon
    (``fc``: its :func:`rolling_forecasts` up to the panel's last year).

    A horizon with fewer than MIN_INTERVAL_ERRORS errors borrows the longest shorter horizon's
    quantiles times sqrt(h / h') (random-walk growth of uncertainty [ASSUMPTION]); the second
    dict says where that happened.
    """
    scale = authority_scale(panel)
    q: dict[int, tuple[float, float]] = {}
    how: dict[int, str] = {}
    for h in range(1, horizon + 1):
        sub = fc[fc["h"] == h]
        if len(sub) >= MIN_INTERVAL_ERRORS:
            if panel.log:
                err = np.log1p(sub["actual"].clip(lower=0)) - np.log1p(sub["forecast"].clip(lower=0))
            else:
                err = sub["actual"] - sub["forecast"]
            std = err.to_numpy() / scale.reindex(sub["la_code"]).to_numpy()
            std = std[np.isfinite(std)]
            if len(std) >= MIN_INTERVAL_ERRORS:
                q[h] = (float(np.quantile(std, P_LOW)), float(np.quantile(std, P_HIGH)))
                how[h] = f"errors at {h} year(s) ahead, {len(std)} cases"
                continue
        shorter = [k for k in q if k < h]
        if shorter:
            k = max(shorter)
            f = np.sqrt(h / k)
            q[h] = (q[k][0] * f, q[k][1] * f)
            how[h] = f"errors at {k} year(s) ahead x sqrt({h}/{k}) [ASSUMPTION]"
    return q, how


# --- the forecast ---------------------------------------------------------------------------


@dataclass
class ForecastResult:
    """``forecast`` (FORECAST_COLUMNS), ``not_forecast`` (la_code, measure, reason), ``selection``
    (measure, method, mae, n, chosen: the scores the choice was made on) and ``intervals``
    (measure, method, h, q10, q90, basis)."""

    forecast: pd.DataFrame
    not_forecast: pd.DataFrame
    selection: pd.DataFrame
    intervals: pd.DataFrame


def _interval_rows(panel: Panel, fc: pd.DataFrame, q: dict[int, tuple[float, float]],
                   scale: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    lo, hi = {}, {}
    for h in fc.columns:
        if h not in q:
            lo[h] = hi[h] = pd.Series(np.nan, index=fc.index)
            continue
        point = np.log1p(fc[h].clip(lower=0)) if panel.log else fc[h]
        s = scale.reindex(fc.index)
        lo[h] = panel.from_z(point + q[h][0] * s)
        hi[h] = panel.from_z(point + q[h][1] * s)
    return pd.DataFrame(lo), pd.DataFrame(hi)


def forecast_measure(panel: Panel, years: int, *, select_until: int | None = None,
                     methods: Mapping[str, Method] | None = None) -> ForecastResult:
    """Forecast one measure for every authority in the panel, `years` ahead of its last year."""
    reg = methods if methods is not None else METHODS
    measure = panel.measure
    origin = panel.origin
    codes = list(panel.data.columns)
    empty = pd.DataFrame(columns=FORECAST_COLUMNS)
    pool = candidates(measure, reg)
    if PERSISTENCE in reg and reg[PERSISTENCE] not in pool:
        pool.append(reg[PERSISTENCE])
    depth = max(years, max(SELECTION_HORIZONS))
    runs = {m.name: rolling_forecasts(panel, m, depth, origin) for m in pool}
    selection = select_method({m.name: runs[m.name] for m in candidates(measure, reg)},
                              select_until if select_until is not None else origin)
    selection.insert(0, "measure", measure)
    if not selection["chosen"].any():
        nf = pd.DataFrame({"la_code": codes, "measure": measure,
                           "reason": f"no method could be scored: fewer than two years of {measure} "
                                     f"published up to {origin}"})
        return ForecastResult(empty, nf, selection, pd.DataFrame())
    chosen = reg[selection.loc[selection["chosen"], "method"].iloc[0]]
    order = [chosen] + ([reg[PERSISTENCE]] if chosen.name != PERSISTENCE and PERSISTENCE in reg else [])
    scale = authority_scale(panel)
    parts, interval_rows = [], []
    remaining = pd.Index(codes)
    for method in order:
        q, how = interval_quantiles(panel, runs[method.name], years)
        for h, (a, b) in q.items():
            interval_rows.append({"measure": measure, "method": method.name, "h": h, "q10": a, "q90": b, "basis": how[h]})
        if 1 not in q:
            continue
        fc = apply_method(method, panel, years).reindex(remaining)
        ok = fc.notna().all(axis=1) & pd.Series([h in q for h in range(1, years + 1)]).all()
        fc = fc[ok]
        if fc.empty:
            continue
        lo, hi = _interval_rows(panel, fc, q, scale)
        label = method.name if method is chosen else f"{method.name} (fallback from {chosen.name})"
        for h in range(1, years + 1):
            value = fc[h]
            parts.append(pd.DataFrame({
                # "2024" is 31 March 2024 for children in need, 30 September 2024 for the census
                "la_code": fc.index, "year": origin + h, "date": reference_date(measure, origin + h),
                "measure": measure, "value": value.to_numpy(),
                "p10": np.minimum(lo[h], value).to_numpy(), "p90": np.maximum(hi[h], value).to_numpy(),
                "method": label,
            }))
        remaining = remaining.difference(fc.index)
    out = pd.concat(parts, ignore_index=True) if parts else empty
    if not is_rate(measure) or panel.log:
        out["p10"] = out["p10"].clip(lower=0)
    else:
        out[["p10", "p90"]] = out[["p10", "p90"]].clip(lower=0, upper=100)
    reasons = []
    available = panel.years_available()
    last = panel.data.iloc[-1]
    for code in remaining:
        if pd.isna(last.get(code)):
            replaced = f"; replaced by {', '.join(SUCCESSORS[code])}" if code in SUCCESSORS else ""
            reasons.append((code, measure, f"no {measure} published for {origin} (the forecast origin){replaced}"))
        elif available.get(code, 0) < chosen.min_years:
            reasons.append((code, measure, f"only {int(available.get(code, 0))} year(s) of {measure} to {origin}; "
                                           "no method with an error history could use them"))
        else:
            reasons.append((code, measure, "no interval could be set: too few past errors at every horizon"))
    nf = pd.DataFrame(reasons, columns=NOT_FORECAST_COLUMNS)
    return ForecastResult(out, nf, selection, pd.DataFrame(interval_rows))


def forecast(pub: Published, years: int, *, measures: Sequence[str] = FORECAST_MEASURES,
             las: Sequence[str] | None = None, select_until: int | None = None,
             methods: Mapping[str, Method] | None = None) -> ForecastResult:
    """Forecast published measures for every authority, `years` after the last year read.

    Parameters
    ----------
    pub : Published
        Read with ``until=YEAR``: nothing after it exists here, so nothing after it is used.
    years : int
        How many years ahead (1-10).
    measures : sequence of str
        Measures to forecast (default: :data:`FORECAST_MEASURES`).
    las : sequence of str, optional
        Authorities to report (codes or names); all methods still learn from every authority.
    select_until : int, optional
        Last target year used to choose each measure's method (default: the last year read).
    methods : mapping, optional
        The method registry to use (default: :data:`METHODS`).

    Returns
    -------
    ForecastResult

    Raises
    ------
    InputError
        A bad number of years, an unknown authority or measure.
    """
    if not 1 <= years <= 10:
        raise InputError(f"--years must be between 1 and 10 (got {years})", column="--years")
    known = set(pub.values["measure"])
    wanted = None
    if las:
        wanted = [pub.resolve(la) for la in las]
    codes = sorted(set(pub.values.loc[pub.values["level"] == "local_authority", "la_code"]))
    neighbours = all_neighbours(pub, codes)
    journey = journey_of(pub)
    results = []
    missing = []
    for measure in measures:
        if measure not in known:
            missing.append(measure)
            continue
        panel = build_panel(pub, measure, neighbours, journey)
        results.append(forecast_measure(panel, years, select_until=select_until, methods=methods))
    if not results:
        # nothing to choose a method for or forecast: say why rather than write empty files
        if pub.values.empty and pub.until is not None:
            later = int(pub.files["rows_after_until"].sum())
            raise InputError(f"no published figures up to {pub.until}: "
                             + (f"all {later:,} rows read are later" if later else "every row is later"),
                             column="--until", allowed="a year the data covers")
        raise InputError(f"none of the measures forecast is in the data read ({', '.join(measures)})",
                         column="--data", allowed="the DfE files that hold them, or leave --data out for the bundled copy")
    fc = pd.concat([r.forecast for r in results], ignore_index=True)
    nf = pd.concat([r.not_forecast for r in results], ignore_index=True)
    if missing:
        nf = pd.concat([nf, pd.DataFrame({"la_code": "all", "measure": missing,
                                          "reason": "not in the data read (no file holds it)"})], ignore_index=True)
    if wanted is not None:
        fc = fc[fc["la_code"].isin(wanted)]
        nf = nf[nf["la_code"].isin(wanted) | (nf["la_code"] == "all")]
        absent = [c for c in wanted if c not in set(fc["la_code"]) | set(nf["la_code"])]
        if absent:
            nf = pd.concat([nf, pd.DataFrame({"la_code": absent, "measure": "all",
                                              "reason": "no published rows for this authority up to the origin"})],
                           ignore_index=True)
    selection = pd.concat([r.selection for r in results], ignore_index=True)
    intervals = pd.concat([r.intervals for r in results], ignore_index=True)
    fc = fc.sort_values(["la_code", "measure", "year"], kind="stable").reset_index(drop=True)
    fc["year"] = fc["year"].astype("int64")
    return ForecastResult(fc[FORECAST_COLUMNS], nf.reset_index(drop=True), selection, intervals)


def error_unit(measure: str) -> str:
    """The unit of a measure's forecast errors: a percentage's errors are percentage points, not
    per cent of the figure, and a count's are in what it counts."""
    if measure.endswith(("_pct", "_rate_fte")):
        return "percentage points"
    if measure == "caseload_fte":
        return "cases per FTE"
    if measure.endswith("_fte"):
        return "FTE"
    return "referrals" if measure == "referrals" else "children"


def method_table(result: ForecastResult, methods: Mapping[str, Method] | None = None,
                 select_until: int | None = None) -> pd.DataFrame:
    """The side file saying what each method is and how it scored when it was chosen:
    ``measure, method, description, mae, mae_unit, n, chosen, scored_on`` (one row per candidate
    per measure).

    ``mae`` is the score the choice was made on, not a test of the forecast written: the errors of
    1- and 2-year-ahead forecasts of the years up to `select_until`, which the chosen method won,
    so its own is the most favourable of the candidates'. ``scored_on`` says so on every row;
    the out-of-sample test is the back-test (``benchmarks/published_bench.py``)."""
    reg = methods if methods is not None else METHODS
    table = result.selection.copy()
    table.insert(2, "description", [reg[m].description if m in reg else "" for m in table["method"]])
    table.insert(table.columns.get_loc("mae") + 1, "mae_unit", [error_unit(m) for m in table["measure"]])
    upto = f"published years up to {select_until}" if select_until is not None else "the published years"
    table["scored_on"] = (f"mean absolute error of {'- and '.join(map(str, SELECTION_HORIZONS))}-year-ahead "
                          f"forecasts of {upto}, every authority: the score the method was chosen on (the chosen "
                          "method's is the lowest by construction), not a test of the forecast written")
    return table
