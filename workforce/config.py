"""One settings file for the whole product, read by one loader.

A settings file is TOML with four sections; `examples/workforce.toml` is a complete, commented
example and the reference for every key:

* ``[caseload]`` - the capacity model, :class:`workforce.caseload.CaseloadRules`: case weights
  (``[caseload.case_points]``), points per FTE, ASYE protection and each role's caps
  (``[caseload.roles.<role>]``). The only place a caseload number is set: allocation and plans
  both use it.
* ``[allocation]`` - :class:`workforce.allocation.config.AllocationConfig`: objective weights
  (``[allocation.weights]``), the allocation policy (``[allocation.policy]``: ``reach``,
  ``make_room``, ``over_capacity_gains``, ``over_demand``, ``contract_horizon_weeks``) and solver
  settings (``[allocation.solver]``: ``time_limit``, ``gap_rel``, ``node_limit``,
  ``search_passes``, ``threads``, ``decompose``).
* ``[plans]`` - the plan assumptions, :class:`workforce.plans.assumptions.Assumptions`, one table
  per group (``[plans.projection]``, ``[plans.demand]``, ``[plans.supply]``, ``[plans.costs]``,
  ``[plans.recruitment]``, ``[plans.feasibility]``, ``[plans.gateway]``, ``[plans.montecarlo]``)
  and the L&D catalogue (``[plans.programme.<name>]``); each value plain or as
  ``{ value = .., basis = "..", low = .., high = .. }`` (`low`/`high`: the range of an uncertain
  value, sampled by the Monte Carlo).
* ``[run]`` - what ``workforce run`` does: ``seed``, ``allocation_mode``, ``leavers``, ``la`` (the
  authority's code: the plan's Benchmarks sheet) and the tables ``[run.inputs]`` (``workers``,
  ``cases``, ``hr_history``, ``model``, ``risk``, ``assumptions``, ``establishment`` (the funded
  posts by team and role); ``census_returns`` and
  ``roster`` in place of ``workers`` and ``hr_history``; ``published_data``), ``[run.outputs]``
  (``folder``), ``[run.churn]`` (``horizon_months``, ``use_protected``), ``[run.census]``
  (``salt``) and ``[run.demand]`` (``la`` or ``history``, ``assumptions``, ``scenario``,
  ``years``: the demand model the plan's demand comes from). Paths are relative to the settings
  file.

Every section is optional; what is left out keeps its default. Older files are still read: the
allocation settings file (top-level ``[caseload]``, ``[weights]``, ``[policy]``, ``[solver]``; an
old ``[guards]`` table is refused with the reason: the guards were removed),
the plan assumptions file (top-level ``[projection]`` ... ``[programme.<name>]``), the run
config (top-level ``[inputs]``, ``[outputs]``, ``[churn]``, ``[allocation] mode``/``leavers``/
``time_limit``) and a plan workbook's Assumptions sheet; every key read from its old place is
named, with its new place, in one :class:`~workforce.errors.InputWarning` per file. A bad
file raises :class:`~workforce.errors.InputError` naming the file, the line, the key
(``[section] key``) and what is allowed.
"""

from __future__ import annotations

import json
import re
import tomllib
import warnings
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from workforce.allocation.config import AllocationConfig
from workforce.allocation.problem import MODES
from workforce.caseload import BASIS, CaseloadRules, describe
from workforce.demand.measures import year_window_problem
from workforce.errors import InputError, Problem, InputWarning
from workforce.plans.assumptions import (SECTIONS as PLAN_SECTIONS, Assumptions, Programme, assumptions_from_frame,
                                         assumptions_from_sections, value_fields)
from workforce.readers import check_file, check_not_other_spreadsheet, read_table, read_toml_text, source_label

if TYPE_CHECKING:
    import pandas as pd

SECTIONS = ("caseload", "allocation", "plans", "run")
EXAMPLE = "examples/workforce.toml"
#: File types read as a plan workbook's (or an assumptions CSV's) Assumptions sheet.
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv")

