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
    assert {"measure", "year", "date", "series", "la_code", "la_name", "value", "note"} == set(long.columns)
    assert set(long["series"]) >= {"authority", "neighbour", "neighbours_mean", "region", "england"}
    # the Counts sheet: children and cases whole ("3,572", not "3,572.00"), FTE with decimals
    counts = wb["Counts"]
    header = [c.value for c in counts[1]]
    body = list(counts.iter_rows(min_row=2))
    for name in ("referrals", "cin_at31", "cases"):
        cells = [row[header.index(name)] for row in body if row[header.index(name)].value is not None]
        assert cells and all(c.number_format == "#,##0" for c in cells), name
    fte = [row[header.index("inpost_fte")] for row in body if row[header.index("inpost_fte")].value is not None]
    assert fte and all(c.number_format == "#,##0.00" for c in fte)


def _joint_returns(pub) -> dict[str, list[str]]:
    """Every joint return the data publish, with its members (read from the data, not listed here)."""
    from workforce.published.authorities import joint_members
    codes = pub.values.loc[pub.values["level"] == "local_authority", "la_code"].unique()
    return {c: joint_members(c) for c in codes if joint_members(c)}


def test_a_neighbour_sharing_the_authoritys_joint_return_is_shown_but_not_in_the_mean(pub):
    joints = _joint_returns(pub)
    assert joints, "the published workforce data have joint returns"
    checked = 0
    for joint, members in joints.items():
        for code in members:
            bench = benchmark(pub, code)
            partners = [m for m in members if m != code and m in set(bench.neighbours["la_code"])]
            for measure, t in bench.tables.items():
                published = pub.values[(pub.values["la_code"] == joint) & (pub.values["measure"] == measure)]
                for year in published.dropna(subset=["value"])["year"]:
                    if year not in t.index:
                        continue
                    others = [c for c in bench.neighbours["la_code"] if c not in partners and pd.notna(t.at[year, c])]
                    assert t.at[year, "neighbours_mean"] == pytest.approx(np.mean([t.at[year, c] for c in others]))
                    assert t.at[year, "neighbours_reporting"] == len(others)
                    for partner in partners:
                        assert t.at[year, partner] == t.at[year, "authority"]  # still shown
                        checked += 1
            for partner in partners:
                assert any(partner in line and joint in line for line in bench.joint_notes())
                # an indicator sheet's notes: its own measure only (none on the children's tables)
                left_out = set(bench.shared.loc[bench.shared["la_code"] == partner, "measure"])
                for measure in bench.tables:
                    assert any(partner in line for line in bench.joint_notes(measure)) == (measure in left_out)
    assert checked > 0


def test_a_joint_return_counts_once_among_the_neighbours(pub):
    joints = _joint_returns(pub)
    sn = pub.neighbour_table
    both = [(la, joint) for joint, members in joints.items()
            for la, group in sn.groupby("la_code") if set(members) <= set(group["neighbour"].head(10))
            and la not in members]
    assert both, "some authority has both members of a joint return among its neighbours"
    for la, joint in both:
        bench = benchmark(pub, la)
        members = [m for m in joints[joint] if m in set(bench.neighbours["la_code"])]
        t = bench.tables["turnover_rate_fte"]
        year = int(pub.values.loc[(pub.values["la_code"] == joint) & (pub.values["measure"] == "turnover_rate_fte"),
                                  "year"].max())
        values = t.loc[year, list(bench.neighbours["la_code"])].dropna()
        counted = values.drop(members[1:])  # the closer member counts it
        assert t.at[year, "neighbours_mean"] == pytest.approx(counted.mean())
        assert t.at[year, "neighbours_reporting"] == len(counted)


def test_children_tables_of_joint_return_members_are_their_own(pub):
    bench = benchmark(pub, "Kingston upon Thames")
    assert not set(bench.shared["measure"]) & {"cin_rate_per_10k", "cla_rate_per_10k", "rereferral_pct"}


