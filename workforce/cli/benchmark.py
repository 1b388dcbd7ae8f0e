"""CLI command: `workforce benchmark --la CODE [--data DIR] [--out DIR]`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from workforce.cli.common import force_option, guarded, info


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("benchmark")(benchmark)


@guarded
def benchmark(
    la: str = typer.Option(..., "--la", help="the authority: old code (333), new code (E08000028) or name (Sandwell)."),
    data: Optional[List[Path]] = typer.Option(
        None, "--data", help="DfE CSV files or folders (repeatable); default: the bundled copy, years to 2023."),
    out: Path = typer.Option(Path("benchmark_out"), "--out", help="output folder (written all at once, only on success)."),
    force: bool = force_option(),
) -> None:
    """Show an authority beside its ten statistical neighbours, its region and England.

    Every published year of turnover, agency, vacancy and absence rates, caseload, children in
    need, re-referrals, CP plans, children looked after and looked-after children with three or
    more social workers."""
    from workforce.outputs import OutputDir
    from workforce.published import read_published
    from workforce.published.benchmark import benchmark as build
    from workforce.published.workbook import write_benchmark_files

    pub = read_published(data or None)
    bench = build(pub, la)
    with OutputDir(out, inputs=data or (), force=force) as od:
        names = write_benchmark_files(od, bench, pub)
        # Composed before the block ends: the outputs are published only if the summary can be told too.
        lines = _summary_lines(pub, bench, [out / name for name in names])
    for line in lines:
        info(line)


def _summary_lines(pub, bench, paths: list[Path]) -> list[str]:
    """What the console says: messages from reading, the authority and its neighbours, each
    indicator's latest year beside the neighbours and England, and the files written."""
    import pandas as pd

    lines = list(pub.messages)
    lines.append(f"{bench.la_name} ({bench.la_code}); region {bench.region_name}; neighbours: "
                 + ", ".join(bench.neighbours["la_name"]))
    summary = bench.summary()
    width = max(len(t) for t in summary["indicator"])
    units = max(len(str(u)) for u in summary["unit"])
    lines.append(f"{'indicator':<{width}}  {'unit':<{units}}  {'date':<10}  {'authority':>9}  {'neighbours':>10}  "
                 f"{'England':>8}")
    for row in summary.itertuples(index=False):
        if pd.isna(row.year):  # pd.NA (a nullable year) has no truth value: `!=` on it raised
            lines.append(f"{row.indicator:<{width}}  {row.unit:<{units}}  none published")
            continue
        lines.append(f"{row.indicator:<{width}}  {row.unit:<{units}}  {row.date:<10}  {row.authority:>9.1f}  "
                     f"{row.neighbours_mean:>10.1f}  {row.england:>8.1f}")
    lines.append("date: the day each figure refers to (workforce census 30 September; children's tables 31 March, "
                 "flows in the year to it)")
    lines += [f"note: {line}" for line in bench.joint_notes()]
    lines += [f"wrote {path}" for path in paths]
    return lines