ALLOCATION_TABLES = ("weights", "policy", "solver")
#: Allocation tables that no longer exist, passed on so that the allocation says why.
REMOVED_ALLOCATION_TABLES = ("guards",)
RUN_KEYS = ("seed", "allocation_mode", "leavers", "la", "inputs", "outputs", "churn", "census", "demand")
RUN_TABLES: dict[str, tuple[str, ...]] = {
    "inputs": ("workers", "cases", "hr_history", "model", "risk", "assumptions", "establishment", "census_returns",
               "roster", "published_data"),
    "outputs": ("folder",),
    "churn": ("horizon_months", "use_protected"),
    "census": ("salt",),
    "demand": ("la", "history", "assumptions", "scenario", "years"),
}
#: A churn model needs one of these to score the workforce (census returns give hr_history).
RISK_SOURCES = ("hr_history", "model", "risk", "census_returns")
#: The census returns stand in for these tables.
CENSUS_GIVES = ("workers", "hr_history")
#: Where the salt of the census pseudonyms comes from when `[run.census] salt` is not set.
SALT_ENV = "WORKFORCE_CSWW_SALT"

#: Old top-level tables and their places now.
MOVED_TABLES: dict[str, tuple[str, ...]] = {
    "weights": ("allocation", "weights"),
    "policy": ("allocation", "policy"),
    "guards": ("allocation", "guards"),
    "solver": ("allocation", "solver"),
    "inputs": ("run", "inputs"),
    "outputs": ("run", "outputs"),
    "churn": ("run", "churn"),
    **{name: ("plans", name) for name in (*PLAN_SECTIONS, "programme", "programmes")},
}
#: Old keys of the run config's `[allocation]` table and their places now.
MOVED_ALLOCATION_KEYS: dict[str, tuple[str, ...]] = {
    "mode": ("run", "allocation_mode"),
    "leavers": ("run", "leavers"),
    "time_limit": ("allocation", "solver", "time_limit"),
}

MINIMAL_RUN = """[run.inputs]
workers = "workers.csv"
cases = "cases.csv"
hr_history = "hr_history.csv"   # or model = "models/churn", or risk = "risk.csv"
[run.outputs]
folder = "out\""""


@dataclass(frozen=True)
class DemandSettings:
    """Where a plan's demand comes from: the demand model (:mod:`workforce.demand`) calibrated on
    an authority's published history (`la`) or its own (`history`), with optional demand
    assumptions (levers, scenarios) and the scenario that drives the plan.

    Read from `[run.demand]` by :func:`load_settings`, and from `workforce plan --demand-*`.
    """

    la: str | None = None
    history: Path | None = None
    assumptions: Path | None = None
    scenario: str | None = None
    years: str | None = None

    @property
    def inputs(self) -> list[Path]:
        return [p for p in (self.history, self.assumptions) if p is not None]


@dataclass(frozen=True)
class RunSettings:
    """The `[run]` section: what `workforce run` reads, where it writes, and how it runs.

    Paths are absolute (resolved against the settings file's folder). `churn_horizon_months`
    is the horizon of a churn model trained by the run; the plan reads the risk it scores with
    the same horizon.
    """

    out: Path | None = None
    workers: Path | None = None
    cases: Path | None = None
    hr_history: Path | None = None
    model: Path | None = None
    risk: Path | None = None
    assumptions: Path | None = None
    establishment: Path | None = None
    seed: int = 0
    allocation_mode: str = "rebalance"
    leavers: tuple[str, ...] = ()
    churn_horizon_months: int = 12
    use_protected: bool = False
    config_path: Path | None = None
    la: str | None = None
    census_returns: Path | None = None
    roster: Path | None = None
    census_salt: str | None = None
    published_data: Path | None = None
    demand: DemandSettings | None = None

    @property
    def inputs(self) -> list[Path]:
        """Every file the run reads (for checksums, and so no output may replace one)."""
        files = [self.workers, self.cases, self.hr_history, self.model, self.risk, self.assumptions, self.establishment,
                 self.config_path, self.census_returns, self.roster, self.published_data]
        files += self.demand.inputs if self.demand is not None else []
        return [p for p in files if p is not None]


@dataclass(frozen=True)
class Settings:
    """Everything a settings file sets. `caseload` is the one capacity model: `allocation.rules`
    and `plans.caseload` are the same rules."""

    caseload: CaseloadRules = field(default_factory=CaseloadRules)
    allocation: AllocationConfig = field(default_factory=AllocationConfig)
    plans: Assumptions = field(default_factory=Assumptions)
    run: RunSettings | None = None
    source: str = ""


