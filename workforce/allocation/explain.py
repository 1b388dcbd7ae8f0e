"""Explanations and reports: why each family went where it did, in words a manager can repeat.

For every decided family: the chosen worker, its cost by term, and the next-best eligible worker
with why it lost (the term that cost more, or no capacity left). For every unallocated family:
no eligible worker (with the rule that excluded each candidate), or capacity exhausted in the
team (with the shortfall in points). Per worker: points and children before and after,
utilisation. Per team: capacity against demand. The objective by term.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.allocation import objective as O
from workforce.allocation import rules as R
from workforce.allocation.objective import TERM_WORDS
from workforce.allocation.problem import AllocationResult, Problem, assignment_loads
from workforce.errors import InputError

MAX_LISTED = 12
GUARD_WORDS = ("it would go past what the manager's baseline does (more children changing worker, more "
               "children unallocated or a busier top worker in the team), which the guards do not allow")


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if abs(x - round(x)) > 1e-9 else f"{int(round(x))}"


def _unit_explanations(problem: Problem, assignment: pd.Series, pts: pd.Series, kids: pd.Series) -> pd.DataFrame:
    """One row per unit: chosen worker and its costs, the runner-up and why it lost, or the
    reason the unit is unallocated. Every cost and difference is the objective table's own
    (`objective.Loads.deltas`: the exact change of each term were the unit given to another
    worker, all else as decided)."""
    cfg = problem.config
    units = problem.units
    elig = problem.eligible
    any_guard = cfg.guard_handoffs or cfg.guard_unallocated or cfg.guard_utilisation
    rows: dict[str, dict] = {u: dict(unit=u, family_id=units.at[u, "family_id"], worker_id=assignment[u])
                             for u in units.index}
    if len(elig):
        state = O.Loads(O.ObjectiveData.from_problem(problem, elig), O.choice_of(problem, elig, assignment))
        unit_of_pair = state.data.pair_unit
        current = state.choice[unit_of_pair]
        alt_rows = np.flatnonzero(current != np.arange(len(elig)))
        alt = elig.iloc[alt_rows][["unit", "worker_id", "points", "children"]].copy()
        alt["chosen"] = alt["unit"].map(assignment)
        # room each alternative has with the final loads
        room_p = (problem.points_limit - pts).reindex(alt["worker_id"]).to_numpy()
        room_k = (problem.children_limit - kids).reindex(alt["worker_id"]).to_numpy()
        alt["room_points"] = room_p
        alt["fits"] = (alt["points"].to_numpy() <= room_p + 1e-9) & (alt["children"].to_numpy() <= room_k + 1e-9)
        alt["kids_full"] = alt["children"].to_numpy() > room_k + 1e-9
        # the change of each term were the unit given to the alternative instead
        deltas = state.deltas(unit_of_pair[alt_rows], current[alt_rows], alt_rows)
        for t, d in deltas.items():
            alt[f"delta_{t}"] = d
        alt["delta_total"] = O.total(deltas)
        alt["shortfall"] = np.maximum(0.0, alt["points"].to_numpy() - room_p)
        alt = alt.sort_values(["unit", "fits", "delta_total", "shortfall", "worker_id"],
                              ascending=[True, False, True, True, True], kind="stable")
        best_alt = alt.groupby("unit", sort=False).head(1).set_index("unit")
        # the chosen pair's own costs: its pair terms, and what each worker term would fall by
        # were the unit taken off its worker
        placed = np.flatnonzero(state.choice >= 0)
        chosen = state.choice[placed]
        own = {t.name: elig[f"cost_{t.name}"].to_numpy(float)[chosen] for t in O.terms_of("pair")}
        off = state.deltas(placed, chosen, np.full(len(placed), -1))
        own.update({t.name: -off[t.name] for t in O.terms_of("worker")})
        points = elig["points"].to_numpy(float)[chosen]
        for i, u in enumerate(state.data.units[placed]):
            row = rows[u]
            row.update({f"cost_{t}": float(v[i]) for t, v in own.items()})
            row["points"] = float(points[i])
        for u, b in best_alt.iterrows():
            row = rows[u]
            if row["worker_id"] == "":
                continue
            row["runner_up"] = b["worker_id"]
            if not b["fits"]:
                what = (f"has {int(max(0, (problem.children_limit - kids)[b['worker_id']]))} child places left"
                        if b["kids_full"] else f"has {_fmt(max(0.0, b['room_points']))} points of room left")
                row["runner_up_reason"] = (f"no capacity left: the family needs {_fmt(b['points'])} points "
                                           f"and {b['worker_id']} {what}")
                row["runner_up_extra_cost"] = np.nan
            else:
                worst = max(O.TERM_NAMES, key=lambda t: b[f"delta_{t}"])
                row["runner_up_extra_cost"] = float(b["delta_total"])
                if b["delta_total"] < -1e-6:
                    row["runner_up_reason"] = (f"would cost {_fmt(-b['delta_total'])} less, but " + (
                        GUARD_WORDS if any_guard else "the solve stopped before finding it"))
                elif b["delta_total"] <= 1e-6:
                    row["runner_up_reason"] = "would cost the same (a tie; the solver's choice)"
                else:
                    row["runner_up_reason"] = (f"would cost {_fmt(b['delta_total'])} more, mostly "
                                               f"{TERM_WORDS[worst]} (+{_fmt(b[f'delta_{worst}'])})")
                row["runner_up_deltas"] = {t: float(b[f"delta_{t}"]) for t in O.TERM_NAMES}
        # unallocated units that do have eligible workers
        fit_any = alt[alt["fits"]].groupby("unit").head(1).set_index("unit")
        unal_units = units.index[assignment.reindex(units.index).to_numpy() == ""]
        alt_of = dict(tuple(alt[alt["unit"].isin(unal_units)].groupby("unit", sort=False)))
        for u in unal_units:
            opts = alt_of.get(u)
            if opts is None or not len(opts):
                continue
            row = rows[u]
            if u in fit_any.index:
                row["reason"] = (f"left unallocated although {fit_any.at[u, 'worker_id']} has room: "
                                 + (GUARD_WORDS + " (or the solve stopped first)" if any_guard
                                    else "the solve stopped before placing it"))
                continue
            best = opts.sort_values(["shortfall", "worker_id"]).iloc[0]
            team = _scope_name(units.loc[u])
            if best["kids_full"] and best["shortfall"] <= 0:
                row["reason"] = (f"capacity exhausted in {team}: every eligible worker is at their cap on "
                                 f"children (the family has {int(units.at[u, 'n_children'])})")
            else:
                row["reason"] = (f"capacity exhausted in {team}: the family needs {_fmt(best['points'])} points; "
                                 f"the most room any eligible worker has is {_fmt(max(0.0, best['room_points']))} "
                                 f"({best['worker_id']}), a shortfall of {_fmt(best['shortfall'])} points")
            row["shortfall_points"] = float(best["shortfall"])
    # unallocated units with no eligible worker at all
    cand = problem.candidates
    no_elig = [u for u in units.index if assignment[u] == "" and "reason" not in rows[u]]
    cand_of = dict(tuple(cand[cand["unit"].isin(no_elig)].groupby("unit", sort=False)))
    for u in no_elig:
        c = cand_of.get(u, cand.iloc[:0])
        scope = _scope_name(units.loc[u])
        if not len(c):
            rows[u]["reason"] = f"no eligible worker: nobody works in {scope}"
            continue
        parts = [f"{wid} {R.rule_reason(rule)}" for wid, rule in zip(c["worker_id"], c["failed_rule"])]
        more = f"; and {len(parts) - MAX_LISTED} more" if len(parts) > MAX_LISTED else ""
        rows[u]["reason"] = f"no eligible worker in {scope}: " + "; ".join(parts[:MAX_LISTED]) + more
        rows[u]["excluded_by"] = dict(zip(c["worker_id"], c["failed_rule"]))
    return pd.DataFrame(list(rows.values()), columns=None if rows else ["unit", "family_id", "worker_id"])


def _scope_name(unit: pd.Series) -> str:
    teams = sorted(unit["teams"])
    if teams:
        return "team " + " / ".join(teams)
    return "locality " + " / ".join(sorted(unit["localities"]))


def build_result(problem: Problem, assignment: pd.Series, info: dict) -> AllocationResult:
    """Assemble the output frames, explanations and summary for an assignment.

    Parameters
    ----------
    problem : Problem
        As built by `build_problem` (the hard limits the explanations speak of).
    assignment : Series
        unit -> worker_id ("" = unallocated).
    info : dict
        The solve's figures: ``status, objective, bound, gap, terms, baseline_objective,
        used_baseline, seconds, solver, blocks, message``.

    Returns
    -------
    AllocationResult

    Raises
    ------
    ValueError
        When the assignment gives a unit to a worker who is not eligible for it.
    """
    cfg, w, c = problem.config, problem.workers, problem.cases
    pts, kids = assignment_loads(problem, assignment)
    kids = kids.astype(int)
    expl = _unit_explanations(problem, assignment, pts, kids)
    final = c["fixed_worker"].where(c["unit"] == "", c["unit"].map(assignment).astype(object).fillna(""))
    c = c.assign(worker_id=final)
    held = c["worker_id"] != ""
    child_pts = R.child_points_at(c[held], c.loc[held, "worker_id"], w, cfg).reindex(c.index)
    decided = held & (c["unit"] != "")
    changed = held & (c["worker_id"] != c["current_worker_id"])
    handoff = changed & (c["current_worker_id"] != "")
    # each decided child's share of the objective: the pair terms priced per child, and the
    # family's worker terms shared in proportion to points
    costs = O.child_costs(problem, c.assign(worker_id=c["worker_id"].where(decided, "")))
    unit_pts = c[decided].groupby("unit")["points"].transform("sum").reindex(c.index).fillna(1.0)
    expl_u = expl.set_index("unit")
    for t in O.terms_of("worker"):
        col = f"cost_{t.name}"
        by_unit = expl_u[col] if col in expl_u else pd.Series(dtype=float)
        costs[col] = np.where(decided, c["unit"].map(by_unit).fillna(0.0) * c["points"] / unit_pts, 0.0)
    alloc = pd.DataFrame({
        "case_id": c["case_id"], "family_id": c["family_id"], "worker_id": c["worker_id"],
        "previous_worker_id": c["current_worker_id"], "changed": changed, "handoff": handoff,
        "pinned": c["pinned"], "decided": decided, "points": child_pts.round(3),
    })
    alloc = pd.concat([alloc, costs.astype(float).round(4)], axis=1)
    allocations = alloc[held].reset_index(drop=True)
    changes = allocations[allocations["changed"]].reset_index(drop=True)

    unal = c[~held]
    unit_of = unal["unit"].where(unal["unit"] != "", unal["family_id"])
    unallocated = pd.DataFrame({
        "case_id": unal["case_id"], "family_id": unal["family_id"], "team": unal["team"],
        "locality": unal["locality"], "points": unal["points"].round(3), "priority": unal["priority"],
        "reason": unit_of.map(expl_u["reason"] if "reason" in expl_u else pd.Series(dtype=object)).fillna(""),
    }).reset_index(drop=True)

    cap = w["capacity"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        u_before = (problem.before_points / cap).where(cap > 0)
        u_after = (pts / cap).where(cap > 0)
    soft = w["soft_max_children"]
    worker_loads = pd.DataFrame({
        "worker_id": w.index, "team": w["team"].to_numpy(), "locality": w["locality"].to_numpy(),
        "fte": w["fte"].to_numpy(), "capacity_points": cap.round(3).to_numpy(),
        "points_before": problem.before_points.round(3).to_numpy(), "points_after": pts.round(3).to_numpy(),
        "children_before": problem.before_children.astype(int).to_numpy(), "children_after": kids.astype(int).to_numpy(),
        "utilisation_before": u_before.round(4).to_numpy(), "utilisation_after": u_after.round(4).to_numpy(),
        "over_soft_cap": ((kids > soft) | (pts > cap + 1e-9)).to_numpy(),
        "max_children": w["max_children"].to_numpy(), "soft_max_children": soft.to_numpy(),
        "p_leave": w["p_leave"].to_numpy(), "leaving": w["leaving"].to_numpy(),
    })

    # per team: capacity against demand (demand = what its workers hold + what is unallocated there)
    team_of_unal = unal["team"].where(unal["team"] != "", "(locality " + unal["locality"] + ")")
    unal_pts = unal["points"].groupby(team_of_unal).sum()
    unal_kids = team_of_unal.value_counts()
    wl = worker_loads[~worker_loads["worker_id"].map(w["leaving"])]
    team = wl.groupby("team").agg(workers=("worker_id", "size"), capacity_points=("capacity_points", "sum"),
                                  allocated_points=("points_after", "sum"), children=("children_after", "sum"))
    team = team.reindex(team.index.union(unal_pts.index)).fillna(0)
    team["unallocated_points"] = unal_pts.reindex(team.index).fillna(0.0)
    team["unallocated_children"] = unal_kids.reindex(team.index).fillna(0).astype(int)
    team["demand_points"] = team["allocated_points"] + team["unallocated_points"]
    with np.errstate(divide="ignore", invalid="ignore"):
        team["utilisation"] = (team["allocated_points"] / team["capacity_points"]).where(team["capacity_points"] > 0)
        team["demand_utilisation"] = (team["demand_points"] / team["capacity_points"]).where(team["capacity_points"] > 0)
    team_summary = team.reset_index(names="team").round(4)

    t = info["terms"]
    names = list(O.TERM_NAMES)
    terms = pd.DataFrame({"term": names + ["total"], "value": [round(t[k], 4) for k in names] + [round(t["total"], 4)],
                          "meaning": [TERM_WORDS[k] for k in names] + ["the objective (minimised)"]})
    active = wl[wl["capacity_points"] > 0]
    summary = {
        "status": info["status"], "mode": problem.mode,
        "objective": round(float(info["objective"]), 4),
        "bound": None if info["bound"] is None else round(float(info["bound"]), 4),
        "gap": None if info["gap"] is None else round(float(info["gap"]), 6),
        "handoffs": int(handoff.sum()), "new_allocations": int((changed & ~handoff).sum()),
        "unallocated": int((~held).sum()), "unallocated_families": int(unal["family_id"].nunique()),
        "max_utilisation": None if not len(active) else round(float(active["utilisation_after"].max()), 4),
        "mean_utilisation": None if not len(active) else round(float(active["utilisation_after"].mean()), 4),
        "workers_over_soft_cap": int(worker_loads["over_soft_cap"].sum()),
        "seconds": round(float(info["seconds"]), 3), "solver": info["solver"],
        "baseline_objective": round(float(info["baseline_objective"]), 4),
        "used_baseline": bool(info["used_baseline"]), "blocks": info["blocks"],
        "children": int(len(c)), "families_decided": int(len(problem.units)), "existing_issues": int(len(problem.issues)),
        "terms": {k: round(float(t[k]), 4) for k in O.TERM_NAMES}, "message": info["message"],
    }
    return AllocationResult(allocations=allocations, worker_loads=worker_loads, unallocated=unallocated,
                            changes=changes, team_summary=team_summary, terms=terms, issues=problem.issues,
                            summary=summary, explanations=expl, problem=problem, assignment=assignment)


def explain_case(result: AllocationResult, case_id: str) -> str:
    """One child's allocation in plain English (words a manager can repeat to a social worker).

    Parameters
    ----------
    result : AllocationResult
    case_id : str

    Returns
    -------
    str
        A few lines: the child and family, where the child goes and why, the costs of that
        choice, the next-best worker and why it lost, the worker's load before and after.

    Raises
    ------
    InputError
        When the case is not in the cases table.
    """
    problem = result.problem
    c = problem.cases
    match = c[c["case_id"] == str(case_id).strip()]
    if not len(match):
        raise InputError(f"case '{case_id}' is not in the cases table", column="case_id")
    child = match.iloc[0]
    fam = c[c["family_id"] == child["family_id"]]
    n = len(fam)
    kind = child["case_type"].replace("_", " ") + (" (court)" if child["court"] else "")
    head = f"Child {child['case_id']} ({kind}, priority {child['priority']}) is in family {child['family_id']}"
    head += f" with {n - 1} sibling{'s' if n - 1 != 1 else ''}." if n > 1 else " (no siblings on our books)."
    lines = [head]
    prev = child["current_worker_id"]
    loads = result.worker_loads.set_index("worker_id")

    def load_line(wid: str) -> str:
        r = loads.loc[wid]
        ub, ua = r["utilisation_before"], r["utilisation_after"]
        pct = (f" ({ub:.0%} -> {ua:.0%} of capacity)" if pd.notna(ub) and pd.notna(ua) else "")
        return (f"{wid} goes from {_fmt(r['points_before'])} to {_fmt(r['points_after'])} points{pct} and from "
                f"{int(r['children_before'])} to {int(r['children_after'])} children.")

    if child["unit"] == "":
        why = ("a manager pinned this child to them" if child["pinned"] else
               "existing allocations are kept in 'new' mode")
        lines.append(f"The child stays with {child['fixed_worker']}: {why}. This was not reconsidered.")
        lines.append(load_line(child["fixed_worker"]))
        return "\n".join(lines)
    ex = result.explanations.set_index("unit").loc[child["unit"]]
    wid = result.assignment.get(child["unit"], "")
    if not wid:
        lines.append("The child is NOT allocated: " + str(ex.get("reason", "no reason recorded")) + ".")
        if prev:
            lines.append(f"The child's current worker was {prev}.")
        lines.append("All the children of a family go to one worker, so the family is placed together or not at all.")
        return "\n".join(lines)
    team = "team " + problem.workers.at[wid, "team"]
    if prev == wid:
        lines.append(f"The child stays with {wid} ({team}), the current worker.")
    elif prev:
        lines.append(f"The child moves from {prev} to {wid} ({team}). {_why_moved(result, child, prev)}")
    else:
        lines.append(f"The child is newly allocated to {wid} ({team}).")
    if n > 1:
        lines.append(f"All {n} children of the family go to {wid} (siblings share one worker).")
    own = [t.name for t in O.TERMS if t.kind in ("pair", "worker")]  # the terms a family's choice carries
    parts = [f"{TERM_WORDS[t]} {_fmt(ex.get(f'cost_{t}', 0.0))}" for t in own
             if abs(float(ex.get(f"cost_{t}", 0.0) or 0.0)) > 1e-9]
    lines.append(f"The family carries {_fmt(ex['points'])} points with {wid}. Costs of this choice: "
                 + ("; ".join(parts) if parts else "none (no move, no travel, no overload)") + ".")
    ru = ex.get("runner_up")
    if isinstance(ru, str) and ru:
        lines.append(f"Next best was {ru}: it {ex['runner_up_reason']}.")
    else:
        lines.append("No other worker was eligible for this family.")
    lines.append(load_line(wid))
    return "\n".join(lines)


def _why_moved(result: AllocationResult, child: pd.Series, prev: str) -> str:
    problem = result.problem
    w = problem.workers
    if w.at[prev, "leaving"]:
        return f"{prev} is leaving."
    cand = problem.candidates
    row = cand[(cand["unit"] == child["unit"]) & (cand["worker_id"] == prev)]
    if not len(row):
        return f"{prev} is no longer in the team or locality that holds this family."
    if row["failed_rule"].iloc[0]:
        return f"{prev} {R.rule_reason(row['failed_rule'].iloc[0])}."
    loads = result.worker_loads.set_index("worker_id")
    r = loads.loc[prev]
    if r["points_before"] > r["capacity_points"] + 1e-9 or r["children_before"] > w.at[prev, "max_children"]:
        return (f"{prev} was over capacity ({_fmt(r['points_before'])} points for a capacity of "
                f"{_fmt(r['capacity_points'])}; {int(r['children_before'])} children).")
    return f"Keeping the child with {prev} cost more overall (their load, or the family joining its siblings)."
