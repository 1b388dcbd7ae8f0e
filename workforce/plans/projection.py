"""Quarterly projection: demand from today's caseload, supply from today's staff.

Demand: each child's weighted points (sibling discount as in allocation), summed by team,
grown by the referral trend, divided by the points one case-holding FTE carries and grossed up
for absence. Supply: each worker's case-holding FTE (FTE x the role's share of case work) decays
with the quarterly hazard from their leaving risk; ASYEs carry the ASYE share of a caseload
until they finish the ASYE year; agency workers leave when their contract ends; workers on long
leave return after a set time. Case weights, points per FTE, role shares and the ASYE share all
come from the plan's capacity model (`Assumptions.caseload`, :mod:`workforce.caseload`).

All stock figures are at the END of each quarter, in case-holding FTE; per team and quarter
`in_post_start_fte - leavers_fte - contracts_ended_fte = in_post_end_fte` holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.caseload import CaseloadRules, family_child_points
from workforce.errors import InputError
from workforce.plans.assumptions import Assumptions
from workforce.plans.costs import worker_cost_per_quarter

QUARTER_MONTHS = (1, 4, 7, 10)


def plan_start_date(a: Assumptions, workers: pd.DataFrame, cases: pd.DataFrame) -> pd.Timestamp:
    """First day of quarter 1: the assumption if given, else the first calendar-quarter start
    after the latest date in the inputs (so the same inputs always give the same plan)."""
    if a.projection.start_date != "auto":
        return pd.Timestamp(a.projection.start_date)
    dates = [pd.to_datetime(workers.get("start_date"), errors="coerce")]
    if "allocated_since" in cases:
        dates.append(pd.to_datetime(cases["allocated_since"], errors="coerce"))
    latest = max((d.max() for d in dates if d is not None and d.notna().any()), default=pd.NaT)
    if pd.isna(latest):
        raise InputError("cannot choose a plan start date: no dates in the inputs; set [projection] start_date",
                         column="start_date")
    day = pd.Timestamp(latest).normalize() + pd.Timedelta(days=1)
    for year in (day.year, day.year + 1):
        for month in QUARTER_MONTHS:
            candidate = pd.Timestamp(year=year, month=month, day=1)
            if candidate >= day:
                return candidate
    raise AssertionError("unreachable")


def quarter_starts(start: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    """Start dates of quarters 1..horizon, plus the day after the last quarter (horizon + 1)."""
    return pd.DatetimeIndex([start + pd.DateOffset(months=3 * q) for q in range(horizon + 1)])


def annual_to_quarterly_hazard(p_year: np.ndarray) -> np.ndarray:
    """Chance of leaving in a quarter from the chance of leaving within a year (constant hazard)."""
    p = np.clip(np.asarray(p_year, dtype=float), 0.0, 1.0 - 1e-12)
    return 1.0 - (1.0 - p) ** 0.25


def annual_leave_probability(workers: pd.DataFrame, risk: pd.DataFrame | None, a: Assumptions) -> np.ndarray:
    """Each worker's chance of leaving within a year: from the risk table (converted from its
    horizon), or the default turnover rate for workers it does not score."""
    p = pd.Series(a.supply.default_turnover_rate, index=workers.index, dtype=float)
    if risk is not None and len(risk):
        scored = pd.Series(risk["p_leave"].astype(float).to_numpy(), index=risk["worker_id"].astype(str))
        scored = scored[~scored.index.duplicated()]
        mapped = workers["worker_id"].astype(str).map(scored)
        months = a.projection.risk_horizon_months
        mapped = 1.0 - (1.0 - mapped.clip(0.0, 1.0 - 1e-12)) ** (12.0 / months)
        p = mapped.where(mapped.notna(), p)
    return p.to_numpy(dtype=float)


@dataclass
class Workforce:
    """Per-worker arrays the projection, recruitment plan and Monte Carlo share.

    `share`: case-holding FTE per person (FTE x role share of case work); `paid_fte`: FTE;
    `hazard`: quarterly leaving chance; `end_q`: quarter in whose course the contract ends
    (the worker is not in post at its end; horizon + 1 = beyond the plan); `capacity`:
    (workers x quarters) fraction of `share` usable in each quarter (ASYE, long leave)."""

    workers: pd.DataFrame
    unit: np.ndarray
    team: np.ndarray
    share: np.ndarray
    paid_fte: np.ndarray
    agency: np.ndarray
    asye_q: np.ndarray  # (n, H) True while still in the ASYE year at the quarter's end
    hazard: np.ndarray
    end_q: np.ndarray
    capacity: np.ndarray
    cost_q: np.ndarray  # cost per quarter while in post
    starts: pd.DatetimeIndex
    horizon: int

    def survival(self) -> np.ndarray:
        """(n, H+1) expected fraction still in post at the end of quarter q (q=0 is today)."""
        q = np.arange(self.horizon + 1)
        stay = (1.0 - self.hazard)[:, None] ** q[None, :]
        in_contract = q[None, :] < self.end_q[:, None]
        return stay * in_contract


def build_workforce(workers: pd.DataFrame, p_year: np.ndarray, a: Assumptions, start: pd.Timestamp) -> Workforce:
    """Arrays for today's staff; `p_year` is each worker's chance of leaving within a year."""
    rules = a.caseload
    horizon = a.projection.horizon_quarters
    starts = quarter_starts(start, horizon)
    ends = starts[1:] - pd.Timedelta(days=1)
    fte = workers["fte"].astype(float).to_numpy()
    role_share = workers["role"].map(lambda r: rules.role(str(r)).points_share).astype(float).to_numpy()
    agency = workers["agency"].astype(bool).to_numpy()
    asye = workers["asye"].astype(bool).to_numpy()
    available = workers["available"].astype(bool).to_numpy()

    # ASYE year: full capacity from `asye_months` after the start date (unknown start = today).
    started = pd.to_datetime(workers["start_date"], errors="coerce").fillna(start)
    full_from = (started + pd.DateOffset(months=a.supply.asye_months)).to_numpy()
    asye_q = asye[:, None] & (ends.to_numpy()[None, :] < full_from[:, None])
    capacity = np.where(asye_q, rules.asye_points_share, 1.0)
    absent = (~available)[:, None] & (np.arange(1, horizon + 1)[None, :] <= a.supply.absent_return_quarters)
    capacity = np.where(absent, 0.0, capacity)

    # Agency contracts: in post at the end of quarter q while the contract runs past that day.
    end_q = np.full(len(workers), horizon + 1, dtype=int)
    contract = pd.to_datetime(workers.get("contract_end_date", pd.Series(pd.NaT, index=workers.index)),
                              errors="coerce")
    default_end = starts[min(a.supply.agency_contract_quarters, horizon)] - pd.Timedelta(days=1)
    contract = contract.where(contract.notna(), default_end).to_numpy()
    ends_np = ends.to_numpy()
    first_after = np.searchsorted(ends_np, contract, side="right") + 1  # first quarter ending after d
    end_q = np.where(agency, np.maximum(1, np.minimum(first_after, horizon + 1)), end_q)

    unit_col = a.recruitment.unit
    return Workforce(
        workers=workers,
        unit=workers[unit_col].astype(str).to_numpy(),
        team=workers["team"].astype(str).to_numpy(),
        share=fte * role_share,
        paid_fte=fte,
        agency=agency,
        asye_q=asye_q,
        hazard=annual_to_quarterly_hazard(p_year),
        end_q=end_q,
        capacity=capacity,
        cost_q=worker_cost_per_quarter(workers, a),
        starts=starts,
        horizon=horizon,
    )


def case_teams(cases: pd.DataFrame, workers: pd.DataFrame, rules: CaseloadRules) -> pd.DataFrame:
    """Each child's points and team: its own team, else its worker's team, else shared across the
    teams of its locality in proportion to their case-holding FTE. Columns: `team, points`."""
    points = family_child_points(cases, rules).to_numpy()
    team = cases["team"].astype(str).str.strip() if "team" in cases else pd.Series("", index=cases.index)
    worker_team = workers.set_index(workers["worker_id"].astype(str))["team"].astype(str)
    if "current_worker_id" in cases:
        via_worker = cases["current_worker_id"].astype(str).map(worker_team).fillna("")
        team = team.where(team != "", via_worker)
    direct = pd.DataFrame({"team": team.to_numpy(), "points": points})
    have = direct[direct["team"] != ""]
    rest = cases.loc[(team == "").to_numpy()]
    if rest.empty:
        return have.reset_index(drop=True)
    share = workers["fte"].astype(float) * workers["role"].map(lambda r: rules.role(str(r)).points_share)
    weights = pd.DataFrame({"locality": workers["locality"].astype(str), "team": workers["team"].astype(str),
                            "w": share.to_numpy()}).groupby(["locality", "team"], as_index=False)["w"].sum()
    weights["w"] = weights["w"] / weights.groupby("locality")["w"].transform("sum")
    spread = pd.DataFrame({"locality": rest["locality"].astype(str).to_numpy(),
                           "points": points[(team == "").to_numpy()]})
    spread = spread.merge(weights, on="locality", how="left")
    orphan = spread["team"].isna()
    spread.loc[orphan, "team"] = spread.loc[orphan, "locality"] + " (no team)"
    spread["points"] = spread["points"] * spread["w"].fillna(1.0)
    return pd.concat([have, spread[["team", "points"]]], ignore_index=True)


def team_demand(cases: pd.DataFrame, workers: pd.DataFrame, a: Assumptions) -> pd.DataFrame:
    """Demand per team and quarter: `quarter, team, demand_points, demand_fte`.

    Quarter q carries today's points x (1 + trend)^(q/4); required case-holding FTE is that over
    the points one case-holding FTE carries (:attr:`CaseloadRules.case_points_per_fte`: a share
    1.0 of a caseload), grossed up for absence."""
    rules = a.caseload
    per_team = case_teams(cases, workers, rules).groupby("team")["points"].sum()
    horizon = a.projection.horizon_quarters
    growth = (1.0 + a.demand.referral_trend_rate) ** (np.arange(1, horizon + 1) / 4.0)
    rows = []
    for team, pts in per_team.items():
        for q in range(1, horizon + 1):
            demand = float(pts) * growth[q - 1]
            rows.append((q, str(team), demand))
    frame = pd.DataFrame(rows, columns=["quarter", "team", "demand_points"])
    frame["demand_fte"] = frame["demand_points"] / rules.case_points_per_fte / (1.0 - a.demand.absence_rate)
    return frame


def team_locality(workers: pd.DataFrame, cases: pd.DataFrame) -> dict[str, str]:
    """Each team's locality (the one most of its workers sit in)."""
    pairs = workers.groupby(["team", "locality"]).size().reset_index(name="n")
    pairs = pairs.sort_values(["team", "n", "locality"], ascending=[True, False, True])
    out = dict(zip(pairs.drop_duplicates("team")["team"].astype(str), pairs.drop_duplicates("team")["locality"].astype(str)))
    if "team" in cases:
        for team, loc in zip(cases["team"].astype(str), cases["locality"].astype(str)):
            if team and team not in out:
                out[team] = loc
    return out


