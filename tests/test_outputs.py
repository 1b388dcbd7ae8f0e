"""All-or-nothing outputs: nothing appears unless the whole command succeeded."""

from __future__ import annotations

import os

import pytest

from workforce.errors import InputError
from workforce.outputs import OutputDir, atomic_path


def test_outputs_appear_only_on_success(tmp_path):
    out = tmp_path / "out"
    with OutputDir(out) as od:
        od.path("a.csv").write_text("a")
        od.path("sub/b.csv").write_text("b")
        assert not out.exists()
    assert (out / "a.csv").read_text() == "a" and (out / "sub" / "b.csv").read_text() == "b"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # staging removed


def test_failure_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with OutputDir(out) as od:
            od.path("a.csv").write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_interrupt_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        with OutputDir(out) as od:
            od.path("a.csv").write_text("half")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_an_input(tmp_path):
    src = tmp_path / "workers.csv"
    src.write_text("keep")
    with pytest.raises(InputError, match="overwrite an input"):
        with OutputDir(tmp_path, inputs=[src], beside_inputs=True) as od:
            od.path("workers.csv")
    assert src.read_text() == "keep"
    with pytest.raises(InputError, match="same path as an input"):
        OutputDir(src, inputs=[src])


def test_output_folder_apart_from_the_inputs(tmp_path):
    """An output folder that holds an input file, or sits in a folder given as an input, is
    refused before anything is written; a subfolder of a file input's folder is fine."""
    src = tmp_path / "data" / "workers.csv"
    src.parent.mkdir()
    src.write_text("keep")
    with pytest.raises(InputError, match="holds the input file workers.csv"):
        OutputDir(src.parent, inputs=[src])
    with pytest.raises(InputError, match="inside the input folder"):
        OutputDir(src.parent / "out", inputs=[src.parent])
    with pytest.raises(InputError, match="is the input folder"):
        OutputDir(src.parent, inputs=[src.parent])
    with OutputDir(src.parent / "out", inputs=[src]) as od:
        od.path("a.csv").write_text("a")
    assert (src.parent / "out" / "a.csv").read_text() == "a"


@pytest.mark.parametrize("below", ["out", "out/deeper"])
def test_an_output_under_a_file_says_it_is_a_file_not_an_unwritable_folder(tmp_path, below):
    (tmp_path / "notes").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder") as err:
        OutputDir(tmp_path / "notes" / below)
    assert "not writable" not in str(err.value) and str(tmp_path / "notes") in str(err.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; permissions cannot be tested")
def test_unwritable_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match="not writable"):
            OutputDir(locked / "out")
    finally:
        locked.chmod(0o700)


def test_output_path_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        OutputDir(f)


def test_atomic_path(tmp_path):
    target = tmp_path / "x.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("new")
        assert not target.exists()
    assert target.read_text() == "new"
    with pytest.raises(ValueError):
        with atomic_path(target) as tmp:
            tmp.write_text("broken")
            raise ValueError
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_folder_on_read_only_filesystem(tmp_path):
    """Even root cannot create files under /proc: the error is an input error, not a crash."""
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc on this system")
    with pytest.raises(InputError, match="output folder"):
        with OutputDir("/proc/workforce-test-out") as od:
            od.path("a.csv").write_text("x")


def test_output_file_is_all_or_nothing_and_never_over_an_input(tmp_path):
    from workforce.outputs import output_file

    src = tmp_path / "history.csv"
    src.write_text("keep")
    with pytest.raises(InputError, match="overwrite an input"):
        with output_file(src, inputs=[src]) as path:
            path.write_text("oops")
    assert src.read_text() == "keep"
    with pytest.raises(RuntimeError):
        with output_file(tmp_path / "report.json") as path:
            path.write_text("half")
            raise RuntimeError
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]
    with output_file(tmp_path / "report.json") as path:
        path.write_text("{}")
    assert (tmp_path / "report.json").read_text() == "{}"


def test_nothing_is_published_once_a_stop_was_requested(tmp_path):
    """A signal whose KeyboardInterrupt is lost (it landed in a finalizer or C code) must still
    stop the outputs appearing: the handler's request_stop() is checked before publishing."""
    from workforce.outputs import request_stop

    out = tmp_path / "out"
    try:
        with pytest.raises(KeyboardInterrupt):
            with OutputDir(out) as od:
                od.path("a.csv").write_text("a")
                request_stop()
        assert list(tmp_path.iterdir()) == []
    finally:
        request_stop(False)
    with OutputDir(out) as od:
        od.path("a.csv").write_text("a")
    assert (out / "a.csv").read_text() == "a"
