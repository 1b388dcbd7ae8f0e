"""Placement costs: looked-after children by placement type times a weekly unit cost.

Each unit cost carries its published figure, the year it was priced in and its source, and is
uprated to one price year with a stated index (ONS CPI). Supported accommodation and kinship care
have no national figure in the domain brief: they are user inputs whose defaults are the stated
floors. The placement mix of children looked after at 31 March is England's [D18], the split of
foster care between in-house, agency (IFA) and kinship carers a [DEFAULT] judgement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.demand.measures import PLACEMENT_TYPES, WEEKS_PER_QUARTER

#: ONS consumer prices index, series D7BT (2015 = 100), calendar-year averages.
PRICE_INDEX: dict[int, float] = {2015: 100.0, 2016: 100.7, 2017: 103.4, 2018: 105.9, 2019: 107.8,
                                 2020: 108.7, 2021: 111.6, 2022: 121.7, 2023: 130.5}
PRICE_INDEX_BASIS = ("ONS CPI (series D7BT, 2015 = 100), calendar-year averages; a financial year is priced "
                     "at the calendar year it starts in. Not in the domain brief: check against ons.gov.uk")
DEFAULT_PRICE_YEAR = 2023


@dataclass(frozen=True)
class UnitCost:
    """The published weekly cost of one placement type.

    Attributes
    ----------
    placement_type : str
    weekly_gbp : float
        The figure as published (or the user's).
    priced_in : int or None
        The calendar year it is priced in; None = not uprated (a floor stated for the current year).
    lo_gbp, hi_gbp : float
        The range where uncertain, in the same prices.
    basis : str
    """

    placement_type: str
    weekly_gbp: float
    priced_in: int | None
    lo_gbp: float
    hi_gbp: float
    basis: str


UNIT_COSTS: dict[str, UnitCost] = {c.placement_type: c for c in (
    UnitCost("in_house_foster", 646.0, 2016, 500.0, 800.0,
             "[D7] PSSRU Unit Costs 2017: in-house foster care including administration and social work, 2016/17; "
             "range [DEFAULT]"),
    UnitCost("ifa", 820.0, 2020, 700.0, 1000.0,
             "[D5] CMA market study (2021): average independent fostering agency price, 2020; range [DEFAULT]"),
    UnitCost("kinship", 214.0, None, 170.0, 258.0,
             "user input; [D11] floor: national minimum fostering allowance 170-258 a week (rest of England, "
             "2025/26, by age), midpoint; national kinship cost NOT FOUND; not uprated"),
    UnitCost("childrens_home", 6120.0, 2023, 4153.0, 6120.0,
             "[D6] NAO (2025): children's homes £318,400 a year, 2023-24; range down to the independent-sector "
             "average 4,153 [D8] (secondary)"),
    UnitCost("supported", 621.0, 2023, 621.0, 3324.0,
             "user input; [D10] floor: one authority's averages 621-3,324 a week (Lincolnshire, 2023); national "
             "figure NOT FOUND"),
    UnitCost("other", 0.0, None, 0.0, 837.0,
             "NOT FOUND: placed with parents, placed for adoption and other placements have no sourced weekly "
             "cost; 0 counts only their social work (in the workforce part)"),
)}

#: Share of looked-after children in each placement type at 31 March (England 2023).
PLACEMENT_MIX: dict[str, float] = {"in_house_foster": 0.30, "ifa": 0.24, "kinship": 0.14,
                                   "childrens_home": 0.09, "supported": 0.11, "other": 0.12}
PLACEMENT_MIX_BASIS = ("[D18] England 31 March 2023: foster care 68%, children's homes 9%, supported or "
                       "independent 11%, other 12%; foster care split 30/24/14 between in-house, IFA and "
                       "kinship carers [DEFAULT] (split NOT FOUND in the domain brief)")


def price_factor(priced_in: int | None, price_year: int, index: dict[int, float] | None = None) -> float:
    """What a price of year `priced_in` is multiplied by to be in `price_year` prices (1 when not
    uprated).

    Raises
    ------
    ValueError
        When the index has no value for a year needed.
    """
    index = index or PRICE_INDEX
    if priced_in is None or priced_in == price_year:
        return 1.0
    for year in (priced_in, price_year):
        if year not in index:
            raise ValueError(f"the price index has no value for {year} (years: {min(index)}-{max(index)})")
    return index[price_year] / index[priced_in]


def unit_cost_table(costs: dict[str, UnitCost], price_year: int, index: dict[int, float] | None = None) -> pd.DataFrame:
    """``placement_type, published_weekly_gbp, priced_in, weekly_gbp, lo_weekly_gbp, hi_weekly_gbp,
    price_year, basis``: each unit cost as published and at the price year."""
    rows = []
    for ptype in PLACEMENT_TYPES:
        c = costs[ptype]
        factor = price_factor(c.priced_in, price_year, index)
        rows.append({"placement_type": ptype, "published_weekly_gbp": c.weekly_gbp,
                     "priced_in": float(c.priced_in) if c.priced_in is not None else np.nan,
                     "weekly_gbp": c.weekly_gbp * factor, "lo_weekly_gbp": c.lo_gbp * factor,
                     "hi_weekly_gbp": c.hi_gbp * factor, "price_year": price_year,
                     "basis": c.basis + ("" if factor == 1.0 else f"; uprated {c.priced_in} to {price_year} by CPI "
                                         f"(x{factor:.3f})")})
    return pd.DataFrame(rows)


def placement_costs(placements: pd.DataFrame, opening: pd.Series, weekly: pd.Series) -> pd.DataFrame:
    """Cost of looked-after children by placement type and quarter.

    Parameters
    ----------
    placements : DataFrame
        ``quarter`` and one column per placement type (children at the quarter's end).
    opening : Series
        Children per placement type at the start.
    weekly : Series
        Weekly cost by placement type (at the price year).

    Returns
    -------
    DataFrame
        ``quarter, placement_type, children`` (at the quarter's end), ``child_weeks`` (the mean of
        the opening and closing stock times 13 weeks), ``weekly_gbp``, ``cost_gbp``.
    """
    before = pd.concat([opening.to_frame().T, placements[list(PLACEMENT_TYPES)]], ignore_index=True)
    mean = (before.iloc[:-1].to_numpy() + before.iloc[1:].to_numpy()) / 2.0
    rows = []
    for i, q in enumerate(placements["quarter"]):
        for j, ptype in enumerate(PLACEMENT_TYPES):
            weeks = mean[i, j] * WEEKS_PER_QUARTER
            rows.append({"quarter": int(q), "placement_type": ptype,
                         "children": float(placements[ptype].iloc[i]), "child_weeks": weeks,
                         "weekly_gbp": float(weekly[ptype]), "cost_gbp": weeks * float(weekly[ptype])})
    return pd.DataFrame(rows)
