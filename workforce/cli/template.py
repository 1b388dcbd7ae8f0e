"""CLI command: `workforce template --out DIR` writes the input templates into DIR."""

from __future__ import annotations

from pathlib import Path

import typer

from workforce.cli.common import guarded, info


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("template")(template)


@guarded
def template(
    out: Path = typer.Option(..., "--out", help="Folder to write the templates into (created if needed)."),
    force: bool = typer.Option(False, "--force", help="Replace templates already in the folder (they may hold your work)."),
) -> None:
    """Write the input templates (workers, cases, hr_history, assumptions) as XLSX files.

    Each has a note on every column heading, drop-down lists for coded columns, a few example
    rows (IDs starting EXAMPLE-, refused as data until you delete them) and an Instructions sheet.
    Fill them in, then run `workforce validate` on them. A template already in the folder is
    never replaced without --force, filled in or not.
    """
    from workforce.excel.templates import TEMPLATE_FILES, write_assumptions_template, write_table_template
    from workforce.outputs import OutputDir

    with OutputDir(out, force=force, replace_own=False) as od:
        for name in TEMPLATE_FILES:
            table = name.removesuffix(".xlsx")
            if table == "assumptions":
                write_assumptions_template(od.path(name))
            else:
                write_table_template(table, od.path(name))
    for name in TEMPLATE_FILES:
        info(f"wrote {out / name}")
