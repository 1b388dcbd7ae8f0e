"""The input side of an HR planner's first day (issue 18) and the validation gaps of issue 17,
through the command line: no lost work, one date convention, the same paths everywhere, CSV
dialects, formulas without a saved result, one value parser, marked template examples, and the
allocation's refusals (pins, families across teams, time limits, output places, one writer)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from plans_frames import write_sheet
from workforce.cli import app
from workforce.contracts import load_workers
from workforce.outputs import MANIFEST, lock_path
from workforce.errors import InputWarning
from workforce.config import load_assumptions, settings_from_toml
from workforce.plans.assumptions import Assumptions, assumptions_frame, assumptions_from_frame

REPO = Path(__file__).resolve().parents[1]

WORKERS = """worker_id,team,locality,role,asye,agency,fte,start_date,skills,available
W1,North A,North,case_holder,no,no,1,01/04/2019,cp;court,yes
W2,North A,North,case_holder,yes,no,1,2024-09-01,,yes
W3,North A,North,team_manager,no,no,1,2015-01-05,cp,yes
W4,North A,North,senior_practitioner,no,yes,0.8,2023-02-01,cp;court;disability,yes
W5,North A,North,case_holder,no,no,1,2020-06-01,,no
"""
CASES = """case_id,family_id,case_type,court,locality,team,current_worker_id,workers_12m,pinned,excluded_workers
C1,F1,cp,yes,North,North A,W1,1,no,
C2,F1,cin,no,North,,W1,1,no,W2
C3,F2,cla,no,North,North A,W4,2,yes,
C4,F3,cin_assessment,no,North,,,0,no,
C5,F4,cin,no,North,North A,W5,1,no,
"""
RISK = "worker_id,p_leave\nW1,0.1\nW2,0.2\nW3,0.05\nW4,0.3\nW5,0.1\n"

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def refused(result, *words: str) -> str:
    """Exit 2 with one message holding every word, no traceback."""
    text = result.stderr
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.output}"
    assert "Traceback" not in result.output
    assert text.startswith("error: ") and text.count("error: ") == 1, text
    for word in words:
        assert word in text, f"{word!r} not in: {text}"
    return text


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "workers.csv").write_text(WORKERS)
    (folder / "cases.csv").write_text(CASES)
    (folder / "risk.csv").write_text(RISK)
    return folder


def allocate(data: Path, out: Path, *extra: str):
    return cli("allocate", "--workers", data / "workers.csv", "--cases", data / "cases.csv", "--out", out,
               "--time-limit", "5", *extra)


def edit(path: Path, row: int, column: str, value: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 2, column] = value
    frame.to_csv(path, index=False)


# ------------------------------------------------------------------------------ no lost work


def test_template_never_replaces_an_existing_template_without_force(tmp_path):
    out = tmp_path / "templates"
    assert cli("template", "--out", out).exit_code == 0
    wb = openpyxl.load_workbook(out / "workers.xlsx")
    wb["workers"]["A2"] = "W0001"  # the planner starts filling it in
    wb.save(out / "workers.xlsx")
    filled = (out / "workers.xlsx").read_bytes()
    before = snapshot(tmp_path)
    text = refused(cli("template", "--out", out), "workers.xlsx", "cases.xlsx", "--force", "new folder")
    assert "4 existing files" in text
    assert snapshot(tmp_path) == before
    result = cli("template", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert (out / "workers.xlsx").read_bytes() != filled


def test_rerun_replaces_own_outputs_but_never_edited_or_foreign_files(data, tmp_path):
    out = tmp_path / "out"
    assert allocate(data, out).exit_code == 0
    own = json.loads((out / MANIFEST).read_text())["files"]
    assert "allocations.csv" in own and "allocation.xlsx" in own
    (out / "notes.txt").write_text("my notes")
    assert allocate(data, out).exit_code == 0  # unchanged outputs of the last run: replaced
    assert (out / "notes.txt").read_text() == "my notes"  # files the command does not write: untouched
    with (out / "changes.csv").open("a") as f:
        f.write("someone's edit\n")
    before = snapshot(tmp_path)
    refused(allocate(data, out), "changes.csv", "changed since", "--force")
    assert snapshot(tmp_path) == before
    assert allocate(data, out, "--force").exit_code == 0
    assert "someone's edit" not in (out / "changes.csv").read_text()


def test_a_refusal_to_replace_says_of_each_file_why(data, tmp_path):
    """Each file kept is named with its own reason (an output edited since, or a file workforce
    never wrote), in the singular for one file: not "1 existing file (changes.csv): workforce did
    not write them there, or they were changed since"."""
    out = tmp_path / "out"
    assert allocate(data, out).exit_code == 0
    with (out / "changes.csv").open("a") as f:
        f.write("someone's edit\n")
    text = refused(allocate(data, out), "changes.csv")
    assert "1 existing file (changes.csv: changed since workforce wrote it)" in text and "them" not in text, text
    other = tmp_path / "other"
    other.mkdir()
    (other / "summary.json").write_text('{"mine": true}')
    (other / "changes.csv").write_text("mine\n")
    text = refused(allocate(data, other))
    assert "2 existing files (changes.csv: workforce did not write it; summary.json: workforce did not write it)" in text, text


