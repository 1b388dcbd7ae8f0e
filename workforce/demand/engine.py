"""The quarterly stock-and-flow engine of the child's journey.

Within a quarter every flow out of a stage is a constant hazard (children leaving per child per
quarter) and referrals arrive at a constant rate, so the stocks follow a linear system of
differential equations. The engine solves it exactly for each quarter with a matrix exponential,
carrying the cumulative flows in the same system: every child who leaves a stage arrives in
another or leaves social care, so in = out + change in stock holds to rounding on every quarter.
Hazards may be larger than 1 (an assessment of 33 days completes about 2.8 times a quarter).

Re-referrals within 12 months feed back: a share of the children whose involvement closed in
each of the last four quarters (NFA, not in need, CIN closure, leaving care other than as a
care leaver) is referred again, spread evenly over the following four quarters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.linalg import expm
from threadpoolctl import ThreadpoolController

from workforce.demand.measures import CLOSURE_FLOWS, FLOWS, PLACEMENT_TYPES, STAGES

#: Engine state: the stages with `cla` split by placement type.
STATE = ("assessment", "cin", "cp", *(f"cla:{p}" for p in PLACEMENT_TYPES), "care_leaver")
_IDX = {name: i for i, name in enumerate(STATE)}
_CLA = [_IDX[f"cla:{p}"] for p in PLACEMENT_TYPES]
_FLOW = {name: i for i, name in enumerate(FLOWS)}
_CLOSURES = [_FLOW[f] for f in CLOSURE_FLOWS]


@dataclass(frozen=True)
class Rates:
    """The flow rates in force in one quarter (hazards are per child per quarter).

    Attributes
    ----------
    early_help : float
        Share of referrals diverted to early help before they become referrals.
    nfa : float
        Share of referrals closed at the front door with no further action.
    not_in_need : float
        Share of completed assessments that find the child not in need.
    assessment : float
        Completion hazard of the time under assessment.
    cin_closure, cp_start, cin_to_care : float
        Hazards out of the CIN stage: closed, CP plan started, became looked after.
    cp_step_down, cp_to_care : float
        Hazards out of a CP plan: stepped down to CIN, became looked after.
    care_exit : float
        Hazard of ceasing to be looked after.
    care_leaver_share : float
        Share of those ceasing who become care leavers (held by personal advisers).
    care_leaver_end : float
        Hazard of a care leaver's support ending.
    rereferral : float
        Share of closures referred again within 12 months.
    entry_mix : tuple of float
        Share of new placements of each type in `PLACEMENT_TYPES` (sums to 1).
    """

    early_help: float
    nfa: float
    not_in_need: float
    assessment: float
    cin_closure: float
    cp_start: float
    cin_to_care: float
    cp_step_down: float
    cp_to_care: float
    care_exit: float
    care_leaver_share: float
    care_leaver_end: float
    rereferral: float
    entry_mix: tuple[float, ...] = field(default=tuple(1.0 / len(PLACEMENT_TYPES) for _ in PLACEMENT_TYPES))

    def __post_init__(self) -> None:
        for name in ("early_help", "nfa", "not_in_need", "care_leaver_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a share between 0 and 1 (got {value:g})")
        for name in ("assessment", "cin_closure", "cp_start", "cin_to_care", "cp_step_down", "cp_to_care",
                     "care_exit", "care_leaver_end", "rereferral"):
            value = getattr(self, name)
            if not (value >= 0.0 and np.isfinite(value)):
                raise ValueError(f"{name} must be a finite rate >= 0 (got {value:g})")
        if len(self.entry_mix) != len(PLACEMENT_TYPES) or min(self.entry_mix) < 0 or \
                abs(sum(self.entry_mix) - 1.0) > 1e-9:
            raise ValueError("entry_mix needs one share >= 0 per placement type, summing to 1")


def _internal_flows(r: Rates) -> list[tuple[str, int, int | None, float]]:
    """(flow name, from state, to state or None, hazard) for every hazard-driven flow."""
    a, n, p, c = _IDX["assessment"], _IDX["cin"], _IDX["cp"], _IDX["care_leaver"]
    out: list[tuple[str, int, int | None, float]] = [
        ("not_in_need", a, None, r.assessment * r.not_in_need),
        ("assessed_in_need", a, n, r.assessment * (1.0 - r.not_in_need)),
        ("cin_closure", n, None, r.cin_closure),
        ("cp_start", n, p, r.cp_start),
        ("cp_step_down", p, n, r.cp_step_down),
    ]
    for k, share in zip(_CLA, r.entry_mix):
        out.append(("care_entry_from_cin", n, k, r.cin_to_care * share))
        out.append(("care_entry_from_cp", p, k, r.cp_to_care * share))
    for k in _CLA:
        out.append(("care_exit_home", k, None, r.care_exit * (1.0 - r.care_leaver_share)))
        out.append(("care_exit_leaver", k, c, r.care_exit * r.care_leaver_share))
    out.append(("care_leaver_end", c, None, r.care_leaver_end))
    return out


@lru_cache(maxsize=256)
def _propagator(rates: Rates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact one-quarter map of the augmented system for these rates.

    State ``z = [children per STATE, cumulative flows, arrivals, arrival rate]``: the arrival rate
    is a constant state, so the matrix holds only hazards (a small norm keeps the exponential
    cheap and accurate) and the map is linear in the stocks and the arrivals alike.
    Returns the map, the position in `FLOWS` of each flow of the cumulative block, and the care
    entries among those flows with the placement type of each (positions in the block and in
    `PLACEMENT_TYPES`).
    """
    flows = _internal_flows(rates)
    n, m = len(STATE), len(flows)
    size = n + m + 2
    b = np.zeros((size, size))
    for j, (_, src, dst, rate) in enumerate(flows):
        b[src, src] -= rate
        if dst is not None:
            b[dst, src] += rate
        b[n + j, src] += rate
    b[_IDX["assessment"], size - 1] = 1.0
    b[n + m, size - 1] = 1.0
    position = np.array([_FLOW[name] for name, *_ in flows])
    entries = [(j, _CLA.index(dst)) for j, (name, _, dst, _) in enumerate(flows)
               if name.startswith("care_entry") and dst is not None]
    return expm(b), position, np.array(entries).T


