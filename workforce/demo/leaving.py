"""The generator's leaving process: who leaves within 12 months of a snapshot, and why.

LA-employed staff face three competing reasons (the groups of
`workforce.contracts.LEAVE_REASON_GROUPS`):

* voluntary (ReasonLeave 1 resignation, 7 moved within the LA): a logistic hazard whose drivers
  and effect sizes follow the brief's section 4 (see :mod:`workforce.demo.parameters`): latent
  job satisfaction and commitment strongest, latent burnout next, supervision, a small caseload
  effect, the first five years of service, under-30s, the end of the ASYE year;
* retirement (5): a hazard at 55-59 and, larger, at 60 and over;
* other (2, 3, 4, 6, 8, 9): a small constant hazard.

Agency assignments end by their own process (recorded as ReasonLeave 8): agency staff are not
census leavers. The year's labour-market level (the voluntary intercept) is set so that expected
FTE leavers over LA-employed FTE equals the year's turnover.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.contracts import LEAVE_REASON_GROUPS
from workforce.demo.organisation import choice
from workforce.demo.parameters import DemoParameters

#: Columns of the feature frame the leaving process reads.
FEATURES = ("tenure_years", "age", "caseload_pressure", "agency", "asye", "supervision_hours_3m",
            "sickness_days_12m", "reallocations_12m", "role", "satisfaction", "burnout")
REASONS = ("voluntary", "retirement", "other")
MANAGER_ROLES = ("team_manager", "practice_supervisor", "service_manager", "senior_manager")


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def tenure_effect(tenure: np.ndarray, table: dict) -> np.ndarray:
    """Log-odds by tenure band (keys are the bands' lower bounds in years)."""
    out = np.zeros_like(np.asarray(tenure, dtype=float))
    for bound in sorted(table):
        out = np.where(tenure >= bound, table[bound], out)
    return out


def leaving_logit(features: pd.DataFrame, params: DemoParameters) -> pd.Series:
    """Log-odds of leaving voluntarily within 12 months, without the year's intercept.

    Parameters
    ----------
    features : DataFrame
        Columns :data:`FEATURES`; `caseload_pressure` is children held over the worker's safe
        standard, above it (0 at or under the soft cap); `satisfaction` and `burnout` are latent
        scores (mean 0, SD 1) no authority records.
    params : DemoParameters

    Returns
    -------
    Series of log-odds aligned to `features`.
    """
    p = params
    x = tenure_effect(features["tenure_years"].to_numpy(float), p.tenure_logit)
    x = x + np.where(features["age"].to_numpy(float) < 30, p.under30_logit, 0.0)
    x = x + p.satisfaction_logit * features["satisfaction"].to_numpy(float)
    x = x + p.burnout_logit * features["burnout"].to_numpy(float)
    x = x + p.supervision_logit * (features["supervision_hours_3m"].to_numpy(float) - p.supervision_standard_hours_3m)
    x = x + p.caseload_logit * features["caseload_pressure"].to_numpy(float)
    x = x + p.health_logit * np.log1p(features["sickness_days_12m"].to_numpy(float))
    x = x + p.asye_end_logit * features["asye"].to_numpy(bool)
    x = x + p.reallocation_logit * features["reallocations_12m"].to_numpy(float)
    x = x + p.manager_logit * features["role"].isin(MANAGER_ROLES).to_numpy()
    return pd.Series(x, index=features.index, name="logit")


def retirement_probability(age: np.ndarray, params: DemoParameters) -> np.ndarray:
    """Chance of retiring within 12 months by age (0 under 55)."""
    age = np.asarray(age, dtype=float)
    return np.where(age >= 60, params.retirement_p_60, np.where(age >= 55, params.retirement_p_55, 0.0))


def _split(vol: np.ndarray, ret: np.ndarray, oth: np.ndarray) -> dict[str, np.ndarray]:
    """Independent competing chances combined; the total split in proportion to each."""
    total = 1.0 - (1.0 - vol) * (1.0 - ret) * (1.0 - oth)
    parts = vol + ret + oth
    share = np.where(parts > 0, total / np.where(parts > 0, parts, 1.0), 0.0)
    return {"p_voluntary": vol * share, "p_retirement": ret * share, "p_other": oth * share, "p_leave": total}


def _parts(features: pd.DataFrame, params: DemoParameters) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    agency = features["agency"].to_numpy(bool)
    logit = leaving_logit(features, params).to_numpy()
    ret = np.where(agency, 0.0, retirement_probability(features["age"].to_numpy(float), params))
    oth = np.where(agency, params.agency_end_p, params.other_leave_p)
    return agency, logit, ret, oth


def leaving_probabilities(features: pd.DataFrame, params: DemoParameters, intercept: float) -> pd.DataFrame:
    """The chance of leaving within 12 months, in total and by reason.

    LA-employed staff: voluntary ``sigmoid(intercept + leaving_logit)``, retirement by age and a
    constant other, combined as independent competing hazards; the total splits across reasons in
    proportion to each reason's own chance. Agency staff: only the assignment-end chance, under
    `other`.

    Returns
    -------
    DataFrame aligned to `features` with `p_voluntary`, `p_retirement`, `p_other` (summing to)
    `p_leave`.
    """
    agency, logit, ret, oth = _parts(features, params)
    vol = np.where(agency, 0.0, sigmoid(intercept + logit))
    return pd.DataFrame(_split(vol, ret, oth), index=features.index)


def calibrate_intercept(features: pd.DataFrame, params: DemoParameters, target_fte: float) -> float:
    """The voluntary intercept at which LA-employed staff's expected FTE leavers equal
    `target_fte` (bisection; the rate is increasing in the intercept)."""
    agency, logit, ret, oth = _parts(features, params)
    la = ~agency
    fte, logit, ret, oth = features["fte"].to_numpy(float)[la], logit[la], ret[la], oth[la]
    lo, hi = -12.0, 12.0
    for _ in range(60):
        mid = (lo + hi) / 2
        expected = float(np.sum(fte * _split(sigmoid(mid + logit), ret, oth)["p_leave"]))
        lo, hi = (mid, hi) if expected < target_fte else (lo, mid)
    return (lo + hi) / 2


def systematic_sample(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw Bernoulli(p_i) outcomes whose total stays within one of sum(p) (Madow's method).

    Units are put in random order; a single uniform start selects unit i exactly when an integer
    falls in its slice of the cumulative sum, so P(selected_i) = p_i for every i.
    """
    order = rng.permutation(len(p))
    cum = np.concatenate([[0.0], np.cumsum(p[order])])
    u = rng.random()
    hits = np.floor(cum[1:] - u) - np.floor(cum[:-1] - u)
    out = np.zeros(len(p), dtype=bool)
    out[order] = hits > 0
    return out


def draw_reason(probs: pd.Series, agency: bool, params: DemoParameters, rng: np.random.Generator) -> int:
    """A leaver's CSWW ReasonLeave code: the reason group in proportion to its chance, then the
    code within the group (agency assignment ends are 8, 'other')."""
    if agency:
        return 8
    p = np.array([probs["p_voluntary"], probs["p_retirement"], probs["p_other"]], dtype=float)
    group = REASONS[int(rng.choice(3, p=p / p.sum()))]
    weights = {"voluntary": params.voluntary_reason_p, "retirement": {5: 1.0}, "other": params.other_reason_p}[group]
    code = int(choice(rng, weights))
    if code not in LEAVE_REASON_GROUPS[group]:  # the split is the contract's, never a copy of it
        raise ValueError(f"ReasonLeave {code} is not in the '{group}' group of workforce.contracts.LEAVE_REASON_GROUPS")
    return code
