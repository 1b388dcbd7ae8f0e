"""An authority beside its ten statistical neighbours, its region and England, every year.

``benchmark(pub, la)`` builds the tables that ``workforce benchmark`` writes and that a plan
workbook can draw its own trajectory against: one table per indicator
(:data:`workforce.published.indicators.BENCHMARK_INDICATORS`) with the authority, the mean of the
neighbours that reported that year (and how many did), the region, England, England's
lower and upper quartiles across authorities, and each neighbour.

Each published return counts once among the comparators, and never when it is the authority's
own (:func:`shared_returns`): councils that file one joint workforce return are shown with it,
marked, and left out of the neighbours' mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workforce.published.indicators import (BENCHMARK_INDICATORS, OWN_COUNTS, TURNOVER, UNREPORTED_COLUMNS, Indicator,
                                            derived_rates, published_return, reference_date, unreported_leavers,
                                            wide, without_unreported_leavers)
from workforce.published.store import ENGLAND, Published

AUTHORITY = "authority"
NEIGHBOURS_MEAN = "neighbours_mean"
NEIGHBOURS_N = "neighbours_reporting"
REGION = "region"
ENGLAND_COL = "england"
ENGLAND_P25 = "england_p25"
ENGLAND_P75 = "england_p75"
LONG_COLUMNS = ["measure", "year", "date", "series", "la_code", "la_name", "value", "note"]
SHARED_COLUMNS = ["measure", "year", "la_code", "published_return", "same_as"]


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
        The authority's own counts (referrals, children in need, CP plans, ...) indexed by
        ``year`` and ``date``: one row per date they refer to (31 March for the children's
        tables, 30 September for the workforce census).
    shared : DataFrame
        ``measure, year, la_code, published_return, same_as``: neighbours shown but left out of
        the neighbours' mean because their figure is a return already counted (:func:`shared_returns`):
        ``same_as`` is the authority's code, or the closer neighbour's that counts it.
    own_returns : DataFrame
        ``measure, year, published_return``: where the authority's own figure is a joint return.
    unreported : DataFrame
        ``measure, la_code, year, inpost_fte, reason``: published 0% turnover figures of the
        authority or a neighbour that their own return contradicts (:func:`unreported_leavers`),
        shown blank and left out of the neighbours' mean and England's quartiles.
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
    shared: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SHARED_COLUMNS))
    own_returns: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["measure", "year", "published_return"]))
    unreported: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["measure", *UNREPORTED_COLUMNS]))
    indicators: tuple[Indicator, ...] = field(default=BENCHMARK_INDICATORS)

    def _name(self, code: str) -> str:
        if code == self.la_code:
            return self.la_name
        names = dict(zip(self.neighbours["la_code"], self.neighbours["la_name"]))
        return names.get(code, code)

    def _shared_note(self, joint: str, same_as: str) -> str:
        if same_as == self.la_code:
            return f"same joint workforce return as {self.la_name} ({joint}): not in the neighbours' mean"
        return f"same joint workforce return as {self._name(same_as)} ({joint}), counted once there: not in the neighbours' mean"

    def joint_notes(self, measure: str | None = None) -> list[str]:
        """One sentence per neighbour left out of the neighbours' mean, one where the authority's
        own figures are a joint return, and one per published 0% turnover not used
        (:func:`unreported_leavers`): which measures, which years, why; with `measure`, for that
        measure alone (an indicator's own sheet)."""
        titles = {ind.measure: (ind.sheet or ind.title).lower() for ind in self.indicators}
        own, shared = self.own_returns, self.shared
        if measure is not None:
            own, shared = own[own["measure"] == measure], shared[shared["measure"] == measure]

        def span(years: pd.Series) -> str:
            return f"{years.min()}-{years.max()}" if years.min() != years.max() else str(years.min())

        lines = []
        for joint, part in own.groupby("published_return", sort=False):
            measures = ", ".join(titles.get(m, m) for m in dict.fromkeys(part["measure"]))
            lines.append(f"{self.la_name}'s {measures} ({span(part['year'])}) are the joint workforce return {joint}, "
                         "published once for the councils that share it")
        for (code, joint, same_as), part in shared.groupby(["la_code", "published_return", "same_as"], sort=False):
            measures = ", ".join(titles.get(m, m) for m in dict.fromkeys(part["measure"]))
            who = (f"{self.la_name}'s own" if same_as == self.la_code
                   else f"{self._name(same_as)}'s, already counted")
            lines.append(f"{self._name(code)} ({code}) is shown but left out of the neighbours' mean for {measures} "
                         f"({span(part['year'])}): it shares the joint workforce return {joint}, so its figures are {who}")
        unreported = self.unreported if measure is None else self.unreported[self.unreported["measure"] == measure]
        for r in unreported.itertuples(index=False):
            where = "" if r.la_code == self.la_code else ", left out of the neighbours' mean"
            lines.append(f"{self._name(r.la_code)} ({r.la_code}) {r.year}: the DfE's 0% turnover is not used ({r.reason}: "
                         f"leavers not reported), so it is blank{where} and out of England's quartiles; England's and "
                         "the region's rates are the DfE's own totals, with that return in them")
        return lines

    def long(self) -> pd.DataFrame:
        """All tables as one long frame: ``measure, year, date, series, la_code, la_name, value, note``.

        ``date`` is the day the figure refers to; ``note`` says where a figure is a joint return,
        and where a neighbour is shown but left out of the neighbours' mean."""
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
            stacked["date"] = [reference_date(measure, y) for y in stacked["year"]]
            parts.append(stacked)
        if not parts:
            return pd.DataFrame(columns=LONG_COLUMNS)
        out = pd.concat(parts, ignore_index=True)
        notes = {(r.measure, r.year, r.la_code): self._shared_note(r.published_return, r.same_as)
                 for r in self.shared.itertuples(index=False)}
        notes |= {(r.measure, r.year, self.la_code): f"joint workforce return {r.published_return}"
                  for r in self.own_returns.itertuples(index=False)}
        notes |= {(r.measure, r.year, r.la_code): f"published 0% not used: {r.reason} (leavers not reported)"
                  for r in self.unreported.itertuples(index=False)}
        keys = zip(out["measure"], out["year"], out["la_code"], out["series"])
        out["note"] = [notes.get((m, y, c), "") if s in (AUTHORITY, "neighbour") else "" for m, y, c, s in keys]
        return out[LONG_COLUMNS]

    def summary(self, year: int | None = None) -> pd.DataFrame:
        """The latest year each indicator has for the authority, beside neighbours and England, with
        the ``date`` that year's figure refers to (30 September or 31 March)."""
        rows = []
        for ind in self.indicators:
            table = self.tables.get(ind.measure)
            if table is None or table[AUTHORITY].dropna().empty:
                rows.append({"indicator": ind.title, "unit": ind.unit, "year": None, "date": None, AUTHORITY: None,
                             NEIGHBOURS_MEAN: None, REGION: None, ENGLAND_COL: None})
                continue
            y = year if year is not None and year in table.index else int(table[AUTHORITY].dropna().index.max())
            r = table.loc[y]
            rows.append({"indicator": ind.title, "unit": ind.unit, "year": y, "date": reference_date(ind.measure, y),
                         AUTHORITY: r[AUTHORITY], NEIGHBOURS_MEAN: r[NEIGHBOURS_MEAN], REGION: r[REGION],
                         ENGLAND_COL: r[ENGLAND_COL]})
        out = pd.DataFrame(rows)
        out["year"] = out["year"].astype("Int64")
        return out


def shared_returns(own: pd.Series, returns: pd.DataFrame) -> pd.DataFrame:
    """Neighbours whose figure is a published return already counted: left out of the mean.

    A joint workforce return (``314 / 318``) is one return for two councils, so the DfE's figure
    for Richmond upon Thames is Kingston upon Thames's too. Counting it for a neighbour that
    shares the authority's return compares the authority with itself; counting it for two
    neighbours weighs one return twice. So each published return counts once among the
    comparators, for the closest neighbour that files it, and never when it is the authority's
    own. The rule reads the data (where a figure comes from, year by year), so it covers every
    joint return and every measure, and leaves alone the children's tables, which each council
    publishes on its own.

    Parameters
    ----------
    own : Series
        By year, the return holding the authority's figure (:func:`published_return`).
    returns : DataFrame
        Year x neighbour (closest first): the return holding each neighbour's figure.

    Returns
    -------
    DataFrame
        ``year, la_code, published_return, same_as``: one row per neighbour figure left out;
        ``same_as`` is the authority's code (``own.name``) or the closer neighbour's.
    """
    rows = []
    for year in returns.index:
        seen = {own.get(year): own.name} if pd.notna(own.get(year)) else {}
        for code in returns.columns:
            source = returns.at[year, code]
            if pd.isna(source):
                continue
            if source in seen:
                rows.append((year, code, source, seen[source]))
            else:
                seen[source] = code
    return pd.DataFrame(rows, columns=SHARED_COLUMNS[1:])


def dated_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """The authority's counts by year, one row per date they refer to (index ``year, date``).

    A census count at 30 September and a children's count at 31 March of the same "year" are
    six months apart; one row per year would show them as one day."""
    if counts.empty:
        return counts.set_index(pd.Index([], name="date"), append=True)
    long = counts.rename_axis("year").reset_index().melt(id_vars="year", var_name="measure").dropna(subset=["value"])
    long["date"] = [reference_date(m, y) for m, y in zip(long["measure"], long["year"])]
    out = long.pivot_table(index=["year", "date"], columns="measure", values="value", aggfunc="first")
    out.columns.name = None
    return out[[c for c in counts.columns if c in out.columns]].sort_index()


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
    unreported = unreported_leavers(pub.values)
    values = without_unreported_leavers(values, unreported)
    la_codes = set(values.loc[values["level"] == "local_authority", "la_code"])
    tables: dict[str, pd.DataFrame] = {}
    shared, own_returns = [], []
    for ind in BENCHMARK_INDICATORS:
        filled = wide(values, ind.measure)
        raw = wide(values, ind.measure, fill_joint=False)
        if filled.empty:
            continue
        column = lambda c: filled[c] if c in filled.columns else pd.Series(float("nan"), index=filled.index)  # noqa: E731
        nb = pd.DataFrame({c: column(c) for c in neighbours["la_code"]}, index=filled.index)
        own = published_return(raw, code).rename(code)
        left_out = shared_returns(own, pd.DataFrame({c: published_return(raw, c) for c in nb.columns}, index=raw.index))
        counted = nb.copy()
        for row in left_out.itertuples(index=False):
            counted.at[row.year, row.la_code] = float("nan")
        shared.append(left_out.assign(measure=ind.measure))
        joint = own[own.notna() & (own != code)]
        own_returns.append(pd.DataFrame({"measure": ind.measure, "year": joint.index, "published_return": joint.values}))
        authorities = raw[[c for c in raw.columns if c in la_codes]]
        table = pd.DataFrame(
            {
                AUTHORITY: column(code),
                NEIGHBOURS_MEAN: counted.mean(axis=1, skipna=True),
                NEIGHBOURS_N: counted.notna().sum(axis=1).astype("int64"),
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
    counts = dated_counts(history[[m for m in OWN_COUNTS if m in history.columns]].dropna(how="all"))
    kept = {m: set(t.index) for m, t in tables.items()}
    shared_frame = pd.concat(shared, ignore_index=True)[SHARED_COLUMNS] if shared else None
    own_frame = pd.concat(own_returns, ignore_index=True) if own_returns else None
    if shared_frame is not None:  # only the years the tables keep
        shown = lambda f: f.loc[[y in kept.get(m, ()) for m, y in zip(f["measure"], f["year"])]]  # noqa: E731
        shared_frame, own_frame = shown(shared_frame), shown(own_frame)
    shown = unreported[unreported["la_code"].isin([code, *neighbours["la_code"]])
                       & unreported["year"].isin(tables[TURNOVER].index if TURNOVER in tables else [])]
    return Benchmark(
        unreported=shown.assign(measure=TURNOVER)[["measure", *UNREPORTED_COLUMNS]].reset_index(drop=True),
        la_code=code,
        la_name=pub.name_of(code),
        region_code=region,
        region_name=pub.name_of(region) if region else "",
        neighbours=neighbours,
        tables=tables,
        counts=counts,
        **({} if shared_frame is None else {"shared": shared_frame.reset_index(drop=True),
                                            "own_returns": own_frame.reset_index(drop=True)}),
    )
