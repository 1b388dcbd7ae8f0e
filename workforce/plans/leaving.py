"""Every leaver: competing risks for LA-employed staff, agency assignments that end or renew, and
the starters an authority recruits when it carries on as now.

Leaving comes from three competing reasons, the groups of
:data:`workforce.contracts.LEAVE_REASON_GROUPS` (voluntary: ReasonLeave 1, 7; retirement: 5;
other: 2-4, 6, 8-10). For each LA-employed worker and quarter the plan holds a hazard per reason:

* the churn model's quarterly hazards (:func:`workforce.retention.model.predict_hazards`) for the
  reasons it was trained on;
* else the risk register's 12-month chances by reason (`p_voluntary_12m`, `p_retire_12m`,
  `p_other_12m`), or its `p_leave` split by the authority's observed reasons;
* the authority's own observed rates (:func:`observed_flows`, from `hr_history`, as the DfE counts
  them: leavers FTE in the census year / FTE in post at 30 September) for every reason the model
  does not cover and for every worker it does not score;
* the national turnover with an assumed split by reason when there is no history at all.

Agency staff are not census leavers: their assignments end (and, carrying on as now, renew) at the
rate the authority's own agency tenures show. Starters (newly qualified, experienced, agency) are
counted the same way, for the counterfactual of carrying on as now.

Annual rates become quarterly hazards as constant competing risks: a total annual chance p becomes
the quarterly 1 - (1 - p)^(1/4), split between the reasons in proportion to their annual rates, so
a year's expected leavers by reason add up to the observed rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.contracts import LEAVE_REASON_GROUPS, RISK_REASON_STEMS, RiskCoverage, risk_coverage
from workforce.plans.assumptions import Assumptions

REASONS: tuple[str, ...] = tuple(LEAVE_REASON_GROUPS)
REASON_OF_CODE = {code: name for name, codes in LEAVE_REASON_GROUPS.items() for code in codes}
#: Starter kinds for carrying on as now.
STARTER_KINDS = ("experienced", "newly_qualified", "agency")


def annual_to_quarterly(p_year) -> np.ndarray:
    """Chance of leaving in a quarter from the chance of leaving within a year (constant hazard)."""
    p = np.clip(np.asarray(p_year, dtype=float), 0.0, 1.0 - 1e-12)
    return 1.0 - (1.0 - p) ** 0.25


def split_hazard(total_year: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Quarterly hazards by reason (..., R) from annual chances of leaving (...) and reason shares
    (R or ..., R) that sum to 1."""
    return annual_to_quarterly(total_year)[..., None] * np.asarray(shares, dtype=float)


# ----------------------------------------------------------------------------- observed flows


@dataclass(frozen=True)
class ObservedFlows:
    """What an authority's `hr_history` shows, per year, pooled over its census years.

    Attributes
    ----------
    years : int
        Census years observed (pairs of consecutive snapshot dates).
    in_post_fte : float
        LA-employed FTE in post at the census days closing those years (summed).
    leavers_fte : dict
        LA-employed leavers FTE by reason over those years.
    starters_fte : dict
        Starters FTE by kind (:data:`STARTER_KINDS`) over those years.
    agency_fte : float
        Agency FTE in post, averaged over each year's two census days (summed over years).
    agency_ends_fte : float
        Agency assignments that ended, FTE (summed over years).
    """

    years: int
    in_post_fte: float
    leavers_fte: dict[str, float] = field(default_factory=dict)
    starters_fte: dict[str, float] = field(default_factory=dict)
    agency_fte: float = 0.0
    agency_ends_fte: float = 0.0
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    by_year: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per census year

    def latest_turnover(self) -> float | None:
        """Turnover in the latest census year of the history (DfE definition)."""
        if self.by_year.empty:
            return None
        last = self.by_year.iloc[-1]
        return float(last["leavers_fte"] / last["in_post_fte"]) if last["in_post_fte"] > 0 else None

    def reason_rates(self) -> dict[str, float]:
        """Annual leaving rate by reason: leavers FTE / FTE in post at 30 September (DfE)."""
        return {r: self.leavers_fte.get(r, 0.0) / self.in_post_fte if self.in_post_fte > 0 else 0.0
                for r in REASONS}

    def starter_rates(self) -> dict[str, float]:
        """Annual starters FTE by kind over LA-employed FTE in post at 30 September."""
        return {k: self.starters_fte.get(k, 0.0) / self.in_post_fte if self.in_post_fte > 0 else 0.0
                for k in STARTER_KINDS}

    def agency_end_rate(self) -> float | None:
        """Annual chance an agency assignment ends: ends FTE / average agency FTE in post; None
        without agency staff in the history."""
        if self.agency_fte <= 0:
            return None
        return float(min(0.99, self.agency_ends_fte / self.agency_fte))

    @property
    def basis(self) -> str:
        span = f"{self.first:%d %b %Y} to {self.last:%d %b %Y}" if self.first is not None else "no years"
        return f"[DERIVED] the authority's hr_history, {self.years} census year(s) {span}"


