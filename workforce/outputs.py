"""Writing outputs safely: all or nothing, and never over an input.

`OutputDir` stages every file of a command in a hidden folder beside the target and moves
them in only when the whole command succeeded, so an error or Ctrl-C leaves no half-written
file. `atomic_path` does the same for a single file (temporary name, then rename).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from workforce.errors import InputError


def _resolved(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it onto `path`, else delete it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes files private (0600); outputs get the usual permissions (umask applies).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_writable_folder(target: Path) -> None:
    """The target must be a folder (or not exist yet) whose parent we may write in."""
    if target.exists() and not target.is_dir():
        raise InputError("output path exists and is not a folder", file=target)
    probe = target if target.exists() else target.parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError("output folder is not writable", file=probe)


class OutputDir:
    """Stage a command's outputs and publish them together.

    Usage::

        with OutputDir(out, inputs=[workers_path]) as od:
            frame.to_csv(od.path("allocations.csv"))

    Files appear in `out` only when the block finishes without an exception. An output whose
    name would land on one of `inputs` is refused before anything is written.
    """

    def __init__(self, target: str | Path, *, inputs: Iterable[str | Path] = ()) -> None:
        self.target = Path(target)
        self._inputs = {_resolved(p) for p in inputs}
        self._stage: Path | None = None
        self.written: list[Path] = []
        resolved = _resolved(self.target)
        if resolved in self._inputs:
            raise InputError("output folder is the same path as an input file", file=self.target)
        check_writable_folder(self.target)

    def __enter__(self) -> "OutputDir":
        # Stage inside the target when it exists (it is writable; its parent may not be, e.g.
        # `--out risk.csv` run from a home folder), else beside it: same filesystem either way.
        target = _resolved(self.target)
        parent = target if target.is_dir() else target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._stage = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.staging-", dir=parent))
        except OSError as exc:
            raise InputError(f"cannot create output folder ({exc.strerror or exc})", file=self.target) from None
        return self

    def path(self, name: str) -> Path:
        """Where to write output `name` (a relative path) while staging."""
        if self._stage is None:
            raise RuntimeError("OutputDir.path() used outside its with-block")
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"output name must be relative: {name}")
        final = _resolved(self.target / rel)
        if final in self._inputs:
            raise InputError(f"output '{rel}' would overwrite an input file", file=final)
        if final.is_dir():
            raise InputError(f"output '{rel}' cannot be written: a folder of that name is in the way", file=final)
        staged = self._stage / rel
        staged.parent.mkdir(parents=True, exist_ok=True)
        return staged

    def final_path(self, name: str) -> Path:
        """Where output `name` will be once published."""
        return self.target / name

    def __exit__(self, exc_type, exc, tb) -> None:
        stage = self._stage
        self._stage = None
        if stage is None:
            return
        try:
            if exc_type is None:
                self._publish(stage)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _publish(self, stage: Path) -> None:
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        # Check every destination before moving the first file, so publishing is all or nothing.
        for src in files:
            dest = self.target / src.relative_to(stage)
            if dest.is_dir():
                raise InputError("output cannot be written: a folder of that name is in the way", file=dest)
            for folder in dest.parents:
                if folder == self.target or self.target not in folder.parents:
                    break
                if folder.exists() and not folder.is_dir():
                    raise InputError("output cannot be written: a file is where a folder should be", file=folder)
        self.target.mkdir(parents=True, exist_ok=True)
        for src in files:
            rel = src.relative_to(stage)
            dest = self.target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
            self.written.append(dest)


@contextlib.contextmanager
def output_file(path: str | Path, *, inputs: Iterable[str | Path] = ()) -> Iterator[Path]:
    """One output file with OutputDir's guarantees: never over an input, nothing on failure."""
    path = Path(path)
    with OutputDir(path.parent if str(path.parent) else Path("."), inputs=inputs) as od:
        yield od.path(path.name)
