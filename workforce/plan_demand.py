"""The demand model in the plans: the workforce the child's journey needs drives the plan's demand.

:func:`plan_demand` calibrates the demand model (:mod:`workforce.demand`) on an authority's
published history (``la``) or its own (``history``), with the plan's own capacity model and the
plan's salaries for the cost of an FTE, projects every scenario (the baseline, the planner's
levers and Sandwell's turnaround levers applied to this authority) and gives the frame the plan
reads (:func:`workforce.demand.workforce_requirement` of the chosen scenario), so demand a lever
avoids shows up as hires and agency the plan does not need.

The demo authority has no published history of its own. :func:`demo_history` gives it one that
agrees with its cases: a published authority's history (Sandwell's by default) scaled stage by
stage so that the demand model's starting stocks are the demo's open cases by type, its rates
(how long children stay at each stage, the shares at each step) kept as published.
:func:`starting_agreement` sets the two side by side.

`workforce demand`, `workforce plan --demand-*`, `workforce demo` and `workforce run` (its
``[run.demand]`` section) all build their demand runs here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from workforce.caseload import CaseloadRules
from workforce.config import DemandSettings
from workforce.demand.history import read_history
from workforce.demand.measures import HISTORY_MEASURES, PUBLISHED_STOCKS, SOCIAL_WORK_STAGES, STAGE_CASE_TYPES
from workforce.demand.parameters import Calibration, calibrate, usable_years
from workforce.demand.run import DemandResult, run_demand, workforce_requirement
from workforce.demand.settings import DemandAssumptions, Scenario, load_assumptions
from workforce.demand.turnaround import CLAIMS_SCENARIO, IMPOWER, SANDWELL, run_turnaround
from workforce.demand.workload import role_mixes
from workforce.errors import InputError
from workforce.plans.assumptions import Assumptions
from workforce.plans.costs import permanent_cost_per_fte_year, price_index
from workforce.published.store import Published

#: The published authority whose history the demo's demand history is scaled from: Sandwell, the
#: authority the demo is sized on (about 3,500 open cases) and whose turnaround the product models.
DEMO_COMPARATOR = SANDWELL
#: How closely the demo's open cases by stage and the demand model's starting stocks must agree
#: (relative difference), checked by the tests.
DEMO_TOLERANCE = 0.02

#: Published measures scaled with each stage's factor by :func:`demo_history`: the front door
#: (referrals and what follows them) with children under assessment, the flows of CP plans with
#: the children on plans, the flows of care with the children looked after. Rates and shares
#: (``rereferral_pct``, ``cla_3plus_sw_pct``) are kept as published; ``cin_at31`` is recomposed
#: from the scaled stages.
SCALED_WITH = {
    "assessment": ("referrals", "rereferrals", "referrals_nfa", "assessed_not_in_need", "cin_starts",
                   "cin_awaiting_assessment"),
    "cin": ("cin_ends",),
    "cp": ("cp_at31", "cp_starts", "cp_starts_repeat", "cp_at31_le3m"),
    "cla": ("cla_at31", "cla_starts", "cla_ceased"),
}


#: What each column of the Demand sheet's tables holds (header notes on the sheet).
DEMAND_NOTES: dict[str, str] = {
    # the demo's check
    "stage": "stage of the child's journey held by social workers (care leavers are held by personal advisers)",
    "open_cases": "children with an open case today at this stage (cases table: case_type)",
    "model_start": "children at this stage in the demand model on its first day (quarter 0)",
    "difference": "model_start - open_cases (children)",
    "difference_pct": "difference as a percentage of open_cases",
    # scenarios side by side and levers
    "measure": "what is compared (at the end of the projection, or in its final year)",
    "unit": "unit of the measure or the lever",
    "baseline": "the authority as calibrated: no levers",
    "levers": "the levers of your demand assumptions file ([levers])",
    "turnaround": "Sandwell's turnaround levers (sized from its published flows, re-referrals to 9%) applied here",
    "lever": "a change to the journey's flows the planner can assume (each moves only its own flows)",
    "off": "the lever's value when not used",
    "lo": "lowest value the evidence or judgement allows",
    "hi": "highest value the evidence or judgement allows",
    "moves": "the flows the lever changes",
    "effect": "how it changes them",
    "basis": "where the value or range comes from ([D#] a source in the domain brief, [DERIVED], [DEFAULT])",
    "baseline_basis": "where the baseline's value comes from",
    "turnaround_basis": "where the turnaround's value comes from",
    "levers_basis": "where your value comes from",
    # stocks
    "quarter": "0 = the start (31 March of the last calibration year), then each quarter",
    "quarter_end": "last day of the quarter",
    "year": "DfE year the quarter falls in (the year ending 31 March)",
    "assessment": "children referred and being assessed (children at the end of the quarter)",
    "cin": "children in need: not on a plan, not looked after (children at the end of the quarter)",
    "cp": "children on a child protection plan (children at the end of the quarter)",
    "cla": "children looked after (children at the end of the quarter)",
    "care_leaver": "care leavers supported by a personal adviser: not on a social worker's caseload (children)",
    "cin_at31": "children in need as the DfE publishes them: under assessment + in need + on a plan + looked after",
    "children": "every child in the journey, care leavers included",
    # flows (children in the quarter)
    "new_referrals": "first-time referrals in the quarter (children)",
    "rereferrals": "referrals within 12 months of a case closing, in the quarter (children)",
    "early_help": "would-be referrals met by early help instead, in the quarter (children)",
    "referrals": "referrals reaching children's social care in the quarter: new plus re-referrals (children)",
    "nfa": "referrals closed at the front door with no further action (children in the quarter)",
    "not_in_need": "assessments finding the child not in need (children in the quarter)",
    "assessed_in_need": "assessments finding the child in need (children in the quarter)",
    "cin_closure": "child-in-need cases closing (children in the quarter)",
    "cp_start": "child protection plans starting (children in the quarter)",
    "cp_step_down": "child protection plans ending, the child stepping down to child in need (children in the quarter)",
    "care_entry_from_cin": "children in need becoming looked after (children in the quarter)",
    "care_entry_from_cp": "children on a CP plan becoming looked after (children in the quarter)",
    "care_exit_home": "children ceasing care home, by adoption or special guardianship (children in the quarter)",
    "care_exit_leaver": "children ceasing care at 18, becoming care leavers (children in the quarter)",
    "care_leaver_end": "care leavers whose support ends (children in the quarter)",
    "transfers": "moves between stages held by different teams: a change of social worker (children in the quarter)",
}


@dataclass
class PlanDemand:
    """A demand run made for a plan.

    Attributes
    ----------
    result : DemandResult
        Every scenario projected.
    requirement : DataFrame
        :func:`workforce.demand.workforce_requirement` of the scenario the plan uses.
    source : str
        Where the history came from, in words (shown on the Demand sheet).
    messages : list of str
        What reading the history found (status codes, columns left out).
    agreement : DataFrame, optional
        The demo's open cases by stage beside the model's starting stocks
        (:func:`starting_agreement`); None for an authority's own history.
    """

    result: DemandResult
    requirement: pd.DataFrame
    source: str
    messages: list[str] = field(default_factory=list)
    agreement: pd.DataFrame | None = None

    @property
    def scenario(self) -> str:
        return self.result.chosen


# ----------------------------------------------------------------------------- assumptions


def blended_cost_per_fte(mixes: Iterable[pd.DataFrame], assumptions: Assumptions | None = None, *,
                         in_year: int | None = None) -> tuple[float, str]:
    """Salary plus on-costs of the social-work role mixes, from the plans' cost assumptions.

    Parameters
    ----------
    mixes : iterable of DataFrame
        Role mixes (`role`, `fte`, `asye`) of the social-work team types
        (:func:`workforce.demand.workload.role_mixes`).
    assumptions : Assumptions, optional
        The plan's assumptions (default: the shipped ones).
    in_year : int, optional
        The price year to give the cost in (the demand model's placements'), brought back from
        the plan's price year by its pay award: one budget in one year's pounds. Default: the
        plan's price year.

    Returns
    -------
    (float, str)
        The cost of one FTE a year and its basis.
    """
    a = assumptions or Assumptions()
    year = a.costs.price_year if in_year is None else int(in_year)
    moved = "" if year == a.costs.price_year else (
        f", brought from {a.costs.price_year} to {year} prices by the pay award ({a.costs.pay_award_rate:.0%} a year)")
    total = fte = 0.0
    for mix in mixes:
        for role, weight, asye in zip(mix["role"], mix["fte"].astype(float), mix["asye"].astype(bool)):
            total += permanent_cost_per_fte_year(a, str(role), bool(asye)) * weight
            fte += weight
    # the plan's cost as a whole, brought back: re-costing at another price year would move the
    # salaries but leave the market supplement (given in the price year's money) at face value
    cost = total / fte / price_index(a, year)
    return cost, (
        f"[DERIVED] the role mix's salaries plus on-costs from the plans' cost assumptions, in {year} prices "
        f"(case holder £{a.costs.salary_case_holder_gbp:,.0f}: {a.basis_of('costs', 'salary_case_holder_gbp')}; "
        f"on-cost {a.costs.on_cost_rate:.0%}{moved}); set [budget] cost_per_fte_gbp to use your own")


def caseload_mapping(rules: CaseloadRules) -> dict[str, Any]:
    """A capacity model as the ``[caseload]`` mapping the demand assumptions carry (every field,
    roles with their bases), so the demand model plans with the plan's own rules."""
    out: dict[str, Any] = {}
    for f in fields(rules):
        value = getattr(rules, f.name)
        if f.name == "roles":
            out["roles"] = {name: {rf.name: getattr(role, rf.name) for rf in fields(role)} for name, role in value.items()}
        elif f.name == "case_points":
            out["case_points"] = dict(value)
        else:
            out[f.name] = value
    return out


