"""DfE published statistics: every authority against its neighbours, and forecasts scored
against what happened (issue 13).

``read_published`` reads the explore-education-statistics CSV files (recognised by their
columns) or, by default, the bundled copy of the years to 2023; :class:`Published` gives
histories, series, codes and statistical neighbours. Measure names and the year convention:
``docs/published.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from workforce.published.benchmark import Benchmark, benchmark
from workforce.published.bundle import load_bundle, load_neighbours
from workforce.published.forecast import METHODS, Method, forecast, per_authority, register_method
from workforce.published.reading import read_paths
from workforce.published.store import Published
from workforce.published.trajectories import best_decile_pace, change_table, trajectory_position

__all__ = [
    "Benchmark", "METHODS", "Method", "Published", "benchmark", "best_decile_pace", "change_table", "forecast",
    "per_authority", "read_published", "register_method", "trajectory_position",
]


def read_published(paths: str | Path | Iterable[str | Path] | None = None, *, until: int | None = None) -> Published:
    """Read published DfE statistics.

    Parameters
    ----------
    paths : path or iterable of paths, optional
        Files and/or folders of DfE CSV files. None (the default): the bundled copy (years to
        2023). A named file that is no known layout is an error; in a folder, such files are
        skipped and listed in ``Published.skipped``. When no statistical-neighbour file is among
        them, the bundled neighbour model is used (and ``messages`` says so).
    until : int, optional
        Read only rows with ``time_period <= until``; later rows are dropped before any value is
        parsed.

    Returns
    -------
    Published

    Raises
    ------
    workforce.errors.InputError
        A missing path; a named file of no known layout (naming what was expected); a value that
        is neither a number nor a status code (file, row, column); no published table at all.
    """
    if paths is None:
        result = load_bundle(until)
        messages = ["read the bundled DfE statistics (years to 2023; see workforce/data/dfe/README.md)"]
    else:
        if isinstance(paths, (str, Path)):
            paths = [paths]
        result = read_paths(paths, until)
        messages = list(result.messages)
        if result.neighbours is None:
            result.neighbours = load_neighbours()
            messages.append("no statistical-neighbour file given: the bundled DfE model (2025) is used")
    return Published(
        result.values,
        result.notes,
        files=result.files,
        skipped=result.skipped,
        neighbour_table=result.neighbours,
        messages=messages,
        until=until,
    )
