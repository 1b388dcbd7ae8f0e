"""Data contracts through the CLI: every bad-input case gives exit 2, one clear message naming
file, row and column, no traceback, and nothing written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce.cli import app
from workforce.contracts import load_cases, load_hr_history, load_workers, validate_cases, validate_workers
from workforce.errors import InputWarning
from workforce.readers import read_table

WORKERS = """worker_id,team,locality,role,asye,agency,fte,start_date,skills,available
W1,North A,North,case_holder,no,no,1,2019-04-01,cp;court,yes
W2,North A,North,case_holder,yes,no,1,2024-09-01,,yes
W3,North A,North,team_manager,no,no,1,2015-01-05,cp,yes
W4,South A,South,senior_practitioner,no,yes,0.8,2023-02-01,cp;court;disability,yes
"""
CASES = """case_id,family_id,case_type,court,locality,team,current_worker_id,workers_12m,pinned,excluded_workers
C1,F1,cp,yes,North,North A,W1,1,no,
C2,F1,cin,no,South,,W1,1,no,W2
C3,F2,cla,no,South,South A,W4,2,yes,
C4,F3,cin_assessment,no,North,,,0,no,
"""
HISTORY = """snapshot_date,worker_id,team,locality,role,asye,agency,fte,start_date,leave_date,leave_reason
2023-09-30,W1,North A,North,case_holder,no,no,1,2019-04-01,,
2023-09-30,W9,North A,North,case_holder,no,no,1,2018-04-01,2024-03-31,1
2024-09-30,W1,North A,North,case_holder,no,no,1,2019-04-01,,
"""


def write_authority(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "workers.csv").write_text(WORKERS)
    (folder / "cases.csv").write_text(CASES)
    (folder / "hr_history.csv").write_text(HISTORY)
    return folder


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_valid_authority_passes(tmp_path):
    folder = write_authority(tmp_path / "in")
    result = run_cli("validate", str(folder))
    assert result.exit_code == 0, result.output
    assert "all tables valid" in result.output


def test_sibling_in_other_locality_is_not_an_error(tmp_path):
    folder = write_authority(tmp_path / "in")
    cases = load_cases(folder / "cases.csv", load_workers(folder / "workers.csv"))
    fam = cases[cases.family_id == "F1"]
    assert fam.locality.nunique() == 2


def mutate(text: str, row: int, column: str, value: str) -> str:
    lines = text.strip("\n").split("\n")
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


def drop_column(text: str, column: str) -> str:
    lines = text.strip("\n").split("\n")
    i = lines[0].split(",").index(column)
    return "\n".join(",".join(c for j, c in enumerate(line.split(",")) if j != i) for line in lines) + "\n"


def add_column(text: str, column: str, value: str) -> str:
    lines = text.strip("\n").split("\n")
    return "\n".join([f"{lines[0]},{column}"] + [f"{line},{value}" for line in lines[1:]]) + "\n"


# (table, new text builder, file, expected row, expected column, words in message)
BAD_CASES = {
    "missing required column": ("workers", lambda: drop_column(WORKERS, "fte"), 1, "fte", "missing"),
    "wrong type": ("workers", lambda: mutate(WORKERS, 3, "fte", "full"), 3, "fte", "not a number"),
    "unparseable date": ("workers", lambda: mutate(WORKERS, 4, "start_date", "yesterday"), 4, "start_date", "not a date"),
    "fte out of range": ("workers", lambda: mutate(WORKERS, 2, "fte", "1.4"), 2, "fte", "out of range"),
    "fte zero": ("workers", lambda: mutate(WORKERS, 2, "fte", "0"), 2, "fte", "out of range"),
    "duplicate ids": ("workers", lambda: mutate(WORKERS, 3, "worker_id", "W1"), 3, "worker_id", "duplicate"),
    "unknown role": ("workers", lambda: mutate(WORKERS, 5, "role", "director"), 5, "role", "unknown code"),
    "unknown current worker": ("cases", lambda: mutate(CASES, 2, "current_worker_id", "W99"), 2, "current_worker_id", "does not exist"),
    "unknown excluded worker": ("cases", lambda: mutate(CASES, 3, "excluded_workers", "W2;W77"), 3, "excluded_workers", "W77"),
    "unknown case type": ("cases", lambda: mutate(CASES, 4, "case_type", "adoption"), 4, "case_type", "unknown code"),
    "negative workers_12m": ("cases", lambda: mutate(CASES, 5, "workers_12m", "-2"), 5, "workers_12m", "out of range"),
    # the default priority is read from case_type and court: a missing one is named, with a priority column too
    "missing case_type beside priority": ("cases", lambda: drop_column(add_column(CASES, "priority", "2"), "case_type"),
                                          1, "case_type", "missing"),
    "missing court beside priority": ("cases", lambda: drop_column(add_column(CASES, "priority", ""), "court"),
                                      1, "court", "missing"),
    # a snapshot lists workers in post: a typed snapshot year before the start (1900 for 2023) is named
    "snapshot before start": ("hr_history", lambda: mutate(HISTORY, 2, "snapshot_date", "1900-01-01"), 2, "snapshot_date",
                              "is after the snapshot_date"),
    # a leaver is listed at most in the snapshot after they left: a snapshot year typed ahead (2099) is named
    "snapshot long after leaving": ("hr_history", lambda: mutate(HISTORY, 3, "snapshot_date", "2099-09-30"), 3,
                                    "snapshot_date", "more than a year after the leave_date"),
    "bad leave reason": ("hr_history", lambda: mutate(HISTORY, 3, "leave_reason", "42"), 3, "leave_reason", "unknown code"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_exit_2_names_file_row_column(tmp_path, case):
    table, build, row, column, words = BAD_CASES[case]
    folder = write_authority(tmp_path / "in")
    (folder / f"{table}.csv").write_text(build())
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = run_cli("validate", str(folder))
    assert result.exit_code == 2, result.output
    message = result.output
    assert f"{table}.csv" in message
    assert f"row {row}" in message
    assert f"'{column}'" in message
    assert words in message
    assert "Traceback" not in message
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # inputs untouched, nothing written


def test_every_problem_reported_at_once(tmp_path):
    text = mutate(mutate(WORKERS, 2, "fte", "2"), 3, "role", "boss")
    raw = read_table(_write(tmp_path / "workers.csv", text), "workers")
    problems = validate_workers(raw, "workers.csv")
    assert {(p.row, p.column) for p in problems} == {(2, "fte"), (3, "role")}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_pinned_without_worker_is_an_error(tmp_path):
    text = mutate(CASES, 5, "pinned", "yes")
    raw = read_table(_write(tmp_path / "cases.csv", text), "cases")
    problems = validate_cases(raw, "cases.csv")
    assert [(p.row, p.column) for p in problems] == [(5, "pinned")]


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("workers.csv", b"", "empty"),
        ("workers.json", b"{}", "not a CSV or XLSX"),
        ("workers.csv", b"\x00\x01\x02binary\x00", "binary"),
        ("workers.xlsx", b"not a zip at all", "not a valid XLSX"),
    ],
)
def test_unreadable_files_exit_2(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_cli("validate", str(path))
    assert result.exit_code == 2, result.output
    assert name in result.output and words in result.output
    assert "Traceback" not in result.output


def test_xlsx_without_needed_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active.append(["worker_id", "team"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    result = run_cli("validate", str(path))
    assert result.exit_code == 2
    assert "book.xlsx" in result.output and "needed sheets" in result.output and "Sheet1" in result.output


def _to_xlsx(folder: Path, path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for table in ("workers", "cases", "hr_history"):
        ws = wb.create_sheet(table)
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        ws.append(list(frame.columns))
        for values in frame.itertuples(index=False):
            row = []
            for col, v in zip(frame.columns, values):
                if col.endswith("date") and v:
                    row.append(pd.Timestamp(v).to_pydatetime())  # real Excel dates
                elif col in ("fte", "workers_12m") and v:
                    row.append(float(v))
                else:
                    row.append(v or None)
            ws.append(row)
    wb.save(path)


def test_csv_and_xlsx_give_identical_tables(tmp_path):
    folder = write_authority(tmp_path / "csv")
    book = tmp_path / "authority.xlsx"
    _to_xlsx(folder, book)
    w_csv = load_workers(folder / "workers.csv")
    w_xlsx = load_workers(book)
    pd.testing.assert_frame_equal(w_csv, w_xlsx)
    pd.testing.assert_frame_equal(load_cases(folder / "cases.csv", w_csv), load_cases(book, w_xlsx))
    pd.testing.assert_frame_equal(load_hr_history(folder / "hr_history.csv"), load_hr_history(book))
    result = run_cli("validate", str(book))
    assert result.exit_code == 0, result.output


def rename_heading(text: str, old: str, new: str) -> str:
    head, _, rest = text.partition("\n")
    return ",".join(new if h == old else h for h in head.split(",")) + "\n" + rest


@pytest.mark.parametrize("table, text, heading, column", [
    ("cases", rename_heading(add_column(CASES, "priority", "1"), "priority", "Prioirty"), "Prioirty", "priority"),
    ("workers", rename_heading(add_column(WORKERS, "contract_end_date", "2025-01-31"), "contract_end_date",
                               "contract_end"), "contract_end", "contract_end_date"),
    ("workers", add_column(WORKERS, "Max Children", "12"), "Max Children", "max_children"),
])
def test_a_misspelt_optional_column_is_said_not_passed_over(tmp_path, table, text, heading, column):
    # its values would be lost unsaid: the run must say which heading it did not read and why
    path = _write(tmp_path / f"{table}.csv", text)
    with pytest.warns(InputWarning, match=f"'{heading}' is not read: if it is meant as '{column}'"):
        (load_workers if table == "workers" else load_cases)(path)


def test_unknown_columns_far_from_any_are_kept_without_a_word(tmp_path, recwarn):
    load_workers(_write(tmp_path / "workers.csv", add_column(WORKERS, "favourite_colour", "blue")))
    assert not [w for w in recwarn if issubclass(w.category, InputWarning)]


def test_a_required_column_written_differently_is_named(tmp_path):
    result = run_cli("validate", str(_write(tmp_path / "workers.csv", rename_heading(WORKERS, "available", "Available"))))
    assert result.exit_code == 2
    assert "column 'available': required column is missing (the file has 'Available'" in result.output


@pytest.mark.parametrize("table, column", [("cases", "current_worker_id"), ("cases", "case_type"),
                                           ("workers", "role"), ("workers", "fte")])
def test_a_value_pasted_100k_characters_long_keeps_the_message_one_line(tmp_path, table, column):
    folder = write_authority(tmp_path / "in")
    text = WORKERS if table == "workers" else CASES
    (folder / f"{table}.csv").write_text(mutate(text, 2, column, "A" * 100_000))
    result = run_cli("validate", str(folder))
    assert result.exit_code == 2
    line = next(x for x in result.output.splitlines() if f"column '{column}'" in x)
    assert "'AAAA" in line and "(100,000 characters)" in line and len(line) < 400, line[:500]


def test_bom_and_windows_1252_read(tmp_path):
    text = mutate(WORKERS, 2, "team", "Nörth A")
    (tmp_path / "bom").mkdir()
    (tmp_path / "bom" / "workers.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "win").mkdir()
    (tmp_path / "win" / "workers.csv").write_bytes(text.encode("cp1252"))
    a = load_workers(tmp_path / "bom" / "workers.csv")
    b = load_workers(tmp_path / "win" / "workers.csv")
    assert list(a.columns)[0] == "worker_id"
    assert a.loc[0, "team"] == b.loc[0, "team"] == "Nörth A"


def test_cli_subprocess_no_traceback_and_exit_codes(tmp_path):
    folder = write_authority(tmp_path / "in")
    (folder / "workers.csv").write_text(mutate(WORKERS, 2, "fte", "abc"))
    exe = shutil.which("workforce") or ""
    cmd = [exe] if exe else [sys.executable, "-m", "workforce"]
    proc = subprocess.run(cmd + ["validate", str(folder)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "row 2" in proc.stderr and "'fte'" in proc.stderr
    usage = subprocess.run(cmd + ["validate"], capture_output=True, text=True)
    assert usage.returncode == 2
    version = subprocess.run(cmd + ["--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "workforce" in version.stdout


def test_latest_input_date_is_the_last_date_the_inputs_record():
    """One date for "as of": the latest worker start or case allocation, at midnight; None when
    the inputs hold no date (the callers then choose: the plan asks for one, scoring uses today)."""
    from workforce.allocation.build import default_as_of as allocation_as_of
    from workforce.contracts import latest_input_date
    from workforce.plans.assumptions import Assumptions
    from workforce.plans.projection import plan_start_date

    workers = pd.DataFrame({"start_date": [pd.Timestamp("2020-01-05"), pd.Timestamp("2024-09-01 15:30")]})
    cases = pd.DataFrame({"allocated_since": [pd.Timestamp("2024-09-29 09:00"), pd.NaT]})
    assert latest_input_date(workers, cases) == pd.Timestamp("2024-09-29")
    assert latest_input_date(workers) == pd.Timestamp("2024-09-01")  # cases optional; time of day dropped
    undated = pd.DataFrame({"start_date": pd.to_datetime([None, None])})
    assert latest_input_date(undated, pd.DataFrame({"case_id": ["C1"]})) is None
    # the allocation's "as of" and the plan's first day start from the same date
    assert allocation_as_of(workers, cases) == pd.Timestamp("2024-09-29")
    assert plan_start_date(Assumptions(), workers, cases) == pd.Timestamp("2024-10-01")


def test_establishment_is_read_and_checked_with_file_row_and_column(tmp_path):
    """The funded establishment: one row per team and role with funded FTE; a bad number or a
    team and role given twice is refused naming file, row and column; a good one is typed."""
    from workforce.contracts import load_establishment
    from workforce.errors import InputError

    good = tmp_path / "establishment.csv"
    good.write_text("team,role,funded_fte\nNorth CIN,case_holder,12.5\nNorth CIN,team_manager,1\n")
    frame = load_establishment(good)
    assert frame["funded_fte"].tolist() == [12.5, 1.0] and frame["role"].tolist() == ["case_holder", "team_manager"]
    for body, row, column in (("North CIN,case_holder,-2\n", 2, "funded_fte"),
                              ("North CIN,case_holder,twelve\n", 2, "funded_fte"),
                              ("North CIN,wizard,3\n", 2, "role"),
                              ("North CIN,case_holder,3\nNorth CIN,case_holder,4\n", 3, "role")):
        bad = tmp_path / "bad.csv"
        bad.write_text("team,role,funded_fte\n" + body)
        with pytest.raises(InputError) as err:
            load_establishment(bad)
        message = str(err.value)
        assert "bad.csv" in message and f"row {row}" in message and column in message, message


def test_an_id_that_lost_its_leading_zeros_is_named_with_the_likely_cause():
    """A case naming worker '0456' when the workers table has '456' (a spreadsheet read the IDs as
    numbers) is refused with a hint; an ID unknown either way gets none."""
    workers = pd.DataFrame({"worker_id": ["456", "W7"]})
    raw = pd.DataFrame({"case_id": ["C1", "C2"], "family_id": ["F1", "F2"], "case_type": ["cin", "cin"],
                        "court": ["no", "no"], "locality": ["North", "North"], "current_worker_id": ["0456", "W8"],
                        "workers_12m": [1, 1], "pinned": ["no", "no"]})
    messages = [p.message for p in validate_cases(raw, "cases.csv", workers=workers)]
    assert any("worker '0456' does not exist in workers (workers has '456': leading zeros lost" in m for m in messages)
    assert "worker 'W8' does not exist in workers" in messages
