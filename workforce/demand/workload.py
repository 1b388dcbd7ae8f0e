"""From demand to workforce: caseload points, required FTE and changes of social worker.

Every stage is held by a team type under a team structure; every child carries the caseload
points of its stage's case type through the one capacity model (`workforce.caseload`): the case
weight, the court points and the sibling discount (as an average factor per case type), and
the FTE a team type needs comes from :func:`workforce.caseload.required_fte` with the team
type's mix of roles. Care leavers are held by personal advisers, not on a social worker's
caseload: they are reported separately, with FTE only when the caseload rules define a
``personal_adviser`` role.

Changes of social worker come from two places: the transfer points of the structure (a child
moving between stages held by different teams changes worker) and everything else (leavers,
reallocation), a rate per child-year fitted to the published share of looked-after children
with three or more social workers in a year (`cla_3plus_sw_pct` [D4]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from workforce.caseload import CaseloadRules, family_child_points, required_fte
from workforce.demand.measures import (
    SOCIAL_WORK_STAGES,
    STAGE_CASE_TYPES,
    STAGES,
    TRANSFER_FLOWS,
    FLOWS,
    INFLOW,
    quarter_ends,
    quarter_years,
)
from workforce.demand.parameters import DERIVED, Parameter
from workforce.demo import DemoParameters, typical_team_posts

PERSONAL_ADVISER = "personal_adviser"


@dataclass(frozen=True)
class Structure:
    """Which team type holds each stage.

    Attributes
    ----------
    name : str
    teams : dict of str to str
        Stage -> team type, for every stage in `STAGES`.
    basis : str
    """

    name: str
    teams: dict[str, str]
    basis: str = "set by the user"

    def __post_init__(self) -> None:
        missing = [s for s in STAGES if not str(self.teams.get(s, "")).strip()]
        if missing:
            raise ValueError(f"structure '{self.name}' needs a team type for {', '.join(missing)}")
        if self.teams["care_leaver"] in {self.teams[s] for s in SOCIAL_WORK_STAGES}:
            raise ValueError(f"structure '{self.name}': care leavers are held by personal advisers, not on a social "
                             f"worker's caseload; give them a team type of their own")

    def transfer_flows(self) -> list[str]:
        """The flows at which a child changes team (and so social worker)."""
        return [f for f in TRANSFER_FLOWS if self.teams[FLOWS[f][0]] != self.teams[FLOWS[f][1]]]

    @property
    def transfer_points(self) -> int:
        return len(self.transfer_flows())

    def team_types(self) -> list[str]:
        return list(dict.fromkeys(self.teams[s] for s in STAGES))


STRUCTURES: dict[str, Structure] = {s.name: s for s in (
    Structure("functional", {"assessment": "assessment", "cin": "safeguarding", "cp": "safeguarding",
                             "cla": "children_in_care", "care_leaver": "leaving_care"},
              "[DEFAULT] the common English pattern: an assessment team at the front door, safeguarding teams "
              "for children in need and on plans, a children in care team"),
    Structure("specialist", {"assessment": "assessment", "cin": "children_in_need", "cp": "child_protection",
                             "cla": "children_in_care", "care_leaver": "leaving_care"},
              "[DEFAULT] a separate team for every stage"),
    Structure("locality", {"assessment": "locality", "cin": "locality", "cp": "locality", "cla": "locality",
                           "care_leaver": "leaving_care"},
              "Sandwell's locality model: one social worker for each child until permanence [D24]"),
)}


# ----------------------------------------------------------------------------- points per child


def _demo_defaults(rules: CaseloadRules) -> tuple[dict[str, float], dict[str, float], float, str]:
    """Points per child by case type, court share by case type and the complex share of looked-after
    children, from the demo authority's family sizes, court shares and case mix."""
    demo = DemoParameters()
    sizes = demo.sibling_group_p
    children = sum(k * p for k, p in sizes.items())
    factor = sum((1.0 + rules.sibling_factor * (k - 1)) * p for k, p in sizes.items()) / children
    points = {}
    for case_type, weight in rules.case_points.items():
        court = demo.court_share.get(case_type, 0.0)
        sib = 1.0 if case_type == "care_leaver" else factor
        points[case_type] = (weight + rules.court_points * court) * sib
    complex_share = demo.case_mix["cla_complex"] / (demo.case_mix["cla"] + demo.case_mix["cla_complex"])
    basis = (f"[DEFAULT] from the demo authority's families (sibling groups 1-5, average sibling factor "
             f"{factor:.3f}), court shares and case mix (workforce.demo); give a cases table to use your own")
    return points, dict(demo.court_share), complex_share, basis


