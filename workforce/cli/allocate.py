"""CLI command: `workforce allocate` (place or rebalance children's cases across social workers)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer

from workforce.cli.common import Dates, dates_option, force_option, guarded, info, seconds_limit

#: The time limit covers writing the files too: kept back from the solver, per child written
#: (measured 17 s for the CSVs and allocation.xlsx of a 50,000-child authority, with a margin).
WRITE_SECONDS_PER_CHILD = 0.6e-3


def _summary_lines(result, out: Path, rules) -> list[str]:
    """What the console says about an allocation: the summary table (rendered as it will be
    printed, colours and width included), the risk notes and where the outputs are.

    Composed inside the OutputDir block, so a failure here publishes nothing (it was once
    printed after the outputs were published, and a failure left them behind exit 1)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from workforce.allocation.explain import OVER_CAP_WORDS
    from workforce.excel.workbooks import allocation_workbook_indicators

    s = result.summary
    table = Table(title=f"Allocation ({s['mode']}, reach {s['reach']}): {s['status']}", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    left = s["workers_left_over_a_cap"]
    rows = [("children", str(s["children"])), ("new allocations", str(s["new_allocations"]))]
    rows += [(i.name, i.text) for i in allocation_workbook_indicators(s, result.worker_loads, rules)]
    rows += [
        ("cross-team moves", str(s["cross_team_moves"])),
        ("workers left over a cap, by reason",
         "; ".join(f"{OVER_CAP_WORDS.get(k, k)}: {v}" for k, v in left.items()) or "none"),
        *([("waiting families other teams of the locality could take (--reach locality)",
            ", ".join(f"{t}: {n}" for t, n in s["waiting_families_other_teams_could_take"].items())
            + (f"; other work, not advised: {', '.join(s['other_teams_doing_other_work'])}"
               if s["other_teams_doing_other_work"] else "") or "none")] if s["reach"] == "team" else []),
        ("objective (manager's baseline)", f"{s['objective']:.1f} ({s['baseline_objective']:.1f})"),
        ("gap to proven bound", "-" if s["gap"] is None else f"{s['gap']:.3%}"),
        ("stopped by the time limit", "yes" if s["stopped_by_time_limit"] else "no"),
        ("existing problems found", str(s["existing_issues"])),
        ("seconds", f"{result.timings.get('total', 0.0):.1f}"),
    ]
    for k, v in rows:
        table.add_row(k, Text(v))  # plain text: a value may hold team names, never read as Rich markup
    console = Console()  # the console it will be printed on: same width and colours
    with console.capture() as captured:
        console.print(table)
    lines = [captured.get().removesuffix("\n")]
    lines += [f"note: {note}" for note in s.get("risk_notes", [])]
    lines.append(f"outputs written to {out} (each figure's definition: the Summary sheet of allocation.xlsx)")
    return lines


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command("allocate")
    @guarded
    def allocate_cmd(
        workers: Path = typer.Option(..., "--workers", "-w", help="workers table (CSV or XLSX)"),
        cases: Path = typer.Option(..., "--cases", "-c", help="cases table (CSV or XLSX)"),
        out: Path = typer.Option(..., "--out", "-o", help="output folder"),
        mode: str = typer.Option("rebalance", "--mode", help="new | rebalance | leaver"),
        leaver: Optional[List[str]] = typer.Option(None, "--leaver", help="worker ID who is leaving (repeat)"),
        risk: Optional[Path] = typer.Option(None, "--risk", help="risk table: worker_id, p_leave"),
        time_limit: Optional[float] = typer.Option(None, "--time-limit", help="seconds for the whole run: read, build, solve, report (default 30)"),
        solver: str = typer.Option("highs", "--solver", help="highs | cbc"),
        config: Optional[Path] = typer.Option(None, "--config", help="settings file: its \\[caseload] and \\[allocation] sections are used (example: examples/workforce.toml)"),
        reach: Optional[str] = typer.Option(None, "--reach", help="team | locality: where a family may go (default from the settings: team)"),
        make_room: bool = typer.Option(False, "--make-room", help="allow leaving a held child without a worker to place a higher-priority child (each one listed in changes.csv)"),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="date contract ends are measured from, YYYY-MM-DD (default: the latest date in the inputs)"),
        explain: Optional[str] = typer.Option(None, "--explain", help="print one child's explanation (CASE_ID), read from the outputs just written"),
        dates: Dates = dates_option(),
        force: bool = force_option(),
    ) -> None:
        """Allocate children to social workers: new families, a rebalance, or a leaver's caseload.

        Siblings share a worker; pinned children stay; ASYEs hold no CP or court case alone;
        nobody is given work above their caps; no child loses their worker unless --make-room.
        Writes allocations.csv, changes.csv, unallocated.csv, worker_loads.csv,
        explanations.csv, team_summary.csv, existing_issues.csv, summary.json,
        allocation_settings.toml (the settings used, to pass back with --config) and
        allocation.xlsx to OUT (nothing is written unless all succeed). The time limit counts from the start: reading the files included.
        """
        started = time.perf_counter()
        import sys
        from dataclasses import replace

        from workforce.allocation.config import REACHES, AllocationConfig
        from workforce.allocation.problem import check_mode
        from workforce.config import load_settings
        from workforce.errors import InputError
        from workforce.mip import check_solver

        check_mode(mode, column="--mode")
        solver = check_solver(solver, column="--solver")
        time_limit = seconds_limit(time_limit)
        cfg = load_settings(config).allocation if config else AllocationConfig()
        if reach is not None:
            if reach not in REACHES:
                raise InputError(f"unknown reach '{reach}'", column="--reach", allowed=", ".join(REACHES))
            cfg = replace(cfg, reach=reach)
        if make_room:
            cfg = replace(cfg, make_room=True)

        from rich.console import Console

        from workforce.allocation.explain import explain_row
        from workforce.allocation.model import allocate
        from workforce.contracts import load_cases, load_risk, load_workers
        from workforce.outputs import OutputDir
        from workforce.pipeline import read_explanations, write_allocation_files

        w = load_workers(workers)
        c = load_cases(cases, workers=w, leavers=tuple(x.strip() for x in leaver or ()))
        r = load_risk(risk) if risk else None
        if explain is not None and not (c["case_id"] == explain.strip()).any():
            raise InputError(f"case '{explain}' is not in the cases table", file=cases, column="case_id")
        inputs = [p for p in (workers, cases, risk, config) if p is not None]

        console = Console(stderr=True)
        with console.status("building and solving the allocation model...") as status:
            def progress(event: dict) -> None:
                gap = event.get("gap")
                status.update(f"solving: {event['seconds']:.0f}s, best {event['objective']:.1f}"
                              + ("" if gap is None else f", gap {gap:.2%}"))

            result = allocate(w, c, mode=mode, leavers=tuple(leaver or ()), risk=r, config=cfg,
                              time_limit=time_limit, solver=solver, as_of=as_of, started=started,
                              keep_back=WRITE_SECONDS_PER_CHILD * len(c),
                              progress=progress if sys.stderr.isatty() else None)
        with OutputDir(out, inputs=inputs, force=force) as od:
            write_allocation_files(od, result, inputs=inputs, config=cfg)
            # Composed before the block ends: the outputs are published only if the summary can be
            # told too. The explanation is read back from the staged file, as written.
            lines = _summary_lines(result, out, cfg.rules)
            if explain is not None:
                staged = od.path("explanations.csv").parent
                lines += ["", explain_row(read_explanations(staged), explain, file=str(out / "explanations.csv"))]
        for line in lines:
            info(line)
