"""The product's own demand model as a method of the published forecast (issue 13 points 3 and 4):
it reads nothing after the origin, it recovers a known trajectory, and the forecast says when it
made a figure."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tests.demand_frames import synthetic_history
from workforce.demand.forecasting import (
    CARRY_ON,
    DEMAND_METHODS,
    DEMAND_MODEL,
    ENGLAND_LOOKED_AFTER,
    MEAN_WITH_POOLED,
    EnglandShares,
    clear_cache,
    dated_journey,
    demand_carry_on,
    demand_model,
    demand_pooled_mean,
    england_history,
    forecast_methods,
    run_journey,
)
from workforce.demand.measures import HISTORY_MEASURES
from workforce.published import read_published
from workforce.published.forecast import (
    DEMAND_MEASURES,
    JOURNEY_MEASURES,
    METHODS,
    PERSISTENCE,
    Journey,
    Panel,
    build_panel,
    forecast,
    journey_of,
    pooled_change,
)
from workforce.published.store import Published

JOURNEY_METHODS = {"demand_model": demand_model, "demand_carry_on": demand_carry_on}


@pytest.fixture(scope="module")
def full():
    return read_published()


def _subset(pub: Published, n: int = 14, *, until: int | None = None, poison_after: int | None = None) -> Published:
    """A few authorities (and England) of the bundled data; values after `poison_after` made absurd."""
    v = pub.values
    codes = sorted(v.loc[(v["level"] == "local_authority") & (v["measure"] == "cin_at31") & (v["year"] == 2013),
                         "la_code"])[:n]
    keep = v["la_code"].isin(codes) | (v["level"] == "national")
    values = v[keep].copy()
    if poison_after is not None:
        later = values["year"] > poison_after
        values.loc[later, "value"] = values.loc[later, "value"] * 1000.0 + 99_999.0
    if until is not None and poison_after is None:
        values = values[values["year"] <= until]
    return Published(values.reset_index(drop=True), pub.notes.iloc[0:0], neighbour_table=pub.neighbour_table,
                     until=until)


# --- the origin is a wall --------------------------------------------------------------------


@pytest.mark.parametrize("measure,method", [(m, DEMAND_MODEL) for m in ("cin_at31", "cp_at31", "referrals",
                                                                      "rereferral_pct")]
                         + [("caseload_fte", CARRY_ON)])
def test_a_back_origin_reads_nothing_after_it(full, measure, method):
    """Selection and intervals forecast from earlier origins with `Panel.upto`: the journey history
    and England's fallback must be cut there too. Poisoned later rows change nothing."""
    clean = build_panel(_subset(full, until=2019), measure)
    poisoned = build_panel(_subset(full, poison_after=2019), measure).upto(2019)
    assert poisoned.journey.year == 2019 and poisoned.journey.england.index.max() == 2019
    a = JOURNEY_METHODS[method](clean, 2)
    b = JOURNEY_METHODS[method](poisoned, 2)
    assert a.notna().all(axis=1).sum() >= 10
    pd.testing.assert_frame_equal(a, b)


def test_the_forecast_reads_nothing_after_until(full):
    """Rows after --until, even if a reader let them through, never reach the demand model: the
    forecast with only the demand model as a candidate is the same with and without them."""
    registry = {DEMAND_MODEL: DEMAND_METHODS[DEMAND_MODEL], PERSISTENCE: replace(METHODS[PERSISTENCE], candidate=False)}
    out = []
    for pub in (_subset(full, until=2020), _subset(full, until=2020, poison_after=2020)):
        clear_cache()
        out.append(forecast(pub, 2, measures=["cin_at31", "cp_at31"], methods=registry).forecast)
    pd.testing.assert_frame_equal(out[0], out[1])
    made = out[0][out[0]["method"] == DEMAND_MODEL]
    assert len(made) >= 20
    assert (made["p10"] <= made["value"]).all() and (made["value"] <= made["p90"]).all()
    assert (made["p90"] > made["p10"]).all()
    assert made["value"].max() < 50_000  # nothing of the poison (values x 1000 + 99,999)


