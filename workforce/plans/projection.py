"""Quarterly projection: demand from today's caseload, supply from today's staff.

**Capacity** comes from the one capacity model (:mod:`workforce.caseload`), the same rules the
allocation uses: each worker holds, at the safe standard, their role's points capacity and soft
cap on children, scaled by FTE (:func:`workforce.caseload.worker_caps`); an ASYE holds the ASYE
caps until the ASYE year ends; a worker on long leave holds nothing until they return. The plan
counts capacity in two dimensions, points and children, each in *case-holder FTE*: what one
full-time experienced case holder holds (a worker holding 76.5 points and 10 children counts 0.9
and 0.625). Demand in the same units is the caseload's points and children over a case holder's,
grossed up for absence; hires and agency cover add a case holder each.

**Required FTE** is stated as the census counts staff, in FTE of the team's real mix of roles
(team managers and practice supervisors included): :func:`workforce.caseload.required_fte` of the
team's demand and its workers, grossed up for absence. `capacity_fte` is what today's staff still
in post hold, in the same FTE of the mix, so `gap_fte = required_fte - capacity_fte` (the gap if
nobody were hired).

**Leaving**: LA-employed staff leave by competing reasons (:mod:`workforce.plans.leaving`); agency
assignments run to their committed end and then renew each quarter at the rate the authority's
agency tenures show.

All stock figures are at the END of each quarter, in paid FTE; per team and quarter
`in_post_start_fte - leavers_fte = in_post_end_fte` (LA-employed) and
`agency_start_fte - agency_ends_fte = agency_fte` hold exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from workforce.caseload import CaseloadRules, holding_per_fte, required_fte, worker_caps
from workforce.contracts import latest_input_date, latest_input_record
from workforce.errors import InputError
from workforce.plans import demand as plan_demand
from workforce.plans.assumptions import Assumptions
from workforce.plans.costs import cost_per_fte_year
from workforce.plans.leaving import REASONS, Leaving
from workforce.readers import written_date

QUARTER_MONTHS = (1, 4, 7, 10)
POINTS, CHILDREN = 0, 1


def plan_start_date(a: Assumptions, workers: pd.DataFrame, cases: pd.DataFrame) -> pd.Timestamp:
    """First day of quarter 1: the assumption if given, else the first calendar-quarter start
    after the latest date in the inputs (so the same inputs always give the same plan)."""
    if a.projection.start_date != "auto":
        return pd.Timestamp(a.projection.start_date)
    latest = latest_input_date(workers, cases)
    if latest is None:
        raise InputError("cannot choose a plan start date: no dates in the inputs; set [projection] start_date",
                         column="start_date")
    day = latest + pd.Timedelta(days=1)
    for year in (day.year, day.year + 1):
        for month in QUARTER_MONTHS:
            candidate = pd.Timestamp(year=year, month=month, day=1)
            if candidate >= day:
                return candidate
    raise AssertionError("unreachable")


def plan_start_basis(a: Assumptions, workers: pd.DataFrame, cases: pd.DataFrame) -> str:
    """Where :func:`plan_start_date` took the plan's first day from, in words: the assumption, or
    the latest date in the inputs and the record holding it (a start date typed years ahead moves
    the whole plan, and this names the row to correct)."""
    if a.projection.start_date != "auto":
        return "set by the assumption projection.start_date"
    latest = latest_input_record(workers, cases)
    if latest is None:
        return "no dates in the inputs"
    return f"the first quarter to start after {written_date(latest[0])}, the latest date in the inputs: {latest[1]}"


def quarter_starts(start: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    """Start dates of quarters 1..horizon, plus the day after the last quarter (horizon + 1)."""
    return pd.DatetimeIndex([start + pd.DateOffset(months=3 * q) for q in range(horizon + 1)])


def case_holder_holding(rules: CaseloadRules) -> np.ndarray:
    """What one full-time experienced case holder holds at the safe standard: (points, children)."""
    one = pd.DataFrame({"role": ["case_holder"], "fte": [1.0], "asye": [False]})
    caps = worker_caps(one, rules, availability=False).iloc[0]
    return np.array([float(caps["capacity_points"]), float(caps["soft_children"])])


def holding_units(workers: pd.DataFrame, rules: CaseloadRules, *, asye: bool | None = None) -> np.ndarray:
    """Each worker's safe holding in case-holder FTE: (workers x 2) points, children. `asye`
    overrides the workers' ASYE flag (None: as recorded)."""
    frame = workers if asye is None else workers.assign(asye=asye)
    caps = worker_caps(frame, rules, availability=False)
    held = np.column_stack([caps["capacity_points"].to_numpy(float), caps["soft_children"].to_numpy(float)])
    unit = case_holder_holding(rules)
    return np.divide(held, unit, out=np.zeros_like(held), where=unit > 0)


