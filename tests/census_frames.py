"""Small census returns for the census tests, written with `workforce.census.writer`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workforce.census.load import load_returns
from workforce.census.writer import ReturnHeader, write_return

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "csww"  # ../shared from the repo root
MAIN_2022 = SHARED / "social_work_workforce_2022.xml"


def needs_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"public census samples not found at {SHARED} (../shared/data/csww from the repo root)")


def worker(sweno: str, year: int = 2022, **fields) -> dict:
    """A complete, valid LA-employed case holder's record; `fields` override or add."""
    base = dict(sweno=sweno, agency=False, fte=1.0, birth_date=pd.Timestamp("1985-06-01"), gender="female",
                ethnicity="WBRI", stepup=0, org_role=5, start_date=pd.Timestamp("2016-01-04"), start_origin=2,
                fte30=1.0, cases30=17, days_lost=3.5, frontline=0)
    if year < 2025:
        base.update(qual_inst="University of Nowhere", cfkss=2)
    base.update(fields)
    return base


def agency_worker(sweno: str, year: int = 2022, **fields) -> dict:
    base = dict(sweno=sweno, agency=True, fte=1.0, org_role=5, start_date=pd.Timestamp("2021-03-01"), start_origin=4,
                cases30=12)
    if year < 2025:
        base["qual_inst"] = "University of Nowhere"  # the 2021-2024 schemas require it on every record
    base.update(fields)
    return base


def leaver(sweno: str, end: str, year: int = 2022, reason: int = 1, destination: int = 1, **fields) -> dict:
    values = dict(fte=0.0, end_date=pd.Timestamp(end), leave_reason=reason, leaver_destination=destination)
    values.update(fields)
    return worker(sweno, year, **values)


def write(folder: Path, records: list[dict], *, year: int = 2022, ref: str | None = None, la: str = "301",
          name: str | None = None, **header) -> Path:
    """One return file in `folder`."""
    ref_date = pd.Timestamp(ref or f"{year}-09-30")
    frame = pd.DataFrame(records)
    return write_return(folder / (name or f"csww_{la}_{year}.xml"), frame, ReturnHeader(year, ref_date, la, **header))


def records_of(*paths: Path, salt: str = "s") -> pd.DataFrame:
    return load_returns(list(paths), salt=salt).records