def test_the_journey_holds_everything_calibration_reads():
    assert set(HISTORY_MEASURES) <= set(JOURNEY_MEASURES)
    assert not {"inpost_fte", "caseload_fte", "turnover_rate_fte"} & set(JOURNEY_MEASURES)
    assert set(DEMAND_METHODS) <= set(forecast_methods()) and set(METHODS) <= set(forecast_methods())
    assert not set(DEMAND_METHODS) & set(METHODS)  # the published registry alone has no demand model


def test_englands_fallback_is_cut_at_the_origin(full):
    journey = journey_of(full).upto(2019)
    eng = england_history(journey)
    assert eng.index.max() == 2019
    year, figures = ENGLAND_LOOKED_AFTER
    # No looked-after figures published to 2019: the 2013 national figures [D15], nothing later.
    assert eng.loc[year, "cla_at31"] == figures["cla_at31"]
    assert eng.drop(index=year)["cla_at31"].isna().all()
    # From 2021 England's own figures are used and the 2013 ones are not added.
    later = england_history(journey_of(full).upto(2021))
    assert np.isnan(later.loc[year, "cla_at31"]) and later.loc[2021, "cla_at31"] > 70_000


def test_imputed_stocks_use_figures_published_by_the_origin(full):
    journey = journey_of(full).upto(2019)
    eng = england_history(journey)
    history = journey.history("333")
    dated = dated_journey(journey, EnglandShares.of(eng)).history("333")
    share = eng["cla_at31"].sum() / eng.loc[eng["cla_at31"].notna(), "cin_at31"].sum()
    assert dated["cla_at31"].to_numpy() == pytest.approx(history["cin_at31"].to_numpy() * share)
    # an authority's own figures are never replaced
    own = journey_of(full).upto(2022)
    h = own.history("333")
    assert dated_journey(own, EnglandShares.of(england_history(own))).history("333")["cla_at31"].equals(h["cla_at31"])


# --- the method on a synthetic authority with known rates ------------------------------------


#: Stocks well above where the known rates settle them, so the trajectory moves for years.
HIGH_START = {"assessment": 300.0, "cin": 1200.0, "cp": 550.0, "cla": 800.0, "care_leaver": 300.0}


def _synthetic_journey(origin_index: int = 3, years: int = 10) -> tuple[Journey, pd.DataFrame]:
    """Two synthetic authorities (and England) made by the engine with known rates and constant
    first-time referrals, their history cut `origin_index` years after the first; and the whole
    history of the first (the truth after the origin)."""
    truth, _ = synthetic_history(years=years, warm_up=4, growth=0.0, start=HIGH_START)
    small, _ = synthetic_history(years=years, warm_up=4, growth=0.0, new_per_quarter=300.0)
    origin = int(truth.index[origin_index])
    measures = sorted(set(truth.columns))
    authorities = {m: pd.DataFrame({"901": truth[m], "902": small[m]}).loc[:origin] for m in measures}
    england = (small * 100.0).loc[:origin]
    return Journey(origin, authorities, england), truth


def test_recovers_the_stock_trajectory_of_known_rates():
    """Calibrated on the history to the origin (the default three years), the model's next two
    years follow the trajectory the known rates made, where persistence misses it."""
    journey, truth = _synthetic_journey()
    origin = journey.year
    for measure in ("cin_at31", "cp_at31", "cla_at31", "referrals", "rereferral_pct"):
        data = pd.DataFrame({"901": journey.authorities[measure]["901"]})
        fc = demand_model(Panel(measure, data, journey=journey, log=measure != "rereferral_pct"), 2).loc["901"]
        actual = truth.loc[[origin + 1, origin + 2], measure].to_numpy()
        assert fc.to_numpy() == pytest.approx(actual, rel=0.02), measure
        if measure in ("cin_at31", "cla_at31"):
            missed = np.abs(truth.loc[origin, measure] - actual)
            assert missed[1] > 0.015 * actual[1]  # the trajectory moves ...
            assert (np.abs(fc.to_numpy() - actual) < missed / 3).all()  # ... and the model follows it