def test_a_file_workforce_did_not_write_is_not_replaced(data, tmp_path, example_model):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"mine": true}')
    refused(allocate(data, out), "summary.json", "did not write")
    assert (out / "summary.json").read_text() == '{"mine": true}'
    score = tmp_path / "scores"
    score.mkdir()
    (score / "risk.csv").write_text("worker_id,p_leave\nX,0.5\n")
    refused(cli("churn", "score", "--model", example_model, "--workers", REPO / "examples" / "workers.csv",
                "--out", score / "risk.csv"), "risk.csv")
    assert (score / "risk.csv").read_text() == "worker_id,p_leave\nX,0.5\n"


@pytest.mark.parametrize("as_of", ["1900-01-01", "2015-01-01"])
def test_scoring_before_a_workers_start_is_refused_not_scored_as_a_new_starter(tmp_path, example_model, as_of):
    # their tenure would be clipped to 0 and scored as a new starter's without a word
    out = tmp_path / "scores" / "risk.csv"
    refused(cli("churn", "score", "--model", example_model, "--workers", REPO / "examples" / "workers.csv",
                "--as-of", as_of, "--out", out), "option --as-of", "before the start_date of", "not in post")
    assert not out.parent.exists()


@pytest.mark.parametrize("command, name", [
    (["churn", "audit", "--history", REPO / "examples" / "hr_history.csv"], "model_card.json"),
    (["churn", "audit", "--history", REPO / "examples" / "hr_history.csv"], "fairness.csv"),
    (["churn", "score", "--workers", REPO / "examples" / "workers.csv"], "fairness.csv"),
])
def test_an_output_named_as_a_file_of_the_model_read_is_refused(tmp_path, example_model, command, name):
    # workforce wrote the model's files, so without naming them as inputs it would replace them
    import shutil

    model = tmp_path / "model"
    shutil.copytree(example_model, model)
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    refused(cli(*command, "--model", model, "--out", model / name), "would overwrite an input file")
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before


def test_a_plan_is_not_written_into_the_model_folder_it_reads(tmp_path, example_model, data):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(example_model, model)
    refused(cli("plan", "--workers", data / "workers.csv", "--cases", data / "cases.csv", "--model", model,
                "--out", model), "is the input folder")
    assert sorted(p.name for p in model.iterdir()) == sorted(p.name for p in example_model.iterdir())


def test_a_run_is_not_written_into_the_model_folder_it_reads(tmp_path, example_model, data):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(example_model, model)
    (tmp_path / "w.toml").write_text(f'[run.inputs]\nworkers = "{data / "workers.csv"}"\ncases = "{data / "cases.csv"}"\n'
                                     f'model = "{model}"\n[run.outputs]\nfolder = "{model}"\n')
    refused(cli("run", tmp_path / "w.toml"), "is the input folder")
    assert sorted(p.name for p in model.iterdir()) == sorted(p.name for p in example_model.iterdir())


def test_a_runs_unknown_leaver_is_named_as_the_settings_key(tmp_path, data):
    (tmp_path / "w.toml").write_text(f'[run]\nallocation_mode = "leaver"\nleavers = ["NOPE"]\n[run.inputs]\n'
                                     f'workers = "{data / "workers.csv"}"\ncases = "{data / "cases.csv"}"\n'
                                     f'risk = "{data / "risk.csv"}"\n[run.outputs]\nfolder = "{tmp_path / "out"}"\n')
    result = cli("run", tmp_path / "w.toml")
    assert result.exit_code == 2 and "Traceback" not in result.output
    error = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(error) == 1 and "w.toml: [run] leavers: unknown leaver worker_id(s): NOPE" in error[0], result.stderr
    assert "--leaver" not in error[0]
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- one date order


