"""Calibration: the flow rates of the journey from an authority's own history.

The history is a wide frame, index ``year`` (ending 31 March), one column per published measure
(``workforce.published`` names, see `HISTORY_MEASURES`): the published tables for an authority
or its own extracts in the same shape. Each rate is a ratio of published flows to published
stocks, pooled over the calibration years (sum of flows over sum of child-years), reported with
the years and measures it came from and a range (the lowest and highest single-year value).
A rate the history cannot give comes from the fallback (England's history, or the national
defaults of the domain brief) and says so; a rate no published table gives is a [DEFAULT] with a
wide range.

How the published stocks map onto the stages (see ``docs/demand.md``):

* children in need at 31 March (``cin_at31``) count every open episode: children under
  assessment, in need, on a CP plan and looked after [D1];
* children under assessment are the assessments started in the year times the time an
  assessment takes (33 days [D14], longer with duplicate assessments);
* the CIN stage is what remains after assessment, CP and looked after;
* the CIN census drops episodes that close as not in need from the next year's counts, so the
  published starts and ends do not balance the published stock; children leaving need are
  therefore the starts less the change in stock (the stock balance), not the published ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from workforce.demand.measures import DAYS_PER_QUARTER, HISTORY_MEASURES, year_window

DERIVED = "[DERIVED]"
DEFAULT = "[DEFAULT]"


@dataclass(frozen=True)
class Parameter:
    """One rate or share of the model, with where it comes from.

    Attributes
    ----------
    name, value, unit : str, float, str
    lo, hi : float
        The range where uncertain (the lowest and highest single-year value, or a [DEFAULT] range).
    basis : str
        Source tag and how it was computed (``[DERIVED] from ...``, ``[D14]``, ``[DEFAULT] ...``).
    years : str
        The years it came from (``2021-2023``), blank when not from the history.
    description : str
    """

    name: str
    value: float
    unit: str
    lo: float
    hi: float
    basis: str
    years: str = ""
    description: str = ""


def years_text(years: list[int]) -> str:
    """``2021-2023`` for a run of years, ``2013`` for one, ``2021, 2023`` otherwise."""
    if not years:
        return ""
    years = sorted(years)
    if years == list(range(years[0], years[-1] + 1)):
        return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


#: Parameters no published table gives: (value, lo, hi, unit, basis, description).
JUDGEMENTS: dict[str, tuple[float, float, float, str, str, str]] = {
    "assessment_days": (
        33.0, 20.0, 63.0, "days",
        "[D14] average assessment 33 days (2023); range to the 45-working-day limit [D12] (63 days)",
        "time one assessment takes"),
    "duplicate_assessment_rate": (
        0.10, 0.0, 0.30, "extra assessments per assessed referral",
        "[DERIVED] 655,540 assessments [D14] / 595,090 referrals assessed [D1] - 1 (England 2023); range [DEFAULT]",
        "assessments beyond the first for a referral (initial plus core assessment, re-assessment)"),
    "care_entry_share_from_cp": (
        0.5, 0.3, 0.7, "share of care entries",
        "[DEFAULT] NOT FOUND in the domain brief: share of children starting care who were on a CP plan",
        "children entering care from a CP plan (the rest from CIN)"),
    "care_leaver_share": (
        0.30, 0.20, 0.40, "share of care exits",
        "[DEFAULT] NOT FOUND in the domain brief: share of children ceasing care who do so at 18 "
        "and become care leavers",
        "children ceasing care who become care leavers"),
    "care_leaver_years": (
        4.0, 2.0, 7.0, "years",
        "[DEFAULT] NOT FOUND: support from 18 to 21, or to 25 on request",
        "how long a care leaver is supported by a personal adviser"),
    "referral_trend": (
        0.0, -0.05, 0.05, "per year",
        "[DEFAULT] flat: first-time referrals held at the last calibration year's level",
        "growth of first-time referrals in the projection"),
    "phase_in_quarters": (
        4.0, 1.0, 12.0, "quarters",
        "[DEFAULT] NOT FOUND: levers reach full effect linearly over a year (Sandwell's referrals "
        "fell within two years [D1])",
        "quarters over which levers reach their full effect"),
}


#: The rates calibrated from the history: name -> (unit, what it is, the measures it comes from).
RATIOS: dict[str, tuple[str, str, str]] = {
    "new_referrals_per_quarter": ("children per quarter", "first-time referrals a quarter (referrals less "
                                  "re-referrals), the projection's starting level", "referrals - rereferrals"),
    "rereferral_rate": ("share of closures", "closed cases referred again within 12 months",
                        "rereferrals / (referrals_nfa + assessed_not_in_need + children leaving need other than "
                        "as care leavers)"),
    "nfa_share": ("share of referrals", "referrals closed at the front door with no further action",
                  "referrals_nfa / referrals"),
    "not_in_need_share": ("share of assessments", "assessments finding the child not in need",
                          "assessed_not_in_need / (referrals - referrals_nfa)"),
    "cin_closure_hazard": ("per child per quarter", "children in need (no plan, not looked after) whose case closes",
                           "cin_starts less the change in children in need at 31 March, less cla_ceased, over the "
                           "CIN stage"),
    "cp_first_plan_hazard": ("per child per quarter", "children in need starting a first CP plan",
                             "cp_starts x (1 - repeat share) over the CIN stage"),
    "cp_repeat_share": ("share of CP starts", "CP plans that are a second or subsequent plan",
                        "cp_starts_repeat / cp_starts"),
    "cp_exit_hazard": ("per child per quarter", "CP plans ending (step-down to CIN or care)",
                       "cp_starts less the change in cp_at31, over cp_at31"),
    "care_entry_hazard_cin": ("per child per quarter", "children in need becoming looked after",
                              "cla_starts x (1 - share from CP) over the CIN stage"),
    "care_entry_hazard_cp": ("per child per quarter", "children on a CP plan becoming looked after",
                             "cla_starts x share from CP over cp_at31"),
    "care_exit_hazard": ("per child per quarter", "looked-after children ceasing to be looked after",
                         "cla_ceased / cla_at31"),
}
PLAN_LENGTHS = "cp_at31_le3m / cp_at31 (plan lengths at 31 March)"


#: What a planner may set each judgement to.
JUDGEMENT_LIMITS: dict[str, tuple[float, float]] = {
    "assessment_days": (1.0, 365.0), "duplicate_assessment_rate": (0.0, 3.0), "care_entry_share_from_cp": (0.0, 1.0),
    "care_leaver_share": (0.0, 1.0), "care_leaver_years": (0.25, 10.0), "referral_trend": (-0.5, 1.0),
    "phase_in_quarters": (1.0, 40.0),
}


@dataclass
class Calibration:
    """An authority's calibrated journey.

    Attributes
    ----------
    parameters : dict of str to Parameter
    history : DataFrame
        The history it came from (wide, index year).
    years : list of int
        The calibration years.
    stocks : DataFrame
        Index year, columns ``assessment, cin, cp, cla`` and ``cla_imputed`` (bool): the stages
        at 31 March of every year of the history with enough data.
    closures : Series
        Children whose involvement closed, by year (for the re-referral memory).
    new_referrals : Series
        First-time referrals by year (referrals less re-referrals).
    notes : list of str
        What was imputed, clipped or taken from the fallback.
    name : str
    """

    parameters: dict[str, Parameter]
    history: pd.DataFrame
    years: list[int]
    stocks: pd.DataFrame
    closures: pd.Series
    new_referrals: pd.Series
    notes: list[str] = field(default_factory=list)
    name: str = ""

    def value(self, name: str) -> float:
        return float(self.parameters[name].value)

    def with_values(self, values: Mapping[str, float], basis: str) -> "Calibration":
        """A copy with parameters set by the user (basis says whose figure it is)."""
        params = dict(self.parameters)
        for name, value in values.items():
            if name not in params:
                raise KeyError(name)
            p = params[name]
            params[name] = replace(p, value=float(value), lo=min(p.lo, float(value)), hi=max(p.hi, float(value)),
                                   basis=f"{basis} (was {p.value:.4g}: {p.basis})", years="")
        return replace(self, parameters=params)

    def frame(self) -> pd.DataFrame:
        """``name, value, lo, hi, unit, basis, years, description``: one row per parameter."""
        rows = [(p.name, p.value, p.lo, p.hi, p.unit, p.basis, p.years, p.description)
                for p in self.parameters.values()]
        return pd.DataFrame(rows, columns=["name", "value", "lo", "hi", "unit", "basis", "years", "description"])

    def start(self, year: int) -> dict[str, float]:
        """Stocks by stage at 31 March `year`, care leavers at their steady state."""
        if year not in self.stocks.index:
            raise KeyError(f"no stocks for 31 March {year}")
        row = self.stocks.loc[year]
        cla = float(row["cla"])
        leavers = (cla * self.value("care_exit_hazard") * self.value("care_leaver_share")
                   * self.value("care_leaver_years") * 4.0)
        return {"assessment": float(row["assessment"]), "cin": float(row["cin"]), "cp": float(row["cp"]),
                "cla": cla, "care_leaver": leavers}


# ----------------------------------------------------------------------------- history checks


def _measures(history: pd.DataFrame, names: Sequence[str] = HISTORY_MEASURES) -> dict[str, np.ndarray]:
    """The history's measures `names` as float64 arrays in its row order (NaN where missing or not
    a number; all NaN when the history has no such column)."""
    values = history.to_numpy()
    if values.dtype.kind in "fiu" and history.columns.is_unique:  # the usual case: all numbers, read at once
        values = values.astype("float64", copy=False)
        position = {c: i for i, c in enumerate(history.columns.tolist())}
        return {m: values[:, position[m]] if m in position else np.full(len(history), np.nan) for m in names}
    return {m: pd.to_numeric(history[m], errors="coerce").astype(float).to_numpy() if m in history.columns
            else np.full(len(history), np.nan) for m in names}


def _usable(col: Mapping[str, np.ndarray]) -> np.ndarray:
    """Rows with referrals and CIN at 31 March (see `usable_years`), of measures read by `_measures`."""
    return ~np.isnan(col["referrals"]) & ~np.isnan(col["cin_at31"])


def usable_years(history: pd.DataFrame, col: Mapping[str, np.ndarray] | None = None) -> list[int]:
    """Years with the two measures calibration cannot do without: referrals and CIN at 31 March
    (`col`: the history's measures when already read by `_measures`)."""
    ok = _usable(col if col is not None else _measures(history, ("referrals", "cin_at31")))
    return [int(y) for y, keep in zip(history.index.tolist(), ok.tolist()) if keep]


def _need_usable_years(available: list[int]) -> None:
    """Every rate is calibrated from a year's referrals and children in need at 31 March: with no
    such year there is nothing to start from (say so, rather than fail on an empty window)."""
    if not available:
        raise ValueError("no year of the history has both referrals and cin_at31, the measures the "
                         "calibration needs")


# ----------------------------------------------------------------------------- pooled ratios


@dataclass
class _Ratio:
    """A rate pooled over years: sum of numerators / sum of denominators; range over years.

    Every year of the history adds its pair; the calibration years are used when they have data,
    else all the authority's other years with data (said in a note), else the fallback.
    """

    name: str
    unit: str
    description: str
    measures: str
    num: dict[int, float] = field(default_factory=dict)
    den: dict[int, float] = field(default_factory=dict)

    def add(self, year: int, num: float, den: float) -> None:
        if math.isfinite(num) and math.isfinite(den) and den > 0 and num >= 0:
            self.num[year] = num
            self.den[year] = den

    def parameter(self, window: list[int], fallback: Parameter | None, *, upper: float | None = None,
                  transform: Callable[[float], float] | None = None) -> tuple[Parameter | None, str | None]:
        """The pooled parameter and a note when it did not come from the calibration years."""
        years = [y for y in window if y in self.num]
        note = None
        if not years and self.num:
            years = sorted(self.num)
            note = (f"{self.name}: no {self.measures} in the calibration years; taken from the authority's "
                    f"own years with data ({years_text(years)})")
        if not years:
            if fallback is None:
                return None, f"{self.name}: no {self.measures} and no fallback"
            note = f"{self.name}: no {self.measures} in the history; England's value used"
            return replace(fallback, basis=f"fallback, England: {fallback.basis}"), note
        f = transform or (lambda v: v)
        clip = (lambda v: min(v, upper)) if upper is not None else (lambda v: v)
        value = clip(f(sum(self.num[y] for y in years) / sum(self.den[y] for y in years)))
        yearly = [clip(f(self.num[y] / self.den[y])) for y in years]
        lo, hi = min(yearly), max(yearly)
        basis = f"{DERIVED} from {self.measures}"
        if len(yearly) == 1:
            lo, hi = value * 0.8, value * 1.2
            if upper is not None:
                hi = min(hi, upper)
            basis += "; one year: range +/-20% [DEFAULT]"
        return Parameter(self.name, value, self.unit, lo, hi, basis, years_text(years), self.description), note


def _judgement(name: str) -> Parameter:
    value, lo, hi, unit, basis, description = JUDGEMENTS[name]
    return Parameter(name, value, unit, lo, hi, basis, "", description)


# ----------------------------------------------------------------------------- calibration


def _stage_stocks(history: pd.DataFrame, col: Mapping[str, np.ndarray], assessment_years: float, notes: list[str],
                  window: list[int]) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """The stages at 31 March of each usable year (looked-after children imputed where missing);
    notes name what was imputed in the years the calibration uses (the window and the year before).

    `col` holds the history's measures as arrays in its row order (`_measures`). Returns the
    usable years and the columns of `Calibration.stocks` for them.
    """
    ok = _usable(col)
    index = history.index[ok]
    years = np.asarray(index)
    referrals, nfa = col["referrals"][ok], col["referrals_nfa"][ok]
    cin, cp, cla = col["cin_at31"][ok], col["cp_at31"][ok], col["cla_at31"][ok]
    nfa = np.where(np.isnan(nfa), 0.0, nfa)
    # Series.clip's rules, element by element: NaN stays NaN, a NaN bound does not bind.
    assessment = referrals - nfa
    assessment = np.where(assessment < 0.0, 0.0, assessment) * assessment_years
    assessment = np.where(assessment > 0.5 * cin, 0.5 * cin, assessment)
    both = ~np.isnan(cla) & ~np.isnan(cin) & (cin > 0)
    imputed = np.isnan(cla)
    used = (years >= min(window) - 1) & (years <= max(window))
    if imputed.any():
        if both.any():
            ratio = float(cla[both].sum() / cin[both].sum())
            source = f"the authority's own looked-after share of children in need ({years_text(list(index[both]))})"
        else:
            ratio = _ENGLAND_CLA_SHARE
            source = "England's looked-after share of children in need (2023 [D1][D2])"
        cla = np.where(imputed, cin * ratio, cla)
        if (imputed & used).any():
            notes.append(f"looked-after children at 31 March not published for "
                         f"{years_text(list(index[imputed & used]))}: imputed as {ratio:.1%} of children in need, "
                         f"{source}")
    if np.isnan(cp).any():
        missing = list(index[np.isnan(cp) & used])
        cp = np.where(np.isnan(cp), cin * _ENGLAND_CP_SHARE, cp)
        if missing:
            notes.append(f"CP plans at 31 March missing for {years_text(missing)}: imputed as England's share of "
                         f"children in need ({_ENGLAND_CP_SHARE:.1%}, 2023 [D1])")
    rest = cin - assessment - cp - cla
    floor = 0.05 * cin
    if (rest < floor).any():
        bad = list(index[(rest < floor) & used])
        if bad:
            notes.append(f"children in need at 31 March are fewer than those on CP plans and looked after in "
                         f"{years_text(bad)}: the CIN stage is held at 5% of children in need there")
        rest = np.where(rest < floor, floor, rest)
    return index, {"assessment": assessment, "cin": rest, "cp": cp, "cla": cla, "cla_imputed": imputed}


# England 2023 [D1][D2]: looked after 83,750 and CP plans 50,780 of 403,090 children in need at
# 31 March. Used only to impute a missing stock; calibration never reads them otherwise.
_ENGLAND_CLA_SHARE = 83_750 / 403_090
_ENGLAND_CP_SHARE = 50_780 / 403_090


def calibrate(history: pd.DataFrame, years: str | int | list[int] | None = None, *,
              fallback: "Calibration | None" = None, judgements: Mapping[str, float] | None = None,
              basis: Mapping[str, str] | None = None, name: str = "") -> Calibration:
    """Calibrate the journey's rates from an authority's history.

    Parameters
    ----------
    history : DataFrame
        Wide history, index ``year`` (int), columns published measure names (missing = NaN).
    years : str, int or list of int, optional
        The calibration years (``"2021-2023"``); default the last three years with referrals and
        children in need.
    fallback : Calibration, optional
        Where a rate comes from when the history cannot give it in any year (England's
        calibration). Without one, such a rate is an error.
    judgements : mapping, optional
        Values for the [DEFAULT] judgements (`JUDGEMENTS`) set by the user.
    basis : mapping, optional
        Where each of those values comes from (judgement name -> text).
    name : str
        The authority's name, for messages.

    Returns
    -------
    Calibration

    Raises
    ------
    ValueError
        No usable year in the window, or a rate with neither data nor fallback.
    """
    notes: list[str] = []
    col = _measures(history)
    available = usable_years(history, col)
    _need_usable_years(available)
    if isinstance(years, list):
        window = [y for y in years if y in available]
        if not window:
            raise ValueError(f"no calibration data in {years}")
    else:
        window = year_window(years, available)
    params: dict[str, Parameter] = {key: _judgement(key) for key in JUDGEMENTS}
    for key, value in (judgements or {}).items():
        p = params[key]
        note = (basis or {}).get(key) or "set by the user"
        params[key] = replace(p, value=float(value), lo=min(p.lo, float(value)), hi=max(p.hi, float(value)),
                              basis=f"{note} (default {p.value:g}: {p.basis})")
    fb = fallback.parameters if fallback is not None else {}

    days = params["assessment_days"].value * (1.0 + params["duplicate_assessment_rate"].value)
    stock_years, stages = _stage_stocks(history, col, days / 365.25, notes, window)
    sigma = params["care_entry_share_from_cp"].value
    leaver_share = params["care_leaver_share"].value
    # Plain floats by year: the loops below read single cells many times.
    row = {y: i for i, y in enumerate(history.index.tolist())}
    values = {m: col[m].tolist() for m in HISTORY_MEASURES}
    staged = {stage: dict(zip(available, stages[stage].tolist())) for stage in ("cin", "cp", "cla")}
    imputed = dict(zip(available, stages["cla_imputed"].tolist()))

    def get(measure: str, year: int) -> float:
        return values[measure][row[year]] if year in row else math.nan

    def stock(stage: str, year: int) -> float:
        return staged[stage].get(year, math.nan)

    def avg(stage: str, year: int) -> float:
        now, before = stock(stage, year), stock(stage, year - 1)
        return (now + before) / 2.0 if math.isfinite(before) else now

    def ratio(key: str, measures: str | None = None) -> _Ratio:
        unit, description, source = RATIOS[key]
        return _Ratio(key, unit, description, measures or source)

    def settle(key: str, rt: _Ratio, *, upper: float | None = None,
               transform: Callable[[float], float] | None = None) -> None:
        p, note = rt.parameter(window, fb.get(key), upper=upper, transform=transform)
        if p is None:
            raise ValueError(f"{name or 'the history'}: {note}")
        params[key] = p
        if note:
            notes.append(note)

    # Looked-after flows first: the years without them borrow the authority's own rates.
    exits, from_cin, from_cp = ratio("care_exit_hazard"), ratio("care_entry_hazard_cin"), ratio("care_entry_hazard_cp")
    for y in available:
        if not imputed[y]:
            exits.add(y, get("cla_ceased", y), 4.0 * avg("cla", y))
        from_cin.add(y, get("cla_starts", y) * (1.0 - sigma), 4.0 * avg("cin", y))
        from_cp.add(y, get("cla_starts", y) * sigma, 4.0 * avg("cp", y))
    settle("care_exit_hazard", exits)
    settle("care_entry_hazard_cin", from_cin)
    settle("care_entry_hazard_cp", from_cp)

    def ceased(y: int) -> float:
        v = get("cla_ceased", y)
        return v if math.isfinite(v) else params["care_exit_hazard"].value * 4.0 * avg("cla", y)

    rt = {key: ratio(key) for key in ("nfa_share", "not_in_need_share", "cin_closure_hazard", "cp_repeat_share",
                                      "cp_first_plan_hazard", "cp_exit_hazard", "rereferral_rate")}
    lengths = ratio("cp_exit_hazard", PLAN_LENGTHS)
    closures: dict[int, float] = {}
    new_refs: dict[int, float] = {}
    for y in available:
        referrals, rerefs = get("referrals", y), get("rereferrals", y)
        nfa, nin = get("referrals_nfa", y), get("assessed_not_in_need", y)
        starts = get("cin_starts", y)
        if not math.isfinite(starts):
            starts = referrals - nfa - nin
        in_need_now = stock("cin", y) + stock("cp", y) + stock("cla", y)
        in_need_before = stock("cin", y - 1) + stock("cp", y - 1) + stock("cla", y - 1)
        leaving_need = starts - (in_need_now - in_need_before) if math.isfinite(in_need_before) else get("cin_ends", y)
        cin_closures = leaving_need - ceased(y)
        closed = nfa + nin + cin_closures + (1.0 - leaver_share) * ceased(y)
        if math.isfinite(referrals) and math.isfinite(rerefs):
            new_refs[y] = referrals - rerefs
        if math.isfinite(closed):
            closures[y] = closed
        cp_starts, repeat = get("cp_starts", y), get("cp_starts_repeat", y)
        rt["nfa_share"].add(y, nfa, referrals)
        rt["not_in_need_share"].add(y, nin, referrals - nfa)
        rt["cin_closure_hazard"].add(y, cin_closures, 4.0 * avg("cin", y))
        rt["cp_repeat_share"].add(y, repeat, cp_starts)
        share = repeat / cp_starts if cp_starts > 0 else math.nan
        rt["cp_first_plan_hazard"].add(y, cp_starts * (1.0 - share), 4.0 * avg("cin", y))
        if math.isfinite(stock("cp", y - 1)):
            rt["cp_exit_hazard"].add(y, cp_starts - (stock("cp", y) - stock("cp", y - 1)), 4.0 * avg("cp", y))
        short, plans = get("cp_at31_le3m", y), get("cp_at31", y)
        if plans > 0 and short < plans:
            lengths.add(y, short, plans)
        rt["rereferral_rate"].add(y, rerefs, closed)

    shares = {"nfa_share", "not_in_need_share", "cp_repeat_share"}
    for key, ratio_ in rt.items():
        if key == "cp_exit_hazard" and not any(y in ratio_.num for y in window) and \
                any(y in lengths.num for y in window):
            # No year before the window: plans open 3 months or less at 31 March give the hazard of
            # a constant-hazard plan length (share = 1 - exp(-hazard x 1 quarter)).
            settle(key, lengths, transform=lambda s: -math.log(1.0 - s))
        else:
            settle(key, ratio_, upper=1.0 if key in shares else None)

    published_new = set(new_refs)
    _fill_first_time_referrals(new_refs, {y: get("referrals", y) for y in available}, fallback, notes)
    new = ratio("new_referrals_per_quarter")
    for y, v in new_refs.items():
        new.add(y, v / 4.0, 1.0)
    p, _ = new.parameter(window, None)
    params["new_referrals_per_quarter"] = p
    last = max((y for y in window if y in new_refs), default=None)
    if last is not None:
        p = params["new_referrals_per_quarter"]
        how = "(referrals - rereferrals)" if last in published_new else "referrals x (1 - re-referral share, see notes)"
        params["new_referrals_per_quarter"] = replace(
            p, value=new_refs[last] / 4.0, years=str(last),
            basis=f"{DERIVED} {how} / 4 in {last}; range over the calibration years")

    # A CP plan cannot end into care more often than it ends at all.
    exit_p, to_care = params["cp_exit_hazard"], params["care_entry_hazard_cp"]
    if to_care.value > exit_p.value:
        notes.append(f"CP plans ending into care ({to_care.value:.3f} a quarter) exceed CP plans ending "
                     f"({exit_p.value:.3f}): the CP exit hazard is raised to match (no step-down)")
        params["cp_exit_hazard"] = replace(exit_p, value=to_care.value, hi=max(exit_p.hi, to_care.value))
    for key in ("cin_closure_hazard", "cp_exit_hazard", "care_entry_hazard_cin", "care_entry_hazard_cp",
                "care_exit_hazard"):
        p = params[key]
        params[key] = replace(p, description=p.description + f" (mean time {_mean_stay(p.value)})")
    order = ["new_referrals_per_quarter", "referral_trend", "rereferral_rate", "nfa_share", "not_in_need_share",
             "assessment_days", "duplicate_assessment_rate", "cin_closure_hazard", "cp_first_plan_hazard",
             "cp_repeat_share", "cp_exit_hazard", "care_entry_share_from_cp", "care_entry_hazard_cin",
             "care_entry_hazard_cp", "care_exit_hazard", "care_leaver_share", "care_leaver_years",
             "phase_in_quarters"]
    params = {k: params[k] for k in order}
    return Calibration(params, history, window, pd.DataFrame(stages, index=stock_years), _by_year(closures),
                       _by_year(new_refs), notes, name)


def _by_year(values: Mapping[int, float]) -> pd.Series:
    """A float Series indexed by year (built from arrays: much quicker than from a dict)."""
    years = np.fromiter(values.keys(), dtype="int64", count=len(values))
    return pd.Series(np.fromiter(values.values(), dtype="float64", count=len(values)), index=pd.Index(years))


def _fill_first_time_referrals(new_refs: dict[int, float], referrals: dict[int, float],
                               fallback: "Calibration | None", notes: list[str]) -> None:
    """First-time referrals for the years whose re-referrals are not published: the authority's
    referrals less its own re-referral share (pooled over its other years), else England's. A level
    of referrals is never borrowed: it always comes from the authority's own referrals."""
    missing = [y for y in referrals if y not in new_refs and np.isfinite(referrals[y])]
    if not missing:
        return
    known = [y for y in new_refs if np.isfinite(referrals.get(y, math.nan))]
    if known:
        share = 1.0 - sum(new_refs[y] for y in known) / sum(referrals[y] for y in known)
        source = f"the authority's own re-referral share ({years_text(known)})"
    elif fallback is not None and len(fallback.new_referrals):
        years = list(fallback.new_referrals.index)
        total = float(fallback.history.loc[years, "referrals"].sum())
        share = 1.0 - float(fallback.new_referrals.sum()) / total
        source = f"England's re-referral share ({years_text(years)})"
    else:
        raise ValueError("no re-referrals in the history and no fallback: first-time referrals cannot be told apart")
    for y in missing:
        new_refs[y] = referrals[y] * (1.0 - share)
    notes.append(f"re-referrals not published for {years_text(missing)}: first-time referrals are the referrals "
                 f"less {share:.1%}, {source}")


def _mean_stay(hazard: float) -> str:
    if hazard <= 0:
        return "never ends"
    quarters = 1.0 / hazard
    return f"{quarters * DAYS_PER_QUARTER:.0f} days" if quarters < 1 else f"{quarters / 4.0:.1f} years"


def assessment_hazard(calibration: Calibration, duplicates_removed: float = 0.0) -> float:
    """Completion hazard of the time under assessment per quarter (duplicates lengthen it)."""
    days = calibration.value("assessment_days") * (
        1.0 + calibration.value("duplicate_assessment_rate") * (1.0 - duplicates_removed))
    return DAYS_PER_QUARTER / days
