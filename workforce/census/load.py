"""Reading a set of returns: each file parsed safely, its year detected, validated against that
year's schema, its header cross-checked and its records typed and pseudonymised.

:func:`load_returns` is shared by the pre-submission check and the import. The DfE
data-quality rules run only when asked (`rules=True`, the check): the import needs the schema
verdict, not advice on fields it does not use.
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence
from xml.etree.ElementTree import Element

import pandas as pd

from workforce.census import rules as dq
from workforce.census.problems import ERROR, CensusProblem
from workforce.census.reader import FIX_UNSAFE, CensusReturn, read_return
from workforce.census.records import blanked_problems, records_frame, refusal_problems, weak_salt
from workforce.census.schema import YearChoice, detect_year, reference_date, validate_return
from workforce.errors import InputError, InputWarning

NO_REFERENCE = "no usable <ReferenceDate> in the header: the return cannot be placed in time"


@dataclass
class LoadedReturn:
    """One return after reading: which schema year, its census day, its authority-level
    fields (`LALevelVacancies`) and its records."""

    path: Path
    choice: YearChoice
    reference_date: pd.Timestamp | None
    la: str
    la_fields: dict[str, str]
    records: pd.DataFrame

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def year(self) -> int:
        return self.choice.year


@dataclass
class LoadedReturns:
    """Every return read (sorted by census day, then file name), every problem found, and the
    salt that made the pseudonyms. `blanked` holds the import's own problems with values it reads
    as blank (:func:`workforce.census.records.blanked_problems`), apart from `problems`: they are
    not submission issues, and the import folds those the schema already reports into the
    schema's problem (:func:`workforce.census.records.fold_blanked`)."""

    returns: list[LoadedReturn]
    problems: list[CensusProblem]
    salt: str
    unreadable: list[str] = field(default_factory=list)
    blanked: list[CensusProblem] = field(default_factory=list)

    @property
    def records(self) -> pd.DataFrame:
        """All records of all returns in one frame (see :mod:`workforce.census.records`)."""
        frames = [r.records for r in self.returns]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def worker_ids(self) -> dict[tuple[str, int], str]:
        """(file name, position) -> pseudonymous worker ID, for the problems table."""
        out: dict[tuple[str, int], str] = {}
        for r in self.returns:
            out.update(zip(zip([r.name] * len(r.records), r.records["position"].astype(int)), r.records["worker_id"]))
        return out


def return_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The XML files named, with folders expanded to the `*.xml` files inside (sorted).

    Raises
    ------
    InputError
        A path does not exist, or no XML file was found.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.suffix.lower() == ".xml" and q.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise InputError("file or folder not found", file=p)
    if not out:
        raise InputError("no census return (.xml file) found in " + ", ".join(map(str, paths)))
    return out


def _load_one(ret: CensusReturn, salt: str, rules: bool) -> tuple[LoadedReturn, list[CensusProblem], list[CensusProblem]]:
    choice = detect_year(ret)
    ref = reference_date(ret)
    problems = validate_return(ret, choice.year)
    problems += dq.check_header(ret, choice)
    records = records_frame(ret, year=choice.year, reference=ref, salt=salt)
    if ref is None:
        records["refused"] = NO_REFERENCE
    if rules:
        problems += dq.check_records(records)
    problems += [p for p in refusal_problems(records) if ref is not None]
    loaded = LoadedReturn(ret.path, choice, ref, ret.la, dict(ret.la_fields), records)
    return loaded, problems, blanked_problems(records)


def with_line(problem: CensusProblem, ret: CensusReturn) -> CensusProblem:
    """The problem with the line of the file where its record (or header element) starts: the
    position and the salted pseudonym cannot be looked up in the source, a line can."""
    if problem.line is not None or problem.file != ret.name:
        return problem
    return replace(problem, line=ret.line_of(problem.position, problem.element))


def load_returns(paths: Sequence[str | Path], *, salt: str | None = None, rules: bool = False,
                 keep_going: bool = False) -> LoadedReturns:
    """Read, validate and type a set of returns.

    Parameters
    ----------
    paths : sequence of str or Path
        Return files or folders of them.
    salt : str, optional
        Secret for the pseudonymous worker IDs; a random one when not given (IDs then match
        only within this call). One shorter than 16 characters gives an `InputWarning`
        (:func:`workforce.census.records.weak_salt`).
    rules : bool
        Also run the DfE data-quality rules (:mod:`workforce.census.rules`).
    keep_going : bool
        Report a file that cannot be read (malformed or unsafe XML) as a problem and go on with
        the others, instead of raising.

    Returns
    -------
    LoadedReturns

    Raises
    ------
    InputError
        A path is missing, or (without `keep_going`) a file cannot be read safely.
    """
    salt = salt or secrets.token_hex(16)
    weakness = weak_salt(salt)
    if weakness:
        warnings.warn(InputWarning(weakness), stacklevel=2)
    loaded: list[LoadedReturn] = []
    problems: list[CensusProblem] = []
    blanked: list[CensusProblem] = []
    unreadable: list[str] = []
    pairs: list[tuple[CensusReturn, YearChoice]] = []
    for path in return_paths(paths):
        try:
            ret = read_return(path)
        except InputError as exc:
            if not keep_going:
                raise
            unreadable.append(path.name)
            fix = getattr(exc, "fix", FIX_UNSAFE)
            for p in exc.problems:
                problems.append(CensusProblem(path.name, ERROR, "xml", p.message, fix, None, p.column or "", "", None, p.row))
            continue
        one, found, blanks = _load_one(ret, salt, rules)
        loaded.append(one)
        problems += [with_line(p, ret) for p in found]
        blanked += [with_line(p, ret) for p in blanks]
        # keep the header and the lines only: the tree is not needed once the records are typed
        pairs.append((CensusReturn(ret.path, Element("Message"), ret.collection, ret.year_text, ret.reference_text, ret.la,
                                   worker_lines=ret.worker_lines, lines=ret.lines), one.choice))
    by_name = {r.name: r for r, _ in pairs}
    problems += [with_line(p, by_name[p.file]) for p in dq.returns_belong_together(pairs)]
    loaded.sort(key=lambda r: (r.reference_date if r.reference_date is not None else pd.Timestamp.max, r.name))
    return LoadedReturns(loaded, problems, salt, unreadable, blanked)