def test_table_dates_are_day_first_by_default_and_month_first_with_dates_us(data):
    uk = load_workers(data / "workers.csv")
    assert uk.loc[0, "start_date"] == pd.Timestamp("2019-04-01")
    us = load_workers(data / "workers.csv", dates="us")
    assert us.loc[0, "start_date"] == pd.Timestamp("2019-01-04")
    assert us.loc[1, "start_date"] == uk.loc[1, "start_date"] == pd.Timestamp("2024-09-01")  # ISO either way
    edit(data / "workers.csv", 2, "start_date", "12/31/2019")
    refused(cli("validate", data / "workers.csv"), "row 2", "'start_date'", "DD/MM/YYYY")
    assert cli("validate", data / "workers.csv", "--dates", "us").exit_code == 0


def test_a_date_that_only_reads_month_first_says_so_and_how(data):
    """'12/31/2019' is no date day first: the refusal says it reads month first as 31 December
    2019 and names --dates us, rather than only "not a date in years 1900-2200", which a planner
    with a 2019 date in front of them cannot act on. A date no convention reads says neither."""
    edit(data / "workers.csv", 2, "start_date", "12/31/2019")
    edit(data / "workers.csv", 3, "start_date", "31/02/2020")
    text = refused(cli("validate", data / "workers.csv"), "row 2", "'start_date'")
    line = next(t for t in text.splitlines() if "row 2," in t)
    assert "31 December 2019" in line and "--dates us" in line, line
    line = next(t for t in text.splitlines() if "row 3," in t)
    assert "'31/02/2020'" in line and "--dates us" not in line.split("(allowed")[0], line


def test_xlsx_text_dates_follow_the_same_convention(data, tmp_path):
    frame = pd.read_csv(data / "workers.csv", dtype=str, keep_default_na=False)
    book = tmp_path / "staff.xlsx"
    frame.to_excel(book, sheet_name="workers", index=False)  # every cell text, "01/04/2019" included
    assert load_workers(book).loc[0, "start_date"] == pd.Timestamp("2019-04-01")
    assert load_workers(book, dates="us").loc[0, "start_date"] == pd.Timestamp("2019-01-04")


@pytest.mark.parametrize("form", ["toml", "xlsx"])
def test_assumption_date_is_day_first_and_echoed_as_written(data, tmp_path, form):
    if form == "toml":
        path = tmp_path / "a.toml"
        path.write_text('[plans.projection]\nstart_date = "01/04/2025"\n[plans.montecarlo]\nruns = 50\n')
    else:
        frame = assumptions_frame(Assumptions()).astype(object)
        frame.loc[(frame.section == "projection") & (frame.key == "start_date"), "value"] = "01/04/2025"
        frame.loc[(frame.section == "montecarlo") & (frame.key == "runs"), "value"] = 50
        path = tmp_path / "a.xlsx"
        write_sheet(frame, path)
    assert load_assumptions(path).projection.start_date == "2025-04-01"
    result = cli("plan", "--workers", data / "workers.csv", "--cases", data / "cases.csv", "--risk",
                 data / "risk.csv", "--assumptions", path, "--out", tmp_path / "plan")
    assert result.exit_code == 0, result.output
    assert "projection.start_date: 1 April 2025, a Tuesday" in result.stdout
    assert "plan from 1 April 2025" in result.stdout
    quarters = pd.read_csv(tmp_path / "plan" / "projection.csv")["quarter_start_date"].unique()
    assert all(q.endswith("-01") for q in quarters), quarters


# ------------------------------------------------------------------ paths, the same everywhere


def test_validate_takes_a_csv_of_any_name_by_columns_or_explicitly(data, tmp_path):
    export = tmp_path / "Workers export 2024.csv"
    export.write_text(WORKERS)
    result = cli("validate", export)
    assert result.exit_code == 0, result.output
    assert "workers" in result.stdout and "Workers export 2024.csv" in result.stdout
    odd = tmp_path / "sheet1.csv"
    odd.write_text(WORKERS.replace("fte,", "hours,"))  # a column short of a clean match: still workers
    refused(cli("validate", odd), "sheet1.csv", "'fte'", "missing")
    assert cli("validate", "--workers", export, "--cases", data / "cases.csv").exit_code == 0
    stray = tmp_path / "notes.csv"
    stray.write_text("a,b\n1,2\n")
    refused(cli("validate", stray), "notes.csv", "cannot tell which table", "--workers")