# ----------------------------------------------------------------------------- reading


def load_settings(path: str | Path, *, need_run: bool = False) -> Settings:
    """Read a settings file: the TOML layout above, any older layout, or the Assumptions sheet
    of a plan workbook (`.xlsx`, `.xlsm`) or an assumptions CSV.

    Parameters
    ----------
    path : str or Path
        The file.
    need_run : bool
        Require a `[run]` section (``workforce run``): its absence is an error showing the
        minimal layout.

    Returns
    -------
    Settings
        With `run` None when the file has no `[run]` section. When `[run.inputs] assumptions`
        names a plan workbook or an assumptions file, `plans` and `caseload` come from it.

    Warns
    -----
    InputWarning
        Once per file that sets keys in their old places, naming each key and its new place.

    Raises
    ------
    InputError
        The file is missing, unreadable or not TOML; an unknown section or key (with the allowed
        ones); a bad value; a key set both in its old and its new place; a `[run]` section
        without workers, cases, an output folder and one of hr_history, model or risk.
    """
    path = check_file(path, "settings file")
    check_not_other_spreadsheet(path)  # an .ods or .xls workbook is not TOML text to decode
    if path.suffix.lower() in SHEET_SUFFIXES:
        settings = _settings_from_sheet(path)
    else:
        try:
            text = read_toml_text(path)
        except OSError as exc:
            raise InputError(f"cannot be read ({exc})", file=path) from None
        settings = settings_from_toml(text, source=str(path), base_dir=path.resolve().parent)
        if settings.run is not None:
            settings = _with_config_path(settings, path)
    if need_run and settings.run is None:
        raise InputError(f"has no [run] section: `workforce run` needs at least\n{MINIMAL_RUN}\n"
                         f"(a complete, commented example: {EXAMPLE})", file=path)
    return settings


def load_assumptions(path: str | Path) -> Assumptions:
    """The plan assumptions (with their capacity model) of any settings file or plan workbook;
    see :func:`load_settings`."""
    return load_settings(path).plans


