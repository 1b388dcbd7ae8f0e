"""The census schema of each collection year, and validation against it with `xmlschema`.

The XSDs are bundled under `workforce/data/csww/` (provenance and licence in its README). One
known defect is corrected as each schema is loaded: the SWE number pattern
``[A-Za-z]{2}\\d{1,10}$`` ends with a literal ``$`` (XML Schema patterns are anchored already
and ``$`` is an ordinary character), so read literally no real SWE number matches. It is
replaced by ``[A-Za-z]{2}\\d{1,10}``, two letters and one to ten digits, which is what it means.

Validating a whole return element by element with xmlschema costs about 0.4 ms per worker
record, too slow for five years of a large authority. Records of a return mostly share a few
layouts and many values, so :func:`validate_return` asks xmlschema once per distinct layout
(the sequence of child elements: the worker's content model) and once per distinct
(field, value) pair (the field's declared type), and gives each record the answers for its
own layout and values. Every answer still comes from xmlschema and the year's XSD; a test
checks that the problems found equal those of validating the whole file in one call.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pandas as pd
import xmlschema
from xmlschema.namespaces import NamespaceMapper
from xmlschema.validators import ValidationContext

from workforce.census.problems import ERROR, PERSONAL_FIELDS, CensusProblem, value_shown
from workforce.census.reader import WORKER, CensusReturn, local

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "csww"
SCHEMA_FILES: dict[int, str] = {
    2021: "csww_schema_2021_2022_2023.xsd",
    2022: "csww_schema_2021_2022_2023.xsd",
    2023: "csww_schema_2021_2022_2023.xsd",
    2024: "csww_schema_2024.xsd",
    2025: "csww_schema_2025.xsd",
}
FIRST_YEAR, LAST_YEAR = min(SCHEMA_FILES), max(SCHEMA_FILES)
SEX_FROM = 2024  # `Sex` replaces `GenderCurrent`
PAY_FROM = 2025  # pay fields added; `QualInst` and `CFKSSstatus` dropped

PUBLISHED_SWENO_PATTERN = '<xs:pattern value="[A-Za-z]{2}\\d{1,10}$"/>'
CORRECTED_SWENO_PATTERN = '<xs:pattern value="[A-Za-z]{2}\\d{1,10}"/>'
XS = "{http://www.w3.org/2001/XMLSchema}"

#: What a field holds, for the fixes (where the XSD's own documentation is silent).
FIELD_MEANING = {
    "AgencyWorker": "0 for LA-employed, 1 for agency",
    "SWENo": "the Social Work England registration number: two letters then up to ten digits, for example SW123456",
    "FTE": "the full-time equivalent at the census day, 0 to 1",
    "FTE30": "the full-time equivalent, 0 to 1",
    "PersonBirthDate": "the date of birth",
    "QualInst": "the institution where the worker qualified",
    "RoleStartDate": "the date the worker started in the role",
    "RoleEndDate": "the date the worker left the role",
    "WorkingDaysLost": "the days lost to sickness in the year",
}

#: What header fields hold, for the fixes.
HEADER_MEANING = {
    "Year": "the collection year, written YYYY",
    "ReferenceDate": "the census day, written YYYY-MM-DD (30 September of the collection year)",
    "LEA": "the authority's three-digit DfE code",
    "Collection": "the text CSWW",
}

#: Fields that belong to other schema years: (field, applies from year or None, to year or None, fix).
YEAR_FIELDS = (
    ("GenderCurrent", None, SEX_FROM - 1, "From 2024 the return carries <Sex> (M or F) instead of <GenderCurrent>: replace it"),
    ("Sex", SEX_FROM, None, "Before 2024 the return carries <GenderCurrent> (0 not known, 1 male, 2 female, 9 not specified) instead of <Sex>: replace it"),
    ("QualInst", None, PAY_FROM - 1, "The 2025 return no longer collects <QualInst>: remove it (or check the Year in the header)"),
    ("CFKSSstatus", None, PAY_FROM - 1, "The 2025 return no longer collects <CFKSSstatus>: remove it (or check the Year in the header)"),
    ("BaseSalary", PAY_FROM, None, "<BaseSalary> is collected from 2025: remove it from earlier returns (or check the Year)"),
    ("RRPayments", PAY_FROM, None, "<RRPayments> is collected from 2025: remove it from earlier returns (or check the Year)"),
    ("OtherPayments", PAY_FROM, None, "<OtherPayments> is collected from 2025: remove it from earlier returns (or check the Year)"),
)


def nearest_year(year: int) -> int:
    """The year with a schema nearest to `year` (2021-2025)."""
    return min(max(int(year), FIRST_YEAR), LAST_YEAR)


def schema_text(year: int) -> str:
    """The XSD of `year` as bundled, with the SWE number pattern corrected (module docstring)."""
    text = (SCHEMA_DIR / SCHEMA_FILES[year]).read_text(encoding="utf-8")
    if text.count(PUBLISHED_SWENO_PATTERN) != 1:
        raise RuntimeError(f"bundled schema {SCHEMA_FILES[year]} no longer has the published SWENo pattern: review the correction")
    return text.replace(PUBLISHED_SWENO_PATTERN, CORRECTED_SWENO_PATTERN)


@lru_cache(maxsize=None)
def load_schema(year: int) -> xmlschema.XMLSchema:
    """The compiled schema of a collection year (2021-2025), SWE number pattern corrected."""
    return xmlschema.XMLSchema(io.StringIO(schema_text(year)))


@lru_cache(maxsize=None)
def worker_declarations(year: int) -> dict[str, Any]:
    """Field name -> xmlschema element declaration of a `CSWWWorker` field in `year`."""
    return {e.local_name: e for e in load_schema(year).types["workertype"].content.iter_elements()}


@lru_cache(maxsize=None)
def header_declarations(year: int) -> dict[str, Any]:
    """Name -> declaration of every element outside the worker records (header, vacancies)."""
    types = load_schema(year).types
    out: dict[str, Any] = {}
    for name in ("messagetype", "headertype", "collectiondetailstype", "sourcetype", "vacancytype"):
        for e in types[name].content.iter_elements():
            out[e.local_name] = e
    return out


def _enumeration(decl: Any) -> frozenset[str]:
    """The codes a declaration's type enumerates (empty when it is not a code list)."""
    t = decl.type
    enum = t.get_facet(XS + "enumeration") if hasattr(t, "get_facet") else None
    return frozenset(str(v) for v in enum.enumeration) if enum is not None else frozenset()


