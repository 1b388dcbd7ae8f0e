"""Problems found in census returns, and the table the user reads.

One :class:`CensusProblem` per thing to fix: which file, which worker record (by position in
the file, the line it starts on and a salted pseudonym, never the SWE number or a birth date),
which element and
field, what is wrong and a plain-English fix. Severities: ``error`` (the return breaks its
year's schema or a DfE data-quality rule, or the import could not use a record) and
``warning`` (the header disagrees with itself or with the file name, or the returns of one
import do not belong together). A value from the return appears in a message only as
:func:`value_shown` allows (census codes and plain numbers; anything else is described).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

import pandas as pd

from workforce.errors import Problem

ERROR = "error"
WARNING = "warning"

#: Columns of the problems table, in order.
PROBLEM_COLUMNS = ("file", "year", "severity", "check", "position", "line", "worker", "element", "field", "message", "fix")

#: Fields whose values are personal data and are never repeated in a message.
PERSONAL_FIELDS = frozenset({"SWENo", "PersonBirthDate"})

#: The shape of a code of a census code list (``7``, ``M``, ``WBRI``, ``SIC``): upper-case letters
#: and digits. A name in capitals (``KHAN``) has it too, so letters are quoted only when they are
#: a census code (:func:`_is_code`).
_CODE = re.compile(r"[A-Z0-9]{1,4}")
#: A plain number: a whole number of at most five digits, or one with a decimal part.
_NUMBER = re.compile(r"[-+]?(?:\d{1,5}|\d*\.\d{1,10})")
#: Two letters then digits anywhere: a SWE number, or part of one.
_SWE_LIKE = re.compile(r"[A-Za-z]{2}\s*\d{2,}")
#: Three groups of digits with separators, or eight digits: a date in any common form.
_DATE_LIKE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}|\d{8}")


def _is_code(text: str) -> bool:
    """`text` is a census code: digits of a code's shape, or letters that some code list of the
    census schemas holds (``WBRI``, ``M``, ``SIC``), not merely a short word in capitals."""
    from workforce.census.schema import census_codes  # the schema module imports this one

    return bool(_CODE.fullmatch(text)) and (text.isdigit() or text in census_codes())


def value_shown(field: str, text: str) -> str:
    """How a field's value appears in a problem message: quoted (`` '7'``) when it is a census
    code or a plain number, otherwise described without being repeated (`` (text of 34
    characters, not shown)``); "" for a SWE number or a birth date field.

    Problem reports are printed and passed to other teams, and a value in the wrong field (a
    column shifted in an export) can be a name, a SWE number or a birth date. A code or a
    number of a few digits cannot identify anyone and helps find the mistake; anything else is
    only described. Nothing that looks like a SWE number or a date is ever quoted, text with a
    space (a name is two words) is never a code or a number, and a short word in capitals
    (``KHAN``, ``LEE``) is quoted only if it is a code of the census (:func:`_is_code`).
    """
    if field in PERSONAL_FIELDS:
        return ""
    text = text.strip()
    if not text:
        return " (empty)"
    if _SWE_LIKE.search(text):
        kind = "something like a SWE number"
    elif _DATE_LIKE.search(text):
        kind = "a date"
    elif _is_code(text) or (_NUMBER.fullmatch(text) and len(text) <= 12):
        return f" '{text}'"
    elif re.fullmatch(r"[-+]?\d+", text):
        kind = f"a number of {len(text.lstrip('+-'))} digits"
    else:
        kind = f"text of {len(text)} characters"
    return f" ({kind}, not shown)"


@dataclass(frozen=True)
class CensusProblem:
    """One problem in one return.

    Attributes
    ----------
    file : str
        File name of the return.
    severity : str
        ``error`` or ``warning``.
    check : str
        What found it: ``xml``, ``schema``, ``header``, ``import`` or the name of a DfE rule.
    message : str
        What is wrong (never a SWE number or a birth date).
    fix : str
        What to do about it, in plain English.
    position : int or None
        The `CSWWWorker` record's number in the file (1 = first); None for the header.
    element : str
        Where: ``CSWWWorker`` or a header path such as ``Header/CollectionDetails/Year``.
    field : str
        The field (element name) concerned, "" when the whole record or file is.
    year : int or None
        The collection year whose schema and rules were applied.
    line : int or None
        The line of the file where the record (or the header element) starts, to find it in the
        source; None when not known.
    """

    file: str
    severity: str
    check: str
    message: str
    fix: str
    position: int | None = None
    element: str = ""
    field: str = ""
    year: int | None = None
    line: int | None = None

    def as_problem(self) -> Problem:
        """The project's generic :class:`~workforce.errors.Problem` (for InputError), its row the line."""
        where = f"record {self.position}" if self.position is not None else self.element
        column = self.field or (self.element if self.position is None else None)
        message = f"{where}: {self.message}" if where else self.message
        if self.fix:  # an instruction, said as `census check` says it (not as the values "allowed")
            message += f". Fix: {self.fix}"
        return Problem(self.file, message, self.line, column or None, None, unit="line")


def problems_frame(problems: Iterable[CensusProblem], workers: Mapping[tuple[str, int], str] | None = None) -> pd.DataFrame:
    """The problems table: one row per problem, columns :data:`PROBLEM_COLUMNS`.

    `workers` maps (file name, position) to the record's pseudonymous worker ID. Rows are
    sorted by file, position (header problems first) and field.
    """
    workers = workers or {}
    rows = []
    for p in problems:
        row = asdict(p)
        row["worker"] = workers.get((p.file, p.position), "") if p.position is not None else ""
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))
    if frame.empty:
        return frame.astype({"position": "Int64", "line": "Int64", "year": "Int64"})
    frame["position"] = frame["position"].astype("Int64")
    frame["line"] = frame["line"].astype("Int64")
    frame["year"] = frame["year"].astype("Int64")
    order = frame.assign(_p=frame["position"].fillna(0)).sort_values(["file", "_p", "field", "check"], kind="stable")
    return order.drop(columns="_p").reset_index(drop=True)


def count_by_severity(problems: Iterable[CensusProblem]) -> dict[str, int]:
    """How many errors and warnings."""
    counts = {ERROR: 0, WARNING: 0}
    for p in problems:
        counts[p.severity] = counts.get(p.severity, 0) + 1
    return counts