def settings_from_toml(text: str, *, source: str = "settings.toml", base_dir: Path | None = None) -> Settings:
    """Settings from TOML text; `base_dir` resolves relative paths in `[run]` (default: the
    current folder). Raises InputError as :func:`load_settings` does."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"is not valid TOML ({exc})", file=source) from None
    lines = toml_lines(text)
    try:
        return settings_from_mapping(data, source=source, base_dir=base_dir, lines=lines)
    except InputError as exc:
        raise InputError(problems=[_as_in_file(p, source, lines) for p in exc.problems]) from None


def _as_in_file(problem: Problem, source: str, lines: Mapping[tuple[str, str], int]) -> Problem:
    """A problem found in a settings file, said as the file says it: `line N` (the plan groups
    are named as the file names them by the plan parser, `file_section`), and, where the message
    names a key but gives no line, the line and table of that key."""
    if problem.file != source:
        return problem  # from another file the settings name (an assumptions workbook, say)
    message, row = problem.message, problem.row
    headers = {n for (_, key), n in lines.items() if not key}
    if row is None or row in headers:  # no line, or only its table's: the first key the message names
        named = sorted((message.find(key), n, table, key) for (table, key), n in lines.items()
                       if key and re.search(rf"\b{re.escape(key)}\b", message))
        if named:
            _, row, table, key = named[0]
            if message.startswith(key):  # "time_limit must be ...": say whose
                message = f"[{table}] {message}"
    return replace(problem, message=message, row=row, column=None, unit="line")  # a file has lines, not columns


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "settings", base_dir: Path | None = None,
                          lines: Mapping[tuple[str, str], int] | None = None) -> Settings:
    """Settings from a parsed TOML document (any layout); see :func:`load_settings`.

    Parameters
    ----------
    data : mapping
        The document.
    source : str
        The file named in messages.
    base_dir : Path, optional
        Folder that relative paths in `[run]` are resolved against.
    lines : mapping, optional
        (table, key) -> line number (:func:`toml_lines`), for messages.
    """
    lines = lines or {}
    doc = _current_layout(data, source, lines)
    plans_doc = doc.get("plans", {})
    if not isinstance(plans_doc, dict):
        raise _key_error(source, lines, "", "plans", "must be a table ([plans.<group>])")
    plan_lines = {(t[len("plans."):], k): n for (t, k), n in lines.items() if t.startswith("plans.")}
    plans = assumptions_from_sections(plans_doc, source=source, lines=plan_lines,
                                      caseload=_caseload(doc.get("caseload"), source, lines))
    run = None
    if "run" in doc:
        run = _run_settings(_table(doc, "run", source, lines), source, base_dir or Path.cwd(), lines)
        run, plans = _share_numbers(doc, run, plans, source, lines)
        if run.assumptions is not None:
            if "plans" in doc or "caseload" in doc:
                raise _key_error(source, lines, "run.inputs", "assumptions",
                                 "names an assumptions file, so this file may not also set [plans] or [caseload]",
                                 "one of them")
            plans = load_assumptions(run.assumptions)
    # one capacity model: old plan keys that restated it (mapped onto it by the plan parser) and
    # an assumptions file included, the allocation uses the rules the plan uses
    rules = plans.caseload
    allocation = AllocationConfig.from_mapping(_table(doc, "allocation", source, lines), source=source,
                                               rules=rules, prefix="allocation.")
    return Settings(caseload=rules, allocation=allocation, plans=plans, run=run, source=source)


def _settings_from_sheet(path: Path) -> Settings:
    raw = read_table(path, "assumptions", sheet="Assumptions")
    sections = raw["section"].astype(str) if "section" in raw.columns else None
    if sections is not None and sections.str.startswith("allocation.").any():
        raise InputError(f"is an allocation's record of the settings it used: edit {ALLOCATION_SETTINGS}, written "
                         "beside it with the same settings, and pass that file", file=source_label(path, "Assumptions"))
    plans = assumptions_from_frame(raw, source=source_label(path, "Assumptions"))
    return Settings(caseload=plans.caseload, allocation=AllocationConfig(rules=plans.caseload), plans=plans,
                    source=str(path))


def _with_config_path(settings: Settings, path: Path) -> Settings:
    return replace(settings, run=replace(settings.run, config_path=path))


def toml_lines(text: str) -> dict[tuple[str, str], int]:
    """Line number of each `key =` under each `[table]` (``("run.inputs", "workers")``), and of
    each table header (``("run.inputs", "")``), for messages."""
    where: dict[tuple[str, str], int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        head = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if head:
            table = re.sub(r"\s*\.\s*", ".", head.group(1).replace('"', ""))
            where.setdefault((table, ""), number)
            continue
        key = re.match(r"^([A-Za-z0-9_\-]+)\s*=", stripped)
        if key:
            where.setdefault((table, key.group(1)), number)
    return where


def _key_error(source: str, lines: Mapping[tuple[str, str], int], table: str, key: str, message: str,
               allowed: str | None = None) -> InputError:
    """An InputError naming the file, the line and the key as `[table] key`."""
    line = lines.get((table, key)) or lines.get((table, ""))
    name = f"[{table}] {key}" if table else f"[{key}]"
    return InputError(problems=[Problem(source, f"{name}: {message}", line, None, allowed)])


def _table(doc: Mapping[str, Any], name: str, source: str, lines) -> dict[str, Any]:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise _key_error(source, lines, "", name, f"must be a table ([{name}])")
    return value


def _put(doc: dict[str, Any], place: tuple[str, ...], value: Any) -> str | None:
    """Set `value` at the dotted `place`, merging tables key by key; the dotted name of a key set
    already (a conflict), else None."""
    node = doc
    for part in place[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return ".".join(place)
    key = place[-1]
    if key not in node:
        node[key] = dict(value) if isinstance(value, dict) else value
        return None
    if isinstance(node[key], dict) and isinstance(value, dict):
        for sub, item in value.items():
            clash = _put(doc, (*place, sub), item)
            if clash:
                return clash
        return None
    return ".".join(place)


def _clash(source: str, lines, name: str, old: str, new: str) -> InputError:
    table, _, key = name.rpartition(".")
    return _key_error(source, lines, table, key, f"is set twice: in its old place {old} and its new place {new}",
                      "one of them")


def _current_layout(data: Mapping[str, Any], source: str, lines) -> dict[str, Any]:
    """The document in the current layout, with one warning naming every key read from its old
    place; a key given in both places, or an unknown section, is an error."""
    doc: dict[str, Any] = {}
    moved: list[str] = []
    for name, value in data.items():
        if name in SECTIONS and name != "allocation":
            if not isinstance(value, dict):
                raise _key_error(source, lines, "", name, f"must be a table ([{name}])")
            clash = _put(doc, (name,), value)
            if clash:
                raise _clash(source, lines, clash, "(an older section)", f"[{name}]")
        elif name == "allocation":
            if not isinstance(value, dict):
                raise _key_error(source, lines, "", name, "must be a table ([allocation.weights] ...)")
            for key, item in value.items():
                if key not in MOVED_ALLOCATION_KEYS and key not in ALLOCATION_TABLES + REMOVED_ALLOCATION_TABLES:
                    raise _key_error(source, lines, "allocation", key, "unknown key",
                                     ", ".join(f"[allocation.{t}]" for t in ALLOCATION_TABLES))
                if key in ALLOCATION_TABLES and not isinstance(item, dict):
                    # `weights = 5` under [allocation]: its keys could not be read one by one
                    raise _key_error(source, lines, "allocation", key, f"must be a table ([allocation.{key}])")
                place = MOVED_ALLOCATION_KEYS.get(key, ("allocation", key))
                if key in MOVED_ALLOCATION_KEYS:
                    moved.append(f"[allocation] {key} -> [{'.'.join(place[:-1])}] {place[-1]}")
                clash = _put(doc, place, item)
                if clash:
                    raise _clash(source, lines, clash, f"[allocation] {key}", f"[{'.'.join(place[:-1])}]")
        elif name in MOVED_TABLES:
            place = MOVED_TABLES[name]
            if name not in REMOVED_ALLOCATION_TABLES:  # a removed table is refused below, not "still works"
                moved.append(f"[{name}] -> [{'.'.join(place)}]")
            if not isinstance(value, dict):
                raise _key_error(source, lines, "", name, f"must be a table ([{name}])")
            clash = _put(doc, place, value)
            if clash:
                raise _clash(source, lines, clash, f"[{name}]", f"[{'.'.join(place)}]")
        else:
            raise _key_error(source, lines, "", name, "unknown section", ", ".join(SECTIONS))
    if moved:
        warnings.warn(InputWarning(
            f"{source}: read settings from their old places ({'; '.join(moved)}); the file still works, but "
            f"move them when convenient (layout: {EXAMPLE})"), stacklevel=4)
    return doc


def _caseload(values: Any, source: str, lines) -> CaseloadRules:
    """`[caseload]`: every key checked by name and type, then the rules' own range checks."""
    if values is None:
        return CaseloadRules()
    if not isinstance(values, dict):
        raise _key_error(source, lines, "", "caseload", "must be a table ([caseload])")
    shipped = CaseloadRules()
    known = [f.name for f in fields(CaseloadRules)]
    for key, value in values.items():
        if key not in known:
            raise _key_error(source, lines, "caseload", key, "unknown key", ", ".join(known))
        if key == "case_points":
            if not isinstance(value, dict):
                raise _key_error(source, lines, "caseload", key, "must be a table ([caseload.case_points])")
            for case_type, points in value.items():
                _number(points, source, lines, "caseload.case_points", case_type)
        elif key == "roles":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise _key_error(source, lines, "caseload", key, "must be one table per role ([caseload.roles.<role>])")
            for role, table in value.items():
                for name, item in table.items():
                    if name != "basis":
                        _number(item, source, lines, f"caseload.roles.{role}", name)
        elif isinstance(getattr(shipped, key), bool):
            if not isinstance(value, bool):
                raise _key_error(source, lines, "caseload", key, "must be true or false")
        else:
            _number(value, source, lines, "caseload", key)
    try:
        return CaseloadRules.from_mapping(values)
    except (KeyError, ValueError, TypeError) as exc:
        message = str(exc).strip("'\"")
        table = next((t for t in ("roles", "case_points") if f"caseload.{t}" in message), "")
        raise InputError(problems=[Problem(source, f"[caseload] {message}",
                                           lines.get((f"caseload.{table}" if table else "caseload", "")), None,
                                           None)]) from None