def test_caseload_carried_on_moves_with_children_in_need():
    journey, truth = _synthetic_journey()
    origin = journey.year
    caseload = pd.DataFrame({"901": [17.0]}, index=pd.Index([origin], name="year"))
    fc = demand_carry_on(Panel("caseload_fte", caseload, journey=journey), 2).loc["901"]
    cin = run_journey(journey, 14).values["cin_at31"][0]
    assert fc[1] == pytest.approx(17.0 * cin[5] / cin[1])  # 30 September a year on over this one
    assert fc[2] == pytest.approx(17.0 * cin[9] / cin[1])
    assert fc[2] < fc[1] < 17.0  # children in need falling (see the truth): cases per worker fall
    assert truth.loc[origin + 2, "cin_at31"] < truth.loc[origin, "cin_at31"]


def test_the_mean_with_the_pooled_model(full):
    panel = build_panel(_subset(full, until=2021), "cp_at31")
    own, pooled, mean = demand_model(panel, 2), pooled_change(panel, 2), demand_pooled_mean(panel, 2)
    both = (own.notna() & pooled.notna()).all(axis=1)
    assert both.sum() > 10
    assert mean[both].to_numpy() == pytest.approx(((own + pooled) / 2)[both].to_numpy())
    assert mean[own.isna().any(axis=1)].isna().all().all()


def test_the_mean_is_carried_on_by_the_model_where_the_pooled_model_stops(full):
    """Looked-after children from 2021: to 2023 the pooled model fits one year ahead only (on a
    few authorities); further ahead the model's own yearly change carries the mean on."""
    panel = build_panel(_subset(full, until=2023), "cla_at31")
    own, pooled, mean = demand_model(panel, 3), pooled_change(panel, 3), demand_pooled_mean(panel, 3)
    rows = own.notna().all(axis=1) & pooled[1].notna() & pooled[[2, 3]].isna().all(axis=1)
    assert rows.sum() > 10
    m, o, p = mean[rows], own[rows], pooled[rows]
    assert m[1].to_numpy() == pytest.approx(((o[1] + p[1]) / 2).to_numpy())
    assert m[2].to_numpy() == pytest.approx((m[1] * o[2] / o[1]).to_numpy())
    assert m[3].to_numpy() == pytest.approx((m[2] * o[3] / o[2]).to_numpy())


# --- the forecast says which method made each figure -------------------------------------------


def test_the_demand_model_is_a_candidate_and_named_where_it_made_a_figure(full):
    result = forecast(_subset(full, n=30, until=2023), 2, measures=list(DEMAND_MEASURES) + ["caseload_fte"],
                      methods=forecast_methods())
    sel = result.selection
    for measure in ("cin_at31", "cp_at31", "referrals", "rereferral_pct"):
        scored = sel[(sel["measure"] == measure) & (sel["n"] > 0)]
        assert {DEMAND_MODEL, MEAN_WITH_POOLED} <= set(scored["method"]), measure
    assert CARRY_ON in set(sel.loc[(sel["measure"] == "caseload_fte") & (sel["n"] > 0), "method"])
    fc = result.forecast
    chosen = sel[sel["chosen"]].set_index("measure")["method"]
    for measure, rows in fc.groupby("measure"):
        first = rows["method"].str.split(" ").str[0]
        assert (first == chosen[measure]).mean() > 0.5
        assert (first[first != chosen[measure]] == PERSISTENCE).all()
        assert rows.loc[first != chosen[measure], "method"].str.contains(f"fallback from {chosen[measure]}").all()
