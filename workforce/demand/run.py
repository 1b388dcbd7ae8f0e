"""One demand run: calibrate, check the fit, project every scenario, cost it, compare.

:func:`run_demand` is the library entry point (the CLI and, later, the plans call it);
:class:`DemandResult` holds every frame it produced, and the functions below it give the output
tables (flows, stocks, levers, parameters, scenarios side by side, placements and costs,
required FTE) and :func:`workforce_requirement`, the frame the recruitment plan reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.demand.engine import Rates, Simulation, initial_state, simulate
from workforce.demand.levers import LeverSet, lever_table, rates_for, rates_path
from workforce.demand.measures import (
    FLOWS,
    INFLOW,
    OUTFLOWS,
    PLACEMENT_TYPES,
    PUBLISHED_FLOWS,
    PUBLISHED_STOCKS,
    STAGES,
    quarter_ends,
    quarter_years,
)
from workforce.demand.parameters import Calibration, Parameter, calibrate, years_text
from workforce.demand.placements import placement_costs, unit_cost_table
from workforce.demand.settings import (
    EARLY_HELP_COST_BASIS,
    OTHER_SHARE_BASIS,
    DemandAssumptions,
    Investment,
    Scenario,
)
from workforce.demand.workload import (
    Structure,
    WorkerChanges,
    fit_worker_changes,
    handoffs,
    role_mixes,
    stage_points,
    workforce_demand,
)

BASELINE = "baseline"

#: England's share of looked-after children with three or more social workers in 2024 [D4].
ENGLAND_3PLUS_SHARE_SOURCE = "England 2024 [D4]"


@dataclass
class ScenarioRun:
    """One scenario projected: the engine's output and everything derived from it."""

    scenario: Scenario
    structure: Structure
    rates: list[Rates]
    simulation: Simulation
    workforce: pd.DataFrame
    handoffs: pd.DataFrame
    placements: pd.DataFrame


@dataclass
class DemandResult:
    """Everything one demand run produced.

    Attributes
    ----------
    name : str
        The authority.
    calibration : Calibration
    assumptions : DemandAssumptions
    start_year : int
        Quarter 0 is 31 March of this year (the last calibration year).
    runs : dict of str to ScenarioRun
        ``baseline`` first, then every other scenario.
    chosen : str
        The scenario the headline outputs describe.
    fit : DataFrame
        ``year, measure, kind (stock/flow), published, model, pct_error``: the calibration years
        reproduced from the first one's stocks with the published first-time referrals.
    fit_mape : DataFrame
        ``measure, mape, years, n``: mean absolute percentage error per published stock.
    points : DataFrame
        Caseload points per child by stage (:func:`workforce.demand.workload.stage_points`).
    mix_basis : dict
        Team type -> where its mix of roles comes from.
    worker_changes : WorkerChanges
    unit_costs : DataFrame
    notes : list of str
    """

    name: str
    calibration: Calibration
    assumptions: DemandAssumptions
    start_year: int
    runs: dict[str, ScenarioRun]
    chosen: str
    fit: pd.DataFrame
    fit_mape: pd.DataFrame
    points: pd.DataFrame
    mix_basis: dict[str, str]
    worker_changes: WorkerChanges
    unit_costs: pd.DataFrame
    budget: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    start_adjustment: list[str] = field(default_factory=list)

    @property
    def horizon(self) -> int:
        return self.assumptions.horizon_quarters


# ----------------------------------------------------------------------------- calibration fit


def _entry_mix(a: DemandAssumptions) -> np.ndarray:
    return np.array([a.placement_mix[p] for p in PLACEMENT_TYPES], dtype=float)


