"""The product's own models as methods of the published forecast: the demand model, and caseload
carried on.

Issue 13 point 3 asks the forecast (:mod:`workforce.published.forecast`) to use the product's own
demand model and carry-on workforce projection where they apply, and to say which method made each
figure. The methods here (:data:`DEMAND_METHODS`; :func:`forecast_methods` adds them to the
forecast's registry) are chosen (or not) on earlier years like every other method. They live in
the demand package because it sits above the published one (``demand -> published``):

* ``demand_model`` (``referrals``, ``rereferral_pct``, ``cin_at31``, ``cp_at31``, ``cla_at31``):
  :func:`workforce.demand.calibrate` on each authority's own published history up to the origin
  (the default window, the last three years), England's history up to the same origin as the
  fallback, then the quarterly stock-and-flow (:func:`workforce.demand.run.project`) run forward
  with no levers: the journey carrying on as calibrated. The 31 March stocks and the year's
  referrals and re-referrals are read off the run.
* ``demand_carry_on`` (``caseload_fte``): the published-aggregate analogue of the plans' carry-on
  projection. Case-holding social workers stay as they are at the census; the cases they hold move
  with the children in need the demand model projects for each 30 September.
* ``demand_pooled_mean``: the mean of the product's model and ``pooled_change`` (declared before
  any scoring, not fitted); beyond the horizons ``pooled_change`` can fit, carried on by the
  product's model's yearly change.

The other workforce measures have no product-model analogue on published aggregates: the plans'
projection needs worker-level records (who leaves, when, at what grade) that the published
tables do not hold, and carrying on as now with published aggregates is persistence, already a
candidate. ``docs/published.md`` says so.

Nothing after the origin is read: a method sees only ``Panel.journey``, which
:meth:`workforce.published.forecast.Panel.upto` cuts at every origin, and England's fallback is
calibrated from the same cut history. Model runs are cached by a checksum of the history they
read, so the five demand measures (and caseload) share one run per origin.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from workforce.demand.levers import LeverSet
from workforce.demand.measures import PUBLISHED_FLOWS, PUBLISHED_STOCKS
from workforce.demand.parameters import Calibration, calibrate, usable_years
from workforce.demand.run import BASELINE, project
from workforce.demand.settings import DemandAssumptions, Investment, Scenario
from workforce.published.authorities import joint_members
from workforce.published.forecast import (
    DEMAND_MEASURES,
    METHODS,
    Journey,
    Method,
    Panel,
    pooled_change,
)

DEMAND_MODEL = "demand_model"
CARRY_ON = "demand_carry_on"
MEAN_WITH_POOLED = "demand_pooled_mean"
CARRY_ON_MEASURES = ("caseload_fte",)

#: England's children looked after in the year to 31 March 2013 [D15] (the domain brief's national
#: flows): the only national looked-after figures dated before 2021, when the bundled table starts.
#: Used for England's care rates only when its own published history to the origin has none.
ENGLAND_LOOKED_AFTER = (2013, {"cla_at31": 68_110.0, "cla_starts": 28_830.0, "cla_ceased": 28_460.0})

MIN_YEARS = 2  # the origin and at least one earlier year with referrals and children in need
CENSUS_QUARTER = 2  # 30 September (the workforce census) is the second quarter after 31 March
_CACHE: OrderedDict[tuple[str, int], "Projection"] = OrderedDict()
_CACHE_SIZE = 64
_OUTPUTS = ("cin_at31", "cp_at31", "cla_at31", "referrals", "rereferrals")


@dataclass(frozen=True)
class Projection:
    """The demand model run forward from 31 March ``year`` for every authority it could calibrate.

    ``values`` maps ``cin_at31``, ``cp_at31``, ``cla_at31`` (children at the end of each quarter)
    and ``referrals``, ``rereferrals`` (in each quarter) to an authorities x quarters array (rows
    in ``codes`` order, NaN where the authority could not be run); ``failed`` says why for each
    authority that could not.
    """

    year: int
    codes: pd.Index
    values: dict[str, np.ndarray]
    failed: dict[str, str]

    def rows(self, codes: pd.Index) -> np.ndarray:
        """Row positions of `codes` (-1 where not run)."""
        return self.codes.get_indexer(codes)

    def take(self, name: str, codes: pd.Index) -> np.ndarray:
        """``values[name]`` for `codes` (NaN rows for codes not run)."""
        arr = self.values[name]
        pos = self.rows(codes)
        out = np.full((len(codes), arr.shape[1]), np.nan)
        out[pos >= 0] = arr[pos[pos >= 0]]
        return out


def quarters_for(years: int) -> int:
    """Quarters to run for `years` of forecasts: to the last 30 September census (and at least
    three years, so runs of different lengths from one origin share the cache)."""
    return 4 * max(years, 3) + CENSUS_QUARTER


def england_history(journey: Journey) -> pd.DataFrame:
    """England's history to the origin, with the 2013 looked-after figures [D15] where the
    published history to the origin has no looked-after figures at all."""
    eng = journey.england.copy()
    year, figures = ENGLAND_LOOKED_AFTER
    if year in eng.index and not eng.reindex(columns=list(figures)).notna().any().any():
        for measure, value in figures.items():
            eng.loc[year, measure] = value
    return eng


def _share(num: pd.Series, den: pd.Series) -> float:
    both = num.notna() & den.notna() & (den > 0)
    return float(num[both].sum() / den[both].sum()) if both.any() else np.nan


@dataclass(frozen=True)
class EnglandShares:
    """England's shares of children in need in its history to the origin: what
    :func:`dated_journey` imputes authorities' missing stocks from.

    ``cla``: looked-after children over England's years with both (NaN: no such year); ``cp``: CP
    plans at 31 March by year (NaN where either is missing); ``cp_pooled``: CP plans over its years
    with both.
    """

    cla: float
    cp: pd.Series
    cp_pooled: float

    @classmethod
    def of(cls, england: pd.DataFrame) -> "EnglandShares":
        """The shares in England's history `england` (:func:`england_history`)."""
        cin = england["cin_at31"]
        return cls(_share(england["cla_at31"], cin), england["cp_at31"] / cin, _share(england["cp_at31"], cin))


