"""The allocation objective, defined once: a table of terms and every form derived from it.

`TERMS` is the table. Each row names a term, its kind, its cost function in `rules.py` (whose
docstring is the domain reason), the `AllocationConfig` weights it reads and the words an
explanation uses. A weight change is a change to `AllocationConfig`; a new term is a new cost
function and a new row. Every form of the objective is derived from the table by kind:

========  ==========================================  ==========================================
kind      cost function gives                          derived
========  ==========================================  ==========================================
pair      cost per (unit, worker) pair                 a ``cost_<name>`` column on the pairs
                                                       (`pair_costs`); linear in the MIP
worker    `rules.Hinge` pieces per worker:             one excess variable per worker and piece
          rate x max(0, load - threshold), or a        in the MIP (a binary with the load's
          charge when the load is above it (step)      largest excess as big-M for a step)
group     `rules.GroupMax`: weight x the highest       one variable per group in the MIP
          load / divisor in each group
unit      cost per unit left unplaced                  a ``cost_<name>`` column on the units; the
                                                       GAP's unassigned cost in the MIP
========  ==========================================  ==========================================

The forms: `add_objective` (the PuLP build of a block), `evaluate_objective` (numpy, by term),
`Loads` (the exact change of every term when a unit moves, for the local search and the
explanations) and `child_costs` (each child's share of the pair terms). A property test checks
that they agree on random instances.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import pulp

from workforce.allocation import rules as R
from workforce.allocation.config import AllocationConfig
from workforce.allocation.families import unit_table
from workforce.allocation.problem import LOADS, Problem, pair_positions
from workforce.gap.model import AssignmentModel

KINDS = ("pair", "worker", "group", "unit")


@dataclass(frozen=True)
class Term:
    """One row of the objective table."""

    name: str
    kind: str  # one of KINDS
    cost: Callable  # the cost function in rules.py (signature by kind: see the module docstring)
    weights: tuple[str, ...]  # the AllocationConfig fields it reads
    words: str  # how an explanation names it

    @property
    def reason(self) -> str:
        """The domain reason: the cost function's docstring, first paragraph."""
        return inspect.getdoc(self.cost).split("\n\n")[0].replace("\n", " ")


TERMS: tuple[Term, ...] = (
    Term("continuity", "pair", R.continuity_cost,
         ("continuity_cost", "continuity_repeat_cost", "continuity_repeat_threshold"),
         "moving the children from their current worker"),
    Term("team_transfer", "pair", R.team_transfer_cost, ("team_transfer_cost",), "a move to another team"),
    Term("travel", "pair", R.travel_cost, ("travel_cost",), "travel outside the worker's locality"),
    Term("risk", "pair", R.risk_cost, ("risk_cost",), "the worker's predicted risk of leaving"),
    Term("load_balance", "worker", R.load_balance_cost, ("load_breakpoints", "soft_children_cost"),
         "the worker's load above 85% of capacity or above the soft cap on children"),
    Term("over_cap", "worker", R.over_cap_cost,
         ("over_points_cost", "over_children_cost", "over_complex_cost", "over_cap_charge"),
         "a worker left above a hard cap"),
    Term("highest_utilisation", "group", R.highest_utilisation_cost,
         ("highest_utilisation_cost", "highest_utilisation_scope"), "the team's most loaded worker"),
    Term("unallocated", "unit", R.unallocated_cost, ("unallocated_cost", "continuity_cost"),
         "children left without a worker"),
    Term("kept_against_rule", "unit", R.kept_against_rule_cost, ("unallocated_cost",),
         "children kept with a worker the rules now exclude"),
)
TERM_NAMES: tuple[str, ...] = tuple(t.name for t in TERMS)
TERM_WORDS: dict[str, str] = {t.name: t.words for t in TERMS}


#: The basis of the default weights (`AllocationConfig`'s module docstring gives each one's reason).
WEIGHT_BASIS = ("[DEFAULT] brief s3: judgements in cost points, chosen so that the order of priorities a service "
                "manager would state holds (workforce.allocation.config)")


