"""CLI command: `workforce demand` (the child's journey, the workforce it needs, placements and savings)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from workforce.cli.common import force_option, guarded, info

SANDWELL_SCENARIO = "sandwell_2013"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("demand")(demand)


def blended_cost_per_fte(mixes) -> tuple[float, str]:
    """Salary plus on-costs of the social-work role mixes, from the plans' cost assumptions."""
    from workforce.plans.assumptions import Assumptions
    from workforce.plans.costs import permanent_cost_per_fte_year

    a = Assumptions()
    total = fte = 0.0
    for mix in mixes:
        for role, weight, asye in zip(mix["role"], mix["fte"].astype(float), mix["asye"].astype(bool)):
            total += permanent_cost_per_fte_year(a, str(role), bool(asye)) * weight
            fte += weight
    cost = total / fte
    return cost, ("[DERIVED] the role mix's salaries plus on-costs from the plans' cost assumptions "
                  f"(case holder £{a.costs.salary_case_holder_gbp:,.0f} [S49], on-cost {a.costs.on_cost_rate:.0%} "
                  "[DEFAULT]); set [budget] cost_per_fte_gbp to use your own")


@guarded
def demand(
    la: Optional[str] = typer.Option(None, "--la", help="local authority: old code (333), new code (E08000028) or name."),
    history: Optional[Path] = typer.Option(None, "--history", help="your own history: CSV (or XLSX sheet 'history'), "
                                           "wide (year + one column per published measure) or tidy (year, measure, value)."),
    data: Optional[List[Path]] = typer.Option(None, "--data", help="DfE CSV files or folders (repeatable); "
                                              "default: the bundled copy, years to 2023."),
    years: Optional[str] = typer.Option(None, "--years", help="calibration years, e.g. 2021-2023 (default: the last three)."),
    assumptions: Optional[Path] = typer.Option(None, "--assumptions", help="demand assumptions (TOML): levers, "
                                               "scenarios, costs, structure; see demand_assumptions.toml in an output."),
    scenario: Optional[str] = typer.Option(None, "--scenario", help="headline scenario: baseline, levers, turnaround, "
                                           f"a [scenarios.NAME] of your file, or {SANDWELL_SCENARIO} (Sandwell's "
                                           "turnaround against the case study's claims)."),
    workers: Optional[Path] = typer.Option(None, "--workers", help="workers table: its role mix (by team_type when it "
                                           "has that column) sets the FTE each team type needs."),
    cases: Optional[Path] = typer.Option(None, "--cases", help="cases table: caseload points per child by case type."),
    out: Path = typer.Option(..., "--out", help="output folder (written all at once, only on success)."),
    force: bool = force_option(),
) -> None:
    """Model the child's journey (referral to closure) from an authority's own history: where
    children go, the caseload and social workers it needs, placement costs, the savings levers
    could bring against the whole budget, and Sandwell's turnaround as a scenario."""
    from dataclasses import replace

    from workforce.contracts import load_cases, load_workers
    from workforce.demand.files import write_demand_files
    from workforce.demand.history import read_history
    from workforce.demand.parameters import calibrate, years_text
    from workforce.demand.run import run_demand
    from workforce.demand.settings import DemandAssumptions, Scenario, load_assumptions
    from workforce.demand.turnaround import CLAIMS_SCENARIO, IMPOWER, SANDWELL, run_turnaround
    from workforce.demand.workload import role_mixes
    from workforce.errors import InputError
    from workforce.outputs import OutputDir
    from workforce.published import read_published

    sandwell = scenario == SANDWELL_SCENARIO
    if history is not None and la is not None:
        raise InputError("give one of --la or --history, not both", column="--la/--history")
    if not sandwell and history is None and la is None:
        raise InputError("give --la CODE (published tables) or --history FILE (your own)", column="--la/--history")
    if sandwell and history is not None:
        raise InputError(f"--scenario {SANDWELL_SCENARIO} uses Sandwell's published figures: leave out --history",
                         column="--history")
    inputs = [p for p in (history, assumptions, workers, cases) if p is not None]
    with OutputDir(out, inputs=inputs, force=force) as od:
        pub = read_published(data or None)
        if sandwell and la is not None and pub.resolve(la) != SANDWELL:
            raise InputError(f"--scenario {SANDWELL_SCENARIO} is Sandwell's (333), not '{la}'", column="--la")
        a = load_assumptions(assumptions) if assumptions is not None else DemandAssumptions()
        if years is not None:
            a = replace(a, years=years)
        worker_frame = load_workers(workers) if workers is not None else None
        case_frame = load_cases(cases, worker_frame) if cases is not None else None
        if a.budget.cost_per_fte_gbp is None:
            mixes, _ = role_mixes(a.structure, worker_frame, a.rules())
            leaving = a.structure.teams["care_leaver"]
            cost, basis = blended_cost_per_fte([m for t, m in mixes.items() if t != leaving])
            a = replace(a, budget=replace(a.budget, cost_per_fte_gbp=cost, cost_per_fte_basis=basis))
        try:
            england = calibrate(pub.history("england"), a.years, name="England")
        except ValueError:
            england = calibrate(pub.history("england"), None, name="England")
        try:
            turnaround = run_turnaround(pub.history(SANDWELL), a, fallback=england, published=pub)
            if sandwell:
                result, table = turnaround.result, turnaround.comparison
            else:
                if la is not None:
                    code = pub.resolve(la)
                    frame, name = pub.history(code), f"{pub.name_of(code)} ({code})"
                    for message in pub.messages:
                        info(message)
                else:
                    read = read_history(history)
                    frame, name = read.frame, history.stem
                    for message in read.messages():
                        info(message)
                borrowed = Scenario(CLAIMS_SCENARIO, turnaround.claims_levers, IMPOWER,
                                    "Sandwell's turnaround levers applied here, with a partner's fee like Sandwell's")
                result = run_demand(frame, a, name=name, fallback=england, workers=worker_frame, cases=case_frame,
                                    scenarios=[borrowed], chosen=scenario)
                table = None
        except ValueError as exc:
            raise InputError(str(exc), file=history or "", column="--la" if la is not None else None) from None
        data = write_demand_files(od, result, turnaround=table, inputs=inputs)
    cal = result.calibration
    info(f"{result.name}: calibrated on {years_text(cal.years)}, projected {result.horizon} quarters from "
         f"31 March {result.start_year}")
    mape = ", ".join(f"{r.measure} {r.mape:.1f}%" for r in result.fit_mape.itertuples(index=False) if r.mape == r.mape)
    info(f"calibration years reproduced (MAPE): {mape or 'not measured (one calibration year)'}")
    for key, s in data["scenarios"].items():
        info(f"{key}: children in need {s['children_in_need_change_pct']:+.1f}%, looked after "
             f"{s['children_looked_after_change_pct']:+.1f}%, social-work FTE {s['required_social_work_fte_start']:.0f} -> "
             f"{s['required_social_work_fte_end']:.0f}, net saving £{s['net_saving_gbp']:,.0f} "
             f"({100 * s['net_saving_share_of_budget']:.1f}% of the budget)")
    for note in result.notes:
        info(f"note: {note}")
    info(f"wrote {out}")