def _events(history: pd.DataFrame) -> pd.DataFrame:
    """One row per leave (worker_id, leave_date): the worker's state on their last row before it
    (or on the leaver row itself), with `reason`."""
    if "leave_date" not in history:
        return pd.DataFrame(columns=["worker_id", "leave_date", "agency", "fte", "reason"])
    rows = history.loc[history["leave_date"].notna()].sort_values(["worker_id", "leave_date", "snapshot_date"])
    last = rows.drop_duplicates(["worker_id", "leave_date"], keep="last")
    codes = pd.to_numeric(last.get("leave_reason"), errors="coerce") if "leave_reason" in last else np.nan
    reason = pd.Series(codes, index=last.index).map(REASON_OF_CODE).fillna("other")
    return pd.DataFrame({"worker_id": last["worker_id"].to_numpy(), "leave_date": last["leave_date"].to_numpy(),
                         "agency": last["agency"].astype(bool).to_numpy(), "fte": last["fte"].astype(float).to_numpy(),
                         "reason": reason.to_numpy()})


def observed_flows(history: pd.DataFrame | None) -> ObservedFlows | None:
    """Leavers by reason, starters by kind and agency assignment ends in each census year of
    `hr_history` (between consecutive snapshot dates), pooled.

    Parameters
    ----------
    history : DataFrame or None
        Typed `hr_history` (`workforce.contracts.load_hr_history`).

    Returns
    -------
    ObservedFlows or None
        None without a history of at least two snapshot dates.
    """
    if history is None or len(history) == 0:
        return None
    dates = np.sort(pd.to_datetime(history["snapshot_date"]).unique())
    if len(dates) < 2:
        return None
    leave = history["leave_date"] if "leave_date" in history else pd.Series(pd.NaT, index=history.index)
    in_post = history.loc[leave.isna() | (leave > history["snapshot_date"])]
    events = _events(history)
    first_rows = history.sort_values("snapshot_date").drop_duplicates(["worker_id", "start_date"])
    in_post_fte = agency_fte = agency_ends = 0.0
    leavers = {r: 0.0 for r in REASONS}
    starters = {k: 0.0 for k in STARTER_KINDS}
    years = []
    for before, day in zip(dates[:-1], dates[1:]):
        at_day = in_post.loc[in_post["snapshot_date"] == day]
        at_before = in_post.loc[in_post["snapshot_date"] == before]
        in_post_fte += float(at_day.loc[~at_day["agency"].astype(bool), "fte"].sum())
        agency_fte += (float(at_day.loc[at_day["agency"].astype(bool), "fte"].sum())
                       + float(at_before.loc[at_before["agency"].astype(bool), "fte"].sum())) / 2.0
        window = events.loc[(events["leave_date"] > before) & (events["leave_date"] <= day)]
        for reason, fte in window.loc[~window["agency"]].groupby("reason")["fte"].sum().items():
            leavers[str(reason)] = leavers.get(str(reason), 0.0) + float(fte)
        agency_ends += float(window.loc[window["agency"], "fte"].sum())
        new = first_rows.loc[(first_rows["start_date"] > before) & (first_rows["start_date"] <= day)]
        agency = new["agency"].astype(bool)
        asye = new["asye"].astype(bool)
        starters["agency"] += float(new.loc[agency, "fte"].sum())
        starters["newly_qualified"] += float(new.loc[~agency & asye, "fte"].sum())
        starters["experienced"] += float(new.loc[~agency & ~asye, "fte"].sum())
        years.append({"census_day": pd.Timestamp(day),
                      "in_post_fte": float(at_day.loc[~at_day["agency"].astype(bool), "fte"].sum()),
                      "leavers_fte": float(window.loc[~window["agency"], "fte"].sum()),
                      "starters_fte": float(new.loc[~agency, "fte"].sum())})
    return ObservedFlows(len(dates) - 1, in_post_fte, leavers, starters, agency_fte, agency_ends,
                         pd.Timestamp(dates[0]), pd.Timestamp(dates[-1]), pd.DataFrame(years))


