"""Writing outputs safely: all or nothing, never over an input, never over someone's work.

`OutputDir` stages every file of a command in a hidden folder beside the target and moves
them in only when the whole command succeeded, so an error or Ctrl-C leaves no half-written
file. `atomic_path` does the same for a single file (temporary name, then rename).

The rules a user can rely on (README, "Outputs"):

* **Never over an input**: an output that would land on an input file is refused, and so is an
  output folder that is an input's own folder, or inside a folder given as an input (outputs
  would mix with the inputs). Single-file outputs (`churn score --out risk.csv`) may sit beside
  their inputs.
* **Never over someone's work**: a command replaces a file only if the product wrote it there
  last time and nobody has changed it since (a hidden manifest, `.workforce-outputs.json`, keeps
  each output's checksum). Anything else, such as a file the user made, or an output they
  edited, is refused with the list of files, unless `--force`. Files the command does not write
  are never touched. Templates are never replaced without `--force`, edited or not.
* **One writer at a time**: a lock file beside the output folder refuses a second command on
  the same output while the first runs, naming its process and start time. The lock is held
  by the operating system (``flock``), so a lock left by a process that died is taken over.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from workforce.errors import InputError

MANIFEST = ".workforce-outputs.json"
LOCK_SUFFIX = ".workforce-lock"

try:  # POSIX: an advisory lock the kernel drops when its holder dies
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None


_stop_requested = False


def request_stop(requested: bool = True) -> None:
    """Called by the command line's signal handler (Ctrl-C, kill): from then on no OutputDir
    publishes, even if the KeyboardInterrupt the handler raised was lost (a signal that lands in
    a finalizer or in C code is reported as 'ignored' and the run would carry on to the end)."""
    global _stop_requested
    _stop_requested = requested


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
    if not probe.is_dir():
        # out/x under a file 'out': it is not a folder that refuses writing, there is no folder
        raise InputError(f"is a file, not a folder, so the output folder {target} cannot be made in it", file=probe)
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError("output folder is not writable", file=probe)


def check_apart_from_inputs(target: str | Path, inputs: Iterable[str | Path]) -> None:
    """An output folder must not be an input's own folder, nor inside a folder given as an input:
    outputs written there mix with the inputs (a later run or a folder scan would read them)."""
    out = _resolved(target)
    for raw in inputs:
        given = _resolved(raw)
        if given.is_dir():
            if out == given or given in out.parents:
                where = "is the input folder" if out == given else "is inside the input folder"
                raise InputError(f"output folder {where} {raw}: write the outputs to a folder of their own",
                                 file=target)
        elif out == given.parent:
            raise InputError(f"output folder holds the input file {Path(raw).name}: write the outputs to a "
                             "folder of their own (a new folder, or a subfolder such as "
                             f"{Path(target) / 'out'})", file=target)


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, str]:
    """The outputs this product wrote in `folder` last time: relative path -> SHA-256."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = data.get("files", {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _write_manifest(folder: Path, files: dict[str, str]) -> None:
    text = json.dumps({"about": "files written here by workforce, with their SHA-256; a file listed with an "
                                "unchanged checksum may be replaced by the next run, any other needs --force",
                       "files": dict(sorted(files.items()))}, indent=1) + "\n"
    with atomic_path(folder / MANIFEST) as tmp:
        tmp.write_text(text, encoding="utf-8")


# -------------------------------------------------------------------------------------- lock


def lock_path(target: str | Path) -> Path:
    """Where the lock for output `target` lives: beside it in its parent folder (the same place
    whether or not the target exists yet), or inside it when only the target is writable."""
    target = _resolved(target)
    if target.is_dir() and not os.access(target.parent, os.W_OK | os.X_OK):
        return target / LOCK_SUFFIX
    return target.parent / f".{target.name}{LOCK_SUFFIX}"


def _try_lock(fd: int) -> bool:
    if _fcntl is not None:
        try:
            _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
            return True
        except OSError:
            return False
    import msvcrt  # pragma: no cover - Windows: a byte-range lock, also dropped when its holder dies

    try:  # pragma: no cover
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except OSError:  # pragma: no cover
        return False


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        started = datetime.fromisoformat(info["started"])
        return (f"process {info['pid']} on {info['host']}, started {started:%H:%M:%S} on "
                f"{started.day} {started:%B %Y} (UTC)")
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that is just starting"


