"""Sandwell's turnaround as a scenario, set beside the case study's claims and the published figures.

The scenario starts from Sandwell's published figures for the year to 31 March 2013 (LA 333) and
runs three years to 31 March 2016. Its levers are the interventions the case study names [D24]:
early help, a multi-agency front door, a single assessment, lower re-referrals and a locality
model with one social worker until permanence, paid for in part by a strategic partner (IMPOWER,
£1.15m over 2.5 years [S26]). The case study gives a size for one of them (re-referrals to about
9%); the sizes of the others come from Sandwell's own published flows, 2014-2016 against 2013
[D1]. A second variant sets re-referrals from the published flows too, and the baseline shows what
the model expects had nothing changed.

:func:`compare_with_claims` sets each outcome beside the claim and the published figures and says
where they agree; turnover is a workforce measure left to the plans (the table says what the
demand side implies for workload instead).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from workforce.demand.levers import LEVERS, LeverSet
from workforce.demand.parameters import Calibration
from workforce.demand.run import BASELINE, DemandResult, project, run_demand
from workforce.demand.settings import DemandAssumptions, Investment, Scenario

SANDWELL = "333"
BASE_YEAR = 2013
AFTER_YEARS = (2014, 2015, 2016)
PRICE_YEAR = 2015
CLAIMS_SCENARIO = "turnaround"
PUBLISHED_SCENARIO = "turnaround_published_flows"

#: The case study's claims [D24] (IMPOWER, Sandwell case study): measure -> (value, unit, text).
CLAIMS = {
    "cin_change": (-30.0, "%", "children in need cases fell by about 30%"),
    "cla_change": (-10.0, "%", "children in care fell by nearly 10%"),
    "rereferral": (9.0, "%", "re-referrals about 9%, the lowest rate in the country"),
    "turnover": (15.0, "%", "staff turnover below 15%"),
    "saving_share": (20.0, "%", "a saving of about 20% of the budget"),
    "spend_reduction": (4_000_000.0, "GBP", "of which £4m spend reduction (placements, workload, agency)"),
}
IMPOWER = Investment(1_150_000.0, 10, 1, "strategic partner (IMPOWER)",
                     "[S26] IMPOWER appointed late 2012 on a 2.5-year, £1.15m deal")


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else np.nan


def _share(history: pd.DataFrame, num: str, den: str, year: int, less: str | None = None) -> float:
    try:
        n = float(history.at[year, num])
        d = float(history.at[year, den]) - (float(history.at[year, less]) if less else 0.0)
    except KeyError:
        return np.nan
    return n / d if d > 0 else np.nan


def published_lever_values(history: pd.DataFrame) -> tuple[dict[str, float], dict[str, str]]:
    """Sizes of the front-door levers from Sandwell's published flows: the mean of 2014-2016 against
    2013 (values and their bases)."""
    h = history
    after = list(AFTER_YEARS)
    span = f"{after[0]}-{after[-1]}"

    def new_refs(y: int) -> float:
        return float(h.at[y, "referrals"] - h.at[y, "rereferrals"]) if y in h.index else np.nan

    values, basis = {}, {}
    fall = 1.0 - _mean([new_refs(y) for y in after]) / new_refs(BASE_YEAR)
    values["early_help_diversion"] = float(np.clip(fall, LEVERS["early_help_diversion"].lo,
                                                   LEVERS["early_help_diversion"].hi))
    basis["early_help_diversion"] = (f"[DERIVED] Sandwell's first-time referrals (referrals - rereferrals), mean "
                                     f"{span} against {BASE_YEAR} [D1]: {fall:.1%} fewer (early help [D24])")
    nfa = _mean([_share(h, "referrals_nfa", "referrals", y) for y in after]) - _share(h, "referrals_nfa", "referrals",
                                                                                       BASE_YEAR)
    values["front_door_screening"] = float(nfa)
    basis["front_door_screening"] = (f"[DERIVED] Sandwell's NFA share of referrals, mean {span} less {BASE_YEAR} [D1] "
                                     f"(multi-agency front door [D24])")
    nin = (_mean([_share(h, "assessed_not_in_need", "referrals", y, "referrals_nfa") for y in after])
           - _share(h, "assessed_not_in_need", "referrals", BASE_YEAR, "referrals_nfa"))
    values["assessment_threshold"] = float(nin)
    basis["assessment_threshold"] = (f"[DERIVED] Sandwell's not-in-need share of assessments, mean {span} less "
                                     f"{BASE_YEAR} [D1] (thresholds at the front door [D24])")
    values["single_assessment"] = 1.0
    basis["single_assessment"] = "[D24] the case study's single assessment: no duplicate assessments"
    return values, basis


def rereferral_lever_for(cal: Calibration, levers: LeverSet, a: DemandAssumptions, target: float,
                         start_year: int) -> float:
    """The re-referral lever that brings the final year's re-referral rate to `target` (a share),
    with the other levers as given (bisection on the model itself)."""
    lever = LEVERS["rereferral"]

    def final_share(x: float) -> float:
        trial = LeverSet({**levers.values, "rereferral": x}, levers.basis, levers.structure)
        _, sim, _ = project(cal, Scenario("trial", trial), a, start_year, a.structure)
        last = sim.flows.tail(4)
        return float(last["rereferrals"].sum() / max(last["referrals"].sum(), 1e-9))

    lo, hi = lever.lo, lever.hi
    if final_share(lo) >= target:
        return lo
    if final_share(hi) <= target:
        return hi
    for _ in range(40):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if final_share(mid) < target else (lo, mid)
    return (lo + hi) / 2.0


@dataclass
class Turnaround:
    """The turnaround run and its comparison with the claims."""

    result: DemandResult
    comparison: pd.DataFrame
    claims_levers: LeverSet
    published_levers: LeverSet


def turnaround_scenarios(history: pd.DataFrame, a: DemandAssumptions, cal: Calibration,
                         start_year: int) -> tuple[Scenario, Scenario]:
    """The two turnaround scenarios on a calibrated authority: levers as the case study reported
    them (re-referrals to 9%) and all from Sandwell's published flows."""
    values, basis = published_lever_values(history)
    front = LeverSet(values, basis, "locality")
    basis_structure = "[D24] locality model: one social worker for each child until permanence"
    target = CLAIMS["rereferral"][0] / 100.0
    claim = rereferral_lever_for(cal, front, a, target, start_year)
    pub_target = _mean([float(history.at[y, "rereferral_pct"]) for y in AFTER_YEARS if y in history.index]) / 100.0
    published = rereferral_lever_for(cal, front, a, pub_target, start_year)
    claims_set = LeverSet({**values, "rereferral": claim},
                          {**basis, "rereferral": f"[D24] claim: re-referrals about 9% by the final year (lever "
                                                  f"solved on the model); structure: {basis_structure}"}, "locality")
    pub_set = LeverSet({**values, "rereferral": published},
                       {**basis, "rereferral": f"[DERIVED] Sandwell's re-referral rate, mean 2014-2016 "
                                               f"({pub_target:.1%}) [D1], by the final year (lever solved on the model)"},
                       "locality")
    return (Scenario(CLAIMS_SCENARIO, claims_set, IMPOWER, "Sandwell's turnaround levers as the case study reported"),
            Scenario(PUBLISHED_SCENARIO, pub_set, IMPOWER, "the same levers, re-referrals as published 2014-2016"))


