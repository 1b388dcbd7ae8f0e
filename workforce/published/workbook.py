"""``benchmark.xlsx``: one sheet per indicator with a native line chart, the authority highlighted.

Written through the project's one safe writer (:class:`workforce.excel.writer.SafeWorkbook`),
using only its public API: text from the data is always text, never a formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd
from openpyxl.chart import LineChart, Reference

from workforce.csvcells import write_csv
from workforce.excel.writer import Highlight, SafeWorkbook, TableSpec
from workforce.outputs import OutputDir
from workforce.published.benchmark import (
    AUTHORITY,
    ENGLAND_COL,
    ENGLAND_P25,
    ENGLAND_P75,
    NEIGHBOURS_MEAN,
    NEIGHBOURS_N,
    REGION,
    Benchmark,
)
from workforce.published.bundle import bundle_files
from workforce.published.layouts import STATUS_CODES
from workforce.published.indicators import Indicator
from workforce.published.reading import SUPERSEDED
from workforce.published.store import Published

LICENCE = ("Contains public sector information licensed under the Open Government Licence v3.0 "
           "(Department for Education, explore-education-statistics).")

CHART_ROWS = 18
AUTHORITY_COLOUR = "C00000"
# (column, colour, dash, width in EMU): the authority bold red; comparators muted
LINE_STYLE = {
    AUTHORITY: (AUTHORITY_COLOUR, None, 38100),
    NEIGHBOURS_MEAN: ("1F3864", None, 22225),
    REGION: ("7F7F7F", "dash", 19050),
    ENGLAND_COL: ("000000", "sysDot", 19050),
    ENGLAND_P25: ("BFBFBF", "sysDash", 12700),
    ENGLAND_P75: ("BFBFBF", "sysDash", 12700),
}


def _labels(bench: Benchmark) -> dict[str, str]:
    names = dict(zip(bench.neighbours["la_code"], bench.neighbours["la_name"]))
    return {
        AUTHORITY: f"{bench.la_name} ({bench.la_code})",
        NEIGHBOURS_MEAN: "Statistical neighbours: mean",
        NEIGHBOURS_N: "Neighbours reporting",
        REGION: bench.region_name or "Region",
        ENGLAND_COL: "England",
        ENGLAND_P25: "England authorities: lower quartile",
        ENGLAND_P75: "England authorities: upper quartile",
        **{c: f"{names.get(c, c)} ({c})" for c in names},
    }


def _sheet_name(title: str, used: set[str]) -> str:
    name = title.replace("/", " ")[:31]
    k = 2
    while name.lower() in used:
        name = f"{title[:28]} {k}"
        k += 1
    used.add(name.lower())
    return name


def _chart(ws, header_row: int, n: int, columns: list[str], title: str, unit: str) -> LineChart:
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = unit
    chart.x_axis.title = "year"
    cats = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + n)
    for key, (colour, dash, width) in LINE_STYLE.items():
        col = columns.index(key) + 1
        chart.add_data(Reference(ws, min_col=col, min_row=header_row, max_row=header_row + n), titles_from_data=True)
        series = chart.series[-1]
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = width
        if dash:
            series.graphicalProperties.line.dashStyle = dash
        series.smooth = False
    chart.set_categories(cats)
    chart.legend.position = "b"
    chart.height, chart.width = 9.0, 18.0
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def indicator_sheet(book: SafeWorkbook, ind: Indicator, table: pd.DataFrame, labels: dict[str, str],
                    used: set[str], notes: Iterable[str] = ()) -> None:
    """One indicator: title, basis, a native line chart and the table, the authority highlighted;
    `notes` (neighbours left out of the mean) under the title."""
    frame = table.reset_index()
    columns = list(frame.columns)
    frame.columns = ["year"] + [labels.get(c, c) for c in columns[1:]]
    name = _sheet_name(ind.sheet or ind.title, used)
    sheet = book.grid_sheet(name, f"{ind.title} ({ind.unit}), every year: {ind.basis}")
    sheet.widths({1: 8, **{j: 16 for j in range(2, len(columns) + 1)}})
    top = sheet.put_title(1, f"{ind.title} ({ind.unit})", ind.basis)
    sheet.put(top, 1, f"{labels[AUTHORITY]} is highlighted; blank where the DfE published no figure "
                      "(a status code) or the measure did not exist that year.", "wf note")
    for line in notes:
        top += 1
        sheet.put(top, 1, line, "wf note")
    header_row = top + 2 + CHART_ROWS
    sheet.add_chart(_chart(sheet.ws, header_row, len(frame), columns, ind.title, ind.unit), f"A{top + 1}")
    sheet.put_table(header_row, 1, frame, f"bench_{ind.measure}",
                    formats={"year": "year", labels[NEIGHBOURS_N]: "int"},
                    highlights=[Highlight("TRUE", "warn", labels[AUTHORITY])])
    sheet.close()


def write_benchmark_workbook(bench: Benchmark, path: Path, *, inputs: Iterable[str | Path] = (),
                             notes: Iterable[str] = ()) -> Path:
    """Write ``benchmark.xlsx`` for one authority.

    Parameters
    ----------
    bench : Benchmark
        From :func:`workforce.published.benchmark.benchmark`.
    path : Path
        Target file (saved atomically).
    inputs : iterable of paths
        Data files read (their checksums go on the README sheet).
    notes : iterable of str
        Lines for the README sheet (what was read, status codes, licence).
    """
    book = SafeWorkbook(produced_by="workforce benchmark", inputs=inputs,
                        title=f"{bench.la_name} against its statistical neighbours")
    labels = _labels(bench)
    used = {"readme"}
    # Summary: the latest year of each indicator, and who the neighbours are.
    grid = book.grid_sheet("Summary", "the latest year of each indicator beside neighbours, region and England; "
                                      "the statistical neighbours")
    used.add("summary")
    grid.widths({1: 46, 2: 20, 3: 8, 4: 14, 5: 14, 6: 14, 7: 14})
    row = grid.put_title(
        1, f"{bench.la_name} ({bench.la_code}) against its statistical neighbours",
        f"DfE published statistics; region: {bench.region_name or 'not known'}. Each indicator has its own sheet "
        "with every year and a chart (the authority in bold red).") + 1
    summary = bench.summary().rename(columns={AUTHORITY: labels[AUTHORITY], NEIGHBOURS_MEAN: labels[NEIGHBOURS_MEAN],
                                              REGION: labels[REGION], ENGLAND_COL: "England"})
    summary["year"] = summary["year"].astype("Int64")
    row = grid.put_table(row, 1, summary, "summary",
                         highlights=[Highlight("TRUE", "warn", labels[AUTHORITY])]) + 1
    for line in bench.joint_notes():
        grid.put(row, 1, line, "wf note")
        row += 1
    row += 1 if bench.joint_notes() else 0
    grid.put(row, 1, "Statistical neighbours (DfE model, closest first)", "wf heading")
    grid.put_table(row + 1, 1, bench.neighbours.rename(columns={"la_code": "code", "la_name": "name"}), "neighbours")
    grid.close()
    for ind in bench.indicators:
        table = bench.tables.get(ind.measure)
        if table is not None and not table.empty:
            indicator_sheet(book, ind, table, labels, used, bench.joint_notes(ind.measure))
    if not bench.counts.empty:
        counts = bench.counts.reset_index()
        # children, referrals, plans and cases are whole numbers ("3,572", not "3,572.00"); FTE are not
        kinds = {c: ("float" if c.endswith("_fte") else "int") for c in bench.counts.columns}
        book.add_table_sheet("Counts", [TableSpec(counts, "own_counts", formats={"year": "year", **kinds})],
                             f"{bench.la_name}'s own counts by year, one row per date they refer to (31 March: "
                             "children's tables; 30 September: workforce census); not benchmarked: they scale "
                             "with the authority's size")
    book.add_readme(notes=list(notes))
    return book.save(path)


def reading_notes(pub: Published, codes: Iterable[str]) -> list[str]:
    """README lines: what was read, and the status codes behind the blanks of these authorities."""
    lines = list(pub.messages)
    codes = set(codes)
    notes = pub.notes[pub.notes["la_code"].isin(codes) & (pub.notes["code"] != SUPERSEDED)]
    if len(notes):
        by_code = notes.groupby("code").size()
        lines.append("blank cells are DfE status codes: " + ", ".join(
            f"{n} x '{c}' ({STATUS_CODES.get(c, c)})" for c, n in by_code.items()) + " (see notes.csv)")
    lines.append(LICENCE)
    return lines


def published_inputs(pub: Published) -> list[Path]:
    """The files `pub` was read from, for the checksums on a workbook's README sheet: the DfE
    files given, or the bundled copy's own files (their README names the DfE originals).

    Every workbook built on the published statistics lists them, so a reader can tell which
    release a figure came from; a workbook saying "no input files" hides that it rests on them."""
    if len(pub.files) and str(pub.files["file"].iloc[0]).startswith("bundled"):
        return bundle_files()
    return [Path(f) for f in pub.files.get("file", []) if not str(f).startswith("bundled") and Path(f).is_file()]


def write_benchmark_files(od: OutputDir, bench: Benchmark, pub: Published) -> list[str]:
    """Write ``benchmark.xlsx`` and the CSVs into a staged output folder; returns the file names."""
    codes = [bench.la_code, *bench.neighbours["la_code"]]
    notes = pub.notes[pub.notes["la_code"].isin(codes) & (pub.notes["code"] != SUPERSEDED)]
    write_benchmark_workbook(bench, od.path("benchmark.xlsx"), inputs=published_inputs(pub),
                             notes=bench.joint_notes() + reading_notes(pub, codes))
    write_csv(bench.long().round(3), od.path("benchmark.csv"), index=False)
    write_csv(bench.summary().round(2), od.path("summary.csv"), index=False)
    write_csv(bench.neighbours, od.path("neighbours.csv"), index=False)
    write_csv(bench.counts.reset_index(), od.path("counts.csv"), index=False)
    write_csv(notes, od.path("notes.csv"), index=False)
    return ["benchmark.xlsx", "benchmark.csv", "summary.csv", "neighbours.csv", "counts.csv", "notes.csv"]
