"""The census day (30 September) is defined once, in :mod:`workforce.measures`: the census
import's rules, the plans' census measures and the published figures' dates all read it there."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import workforce
from workforce import measures
from workforce.census import rules
from workforce.plans import census_measures
from workforce.published.indicators import reference_date
from workforce.published.layouts import SEPTEMBER, TIME_SERIES_LAYOUTS

PACKAGE = Path(workforce.__file__).parent
#: A workforce census measure of the published tables (read from the layouts, not listed here).
CENSUS_MEASURE = next(m for layout in TIME_SERIES_LAYOUTS if layout.year_basis == SEPTEMBER for m in layout.measures)


def _three_days(year: int) -> tuple[dt.date, dt.date, dt.date]:
    """The census day of `year` as the census rules, the published indicators and the one
    definition give it."""
    return (rules.census_day(year).date(), dt.date.fromisoformat(reference_date(CENSUS_MEASURE, year)),
            measures.census_day(year))


@pytest.mark.parametrize("year", [2017, 2024, 2031])
def test_the_census_rules_plans_and_published_dates_agree(year):
    ours, published, defined = _three_days(year)
    assert ours == published == defined
    day = pd.Timestamp(defined)
    assert census_measures.is_census_day(day) and not census_measures.is_census_day(day - pd.Timedelta(days=1))


def test_they_agree_by_construction(monkeypatch):
    """Moving the one definition moves all three: none keeps a copy."""
    monkeypatch.setattr(measures, "CENSUS_MONTH", 3)
    monkeypatch.setattr(measures, "CENSUS_DAY", 31)
    ours, published, defined = _three_days(2024)
    assert ours == published == defined == dt.date(2024, 3, 31)
    assert census_measures.is_census_day(pd.Timestamp(defined))
    assert not census_measures.is_census_day(pd.Timestamp(defined.replace(month=9, day=30)))


def _definitions(tree: ast.AST) -> list[int]:
    """Lines that define the census day themselves: the pair 9, 30 side by side (a tuple or
    call arguments), a `.month == 9` / `.day == 30` test, or a date built as f"{year}-09-30".
    A fixed example date written in full ("2024-09-30") is data, not a definition."""
    def const(node, value):
        return isinstance(node, ast.Constant) and type(node.value) is int and node.value == value

    lines = []
    for node in ast.walk(tree):
        items = node.elts if isinstance(node, (ast.Tuple, ast.List)) else node.args if isinstance(node, ast.Call) else []
        if any(const(a, 9) and const(b, 30) for a, b in zip(items, items[1:])):
            lines.append(node.lineno)
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute):
            wanted = {"month": 9, "day": 30}.get(node.left.attr)
            if wanted is not None and any(const(c, wanted) for c in node.comparators):
                lines.append(node.lineno)
        if isinstance(node, ast.JoinedStr) and any(
                isinstance(v, ast.Constant) and "-09-30" in str(v.value) for v in node.values):
            lines.append(node.lineno)
    return lines


def test_the_census_day_is_defined_in_one_place():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = _definitions(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[str(path.relative_to(PACKAGE))] = lines
    assert list(found) == ["measures.py"], found
