"""An authority beside its neighbours, region and England (issue 13 point 2)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from workforce.cli import app
from workforce.errors import InputError
from workforce.published import read_published
from workforce.published.benchmark import benchmark
from workforce.published.indicators import BENCHMARK_INDICATORS, derived_rates

FIXTURES = Path(__file__).parent / "data" / "published"
runner = CliRunner()


@pytest.fixture(scope="module")
def pub():
    return read_published()


@pytest.fixture(scope="module")
def sandwell(pub):
    return benchmark(pub, "Sandwell")


def test_every_indicator_has_a_table(sandwell):
    assert set(sandwell.tables) == {i.measure for i in BENCHMARK_INDICATORS}
    assert sandwell.region_code == "E12000005" and sandwell.region_name == "West Midlands"
    assert len(sandwell.neighbours) == 10


def test_columns_are_the_authority_its_neighbours_region_and_england(pub, sandwell):
    t = sandwell.tables["agency_rate_fte"]
    own = pub.series("333", "agency_rate_fte")
    assert t["authority"].to_dict() == own.dropna().to_dict()
    nb = sandwell.neighbours["la_code"].tolist()
    by_hand = np.mean([pub.series(c, "agency_rate_fte")[2023] for c in nb])
    assert t.loc[2023, "neighbours_mean"] == pytest.approx(by_hand)
    assert t.loc[2023, "neighbours_reporting"] == 10
    england = pub.values[(pub.values["la_code"] == "england") & (pub.values["measure"] == "agency_rate_fte")]
    assert t.loc[2023, "england"] == england.set_index("year").loc[2023, "value"]
    las = pub.values[(pub.values["level"] == "local_authority") & (pub.values["measure"] == "agency_rate_fte")
                     & (pub.values["year"] == 2023)]["value"].dropna()
    assert t.loc[2023, "england_p25"] == pytest.approx(las.quantile(0.25))
    assert t.loc[2023, "england_p25"] <= t.loc[2023, "england_p75"]


def test_children_in_need_rate_is_derived_only_where_a_population_exists(pub, sandwell):
    t = sandwell.tables["cin_rate_per_10k"]
    h = pub.history("333")
    assert t.loc[2023, "authority"] == pytest.approx(h.loc[2023, "cin_at31"] / h.loc[2023, "child_population"] * 10_000)
    assert 2019 not in t.index  # no population published before 2021: left missing, never estimated
    derived = derived_rates(pub.values)
    assert set(derived["year"]) == set(pub.values.loc[pub.values["measure"] == "child_population", "year"])


def test_published_cla_rate_agrees_with_the_population_it_was_made_from(pub):
    h = pub.history("333")
    assert h.loc[2023, "cla_rate_per_10k"] == pytest.approx(h.loc[2023, "cla_at31"] / h.loc[2023, "child_population"] * 10_000, abs=0.5)


def test_london_borough_compares_with_london_and_a_joint_return_member_works(pub):
    kingston = benchmark(pub, "314")
    assert kingston.region_code == "E12000007"
    assert kingston.tables["agency_rate_fte"]["authority"].notna().sum() >= 6  # from the joint return 314 / 318


def test_authority_whose_code_changed(pub):
    bucks = benchmark(pub, "E10000002")
    assert bucks.la_code == "825"
    assert bucks.tables["turnover_rate_fte"]["authority"].notna().sum() == 7


def test_unknown_authority_raises(pub):
    with pytest.raises(InputError, match="unknown local authority 'Atlantis'"):
        benchmark(pub, "Atlantis")


def test_cli_writes_workbook_and_csvs(tmp_path):
    out = tmp_path / "bench"
    result = runner.invoke(app, ["benchmark", "--la", "333", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Sandwell" in result.output
    # each printed figure with its unit: a rate per 10,000 children is not a count of children
    cin = next(line for line in result.output.splitlines() if line.startswith("Children in need "))
    assert "per 10,000 children" in cin
    for name in ("benchmark.xlsx", "benchmark.csv", "summary.csv", "neighbours.csv", "counts.csv", "notes.csv"):
        assert (out / name).is_file(), name
    wb = load_workbook(out / "benchmark.xlsx")
    assert {i.sheet for i in BENCHMARK_INDICATORS} <= set(wb.sheetnames)
    ws = wb["Agency"]
    assert ws.conditional_formatting, "the authority's column is highlighted"
    with zipfile.ZipFile(out / "benchmark.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == len(BENCHMARK_INDICATORS)
        assert b"lineChart" in z.read(charts[0])
    long = pd.read_csv(out / "benchmark.csv", dtype={"la_code": str})
    assert {"measure", "year", "series", "la_code", "la_name", "value"} == set(long.columns)
    assert set(long["series"]) >= {"authority", "neighbour", "neighbours_mean", "region", "england"}