def run_turnaround(history: pd.DataFrame, assumptions: DemandAssumptions, *, fallback: Calibration | None = None,
                   published: "object | None" = None) -> Turnaround:
    """Sandwell 2013 with the turnaround levers, three years on, against the claims.

    Parameters
    ----------
    history : DataFrame
        Sandwell's published history (``Published.history("333")``).
    assumptions : DemandAssumptions
        Budget and caseload settings (``budget.cost_per_fte_gbp`` set); the calibration window,
        horizon and price year are the scenario's own (2013, 12 quarters, 2015 prices).
    fallback : Calibration, optional
        England's calibration.
    published : Published, optional
        The published tables, to rank Sandwell's re-referral rate among all authorities.

    Returns
    -------
    Turnaround
    """
    a = replace(assumptions, years=str(BASE_YEAR), horizon_quarters=4 * len(AFTER_YEARS), price_year=PRICE_YEAR,
                scenarios={})
    probe = run_demand(history, a, name="Sandwell", fallback=fallback)
    claims, pub = turnaround_scenarios(history, a, probe.calibration, probe.start_year)
    result = run_demand(history, a, name="Sandwell", fallback=fallback, scenarios=[claims, pub],
                        chosen=CLAIMS_SCENARIO)
    table = compare_with_claims(result, history, published)
    return Turnaround(result, table, claims.levers, pub.levers)


