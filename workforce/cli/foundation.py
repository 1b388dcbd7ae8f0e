"""CLI commands: `validate`, `demo` and `run`."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from workforce.cli.common import guarded, info


def register(app: typer.Typer) -> None:
    """Add validate, demo and run to the app."""
    app.command("validate")(validate)
    app.command("demo")(demo)
    app.command("run")(run)


@guarded
def validate(
    paths: List[Path] = typer.Argument(..., help="CSV files named after their table, XLSX workbooks with sheets named after the tables, or folders."),
) -> None:
    """Check workers, cases and hr_history tables and the references between them."""
    from workforce.contracts import validate_paths

    tables, problems, sources = validate_paths(list(paths))
    for table, source in sorted(sources.items()):
        status = "ok" if table in tables else "problems"
        rows = f"{len(tables[table])} rows" if table in tables else ""
        info(f"{table:<11} {str(source):<50} {status} {rows}".rstrip())
    if problems:
        from workforce.errors import InputError

        raise InputError(problems=problems)
    info("all tables valid")


@guarded
def demo(
    out: Path = typer.Option(..., "--out", help="Folder for the demo authority and every output."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same authority and results."),
    quick: bool = typer.Option(False, "--quick", help="Shorter solver and model-selection budgets (for smoke tests)."),
) -> None:
    """Run the whole pipeline on the built-in demo authority."""
    from workforce.pipeline import DemoSettings, run_demo

    report = run_demo(out, DemoSettings(seed=seed, quick=quick))
    info(report)


@guarded
def run(
    config: Path = typer.Argument(..., help="A TOML file naming the inputs, assumptions and output folder."),
) -> None:
    """Run the whole pipeline on an authority's own files, as named in CONFIG."""
    from workforce.pipeline import load_run_config, run_pipeline

    settings = load_run_config(config)
    report = run_pipeline(settings)
    info(report)
