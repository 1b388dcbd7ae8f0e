"""CLI command: `workforce plan` (projection, L&D gateway, recruitment plan, Monte Carlo, scenarios)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from workforce.cli.common import Dates, dates_option, force_option, guarded, info

#: The planner's workbook: the same name as `workforce run` and `workforce demo` write.
PLAN_WORKBOOK = "workforce_plan.xlsx"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("plan")(plan)


@guarded
def plan(
    workers: Path = typer.Option(..., "--workers", help="workers table (CSV, or XLSX with a 'workers' sheet)."),
    cases: Path = typer.Option(..., "--cases", help="cases table (CSV, or XLSX with a 'cases' sheet)."),
    risk: Optional[Path] = typer.Option(None, "--risk", help="risk table from `workforce churn score` (worker_id, p_leave)."),
    model: Optional[Path] = typer.Option(None, "--model", help="churn model folder from `workforce churn train`: score the workers with it."),
    hr_history: Optional[Path] = typer.Option(None, "--hr-history", help="hr_history table: the authority's own "
                                              "leaving and starter rates and turnover today (without it, the "
                                              "assumptions' national defaults); as `workforce run` reads it."),
    establishment: Optional[Path] = typer.Option(None, "--establishment", help="the funded establishment (team, "
                                                 "role, funded_fte; CSV or XLSX sheet 'establishment'): vacancies "
                                                 "and the posts the plan recruits into (default: today's staff in post)."),
    assumptions: Optional[Path] = typer.Option(None, "--assumptions", help="settings file (its \\[caseload] and \\[plans] sections; example: examples/workforce.toml), or a plan workbook whose Assumptions sheet you edited."),
    scenario: Optional[str] = typer.Option(None, "--scenario", help="named scenario on top of the assumptions: baseline, sandwell_like, sandwell_interventions."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Monte Carlo seed (default: the assumptions' seed, 0)."),
    la: Optional[str] = typer.Option(None, "--la", help="your authority (old code 333, new code E08000028 or name): a "
                                     "Benchmarks sheet draws the plan's agency, vacancy, turnover and caseload against "
                                     "its statistical neighbours' published past (and the demand model's default history)."),
    demand_la: Optional[str] = typer.Option(None, "--demand-la", help="plan demand from the child's journey, the "
                                            "demand model calibrated on this authority's published history."),
    demand_history: Optional[Path] = typer.Option(None, "--demand-history", help="... or on your own history (CSV, "
                                                  "or XLSX sheet 'history'; as for `workforce demand --history`)."),
    demand_assumptions: Optional[Path] = typer.Option(None, "--demand-assumptions", help="demand assumptions (TOML: "
                                                      "levers, scenarios; `workforce demand` writes one)."),
    demand_scenario: Optional[str] = typer.Option(None, "--demand-scenario", help="the demand scenario the plan "
                                                  "follows: baseline, levers, turnaround or a \\[scenarios.NAME] of the "
                                                  "demand assumptions (default: levers when they set any, else baseline)."),
    demand_years: Optional[str] = typer.Option(None, "--demand-years", help="calibration years, e.g. 2021-2023 "
                                               "(default: the last three)."),
    data: Optional[List[Path]] = typer.Option(None, "--data", help="DfE published CSV files or folders (repeatable) "
                                              "for --la and the demand model; default: the bundled copy (to 2023)."),
    out: Path = typer.Option(..., "--out", help="output folder (written all at once, only on success)."),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Plan the workforce quarter by quarter: support, hires, costs and how sure they are.

    Demand and supply, whom to offer which support, whom to hire when, what it costs against
    carrying on as now, and how sure that is.

    With a --demand-* option, demand follows the child's journey and the workbook gets a Demand sheet; --la adds Benchmarks."""
    from workforce.config import DemandSettings, load_assumptions
    from workforce.contracts import load_cases, load_establishment, load_hr_history, load_risk, load_workers
    from workforce.demand.measures import year_window_problem
    from workforce.errors import InputError
    from workforce.excel.workbooks import write_planner_workbook
    from workforce.indicators import risk_indicators
    from workforce.outputs import OutputDir
    from workforce.pipeline import (evidence_outputs, plan_headline, plan_scores, read_evidence,
                                    risk_register_or_none, with_model_horizon, write_plan_files)
    from workforce.published import read_published
    from workforce.plans.assumptions import Assumptions
    from workforce.plans.planner import build_plan
    from workforce.plans.scenarios import compare_scenarios, scenario_assumptions
    from workforce.retention.persistence import load_model

    if (risk is None) == (model is None):
        raise InputError("give exactly one of --risk (a risk table) or --model (a trained churn model)",
                         column="--risk/--model")
    problem = year_window_problem(demand_years)
    if problem:
        raise InputError(problem, column="--demand-years")
    if demand_la is not None and demand_history is not None:
        raise InputError("give one of --demand-la or --demand-history, not both", column="--demand-la/--demand-history")
    wants_demand = any(v is not None for v in (demand_la, demand_history, demand_assumptions, demand_scenario,
                                               demand_years))
    demand = None
    if wants_demand:
        source = demand_la if demand_la is not None or demand_history is not None else la
        if source is None and demand_history is None:
            raise InputError("the demand model needs an authority's history: give --demand-la CODE or "
                             "--demand-history FILE (or --la CODE)", column="--demand-la/--demand-history")
        demand = DemandSettings(la=source if demand_history is None else None, history=demand_history,
                                assumptions=demand_assumptions, scenario=demand_scenario, years=demand_years)
    inputs = [p for p in (workers, cases, risk, model, hr_history, establishment, assumptions, demand_history,
                          demand_assumptions, *(data or [])) if p is not None]
    with OutputDir(out, inputs=inputs, force=force) as od:
        worker_frame = load_workers(workers)
        case_frame = load_cases(cases, worker_frame)
        history = load_hr_history(hr_history) if hr_history is not None else None
        funded = load_establishment(establishment) if establishment is not None else None
        base = load_assumptions(assumptions) if assumptions is not None else Assumptions()
        card = churn = hazards = None
        if risk is not None:
            risk_table = load_risk(risk)
        else:
            churn = load_model(model)
            base = with_model_horizon(base, churn.horizon_months)
        chosen = scenario_assumptions(scenario, base) if scenario else base
        if churn is not None:
            risk_table, hazards = plan_scores(churn, worker_frame, case_frame, history, chosen)
            card = churn.card
        evidence = None
        if demand is not None or la is not None:
            pub = read_published(data or None)
            evidence = read_evidence(pub, la=la, demand=demand, workers=worker_frame, cases=case_frame, plans=chosen)
            for message in evidence.demand.messages if evidence.demand is not None else []:
                info(message)
        # the same inputs as `workforce run` gives the plan, so that a workbook fed back with the
        # same files re-plans what the run planned
        plan_inputs = {"demand": evidence.requirement if evidence is not None else None, "history": history,
                       "establishment": funded,
                       "hazards": hazards}
        result = build_plan(worker_frame, case_frame, risk_table, chosen, seed=seed, **plan_inputs)
        scenarios = compare_scenarios(worker_frame, case_frame, risk_table, base, seed=seed, **plan_inputs)
        indicators = [*risk_indicators(risk_table, worker_frame, card=card,
                                       horizon_months=result.assumptions.projection.risk_horizon_months),
                      *plan_headline(result)]
        write_plan_files(od, result, scenarios, indicators)
        sheets = evidence_outputs(od, evidence, result, worker_frame, case_frame, {}) if evidence is not None else []
        write_planner_workbook(
            od.path(PLAN_WORKBOOK), assumptions=result.assumptions_frame, risk=risk_register_or_none(risk_table),
            gateway=result.gateway, gateway_programmes=result.gateway_programmes, recruitment=result.recruitment,
            recruitment_totals=result.recruitment_totals, projection=result.projection,
            montecarlo=result.montecarlo, census=result.census, trajectories=result.trajectories,
            unit_costs=result.unit_costs, plan_summary=result.summary, indicators=indicators, inputs=inputs,
            more_sheets=sheets,
        )
        lines = _summary_lines(result, evidence, indicators, out)  # composed before anything is published
    for line in lines:
        info(line)