def _number(value: Any, source: str, lines, table: str, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _key_error(source, lines, table, key, "must be a number")


def _run_settings(run: dict[str, Any], source: str, base: Path, lines) -> RunSettings:
    """`[run]`: known keys, paths resolved against `base`, and what a run cannot do without."""
    for key, value in run.items():
        if key not in RUN_KEYS:
            raise _key_error(source, lines, "run", key, "unknown key", ", ".join(RUN_KEYS))
        if key in RUN_TABLES:
            if not isinstance(value, dict):
                raise _key_error(source, lines, "run", key, f"must be a table ([run.{key}])")
            for sub in value:
                if sub not in RUN_TABLES[key]:
                    raise _key_error(source, lines, f"run.{key}", sub, "unknown key", ", ".join(RUN_TABLES[key]))
    inputs, outputs, churn = run.get("inputs", {}), run.get("outputs", {}), run.get("churn", {})

    def path(table: dict, name: str, where: str) -> Path | None:
        if name not in table:
            return None
        value = table[name]
        if not isinstance(value, str) or not value.strip():
            raise _key_error(source, lines, where, name, "must be a path (text)")
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    census = "census_returns" in inputs
    for key in ("workers", "cases"):
        if key not in inputs and not (census and key == "workers"):
            raise _key_error(source, lines, "run.inputs", key, "is required", f"layout:\n{MINIMAL_RUN}")
    if census:
        for key in CENSUS_GIVES:
            if key in inputs:
                raise _key_error(source, lines, "run.inputs", key,
                                 "comes from census_returns (workers from the latest year, hr_history from every "
                                 "year): give one or the other", "census_returns, or workers and hr_history")
    elif "roster" in inputs:
        raise _key_error(source, lines, "run.inputs", "roster", "links census returns to the case system: it needs "
                         "census_returns", "census_returns")
    if "folder" not in outputs:
        raise _key_error(source, lines, "run.outputs", "folder", "is required", f"layout:\n{MINIMAL_RUN}")
    if not set(RISK_SOURCES) & set(inputs):
        raise _key_error(source, lines, "run.inputs", "hr_history",
                         "is needed to train a churn model, unless model or risk is given", ", ".join(RISK_SOURCES))

    def number(table: dict, key: str, default: int, where: str, minimum: int) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _key_error(source, lines, where, key, f"must be a whole number >= {minimum}")
        return value

    mode = run.get("allocation_mode", "rebalance")
    if mode not in MODES:
        raise _key_error(source, lines, "run", "allocation_mode", f"unknown mode '{mode}'", ", ".join(MODES))
    leavers = run.get("leavers", [])
    if not isinstance(leavers, list) or not all(isinstance(x, str) for x in leavers):
        raise _key_error(source, lines, "run", "leavers", "must be a list of worker IDs")
    # said here, in the file's words: the allocation would name its command-line option --leaver
    if mode == "leaver" and not leavers:
        raise _key_error(source, lines, "run", "leavers", 'is empty: allocation_mode = "leaver" reallocates the '
                         "caseloads of the workers listed here", 'leavers = ["W0001"]')
    if leavers and mode != "leaver":
        raise _key_error(source, lines, "run", "leavers", f"names workers leaving, but allocation_mode is '{mode}': "
                         'set allocation_mode = "leaver", or leave the list empty')
    use_protected = churn.get("use_protected", False)
    if not isinstance(use_protected, bool):
        raise _key_error(source, lines, "run.churn", "use_protected", "must be true or false")

    def text(table: dict, key: str, where: str) -> str | None:
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # la = 333
        if not isinstance(value, str) or not value.strip():
            raise _key_error(source, lines, where, key, "must be text")
        return value.strip()

    salt = text(run.get("census", {}), "salt", "run.census")
    demand = None
    if "demand" in run:
        d = run["demand"]
        if "la" in d and "history" in d:
            raise _key_error(source, lines, "run.demand", "history", "is given with la: the demand model is "
                             "calibrated on one of them", "la (published tables) or history (your own figures)")
        problem = year_window_problem(text(d, "years", "run.demand"))
        if problem:
            raise _key_error(source, lines, "run.demand", "years", problem)
        demand = DemandSettings(la=text(d, "la", "run.demand") or text(run, "la", "run"),
                                history=path(d, "history", "run.demand"),
                                assumptions=path(d, "assumptions", "run.demand"),
                                scenario=text(d, "scenario", "run.demand"), years=text(d, "years", "run.demand"))
        if demand.la is None and demand.history is None:
            raise _key_error(source, lines, "run.demand", "la", "is needed (or history, or [run] la): the demand "
                             "model is calibrated on an authority's published history or on your own",
                             "la = \"333\" (old code, new code or name) or history = \"history.csv\"")
    return RunSettings(
        out=path(outputs, "folder", "run.outputs"),
        workers=path(inputs, "workers", "run.inputs"), cases=path(inputs, "cases", "run.inputs"),
        hr_history=path(inputs, "hr_history", "run.inputs"), model=path(inputs, "model", "run.inputs"),
        risk=path(inputs, "risk", "run.inputs"), assumptions=path(inputs, "assumptions", "run.inputs"),
        establishment=path(inputs, "establishment", "run.inputs"),
        seed=number(run, "seed", 0, "run", 0), allocation_mode=mode, leavers=tuple(leavers),
        churn_horizon_months=number(churn, "horizon_months", 12, "run.churn", 1), use_protected=use_protected,
        la=text(run, "la", "run"), census_returns=path(inputs, "census_returns", "run.inputs"),
        roster=path(inputs, "roster", "run.inputs"), census_salt=salt,
        published_data=path(inputs, "published_data", "run.inputs"), demand=demand,
    )


#: Numbers the run and the plan share: (run table, run key, RunSettings field, plan key).
SHARED_NUMBERS = (
    ("run", "seed", "seed", "montecarlo.seed"),
    ("run.churn", "horizon_months", "churn_horizon_months", "projection.risk_horizon_months"),
)


def _share_numbers(doc: Mapping[str, Any], run: RunSettings, plans: Assumptions, source: str,
                   lines) -> tuple[RunSettings, Assumptions]:
    """A number the run and the plan both use (the seed; the churn model's horizon, which is the
    horizon the plan reads the risk with) set in one place is used in both; set in both, it
    must agree."""
    run_doc = doc.get("run", {})
    plans_doc = doc.get("plans", {})
    for run_table, run_key, attr, plan_name in SHARED_NUMBERS:
        plan_table, plan_key = plan_name.split(".")
        table = run_doc if run_table == "run" else run_doc.get(run_table.split(".")[1], {})
        given = (plans_doc.get(plan_table) or {}).get(plan_key)
        given = given.get("value") if isinstance(given, dict) else given
        in_run = run_key in table
        value = getattr(run, attr)
        if given is not None and in_run and given != value:
            raise _key_error(source, lines, f"plans.{plan_table}", plan_key,
                             f"is {given}, but [{run_table}] {run_key} is {value}: the run uses one number for both",
                             "leave one of them out, or make them equal")
        if given is not None and not in_run:
            run = replace(run, **{attr: getattr(getattr(plans, plan_table), plan_key)})
        elif in_run and getattr(getattr(plans, plan_table), plan_key) != value:
            try:
                plans = plans.with_values({plan_name: value}, basis=f"[{run_table}] {run_key}")
            except InputError as exc:
                # the plan's check refused it: name the key the user wrote, not the plan's own row
                why = "; ".join(p.message.split(": ", 1)[-1] for p in exc.problems)
                raise _key_error(source, lines, run_table, run_key,
                                 f"{why} (the plan uses it too, as [plans.{plan_table}] {plan_key})") from None
    return run, plans


# ----------------------------------------------------------------------------- writing


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _caseload_toml(rules: CaseloadRules) -> list[str]:
    shipped = CaseloadRules()
    lines = ["[caseload]"]
    for f in fields(rules):
        if f.name in ("case_points", "roles"):
            continue
        unit, meaning = describe(f.name)
        lines += [f"# {meaning} ({unit}); {BASIS.get(f.name, '[DEFAULT]')}",
                  f"{f.name} = {_toml_value(getattr(rules, f.name))}"]
    unit, meaning = describe("case_points")
    lines += ["", f"# {meaning} ({unit}); {BASIS['case_points']}", "[caseload.case_points]"]
    lines += [f"{k} = {_toml_value(float(v))}" for k, v in rules.case_points.items()]
    for name, role in rules.roles.items():
        lines += ["", f"[caseload.roles.{name}]"]
        edited = shipped.roles.get(name) != role
        lines.append(f"basis = {_toml_value(role.basis)}" if edited else f"# basis: {role.basis}")
        for rf in fields(role):
            if rf.name == "basis":
                continue
            value = getattr(role, rf.name)
            lines.append(f"# {rf.name}: none (no separate cap)" if value is None
                         else f"{rf.name} = {_toml_value(value)}")
    return lines


def _plans_toml(a: Assumptions) -> list[str]:
    lines: list[str] = []

    def block(header: str, section: str, obj: Any, cls: type) -> None:
        lines.append(f"[{header}]")
        for f in value_fields(cls):
            m = f.metadata
            lines.append(f"# {m['description']} ({m['unit']})")
            value = _toml_value(getattr(obj, f.name))
            span = a.range_of(section, f.name)
            rng = "" if span is None else f", low = {_toml_value(span[0])}, high = {_toml_value(span[1])}"
            lines.append(f"{f.name} = {{ value = {value}{rng}, basis = {_toml_value(a.basis_of(section, f.name))} }}")
        lines.append("")

    for section, cls in PLAN_SECTIONS.items():
        block(f"plans.{section}", section, getattr(a, section), cls)
    for programme in a.programmes:
        block(f"plans.programme.{programme.name}", f"programme:{programme.name}", programme, Programme)
    return lines


def plan_settings_toml(a: Assumptions) -> str:
    """The settings a plan used, as a settings file: `[caseload]` (its capacity model) and
    `[plans]` (each value with its basis). :func:`load_settings` reads it back exactly."""
    head = ["# workforce settings used by this plan: edit values, keep keys. Each plan value says where it",
            "# comes from (basis). Re-plan with `workforce plan --assumptions THIS_FILE` or name it as",
            f"# [run.inputs] assumptions. Every key is explained in {EXAMPLE}.", ""]
    return "\n".join(head + _caseload_toml(a.caseload) + [""] + _plans_toml(a))


#: The file an allocation writes beside its outputs: the settings it used, read back by --config.
ALLOCATION_SETTINGS = "allocation_settings.toml"


def allocation_settings_toml(config: AllocationConfig) -> str:
    """The settings an allocation used, as a settings file: `[caseload]` (its capacity model) and
    `[allocation.weights]`, `[allocation.policy]`, `[allocation.solver]` (`AllocationConfig.tables`).
    :func:`load_settings` reads it back to the same settings."""
    lines = ["# workforce settings used by this allocation: edit values, keep keys, and pass the file back with",
             f"# `workforce allocate --config THIS_FILE`. Every key is explained in {EXAMPLE}.", ""]
    lines += _caseload_toml(config.rules) + [""]
    for table, values in config.tables().items():
        lines.append(f"[allocation.{table}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items() if not isinstance(value, dict)]
        for key, value in values.items():
            if isinstance(value, dict):
                lines += ["", f"[allocation.{table}.{key}]"]
                lines += [f"{k} = {_toml_value(v)}" for k, v in value.items()]
        lines.append("")
    return "\n".join(lines)


def allocation_settings_frame(config: AllocationConfig) -> pd.DataFrame:
    """The same settings as rows for a workbook: `section`, `key`, `value` (a priority's cost as
    ``unallocated_cost.1``, the breakpoints as TOML text), the capacity model's rows first."""
    import pandas as pd

    rows = [("caseload", name, value) for name, value, _ in config.rules.rows()]
    for table, values in config.tables().items():
        for key, value in values.items():
            if isinstance(value, dict):
                rows += [(f"allocation.{table}", f"{key}.{k}", v) for k, v in value.items()]
            else:
                rows.append((f"allocation.{table}", key, _toml_value(value) if isinstance(value, list) else value))
    return pd.DataFrame(rows, columns=["section", "key", "value"], dtype=object)


def write_plan_settings(a: Assumptions, path: str | Path) -> Path:
    """Write :func:`plan_settings_toml` to `path`."""
    path = Path(path)
    path.write_text(plan_settings_toml(a), encoding="utf-8")
    return path


__all__ = ["DemandSettings", "EXAMPLE", "RunSettings", "SECTIONS", "Settings", "load_assumptions",
           "load_settings", "plan_settings_toml", "settings_from_mapping", "settings_from_toml", "toml_lines",
           "write_plan_settings"]
