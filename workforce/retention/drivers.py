"""Drivers a manager can act on, and context that is shown but never offered as a lever.

Each driver is a what-if: change one thing about a worker to a stated reference, re-predict,
and report what changes and by how much ("caseload from 22 to the safe standard 16 children:
12-month flight risk 31% -> 27%"). Flight risk is the probability of leaving *voluntarily*
within the horizon: retirement and other reasons are never what a lever is judged on, so
retirement can never be offered as something to act on.

* **Levers** (actionable), one small function each, every one moving a worker only *towards*
  its reference (a worker already at or under the safe standard gets no caseload lever):
  caseload against the safe standard of the capacity model (`workforce.caseload.worker_caps`:
  the soft cap on children and the points capacity, never a team median, which in an overloaded
  team is an overloaded norm); supervision to the 1.5 hours a month standard; cases received by
  reallocation down to the median of the authority's case holders; team turnover down to the national rate;
  progression from case holder to senior practitioner. The data contracts hold no pay band, so
  pay is not a lever here.
* **Context** (never a lever): tenure, age band (only when the model was trained with
  protected characteristics) and sickness absence. Absence is never a lever: pressing someone
  about their sickness invites disability discrimination. Context shows how much a factor adds
  to the flight risk against a stated reference, so a manager understands the figure.

Model-agnostic: `predict` is any function from feature rows to the voluntary probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from workforce.caseload import worker_caps
from workforce.retention.features import tenure_band

SUPERVISION_STANDARD_HOURS_MONTH = 1.5  # LGA Employer Standard 3: at least 1.5 h a month [S36]
NATIONAL_TURNOVER = 0.154  # England, 2021: 15.4% of children's social workers left [S13]
PROGRESSION_TENURE_YEARS = 2.5  # about 2.5 years to "Level 3" in Warwickshire [S35, S70]
CONTEXT_TENURE_YEARS = 5.0  # risk concentrates in the first 5 years [S14, S15, S19]
MIN_POINTS = 0.5  # a driver must change the risk by at least half a percentage point

WhatIf = Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Driver:
    """One what-if: `name`, whether it is a lever a manager may pull, and the function giving
    (changed features, rows it applies to, what changes in words per row)."""

    name: str
    lever: bool
    what_if: WhatIf


def references(states: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """What the what-ifs compare with, per worker: the safe standard in children
    (`soft_children`) from the capacity model, and the authority's medians.

    `states` must carry `role`, `fte` and `asye` (an hr_history row or a workers row)."""
    caps = worker_caps(states.assign(fte=states["fte"].astype(float)), availability=False)
    soft = caps["soft_children"].astype(float).to_numpy()
    refs = pd.DataFrame({"soft_children": soft}, index=features.index)
    # reallocations reach case holders only: their median, not one pulled down by managers and
    # staff who hold no cases; sickness absence is everyone's
    holders = soft > 0
    for column, among in (("reallocations_12m", holders), ("sickness_days_12m", np.ones(len(soft), dtype=bool))):
        values = features[column][among] if column in features else pd.Series(dtype=float)
        refs[f"median_{column}"] = values.median() if len(values) else np.nan
    return refs


def _none(features: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    return features, np.zeros(len(features), dtype=bool), np.full(len(features), "", dtype=object)


def _towards(features: pd.DataFrame, column: str, target, describe: Callable[[float, float], str], *,
             up: bool = False):
    """`column` moved to `target` (a number or one per row) where it is beyond it: lowered to it,
    or with `up` raised to it; `describe(now, target)` says what changes."""
    if column not in features or features[column].isna().all():
        return _none(features)
    out = features.copy()
    now = out[column].to_numpy(dtype=float)
    goal = np.broadcast_to(np.asarray(target, dtype=float), now.shape)
    applies = now < goal if up else now > goal
    out[column] = np.where(applies, goal, now)
    text = [describe(n, t) if a else "" for n, t, a in zip(now, goal, applies)]
    return out, applies, np.array(text, dtype=object)


def caseload_to_safe_standard(features: pd.DataFrame, refs: pd.DataFrame):
    """Caseload brought down to the safe standard: children to the soft cap for the worker's
    role, FTE and ASYE status, and weighted caseload to 100% of points capacity, whichever is
    further over. The lever a team manager holds directly through allocation."""
    if "cases_held" not in features or features["cases_held"].isna().all():
        return _none(features)
    out = features.copy()
    cases = out["cases_held"].to_numpy(dtype=float)
    soft = refs["soft_children"].to_numpy(dtype=float)
    ratio = out["caseload_ratio"].to_numpy(dtype=float) if "caseload_ratio" in out else np.full(len(out), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_children = np.where((soft > 0) & (cases > soft), soft / cases, 1.0)
        by_points = np.where(ratio > 1.0, 1.0 / ratio, 1.0)
    by_children = np.nan_to_num(by_children, nan=1.0)
    by_points = np.nan_to_num(by_points, nan=1.0)
    factor = np.minimum(by_children, by_points)
    applies = factor < 1.0
    for column in ("cases_held", "children_per_fte", "caseload_ratio"):
        if column in out:
            out[column] = out[column].to_numpy(dtype=float) * factor
    text = np.where(
        by_children <= by_points,
        [f"caseload from {c:.0f} to the safe standard {s:.0f} children" for c, s in zip(cases, soft)],
        [f"weighted caseload from {r:.0%} to 100% of capacity" for r in np.nan_to_num(ratio)],
    )
    return out, applies, np.where(applies, text, "")


def supervision_to_standard(features: pd.DataFrame, refs: pd.DataFrame):
    """Supervision raised to the 1.5 hours a month standard."""
    return _towards(features, "supervision_hours_month", SUPERVISION_STANDARD_HOURS_MONTH,
                    lambda n, t: f"supervision from {n:.1f} to {t} hours a month (the standard)", up=True)


def reallocations_to_median(features: pd.DataFrame, refs: pd.DataFrame):
    """Fewer cases handed over by reallocation: down to the median of the authority's case holders (protect a
    worker from absorbing colleagues' caseloads)."""
    return _towards(features, "reallocations_12m", refs["median_reallocations_12m"].to_numpy(dtype=float),
                    lambda n, t: f"cases received by reallocation from {n:.0f} to {t:g} (the median of the "
                                 "authority's case holders)")