_held: dict[Path, int] = {}  # locks this process holds, so that holding one again nests


@contextlib.contextmanager
def output_lock(target: str | Path) -> Iterator[Path | None]:
    """Hold the lock on output `target` for the block; a second holder is refused at once with
    an InputError naming the first (process ID, host and start time).

    The lock is an ``flock`` on a small file beside the target: the kernel releases it when
    the holder exits or dies, so a lock file left behind by a killed process is simply taken
    over. The file is removed on release. Within one process the lock nests (a command holds
    it for its whole run; the OutputDir that writes its files takes it again). When the
    target's folder does not exist yet nothing is locked (yields None): OutputDir creates the
    folder and then locks."""
    path = lock_path(target)
    if path in _held:
        _held[path] += 1
        try:
            yield path
        finally:
            _held[path] -= 1
            if not _held[path]:
                del _held[path]
        return
    if not path.parent.is_dir():
        yield None
        return
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"cannot create output folder ({exc.strerror or exc})", file=target) from None
        if not _try_lock(fd):
            os.close(fd)
            raise InputError(f"another workforce command is writing to this output now ({_holder(path)}): "
                             "wait for it to finish, or choose another --out", file=target)
        # The previous holder may have removed the file between our open and lock: then we hold a
        # lock on a file nobody else can see, so start again on the path's current file.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        _held[path] = 1
        yield path
    finally:
        _held.pop(path, None)
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


# ----------------------------------------------------------------------------------- outputs


class OutputDir:
    """Stage a command's outputs and publish them together.

    Usage::

        with OutputDir(out, inputs=[workers_path]) as od:
            write_csv(frame, od.path("allocations.csv"), index=False)  # workforce.csvcells

    Files appear in `out` only when the block finishes without an exception. Refused before
    anything is written: `out` is an input, an input's folder or inside an input folder (unless
    `beside_inputs`: a single named output file may sit beside its inputs), an output would
    land on an input, or another command holds the lock on `out`. Refused when publishing: an
    existing file would be replaced that is not this product's own unchanged output (with
    `replace_own=False`, any existing file), unless `force`.
    """

    def __init__(self, target: str | Path, *, inputs: Iterable[str | Path] = (), force: bool = False,
                 beside_inputs: bool = False, replace_own: bool = True) -> None:
        self.target = Path(target)
        inputs = list(inputs)
        self._inputs = {_resolved(p) for p in inputs}
        self.force = force
        self.replace_own = replace_own
        self._stage: Path | None = None
        self._lock: contextlib.ExitStack | None = None
        self.written: list[Path] = []
        resolved = _resolved(self.target)
        if resolved in self._inputs and not resolved.is_dir():
            raise InputError("output folder is the same path as an input file", file=self.target)
        if not beside_inputs:
            check_apart_from_inputs(self.target, inputs)
        check_writable_folder(self.target)

    def __enter__(self) -> "OutputDir":
        # Stage inside the target when it exists (it is writable; its parent may not be, e.g.
        # `--out risk.csv` run from a home folder), else beside it: same filesystem either way.
        target = _resolved(self.target)
        parent = target if target.is_dir() else target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create output folder ({exc.strerror or exc})", file=self.target) from None
        stack = contextlib.ExitStack()
        stack.enter_context(output_lock(self.target))
        try:
            self._stage = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.staging-", dir=parent))
        except OSError as exc:
            stack.close()
            raise InputError(f"cannot create output folder ({exc.strerror or exc})", file=self.target) from None
        self._lock = stack
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
        try:
            if stage is not None:
                try:
                    if exc_type is None:
                        if _stop_requested:
                            raise KeyboardInterrupt
                        self._publish(stage)
                finally:
                    shutil.rmtree(stage, ignore_errors=True)
        finally:
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    def _check_replaceable(self, rels: list[Path]) -> None:
        """Refuse to replace files that may hold someone's work (see the module docstring)."""
        existing = [rel for rel in rels if (self.target / rel).is_file()]
        if self.force or not existing:
            return
        own = read_manifest(self.target) if self.replace_own else {}
        blocked = [rel for rel in existing if own.get(rel.as_posix()) != file_digest(self.target / rel)]
        if not blocked:
            return
        one = len(blocked) == 1
        if self.replace_own:  # each file with its own reason: an output edited since, or someone's file
            shown = [f"{rel.as_posix()}: " + ("changed since workforce wrote it" if rel.as_posix() in own
                                               else "workforce did not write it") for rel in blocked[:8]]
            names, why = "; ".join(shown), ("it may hold your work" if one else "they may hold your work")
        else:
            names, why = ", ".join(rel.as_posix() for rel in blocked[:8]), ("it may hold your work" if one
                                                                              else "they may hold your work")
        names += f" and {len(blocked) - 8} more" if len(blocked) > 8 else ""
        raise InputError(f"would replace {len(blocked)} existing file{'' if one else 's'} ({names}): {why}; choose a "
                         f"new folder for --out, or pass --force to replace {'it' if one else 'them'}", file=self.target)

    def check_publishable(self) -> None:
        """Raise the InputError publishing would raise, without publishing: lets several
        OutputDirs (outputs in different folders) be checked before any of them is published."""
        if self._stage is None:
            raise RuntimeError("OutputDir.check_publishable() used outside its with-block")
        self._check_destinations(sorted(p.relative_to(self._stage) for p in self._stage.rglob("*") if p.is_file()))

    def _check_destinations(self, rels: list[Path]) -> None:
        """Every destination can take its file and may be replaced (see the module docstring)."""
        for rel in rels:
            dest = self.target / rel
            if dest.is_dir():
                raise InputError("output cannot be written: a folder of that name is in the way", file=dest)
            for folder in dest.parents:
                if folder == self.target or self.target not in folder.parents:
                    break
                if folder.exists() and not folder.is_dir():
                    raise InputError("output cannot be written: a file is where a folder should be", file=folder)
        self._check_replaceable(rels)

    def _publish(self, stage: Path) -> None:
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        rels = [src.relative_to(stage) for src in files]
        # Check every destination before moving the first file, so publishing is all or nothing.
        self._check_destinations(rels)
        digests = {rel.as_posix(): file_digest(src) for rel, src in zip(rels, files)} if self.replace_own else {}
        self.target.mkdir(parents=True, exist_ok=True)
        for src, rel in zip(files, rels):
            dest = self.target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
            self.written.append(dest)
        if self.replace_own:
            kept = {rel: digest for rel, digest in read_manifest(self.target).items()
                    if rel not in digests and (self.target / rel).is_file()}
            _write_manifest(self.target, {**kept, **digests})