def social_work_workers(workers: pd.DataFrame | None, rules: CaseloadRules) -> pd.DataFrame | None:
    """The workers of the team types that hold children's cases (a team type with at least one
    case-holding role), whose mix of roles the demand model's team types take. Service-wide
    units (managers, front-door screening, reviewing officers: `workers.team_type` such as
    `management`) hold no cases; a team type the workers lack takes the mix of these workers, not
    the whole workforce's, which they would dilute. Workers without team types are all kept."""
    if workers is None or "team_type" not in workers.columns:
        return workers
    holds = workers["role"].astype(str).map(lambda r: rules.role(r).holds_cases).astype(bool)
    types = set(workers.loc[holds, "team_type"].astype(str))
    return workers[workers["team_type"].astype(str).isin(types)].reset_index(drop=True)


def demand_assumptions(settings: DemandSettings, *, plan: Assumptions | None = None,
                       workers: pd.DataFrame | None = None, price_year: int | None = None) -> DemandAssumptions:
    """The demand assumptions of a run: the file the settings name (or the defaults), the
    calibration years they give, the plan's capacity model and, unless the file sets it, the cost
    of an FTE of the social-work role mix at the plan's salaries, in the run's price year.

    Parameters
    ----------
    settings : DemandSettings
        The run's demand settings.
    plan : Assumptions, optional
        The plan's assumptions: its capacity model and salaries.
    workers : DataFrame, optional
        The workers, whose role mix the cost of an FTE is of.
    price_year : int, optional
        The year the run's money is in when its scenario fixes one (Sandwell's turnaround: 2015
        prices); the cost of an FTE is costed in it, so staff and placements share one year's
        pounds. Default: the file's ``[placements] price_year``.

    Raises
    ------
    InputError
        A bad assumptions file, or one that sets ``[caseload]`` when a plan gives the capacity
        model (one capacity model for the plan and its demand).
    """
    a = load_assumptions(settings.assumptions) if settings.assumptions is not None else DemandAssumptions()
    if settings.years is not None:
        a = replace(a, years=settings.years)
    if plan is not None:
        if a.caseload:
            raise InputError("sets [caseload], but the plan's capacity model is the settings' [caseload]: leave it "
                             "out of the demand assumptions so plan and demand use one model",
                             file=settings.assumptions or "", column="[caseload]")
        a = replace(a, caseload=caseload_mapping(plan.caseload))
    if price_year is not None:
        a = replace(a, price_year=int(price_year))
    if a.budget.cost_per_fte_gbp is None:
        cost, basis = blended_cost_per_fte(social_work_mixes(a, workers), plan, in_year=a.price_year)
        a = replace(a, budget=replace(a.budget, cost_per_fte_gbp=cost, cost_per_fte_basis=basis))
    return a