def test_a_folder_is_accepted_for_a_table_by_every_command(data, tmp_path):
    result = cli("plan", "--workers", data, "--cases", data, "--risk", data, "--out", tmp_path / "plan",
                 "--assumptions", _runs(tmp_path))
    assert result.exit_code == 0, result.output
    result = cli("allocate", "--workers", data, "--cases", data, "--out", tmp_path / "alloc", "--time-limit", "5")
    assert result.exit_code == 0, result.output
    refused(cli("validate", "--hr-history", data), "data", "no hr_history table")


def _book(path: Path, sheets: dict[str, str]) -> Path:
    """A workbook with one sheet per (name, CSV text)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, text in sheets.items():
        ws = wb.create_sheet(name)
        for row in csv.reader(io.StringIO(text)):
            ws.append(row)
    wb.save(path)
    return path


def test_a_table_file_named_in_capitals_is_read_by_every_command(data, tmp_path):
    """Workers.CSV is the workers table (case-insensitive names): validate reads it, so the
    cross-table checks run, and plan and allocate find it in the folder as well."""
    folder = tmp_path / "caps"
    folder.mkdir()
    (folder / "Workers.CSV").write_text(WORKERS)
    (folder / "CASES.csv").write_text(CASES.replace("C5,F4,cin,no,North,North A,W5", "C5,F4,cin,no,North,North A,W9"))
    refused(cli("validate", folder), "CASES.csv", "row 6", "current_worker_id", "W9")
    assert "Workers.CSV" in cli("validate", folder).stdout
    (folder / "CASES.csv").write_text(CASES)
    result = cli("validate", folder)
    assert result.exit_code == 0, result.output
    assert "Workers.CSV" in result.stdout and "all tables valid: workers, cases (not given: hr_history)" in result.stdout
    result = cli("allocate", "--workers", folder, "--cases", folder, "--out", tmp_path / "alloc", "--time-limit", "5")
    assert result.exit_code == 0, result.output


def test_validate_names_a_sheet_it_does_not_read_and_never_says_all_valid(data, tmp_path):
    """A sheet called 'Workers 2024' is not the workers table: validate names it with the fix,
    says workers was not checked nor the references to it, and does not print 'all tables valid'.
    A sheet name in capitals is read (the same rule as file names)."""
    book = _book(tmp_path / "authority.xlsx", {"Workers 2024": WORKERS, "CASES": CASES, "Instructions": "x\n"})
    result = cli("validate", book)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"not read: {book} [Workers 2024] (name the sheet 'workers' to have it read)" in out
    assert f"{book} [CASES]" in out and "Instructions" not in out
    assert "all tables valid" not in out
    assert "valid: cases; not given: workers, hr_history; the cases' references to workers were not checked" in out
    assert "1 file or sheet not read" in out


def test_a_sheet_name_with_a_stray_space_is_read_by_validate_as_by_every_command(tmp_path):
    """'Workers ' (a space typed after the name when renaming the tab) is the workers table:
    validate finds it and reads it, rather than refusing a sheet it lists as present."""
    book = _book(tmp_path / "authority.xlsx", {"Workers ": WORKERS, " cases": CASES})
    result = cli("validate", book)
    assert result.exit_code == 0, result.output
    assert "all tables valid: workers, cases (not given: hr_history)" in result.stdout
    assert "has no sheet named" not in result.output


def test_a_workbook_saved_as_ods_or_xls_is_refused_with_how_to_save_it(data, tmp_path):
    """LibreOffice saves in its own format unless told otherwise: an .ods (or an old .xls) given
    as a table, as the plan's assumptions or in a folder is named with the way to save it as
    .xlsx, never refused as text that will not decode or passed over without a word."""
    book = _book(tmp_path / "book.xlsx", {"workers": WORKERS})
    ods = tmp_path / "authority.ods"
    ods.write_bytes(book.read_bytes())
    save = "save it as an Excel workbook"
    refused(cli("validate", "--workers", ods), "authority.ods", "OpenDocument spreadsheet", save)
    xls = tmp_path / "plan.xls"
    xls.write_bytes(book.read_bytes())
    before = snapshot(tmp_path)
    text = refused(cli("plan", "--workers", data / "workers.csv", "--cases", data / "cases.csv", "--risk",
                       data / "risk.csv", "--assumptions", xls, "--out", tmp_path / "out"),
                   "plan.xls", "Excel 97-2003 workbook", save)
    assert "codec" not in text
    assert snapshot(tmp_path) == before
    folder = tmp_path / "folder"
    folder.mkdir()
    ods.rename(folder / "workers.ods")
    refused(cli("validate", folder), "not read there", "workers.ods (an OpenDocument spreadsheet", save)


def test_validate_names_a_csv_it_does_not_read_in_a_folder(data, tmp_path):
    """A folder's CSV not named after a table is listed as not read, with the name that would have
    it read; a folder that yields no table at all is refused, naming what it holds."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Staff 2024.csv").write_text(WORKERS)
    (folder / "cases.csv").write_text(CASES)
    result = cli("validate", folder)
    assert result.exit_code == 0, result.output
    assert (f"not read: {folder / 'Staff 2024.csv'} (name it workers.csv, or pass it as --workers FILE)"
            in result.stdout)
    assert "all tables valid" not in result.stdout
    (folder / "cases.csv").unlink()
    refused(cli("validate", folder, data / "cases.csv"), "export", "none of the tables", "Staff 2024.csv",
            "name it workers.csv")
    refused(cli("plan", "--workers", folder, "--cases", data, "--risk", data, "--out", tmp_path / "p"),
            "export", "no workers table", "not read there", "Staff 2024.csv")
    assert not (tmp_path / "p").exists()