def stock_frames(wf: Workforce) -> dict[str, np.ndarray]:
    """Today's staff's expected stocks and flows per worker and quarter (the projection's and the
    recruitment plan's common arithmetic).

    Parameters
    ----------
    wf : Workforce

    Returns
    -------
    dict
        Arrays (workers x quarters): ``start``, ``leavers``, ``ended`` (contract ends), ``end``
        in case-holding FTE; ``effective`` (usable FTE at each quarter's end);
        ``headcount_leavers``; ``paid`` (paid FTE, mid-quarter).
    """
    surv = wf.survival()
    start = surv[:, :-1]
    end = surv[:, 1:]
    q = np.arange(1, wf.horizon + 1)
    running = q[None, :] <= wf.end_q[:, None]
    leavers = start * wf.hazard[:, None] * running
    ended = np.where(q[None, :] == wf.end_q[:, None], start - leavers, 0.0)
    s = wf.share[:, None]
    return {
        "start": start * s,
        "leavers": leavers * s,
        "ended": ended * s,
        "end": end * s,
        "effective": end * s * wf.capacity,
        "headcount_leavers": leavers,
        "paid": (start + end) / 2.0 * wf.paid_fte[:, None],
    }


def project(workers: pd.DataFrame, cases: pd.DataFrame, wf: Workforce, a: Assumptions) -> pd.DataFrame:
    """The projection frame (per quarter x team), supply from today's staff only.

    Columns: quarter, quarter_start_date, team, locality, demand_points, demand_fte, supply_fte,
    permanent_fte, agency_fte, asye_fte, in_post_start_fte, leavers_fte, contracts_ended_fte,
    in_post_end_fte, expected_leavers, staff_cost_gbp, gap_fte."""
    stocks = stock_frames(wf)
    horizon = wf.horizon
    teams = wf.team
    perm = ~wf.agency
    cols = {
        "supply_fte": stocks["effective"],
        "permanent_fte": stocks["end"] * perm[:, None],
        "agency_fte": stocks["end"] * wf.agency[:, None],
        "asye_fte": stocks["end"] * wf.asye_q,
        "in_post_start_fte": stocks["start"],
        "leavers_fte": stocks["leavers"],
        "contracts_ended_fte": stocks["ended"],
        "in_post_end_fte": stocks["end"],
        "expected_leavers": stocks["headcount_leavers"],
        "staff_cost_gbp": stocks["paid"] / wf.paid_fte[:, None] * wf.cost_q[:, None],
    }
    uniq, inverse = np.unique(teams, return_inverse=True)
    blocks = {}
    for name, matrix in cols.items():
        summed = np.zeros((len(uniq), horizon))
        np.add.at(summed, inverse, matrix)
        blocks[name] = summed
    rows = []
    for i, team in enumerate(uniq):
        for q in range(horizon):
            rows.append((q + 1, team, *(blocks[name][i, q] for name in cols)))
    supply = pd.DataFrame(rows, columns=["quarter", "team", *cols])
    demand = team_demand(cases, workers, a)
    frame = demand.merge(supply, on=["quarter", "team"], how="outer")
    for name in ["demand_points", "demand_fte", *cols]:
        frame[name] = frame[name].fillna(0.0).astype(float)
    localities = team_locality(workers, cases)
    frame["locality"] = frame["team"].map(localities).fillna("")
    frame["quarter_start_date"] = wf.starts[frame["quarter"].to_numpy() - 1]
    frame["gap_fte"] = frame["demand_fte"] - frame["supply_fte"]
    order = ["quarter", "quarter_start_date", "team", "locality", "demand_points", "demand_fte", "supply_fte",
             "permanent_fte", "agency_fte", "asye_fte", "in_post_start_fte", "leavers_fte",
             "contracts_ended_fte", "in_post_end_fte", "expected_leavers", "staff_cost_gbp", "gap_fte"]
    return frame[order].sort_values(["quarter", "team"], kind="stable").reset_index(drop=True)