@contextlib.contextmanager
def output_file(path: str | Path, *, inputs: Iterable[str | Path] = (), force: bool = False) -> Iterator[Path]:
    """One output file with OutputDir's guarantees: never over an input or someone's work,
    nothing on failure. It may sit in the same folder as its inputs."""
    path = Path(path)
    with OutputDir(path.parent if str(path.parent) else Path("."), inputs=inputs, force=force,
                   beside_inputs=True) as od:
        yield od.path(path.name)


def check_distinct_outputs(paths: list[Path], options: list[str]) -> None:
    """Two outputs of one command on the same path would leave one of them lost (the second
    overwrites the first): refused, naming both options."""
    seen: dict[Path, str] = {}
    for path, option in zip(paths, options):
        key = _resolved(path)
        if key in seen:
            raise InputError(f"{option} is the same file as {seen[key]}: give each output its own name", file=path)
        seen[key] = option


@contextlib.contextmanager
def output_files(paths: list[str | Path], options: list[str], *, inputs: Iterable[str | Path] = (),
                 force: bool = False) -> Iterator[list[Path]]:
    """Several output files, each with :func:`output_file`'s guarantees, published together:
    all or none, even in different folders. Yields where to write each (in `paths` order).

    Every destination is checked (a folder in the way, a file that is not this product's own
    output) before the first is published, so a run that fails writes nothing. `options`
    names each path for messages (``--out``, ``--problems``)."""
    paths = [Path(p) for p in paths]
    check_distinct_outputs(paths, options)
    with contextlib.ExitStack() as stack:
        folders: dict[Path, OutputDir] = {}
        staged = []
        for path in paths:
            folder = path.parent if str(path.parent) else Path(".")
            key = _resolved(folder)
            if key not in folders:
                folders[key] = stack.enter_context(OutputDir(folder, inputs=inputs, force=force, beside_inputs=True))
            staged.append(folders[key].path(path.name))
        yield staged
        for od in folders.values():
            od.check_publishable()
