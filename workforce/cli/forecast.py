"""CLI command: `workforce forecast --data DIR --until YEAR --years N [--la CODE ...] --out DIR`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer

from workforce.cli.common import force_option, guarded, info


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("forecast")(forecast)


@guarded
def forecast(
    data: Optional[List[Path]] = typer.Option(
        None, "--data", help="DfE CSV files or folders (repeatable); default: the bundled copy, years to 2023."),
    until: int = typer.Option(..., "--until", help="last year read: rows with a later time_period are never read."),
    years: int = typer.Option(3, "--years", help="how many years after --until to forecast (1-10)."),
    la: Optional[List[str]] = typer.Option(None, "--la", help="authorities to write (repeatable; default all)."),
    select_until: Optional[int] = typer.Option(
        None, "--select-until", help="last target year used to choose each measure's method (default: --until)."),
    out: Path = typer.Option(..., "--out", help="output folder (written all at once, only on success)."),
    force: bool = force_option(),
) -> None:
    """Forecast every authority's published measures for the years after --until.

    Referrals, re-referral rate, children in need, CP plans, children looked after, social
    workers in post, turnover, agency, vacancy rates and caseload, with 10th-90th percentile
    intervals and the method that made each figure."""
    from workforce.csvcells import write_csv
    from workforce.errors import InputError
    from workforce.outputs import OutputDir
    from workforce.published import read_published
    from workforce.demand.forecasting import forecast_methods
    from workforce.published.forecast import forecast as run, method_table

    if select_until is not None and select_until > until:
        raise InputError(f"--select-until ({select_until}) cannot be after --until ({until})", column="--select-until")
    started = time.perf_counter()
    pub = read_published(data or None, until=until)
    methods = forecast_methods()
    result = run(pub, years, las=la, select_until=select_until, methods=methods)
    seconds = time.perf_counter() - started
    names = ("forecast.csv", "not_forecast.csv", "methods.csv", "intervals.csv")
    with OutputDir(out, inputs=data or (), force=force) as od:
        write_csv(result.forecast.round(3), od.path("forecast.csv"), index=False)
        write_csv(result.not_forecast, od.path("not_forecast.csv"), index=False)
        write_csv(method_table(result, methods, select_until if select_until is not None else until),
                  od.path("methods.csv"), index=False)
        write_csv(result.intervals, od.path("intervals.csv"), index=False)
        # Composed before the block ends: the outputs are published only if the summary can be told too.
        lines = _summary_lines(pub, result, years, until, seconds, [out / name for name in names])
    for line in lines:
        info(line)


def _summary_lines(pub, result, years: int, until: int, seconds: float, paths: list[Path]) -> list[str]:
    """What the console says: messages from reading, then per measure the method chosen and how
    many authorities were forecast or not, and the files written."""
    lines = list(pub.messages)
    chosen = result.selection[result.selection["chosen"]].set_index("measure")["method"]
    counts = result.forecast.groupby("measure")["la_code"].nunique()
    missing = result.not_forecast.groupby("measure")["la_code"].nunique()
    lines.append(f"forecast {years} year(s) after {until} from data to {until} ({seconds:.1f} s)")
    width = max([14, *(len(m) for m in chosen)])
    for measure in sorted(set(counts.index) | set(missing.index)):
        lines.append(f"  {measure:<18} {chosen.get(measure, '-'):<{width}} {int(counts.get(measure, 0)):>4} authorities"
                     f"; not forecast: {int(missing.get(measure, 0))}")
    lines += [f"wrote {path}" for path in paths]
    return lines
