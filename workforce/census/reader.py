"""Reading one CSWW census return safely: the XML tree, its header and its worker records.

A return is small (one element per field, about 25 per worker; a large authority has a few
thousand records), so it is read whole, but defensively: defusedxml refuses any DTD (so no
entity expansion and no external entities), and the reader refuses a file larger than
:data:`MAX_FILE_BYTES`, nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_ELEMENTS`
elements or a text node longer than :data:`MAX_TEXT`, before the tree reaches the schema
validator. Every refusal is an :class:`~workforce.errors.InputError` naming the file and the
element being read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from workforce.errors import InputError, Problem

WORKER = "CSWWWorker"
VACANCIES = "LALevelVacancies"
#: Worker fields that may repeat (`maxOccurs="unbounded"` in some year's schema).
REPEATABLE = frozenset({"QualInst", "ContractWeeks", "Absat30Sept", "ReasonAbsence", "CFKSSstatus"})

# Limits far above any real return (the largest authority has a few thousand records, about
# 3 MB) and far below what would exhaust memory.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 16  # a return is 4 deep: Message/Header/CollectionDetails/Year
MAX_ELEMENTS = 500_000
MAX_TEXT = 10_000  # the longest field is free text (QualInst, OtherAllowances)

_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def local(tag: str) -> str:
    """Element name without an XML namespace."""
    return tag.rsplit("}", 1)[-1]


@dataclass
class CensusReturn:
    """One return as read: the whole tree (for the schema) and the parts the census uses.

    Header values are the stripped text, "" when absent. `workers` are the `CSWWWorker`
    elements in file order (position = index + 1), `records` their fields and `worker_lines`
    the line each starts on; `lines` maps the path of each element outside the records
    (``Message``, ``Header/CollectionDetails/Year``, ...) to the line it starts on, so that a
    problem can be found in the file by its line.
    """

    path: Path
    root: Element
    collection: str = ""
    year_text: str = ""
    reference_text: str = ""
    la: str = ""
    la_fields: dict[str, str] = field(default_factory=dict)
    workers: list[Element] = field(default_factory=list)
    records: list[WorkerRecord] = field(default_factory=list)
    worker_lines: list[int] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, position: int | None, element: str = "") -> int | None:
        """The file's line where record `position` starts (1 = the first `CSWWWorker`) or, for
        the header (`position` None), where `element` (a path such as
        ``Header/CollectionDetails/Year``) or its nearest present parent starts."""
        if position is not None:
            return self.worker_lines[position - 1] if 0 < position <= len(self.worker_lines) else None
        parts = element.split("/") if element else []
        while parts:
            found = self.lines.get("/".join(parts))
            if found is not None:
                return found
            parts.pop()
        return self.lines.get("Message")

    @property
    def name(self) -> str:
        return self.path.name

    def year_in_file_name(self) -> int | None:
        """The first 4-digit year (20xx) in the file name, None when there is none."""
        found = _YEAR_IN_NAME.search(self.path.stem)
        return int(found.group(1)) if found else None


@dataclass(frozen=True)
class WorkerRecord:
    """One `CSWWWorker` record as (field, text) pairs in file order (text as written).

    `simple` is False when the record carries anything a plain record does not: attributes,
    text between fields, nested elements or namespaced fields."""

    fields: tuple[tuple[str, str], ...]
    simple: bool

    def layout(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    def values(self) -> dict[str, str]:
        """Field -> stripped text; repeated :data:`REPEATABLE` fields joined with ';'."""
        out: dict[str, str] = {}
        for name, text in self.fields:
            text = text.strip()
            if name in out and name in REPEATABLE:
                out[name] += ";" + text
            elif name not in out:
                out[name] = text
        return out


def flatten(worker: Element) -> WorkerRecord:
    """The record's fields, read once for both the schema check and the typing."""
    children = list(worker)
    simple = not worker.attrib and not (worker.text or "").strip() and not any(
        c.attrib or len(c) or c.tag[0] == "{" or (c.tail and not c.tail.isspace()) for c in children)
    if simple:
        return WorkerRecord(tuple([(c.tag, c.text or "") for c in children]), True)
    return WorkerRecord(tuple([(local(c.tag), c.text or "") for c in children]), False)