# ----------------------------------------------------------------------------- rates used


@dataclass(frozen=True)
class LeavingRates:
    """The annual rates the plan falls back on, with where they come from."""

    reason_rates: dict[str, float]  # annual, by reason, for LA-employed staff
    agency_end_rate: float
    starter_rates: dict[str, float]  # annual, by kind, over LA-employed FTE in post
    basis: dict[str, str]

    @property
    def turnover(self) -> float:
        return float(sum(self.reason_rates.values()))

    @property
    def reason_shares(self) -> np.ndarray:
        total = self.turnover
        values = np.array([self.reason_rates[r] for r in REASONS])
        return values / total if total > 0 else np.array([1.0, 0.0, 0.0])


def leaving_rates(a: Assumptions, flows: ObservedFlows | None) -> LeavingRates:
    """The authority's own rates where its history has them, else the assumptions'."""
    s = a.supply
    default = {"voluntary": s.default_turnover_rate * (1.0 - s.default_retirement_share - s.default_other_share),
               "retirement": s.default_turnover_rate * s.default_retirement_share,
               "other": s.default_turnover_rate * s.default_other_share}
    default_basis = "assumptions: supply.default_turnover_rate split by default_retirement_share and default_other_share"
    starters = {"experienced": s.starter_rate * (1.0 - s.starter_nq_share),
                "newly_qualified": s.starter_rate * s.starter_nq_share, "agency": 0.0}
    if flows is None or flows.in_post_fte <= 0:
        return LeavingRates(default, s.agency_end_rate, starters,
                            {"reasons": default_basis, "agency_end_rate": "assumptions: supply.agency_end_rate",
                             "starters": "assumptions: supply.starter_rate and starter_nq_share"})
    agency_end = flows.agency_end_rate()
    return LeavingRates(
        flows.reason_rates(), agency_end if agency_end is not None else s.agency_end_rate, flows.starter_rates(),
        {"reasons": flows.basis, "starters": flows.basis,
         "agency_end_rate": flows.basis if agency_end is not None else "assumptions: supply.agency_end_rate "
                                                                        "(no agency staff in the history)"})


# ----------------------------------------------------------------------------- per worker


@dataclass
class Leaving:
    """Quarterly hazards of today's workers over the plan.

    `hazard` (workers x quarters x reasons): LA-employed staff's chance of leaving for each reason
    in each quarter if in post at its start (0 for agency staff); `agency_hazard` (workers): the
    quarterly chance an agency assignment ends after its committed term (0 for LA staff);
    `source` (workers): where each worker's hazards come from."""

    hazard: np.ndarray
    agency_hazard: np.ndarray
    source: np.ndarray
    rates: LeavingRates

    def annual(self) -> np.ndarray:
        """Each worker's chance of leaving within the first year (any reason)."""
        q = min(4, self.hazard.shape[1])
        return 1.0 - np.prod(1.0 - self.hazard[:, :q, :].sum(axis=2), axis=1)


def _hold(matrix: np.ndarray, horizon: int) -> np.ndarray:
    """(n, k) -> (n, horizon), the last column held beyond k."""
    if matrix.shape[1] >= horizon:
        return matrix[:, :horizon]
    return np.concatenate([matrix, np.repeat(matrix[:, -1:], horizon - matrix.shape[1], axis=1)], axis=1)


