"""CLI command: `workforce explain --run DIR CASE_ID` (why a child is where the kept allocation put
them, read from that run's outputs; never a new solve)."""

from __future__ import annotations

from pathlib import Path

import typer

from workforce.cli.common import guarded


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command("explain")
    @guarded
    def explain_cmd(
        case_id: str = typer.Argument(..., help="the child's case_id"),
        run: Path = typer.Option(..., "--run", help="an allocation's output folder (from allocate, demo or run)"),
    ) -> None:
        """Explain one child's allocation in plain English, from an allocation's explanations.csv.

        The worker, their load against the caps, the runner-up and why it lost; for a child who
        waits, who holds them meanwhile, the nearest worker and the shortfall."""
        from workforce.allocation.explain import explain_row
        from workforce.pipeline import read_explanations

        print(explain_row(read_explanations(run), case_id, file=str(run / "explanations.csv")))