@dataclass
class Workforce:
    """Per-worker arrays the projection, the recruitment plan, carrying on and the Monte Carlo share.

    Attributes
    ----------
    workers : DataFrame
        The workers (after any scenario start and career steps: `role` is today's).
    unit, team : ndarray of str
        Recruitment unit and team of each worker.
    paid_fte : ndarray
        FTE (census FTE).
    agency : ndarray of bool
    holds : ndarray of bool (workers x quarters)
        Whether the worker's role holds cases in the quarter (a career step may change it).
    cap : ndarray (workers x quarters x 2)
        Safe holding in case-holder FTE (points, children) while in post; 0 on long leave.
    hazard : ndarray (workers x quarters x reasons)
        LA-employed staff's quarterly leaving hazards by reason (0 for agency).
    agency_hazard : ndarray
        Quarterly chance an agency assignment ends once past its committed term.
    end_q : ndarray of int
        Quarter in whose course an agency worker's committed term ends (horizon + 1: beyond the
        plan, and for LA staff).
    cost_q : ndarray (workers x quarters)
        Cost per quarter while in post (pay by role and grade, or the agency day rate).
    asye_q : ndarray of bool (workers x quarters)
        Still in the ASYE year at the quarter's end.
    """

    workers: pd.DataFrame
    unit: np.ndarray
    team: np.ndarray
    paid_fte: np.ndarray
    agency: np.ndarray
    holds: np.ndarray
    cap: np.ndarray
    hazard: np.ndarray
    agency_hazard: np.ndarray
    end_q: np.ndarray
    cost_q: np.ndarray
    asye_q: np.ndarray
    starts: pd.DatetimeIndex
    horizon: int

    @property
    def total_hazard(self) -> np.ndarray:
        """(workers x quarters) chance of leaving for any reason in the quarter."""
        return self.hazard.sum(axis=2)

    @property
    def refilled(self) -> np.ndarray:
        """(workers x quarters) posts that hold no cases in the quarter (team and service
        managers, reviewing officers, quality staff), kept filled as they are today, in the plan
        and carrying on as now alike: an LA employee who leaves is replaced like for like (the
        leaver still counts in turnover, the replacement as a starter), and an agency assignment
        that ends is renewed by another [DEFAULT]. The plan decides case-holding capacity and
        agency cover for it; the service still has its managers, and neither side may gain from
        losing them (the agency rate would fall by itself as agency managers' assignments end)."""
        return ~self.holds

    def survival(self, *, renew: bool = True, refill: bool = False) -> np.ndarray:
        """(workers x horizon+1) expected fraction still in post at the end of quarter q (q = 0 is
        today). LA staff by their hazards; agency staff to the end of their committed term, and
        after it (with `renew`, carrying on as now) renewing at the observed rate, else gone. With
        `refill`, the posts of `refilled` stay filled (the leaver replaced like for like, the
        agency assignment renewed)."""
        q = np.arange(self.horizon + 1)
        stay = np.ones((len(self.paid_fte), self.horizon + 1))
        hazard = np.where(self.refilled, 0.0, self.total_hazard) if refill else self.total_hazard
        stay[:, 1:] = np.cumprod(1.0 - hazard, axis=1)
        committed = q[None, :] < self.end_q[:, None]
        past = np.maximum(0, q[None, :] - (self.end_q[:, None] - 1))
        renewed = (1.0 - self.agency_hazard)[:, None] ** past if renew else np.zeros_like(stay)
        agency = np.where(committed, 1.0, renewed)
        if refill:
            agency = np.where(self.refilled[:, :1], 1.0, agency)
        return np.where(self.agency[:, None], agency, stay)