def team_turnover_to_national(features: pd.DataFrame, refs: pd.DataFrame):
    """A steadier team: its turnover over the last year down to the national rate."""
    return _towards(features, "team_turnover_12m", NATIONAL_TURNOVER,
                    lambda n, t: f"team turnover from {n:.0%} to the national {t:.0%}")


def progression_to_senior(features: pd.DataFrame, refs: pd.DataFrame):
    """Progression from case holder to senior practitioner for permanent staff past the usual
    time to that step."""
    if "role" not in features or "tenure_years" not in features:
        return _none(features)
    out = features.copy()
    agency = out["agency"].fillna(0).to_numpy(dtype=float) > 0 if "agency" in out else np.zeros(len(out), dtype=bool)
    asye = out["asye"].fillna(0).to_numpy(dtype=float) > 0 if "asye" in out else np.zeros(len(out), dtype=bool)
    applies = ((out["role"].astype(str) == "case_holder").to_numpy() & ~agency & ~asye
               & (out["tenure_years"].to_numpy(dtype=float) >= PROGRESSION_TENURE_YEARS))
    out.loc[applies, "role"] = "senior_practitioner"
    return out, applies, np.where(applies, "progression from case holder to senior practitioner", "")


def tenure_context(features: pd.DataFrame, refs: pd.DataFrame):
    """Context: how much short service adds, against a worker with five years' service (the
    ASYE year over)."""
    out, applies, text = _towards(features, "tenure_years", CONTEXT_TENURE_YEARS,
                                  lambda n, t: f"{n:.1f} years' service (against {t:.0f} years)", up=True)
    if not applies.any():
        return out, applies, text
    if "tenure_band" in out:
        out["tenure_band"] = tenure_band(out["tenure_years"]).to_numpy()
    if "asye" in out:
        out["asye"] = np.where(applies, 0.0, out["asye"].to_numpy(dtype=float))
    return out, applies, text


def absence_context(features: pd.DataFrame, refs: pd.DataFrame):
    """Context: how much sickness absence above the authority's median adds. Never a lever."""
    return _towards(features, "sickness_days_12m", refs["median_sickness_days_12m"].to_numpy(dtype=float),
                    lambda n, t: f"{n:g} days' sickness absence in 12 months (median {t:g})")


def age_context(features: pd.DataFrame, refs: pd.DataFrame):
    """Context: the age band's share of the risk, against the most common band (only when the
    model uses age band, which needs the user's opt-in)."""
    if "age_band" not in features:
        return _none(features)
    out = features.copy()
    now = out["age_band"].astype(str)
    common = now.mode().iloc[0] if len(now) else ""
    applies = (now != common).to_numpy()
    out["age_band"] = common
    return out, applies, np.where(applies, [f"age band {a} (against {common})" for a in now], "")


DRIVERS: tuple[Driver, ...] = (
    Driver("caseload", True, caseload_to_safe_standard),
    Driver("supervision", True, supervision_to_standard),
    Driver("reallocations", True, reallocations_to_median),
    Driver("team stability", True, team_turnover_to_national),
    Driver("progression", True, progression_to_senior),
    Driver("tenure", False, tenure_context),
    Driver("age band", False, age_context),
    Driver("sickness absence", False, absence_context),
)
LEVERS = tuple(d.name for d in DRIVERS if d.lever)