def model_hazards(hazards: pd.DataFrame, ids: pd.Series, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The model's hazards as (workers x quarters x reasons) and which (worker, reason) it covers."""
    out = np.zeros((len(ids), horizon, len(REASONS)))
    covered = np.zeros((len(ids), len(REASONS)), dtype=bool)
    ids = ids.astype(str)
    for k, reason in enumerate(REASONS):
        part = hazards.loc[hazards["reason"] == reason]
        if part.empty:
            continue
        wide = part.pivot_table(index=part["worker_id"].astype(str), columns="quarter", values="hazard", aggfunc="first")
        wide = wide.reindex(ids)
        have = wide.notna().all(axis=1).to_numpy()
        values = _hold(wide.fillna(0.0).to_numpy(dtype=float), horizon)
        out[have, :, k] = np.clip(values[have], 0.0, 1.0)
        covered[have, k] = True
    return out, covered


def risk_reason_columns(risk: pd.DataFrame) -> tuple[dict[str, str], int] | None:
    """The risk register's columns by reason and their horizon in months, when it has all three."""
    for months in sorted({int(c.split("_")[-1][:-1]) for c in risk.columns
                          if c.startswith("p_voluntary_") and c.endswith("m") and c.split("_")[-1][:-1].isdigit()}):
        names = {r: f"{stem}{months}m" for r, stem in RISK_REASON_STEMS.items()}
        if all(n in risk.columns for n in names.values()):
            return names, months
    return None


def risk_gaps(workers: pd.DataFrame, risk: pd.DataFrame, rates: LeavingRates) -> RiskCoverage:
    """Rows of the risk table for workers not in the workers table (unused), and LA-employed
    workers it does not score, who leave at the fallback rates instead: both are said, since a
    plan that silently drops a row or puts a default rate in place of a prediction misleads.
    Agency staff are not counted as unscored: their leaving is the agency end rate either way."""
    la = workers.loc[~workers["agency"].astype(bool), "worker_id"]
    kind = "observed" if rates.basis["reasons"].startswith("[DERIVED]") else "default"
    fallback = f"the {kind} leaving rates, {rates.turnover:.1%} a year ({rates.basis['reasons']})"
    return risk_coverage(risk, workers["worker_id"], la, fallback, who="LA-employed workers")


def worker_leaving(workers: pd.DataFrame, risk: pd.DataFrame | None, hazards: pd.DataFrame | None,
                   rates: LeavingRates, a: Assumptions) -> Leaving:
    """Each worker's quarterly hazards by reason over the plan (see the module docstring).

    Parameters
    ----------
    workers : DataFrame
        Typed workers.
    risk : DataFrame, optional
        The risk register (`worker_id`, `p_leave`, optionally the chances by reason), with
        `p_leave` over `projection.risk_horizon_months`.
    hazards : DataFrame, optional
        :func:`workforce.retention.model.predict_hazards` from the plan's first day.
    rates : LeavingRates
        The fallback rates (:func:`leaving_rates`).
    a : Assumptions

    Returns
    -------
    Leaving
    """
    n, horizon = len(workers), a.projection.horizon_quarters
    ids = workers["worker_id"].astype(str)
    agency = workers["agency"].astype(bool).to_numpy()
    shares = rates.reason_shares
    hazard = np.broadcast_to(split_hazard(np.array(rates.turnover), shares), (n, horizon, len(REASONS))).copy()
    source = np.full(n, "observed rates" if rates.basis["reasons"].startswith("[DERIVED]") else "default rates",
                     dtype=object)
    if risk is not None and len(risk):
        table = risk.drop_duplicates("worker_id").set_index(risk.drop_duplicates("worker_id")["worker_id"].astype(str))
        by_reason = risk_reason_columns(risk)
        scored = ids.isin(table.index).to_numpy()
        if by_reason is not None:
            names, months = by_reason
            p = np.column_stack([table[names[r]].reindex(ids).astype(float).to_numpy() for r in REASONS])
            total = np.clip(np.nan_to_num(p).sum(axis=1), 0.0, 1.0 - 1e-9)
            year = 1.0 - (1.0 - total) ** (12.0 / months)
            mix = np.divide(np.nan_to_num(p), total[:, None], out=np.tile(shares, (n, 1)), where=total[:, None] > 0)
            values = split_hazard(year, mix)
        else:
            months = a.projection.risk_horizon_months
            p = np.clip(table["p_leave"].reindex(ids).astype(float).to_numpy(), 0.0, 1.0 - 1e-9)
            values = split_hazard(1.0 - (1.0 - np.nan_to_num(p)) ** (12.0 / months), shares)
        hazard[scored] = np.repeat(values[scored][:, None, :], horizon, axis=1)
        source[scored] = "risk table" if by_reason is not None else "risk table p_leave, reasons as observed"
    if hazards is not None and len(hazards):
        from_model, covered = model_hazards(hazards, ids, horizon)
        for k in range(len(REASONS)):
            hazard[covered[:, k], :, k] = from_model[covered[:, k], :, k]
        some = covered.any(axis=1)
        source[some] = np.where(covered[some].all(axis=1), "churn model",
                                "churn model, other reasons as observed")
    hazard[agency] = 0.0
    total = hazard.sum(axis=2, keepdims=True)
    hazard = np.where(total > 1.0, hazard / np.maximum(total, 1e-12), hazard)
    agency_hazard = np.where(agency, float(annual_to_quarterly(rates.agency_end_rate)), 0.0)
    source[agency] = "agency tenures" if rates.basis["agency_end_rate"].startswith("[DERIVED]") else "agency end rate"
    return Leaving(hazard, agency_hazard, source, rates)