def dated_journey(journey: Journey, england: EnglandShares) -> Journey:
    """The journey with the stocks the calibration would impute from England's 2023 shares
    imputed instead from England's figures published by the origin.

    Looked-after children, for each authority with none published to the origin: England's
    looked-after share of children in need over its years with both. CP plans at 31 March, in a
    year an authority has none: England's share that year (else over its years with both). An
    authority's own figures are never replaced.
    """
    frames = dict(journey.authorities)
    cin = frames["cin_at31"]
    cla = frames.get("cla_at31")
    if np.isfinite(england.cla):
        if cla is None:
            frames["cla_at31"] = cin * england.cla
        else:
            own = np.broadcast_to(cla.notna().any().to_numpy(), cla.shape)  # anything published
            frames["cla_at31"] = cla.where(own, cin * england.cla)
    cp = frames.get("cp_at31")
    if cp is not None:
        yearly = england.cp.reindex(cp.index).fillna(england.cp_pooled)
        frames["cp_at31"] = cp.fillna(cin.mul(yearly, axis=0))
    return replace(journey, authorities=frames)


def _england_calibration(journey: Journey) -> tuple[Calibration | None, str]:
    try:
        return calibrate(england_history(journey), None, name="England"), ""
    except (ValueError, KeyError) as exc:
        return None, f"England could not be calibrated to {journey.year}: {exc}"


def _carry_on_assumptions(quarters: int) -> tuple[DemandAssumptions, Scenario]:
    a = replace(DemandAssumptions(), horizon_quarters=quarters)
    return a, Scenario(BASELINE, LeverSet(), Investment(), "carry on as calibrated: no levers")


def run_journey(journey: Journey, quarters: int) -> Projection:
    """Calibrate every authority on its journey history and run the model `quarters` ahead.

    Each authority is calibrated on its own history to ``journey.year`` (the default window: its
    last three years), with England's calibration on England's history to the same year as the
    fallback, and projected from its published stocks at 31 March of that year with no levers.
    Cached by a checksum of the history (same history, same run).
    """
    key = (journey.digest(), quarters)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    codes = pd.Index(journey.codes)
    values = {name: np.full((len(codes), quarters), np.nan) for name in _OUTPUTS}
    failed: dict[str, str] = {}
    england, why = _england_calibration(journey)
    dated = dated_journey(journey, EnglandShares.of(england_history(journey)))
    a, scenario = _carry_on_assumptions(quarters)
    for i, (code, history) in enumerate(dated.histories()):
        usable = usable_years(history)
        if journey.year not in usable or len(usable) < MIN_YEARS:
            failed[code] = (f"fewer than {MIN_YEARS} years of referrals and children in need to {journey.year}, "
                            "or none that year")
            continue
        try:
            cal = calibrate(history, None, fallback=england, name=code)
            _, sim, _ = project(cal, scenario, a, journey.year, a.structure)
        except (ValueError, KeyError) as exc:
            failed[code] = f"{exc}{'; ' + why if why else ''}"
            continue
        for name in ("cin_at31", "cp_at31", "cla_at31"):
            values[name][i] = sim.stock_total(PUBLISHED_STOCKS[name])
        for name in ("referrals", "rereferrals"):
            values[name][i] = sim.flow_total(PUBLISHED_FLOWS[name])
    out = Projection(journey.year, codes, values, failed)
    _CACHE[key] = out
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def clear_cache() -> None:
    """Forget cached model runs (for timing a cold start)."""
    _CACHE.clear()


def _projection(panel: Panel, horizon: int) -> Projection | None:
    """The run from the panel's origin, or None when the panel carries no journey to its origin."""
    if panel.journey is None or panel.journey.year != panel.origin or not panel.journey.codes:
        return None
    return run_journey(panel.journey, quarters_for(horizon))