def advance_quarter(state: np.ndarray, into_assessment: float, rates: Rates) -> tuple[np.ndarray, np.ndarray,
                                                                                         np.ndarray]:
    """Move `state` (children per `STATE`) on by one quarter.

    `into_assessment` children arrive at the assessment stage at a constant rate over the quarter.
    Returns the new state, the quarter's hazard-driven flows summed by flow (one value per flow
    in `FLOWS`, zero for the flows no hazard drives), and the care-entry flows by placement type
    (entries per `PLACEMENT_TYPES`).
    """
    step, position, (entry_flow, entry_type) = _propagator(rates)
    n = len(STATE)
    z0 = np.zeros(step.shape[0])
    z0[:n] = state
    z0[-1] = into_assessment
    z1 = step @ z0
    new_state = np.maximum(z1[:n], 0.0)  # what np.clip(x, 0, None) computes, without its overhead
    moved = np.maximum(z1[n:n + len(position)], 0.0)
    totals = np.bincount(position, weights=moved, minlength=len(FLOWS))
    entries = np.bincount(entry_type, weights=moved[entry_flow], minlength=len(PLACEMENT_TYPES))
    return new_state, totals, entries


def _quarter_frame(values: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    out = pd.DataFrame(values, columns=list(columns))
    out.insert(0, "quarter", np.arange(1, len(values) + 1))
    return out


@dataclass
class Simulation:
    """What one run of the engine produced, one row per quarter.

    The engine's arrays are held as it made them (``*_values``: quarters x columns); the frames
    are built from them when first read (a published forecast runs the engine thousands of times
    and reads a few columns of each run).

    Attributes
    ----------
    stocks : DataFrame
        ``quarter`` (1..H) and one column per stage in `STAGES` (children at the quarter's end).
    placements : DataFrame
        ``quarter`` and one column per placement type (looked-after children at the quarter's end).
    flows : DataFrame
        ``quarter`` and one column per flow in `FLOWS` (children moved during the quarter).
    entries : DataFrame
        ``quarter`` and one column per placement type (new placements made during the quarter).
    opening : Series
        The stocks at the start (quarter 0), by stage.
    opening_placements : Series
        The looked-after children at the start, by placement type.
    stock_values, placement_values, flow_values, entry_values : array
        The same figures as the frames above, quarters x columns (no ``quarter`` column).
    start : array
        Children per `STATE` at the start.
    """

    stock_values: np.ndarray
    placement_values: np.ndarray
    flow_values: np.ndarray
    entry_values: np.ndarray
    start: np.ndarray

    def stock_total(self, stages: Sequence[str]) -> np.ndarray:
        """Children in `stages` at the end of each quarter."""
        return self.stock_values[:, [STAGES.index(s) for s in stages]].sum(axis=1)

    def flow_total(self, flows: Sequence[str]) -> np.ndarray:
        """Children moved by `flows` during each quarter."""
        return self.flow_values[:, [_FLOW[f] for f in flows]].sum(axis=1)

    @cached_property
    def stocks(self) -> pd.DataFrame:
        return _quarter_frame(self.stock_values, STAGES)

    @cached_property
    def placements(self) -> pd.DataFrame:
        return _quarter_frame(self.placement_values, PLACEMENT_TYPES)

    @cached_property
    def flows(self) -> pd.DataFrame:
        return _quarter_frame(self.flow_values, tuple(FLOWS))

    @cached_property
    def entries(self) -> pd.DataFrame:
        return _quarter_frame(self.entry_values, PLACEMENT_TYPES)

    @cached_property
    def opening(self) -> pd.Series:
        return pd.Series(_stage_totals(self.start), index=list(STAGES))

    @cached_property
    def opening_placements(self) -> pd.Series:
        return pd.Series(self.start[_CLA], index=list(PLACEMENT_TYPES))


def initial_state(stocks: dict[str, float], placement_mix: Sequence[float]) -> np.ndarray:
    """Engine state from stocks by stage, the looked-after stock split by `placement_mix`."""
    state = np.zeros(len(STATE))
    for stage in ("assessment", "cin", "cp", "care_leaver"):
        state[_IDX[stage]] = float(stocks.get(stage, 0.0))
    mix = np.asarray(placement_mix, dtype=float)
    state[_CLA] = float(stocks.get("cla", 0.0)) * mix / mix.sum()
    return state


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    """One controller for the process: making one reads every loaded library's details, which
    took longer than a whole run of the engine."""
    return ThreadpoolController()


def simulate(state: np.ndarray, rates: Sequence[Rates], new_referrals: Sequence[float],
             closures_before: Sequence[float]) -> Simulation:
    """Run the engine over ``len(rates)`` quarters.

    Parameters
    ----------
    state : array
        Children per `STATE` at the start (see :func:`initial_state`).
    rates : sequence of Rates
        The rates in force in each quarter (levers already applied).
    new_referrals : sequence of float
        First-time referrals arriving in each quarter (before early-help diversion).
    closures_before : sequence of float
        Closures in the four quarters before the start, oldest first (re-referral memory).

    Returns
    -------
    Simulation
    """
    horizon = len(rates)
    if len(new_referrals) != horizon:
        raise ValueError("new_referrals needs one value per quarter")
    memory = list(closures_before)[-4:]
    memory = [0.0] * (4 - len(memory)) + memory
    x = np.asarray(state, dtype=float).copy()
    start = x.copy()
    stocks = np.empty((horizon, len(STAGES)))
    places = np.empty((horizon, len(PLACEMENT_TYPES)))
    flows = np.empty((horizon, len(FLOWS)))
    entries = np.empty((horizon, len(PLACEMENT_TYPES)))
    with _blas().limit(limits=1, user_api="blas"):  # BLAS threads only slow small matrices down
        for q, r in enumerate(rates):
            rereferrals_gross = r.rereferral * sum(memory) / 4.0
            gross = float(new_referrals[q]) + rereferrals_gross
            diverted = r.early_help * gross
            referrals = gross - diverted
            nfa = r.nfa * referrals
            x, flow, entries[q] = advance_quarter(x, referrals - nfa, r)
            flow[_FLOW["new_referrals"]] = float(new_referrals[q]) * (1.0 - r.early_help)
            flow[_FLOW["rereferrals"]] = rereferrals_gross * (1.0 - r.early_help)
            flow[_FLOW["early_help"]] = diverted
            flow[_FLOW["referrals"]] = referrals
            flow[_FLOW["nfa"]] = nfa
            memory = memory[1:] + [sum(float(flow[i]) for i in _CLOSURES)]
            flows[q] = flow
            stocks[q] = _stage_totals(x)
            places[q] = x[_CLA]
    return Simulation(stocks, places, flows, entries, start)


def _stage_totals(x: np.ndarray) -> np.ndarray:
    """Children per stage in `STAGES` order (looked-after placement types summed)."""
    return np.array([x[_IDX["assessment"]], x[_IDX["cin"]], x[_IDX["cp"]], float(x[_CLA].sum()),
                     x[_IDX["care_leaver"]]])
