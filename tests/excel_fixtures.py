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


def quarters(h: int = 12) -> pd.DatetimeIndex:
    return pd.date_range("2025-01-01", periods=h, freq="QS")


def projection(h: int = 12, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for q, start in enumerate(quarters(h), 1):
        for t in TEAMS:
            demand_pts = 850 * (1 + 0.01 * q) + rng.normal(0, 20)
            demand = demand_pts / 85
            supply = 10.5 - 0.12 * q + rng.normal(0, 0.2)
            agency = 2.0 + 0.05 * q
            rows.append((q, start, t, demand_pts, demand, supply, 0.6, 0.5, agency, demand - supply))
    return pd.DataFrame(rows, columns=["quarter", "quarter_start_date", "team", "demand_points", "demand_fte",
                                       "supply_fte", "expected_leavers", "asye_fte", "agency_fte", "gap_fte"])


def montecarlo(proj: pd.DataFrame) -> pd.DataFrame:
    g = proj.groupby("quarter")["supply_fte"].sum()
    q = g.index.to_numpy()
    spread = 1.5 + 0.4 * q
    return pd.DataFrame({
        "quarter": q,
        "supply_fte_p10": g.to_numpy() - spread,
        "supply_fte_p50": g.to_numpy(),
        "supply_fte_p90": g.to_numpy() + spread,
        "cost_gbp_p10": 2.9e6 + 1e4 * q,
        "cost_gbp_p50": 3.0e6 + 1e4 * q,
        "cost_gbp_p90": 3.2e6 + 1e4 * q,
        "p_shortfall": np.clip(0.2 + 0.05 * q, 0, 1),
    })


def recruitment(h: int = 12) -> pd.DataFrame:
    rows = []
    for q in range(1, h + 1):
        for unit in ("North", "South", "Central"):
            rows.append((q, unit, 2, 1 if q % 4 == 3 else 0, 6.0 - 0.3 * q, 20.0 + 0.5 * q, 26.0, 6.0 - 0.4 * q,
                         250_000.0 + 1000 * q))
    return pd.DataFrame(rows, columns=["quarter", "unit", "permanent_hires", "nq_intake", "agency_fte",
                                       "permanent_fte", "demand_fte", "vacancies_fte", "cost_gbp"])


def recruitment_totals(rec: pd.DataFrame) -> pd.DataFrame:
    g = rec.groupby("quarter")[["demand_fte", "permanent_fte", "agency_fte", "vacancies_fte", "cost_gbp"]].sum()
    g = g.reset_index()
    g["agency_share"] = g["agency_fte"] / (g["agency_fte"] + g["permanent_fte"])
    g["baseline_permanent_fte"] = g["permanent_fte"] * 0.7
    g["baseline_agency_fte"] = g["baseline_permanent_fte"] * 0.3 / 0.7
    g["baseline_agency_share"] = 0.3
    g["baseline_cost_gbp"] = g["cost_gbp"] * 1.08
    return g[["quarter", "demand_fte", "permanent_fte", "agency_fte", "agency_share", "vacancies_fte", "cost_gbp",
              "baseline_permanent_fte", "baseline_agency_fte", "baseline_agency_share", "baseline_cost_gbp"]]


def plan_summary(totals: pd.DataFrame) -> dict:
    """The figures `build_plan` puts in its summary that the frames do not hold (plan start,
    Monte Carlo totals)."""
    cost, base = float(totals["cost_gbp"].sum()), float(totals["baseline_cost_gbp"].sum())
    return {"agency_share_start": 0.246, "p_shortfall_any_quarter": 0.66, "montecarlo_runs": 1000,
            "total_cost_gbp_p10": cost * 0.98, "total_cost_gbp_p50": cost * 1.01, "total_cost_gbp_p90": cost * 1.05,
            "baseline_cost_gbp_p10": base * 0.99, "baseline_cost_gbp_p50": base * 1.02,
            "baseline_cost_gbp_p90": base * 1.06, "saving_gbp_p10": 0.5 * (base - cost),
            "saving_gbp_p50": base - cost, "saving_gbp_p90": 1.4 * (base - cost),
            "saving_share_p10": 0.03, "saving_share_p50": 0.07, "saving_share_p90": 0.1}


def gateway(rk: pd.DataFrame) -> pd.DataFrame:
    top = rk.sort_values("p_leave", ascending=False).head(12)
    return pd.DataFrame({
        "worker_id": top["worker_id"].to_numpy(),
        "team": top["team"].to_numpy(),
        "programme": ["supervision_plus", "ASYE_mentoring", "flexible_working"] * 4,
        "p_leave": top["p_leave"].to_numpy(),
        "p_leave_after": top["p_leave"].to_numpy() * 0.8,
        "cost_gbp": [1500.0, 2500.0, 800.0] * 4,
        "expected_saving_gbp": top["p_leave"].to_numpy() * 0.2 * 30_000,
    })


def gateway_programmes(gw: pd.DataFrame) -> pd.DataFrame:
    g = gw.groupby("programme").agg(workers=("worker_id", "count"), cost_gbp=("cost_gbp", "sum"),
                                    expected_saving_gbp=("expected_saving_gbp", "sum")).reset_index()
    return g


def assumptions() -> pd.DataFrame:
    try:
        from workforce.plans.assumptions import Assumptions, assumptions_frame

        return assumptions_frame(Assumptions())
    except ImportError:  # pragma: no cover - the plans package is part of the repository
        return pd.DataFrame(
            [("demand", "absence_rate", 0.032, "fraction", "[S1]", "gross-up for absence"),
             ("projection", "start_date", "auto", "date or auto", "assumption", "first day of quarter 1")],
            columns=["section", "key", "value", "unit", "basis", "description"], dtype=object)


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
    proj = projection()
    rec = recruitment()
    gw = gateway(rk)
    totals = recruitment_totals(rec)
    return dict(
        assumptions=assumptions(), risk=rk, gateway=gw, gateway_programmes=gateway_programmes(gw),
        recruitment=rec, recruitment_totals=totals, projection=proj,
        montecarlo=montecarlo(proj), worker_loads=loads, allocation_summary=allocation_summary(alloc, loads),
        plan_summary=plan_summary(totals), fairness=fairness(),
    )


def allocation_kwargs(hostile: bool = False, n: int = 200) -> dict:
    loads = worker_loads(hostile=hostile)
    alloc = allocations(n=n, hostile=hostile)
    return dict(summary=allocation_summary(alloc, loads), allocations=alloc, worker_loads=loads,
                unallocated=unallocated(), changes=alloc[alloc["changed"]].reset_index(drop=True),
                settings={"objective": {"handoff_weight": 10.0, "balance_weight": 1.0}, "time_limit_s": 30})
