"""Reading the DfE published tables (issue 13 point 1) from small slices of the real files."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from workforce.errors import InputError
from workforce.published import read_published
from workforce.published.layouts import STATUS_CODES, TIME_SERIES_LAYOUTS, recognise
from workforce.published.reading import read_paths

FIXTURES = Path(__file__).parent / "data" / "published"
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "dfe"


@pytest.fixture(scope="module")
def pub():
    return read_published([FIXTURES])


def _raw(name: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO((FIXTURES / name).read_bytes().decode("utf-8-sig"))))
    return rows[0], rows[1:]


def test_every_layout_is_recognised_by_columns_not_name(pub):
    layouts = set(pub.files["layout"])
    assert layouts == {lay.name for lay in TIME_SERIES_LAYOUTS} | {"sn_model"}
    # The fixtures are renamed ("referrals export.csv", "workforce_old.csv"): names play no part.
    assert dict(zip(pub.files["file"].map(lambda f: Path(f).name), pub.files["layout"]))["referrals export.csv"] == "c1_referrals"


def test_published_figures_read_as_published(pub):
    # Figures as they stand in the DfE files (and in ../shared/data/dfe/README.md).
    s = pub.history("333")
    assert s.loc[2013, "cin_at31"] == 2312
    assert s.loc[2023, "agency_rate_fte"] == pytest.approx(17.6)
    assert s.loc[2023, "turnover_rate_fte"] == pytest.approx(15.4)
    assert s.loc[2023, "cla_at31"] == 796
    assert s.loc[2023, "child_population"] == 85920
    assert s.loc[2023, "cla_3plus_placements"] == 66
    eng = pub.values[(pub.values["la_code"] == "england") & (pub.values["year"] == 2023)].set_index("measure")["value"]
    assert eng["referrals"] == 640430 and eng["cp_starts"] == 63870 and eng["cp_at31"] == 50780
    assert eng["cp_at31_le3m"] == 15570 and eng["cin_at31"] == 403090 and eng["rereferral_pct"] == 22.4
    sw = pub.values[(pub.values["la_code"] == "england") & (pub.values["year"] == 2024)].set_index("measure")["value"]
    assert sw["cla_3plus_sw"] == 22140 and sw["cla_3plus_sw_pct"] == 27 and sw["cla_sw_total"] == 83300
    assert set(pub.values["level"]) == {"national", "regional", "local_authority"}


def test_each_status_code_cell_is_missing_and_noted(pub):
    """Count status-code cells in the raw CIN slice independently and compare with the notes."""
    layout = recognise(_raw("cin.csv")[0])
    header, body = _raw("cin.csv")
    lower = [h.lower() for h in header]
    expected = 0
    for row in body:
        for col, measure in layout.columns.items():
            if col in lower and row[lower.index(col)].strip().lower() in STATUS_CODES:
                expected += 1
    notes = pub.notes[(pub.notes["file"] == "cin.csv")]
    assert expected > 0 and len(notes) == expected
    assert set(notes["code"]) <= set(STATUS_CODES)
    merged = notes.merge(pub.values, on=["la_code", "year", "measure"], how="left")
    assert merged["value"].isna().all()


def test_fixtures_hold_every_status_code(pub):
    assert {"x", "z", "c", "low", "u"} <= set(pub.notes["code"])


def test_newer_workforce_publication_wins_and_is_noted(pub):
    old = pub.notes[(pub.notes["file"] == "workforce_old.csv")]
    assert set(old["code"]) <= {"superseded", *STATUS_CODES} and (old["code"] == "superseded").sum() > 0
    assert (pub.values.loc[pub.values["la_code"] == "333", "source"] != "csww_headline_measures").all()
    old = old[old["code"] == "superseded"]
    # The older layout put the Kingston/Richmond joint return under Kingston (314): superseded by 314 / 318.
    joint = old[old["la_code"] == "314"]
    assert len(joint) and joint["meaning"].str.contains("314 / 318").all()
    assert not ((pub.values["la_code"] == "314") & (pub.values["source"] == "csww_headline_measures")).any()


def test_older_layout_alone_is_read(tmp_path):
    shutil.copy(FIXTURES / "workforce_old.csv", tmp_path / "old.csv")
    pub = read_published([tmp_path / "old.csv"])
    s = pub.series("333", "agency_rate_fte")
    header, body = _raw("workforce_old.csv")
    i, j, k = header.index("old_la_code"), header.index("time_period"), header.index("agency_worker_rate_fte_%")
    raw = {int(r[j]): float(r[k]) for r in body if r[i] == "333"}
    assert raw and all(s[y] == v for y, v in raw.items())


def test_authorities_by_old_new_code_and_name(pub):
    assert pub.resolve("333") == pub.resolve(333) == pub.resolve("e08000028") == pub.resolve(" sandwell ") == "333"
    assert pub.resolve("E10000002") == pub.resolve("E06000060") == "825"  # Buckinghamshire's E-code changed
    assert pub.resolve("England") == "england"
    with pytest.raises(InputError, match="unknown local authority '999'"):
        pub.resolve("999")


def test_joint_return_fills_a_members_workforce(pub):
    h = pub.history("Kingston upon Thames")
    assert h.attrs["joint_return"] == "314 / 318"
    joint = pub.values[(pub.values["la_code"] == "314 / 318") & (pub.values["measure"] == "agency_rate_fte")]
    assert h.loc[2023, "agency_rate_fte"] == joint.loc[joint["year"] == 2023, "value"].iloc[0]
    assert h.loc[2023, "cin_at31"] == pub.series("314", "cin_at31")[2023]


def test_statistical_neighbours_for_authorities_whose_code_changed(pub):
    sn = pub.neighbour_table
    own = list(sn[sn["la_code"] == "333"].sort_values("rank")["neighbour"])
    assert pub.neighbours("Sandwell") == own and len(own) == 10
    # Buckinghamshire, known by its old E-code.
    bucks = list(sn[sn["la_code"] == "825"].sort_values("rank")["neighbour"])
    assert pub.neighbours("E10000002") == bucks
    # Cumbria (909) is not in the 2025 model: it takes the neighbours of its successors,
    # Cumberland (942) and Westmorland and Furness (943), closest first, alternating.
    cumbria = pub.neighbours("909")
    a, b = (list(sn[sn["la_code"] == c].sort_values("rank")["neighbour"]) for c in ("942", "943"))
    expected: list[str] = []
    for pair in zip(a, b):
        expected += [c for c in pair if c not in ("909", "942", "943") and c not in expected]
    assert cumbria == expected[:10] and len(cumbria) == 10


def test_neighbour_without_data_is_read_through_its_predecessor(tmp_path):
    for name in ("cin.csv", "neighbours.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    pub = read_published([tmp_path])
    # Cumberland (942) has no children-in-need rows to 2023; Cumbria (909), which it replaced, has.
    assert "942" not in set(pub.values["la_code"])
    holders = pub.neighbour_table[pub.neighbour_table["neighbour"] == "942"]["la_code"]
    assert len(holders)
    nb = pub.neighbours(holders.iloc[0])
    assert "909" in nb and "942" not in nb


def test_until_drops_later_rows_before_parsing(tmp_path):
    header, body = _raw("workforce.csv")
    poisoned = list(body[0])
    poisoned[header.index("time_period")] = "2030"
    poisoned[header.index("agency_rate_fte")] = "POISON"
    path = tmp_path / "wf.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body, poisoned])
    with pytest.raises(InputError) as err:
        read_published([path])
    assert "POISON" in str(err.value) and "agency_rate_fte" in str(err.value)
    pub = read_published([path], until=2022)
    assert pub.values["year"].max() == 2022
    assert int(pub.files["rows_after_until"].iloc[0]) == sum(1 for r in body if int(r[0]) > 2022) + 1


def test_bad_value_names_file_row_and_column(tmp_path):
    header, body = _raw("cp_repeat.csv")
    body[3][header.index("CPP_start")] = "12a"
    path = tmp_path / "cp.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    with pytest.raises(InputError) as err:
        read_published([path])
    problem = err.value.problems[0]
    assert problem.file.endswith("cp.csv") and problem.row == 5 and problem.column == "CPP_start"


def test_named_unknown_file_is_an_error_naming_what_was_expected(tmp_path):
    path = tmp_path / "workers.csv"
    path.write_text("worker_id,team\nW1,A\n")
    with pytest.raises(InputError) as err:
        read_published([path])
    text = str(err.value)
    assert "workers.csv" in text and "csww_indicators" in text and "SN_1" in text


def test_unknown_files_in_a_folder_are_skipped_and_listed(tmp_path):
    shutil.copy(FIXTURES / "cin.csv", tmp_path / "cin.csv")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    pub = read_published([tmp_path])
    assert set(pub.skipped["file"].map(lambda f: Path(f).name)) == {"notes.txt", "other.csv"}
    assert any("other.csv" in m for m in pub.messages)


def test_folder_without_published_tables_is_an_error(tmp_path):
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="no published DfE table"):
        read_published([tmp_path])
    with pytest.raises(InputError, match="not found"):
        read_published([tmp_path / "missing"])


def test_unknown_category_rows_are_counted_not_silently_dropped(tmp_path):
    header, body = _raw("cla.csv")
    extra = list(body[0])
    extra[header.index("population_type")] = "Children adopted each year"
    path = tmp_path / "cla.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body, extra])
    pub = read_published([path])
    info = pub.files.iloc[0]
    assert info["rows_not_used"] == 1 and "children adopted each year" in info["why_not_used"]


def test_bundled_copy_loads_and_honours_until():
    pub = read_published()
    assert pub.values["year"].min() == 2013
    assert {"cin_at31", "agency_rate_fte", "cla_at31", "cla_3plus_sw_pct"} <= set(pub.values["measure"])
    assert len(pub.neighbours("333")) == 10
    early = read_published(until=2019)
    assert early.values["year"].max() == 2019 and early.notes["year"].max() <= 2019


def test_bundle_is_what_the_reader_makes_of_the_shared_files():
    if not SHARED.is_dir():
        pytest.skip("../shared/data/dfe is not present: cannot compare the bundle with its sources")
    fresh = read_paths([SHARED])
    bundled = read_published()
    a = fresh.values.sort_values(["la_code", "measure", "year"]).reset_index(drop=True)
    b = bundled.values.sort_values(["la_code", "measure", "year"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert len(fresh.notes) == len(bundled.notes)


def test_an_unknown_name_offers_the_authorities_it_may_mean(pub):
    """A newcomer types the short name they use ("Kingston", as the README's prose does) or
    mistypes one: the refusal names the authorities meant, with their codes, not a bare
    "unknown"; a name like no authority's offers none."""
    with pytest.raises(InputError, match=r"unknown local authority 'Kingston': did you mean Kingston upon Thames \(314\)"):
        pub.resolve("Kingston")
    with pytest.raises(InputError, match=r"did you mean Sandwell \(333\)\?"):
        pub.resolve("Sandwel")
    with pytest.raises(InputError) as refused:
        pub.resolve("Atlantis")
    assert "did you mean" not in str(refused.value)
    # the code or name may come from --la, --demand-la or a settings file: no table column to name
    assert str(refused.value).startswith("unknown local authority 'Atlantis'")
