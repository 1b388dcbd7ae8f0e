"""The tenure benchmark's person key: rows of one person are linked through either key."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import churn_bench  # noqa: E402


def _row(stag, event, age, extraversion):
    return dict(stag=stag, event=event, gender="f", age=age, industry="Banks", profession="HR", traffic="empjs",
                coach="no", head_gender="m", greywage="white", way="bus", extraversion=extraversion, independ=5.0,
                selfcontrol=5.0, anxiety=5.0, novator=5.0)


def test_rows_are_one_person_through_either_key_and_transitively():
    frame = pd.DataFrame([
        _row(7.0, 1, 35.0, 6.2),   # 0
        _row(7.0, 1, 35.0, 3.1),   # 1: as 0 but the personality scores (the person key)
        _row(22.0, 0, 35.0, 3.1),  # 2: as 1 but tenure and leaving
        _row(22.0, 0, 41.0, 3.1),  # 3: another age: another person
    ])
    ids = churn_bench.person_ids(frame)
    assert ids[0] == ids[1] == ids[2]
    assert ids[3] != ids[0]


def test_rows_sharing_neither_key_stay_apart():
    frame = pd.DataFrame([_row(7.0, 1, 35.0, 6.2), _row(9.0, 1, 35.0, 3.1)])
    ids = churn_bench.person_ids(frame)
    assert ids.nunique() == 2