def _runs(tmp_path: Path) -> Path:
    path = tmp_path / "few_runs.toml"
    path.write_text("[plans.montecarlo]\nruns = 50\n")
    return path


def test_a_folder_where_a_file_is_expected_is_called_a_folder(data, tmp_path):
    (tmp_path / "conf").mkdir()
    common = ("--workers", data / "workers.csv", "--cases", data / "cases.csv")
    refused(cli("plan", *common, "--risk", data / "risk.csv", "--assumptions", tmp_path / "conf",
                "--out", tmp_path / "p"), "conf", "is a folder")
    refused(cli("allocate", *common, "--config", tmp_path / "conf", "--out", tmp_path / "a"), "conf", "is a folder")
    refused(cli("run", tmp_path / "conf"), "conf", "is a folder")
    refused(cli("validate", tmp_path / "nowhere.csv"), "nowhere.csv", "not found")


# ---------------------------------------------------------------------------- CSV dialects


def _rewrite(path: Path, delimiter: str, **cells: str) -> None:
    rows = list(csv.reader(io.StringIO(WORKERS)))
    for name, value in cells.items():
        rows[4][rows[0].index(name)] = value
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue())


def test_semicolon_and_tab_csvs_with_a_decimal_comma(data):
    _rewrite(data / "workers.csv", ";", fte="0,8")  # as a European Excel saves it
    workers = load_workers(data / "workers.csv")
    assert workers.loc[3, "fte"] == 0.8 and workers.loc[0, "skills"] == "court;cp"
    _rewrite(data / "workers.csv", "\t")
    assert load_workers(data / "workers.csv").loc[3, "fte"] == 0.8
    assert cli("validate", data).exit_code == 0


def test_a_file_read_as_one_column_gets_one_hint_about_the_separator(data):
    (data / "workers.csv").write_text(WORKERS.replace(",", "|"))
    text = refused(cli("validate", data / "workers.csv"), "single column", "'|'", "commas, semicolons or tabs")
    assert "required column is missing" not in text


def test_a_decimal_comma_in_a_comma_file_is_named(data):
    edit(data / "workers.csv", 5, "fte", "0,8")
    refused(cli("validate", data / "workers.csv"), "row 5", "'fte'", "decimal comma", "0.8")


# ------------------------------------------------------------- formulas without a saved result


