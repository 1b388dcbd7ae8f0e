"""`workforce benchmark` and `workforce forecast` on bad input: exit 2, the culprit named, nothing written."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workforce.cli import app

FIXTURES = Path(__file__).parent / "data" / "published"
runner = CliRunner()
COMMANDS = {
    "benchmark": ["benchmark", "--la", "333"],
    "forecast": ["forecast", "--until", "2021"],
}


@pytest.fixture(params=sorted(COMMANDS))
def command(request) -> list[str]:
    return list(COMMANDS[request.param])


def _run(args: list[str], out: Path):
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert not out.exists()
    return result.output


def test_unknown_authority_is_named(command, tmp_path):
    args = ["benchmark", "--la", "Atlantis"] if command[0] == "benchmark" else [*command, "--la", "Atlantis"]
    assert "unknown local authority 'Atlantis'" in _run(args, tmp_path / "o")


def test_bad_value_in_a_data_folder_names_file_row_and_column(command, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(FIXTURES, folder)
    rows = list(csv.reader(io.StringIO((folder / "cin.csv").read_bytes().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    i = next(k for k, r in enumerate(body) if int(r[0]) <= 2021)
    body[i][header.index("At31_episodes")] = "12,3x"
    with (folder / "cin.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    output = _run([*command, "--data", str(folder)], tmp_path / "o")
    assert "cin.csv" in output and f"row {i + 2}" in output and "At31_episodes" in output


def test_named_file_of_no_known_layout(command, tmp_path):
    path = tmp_path / "workers.csv"
    path.write_text("worker_id,team\nW1,A\n")
    output = _run([*command, "--data", str(path)], tmp_path / "o")
    assert "workers.csv" in output and "expected" in output and "csww_indicators" in output


def test_missing_data_folder(command, tmp_path):
    assert "not found" in _run([*command, "--data", str(tmp_path / "nowhere")], tmp_path / "o")


def test_benchmark_of_the_workforce_file_alone_says_what_is_not_published(tmp_path):
    # an indicator no file given holds has no year (pd.NA): the summary says "none published"
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(FIXTURES / "workforce.csv", folder / "workforce.csv")
    result = runner.invoke(app, ["benchmark", "--la", "333", "--data", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "Children looked after" in result.output and "none published" in result.output


@pytest.mark.parametrize("data", [None, FIXTURES])
def test_forecast_until_before_every_figure_is_refused_naming_until(tmp_path, data):
    args = ["forecast", "--until", "1850"] + (["--data", str(data)] if data else [])
    output = _run(args, tmp_path / "o")
    assert "--until" in output and "no published figures up to 1850" in output
