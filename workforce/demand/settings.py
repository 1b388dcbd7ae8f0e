"""The demand model's assumptions: read from and written to TOML, shown as tables.

Every value a planner can set lives here with its basis: the calibration window and horizon, the
[DEFAULT] judgements no published table gives, overrides of calibrated rates, the team
structure, the levers of the planner's own scenario (``[levers]``) and of further named
scenarios (``[scenarios.NAME]``), the transformation investment, placement costs and mix, the
budget and the caseload rules. A value is a number or text, or a table ``{ value = ..., basis =
"..." }`` that says where it comes from. :func:`assumptions_toml` writes the assumptions a run
used, so a planner can edit them and run again.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from workforce.caseload import CaseloadRules
from workforce.demand.levers import LEVERS, LeverSet, check_lever
from workforce.demand.measures import PLACEMENT_TYPES, STAGES
from workforce.demand.parameters import JUDGEMENT_LIMITS, JUDGEMENTS
from workforce.demand.placements import (
    DEFAULT_PRICE_YEAR,
    PLACEMENT_MIX,
    PLACEMENT_MIX_BASIS,
    PRICE_INDEX,
    UNIT_COSTS,
    UnitCost,
)
from workforce.demand.workload import STRUCTURES, Structure
from workforce.errors import InputError, Problem
from workforce.readers import read_toml_text

#: Parameters a planner may override with their own figure (the calibrated rates).
OVERRIDABLE = ("new_referrals_per_quarter", "rereferral_rate", "nfa_share", "not_in_need_share",
               "cin_closure_hazard", "cp_first_plan_hazard", "cp_repeat_share", "cp_exit_hazard",
               "care_entry_hazard_cin", "care_entry_hazard_cp", "care_exit_hazard")

EARLY_HELP_COST_BASIS = ("[DEFAULT] NOT FOUND: no unit cost of early help in the domain brief; a judgement, "
                         "range 500-3,000; set your own")
OTHER_SHARE_BASIS = ("[DEFAULT] NOT FOUND (workforce vs placements share, demand.md s4); proxy [D23] planned "
                     "2018-19: family support £1.1bn of £7.5bn across looked after, safeguarding and family "
                     "support (15%), plus management, legal and commissioning")


@dataclass(frozen=True)
class Investment:
    """A transformation investment: money spent to make the levers happen (e.g. a partner's fee)."""

    amount_gbp: float = 0.0
    quarters: int = 1
    start_quarter: int = 1
    label: str = ""
    basis: str = ""

    def schedule(self, horizon: int) -> list[float]:
        """Spend per quarter 1..horizon, spread evenly over its quarters."""
        out = [0.0] * horizon
        for q in range(self.start_quarter, self.start_quarter + self.quarters):
            if 1 <= q <= horizon:
                out[q - 1] = self.amount_gbp / self.quarters
        return out


@dataclass(frozen=True)
class Scenario:
    """A named set of lever values, with the investment it takes."""

    name: str
    levers: LeverSet
    investment: Investment = field(default_factory=Investment)
    description: str = ""


@dataclass(frozen=True)
class Budget:
    """The parts of the children's social care budget besides what the model computes."""

    cost_per_fte_gbp: float | None = None
    cost_per_fte_basis: str = "supplied by the caller"
    early_help_cost_per_family_gbp: float = 1500.0
    other_share: float = 0.25
    total_gbp: float = 0.0
    total_basis: str = ""


@dataclass(frozen=True)
class DemandAssumptions:
    """Everything a demand run assumes besides the history (see the module docstring)."""

    years: str | None = None
    horizon_quarters: int = 12
    judgements: dict[str, float] = field(default_factory=dict)
    overrides: dict[str, float] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)
    structure: Structure = field(default_factory=lambda: STRUCTURES["functional"])
    structures: dict[str, Structure] = field(default_factory=lambda: dict(STRUCTURES))
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    unit_costs: dict[str, UnitCost] = field(default_factory=lambda: dict(UNIT_COSTS))
    placement_mix: dict[str, float] = field(default_factory=lambda: dict(PLACEMENT_MIX))
    placement_mix_basis: str = PLACEMENT_MIX_BASIS
    price_year: int = DEFAULT_PRICE_YEAR
    price_index: dict[int, float] = field(default_factory=lambda: dict(PRICE_INDEX))
    budget: Budget = field(default_factory=Budget)
    caseload: dict[str, Any] = field(default_factory=dict)

    def rules(self) -> CaseloadRules:
        return CaseloadRules.from_mapping(self.caseload)