#: What to do about a file that is not read, by why.
FIX_UNSAFE = "Send the return as plain XML exported from the case management system (no DTD or entities), then check it again."
FIX_NOT_XML = ("Give the census return itself: the XML file the case management system exports for the DfE "
               "(a CSV or spreadsheet is not a return).")
FIX_MALFORMED = ("Export the return again from the case management system (the file is cut short or damaged), "
                 "or correct the XML at that line.")
FIX_ENCODING = ("Export the return again from the case management system, or save it as UTF-8 (Notepad: Save As, "
                "Encoding UTF-8), then check it again.")
FIX_TOO_BIG = "Check that this is a census return; split or trim the file if it really is one."


class UnreadableReturn(InputError):
    """A file that cannot be read as a census return; `fix` says what to do about it."""

    def __init__(self, path: Path, message: str, fix: str, *, line: int | None = None, column: str | None = None) -> None:
        self.fix = fix
        super().__init__(problems=[Problem(str(path), message, line, column, None, unit="line")])


def _refuse(path: Path, message: str, stack: list[str], fix: str = FIX_UNSAFE, line: int | None = None) -> UnreadableReturn:
    names = [local(tag) for tag in stack]
    where = "/".join(names)
    return UnreadableReturn(path, message + (f" (inside {where})" if where else ""), fix, line=line,
                            column=names[-1] if names else None)


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_POSITION = re.compile(r":? ?line \d+, column \d+$")


def _not_parsed(path: Path, exc: ParseError, stack: list[str]) -> UnreadableReturn:
    """Why the XML parser gave up, in words for the user: an empty file and a file that is not
    XML at all (a CSV passed as a return) are told apart from XML that is cut short or damaged.
    The file's content is never repeated (it may hold SWE numbers)."""
    data = path.read_bytes()
    head = data[:64]
    for bom in _BOMS:
        head = head.removeprefix(bom)
    head = head.lstrip(b" \t\r\n")
    if not head:
        return UnreadableReturn(path, "the file is empty: a census return is XML with a <Message> root element", FIX_NOT_XML)
    if not head.startswith(b"<") and not head.startswith(b"\x00<"):
        return UnreadableReturn(path, "the file is not XML (it does not start with '<'): a census return is XML with a "
                                      "<Message> root element", FIX_NOT_XML)
    line, column = getattr(exc, "position", (None, None))
    reason = _POSITION.sub("", str(exc))
    from workforce.readers import not_utf8

    bad = None if data.startswith(_BOMS[1:]) else not_utf8(data)  # UTF-16 returns are the parser's to read
    if bad is not None:
        # a return re-saved by Notepad or Excel in Windows-1252 (a '£' or an accented name): its
        # bytes, not its XML, are wrong, and 'invalid token' would send the user looking for a tag
        byte, at = bad
        return _refuse(path, f"the file is not UTF-8 text (byte {byte}): it was saved in another "
                             "encoding, such as Windows-1252", stack, FIX_ENCODING, at)
    return _refuse(path, f"malformed XML ({reason}) at line {line}, character {column + 1 if column is not None else '?'}",
                   stack, FIX_MALFORMED, line)


