"""Trajectories real authorities have achieved (issue 11 point 4), on hand-built and real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.errors import InputError
from workforce.published import Published, read_published
from workforce.published.trajectories import (
    band_of,
    best_decile_pace,
    change_table,
    share_reaching,
    trajectory_position,
)


def _published(series: dict[str, list[float]], measure: str = "agency_rate_fte", first: int = 2017) -> Published:
    rows = []
    for code, values in series.items():
        for k, v in enumerate(values):
            rows.append({"la_code": code, "new_la_code": "", "la_name": code, "level": "local_authority",
                         "region_code": "E12000001", "year": first + k, "measure": measure, "value": v,
                         "source": "csww_indicators"})
    return Published(pd.DataFrame(rows), pd.DataFrame(columns=["file", "measure", "la_code", "year", "code", "meaning"]))


def test_change_table_by_hand():
    pub = _published({"101": [20.0, 15.0, 10.0, 5.0], "102": [18.0, np.nan, 12.0, 24.0]})
    t = change_table(pub, measures=["agency_rate_fte"])
    one = t[(t["span"] == 1)].set_index(["la_code", "start_year"])["change"]
    assert one.to_dict() == {("101", 2017): -5.0, ("101", 2018): -5.0, ("101", 2019): -5.0, ("102", 2019): 12.0}
    three = t[t["span"] == 3].set_index("la_code")
    assert three.loc["101", "change"] == -15.0 and three.loc["101", "ratio"] == 0.25
    assert three.loc["102", "change"] == 6.0  # 2017 -> 2020 exists although 2018 is missing
    assert (t[t["span"] == 2]["change_per_year"] == t[t["span"] == 2]["change"] / 2).all()


def test_percentile_among_similar_starts_and_the_flag():
    # Ten authorities start in the 15-20 band and fall 0, 1, ..., 9 points in a year; one starts
    # at 40 (another band) and falls 30: it must not count.
    series = {f"{100 + k}": [16.0, 16.0 - k] for k in range(10)}
    series["200"] = [40.0, 10.0]
    t = change_table(_published(series), measures=["agency_rate_fte"])
    pos = trajectory_position(t, "agency_rate_fte", 17.0, [12.0])
    row = pos.table.iloc[0]
    assert pos.band == (15, 20) and row["n"] == 10
    assert row["change"] == -5.0 and row["percentile"] == pytest.approx(50.0)  # -9..-5 of -9..0
    assert row["best_change"] == -9.0 and not pos.beyond_all
    assert row["best_decile_change"] == pytest.approx(np.quantile(-np.arange(10.0), 0.1))
    too_fast = trajectory_position(t, "agency_rate_fte", 17.0, [5.0])
    assert too_fast.beyond_all and too_fast.table.iloc[0]["percentile"] == 0.0
    assert best_decile_pace(t, "agency_rate_fte", 16.0) == pytest.approx(np.quantile(-np.arange(10.0), 0.1))


def test_bad_requests_are_input_errors():
    t = change_table(_published({"101": [16.0, 12.0]}), measures=["agency_rate_fte"])
    with pytest.raises(InputError, match="no published changes"):
        trajectory_position(t, "vacancy_rate_fte", 17.0, [12.0])
    with pytest.raises(InputError, match="outside the bands"):
        band_of(140.0)
    with pytest.raises(InputError, match="2-year change"):
        trajectory_position(t, "agency_rate_fte", 16.0, [12.0, 10.0, 8.0])


def test_share_reaching_by_hand():
    series = {"101": [20.0, 15.0, 10.0, 3.0], "102": [24.0, 20.0, 16.0, 12.0], "103": [16.0, 16.0, 16.0, 16.0],
              "104": [40.0, 20.0, 10.0, 5.0]}
    t = change_table(_published(series), measures=["agency_rate_fte"])
    assert share_reaching(t, "agency_rate_fte", 15, 30, 3, 1 / 6) == (pytest.approx(1 / 3), 3)  # 101 only
    assert share_reaching(t, "agency_rate_fte", 15, 30, 3, 1 / 2) == (pytest.approx(2 / 3), 3)  # 101, 102


def test_real_three_year_agency_falls_are_rare():
    """The issue's check on 2017-2025 data: of three-year spans starting at 15-30% agency, about
    2.4% ended at a sixth of the start or lower and 13.5% halved it. The bundled data stop at 2023,
    so fewer spans are seen; the shares must still be small and ordered."""
    t = change_table(read_published())
    sixth, n = share_reaching(t, "agency_rate_fte", 15, 30, 3, 1 / 6)
    half, _ = share_reaching(t, "agency_rate_fte", 15, 30, 3, 1 / 2)
    assert n > 100
    assert 0 < sixth < half < 0.25


def test_a_turnover_of_leavers_not_reported_makes_no_change():
    """Manchester's 2022 return published 0 leavers (415 FTE in post, fewer than the year before
    plus its starters): read as 0% it made a fall of 15.5 points and a rise of 22.5 among the
    turnover changes plans are placed against, neither of which happened."""
    changes = change_table(read_published())
    turnover = changes[(changes["measure"] == "turnover_rate_fte") & (changes["la_code"] == "352")]
    assert len(turnover) > 5  # its other years are there
    touches = (turnover["start_year"] == 2022) | (turnover["start_year"] + turnover["span"] == 2022)
    assert not touches.any()
    assert (turnover["start"] > 0).all() and (turnover["end"] > 0).all()
