"""CSV cells a spreadsheet would run as formulas: marked by the one CSV writer, unmarked by the
readers, so text from inputs never runs in Excel and still round-trips through our own files."""

from __future__ import annotations

import csv
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
