"""The organisation of the demo authority: localities, teams by type, the children's demand each
team holds, and the funded establishment of posts.

Case-holding teams are sized from their demand through the capacity model: a team's funded posts
are the mix of roles (practice supervisor, senior and advanced practitioners, case holders, with
the expected share of ASYEs) whose capacity at the safe standard (`workforce.caseload.safe_holding`:
the soft cap on children and the points capacity) is the team's demand times its funding level.
Families are therefore shared by capacity, never by a count of posts, and no cap is stated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.caseload import CaseloadRules, family_child_points, safe_holding
from workforce.demo.parameters import LOCALITY_NAMES, SERVICE_WIDE, DemoParameters, mean_family_size


#: Case types of the families a disabled children's team holds.
DISABLED_TYPES = ("cin", "cp", "cla")


@dataclass
class Post:
    """A funded post (establishment line): role and funded FTE."""

    role: str
    fte: float


@dataclass
class Team:
    name: str
    locality: str
    team_type: str
    case_holding: bool
    covers: tuple[str, ...] = ()  # home localities whose children the team takes
    posts: list[Post] = field(default_factory=list)
    funding: float = 1.0  # funded safe capacity / demand
    supervision: float = 0.0  # team offset to supervision hours in 3 months
    culture: float = 0.0  # team component of the latent satisfaction score
    demand_walk: list[float] = field(default_factory=list)  # children in the team at each snapshot

    def funded(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for p in self.posts:
            out[p.role] = out.get(p.role, 0.0) + p.fte
        return out


def choice(rng: np.random.Generator, mapping: dict, size: int | None = None):
    """Draw keys of `mapping` with probabilities proportional to its values."""
    keys = list(mapping)
    p = np.array([mapping[k] for k in keys], dtype=float)
    idx = rng.choice(len(keys), size=size, p=p / p.sum())
    if size is None:
        return keys[int(idx)]
    return [keys[int(i)] for i in idx]


def _count(n: int, scale: float, minimum: int = 0) -> int:
    return max(minimum, int(round(n * scale)))


def build_teams(params: DemoParameters, scale: float, rng: np.random.Generator) -> list[Team]:
    """Localities and case-holding teams by type (posts come later, from demand)."""
    n_loc = max(1, min(len(LOCALITY_NAMES) * 4, _count(params.localities, scale, 1)))
    locs = [LOCALITY_NAMES[i] if i < len(LOCALITY_NAMES) else f"Locality {i + 1}" for i in range(n_loc)]
    teams = [Team(f"{loc} Assessment", loc, "assessment", True, (loc,)) for loc in locs]
    n_cin = max(n_loc, _count(params.cin_cp_teams, scale, 1))
    per_loc = [n_cin // n_loc + (1 if i < n_cin % n_loc else 0) for i in range(n_loc)]
    for loc, k in zip(locs, per_loc):
        for j in range(k):
            name = f"{loc} Safeguarding" + (f" {j + 1}" if k > 1 else "")
            teams.append(Team(name, loc, "safeguarding", True, (loc,)))
    n_cic = min(n_loc, _count(params.children_in_care_teams, scale, 1))
    for k in range(n_cic):
        covers = tuple(loc for i, loc in enumerate(locs) if i % n_cic == k)
        name = "Children in Care" + (f" {covers[0]}" if n_cic > 1 else "")
        teams.append(Team(name, covers[0], "children_in_care", True, covers))
    base = locs[len(locs) // 2]
    if _count(params.disabled_children_teams, scale):
        teams.append(Team("Disabled Children", base, "disabled_children", True, tuple(locs)))
    for team in teams:
        team.supervision = float(rng.normal(0.0, params.supervision_team_sd))
        team.culture = float(rng.normal(0.0, 1.0))
    return teams


def _team_for(ftype: str, home: str, disabled: bool, teams_by: dict, rng: np.random.Generator) -> str:
    """The team that holds a family of this type from this home locality."""
    def pick(kind: str) -> str | None:
        options = [t for t in teams_by.get(kind, []) if home in t.covers]
        if not options:
            options = teams_by.get(kind, [])
        return options[int(rng.integers(len(options)))].name if options else None

    if disabled and teams_by.get("disabled_children"):
        return pick("disabled_children")
    if ftype == "cin_assessment":
        return pick("assessment")
    if ftype in ("cla", "cla_complex", "care_leaver"):  # care leavers only if a user puts them in the mix
        return pick("children_in_care")
    return pick("safeguarding")


def build_children(params: DemoParameters, scale: float, teams: list[Team], rng: np.random.Generator) -> pd.DataFrame:
    """One row per child today: family, case type, court, the team holding the family, the
    family's home locality (`team_locality`), where the child lives (`locality`), points (sibling
    discount from `workforce.caseload`).

    Families follow the case mix in children (not families); localities differ in demand; each
    family goes to the team of its type covering its home locality.
    """
    n_fam = max(len(teams), _count(params.families, scale, 1))
    locs = sorted({t.locality for t in teams if t.team_type == "assessment"},
                  key=lambda loc: [t.locality for t in teams].index(loc))
    loc_w = np.exp(rng.normal(0.0, params.locality_demand_sd, size=len(locs)))
    loc_w /= loc_w.sum()
    teams_by: dict[str, list[Team]] = {}
    for t in teams:
        teams_by.setdefault(t.team_type, []).append(t)
    team_locality = {t.name: t.locality for t in teams}

    sizes = np.array(choice(rng, params.sibling_group_p, size=n_fam), dtype=int)
    mix = params.case_mix
    types = list(mix)
    mean_size = mean_family_size(params.sibling_group_p)
    expected = {t: (0.2 * mean_size + 0.8) if t == "care_leaver" else mean_size for t in types}
    fam_p = np.array([mix[t] / expected[t] for t in types])
    fam_p /= fam_p.sum()
    # the disabled children's team's share of all families, drawn among the types it holds
    disabled_p = min(1.0, params.disabled_children_share / sum(fam_p[types.index(t)] for t in DISABLED_TYPES))
    alt = {"cp": "cin", "cin": "cin_assessment", "cla": "cla_complex", "cla_complex": "cla", "cin_assessment": "cin",
           "care_leaver": "cla"}
    rows = []
    for f in range(n_fam):
        ftype = types[int(rng.choice(len(types), p=fam_p))]
        size = 1 if ftype == "care_leaver" and rng.random() < 0.8 else int(sizes[f])
        home = locs[int(rng.choice(len(locs), p=loc_w))]
        court = ftype in params.court_share and rng.random() < params.court_share[ftype]
        disabled = ftype in DISABLED_TYPES and rng.random() < disabled_p
        team = _team_for(ftype, home, disabled, teams_by, rng)
        if ftype == "cp" and not disabled and rng.random() < params.cp_with_assessment:
            team = _team_for("cin_assessment", home, False, teams_by, rng)
        for k in range(size):
            ctype = alt[ftype] if (k > 0 and rng.random() < params.sibling_type_change) else ftype
            if ftype == "care_leaver" and ctype != "care_leaver":
                ctype = "care_leaver"  # a care leaver's sibling in the leaving care team is one too
            lives = home
            if ctype in ("cla", "cla_complex") and len(locs) > 1 and rng.random() < params.placed_elsewhere:
                others = [loc for loc in locs if loc != home]
                lives = others[int(rng.integers(len(others)))]
            rows.append({"family": f, "case_type": ctype,
                         "court": bool(court and ctype in ("cp", "cla", "cla_complex", "cin")),
                         "team": team, "team_locality": team_locality[team], "home": home, "locality": lives,
                         "primary_type": ftype})
    children = pd.DataFrame(rows)
    # IDs in a shuffled order so that numbering says nothing about team or type
    fam_order = rng.permutation(n_fam)
    width_f = max(5, len(str(n_fam)))
    fam_ids = {int(f): f"F{i + 1:0{width_f}d}" for i, f in enumerate(fam_order)}
    children["family_id"] = children["family"].map(fam_ids)
    children = children.sort_values(["family_id"], kind="stable").reset_index(drop=True)
    width_c = max(5, len(str(len(children))))
    children["case_id"] = [f"C{i + 1:0{width_c}d}" for i in range(len(children))]
    children["points"] = family_child_points(children[["family_id", "case_type", "court"]])
    return children


def _case_roles(n: int, params: DemoParameters, has_ap: bool) -> list[str]:
    """Roles of the first `n` case-holding posts of a team."""
    first, second = params.practice_supervisor_posts
    ps = (1 if n >= first else 0) + (1 if n >= second else 0)
    sp = int(round(params.senior_practitioner_share * n))
    ap = 1 if (has_ap and n >= 8) else 0
    ch = max(0, n - ps - sp - ap)
    return ["practice_supervisor"] * ps + ["senior_practitioner"] * sp + ["advanced_practitioner"] * ap + ["case_holder"] * ch


def _safe_children_and_points(roles: list[str], ftes: list[float], asye_share: float) -> tuple[float, float]:
    """Capacity at the safe standard of these posts, with the expected share of case-holder posts
    held by ASYEs (workforce.caseload.safe_holding)."""
    frame = pd.DataFrame({"role": roles, "fte": ftes, "asye": False})
    ch = np.flatnonzero(frame["role"].to_numpy() == "case_holder")
    n_asye = int(round(asye_share * len(ch)))
    frame.loc[ch[:n_asye], "asye"] = True
    held = safe_holding(frame)
    return float(held["children"].sum()), float(held["points"].sum())


def size_establishment(teams: list[Team], children: pd.DataFrame, params: DemoParameters,
                       rng: np.random.Generator) -> None:
    """Funded posts of each case-holding team: the smallest mix of roles whose safe capacity
    reaches the team's demand (children, and points with travel) times its funding level. One or
    two assessment, locality or children in care teams, drawn at random, are funded well below."""
    case_teams = [t for t in teams if t.case_holding]
    # points as the allocation counts them: a travel point for a child living outside the team's locality
    travel = (children["locality"] != children["team_locality"]) * CaseloadRules().travel_points
    demand = children.assign(points=children["points"] + travel).groupby("team").agg(
        children=("case_id", "size"), points=("points", "sum"))
    for t in case_teams:
        t.funding = float(params.funding_level * np.exp(rng.normal(0.0, params.funding_sd)))
    eligible = [t for t in case_teams if t.team_type in ("assessment", "safeguarding", "children_in_care")]
    n_short = min(params.short_teams, int(0.15 * len(eligible)))  # none in a small authority of a few teams
    if n_short:
        for k in rng.choice(len(eligible), size=n_short, replace=False):
            eligible[int(k)].funding = float(params.short_funding * np.exp(rng.normal(0.0, params.funding_sd / 2)))
    for t in case_teams:
        kids = float(demand["children"].get(t.name, 0.0)) * t.funding
        pts = float(demand["points"].get(t.name, 0.0)) * t.funding
        has_ap = t.team_type in ("safeguarding", "children_in_care") and rng.random() < params.advanced_practitioner_p
        ftes = [float(f) for f in choice(rng, params.fte_p, size=400)]
        # a first guess from a full-time team of the same shape, then post by post
        per_post = _safe_children_and_points(_case_roles(12, params, has_ap), [1.0] * 12, params.asye_share)[0] / 12
        n = max(1, int(kids / max(per_post, 1e-9) * 0.9))
        while True:
            roles = _case_roles(n, params, has_ap)
            safe_kids, safe_pts = _safe_children_and_points(roles, ftes[:n], params.asye_share)
            if (safe_kids >= kids and safe_pts >= pts) or n >= len(ftes):
                break
            n += 1
        managers = ["team_manager"] + (["team_manager"] if n >= params.assistant_manager_from else [])
        t.posts = [Post(r, 1.0) for r in managers] + [Post(r, f) for r, f in zip(roles, ftes[:n])]


def typical_team_posts(params: DemoParameters | None = None, teams: int = 10) -> pd.DataFrame:
    """The posts of `teams` typical case-holding teams of the Sandwell-scale demo authority, as
    rows of ``role, fte, asye`` (full time): each team as :func:`size_establishment` builds one of
    average size (the authority's children at its funding level over its case-holding teams),
    advanced practitioners in the advanced-practitioner share of teams, and the ASYE share of
    case-holder posts newly qualified.

    Returns
    -------
    DataFrame with columns `role`, `fte` (1.0), `asye` (bool).
    """
    params = params or DemoParameters()
    children = params.families * mean_family_size(params.sibling_group_p)
    n_teams = (params.localities + max(params.localities, params.cin_cp_teams)
               + min(params.localities, params.children_in_care_teams) + params.disabled_children_teams)
    template = _case_roles(12, params, False)
    per_post = _safe_children_and_points(template, [1.0] * 12, params.asye_share)[0] / 12
    n = max(1, int(round(children * params.funding_level / n_teams / per_post)))
    rows: list[tuple[str, float, bool]] = []
    for k in range(teams):
        roles = _case_roles(n, params, has_ap=k < round(teams * params.advanced_practitioner_p))
        managers = ["team_manager"] + (["team_manager"] if n >= params.assistant_manager_from else [])
        rows += [(r, 1.0, False) for r in managers + roles]
    frame = pd.DataFrame(rows, columns=["role", "fte", "asye"])
    holders = np.flatnonzero(frame["role"].to_numpy() == "case_holder")
    frame.loc[holders[: int(round(params.asye_share * len(holders)))], "asye"] = True
    return frame


def service_units(params: DemoParameters, scale: float, rng: np.random.Generator) -> list[Team]:
    """Service-wide units of qualified staff without cases; a unit of three or fewer has no
    team manager of its own."""
    units = []
    for name, (team_type, roles) in params.service_units.items():
        counts = {r: _count(n, scale) for r, n in roles.items()}
        staff = sum(n for r, n in counts.items() if r != "team_manager")
        if staff == 0:
            continue
        if staff <= 3:
            counts["team_manager"] = 0
        team = Team(name, SERVICE_WIDE, team_type, False, ())
        for role, n in counts.items():
            ftes = [1.0] * n if role != "qualified_no_cases" else [float(choice(rng, params.fte_p)) for _ in range(n)]
            team.posts += [Post(role, f) for f in ftes]
        team.supervision = float(rng.normal(0.0, params.supervision_team_sd))
        team.culture = float(rng.normal(0.0, 1.0))
        units.append(team)
    return units


def establishment_frame(teams: list[Team]) -> pd.DataFrame:
    """The funded establishment: one row per team and role with funded FTE."""
    rows = []
    for t in teams:
        for role, fte in t.funded().items():
            rows.append({"team": t.name, "team_type": t.team_type, "locality": t.locality, "role": role,
                         "funded_fte": round(fte, 2)})
    frame = pd.DataFrame(rows, columns=["team", "team_type", "locality", "role", "funded_fte"])
    for col in ("team", "team_type", "locality", "role"):
        frame[col] = frame[col].astype("str")
    return frame.sort_values(["team", "role"], kind="stable").reset_index(drop=True)
