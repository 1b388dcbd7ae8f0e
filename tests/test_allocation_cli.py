"""`workforce allocate`: outputs written, bad input exit 2, --explain text."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce.cli import app

WORKERS = """worker_id,team,locality,role,asye,agency,fte,start_date,skills,available
W1,A,North,case_holder,no,no,1,2015-01-01,court,yes
W2,A,North,case_holder,no,no,1,2016-01-01,,yes
N1,A,North,case_holder,yes,no,1,2017-09-01,,yes
TM,A,North,team_manager,no,no,1,2010-01-01,,yes
"""
CASES = """case_id,family_id,case_type,court,locality,team,current_worker_id,workers_12m,pinned,excluded_workers
C1,F1,cp,no,North,A,W1,1,no,
C2,F1,cin,no,North,A,W1,1,no,
C3,F2,cla,no,North,A,,2,no,
C4,F3,cp,yes,North,A,,1,no,W2
C5,F4,care_leaver,no,North,A,W2,3,yes,
"""


@pytest.fixture()
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    w, c = tmp_path / "workers.csv", tmp_path / "cases.csv"
    w.write_text(WORKERS, encoding="utf-8")
    c.write_text(CASES, encoding="utf-8")
    return w, c


def run(*args: str):
    return CliRunner().invoke(app, ["allocate", *args])


def test_allocate_writes_every_output(inputs, tmp_path):
    w, c = inputs
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--mode", "rebalance", "--out", str(out))
    assert res.exit_code == 0, res.output
    for name in ("allocations.csv", "worker_loads.csv", "unallocated.csv", "summary.json"):
        assert (out / name).exists()
    summary = json.loads((out / "summary.json").read_text())
    for key in ("status", "objective", "bound", "gap", "handoffs", "unallocated", "max_utilisation",
                "mean_utilisation", "workers_over_soft_cap", "children_losing_worker", "cross_team_moves",
                "workers_over_capacity_points", "workers_over_hard_children", "workers_over_complex_children",
                "unallocated_priority_1", "stopped_by_time_limit", "baseline", "timings"):
        assert key in summary
    assert summary["timings"]["total"] > 0 and "seconds" not in summary  # timings apart from the figures
    assert (out / "explanations.csv").exists() and (out / "changes.csv").exists()
    alloc = pd.read_csv(out / "allocations.csv", keep_default_na=False)
    assert {"case_id", "family_id", "worker_id", "previous_worker_id", "changed", "points", "cost_continuity"} <= set(alloc.columns)
    assert alloc.set_index("case_id").loc["C4", "worker_id"] == "W1"  # court CP: not the ASYE, not excluded W2
    assert alloc.set_index("case_id").loc["C5", "worker_id"] == "W2"  # pinned
    assert "handoffs" in res.output


def test_summary_gives_the_reasons_workers_stay_over_a_cap_in_words(inputs, tmp_path):
    """A worker left over a cap is counted under its reason in words a service manager reads
    ("everything they hold is pinned by a manager"), not the code ("pinned")."""
    w, c = inputs
    over = tmp_path / "over.csv"
    over.write_text(CASES + "".join(f"P{k},G{k},cp,no,North,A,N1,1,yes,\n" for k in range(14)), encoding="utf-8")
    res = run("--workers", str(w), "--cases", str(over), "--mode", "rebalance", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["workers_left_over_a_cap"].get("pinned", 0) >= 1
    assert "everything" in res.output and "pinned 1" not in res.output


def test_allocate_writes_workbook_when_excel_writer_present(inputs, tmp_path):
    pytest.importorskip("workforce.excel.workbooks")
    w, c = inputs
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--out", str(out))
    assert res.exit_code == 0, res.output
    assert (out / "allocation.xlsx").exists()


def test_unknown_leaver_exits_2_naming_it(inputs, tmp_path):
    w, c = inputs
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--mode", "leaver", "--leaver", "W99", "--out", str(out))
    assert res.exit_code == 2
    assert "W99" in res.output
    assert not out.exists()


def test_bad_input_exits_2_and_writes_nothing(inputs, tmp_path):
    w, c = inputs
    c.write_text(CASES.replace("C3,F2,cla", "C3,F2,nonsense"), encoding="utf-8")
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--out", str(out))
    assert res.exit_code == 2 and "case_type" in res.output
    assert not out.exists()


def test_cbc_unavailable_exits_2(inputs, tmp_path, monkeypatch):
    """Where no CBC exists (PuLP 4 ships none), asking for it is a usage error, not a crash."""
    import pulp

    for name in ("COIN_CMD", "PULP_CBC_CMD"):
        monkeypatch.setattr(getattr(pulp, name), "available", lambda self: False)
    w, c = inputs
    res = run("--workers", str(w), "--cases", str(c), "--solver", "cbc", "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and "CBC" in res.output


def test_explain_prints_plain_english(inputs, tmp_path):
    w, c = inputs
    res = run("--workers", str(w), "--cases", str(c), "--mode", "rebalance", "--explain", "C4",
              "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert "Child C4" in res.output and "W1" in res.output
    assert "newly allocated" in res.output and "hard cap" in res.output and "points" in res.output
    res = run("--workers", str(w), "--cases", str(c), "--explain", "NOPE", "--out", str(tmp_path / "o2"))
    assert res.exit_code == 2 and "NOPE" in res.output


def test_explain_command_reads_the_kept_run(inputs, tmp_path):
    """`workforce explain --run DIR CASE_ID` explains the allocation that was written (it reads
    explanations.csv; no solve), and says the same as `allocate --explain` did."""
    w, c = inputs
    out = tmp_path / "out"
    first = run("--workers", str(w), "--cases", str(c), "--mode", "rebalance", "--explain", "C1", "--out", str(out))
    assert first.exit_code == 0, first.output
    res = CliRunner().invoke(app, ["explain", "--run", str(out), "C1"])
    assert res.exit_code == 0, res.output
    assert res.output.strip() in first.output
    kept = pd.read_csv(out / "allocations.csv", keep_default_na=False).set_index("case_id").loc["C1", "worker_id"]
    assert f"{kept}" in res.output
    # the explanation is the file's: edit it and the command says what the file says
    ex = pd.read_csv(out / "explanations.csv", keep_default_na=False)
    ex.loc[ex["case_id"] == "C1", "runner_up_reason"] = "EDITED REASON"
    ex.to_csv(out / "explanations.csv", index=False)
    assert "EDITED REASON" in CliRunner().invoke(app, ["explain", "--run", str(out), "C1"]).output or \
        "Next best" not in res.output
    bad = CliRunner().invoke(app, ["explain", "--run", str(tmp_path), "C1"])
    assert bad.exit_code == 2 and "explanations.csv" in bad.output
    bad = CliRunner().invoke(app, ["explain", "--run", str(out), "NOPE"])
    assert bad.exit_code == 2 and "NOPE" in bad.output


def test_risk_file_is_used_and_bad_risk_exits_2(inputs, tmp_path):
    w, c = inputs
    risk = tmp_path / "risk.csv"
    risk.write_text("worker_id,p_leave\nW1,0.2\nW2,0.9\nN1,0.1\nTM,0.1\n", encoding="utf-8")
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--risk", str(risk), "--out", str(out))
    assert res.exit_code == 0, res.output
    assert json.loads((out / "summary.json").read_text())["terms"]["risk"] > 0
    risk.write_text("worker_id,p_leave\nW1,1.7\n", encoding="utf-8")
    res = run("--workers", str(w), "--cases", str(c), "--risk", str(risk), "--out", str(tmp_path / "o2"))
    assert res.exit_code == 2 and "p_leave" in res.output


def test_risk_rows_for_unknown_workers_are_counted_and_said(inputs, tmp_path):
    """A risk table scored before a worker left still serves: the unused row and the worker it
    misses are named on the console and counted in summary.json (as `plan --risk` does)."""
    w, c = inputs
    risk = tmp_path / "risk.csv"
    risk.write_text("worker_id,p_leave\nW1,0.2\nGONE,0.9\nN1,0.1\nTM,0.1\n", encoding="utf-8")
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--risk", str(risk), "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "1 row for a worker not in the workers table was not used (row 3: GONE" in res.output
    assert "1 of the 4 workers it should score is not in it (W2)" in res.output and "p_leave taken as 0" in res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["risk_rows_not_in_workers"] == 1 and summary["risk_rows_not_in_workers_ids"] == ["GONE"]
    assert summary["workers_not_in_risk"] == 1 and summary["workers_not_in_risk_ids"] == ["W2"]
    assert len(summary["risk_notes"]) == 2


def test_the_settings_used_are_written_to_edit_and_pass_back(inputs, tmp_path):
    """The allocation writes the settings it used as a settings file that --config reads back to
    the same settings (an edit there takes effect), and shows them on the workbook's Assumptions
    sheet as plain cells; the workbook itself is a record, refused by --config with a pointer to
    the file."""
    import openpyxl

    from workforce.allocation.config import AllocationConfig
    from workforce.config import ALLOCATION_SETTINGS, load_settings

    w, c = inputs
    config = tmp_path / "mine.toml"
    config.write_text("[allocation.weights]\ncontinuity_cost = 25\n[allocation.weights.unallocated_cost]\n2 = 1500\n"
                      "[allocation.policy]\nreach = \"locality\"\n[caseload]\nsibling_factor = 0.6\n")
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--config", str(config), "--out", str(out))
    assert res.exit_code == 0, res.output
    used, written = load_settings(config).allocation, load_settings(out / ALLOCATION_SETTINGS).allocation
    assert written == used and written != AllocationConfig()
    assert written.unallocated_cost == {1: 5000.0, 2: 1500.0, 3: 600.0} and written.rules.sibling_factor == 0.6
    sheet = openpyxl.load_workbook(out / "allocation.xlsx")["Assumptions"]
    cells = {(r[0], r[1]): r[2] for r in sheet.iter_rows(values_only=True) if r and r[0] and r[1]}
    assert cells[("allocation.weights", "continuity_cost")] == 25
    assert cells[("allocation.weights", "unallocated_cost.2")] == 1500
    assert cells[("allocation.policy", "reach")] == "locality"
    assert not any("RoleCapacity" in str(v) or "{" in str(v) for v in cells.values())  # no Python reprs
    again = run("--workers", str(w), "--cases", str(c), "--config", str(out / "allocation.xlsx"),
                "--out", str(tmp_path / "again"))
    assert again.exit_code == 2 and ALLOCATION_SETTINGS in again.output
    assert not (tmp_path / "again").exists()


def test_a_leavers_capacity_is_gone_from_the_workbook_as_from_the_csvs(inputs, tmp_path):
    """The workbook a manager reads agrees with team_summary.csv and summary.json: a leaver's
    points capacity is not counted as room the team still has (their team's points against
    capacity), nor as a 0% worker in the mean utilisation."""
    openpyxl = pytest.importorskip("openpyxl")
    w, c = inputs
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--mode", "leaver", "--leaver", "W1", "--out", str(out))
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    team = pd.read_csv(out / "team_summary.csv").set_index("team")
    ws = openpyxl.load_workbook(out / "allocation.xlsx")["Summary"]
    rows = [[cell.value for cell in row] for row in ws.iter_rows()]
    mean = next(r[1] for r in rows if r[0] == "Mean utilisation after allocation")
    assert mean == pytest.approx(summary["mean_utilisation"], abs=1e-4)
    at = next(i for i, r in enumerate(rows) if r[0] == "Points by team (from Worker loads)")
    header = rows[at + 1]
    by_team = {r[0]: dict(zip(header, r)) for r in rows[at + 2:] if r[0]}
    assert by_team["A"]["capacity"] == pytest.approx(team.at["A", "capacity_points"])
    assert by_team["A"]["points held"] == pytest.approx(team.at["A", "allocated_points"])


def test_every_column_of_the_allocation_workbook_has_a_note_on_its_header(inputs, tmp_path):
    """A manager reading allocation.xlsx finds what each column means (and its unit) on its header,
    for every data sheet and every column the run wrote."""
    openpyxl = pytest.importorskip("openpyxl")
    w, c = inputs
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--mode", "leaver", "--leaver", "W1", "--out", str(out))
    assert res.exit_code == 0, res.output
    book = openpyxl.load_workbook(out / "allocation.xlsx")
    for sheet, csv in (("Allocations", "allocations.csv"), ("Worker loads", "worker_loads.csv"),
                       ("Unallocated", "unallocated.csv"), ("Changes", "changes.csv")):
        columns = list(pd.read_csv(out / csv, nrows=0).columns)
        header = {cell.value: cell for cell in book[sheet][1] if cell.value is not None}
        assert list(header) == columns, sheet  # the sheet shows the CSV's columns
        missing = [name for name, cell in header.items() if cell.comment is None or not cell.comment.text.strip()]
        assert not missing, (sheet, missing)


def test_the_solver_results_utilisations_are_all_shown_as_percentages(inputs, tmp_path):
    """The Summary sheet shows the manager's baseline beside the optimiser's answer: its highest
    utilisation in the same unit (a percentage), not 1.48 beside 147.6%."""
    openpyxl = pytest.importorskip("openpyxl")
    w, c = inputs
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--mode", "leaver", "--leaver", "W1", "--out", str(out))
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out / "allocation.xlsx")["Summary"]
    shares = {row[0].value: row[1].number_format for row in ws.iter_rows(max_col=2)
              if isinstance(row[0].value, str) and row[0].value.endswith("max_utilisation")}
    assert {"max_utilisation", "baseline.max_utilisation"} <= set(shares)
    assert all("%" in fmt for fmt in shares.values()), shares


@pytest.mark.parametrize("option,value,said", [
    ("--reach", "county", "error: option --reach: unknown reach 'county' (allowed: team, locality)"),
    ("--mode", "sideways", "error: option --mode: unknown mode 'sideways'"),
    ("--as-of", "2024-13-01", "error: option --as-of: "),
    ("--mode", "leaver", "error: option --leaver: leaver mode needs at least one --leaver worker ID"),
])
def test_a_bad_option_is_named_as_an_option_not_a_column(inputs, tmp_path, option, value, said):
    """A bad command-line value is named as the option it came from: a planner reading
    "column '--reach'" looks for a column of that name in their tables."""
    w, c = inputs
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), option, value, "--out", str(out))
    assert res.exit_code == 2 and not out.exists()
    assert said in res.output
    assert "column '--" not in res.output


def test_the_help_names_every_file_allocate_writes(inputs, tmp_path):
    """`workforce allocate --help` lists the files it writes: all of them (it left out
    team_summary.csv, existing_issues.csv and allocation_settings.toml, the settings to pass back)."""
    import typer.main

    w, c = inputs
    out = tmp_path / "out"
    assert run("--workers", str(w), "--cases", str(c), "--out", str(out)).exit_code == 0
    doc = " ".join(typer.main.get_command(app).commands["allocate"].help.split())
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert [name for name in written if name not in doc] == []


def _rebalanced_sheet(workers, cases, out, sheet: str):
    """One sheet of the allocation.xlsx a rebalance of `workers` and `cases` writes into `out`."""
    openpyxl = pytest.importorskip("openpyxl")
    res = run("--workers", str(workers), "--cases", str(cases), "--mode", "rebalance", "--out", str(out))
    assert res.exit_code == 0, res.output
    return openpyxl.load_workbook(out / "allocation.xlsx")[sheet]


def test_the_allocations_sheet_gives_each_childs_priority(inputs, tmp_path):
    """A manager sorts the Allocations sheet by priority to see the most vulnerable children's
    workers first: the column is there, noted, with the priority the allocation weighed (the
    cases table's, or by case type where it gives none); allocations.csv carries it too and still
    reads back as the next run's current state (priority included) with nothing changing."""
    w, c = inputs
    out = tmp_path / "out"
    ws = _rebalanced_sheet(w, c, out, "Allocations")
    header = [cell.value for cell in ws[1]]
    col, key = header.index("priority") + 1, header.index("case_id") + 1
    sheet = {ws.cell(r, key).value: ws.cell(r, col).value for r in range(2, ws.max_row + 1)}
    expl = pd.read_csv(out / "explanations.csv", keep_default_na=False).set_index("case_id")["priority"]
    assert sheet == {cid: int(expl[cid]) for cid in sheet}
    assert sheet["C4"] == 1 and sheet["C5"] == 3  # court CP first; a care leaver last (no priority column given)
    assert all(isinstance(v, int) for v in sheet.values())
    assert "most vulnerable children first" in ws.cell(1, col).comment.text
    alloc = pd.read_csv(out / "allocations.csv", keep_default_na=False, dtype=str)
    assert list(alloc.columns[:3]) == ["case_id", "family_id", "priority"]
    cases = pd.read_csv(c, keep_default_na=False, dtype=str).drop(columns="current_worker_id")
    cases = cases.merge(alloc[["case_id", "worker_id", "priority"]], on="case_id", how="left").fillna("")
    again = tmp_path / "again.csv"
    cases.rename(columns={"worker_id": "current_worker_id"}).to_csv(again, index=False)
    res = run("--workers", str(w), "--cases", str(again), "--mode", "rebalance", "--out", str(tmp_path / "out2"))
    assert res.exit_code == 0, res.output
    second = json.loads((tmp_path / "out2" / "summary.json").read_text())
    assert second["handoffs"] == 0 and second["children_losing_worker"] == 0


def test_every_objective_term_on_the_summary_sheet_has_a_note(inputs, tmp_path):
    """The Summary sheet lists the objective by term (terms.continuity, ...): each item carries a
    note saying what the term measures and its weights (the values used) and their basis, taken
    from the objective's table, so a manager can read a figure without the code."""
    from workforce.allocation.config import AllocationConfig
    from workforce.allocation.objective import TERMS

    ws = _rebalanced_sheet(*inputs, tmp_path / "out", "Summary")
    notes = {cell.value: (cell.comment.text if cell.comment else "") for cell in ws["A"]
             if isinstance(cell.value, str) and cell.value.startswith("terms.")}
    assert set(notes) == {f"terms.{t.name}" for t in TERMS}
    config = AllocationConfig()
    for t in TERMS:
        note = notes[f"terms.{t.name}"]
        assert note.startswith(f"the objective's cost of {t.words}"), t.name
        for weight in t.weights:
            assert f"{weight} = " in note, (t.name, weight)
        assert "Basis: [DEFAULT]" in note and "Reads `" not in note
    assert f"continuity_cost = {config.continuity_cost:g};" in notes["terms.continuity"]


def test_every_item_of_the_summary_sheet_has_a_note(tmp_path):
    """Every figure of the Summary sheet's solver result (summary.json's keys, nested ones dotted)
    carries a note saying what it counts, by which definition and where its rows are; a figure
    the headline shows takes the headline's definition, so the two never drift apart. The run
    leaves a worker over a cap (pinned), a family another team of the locality could take, and a
    risk table that misses workers, so the items made per reason, per team and per risk gap are
    there too. A new summary key without a definition fails here."""
    openpyxl = pytest.importorskip("openpyxl")
    from workforce.allocation.explain import OVER_CAP_WORDS
    from workforce.allocation.summary_items import item_notes
    from workforce.indicators import changes_of_worker

    workers = WORKERS.splitlines()[0] + "\n" + "\n".join([
        "W1,A,North,case_holder,no,no,0.2,2015-01-01,,yes", "W3,B,North,case_holder,no,no,1,2016-01-01,,yes",
        "TM,A,North,team_manager,no,no,1,2010-01-01,,yes"]) + "\n"
    cases = "case_id,family_id,case_type,court,locality,team,current_worker_id,workers_12m,pinned\n" + "".join(
        f"P{i},FP{i},cin,no,North,A,W1,1,yes\n" for i in range(6)) + "N1,FN1,cin,no,North,A,,1,no\n"
    w, c, r = tmp_path / "workers.csv", tmp_path / "cases.csv", tmp_path / "risk.csv"
    w.write_text(workers, encoding="utf-8")
    c.write_text(cases, encoding="utf-8")
    r.write_text("worker_id,p_leave\nW1,0.2\nWX,0.5\n", encoding="utf-8")
    out = tmp_path / "out"
    res = run("--workers", str(w), "--cases", str(c), "--risk", str(r), "--out", str(out))
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out / "allocation.xlsx")["Summary"]
    rows = [(a.value, a.comment.text if a.comment else "") for a, in ws.iter_rows(min_col=1, max_col=1)]
    first = next(k for k, (v, _) in enumerate(rows) if v == "item") + 1
    last = next(k for k in range(first, len(rows)) if rows[k][0] is None)
    notes = dict(rows[first:last])
    summary = json.loads((out / "summary.json").read_text())
    for made in ("workers_left_over_a_cap.pinned", "waiting_families_other_teams_could_take.B",
                 "baseline.handoffs", "risk_rows_not_in_workers_ids", "workers_not_in_risk", "terms.continuity"):
        assert made in notes, made
    assert [item for item, note in notes.items() if not note.strip()] == []
    # derived, not written twice: the headline's definition, the over-cap reason's words
    assert changes_of_worker(summary, "Changes").definition in notes["handoffs"] and "changes.csv" in notes["handoffs"]
    assert OVER_CAP_WORDS["pinned"] in notes["workers_left_over_a_cap.pinned"]
    assert "Rows:" not in notes["baseline.handoffs"]  # the sheets hold the allocation returned, not the baseline's
    assert item_notes({"a_figure_defined_nowhere": 1}, []) == {}