def _empty(panel: Panel, horizon: int) -> pd.DataFrame:
    return pd.DataFrame(np.nan, index=panel.data.columns, columns=range(1, horizon + 1))


def demand_model(panel: Panel, horizon: int) -> pd.DataFrame:
    """The demand model's forecast of a published demand measure for the years after the origin:
    the stock at 31 March (quarter 4h) or the year's referrals and re-referral share (quarters
    4h-3 to 4h)."""
    proj = _projection(panel, horizon)
    if proj is None:
        return _empty(panel, horizon)
    codes = panel.data.columns
    out = {}
    for h in range(1, horizon + 1):
        if panel.measure in PUBLISHED_STOCKS:
            out[h] = proj.take(panel.measure, codes)[:, 4 * h - 1]
            continue
        year = slice(4 * h - 4, 4 * h)
        referrals = proj.take("referrals", codes)[:, year].sum(axis=1)
        if panel.measure == "referrals":
            out[h] = referrals
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                out[h] = 100.0 * proj.take("rereferrals", codes)[:, year].sum(axis=1) / referrals
    return pd.DataFrame(out, index=codes)


def demand_carry_on(panel: Panel, horizon: int) -> pd.DataFrame:
    """Caseload per case-holder FTE carried on: the census's case-holders held, its cases moved by
    the change in children in need the demand model projects from one 30 September to the next
    (a joint return sums its members' children)."""
    proj = _projection(panel, horizon)
    if proj is None:
        return _empty(panel, horizon)
    codes = panel.data.columns
    cin = proj.values["cin_at31"]
    members = [joint_members(c) or [c] for c in codes]
    pos = [proj.rows(pd.Index(m)) for m in members]
    last = panel.data.iloc[-1].to_numpy(dtype="float64")
    out = {}
    for h in range(1, horizon + 1):
        now, then = CENSUS_QUARTER - 1, 4 * h + CENSUS_QUARTER - 1
        ratio = np.array([cin[p, then].sum() / cin[p, now].sum() if (p >= 0).all() else np.nan for p in pos])
        out[h] = last * ratio
    return pd.DataFrame(out, index=codes)


def demand_pooled_mean(panel: Panel, horizon: int) -> pd.DataFrame:
    """The mean of the product's model for the measure and the pooled change model.

    Where the pooled model cannot forecast a horizon (it needs years enough to fit a change over h
    years: looked-after children), the product's model's change from the year before carries the
    forecast on (a ratio for counts, a difference in points for percentages), so a path never
    jumps when one of its parts stops; where the pooled model cannot forecast at all, the product's
    model alone. Nothing where the product's model cannot forecast.
    """
    own_fn = demand_carry_on if panel.measure in CARRY_ON_MEASURES else demand_model
    own = own_fn(panel, horizon).to_numpy(dtype="float64")
    pooled = pooled_change(panel, horizon).reindex(panel.data.columns).to_numpy(dtype="float64")
    out = np.where(np.isnan(pooled), own, (own + pooled) / 2.0)[:, :1]
    for h in range(1, horizon):
        if panel.log:
            with np.errstate(invalid="ignore", divide="ignore"):
                carried = out[:, -1] * own[:, h] / own[:, h - 1]
        else:
            carried = out[:, -1] + own[:, h] - own[:, h - 1]
        step = np.where(np.isnan(pooled[:, h]), carried, (own[:, h] + pooled[:, h]) / 2.0)
        out = np.column_stack([out, step])
    return pd.DataFrame(out, index=panel.data.columns, columns=range(1, horizon + 1))


DEMAND_METHODS: dict[str, Method] = {m.name: m for m in (
    Method(DEMAND_MODEL, demand_model,
           "the product's demand model (workforce demand): calibrated on the authority's own history to the origin "
           "(last three years; England's to the origin where a rate is missing), run forward quarterly with no "
           "levers", min_years=1, measures=frozenset(DEMAND_MEASURES)),
    Method(CARRY_ON, demand_carry_on,
           "caseload carried on: the census's case-holding FTE held, cases moving with the children in need the "
           "demand model projects for each 30 September", min_years=1, measures=frozenset(CARRY_ON_MEASURES)),
    Method(MEAN_WITH_POOLED, demand_pooled_mean,
           "mean of the product's model (demand_model; demand_carry_on for caseload) and pooled_change; beyond the "
           "horizons pooled_change can fit, carried on by the product's model's yearly change",
           min_years=2, measures=frozenset(DEMAND_MEASURES) | frozenset(CARRY_ON_MEASURES)),
)}


def forecast_methods() -> dict[str, Method]:
    """The published forecast's registry (:data:`workforce.published.forecast.METHODS`) with the
    product's own models added: what ``workforce forecast`` chooses from.

    Returns
    -------
    dict of str to Method
        Pass as ``methods=`` to :func:`workforce.published.forecast.forecast`.
    """
    return {**METHODS, **DEMAND_METHODS}
