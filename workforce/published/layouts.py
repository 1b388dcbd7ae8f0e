"""The DfE file layouts this package reads, recognised by their columns (never by file name).

Each :class:`Layout` says which columns identify it, which column (or category and column)
holds each measure, and which publication wins where two layouts overlap. Column names are
matched case-insensitively because explore-education-statistics has changed case between
releases. The measure vocabulary is documented in ``docs/published.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

# DfE status codes (explore-education-statistics "symbols"): each becomes a missing value and a
# row in `Published.notes`. `k` is the DfE's current symbol for "fewer than 0.5"; older files use
# `low` for the same thing.
STATUS_CODES: dict[str, str] = {
    "x": "not available",
    "z": "not applicable",
    "c": "confidential (suppressed to protect individuals)",
    "low": "rounds to 0 but is not 0",
    "k": "rounds to 0 but is not 0",
    "u": "low reliability",
    "": "blank (not published)",
}

# Columns that place a row in time and geography (lower case). Every time-series layout has them.
GEOGRAPHY = ("time_period", "geographic_level", "region_code", "old_la_code", "new_la_code", "la_name")

LEVELS = {"national": "national", "regional": "regional", "local authority": "local_authority"}

MARCH = "year ending 31 March of time_period"
SEPTEMBER = "30 September of time_period"


@dataclass(frozen=True)
class Layout:
    """One published table layout.

    Attributes
    ----------
    name : str
        Layout name, written to ``Published.values['source']``.
    title : str
        What the table is, in a user's words (used in messages).
    signature : frozenset of str
        Lower-case columns that identify the layout: a file is this layout when it has all of them.
    columns : mapping
        Wide layouts: lower-case value column -> measure.
    category : tuple of str
        Long layouts: lower-case columns whose values name the category of a row.
    categories : mapping
        Long layouts: tuple of lower-case category values -> {value column -> measure}.
    rank : int
        Precedence where layouts overlap: the higher rank is the newer publication and wins.
    year_basis : str
        What `year` means for this layout.
    """

    name: str
    title: str
    signature: frozenset[str]
    columns: Mapping[str, str] = field(default_factory=dict)
    category: tuple[str, ...] = ()
    categories: Mapping[tuple[str, ...], Mapping[str, str]] = field(default_factory=dict)
    rank: int = 0
    year_basis: str = MARCH

    @property
    def measures(self) -> tuple[str, ...]:
        out = list(self.columns.values())
        for mapping in self.categories.values():
            out.extend(mapping.values())
        return tuple(dict.fromkeys(out))


def _count_and_pct(measure: str, count: str = "children_count", pct: str = "children_percent") -> dict[str, str]:
    """A count column and its percentage column: ``measure`` and ``measure_pct``."""
    return {count: measure, pct: f"{measure}_pct"}


CSWW_INDICATORS = Layout(
    name="csww_indicators",
    title="children's social work workforce indicators (csww_indicators)",
    signature=frozenset({"inpost_fte", "turnover_rate_fte", "agency_rate_fte", "vacancy_rate_fte", "caseload_fte"}),
    columns={
        c: c
        for c in (
            "inpost_fte", "inpost_headcount", "starters_fte", "starters_headcount", "leavers_fte",
            "leavers_headcount", "turnover_rate_fte", "turnover_rate_headcount", "agency_fte",
            "agency_headcount", "agency_rate_fte", "agency_rate_headcount", "agency_cover_fte",
            "agency_cover_rate_fte", "vacancy_fte", "vacancy_rate_fte", "vacancy_agency_cover_rate_fte",
            "case_holders_fte", "cases", "caseload_fte", "working_days_lost_fte", "absence_rate_fte",
        )
    },
    rank=2,
    year_basis=SEPTEMBER,
)

CSWW_HEADLINE = Layout(
    name="csww_headline_measures",
    title="children's social work workforce headline measures (older layout, columns ending in _%)",
    signature=frozenset({"social_worker_fte", "turnover_rate_fte_%", "agency_worker_rate_fte_%"}),
    # The same names as csww_indicators, rates with a "_%" suffix, and a few renamed counts.
    columns={
        **{c: c for c in ("agency_fte", "agency_headcount", "agency_cover_fte", "vacancy_fte", "case_holders_fte",
                          "cases", "caseload_fte", "working_days_lost_fte")},
        **{f"{c}_%": c for c in ("turnover_rate_fte", "turnover_rate_headcount", "agency_cover_rate_fte",
                                 "vacancy_rate_fte", "vacancy_agency_cover_rate_fte", "absence_rate_fte")},
        "social_worker_fte": "inpost_fte",
        "social_worker_headcount": "inpost_headcount",
        "leaver_fte": "leavers_fte",
        "leaver_headcount": "leavers_headcount",
        "agency_worker_rate_fte_%": "agency_rate_fte",
        "agency_worker_rate_headcount_%": "agency_rate_headcount",
    },
    rank=1,
    year_basis=SEPTEMBER,
)

CIN_FLOWS = (("anypoint", "anypoint"), ("started", "starts"), ("ended", "ends"))

CIN_B1 = Layout(
    name="b1_children_in_need",
    title="children in need (b1: episodes and children at any point, starting, ending, at 31 March)",
    signature=frozenset({"at31_episodes", "started_episodes", "ended_episodes"}),
    # Episodes are the headline counts (one open episode per child at 31 March); "_child" counts
    # the same by child.
    columns={
        **{f"{dfe}_episodes": f"cin_{ours}" for dfe, ours in CIN_FLOWS},
        **{f"{dfe}_child": f"cin_{ours}_child" for dfe, ours in CIN_FLOWS},
        "at31_episodes": "cin_at31",
        "awaiting_assessment": "cin_awaiting_assessment",
    },
)

CIN_C1 = Layout(
    name="c1_referrals",
    title="referrals and re-referrals (c1)",
    signature=frozenset({"referral_count", "rereferral_count", "rereferral_percent"}),
    columns={
        "referral_count": "referrals",
        "rereferral_count": "rereferrals",
        "rereferral_percent": "rereferral_pct",
        "no_further_action_count": "referrals_nfa",
        "no_further_action_percent": "referrals_nfa_pct",
        "not_in_need_count": "assessed_not_in_need",
        "not_in_need_percent": "assessed_not_in_need_pct",
        "referral_child_count": "referrals_child",
        "rereferral_child_count": "rereferrals_child",
        "rereferral_child_percent": "rereferral_child_pct",
    },
)

CP_D3 = Layout(
    name="d3_cp_subsequent",
    title="child protection plans starting, second or subsequent (d3)",
    signature=frozenset({"cpp_start", "cpp_subsequent"}),
    columns={
        "cpp_start": "cp_starts",
        "cpp_subsequent": "cp_starts_repeat",
        "cpp_subsequent_percent": "cp_repeat_pct",
    },
)

CP_D5 = Layout(
    name="d5_cp_duration",
    title="child protection plans at 31 March by length (d5)",
    signature=frozenset({"cpp_at31", "3_months_or_less", "2_years_or_more"}),
    columns={
        "cpp_at31": "cp_at31",
        **_count_and_pct("cp_at31_le3m", "3_months_or_less", "3_months_or_less_percent"),
        **_count_and_pct("cp_at31_3to6m", "more_than_3_months_6_months", "more_than_3_months_6_months_percent"),
        **_count_and_pct("cp_at31_6to12m", "more_than_6_months_less_than_1_year",
                         "more_than_6_months_less_than_1_year_percent"),
        **_count_and_pct("cp_at31_1to2y", "1_year_less_than_2_years", "1_year_less_than_2_years_percent"),
        **_count_and_pct("cp_at31_ge2y", "2_years_or_more", "2_years_or_more_percent"),
    },
)

CLA_NUMBERS = Layout(
    name="cla_numbers",
    title="children looked after: numbers and rates per 10,000 children",
    signature=frozenset({"population_type", "children_count", "rate_per_10000"}),
    category=("population_type",),
    categories={
        ("children looked after on 31 march each year",): {
            "children_count": "cla_at31",
            "rate_per_10000": "cla_rate_per_10k",
            "population_estimate": "child_population",
        },
        ("children starting to be looked after each year",): {
            "children_count": "cla_starts",
            "rate_per_10000": "cla_starts_rate_per_10k",
        },
        ("children ceasing to be looked after each year",): {
            "children_count": "cla_ceased",
            "rate_per_10000": "cla_ceased_rate_per_10k",
        },
    },
)

CLA_LONG_TERM = "children looked after continuously for at least 2.5 years on 31 march aged under 16 years"

CLA_PLACEMENT_STABILITY = Layout(
    name="cla_placement_stability",
    title="children looked after: placement stability",
    signature=frozenset({"cla_group", "placement_stability", "children_count"}),
    category=("cla_group", "placement_stability"),
    categories={
        ("cla on 31 march", "total children"): {"children_count": "cla_stability_at31_total"},
        ("cla on 31 march", "with 3 or more placements during the year"): _count_and_pct("cla_3plus_placements"),
        ("cla 2 years on 31 march", "total children"): {"children_count": "cla_stability_2y_total"},
        ("cla 2 years on 31 march", "with 3 or more placements during the previous 2 years"):
            _count_and_pct("cla_2y_3plus_placements"),
        (CLA_LONG_TERM, "total children"): {"children_count": "cla_longterm_total"},
        (CLA_LONG_TERM, "living with the same carer for at least 2 years"): _count_and_pct("cla_longterm_same_carer"),
    },
)

CLA_SW_COUNT = Layout(
    name="cla_swcount",
    title="children looked after by number of social workers in the year",
    signature=frozenset({"cla_group", "sw_stability", "number"}),
    category=("cla_group", "sw_stability"),
    categories={
        ("cla on 31 march", "total children"): {"number": "cla_sw_total"},
        ("cla on 31 march", "3 or more social workers during the year"):
            _count_and_pct("cla_3plus_sw", count="number", pct="percentage"),
    },
)

TIME_SERIES_LAYOUTS: tuple[Layout, ...] = (
    CSWW_INDICATORS,
    CSWW_HEADLINE,
    CIN_B1,
    CIN_C1,
    CP_D3,
    CP_D5,
    CLA_NUMBERS,
    CLA_PLACEMENT_STABILITY,
    CLA_SW_COUNT,
)

# The statistical-neighbour model (wide: SN_1..SN_10 with closeness SN_1P..SN_10P).
SN_MODEL_NAME = "sn_model"
SN_MODEL_TITLE = "DfE statistical neighbours (sn_model, wide: SN_1 ... SN_10)"
SN_COUNT = 10
SN_SIGNATURE = frozenset({"old_la_code", *(f"sn_{i}" for i in range(1, SN_COUNT + 1))})


def recognise(columns: list[str]) -> Layout | str | None:
    """The layout whose signature the columns hold: a :class:`Layout`, ``"sn_model"`` or None.

    Parameters
    ----------
    columns : list of str
        The file's header (any case; surrounding spaces ignored).
    """
    lower = {str(c).strip().lower() for c in columns}
    if SN_SIGNATURE <= lower:
        return SN_MODEL_NAME
    if "time_period" not in lower or "geographic_level" not in lower:
        return None
    for layout in TIME_SERIES_LAYOUTS:
        if layout.signature <= lower:
            return layout
    return None


def expected_description() -> str:
    """What a published file must look like, for the message when a file is none of these."""
    parts = [f"{lay.title} [columns {', '.join(sorted(lay.signature))}]" for lay in TIME_SERIES_LAYOUTS]
    parts.append(f"{SN_MODEL_TITLE} [columns old_la_code, SN_1 ... SN_{SN_COUNT}]")
    return (
        "a DfE explore-education-statistics CSV with time_period and geographic_level and one of: "
        + "; ".join(parts)
    )


def measure_layouts() -> dict[str, list[str]]:
    """Measure -> layouts that can hold it (to document overlaps)."""
    out: dict[str, list[str]] = {}
    for layout in TIME_SERIES_LAYOUTS:
        for m in layout.measures:
            out.setdefault(m, []).append(layout.name)
    return out