def social_work_mixes(a: DemandAssumptions, workers: pd.DataFrame | None) -> list[pd.DataFrame]:
    """The role mixes of the demand model's social-work team types (care leavers' personal
    advisers left out), whose blended pay is the cost of an FTE (:func:`blended_cost_per_fte`)."""
    mixes, _ = role_mixes(a.structure, social_work_workers(workers, a.rules()), a.rules())
    leaving = a.structure.teams["care_leaver"]
    return [m for t, m in mixes.items() if t != leaving]


def staff_cost_in_plan_year(a: DemandAssumptions, workers: pd.DataFrame | None, plan: Assumptions) -> float:
    """The demand model's cost of an FTE (`[budget] cost_per_fte_gbp`, in its price year) in the
    plan's price year: the role mix's pay at the plan's salaries (:func:`blended_cost_per_fte`)
    when the cost came from them, else the planner's own figure moved by the plan's pay award
    (:func:`workforce.plans.costs.price_index`)."""
    mixes = social_work_mixes(a, workers)
    own_year = blended_cost_per_fte(mixes, plan, in_year=a.price_year)[0]
    if math.isclose(own_year, float(a.budget.cost_per_fte_gbp), rel_tol=1e-9):  # the mix's pay: price it again
        return blended_cost_per_fte(mixes, plan)[0]
    return float(a.budget.cost_per_fte_gbp) * price_index(plan, a.price_year)


