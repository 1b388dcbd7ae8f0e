"""The `workforce` command line: a thin layer over the library.

Heavy libraries (pandas, scikit-learn, PuLP) are imported inside the commands so that
`workforce --help` starts fast.
"""

from __future__ import annotations

import signal

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


def main() -> None:
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