def _weight_text(value) -> str:
    if isinstance(value, dict):  # unallocated_cost: by priority
        return ", ".join(f"priority {k}: {v:g}" for k, v in sorted(value.items()))
    if isinstance(value, tuple):  # load_breakpoints: (share of capacity, cost per point)
        return ", ".join(f"{b:.0%} of capacity: {c:g} per point" for b, c in value)
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def term_note(term: Term, config: AllocationConfig | None = None) -> str:
    """What an objective term measures and the basis of its weights, for a reader of the
    summary's ``terms.<name>`` figure: its words and domain reason (the cost function's
    docstring), each weight it reads with the value used, and the weights' basis ([DEFAULT], or
    edited in the settings used, with the default beside it)."""
    config = config or AllocationConfig()
    default = AllocationConfig()
    parts, edited = [], False
    for name in term.weights:
        value, was = getattr(config, name), getattr(default, name)
        parts.append(f"{name} = {_weight_text(value)}" + ("" if value == was else f" (default {_weight_text(was)})"))
        edited |= value != was
    basis = ("edited in the settings used (Assumptions sheet); the defaults' basis: " if edited else "") + WEIGHT_BASIS
    # the reason without its "Reads `column`..." sentence: that is for developers, not managers
    reason = re.sub(r"\s*Reads [^.]*\.", "", term.reason)
    return (f"the objective's cost of {term.words} ({term.kind} term; cost points, not money; lower is better): "
            f"{reason} Weights: {'; '.join(parts)}. Basis: {basis}.")


def summary_notes(config: AllocationConfig | None = None) -> dict[str, str]:
    """Notes on the summary's objective figures, by item as the Summary sheet names them
    (``terms.<name>``, one per term of `TERMS`)."""
    return {f"terms.{t.name}": term_note(t, config) for t in TERMS}


def terms_of(kind: str) -> tuple[Term, ...]:
    """The table's terms of one kind, in table order."""
    return tuple(t for t in TERMS if t.kind == kind)


def total(parts: dict[str, float | np.ndarray]) -> float | np.ndarray:
    """The objective: the sum of the terms, in table order."""
    out = 0.0
    for name in TERM_NAMES:
        out = out + parts[name]
    return out


def table() -> pd.DataFrame:
    """The objective table as a frame (term, kind, weights, meaning, reason), for documentation
    and workbooks."""
    return pd.DataFrame({"term": TERM_NAMES, "kind": [t.kind for t in TERMS],
                         "weights": [", ".join(t.weights) for t in TERMS], "meaning": [t.words for t in TERMS],
                         "reason": [t.reason for t in TERMS]})


# ------------------------------------------------------------------------- costs on frames
def pair_costs(cand: pd.DataFrame, config: AllocationConfig) -> pd.DataFrame:
    """The pair terms of a candidate frame: one ``cost_<name>`` column per pair term."""
    return pd.DataFrame({f"cost_{t.name}": t.cost(cand, config) for t in terms_of("pair")}, index=cand.index)


def unit_costs(units: pd.DataFrame, cases: pd.DataFrame, config: AllocationConfig) -> pd.DataFrame:
    """The unit terms: one ``cost_<name>`` column per unit term (the cost of leaving it unallocated)."""
    return pd.DataFrame({f"cost_{t.name}": t.cost(units, cases, config) for t in terms_of("unit")},
                        index=units.index, dtype=float)


def child_costs(problem: Problem, cases: pd.DataFrame) -> pd.DataFrame:
    """Each child's share of the pair terms with the worker it ends with.

    The pair terms add up over a unit's children, so each child is priced as a unit of one
    (`families.unit_table` keyed by case) with the same cost functions.

    Parameters
    ----------
    problem : Problem
    cases : DataFrame
        Prepared cases with ``worker_id`` (the final worker, "" when none), on any index.

    Returns
    -------
    DataFrame
        ``cost_<name>`` per pair term, on the cases' index; 0 for children without a worker.
    """
    cols = [f"cost_{t.name}" for t in terms_of("pair")]
    out = pd.DataFrame(0.0, index=cases.index, columns=cols)
    held = cases[cases["worker_id"] != ""]
    if not len(held):
        return out
    single = unit_table(held, "case_id", problem.config.continuity_repeat_threshold)
    cand = R.pair_frame(pd.DataFrame({"unit": held["case_id"].to_numpy(), "worker_id": held["worker_id"].to_numpy()}),
                        single, problem.workers)
    out.loc[held.index, cols] = pair_costs(cand, problem.config).to_numpy()
    return out