def england_calibration(pub: Published, years: str | None) -> Calibration:
    """England's calibration, the fallback for rates an authority's history cannot give (its own
    years when the window has no English data)."""
    try:
        return calibrate(pub.history("england"), years, name="England")
    except ValueError:
        return calibrate(pub.history("england"), None, name="England")


def turnaround_scenario(pub: Published, a: DemandAssumptions, england: Calibration) -> Scenario:
    """Sandwell's turnaround levers (sized from its published flows, re-referrals to the claimed
    9%) as a scenario for any authority, with a partner's fee like Sandwell's."""
    turnaround = run_turnaround(pub.history(SANDWELL), a, fallback=england, published=pub)
    return Scenario(CLAIMS_SCENARIO, turnaround.claims_levers, IMPOWER,
                    "Sandwell's turnaround levers applied here, with a partner's fee like Sandwell's")


# ----------------------------------------------------------------------------- the run


def plan_demand(settings: DemandSettings, pub: Published, *, workers: pd.DataFrame | None = None,
                cases: pd.DataFrame | None = None, plan: Assumptions | None = None,
                history: pd.DataFrame | None = None, source: str | None = None,
                name: str | None = None) -> PlanDemand:
    """Calibrate the demand model for a plan and project every scenario.

    Parameters
    ----------
    settings : DemandSettings
        ``la`` (published tables) or ``history`` (the authority's own file), the demand
        assumptions file, the scenario that drives the plan and the calibration years.
    pub : Published
        The published statistics (:func:`workforce.published.read_published`): England's
        fallback rates, Sandwell's turnaround and, with ``la``, the authority's history.
    workers, cases : DataFrame, optional
        The authority's workers (role mix by `team_type`, :func:`social_work_workers`) and cases
        (points per child).
    plan : Assumptions, optional
        The plan's assumptions: their capacity model and salaries.
    history : DataFrame, optional
        A history already in hand (:func:`demo_history`), in place of ``la``/``history``.
    source, name : str, optional
        How to name that history and the authority.

    Returns
    -------
    PlanDemand

    Raises
    ------
    InputError
        An unknown authority or scenario, a bad history or assumptions file, or a history the
        model cannot be calibrated on (each named).
    """
    a = demand_assumptions(settings, plan=plan, workers=workers)
    messages: list[str] = []
    if history is None:
        if settings.history is not None:
            read = read_history(settings.history)
            history, name = read.frame, name or Path(settings.history).stem
            source = source or f"your own history ({settings.history})"
            messages += read.messages()
        elif settings.la is not None:
            code = pub.resolve(settings.la)
            history, name = pub.history(code), name or f"{pub.name_of(code)} ({code})"
            source = source or f"{pub.name_of(code)}'s published figures (DfE, LA {code})"
            messages += list(pub.messages)
        else:
            raise InputError("the demand model needs an authority's published history (la) or its own (history)",
                             column="--demand-la/--demand-history")
    where = settings.history or settings.assumptions or ""
    try:
        england = england_calibration(pub, a.years)
        borrowed = turnaround_scenario(pub, a, england)
        result = run_demand(history, a, name=name or "", fallback=england,
                            workers=social_work_workers(workers, a.rules()), cases=cases, scenarios=[borrowed],
                            chosen=settings.scenario)
    except ValueError as exc:
        # the scenario is an option (or [run.demand] scenario), not a table's column: the message names it
        raise InputError(str(exc), file=where) from None
    return PlanDemand(result, workforce_requirement(result), source or name or "", messages)


