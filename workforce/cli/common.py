"""What every command shares: error handling with honest exit codes, the console, and the
options every command that reads or writes files has (`--dates`, `--force`).

Exit codes: 0 success; 2 bad input or usage; 1 internal failure. No tracebacks for user
errors; set WORKFORCE_DEBUG=1 to see one for an internal failure.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import warnings
from enum import Enum
from typing import Any, Callable, TypeVar

import typer

from workforce.errors import InputError, InputWarning
from workforce.outputs import request_stop

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130

# Set by the signal handler: a C extension interrupted mid-import or mid-call may turn the
# KeyboardInterrupt into another error (e.g. "ImportError: initialization failed").
_interrupted = False


def interrupt(signum: int, frame: object) -> None:
    """SIGINT/SIGTERM handler: unwind like Ctrl-C (staged outputs are removed on the way out)."""
    global _interrupted
    _interrupted = True
    request_stop()  # even if the KeyboardInterrupt below is lost, nothing is published
    raise KeyboardInterrupt


def err(message: str) -> None:
    """Print to stderr (plain text: messages must read well in logs and CI)."""
    print(message, file=sys.stderr, flush=True)


def info(message: str) -> None:
    print(message, flush=True)


class Dates(str, Enum):
    """How to read dates such as 01/04/2025 (ISO 2025-04-01 is always accepted)."""

    uk = "uk"
    us = "us"


def dates_option() -> Any:
    """`--dates uk|us` (or WORKFORCE_DATES): the order of day and month in dates like 01/04/2025.
    A command with a `dates` parameter reads every input under it (see :func:`guarded`)."""
    return typer.Option(Dates.uk, "--dates", envvar="WORKFORCE_DATES", case_sensitive=False,
                        help="How to read dates like 01/04/2025: uk = day first (1 April, the default), "
                             "us = month first (4 January). ISO 2025-04-01 is always accepted.")


def force_option() -> Any:
    """`--force`: replace existing files in the output that workforce did not write, or that
    were changed since (see workforce.outputs)."""
    return typer.Option(False, "--force",
                        help="Replace existing files in the output even if workforce did not write them "
                             "or they were edited since (otherwise such files are never replaced).")


def seconds_limit(value: float | None, option: str = "--time-limit", most: float = 7 * 24 * 3600) -> float | None:
    """A time limit in seconds: a finite number > 0 (at most a week), or None. `nan`, `inf`, 0 and
    negative values are refused as usage errors (exit 2)."""
    if value is None:
        return None
    if not math.isfinite(value) or value <= 0 or value > most:
        raise InputError(f"must be a number of seconds above 0 and at most {most:,.0f}, got {value:g}",
                         column=option)
    return float(value)


def _show_warning(message, category, filename, lineno, file=None, line=None, *, _default=warnings.showwarning):
    if issubclass(category, InputWarning):
        err(f"warning: {message}")
    else:
        _default(message, category, filename, lineno, file, line)


def guarded(func: F) -> F:
    """Run a command: bad input -> exit 2 with the problems; anything unexpected -> exit 1.

    While it runs, dates are read in the order its `dates` option gives (UK when it has none),
    every :class:`InputWarning` is printed as one 'warning: ...' line on stderr, and a command
    with an `out` option holds the lock on that output from start to end, so a second command
    on the same output is refused at once rather than after its work."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from workforce.outputs import output_lock
        from workforce.readers import date_order

        request_stop(False)  # a new command (tests run several in one process)
        try:
            with contextlib.ExitStack() as stack:
                stack.enter_context(warnings.catch_warnings())
                warnings.simplefilter("always", InputWarning)
                warnings.showwarning = _show_warning
                order = kwargs.get("dates")
                stack.enter_context(date_order(order.value if isinstance(order, Enum) else order))
                if kwargs.get("out") is not None:
                    stack.enter_context(output_lock(kwargs["out"]))
                return func(*args, **kwargs)
        except InputError as exc:
            err(f"error: {exc.describe()}")
            raise typer.Exit(EXIT_INPUT) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err("interrupted: no output was written")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except MemoryError:
            err("error: out of memory (is an input far larger than expected?)")
            raise typer.Exit(EXIT_INTERNAL) from None
        except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into exit 1
            if _interrupted:
                err("interrupted: no output was written")
                raise typer.Exit(EXIT_INTERRUPTED) from None
            if os.environ.get("WORKFORCE_DEBUG"):
                raise
            err(f"internal error: {type(exc).__name__}: {exc} (set WORKFORCE_DEBUG=1 for details)")
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]
