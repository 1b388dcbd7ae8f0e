"""Fairness of decisions, not only of scores (issue 11 point 7).

The retention audit (:mod:`workforce.retention.fairness`) asks whether the model's scores and the
levers it offers differ by protected group. This module asks the same of what the scores drive:

* **gateway place**: whether a worker was offered any L&D place;
* **caseload relief (L&D)**: whether a worker was offered the caseload relief programme;
* **caseload relief (allocation)**: whether the risk-aware rebalance lowered a worker's caseload
  points.

Each is compared, group by group, with what the group's mix of flight risk predicts (workers in
the same fifth of voluntary leaving risk: retirement is not flight risk and plays no part), by
:func:`workforce.retention.fairness.lever_audit`: the same indirect standardisation, the same
flag threshold and the same suppression of groups under ten people. It sits above plans,
allocation and retention (which never import one another), like the pipeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.retention.fairness import PROTECTED, lever_audit

#: The decisions audited and the L&D programme that is caseload relief.
RELIEF_PROGRAMME = "caseload_relief"


def decisions(workers: pd.DataFrame, gateway: pd.DataFrame | None,
              worker_loads: pd.DataFrame | None = None) -> pd.DataFrame:
    """One column per decision (bool), aligned to `workers` (LA-employed staff only are offered
    places; everyone counts)."""
    ids = workers["worker_id"].astype(str)
    out = pd.DataFrame(index=workers.index)
    if gateway is not None and {"worker_id", "programme"} <= set(gateway.columns):
        programme = ids.map(gateway.set_index(gateway["worker_id"].astype(str))["programme"].astype(str)).fillna("")
        out["gateway place"] = (programme != "").to_numpy()
        out["caseload relief (L&D)"] = (programme == RELIEF_PROGRAMME).to_numpy()
    if worker_loads is not None and {"worker_id", "points_before", "points_after"} <= set(worker_loads.columns):
        loads = worker_loads.set_index(worker_loads["worker_id"].astype(str))
        relief = (loads["points_after"].astype(float) < loads["points_before"].astype(float) - 1e-9)
        out["caseload relief (allocation)"] = ids.map(relief).fillna(False).astype(bool).to_numpy()
    return out


def decision_audit(workers: pd.DataFrame, flight_risk: pd.Series, gateway: pd.DataFrame | None,
                   worker_loads: pd.DataFrame | None = None) -> pd.DataFrame:
    """The fairness of the plan's and the allocation's decisions by protected group.

    Parameters
    ----------
    workers : DataFrame
        Typed workers with any of the protected columns (`age_band`, `gender`, `ethnicity`,
        `disability`).
    flight_risk : Series
        Each worker's chance of leaving voluntarily (aligned to `workers`).
    gateway : DataFrame, optional
        The L&D plan per worker (`worker_id`, `programme`).
    worker_loads : DataFrame, optional
        The allocation's loads (`worker_id`, `points_before`, `points_after`).

    Returns
    -------
    DataFrame
        The retention audit's columns (`check` = "decision: <name>"); empty when the workers
        carry no protected column or no decision was made.
    """
    made = decisions(workers, gateway, worker_loads)
    present = [c for c in PROTECTED if c in workers.columns]
    if made.empty or not present:
        return pd.DataFrame()
    frame = workers[["worker_id", *present]].assign(p_voluntary=np.asarray(flight_risk, dtype=float))
    table = lever_audit(frame.reset_index(drop=True), made.reset_index(drop=True), p_col="p_voluntary",
                        characteristics=present)
    table["check"] = table["check"].str.replace("lever: ", "decision: ", regex=False)
    return table