# ----------------------------------------------------------------------------- the demo's history


def stage_counts(cases: pd.DataFrame) -> pd.Series:
    """Open cases by the demand model's social-work stage (children under assessment, in need, on
    a CP plan, looked after), from the cases' `case_type` (`STAGE_CASE_TYPES`)."""
    stage_of = {t: stage for stage, types in STAGE_CASE_TYPES.items() for t in types}
    counts = cases["case_type"].astype(str).map(stage_of).value_counts()
    return pd.Series({s: float(counts.get(s, 0)) for s in SOCIAL_WORK_STAGES})


def _last_march(day: pd.Timestamp) -> int:
    """The year ending on the last 31 March on or before `day` (the DfE year convention)."""
    day = pd.Timestamp(day)
    return day.year if (day.month, day.day) >= (3, 31) else day.year - 1


def history_to(published: pd.DataFrame, last_march: int) -> pd.DataFrame:
    """A published history as it stood on `last_march`, when it reaches that year.

    A demo dated within the published years (the `sandwell` profile, 30 September 2018) has the
    published authority's own history to that day: its children move at the pace of those years,
    and nothing it is calibrated on (nor any stock imputed) comes from its future. It had been
    Sandwell's 2021-2023 moved back onto 2016-2018, with looked-after children falling where
    Sandwell's rose. A history that ends before `last_march`, or starts after it (a demo dated
    before the first published year, which has no history of its own to that day), is returned
    whole: its last years are then moved to the demo's today, as before.
    """
    usable = usable_years(published)
    if not usable or not min(usable) <= last_march <= max(usable):
        return published
    return published.loc[published.index <= last_march]


def demo_calibration(pub: Published, la: str = DEMO_COMPARATOR, *, as_of: pd.Timestamp | None = None,
                     years: str | None = None) -> Calibration:
    """The published authority's calibration as the demo reads it: its history to the demo's
    today (:func:`history_to`), England's calibration where a rate has no data.

    The one reading behind the demo's demand history (:func:`demo_history`) and the `sandwell`
    profile's case mix (:func:`workforce.demo.parameters.sandwell_case_mix`), so the demo's
    children by stage and the demand model's starting stocks are the same figures.
    """
    code = pub.resolve(la)
    published = pub.history(code)
    if as_of is not None:
        published = history_to(published, _last_march(as_of))
    return calibrate(published[[m for m in HISTORY_MEASURES if m in published.columns]], years,
                     fallback=england_calibration(pub, years), name=pub.name_of(code))


@dataclass
class DemoHistory:
    """A demand history for the demo authority (:func:`demo_history`).

    Attributes
    ----------
    frame : DataFrame
        Wide history (index year, published measure columns), as `workforce demand --history`
        reads it.
    factors : Series
        Each stage's scale: the demo's open cases over the published authority's stock.
    source : str
        What it is, in words.
    """

    frame: pd.DataFrame
    factors: pd.Series
    source: str


def _fold_future(history: pd.DataFrame, today: int) -> tuple[pd.DataFrame, list[str]]:
    """`history` (moved onto the demo's years) without years after `today`, the demo's last 31
    March: a measure published after the calibration years (Sandwell's share of looked-after
    children with three or more social workers, published to 2024 where the other measures stop
    at 2023) would otherwise sit in the demo's future. Its latest figure fills `today`'s row where
    that is blank, so the demand model still reads the authority's latest published figure;
    returns the measures so kept."""
    later = history.loc[history.index > today]
    out = history.loc[history.index <= today].copy()
    folded = []
    if today in out.index:
        for column in later.columns:
            values = later[column].dropna()
            if len(values) and pd.isna(out.at[today, column]):
                out.at[today, column] = values.iloc[-1]
                folded.append(column)
    return out, folded


