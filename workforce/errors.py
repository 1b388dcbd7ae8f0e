"""Errors for bad input. The CLI turns these into exit code 2 and one clear message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: A value quoted in a message ('...') longer than this is shown by its start and length: a cell
#: pasted 100,000 characters long must not turn one clear line into a screenful.
MAX_QUOTED = 200
SHOWN_OF_LONG = 60
_LONG_QUOTED = re.compile(r"'([^'\n]{%d,})'" % (MAX_QUOTED + 1))


def clip_quoted(text: str) -> str:
    """`text` with every quoted value over :data:`MAX_QUOTED` characters cut to its first
    :data:`SHOWN_OF_LONG`, saying how long it was ('AAAA...' (100,000 characters))."""
    return _LONG_QUOTED.sub(lambda m: f"'{m.group(1)[:SHOWN_OF_LONG]}...' ({len(m.group(1)):,} characters)", text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong and what is allowed."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    allowed: str | None = None
    unit: str = "row"  # what `row` counts: a table's row, or a settings file's "line"

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.row is not None:
            where.append(f"{self.unit} {self.row}")
        if self.column and self.column.startswith("--"):
            # a command-line option, not a table's column ("--reach", "--la/--history"); a message
            # that starts with the option names it already
            if not self.message.startswith(self.column):
                where.append(f"option {self.column}")
        elif self.column and self.column.startswith("["):
            where.append(self.column)  # a settings key, "[run.census] salt", as settings errors name one
        elif self.column:
            where.append(f"column '{self.column}'")
        message = clip_quoted(self.message)
        text = ", ".join(where) + ": " + message if where else message
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return text


class InputError(Exception):
    """Bad input that the user can fix. Carries one or more :class:`Problem`."""

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        allowed: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        if problems is None:
            problems = [Problem(str(file or ""), message or "bad input", row, column, allowed)]
        self.problems = list(problems)
        super().__init__(self.describe())

    def describe(self, limit: int = 50) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problems")
        if len(self.problems) == 1:
            return lines[0]
        return f"{len(self.problems)} problems found:\n" + "\n".join("  " + line for line in lines)


class InputWarning(UserWarning):
    """Plausible input the user should know about (e.g. an assumption left out, so its default is
    used). Library code issues it with :func:`warnings.warn`; the CLI prints it as one line
    starting 'warning: ' on stderr."""
