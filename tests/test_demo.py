"""The demo authority: realistic aggregate rates, hard rules, typed frames, determinism, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workforce.contracts import load_cases, load_hr_history, load_workers, split_tags
from workforce.demo import (
    DemoParameters,
    annual_turnover,
    authority_summary,
    generate_authority,
    leaving_logit,
    main,
    parameter_table,
    systematic_sample,
    write_authority,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module", params=[0, 3])
def authority(request):
    return generate_authority(seed=request.param, scale=1.0)


@pytest.fixture(scope="module")
def small():
    return generate_authority(seed=11, scale=0.2)


# --- realism: the bands the issue and the brief give -----------------------------------------


def test_sandwell_scale_counts(authority):
    s = authority_summary(authority)
    assert 195 <= s["case_holders"] <= 245  # about 220 case-holding workers
    assert s["teams"] == 18 and s["localities"] == 6
    assert 3200 <= s["children"] <= 3800  # about 3,500 children
    assert s["families"] == 2200
    assert s["workers"] == s["case_holders"] + 18  # one team manager per team


def test_workforce_mix_in_bands(authority):
    s = authority_summary(authority)
    assert 0.15 <= s["agency_share"] <= 0.25
    assert 0.06 <= s["asye_share_of_case_holders"] <= 0.14  # about 10%
    assert 0 < s["unavailable_share"] < 0.1


def test_case_mix_follows_brief(authority):
    mix = authority_summary(authority)["case_mix"]
    assert 0.10 <= mix["cp"] <= 0.16  # ~13% of the CIN stock on CP plans
    assert 0.14 <= mix["cla"] + mix["cla_complex"] <= 0.22  # ~18% looked after
    assert mix["care_leaver"] > 0.05 and mix["cin_assessment"] > 0.1
    assert abs(sum(mix.values()) - 1) < 1e-9
    sizes = authority.cases.groupby("family_id").size()
    assert sizes.min() >= 1 and sizes.max() <= 5 and (sizes >= 3).any()


def test_caseloads_near_brief_averages_with_some_teams_over(authority):
    s = authority_summary(authority)
    assert 14.0 <= s["children_per_case_holding_fte"] <= 18.5  # DfE 15.4-17.8
    assert 0 < s["teams_over_capacity_share"] < 0.5
    assert 0.7 <= s["mean_utilisation"] <= 1.0
    assert 0 < s["unallocated_children"] < 0.08 * s["children"]


def test_continuity_history(authority):
    s = authority_summary(authority)
    assert 0.25 <= s["children_2plus_workers_12m_share"] <= 0.5
    assert s["children_3plus_workers_12m_share"] > 0.02
    assert authority.cases["workers_12m"].between(0, 4).all()


def test_turnover_each_year_in_band(authority):
    turnover = annual_turnover(authority.hr_history)
    assert len(turnover) == 5  # six snapshots, five complete years
    assert turnover["turnover_rate"].between(0.15, 0.22).all(), turnover
    reasons = authority.hr_history.drop_duplicates("worker_id")["leave_reason"].dropna().astype(int)
    counts = reasons.value_counts()
    assert counts.idxmax() == 1  # resignation dominates
    assert counts.get(5, 0) > 0  # some retire
    assert set(counts.index) <= set(range(1, 11))


# --- today's allocations keep the hard rules (capacity aside) ---------------------------------


def test_current_allocations_keep_hard_rules(authority):
    w = authority.workers.set_index("worker_id")
    c = authority.cases
    held = c[c["current_worker_id"] != ""]
    # siblings together
    assert (held.groupby("family_id")["current_worker_id"].nunique() == 1).all()
    assert (c.groupby("family_id")["current_worker_id"].nunique() == 1).all()
    holder = w.loc[held["current_worker_id"]]
    # team managers hold no cases; holders work in the child's team
    assert (holder["role"] != "team_manager").all()
    assert (holder["team"].to_numpy() == held["team"].to_numpy()).all()
    # no CP or court work for ASYEs
    heavy = (held["case_type"] == "cp") | held["court"]
    fam_heavy = heavy.groupby(held["family_id"]).transform("any")
    assert not (holder["asye"].to_numpy() & fam_heavy.to_numpy()).any()
    # required skills held, excluded workers not holding
    for _, row in held.iterrows():
        assert split_tags(row["required_skills"]) <= split_tags(w.at[row["current_worker_id"], "skills"])
        assert row["current_worker_id"] not in split_tags(row["excluded_workers"])
    # dates: allocated after the worker started, not after today
    assert (held["allocated_since"].to_numpy() >= holder["start_date"].to_numpy()).all()
    assert (held["allocated_since"] <= authority.as_of).all()
    assert (held["workers_12m"] >= 1).all()
    # pinned children have an available current worker; unallocated children are not pinned
    pinned = c[c["pinned"]]
    assert len(pinned) > 0 and (pinned["current_worker_id"] != "").all()
    assert w.loc[pinned["current_worker_id"], "available"].all()
    free = c[c["current_worker_id"] == ""]
    assert (free["workers_12m"] == 0).all() and free["allocated_since"].isna().all()
    assert (free["team"] == "").any() and (free["team"] != "").any()
    assert (c["required_skills"] != "").sum() > 0 and (c["excluded_workers"] != "").sum() > 0
    assert set(split_tags(";".join(c["excluded_workers"]))) <= set(w.index)


def test_some_siblings_live_in_another_locality(authority):
    c = authority.cases
    assert (c.groupby("family_id")["locality"].nunique() > 1).any()
    teams = authority.workers.drop_duplicates("team").set_index("team")["locality"]
    with_team = c[c["team"] != ""]
    in_team_locality = (with_team["locality"] == with_team["team"].map(teams)).mean()
    assert 0.9 <= in_team_locality < 1.0  # mostly in their team's locality


# --- history and truth ---------------------------------------------------------------------


def test_history_agrees_with_today(authority):
    h, w = authority.hr_history, authority.workers
    assert h["snapshot_date"].nunique() == 6
    assert h["snapshot_date"].max() == authority.as_of
    last = h[h["snapshot_date"] == authority.as_of].set_index("worker_id").sort_index()
    today = w.set_index("worker_id").sort_index()
    assert list(last.index) == list(today.index)
    for col in ("team", "locality", "role", "asye", "agency", "fte", "start_date", "age_band", "sickness_days_12m"):
        assert (last[col] == today[col]).all(), col
    assert last["leave_date"].isna().all()  # nobody has left after today
    # today's caseload columns are the real allocations
    held = authority.cases[authority.cases["current_worker_id"] != ""].groupby("current_worker_id").size()
    assert (last["cases_held"].astype(int) == today.index.map(held).fillna(0).astype(int)).all()
    # reallocations today = children received in the last 12 months who had another worker before
    c = authority.cases
    moved = c[(c["current_worker_id"] != "") & (c["allocated_since"] > authority.as_of - pd.Timedelta(days=365))
              & (c["workers_12m"] >= 2)].groupby("current_worker_id").size()
    assert (last["reallocations_12m"].astype(int) == today.index.map(moved).fillna(0).astype(int)).all()
    assert moved.sum() > 0


def test_leavers_are_recorded_like_the_census(authority):
    h = authority.hr_history
    left = h[h["leave_date"].notna()]
    assert (left["leave_date"] > left["snapshot_date"]).all()
    assert left["leave_reason"].notna().all() and left["leaver_destination"].notna().all()
    assert (left["leave_date"] >= left["start_date"]).all()
    # the same leave date on every row of a leaver; no row after leaving
    assert (left.groupby("worker_id")["leave_date"].nunique() == 1).all()
    per_worker = h.groupby("worker_id").agg(last=("snapshot_date", "max"), leave=("leave_date", "first"))
    gone = per_worker.dropna()
    assert (gone["leave"] <= gone["last"] + pd.DateOffset(years=1)).all()
    stayed = h[h["leave_date"].isna()]
    assert stayed["leave_reason"].isna().all()


def test_truth_covers_every_snapshot_row_and_is_informative(authority):
    h, truth = authority.hr_history, authority.truth
    assert list(truth.columns) == ["snapshot_date", "worker_id", "p_leave_true"]
    merged = h.merge(truth, on=["snapshot_date", "worker_id"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert truth["p_leave_true"].between(0, 1, inclusive="neither").all()
    past = merged[merged["snapshot_date"] < authority.as_of]
    left = (past["leave_date"].notna() & (past["leave_date"] <= past["snapshot_date"] + pd.DateOffset(years=1))).to_numpy()
    p = past["p_leave_true"].to_numpy()
    # calibrated on average and better than chance at ranking
    assert abs(p.mean() - left.mean()) < 0.03
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(left, p) > 0.65
    today = truth[truth["snapshot_date"] == authority.as_of]
    assert set(today["worker_id"]) == set(authority.workers["worker_id"])


def test_hazard_drivers_push_the_right_way():
    params = DemoParameters()
    base = pd.DataFrame(
        [{"tenure_years": 6.0, "age": 40.0, "utilisation": 0.85, "agency": False, "asye": False,
          "supervision_hours_3m": 4.5, "sickness_days_12m": 5.0, "reallocations_12m": 0, "role": "case_holder"}]
    )

    def logit(**changes):
        return float(leaving_logit(base.assign(**changes), params).iloc[0])

    ref = logit()
    assert logit(tenure_years=0.5) > ref and logit(tenure_years=1.5) > ref  # first two years
    assert logit(tenure_years=12.0) < ref  # the dip
    assert logit(age=62.0) > ref  # retirement
    assert logit(utilisation=1.2) > ref  # caseload pressure
    assert logit(agency=True) > ref
    assert logit(asye=True) > ref  # end of the ASYE year
    assert logit(supervision_hours_3m=0.0) > ref > logit(supervision_hours_3m=9.0)
    assert logit(sickness_days_12m=40.0) > ref
    assert logit(role="team_manager") < ref


def test_systematic_sample_keeps_marginals_and_count():
    p = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.15, 0.25, 0.35])
    draws = np.array([systematic_sample(p, np.random.default_rng(s)) for s in range(4000)])
    counts = draws.sum(axis=1)
    assert (np.abs(counts - p.sum()) < 1 + 1e-9).all()
    assert np.allclose(draws.mean(axis=0), p, atol=0.03)


# --- typing, privacy, determinism, scale ---------------------------------------------------------


def test_frames_are_typed_as_the_contract_says(small):
    w, c, h = small.workers, small.cases, small.hr_history
    for frame, cols in ((w, ("asye", "agency", "available")), (c, ("court", "pinned")), (h, ("asye", "agency"))):
        for col in cols:
            assert frame[col].dtype == bool, col
    for frame, cols in ((w, ("start_date", "contract_end_date")), (c, ("allocated_since",)), (h, ("snapshot_date", "start_date", "leave_date"))):
        for col in cols:
            assert str(frame[col].dtype) == "datetime64[ns]", col
    assert w["fte"].dtype == np.float64 and c["workers_12m"].dtype == np.int64
    for frame, cols in ((w, ("worker_id", "team", "skills")), (c, ("case_id", "current_worker_id", "required_skills"))):
        for col in cols:
            assert pd.api.types.is_string_dtype(frame[col]) and not frame[col].isna().any(), col
    tags = w["skills"][w["skills"] != ""]
    assert (tags == tags.map(lambda s: ";".join(sorted(split_tags(s))))).all()
    assert (tags == tags.str.lower()).all() and not tags.str.contains(" ").any()
    # contract_end_date only for agency workers, and after today
    assert w.loc[w["agency"], "contract_end_date"].gt(small.as_of).all()
    assert w.loc[~w["agency"], "contract_end_date"].isna().all()
    required = {"worker_id", "team", "locality", "role", "asye", "agency", "fte", "start_date", "skills", "available",
                "sickness_days_12m", "supervision_hours_3m", "age_band", "gender", "ethnicity", "disability"}
    assert required <= set(w.columns)


def test_no_names_or_dates_of_birth(small):
    for frame in (small.workers, small.cases, small.hr_history, small.truth):
        for col in frame.columns:
            assert "name" not in col.lower() and "birth" not in col.lower() and "dob" not in col.lower(), col
    assert set(small.workers["age_band"]) <= {"20-29", "30-39", "40-49", "50-59", "60+"}


def test_same_seed_same_authority_and_different_seeds_differ(small):
    again = generate_authority(seed=11, scale=0.2)
    for name in ("workers", "cases", "hr_history", "truth"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(again, name))
    other = generate_authority(seed=12, scale=0.2)
    assert not small.cases[["case_type", "current_worker_id"]].equals(other.cases[["case_type", "current_worker_id"]])
    assert not small.truth["p_leave_true"].equals(other.truth["p_leave_true"])


def test_scale_two_roughly_doubles_counts():
    one = authority_summary(generate_authority(seed=5, scale=1.0))
    two = authority_summary(generate_authority(seed=5, scale=2.0))
    for key in ("case_holders", "teams", "localities", "children", "families"):
        assert 1.8 <= two[key] / one[key] <= 2.2, key


def test_bad_scale_is_refused():
    with pytest.raises(ValueError):
        generate_authority(scale=0)
    with pytest.raises(ValueError):
        generate_authority(scale=float("nan"))


def test_every_parameter_names_its_basis():
    table = parameter_table()
    assert len(table) == len(DemoParameters.__dataclass_fields__)
    for _, row in table.iterrows():
        basis = row["basis"].lower()
        assert "assumption" in basis or "brief" in basis, row["parameter"]


# --- files ---------------------------------------------------------------------------------------


def test_written_files_load_back_identical(small, tmp_path):
    paths = write_authority(small, tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in paths}
    assert names == {"workers.csv", "cases.csv", "hr_history.csv", "truth.csv", "workbook/authority.xlsx"}
    workers = load_workers(tmp_path / "workers.csv")
    pd.testing.assert_frame_equal(workers, small.workers)
    pd.testing.assert_frame_equal(load_cases(tmp_path / "cases.csv", workers=workers), small.cases)
    pd.testing.assert_frame_equal(load_hr_history(tmp_path / "hr_history.csv"), small.hr_history)
    book = tmp_path / "workbook" / "authority.xlsx"
    pd.testing.assert_frame_equal(load_workers(book), small.workers)
    pd.testing.assert_frame_equal(load_cases(book, workers=workers), small.cases)
    pd.testing.assert_frame_equal(load_hr_history(book), small.hr_history)
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert list(truth.columns) == ["snapshot_date", "worker_id", "p_leave_true"]
    text = (tmp_path / "cases.csv").read_text()
    assert ",yes," in text or ",no," in text
    assert "T00:00" not in text  # ISO dates, no times


def test_committed_examples_are_what_the_generator_makes(tmp_path):
    if not (EXAMPLES / "workers.csv").exists():
        pytest.skip("examples/ not generated")
    assert main(["--out", str(tmp_path), "--seed", "7", "--scale", "0.12", "--no-xlsx"]) == 0
    for name in ("workers.csv", "cases.csv", "hr_history.csv", "truth.csv"):
        assert (tmp_path / name).read_text() == (EXAMPLES / name).read_text(), name
    assert (EXAMPLES / "workbook" / "authority.xlsx").exists()
    assert (EXAMPLES / "README.md").exists()