# ------------------------------------------------------------------------ numpy evaluation
def hinge_cost(hinges: list[R.Hinge], loads, w: np.ndarray) -> np.ndarray:
    """A worker term's cost for workers ``w`` (indices into the hinges' thresholds) at the given
    loads (a mapping ``resource -> array`` shaped like ``w``, or an array with one column per load
    of `LOADS`): the sum of its pieces."""
    cost = np.zeros(np.shape(w), dtype=float)
    for h in hinges:
        if not h.rate:
            continue
        load = loads[:, LOADS.index(h.resource)] if isinstance(loads, np.ndarray) else loads[h.resource]
        excess = load - h.threshold[w]
        cost += h.rate * ((excess > 1e-9) if h.step else np.maximum(0.0, excess))
    return cost


def worker_terms_at(workers: pd.DataFrame, config: AllocationConfig, loads: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Every worker term's cost, summed, for workers ``w`` (indices into ``workers``) at the given
    loads (one row per worker of ``w``, one column per load of `LOADS`)."""
    return sum((hinge_cost(t.cost(workers, config), loads, w) for t in terms_of("worker")), np.zeros(len(w)))


@dataclass
class ObjectiveData:
    """The objective of one problem over a set of pairs, in arrays: units 0..n-1 (the problem's
    units), workers 0..m-1 (the problem's workers), pair rows. Loads are arrays with one column
    per load of `LOADS`. A unit left unplaced (choice -1) keeps its fallback load (`fb_load`) on
    its keeper (`fb_worker`, -1 when none)."""

    units: pd.Index
    workers: pd.Index
    pair_unit: np.ndarray
    pair_worker: np.ndarray
    pair_load: np.ndarray  # (pairs, loads)
    pair_cost: dict[str, np.ndarray]  # per pair term
    unit_cost: dict[str, np.ndarray]  # per unit term, by unit
    may_wait: np.ndarray  # by unit: may it be left unplaced
    fb_worker: np.ndarray  # by unit
    fb_load: np.ndarray  # (units, loads)
    hinges: dict[str, list[R.Hinge]]  # per worker term (thresholds by worker)
    groups: dict[str, tuple[float, np.ndarray, int, np.ndarray]]  # per group term: weight, code (-1: none), n, divisor
    fixed: np.ndarray  # (workers, loads)

    @classmethod
    def from_problem(cls, problem: Problem, pairs: pd.DataFrame) -> "ObjectiveData":
        """Arrays for ``pairs`` (rows of `Problem.pairs` or `Problem.eligible`) of ``problem``."""
        cfg, w = problem.config, problem.workers
        units, workers = problem.units.index, w.index
        groups = {}
        for t in terms_of("group"):
            gm = t.cost(w, cfg)
            counted = np.array([g is not None for g in gm.group], dtype=bool)
            codes = np.full(len(w), -1, dtype=np.int64)
            found, labels = pd.factorize(pd.Series(gm.group[counted], dtype=object), sort=True)
            codes[counted] = found
            divisor = np.where(counted, gm.divisor, 1.0)
            groups[t.name] = (gm.weight, codes, len(labels), divisor)
        fb = problem.fallback.reindex(units)
        fb_worker = workers.get_indexer(fb["worker_id"].fillna("").to_numpy())
        return cls(
            units=units, workers=workers,
            pair_unit=units.get_indexer(pairs["unit"]), pair_worker=workers.get_indexer(pairs["worker_id"]),
            pair_load=pairs[list(LOADS)].to_numpy(float).reshape(-1, len(LOADS)),
            pair_cost={t.name: pairs[f"cost_{t.name}"].to_numpy(float) for t in terms_of("pair")},
            unit_cost={t.name: problem.units[f"cost_{t.name}"].to_numpy(float) for t in terms_of("unit")},
            may_wait=problem.units["may_wait"].to_numpy(bool),
            fb_worker=fb_worker, fb_load=fb[list(LOADS)].fillna(0.0).to_numpy(float).reshape(-1, len(LOADS)),
            hinges={t.name: t.cost(w, cfg) for t in terms_of("worker")},
            groups=groups,
            fixed=problem.fixed.reindex(workers).fillna(0.0)[list(LOADS)].to_numpy(float).reshape(-1, len(LOADS)),
        )

    def worker_cost(self, name: str, loads, w: np.ndarray) -> np.ndarray:
        """Worker term ``name`` of workers ``w`` at the given loads."""
        return hinge_cost(self.hinges[name], loads, w)

    def where_load(self, unit: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where a unit's load sits, and how much, when it takes pair ``row`` (-1: unplaced, on its
        keeper when it has a fallback). Returns (worker, -1 for none; loads, one column per load)."""
        placed = row >= 0
        if not len(self.pair_worker):
            return self.fb_worker[unit], self.fb_load[unit]
        r = np.where(placed, row, 0)
        worker = np.where(placed, self.pair_worker[r], self.fb_worker[unit])
        amount = np.where(placed[:, None], self.pair_load[r], self.fb_load[unit])
        return worker, amount


def _at(values: np.ndarray, rows: np.ndarray, on: np.ndarray) -> np.ndarray:
    """``values[rows]`` where ``on``, else 0 (rows where not ``on`` are ignored, even out of range)."""
    out = np.zeros(len(rows))
    out[on] = values[rows[on]]
    return out


class Loads:
    """An assignment (a pair row per unit, -1 = unplaced) with each worker's loads (one column per
    load of `LOADS`) and, per group term, the three highest loads of each group kept up to date,
    so that the exact change of every term when a unit moves is a few array operations."""

    def __init__(self, data: ObjectiveData, choice: np.ndarray) -> None:
        self.data = d = data
        self.choice = np.asarray(choice, dtype=np.int64).copy()
        self.load = d.fixed.copy()
        worker, amount = d.where_load(np.arange(len(self.choice)), self.choice)
        on = worker >= 0
        np.add.at(self.load, worker[on], amount[on])
        self.members = {name: [np.flatnonzero(codes == g) for g in range(n)]
                        for name, (_, codes, n, _) in d.groups.items()}
        # how often each worker's loads and each group's highest loads have changed (a move's
        # deltas depend on nothing else, so a caller can tell when they cannot have changed)
        self.worker_version = np.zeros(len(self.load), dtype=np.int64)
        self.group_version = {name: np.zeros(n, dtype=np.int64) for name, (_, _, n, _) in d.groups.items()}
        self.top_val = {name: np.zeros((n, 3)) for name, (_, _, n, _) in d.groups.items()}
        self.top_w = {name: np.full((n, 3), -1) for name, (_, _, n, _) in d.groups.items()}
        for name, (_, _, n, _) in d.groups.items():
            for g in range(n):
                self._refresh(name, g)

    @property
    def L(self) -> np.ndarray:
        """Points per worker."""
        return self.load[:, 0]

    def _refresh(self, name: str, g: int) -> None:
        idx = self.members[name][g]
        util = self.L[idx] / self.data.groups[name][3][idx]
        k = min(3, len(idx))
        top = np.argsort(-util, kind="stable")[:k]
        self.top_val[name][g] = 0.0
        self.top_w[name][g] = -1
        self.top_val[name][g, :k] = util[top]
        self.top_w[name][g, :k] = idx[top]

    def apply(self, unit: int, row: int) -> None:
        """Move ``unit`` to pair ``row`` (-1 = unplaced)."""
        d = self.data
        old = self.choice[unit]
        w, amount = d.where_load(np.array([unit, unit]), np.array([old, row]))
        touched = []
        for k, sign in ((0, -1.0), (1, 1.0)):
            if w[k] >= 0:
                self.load[w[k]] += sign * amount[k]
                self.worker_version[w[k]] += 1
                touched.append(int(w[k]))
        self.choice[unit] = row
        for name, (_, codes, _, _) in d.groups.items():
            for g in {int(codes[x]) for x in touched}:
                if g >= 0:
                    self._refresh(name, g)
                    self.group_version[name][g] += 1

    def _top_excluding(self, name: str, g: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The highest load of groups ``g`` leaving out workers ``a`` and ``b`` (-inf if none)."""
        tw, tv = self.top_w[name][g], self.top_val[name][g]
        ok = (tw >= 0) & (tw != a[:, None]) & (tw != b[:, None])
        return np.where(ok, tv, -np.inf).max(axis=1, initial=-np.inf)

    def moved_loads(self, unit: np.ndarray, frm: np.ndarray, to: np.ndarray) -> dict:
        """The loads a move touches: the source worker (where the unit's load sits now) before and
        after it leaves, the destination before and after it arrives (workers -1 when none; loads
        with one column per load of `LOADS`)."""
        d = self.data
        a, out_amount = d.where_load(unit, frm)
        b, in_amount = d.where_load(unit, to)
        has_a, has_b = a >= 0, b >= 0
        a0, b0 = np.maximum(a, 0), np.maximum(b, 0)
        same = (has_a & has_b & (a == b))[:, None]
        src_before = self.load[a0]
        src_after = src_before - np.where(has_a[:, None], out_amount, 0.0)
        dst_before = np.where(same, src_after, self.load[b0])
        dst_after = dst_before + np.where(has_b[:, None], in_amount, 0.0)
        return dict(a=a, b=b, a0=a0, b0=b0, has_a=has_a, has_b=has_b, src_before=src_before, src_after=src_after,
                    dst_before=dst_before, dst_after=dst_after)

    def deltas(self, unit: np.ndarray, frm: np.ndarray, to: np.ndarray, moved: dict | None = None) -> dict[str, np.ndarray]:
        """The change of each term for moves evaluated one at a time from the current state.

        Parameters
        ----------
        unit, frm, to : arrays of the same length
            Move ``i`` takes ``unit[i]`` from pair row ``frm[i]`` (-1: unplaced; it must be the
            unit's current choice) to pair row ``to[i]`` (-1: unplaced).
        moved : dict or None
            `moved_loads` of these moves, when the caller has it already.

        Returns
        -------
        dict
            Term name -> change per move (`total` sums them).
        """
        d = self.data
        unit, frm, to = np.asarray(unit), np.asarray(frm), np.asarray(to)
        n = len(to)
        has_f, has_t = frm >= 0, to >= 0
        f, t = np.where(has_f, frm, 0), np.where(has_t, to, 0)
        out: dict[str, np.ndarray] = {}
        for name, cost in d.pair_cost.items():
            out[name] = (np.where(has_t, cost[t], 0.0) - np.where(has_f, cost[f], 0.0)) if len(cost) else np.zeros(n)
        # (few, whole-array operations: the local search calls this for every unit it visits)
        m = moved if moved is not None else self.moved_loads(unit, frm, to)
        a, b, a0, b0, has_a, has_b = m["a"], m["b"], m["a0"], m["b0"], m["has_a"], m["has_b"]
        if d.hinges:  # the four loads at once: the source after and before, the destination after and before
            four = np.concatenate([m["src_after"], m["src_before"], m["dst_after"], m["dst_before"]])
            w4 = np.concatenate([a0, a0, b0, b0])
            for name in d.hinges:
                c = d.worker_cost(name, four, w4).reshape(4, n)
                out[name] = np.where(has_a, c[0] - c[1], 0.0) + np.where(has_b, c[2] - c[3], 0.0)
        for name, (weight, codes, _, divisor) in d.groups.items():
            if not weight:
                out[name] = np.zeros(n)
                continue
            ga = np.where(has_a, codes[a0], -1)
            gb = np.where(has_b, codes[b0], -1)
            ua, ub = m["src_after"][:, 0] / divisor[a0], m["dst_after"][:, 0] / divisor[b0]
            top = self.top_val[name][:, 0]
            ga0, gb0 = np.maximum(ga, 0), np.maximum(gb, 0)
            # the group's highest load without the source, without the destination, without both
            ex_a, ex_b, ex_ab = self._top_excluding(name, np.concatenate([ga0, gb0, ga0]), np.concatenate([a, b, a]),
                                                    np.concatenate([a, b, b])).reshape(3, n)
            with np.errstate(invalid="ignore"):  # -inf - top where a group is absent, masked below
                d_a = np.where(ga >= 0, np.maximum(ex_a, ua) - top[ga0], 0.0)
                d_b = np.where(gb >= 0, np.maximum(ex_b, ub) - top[gb0], 0.0)
                both = np.maximum(np.maximum(ex_ab, ua), ub) - top[ga0]
            out[name] = weight * np.where((ga >= 0) & (ga == gb), both, d_a + d_b)
        for name, cost in d.unit_cost.items():
            c = cost[unit]
            out[name] = np.where(has_t, 0.0, c) - np.where(has_f, 0.0, c)
        return out

    def by_unit_and_worker(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the separable part of the objective sits: per unit, its chosen pair's pair
        terms or, when unplaced, its unit terms; per worker, its worker terms (group terms
        belong to no single unit or worker)."""
        d = self.data
        on = self.choice >= 0
        per_unit = np.zeros(len(self.choice))
        for cost in d.pair_cost.values():
            per_unit += _at(cost, self.choice, on)
        for cost in d.unit_cost.values():
            per_unit += np.where(on, 0.0, cost)
        w = np.arange(len(d.workers))
        per_worker = np.zeros(len(w))
        for name in d.hinges:
            per_worker += d.worker_cost(name, self.load, w)
        return per_unit, per_worker

    def values(self) -> dict[str, float]:
        """Each term's value at the current state."""
        d = self.data
        on = self.choice >= 0
        out = {name: float(cost[self.choice[on]].sum()) for name, cost in d.pair_cost.items()}
        w = np.arange(len(d.workers))
        out.update({name: float(d.worker_cost(name, self.load, w).sum()) for name in d.hinges})
        out.update({name: float(weight * self.top_val[name][:, 0].sum()) if weight else 0.0
                    for name, (weight, _, _, _) in d.groups.items()})
        out.update({name: float(cost[~on].sum()) for name, cost in d.unit_cost.items()})
        return out


def choice_of(problem: Problem, pairs: pd.DataFrame, assignment: pd.Series) -> np.ndarray:
    """An assignment unit -> worker_id ("" = unplaced) as a pair row of ``pairs`` per unit
    of the problem (-1 = unplaced).

    Raises
    ------
    ValueError
        When the assignment gives a unit to a worker with no row in ``pairs``.
    """
    pos = pair_positions(pairs, assignment, strict=True)
    choice = np.full(len(problem.units), -1, dtype=np.int64)
    choice[problem.units.index.get_indexer(pos.index)] = pos.to_numpy()
    return choice


def evaluate_objective(problem: Problem, assignment: pd.Series) -> dict[str, float]:
    """The objective of an assignment, by term: the one cost function both the optimiser and
    the baseline are judged by.

    Parameters
    ----------
    problem : Problem
    assignment : Series
        unit -> worker_id ("" = unplaced).

    Returns
    -------
    dict
        Each term of `TERMS` and ``total``.

    Raises
    ------
    ValueError
        When the assignment gives a unit to a worker who is not eligible for it.
    """
    data = ObjectiveData.from_problem(problem, problem.eligible)
    terms = Loads(data, choice_of(problem, problem.eligible, assignment)).values()
    terms["total"] = float(total(terms))
    return terms


def outside_constant(problem: Problem) -> tuple[float, dict[str, dict[str, float]]]:
    """What the blocks' models leave out: the objective's constant part (units without any pair
    stay unplaced; workers without pairs keep their fixed load) and, per group term, the floor
    each group gets from its workers outside every block.

    Returns
    -------
    tuple
        (constant, {group term: {group: highest load / divisor outside the blocks}}); a group
        with no worker in any block adds its floor to the constant instead.
    """
    cfg, w = problem.config, problem.workers
    in_pairs = w.index.isin(problem.pairs["worker_id"].unique())
    outside = ~in_pairs
    no_pair_units = ~problem.units.index.isin(problem.pairs["unit"].unique())
    const = float(sum(problem.units.loc[no_pair_units, f"cost_{t.name}"].sum() for t in terms_of("unit")))
    loads = problem.fixed.reindex(w.index).fillna(0.0)[list(LOADS)].to_numpy(float)
    idx = np.flatnonzero(outside)
    const += float(worker_terms_at(w, cfg, loads[idx], idx).sum())
    floors: dict[str, dict[str, float]] = {}
    for t in terms_of("group"):
        gm = t.cost(w, cfg)
        counted = np.array([g is not None for g in gm.group], dtype=bool)
        mask = outside & counted
        util = pd.Series(loads[mask, 0] / gm.divisor[mask])
        floor = util.groupby(gm.group[mask]).max().to_dict() if mask.any() else {}
        covered = set(gm.group[in_pairs & counted])
        const += gm.weight * sum(v for g, v in floor.items() if g not in covered)
        floors[t.name] = floor
    return const, floors


# ----------------------------------------------------------------------------- PuLP build
def add_objective(model: AssignmentModel, problem: Problem, pairs: pd.DataFrame, workers: list[str],
                  floors: dict[str, dict[str, float]]) -> None:
    """Add every term of `TERMS` for a block to its PuLP model (the unit terms are the model's
    unassigned cost already).

    Parameters
    ----------
    model : AssignmentModel
        Built on ``pairs`` (same rows, same order) with items = units and agents = workers; a
        unit with a fallback keeps its load on its keeper through its unassigned variable.
    problem : Problem
    pairs : DataFrame
        The block's pairs (rows of `Problem.pairs`).
    workers : list of str
        The block's workers.
    floors : dict
        Per group term, the floor of each group from workers outside the block (`outside_constant`).
    """
    cfg = problem.config
    x = model.x.to_numpy()
    for t in terms_of("pair"):
        coefs = pairs[f"cost_{t.name}"].to_numpy(dtype=float)
        nz = coefs != 0
        model.add_term(t.name, pulp.LpAffineExpression(list(zip(x[nz], coefs[nz].tolist()))))
    # load expressions per worker: fixed load + chosen pairs + fallbacks of unplaced units
    grouped = pd.DataFrame({"w": pairs["worker_id"], "i": np.arange(len(pairs))}).groupby("w")["i"].agg(list)
    fb = problem.fallback[problem.fallback.index.isin(model.unassigned.index)]
    fb_vars = model.unassigned.reindex(fb.index).to_numpy()
    fb_of = pd.DataFrame({"w": fb["worker_id"], "i": np.arange(len(fb))}).groupby("w")["i"].agg(list)
    loads: dict[str, dict[str, pulp.LpAffineExpression]] = {r: {} for r in LOADS}
    for resource in LOADS:
        per_pair = pairs[resource].to_numpy(float)
        per_fb = fb[resource].to_numpy(float)
        for wid in workers:
            terms = [(x[i], per_pair[i]) for i in grouped.get(wid, [])]
            terms += [(fb_vars[i], per_fb[i]) for i in fb_of.get(wid, [])]
            loads[resource][wid] = pulp.LpAffineExpression(terms, constant=float(problem.fixed.at[wid, resource]))
    block = problem.workers.loc[workers]
    for t in terms_of("worker"):
        parts, rows = [], []
        for h in t.cost(block, cfg):
            on = [(wid, thr, k) for k, (wid, thr) in enumerate(zip(workers, h.threshold.tolist())) if np.isfinite(thr)]
            if h.rate <= 0 or not on:
                continue
            if h.step:  # a charge when the load is above the threshold at all: binary with big-M
                on = [(wid, thr, k) for wid, thr, k in on if h.bound[k] > 1e-9]
                if not on:
                    continue
                flag = model.add_variables(h.name, [wid for wid, _, _ in on], cat="Binary")
                for (wid, thr, k), y in zip(on, flag.to_numpy()):
                    rows.append(loads[h.resource][wid] - thr <= float(h.bound[k]) * y)
                    parts.append((y, h.rate))
                continue
            excess = model.add_variables(h.name, [wid for wid, _, _ in on], low=0.0)
            for (wid, thr, _), e in zip(on, excess.to_numpy()):
                rows.append(e >= loads[h.resource][wid] - thr)
                parts.append((e, h.rate))
        model.add_constraints(f"{t.name}_rows", rows)
        model.add_term(t.name, pulp.LpAffineExpression(parts))
    for t in terms_of("group"):
        gm = t.cost(block, cfg)
        labels = sorted({g for g in gm.group if g is not None})
        if gm.weight <= 0 or not labels:
            continue
        top = model.add_variables(gm.name, labels, low=0.0).to_dict()
        floor = floors.get(t.name, {})
        rows = [top[g] * float(div) >= loads["points"][wid]
                for wid, g, div in zip(workers, gm.group, gm.divisor) if g is not None]
        rows += [top[g] >= floor[g] for g in labels if floor.get(g, 0.0) > 0]
        model.add_constraints(f"{t.name}_rows", rows)
        model.add_term(t.name, pulp.LpAffineExpression([(v, gm.weight) for v in top.values()]))