def demo_history(cases: pd.DataFrame, pub: Published, *, la: str = DEMO_COMPARATOR,
                 as_of: pd.Timestamp | None = None, years: str | None = None) -> DemoHistory:
    """A demand history that agrees with the demo authority's cases.

    The published authority's history (measures the calibration reads), each count scaled by
    its stage's factor (:data:`SCALED_WITH`): the demo's open cases at that stage over the
    authority's stock at 31 March of the last calibration year. Children in need at 31 March are
    recomposed from the scaled stages of every year. Rates and shares are kept, so the demo's
    children move through the journey at the published authority's pace. With `as_of`, the
    history stops at the last 31 March on or before it (the demo's "today") when published to
    then; otherwise its years are moved so the last calibration year ends on that day.

    Parameters
    ----------
    cases : DataFrame
        The demo's cases (`case_type`).
    pub : Published
        The published statistics.
    la : str
        The published authority (default Sandwell, 333).
    as_of : Timestamp, optional
        The demo's today.
    years : str, optional
        The calibration years of the published history (default the last three; with `as_of`
        within the published years, the last three to it: :func:`history_to`).

    Returns
    -------
    DemoHistory
    """
    code = pub.resolve(la)
    cal = demo_calibration(pub, la, as_of=as_of, years=years)
    last = cal.years[-1]
    own = stage_counts(cases)
    stocks = cal.stocks
    factors = pd.Series({s: own[s] / float(stocks.at[last, s]) for s in SOCIAL_WORK_STAGES})
    out = cal.history.copy()
    for stage, measures in SCALED_WITH.items():
        for m in measures:
            if m in out.columns:
                out[m] = out[m] * factors[stage]
    recomposed = sum(stocks[s] * factors[s] for s in PUBLISHED_STOCKS["cin_at31"])
    out["cin_at31"] = recomposed.reindex(out.index).fillna(out["cin_at31"] * factors["cin"])
    own_cla = ""
    if "cla_at31" in out.columns and pd.isna(out.at[last, "cla_at31"]):
        # not published that year (the looked-after table starts in 2021): the demo knows its own
        # looked-after children today, so its model starts from them, not from an imputed share
        out.at[last, "cla_at31"] = own["cla"]
        own_cla = f"; looked-after children at 31 March {last}, not published, are the demo's own"
    shift = _last_march(as_of) - last if as_of is not None else 0
    out.index = out.index + shift
    out.index.name = "year"
    moved = f", dated {shift:+d} year(s) so {last} is the year to 31 March {last + shift}" if shift else ""
    if shift:
        out, folded = _fold_future(out, last + shift)
        moved += (f"; {', '.join(folded)} published after {last} kept as the latest figure, in the year to 31 March "
                  f"{last + shift}" if folded else "")
    source = (f"the demo authority's history: {pub.name_of(code)}'s published figures (LA {code}), each stage "
              f"scaled to the demo's open cases ({', '.join(f'{s} x{f:.2f}' for s, f in factors.items())}), rates "
              f"kept{moved}{own_cla}")
    return DemoHistory(out, factors, source)


def starting_agreement(result: DemandResult, cases: pd.DataFrame) -> pd.DataFrame:
    """The demo's open cases by stage beside the demand model's stocks at its start.

    Returns
    -------
    DataFrame
        ``stage, open_cases, model_start, difference, difference_pct`` (one row per
        social-work stage and a total; care leavers are held by personal advisers, outside the
        social-work caseload and the demo's cases).
    """
    own = stage_counts(cases)
    start = result.runs[result.chosen].simulation.opening
    model = pd.Series({s: float(start[s]) for s in SOCIAL_WORK_STAGES})
    frame = pd.DataFrame({"stage": [*SOCIAL_WORK_STAGES, "total"],
                          "open_cases": [*own.to_numpy(), own.sum()],
                          "model_start": [*model.to_numpy(), model.sum()]})
    frame["difference"] = frame["model_start"] - frame["open_cases"]
    frame["difference_pct"] = np.where(frame["open_cases"] > 0, frame["difference"] / frame["open_cases"] * 100.0,
                                       np.nan)
    return frame