@dataclass
class DriverResult:
    """Flight risk now and under each what-if.

    Attributes
    ----------
    risk : ndarray
        Flight risk now.
    after : DataFrame
        Flight risk under each driver's what-if (NaN where it does not apply); columns = names.
    text : DataFrame
        What changes, in words (blank where it does not apply).
    """

    risk: np.ndarray
    after: pd.DataFrame
    text: pd.DataFrame

    @property
    def change_points(self) -> pd.DataFrame:
        """Risk now minus risk after, in percentage points (positive = the what-if lowers it)."""
        return (self.risk[:, None] - self.after) * 100.0

    def offered(self) -> pd.DataFrame:
        """Which levers are offered to whom (bool per lever): it applies and lowers the flight
        risk by at least MIN_POINTS."""
        change = self.change_points
        return pd.DataFrame({name: (change[name] >= MIN_POINTS).to_numpy() for name in LEVERS if name in change},
                            index=self.after.index)


def what_ifs(
    predict: Callable[[pd.DataFrame], np.ndarray], features: pd.DataFrame, refs: pd.DataFrame
) -> DriverResult:
    """Flight risk now and under every driver's what-if, predicted in one call (the changed
    rows of all what-ifs stacked under the originals)."""
    parts = [features]
    applied = []
    for driver in DRIVERS:
        changed, applies, text = driver.what_if(features, refs)
        applied.append((driver.name, applies, text))
        parts.append(changed.loc[applies])
    p = predict(pd.concat(parts, ignore_index=True))
    base = p[: len(features)]
    offset = len(features)
    after, texts = {}, {}
    for name, applies, text in applied:
        column = np.full(len(features), np.nan)
        n = int(applies.sum())
        column[applies] = p[offset: offset + n]
        offset += n
        after[name] = column
        texts[name] = np.where(applies, text, "")
    return DriverResult(base, pd.DataFrame(after, index=features.index), pd.DataFrame(texts, index=features.index))


def _points(v: float) -> str:
    """A change of the 12-month flight risk in percentage points, said in full (a manager reads
    "+6 points" beside a risk of 20% as ambiguous)."""
    points = int(round(v))
    return f"{points} percentage point{'s' if points != 1 else ''}" if points >= 1 else "<1 percentage point"


def _pct(p: float, digits: int = 0) -> str:
    return f"{p:.{digits}%}" if p >= 0.01 or p == 0 else "<1%"


def change_text(before: float, after: float) -> str:
    """"31% -> 27%"; one decimal when whole per cents would hide the change."""
    digits = 1 if round(before * 100) == round(after * 100) else 0
    return f"{_pct(before, digits)} -> {_pct(after, digits)}"


def top_levers(result: DriverResult, top: int = 3, horizon_months: int = 12) -> pd.DataFrame:
    """`driver_1..driver_top`: the levers that lower the flight risk most, as sentences
    ("caseload from 22 to the safe standard 16 children: 12-month flight risk 31% -> 27%");
    blank when fewer levers lower it by at least MIN_POINTS. Context is never listed here."""
    change = result.change_points[list(LEVERS)].to_numpy(dtype=float)
    filled = np.where(np.isnan(change) | (change < MIN_POINTS), -np.inf, change)
    order = np.argsort(-filled, axis=1, kind="stable")
    out: dict[str, list[str]] = {f"driver_{k + 1}": [] for k in range(top)}
    for i in range(len(result.risk)):
        for k in range(top):
            j = order[i, k] if k < filled.shape[1] else None
            if j is None or not np.isfinite(filled[i, j]):
                out[f"driver_{k + 1}"].append("")
                continue
            name = LEVERS[j]
            out[f"driver_{k + 1}"].append(
                f"{result.text[name].iloc[i]}: {horizon_months}-month flight risk "
                f"{change_text(result.risk[i], result.after[name].iloc[i])}")
    return pd.DataFrame(out, index=result.after.index)


def context_text(result: DriverResult) -> pd.Series:
    """The context factors that add at least MIN_POINTS to the flight risk, each with how
    much ("0.8 years' service (against 5 years): +6 percentage points"); never offered as levers."""
    names = [d.name for d in DRIVERS if not d.lever]
    change = result.change_points[names]
    texts = []
    for i in range(len(result.risk)):
        parts = [f"{result.text[name].iloc[i]}: +{_points(change[name].iloc[i])}"
                 for name in names if np.isfinite(change[name].iloc[i]) and change[name].iloc[i] >= MIN_POINTS]
        texts.append("; ".join(parts))
    return pd.Series(texts, index=result.after.index, dtype=object)