def _workbook_with_formulas(path: Path, cached: bool) -> None:
    frame = pd.read_csv(io.StringIO(WORKERS), dtype=str, keep_default_na=False)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "workers"
    ws.append(list(frame.columns) + ["sickness_days_12m"])
    for i, values in enumerate(frame.itertuples(index=False)):
        ws.append(list(values) + [None])
    ws["G3"] = "=0.5*2"  # fte, required
    ws["K4"] = "=1+1"  # sickness_days_12m, optional
    wb.save(path)
    if cached:  # as Excel saves it: the formula and its result
        tmp = path.with_suffix(".tmp")
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename.startswith("xl/worksheets/sheet"):
                    data = data.replace(b"<f>0.5*2</f><v />", b"<f>0.5*2</f><v>1</v>")
                    data = data.replace(b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")
                    assert data.count(b"<v>") == 2
                dst.writestr(info, data)
        tmp.replace(path)


def test_formulas_without_a_saved_result_are_named_required_or_optional(tmp_path):
    book = tmp_path / "workers.xlsx"
    _workbook_with_formulas(book, cached=False)
    text = refused(cli("validate", book), "row 3", "'fte'", "row 4", "'sickness_days_12m'",
                   "no saved result", "open it in Excel or LibreOffice and save it")
    assert "blank" not in text
    _workbook_with_formulas(book, cached=True)
    workers = load_workers(book)
    assert workers.loc[1, "fte"] == 1.0 and workers.loc[2, "sickness_days_12m"] == 2.0


def test_spreadsheet_errors_are_named_never_read_as_text(tmp_path):
    """A lookup that found nothing saves #N/A as the cell's value: read as text, a worker would
    join a team called '#N/A'. Every error cell is named, in a text column and a number column,
    and the workbook is left as it was."""
    frame = pd.read_csv(io.StringIO(WORKERS), dtype=str, keep_default_na=False)
    book = tmp_path / "workers.xlsx"
    wb, ws = write_sheet(frame, book, "workers")
    ws["B3"] = "#N/A"  # team: openpyxl stores it as an error cell, as Excel saves a failed lookup
    ws["G4"] = "#DIV/0!"  # fte
    wb.save(book)
    before = book.read_bytes()
    text = refused(cli("validate", book), "2 problems", "row 3, column 'team'", "#N/A",
                   "row 4, column 'fte'", "#DIV/0!", "correct the formula or type the value")
    assert "unknown" not in text and "not a number" not in text
    assert book.read_bytes() == before


def test_merged_cells_give_their_value_to_every_row_they_span(tmp_path):
    """A planner who merges the section cells of a group on the Assumptions sheet reads the one
    section on each row; the file keeps it only in the first, so the other rows came back as an
    'unknown section' with no name. Each spanned row now reads the value, with a warning naming
    the block; a block across columns (value over low and high) leaves those columns blank, as a
    spreadsheet reads them; the workbook is left as it was."""
    book = tmp_path / "plan.xlsx"
    frame = assumptions_frame(Assumptions())
    wb, ws = write_sheet(frame, book, "Assumptions")
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "costs"]
    for r in rows[1:]:
        ws.cell(r, 1).value = None
    ws.merge_cells(f"A{rows[0]}:A{rows[-1]}")
    salary = next(r for r in rows if ws.cell(r, 2).value == "salary_case_holder_gbp")
    ws.cell(salary, 3).value = "£41,200"
    absence = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == "absence_rate")
    ws.merge_cells(f"C{absence}:E{absence}")
    wb.save(book)
    before = book.read_bytes()
    with pytest.warns(InputWarning, match=rf"merged cells A{rows[0]}:A{rows[-1]} read as their value on each row"):
        a = load_assumptions(book)
    assert a.costs.salary_case_holder_gbp == 41200.0 and a.demand.absence_rate == Assumptions().demand.absence_rate
    assert book.read_bytes() == before


def test_a_merged_block_over_rows_with_nothing_to_fill_is_not_reported():
    """Only blocks that gave a value to some row are named in the warning: a block whose other rows
    the sheet does not hold (or that already hold their own value) changed nothing and used to be
    reported as read on each row all the same."""
    from workforce.readers import fill_merged_down

    rows = [(2, ["North", "x"]), (3, ["", "y"]), (5, ["South", "z"]), (6, ["East", "w"])]
    assert fill_merged_down(rows, [(2, 1, 3, 1), (5, 1, 6, 1), (6, 1, 9, 1)]) == ["A2:A3"]
    assert [t[0] for _, t in rows] == ["North", "North", "South", "East"]


# ------------------------------------------------------------------------ values, one parser


def test_a_percentage_typed_as_text_is_the_number_typed_as_a_fraction():
    """'57%' typed in a cell is 0.57, exactly as typing 0.57 or saving a cell formatted as a
    percentage gives it, so the two ways of typing one value plan alike and 0.5700000000000001
    is never written back to a planner's Assumptions sheet."""
    from workforce.readers import parse_number

    assert parse_number("57%", percent=True) == 0.57 and parse_number("70%", percent=True) == 0.7
    for text in ("57%", "70%", "33.3%", "0.5%", "-12.5%", "100%", "1,250%"):
        as_fraction = str(Decimal(text.rstrip("%").replace(",", "")) / 100)  # '0.333' for '33.3%'
        assert parse_number(text, percent=True) == float(as_fraction), text