class _GuardedTreeBuilder(TreeBuilder):
    """ElementTree's tree builder with the limits of this module, checked as the tree grows."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.stack: list[str] = []  # raw tags of the open elements, for messages
        self.count = 0
        self.expat: Any = None  # the parser feeding this builder, read only for its line number
        self.worker_lines: list[int] = []
        self.in_worker = False  # inside a CSWWWorker record
        self.lines: dict[str, int] = {}

    def line(self) -> int | None:
        """The line of the file the parser is at (the start tag being built)."""
        return self.expat.CurrentLineNumber if self.expat is not None else None

    def start(self, tag, attrs):  # noqa: ANN001, ANN201 - TreeBuilder's signature
        self.stack.append(tag)
        self.count += 1
        if len(self.stack) > MAX_DEPTH:
            raise _refuse(self.path, f"refused: elements nested more than {MAX_DEPTH} deep (a census return is 4 deep)",
                          self.stack[:MAX_DEPTH], line=self.line())
        if self.count > MAX_ELEMENTS:
            raise _refuse(self.path, f"refused: more than {MAX_ELEMENTS:,} elements", self.stack, line=self.line())
        depth = len(self.stack)
        if depth == 2:
            self.in_worker = local(tag) == WORKER
            if self.in_worker:
                self.worker_lines.append(self.line())
        if depth < 2 or not self.in_worker:  # the header, vacancies and root: a few elements
            names = [local(t) for t in self.stack[1:]] or ["Message"]
            self.lines.setdefault("/".join(names), self.line())
        return super().start(tag, attrs)

    def end(self, tag):  # noqa: ANN001, ANN201
        elem = super().end(tag)
        text = elem.text
        if (text is not None and len(text) > MAX_TEXT) or any(c.tail is not None and len(c.tail) > MAX_TEXT for c in elem):
            raise _refuse(self.path, f"refused: a text node longer than {MAX_TEXT:,} characters", self.stack,
                          line=self.line())
        self.stack.pop()
        return elem


def read_return(path: str | Path) -> CensusReturn:
    """Parse one return safely.

    Parameters
    ----------
    path : str or Path
        The XML file.

    Returns
    -------
    CensusReturn

    Raises
    ------
    InputError
        The file is missing, too large, malformed, unsafe (DTD, entities, external references,
        deep nesting, huge text) or not a CSWW return (no `Message` root).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableReturn(path, f"file is {size / 1e6:.0f} MB; a census return is a few MB "
                                     f"(limit {MAX_FILE_BYTES // 2**20} MiB)", FIX_TOO_BIG)
    guard = _GuardedTreeBuilder(path)
    parser = DefusedXMLParser(target=guard, forbid_dtd=True)
    guard.expat = parser.parser  # for line numbers only: the DTD and entity refusals stay defusedxml's
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 16):
                parser.feed(chunk)
        root = parser.close()
    except ParseError as exc:
        raise _not_parsed(path, exc, guard.stack) from None
    except DefusedXmlException as exc:
        raise UnreadableReturn(path, f"refused unsafe XML ({type(exc).__name__}): DTDs, entities and external references "
                                     "are not allowed in a census return", FIX_UNSAFE) from None
    if root is None or local(root.tag) != "Message":
        raise UnreadableReturn(path, f"the root element is <{local(root.tag) if root is not None else ''}>, not <Message>: "
                                     "is this a CSWW census return?", FIX_NOT_XML)
    ret = _summarise(path, root)
    ret.worker_lines, ret.lines = guard.worker_lines, guard.lines
    return ret


def _text(parent: Element | None, *names: str) -> str:
    node = parent
    for name in names:
        if node is None:
            return ""
        node = next((c for c in node if local(c.tag) == name), None)
    return (node.text or "").strip() if node is not None else ""


def _summarise(path: Path, root: Element) -> CensusReturn:
    header = next((c for c in root if local(c.tag) == "Header"), None)
    vacancies = next((c for c in root if local(c.tag) == VACANCIES), None)
    workers = [c for c in root if local(c.tag) == WORKER]
    return CensusReturn(
        path=path,
        root=root,
        collection=_text(header, "CollectionDetails", "Collection"),
        year_text=_text(header, "CollectionDetails", "Year"),
        reference_text=_text(header, "CollectionDetails", "ReferenceDate"),
        la=_text(header, "Source", "LEA"),
        la_fields={local(c.tag): (c.text or "").strip() for c in vacancies} if vacancies is not None else {},
        workers=workers,
        records=[flatten(w) for w in workers],
    )
