"""Reading the public Generalized Assignment benchmark files (OR-Library, Chu & Beasley, Yagiura).

Every file is a stream of whitespace-separated integers (line breaks mean nothing):
``m n``, then ``m`` rows of ``n`` costs, ``m`` rows of ``n`` loads and ``m`` capacities.
The OR-Library multi-instance files (``orlib/gap1.txt`` ...) start with the number of problems.
See ``shared/benchmarks/gap/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.errors import InputError


@dataclass(frozen=True)
class GapInstance:
    """One GAP instance as matrices: agent ``i`` taking job ``j`` costs ``cost[i, j]`` and uses
    ``load[i, j]`` of the agent's ``capacity[i]``."""

    name: str
    cost: np.ndarray  # (m, n) int64
    load: np.ndarray  # (m, n) int64
    capacity: np.ndarray  # (m,) int64

    @property
    def m(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n(self) -> int:
        return int(self.cost.shape[1])

    def negated(self) -> "GapInstance":
        """The same instance with costs negated: maximising profit = minimising its negation."""
        return GapInstance(self.name, -self.cost, self.load, self.capacity)

    def pairs(self) -> pd.DataFrame:
        """Every (job, agent) pair as the ``item, agent, cost, load`` frame the core model takes."""
        m, n = self.cost.shape
        agent = np.repeat(np.arange(m), n)
        item = np.tile(np.arange(n), m)
        frame = pd.DataFrame(
            {"item": item, "agent": agent, "cost": self.cost.ravel().astype(float),
             "load": self.load.ravel().astype(float)}
        )
        return frame.sort_values(["item", "agent"], kind="stable").reset_index(drop=True)

    def capacity_series(self) -> pd.Series:
        """Capacities indexed by agent number, as the core model takes them."""
        return pd.Series(self.capacity.astype(float), index=pd.RangeIndex(self.m), name="capacity")


def _tokens(path: Path) -> np.ndarray:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read GAP instance: {exc}", file=path) from exc
    try:
        return np.array(text.split(), dtype=np.int64)
    except ValueError as exc:
        raise InputError("GAP instance files hold whitespace-separated integers only", file=path) from exc


def _instance_at(tokens: np.ndarray, pos: int, name: str, path: Path) -> tuple[GapInstance, int]:
    if pos + 2 > len(tokens):
        raise InputError("file ends before the 'm n' header of an instance", file=path)
    m, n = int(tokens[pos]), int(tokens[pos + 1])
    if m <= 0 or n <= 0:
        raise InputError(f"instance header gives m={m}, n={n}; both must be positive", file=path)
    pos += 2
    need = 2 * m * n + m
    if pos + need > len(tokens):
        raise InputError(
            f"instance {name} ({m} x {n}) needs {need} numbers after its header, "
            f"the file has {len(tokens) - pos}", file=path)
    cost = tokens[pos:pos + m * n].reshape(m, n)
    load = tokens[pos + m * n:pos + 2 * m * n].reshape(m, n)
    capacity = tokens[pos + 2 * m * n:pos + need]
    return GapInstance(name, cost.copy(), load.copy(), capacity.copy()), pos + need


def read_gap_instance(path: str | Path, *, name: str | None = None) -> GapInstance:
    """Read a single-instance file (``cattrysse1994/``, ``chu1997/``, ``yagiura2004/``).

    Parameters
    ----------
    path : str or Path
    name : str or None
        The instance's name (default: the file name).

    Returns
    -------
    GapInstance

    Raises
    ------
    InputError
        When the file cannot be read, holds anything but integers, or is too short or too long
        for its ``m n`` header.
    """
    path = Path(path)
    tokens = _tokens(path)
    instance, end = _instance_at(tokens, 0, name or path.name, path)
    if end != len(tokens):
        raise InputError(f"{len(tokens) - end} unexpected numbers after the instance", file=path)
    return instance


def read_gap_collection(path: str | Path) -> list[GapInstance]:
    """Read an OR-Library multi-instance file: the problem count, then the problems in turn.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    list of GapInstance
        Problem ``p`` (from 0) is named ``<stem>-<p>``, matching ``cattrysse1994/<stem>-<p>``.

    Raises
    ------
    InputError
        As `read_gap_instance`, for any of the problems.
    """
    path = Path(path)
    tokens = _tokens(path)
    if len(tokens) == 0:
        raise InputError("empty file", file=path)
    count, pos = int(tokens[0]), 1
    instances = []
    for p in range(count):
        instance, pos = _instance_at(tokens, pos, f"{path.stem}-{p}", path)
        instances.append(instance)
    if pos != len(tokens):
        raise InputError(f"{len(tokens) - pos} unexpected numbers after {count} instances", file=path)
    return instances
