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
from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.linalg import expm
from threadpoolctl import threadpool_limits

from workforce.demand.measures import CLOSURE_FLOWS, FLOWS, PLACEMENT_TYPES, STAGES

#: Engine state: the stages with `cla` split by placement type.
STATE = ("assessment", "cin", "cp", *(f"cla:{p}" for p in PLACEMENT_TYPES), "care_leaver")
_IDX = {name: i for i, name in enumerate(STATE)}
_CLA = [_IDX[f"cla:{p}"] for p in PLACEMENT_TYPES]


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
def _propagator(rates: Rates) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """The exact one-quarter map of the augmented system for these rates.

    State ``z = [children per STATE, cumulative flows, arrivals, arrival rate]``: the arrival rate
    is a constant state, so the matrix holds only hazards (a small norm keeps the exponential
    cheap and accurate) and the map is linear in the stocks and the arrivals alike.
    Returns the map, the flow names of the cumulative block and the placement index of each
    flow's destination (-1 when it is not a care entry).
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
    names = tuple(name for name, *_ in flows)
    placement = np.array([_CLA.index(dst) if name.startswith("care_entry") and dst is not None else -1
                          for name, _, dst, _ in flows])
    return expm(b), names, placement


def advance_quarter(state: np.ndarray, into_assessment: float, rates: Rates) -> tuple[np.ndarray, dict[str, float],
                                                                                         np.ndarray]:
    """Move `state` (children per `STATE`) on by one quarter.

    `into_assessment` children arrive at the assessment stage at a constant rate over the quarter.
    Returns the new state, the quarter's hazard-driven flows summed by flow name, and the
    care-entry flows by placement type (entries per `PLACEMENT_TYPES`).
    """
    step, names, placement = _propagator(rates)
    n = len(STATE)
    z0 = np.zeros(step.shape[0])
    z0[:n] = state
    z0[-1] = into_assessment
    z1 = step @ z0
    new_state = np.clip(z1[:n], 0.0, None)
    moved = np.clip(z1[n:n + len(names)], 0.0, None)
    totals: dict[str, float] = {}
    for name, value in zip(names, moved):
        totals[name] = totals.get(name, 0.0) + float(value)
    entries = np.bincount(placement[placement >= 0], weights=moved[placement >= 0], minlength=len(PLACEMENT_TYPES))
    return new_state, totals, entries


@dataclass
class Simulation:
    """What one run of the engine produced, one row per quarter.

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
    """

    stocks: pd.DataFrame
    placements: pd.DataFrame
    flows: pd.DataFrame
    entries: pd.DataFrame
    opening: pd.Series
    opening_placements: pd.Series


def initial_state(stocks: dict[str, float], placement_mix: Sequence[float]) -> np.ndarray:
    """Engine state from stocks by stage, the looked-after stock split by `placement_mix`."""
    state = np.zeros(len(STATE))
    for stage in ("assessment", "cin", "cp", "care_leaver"):
        state[_IDX[stage]] = float(stocks.get(stage, 0.0))
    mix = np.asarray(placement_mix, dtype=float)
    state[_CLA] = float(stocks.get("cla", 0.0)) * mix / mix.sum()
    return state


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
    opening = pd.Series(_stage_totals(x), index=list(STAGES))
    opening_placements = pd.Series(x[_CLA], index=list(PLACEMENT_TYPES))
    stock_rows, place_rows, flow_rows, entry_rows = [], [], [], []
    with threadpool_limits(1, user_api="blas"):  # BLAS threads only slow small matrices down
        for q, r in enumerate(rates, start=1):
            rereferrals_gross = r.rereferral * sum(memory) / 4.0
            gross = float(new_referrals[q - 1]) + rereferrals_gross
            diverted = r.early_help * gross
            referrals = gross - diverted
            nfa = r.nfa * referrals
            x, moved, entries = advance_quarter(x, referrals - nfa, r)
            flow = dict.fromkeys(FLOWS, 0.0)
            flow.update(moved)
            flow.update({
                "new_referrals": float(new_referrals[q - 1]) * (1.0 - r.early_help),
                "rereferrals": rereferrals_gross * (1.0 - r.early_help),
                "early_help": diverted,
                "referrals": referrals,
                "nfa": nfa,
            })
            memory = memory[1:] + [sum(flow[f] for f in CLOSURE_FLOWS)]
            stock_rows.append(_stage_totals(x))
            place_rows.append(x[_CLA].copy())
            flow_rows.append([flow[f] for f in FLOWS])
            entry_rows.append(entries)
    quarters = np.arange(1, horizon + 1)

    def frame(rows: list, columns: tuple[str, ...]) -> pd.DataFrame:
        out = pd.DataFrame(np.array(rows).reshape(horizon, len(columns)), columns=list(columns))
        out.insert(0, "quarter", quarters)
        return out

    return Simulation(frame(stock_rows, STAGES), frame(place_rows, PLACEMENT_TYPES), frame(flow_rows, tuple(FLOWS)),
                      frame(entry_rows, PLACEMENT_TYPES), opening, opening_placements)


def _stage_totals(x: np.ndarray) -> np.ndarray:
    """Children per stage in `STAGES` order (looked-after placement types summed)."""
    return np.array([x[_IDX["assessment"]], x[_IDX["cin"]], x[_IDX["cp"]], float(x[_CLA].sum()),
                     x[_IDX["care_leaver"]]])
