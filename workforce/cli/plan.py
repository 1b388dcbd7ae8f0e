"""CLI command: `workforce plan` (projection, L&D gateway, recruitment plan, Monte Carlo, scenarios)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

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
    assumptions: Optional[Path] = typer.Option(None, "--assumptions", help="settings file (its \\[caseload] and \\[plans] sections; example: examples/workforce.toml), or a plan workbook whose Assumptions sheet you edited."),
    scenario: Optional[str] = typer.Option(None, "--scenario", help="named scenario on top of the assumptions: baseline, sandwell_like, sandwell_interventions."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Monte Carlo seed (default: the assumptions' seed, 0)."),
    out: Path = typer.Option(..., "--out", help="output folder (written all at once, only on success)."),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Plan the workforce quarter by quarter: demand and supply, whom to offer which support,
    whom to hire when, what it costs against carrying on as now, and how sure that is."""
    from workforce.config import load_assumptions
    from workforce.contracts import load_cases, load_risk, load_workers
    from workforce.errors import InputError
    from workforce.excel.workbooks import write_planner_workbook
    from workforce.indicators import render, risk_indicators
    from workforce.outputs import OutputDir
    from workforce.pipeline import plan_headline, risk_register_or_none, with_model_horizon, write_plan_files
    from workforce.plans.assumptions import Assumptions, date_echo_lines
    from workforce.plans.planner import build_plan
    from workforce.plans.scenarios import compare_scenarios, scenario_assumptions
    from workforce.readers import parse_date, written_date
    from workforce.retention.model import score
    from workforce.retention.persistence import load_model

    if (risk is None) == (model is None):
        raise InputError("give exactly one of --risk (a risk table) or --model (a trained churn model)",
                         column="--risk/--model")
    inputs = [p for p in (workers, cases, risk, assumptions) if p is not None]
    with OutputDir(out, inputs=inputs, force=force) as od:
        worker_frame = load_workers(workers)
        case_frame = load_cases(cases, worker_frame)
        base = load_assumptions(assumptions) if assumptions is not None else Assumptions()
        card = None
        if risk is not None:
            risk_table = load_risk(risk)
        else:
            churn = load_model(model)
            risk_table, card = score(churn, worker_frame, case_frame), churn.card
            base = with_model_horizon(base, churn.horizon_months)
        chosen = scenario_assumptions(scenario, base) if scenario else base
        result = build_plan(worker_frame, case_frame, risk_table, chosen, seed=seed)
        scenarios = compare_scenarios(worker_frame, case_frame, risk_table, base, seed=seed)
        indicators = [*risk_indicators(risk_table, worker_frame, card=card,
                                       horizon_months=result.assumptions.projection.risk_horizon_months),
                      *plan_headline(result)]
        write_plan_files(od, result, scenarios, indicators)
        write_planner_workbook(
            od.path(PLAN_WORKBOOK), assumptions=result.assumptions_frame, risk=risk_register_or_none(risk_table),
            gateway=result.gateway, gateway_programmes=result.gateway_programmes, recruitment=result.recruitment,
            recruitment_totals=result.recruitment_totals, projection=result.projection,
            montecarlo=result.montecarlo, plan_summary=result.summary, indicators=indicators, inputs=inputs,
        )
    s = result.summary
    for line in date_echo_lines(result.assumptions):
        info(f"assumption {line}")
    info(f"plan from {written_date(parse_date(s['start_date']))} over {s['horizon_quarters']} quarters: "
         f"{s['workers']} workers, {s['cases']} children; solvers: L&D {s['gateway_status']}, recruitment "
         f"{s['recruitment_status']}" + (" (closest plan shown; targets missed)" if s["recruitment_relaxed"] else ""))
    for line in render(indicators):
        info(line)
    info(f"wrote {out} (each figure's definition: summary.json and the Summary sheet of {PLAN_WORKBOOK})")