def stage_points(rules: CaseloadRules | None = None, cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """Caseload points per child for each stage, through the capacity model.

    Parameters
    ----------
    rules : CaseloadRules, optional
    cases : DataFrame, optional
        A cases table (`family_id`, `case_type`, `court`): points per child by case type are the
        mean of :func:`workforce.caseload.family_child_points` (court points and the sibling
        discount as they fall in the authority's own families), and the complex share of
        looked-after children its own. Case types absent from it take the default.

    Returns
    -------
    DataFrame
        ``stage, points_per_child, complex_share, basis`` for every stage.
    """
    rules = rules or CaseloadRules()
    points, _, complex_share, basis = _demo_defaults(rules)
    own: dict[str, float] = {}
    if cases is not None and len(cases):
        pts = family_child_points(cases, rules)
        own = pts.groupby(cases["case_type"].astype(str).to_numpy()).mean().to_dict()
        looked_after = cases["case_type"].isin(["cla", "cla_complex"])
        if looked_after.any():
            complex_share = float((cases.loc[looked_after, "case_type"] == "cla_complex").mean())
    rows = []
    for stage in STAGES:
        types = STAGE_CASE_TYPES[stage]
        if stage == "cla":
            weights = {"cla": 1.0 - complex_share, "cla_complex": complex_share}
        else:
            weights = {types[0]: 1.0}
        value = sum(w * own.get(t, points[t]) for t, w in weights.items())
        from_cases = all(t in own for t in types)
        rows.append({
            "stage": stage, "points_per_child": value,
            "complex_share": complex_share if stage == "cla" else np.nan,
            "basis": (f"{DERIVED} mean points per child of your cases table ({', '.join(types)})"
                      if from_cases else basis),
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- role mixes


def default_mix() -> pd.DataFrame:
    """The demo authority's typical case-holding team, per 10 teams, as rows of ``role, fte, asye``
    (`workforce.demo.typical_team_posts` [DEFAULT]: a team manager and an assistant, a practice
    supervisor, senior practitioners, advanced practitioners in half the teams, case holders, about
    10% of case-holder posts newly qualified).
    """
    return typical_team_posts(DemoParameters(), teams=10)


def role_mixes(structure: Structure, workers: pd.DataFrame | None = None,
               rules: CaseloadRules | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The mix of roles for each team type and its basis.

    With a workers table, the mix is its own: by its ``team_type`` column when it has one (team
    types it lacks take the whole workforce's mix), else the whole workforce's mix for every
    social-work team type. Without one, the demo authority's team (:func:`default_mix`). The
    leaving-care team type holds personal advisers: a ``personal_adviser`` role in the caseload
    rules, else no mix (no FTE is computed for it).
    """
    rules = rules or CaseloadRules()
    leaving = structure.teams["care_leaver"]
    mixes: dict[str, pd.DataFrame] = {}
    basis: dict[str, str] = {}
    if workers is not None and len(workers):
        cols = [c for c in ("role", "fte", "asye", "second_year") if c in workers.columns]
        whole = workers[cols].reset_index(drop=True)
        by_type = {}
        if "team_type" in workers.columns:
            by_type = {str(k): g[cols].reset_index(drop=True) for k, g in workers.groupby("team_type", sort=True)}
        for team in structure.team_types():
            if team in by_type:
                mixes[team], basis[team] = by_type[team], f"{DERIVED} your workers with team_type '{team}'"
            elif team != leaving:
                mixes[team], basis[team] = whole, f"{DERIVED} your whole workforce's mix of roles"
    else:
        mix = default_mix()
        for team in structure.team_types():
            if team != leaving:
                mixes[team] = mix
                basis[team] = "[DEFAULT] the demo authority's typical team (workforce.demo.typical_team_posts)"
    if leaving not in mixes:
        if PERSONAL_ADVISER in rules.roles:
            mixes[leaving] = pd.DataFrame({"role": [PERSONAL_ADVISER], "fte": [1.0], "asye": [False]})
            basis[leaving] = f"caseload rules role '{PERSONAL_ADVISER}'"
        else:
            basis[leaving] = (f"personal advisers: no capacity standard in the caseload rules (add a "
                              f"[caseload.roles.{PERSONAL_ADVISER}] role to compute their FTE)")
    return mixes, basis


# ----------------------------------------------------------------------------- workforce demand


def workforce_demand(stocks: pd.DataFrame, opening: pd.Series, structure: Structure, start_year: int,
                     points: pd.DataFrame, mixes: Mapping[str, pd.DataFrame],
                     rules: CaseloadRules | None = None) -> pd.DataFrame:
    """Children, caseload points and required FTE by team type for each quarter.

    Parameters
    ----------
    stocks : DataFrame
        ``quarter`` and one column per stage (children at the quarter's end), e.g.
        ``Simulation.stocks``.
    opening : Series
        Children per stage at the start (quarter 0).
    structure : Structure
    start_year : int
        The year whose 31 March is quarter 0.
    points : DataFrame
        From :func:`stage_points`.
    mixes : mapping of team type to DataFrame
        From :func:`role_mixes`.

    Returns
    -------
    DataFrame
        ``quarter`` (0 = the start, then 1..H), ``quarter_end`` (date), ``year`` (ending 31
        March), ``team_type``, ``social_work`` (bool: False for personal advisers),
        ``demand_children``, ``demand_points`` and ``required_fte`` (FTE of the team type's mix at
        the safe standard, before absence; NaN where no mix is known).
    """
    per_child = points.set_index("stage")["points_per_child"]
    frame = pd.concat([pd.DataFrame([{"quarter": 0, **opening.to_dict()}]), stocks], ignore_index=True)
    horizon = int(frame["quarter"].max())
    ends = pd.DatetimeIndex([pd.Timestamp(year=start_year, month=3, day=31)]).append(quarter_ends(start_year, horizon))
    years = np.concatenate([[start_year], quarter_years(start_year, horizon)])
    rows = []
    leaving = structure.teams["care_leaver"]
    for team in structure.team_types():
        stages = [s for s in STAGES if structure.teams[s] == team]
        children = frame[stages].sum(axis=1).to_numpy()
        pts = sum(frame[s].to_numpy() * float(per_child[s]) for s in stages)
        mix = mixes.get(team)
        fte = required_fte(pts, children, mix, rules) if mix is not None else np.full(len(frame), np.nan)
        social = team != leaving
        rows.append(pd.DataFrame({
            "quarter": frame["quarter"].astype(int).to_numpy(), "quarter_end": ends[frame["quarter"].astype(int)],
            "year": years[frame["quarter"].astype(int)], "team_type": team, "social_work": social,
            "demand_children": children, "demand_points": pts, "required_fte": fte,
        }))
    out = pd.concat(rows, ignore_index=True).sort_values(["quarter", "team_type"], kind="stable")
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- changes of social worker


def _p_at_least(m: int, rate: float) -> float:
    """P(Poisson(rate) >= m)."""
    if m <= 0:
        return 1.0
    return 1.0 - sum(math.exp(-rate) * rate ** k / math.factorial(k) for k in range(m))


def three_plus_share(rate: float, new_share: float, from_cp: float, structure: Structure) -> float:
    """Share of looked-after children at a quarter's end with three or more social workers in the
    year: two or more changes, counting the structural transfer on entering care for those who came
    into care in the year and Poisson changes at `rate` per child-year for everyone."""
    k_cin = 1 if structure.teams["cin"] != structure.teams["cla"] else 0
    k_cp = 1 if structure.teams["cp"] != structure.teams["cla"] else 0
    new = from_cp * _p_at_least(2 - k_cp, rate) + (1.0 - from_cp) * _p_at_least(2 - k_cin, rate)
    return new_share * new + (1.0 - new_share) * _p_at_least(2, rate)


@dataclass(frozen=True)
class WorkerChanges:
    """The fitted rate of changes of social worker other than structural transfers."""

    parameter: Parameter
    target_share: float


def _solve_rate(target: float, new_share: float, from_cp: float, structure: Structure) -> float:
    """The change rate at which :func:`three_plus_share` equals `target` (bisection; monotone)."""
    lo, hi = 0.0, 20.0
    for _ in range(80):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if three_plus_share(mid, new_share, from_cp, structure) < target else (lo, mid)
    return (lo + hi) / 2.0


def fit_worker_changes(share: float, new_share: float, from_cp: float, structure: Structure,
                       source: str) -> WorkerChanges:
    """The rate of non-structural changes per child-year that gives the published share of
    looked-after children with three or more social workers in a year.

    With no other changes, a looked-after child has at most one change in a year (the transfer on
    entering care), so any published share above zero needs some; the range is the rate at the
    published share plus and minus 5 points.
    """
    rate = _solve_rate(share, new_share, from_cp, structure)
    lo = _solve_rate(max(share - 0.05, 0.0), new_share, from_cp, structure)
    hi = _solve_rate(min(share + 0.05, 0.99), new_share, from_cp, structure)
    param = Parameter(
        "worker_changes_per_child_year", rate, "changes per child per year", min(lo, rate), max(hi, rate),
        f"{DERIVED} from {source} under the {structure.name} structure (three or more social workers = two or "
        f"more changes; Poisson changes plus the transfer on entering care); range: published share +/-5 points",
        "", "changes of social worker other than at the structure's transfer points (leavers, reallocation)")
    return WorkerChanges(param, share)


def handoffs(flows: pd.DataFrame, stocks: pd.DataFrame, opening: pd.Series, structure: Structure,
             changes_per_year: float, care_exit: np.ndarray) -> pd.DataFrame:
    """Transfers and social workers per child, per quarter.

    Returns
    -------
    DataFrame
        ``quarter, transfers`` (children changing team in the quarter), ``transfer_points`` (of the
        structure), ``sw_per_child_year`` (social workers per child who had one in the last four
        quarters: the children held at the window's start and those referred in it, one worker
        each, plus every transfer between teams and every other change of worker,
        `changes_per_year` per child-year held, over those children) and ``cla_3plus_share``
        (looked-after children at the quarter's end with three or more social workers in the
        last four quarters, comparable with `cla_3plus_sw_pct`).

    Notes
    -----
    Counted per child-year held instead, the children passing briefly through assessment would
    each bring a transfer against a few weeks held: the demo's functional structure gave 3.2
    "social workers per child per year", where the Stability Index finds 60% of looked-after
    children with one change in a year and 25% with two or more [D16].
    """
    moves = structure.transfer_flows()
    transfers = flows[moves].sum(axis=1).to_numpy() if moves else np.zeros(len(flows))
    referred = flows[INFLOW].to_numpy(dtype=float)
    held = np.concatenate([[float(opening[list(SOCIAL_WORK_STAGES)].sum())],
                           stocks[list(SOCIAL_WORK_STAGES)].sum(axis=1).to_numpy(dtype=float)])
    entries_cin = flows["care_entry_from_cin"].to_numpy()
    entries_cp = flows["care_entry_from_cp"].to_numpy()
    rows = []
    for i in range(len(flows)):
        first = max(0, i - 3)
        window = slice(first, i + 1)
        quarters = i + 1 - first
        scale = 4.0 / quarters  # before the fourth quarter, the first quarters stand for the year
        child_years = held[first:i + 2].mean()  # the mean stock over the window, for a year
        seen = held[first] + referred[window].sum() * scale
        changes = transfers[window].sum() * scale + changes_per_year * child_years
        sw = 1.0 + (changes / seen if seen > 0 else 0.0)
        # children who entered care in the last four quarters and are still looked after
        ages = np.arange(quarters)[::-1] + 0.5
        hazard = care_exit[window]
        surviving = (entries_cin[window] + entries_cp[window]) * np.exp(-hazard * ages)
        cla = float(stocks["cla"].iloc[i])
        new_share = min(1.0, float(surviving.sum()) * scale / cla) if cla > 0 else 0.0
        total_entries = entries_cin[window].sum() + entries_cp[window].sum()
        from_cp = float(entries_cp[window].sum() / total_entries) if total_entries > 0 else 0.0
        rows.append({"quarter": int(flows["quarter"].iloc[i]), "transfers": float(transfers[i]),
                     "transfer_points": structure.transfer_points, "sw_per_child_year": sw,
                     "cla_3plus_share": three_plus_share(changes_per_year, new_share, from_cp, structure)})
    return pd.DataFrame(rows)