def calibration_fit(cal: Calibration, mix: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reproduce the calibration years from the first year's stocks, driven by the published
    first-time referrals, with the calibrated (constant) rates.

    Returns ``(fit, mape)``: see :class:`DemandResult`.
    """
    y0, y1 = cal.years[0], cal.years[-1]
    n_years = y1 - y0
    columns = ["year", "measure", "kind", "published", "model", "pct_error"]
    if n_years <= 0:
        mape = pd.DataFrame({"measure": list(PUBLISHED_STOCKS), "mape": np.nan, "years": "", "n": 0})
        return pd.DataFrame(columns=columns), mape
    rates = [rates_for(cal, LeverSet(), 1, mix)] * (4 * n_years)
    new = []
    for y in range(y0 + 1, y1 + 1):
        level = cal.new_referrals.get(y, np.nan)
        new += [(level if np.isfinite(level) else 4 * cal.value("new_referrals_per_quarter")) / 4.0] * 4
    sim = simulate(initial_state(cal.start(y0), mix), rates, new, _closures_before(cal, y0))
    rows = []
    h = cal.history
    for k, y in enumerate(range(y0 + 1, y1 + 1), start=1):
        stock = sim.stocks.iloc[4 * k - 1]
        for measure, stages in PUBLISHED_STOCKS.items():
            if y not in cal.stocks.index or (measure == "cla_at31" and bool(cal.stocks.at[y, "cla_imputed"])):
                continue
            pub = float(h.at[y, measure]) if measure in h.columns and y in h.index else np.nan
            rows.append((y, measure, "stock", pub, float(sum(stock[s] for s in stages))))
        year_flows = sim.flows.iloc[4 * (k - 1):4 * k]
        for measure, flows in PUBLISHED_FLOWS.items():
            pub = float(h.at[y, measure]) if measure in h.columns and y in h.index else np.nan
            rows.append((y, measure, "flow", pub, float(year_flows[list(flows)].to_numpy().sum())))
    fit = pd.DataFrame(rows, columns=columns[:-1])
    fit["pct_error"] = (fit["model"] - fit["published"]) / fit["published"] * 100.0
    fit.loc[~np.isfinite(fit["pct_error"]), "pct_error"] = np.nan
    out = []
    for measure in PUBLISHED_STOCKS:
        part = fit[(fit["measure"] == measure) & fit["pct_error"].notna()]
        years = part["year"].tolist()
        out.append({"measure": measure, "mape": float(part["pct_error"].abs().mean()) if len(part) else np.nan,
                    "years": f"{min(years)}-{max(years)}" if years else "", "n": len(part)})
    return fit, pd.DataFrame(out)


def flow_mape(fit: pd.DataFrame) -> pd.DataFrame:
    """``measure, mape, years, n``: mean absolute percentage error of each published flow in
    `fit` (the stocks' MAPE alone can look good while the year's flows, which set the workload
    of the stages they feed, are far off)."""
    flows = fit[(fit["kind"] == "flow") & fit["pct_error"].notna()]
    out = [{"measure": m, "mape": float(part["pct_error"].abs().mean()),
            "years": years_text(sorted(part["year"].unique())), "n": len(part)}
           for m, part in flows.groupby("measure", sort=False)]
    return pd.DataFrame(out, columns=["measure", "mape", "years", "n"])


def largest_misses(comparison: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The `n` flows the model misses most: ``year, measure, published, model, pct_error``.

    Ranked by the miss in children over the square root of the published count: a yearly count
    of children varies by chance about its square root with practice unchanged, so a miss of 3
    on 6 NFA referrals (-55%) is noise while 126 on 368 CP plans (+34%) is not. Percentages are
    what is shown.
    """
    published, model = (pd.to_numeric(comparison[k], errors="coerce") for k in ("published", "model"))
    c = comparison[published.gt(0) & np.isfinite(model)]  # an empty fit (one calibration year) has no dtype
    score = (c["model"] - c["published"]).abs() / np.sqrt(c["published"])
    return c.loc[score.sort_values(ascending=False).index[:n], ["year", "measure", "published", "model", "pct_error"]]


def first_year_flows(result: DemandResult) -> pd.DataFrame:
    """The baseline's first projected year against the last published year, flow by flow:
    ``year`` (published), ``measure, published, model, pct_error``.

    With no levers the baseline carries on as calibrated, so its first year should look like the
    last published one; a large step says the pooled rates do not describe the latest year."""
    sim = result.runs[BASELINE].simulation
    h = result.calibration.history
    y = result.start_year
    rows = [(y, m, float(h.at[y, m]) if m in h.columns and y in h.index else np.nan,
             float(sim.flows.iloc[:4][list(flows)].to_numpy().sum())) for m, flows in PUBLISHED_FLOWS.items()]
    out = pd.DataFrame(rows, columns=["year", "measure", "published", "model"])
    out["pct_error"] = (out["model"] - out["published"]) / out["published"] * 100.0
    out.loc[~np.isfinite(out["pct_error"]), "pct_error"] = np.nan
    return out


def published_in_post(result: DemandResult) -> tuple[str, float] | None:
    """``(date, FTE)``: the authority's published social workers in post at the census of the
    model's first year (the first 30 September after its 31 March start), else the census of the
    year before the start; None when neither is published.

    Shown beside the model's required FTE at the start, which is the demand at the safe standard,
    not a count of staff: the two can differ either way. The census must be of the same time: the
    latest census beside a model started years earlier (the 2013 turnaround against the census of
    2023) compares two different services."""
    from workforce.measures import census_day

    h = result.calibration.history
    if "inpost_fte" not in h.columns:
        return None
    published = h["inpost_fte"].dropna()
    for year in (result.start_year, result.start_year - 1):  # census_day(start_year) is six months in
        if year in published.index:
            return census_day(year).isoformat(), float(published.at[year])
    return None


def _closures_before(cal: Calibration, year: int) -> list[float]:
    """Closures in the four quarters before 31 March `year` (for the re-referral memory): the
    year's own figure, else what the calibrated rates close from that year's referrals and stocks."""
    value = float(cal.closures.get(year, np.nan))
    if not np.isfinite(value):
        stocks = cal.start(year)
        referrals = float(cal.history.at[year, "referrals"]) / 4.0
        nfa, nin = cal.value("nfa_share"), cal.value("not_in_need_share")
        home = cal.value("care_exit_hazard") * (1.0 - cal.value("care_leaver_share"))
        value = 4.0 * (referrals * nfa + referrals * (1.0 - nfa) * nin
                       + cal.value("cin_closure_hazard") * stocks["cin"] + home * stocks["cla"])
    return [value / 4.0] * 4


# ----------------------------------------------------------------------------- scenarios


def project(cal: Calibration, scenario: Scenario, a: DemandAssumptions, start_year: int,
            current: Structure) -> tuple[list[Rates], Simulation, Structure]:
    """The engine run of one scenario from 31 March `start_year` over the assumptions' horizon."""
    mix = _entry_mix(a)
    horizon = a.horizon_quarters
    rates = rates_path(cal, scenario.levers, horizon, mix)
    trend = cal.value("referral_trend")
    level = cal.value("new_referrals_per_quarter")
    new = [level * (1.0 + trend) ** (q / 4.0) for q in range(1, horizon + 1)]
    sim = simulate(initial_state(cal.start(start_year), mix), rates, new, _closures_before(cal, start_year))
    structure = a.structures[scenario.levers.structure] if scenario.levers.structure else current
    return rates, sim, structure


def _worker_changes(cal: Calibration, structure: Structure, start_year: int,
                    fallback: Calibration | None) -> WorkerChanges:
    """Fit other changes of social worker to the latest published three-or-more share."""
    share, source = np.nan, ""
    for hist, label in ((cal.history, cal.name or "the authority"),
                        (fallback.history if fallback is not None else None, "England")):
        if hist is not None and "cla_3plus_sw_pct" in hist.columns:
            series = hist["cla_3plus_sw_pct"].dropna()
            if len(series):
                share = float(series.iloc[-1]) / 100.0
                source = f"cla_3plus_sw_pct, {label} {int(series.index[-1])}"
                break
    if not np.isfinite(share):
        share, source = 0.27, ENGLAND_3PLUS_SHARE_SOURCE
    stocks = cal.start(start_year)
    from_cin = cal.value("care_entry_hazard_cin") * stocks["cin"]
    from_cp = cal.value("care_entry_hazard_cp") * stocks["cp"]
    exit_h = cal.value("care_exit_hazard")
    surviving = (from_cin + from_cp) * np.exp(-exit_h * (np.arange(4) + 0.5)).sum()
    new_share = min(1.0, surviving / stocks["cla"]) if stocks["cla"] > 0 else 0.0
    cp_share = from_cp / (from_cin + from_cp) if from_cin + from_cp > 0 else 0.0
    return fit_worker_changes(share, new_share, cp_share, structure, source)


def run_demand(history: pd.DataFrame, assumptions: DemandAssumptions | None = None, *,
               name: str = "", fallback: Calibration | None = None, workers: pd.DataFrame | None = None,
               cases: pd.DataFrame | None = None, scenarios: list[Scenario] | None = None,
               chosen: str | None = None) -> DemandResult:
    """Calibrate an authority's journey and project every scenario.

    Parameters
    ----------
    history : DataFrame
        Wide history (index year, published measure columns): ``Published.history(la)`` or the
        authority's own extracts (:func:`workforce.demand.history.read_history`).
    assumptions : DemandAssumptions, optional
        Defaults when None. ``budget.cost_per_fte_gbp`` must be set (the CLI takes it from the
        plans' cost assumptions).
    name : str
        The authority's name.
    fallback : Calibration, optional
        England's calibration, for rates the history cannot give.
    workers, cases : DataFrame, optional
        The authority's workers (role mix by team type) and cases (points per child).
    scenarios : list of Scenario, optional
        Built-in scenarios to add (e.g. the turnaround); the assumptions' own scenarios are
        always run, and ``baseline`` (no levers) first.
    chosen : str, optional
        The scenario the headline outputs describe (default: ``levers`` when the assumptions set
        levers, else ``baseline``).

    Returns
    -------
    DemandResult

    Raises
    ------
    ValueError
        No usable calibration year, an unknown chosen scenario, no cost per FTE.
    """
    a = assumptions or DemandAssumptions()
    if a.budget.cost_per_fte_gbp is None:
        raise ValueError("budget.cost_per_fte_gbp is not set (the cost of one FTE of the role mix)")
    rules = a.rules()
    cal = calibrate(history, a.years, fallback=fallback, judgements=a.judgements, basis=a.basis, name=name)
    if a.overrides:
        for key, value in a.overrides.items():
            cal = cal.with_values({key: value}, a.basis.get(key, "set by the user"))
    notes = list(cal.notes)
    start_year = cal.years[-1]
    mix = _entry_mix(a)
    fit, mape = calibration_fit(cal, mix)
    points = stage_points(rules, cases)
    all_scenarios = {BASELINE: Scenario(BASELINE, LeverSet(), Investment(), "the authority as calibrated: no levers")}
    for sc in list(a.scenarios.values()) + list(scenarios or []):
        all_scenarios[sc.name] = sc
    if chosen is None:
        chosen = "levers" if "levers" in all_scenarios else BASELINE
    if chosen not in all_scenarios:
        why = ("; the demand assumptions set no lever, so there is no 'levers' scenario: uncomment [levers] in the "
               "demand_assumptions.toml a run writes, set a lever and pass the file back" if chosen == "levers" else "")
        raise ValueError(f"unknown scenario '{chosen}' (scenarios: {', '.join(all_scenarios)}){why}")
    changes = _worker_changes(cal, a.structure, start_year, fallback)
    runs: dict[str, ScenarioRun] = {}
    mix_basis: dict[str, str] = {}
    weekly = unit_cost_table(a.unit_costs, a.price_year, a.price_index).set_index("placement_type")["weekly_gbp"]
    for key, sc in all_scenarios.items():
        rates, sim, structure = project(cal, sc, a, start_year, a.structure)
        mixes, basis = role_mixes(structure, workers, rules)
        mix_basis.update(basis)
        wf = workforce_demand(sim.stocks, sim.opening, structure, start_year, points, mixes, rules)
        care_exit = np.array([r.care_exit for r in rates])
        ho = handoffs(sim.flows, sim.stocks, sim.opening, structure, changes.parameter.value, care_exit)
        pc = placement_costs(sim.placements, sim.opening_placements, weekly)
        runs[key] = ScenarioRun(sc, structure, rates, sim, wf, ho, pc)
    result = DemandResult(name, cal, a, start_year, runs, chosen, fit, mape, points, mix_basis, changes,
                          unit_cost_table(a.unit_costs, a.price_year, a.price_index), notes=notes)
    result.budget = budget_frame(result)
    result.start_adjustment = start_adjustment(cal, runs[BASELINE].simulation, history, a, fallback)
    notes.extend(result.start_adjustment)
    if not np.isfinite(runs[BASELINE].workforce.loc[
            ~runs[BASELINE].workforce["social_work"], "required_fte"]).any():
        notes.append("care leavers' personal advisers are not costed: no personal_adviser role in the caseload rules")
    return result


#: A stage moving by more than this share in the baseline's first quarter is named as a
#: first-year adjustment (the start's stocks out of balance with the calibrated rates).
START_STEP = 0.03
#: Each stage's main exit rate, quoted when its start is out of balance.
_EXIT_RATE = {"cin": "cin_closure_hazard", "cp": "cp_exit_hazard", "cla": "care_exit_hazard"}
_STAGE_WORDS = {"cin": "children in need without a plan (stage cin)", "cp": "children on CP plans (stage cp)",
                "cla": "looked-after children (stage cla)"}


def start_steps(baseline: Simulation) -> dict[str, float]:
    """Each stage's move in the baseline's first quarter, as a share of its opening stock (stages
    with an exit rate and children at the start)."""
    start, q1 = baseline.opening, baseline.stocks.iloc[0]
    return {s: q1[s] / start[s] - 1.0 for s in _EXIT_RATE if start[s] > 0}


def start_adjustment_note(result: "DemandResult") -> str | None:
    """One line for a plan's closing notes when the baseline steps at the start
    (`start_adjustment` has the detail): the plan and carrying on as now both follow the step, so
    their costs and hires rest on it more than the saving between them does."""
    if not result.start_adjustment:
        return None
    steps = start_steps(result.runs[BASELINE].simulation)
    moves = ", ".join(f"{_STAGE_WORDS[s].split(' (')[0]} {v:+.1%}" for s, v in steps.items() if abs(v) > START_STEP)
    return (f"demand: the demand model's first-year adjustment moves {moves} in its first quarter with no levers, "
            "not a change in practice (Demand sheet); the plan and carrying on as now both follow it, so their "
            "costs and hires rest on it more than the saving between them does")


def start_adjustment(cal: Calibration, baseline: Simulation, history: pd.DataFrame, a: DemandAssumptions,
                     fallback: Calibration | None) -> list[str]:
    """Notes naming each stage the baseline moves by more than `START_STEP` in its first quarter.

    With no levers such a step is not a change in practice: the rates are pooled over the
    calibration years and the stocks at 31 March of the last one are out of balance with them
    (the stage's flows changed across the window). Each note gives the size of the step, the
    stage's main exit rate pooled and in the last year alone, and the step on the last year's
    own rates, so a reader can tell the model's first-year adjustment from a trend.
    """
    start, q1, q4 = baseline.opening, baseline.stocks.iloc[0], baseline.stocks.iloc[min(3, len(baseline.stocks) - 1)]
    steps = start_steps(baseline)
    big = [s for s, v in steps.items() if abs(v) > START_STEP]
    if not big or len(cal.years) < 2:
        return []
    last_year = cal.years[-1]
    try:
        last = calibrate(history, [last_year], fallback=fallback, judgements=a.judgements, basis=a.basis)
        if a.overrides:
            for key, value in a.overrides.items():
                last = last.with_values({key: value}, "")
        own = project(last, Scenario(BASELINE, LeverSet(), Investment(), ""), a, last_year, a.structure)[1]
        own_step = {s: own.stocks.iloc[0][s] / own.opening[s] - 1.0 for s in big}
    except ValueError:
        last, own_step = None, {}
    end = quarter_ends(last_year, 1)[0]
    out = []
    for s in big:
        rate = _EXIT_RATE[s]
        text = (f"first-year adjustment: with no levers {_STAGE_WORDS[s]} go from {start[s]:,.0f} at 31 March "
                f"{last_year} to {q1[s]:,.0f} at {end:%d %B %Y} ({steps[s]:+.1%}) and {q4[s]:,.0f} a year on "
                f"({q4[s] / start[s] - 1.0:+.1%}). This is not a change in practice: the rates are pooled over "
                f"{years_text(cal.years)}, and the {last_year} stocks are out of balance with them")
        if last is not None:
            text += (f" ({rate} {cal.value(rate):.3f} a quarter pooled, {last.value(rate):.3f} in {last_year} "
                     f"alone); on {last_year}'s own rates the first quarter moves {own_step[s]:+.1%}. Calibrating "
                     f"on {last_year} alone (years = \"{last_year}\") starts nearer balance, with noisier rates")
        out.append(text)
    return out


# ----------------------------------------------------------------------------- budget


BUDGET_PARTS = ("social_work_staff", "personal_advisers", "placements", "early_help", "other", "investment")


def _quarterly_parts(result: DemandResult, key: str, other_per_quarter: float) -> pd.DataFrame:
    run = result.runs[key]
    a = result.assumptions
    cost = float(a.budget.cost_per_fte_gbp)
    wf = run.workforce[run.workforce["quarter"] >= 1]
    staff = wf[wf["social_work"]].groupby("quarter")["required_fte"].sum() * cost / 4.0
    pas = wf[~wf["social_work"]].groupby("quarter")["required_fte"].sum(min_count=1).fillna(0.0) * cost / 4.0
    places = run.placements.groupby("quarter")["cost_gbp"].sum()
    early = run.simulation.flows.set_index("quarter")["early_help"] * a.budget.early_help_cost_per_family_gbp
    quarters = run.simulation.flows["quarter"].to_numpy()
    frame = pd.DataFrame({
        "quarter": quarters,
        "social_work_staff": staff.reindex(quarters, fill_value=0.0).to_numpy(),
        "personal_advisers": pas.reindex(quarters, fill_value=0.0).to_numpy(),
        "placements": places.reindex(quarters, fill_value=0.0).to_numpy(),
        "early_help": early.reindex(quarters, fill_value=0.0).to_numpy(),
        "other": other_per_quarter,
        "investment": run.scenario.investment.schedule(len(quarters)),
    })
    frame["total"] = frame[list(BUDGET_PARTS)].sum(axis=1)
    return frame


def budget_frame(result: DemandResult) -> pd.DataFrame:
    """The children's social care budget the assumptions describe, by part, per scenario.

    ``other`` (management, legal, commissioning, services the model does not hold) is the same in
    every scenario: ``total_gbp`` a year less the baseline's first-year parts when a total is
    given, else ``other_share`` of the budget. Savings are baseline less scenario, so the early
    help a diversion needs and the transformation investment count against them.

    Returns
    -------
    DataFrame
        ``scenario, part, cost_gbp`` (over the horizon), ``final_year_gbp`` (last four quarters),
        ``saving_gbp``, ``final_year_saving_gbp``, ``share_of_budget`` (saving over the baseline's
        total over the horizon), ``final_year_share``, ``basis``.
    """
    a = result.assumptions
    base = _quarterly_parts(result, BASELINE, 0.0)
    first = base.head(4)
    modelled_year = float(first[["social_work_staff", "personal_advisers", "placements"]].to_numpy().sum()) \
        * 4.0 / max(len(first), 1)
    if a.budget.total_gbp:
        other_year = max(a.budget.total_gbp - modelled_year, 0.0)
        other_basis = f"total budget {a.budget.total_gbp:,.0f} a year ({a.budget.total_basis}) less the modelled parts"
        if a.budget.total_gbp < modelled_year:
            result.notes.append(f"the total budget (£{a.budget.total_gbp:,.0f}) is below the modelled staff and "
                                f"placements (£{modelled_year:,.0f} a year): other set to 0")
    else:
        share = a.budget.other_share
        other_year = modelled_year * share / (1.0 - share)
        other_basis = f"{share:.0%} of the budget: " + a.basis.get("budget.other_share", OTHER_SHARE_BASIS)
    basis = {
        "social_work_staff": f"required FTE (social-work team types) x £{a.budget.cost_per_fte_gbp:,.0f} per FTE-year "
                             f"({a.budget.cost_per_fte_basis}); before absence and agency premium",
        "personal_advisers": "required personal-adviser FTE x the same cost per FTE (0 when not computed)",
        "placements": f"looked-after children by placement type x weekly unit cost at {a.price_year} prices",
        "early_help": f"referrals diverted x £{a.budget.early_help_cost_per_family_gbp:,.0f} per family "
                      f"({a.basis.get('budget.early_help_cost_per_family_gbp', EARLY_HELP_COST_BASIS)})",
        "other": other_basis,
        "investment": "the scenario's transformation investment",
        "total": "sum of the parts",
    }
    frames = {k: _quarterly_parts(result, k, other_year / 4.0) for k in result.runs}
    baseline = frames[BASELINE]
    budget_total = float(baseline["total"].sum())
    budget_final = float(baseline["total"].tail(4).sum())
    rows = []
    for key, frame in frames.items():
        for part in (*BUDGET_PARTS, "total"):
            cost = float(frame[part].sum())
            final = float(frame[part].tail(4).sum())
            saving = float(baseline[part].sum()) - cost
            final_saving = float(baseline[part].tail(4).sum()) - final
            rows.append({"scenario": key, "part": part, "cost_gbp": cost, "final_year_gbp": final,
                         "saving_gbp": saving, "final_year_saving_gbp": final_saving,
                         "share_of_budget": saving / budget_total if budget_total else np.nan,
                         "final_year_share": final_saving / budget_final if budget_final else np.nan,
                         "basis": basis[part]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- output tables


def _dates(result: DemandResult, frame: pd.DataFrame) -> pd.DataFrame:
    q = frame["quarter"].astype(int).to_numpy()
    ends = quarter_ends(result.start_year, result.horizon)
    years = quarter_years(result.start_year, result.horizon)
    out = frame.copy()
    out.insert(1, "quarter_end", ends[q - 1])
    out.insert(2, "year", years[q - 1])
    return out


def _stocks(result: DemandResult, run: ScenarioRun) -> pd.DataFrame:
    sim = run.simulation
    stocks = pd.concat([pd.DataFrame([{"quarter": 0, **sim.opening.to_dict()}]), sim.stocks], ignore_index=True)
    stocks["cin_at31"] = stocks[list(PUBLISHED_STOCKS["cin_at31"])].sum(axis=1)
    stocks["children"] = stocks[list(STAGES)].sum(axis=1)
    q = stocks["quarter"].astype(int).to_numpy()
    ends = pd.DatetimeIndex([pd.Timestamp(year=result.start_year, month=3, day=31)]).append(
        quarter_ends(result.start_year, result.horizon))
    years = np.concatenate([[result.start_year], quarter_years(result.start_year, result.horizon)])
    stocks.insert(1, "quarter_end", ends[q])
    stocks.insert(2, "year", years[q])
    return stocks


def stocks_frame(result: DemandResult) -> pd.DataFrame:
    """``scenario, quarter, quarter_end, year``, one column per stage, ``cin_at31`` (the published
    measure: assessment + cin + cp + cla) and ``children`` (all stages). Quarter 0 is the start."""
    return _per_scenario(result, lambda run: _stocks(result, run))


def _flows(result: DemandResult, run: ScenarioRun) -> pd.DataFrame:
    sim = run.simulation
    f = _dates(result, sim.flows[["quarter", *FLOWS]])
    f["transfers"] = run.handoffs["transfers"].to_numpy()
    stocks = pd.concat([sim.opening.to_frame().T, sim.stocks[list(STAGES)]], ignore_index=True).sum(axis=1)
    f["conservation_gap"] = (sim.flows[INFLOW] - sim.flows[list(OUTFLOWS)].sum(axis=1)
                             - np.diff(stocks.to_numpy())).to_numpy()
    return f


def flows_frame(result: DemandResult) -> pd.DataFrame:
    """``scenario, quarter, quarter_end, year``, one column per flow in `FLOWS`, ``transfers`` and
    ``conservation_gap`` (children in less children out less the change in stock: zero up to
    rounding)."""
    return _per_scenario(result, lambda run: _flows(result, run))


def parameters_frame(result: DemandResult) -> pd.DataFrame:
    """Every parameter of the run with its value, range, unit, basis and years: the calibrated
    rates, the changes of social worker, the points per child and the starting stocks."""
    frame = result.calibration.frame()
    p: Parameter = result.worker_changes.parameter
    rows = [(p.name, p.value, p.lo, p.hi, p.unit, p.basis, p.years, p.description)]
    for r in result.points.itertuples(index=False):
        rows.append((f"points_per_child.{r.stage}", r.points_per_child, np.nan, np.nan, "caseload points",
                     r.basis, "", f"caseload points one child at the {r.stage} stage carries"))
    start = result.calibration.start(result.start_year)
    imputed = bool(result.calibration.stocks.at[result.start_year, "cla_imputed"])
    for stage in STAGES:
        basis = {"assessment": "[DERIVED] (referrals - referrals_nfa) x time under assessment",
                 "cin": "[DERIVED] cin_at31 - assessment - cp_at31 - cla_at31",
                 "cp": "[DERIVED] cp_at31", "cla": "[DERIVED] cla_at31" + (" (imputed)" if imputed else ""),
                 "care_leaver": "[DERIVED] steady state: care exits x care-leaver share x years supported"}[stage]
        rows.append((f"start.{stage}", start[stage], np.nan, np.nan, "children", basis, str(result.start_year),
                     f"children at the {stage} stage on 31 March {result.start_year}"))
    extra = pd.DataFrame(rows, columns=frame.columns)
    return pd.concat([frame, extra], ignore_index=True)


def levers_frame(result: DemandResult) -> pd.DataFrame:
    """The levers with every scenario's value side by side (see
    :func:`workforce.demand.levers.lever_table`), plus the team structure and investment rows."""
    sets = {k: r.scenario.levers for k, r in result.runs.items()}
    table = lever_table(sets)
    extra = []
    for label, unit, get, basis_of in (
        ("team_structure", "structure name (transfer points)",
         lambda r: f"{r.structure.name} ({r.structure.transfer_points})", lambda r: r.structure.basis),
        ("investment_gbp", "GBP over the horizon", lambda r: r.scenario.investment.amount_gbp,
         lambda r: r.scenario.investment.basis),
    ):
        row = {"lever": label, "unit": unit, "off": np.nan, "lo": np.nan, "hi": np.nan,
               "moves": "transfers" if label == "team_structure" else "investment",
               "effect": ("which team holds each stage; a child changes social worker at every transfer point"
                          if label == "team_structure" else "a cost line: money spent to make the levers happen"),
               "basis": ""}
        for key, run in result.runs.items():
            row[key] = get(run)
            row[f"{key}_basis"] = basis_of(run)
        extra.append(row)
    out = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    return out.astype({k: object for k in result.runs})


def _year_sum(flows: pd.DataFrame, column: str) -> float:
    return float(flows[column].tail(4).sum())


def _change_pct(end: float, start: float) -> float:
    """Percentage change since the start; NaN (not measured) when nothing was there at the start,
    as for an authority whose history has no looked-after children (no division warning)."""
    return 100.0 * (float(end) / float(start) - 1.0) if start > 0 else np.nan


def scenarios_frame(result: DemandResult) -> pd.DataFrame:
    """One row per measure, one column per scenario: where each scenario ends up.

    Columns: ``measure, unit`` and one per scenario.
    """
    rows: list[tuple[str, str, dict[str, float]]] = []

    def add(measure: str, unit: str, fn) -> None:
        rows.append((measure, unit, {k: fn(k, r) for k, r in result.runs.items()}))

    end = result.horizon
    start_stocks = result.runs[BASELINE].simulation.opening
    budget = result.budget.set_index(["scenario", "part"])
    for stage, label in (("assessment", "children under assessment"), ("cin", "children in need (no plan)"),
                         ("cp", "children on a CP plan"), ("cla", "children looked after"),
                         ("care_leaver", "care leavers")):
        add(f"{label} at the end", "children", lambda k, r, s=stage: float(r.simulation.stocks[s].iloc[-1]))
    add("children in need at the end (published measure)", "children",
        lambda k, r: float(r.simulation.stocks[list(PUBLISHED_STOCKS["cin_at31"])].iloc[-1].sum()))
    add("change in children in need", "% since the start", lambda k, r: _change_pct(
        r.simulation.stocks[list(PUBLISHED_STOCKS["cin_at31"])].iloc[-1].sum(),
        start_stocks[list(PUBLISHED_STOCKS["cin_at31"])].sum()))
    add("change in children looked after", "% since the start",
        lambda k, r: _change_pct(r.simulation.stocks["cla"].iloc[-1], start_stocks["cla"]))
    add("referrals in the final year", "referrals", lambda k, r: _year_sum(r.simulation.flows, "referrals"))
    add("re-referral rate in the final year", "% of referrals", lambda k, r: 100.0 * _year_sum(
        r.simulation.flows, "rereferrals") / max(_year_sum(r.simulation.flows, "referrals"), 1e-9))
    add("CP plans started in the final year", "plans", lambda k, r: _year_sum(r.simulation.flows, "cp_start"))
    add("entries to care in the final year", "children", lambda k, r: _year_sum(
        r.simulation.flows, "care_entry_from_cin") + _year_sum(r.simulation.flows, "care_entry_from_cp"))
    add("referrals diverted to early help in the final year", "families",
        lambda k, r: _year_sum(r.simulation.flows, "early_help"))
    add("social-work caseload points at the end", "points", lambda k, r: float(
        r.workforce[(r.workforce["quarter"] == end) & r.workforce["social_work"]]["demand_points"].sum()))
    add("required social-work FTE at the start", "FTE", lambda k, r: float(
        r.workforce[(r.workforce["quarter"] == 0) & r.workforce["social_work"]]["required_fte"].sum()))
    add("required social-work FTE at the end", "FTE", lambda k, r: float(
        r.workforce[(r.workforce["quarter"] == end) & r.workforce["social_work"]]["required_fte"].sum()))
    add("transfer points in the journey", "points", lambda k, r: float(r.structure.transfer_points))
    add("social workers per child in the final year", "workers",
        lambda k, r: float(r.handoffs["sw_per_child_year"].iloc[-1]))
    add("looked-after children with 3+ social workers in the final year", "% (cf. cla_3plus_sw_pct)",
        lambda k, r: 100.0 * float(r.handoffs["cla_3plus_share"].iloc[-1]))
    add("placement cost in the final year", "GBP", lambda k, r: float(budget.at[(k, "placements"), "final_year_gbp"]))
    add("budget in the final year", "GBP", lambda k, r: float(budget.at[(k, "total"), "final_year_gbp"]))
    add("investment", "GBP", lambda k, r: float(budget.at[(k, "investment"), "cost_gbp"]))
    add("net saving over the horizon", "GBP", lambda k, r: float(budget.at[(k, "total"), "saving_gbp"]))
    add("net saving over the horizon", "% of the budget",
        lambda k, r: 100.0 * float(budget.at[(k, "total"), "share_of_budget"]))
    add("saving in the final year", "% of the final year's budget",
        lambda k, r: 100.0 * float(budget.at[(k, "total"), "final_year_share"]))
    out = pd.DataFrame([{"measure": m, "unit": u, **v} for m, u, v in rows])
    return out


def _per_scenario(result: DemandResult, frame_of) -> pd.DataFrame:
    """One frame per scenario run, stacked, with a leading ``scenario`` column."""
    frames = []
    for key, run in result.runs.items():
        f = frame_of(run)
        f.insert(0, "scenario", key)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def placements_frame(result: DemandResult) -> pd.DataFrame:
    """``scenario, quarter, quarter_end, year, placement_type, children, child_weeks, weekly_gbp,
    cost_gbp`` for every scenario."""
    return _per_scenario(result, lambda run: _dates(result, run.placements))


def required_fte_frame(result: DemandResult) -> pd.DataFrame:
    """``scenario`` plus :func:`workforce_requirement`'s columns, for every scenario."""
    return _per_scenario(result, lambda run: run.workforce.copy())


def handoffs_frame(result: DemandResult) -> pd.DataFrame:
    """``scenario, quarter, quarter_end, year, transfers, transfer_points, sw_per_child_year,
    cla_3plus_share`` for every scenario."""
    return _per_scenario(result, lambda run: _dates(result, run.handoffs))


def workforce_requirement(result: DemandResult, scenario: str | None = None) -> pd.DataFrame:
    """What the recruitment plan reads: the workforce one scenario's demand needs.

    Parameters
    ----------
    result : DemandResult
    scenario : str, optional
        Default: the run's chosen scenario.

    Returns
    -------
    DataFrame
        One row per quarter and team type: ``quarter`` (0 = the start, then 1..H),
        ``quarter_end``, ``year``, ``team_type``, ``social_work`` (False for personal advisers),
        ``demand_points``, ``demand_children``, ``required_fte`` (at the safe standard, before
        absence; NaN where no role mix is known).
    """
    key = scenario or result.chosen
    if key not in result.runs:
        raise KeyError(f"unknown scenario '{key}' (scenarios: {', '.join(result.runs)})")
    cols = ["quarter", "quarter_end", "year", "team_type", "social_work", "demand_points", "demand_children",
            "required_fte"]
    return result.runs[key].workforce[cols].copy()


def output_frames(result: DemandResult) -> dict[str, pd.DataFrame]:
    """Every table of a run by its output name (the CSV files and the workbook's sheets)."""
    return {
        "scenarios": scenarios_frame(result), "levers": levers_frame(result), "stocks": stocks_frame(result),
        "flows": flows_frame(result), "required_fte": required_fte_frame(result),
        "handoffs": handoffs_frame(result), "placements": placements_frame(result),
        "unit_costs": result.unit_costs, "budget": result.budget, "parameters": parameters_frame(result),
        "fit": result.fit, "fit_mape": result.fit_mape,
    }


def demand_sheet_tables(result: DemandResult) -> dict[str, pd.DataFrame]:
    """The tables of a Demand sheet, in order: stocks and flows of the chosen scenario, the levers
    and the scenarios side by side (table name -> frame, ready for ``SafeWorkbook.add_table_sheet``)."""
    stocks = stocks_frame(result)
    flows = flows_frame(result)
    chosen = result.chosen
    return {
        "Demand_scenarios": scenarios_frame(result),
        "Demand_levers": levers_frame(result),
        "Demand_stocks": stocks[stocks["scenario"] == chosen].drop(columns="scenario").reset_index(drop=True),
        "Demand_flows": flows[flows["scenario"] == chosen].drop(columns=["scenario", "conservation_gap"])
        .reset_index(drop=True),
    }

