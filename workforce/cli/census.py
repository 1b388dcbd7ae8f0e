"""CLI commands: `workforce census check|import`.

Thin over `workforce.census`; heavy imports happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from workforce.cli.common import EXIT_INPUT, err, force_option, guarded, info

census_app = typer.Typer(
    name="census",
    help="The DfE children's social work workforce census: check returns before submission, import them as hr_history.",
    no_args_is_help=True,
)

SHOWN = 20  # problems printed; the rest are in the report
SALT_HELP = ("Secret salt for pseudonymous worker IDs (keep it to match IDs across imports and reports). Prefer the "
             "environment variable WORKFORCE_CSWW_SALT: an option is kept in shell history. At least 16 random characters.")
STRICT_HELP = "Refuse (exit 2, nothing written) if any return has a schema problem or an unusable record."
PROBLEMS_HELP = "Also write every problem found to this CSV."


def register(app: typer.Typer) -> None:
    """Add the `census` command group to the app."""
    app.add_typer(census_app, name="census")


def _salt_note(salt: Optional[str]) -> None:
    if not salt:
        err("note: no --salt (or WORKFORCE_CSWW_SALT): a random salt is used, so worker IDs match only within this run")


def _shown(table, limit: int = SHOWN) -> list[str]:
    """The first `limit` problems as console lines (the rest are counted)."""
    lines = []
    for row in table.head(limit).itertuples(index=False):
        on_record = row.position is not None and str(row.position) != "<NA>"
        at_line = f"line {row.line}" if row.line is not None and str(row.line) != "<NA>" else ""
        where = (f"record {row.position} ({', '.join(filter(None, [at_line, row.worker]))})" if on_record
                 else ", ".join(filter(None, [row.element or "the file", at_line])))
        lines.append(f"  {row.severity:<7} {row.file}, {where}: {row.message}. Fix: {row.fix}")
    if len(table) > limit:
        lines.append(f"  ... and {len(table) - limit} more")
    return lines


@census_app.command("check")
@guarded
def check(
    files: List[Path] = typer.Argument(..., help="Census return XML files (or folders of them)."),
    out: Path = typer.Option(..., "--out", help="Folder for the report: census_problems.csv and census_problems.xlsx."),
    salt: Optional[str] = typer.Option(None, "--salt", envvar="WORKFORCE_CSWW_SALT", help=SALT_HELP),
    force: bool = force_option(),
) -> None:
    """Check returns before submission: schema of their year and the DfE data-quality rules.

    Exit 0 when every return is clean, 2 when any problem is found (the report lists each with
    a fix)."""
    from workforce.census.check import PROBLEMS_CSV, PROBLEMS_XLSX, check_returns, write_check_report
    from workforce.outputs import OutputDir

    _salt_note(salt)
    result = check_returns(files, salt=salt)
    with OutputDir(out, inputs=files, force=force) as od:
        write_check_report(result, od.path(PROBLEMS_CSV), od.path(PROBLEMS_XLSX), inputs=files)
        # Composed before the block ends: the report is published only if the summary can be told too.
        lines = _check_lines(result, out / PROBLEMS_CSV, out / PROBLEMS_XLSX)
    for line in lines:
        info(line)
    if not result.clean:
        raise typer.Exit(EXIT_INPUT)


def _check_lines(result, csv_path: Path, xlsx_path: Path) -> list[str]:
    """What `census check` says: each return's counts, the first problems, the report's files
    and, when nothing was found, that the returns are ready."""
    lines = [f"{row.file}: {row.year_from if row.records == 0 and row.errors else f'checked as {row.year} ({row.year_from})'}, "
             f"{row.records} records, {row.errors} errors, {row.warnings} warnings"
             for row in result.summary().itertuples(index=False)]
    lines += _shown(result.table())
    lines.append(f"wrote {csv_path} and {xlsx_path}")
    if result.clean:
        lines.append("clean: ready to submit")
    return lines


def run_import(files: List[Path], out: Path, salt: Optional[str], *, strict: bool = False,
               problems: Optional[Path] = None, force: bool = False) -> None:
    """Import returns into an hr_history CSV (shared by `census import` and `churn import-csww`)."""
    from workforce.census.importer import import_returns
    from workforce.contracts import to_csv_frame
    from workforce.csvcells import write_csv
    from workforce.outputs import output_files

    _salt_note(salt)
    result = import_returns(files, salt=salt, strict=strict)
    table = result.problems_table()
    # hr_history and the problems CSV are published together: a --problems path that cannot be
    # written (a folder, someone's file) leaves no hr_history behind either.
    paths, options = [out], ["--out"]
    if problems is not None:
        paths, options = [out, problems], ["--out", "--problems"]
    with output_files(paths, options, inputs=list(files), force=force) as staged:
        write_csv(to_csv_frame(result.hr_history), staged[0], index=False, float_format="%.6g")
        if problems is not None:
            write_csv(table, staged[1], index=False)
        # Composed before the block ends: the files are published only if the summary can be told too.
        lines = [*result.summary.lines(), *_shown(table),
                 f"wrote {out} ({len(result.hr_history)} rows)" + (f" and {problems}" if problems is not None else "")]
    for line in lines:
        info(line)


@census_app.command("import")
@guarded
def import_(
    files: List[Path] = typer.Argument(..., help="Census return XML files, one per year (or folders of them)."),
    out: Path = typer.Option(..., "--out", help="hr_history CSV to write."),
    salt: Optional[str] = typer.Option(None, "--salt", envvar="WORKFORCE_CSWW_SALT", help=SALT_HELP),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    problems: Optional[Path] = typer.Option(None, "--problems", help=PROBLEMS_HELP),
    force: bool = force_option(),
) -> None:
    """Stack census returns of any year 2021-2025 into an hr_history table (pseudonymised).

    Every record is accounted for (kept, merged or refused); problems are listed, and with
    --strict refuse the import."""
    run_import(files, out, salt, strict=strict, problems=problems, force=force)
