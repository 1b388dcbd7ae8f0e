"""Every leaver: competing risks that add up to the observed leaving, the model's hazards for the
reasons it covers, agency tenures, and carrying on as now at the authority's own starter rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plans_frames import make_authority
from workforce.plans.assumptions import Assumptions
from workforce.plans.leaving import (REASONS, annual_to_quarterly, leaving_rates, observed_flows, risk_reason_columns,
                                     worker_leaving)
from workforce.plans.planner import build_plan
from workforce.plans.projection import build_workforce, stock_frames

DAYS = pd.to_datetime(["2021-09-30", "2022-09-30", "2023-09-30"])


def history_row(day, wid, *, agency=False, asye=False, fte=1.0, start="2015-01-01", leave=None, reason=None):
    return {"snapshot_date": day, "worker_id": wid, "team": "T1", "locality": "L1", "role": "case_holder",
            "asye": asye, "agency": agency, "fte": fte, "start_date": pd.Timestamp(start),
            "leave_date": pd.Timestamp(leave) if leave else pd.NaT, "leave_reason": reason}


def hand_built_history() -> pd.DataFrame:
    """Each census year: 20 LA-employed FTE in post at 30 September; in each year two resign
    (code 1), one retires (5) and one is dismissed (4), 0.5 FTE each for the dismissed; three
    experienced and one newly qualified start; four agency workers, one of whom ends each year."""
    rows = []
    for k, day in enumerate(DAYS):
        for i in range(20):
            rows.append(history_row(day, f"Y{k}P{i}", start="2010-01-01"))
        if k:
            before = DAYS[k - 1]
            mid = before + pd.Timedelta(days=100)
            for j, (code, fte) in enumerate(((1, 1.0), (1, 1.0), (5, 1.0), (4, 0.5))):
                rows.append(history_row(before, f"Y{k}L{j}", fte=fte, start="2012-01-01", leave=mid, reason=code))
            for j in range(3):
                rows.append(history_row(day, f"Y{k}S{j}", start=str((before + pd.Timedelta(days=40)).date())))
            rows.append(history_row(day, f"Y{k}N0", asye=True, start=str((before + pd.Timedelta(days=60)).date())))
            rows.append(history_row(before, f"Y{k}A0", agency=True, start="2020-01-01", leave=mid, reason=8))
        for j in range(1, 4):
            rows.append(history_row(day, f"Y{k}A{j}", agency=True, start="2020-01-01"))
    frame = pd.DataFrame(rows)
    frame["leave_reason"] = frame["leave_reason"].astype("Float64")
    return frame


def test_observed_rates_by_reason_as_the_dfe_counts_them():
    flows = observed_flows(hand_built_history())
    assert flows.years == 2
    # LA-employed FTE in post at each year's closing 30 September: the 20 and the 4 starters, and at
    # the first year's close also the 3.5 FTE who leave in the second year (in post that day)
    in_post = (24 + 3.5) + 24
    assert flows.in_post_fte == pytest.approx(in_post)
    rates = flows.reason_rates()
    assert rates == pytest.approx({"voluntary": 4 / in_post, "retirement": 2 / in_post, "other": 1 / in_post})
    assert flows.starter_rates() == pytest.approx({"experienced": 6 / in_post, "newly_qualified": 2 / in_post,
                                                   "agency": 0.0})
    # agency: one assignment ends each year; average stock (4 + 4) / 2 in the first year, (4 + 3) / 2 in the second
    assert flows.agency_end_rate() == pytest.approx(2 / (4.0 + 3.5))
    assert flows.latest_turnover() == pytest.approx(3.5 / 24)
    assert observed_flows(None) is None


def test_competing_risks_add_up_to_the_observed_leaving():
    """A year's expected leavers by reason, from the quarterly competing hazards, equal the
    observed rates (FTE leavers / FTE in post) on a synthetic history."""
    rates = leaving_rates(Assumptions(), observed_flows(hand_built_history()))
    workers = make_authority(60, 100, seed=1, agency_share=0.0)[0]
    leaving = worker_leaving(workers, None, None, rates, Assumptions())
    wf = build_workforce(workers, leaving, Assumptions(), pd.Timestamp("2024-10-01"))
    s = stock_frames(wf)
    fte = workers["fte"].sum()
    by_reason = s["by_reason"][:, :4, :].sum(axis=(0, 1)) / fte
    np.testing.assert_allclose(by_reason, [rates.reason_rates[r] for r in REASONS], rtol=1e-9)
    assert s["leavers"][:, :4].sum() / fte == pytest.approx(rates.turnover)


def test_the_model_covers_its_reasons_and_observed_rates_the_rest():
    workers = make_authority(6, 20, seed=2, agency_share=0.0)[0]
    rates = leaving_rates(Assumptions(), observed_flows(hand_built_history()))
    hazards = pd.DataFrame([{"worker_id": w, "quarter": q, "reason": "voluntary", "hazard": 0.05}
                            for w in workers["worker_id"][:4] for q in range(1, 13)])
    leaving = worker_leaving(workers, None, hazards, rates, Assumptions())
    total = rates.turnover
    observed = annual_to_quarterly(total) * np.array([rates.reason_rates[r] / total for r in REASONS])
    np.testing.assert_allclose(leaving.hazard[:4, :, 0], 0.05)  # the model's voluntary hazard
    np.testing.assert_allclose(leaving.hazard[:4, :, 1:], np.broadcast_to(observed[1:], (4, 12, 2)))
    np.testing.assert_allclose(leaving.hazard[4:], np.broadcast_to(observed, (2, 12, 3)))  # not scored
    assert set(leaving.source[:4]) == {"churn model, other reasons as observed"}


def test_the_risk_register_by_reason_and_agency_tenures():
    workers = make_authority(8, 20, seed=3, agency_share=0.4)[0]
    risk = pd.DataFrame({"worker_id": workers["worker_id"], "p_leave": 0.3, "p_voluntary_12m": 0.2,
                         "p_retire_12m": 0.1, "p_other_12m": 0.0})
    assert risk_reason_columns(risk) == ({"voluntary": "p_voluntary_12m", "retirement": "p_retire_12m",
                                          "other": "p_other_12m"}, 12)
    rates = leaving_rates(Assumptions(), observed_flows(hand_built_history()))
    leaving = worker_leaving(workers, risk, None, rates, Assumptions())
    la = ~workers["agency"].to_numpy()
    np.testing.assert_allclose(1 - (1 - leaving.hazard[la, 0, :].sum(axis=1)) ** 4, 0.3)
    np.testing.assert_allclose(leaving.hazard[la, 0, 1] / leaving.hazard[la, 0, :].sum(axis=1), 1 / 3)
    assert (leaving.hazard[~la] == 0).all()  # agency staff are not census leavers
    np.testing.assert_allclose(leaving.agency_hazard[~la], annual_to_quarterly(rates.agency_end_rate))


def test_carrying_on_hires_at_the_observed_rate_and_mix():
    """Carrying on as now: each quarter's starters are the observed starter rate (a quarter of it)
    of the LA-employed case holders in post at the quarter's start, experienced and newly
    qualified as the history shows, and the refills of the posts that hold no cases (whose FTE
    therefore stays at today's)."""
    history = hand_built_history()
    workers, cases, risk = make_authority(60, 700, seed=4, agency_share=0.1)
    a = Assumptions().with_values({"montecarlo.runs": 20})
    res = build_plan(workers, cases, risk, a, history=history)
    rates = observed_flows(history).starter_rates()
    t = res.recruitment_totals
    la = ~workers["agency"].astype(bool)
    holds = workers["role"].map(lambda r: a.caseload.role(str(r)).holds_cases).astype(bool)
    managers = float(workers.loc[la & ~holds, "fte"].sum())
    la_start = np.concatenate([[workers.loc[la, "fte"].sum()], t["carry_on_permanent_fte"].iloc[:-1]])
    expected_starters = (rates["experienced"] + rates["newly_qualified"]) / 4.0 * (la_start - managers)
    np.testing.assert_allclose(t["carry_on_starters_fte"] - t["carry_on_refilled_fte"], expected_starters, rtol=1e-9)
    assert res.summary["starter_rate_experienced"] == pytest.approx(6 / 51.5)
    assert res.summary["basis_starters"].startswith("[DERIVED]")


def test_carrying_on_without_history_uses_the_national_starter_rate():
    workers, cases, risk = make_authority(40, 500, seed=5)
    a = Assumptions()
    rates = leaving_rates(a, None)
    assert sum(rates.starter_rates.values()) == pytest.approx(a.supply.starter_rate)
    assert rates.starter_rates["newly_qualified"] == pytest.approx(a.supply.starter_rate * a.supply.starter_nq_share)
    assert "supply.starter_rate" in rates.basis["starters"]