# ----------------------------------------------------------------------------- comparison


def _verdict(value: float, claim: float, *, tolerance: float) -> str:
    """How a figure stands against a claimed change or level (same units)."""
    if not np.isfinite(value):
        return "cannot be tested"
    if abs(value - claim) <= tolerance:
        return "agrees"
    if np.sign(value) == np.sign(claim) and abs(value) < abs(claim):
        return "same direction, smaller"
    if np.sign(value) == np.sign(claim):
        return "same direction, larger"
    return "does not agree"


def _stock_at(result: DemandResult, scenario: str, year: int, stages: tuple[str, ...]) -> float:
    run = result.runs[scenario]
    q = 4 * (year - result.start_year)
    if q == 0:
        return float(run.simulation.opening[list(stages)].sum())
    return float(run.simulation.stocks[list(stages)].iloc[q - 1].sum())


def _year_flow(result: DemandResult, scenario: str, year: int, flow: str) -> float:
    q = 4 * (year - result.start_year)
    return float(result.runs[scenario].simulation.flows[flow].iloc[q - 4:q].sum())


def _rank(published: object | None, year: int, la: str, measure: str) -> tuple[float, float, str, int]:
    """(the authority's value, the lowest value, who had it, the authority's rank from the lowest)."""
    if published is None:
        return np.nan, np.nan, "", 0
    v = published.values
    rows = v[(v["level"] == "local_authority") & (v["year"] == year) & (v["measure"] == measure)].dropna(
        subset=["value"])
    rows = rows[~rows["la_name"].isin(["City of London", "Isles of Scilly"])]
    if rows.empty or la not in set(rows["la_code"]):
        return np.nan, np.nan, "", 0
    own = float(rows.loc[rows["la_code"] == la, "value"].iloc[0])
    best = rows.loc[rows["value"].idxmin()]
    return own, float(best["value"]), str(best["la_name"]), int((rows["value"] < own).sum()) + 1


