"""`import_returns`: census returns of any schema year to `hr_history`, with every record
accounted for and every problem listed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from workforce.census.history import ImportSummary, build_history
from workforce.census.load import LoadedReturns, load_returns
from workforce.census.problems import ERROR, WARNING, CensusProblem, count_by_severity, problems_frame
from workforce.census.records import fold_blanked
from workforce.errors import InputError, Problem


@dataclass
class CensusImport:
    """The result of an import.

    Attributes
    ----------
    hr_history : DataFrame
        Typed as `workforce.contracts.load_hr_history` returns it.
    summary : ImportSummary
        What happened to every record read.
    problems : list of CensusProblem
        Schema problems, refused records, values read as blank (one problem per value, :func:`fold_blanked`)
        and header warnings (the DfE rules are `check`'s).
    loaded : LoadedReturns
        The returns as read (years, census days, authority-level fields, typed records).
    outcome : Series
        Each record's outcome (`workforce.census.history`), aligned to `loaded.records`.
    """

    hr_history: pd.DataFrame
    summary: ImportSummary
    problems: list[CensusProblem]
    loaded: LoadedReturns
    outcome: pd.Series

    def problems_table(self) -> pd.DataFrame:
        """The problems as a table (no SWE numbers or birth dates; workers by pseudonym)."""
        return problems_frame(self.problems, self.loaded.worker_ids())


def import_returns(paths: Sequence[str | Path], *, salt: str | None = None, strict: bool = False) -> CensusImport:
    """Import CSWW census returns of any year 2021-2025 into `hr_history`.

    Parameters
    ----------
    paths : sequence of str or Path
        Return files (one per year) or folders of them.
    salt : str, optional
        Secret for the pseudonymous worker IDs (keep it to match IDs across imports); random
        when not given.
    strict : bool
        Refuse the whole import when any return has a schema problem or a record that cannot
        be used. By default what is usable is imported and the rest is listed.

    Returns
    -------
    CensusImport

    Raises
    ------
    InputError
        A file is missing, malformed or unsafe; no record is usable; or, with `strict`, any
        error was found (all are listed).
    """
    loaded = load_returns(paths, salt=salt)
    problems = fold_blanked(loaded.problems, loaded.blanked)  # one problem per value to fix
    errors = [p for p in problems if p.severity == ERROR]
    if strict and errors:
        raise InputError(problems=[p.as_problem() for p in errors])
    records = loaded.records
    if records.empty or records["refused"].ne("").all():
        lead = Problem("", "no usable <CSWWWorker> record in the given return(s)")
        raise InputError(problems=[lead, *(p.as_problem() for p in errors)])
    history, outcome, summary = build_history(records)
    summary.files = [r.name for r in loaded.returns]
    summary.reference_dates = [str(r.reference_date.date()) if r.reference_date is not None else "no date" for r in loaded.returns]
    counts = count_by_severity(problems)
    summary.schema_errors, summary.warnings = counts[ERROR], counts[WARNING]
    return CensusImport(history, summary, problems, loaded, outcome)
