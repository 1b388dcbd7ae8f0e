"""The whole plan in one call: every leaver, the L&D gateway, the recruitment plan, carrying on as
now, the census measures, where the trajectory sits among real authorities, the Monte Carlo.

`build_plan` is what `workforce plan`, `workforce run` and the demo call; it is a pure function of
its inputs and the seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workforce import measures
from workforce.errors import InputError
from workforce.plans.assumptions import Assumptions, assumptions_frame
from workforce.plans.census_measures import absence_today, census_frame, vacancies
from workforce.plans.costs import agency_cost_per_fte_year, hire_fee_gbp, unit_costs
from workforce.plans.feasibility import Feasibility, feasibility_bounds, trajectory_report
from workforce.plans.gateway import apply_gateway, gateway_summary, plan_gateway
from workforce.plans.leaving import REASONS, leaving_rates, observed_flows, risk_gaps, worker_leaving
from workforce.plans.montecarlo import (Outcome, binding_dimension, carry_on_policy, expected, montecarlo_frame,
                                        montecarlo_summary, no_hires_capacity, plan_policy, service_capacity,
                                        service_coverage, service_need, simulate_pair)
from workforce.plans.projection import Workforce, build_workforce, plan_start_basis, plan_start_date, project
from workforce.plans.recruitment import (Binding, RecruitmentInputs, binding_limits, recruitment_inputs,
                                         solve_recruitment, today_capacity, unit_base)
from workforce.plans.start import apply_start

#: Columns an establishment frame may carry (one of the FTE columns is required).
ESTABLISHMENT_FTE = ("funded_fte", "establishment_fte")


@dataclass
class PlanResult:
    """The frames of a plan (columns in docs/architecture.md and `workforce.plans.columns`) and a
    summary."""

    assumptions: Assumptions
    assumptions_frame: pd.DataFrame
    projection: pd.DataFrame
    gateway: pd.DataFrame
    gateway_programmes: pd.DataFrame
    recruitment: pd.DataFrame
    recruitment_totals: pd.DataFrame
    montecarlo: pd.DataFrame
    leaving: pd.DataFrame
    census: pd.DataFrame = field(default_factory=pd.DataFrame)
    trajectories: pd.DataFrame = field(default_factory=pd.DataFrame)
    unit_costs: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict = field(default_factory=dict)


def _check_inputs(workers: pd.DataFrame, cases: pd.DataFrame, risk: pd.DataFrame | None,
                  establishment: pd.DataFrame | None) -> None:
    need_w = ("worker_id", "team", "locality", "role", "asye", "agency", "fte", "start_date", "available")
    need_c = ("family_id", "case_type", "court", "locality")
    for name, frame, cols in (("workers", workers, need_w), ("cases", cases, need_c)):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}", file=name, row=1)
    if len(workers) == 0:
        raise InputError("has no workers", file="workers")
    if risk is not None:
        for col in ("worker_id", "p_leave"):
            if col not in risk.columns:
                raise InputError("missing column", file="risk", row=1, column=col)
        p = pd.to_numeric(risk["p_leave"], errors="coerce")
        bad = p.isna() | (p < 0) | (p > 1)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError("p_leave must be a number from 0 to 1", file="risk", row=row, column="p_leave")
    if establishment is not None:
        column = next((c for c in ESTABLISHMENT_FTE if c in establishment.columns), None)
        if column is None:
            raise InputError("missing column", file="establishment", row=1, column="funded_fte",
                             allowed="funded_fte (or establishment_fte), optionally team, role, locality")
        values = pd.to_numeric(establishment[column], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError("must be a number of FTE, 0 or more", file="establishment", row=row, column=column)


def establishment_by_unit(establishment: pd.DataFrame | None, workers: pd.DataFrame, units: list[str],
                          unit_col: str) -> tuple[np.ndarray, str]:
    """Funded FTE per unit (and one last entry for posts in no unit of the plan), and its basis.

    Without an establishment: today's staff in post, LA-employed and agency (the posts agency
    staff fill are vacancies). With a `team` column each team's posts go to its unit (a team the
    workers table does not know holds vacant posts only); without one, one authority total."""
    index = {u: i for i, u in enumerate(units)}
    out = np.zeros(len(units) + 1)
    if establishment is None:
        fte = workers.groupby(workers[unit_col].astype(str))["fte"].sum()
        for unit, value in fte.items():
            out[index[str(unit)]] += float(value)
        return out, "[DEFAULT] today's staff in post, LA-employed and agency (no funded establishment given)"
    column = next(c for c in ESTABLISHMENT_FTE if c in establishment.columns)
    values = pd.to_numeric(establishment[column], errors="coerce").astype(float)
    if "team" not in establishment.columns:
        out[-1] = float(values.sum())
        return out, f"the funded establishment given ({values.sum():,.1f} FTE, one authority total)"
    if unit_col == "team":
        keys = establishment["team"].astype(str)
    else:
        team_unit = workers.drop_duplicates("team").set_index(workers.drop_duplicates("team")["team"].astype(str))[unit_col]
        keys = establishment["team"].astype(str).map(team_unit.astype(str))
        if "locality" in establishment.columns:
            keys = keys.fillna(establishment["locality"].astype(str))
    for key, value in zip(keys, values):
        out[index.get(str(key), len(units))] += float(value)
    return out, f"the funded establishment given ({values.sum():,.1f} FTE by team)"


def posts_by_unit(establishment: pd.DataFrame | None, est: np.ndarray) -> np.ndarray | None:
    """The funded posts per unit the recruitment plan appoints to (`RecruitmentInputs.establishment`),
    or None when it does not know them: no establishment given (the default, today's staff in post,
    is the vacancy measure's convention, not a list of funded posts) or one authority total."""
    if establishment is None or est[:-1].sum() <= 0:
        return None
    return est[:-1].copy()


def unit_vacancies(est: np.ndarray, la_unit: np.ndarray) -> np.ndarray:
    """Vacancies (..., quarters) from establishment per unit (+ the unplaced entry) and LA-employed
    FTE per unit (..., units, quarters): unit by unit when the establishment is by unit (posts in
    no unit of the plan all vacant), else on the authority total."""
    la_unit = np.asarray(la_unit, dtype=float)
    if est[:-1].sum() <= 0:  # one authority total
        return np.clip(est[-1] - la_unit.sum(axis=-2), 0.0, None)
    by_unit = np.moveaxis(la_unit, -2, 0)
    return vacancies(est[:-1].reshape((-1,) + (1,) * (by_unit.ndim - 1)), by_unit) + est[-1]


def _risk_frame(workers: pd.DataFrame, wf_now: Workforce, wf_plan: Workforce, source: np.ndarray) -> pd.DataFrame:
    """Each worker's chance of leaving in the plan's first year by reason, before and after L&D."""
    def year(wf: Workforce) -> np.ndarray:
        h = wf.hazard[:, :min(4, wf.horizon), :]
        before = np.concatenate([np.ones((len(h), 1)), np.cumprod(1.0 - h.sum(axis=2), axis=1)[:, :-1]], axis=1)
        return (before[:, :, None] * h).sum(axis=1)

    now, after = year(wf_now), year(wf_plan)
    return pd.DataFrame({
        "worker_id": workers["worker_id"].astype(str).to_numpy(),
        "team": workers["team"].astype(str).to_numpy(),
        "locality": workers["locality"].astype(str).to_numpy(),
        "agency": workers["agency"].astype(bool).to_numpy(),
        "p_leave": now.sum(axis=1),
        **{f"p_{r}": now[:, k] for k, r in enumerate(REASONS)},
        "p_leave_after": after.sum(axis=1),
        "p_agency_end": 1.0 - (1.0 - wf_now.agency_hazard) ** 4,
        "source": source,
    })


def _recruitment_frames(inp: RecruitmentInputs, dec, plan: Outcome, carry: Outcome, projection: pd.DataFrame,
                        est: np.ndarray, starts: pd.DatetimeIndex, gateway_spend: np.ndarray,
                        hold: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `recruitment` (per quarter x unit) and `recruitment_totals` (per quarter) frames."""
    H, units = inp.horizon, inp.units
    col = inp.a.recruitment.unit
    required = projection.groupby([col, "quarter"])["required_fte"].sum()
    cap, need = binding_dimension(plan.capacity[0], plan.need[0])
    la_unit = plan.la_unit_fte[0]
    start_unit = np.concatenate([inp.base.perm_start[:, :1], la_unit[:, :-1]], axis=1)
    vac_unit = np.clip(est[:-1, None] - la_unit, 0.0, None) if est[:-1].sum() > 0 else np.full_like(la_unit, np.nan)
    rows = []
    for u, unit in enumerate(units):
        for q in range(H):
            rows.append({
                "quarter": q + 1, "quarter_start_date": starts[q], "unit": unit,
                "permanent_hires": int(dec.hires[u, q]), "hires_starting": float(plan.hires_starting[0, u, q]),
                "nq_intake": int(dec.nq[u, q]), "permanent_start_fte": float(start_unit[u, q]),
                "permanent_fte": float(la_unit[u, q]), "agency_fte": float(plan.agency_unit_fte[0, u, q]),
                "required_fte": float(required.get((unit, q + 1), 0.0)), "need_case_holder_fte": float(need[u, q]),
                "capacity_case_holder_fte": float(cap[u, q]),
                "coverage": float(cap[u, q] / need[u, q]) if need[u, q] > 0 else np.nan,
                "establishment_fte": float(est[u]),
                "vacancies_fte": float(vac_unit[u, q]),
                "carry_on_permanent_fte": float(carry.la_unit_fte[0, u, q]),
                "carry_on_agency_fte": float(carry.agency_unit_fte[0, u, q]),
            })
    per_unit = pd.DataFrame(rows)
    vac_plan = unit_vacancies(est, la_unit)
    vac_carry = unit_vacancies(est, carry.la_unit_fte[0])
    rate = measures.agency_rate

    totals = pd.DataFrame({
        "quarter": np.arange(1, H + 1), "quarter_start_date": starts[:H],
        "required_fte": [float(required.xs(q, level="quarter").sum()) for q in range(1, H + 1)],
        "establishment_fte": float(est.sum()),
        "permanent_fte": plan.la_fte[0], "agency_fte": plan.agency_fte[0],
        "case_holder_fte": plan.case_holder_fte[0],
        "agency_rate": rate(plan.agency_fte[0], plan.la_fte[0]),
        "vacancies_fte": vac_plan, "vacancy_rate": measures.vacancy_rate(vac_plan, plan.la_fte[0]),
        "permanent_hires": dec.hires.sum(axis=0).astype(int), "hires_starting": plan.hires_starting[0].sum(axis=0),
        "nq_intake": dec.nq.sum(axis=0).astype(int), "starters_fte": plan.starters_fte[0],
        "refilled_fte": plan.refilled_fte[0],
        "leavers_fte": plan.leavers_fte[0],
        "pay_cost_gbp": plan.cost[0] - plan.fees[0] - plan.agency_cost[0] - gateway_spend,
        "agency_cost_gbp": plan.agency_cost[0], "recruitment_cost_gbp": plan.fees[0],
        "gateway_cost_gbp": gateway_spend, "cost_gbp": plan.cost[0],
        "carry_on_permanent_fte": carry.la_fte[0], "carry_on_agency_fte": carry.agency_fte[0],
        "carry_on_agency_rate": rate(carry.agency_fte[0], carry.la_fte[0]),
        "carry_on_vacancy_rate": measures.vacancy_rate(vac_carry, carry.la_fte[0]),
        "carry_on_starters_fte": carry.starters_fte[0], "carry_on_refilled_fte": carry.refilled_fte[0],
        "carry_on_cost_gbp": carry.cost[0],
        "hold_agency_rate": rate(hold["agency_fte"], hold["in_post_fte"]), "hold_cost_gbp": hold["cost_gbp"],
        "coverage": service_coverage(plan)[0], "carry_on_coverage": service_coverage(carry)[0],
    })
    totals["saving_gbp"] = totals["carry_on_cost_gbp"] - totals["cost_gbp"]
    return per_unit, totals


def _hold(wf: Workforce, a: Assumptions, projection: pd.DataFrame) -> dict[str, np.ndarray]:
    """Holding today's headcount: every leaver replaced like for like at once (LA-employed and
    agency FTE as today), paying today's pay and agency and a recruitment fee per leaver."""
    H = wf.horizon
    la = ~wf.agency
    leavers = (wf.total_hazard * wf.paid_fte[:, None])[la].sum(axis=0)
    pay = wf.cost_q[la].sum(axis=0)
    agency = wf.cost_q[wf.agency].sum(axis=0) if wf.agency.any() else np.zeros(H)
    children = projection.groupby("quarter")["demand_children"].sum().to_numpy()
    return {"in_post_fte": np.full(H, wf.paid_fte[la].sum()), "agency_fte": np.full(H, wf.paid_fte[wf.agency].sum()),
            "leavers_fte": leavers, "cost_gbp": pay + agency + leavers * hire_fee_gbp(a),
            "case_holder_fte": np.full(H, (wf.paid_fte * wf.holds[:, 0]).sum()), "children": children}


def _census(plan: Outcome, carry: Outcome, demand_factor: np.ndarray, hold: dict, est: np.ndarray, today: dict,
            children: np.ndarray, starts: pd.DatetimeIndex) -> pd.DataFrame:
    """The census measures of the plan and carrying on as now (medians of the simulated futures)
    and of holding today's headcount."""
    frames = []
    for name, o in (("plan", plan), ("carry_on", carry)):
        frames.append(census_frame(name, {
            "in_post_fte": o.la_fte, "leavers_fte": o.leavers_fte, "agency_fte": o.agency_fte,
            "case_holder_fte": o.case_holder_fte, "children": children[None, :] * demand_factor,
            "establishment_fte": np.full(len(children), est.sum()),
            "vacancies_fte": unit_vacancies(est, o.la_unit_fte)}, today, starts))
    frames.append(census_frame("hold", {**hold, "establishment_fte": np.full(len(children), est.sum()),
                                        "vacancies_fte": np.full(len(children), today["vacancies_fte"])}, today, starts))
    return pd.concat(frames, ignore_index=True)


def _yearly(census: pd.DataFrame, scenario: str, measure: str, horizon: int) -> list[float]:
    part = census[census["scenario"] == scenario].set_index("quarter")[measure]
    return [float(part.loc[q]) for q in range(4, horizon + 1, 4)][:3]


def build_plan(workers: pd.DataFrame, cases: pd.DataFrame, risk: pd.DataFrame | None = None,
               assumptions: Assumptions | None = None, *, seed: int | None = None,
               demand: pd.DataFrame | None = None, history: pd.DataFrame | None = None,
               hazards: pd.DataFrame | None = None, establishment: pd.DataFrame | None = None) -> PlanResult:
    """Run the whole plan.

    Parameters
    ----------
    workers, cases : DataFrame
        Typed frames (`workforce.contracts.load_*`); `workers` may carry `team_type`.
    risk : DataFrame, optional
        The risk register: `worker_id, p_leave` (chance of leaving for any reason within
        `projection.risk_horizon_months`) and, when it has them, the chances by reason
        (`p_voluntary_12m`, `p_retire_12m`, `p_other_12m`).
    assumptions : Assumptions, optional
        The plan assumptions and their capacity model (default: the shipped ones).
    seed : int, optional
        Overrides `montecarlo.seed` (and is recorded in the assumptions returned).
    demand : DataFrame, optional
        The workforce the child's journey needs: the frame
        :func:`workforce.demand.workforce_requirement` returns (`quarter` 0 = the start, then
        1..; `team_type`, `social_work`, `demand_points`, `demand_children`). Each team follows
        its team type's demand relative to the start (workers' optional `team_type`; the whole
        service's when absent), so demand a lever avoids shows up as hires and agency the plan
        does not need. None: today's caseload, moved only by `demand.referral_trend_rate`.
    history : DataFrame, optional
        Typed `hr_history`: the authority's own leaving rates by reason (for whatever the model
        or risk table does not cover), agency tenures, and starters by kind (carrying on as now).
    hazards : DataFrame, optional
        :func:`workforce.retention.model.predict_hazards` from the plan's first day: each
        worker's quarterly hazards by reason (they take precedence over `risk`).
    establishment : DataFrame, optional
        The funded establishment: `funded_fte` (or `establishment_fte`), by `team` (and
        `role`) where known, or one authority total. Default: today's staff in post.

    Returns
    -------
    PlanResult

    Raises
    ------
    InputError
        A frame lacks a column the plan needs, there are no workers, a p_leave is outside 0-1,
        an establishment value is not a number, or the demand frame is not a
        `workforce_requirement` frame.
    """
    timings: dict[str, float] = {}
    began = time.perf_counter()
    a = assumptions or Assumptions()
    if seed is not None and seed != a.montecarlo.seed:
        try:
            a = a.with_values({"montecarlo.seed": int(seed)}, basis="the run's --seed")
        except InputError as exc:
            # the assumptions' range check refused it: name the option typed, not an assumptions row
            raise InputError("; ".join(p.message.split(": ", 1)[-1] for p in exc.problems), column="--seed") from None
    _check_inputs(workers, cases, risk, establishment)
    workers = workers.reset_index(drop=True)
    start = plan_start_date(a, workers, cases)

    flows = observed_flows(history)
    rates = leaving_rates(a, flows)
    leaving = worker_leaving(workers, risk, hazards, rates, a)
    coverage = risk_gaps(workers, risk, rates) if risk is not None else None
    workers, leaving = apply_start(workers, leaving, a, a.montecarlo.seed)
    wf_now = build_workforce(workers, leaving, a, start)

    t = time.perf_counter()
    gateway = plan_gateway(wf_now, a, start)
    wf_plan = apply_gateway(wf_now, gateway, a)
    timings["gateway_seconds"] = time.perf_counter() - t

    projection = project(workers, cases, wf_now, a, demand)
    need = projection.assign(locality=projection["locality"].astype(str))
    base_now = unit_base(wf_now, sorted(set(wf_now.unit)))
    feasibility = feasibility_bounds(a, base_now.agency_start_rate, base_now.la_fte_today)

    t = time.perf_counter()
    inp = recruitment_inputs(a, wf_plan, need, feasibility, gateway.spend_by_quarter, now=wf_now,
                             observed=rates.starter_rates)
    est, est_basis = establishment_by_unit(establishment, workers, inp.units, a.recruitment.unit)
    inp.establishment = posts_by_unit(establishment, est)
    dec, report, relaxed = solve_recruitment(inp)
    timings["recruitment_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    plan_rule = plan_policy(dec, gateway.spend_by_quarter, gateway.chosen, inp.coverage, inp.pipeline)
    carry_rule = carry_on_policy(rates.starter_rates, inp)
    plan_exp, carry_exp = expected(wf_plan, inp, plan_rule), expected(wf_now, inp, carry_rule)
    sim_plan, sim_carry, sim_draws = simulate_pair(wf_plan, wf_now, inp, plan_rule, carry_rule, runs=a.montecarlo.runs,
                                           seed=a.montecarlo.seed)
    timings["montecarlo_seconds"] = time.perf_counter() - t

    hold = _hold(wf_now, a, projection)
    recruitment, totals = _recruitment_frames(inp, dec, plan_exp, carry_exp, projection, est, wf_now.starts,
                                              gateway.spend_by_quarter, hold)
    la_today = float(wf_now.paid_fte[~wf_now.agency].sum())
    absence, absence_basis = absence_today(workers, a.demand.absence_rate)
    children = projection.groupby("quarter")["demand_children"].sum().to_numpy()
    la_unit_today = np.zeros(len(inp.units))
    np.add.at(la_unit_today, [inp.units.index(u) for u in wf_now.unit[~wf_now.agency]], wf_now.paid_fte[~wf_now.agency])
    observed = flows.latest_turnover() if flows is not None else None
    today = {
        "in_post_fte": la_today, "agency_fte": float(wf_now.paid_fte[wf_now.agency].sum()),
        "establishment_fte": float(est.sum()), "vacancies_fte": float(unit_vacancies(est, la_unit_today[:, None])[0]),
        "case_holder_fte": float((wf_now.paid_fte * wf_now.holds[:, 0]).sum()),
        "children": float(len(cases)), "turnover_rate": observed if observed is not None else np.nan,
        "absence_rate": absence,
    }
    census = _census(sim_plan, sim_carry, sim_draws.demand, hold, est, today, children, wf_now.starts)
    starts_now = census[(census["scenario"] == "plan") & (census["quarter"] == 0)].iloc[0]
    trajectories = trajectory_report(
        {m: starts_now[m] for m in ("agency_rate", "vacancy_rate", "turnover_rate")},
        {m: _yearly(census, "plan", m, a.projection.horizon_quarters) for m in ("agency_rate", "vacancy_rate",
                                                                                 "turnover_rate")})

    summary = _summary(a, workers, cases, start, wf_now, wf_plan, leaving, rates, gateway, inp, dec, report, relaxed,
                       feasibility, totals, census, trajectories, sim_plan, sim_carry, projection,
                       {"establishment": est_basis, "absence": absence_basis,
                        "turnover_today": "observed in hr_history, latest census year" if observed is not None
                        else "not known (no hr_history)"})
    if coverage is not None:
        summary.update(coverage.summary())
    summary.update({k: round(v, 3) for k, v in timings.items()})
    summary["seconds"] = round(time.perf_counter() - began, 3)
    return PlanResult(a, assumptions_frame(a), projection, gateway.workers, gateway.programmes, recruitment, totals,
                      montecarlo_frame(sim_plan, sim_carry, wf_now.starts, no_hires_capacity(wf_now, inp)),
                      _risk_frame(workers, wf_now, wf_plan, leaving.source),
                      census, trajectories, unit_costs(a), summary)


#: Below this chance of meeting the agency target in the simulated futures, the note says so.
LIKELY = 0.5
#: Agency in posts the plan does not recruit for is named in the note when it is at least this
#: much of the agency rate at the end: a point of the rate, the precision the rates are read at.
MATERIAL_RATE = 0.01


def quarter_span(quarters: list[int]) -> str:
    """Quarters in words, runs joined: [1, 2, 3, 5] -> "quarters 1-3 and 5"."""
    runs: list[list[int]] = []
    for q in sorted(quarters):
        if runs and q == runs[-1][1] + 1:
            runs[-1][1] = q
        else:
            runs.append([q, q])
    parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs]
    word = "quarter" if len(quarters) == 1 else "quarters"
    return f"{word} {', '.join(parts[:-1]) + ' and ' + parts[-1] if len(parts) > 1 else parts[0]}"


def binding_words(b: Binding) -> list[str]:
    """The limits that bind in the plan shown (:func:`workforce.plans.recruitment.binding_limits`),
    in words; none that does not bind."""
    out = []
    if b.hiring_cap_quarters:
        out.append(f"at most {b.hiring_cap:g} experienced appointments a quarter (reached in "
                   f"{quarter_span(b.hiring_cap_quarters)})")
    if b.nq_cohorts:
        out.append(f"at most {b.nq_places:g} newly qualified a cohort (all taken in {quarter_span(b.nq_cohorts)})")
    if b.full_units:
        n = len(b.full_units)
        out.append(f"the funded posts of {n} of the {b.case_holding_units} case-holding teams full while agency "
                   "covers more of their need")
    if b.pace_quarters:
        out.append(f"agency falling no faster than comparable authorities managed (reached in "
                   f"{quarter_span(b.pace_quarters)})")
    if b.safe_caseloads:
        out.append(f"safe caseloads by quarter {b.safe_quarter}")
    return out


def outside_words(b: Binding | None) -> str:
    """The agency the plan keeps in posts it does not recruit for, when it is material
    (`MATERIAL_RATE`); else nothing."""
    if b is None or b.agency_outside_rate < MATERIAL_RATE:
        return ""
    return (f"; {b.agency_outside_fte:.0f} FTE of agency ({100 * b.agency_outside_rate:.0f} points of the agency rate "
            "at the end) is in posts that hold no cases (managers, front door, reviewing and the like), which the "
            "plan does not recruit for and keeps as it is")


#: A chance of meeting the agency target at or above this, though the central projection misses it,
#: is said beside "out of reach" (on the demo the central projection ends 0.1 point above the target
#: and half the futures meet it).
MISSED_BY_CHANCE = 0.05


def recruitment_note(a: Assumptions, inp: RecruitmentInputs, report, relaxed: bool, target_met: bool,
                     budget_met: bool, p_meet_agency: float | None = None, binding: Binding | None = None,
                     pace: str | None = None, central_rate: float | None = None) -> str:
    """What the recruitment solver's status means for a reader (:func:`targets_note`), and, when
    the solver stopped at its time limit, that the plan may differ in another run
    (:func:`time_limit_note`)."""
    return targets_note(a, inp, report, relaxed, target_met, budget_met, p_meet_agency, binding, pace,
                        central_rate) + time_limit_note(a, report)


def time_limit_note(a: Assumptions, report) -> str:
    """'' unless the recruitment solver stopped at its time limit: then how far its plan may be from
    the best and that a rerun (or a busier machine, which gets less done in the same seconds) may
    give another plan, with the setting that gives one that repeats. A plan stopped by the clock
    is not the same answer twice, and a reader comparing two runs (say, before and after an edit
    to the Assumptions sheet) must know the difference may be the clock's."""
    if getattr(report, "limit", None) != "time" or not report.has_solution:
        return ""
    gap = f", {report.gap:.1%} from the best possible plan" if report.gap is not None else ""
    return (f"; the solver stopped at its time limit (recruitment.time_limit_seconds = "
            f"{a.recruitment.time_limit_seconds:g} s){gap}, so another run, or a busier machine, may give a "
            "different plan: raise the limit for a plan that repeats")


def targets_note(a: Assumptions, inp: RecruitmentInputs, report, relaxed: bool, target_met: bool,
                 budget_met: bool, p_meet_agency: float | None = None, binding: Binding | None = None,
                 pace: str | None = None, central_rate: float | None = None) -> str:
    """What the recruitment solver's status means for a reader: every target met, or which was out
    of reach, the limits that bind in the plan shown (`binding`: only those), how much agency is in
    posts the plan does not recruit for when that is material, and that the closest (elastic) plan
    is shown. The targets are met in the central projection; where the simulated futures meet the
    agency target less often than not (`p_meet_agency`, below `LIKELY`), the note says so, beside
    "every target met". `pace` is the basis of the fastest fall in agency allowed when the agency
    target was lifted to it (None when it was not): a target held to that pace is missed, never
    "met". `central_rate` is the central projection's highest agency rate from the target quarter:
    given, a missed target says by how much (a rate a hair above it reads 15.0% elsewhere)."""
    if not report.has_solution:
        return f"no recruitment plan found ({report.status}): {report.message}"
    if not relaxed and pace is not None and not target_met:
        return (f"the agency target ({a.recruitment.agency_share_target:.0%} from quarter "
                f"{a.recruitment.agency_target_quarter}) needs agency to fall faster than the pace allowed ({pace}): "
                f"the plan falls at that pace instead, every other target met in the central projection "
                f"({report.status})")
    if not relaxed:
        note = f"every target met in the central projection ({report.status})"
        if p_meet_agency is not None and p_meet_agency < LIKELY:
            note += (f"; the agency target holds in only {p_meet_agency:.0%} of the simulated futures, where teams "
                     "that fall short by chance buy extra agency: more appointments or a later target would make "
                     "it likelier")
        return note
    missed = []
    if not target_met:
        missed.append(f"the agency target ({a.recruitment.agency_share_target:.0%} from quarter "
                      f"{a.recruitment.agency_target_quarter})")
    if not budget_met:
        missed.append(f"the budget (GBP {a.recruitment.budget_gbp:,.0f})")
    what = " and ".join(missed) or "the targets"
    limits = binding_words(binding) if binding is not None else []
    why = f": with {', '.join(limits[:-1]) + ' and ' + limits[-1] if len(limits) > 1 else limits[0]}, no plan meets it" \
        if limits else ""
    note = (f"{what} out of reach{why}{outside_words(binding)}; the closest plan (elastic model, {report.status}) "
            "is shown")
    if not target_met and p_meet_agency is not None and p_meet_agency >= MISSED_BY_CHANCE:
        # out of reach in the central projection, yet the futures' median may sit at the target: say
        # both, or the note contradicts the agency rate and the chance printed beside it
        by = "" if central_rate is None else f" ({central_rate:.2%} at its highest from quarter " \
            f"{a.recruitment.agency_target_quarter}, against {a.recruitment.agency_share_target:.0%})"
        note += (f"; it misses the target in the central projection{by}, yet {p_meet_agency:.0%} of the simulated "
                 "futures meet it")
    return note


def cost_note(cost: float, base: float, cover_now: float, cover_end: float, carry_end: float, safe_quarter: int,
              horizon: int) -> str:
    """The plan's cost against carrying on as now, and where each leaves caseloads, in words. It
    claims the plan buys safe caseloads only where carrying on does not reach them too. It names
    no amount: the saving is reported as figures beside it (`saving_gbp` from the central
    projection, the Monte Carlo's median and P10-P90 on the Summary sheet), and a second amount
    in words would disagree with the median a reader sees next to it."""
    reached = safe_quarter <= horizon
    when = f"100% by quarter {safe_quarter}" if reached else f"{cover_end:.0%} by the end"
    cover = (f"staff and agency hold {cover_now:.0%} of the safe-caseload need today, {when} with the plan, "
             f"{carry_end:.0%} at the end carrying on as now")
    level = "caseloads at the safe level" if reached else "caseloads nearer the safe level"
    if cost > base:
        return f"the plan costs more than carrying on as now: it buys {level} ({cover})"
    if carry_end >= min(cover_end, 1.0) - 0.01:
        return (f"the plan costs less than carrying on as now for caseloads at the same safe level ({cover}): "
                "permanent staff in place of agency")
    return f"the plan costs less than carrying on as now and brings {level} ({cover})"


def _summary(a, workers, cases, start, wf_now, wf_plan, leaving, rates, gateway, inp, dec, report, relaxed,
             feasibility: Feasibility, totals, census, trajectories, sim_plan, sim_carry, projection,
             bases: dict[str, str]) -> dict[str, Any]:
    la = ~wf_now.agency
    fte = wf_now.paid_fte
    year_now = 1.0 - np.prod(1.0 - wf_now.total_hazard[:, :4], axis=1)
    year_after = 1.0 - np.prod(1.0 - wf_plan.total_hazard[:, :4], axis=1)
    plan_c = census[census["scenario"] == "plan"].set_index("quarter")
    carry_c = census[census["scenario"] == "carry_on"].set_index("quarter")
    H = a.projection.horizon_quarters
    target_q = a.recruitment.agency_target_quarter
    after = totals[totals["quarter"] >= target_q]
    met = bool((after["agency_rate"] <= a.recruitment.agency_share_target + 1e-6).all()) if len(after) else True
    lifted = bool(np.nanmax(inp.agency_target) > a.recruitment.agency_share_target + 1e-9) \
        if inp.agency_target is not None and np.isfinite(inp.agency_target).any() else False
    beyond = trajectories[trajectories["beyond_all"]]
    cost, base = float(totals["cost_gbp"].sum()), float(totals["carry_on_cost_gbp"].sum())
    simulated = montecarlo_summary(sim_plan, sim_carry, inp, a.montecarlo.runs, a.montecarlo.seed)
    held_now, need_now = binding_dimension(today_capacity(wf_now, inp.units), inp.demand[:, 0, :])
    cover_now = float(held_now.sum() / need_now.sum()) if need_now.sum() > 0 else float("nan")
    cover_end, carry_end = float(totals["coverage"].iloc[-1]), float(totals["carry_on_coverage"].iloc[-1])
    budget = a.recruitment.budget_gbp
    return {
        "start_date": start.date().isoformat(),
        "start_date_basis": plan_start_basis(a, workers, cases),
        "horizon_quarters": H,
        "price_year": int(a.costs.price_year),
        "workers": int(len(workers)),
        "cases": int(len(cases)),
        "start_turnover_rate": float(np.average(year_now[la], weights=fte[la])) if la.any() else None,
        "turnover_rate_after_gateway": float(np.average(year_after[la], weights=fte[la])) if la.any() else None,
        **{f"observed_{r}_rate": v for r, v in rates.reason_rates.items()},
        "observed_agency_end_rate": rates.agency_end_rate,
        **{f"starter_rate_{k}": v for k, v in rates.starter_rates.items()},
        **{f"basis_{k}": v for k, v in {**rates.basis, **bases}.items()},
        "leaving_sources": {str(k): int(v) for k, v in pd.Series(leaving.source).value_counts().items()},
        "required_fte_start": float(projection.loc[projection["quarter"] == 1, "required_fte"].sum()),
        "capacity_fte_start": float(projection.loc[projection["quarter"] == 1, "capacity_fte"].sum()),
        "expected_leavers_no_plan": float(projection["leavers_fte"].sum()),
        **gateway_summary(gateway, a),
        **report.as_dict("recruitment"),
        "recruitment_relaxed": relaxed,
        "recruitment_note": recruitment_note(a, inp, report, relaxed, met, budget <= 0 or cost <= budget + 1e-6,
                                             simulated["p_meet_agency_target"], binding_limits(inp, dec),
                                             feasibility.basis.get("agency", "the feasibility floor") if lifted else None,
                                             central_rate=float(after["agency_rate"].max()) if len(after) else None),
        "coverage_today": cover_now,
        "coverage_end": cover_end,
        "carry_on_coverage_end": carry_end,
        "safe_caseload_quarter_set": int(a.recruitment.safe_caseload_quarter),
        "safe_caseload_quarter": int(inp.safe_quarter),
        "cost_note": cost_note(cost, base, cover_now, cover_end, carry_end, inp.safe_quarter, H),
        "lead_time_quarters": inp.lead,
        "plan_cost_gbp": cost,
        "baseline_cost_gbp": base,
        "saving_gbp": base - cost,
        "saving_pct": 100.0 * (base - cost) / base if base > 0 else None,
        "agency_rate_start": float(plan_c.loc[0, "agency_rate"]),
        "agency_rate_end": float(plan_c.loc[H, "agency_rate"]),
        "carry_on_agency_rate_end": float(carry_c.loc[H, "agency_rate"]),
        "hold_agency_rate_end": float(totals["hold_agency_rate"].iloc[-1]),
        "agency_share_target": a.recruitment.agency_share_target,
        "agency_target_quarter": target_q,
        "agency_rate_end_expected": float(totals["agency_rate"].iloc[-1]) if len(totals) else None,
        "agency_target_met": met,
        "agency_target_lifted_to_feasible": lifted,
        "permanent_hires": int(dec.hires.sum()),
        "hires_starting": float(totals["hires_starting"].sum()),
        "nq_intake": int(dec.nq.sum()),
        "carry_on_starters_fte": float(totals["carry_on_starters_fte"].sum()),
        **feasibility.summary(),
        "trajectory_beyond_all": bool(len(beyond)),
        "trajectory_flags": [f"{r.measure} over {r.years} year(s): {r.change:+.1f} points, beyond the best of "
                             f"{r.comparable} comparable spans ({r.best_change:+.1f})" for r in beyond.itertuples()],
        "agency_cost_per_fte_year_gbp": agency_cost_per_fte_year(a),
        **simulated,
        "capacity_p50_end": float(np.median(service_capacity(sim_plan)[:, -1])),
        "need_end": float(service_need(sim_plan)[:, -1].mean()),
    }