def build_workforce(workers: pd.DataFrame, leaving: Leaving, a: Assumptions, start: pd.Timestamp) -> Workforce:
    """Arrays for today's staff.

    Parameters
    ----------
    workers : DataFrame
        Typed workers.
    leaving : Leaving
        Their hazards (:func:`workforce.plans.leaving.worker_leaving`), aligned to `workers`.
    a : Assumptions
    start : Timestamp
        The plan's first day.
    """
    rules = a.caseload
    horizon = a.projection.horizon_quarters
    starts = quarter_starts(start, horizon)
    ends = starts[1:] - pd.Timedelta(days=1)
    fte = workers["fte"].astype(float).to_numpy()
    agency = workers["agency"].astype(bool).to_numpy()
    asye = workers["asye"].astype(bool).to_numpy()
    available = workers["available"].astype(bool).to_numpy()

    # ASYE year: the ASYE caps until `asye_months` after the start date (unknown start = today).
    started = pd.to_datetime(workers["start_date"], errors="coerce").fillna(start)
    full_from = (started + pd.DateOffset(months=a.supply.asye_months)).to_numpy()
    asye_q = asye[:, None] & (ends.to_numpy()[None, :] < full_from[:, None])
    as_asye, full = holding_units(workers, rules, asye=True), holding_units(workers, rules, asye=False)
    cap = np.where(asye_q[:, :, None], as_asye[:, None, :], full[:, None, :])
    absent = (~available)[:, None] & (np.arange(1, horizon + 1)[None, :] <= a.supply.absent_return_quarters)
    cap = np.where(absent[:, :, None], 0.0, cap)
    holds = np.repeat(workers["role"].map(lambda r: rules.role(str(r)).holds_cases).astype(bool).to_numpy()[:, None],
                      horizon, axis=1)

    # Agency contracts: committed while the contract runs past the quarter's end.
    end_q = np.full(len(workers), horizon + 1, dtype=int)
    contract = pd.to_datetime(workers.get("contract_end_date", pd.Series(pd.NaT, index=workers.index)),
                              errors="coerce")
    default_end = starts[min(a.supply.agency_contract_quarters, horizon)] - pd.Timedelta(days=1)
    contract = contract.where(contract.notna(), default_end).to_numpy()
    first_after = np.searchsorted(ends.to_numpy(), contract, side="right") + 1  # first quarter ending after d
    end_q = np.where(agency, np.maximum(1, np.minimum(first_after, horizon + 1)), end_q)

    # Pay: the NQ grade while in the ASYE year, then the role's; agency at the role's day rate.
    roles = workers["role"].astype(str).to_numpy()
    yearly_asye = np.array([cost_per_fte_year(a, r, True, g) for r, g in zip(roles, agency)])
    yearly_full = np.array([cost_per_fte_year(a, r, False, g) for r, g in zip(roles, agency)])
    cost_q = np.where(asye_q, yearly_asye[:, None], yearly_full[:, None]) * fte[:, None] / 4.0

    return Workforce(
        workers=workers, unit=workers[a.recruitment.unit].astype(str).to_numpy(),
        team=workers["team"].astype(str).to_numpy(), paid_fte=fte, agency=agency, holds=holds, cap=cap,
        hazard=leaving.hazard.copy(), agency_hazard=leaving.agency_hazard.copy(), end_q=end_q, cost_q=cost_q,
        asye_q=asye_q, starts=starts, horizon=horizon,
    )


def copy_workforce(wf: Workforce) -> Workforce:
    """A copy whose per-worker arrays may be changed without touching `wf`."""
    return replace(wf, holds=wf.holds.copy(), cap=wf.cap.copy(), hazard=wf.hazard.copy(), cost_q=wf.cost_q.copy())


def set_role(wf: Workforce, i: int, role: str, from_quarter: int, a: Assumptions) -> None:
    """Put worker `i` in `role` from quarter `from_quarter` (1-based) on, in place: the new
    role's pay and capacity (a practice supervisor holds half a caseload, a team manager none)."""
    if from_quarter > wf.horizon:
        return
    k = from_quarter - 1
    row = wf.workers.iloc[[i]].assign(role=role, asye=False)
    wf.cap[i, k:, :] = holding_units(row, a.caseload)[0]
    wf.cost_q[i, k:] = cost_per_fte_year(a, role, False, bool(wf.agency[i])) * wf.paid_fte[i] / 4.0
    wf.holds[i, k:] = a.caseload.role(role).holds_cases