@lru_cache(maxsize=None)
def code_list(year: int, name: str) -> frozenset[str]:
    """The codes the `year` schema allows in worker field `name` (its enumeration; empty when
    the field is not a code list)."""
    return _enumeration(worker_declarations(year)[name])


@lru_cache(maxsize=None)
def census_codes() -> frozenset[str]:
    """Every code of every code list of the bundled schemas (2021-2025, worker and header
    fields): the only letter codes a problem message may quote (`problems.value_shown`), since
    a name in capitals has the same shape as a code."""
    return frozenset().union(*(_enumeration(decl) for year in range(FIRST_YEAR, LAST_YEAR + 1)
                               for decls in (worker_declarations(year), header_declarations(year))
                               for decl in decls.values()))


def mandatory_fields(year: int) -> tuple[str, ...]:
    """Worker fields the year's schema requires on every record (`minOccurs` >= 1)."""
    return tuple(name for name, decl in worker_declarations(year).items() if decl.min_occurs >= 1)


@dataclass(frozen=True)
class YearChoice:
    """The collection year whose schema a return is checked against, and why."""

    year: int
    basis: str


def _int_year(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d{4}", text or "") else None


def reference_date(ret: CensusReturn) -> pd.Timestamp | None:
    """The header's ReferenceDate, or None when absent or not a date."""
    try:
        return pd.Timestamp(ret.reference_text) if re.fullmatch(r"\d{4}-\d\d-\d\d", ret.reference_text) else None
    except ValueError:
        return None


def detect_year(ret: CensusReturn) -> YearChoice:
    """The schema year of a return: the header's `Year` when it is a year with a schema, else
    the year of `ReferenceDate`, else the year in the file name, else the layout of the
    records (`Sex` means 2024 or later, `BaseSalary` 2025). A year outside 2021-2025 is checked
    against the nearest year's schema. Disagreements are reported by the header checks."""
    ref = reference_date(ret)
    candidates = (
        (_int_year(ret.year_text), "the header's Year"),
        (ref.year if ref is not None else None, "the year of ReferenceDate"),
        (ret.year_in_file_name(), "the year in the file name"),
    )
    for year, basis in candidates:
        if year in SCHEMA_FILES:
            return YearChoice(year, basis)
    tags = {name for r in ret.records[:200] for name, _ in r.fields}
    layout = PAY_FROM if "BaseSalary" in tags or "RecruitmentBonus" in ret.la_fields else SEX_FROM if "Sex" in tags else None
    if layout is not None:
        return YearChoice(layout, "the layout of the records")
    given = next((y for y, _ in candidates if y is not None), None)
    if given is None:
        return YearChoice(LAST_YEAR, "no year in the header or file name: the latest schema")
    return YearChoice(nearest_year(given), f"no schema for {given}: the nearest year's")


# ---- validation ---------------------------------------------------------------------------


def allowed_values(decl: Any) -> str:
    """A plain description of what a field's type allows, from the XSD."""
    t = decl.type
    enum = t.get_facet(XS + "enumeration") if hasattr(t, "get_facet") else None
    if enum is not None:
        labels = []
        for i, value in enumerate(enum.enumeration):
            note = enum.get_annotation(i) if hasattr(enum, "get_annotation") else None
            labels.append(f"{value} {note}".strip() if note else str(value))
        return "one of: " + "; ".join(labels)
    primitive = getattr(getattr(t, "primitive_type", None), "local_name", "")
    if primitive == "date":
        return "a real date written YYYY-MM-DD"
    if primitive == "gYear":
        return "a year written YYYY"
    if primitive == "dateTime":
        return "a date and time written YYYY-MM-DDThh:mm:ss"
    if primitive == "decimal":
        parts = []
        lo, hi = getattr(t, "min_value", None), getattr(t, "max_value", None)
        digits = t.get_facet(XS + "fractionDigits") if hasattr(t, "get_facet") else None
        parts.append("a whole number" if _is_integer(t) else "a number")
        if lo is not None and hi is not None:
            parts.append(f"from {_num(lo)} to {_num(hi)}")
        if digits is not None:
            parts.append(f"with at most {digits.value} decimal places")
        return " ".join(parts)
    if decl.local_name in FIELD_MEANING:
        return FIELD_MEANING[decl.local_name]
    return "text"


def _is_integer(t: Any) -> bool:
    while t is not None:
        if getattr(t, "name", None) == XS + "integer":
            return True
        t = getattr(t, "base_type", None)
    return False


def _num(value: Decimal | float | int) -> str:
    return f"{float(value):g}"


_DATE_WORDS = {"date": "a real date written YYYY-MM-DD", "gYear": "a year written YYYY",
               "dateTime": "a date and time written YYYY-MM-DDThh:mm:ss"}


def plain_reason(decl: Any, text: str) -> str:
    """Why `text` is not a valid value of the field declared by `decl`, in plain words worked out
    from the XSD's own facets and the text: the validator's wording names library classes
    (``<class 'elementpath...Date10'>``, ``Decimal('1')``) that mean nothing to the user."""
    t = decl.type
    if hasattr(t, "get_facet") and t.get_facet(XS + "enumeration") is not None:
        return "not one of the codes allowed"
    primitive = getattr(getattr(t, "primitive_type", None), "local_name", "")
    if primitive in _DATE_WORDS:
        return f"not {_DATE_WORDS[primitive]}"
    if primitive == "decimal":
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            return "not a number"
        if _is_integer(t) and value != value.to_integral_value():
            return "not a whole number"
        lo, hi = getattr(t, "min_value", None), getattr(t, "max_value", None)
        if hi is not None and value > hi:
            return f"more than {_num(hi)}"
        if lo is not None and value < lo:
            return f"less than {_num(lo)}"
        digits = t.get_facet(XS + "fractionDigits") if hasattr(t, "get_facet") else None
        if digits is not None and -value.as_tuple().exponent > int(digits.value):
            return f"more than {digits.value} decimal places"
    return f"not {allowed_values(decl)}"


def _value_problem(ret: CensusReturn, year: int, position: int | None, element: str, decl: Any, text: str,
                   reason: str) -> CensusProblem:
    name = decl.local_name
    if name in PERSONAL_FIELDS:  # never repeat a SWE number or a birth date
        message = f"<{name}> is not valid ({'not two letters then up to ten digits' if name == 'SWENo' else 'not a real date YYYY-MM-DD'})"
    elif text == "":
        message = f"<{name}> is empty"
    else:
        message = f"<{name}>{value_shown(name, text)} is not valid: {plain_reason(decl, text)}"
    return CensusProblem(ret.name, ERROR, "schema", message, f"Give <{name}> {allowed_values(decl)}.",
                         position, element, name, year)


_UNEXPECTED = re.compile(r"Unexpected child with tag '(?:\{[^}]*\})?([^']+)'")
_EXPECTED = re.compile(r"Tag (?:\(([^)]*)\)|'(?:\{[^}]*\})?([^']+)') expected")
_NOT_COMPLETE = re.compile(r"is not complete")


def _year_fix(name: str, year: int) -> str | None:
    for field_name, since, until, fix in YEAR_FIELDS:
        if field_name != name:
            continue
        if (since is not None and year < since) or (until is not None and year > until):
            return fix
    return None


def _content_problem(ret: CensusReturn, year: int, position: int | None, element: str, reason: str,
                     declared: dict[str, Any]) -> CensusProblem:
    """A content-model error (missing, unexpected or misplaced field) in plain words."""
    unexpected = _UNEXPECTED.search(reason)
    expected = _EXPECTED.search(reason)
    wanted = ""
    if expected:
        wanted = (expected.group(2) or expected.group(1) or "").replace("'", "").split("|")[0].strip()
    if unexpected:
        name = unexpected.group(1)
        if name not in declared:
            fix = _year_fix(name, year) or f"Remove <{name}>: it is not a field of the {year} return."
            return CensusProblem(ret.name, ERROR, "schema", f"<{name}> is not part of the {year} schema", fix,
                                 position, element, name, year)
        if wanted:
            meaning = f" ({FIELD_MEANING[wanted]})" if wanted in FIELD_MEANING else ""
            return CensusProblem(
                ret.name, ERROR, "schema", f"<{wanted}> expected before <{name}>: missing or out of order",
                f"Add <{wanted}>{meaning} where the {year} schema puts it (it is mandatory, or the fields are out of order).",
                position, element, wanted, year)
        return CensusProblem(ret.name, ERROR, "schema", f"<{name}> is out of place or repeated",
                             f"Put the fields in the order of the {year} schema, each at most as often as it allows.",
                             position, element, name, year)
    if _NOT_COMPLETE.search(reason) and wanted:
        meaning = f" ({FIELD_MEANING[wanted]})" if wanted in FIELD_MEANING else ""
        return CensusProblem(ret.name, ERROR, "schema", f"<{wanted}> is missing",
                             f"Add <{wanted}>{meaning}: the {year} schema requires it.", position, element, wanted, year)
    return CensusProblem(ret.name, ERROR, "schema", reason, f"Correct the record to match the {year} schema.",
                         position, element, "", year)


def _header_problem(ret: CensusReturn, year: int, error: Any) -> CensusProblem:
    """A schema problem outside the worker records (Message, Header, LALevelVacancies)."""
    path = (error.path or "").removeprefix("/")
    path = re.sub(r"\[\d+\]", "", path.split("/", 1)[1] if "/" in path else path) or "Message"
    elem = error.elem
    reason = error.reason or str(error.message)
    name = local(elem.tag) if elem is not None else ""
    if _UNEXPECTED.search(reason) or _NOT_COMPLETE.search(reason) or elem is None or len(elem):
        problem = _content_problem(ret, year, None, path, reason, header_declarations(year))
        return problem if problem.field else CensusProblem(ret.name, ERROR, "schema", reason,
                                                           f"Correct <{name or 'Message'}> to match the {year} schema.",
                                                           None, path, name, year)
    decl = header_declarations(year).get(name)
    allowed = HEADER_MEANING.get(name) or (allowed_values(decl) if decl is not None else "a value the schema allows")
    text = (elem.text or "").strip()
    plain = decl is not None and decl.type.is_simple() and name not in HEADER_MEANING
    why = plain_reason(decl, text) if plain else f"not {allowed}"
    return CensusProblem(ret.name, ERROR, "schema", f"<{name}>{value_shown(name, text)} is not valid: {why}",
                         f"Give <{name}> {allowed}.", None, path, name, year)


class FieldVerdicts:
    """xmlschema's verdict on worker field values, asked once per distinct (field, text) of a
    return through one validation context: building a context for each value (what a
    component's public `iter_errors` does) costs five times the validation itself. A test checks
    the verdicts equal `iter_errors`'."""

    def __init__(self, declared: dict[str, Any]) -> None:
        self.declared = declared
        probe = Element(WORKER)
        any_decl = next(iter(declared.values()))
        source = any_decl.maps.settings.get_resource_from_data(probe, any_decl.tag)
        self.context = ValidationContext(source=source, converter=NamespaceMapper(None, source=source))
        self.cache: dict[tuple[str, str], list[str]] = {}
        self.plain = {name for name, d in declared.items()
                      if d.type.is_simple() and not d.nillable and d.fixed is None and d.default is None}

    def reasons(self, name: str, text: str) -> list[str]:
        """Why field `name` with `text` (and no attributes or children) is not valid; [] when it is."""
        key = (name, text)
        found = self.cache.get(key)
        if found is None:
            decl = self.declared[name]
            self.context.clear()
            if name in self.plain:  # the element adds nothing to its simple type: ask the type
                decl.type.raw_decode(text, "lax", self.context)
            else:
                child = Element(name)
                child.text = text
                decl.raw_decode(child, "lax", self.context)
            found = self.cache[key] = [e.reason or str(e.message) for e in self.context.errors]
        return found


def validate_return(ret: CensusReturn, year: int) -> list[CensusProblem]:
    """Every schema problem of a return against the `year` schema (see the module docstring
    for how the work is shared between records with the same layout or values)."""
    schema = load_schema(year)
    declared = worker_declarations(year)
    keys = [r.layout() if r.simple else None for r in ret.records]
    layouts: dict[Any, int] = {}  # layout -> position of its representative
    rep_layout: dict[int, Any] = {}  # id(representative element) -> layout
    for i, (worker, key) in enumerate(zip(ret.workers, keys), start=1):
        key = key if key is not None else ("whole record", i)
        if key not in layouts:
            layouts[key] = i
            rep_layout[id(worker)] = key
    child_owner = {id(c): (id(w), i) for i, w in enumerate(ret.workers, start=1) if id(w) in rep_layout for c in w}
    skeleton = Element(ret.root.tag, ret.root.attrib)
    skeleton.extend(c for c in ret.root if local(c.tag) != WORKER or id(c) in rep_layout)

    problems: list[CensusProblem] = []
    layout_errors: dict[Any, list[str]] = {}
    for error in schema.iter_errors(skeleton):
        elem = error.elem
        if elem is not None and id(elem) in rep_layout:
            layout_errors.setdefault(rep_layout[id(elem)], []).append(error.reason or str(error.message))
        elif elem is not None and id(elem) in child_owner:
            owner, position = child_owner[id(elem)]
            if rep_layout[owner][0] == "whole record":
                decl = declared.get(local(elem.tag))
                if decl is not None and not len(elem):
                    problems.append(_value_problem(ret, year, position, WORKER, decl, (elem.text or ""), error.reason or ""))
                else:
                    problems.append(_content_problem(ret, year, position, WORKER, error.reason or "", declared))
        else:
            problems.append(_header_problem(ret, year, error))

    verdicts = FieldVerdicts(declared)
    for position, (record, key) in enumerate(zip(ret.records, keys), start=1):
        if key is None:
            continue  # validated whole above
        for reason in layout_errors.get(key, ()):
            problems.append(_content_problem(ret, year, position, WORKER, reason, declared))
        for name, text in record.fields:
            if name not in declared:
                continue  # an unknown field: the layout's content error reports it
            for reason in verdicts.reasons(name, text):
                problems.append(_value_problem(ret, year, position, WORKER, declared[name], text, reason))
    for key, reasons in layout_errors.items():
        if key[0] == "whole record":
            for reason in reasons:
                problems.append(_content_problem(ret, year, key[1], WORKER, reason, declared))
    return problems
