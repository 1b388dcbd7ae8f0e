"""An authority beside its ten statistical neighbours, its region and England, every year.

``benchmark(pub, la)`` builds the tables that ``workforce benchmark`` writes and that a plan
workbook can draw its own trajectory against: one table per indicator
(:data:`workforce.published.indicators.BENCHMARK_INDICATORS`) with the authority, the mean of the
neighbours that reported that year (and how many did), the region, England, England's
lower and upper quartiles across authorities, and each neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workforce.published.indicators import BENCHMARK_INDICATORS, OWN_COUNTS, Indicator, derived_rates, wide
from workforce.published.store import ENGLAND, Published

AUTHORITY = "authority"
NEIGHBOURS_MEAN = "neighbours_mean"
NEIGHBOURS_N = "neighbours_reporting"
REGION = "region"
ENGLAND_COL = "england"
ENGLAND_P25 = "england_p25"
ENGLAND_P75 = "england_p75"
LONG_COLUMNS = ["measure", "year", "series", "la_code", "la_name", "value"]


@dataclass
class Benchmark:
    """The benchmark of one authority.

    Attributes
    ----------
    la_code, la_name : str
        The authority.
    region_code, region_name : str
        Its region (London for London boroughs).
    neighbours : DataFrame
        ``rank, la_code, la_name, closeness``: its statistical neighbours, closest first.
    tables : dict of str to DataFrame
        Indicator measure -> table indexed by ``year`` with columns ``authority``,
        ``neighbours_mean``, ``neighbours_reporting``, ``region``, ``england``, ``england_p25``,
        ``england_p75``, then one column per neighbour (its la_code). Years where the authority,
        its neighbours, region and England all have nothing are left out.
    counts : DataFrame
        The authority's own counts by year (referrals, children in need, CP plans, ...).
    indicators : tuple of Indicator
        Titles, units and bases of the tables.
    """

    la_code: str
    la_name: str
    region_code: str
    region_name: str
    neighbours: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    counts: pd.DataFrame
    indicators: tuple[Indicator, ...] = field(default=BENCHMARK_INDICATORS)

    def long(self) -> pd.DataFrame:
        """All tables as one long frame: ``measure, year, series, la_code, la_name, value``."""
        names = dict(zip(self.neighbours["la_code"], self.neighbours["la_name"]))
        labels = {
            AUTHORITY: (self.la_code, self.la_name),
            NEIGHBOURS_MEAN: ("", "mean of statistical neighbours"),
            NEIGHBOURS_N: ("", "statistical neighbours reporting"),
            REGION: (self.region_code, self.region_name),
            ENGLAND_COL: (ENGLAND, "England"),
            ENGLAND_P25: ("", "England authorities: lower quartile"),
            ENGLAND_P75: ("", "England authorities: upper quartile"),
        }
        parts = []
        for measure, table in self.tables.items():
            stacked = table.rename_axis("year").reset_index().melt(id_vars="year", var_name="column", value_name="value")
            stacked["measure"] = measure
            stacked["series"] = stacked["column"].map(lambda c: c if c in labels else "neighbour")
            stacked["la_code"] = stacked["column"].map(lambda c: labels[c][0] if c in labels else c)
            stacked["la_name"] = stacked["column"].map(lambda c: labels[c][1] if c in labels else names.get(c, c))
            parts.append(stacked[LONG_COLUMNS])
        if not parts:
            return pd.DataFrame(columns=LONG_COLUMNS)
        return pd.concat(parts, ignore_index=True)

    def summary(self, year: int | None = None) -> pd.DataFrame:
        """The latest year each indicator has for the authority, beside neighbours and England."""
        rows = []
        for ind in self.indicators:
            table = self.tables.get(ind.measure)
            if table is None or table[AUTHORITY].dropna().empty:
                rows.append({"indicator": ind.title, "unit": ind.unit, "year": None, AUTHORITY: None,
                             NEIGHBOURS_MEAN: None, REGION: None, ENGLAND_COL: None})
                continue
            y = year if year is not None and year in table.index else int(table[AUTHORITY].dropna().index.max())
            r = table.loc[y]
            rows.append({"indicator": ind.title, "unit": ind.unit, "year": y, AUTHORITY: r[AUTHORITY],
                         NEIGHBOURS_MEAN: r[NEIGHBOURS_MEAN], REGION: r[REGION], ENGLAND_COL: r[ENGLAND_COL]})
        out = pd.DataFrame(rows)
        out["year"] = out["year"].astype("Int64")
        return out


def _neighbour_frame(pub: Published, code: str) -> pd.DataFrame:
    codes = pub.neighbours(code)
    sn = pub.neighbour_table
    own = sn[sn["la_code"] == code].set_index("neighbour")["closeness"].to_dict()
    return pd.DataFrame(
        {
            "rank": range(1, len(codes) + 1),
            "la_code": codes,
            "la_name": [pub.name_of(c) for c in codes],
            "closeness": [str(own.get(c, "")).strip() for c in codes],
        }
    )


def benchmark(pub: Published, la: str | int) -> Benchmark:
    """Build the benchmark tables of one authority.

    Parameters
    ----------
    pub : Published
        The published statistics (``read_published()``).
    la : str or int
        The authority: old code, new code or name.

    Returns
    -------
    Benchmark

    Raises
    ------
    workforce.errors.InputError
        An unknown authority, or one outside the statistical-neighbour model.
    """
    code = pub.resolve(la)
    neighbours = _neighbour_frame(pub, code)
    region = pub.region_of(code) or ""
    values = pd.concat([pub.values, derived_rates(pub.values)], ignore_index=True)
    la_codes = set(values.loc[values["level"] == "local_authority", "la_code"])
    tables: dict[str, pd.DataFrame] = {}
    for ind in BENCHMARK_INDICATORS:
        filled = wide(values, ind.measure)
        raw = wide(values, ind.measure, fill_joint=False)
        if filled.empty:
            continue
        column = lambda c: filled[c] if c in filled.columns else pd.Series(float("nan"), index=filled.index)  # noqa: E731
        nb = pd.DataFrame({c: column(c) for c in neighbours["la_code"]}, index=filled.index)
        authorities = raw[[c for c in raw.columns if c in la_codes]]
        table = pd.DataFrame(
            {
                AUTHORITY: column(code),
                NEIGHBOURS_MEAN: nb.mean(axis=1, skipna=True),
                NEIGHBOURS_N: nb.notna().sum(axis=1).astype("int64"),
                REGION: column(region),
                ENGLAND_COL: column(ENGLAND),
                ENGLAND_P25: authorities.quantile(0.25, axis=1),
                ENGLAND_P75: authorities.quantile(0.75, axis=1),
            },
            index=filled.index,
        )
        table = pd.concat([table, nb], axis=1)
        keep = table.drop(columns=[NEIGHBOURS_N]).notna().any(axis=1)
        table = table[keep]
        table.index.name = "year"
        tables[ind.measure] = table
    history = pub.history(code)
    counts = history[[m for m in OWN_COUNTS if m in history.columns]].dropna(how="all")
    return Benchmark(
        la_code=code,
        la_name=pub.name_of(code),
        region_code=region,
        region_name=pub.name_of(region) if region else "",
        neighbours=neighbours,
        tables=tables,
        counts=counts,
    )
