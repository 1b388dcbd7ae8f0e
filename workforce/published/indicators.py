"""Measures shared by the benchmark, the forecast and the trajectory analysis.

Derived rates are defined here once: children in need and CP plans per 10,000 children use the
DfE's own under-18 population estimate from the children-looked-after table (``child_population``),
so they exist only for the years that table covers (2021-2023 in the bundled copy) and are missing
elsewhere rather than estimated.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workforce.measures import census_day
from workforce.published.authorities import joint_members
from workforce.published.layouts import SEPTEMBER, TIME_SERIES_LAYOUTS

POPULATION = "child_population"
PER = 10_000

# derived measure -> the count it divides by the child population [DERIVED]
PER_10K: dict[str, str] = {
    "cin_rate_per_10k": "cin_at31",
    "cp_rate_per_10k": "cp_at31",
}


@dataclass(frozen=True)
class Indicator:
    """One measure as a user reads it in the benchmark."""

    measure: str
    title: str
    unit: str
    basis: str
    better: str = ""  # "lower", "higher" or "" when neither is simply better
    sheet: str = ""  # short name for a workbook sheet (31 characters at most)


BENCHMARK_INDICATORS: tuple[Indicator, ...] = (
    Indicator("turnover_rate_fte", "Turnover rate", "% (FTE)",
              "leavers in the year to 30 September / social workers in post (FTE), DfE workforce census", "lower", sheet="Turnover"),
    Indicator("agency_rate_fte", "Agency worker rate", "% (FTE)",
              "agency workers / (agency workers + social workers in post), FTE at 30 September", "lower", sheet="Agency"),
    Indicator("vacancy_rate_fte", "Vacancy rate", "% (FTE)",
              "vacancies / (vacancies + social workers in post), FTE at 30 September", "lower", sheet="Vacancies"),
    Indicator("absence_rate_fte", "Sickness absence rate", "% of working days",
              "working days lost to sickness / working days available, year to 30 September", "lower", sheet="Absence"),
    Indicator("caseload_fte", "Caseload per case-holding social worker", "cases per FTE",
              "cases held / case-holding social workers (FTE) at 30 September", "lower", sheet="Caseload"),
    Indicator("cin_rate_per_10k", "Children in need", "per 10,000 children",
              "[DERIVED] children in need at 31 March (b1) / under-18 population estimate in the "
              "children-looked-after table x 10,000; missing where that table has no population", sheet="Children in need"),
    Indicator("rereferral_pct", "Re-referrals within 12 months", "% of referrals",
              "referrals within 12 months of a previous referral / referrals in the year (c1)", "lower", sheet="Re-referrals"),
    Indicator("cp_rate_per_10k", "Children on a child protection plan", "per 10,000 children",
              "[DERIVED] CP plans at 31 March (d5) / under-18 population estimate x 10,000; missing where "
              "there is no population", sheet="CP plans"),
    Indicator("cp_repeat_pct", "Repeat child protection plans", "% of plans starting",
              "plans starting that are a second or subsequent plan (d3)", "lower", sheet="Repeat CP plans"),
    Indicator("cla_rate_per_10k", "Children looked after", "per 10,000 children",
              "children looked after at 31 March per 10,000 children aged under 18, as published", sheet="Looked after"),
    Indicator("cla_3plus_sw_pct", "Looked-after children with 3 or more social workers", "% of children",
              "looked-after children at 31 March who had 3 or more social workers in the year (first "
              "published for 2024)", "lower", sheet="Looked after 3+ social workers"),
)

# The authority's own counts, shown beside the rates (counts are not comparable between
# authorities of different sizes, so they are not benchmarked).
OWN_COUNTS: tuple[str, ...] = (
    "referrals", "cin_at31", "cp_at31", "cp_starts", "cla_at31", "inpost_fte", "agency_fte",
    "vacancy_fte", "case_holders_fte", "cases",
)

RATE_SUFFIXES = ("_pct", "_rate_fte", "_rate_headcount", "_per_10k", "caseload_fte")


def is_rate(measure: str) -> bool:
    """True for rates, percentages and per-case ratios (comparable between authorities)."""
    return measure.endswith(RATE_SUFFIXES)


def derived_rates(values: pd.DataFrame) -> pd.DataFrame:
    """Rows of the derived per-10,000 rates (same columns as ``Published.values``, source ``derived``).

    Parameters
    ----------
    values : DataFrame
        ``Published.values``.
    """
    pop = values[values["measure"] == POPULATION][["la_code", "year", "value"]].rename(columns={"value": "pop"})
    out = []
    for derived, count in PER_10K.items():
        rows = values[values["measure"] == count].merge(pop, on=["la_code", "year"], how="inner")
        rows = rows[rows["pop"] > 0]
        rows = rows.assign(measure=derived, value=rows["value"] / rows["pop"] * PER, source="derived")
        out.append(rows.drop(columns="pop"))
    return pd.concat(out, ignore_index=True) if out else values.iloc[0:0]


# [DEFAULT] a fall in FTE in post, beyond the year's starters, of at least this share of the year
# before's is leavers, whatever the return says (changes in hours alone do not move a service 5%)
UNREPORTED_LEAVERS_FALL = 0.05
UNREPORTED_COLUMNS = ["la_code", "year", "inpost_fte", "reason"]
TURNOVER = "turnover_rate_fte"


def unreported_leavers(values: pd.DataFrame) -> pd.DataFrame:
    """Authority-years whose published turnover of 0% the same return contradicts: leavers not
    reported, not nobody leaving.

    The DfE publishes 0 leavers and 0% turnover for some large services: Manchester, Oldham and
    Lewisham in 2022 (415, 147 and 140 FTE in post), Hull, Derby and East Sussex in 2017. No
    service of that size goes a year without a leaver (the next lowest rate among services of 50
    FTE or more is 0.9%), and each return says so itself: leavers counted by headcount but none by
    FTE (2017), or fewer social workers in post than the year before plus the year's starters, by
    at least :data:`UNREPORTED_LEAVERS_FALL` of the year before's (2022: Manchester 443.8 + 48.8
    starters to 415.0). Read as 0, such a figure pulls the neighbours' mean and England's quartiles
    down and tells a director a neighbour keeps every social worker. A 0% the return does not
    contradict (the City of London's 8 FTE) stays.

    Parameters
    ----------
    values : DataFrame
        ``Published.values``.

    Returns
    -------
    DataFrame
        ``la_code, year, inpost_fte, reason``: one row per authority-year, the reason in words.
    """
    wanted = [TURNOVER, "leavers_fte", "leavers_headcount", "inpost_fte", "starters_fte"]
    rows = values[values["measure"].isin(wanted) & (values["level"] == "local_authority")]
    w = rows.pivot_table(index=["la_code", "year"], columns="measure", values="value", aggfunc="first")
    w = w.reindex(columns=wanted)
    zero = w[(w[TURNOVER] == 0) & (w["leavers_fte"].fillna(0) == 0)]
    out = []
    for (code, year), r in zero.iterrows():
        before = w["inpost_fte"].get((code, year - 1), float("nan"))
        starters = r["starters_fte"] if pd.notna(r["starters_fte"]) else 0.0
        gone = before + starters - r["inpost_fte"]
        if r["leavers_headcount"] > 0:
            reason = (f"{r['leavers_headcount']:.0f} leavers by headcount but 0 by FTE, "
                      f"{r['inpost_fte']:.1f} FTE in post")
        elif pd.notna(gone) and gone >= UNREPORTED_LEAVERS_FALL * before:
            reason = (f"0 leavers, yet {r['inpost_fte']:.1f} FTE in post against {before:.1f} the year before "
                      f"plus {starters:.1f} starters")
        else:
            continue
        out.append((code, int(year), float(r["inpost_fte"]), reason))
    return pd.DataFrame(out, columns=UNREPORTED_COLUMNS)


def without_unreported_leavers(values: pd.DataFrame, found: pd.DataFrame | None = None) -> pd.DataFrame:
    """`values` with the published 0% turnover of :func:`unreported_leavers`'s authority-years
    missing: leavers not reported are not a rate of nothing, for a comparison, a forecast or the
    outcome a forecast is scored against. ``found``: `unreported_leavers` of them, when the caller
    has it already."""
    found = unreported_leavers(values) if found is None else found
    if found.empty:
        return values
    keys = pd.MultiIndex.from_arrays([found["la_code"], found["year"]])
    hit = (values["measure"] == TURNOVER).to_numpy() & pd.MultiIndex.from_arrays(
        [values["la_code"], values["year"]]).isin(keys)
    out = values.copy()
    out["value"] = out["value"].mask(hit)
    return out


def reference_date(measure: str, year: int) -> str:
    """The date (ISO) a published figure of `measure` for `year` refers to.

    The DfE's "2023" is two different days: the workforce census is taken at 30 September 2023
    (leavers and absence in the year to it), the children's tables at 31 March 2023 (stocks on
    that day, flows in the year to it), six months earlier. A figure shown without its date reads
    as if both were the same day (``docs/published.md``, *Years*). Derived rates take the date of
    the count they are made from.
    """
    measure = PER_10K.get(measure, measure)
    september = any(measure in layout.measures and layout.year_basis == SEPTEMBER for layout in TIME_SERIES_LAYOUTS)
    return census_day(year).isoformat() if september else f"{int(year)}-03-31"


def published_return(raw: pd.DataFrame, code: str) -> pd.Series:
    """Per year, the published return that holds `code`'s figure (missing where there is none).

    Some councils file one workforce return between them (``314 / 318``: Kingston upon Thames and
    Richmond upon Thames through Achieving for Children; ``940 / 941``: North and West
    Northamptonshire through their children's trust). The DfE publishes that return once, under
    the joint code, so a member's figure is its own row where it has one, else its joint return's.

    Parameters
    ----------
    raw : DataFrame
        A measure as published, year x la_code (``wide(..., fill_joint=False)``).
    code : str
        The authority.
    """
    out = pd.Series(None, index=raw.index, dtype=object)
    sources = [code] + [c for c in raw.columns if code in joint_members(c)]
    for source in reversed(sources):  # the authority's own row wins
        if source in raw.columns:
            out[raw[source].notna()] = source
    return out


def wide(values: pd.DataFrame, measure: str, *, fill_joint: bool = True) -> pd.DataFrame:
    """One measure as a year x la_code frame (every authority, region and England).

    With ``fill_joint`` a member of a joint return (314, 318 of ``314 / 318``) takes the joint
    return's value where it has none of its own (:func:`published_return`).
    """
    rows = values[values["measure"] == measure]
    frame = rows.set_index(["year", "la_code"])["value"].unstack("la_code")
    frame.columns.name = None
    frame.index.name = "year"
    if fill_joint:
        raw = frame.copy()
        for member in dict.fromkeys(m for c in raw.columns for m in joint_members(c)):
            source = published_return(raw, member)
            frame[member] = [raw.at[y, s] if pd.notna(s) else float("nan") for y, s in source.items()]
    return frame.sort_index()