def test_percent_currency_and_thousands_in_tables_and_assumptions(data, tmp_path):
    edit(data / "workers.csv", 5, "fte", "80%")
    assert load_workers(data / "workers.csv").loc[3, "fte"] == pytest.approx(0.8)
    (data / "risk.csv").write_text(RISK.replace("W4,0.3", "W4,30%"))
    a = tmp_path / "a.toml"
    a.write_text('[plans.costs]\nsalary_case_holder_gbp = "£42,000"\non_cost_rate = "28%"\n'
                 'cost_per_hire_gbp = "2,500"\n[plans.montecarlo]\nruns = "1,000"\n')
    loaded = load_assumptions(a)
    assert loaded.costs.salary_case_holder_gbp == 42000 and loaded.costs.on_cost_rate == pytest.approx(0.28)
    assert loaded.montecarlo.runs == 1000
    edit(data / "workers.csv", 3, "sickness_days_12m", "15%")
    refused(cli("validate", data / "workers.csv"), "row 3", "'sickness_days_12m'", "percentage")


def test_an_implausible_salary_is_refused_with_the_range(data, tmp_path):
    a = tmp_path / "a.toml"
    a.write_text("[plans.costs]\nsalary_case_holder_gbp = 0\n")
    before = snapshot(tmp_path)
    refused(cli("plan", "--workers", data / "workers.csv", "--cases", data / "cases.csv", "--risk", data / "risk.csv",
                "--assumptions", a, "--out", tmp_path / "plan"),
            "a.toml", "salary_case_holder_gbp", "£0", "£15,000 to £150,000")
    assert snapshot(tmp_path) == before


def test_a_deleted_assumption_row_is_reported_as_using_the_default(data, tmp_path):
    frame = assumptions_frame(Assumptions()).astype(object)
    frame = frame[~((frame.section == "costs") & (frame.key == "salary_asye_gbp"))]
    frame.loc[(frame.section == "montecarlo") & (frame.key == "runs"), "value"] = 50
    path = tmp_path / "a.csv"
    frame.to_csv(path, index=False)
    result = cli("plan", "--workers", data / "workers.csv", "--cases", data / "cases.csv", "--risk",
                 data / "risk.csv", "--assumptions", path, "--out", tmp_path / "plan")
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "no row for costs.salary_asye_gbp = 28200" in result.stderr
    assert "using the default" in result.stderr


# ------------------------------------------------------------------------------------- names