def _summary_lines(result, evidence, indicators, out: Path) -> list[str]:
    """The console summary of `plan`."""
    from workforce.indicators import render
    from workforce.plans.assumptions import date_echo_lines
    from workforce.readers import parse_date, written_date

    s = result.summary
    lines = [f"assumption {line}" for line in date_echo_lines(result.assumptions)]
    lines.append(f"plan from {written_date(parse_date(s['start_date']))} ({s['start_date_basis']}) over "
                 f"{s['horizon_quarters']} quarters: "
                 f"{s['workers']} workers, {s['cases']} children; solvers: L&D {s['gateway_status']}, recruitment "
                 f"{s['recruitment_status']}: {s['recruitment_note']}")
    lines.append(s["cost_note"])
    lines += [f"note: {note}" for note in s.get("risk_notes", [])]
    if evidence is not None and evidence.demand is not None:
        d = evidence.demand
        lines.append(f"demand: {d.source}; the plan follows the '{d.scenario}' scenario (Demand sheet)")
    if evidence is not None and evidence.bench is not None:
        lines.append(f"benchmarks: {evidence.bench.la_name} ({evidence.bench.la_code}) and its statistical "
                     "neighbours (Benchmarks sheet)")
    lines += render(indicators)
    lines.append(f"wrote {out} (each figure's definition: summary.json and the Summary sheet of {PLAN_WORKBOOK})")
    return lines
