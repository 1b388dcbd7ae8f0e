"""What every command shares: error handling with honest exit codes, and the console.

Exit codes: 0 success; 2 bad input or usage; 1 internal failure. No tracebacks for user
errors; set WORKFORCE_DEBUG=1 to see one for an internal failure.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from typing import Any, Callable, TypeVar

import typer

from workforce.errors import InputError, WorkforceWarning

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
    raise KeyboardInterrupt


def err(message: str) -> None:
    """Print to stderr (plain text: messages must read well in logs and CI)."""
    print(message, file=sys.stderr, flush=True)


def info(message: str) -> None:
    print(message, flush=True)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """The product's own warnings read as `warning: ...` on stderr; others keep Python's form."""
    if issubclass(category, WorkforceWarning):
        err(f"warning: {message}")
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning


def guarded(func: F) -> F:
    """Run a command: bad input -> exit 2 with the problems; anything unexpected -> exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", WorkforceWarning)  # every notice, not once per place
                warnings.showwarning = _show_warning
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
