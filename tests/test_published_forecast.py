"""Forecasts of published measures (issue 13 point 3): the origin is a wall, intervals are ordered,
omissions are listed, methods plug into a registry."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce.cli import app
from workforce.errors import InputError
from workforce.published import read_published
from workforce.published.forecast import (
    FORECAST_COLUMNS,
    FORECAST_MEASURES,
    METHODS,
    Method,
    Panel,
    apply_method,
    forecast,
    forecast_measure,
    per_authority,
    persistence,
)

FIXTURES = Path(__file__).parent / "data" / "published"
runner = CliRunner()


@pytest.fixture(scope="module")
def to_2021():
    pub = read_published(until=2021)
    return forecast(pub, 2)


def _rows(name: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO((FIXTURES / name).read_bytes().decode("utf-8-sig"))))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], body: list[list[str]]) -> None:
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body])


def test_forecast_csv_columns_and_measures(to_2021):
    fc = to_2021.forecast
    assert list(fc.columns) == FORECAST_COLUMNS
    assert set(fc["measure"]) <= set(FORECAST_MEASURES)
    assert set(fc["year"]) == {2022, 2023}
    assert fc["la_code"].str.fullmatch(r"\d{3}( / \d{3})?").all()
    assert not fc.duplicated(["la_code", "year", "measure"]).any()


def test_each_forecast_year_names_the_day_it_refers_to(to_2021):
    """The DfE's "2022" is 30 September 2022 for the workforce census and 31 March 2022 for the
    children's tables: forecast.csv gave only the year, so a forecast of social workers and one of
    children in need for "2022" read as the same day, six months apart in fact."""
    fc = to_2021.forecast
    census = fc["measure"].isin(["inpost_fte", "turnover_rate_fte", "agency_rate_fte", "vacancy_rate_fte",
                                 "caseload_fte"])
    assert census.any() and (~census).any()
    assert (fc.loc[census, "date"] == fc.loc[census, "year"].astype(str) + "-09-30").all()
    assert (fc.loc[~census, "date"] == fc.loc[~census, "year"].astype(str) + "-03-31").all()


def test_a_zero_turnover_of_leavers_not_reported_is_no_history_and_no_outcome():
    """Oldham's 2022 return published 0 leavers with its in post down a fifth: the forecast took
    the 0 into its three-year mean (12.7% for 2024 where its published years give 19.1%), and the
    back-test scored forecasts against it as if it had happened."""
    from workforce.published.backtest import backtest
    from workforce.published.forecast import build_panel

    pub = read_published()
    raw = pub.values
    assert raw.loc[(raw["la_code"] == "353") & (raw["year"] == 2022)
                   & (raw["measure"] == "turnover_rate_fte"), "value"].item() == 0.0  # the premise
    panel = build_panel(pub, "turnover_rate_fte")
    assert pd.isna(panel.data.at[2022, "353"]) and pd.isna(panel.data.at[2022, "352"])
    assert panel.data.at[2021, "353"] > 0 and panel.data.at[2023, "353"] > 0
    fc = forecast(pub, 1, measures=["turnover_rate_fte"], las=["353"]).forecast
    if fc["method"].iloc[0] == "recent_mean":
        assert fc["value"].iloc[0] == pytest.approx(np.mean([panel.data.at[2021, "353"], panel.data.at[2023, "353"]]))
    _, cases = backtest(lambda until: read_published(until=until), origins=(2021,), years=1,
                        measures=("turnover_rate_fte",), select_until=2020)
    assert len(cases) > 100
    assert cases[(cases["la_code"].isin(["352", "353"])) & (cases["year"] == 2022)].empty


def test_intervals_are_ordered(to_2021):
    fc = to_2021.forecast
    assert len(fc) > 1000
    assert (fc["p10"] <= fc["value"]).all() and (fc["value"] <= fc["p90"]).all()
    assert (fc["p90"] > fc["p10"]).mean() > 0.99
    pct = fc[fc["measure"].str.endswith(("_pct", "_rate_fte"))]
    assert pct["p10"].min() >= 0 and pct["p90"].max() <= 100


def test_a_measure_with_too_few_years_is_listed_never_guessed(to_2021):
    # Children looked after are published from 2021 only: one year to 2021 gives no error history.
    assert "cla_at31" not in set(to_2021.forecast["measure"])
    listed = to_2021.not_forecast[to_2021.not_forecast["measure"] == "cla_at31"]
    assert len(listed) > 100 and listed["reason"].str.contains("fewer than two years").all()
    # Cumbria no longer exists after 2023 but did in 2021; Dorset (835) did not exist in 2021.
    dorset = to_2021.not_forecast[(to_2021.not_forecast["la_code"] == "835") & (to_2021.not_forecast["measure"] == "referrals")]
    assert dorset["reason"].str.contains("no referrals published for 2021").all()


def test_method_is_named_for_every_figure(to_2021):
    fc = to_2021.forecast
    assert fc["method"].notna().all()
    names = set(fc["method"].str.split(" ").str[0])
    assert names <= set(METHODS)
    chosen = to_2021.selection[to_2021.selection["chosen"]]
    assert set(chosen["measure"]) == set(fc["measure"])


def test_never_reads_a_row_after_until(tmp_path):
    """A poisoned 2022 row (absurd numbers, then text) changes nothing when --until is 2021."""
    clean, poisoned, text = tmp_path / "clean", tmp_path / "poisoned", tmp_path / "text"
    for folder in (clean, poisoned, text):
        shutil.copytree(FIXTURES, folder)
    header, body = _rows("workforce.csv")
    body = [r for r in body if int(r[0]) <= 2021]
    _write(clean / "workforce.csv", header, body)
    bad = list(body[0])
    bad[0] = "2022"
    for col in ("inpost_fte", "agency_rate_fte", "turnover_rate_fte", "vacancy_rate_fte", "caseload_fte"):
        bad[header.index(col)] = "99999"
    _write(poisoned / "workforce.csv", header, body + [bad])
    _write(text / "workforce.csv", header, body + [[c if i < 10 else "POISON" for i, c in enumerate(bad)]])
    outs = {}
    for folder in (clean, poisoned, text):
        out = tmp_path / f"out_{folder.name}"
        result = runner.invoke(app, ["forecast", "--data", str(folder), "--until", "2021", "--years", "2",
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        outs[folder.name] = (out / "forecast.csv").read_text()
    assert outs["clean"] == outs["poisoned"] == outs["text"]
    assert "99999" not in outs["poisoned"]
    # and the reader itself refuses the text when it is inside the window
    with pytest.raises(InputError, match="POISON"):
        read_published([text], until=2022)


def test_one_authority_and_side_files(tmp_path):
    out = tmp_path / "o"
    result = runner.invoke(app, ["forecast", "--until", "2023", "--years", "3", "--la", "Sandwell", "--out", str(out)])
    assert result.exit_code == 0, result.output
    fc = pd.read_csv(out / "forecast.csv", dtype={"la_code": str})
    assert set(fc["la_code"]) == {"333"} and set(fc["year"]) == {2024, 2025, 2026}
    assert set(fc["measure"]) == set(FORECAST_MEASURES)
    methods = pd.read_csv(out / "methods.csv")
    assert {"measure", "method", "description", "mae", "n", "chosen"} <= set(methods.columns)
    assert (out / "not_forecast.csv").is_file() and (out / "intervals.csv").is_file()


def test_methods_csv_says_its_errors_are_the_choice_score_and_in_what_unit(tmp_path):
    """methods.csv gave an MAE per method with no unit and no word on what it scored: an analyst
    read the chosen method's 4.9 as how far off the turnover forecast would be, in per cent. It is
    percentage points, on the years the method was chosen on, the lowest of the candidates."""
    out = tmp_path / "o"
    result = runner.invoke(app, ["forecast", "--until", "2022", "--years", "1", "--select-until", "2021",
                                 "--la", "333", "--out", str(out)])
    assert result.exit_code == 0, result.output
    methods = pd.read_csv(out / "methods.csv").set_index(["measure", "method"])
    assert (methods.xs("turnover_rate_fte")["mae_unit"] == "percentage points").all()
    assert (methods.xs("caseload_fte")["mae_unit"] == "cases per FTE").all()
    assert (methods.xs("cin_at31")["mae_unit"] == "children").all()
    assert methods["scored_on"].str.contains("up to 2021").all()
    assert methods["scored_on"].str.contains("not a test of the forecast written").all()


def test_years_out_of_range_is_an_input_error():
    with pytest.raises(InputError, match="between 1 and 10"):
        forecast(read_published(until=2020), 0)


# --- the method registry on synthetic panels ------------------------------------------------


def _panel(values: dict[str, list[float]], first: int = 2010, log: bool = True) -> Panel:
    frame = pd.DataFrame(values, index=pd.Index(range(first, first + len(next(iter(values.values())))), name="year"))
    return Panel("cin_at31" if log else "rereferral_pct", frame.astype(float), {}, log=log)


def test_selection_prefers_a_method_that_follows_steady_trends():
    rng = np.random.default_rng(1)
    series = {f"{100 + i}": list(200 * np.exp(0.08 * np.arange(10)) * (1 + 0.01 * rng.standard_normal(10)))
              for i in range(40)}
    result = forecast_measure(_panel(series), 2)
    chosen = result.selection.loc[result.selection["chosen"], "method"].iloc[0]
    assert chosen != "persistence"
    fc = result.forecast
    last = {k: v[-1] for k, v in series.items()}
    assert (fc[fc["year"] == 2020]["value"].to_numpy() > np.array([last[c] for c in fc[fc["year"] == 2020]["la_code"]])).all()
    assert (fc["p10"] <= fc["value"]).all() and (fc["value"] <= fc["p90"]).all()


def test_a_plugged_in_method_is_chosen_when_it_is_better():
    """An authority-by-authority model (e.g. the demand model) registers as one more method."""
    rng = np.random.default_rng(2)
    # Each series alternates around its mean: the mean of the last two years is the best forecast.
    series = {f"{200 + i}": list(300 + 40 * (-1) ** np.arange(10) + rng.normal(0, 2, 10)) for i in range(40)}
    two_year_mean = per_authority(lambda s, h: [s.dropna().iloc[-2:].mean()] * h)
    methods = {"persistence": METHODS["persistence"],
               "alternation": Method("alternation", two_year_mean, "mean of the last two years", min_years=2)}
    result = forecast_measure(_panel(series), 1, methods=methods)
    assert result.selection.loc[result.selection["chosen"], "method"].iloc[0] == "alternation"
    assert set(result.forecast["method"]) == {"alternation"}


def test_authority_with_too_few_years_falls_back_or_is_listed():
    rng = np.random.default_rng(3)
    series = {f"{300 + i}": list(100 + np.cumsum(rng.normal(0, 5, 8))) for i in range(40)}
    series["999"] = [np.nan] * 6 + [50.0, 52.0]          # two years: persistence only
    series["998"] = [np.nan] * 7 + [40.0]                 # one year
    series["997"] = list(100 + rng.normal(0, 1, 7)) + [np.nan]  # nothing at the origin
    result = forecast_measure(_panel(series), 2)
    fc, nf = result.forecast, result.not_forecast
    assert "997" in set(nf["la_code"]) and nf.set_index("la_code").loc["997", "reason"].startswith("no cin_at31 published")
    one_year = fc[fc["la_code"] == "998"]
    assert len(one_year) == 2 and one_year["method"].str.startswith("persistence").all()
    two_years = fc[fc["la_code"] == "999"]
    assert len(two_years) == 2
    assert all(METHODS[m.split(" ")[0]].min_years <= 2 for m in two_years["method"])


def test_persistence_carries_the_last_value():
    panel = _panel({"101": [1.0, 2.0, 3.0], "102": [5.0, np.nan, 7.0]})
    fc = persistence(panel, 2)
    assert fc.loc["101"].tolist() == [3.0, 3.0] and fc.loc["102"].tolist() == [7.0, 7.0]


def test_counts_are_never_forecast_below_zero():
    """An authority with no CP plans (the Isles of Scilly) must not get minus a third of one."""
    panel = _panel({"101": [3.0, 1.0, 0.0], "102": [50.0, 55.0, 60.0]})
    dipping = Method("dipping", lambda p, h: pd.DataFrame({k: p.data.iloc[-1] - 1.0 for k in range(1, h + 1)}), "")
    fc = apply_method(dipping, panel, 2)
    assert fc.loc["101"].tolist() == [0.0, 0.0] and fc.loc["102"].tolist() == [59.0, 59.0]
    rates = _panel({"101": [3.0, 1.0, 0.5]}, log=False)  # percentages are left to their own bounds
    assert apply_method(dipping, rates, 1).loc["101", 1] == -0.5