# ----------------------------------------------------------------------------- reading


class _Reader:
    """Collects every problem of one file before raising them together."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, key: str, message: str, allowed: str | None = None) -> None:
        self.problems.append(Problem(self.source, f"{key}: {message}", None, key, allowed))

    def unpack(self, key: str, raw: Any) -> tuple[Any, str]:
        """(value, basis) from a scalar or a ``{ value, basis }`` table."""
        if isinstance(raw, Mapping):
            allowed = {"value", "basis"} | ({"priced_in", "lo", "hi"} if ".weekly_gbp." in key else set())
            extra = sorted(set(raw) - allowed)
            if extra or "value" not in raw:
                self.fail(key, "a table here needs 'value' (and optionally 'basis')", ", ".join(sorted(allowed)))
                return None, ""
            return raw["value"], str(raw.get("basis", "")).strip()
        return raw, ""

    def number(self, key: str, raw: Any, lo: float | None = None, hi: float | None = None) -> float | None:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            self.fail(key, f"'{raw}' is not a number")
            return None
        value = float(raw)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(key, f"{value:g} is outside {lo:g} to {hi:g}")
            return None
        return value

    def table(self, key: str, raw: Any) -> Mapping[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.fail(key, "must be a table")
            return {}
        return raw

    def known(self, key: str, table: Mapping[str, Any], allowed: tuple[str, ...] | list[str]) -> None:
        for name in table:
            if name not in allowed:
                self.fail(f"{key}.{name}" if key else name, "unknown key", ", ".join(allowed))


SECTIONS = ("calibration", "judgements", "parameters", "structure", "levers", "investment", "scenarios",
            "placements", "budget", "caseload")


def assumptions_from_mapping(data: Mapping[str, Any], source: str = "assumptions") -> DemandAssumptions:
    """Demand assumptions from a parsed TOML document (see :func:`assumptions_toml` for the layout).

    Raises
    ------
    InputError
        Every unknown key and bad value, each naming `source` and the key.
    """
    rd = _Reader(source)
    rd.known("", data, SECTIONS)
    a = DemandAssumptions()
    basis: dict[str, str] = {}

    cal = rd.table("calibration", data.get("calibration"))
    rd.known("calibration", cal, ("years", "horizon_quarters"))
    years = cal.get("years")
    if years is not None and not isinstance(years, (str, int)):
        rd.fail("calibration.years", "must be a year or text like \"2021-2023\"")
        years = None
    horizon = a.horizon_quarters
    if "horizon_quarters" in cal:
        h = rd.number("calibration.horizon_quarters", cal["horizon_quarters"], 1, 40)
        if h is not None and h != int(h):
            # the model steps a quarter at a time: 2.5 was cut to 2 without a word
            rd.fail("calibration.horizon_quarters", f"{h:g} is not a whole number of quarters")
        elif h is not None:
            horizon = int(h)

    judgements: dict[str, float] = {}
    jt = rd.table("judgements", data.get("judgements"))
    rd.known("judgements", jt, list(JUDGEMENTS))
    for key, raw in jt.items():
        if key not in JUDGEMENTS:
            continue
        value, note = rd.unpack(f"judgements.{key}", raw)
        v = rd.number(f"judgements.{key}", value, *JUDGEMENT_LIMITS[key]) if value is not None else None
        shipped, *_, shipped_basis, _ = JUDGEMENTS[key]
        if v is None or (v == shipped and note in ("", shipped_basis)):
            continue  # the default, as written by assumptions_toml
        judgements[key] = v
        basis[key] = note or "set by the user"

    overrides: dict[str, float] = {}
    pt = rd.table("parameters", data.get("parameters"))
    rd.known("parameters", pt, OVERRIDABLE)
    for key, raw in pt.items():
        if key not in OVERRIDABLE:
            continue
        value, note = rd.unpack(f"parameters.{key}", raw)
        hi = 1.0 if key.endswith("_share") or key == "rereferral_rate" else 1e9
        v = rd.number(f"parameters.{key}", value, 0.0, hi) if value is not None else None
        if v is not None:
            overrides[key] = v
            basis[key] = note or "set by the user"

    structures = dict(STRUCTURES)
    st = rd.table("structure", data.get("structure"))
    rd.known("structure", st, ("current", "teams", "basis"))
    if "teams" in st:
        teams = rd.table("structure.teams", st["teams"])
        rd.known("structure.teams", teams, STAGES)
        try:
            custom = Structure("yours", {k: str(v) for k, v in teams.items()},
                               str(st.get("basis", "set by the user")))
            structures["yours"] = custom
        except ValueError as exc:
            rd.fail("structure.teams", str(exc))
    current = str(st.get("current", "yours" if "yours" in structures else "functional"))
    if current not in structures:
        rd.fail("structure.current", f"unknown structure '{current}'", ", ".join(structures))
        current = "functional"

    def lever_set(key: str, table: Mapping[str, Any]) -> LeverSet:
        values, notes, structure = {}, {}, None
        rd.known(key, table, [*LEVERS, "structure", "investment", "description"])
        for name, raw in table.items():
            if name in ("investment", "description"):
                continue
            value, note = rd.unpack(f"{key}.{name}", raw)
            if name == "structure":
                if str(value) not in structures:
                    rd.fail(f"{key}.structure", f"unknown structure '{value}'", ", ".join(structures))
                else:
                    structure = str(value)
                continue
            if name not in LEVERS or value is None:
                continue
            v = rd.number(f"{key}.{name}", value)
            if v is None:
                continue
            try:
                check_lever(name, v)
            except ValueError as exc:
                rd.fail(f"{key}.{name}", str(exc))
                continue
            values[name] = v
            notes[name] = note or "set by the user"
        return LeverSet(values, notes, structure)

    def investment(key: str, raw: Any) -> Investment:
        t = rd.table(key, raw)
        rd.known(key, t, ("amount_gbp", "quarters", "start_quarter", "label", "basis"))
        amount = rd.number(f"{key}.amount_gbp", t.get("amount_gbp", 0.0), 0.0, 1e10)
        quarters = rd.number(f"{key}.quarters", t.get("quarters", 1), 1, 40)
        start = rd.number(f"{key}.start_quarter", t.get("start_quarter", 1), 1, 40)
        return Investment(amount or 0.0, int(quarters or 1), int(start or 1), str(t.get("label", "")),
                          str(t.get("basis", "set by the user" if amount else "")))

    scenarios: dict[str, Scenario] = {}
    if "levers" in data:
        lt = rd.table("levers", data["levers"])
        scenarios["levers"] = Scenario("levers", lever_set("levers", lt), investment("investment", data.get("investment")),
                                       "the levers in your assumptions file")
    elif "investment" in data:
        rd.fail("investment", "an investment needs the [levers] it pays for")
    for name, raw in rd.table("scenarios", data.get("scenarios")).items():
        t = rd.table(f"scenarios.{name}", raw)
        scenarios[name] = Scenario(name, lever_set(f"scenarios.{name}", t),
                                   investment(f"scenarios.{name}.investment", t.get("investment")),
                                   str(t.get("description", "")))

    pl = rd.table("placements", data.get("placements"))
    rd.known("placements", pl, ("price_year", "weekly_gbp", "mix", "price_index"))
    index = dict(PRICE_INDEX)
    for year, raw in rd.table("placements.price_index", pl.get("price_index")).items():
        try:
            y = int(year)
        except ValueError:
            rd.fail(f"placements.price_index.{year}", "keys must be years")
            continue
        v = rd.number(f"placements.price_index.{year}", raw, 1.0, 10000.0)
        if v is not None:
            index[y] = v
    price_year = a.price_year
    if "price_year" in pl:
        v = rd.number("placements.price_year", pl["price_year"], 1990, 2100)
        if v is not None and int(v) not in index:
            rd.fail("placements.price_year", f"no price index value for {int(v)}", "add it under [placements.price_index]")
        elif v is not None:
            price_year = int(v)
    costs = dict(UNIT_COSTS)
    ct = rd.table("placements.weekly_gbp", pl.get("weekly_gbp"))
    rd.known("placements.weekly_gbp", ct, PLACEMENT_TYPES)
    for ptype, raw in ct.items():
        if ptype not in PLACEMENT_TYPES:
            continue
        key = f"placements.weekly_gbp.{ptype}"
        value, note = rd.unpack(key, raw)
        v = rd.number(key, value, 0.0, 1e5) if value is not None else None
        extra = raw if isinstance(raw, Mapping) else {}
        priced_in = extra.get("priced_in")  # absent: the figure is used as given, not uprated
        if priced_in is not None and (not isinstance(priced_in, int) or priced_in not in index):
            rd.fail(f"{key}.priced_in", f"no price index value for {priced_in}", "add it under [placements.price_index]")
            continue
        if v is None:
            continue
        shipped = UNIT_COSTS[ptype]
        if v == shipped.weekly_gbp and priced_in == shipped.priced_in and note in ("", shipped.basis) \
                and "lo" not in extra and "hi" not in extra:
            continue  # the shipped cost, as written by assumptions_toml
        lo = rd.number(f"{key}.lo", extra.get("lo", v), 0.0, 1e5)
        hi = rd.number(f"{key}.hi", extra.get("hi", v), 0.0, 1e5)
        if lo is not None and hi is not None and not lo <= v <= hi:
            # the range is the cost's uncertainty shown beside it: one that leaves the value out says nothing
            rd.fail(key, f"the range lo {lo:g} to hi {hi:g} does not hold the value {v:g}", "lo <= value <= hi")
            continue
        costs[ptype] = UnitCost(ptype, v, priced_in, lo if lo is not None else v, hi if hi is not None else v,
                                note or "set by the user")
    mix = dict(PLACEMENT_MIX)
    mix_basis = PLACEMENT_MIX_BASIS
    mt = rd.table("placements.mix", pl.get("mix"))
    if mt:
        rd.known("placements.mix", mt, [*PLACEMENT_TYPES, "basis"])
        given = {ptype: rd.number(f"placements.mix.{ptype}", mt.get(ptype, 0.0), 0.0, 1.0)
                 for ptype in PLACEMENT_TYPES}
        if any(v is None for v in given.values()):
            pass  # a share already refused: its sum would be a second, misleading problem
        elif abs(sum(given.values()) - 1.0) > 0.005:
            rd.fail("placements.mix", f"shares add up to {sum(given.values()):.3f}, not 1")
        else:
            mix, mix_basis = given, str(mt.get("basis", "set by the user"))

    bt = rd.table("budget", data.get("budget"))
    rd.known("budget", bt, ("cost_per_fte_gbp", "early_help_cost_per_family_gbp", "other_share", "total_gbp"))
    budget = a.budget
    for key, lo, hi in (("cost_per_fte_gbp", 1.0, 1e6), ("early_help_cost_per_family_gbp", 0.0, 1e6),
                        ("other_share", 0.0, 0.9), ("total_gbp", 0.0, 1e11)):
        if key not in bt:
            continue
        value, note = rd.unpack(f"budget.{key}", bt[key])
        v = rd.number(f"budget.{key}", value, lo, hi) if value is not None else None
        if v is None:
            continue
        budget = replace(budget, **{key: v})
        if note in (EARLY_HELP_COST_BASIS, OTHER_SHARE_BASIS):
            note = ""  # the shipped basis, as written by assumptions_toml
        if key == "cost_per_fte_gbp":
            budget = replace(budget, cost_per_fte_basis=note or "set by the user")
        elif key == "total_gbp":
            budget = replace(budget, total_basis=note or "set by the user")
        elif note:
            basis[f"budget.{key}"] = note

    caseload = dict(rd.table("caseload", data.get("caseload")))
    if caseload:
        try:
            CaseloadRules.from_mapping(caseload)
        except (KeyError, ValueError, TypeError) as exc:
            rd.fail("caseload", str(exc).strip("'\""))
    if rd.problems:
        raise InputError(problems=rd.problems)
    return DemandAssumptions(
        years=str(years) if years is not None else None, horizon_quarters=horizon, judgements=judgements,
        overrides=overrides, basis=basis, structure=structures[current], structures=structures,
        scenarios=scenarios, unit_costs=costs, placement_mix=mix, placement_mix_basis=mix_basis,
        price_year=price_year, price_index=index, budget=budget, caseload=caseload)


def load_assumptions(path: str | Path) -> DemandAssumptions:
    """Read demand assumptions from a TOML file.

    Raises
    ------
    InputError
        The file is missing, is not valid TOML, or holds unknown keys or bad values.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("assumptions file not found", file=path)
    if path.suffix.lower() != ".toml":
        raise InputError("demand assumptions must be a TOML file", file=path, allowed=".toml")
    text = read_toml_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"is not valid TOML ({exc})", file=path) from None
    try:
        return assumptions_from_mapping(data, source=str(path))
    except InputError as exc:
        from workforce.config import toml_lines  # the settings files' own line finder

        lines = toml_lines(text)
        raise InputError(problems=[_at_line(p, lines) for p in exc.problems]) from None


