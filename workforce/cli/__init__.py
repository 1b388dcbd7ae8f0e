"""The `workforce` command line: a thin layer over the library.

Heavy libraries (pandas, scikit-learn, PuLP) are imported inside the commands so that
`workforce --help` starts fast.
"""

from __future__ import annotations

import os
import signal
from typing import MutableMapping

import typer

from workforce import __version__
from workforce.cli import (allocate, benchmark, census, churn, demand, explain, forecast, foundation, plan,
                           template)
from workforce.cli.common import interrupt

app = typer.Typer(
    name="workforce",
    help="Workforce planning and retention optimiser for children's social care.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"workforce {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Allocate cases, predict leavers, plan the workforce; read and write Excel."""


for _module in (foundation, allocate, explain, churn, census, plan, demand, template, benchmark, forecast):
    _module.register(app)


#: The environment variables that size the numerical libraries' thread pools (OpenMP, OpenBLAS,
#: MKL). Read once, when numpy first loads.
NUMERIC_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_numeric_thread(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Set each of `NUMERIC_THREAD_VARIABLES` the user has not set to 1; return those set.

    The models fit many small matrices, where a BLAS thread pool spends more time handing work
    between threads than doing it: training the demo's churn model took 28 s on 2 cores with the
    libraries' default threads and 8 s with one (1 December 2026). A user's own setting stands.
    Must run before numpy is imported, as the commands import it lazily; the solver's threads are
    the allocation's own setting (`threads`).
    """
    unset = [name for name in NUMERIC_THREAD_VARIABLES if not environ.get(name)]
    for name in unset:
        environ[name] = "1"
    return unset


def main() -> None:
    one_numeric_thread()
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        app()
    except SystemExit as exc:
        code = exc.code
        # click reports usage errors with exit 2 already; keep it.
        raise SystemExit(code if isinstance(code, int) else (0 if code is None else 1)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
