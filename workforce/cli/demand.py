"""CLI command: `workforce demand` (the child's journey, the workforce it needs, placements and savings)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer

from workforce.cli.common import Dates, dates_option, force_option, guarded, info

if TYPE_CHECKING:
    from workforce.demand.run import DemandResult

SANDWELL_SCENARIO = "sandwell_2013"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("demand")(demand)


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
                                           f"a \\[scenarios.NAME] of your file, or {SANDWELL_SCENARIO} (Sandwell's "
                                           "turnaround against the case study's claims)."),
    workers: Optional[Path] = typer.Option(None, "--workers", help="workers table: its role mix (by team_type when it "
                                           "has that column) sets the FTE each team type needs."),
    cases: Optional[Path] = typer.Option(None, "--cases", help="cases table: caseload points per child by case type."),
    out: Path = typer.Option(..., "--out", help="output folder (written all at once, only on success)."),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    """Model the child's journey (referral to closure) from an authority's own history.

    Where children go, the caseload and social workers it needs, placement costs, the savings
    levers could bring against the whole budget, and Sandwell's turnaround as a scenario."""
    from workforce.config import DemandSettings
    from workforce.contracts import load_cases, load_workers
    from workforce.demand.files import write_demand_files
    from workforce.demand.measures import year_window_problem
    from workforce.demand.turnaround import PRICE_YEAR, SANDWELL, run_turnaround
    from workforce.errors import InputError
    from workforce.outputs import OutputDir
    from workforce.plan_demand import demand_assumptions, england_calibration, plan_demand
    from workforce.published import read_published
    from workforce.published.workbook import published_inputs, reading_notes

    sandwell = scenario == SANDWELL_SCENARIO
    if history is not None and la is not None:
        raise InputError("give one of --la or --history, not both", column="--la/--history")
    if not sandwell and history is None and la is None:
        raise InputError("give --la CODE (published tables) or --history FILE (your own)", column="--la/--history")
    problem = year_window_problem(years)
    if problem:
        raise InputError(problem, column="--years")
    if sandwell and history is not None:
        raise InputError(f"--scenario {SANDWELL_SCENARIO} uses Sandwell's published figures: leave out --history",
                         column="--history")
    inputs = [p for p in (history, assumptions, workers, cases) if p is not None]
    with OutputDir(out, inputs=inputs, force=force) as od:
        pub = read_published(data or None)
        if sandwell and la is not None and pub.resolve(la) != SANDWELL:
            raise InputError(f"--scenario {SANDWELL_SCENARIO} is Sandwell's (333), not '{la}'", column="--la")
        worker_frame = load_workers(workers) if workers is not None else None
        case_frame = load_cases(cases, worker_frame) if cases is not None else None
        settings = DemandSettings(la=la, history=history, assumptions=assumptions, scenario=scenario, years=years)
        if sandwell:
            # the turnaround is in its own year's prices: the staff line too, not only the placements
            a = demand_assumptions(settings, workers=worker_frame, price_year=PRICE_YEAR)
            try:
                turnaround = run_turnaround(pub.history(SANDWELL), a, fallback=england_calibration(pub, a.years),
                                            published=pub)
            except ValueError as exc:
                raise InputError(str(exc), column="--scenario") from None
            result, table = turnaround.result, turnaround.comparison
        else:
            run = plan_demand(settings, pub, workers=worker_frame, cases=case_frame)
            for message in run.messages:
                info(message)
            result, table = run.result, None
        # the published tables are inputs too: the calibration (or England's fallback rates) rests on them
        data = write_demand_files(od, result, turnaround=table, inputs=[*inputs, *published_inputs(pub)],
                                  notes=reading_notes(pub, ()))
        # Composed before the block ends: the outputs are published only if the summary can be told too.
        summary = _summary_lines(result, data)
    for line in summary:
        info(line)
    info(f"wrote {out}")


def _summary_lines(result: DemandResult, data: dict[str, Any]) -> list[str]:
    """What the console says about a run: calibration years, fit, each scenario's end, notes.

    Built inside the OutputDir block, so a failure here publishes nothing (it was once built
    after the outputs were written, and a failure left a full output folder behind exit 1)."""
    from workforce.demand.parameters import years_text
    from workforce.indicators import gbp
    from workforce.measures import census_day

    cal = result.calibration
    lines = [f"{result.name}: calibrated on {years_text(cal.years)}, projected {result.horizon} quarters from "
             f"31 March {result.start_year}"]
    mape = ", ".join(f"{r.measure} {r.mape:.1f}%" for r in result.fit_mape.itertuples(index=False) if r.mape == r.mape)
    lines.append(f"calibration years reproduced (MAPE): {mape or 'not measured (one calibration year)'}")
    if data["fit_flows_largest_misses"]:
        lines.append(f"flows reproduced, largest misses: {_misses(data['fit_flows_largest_misses'])} (all in fit.csv)")
    if data["baseline_first_year_flows_largest_misses"]:
        first = data["baseline_first_year_flows_largest_misses"]
        lines.append(f"baseline's first year (to 31 March {result.start_year + 1}) against {first[0]['year']} "
                     f"published: {_misses(first, year=False)}")
    inpost = data["published_inpost_fte"]
    if inpost is not None:
        lines.append(f"published social workers in post: {inpost['fte']:.1f} FTE at {inpost['date']}; the "
                     "required FTE below is the model's (demand at the safe standard), not a count of staff")
    elif "inpost_fte" in cal.history.columns and cal.history["inpost_fte"].notna().any():
        census = cal.history["inpost_fte"].dropna().index
        lines.append(f"published social workers in post: no workforce census six months either side "
                     f"of 31 March {result.start_year} (published {census_day(census.min())} to {census_day(census.max())}), "
                     "so none is set beside the model's required FTE below")
    for key, s in data["scenarios"].items():
        lines.append(f"{key}: children in need {_change(s['children_in_need_change_pct'])}, looked after "
                     f"{_change(s['children_looked_after_change_pct'])}, required social-work FTE (model) "
                     f"{s['required_social_work_fte_start']:.0f} -> {s['required_social_work_fte_end']:.0f}, "
                     f"net saving {gbp(s['net_saving_gbp'])} ({100 * s['net_saving_share_of_budget']:.1f}% of the budget)")
    lines += [f"note: {note}" for note in result.notes]
    return lines


def _misses(misses: list[dict[str, Any]], *, year: bool = True) -> str:
    """``cp_starts +34% in 2023 (494 against 368)``, joined: model against published."""
    return ", ".join(f"{m['measure']} {m['pct_error']:+.0f}%{' in ' + str(m['year']) if year else ''} "
                     f"({m['model']:,.0f} against {m['published']:,.0f})" for m in misses)


def _change(pct: float | None) -> str:
    """A change since the start as the console shows it; the summary holds None (JSON null) where
    there was nothing at the start to change from."""
    return "not measured (none at the start)" if pct is None else f"{pct:+.1f}%"