def _at_line(problem: Problem, lines: Mapping[tuple[str, str], int]) -> Problem:
    """A problem with a dotted key (``judgements.assessment_days``) as the settings files say it:
    the line and ``[judgements] assessment_days: ...``, so a demand assumptions file reads like
    every other settings file."""
    key = problem.column or ""
    if problem.row is not None or not key:
        return problem
    parts = key.split(".")
    # the key's own line, or the line of the table or inline table holding it
    line = next((lines[k] for i in range(len(parts) - 1, 0, -1)
                 for k in ((".".join(parts[:i]), parts[i]), (".".join(parts[:i + 1]), "")) if k in lines),
                lines.get((key, "")) or lines.get(("", key)))
    table, _, name = key.rpartition(".")
    said = f"[{table}] {name}" if table else f"[{name}]"
    message = problem.message.removeprefix(f"{key}: ")
    return Problem(problem.file, f"{said}: {message}", line, None, problem.allowed, unit="line")


# ----------------------------------------------------------------------------- writing


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, int) else f"{value:.6g}" if abs(value) < 1e15 else repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _entry(key: str, value: Any, basis: str = "") -> str:
    if basis:
        return f"{key} = {{ value = {_toml(value)}, basis = {_toml(basis)} }}"
    return f"{key} = {_toml(value)}"