def test_plan_writes_workforce_plan_xlsx_and_says_so(data, tmp_path):
    out = tmp_path / "plan"
    result = cli("plan", "--workers", data / "workers.csv", "--cases", data / "cases.csv", "--risk",
                 data / "risk.csv", "--assumptions", _runs(tmp_path), "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "workforce_plan.xlsx").is_file() and not (out / "plan.xlsx").exists()
    readme = openpyxl.load_workbook(out / "workforce_plan.xlsx")["README"]
    text = " ".join(str(c.value) for row in readme.iter_rows() for c in row if c.value)
    assert "workforce plan" in text and "workforce_plan.xlsx" in text


def test_template_examples_are_refused_as_data_until_unmarked(tmp_path):
    out = tmp_path / "t"
    assert cli("template", "--out", out).exit_code == 0
    text = refused(cli("validate", out / "workers.xlsx", out / "cases.xlsx", out / "hr_history.xlsx"),
                   "template example row", "EXAMPLE-W0001", "row 2", "'worker_id'", "EXAMPLE-C00001", "'case_id'")
    assert "problems found" in text
    for name in ("workers", "cases", "hr_history"):
        wb = openpyxl.load_workbook(out / f"{name}.xlsx")
        for row in wb[name].iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and "EXAMPLE-" in cell.value:
                    cell.value = cell.value.replace("EXAMPLE-", "")
        wb.save(out / f"{name}.xlsx")
    assert cli("validate", out / "workers.xlsx", out / "cases.xlsx", out / "hr_history.xlsx").exit_code == 0


def test_help_never_cuts_an_option_name_short():
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": str(REPO)}
    for command in (["churn", "audit"], ["allocate"], ["plan"], ["validate"], ["churn", "score"]):
        proc = subprocess.run([sys.executable, "-m", "workforce", *command, "--help"], capture_output=True,
                              text=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        cut = [w for w in proc.stdout.split() if w.startswith("--") and w.endswith("…")]
        assert not cut, (command, cut)
    assert "--calibration-threshold " in subprocess.run(
        [sys.executable, "-m", "workforce", "churn", "audit", "--help"], capture_output=True, text=True, env=env,
        timeout=60).stdout


# --------------------------------------------------------------------- issue 17 validation gaps


def test_a_child_pinned_to_an_unavailable_worker_is_refused(data, tmp_path):
    edit(data / "cases.csv", 6, "pinned", "yes")  # C5 is held by W5, who is on long leave
    refused(allocate(data, tmp_path / "out"), "cases.csv", "row 6", "'pinned'", "W5", "not available")


def test_a_child_pinned_to_a_leaver_is_refused(data, tmp_path):
    refused(allocate(data, tmp_path / "out", "--mode", "leaver", "--leaver", "W4"),
            "cases.csv", "row 4", "'pinned'", "W4", "leaving")


def test_a_family_in_two_teams_is_refused_one_in_two_localities_is_not(data, tmp_path):
    edit(data / "cases.csv", 3, "team", "South B")
    refused(cli("validate", data), "cases.csv", "row 3", "'team'", "family 'F1'", "North A", "South B")
    edit(data / "cases.csv", 3, "team", "")
    edit(data / "cases.csv", 3, "locality", "South")
    assert cli("validate", data).exit_code == 0


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1"])
def test_time_limit_must_be_finite_and_positive(data, tmp_path, value):
    before = snapshot(tmp_path)
    refused(cli("allocate", "--workers", data / "workers.csv", "--cases", data / "cases.csv", "--out",
                tmp_path / "out", "--time-limit", value), "--time-limit", "above 0")
    assert snapshot(tmp_path) == before


def test_out_in_an_input_folder_is_refused(data, tmp_path):
    before = snapshot(tmp_path)
    refused(allocate(data, data), "data", "holds the input file", "folder of their own")
    refused(cli("allocate", "--workers", data, "--cases", data / "cases.csv", "--out", data / "run1",
                "--time-limit", "5"), "inside the input folder")
    assert snapshot(tmp_path) == before
    assert allocate(data, data / "run1").exit_code == 0  # a folder of its own beside file inputs: fine


def test_a_second_run_on_the_same_output_is_refused_naming_the_first(data, tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from workforce.outputs import output_lock\n"
                               "with output_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
                               str(out)], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline().strip() == "held"
        text = refused(allocate(data, out), "another workforce command", f"process {holder.pid}", "started")
        assert "wait for it to finish" in text
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    # The killed holder left its lock file behind: a stale lock, taken over.
    assert lock_path(out).exists()
    result = allocate(data, out)
    assert result.exit_code == 0, result.output
    assert not lock_path(out).exists()


def test_size_limit_names_size_and_limit_distinctly(data, monkeypatch):
    from workforce import readers

    size = (data / "workers.csv").stat().st_size
    monkeypatch.setattr(readers, "MAX_CSV_BYTES", size - 1)
    text = refused(cli("validate", data / "workers.csv"), "too large", "over the limit of")
    assert f"{size:,} bytes" in text and f"{size - 1:,} bytes" in text


def test_a_deleted_programme_or_a_short_override_file_is_said_too():
    frame = assumptions_frame(Assumptions())
    without = frame[frame.section != "programme:mentoring"]
    with pytest.warns(InputWarning, match="default programme mentoring: left out of the L&D plan"):
        a = assumptions_from_frame(without, source="mine.xlsx")
    assert "mentoring" not in {p.name for p in a.programmes}
    with pytest.warns(InputWarning, match=r"mine.toml: \d+ of \d+ assumptions are not in it"):
        settings_from_toml("[plans.montecarlo]\nruns = 50\n", source="mine.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        assumptions_from_frame(frame, source="complete.xlsx")  # nothing left out: no warning


def test_a_title_row_above_the_column_names_is_named_as_such(tmp_path):
    """A sheet headed by a title ('Workers, March 2025') above the column names: the message
    says row 1 looks like a title and to delete it, without repeating the title; a header with
    a column left unnamed among named ones gets no such hint."""
    import openpyxl

    from workforce.errors import InputError
    from workforce.readers import read_table

    path = tmp_path / "workers.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "workers"
    ws.append(["Workers, March 2025"])
    ws.append(["worker_id", "team"])
    ws.append(["W1", "T1"])
    wb.save(path)
    with pytest.raises(InputError, match="looks like a title above the column names; delete that row") as err:
        read_table(path, "workers")
    assert "March 2025" not in str(err.value)
    ws.delete_rows(1)
    ws["D1"] = None
    ws["D2"] = "stray"
    wb.save(path)
    with pytest.raises(InputError, match="column 4 has data but no header") as err:
        read_table(path, "workers")
    assert "looks like a title" not in str(err.value)


def test_validate_with_nothing_to_check_says_what_to_give():
    """`workforce validate` alone is a usage error: it says what to give, and names no
    "column 'PATHS'" a planner would look for in their tables."""
    result = cli("validate")
    assert result.exit_code == 2
    assert "error: give the files or folders to check (or --workers, --cases, --hr-history)" in result.output
    assert "column" not in result.output
