"""`generate_authority`: the demo authority's tables, typed as `workforce.contracts.load_*`
returns them, plus its funded establishment and the generator's truth."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.contracts import default_priority
from workforce.demo.organisation import establishment_frame
from workforce.demo.parameters import DemoParameters, profile_parameters
from workforce.demo.simulation import Simulation, age_band
from workforce.demo.today import run_today

#: Columns of `truth` (not an input table: no real authority knows these).
TRUTH_COLUMNS = ("snapshot_date", "worker_id", "p_leave_true", "p_voluntary_true", "p_retirement_true", "p_other_true")


@dataclass
class DemoAuthority:
    """A generated authority.

    `workers`, `cases` and `hr_history` are typed as `workforce.contracts.load_*` returns them
    (`workers` also carries the optional `team_type`); `establishment` is the funded posts by
    team and role (`team, team_type, locality, role, funded_fte`); `truth` is the generator's
    chance that each worker in post at each snapshot leaves within 12 months, in total and by
    reason group (agency assignment ends are under `other`).
    """

    workers: pd.DataFrame
    cases: pd.DataFrame
    hr_history: pd.DataFrame
    truth: pd.DataFrame
    establishment: pd.DataFrame
    as_of: pd.Timestamp
    params: DemoParameters
    info: dict


def _text(values) -> pd.Series:
    return pd.Series([str(v) for v in values], dtype="str")


def _dates(values) -> pd.Series:
    return pd.to_datetime(pd.Series(list(values), dtype="datetime64[ns]")).dt.normalize()


def generate_authority(seed: int = 0, scale: float = 1.0, params: DemoParameters | None = None, *,
                       profile: str = "default") -> DemoAuthority:
    """Generate a demo authority, deterministic by `seed`.

    Parameters
    ----------
    seed : int
    scale : float
        Multiplies teams, posts and families; 1.0 is Sandwell scale (about 3,500 children and 220
        case-holding social workers).
    params : DemoParameters, optional
        Overrides the profile's parameters.
    profile : str
        ``default`` or ``sandwell`` (see :func:`workforce.demo.parameters.profile_parameters`).

    Raises
    ------
    ValueError
        A scale that is not a positive number, or an unknown profile.
    """
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    params = params or profile_parameters(profile)
    sim = Simulation(params, scale, seed)
    sim.run_history()
    children, today_workers, today, info = run_today(sim)
    as_of = sim.as_of
    rng = sim.rng

    weeks = rng.uniform(2, 26, size=len(today_workers))
    contract_end = [as_of + pd.Timedelta(days=int(wk * 7)) if w.agency else pd.NaT for w, wk in zip(today_workers, weeks)]
    workers = pd.DataFrame({
        "worker_id": _text(w.worker_id for w in today_workers),
        "team": _text(w.team for w in today_workers),
        "locality": _text(w.locality for w in today_workers),
        "role": _text(w.role for w in today_workers),
        "asye": today["asye"].to_numpy(bool),
        "agency": np.array([w.agency for w in today_workers], dtype=bool),
        "fte": np.array([w.fte for w in today_workers], dtype=float),
        "start_date": _dates(w.start for w in today_workers),
        "skills": _text(";".join(sorted(w.skills)) for w in today_workers),
        "available": today["available"].to_numpy(bool),
        "contract_end_date": _dates(contract_end),
        "sickness_days_12m": today["sickness_days_12m"].to_numpy(float),
        "supervision_hours_3m": today["supervision_hours_3m"].to_numpy(float),
        "age_band": _text(age_band(a) for a in today["age"]),
        "gender": _text(w.gender for w in today_workers),
        "ethnicity": _text(w.ethnicity for w in today_workers),
        "disability": _text(w.disability for w in today_workers),
        "team_type": _text(w.team_type for w in today_workers),
    })
    workers = workers.sort_values("worker_id", kind="stable").reset_index(drop=True)

    c = children
    cases = pd.DataFrame({
        "case_id": _text(c["case_id"]),
        "family_id": _text(c["family_id"]),
        "case_type": _text(c["case_type"]),
        "court": c["court"].to_numpy(bool),
        "locality": _text(c["locality"]),
        "team": _text(c["team"]),
        "current_worker_id": _text(c["current_worker_id"]),
        "allocated_since": c["allocated_since"].astype("datetime64[ns]").to_numpy(),
        "workers_12m": c["workers_12m"].to_numpy("int64"),
    })
    cases["priority"] = default_priority(cases).astype("int64")
    cases["required_skills"] = _text(c["required_skills"])
    cases["pinned"] = c["pinned"].to_numpy(bool)
    cases["excluded_workers"] = _text(c["excluded_workers"])

    rows = sim.rows
    hist = pd.DataFrame({
        "snapshot_date": _dates(r["snapshot_date"] for r in rows),
        "worker_id": _text(r["w"].worker_id for r in rows),
        "team": _text(r["team"] for r in rows),
        "locality": _text(r["locality"] for r in rows),
        "role": _text(r["role"] for r in rows),
        "asye": np.array([r["asye"] for r in rows], dtype=bool),
        "agency": np.array([r["agency"] for r in rows], dtype=bool),
        "fte": np.array([r["fte"] for r in rows], dtype=float),
        "start_date": _dates(r["start_date"] for r in rows),
        "cases_held": pd.array([r["cases_held"] for r in rows], dtype="Float64"),
        "caseload_points": np.array([r["caseload_points"] for r in rows], dtype=float),
        "capacity_points": np.array([r["capacity_points"] for r in rows], dtype=float),
        "sickness_days_12m": np.array([r["sickness_days_12m"] for r in rows], dtype=float),
        "supervision_hours_3m": np.array([r["supervision_hours_3m"] for r in rows], dtype=float),
        "reallocations_12m": pd.array([r["reallocations_12m"] for r in rows], dtype="Float64"),
        "age_band": _text(r["age_band"] for r in rows),
        "gender": _text(r["w"].gender for r in rows),
        "ethnicity": _text(r["w"].ethnicity for r in rows),
        "disability": _text(r["w"].disability for r in rows),
        "leave_date": _dates(r["w"].leave_date if r["w"].leave_date is not None else pd.NaT for r in rows),
        "leave_reason": pd.array([r["w"].leave_reason for r in rows], dtype="Float64"),
        "leaver_destination": pd.array([r["w"].destination for r in rows], dtype="Float64"),
    })
    hist = hist.sort_values(["snapshot_date", "worker_id"], kind="stable").reset_index(drop=True)
    truth = pd.DataFrame({
        "snapshot_date": _dates(r["snapshot_date"] for r in sim.truth),
        "worker_id": _text(r["w"].worker_id for r in sim.truth),
        "p_leave_true": [r["p_leave"] for r in sim.truth],
        "p_voluntary_true": [r["p_voluntary"] for r in sim.truth],
        "p_retirement_true": [r["p_retirement"] for r in sim.truth],
        "p_other_true": [r["p_other"] for r in sim.truth],
    })
    truth = truth.sort_values(["snapshot_date", "worker_id"], kind="stable").reset_index(drop=True)
    info = {**info, "targets": {"vacancy_rate": float(sim.vacancy[-1]), "agency_rate": float(sim.agency[-1]),
                                "absence_rate": float(sim.absence[-1]), "turnover_rate": float(sim.turnover[-2])},
            "team_funding": {t.name: round(t.funding, 3) for t in sim.teams if t.case_holding}}
    return DemoAuthority(workers=workers, cases=cases, hr_history=hist, truth=truth,
                         establishment=establishment_frame(sim.teams), as_of=as_of, params=params, info=info)
