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


@pytest.mark.parametrize("column, cell, message", [
    ("cin_at31", "1e400", "not a finite number"),       # too big for a float: was read as inf
    ("referrals", "inf", "not a finite number"),
    ("cla_at31", "-inf", "not a finite number"),
    ("cin_at31", "nan", "neither a number nor a DfE status code"),
    ("referrals", "-500", "below zero"),
    ("rereferral_pct", "150", "above 100%"),
    ("cla_at31", "1e12", "more than all the children in England"),
])
def test_impossible_values_name_file_row_and_column(tmp_path, column, cell, message):
    """Values no measure can take are refused when the history is read, in either shape, naming
    the row a user sees in the file (the last year's row here, where the run starts)."""
    history, _ = synthetic_history()
    raw = history.reset_index().astype(object)
    last = len(raw) - 1
    raw.loc[last, column] = cell
    wide = tmp_path / "wide.csv"
    raw.to_csv(wide, index=False)
    tidy = tmp_path / "tidy.csv"
    long = raw.melt(id_vars="year", var_name="measure", value_name="value").dropna()
    long.reset_index(drop=True).to_csv(tidy, index=False)
    tidy_row = int(long.reset_index(drop=True).index[(long["year"] == raw.loc[last, "year"]).to_numpy()
                                                     & (long["measure"] == column).to_numpy()][0]) + 2
    for path, row, where in ((wide, last + 2, column), (tidy, tidy_row, "value")):
        with pytest.raises(InputError) as err:
            read_history(path)
        problem = err.value.problems[0]
        assert message in problem.message and cell in problem.message
        assert (problem.file, problem.row, problem.column) == (str(path), row, where)


def test_a_count_as_large_as_englands_children_is_read():
    """The count bound is all of England's children, so England's own history reads."""
    from workforce.demand.history import MOST_COUNT, history_from_frame

    raw = pd.DataFrame({"year": ["2023"], "referrals": ["657780"], "cin_at31": ["404710"],
                        "child_population": ["11901267"], "rereferral_pct": ["100"]}, index=[2])
    read = history_from_frame(raw, "england.csv")
    assert read.frame.at[2023, "child_population"] == 11901267 < MOST_COUNT


@pytest.mark.parametrize("text, message, row, column", [
    ("year,referals,cin_at31\n2023,100,50\n", "no 'referrals' column", 1, "referrals"),
    ("year,referrals,cin_at31\n", "no years of data", None, None),
    ("year,referrals,cin_at31\n2022,100,\n2023,,50\n", "no year has both referrals and cin_at31", None, None),
    ("year,referrals,cin_at31\n2023,0,0\n", "no year has both referrals and cin_at31 above zero", None, None),
    ("year,measure,value\n2023,cin_at31,50\n", "no 'referrals' measure", None, "measure"),
])
def test_a_history_without_the_calibrations_measures_says_what_is_missing(tmp_path, text, message, row, column):
    """Without referrals and children in need in some year nothing can be calibrated: say which
    measure is missing (and the misspelt column left out), not 'min() arg is an empty sequence'."""
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_history(path)
    problem = err.value.problems[0]
    assert message in problem.message and (problem.file, problem.row, problem.column) == (str(path), row, column)
    if "referals" in text:
        assert "left out as not published measures: referals" in problem.message


def test_calibrating_a_history_without_usable_years_says_why():
    """The library's own guard (a frame that did not come through the reader)."""
    frame = pd.DataFrame({"referrals": [np.nan], "cin_at31": [50.0]}, index=pd.Index([2023], name="year"))
    with pytest.raises(ValueError, match="no year of the history has both referrals and cin_at31"):
        calibrate(frame)


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
