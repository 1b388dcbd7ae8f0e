"""Histories: an authority's own extracts (wide or tidy) and the published tables, with status
codes read as missing, counted, never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from demand_frames import synthetic_history
from workforce.demand.history import read_history
from workforce.demand.parameters import calibrate
from workforce.demand.run import run_demand
from workforce.demand.settings import Budget, DemandAssumptions
from workforce.errors import InputError

ASSUME = DemandAssumptions(budget=Budget(cost_per_fte_gbp=50_000.0))


def _wide_csv(tmp_path: Path, history: pd.DataFrame) -> Path:
    path = tmp_path / "history.csv"
    history.reset_index().to_csv(path, index=False)
    return path


def test_wide_and_tidy_files_give_the_same_history(tmp_path):
    history, _ = synthetic_history()
    wide = read_history(_wide_csv(tmp_path, history))
    tidy_path = tmp_path / "tidy.csv"
    history.reset_index().melt(id_vars="year", var_name="measure", value_name="value").dropna().to_csv(
        tidy_path, index=False)
    tidy = read_history(tidy_path)
    pd.testing.assert_frame_equal(wide.frame.sort_index(axis=1), history.sort_index(axis=1), check_names=False)
    pd.testing.assert_frame_equal(tidy.frame.sort_index(axis=1), history.sort_index(axis=1), check_names=False,
                                  check_like=True)


def test_status_codes_become_missing_and_are_counted(tmp_path):
    history, _ = synthetic_history()
    raw = history.reset_index().astype(object)
    raw.loc[1, "referrals_nfa"] = "c"
    raw.loc[2, "cp_starts_repeat"] = "x"
    raw.loc[3, "cla_ceased"] = "low"
    raw.loc[4, "cla_starts"] = ""
    raw["la_name"] = "Somewhere"
    raw["notes_from_us"] = "kept aside"
    path = tmp_path / "history.csv"
    raw.to_csv(path, index=False)
    read = read_history(path)
    blanks = int(history.isna().to_numpy().sum()) + 1  # the first year has no flows
    assert read.status_codes == {"c": 1, "x": 1, "low": 1, "": blanks}
    assert read.ignored == ["notes_from_us"]
    assert np.isnan(read.frame.loc[int(raw.loc[1, "year"]), "referrals_nfa"])
    messages = " ".join(read.messages())
    assert "'c' (confidential" in messages and "notes_from_us" in messages
    cal = calibrate(read.frame)
    assert np.isfinite(cal.value("nfa_share"))


@pytest.mark.parametrize("cell, column, message", [
    ("twelve", "referrals", "neither a number nor a DfE status code"),
    ("20x3", "year", "is not a year"),
])
def test_bad_cells_name_file_row_and_column(tmp_path, cell, column, message):
    history, _ = synthetic_history()
    raw = history.reset_index().astype(object)
    raw.loc[2, column] = cell
    path = tmp_path / "history.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        read_history(path)
    problem = err.value.problems[0]
    assert message in problem.message and problem.row == 4 and problem.column == column
    assert str(path) in problem.file


def test_a_year_given_twice_is_an_error(tmp_path):
    history, _ = synthetic_history()
    raw = history.reset_index()
    raw = pd.concat([raw, raw.iloc[[2]]])
    path = tmp_path / "history.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(InputError, match="given twice"):
        read_history(path)


def test_dfe_year_spellings_are_years_ending_31_march(tmp_path):
    path = tmp_path / "history.csv"
    pd.DataFrame({"year": ["2021/22", "202223"], "referrals": [10, 12], "cin_at31": [5, 6]}).to_csv(path, index=False)
    assert list(read_history(path).frame.index) == [2022, 2023]


# --- the published tables, through workforce.published --------------------------------------

FILES = ("b1_children_in_need_2013_to_2023.csv", "c1_children_in_need_referrals_and_rereferrals_2013_to_2023.csv",
         "d3_cpps_subsequent_plan_2013_to_2023.csv", "d5_cpps_at31march_by_duration_2013_to_2023.csv",
         "cla_number_and_rate_per_10k_children_2021_to_2023.csv")


@pytest.fixture(scope="module")
def small_published(shared_dir, tmp_path_factory):
    """The DfE files cut to England and Sandwell (whose 2022 NFA count is suppressed, 'c')."""
    folder = tmp_path_factory.mktemp("dfe")
    for name in FILES:
        source = shared_dir / "data" / "dfe" / name
        lines = source.read_text(encoding="utf-8-sig").splitlines()
        keep = [lines[0]] + [ln for ln in lines[1:] if ",National," in ln or ",333," in ln]
        (folder / name).write_text("\n".join(keep) + "\n", encoding="utf-8")
    return folder


def test_published_status_codes_come_through_as_missing(small_published):
    from workforce.published import read_published

    pub = read_published(small_published)
    history = pub.history("333")
    assert np.isnan(history.at[2022, "referrals_nfa"])
    coded = pub.notes[(pub.notes["la_code"] == "333") & (pub.notes["code"] == "c")]
    assert {"referrals_nfa", "cp_at31_1to2y"} <= set(coded["measure"])
    england = calibrate(pub.history("england"), name="England")
    result = run_demand(history, ASSUME, name="Sandwell", fallback=england)
    params = result.calibration.frame().set_index("name")
    assert "2022" not in params.at["nfa_share", "years"]
    assert np.isfinite(result.fit_mape["mape"]).all()