def compare_with_claims(result: DemandResult, history: pd.DataFrame, published: object | None = None) -> pd.DataFrame:
    """The turnaround's outcome beside the case study's claims and the published figures.

    Returns
    -------
    DataFrame
        ``claim, claimed, model_as_reported, model_published_flows, model_no_change, published,
        model_verdict, published_verdict, note``.
    """
    cin_stages = ("assessment", "cin", "cp", "cla")
    last = AFTER_YEARS[-1]
    h = history
    rows = []

    def change(scenario: str, year: int, stages: tuple[str, ...]) -> float:
        start = _stock_at(result, scenario, BASE_YEAR, stages)
        return 100.0 * (_stock_at(result, scenario, year, stages) / start - 1.0)

    def published_change(measure: str, year: int) -> float:
        try:
            return 100.0 * (float(h.at[year, measure]) / float(h.at[BASE_YEAR, measure]) - 1.0)
        except KeyError:
            return np.nan

    scen = (CLAIMS_SCENARIO, PUBLISHED_SCENARIO, BASELINE)
    claim, _, text = CLAIMS["cin_change"]
    for year in (2015, last):
        model = [change(s, year, cin_stages) for s in scen]
        pub = published_change("cin_at31", year)
        note = (f"published {h.at[BASE_YEAR, 'cin_at31']:,.0f} (2013) -> {h.at[year, 'cin_at31']:,.0f} ({year}); "
                f"the model counts children under assessment, in need, on plans and looked after, as cin_at31 does")
        rows.append((f"{text} (31 March {BASE_YEAR} to {year})", claim, *model, pub,
                     _verdict(model[0], claim, tolerance=5.0), _verdict(pub, claim, tolerance=5.0), note))
    claim, _, text = CLAIMS["cla_change"]
    model = [change(s, last, ("cla",)) for s in scen]
    cla_years = [int(y) for y in h.index if "cla_at31" in h.columns and np.isfinite(h.at[y, "cla_at31"])]
    span = f"{min(cla_years)}-{max(cla_years)}" if cla_years else "no years"
    note = (f"looked-after children by authority are NOT FOUND for 2013-2016 (the published file covers {span}); "
            f"the 2013 stock is imputed and the care rates come from {span}. Without levers the model already "
            f"falls {model[2]:+.1f}% (those rates do not balance the imputed stock); no care lever is set, so the "
            f"levers' further {model[0] - model[2]:+.1f} points come from fewer children reaching care")
    rows.append((f"{text} ({BASE_YEAR} to {last})", claim, *model, np.nan,
                 _verdict(model[0], claim, tolerance=3.0), "cannot be tested", note))
    claim, _, text = CLAIMS["rereferral"]
    model = [100.0 * _year_flow(result, s, last, "rereferrals") / _year_flow(result, s, last, "referrals")
             for s in scen]
    pub = float(h.at[last, "rereferral_pct"]) if last in h.index else np.nan
    series = h["rereferral_pct"].dropna() if "rereferral_pct" in h.columns else pd.Series(dtype=float)
    best_year = int(series.idxmin()) if len(series) else last
    _, lowest, who, rank = _rank(published, best_year, SANDWELL, "rereferral_pct")
    note = (f"the claims variant sets the lever to reach 9% (agrees by construction); Sandwell's lowest published "
            f"rate {series.min():.1f}% ({best_year})" if len(series) else "")
    if rank:
        note += f", rank {rank} from the lowest; lowest that year {lowest:.1f}% ({who})"
    rows.append((f"{text} (year to 31 March {last})", claim, *model, pub,
                 _verdict(model[0], claim, tolerance=1.0), _verdict(series.min() if len(series) else np.nan, claim,
                                                                  tolerance=1.0), note))
    claim, _, text = CLAIMS["turnover"]
    fte = []
    for s in scen:
        wf = result.runs[s].workforce
        sw = wf[wf["social_work"]]
        fte.append(100.0 * (sw[sw["quarter"] == result.horizon]["required_fte"].sum()
                            / sw[sw["quarter"] == 0]["required_fte"].sum() - 1.0))
    # the model columns hold changes in stocks; turnover is not one, so they stay blank here and
    # the note gives what the model does say (a column of one row meaning another thing misleads)
    rows.append((f"{text}", claim, np.nan, np.nan, np.nan, np.nan, "not modelled here", "cannot be tested",
                 "turnover is a workforce measure left to the plans; what the model gives instead is the change in "
                 f"required social-work FTE to {last}: {fte[0]:+.1f}% as reported, {fte[1]:+.1f}% with the published "
                 f"flows, {fte[2]:+.1f}% with no change, less work per worker at the same staffing, which the plans "
                 "turn into turnover and agency. Sandwell's workforce figures are published from 2017 only"))
    budget = result.budget.set_index(["scenario", "part"])
    claim, _, text = CLAIMS["saving_share"]
    share = [100.0 * float(budget.at[(s, "total"), "final_year_share"]) for s in scen]
    rows.append((f"{text} (final year, net of early help and the partner's fee)", claim, *share, np.nan,
                 _verdict(share[0], claim, tolerance=3.0), "cannot be tested",
                 "share of the budget the assumptions describe (staff, placements, other); no published budget "
                 "figures in the data"))
    claim, _, text = CLAIMS["spend_reduction"]
    spend = [float(budget.at[(s, "total"), "final_year_saving_gbp"]) for s in scen]
    parts = budget.loc[CLAIMS_SCENARIO]["final_year_saving_gbp"]
    rows.append((f"{text} (final year, {PRICE_YEAR} prices)", claim, *spend, np.nan,
                 _verdict(spend[0], claim, tolerance=1_000_000.0), "cannot be tested",
                 "model parts (as reported): " + ", ".join(f"{p} £{v:,.0f}" for p, v in parts.items()
                                                           if p != "total" and abs(v) >= 0.5)))
    for measure, flow, label in (("referrals", "referrals", "referrals"), ("cp_at31", None, "CP plans at 31 March")):
        if flow:
            model = [100.0 * (_year_flow(result, s, last, flow) / float(h.at[BASE_YEAR, measure]) - 1.0) for s in scen]
        else:
            model = [change(s, last, ("cp",)) for s in scen]
        pub = published_change(measure, last)
        rows.append((f"(check) change in {label}, {BASE_YEAR} to {last}", np.nan, *model, pub, "", "",
                     "not a claim: shows how the levers' sizes carry through"))
    columns = ["claim", "claimed", "model_as_reported", "model_published_flows", "model_no_change", "published",
               "model_verdict", "published_verdict", "note"]
    return pd.DataFrame(rows, columns=columns)