def test_summary_notes_on_before_after_and_baseline_counts_say_when_they_count():
    """The note on ``workers_over_capacity_points.before`` used to quote the headline's wording,
    "...than their cap after the allocation (33 before)", so the count before the allocation was
    defined as one after it, and the baseline's count carried the allocation's own before figure.
    Each now says when it counts, in the headline's words for what it counts."""
    from workforce.allocation.explain import OVER_CAP_WORDS
    from workforce.allocation.summary_items import item_notes
    from workforce.indicators import over_hard_cap_definition, workers_over_hard_caps

    summary = {"workers_over_capacity_points": {"before": 33, "after": 10},
               "baseline": {"workers_over_capacity_points": 13},
               "workers_left_over_a_cap": {"no_room": 1}}
    notes = item_notes(summary, workers_over_hard_caps(summary, "Worker loads"))
    before, after = notes["workers_over_capacity_points.before"], notes["workers_over_capacity_points.after"]
    assert "before the allocation" in before and "after the allocation" not in before and "33" not in before
    assert "after the allocation" in after and "33" not in after
    assert over_hard_cap_definition("workers_over_capacity_points", "after its allocation") in \
        notes["baseline.workers_over_capacity_points"]
    assert "33" not in notes["baseline.workers_over_capacity_points"]
    reason = notes["workers_left_over_a_cap.no_room"]
    assert reason.startswith("workers left above a hard cap") and f'"{OVER_CAP_WORDS["no_room"]}"' in reason
    assert "; among" not in reason


def test_team_names_in_the_console_summary_are_printed_as_written(tmp_path):
    """The summary row of waiting families other teams could take names teams from the inputs; the
    table read them as Rich markup, so a team called 'Duty [/] East' stopped the command with
    'internal error: MarkupError' (exit 1, nothing written) and '[bold]' would have vanished."""
    w, c = tmp_path / "workers.csv", tmp_path / "cases.csv"
    w.write_text("worker_id,team,locality,role,asye,agency,fte,start_date,skills,available\n"
                 "N1,A,North,case_holder,yes,no,1,2024-01-01,,yes\n"
                 "W9,Duty [/] East [bold],North,case_holder,no,no,1,2015-01-01,,yes\n", encoding="utf-8")
    c.write_text("case_id,family_id,case_type,court,locality,team,current_worker_id,workers_12m,pinned,excluded_workers\n"
                 "C1,F1,cp,no,North,A,,0,no,\n", encoding="utf-8")
    res = run("--workers", str(w), "--cases", str(c), "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["waiting_families_other_teams_could_take"] == {"Duty [/] East [bold]": 1}
    assert "Duty [/] East [bold]: 1" in " ".join(res.output.split())