def stock_frames(wf: Workforce, *, renew: bool = True, refill: bool = False) -> dict[str, np.ndarray]:
    """Today's staff's expected stocks and flows per worker and quarter (the projection's,
    carrying on's and the recruitment plan's common arithmetic).

    Parameters
    ----------
    wf : Workforce
    renew : bool
        Agency assignments renew after their committed term (carrying on as now), or end (the
        plan decides its own agency cover).
    refill : bool
        The posts that hold no cases are refilled like for like (`Workforce.refilled`): the plan
        and carrying on; not the projection of what today's staff hold if nobody were hired.

    Returns
    -------
    dict
        Arrays (workers x quarters) in paid FTE: ``start``, ``end``, ``leavers`` (LA, any reason;
        with `refill`, those of refilled posts are replaced at once), ``agency_ends``, ``paid``
        (mid-quarter, for pay); (workers x quarters x reasons) ``by_reason``; (workers x quarters
        x 2) ``cap`` (case-holder FTE held at each quarter's end).
    """
    surv = wf.survival(renew=renew, refill=refill)
    start, end = surv[:, :-1], surv[:, 1:]
    by_reason = start[:, :, None] * wf.hazard
    ends = np.where(wf.agency[:, None], start - end, 0.0)
    fte = wf.paid_fte[:, None]
    return {
        "start": start * fte,
        "end": end * fte,
        "leavers": by_reason.sum(axis=2) * fte,
        "by_reason": by_reason * fte[:, :, None],
        "agency_ends": ends * fte,
        "paid": (start + end) / 2.0,
        "cap": end[:, :, None] * wf.cap,
    }


def team_mix(workers: pd.DataFrame, rules: CaseloadRules) -> dict[str, tuple[float, float]]:
    """Points and children one FTE of each team's real mix of roles holds at the safe standard
    (:func:`workforce.caseload.holding_per_fte`); key "" is the whole authority's."""
    out = {"": holding_per_fte(workers, rules)}
    for team, group in workers.groupby(workers["team"].astype(str)):
        held = holding_per_fte(group, rules)
        out[str(team)] = held if held[0] > 0 and held[1] > 0 else out[""]
    return out


def team_required_fte(demand: pd.DataFrame, workers: pd.DataFrame, a: Assumptions) -> np.ndarray:
    """FTE of each row's team's real mix of roles that its demand needs at the safe standard,
    grossed up for absence (:func:`workforce.caseload.required_fte`)."""
    out = np.zeros(len(demand))
    groups = {str(t): g for t, g in workers.groupby(workers["team"].astype(str))}
    for team, rows in demand.groupby("team").groups.items():
        mix = groups.get(str(team))
        if mix is None or holding_per_fte(mix, a.caseload)[0] <= 0:
            mix = workers
        part = demand.loc[rows]
        out[demand.index.get_indexer(rows)] = required_fte(part["demand_points"].to_numpy(),
                                                           part["demand_children"].to_numpy(), mix, a.caseload)
    return out / (1.0 - a.demand.absence_rate)


def demand_units(demand: pd.DataFrame, a: Assumptions) -> np.ndarray:
    """(rows x 2) demand in case-holder FTE (points, children), grossed up for absence."""
    unit = case_holder_holding(a.caseload)
    raw = demand[["demand_points", "demand_children"]].to_numpy(dtype=float)
    return raw / unit[None, :] / (1.0 - a.demand.absence_rate)


def team_demand(cases: pd.DataFrame, workers: pd.DataFrame, a: Assumptions,
                demand: pd.DataFrame | None = None) -> pd.DataFrame:
    """Demand per team and quarter: `quarter, team, team_type, demand_points, demand_children,
    required_fte` (see the module docstring)."""
    frame = plan_demand.team_demand(cases, workers, a.caseload, a.projection.horizon_quarters,
                                    a.demand.referral_trend_rate, demand)
    frame["required_fte"] = team_required_fte(frame, workers, a)
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