def test_kingston_cli_says_richmond_is_left_out(tmp_path):
    out = tmp_path / "k"
    result = runner.invoke(app, ["benchmark", "--la", "Kingston upon Thames", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert any(line.startswith("note: Richmond upon Thames (318)") and "314 / 318" in line
               for line in result.output.splitlines())
    long = pd.read_csv(out / "benchmark.csv", dtype={"la_code": str}, keep_default_na=False)
    richmond = long[(long["la_code"] == "318") & (long["measure"] == "turnover_rate_fte")]
    assert len(richmond) and richmond["note"].str.contains("same joint workforce return").all()
    wb = load_workbook(out / "benchmark.xlsx")
    texts = [c.value for row in wb["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any("Richmond upon Thames (318)" in t and "left out" in t for t in texts)


def test_each_figure_says_the_date_it_refers_to(pub, sandwell, tmp_path):
    from workforce.published.layouts import CSWW_INDICATORS
    summary = sandwell.summary().set_index("indicator")
    titles = {i.measure: i.title for i in BENCHMARK_INDICATORS}
    assert summary.at[titles["turnover_rate_fte"], "date"] == f"{summary.at[titles['turnover_rate_fte'], 'year']}-09-30"
    assert summary.at[titles["cin_rate_per_10k"], "date"] == f"{summary.at[titles['cin_rate_per_10k'], 'year']}-03-31"
    counts = sandwell.counts.reset_index()
    census = [m for m in counts.columns if m in CSWW_INDICATORS.measures]
    children = [m for m in counts.columns if m not in census and m not in ("year", "date")]
    assert census and children
    # no row mixes a census count with a children's count
    assert not (counts[census].notna().any(axis=1) & counts[children].notna().any(axis=1)).any()
    assert counts.loc[counts[census].notna().any(axis=1), "date"].str.endswith("-09-30").all()
    assert counts.loc[counts[children].notna().any(axis=1), "date"].str.endswith("-03-31").all()
    result = runner.invoke(app, ["benchmark", "--la", "333", "--out", str(tmp_path / "s")])
    header = next(line for line in result.output.splitlines() if line.startswith("indicator"))
    assert "date" in header.split()
    turnover = next(line for line in result.output.splitlines() if line.startswith("Turnover rate"))
    assert f"{summary.at[titles['turnover_rate_fte'], 'year']}-09-30" in turnover
    assert "date" in pd.read_csv(tmp_path / "s" / "summary.csv").columns


def _published_turnover(pub, code, year):
    v = pub.values
    row = v[(v["la_code"] == code) & (v["year"] == year) & (v["measure"] == "turnover_rate_fte")]
    return float(row["value"].iloc[0])


def test_a_zero_turnover_its_own_return_contradicts_is_leavers_not_reported(pub):
    """The DfE publishes 0 leavers for Manchester in 2022 with 415 FTE in post, fewer than its
    443.8 the year before plus 48.8 starters: people left, their leaving was not reported. Read
    as 0% it pulled Birmingham's neighbours' mean down by four points."""
    from workforce.published.indicators import unreported_leavers

    found = unreported_leavers(pub.values)
    keys = set(zip(found["la_code"], found["year"]))
    assert {("352", 2022), ("353", 2022), ("810", 2017)} <= keys
    assert ("201", 2018) not in keys  # the City of London's 0% (8 FTE): nothing contradicts it
    assert _published_turnover(pub, "201", 2018) == 0.0

    bench = benchmark(pub, "Birmingham")
    t = bench.tables["turnover_rate_fte"]
    assert _published_turnover(pub, "352", 2022) == 0.0  # the premise: published as 0
    assert pd.isna(t.at[2022, "352"])
    others = [c for c in bench.neighbours["la_code"] if (c, 2022) not in keys]
    assert t.at[2022, "neighbours_mean"] == pytest.approx(np.mean([_published_turnover(pub, c, 2022) for c in others]))
    assert t.at[2022, "neighbours_reporting"] == len(others)
    assert any("Manchester (352) 2022" in line and "not used" in line for line in bench.joint_notes("turnover_rate_fte"))
    assert not any("Manchester" in line for line in bench.joint_notes("agency_rate_fte"))
    row = bench.long().query("measure == 'turnover_rate_fte' and year == 2022 and la_code == '352'")
    assert row["note"].str.contains("leavers not reported").all()
