"""Levers: what a service can change in the journey, each moving only its own flows.

A lever is a named assumption with a unit, an "off" value (the authority as calibrated), a range,
the flows it moves and the evidence for its size. Levers change rates (a share or a hazard),
never outputs: what they do to children, caseloads, staff and money follows from the flows.
No evaluated effect size is in the domain brief for any of them, so every value a planner sets is
their own assumption; the built-in scenarios say where theirs come from.

Levers reach their full effect linearly over ``phase_in_quarters`` (a [DEFAULT] judgement).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from workforce.demand.engine import Rates
from workforce.demand.measures import PLACEMENT_TYPES
from workforce.demand.parameters import Calibration, assessment_hazard

NOT_FOUND = "[DEFAULT] NOT FOUND: no evaluated effect size in the domain brief; set your own"


@dataclass(frozen=True)
class Lever:
    """One lever: what it changes and how.

    Attributes
    ----------
    name, unit : str
    off : float
        The value that leaves the calibrated journey unchanged.
    lo, hi : float
        The values a planner may set (checked when read).
    moves : tuple of str
        The flows it changes directly (names in `workforce.demand.measures.FLOWS`, or
        ``transfers`` and placement entries).
    effect : str
        How the value changes the rate, in words.
    basis : str
        The evidence for its size.
    """

    name: str
    unit: str
    off: float
    lo: float
    hi: float
    moves: tuple[str, ...]
    effect: str
    basis: str = NOT_FOUND


LEVERS: dict[str, Lever] = {lv.name: lv for lv in (
    Lever("early_help_diversion", "share of referrals", 0.0, 0.0, 0.6, ("early_help", "referrals"),
          "this share of would-be referrals (first-time and repeat) is met by early help instead",
          NOT_FOUND + "; Sandwell's referrals fell 43% 2013-2015, then recovered in 2016 [D1]"),
    Lever("front_door_screening", "change in the NFA share (0.03 = 3 points)", 0.0, -0.2, 0.3, ("nfa",),
          "adds to the share of referrals closed at the front door with no further action",
          NOT_FOUND + "; England's NFA share fell from 14.5% (2013) to 7.1% (2023) [D1]"),
    Lever("assessment_threshold", "change in the not-in-need share (0.05 = 5 points)", 0.0, -0.2, 0.4,
          ("not_in_need", "assessed_in_need"),
          "adds to the share of assessments that find the child not in need (threshold application)",
          NOT_FOUND + "; England's not-in-need share rose from 19.0% to 29.9% of referrals 2013-2023 [D1]"),
    Lever("single_assessment", "share of duplicate assessments removed", 0.0, 0.0, 1.0,
          ("not_in_need", "assessed_in_need"),
          "removes this share of the assessments beyond the first, so assessments complete sooner",
          "[DERIVED] duplicates 10% of assessed referrals in England 2023 (655,540 [D14] / 595,090 [D1]); "
          "the single assessment (Working Together 2013 [D12]) removes them"),
    Lever("cin_step_down", "relative change in the CIN closure hazard (0.1 = 10% faster)", 0.0, -0.5, 1.0,
          ("cin_closure",), "multiplies the hazard of a child-in-need case closing by (1 + value)", NOT_FOUND),
    Lever("cp_plan_length", "relative change in the mean CP plan length (-0.1 = 10% shorter)", 0.0, -0.5, 1.0,
          ("cp_step_down",), "divides the CP exit hazard by (1 + value); plans ending into care are unchanged",
          NOT_FOUND + "; first review within 3 months, then every 6 months or less [D13]"),
    Lever("cp_repeat_plans", "change in the repeat-plan share (-0.05 = 5 points fewer)", 0.0, -0.5, 0.5,
          ("cp_start",), "changes the share of CP starts that are second or subsequent plans; first plans unchanged",
          NOT_FOUND + "; England 14.9% (2013) to 23.6% (2023) [D1]"),
    Lever("care_entries", "relative change in entries to care (-0.1 = 10% fewer)", 0.0, -0.8, 1.0,
          ("care_entry_from_cin", "care_entry_from_cp"),
          "multiplies the hazards of children in need and on CP plans becoming looked after", NOT_FOUND),
    Lever("care_exits", "relative change in exits from care other than at 18 (0.1 = 10% more)", 0.0, -0.5, 1.0,
          ("care_exit_home",),
          "multiplies the hazard of ceasing care by returning home, adoption or special guardianship (shorter "
          "stays); leaving care at 18 is unchanged", NOT_FOUND),
    Lever("rereferral", "relative change in the re-referral rate (-0.3 = 30% fewer)", 0.0, -0.9, 1.0,
          ("rereferrals",), "multiplies the share of closed cases referred again within 12 months",
          NOT_FOUND + "; lowest authority 8.1% (Brent, 2016) against England's 22.5% [D1]"),
    Lever("ifa_to_in_house", "share of new IFA placements made in-house", 0.0, 0.0, 1.0,
          ("care_entries:ifa", "care_entries:in_house_foster"),
          "this share of the placements that would go to an independent fostering agency go to the "
          "authority's own foster carers", NOT_FOUND + "; needs in-house carers to be recruited"),
    Lever("residential_to_foster", "share of new children's home placements made in foster care", 0.0, 0.0, 1.0,
          ("care_entries:childrens_home", "care_entries:in_house_foster"),
          "this share of the placements that would go to a children's home go to the authority's own foster "
          "carers", NOT_FOUND),
)}


@dataclass(frozen=True)
class LeverSet:
    """Lever values for a scenario, each with the basis of its size.

    Attributes
    ----------
    values : dict of str to float
        Lever name -> value (levers not named are off).
    basis : dict of str to str
        Lever name -> where the value comes from.
    structure : str or None
        Team structure name for the transfer points (None: the authority's current structure).
    """

    values: dict[str, float] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)
    structure: str | None = None

    def __post_init__(self) -> None:
        for name, value in self.values.items():
            check_lever(name, value)

    def value(self, name: str) -> float:
        return float(self.values.get(name, LEVERS[name].off))

    def active(self) -> list[str]:
        return [n for n in LEVERS if self.value(n) != LEVERS[n].off]


def check_lever(name: str, value: float) -> None:
    """Raise ValueError for an unknown lever or a value outside its range."""
    if name not in LEVERS:
        raise ValueError(f"unknown lever '{name}' (levers: {', '.join(LEVERS)})")
    lv = LEVERS[name]
    if not (np.isfinite(value) and lv.lo <= value <= lv.hi):
        raise ValueError(f"lever '{name}' = {value:g} is outside {lv.lo:g} to {lv.hi:g} ({lv.unit})")


def phase(quarter: int, phase_in: float) -> float:
    """Share of a lever's effect in force in `quarter` (1-based)."""
    return float(min(1.0, quarter / max(phase_in, 1.0)))


def _shift(mix: np.ndarray, source: str, target: str, share: float) -> np.ndarray:
    out = mix.copy()
    i, j = PLACEMENT_TYPES.index(source), PLACEMENT_TYPES.index(target)
    moved = out[i] * share
    out[i] -= moved
    out[j] += moved
    return out


def rates_for(cal: Calibration, levers: LeverSet, quarter: int, entry_mix: np.ndarray) -> Rates:
    """The rates in force in `quarter`: the calibrated rates with each lever phased in.

    Each lever touches only the rates of the flows it names in `Lever.moves`.
    """
    f = phase(quarter, cal.value("phase_in_quarters"))

    def lv(name: str) -> float:
        off = LEVERS[name].off
        return off + f * (levers.value(name) - off)

    repeat = float(np.clip(cal.value("cp_repeat_share") + lv("cp_repeat_plans"), 0.0, 0.95))
    entries = 1.0 + lv("care_entries")
    # The plan length scales all CP exits; plans ending into care keep their calibrated hazard, so
    # the change falls on the plans that step down (calibration keeps exits >= exits into care).
    to_care = cal.value("care_entry_hazard_cp")
    step_down = cal.value("cp_exit_hazard") / (1.0 + lv("cp_plan_length")) - to_care
    exit_total = cal.value("care_exit_hazard")
    leaver_share = cal.value("care_leaver_share")
    home = exit_total * (1.0 - leaver_share) * (1.0 + lv("care_exits"))
    leaver = exit_total * leaver_share
    mix = _shift(np.asarray(entry_mix, dtype=float), "ifa", "in_house_foster", lv("ifa_to_in_house"))
    mix = _shift(mix, "childrens_home", "in_house_foster", lv("residential_to_foster"))
    return Rates(
        early_help=lv("early_help_diversion"),
        nfa=float(np.clip(cal.value("nfa_share") + lv("front_door_screening"), 0.0, 1.0)),
        not_in_need=float(np.clip(cal.value("not_in_need_share") + lv("assessment_threshold"), 0.0, 1.0)),
        assessment=assessment_hazard(cal, lv("single_assessment")),
        cin_closure=cal.value("cin_closure_hazard") * (1.0 + lv("cin_step_down")),
        cp_start=cal.value("cp_first_plan_hazard") / (1.0 - repeat),
        cin_to_care=cal.value("care_entry_hazard_cin") * entries,
        cp_step_down=max(step_down, 0.0),
        cp_to_care=to_care * entries,
        care_exit=home + leaver,
        care_leaver_share=leaver / (home + leaver) if home + leaver > 0 else leaver_share,
        care_leaver_end=1.0 / (4.0 * cal.value("care_leaver_years")),
        rereferral=cal.value("rereferral_rate") * (1.0 + lv("rereferral")),
        entry_mix=tuple(float(v) for v in mix / mix.sum()),
    )


def rates_path(cal: Calibration, levers: LeverSet, quarters: int, entry_mix: np.ndarray) -> list[Rates]:
    """`rates_for` each quarter from 1 to `quarters`.

    The rates move only while the levers phase in (and not at all with none set), so the
    quarters with the same share in force share one `Rates` (and one propagator in the engine).
    """
    active = bool(levers.active())
    by_share: dict[float, Rates] = {}
    out = []
    for q in range(1, quarters + 1):
        share = phase(q, cal.value("phase_in_quarters")) if active else 1.0
        if share not in by_share:
            by_share[share] = rates_for(cal, levers, q, entry_mix)
        out.append(by_share[share])
    return out


def lever_table(scenarios: Mapping[str, LeverSet]) -> pd.DataFrame:
    """The levers with each scenario's value side by side.

    Columns: ``lever, unit, off, lo, hi, moves, effect, basis`` and, per scenario, ``<name>``
    (its value) and ``<name>_basis`` (where the value comes from; blank when off).
    """
    rows = []
    for name, lv in LEVERS.items():
        row = {"lever": name, "unit": lv.unit, "off": lv.off, "lo": lv.lo, "hi": lv.hi,
               "moves": ", ".join(lv.moves), "effect": lv.effect, "basis": lv.basis}
        for scen, ls in scenarios.items():
            row[scen] = ls.value(name)
            row[f"{scen}_basis"] = ls.basis.get(name, "") if name in ls.active() else ""
        rows.append(row)
    return pd.DataFrame(rows)