def mix_fte(cap_units: np.ndarray, mix: tuple[float, float], unit: np.ndarray) -> np.ndarray:
    """Capacity in case-holder FTE (..., 2) as FTE of a mix holding `mix` (points, children) per
    FTE: the dimension that runs out first. `unit` is what one case-holder FTE holds
    (:func:`case_holder_holding`)."""
    held = cap_units * unit
    per = np.asarray(mix, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(per > 0, held / np.where(per > 0, per, 1.0), np.inf)
    return np.min(ratio, axis=-1)


PROJECTION_COLUMNS = [
    "quarter", "quarter_start_date", "team", "team_type", "locality", "demand_points", "demand_children",
    "required_fte", "capacity_fte", "gap_fte", "in_post_start_fte", "leavers_fte",
    *[f"leavers_{r}_fte" for r in REASONS], "in_post_end_fte", "agency_start_fte", "agency_ends_fte", "agency_fte",
    "asye_fte", "case_holder_fte", "staff_cost_gbp",
]


def _by_team(teams: np.ndarray, matrices: dict[str, np.ndarray], horizon: int) -> pd.DataFrame:
    uniq, inverse = np.unique(teams, return_inverse=True)
    cols = {}
    for name, matrix in matrices.items():
        summed = np.zeros((len(uniq), horizon) + matrix.shape[2:])
        np.add.at(summed, inverse, matrix)
        cols[name] = summed
    rows = []
    for i, team in enumerate(uniq):
        for q in range(horizon):
            rows.append({"quarter": q + 1, "team": str(team), **{k: v[i, q] for k, v in cols.items()}})
    return pd.DataFrame(rows)


def project(workers: pd.DataFrame, cases: pd.DataFrame, wf: Workforce, a: Assumptions,
            demand: pd.DataFrame | None = None) -> pd.DataFrame:
    """The projection frame (per quarter x team), supply from today's staff only.

    Columns :data:`PROJECTION_COLUMNS`: demand (`demand_points`, `demand_children`,
    `required_fte` of the team's real mix), `capacity_fte` (what today's staff still in post hold,
    as FTE of that mix), `gap_fte` (required less capacity), LA-employed stocks and leavers by
    reason, agency stocks and assignment ends, ASYEs, case-holding FTE (LA and agency) and pay."""
    s = stock_frames(wf, renew=True)
    la = ~wf.agency
    matrices = {
        "in_post_start_fte": s["start"] * la[:, None], "leavers_fte": s["leavers"],
        **{f"leavers_{r}_fte": s["by_reason"][:, :, k] for k, r in enumerate(REASONS)},
        "in_post_end_fte": s["end"] * la[:, None],
        "agency_start_fte": s["start"] * wf.agency[:, None], "agency_ends_fte": s["agency_ends"],
        "agency_fte": s["end"] * wf.agency[:, None], "asye_fte": s["end"] * wf.asye_q,
        "case_holder_fte": s["end"] * wf.holds, "staff_cost_gbp": s["paid"] * wf.cost_q,
        "cap_points": s["cap"][:, :, POINTS], "cap_children": s["cap"][:, :, CHILDREN],
    }
    supply = _by_team(wf.team, matrices, wf.horizon)
    need = team_demand(cases, workers, a, demand)
    frame = need.merge(supply, on=["quarter", "team"], how="outer")
    numeric = [c for c in frame.columns if c not in ("quarter", "team", "team_type")]
    frame[numeric] = frame[numeric].fillna(0.0).astype(float)
    frame["team_type"] = frame["team_type"].fillna("").astype(str)
    mixes = team_mix(workers, a.caseload)
    units = frame[["cap_points", "cap_children"]].to_numpy()
    unit = case_holder_holding(a.caseload)
    frame["capacity_fte"] = [float(mix_fte(u, mixes.get(t, mixes[""]), unit)) for u, t in zip(units, frame["team"])]
    frame["locality"] = frame["team"].map(team_locality(workers, cases)).fillna("")
    frame["quarter_start_date"] = wf.starts[frame["quarter"].to_numpy(dtype=int) - 1]
    frame["gap_fte"] = frame["required_fte"] - frame["capacity_fte"]
    return frame[PROJECTION_COLUMNS].sort_values(["quarter", "team"], kind="stable").reset_index(drop=True)
