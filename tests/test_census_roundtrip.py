"""Round trips: what the writer writes (every schema year) is what the import reads; the demo
authority's history comes back through its census returns; the import always accounts for every
record and always gives a valid hr_history."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workforce.census.importer import import_returns
from workforce.census.load import load_returns
from workforce.census.records import ROLE_BY_ORGROLE, pseudonym
from workforce.census.writer import ReturnHeader, history_returns, sweno_for, write_return
from workforce.contracts import load_hr_history, to_csv_frame
from workforce.demo import DemoParameters, generate_authority

ETHNICITIES = ["WBRI", "WIRI", "MWBC", "ABAN", "BAFR", "CHNE", "OOTH", "REFU", "NOBT"]
ABSENCE = ["MAT", "OTH", "PUB", "SIC", "TRN", "UNA", "UNP"]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _maybe(strategy):
    return st.one_of(st.none(), strategy)


def _dates(lo: str, hi: str):
    return st.dates(pd.Timestamp(lo).date(), pd.Timestamp(hi).date()).map(pd.Timestamp)


@st.composite
def census_return(draw):
    year = draw(st.integers(2021, 2025))
    ref = pd.Timestamp(f"{year}-09-30")
    n = draw(st.integers(1, 6))
    numbers = draw(st.lists(st.integers(1, 10**8), min_size=n, max_size=n, unique=True))
    rows = []
    for number in numbers:
        end = draw(_maybe(_dates("2015-01-01", f"{year + 1}-09-29")))
        rows.append(dict(
            sweno=f"SW{number}", agency=draw(st.booleans()),
            fte=draw(st.integers(1, 10**6)) / 10**6, fte30=draw(_maybe(st.integers(0, 10**6).map(lambda v: v / 10**6))),
            birth_date=draw(_maybe(_dates("1950-01-01", "2000-12-31"))),
            gender=draw(st.sampled_from([None, "female", "male", "other", "not_known"])),
            ethnicity=draw(_maybe(st.sampled_from(ETHNICITIES))),
            qual_inst="A University" if year < 2025 else None,
            org_role=draw(_maybe(st.integers(1, 6))),
            cfkss=draw(_maybe(st.integers(1, 4))) if year < 2025 else None,
            start_date=draw(_maybe(_dates("1990-01-01", str(ref.date())))),
            start_origin=draw(_maybe(st.integers(1, 10))),
            end_date=end,
            leave_reason=draw(st.integers(1, 10)) if end is not None else None,
            leaver_destination=draw(_maybe(st.integers(1, 9))) if end is not None else None,
            cases30=draw(_maybe(st.integers(0, 60))),
            days_lost=draw(_maybe(st.integers(0, 36600).map(lambda v: v / 100))),
            absent=draw(st.booleans()), absence_reason=draw(_maybe(st.sampled_from(ABSENCE))),
            base_salary=draw(_maybe(st.integers(0, 10**7).map(lambda v: v / 100))) if year == 2025 else None,
            rr_payments=draw(_maybe(st.integers(0, 10**6).map(lambda v: v / 100))) if year == 2025 else None,
            other_payments=draw(_maybe(st.integers(0, 10**6).map(lambda v: v / 100))) if year == 2025 else None,
        ))
    return year, ref, pd.DataFrame(rows)


def _same(read: pd.Series, written: pd.Series) -> bool:
    a = read.reset_index(drop=True).astype(object).where(read.reset_index(drop=True).notna(), None)
    b = written.reset_index(drop=True).astype(object).where(written.reset_index(drop=True).notna(), None)
    return all((x is None and y is None) or (x is not None and y is not None and
                                              (x == y or (isinstance(x, float) and abs(x - float(y)) < 1e-9)))
               for x, y in zip(a, b))


@SETTINGS
@given(census_return())
def test_what_the_writer_writes_is_what_import_reads(case):
    year, ref, written = case
    with tempfile.TemporaryDirectory() as folder:
        path = write_return(Path(folder) / f"r_{year}.xml", written, ReturnHeader(year, ref, "301"))
        loaded = load_returns([path], salt="s")
    assert [p for p in loaded.problems if p.check == "schema"] == []  # valid against its year's schema
    r = loaded.records
    assert r["position"].tolist() == list(range(1, len(written) + 1))
    assert r["worker_id"].tolist() == [pseudonym(s, "s") for s in written["sweno"]]
    for read_col, col in (("agency", "agency"), ("fte", "fte"), ("fte30", "fte30"), ("birth_date", "birth_date"),
                          ("start_date", "start_date"), ("end_date", "end_date"), ("start_origin", "start_origin"),
                          ("leave_reason", "leave_reason"), ("leaver_destination", "leaver_destination"),
                          ("cases30", "cases30"), ("days_lost", "days_lost"), ("org_role", "org_role"), ("absent", "absent"),
                          ("base_salary", "base_salary"), ("rr_payments", "rr_payments"), ("other_payments", "other_payments")):
        assert _same(r[read_col], written[col]), read_col
    agency = written["agency"].astype(bool).tolist()  # agency records keep no protected characteristics
    assert r["ethnicity"].tolist() == ["" if a else e for a, e in zip(agency, written["ethnicity"].fillna(""))]
    assert r["absence_reason"].tolist() == written["absence_reason"].fillna("").tolist()
    kept = ("female", "male") if year >= 2024 else ("female", "male", "other", "not_known")
    assert r["gender"].tolist() == ["" if a else g if g in kept else "not_known" for a, g in zip(agency, written["gender"])]
    assert not r.loc[r["agency"], "age_band"].ne("").any()
    # ASYE: CFKSSstatus 1 where the record has it, else newly qualified and started in the 12 months
    recent = [o == 1 and d is not None and d == d and d > ref - pd.DateOffset(months=12)
              for o, d in zip(written["start_origin"], written["start_date"])]
    assert r["asye"].tolist() == [c == 1 if c is not None and c == c else n for c, n in zip(written["cfkss"], recent)]
    roles = [ROLE_BY_ORGROLE[int(o) if o == o and o is not None else 5] for o in written["org_role"]]
    assert [x if x != "practice_supervisor" else "team_manager" for x in r["role"]] == roles


@st.composite
def census_history(draw):
    """Three returns with random records: repeated workers, leavers before, on and after the
    census day, duplicates, missing start dates."""
    pool = [f"SW{i}" for i in range(draw(st.integers(1, 8)))]
    returns = []
    for year in (2021, 2022, 2023):
        ref = pd.Timestamp(f"{year}-09-30")
        rows = []
        for _ in range(draw(st.integers(1, 8))):
            start = draw(_maybe(_dates("2015-01-01", str(ref.date()))))
            end = draw(_maybe(_dates("2019-01-01", f"{year + 1}-06-30")))
            if start is not None and end is not None and end < start:
                start, end = end, start
            rows.append(dict(sweno=draw(st.sampled_from(pool)), agency=draw(st.booleans()),
                             fte=0.0 if end is not None and end <= ref else draw(st.integers(1, 100)) / 100,
                             fte30=draw(st.integers(0, 100)) / 100, org_role=draw(_maybe(st.integers(1, 6))),
                             start_date=start, end_date=end,
                             leave_reason=draw(_maybe(st.integers(1, 10))) if end is not None else None,
                             qual_inst="U", gender="female"))
        returns.append((year, ref, pd.DataFrame(rows)))
    return returns


@SETTINGS
@given(census_history())
def test_import_accounts_for_every_record_and_gives_a_valid_history(returns):
    with tempfile.TemporaryDirectory() as folder:
        paths = [write_return(Path(folder) / f"r_{y}.xml", frame, ReturnHeader(y, ref, "301")) for y, ref, frame in returns]
        result = import_returns(paths, salt="s")
        s = result.summary
        assert s.records == sum(len(f) for _, _, f in returns)
        assert s.adds_up() and s.rows == s.kept == len(result.hr_history)
        h = result.hr_history
        assert not h.duplicated(["snapshot_date", "worker_id"]).any()
        csv = Path(folder) / "hr_history.csv"
        to_csv_frame(h).to_csv(csv, index=False)
        assert len(load_hr_history(csv)) == len(h)  # always a valid hr_history


@pytest.fixture(scope="module")
def demo_returns(tmp_path_factory):
    params = dataclasses.replace(DemoParameters(), as_of="2025-09-30")
    authority = generate_authority(seed=3, scale=0.2, params=params)
    folder = tmp_path_factory.mktemp("demo_returns")
    return authority, history_returns(authority.hr_history, folder, seed=1)


def test_demo_authority_history_comes_back_through_its_returns(demo_returns):
    authority, paths = demo_returns
    assert [p.name for p in paths] == [f"csww_999_{y}.xml" for y in range(2021, 2026)]
    result = import_returns(paths, salt="s")
    assert [p for p in result.problems] == []
    demo = authority.hr_history
    ids = dict(zip(demo["worker_id"], sweno_for(demo["worker_id"], 1).map(lambda s: pseudonym(s, "s"))))
    want = demo.loc[demo["snapshot_date"] >= pd.Timestamp("2021-09-30")].assign(worker_id=lambda f: f["worker_id"].map(ids))
    got = result.hr_history
    rows = got.loc[got["leave_date"].isna() | (got["leave_date"] > got["snapshot_date"])]
    key = ["snapshot_date", "worker_id"]
    both = want.merge(rows, on=key, suffixes=("_demo", ""), how="outer", indicator=True)
    assert (both["_merge"] == "both").all()  # the same workers in post on the same days
    la = ~both["agency"]
    assert (both["agency"] == both["agency_demo"]).all()
    assert np.allclose(both["fte"], both["fte_demo"].round(6)) and (both["start_date"] == both["start_date_demo"]).all()
    assert (both["cases_held"].astype(float) == both["cases_held_demo"].astype(float)).all()
    assert np.allclose(both["sickness_days_12m"], both["sickness_days_12m_demo"].round(2))
    census_role = both["role_demo"].replace({"advanced_practitioner": "senior_practitioner"})
    census_role = census_role.mask((both["snapshot_date"].dt.year >= 2025) & census_role.eq("practice_supervisor"), "team_manager")
    assert (both["role"] == census_role).all()
    before_2025 = both["snapshot_date"].dt.year < 2025
    assert (both.loc[before_2025, "asye"] == both.loc[before_2025, "asye_demo"]).all()
    assert (both.loc[la, "age_band"] == both.loc[la, "age_band_demo"]).all()
    assert (both.loc[la, "ethnicity"] == both.loc[la, "ethnicity_demo"]).all()
    sex_years = both["snapshot_date"].dt.year >= 2024
    expected_gender = both["gender_demo"].where(~sex_years | both["gender_demo"].isin(["female", "male"]), "not_known")
    assert (both.loc[la, "gender"] == expected_gender[la]).all()
    assert (both["leave_date"].fillna(pd.Timestamp(0)) == both["leave_date_demo"].fillna(pd.Timestamp(0))).all()
    assert (both["leave_reason"].astype(float).fillna(0) == both["leave_reason_demo"].astype(float).fillna(0)).all()
    # leavers of the first year were in post only before the data: kept as leaver rows
    first = demo.loc[demo["leave_date"].between(pd.Timestamp("2020-10-01"), pd.Timestamp("2021-09-30"))]
    leaver_rows = got.loc[got["leave_date"] <= got["snapshot_date"]]
    assert set(leaver_rows["worker_id"]) == set(first["worker_id"].map(ids))
    assert result.summary.adds_up() and result.summary.refused == 0


def test_demo_returns_pass_the_check(demo_returns):
    from workforce.census.check import check_returns

    assert check_returns(demo_returns[1], salt="s").clean
