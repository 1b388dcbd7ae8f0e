"""Hand-built frames with the agreed output columns (preamble), for the Excel tests and bench.

Values are random but seeded; hostile strings can be planted in the text columns so the
tests can check that they stay text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOSTILE = [
    '=HYPERLINK("http://x","click")',
    "+1+2",
    "-3",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "=1+1",
]

TEAMS = ["North CP", "North CIN", "South CP", "South CLA", "Central Assessment"]
LOCALITY = {"North CP": "North", "North CIN": "North", "South CP": "South", "South CLA": "South",
            "Central Assessment": "Central"}


def worker_loads(n: int = 40, seed: int = 0, hostile: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    teams = [TEAMS[i % len(TEAMS)] for i in range(n)]
    if hostile:
        teams[: len(HOSTILE)] = HOSTILE[: min(n, len(HOSTILE))]
    fte = rng.choice([1.0, 1.0, 0.8, 0.6], n)
    cap = np.round(85 * fte, 1)
    cap[-1] = 0.0  # a team manager
    before = np.round(cap * rng.uniform(0.5, 1.25, n), 1)
    after = np.round(np.minimum(before, cap * rng.uniform(0.8, 1.05, n)), 1)
    ch_before = rng.integers(5, 22, n)
    ch_after = np.minimum(ch_before, rng.integers(5, 19, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        ub = np.where(cap > 0, before / np.where(cap > 0, cap, 1), 0.0)
        ua = np.where(cap > 0, after / np.where(cap > 0, cap, 1), 0.0)
    return pd.DataFrame({
        "worker_id": [f"W{i:04d}" for i in range(n)],
        "team": pd.Series(teams, dtype=object),
        "locality": [LOCALITY.get(t, "North") for t in teams],
        "fte": fte,
        "capacity_points": cap,
        "points_before": before,
        "points_after": after,
        "children_before": ch_before.astype("int64"),
        "children_after": ch_after.astype("int64"),
        "utilisation_before": ub,
        "utilisation_after": ua,
        "over_soft_cap": ch_after > np.floor(16 * fte),
    })


def allocations(n: int = 200, n_workers: int = 40, seed: int = 0, hostile: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prev = [f"W{i:04d}" for i in rng.integers(0, n_workers, n)]
    now = [p if rng.random() < 0.85 else f"W{j:04d}" for p, j in zip(prev, rng.integers(0, n_workers, n))]
    fam = [f"F{i // 2:05d}" for i in range(n)]
    if hostile:
        fam[: len(HOSTILE)] = HOSTILE[: min(n, len(HOSTILE))]
    return pd.DataFrame({
        "case_id": [f"C{i:05d}" for i in range(n)],
        "family_id": pd.Series(fam, dtype=object),
        "worker_id": now,
        "previous_worker_id": prev,
        "changed": [a != b for a, b in zip(now, prev)],
        "points": rng.choice([3.0, 4.0, 5.0, 7.0, 8.0, 10.0], n),
        "cost_handoff": rng.uniform(0, 5, n),
        "cost_load_balance": rng.uniform(0, 2, n),
        "cost_travel": rng.uniform(0, 1, n),
    })


def unallocated(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": [f"C9{i:04d}" for i in range(n)],
        "family_id": [f"F9{i:04d}" for i in range(n)],
        "team": ["North CP"] * n,
        "locality": ["North"] * n,
        "points": [7.0] * n,
        "reason": ["no worker with the required skill 'court' has capacity"] * n,
    })


def allocation_summary(alloc: pd.DataFrame, loads: pd.DataFrame) -> dict:
    return {
        "status": "optimal", "objective": 123.45, "bound": 123.45, "gap": 0.0,
        "handoffs": int(alloc["changed"].sum()), "unallocated": 3,
        "max_utilisation": float(loads["utilisation_after"].max()),
        "mean_utilisation": float(loads["utilisation_after"].mean()),
        "workers_over_soft_cap": int(loads["over_soft_cap"].sum()), "seconds": 1.7,
    }


def risk(n: int = 40, seed: int = 1, hostile: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 6, n)
    band = np.where(p >= 0.35, "High", np.where(p >= 0.2, "Medium", "Low"))
    teams = [TEAMS[i % len(TEAMS)] for i in range(n)]
    drivers = ["caseload above capacity", "agency contract ending", "low supervision", "ASYE year", "sickness"]
    d1 = [drivers[i % 5] for i in range(n)]
    if hostile:
        d1[: len(HOSTILE)] = HOSTILE[: min(n, len(HOSTILE))]
    return pd.DataFrame({
        "worker_id": [f"W{i:04d}" for i in range(n)],
        "team": teams,
        "locality": [LOCALITY[t] for t in teams],
        "p_leave": p,
        "band": band,
        "driver_1": pd.Series(d1, dtype=object),
        "driver_2": [drivers[(i + 1) % 5] for i in range(n)],
        "driver_3": [drivers[(i + 2) % 5] for i in range(n)],
    })


_PLAN: dict = {}


def plan():
    """A real plan of a small synthetic authority (`workforce.plans.build_plan`), built once: the
    planner workbook's frames are what the plans produce, not a copy of their columns."""
    if "plan" not in _PLAN:
        from plans_frames import make_authority
        from workforce.plans.assumptions import Assumptions
        from workforce.plans.planner import build_plan

        workers, cases, rk = make_authority(60, 800, seed=2, teams=4, localities=2)
        _PLAN["plan"] = build_plan(workers, cases, rk, Assumptions().with_values({"montecarlo.runs": 100}))
    return _PLAN["plan"]


