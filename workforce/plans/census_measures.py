"""The plan in the census's own terms: the DfE children's social work workforce measures, quarterly
and at each 30 September, for the plan, carrying on as now and holding today's headcount.

Each measure is computed by :mod:`workforce.measures` (one definition each) on paid FTE of every
social-work role, as the census counts staff:

* funded establishment: an input (by team where given), by default today's staff in post (LA and
  agency: the posts agency staff fill count as vacant) held through the plan;
* vacancy rate: vacancies / (vacancies + LA-employed FTE in post), vacancies = establishment not
  filled by LA-employed staff, team by team (agency cover does not fill a vacancy);
* agency rate: agency FTE / (agency FTE + LA-employed FTE);
* turnover rate: LA-employed leavers FTE over the four quarters to the day / LA-employed FTE in
  post on the day (in the plan's first three quarters the leavers so far, annualised);
* caseload per case-holder FTE: children / FTE of staff in case-holding roles (agency included);
* absence rate: working days lost to sickness / (FTE in post x 253): the authority's rate today
  (from `sickness_days_12m`) or the assumption, held through the plan.

Quarter 0 is today (the census measures of the inputs); quarters 1..H are the quarters' ends.
`census_day` marks the quarter ends that fall on 30 September. `figures` says what each row is:
the plan and carrying on as now are medians of the simulated futures; holding today's headcount
is one deterministic run (expected leavers, central demand). It is labelled rather than
simulated: holding replaces every leaver at once, so its FTE, vacancy and agency rates are
constant by construction and only its turnover and caseload would vary, around the expected
values it shows.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from workforce import measures
from workforce.measures import is_census_day  # the one definition of the census day

CENSUS_COLUMNS = ["scenario", "figures", "quarter", "quarter_end_date", "census_day", "establishment_fte", "in_post_fte",
                  "vacancies_fte", "vacancy_rate", "agency_fte", "agency_rate", "leavers_fte", "turnover_rate",
                  "case_holder_fte", "children", "caseload", "absence_rate"]
#: The census's own words for each measure (the Summary sheet and plan_summary.json quote them).
DEFINITIONS = {
    "establishment_fte": "funded establishment: funded posts in FTE (an input; by default today's staff in post, "
                         "LA-employed and agency, held through the plan)",
    "vacancy_rate": "vacancy rate: vacancy FTE / (vacancy FTE + LA-employed FTE in post), a vacancy being a funded "
                    "post not filled by an LA employee (agency cover does not fill it), counted team by team",
    "agency_rate": "agency rate: agency FTE / (agency FTE + LA-employed FTE in post)",
    "turnover_rate": "turnover rate: LA-employed leavers FTE in the year to the day / LA-employed FTE in post on the "
                     "day (before a year of the plan has passed, the leavers so far annualised)",
    "caseload": "caseload: children / FTE of staff in case-holding roles (agency included)",
    "absence_rate": "absence rate: working days lost to sickness / (FTE in post x 253 working days)",
}


#: The `figures` of a scenario computed once at expected values (holding today's headcount).
DETERMINISTIC = "one deterministic run (expected leavers, central demand)"


def trailing_leavers(leavers: np.ndarray) -> np.ndarray:
    """Leavers in the four quarters to each quarter's end (along the last axis); annualised
    before a year has passed."""
    leavers = np.asarray(leavers, dtype=float)
    csum = np.cumsum(leavers, axis=-1)
    out = csum.copy()
    q = leavers.shape[-1]
    out[..., 4:] = csum[..., 4:] - csum[..., :-4] if q > 4 else out[..., 4:]
    k = np.arange(1, min(4, q) + 1)
    out[..., :len(k)] = csum[..., :len(k)] * 4.0 / k
    return out


def vacancies(establishment: np.ndarray, in_post: np.ndarray) -> np.ndarray:
    """Funded posts not filled by LA-employed staff, unit by unit, summed (units on the first axis)."""
    return np.clip(np.asarray(establishment, dtype=float) - np.asarray(in_post, dtype=float), 0.0, None).sum(axis=0)


def census_frame(scenario: str, series: Mapping[str, np.ndarray], today: Mapping[str, float],
                 starts: pd.DatetimeIndex) -> pd.DataFrame:
    """The census measures for one scenario, today and at each quarter's end.

    Parameters
    ----------
    scenario : str
        `plan`, `carry_on` or `hold` (written in the `scenario` column).
    series : mapping
        Arrays over quarters 1..H, or (runs x H) for simulated futures: `in_post_fte`,
        `leavers_fte` (in the quarter), `agency_fte`, `case_holder_fte`, `children`,
        `establishment_fte`, `vacancies_fte`.
    today : mapping
        The same measures today (quarter 0): `in_post_fte`, `agency_fte`, `establishment_fte`,
        `vacancies_fte`, `case_holder_fte`, `children`, `turnover_rate` (NaN when unknown), and
        `absence_rate` (held through the plan).
    starts : DatetimeIndex
        Start dates of quarters 1..H+1 (:func:`workforce.plans.projection.quarter_starts`).

    Returns
    -------
    DataFrame
        :data:`CENSUS_COLUMNS`, one row per quarter 0..H. With simulated futures each figure is
        the median over the runs, each rate computed run by run first; `figures` says which
        (:func:`figures_label`).
    """
    arrays = {k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in series.items()}
    runs, H = max(v.shape[0] for v in arrays.values()), arrays["in_post_fte"].shape[1]
    ends = pd.DatetimeIndex([starts[0] - pd.Timedelta(days=1), *(starts[1:H + 1] - pd.Timedelta(days=1))])
    col = {k: np.concatenate([np.full((runs, 1), float(today[k])), np.broadcast_to(arrays[k], (runs, H))], axis=1)
           for k in ("in_post_fte", "agency_fte", "case_holder_fte", "children", "establishment_fte", "vacancies_fte")}
    leavers = np.concatenate([np.full((runs, 1), np.nan),
                              trailing_leavers(np.broadcast_to(arrays["leavers_fte"], (runs, H)))], axis=1)
    rates = {
        "vacancy_rate": measures.vacancy_rate(col["vacancies_fte"], col["in_post_fte"]),
        "agency_rate": measures.agency_rate(col["agency_fte"], col["in_post_fte"]),
        "turnover_rate": measures.turnover_rate(leavers, col["in_post_fte"]),
        "caseload": measures.caseload_per_case_holder(col["children"], col["case_holder_fte"]),
    }
    rates["turnover_rate"][:, 0] = today.get("turnover_rate", np.nan)

    def mid(values: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.nanmedian(values, axis=0) if np.isfinite(values).any(axis=0).all() else \
                np.array([np.nanmedian(c) if np.isfinite(c).any() else np.nan for c in values.T])

    frame = pd.DataFrame({
        "scenario": scenario, "figures": figures_label(runs), "quarter": np.arange(H + 1), "quarter_end_date": ends,
        "census_day": [is_census_day(d) for d in ends],
        **{k: mid(col[k]) for k in ("establishment_fte", "in_post_fte", "vacancies_fte", "agency_fte")},
        "leavers_fte": mid(leavers), **{k: mid(v) for k, v in rates.items()},
        "case_holder_fte": mid(col["case_holder_fte"]), "children": mid(col["children"]),
        "absence_rate": float(today["absence_rate"]),
    })
    return frame[CENSUS_COLUMNS]


def figures_label(runs: int) -> str:
    """What a census row is: the median of `runs` simulated futures, or one deterministic run."""
    return f"median of {runs:,} simulated futures" if runs > 1 else DETERMINISTIC


def absence_today(workers: pd.DataFrame, default: float) -> tuple[float, str]:
    """The authority's absence rate today from the workers' `sickness_days_12m` (LA-employed
    staff), else `default`; with what it rests on."""
    if "sickness_days_12m" not in workers or workers["sickness_days_12m"].isna().all():
        return float(default), "the assumption demand.absence_rate (the workers table has no sickness_days_12m)"
    la = workers.loc[~workers["agency"].astype(bool)]
    days = pd.to_numeric(la["sickness_days_12m"], errors="coerce")
    known = days.notna()
    rate = measures.absence_rate(float(days[known].sum()), float(la.loc[known, "fte"].astype(float).sum()))
    return float(rate), f"[DERIVED] sickness_days_12m of {int(known.sum())} LA-employed workers"
