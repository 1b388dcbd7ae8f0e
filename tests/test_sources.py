"""Source tags: one table built from the two briefs' source lists, rendered as docs/sources.md and
listed on every workbook's README sheet with a glossary of its columns."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from workforce.excel.book import SafeWorkbook
from workforce.excel.tables import TableSpec
from workforce.sources import load_sources, parse_source_list, sources_frame, sources_markdown, tags_in

REPO = Path(__file__).resolve().parents[1]


def test_tags_in_text():
    assert tags_in("[S49][DERIVED] midpoint") == {"S49"}
    assert tags_in("brief s3 [DEFAULT]: soft 16, hard 20 [S1, S38]; (Wirral [S29]) [D5][D7]") == {"S1", "S38", "S29",
                                                                                                  "D5", "D7"}
    assert tags_in("[S49d] 37 hours") == {"S49d"} and tags_in("no tags, S49 bare") == set()


def test_the_bundle_is_the_briefs_source_lists(shared_dir):
    rows = []
    for name, brief in (("brief.md", "workforce brief"), ("demand.md", "demand brief")):
        rows += parse_source_list((shared_dir / "domain" / name).read_text(encoding="utf-8"), brief)
    bundled = load_sources()
    assert [tuple(r) for r in bundled.itertuples(index=False)] == rows
    assert {"S1", "S49", "S49d", "S53", "S59", "D1", "D24"} <= set(bundled["tag"])


def test_docs_sources_is_rendered_from_the_bundle():
    assert (REPO / "docs" / "sources.md").read_text(encoding="utf-8") == sources_markdown()


def test_every_tag_the_assumptions_cite_has_a_reference():
    from workforce.plans.assumptions import Assumptions, assumptions_frame

    cited = set().union(*(tags_in(b) for b in assumptions_frame(Assumptions())["basis"]))
    known = set(load_sources()["tag"])
    assert cited and cited <= known, cited - known
    frame = sources_frame({"S49", "S9", "X1"})
    assert list(frame["tag"]) == ["S9", "S49", "X1"] and "not in the briefs" in frame["reference"].iloc[-1]


def test_readme_sheet_lists_glossary_and_sources(tmp_path):
    book = SafeWorkbook(produced_by="test", notes={"gap_fte": "required minus held", "unused": "never shown"})
    frame = pd.DataFrame({"gap_fte": [1.0], "basis": ["[S49] 2018 pay"]})
    book.add_table_sheet("Data", [TableSpec(frame, "Data")], "data")
    book.add_readme()
    path = book.save(tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb["Data"]["A1"].comment.text == "required minus held"  # the header carries its note
    readme = wb["README"]
    glossary = readme.tables["readme_glossary"]
    rows = [[c.value for c in r] for r in readme[glossary.ref]]
    assert rows == [["column", "what it holds"], ["gap_fte", "required minus held"]]
    sources = [[c.value for c in r] for r in readme[readme.tables["readme_sources"].ref]]
    assert sources[1][0] == "S49" and "salaries compared" in sources[1][2]
