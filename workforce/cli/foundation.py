"""CLI commands: `validate`, `demo` and `run`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from workforce.cli.common import Dates, dates_option, force_option, guarded, info


def register(app: typer.Typer) -> None:
    """Add validate, demo and run to the app."""
    app.command("validate")(validate)
    app.command("demo")(demo)
    app.command("run")(run)


@guarded
def validate(
    paths: Optional[List[Path]] = typer.Argument(None, help="CSV files (named after their table, or recognised by their columns or file name), XLSX workbooks with sheets named after the tables, or folders."),
    workers: Optional[Path] = typer.Option(None, "--workers", help="the workers table: a CSV or XLSX of any name, or a folder holding it."),
    cases: Optional[Path] = typer.Option(None, "--cases", help="the cases table: a CSV or XLSX of any name, or a folder holding it."),
    hr_history: Optional[Path] = typer.Option(None, "--hr-history", help="the hr_history table: a CSV or XLSX of any name, or a folder holding it."),
    dates: Dates = dates_option(),
) -> None:
    """Check workers, cases and hr_history tables and the references between them."""
    from workforce.contracts import validate_paths
    from workforce.errors import InputError
    from workforce.readers import TABLES

    named = {t: p for t, p in (("workers", workers), ("cases", cases), ("hr_history", hr_history)) if p is not None}
    if not paths and not named:
        raise InputError("give the files or folders to check (or --workers, --cases, --hr-history)")
    not_read: list[str] = []
    tables, problems, sources = validate_paths(list(paths or []), named, not_read=not_read)
    for table, source in sorted(sources.items()):
        status = "ok" if table in tables else "problems"
        rows = f"{len(tables[table])} rows" if table in tables else ""
        info(f"{table:<11} {source.label:<50} {status} {rows}".rstrip())
    for item in not_read:
        info(f"not read: {item}")
    if problems:
        raise InputError(problems=problems)
    info(checked_line([t for t in TABLES if t in sources], not_read))


def checked_line(checked: list[str], not_read: list[str]) -> str:
    """The verdict of `validate`, saying what was checked: "all tables valid" only when nothing in
    the paths given was passed over, since a file skipped for its name (Workers 2024.csv) is a
    table that was never checked, nor the references to it; a table not given is named, and so are
    the cross-table checks that could not run without it."""
    from workforce.readers import TABLES

    missing = [t for t in TABLES if t not in checked]
    parts = [f"not given: {', '.join(missing)}"] if missing else []
    if "cases" in checked and "workers" not in checked:
        parts.append("the cases' references to workers were not checked")
    if not_read:
        n = len(not_read)
        parts.append(f"{n} file{'s' if n != 1 else ''} or sheet{'s' if n != 1 else ''} not read (listed above): "
                     "rename any that holds a table, or give it with its table's option")
        return f"valid: {', '.join(checked)}; " + "; ".join(parts)
    return f"all tables valid: {', '.join(checked)}" + (f" ({'; '.join(parts)})" if parts else "")


@guarded
def demo(
    out: Path = typer.Option(..., "--out", help="Folder for the demo authority and every output."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same authority and results."),
    quick: bool = typer.Option(False, "--quick", help="Shorter solver and model-selection budgets (for smoke tests)."),
    demand_scenario: Optional[str] = typer.Option(None, "--demand-scenario", help="the demand scenario the plan "
                                                  "follows: baseline (default) or turnaround (Sandwell's levers)."),
    profile: str = typer.Option("default", "--profile", help="the demo authority: default (inside England's "
                                "interquartile range, 2023) or sandwell (Sandwell's published 2018 figures: agency "
                                "31%, vacancy 26%, caseload 18)."),
    force: bool = force_option(),
) -> None:
    """Run the whole pipeline on the built-in demo authority.

    Demand follows a history scaled from Sandwell's to the demo's cases; Benchmarks compare with Sandwell's neighbours."""
    from workforce.demo.parameters import PROFILES
    from workforce.errors import InputError
    from workforce.pipeline import DemoSettings, run_demo

    if profile not in PROFILES:
        raise InputError(f"unknown demo profile '{profile}'", column="--profile", allowed=", ".join(PROFILES))
    report = run_demo(out, DemoSettings(seed=seed, quick=quick, demand_scenario=demand_scenario, profile=profile),
                      force=force)
    info(report)


RUN_HELP = """Run the whole pipeline on an authority's own files, as named in CONFIG.

\b
CONFIG is a settings file (TOML). The least it needs:
    \\[run.inputs]
    workers = "workers.csv"
    cases = "cases.csv"
    hr_history = "hr_history.csv"  # or: model = ..., risk = ...
    \\[run.outputs]
    folder = "out"

\b
Optional, in the same file:
    \\[run]
    la = "333"                      # Benchmarks sheet: your neighbours
    \\[run.inputs]
    census_returns = "returns/"     # DfE census returns in place of
    roster = "roster.csv"           #   workers and hr_history
    \\[run.census]
    salt = "..."                    # or WORKFORCE_CSWW_SALT
    \\[run.demand]
    la = "333"                      # demand from the child's journey
    assumptions = "demand.toml"     #   (or history = "history.csv")
    scenario = "turnaround"

\b
Paths are relative to CONFIG. The same file may also set the
caseload rules (\\[caseload]), the allocation (\\[allocation]) and
the plan assumptions (\\[plans]). Every section and key, with its
default and meaning: examples/workforce.toml (README, "Settings
file"). Older run configs are still read, with a note on what moved.
"""


@guarded
def run(
    config: Path = typer.Argument(..., help="A settings file (TOML) with a \\[run] section: inputs, output folder, seed."),
    dates: Dates = dates_option(),
    force: bool = force_option(),
) -> None:
    from workforce.config import load_settings
    from workforce.pipeline import run_pipeline

    settings = load_settings(config, need_run=True)
    report = run_pipeline(settings, force=force)
    info(report)


run.__doc__ = RUN_HELP