def assumptions_toml(a: DemandAssumptions) -> str:
    """TOML text that :func:`load_assumptions` reads back to the same assumptions."""
    out = ["# workforce demand assumptions. Edit values (keep keys); basis says where a value comes from.",
           "# Levers are off unless set; see the Levers sheet of demand.xlsx for what each one moves.", "",
           "[calibration]"]
    if a.years:
        out.append(_entry("years", a.years))
    out += [_entry("horizon_quarters", a.horizon_quarters), "", "[judgements]"]
    for key, (value, *_rest) in JUDGEMENTS.items():
        out.append(_entry(key, a.judgements.get(key, value), a.basis.get(key, _rest[3])))
    if a.overrides:
        out += ["", "[parameters]"]
        out += [_entry(k, v, a.basis.get(k, "")) for k, v in a.overrides.items()]
    out += ["", "[structure]", _entry("current", a.structure.name)]
    if "yours" in a.structures:
        out += [_entry("basis", a.structures["yours"].basis), "", "[structure.teams]"]
        out += [_entry(s, a.structures["yours"].teams[s]) for s in STAGES]

    def scenario_lines(header: str, sc: Scenario) -> list[str]:
        lines = ["", header]
        if sc.description and header != "[levers]":
            lines.append(_entry("description", sc.description))
        if sc.levers.structure:
            lines.append(_entry("structure", sc.levers.structure))
        for name in LEVERS:
            if name in sc.levers.values:
                lines.append(_entry(name, sc.levers.values[name], sc.levers.basis.get(name, "")))
        inv = sc.investment
        if inv.amount_gbp:
            inv_header = "[investment]" if header == "[levers]" else f"[{header.strip('[]')}.investment]"
            lines += ["", inv_header, _entry("amount_gbp", inv.amount_gbp), _entry("quarters", inv.quarters),
                      _entry("start_quarter", inv.start_quarter), _entry("label", inv.label),
                      _entry("basis", inv.basis)]
        return lines

    if "levers" in a.scenarios:
        out += scenario_lines("[levers]", a.scenarios["levers"])
    else:
        out += ["", "# Your own scenario: uncomment [levers] and set the levers you assume, each with its basis.",
                "# [levers]", "# structure = \"locality\"   # " + ", ".join(a.structures)]
        out += [f"# {name} = {{ value = {_toml(lv.off)}, basis = \"...\" }}   # {lv.unit}; {lv.lo:g} to {lv.hi:g}"
                for name, lv in LEVERS.items()]
        out += ["# [investment]   # what the levers cost to make happen, e.g. a strategic partner's fee",
                "# amount_gbp = 1150000", "# quarters = 10"]
    for name, sc in a.scenarios.items():
        if name != "levers":
            out += scenario_lines(f"[scenarios.{name}]", sc)
    out += ["", "[placements]", _entry("price_year", a.price_year), "", "[placements.weekly_gbp]"]
    for ptype in PLACEMENT_TYPES:
        c = a.unit_costs[ptype]
        priced = f", priced_in = {c.priced_in}" if c.priced_in is not None else ""
        out.append(f"{ptype} = {{ value = {_toml(c.weekly_gbp)}{priced}, lo = {_toml(c.lo_gbp)}, "
                   f"hi = {_toml(c.hi_gbp)}, basis = {_toml(c.basis)} }}")
    out += ["", "[placements.mix]"] + [_entry(p, a.placement_mix[p]) for p in PLACEMENT_TYPES]
    out += [_entry("basis", a.placement_mix_basis), "", "[placements.price_index]"]
    out += [f'"{y}" = {_toml(v)}' for y, v in sorted(a.price_index.items())]
    b = a.budget
    out += ["", "[budget]"]
    if b.cost_per_fte_gbp is not None:
        out.append(_entry("cost_per_fte_gbp", b.cost_per_fte_gbp, b.cost_per_fte_basis))
    out += [_entry("early_help_cost_per_family_gbp", b.early_help_cost_per_family_gbp,
                   a.basis.get("budget.early_help_cost_per_family_gbp", EARLY_HELP_COST_BASIS)),
            _entry("other_share", b.other_share, a.basis.get("budget.other_share", OTHER_SHARE_BASIS))]
    if b.total_gbp:
        out.append(_entry("total_gbp", b.total_gbp, b.total_basis))
    if a.caseload:
        out += ["", "# caseload rules (workforce.caseload.CaseloadRules fields)", "[caseload]"]
        out += [_plain_entry(k, v) for k, v in a.caseload.items() if not isinstance(v, Mapping)]
        for k, v in a.caseload.items():
            if isinstance(v, Mapping):
                out += _nested(f"caseload.{k}", v)
    return "\n".join(out) + "\n"


def _plain_entry(key: str, value: Any) -> str:
    """A caseload value; none (no separate cap) has no TOML form, so it is left out, which reads
    back as none."""
    return f"# {key}: none (no separate cap)" if value is None else _entry(key, value)


def _nested(prefix: str, table: Mapping[str, Any]) -> list[str]:
    lines = ["", f"[{prefix}]"]
    nested = []
    for k, v in table.items():
        if isinstance(v, Mapping):
            nested.append((k, v))
        else:
            lines.append(_plain_entry(k, v))
    for k, v in nested:
        lines += _nested(f"{prefix}.{k}", v)
    return lines
