"""CSV cells a spreadsheet would run as formulas: marked by the one CSV writer, unmarked by the
readers, so text from inputs never runs in Excel and still round-trips through our own files."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from workforce.cli import app
from workforce.contracts import load_risk
from workforce.csvcells import FORMULA_START, mark, needs_mark, unmark, write_csv
from workforce.pipeline import read_explanations
from workforce.readers import read_csv

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TRICKY = ["=1+1", "+44 20", "-W0001+1", "@SUM(A1)", "\tTab", "\rCR", "'=A1", "''@x", "'North", "O'Brien", "plain",
          "-", "=", ""]


def _formula_cells(folder: Path) -> list[tuple[str, str]]:
    """Cells a spreadsheet would run: starting with a formula character and not a number."""
    found = []
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                found += [(path.name, v) for v in row if v.startswith(FORMULA_START) and not _is_number(v)]
    return found


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_marking_round_trips_and_leaves_numbers_alone(tmp_path):
    for value in TRICKY:
        assert unmark(mark(value)) == value, value
        assert not mark(value).startswith(FORMULA_START), value
    for number in ("-3", "+0.5", "-1e-3", "-.25", "12"):
        assert not needs_mark(number) and mark(number) == number
    texts = [v for v in TRICKY if v != "\rCR"]  # the table reader ends a row at a carriage return, quoted or not
    frame = pd.DataFrame({"text": texts, "n": np.arange(len(texts)) - 5.5})
    path = tmp_path / "t.csv"
    write_csv(frame, path, index=False)
    assert _formula_cells(tmp_path) == []
    read = read_csv(path)  # every table reader goes through it
    assert read["text"].tolist() == texts
    numbers = pd.DataFrame({"n": [-5.5, 2.0], "i": pd.array([-7, 3], dtype="Int64"), "t": ["-7", "-0.5"]})
    write_csv(numbers, tmp_path / "numbers.csv", index=False)
    assert (tmp_path / "numbers.csv").read_text().splitlines()[1:] == ["-5.5,-7,-7", "2.0,3,-0.5"]  # still numbers


def test_allocation_outputs_carry_no_formula_and_read_back_as_written(tmp_path):
    """A team named '=1+1' and a worker ID '-W0001+1' from the inputs ran as formulas when the
    planner opened allocations.csv in Excel; they are text now, and the files still read back
    (allocations.csv as cases, explanations.csv for `workforce explain`) with the inputs' values."""
    source = tmp_path / "in"
    source.mkdir()
    for name in ("workers.csv", "cases.csv"):
        text = (EXAMPLES / name).read_text(encoding="utf-8").replace("North Assessment", "=1+1")
        (source / name).write_text(text.replace("W0001,", "-W0001+1,"), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["allocate", "-w", str(source / "workers.csv"), "-c", str(source / "cases.csv"),
                                      "-o", str(out), "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    assert _formula_cells(out) == []
    assert "-W0001+1" in set(read_csv(out / "allocations.csv")["worker_id"])
    loads = read_csv(out / "worker_loads.csv")
    assert "=1+1" in set(loads["team"]) and "-W0001+1" in set(loads["worker_id"])
    explanations = read_explanations(out)
    assert "-W0001+1" in set(explanations["worker_id"])
    risk = tmp_path / "risk.csv"
    write_csv(pd.DataFrame({"worker_id": ["-W0001+1", "W0002"], "p_leave": [0.2, 0.1]}), risk, index=False)
    assert load_risk(risk)["worker_id"].tolist() == ["-W0001+1", "W0002"]


#: Formula-like names put into the demo authority: a team, a locality, worker IDs (one that is a
#: plain number, which stays unmarked) and a case ID.
RENAMES = {"North Assessment": "-North Assessment", "North Safeguarding": '=HYPERLINK("http://x","y")',
           "South": "@South", "W0001": "+44 W1", "W0003": "-W3", "W0004": "+44"}


def _renamed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(lambda v: RENAMES.get(v, v) if isinstance(v, str) else v)
    return out


def test_every_table_read_back_as_an_input_reads_as_the_file_without_marks(tmp_path):
    """Per file a command writes and another reads: the marked file holds no formula cell and is
    read exactly as the same table written without marks (plain pandas) is: text, numbers (negative
    ones in the fairness audit), dates and empty cells alike. The demo's workers, cases,
    hr_history and establishment (read as `workforce run` reads an authority's), an allocation's
    allocations.csv (as the next cases), explanations.csv (`workforce explain`), risk.csv
    (`--risk`) and the model's fairness.csv (`churn score`)."""
    from workforce.allocation import allocate
    from workforce.contracts import load_cases, load_establishment, load_hr_history, load_workers, to_csv_frame
    from workforce.demo import generate_authority, write_authority
    from workforce.outputs import OutputDir
    from workforce.pipeline import write_allocation_files
    from workforce.retention.fairness import audit
    from workforce.retention.persistence import read_fairness

    demo = generate_authority(seed=0, scale=0.25)
    tables = {name: _renamed(getattr(demo, name)) for name in ("workers", "cases", "hr_history", "establishment")}
    marked, plain = tmp_path / "marked", tmp_path / "plain"
    write_authority(replace(demo, **tables), marked, xlsx=False)
    plain.mkdir()
    for name, frame in tables.items():
        (to_csv_frame(frame) if name != "establishment" else frame).to_csv(plain / f"{name}.csv", index=False)
    assert _formula_cells(marked) == []
    assert (marked / "workers.csv").read_text().count("'-North Assessment") > 0
    for name, load in (("workers", load_workers), ("hr_history", load_hr_history),
                       ("establishment", load_establishment)):
        pd.testing.assert_frame_equal(load(marked / f"{name}.csv"), load(plain / f"{name}.csv"), obj=name)
    workers = load_workers(marked / "workers.csv")
    assert {"+44 W1", "-W3", "+44"} <= set(workers["worker_id"]) and "@South" in set(workers["locality"])
    cases = load_cases(marked / "cases.csv", workers)
    pd.testing.assert_frame_equal(cases, load_cases(plain / "cases.csv", workers), obj="cases")

    result = allocate(workers, cases, mode="rebalance")
    out = tmp_path / "alloc"
    with OutputDir(out) as od:
        write_allocation_files(od, result, inputs=[])
    assert _formula_cells(out) == []
    result.explanations.to_csv(plain / "explanations.csv", index=False, date_format="%Y-%m-%d")
    pd.testing.assert_frame_equal(read_explanations(out), read_explanations(plain), obj="explanations")
    nxt = cases.drop(columns="current_worker_id").merge(
        read_csv(out / "allocations.csv")[["case_id", "worker_id"]].rename(columns={"worker_id": "current_worker_id"}),
        on="case_id", how="left")
    assert nxt["current_worker_id"].fillna("").isin({"", *workers["worker_id"]}).all()
    assert {"+44 W1", "-W3", "+44"} & set(nxt["current_worker_id"])

    risk = pd.DataFrame({"worker_id": workers["worker_id"], "p_leave": np.linspace(0.05, 0.6, len(workers))})
    write_csv(risk, tmp_path / "risk.csv", index=False, float_format="%.6g")
    risk.to_csv(plain / "risk.csv", index=False, float_format="%.6g")
    pd.testing.assert_frame_equal(load_risk(tmp_path / "risk.csv"), load_risk(plain / "risk.csv"), obj="risk")

    history = load_hr_history(marked / "hr_history.csv")
    scored = history.assign(p_leave=np.linspace(0.0, 0.5, len(history)),
                            gender=np.where(np.arange(len(history)) % 2, "-x", "=y"))
    fairness = audit(scored, y_col=None)
    assert (fairness["risk_gap"] < 0).any() and set(fairness["group"]) >= {"-x", "=y"}
    write_csv(fairness, tmp_path / "fairness.csv", index=False, float_format="%.6g")
    fairness.to_csv(plain / "fairness.csv", index=False, float_format="%.6g")
    assert _formula_cells(tmp_path) == []
    pd.testing.assert_frame_equal(read_fairness(tmp_path / "fairness.csv"), read_fairness(plain / "fairness.csv"))


def test_the_demos_establishment_is_read_as_an_authoritys(tmp_path):
    """run_demo read its establishment.csv with plain pandas, the one table of its inputs not read
    as an authority's: a team written '-North' (marked "'-North") came back with the mark and
    matched none of the workers' teams."""
    from workforce.contracts import load_establishment
    from workforce.pipeline import demo_establishment

    funded = pd.DataFrame({"team": ["-North", "=South"], "team_type": ["assessment", "safeguarding"],
                           "locality": ["North", "South"], "role": ["case_holder", "case_holder"],
                           "funded_fte": [4.5, 3.0]})
    write_csv(funded, tmp_path / "establishment.csv", index=False)
    read = demo_establishment(tmp_path)
    assert read["team"].tolist() == ["-North", "=South"]
    pd.testing.assert_frame_equal(read, load_establishment(tmp_path / "establishment.csv"))
    assert demo_establishment(tmp_path / "none") is None


def test_every_formula_start_is_marked_after_any_marks():
    """What is marked is FORMULA_START itself (the pattern is built from it), so the characters a
    spreadsheet runs are listed once."""
    for start in FORMULA_START:
        for marks in ("", "'", "''"):
            assert needs_mark(f"{marks}{start}x"), repr(marks + start)
    assert not any(needs_mark(v) for v in ("x=1", " =1", "'x", "North", "-3", "+0.5"))


def test_no_command_writes_a_csv_past_write_csv():
    """Every CSV a command writes goes through write_csv: a pandas to_csv elsewhere in the package
    would put input text back into a file as a formula. Only csvcells itself and the bundled
    published data (package data, built by tools/build_dfe_bundle.py) call it."""
    import re

    package = Path(__file__).resolve().parents[1] / "workforce"
    allowed = {package / "csvcells.py", package / "published" / "bundle.py"}
    found = [f"{p.relative_to(package)}:{n}" for p in sorted(package.rglob("*.py")) if p not in allowed
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(", line) and not line.lstrip().startswith("#")]
    assert found == []


def test_text_that_is_a_number_but_for_spaces_reads_back_as_any_cell_does(tmp_path):
    """'-3 ' is not a plain number, so it is marked ("'-3 "); the table reader took the spaces off
    before looking for the mark, found "'-3" (a mark before a number, which write_csv never
    puts) and kept it. It reads back as the unmarked cell does: spaces at the ends taken off."""
    texts = ["-3 ", "+0.5\t", " -North ", "=1 "]
    write_csv(pd.DataFrame({"t": texts}), tmp_path / "marked.csv", index=False)
    pd.DataFrame({"t": texts}).to_csv(tmp_path / "plain.csv", index=False)
    assert read_csv(tmp_path / "marked.csv")["t"].tolist() == read_csv(tmp_path / "plain.csv")["t"].tolist() \
        == ["-3", "+0.5", "-North", "=1"]
