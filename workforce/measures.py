"""The DfE children's social work workforce census measures, each defined once.

Every part of the product that reports one of these (the demo's realism check, the plans'
projection, the census import, the published statistics, the headline indicators) calls these
functions, so a figure here means what the DfE means by it and can be set beside the published
one. Rates are returned as fractions (0.159 for 15.9%); the DfE publishes percentages.

Definitions (brief section 1 [S2, S4, S9, S73], checked against England's published rows
2017-2023 in `csww_indicators_2017_to_2023.csv`, where each recomputes to the published figure
within rounding):

* turnover rate = FTE leavers in the year (1 October to 30 September) / FTE in post at
  30 September (LA-employed: agency workers are neither leavers nor in post);
* agency rate = agency FTE / (agency FTE + LA-employed FTE in post), at 30 September;
* vacancy rate = vacancy FTE / (vacancy FTE + LA-employed FTE in post), at 30 September;
* caseload = cases held / FTE of case holders (agency included), at 30 September; each child
  is a case, so siblings count separately;
* absence rate = working days lost to sickness in the year / (FTE in post x working days in the
  year); the published rows imply about 253 working days a year [DERIVED: 2017-2023 England
  rows give 247-256].
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

#: The workforce census day, 30 September, as (month, day): defined here once. The census counts
#: staff in post on it and its year (1 October to 30 September) ends on it; the census import's
#: rules, the plans' census measures and the published figures' dates all read it from here.
CENSUS_MONTH, CENSUS_DAY = 9, 30
#: Working days in a census year, as implied by the published absence rates [DERIVED].
WORKING_DAYS_PER_YEAR = 253.0


def census_day(year: int) -> _dt.date:
    """The census day of census year `year`: 30 September of that year.

    Parameters
    ----------
    year : int
        The DfE's census (collection) year.

    Returns
    -------
    datetime.date
        The day the census counts the workforce, and the last day of the year its leavers and
        absence are counted over.
    """
    return _dt.date(int(year), CENSUS_MONTH, CENSUS_DAY)


def is_census_day(day: _dt.date) -> bool:
    """Whether `day` (a date or Timestamp) is a census day, 30 September of any year: the
    census's figures exist only for that day, so only it can be set beside them."""
    return (day.month, day.day) == (CENSUS_MONTH, CENSUS_DAY)


def _ratio(numerator, denominator):
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out.item() if out.ndim == 0 else out


def turnover_rate(leavers_fte, inpost_fte):
    """FTE leavers in the census year over LA-employed FTE in post at 30 September."""
    return _ratio(leavers_fte, inpost_fte)


def agency_rate(agency_fte, inpost_fte):
    """Agency FTE over agency plus LA-employed FTE in post at 30 September."""
    return _ratio(agency_fte, np.asarray(agency_fte, dtype=float) + np.asarray(inpost_fte, dtype=float))


def vacancy_rate(vacancy_fte, inpost_fte):
    """Vacancy FTE over vacancy plus LA-employed FTE in post at 30 September."""
    return _ratio(vacancy_fte, np.asarray(vacancy_fte, dtype=float) + np.asarray(inpost_fte, dtype=float))


def caseload_per_case_holder(cases, case_holder_fte):
    """Children held over the FTE of workers holding cases (agency included) at 30 September."""
    return _ratio(cases, case_holder_fte)


def absence_rate(days_lost, inpost_fte, working_days: float = WORKING_DAYS_PER_YEAR):
    """Working days lost to sickness over the working days the FTE in post could work."""
    return _ratio(days_lost, np.asarray(inpost_fte, dtype=float) * working_days)