def assumptions() -> pd.DataFrame:
    try:
        from workforce.plans.assumptions import Assumptions, assumptions_frame

        return assumptions_frame(Assumptions())
    except ImportError:  # pragma: no cover - the plans package is part of the repository
        return pd.DataFrame(
            [("demand", "absence_rate", 0.032, None, None, "fraction", "[S1]", "gross-up for absence"),
             ("projection", "start_date", "auto", None, None, "date or auto", "assumption", "first day of quarter 1")],
            columns=["section", "key", "value", "low", "high", "unit", "basis", "description"], dtype=object)


def fairness() -> pd.DataFrame:
    return pd.DataFrame({
        "attribute": ["gender", "gender", "age_band", "age_band"],
        "group": ["female", "male", "20-29", "50-59"],
        "n": [150, 40, 60, 30],
        "mean_p_leave": [0.2, 0.22, 0.27, 0.15],
        "auc": [0.71, 0.69, 0.7, 0.66],
        "flag": ["", "", "", "small group"],
    })


def planner_kwargs(hostile: bool = False) -> dict:
    loads = worker_loads(hostile=hostile)
    alloc = allocations(hostile=hostile)
    rk = risk(hostile=hostile)
    p = plan()
    gateway = p.gateway.copy()
    if hostile:  # text from the inputs (team names) that looks like a formula
        gateway["team"] = gateway["team"].astype(object)
        gateway.loc[: len(HOSTILE) - 1, "team"] = HOSTILE[: len(gateway)]
    return dict(
        assumptions=p.assumptions_frame, risk=rk, gateway=gateway, gateway_programmes=p.gateway_programmes,
        recruitment=p.recruitment, recruitment_totals=p.recruitment_totals, projection=p.projection,
        montecarlo=p.montecarlo, census=p.census, trajectories=p.trajectories, unit_costs=p.unit_costs,
        worker_loads=loads, allocation_summary=allocation_summary(alloc, loads), plan_summary=p.summary,
        fairness=fairness(),
    )


def allocation_kwargs(hostile: bool = False, n: int = 200) -> dict:
    loads = worker_loads(hostile=hostile)
    alloc = allocations(n=n, hostile=hostile)
    return dict(summary=allocation_summary(alloc, loads), allocations=alloc, worker_loads=loads,
                unallocated=unallocated(), changes=alloc[alloc["changed"]].reset_index(drop=True),
                settings={"objective": {"handoff_weight": 10.0, "balance_weight": 1.0}, "time_limit_s": 30})
