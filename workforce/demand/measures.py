"""The vocabulary of the demand model: stages, flows, placement types, measures and quarters.

Stages are where a child is in the journey; each holds children (a stock). Flows move children
between stages, in from a referral or out of children's social care. Names here are used by every
other module of :mod:`workforce.demand` and in every output frame.

Years follow the DfE convention: ``year`` 2023 is the year ending 31 March 2023. Quarter 1 of a
run is the first quarter after its start date (a 31 March), so quarters 1-4 make up the year
ending 31 March of the start year plus one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.readers import FIRST_YEAR, LAST_YEAR

#: Stages of the journey that hold children, in journey order.
#: `assessment` (referred, being assessed), `cin` (child in need, not on a plan or in care),
#: `cp` (child protection plan), `cla` (looked after), `care_leaver` (held by a personal adviser).
STAGES = ("assessment", "cin", "cp", "cla", "care_leaver")

#: Stages held on a social worker's caseload (care leavers are held by personal advisers).
SOCIAL_WORK_STAGES = ("assessment", "cin", "cp", "cla")

#: Case type of the capacity model (`workforce.caseload.CASE_TYPES`) for each stage; looked-after
#: children split into `cla` and `cla_complex` by the complex share.
STAGE_CASE_TYPES = {
    "assessment": ("cin_assessment",),
    "cin": ("cin",),
    "cp": ("cp",),
    "cla": ("cla", "cla_complex"),
    "care_leaver": ("care_leaver",),
}

#: Where children are placed while looked after (the placement sub-stocks of `cla`).
PLACEMENT_TYPES = ("in_house_foster", "ifa", "kinship", "childrens_home", "supported", "other")

#: Flows between stages: name -> (from stage or None for outside, to stage or None for outside).
#: `referrals` arrive from outside; `nfa` leaves at the front door the same day.
FLOWS = {
    "new_referrals": (None, None),
    "rereferrals": (None, None),
    "early_help": (None, None),
    "referrals": (None, "assessment"),
    "nfa": ("assessment", None),
    "not_in_need": ("assessment", None),
    "assessed_in_need": ("assessment", "cin"),
    "cin_closure": ("cin", None),
    "cp_start": ("cin", "cp"),
    "cp_step_down": ("cp", "cin"),
    "care_entry_from_cin": ("cin", "cla"),
    "care_entry_from_cp": ("cp", "cla"),
    "care_exit_home": ("cla", None),
    "care_exit_leaver": ("cla", "care_leaver"),
    "care_leaver_end": ("care_leaver", None),
}

#: Flows that end a child's involvement (re-referrals within 12 months come from these).
CLOSURE_FLOWS = ("nfa", "not_in_need", "cin_closure", "care_exit_home")

#: Flows into social care (children in) and out of it (children out), for the conservation check.
INFLOW = "referrals"
OUTFLOWS = ("nfa", "not_in_need", "cin_closure", "care_exit_home", "care_leaver_end")

#: Flows that move a child from one stage to another social-work stage: a change of social worker
#: whenever the two stages are held by different teams.
TRANSFER_FLOWS = ("assessed_in_need", "cp_start", "cp_step_down", "care_entry_from_cin", "care_entry_from_cp")

#: Published measures (``workforce.published`` names) the calibration reads from a history frame.
HISTORY_MEASURES = (
    "referrals", "rereferrals", "rereferral_pct", "referrals_nfa", "assessed_not_in_need",
    "cin_starts", "cin_ends", "cin_at31", "cin_awaiting_assessment",
    "cp_starts", "cp_starts_repeat", "cp_at31", "cp_at31_le3m",
    "cla_at31", "cla_starts", "cla_ceased", "cla_3plus_sw_pct",
)

#: Published stocks at 31 March the model reproduces, and the model stages each one counts.
#: The CIN census counts an episode from referral, so children under assessment, on a plan and
#: looked after are all children in need [D1].
PUBLISHED_STOCKS = {
    "cin_at31": ("assessment", "cin", "cp", "cla"),
    "cp_at31": ("cp",),
    "cla_at31": ("cla",),
}

#: Published yearly flows and the model flows each one sums.
PUBLISHED_FLOWS = {
    "referrals": ("referrals",),
    "rereferrals": ("rereferrals",),
    "referrals_nfa": ("nfa",),
    "assessed_not_in_need": ("not_in_need",),
    "cin_starts": ("assessed_in_need",),
    "cp_starts": ("cp_start",),
    "cla_starts": ("care_entry_from_cin", "care_entry_from_cp"),
    "cla_ceased": ("care_exit_home", "care_exit_leaver"),
}

DAYS_PER_QUARTER = 365.25 / 4.0
WEEKS_PER_QUARTER = 52.0 / 4.0


def quarter_ends(start_year: int, horizon: int) -> pd.DatetimeIndex:
    """End dates of quarters 1..horizon after 31 March `start_year`."""
    start = pd.Timestamp(year=start_year, month=3, day=31)
    return pd.DatetimeIndex([start + pd.offsets.QuarterEnd(q) for q in range(1, horizon + 1)])


def quarter_years(start_year: int, horizon: int) -> np.ndarray:
    """The DfE year (ending 31 March) each quarter 1..horizon falls in."""
    q = np.arange(1, horizon + 1)
    return start_year + (q + 3) // 4


def parse_year_window(text: str | int) -> tuple[int, int]:
    """(first, last) of ``"2021-2023"``, ``"2013"`` or an int, a year a date may have
    (`FIRST_YEAR` to `LAST_YEAR`). Raises ValueError naming what is wrong with the form (the
    caller says which option or key held it)."""
    if isinstance(text, int):
        first = last = text
    else:
        parts = [p.strip() for p in str(text).replace("–", "-").split("-")]
        try:
            numbers = [int(p) for p in parts if p]
        except ValueError:
            raise ValueError(f"'{text}' is not a year or a range of years like 2021-2023") from None
        if len(numbers) not in (1, 2):
            raise ValueError(f"'{text}' is not a year or a range of years like 2021-2023")
        first, last = numbers[0], numbers[-1]
    if last < first:
        raise ValueError(f"'{text}': the last year is before the first")
    if first < FIRST_YEAR or last > LAST_YEAR:
        raise ValueError(f"'{text}': years run from {FIRST_YEAR} to {LAST_YEAR}")
    return first, last


def year_window_problem(text: str | int | None) -> str | None:
    """What is wrong with a calibration window's form ('abc', '2023-2021', '20232'), or None: said
    before any work, by the caller naming the option or key that held it (whether the data cover
    the years is for the calibration to say)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        parse_year_window(text)
    except ValueError as exc:
        return str(exc)
    return None


def year_window(text: str | int | None, available: list[int]) -> list[int]:
    """Years from ``"2021-2023"``, ``"2013"`` or an int; None = the last three of `available`.

    Raises ValueError naming what is wrong (the caller says which option or key held it).
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return sorted(available)[-3:]
    first, last = parse_year_window(text)
    years = [y for y in available if first <= y <= last]
    if not years:
        span = f"{min(available)}-{max(available)}" if available else "none"
        raise ValueError(f"no calibration data in {first}-{last} (years with data: {span})")
    return years
