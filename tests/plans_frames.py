"""Synthetic typed frames for the plans tests (no tests here; other test_plans_* files import it).

Shaped like `workforce.contracts.load_workers/load_cases` output: bool yes/no, datetime64 dates,
"" for blank text.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd

SNAPSHOT = pd.Timestamp("2024-09-30")
CASE_MIX = {"cin_assessment": 0.15, "cin": 0.37, "cp": 0.15, "cla": 0.2, "cla_complex": 0.06, "care_leaver": 0.07}


def make_workers(n: int = 60, *, teams: int = 4, localities: int = 2, agency_share: float = 0.15,
                 seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    team_ids = [f"T{i + 1}" for i in range(teams)]
    team = np.array([team_ids[i % teams] for i in range(n)])
    locality = np.array([f"L{int(t[1:]) % localities + 1}" for t in team])
    role = rng.choice(["case_holder", "senior_practitioner", "advanced_practitioner", "practice_supervisor"],
                      size=n, p=[0.78, 0.12, 0.05, 0.05]).astype(object)
    role[:teams] = "team_manager"  # one manager per team
    tenure_days = rng.integers(30, 15 * 365, size=n)
    start = SNAPSHOT - pd.to_timedelta(tenure_days, unit="D")
    agency = rng.random(n) < agency_share
    agency[:teams] = False
    asye = (role == "case_holder") & ~agency & (rng.random(n) < 0.12)
    start = np.where(asye, SNAPSHOT - pd.to_timedelta(rng.integers(10, 330, size=n), unit="D"), start)
    contract = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    with_end = agency & (rng.random(n) < 0.6)
    contract[with_end] = SNAPSHOT + pd.to_timedelta(rng.integers(20, 500, size=with_end.sum()), unit="D")
    return pd.DataFrame({
        "worker_id": [f"W{i + 1:04d}" for i in range(n)],
        "team": team, "locality": locality, "role": role.astype(str), "asye": asye, "agency": agency,
        "fte": rng.choice([1.0, 1.0, 1.0, 0.8, 0.6], size=n), "start_date": pd.to_datetime(start),
        "skills": "", "available": rng.random(n) > 0.03, "contract_end_date": contract,
    })


def make_cases(workers: pd.DataFrame, n: int = 900, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    holders = workers[workers["role"] != "team_manager"].reset_index(drop=True)
    rows = []
    family = 0
    while len(rows) < n:
        family += 1
        size = int(rng.choice([1, 1, 1, 2, 2, 3]))
        w = holders.iloc[int(rng.integers(len(holders)))]
        kind = rng.choice(list(CASE_MIX), p=list(CASE_MIX.values()))
        for _ in range(size):
            rows.append({
                "case_id": f"C{len(rows) + 1:05d}", "family_id": f"F{family:05d}", "case_type": str(kind),
                "court": bool(rng.random() < 0.1), "locality": w["locality"],
                "team": w["team"] if rng.random() < 0.7 else "",
                "current_worker_id": w["worker_id"] if rng.random() < 0.9 else "",
                "allocated_since": SNAPSHOT - pd.Timedelta(days=int(rng.integers(1, 700))),
                "workers_12m": int(rng.integers(0, 3)), "priority": 2, "required_skills": "",
                "pinned": False, "excluded_workers": "",
            })
    cases = pd.DataFrame(rows[:n])
    cases["allocated_since"] = pd.to_datetime(cases["allocated_since"])
    return cases


def make_risk(workers: pd.DataFrame, *, seed: int = 0, mean: float = 0.2) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 2)
    p = rng.beta(2.0, 2.0 * (1 - mean) / mean, size=len(workers))
    return pd.DataFrame({"worker_id": workers["worker_id"], "team": workers["team"],
                         "locality": workers["locality"], "p_leave": p})


def make_authority(n_workers: int = 60, n_cases: int = 900, *, seed: int = 0, **kw):
    workers = make_workers(n_workers, seed=seed, **kw)
    return workers, make_cases(workers, n_cases, seed=seed), make_risk(workers, seed=seed)


def write_sheet(frame: pd.DataFrame, path, sheet: str = "Assumptions"):
    """A sheet (default the Assumptions sheet) as a planner's own Excel would save it (header in
    row 1 at A1); returns the workbook and the sheet for a test to edit further."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    wb.save(path)
    return wb, ws
