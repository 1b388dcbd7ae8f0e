"""The workbooks people receive, opened and checked as a person would."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from libreoffice import convert_to_pdf, needs_soffice

sys.path.insert(0, str(Path(__file__).parent))
import excel_fixtures as fx  # noqa: E402

from workforce.excel.workbooks import (  # noqa: E402
    write_allocation_workbook,
    write_planner_workbook,
    write_risk_register,
)


def _all_tables(wb) -> list[str]:
    return [t.displayName for ws in wb for t in ws.tables.values()]


def _no_formulas(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name


def _cells(ws) -> list:
    return [c for row in ws.iter_rows() for c in row if c.value is not None]


def _indicators(ws) -> dict[str, tuple]:
    """indicator -> (value, source sheet) read from the Summary's indicator table."""
    table = ws.tables["summary_indicators"]
    rows = list(ws[table.ref])
    header = [c.value for c in rows[0]]
    out = {}
    for row in rows[1:]:
        rec = dict(zip(header, [c.value for c in row]))
        out[rec["indicator"]] = (rec["value"], rec["source sheet"])
    return out


@pytest.fixture(scope="module")
def planner(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "workforce_plan.xlsx"
    kwargs = fx.planner_kwargs(hostile=True)
    write_planner_workbook(path, **kwargs)
    return path, kwargs


def test_planner_sheets_tables_charts(planner):
    path, _ = planner
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Risk register", "L&D plan", "Recruitment plan", "Projection",
                             "Allocation", "Fairness audit", "Assumptions", "README"]
    names = _all_tables(wb)
    assert len(names) == len({n.lower() for n in names})
    assert len(wb["Summary"]._charts) == 4
    for sheet in wb.sheetnames[1:-1]:
        ws = wb[sheet]
        assert ws.freeze_panes == "A2", sheet
        assert all(t.ref.split(":")[0].endswith("1") for t in ws.tables.values()), sheet  # header in row 1
    _no_formulas(path)


def test_planner_hostile_text_stays_text(planner):
    path, _ = planner
    wb = openpyxl.load_workbook(path)
    found = [c for ws in wb for c in _cells(ws) if c.value in fx.HOSTILE]
    # planted in team names (Allocation + chart data) and risk drivers (Risk register)
    assert {c.value for c in found} == set(fx.HOSTILE)
    assert all(c.data_type == "s" and c.quotePrefix for c in found)


def test_planner_indicators_are_computed_from_the_frames_and_traced(planner):
    path, kw = planner
    wb = openpyxl.load_workbook(path)
    ind = _indicators(wb["Summary"])
    loads, risk, summary = kw["worker_loads"], kw["risk"], kw["plan_summary"]
    holding = loads["children_after"] > 0
    value, sheet = ind["Caseload per case-holder FTE, after allocation"]
    assert value == pytest.approx(loads["children_after"].sum() / loads.loc[holding, "fte"].sum())
    assert sheet == "Allocation"
    assert ind["Workers over the soft cap on children"][0] == int(loads["over_soft_cap"].sum())
    assert ind["Children changing social worker (handoffs)"][0] == kw["allocation_summary"]["handoffs"]
    assert ind["Expected leavers within 12 months, agency included"][0] == pytest.approx(risk["p_leave"].sum())
    census = kw["census"]
    plan_rows = census[census["scenario"] == "plan"].set_index("quarter")
    today = plan_rows.loc[0]
    assert ind["Agency rate, today"][0] == pytest.approx(today["agency_fte"] / (today["agency_fte"] + today["in_post_fte"]))
    end = plan_rows.loc[plan_rows.index.max()]
    [name] = [n for n in ind if n.startswith("Agency rate, ") and n.endswith(", plan")]
    assert ind[name][0] == pytest.approx(summary["agency_rate_end_p50"])  # the simulated median, as on the sheet
    assert ind[name][0] == pytest.approx(end["agency_rate"])
    [name] = [n for n in ind if n.startswith("Vacancy rate, ") and n.endswith(", plan")]
    assert ind[name][0] == pytest.approx(end["vacancy_rate"])
    assert ind["Chance the plan falls short in some quarter"][0] == pytest.approx(summary["p_shortfall_any_quarter"])
    assert ind["Saving against carrying on as now"][0] == pytest.approx(summary["saving_gbp_p50"])
    for value, sheet in ind.values():
        assert sheet in wb.sheetnames  # every figure names a sheet that exists


def test_planner_simulated_figures_show_median_and_band(planner):
    path, kw = planner
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = [[c.value for c in r] for r in ws[ws.tables["summary_indicators"].ref]]
    table = pd.DataFrame(rows[1:], columns=rows[0]).set_index("indicator")
    cost = table.loc["Workforce cost over the plan"]
    summary = kw["plan_summary"]
    assert (cost["value"], cost["P10"], cost["P90"]) == pytest.approx(
        (summary["total_cost_gbp_p50"], summary["total_cost_gbp_p10"], summary["total_cost_gbp_p90"]))
    assert "median" in cost["definition"]
    soft = table.loc["Workers over the soft cap on children", "definition"]
    assert "count of children" in soft and "not points" in soft
    assert "if nobody were hired" in table.loc["Gap if nobody were hired, last quarter", "definition"]


def test_planner_chart_data_matches_the_frames(planner):
    path, kw = planner
    ws = openpyxl.load_workbook(path)["Summary"]
    table = ws.tables["chart_capacity_against_demand"]
    rows = [[c.value for c in r] for r in ws[table.ref]]
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    mc = kw["montecarlo"]
    assert list(frame["demand"]) == pytest.approx(list(mc["need_case_holder_fte_p50"]))
    assert list(frame["with the plan, 10th-90th percentile"]) == pytest.approx(
        list(mc["capacity_case_holder_fte_p90"] - mc["capacity_case_holder_fte_p10"]))
    agency = ws.tables["chart_agency_rate"]
    rows = [[c.value for c in r] for r in ws[agency.ref]]
    census = kw["census"]
    plan = census[census["scenario"] == "plan"].sort_values("quarter")
    assert [r[1] for r in rows[1:]] == pytest.approx(list(plan["agency_rate"]))
    assert rows[0] == ["quarter", "agency rate (plan)", "carrying on as now",
                       "holding today's headcount (one deterministic run)"]


def test_planner_census_days_trajectories_notes_and_glossary(planner):
    path, kw = planner
    wb = openpyxl.load_workbook(path)
    summary = wb["Summary"]
    days = [[c.value for c in r] for r in summary[summary.tables["summary_census_days"].ref]]
    census = kw["census"]
    expected = census[census["census_day"] | (census["quarter"] == 0)]
    assert len(days) - 1 == len(expected)
    assert "summary_trajectories" in summary.tables
    for sheet in ("L&D plan", "Recruitment plan", "Projection", "Assumptions"):
        ws = wb[sheet]
        assert all(c.comment is not None for c in ws[1] if c.value), sheet  # every plan column explained
    readme = wb["README"]
    glossary = {r[0]: r[1] for r in
                [[c.value for c in row] for row in readme[readme.tables["readme_glossary"].ref]][1:]}
    assert {"gap_fte", "capacity_case_holder_fte", "hires_starting", "permanent_start_fte"} <= set(glossary)
    sources = [[c.value for c in row] for row in readme[readme.tables["readme_sources"].ref]][1:]
    assert {"S49", "S53", "S59"} <= {r[0] for r in sources}
    # a sheet's data rows are a whole count ("423", not "423.00"), blank where a sheet has none
    rows = [row[2] for row in readme[readme.tables["readme_sheets"].ref]][1:]
    assert any(c.value is None for c in rows) and all(c.number_format == "#,##0" for c in rows if c.value is not None)
    # units are consistent within a table: each rate of the Monte Carlo is a percentage
    mc = wb["Projection"]
    header = [c.value for c in mc[1]]
    col = header.index("agency_rate_p50") + 1
    assert mc.cell(row=2, column=col).number_format.endswith("%")


def test_planner_assumptions_read_back_by_plan(planner):
    path, kw = planner
    from workforce.config import load_assumptions
    from workforce.plans.assumptions import Assumptions

    assert load_assumptions(path) == fx.plan().assumptions
    assert fx.plan().assumptions.montecarlo.runs == 100 != Assumptions().montecarlo.runs
    ws = openpyxl.load_workbook(path)["Assumptions"]
    assert [c.value for c in ws[1]] == ["section", "key", "value", "low", "high", "unit", "basis", "description"]


def _shown_like_the_value(ws) -> list[tuple]:
    """(row, column, value, format) of each low or high cell shown in another format than the
    row's value (a range of 0.075 shown as 0.08 in '#,##0.00' beside a value in General)."""
    header = [c.value for c in ws[1]]
    value, low, high = (header.index(c) + 1 for c in ("value", "low", "high"))
    return [(r, col, ws.cell(r, col).value, ws.cell(r, col).number_format)
            for r in range(2, ws.max_row + 1) for col in (low, high)
            if ws.cell(r, col).value is not None
            and ws.cell(r, col).number_format != ws.cell(r, value).number_format]


def test_assumption_ranges_are_shown_as_exactly_as_their_values(planner, tmp_path):
    """A planner edits low and high beside value and the plan reads back what is stored: each is
    shown as written (General, like the value), in the plan workbook and the template alike."""
    from workforce.excel.templates import build_templates

    path, _ = planner
    ws = openpyxl.load_workbook(path)["Assumptions"]
    ranged = [ws.cell(r, 4).value for r in range(2, ws.max_row + 1) if ws.cell(r, 4).value is not None]
    assert any(round(v, 2) != v for v in ranged)  # a range two decimals would misshow is there
    assert _shown_like_the_value(ws) == []
    build_templates(tmp_path)
    assert _shown_like_the_value(openpyxl.load_workbook(tmp_path / "assumptions.xlsx")["Assumptions"]) == []


def test_planner_leaves_out_steps_not_run(tmp_path):
    path = tmp_path / "p.xlsx"
    kw = fx.planner_kwargs()
    write_planner_workbook(path, assumptions=kw["assumptions"], risk=kw["risk"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Risk register", "Assumptions", "README"]
    assert len(wb["Summary"]._charts) == 1  # only workers by band
    ind = _indicators(wb["Summary"])
    assert all(sheet == "Risk register" for _, sheet in ind.values())


def test_allocation_workbook(tmp_path):
    path = tmp_path / "allocation.xlsx"
    kw = fx.allocation_kwargs(hostile=True)
    write_allocation_workbook(path, **kw)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Allocations", "Worker loads", "Unallocated", "Changes", "Assumptions",
                             "README"]
    loads = wb["Worker loads"]
    rules = [r for cf in loads.conditional_formatting for r in cf.rules]
    formulas = [f for r in rules for f in (r.formula or [])]
    assert any("TRUE" in f for f in formulas) and any(">1" in f for f in formulas)  # over-cap loads
    assert len(wb["Summary"]._charts) == 1
    assert wb["Allocations"].max_row == len(kw["allocations"]) + 1
    hostile = [c for c in _cells(wb["Allocations"]) if c.value in fx.HOSTILE]
    assert len(hostile) == len(fx.HOSTILE) and all(c.data_type == "s" for c in hostile)
    _no_formulas(path)


def test_risk_register_rag_bands(tmp_path):
    path = tmp_path / "risk.xlsx"
    risk = fx.risk(hostile=True)
    team_risk = risk.groupby("team", as_index=False)["p_leave"].mean().rename(columns={"p_leave": "mean_p_leave"})
    write_risk_register(path, risk=risk, team_risk=team_risk,
                        fairness=fx.fairness(), card={"model": "logistic", "metrics": {"auc": 0.7}})
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Risk register", "Team risk", "Fairness audit", "Model card", "README"]
    ws = wb["Risk register"]
    band_col = [c.value for c in ws[1]].index("band") + 1
    letter = openpyxl.utils.get_column_letter(band_col)
    rules = {f for cf in ws.conditional_formatting for r in cf.rules for f in (r.formula or [])
             if str(cf.sqref).startswith(letter)}
    assert {f'${letter}2="High"', f'${letter}2="Medium"', f'${letter}2="Low"'} <= rules
    p = [ws.cell(row=r, column=[c.value for c in ws[1]].index("p_leave") + 1).value for r in range(2, ws.max_row + 1)]
    assert p == sorted(p, reverse=True)  # highest risk first
    card = {r[0]: r[1] for r in wb["Model card"].iter_rows(min_row=2, values_only=True)}
    assert card["metrics.auc"] == 0.7
    # a mean chance of leaving is a percentage on every sheet, as in the planner's workbook
    for sheet in ("Team risk", "Fairness audit"):
        head = [c.value for c in wb[sheet][1]]
        cell = wb[sheet].cell(row=2, column=head.index("mean_p_leave") + 1)
        assert cell.number_format == "0.0%", sheet


def test_risk_register_puts_flight_risk_first(tmp_path):
    """The register's order is flight risk (what the band measures), then leaving for any reason:
    an agency worker whose assignment ends (p_leave 0.55, voluntary 0.01) is not the first row."""
    risk = pd.DataFrame({"worker_id": ["AGENCY", "KEEN", "SETTLED", "TIE"], "team": ["T"] * 4, "locality": ["L"] * 4,
                         "p_leave": [0.55, 0.35, 0.10, 0.40], "p_voluntary_12m": [0.01, 0.30, 0.05, 0.30],
                         "band": ["Low", "High", "Low", "High"]})
    path = tmp_path / "risk.xlsx"
    write_risk_register(path, risk=risk)
    ws = openpyxl.load_workbook(path)["Risk register"]
    ids = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert ids == ["TIE", "KEEN", "SETTLED", "AGENCY"]  # ties on flight risk broken by p_leave
    plain = risk.drop(columns="p_voluntary_12m")  # a register without reasons: leaving for any reason
    write_risk_register(path, risk=plain)
    ids = [r[0] for r in openpyxl.load_workbook(path)["Risk register"].iter_rows(min_row=2, values_only=True)]
    assert ids == ["AGENCY", "TIE", "KEEN", "SETTLED"]


@needs_soffice
def test_libreoffice_converts_the_planner_workbook_to_pdf(planner, tmp_path):
    path, _ = planner
    convert_to_pdf(path, tmp_path)


def test_the_register_says_what_its_chances_are_for_and_what_the_band_is(tmp_path):
    """Header notes carry the caveat (never decisions about a person alone) and say that the band
    is flight risk only and a driver an association, not a promise; colour is on the band alone,
    not on p_leave (an agency contract ending would show red beside a green band)."""
    risk = pd.DataFrame({"worker_id": ["A", "B"], "team": ["T", "T"], "locality": ["L", "L"], "p_leave": [0.55, 0.2],
                         "p_voluntary_12m": [0.01, 0.18], "band": ["Low", "Medium"], "driver_1": ["", "x"]})
    path = tmp_path / "risk.xlsx"
    write_risk_register(path, risk=risk)
    ws = openpyxl.load_workbook(path)["Risk register"]
    notes = {c.value: (c.comment.text if c.comment else "") for c in ws[1]}
    assert "never for decisions about a person on their own" in notes["worker_id"]
    assert "flight risk only" in notes["band"] and "not a promise" in notes["driver_1"]
    p_col = openpyxl.utils.get_column_letter([c.value for c in ws[1]].index("p_leave") + 1)
    assert not [cf for cf in ws.conditional_formatting if str(cf.sqref).startswith(p_col)]


def test_the_register_notes_every_column_of_team_risk_and_the_fairness_audit(tmp_path):
    """A manager reading Team risk (expected_leavers_q3?) and an HR business partner reading the
    Fairness audit (lever_gap?) find each column explained in its header note and in the README
    glossary, as the Risk register's columns are."""
    from workforce.retention.fairness import audit
    from workforce.retention.model import team_risk

    risk = fx.risk().assign(p_voluntary_12m=lambda f: f["p_leave"] * 0.7, p_retire_12m=lambda f: f["p_leave"] * 0.1,
                            p_other_12m=lambda f: f["p_leave"] * 0.2)
    people = pd.DataFrame({"p_leave": risk["p_leave"], "left_within_horizon": (risk["p_leave"] > 0.25).astype(int),
                           "gender": ["female", "male"] * (len(risk) // 2)})
    teams, fairness = team_risk(risk, min_team=1), audit(people, characteristics=["gender"])
    path = tmp_path / "risk.xlsx"
    write_risk_register(path, risk=risk, team_risk=teams, fairness=fairness)
    wb = openpyxl.load_workbook(path)
    glossary = {r[0] for r in wb["README"].iter_rows(values_only=True)}
    for sheet, frame in (("Team risk", teams), ("Fairness audit", fairness)):
        notes = {c.value: c.comment.text if c.comment else "" for c in wb[sheet][1]}
        assert set(notes) == set(frame.columns)
        assert not [c for c, note in notes.items() if not note], sheet
        assert set(frame.columns) <= glossary, sheet
    notes = {c.value: c.comment.text for c in wb["Team risk"][1]}
    assert "quarter 3" in notes["expected_leavers_q3"] and "expected_leavers" in notes["expected_leavers_q3"]


def test_the_risk_register_workbook_is_read_back_as_the_risk_table(tmp_path):
    """A planner who checked the register in risk.xlsx gives that workbook to `plan --risk` as it
    is: its Risk register sheet is the risk table, with each worker's chance as written; a
    workbook with neither a risk sheet nor a register is refused, naming the sheets it has."""
    from workforce.contracts import load_risk
    from workforce.errors import InputError

    risk = pd.DataFrame({"worker_id": ["A", "B"], "team": ["T", "T"], "locality": ["L", "L"], "p_leave": [0.55, 0.2],
                         "p_voluntary_12m": [0.01, 0.18], "band": ["Low", "Medium"]})
    path = tmp_path / "risk.xlsx"
    write_risk_register(path, risk=risk)
    back = load_risk(path).set_index("worker_id")
    assert back["p_leave"].to_dict() == {"A": 0.55, "B": 0.2}
    other = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.save(other)
    with pytest.raises(InputError, match="no sheet named 'risk'.*Notes"):
        load_risk(other)


def test_a_risk_register_edited_in_a_spreadsheet_is_read_as_meant_or_refused_by_cell(tmp_path):
    """A planner who edits a chance by reason in risk.xlsx and feeds it back as `--risk`: '12%'
    is 0.12; a blank, or 12 typed for 12%, is refused naming the Risk register sheet, the row and
    the column (the plan used to stop on an internal error, or plan the worker as sure to leave)."""
    from workforce.contracts import load_risk
    from workforce.errors import InputError

    risk = pd.DataFrame({"worker_id": ["A", "B"], "team": ["T", "T"], "locality": ["L", "L"], "p_leave": [0.55, 0.2],
                         "p_voluntary_12m": [0.5, 0.18], "p_retire_12m": [0.03, 0.01],
                         "p_other_12m": [0.02, 0.01], "band": ["High", "Medium"]})
    path = tmp_path / "risk.xlsx"
    write_risk_register(path, risk=risk)
    wb = openpyxl.load_workbook(path)
    ws = wb["Risk register"]
    header = [c.value for c in ws[1]]
    column = header.index("p_voluntary_12m") + 1
    row_b = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "B")
    ws.cell(row_b, column).value = "12%"
    wb.save(path)
    assert load_risk(path).set_index("worker_id").loc["B", "p_voluntary_12m"] == pytest.approx(0.12)
    for typed, why in ((None, "is blank but required"), (12, "out of range: '12'")):
        ws.cell(row_b, column).value = typed
        wb.save(path)
        before = path.read_bytes()
        with pytest.raises(InputError) as err:
            load_risk(path)
        assert f"[Risk register], row {row_b}, column 'p_voluntary_12m': {why}" in str(err.value)
        assert path.read_bytes() == before


def test_one_register_gives_one_risk_table_from_csv_workbook_or_a_spreadsheet_save(tmp_path):
    """risk.csv holds the chances to CHANCE_DIGITS significant digits, risk.xlsx in full, and a
    spreadsheet program saves them to 15: read back, the three are the same table, and the count
    of expected leavers is the same whatever the order of the rows (the register is sorted by
    flight risk, the CSV by worker), so one register gives one plan."""
    from workforce.contracts import CHANCE_DIGITS, load_risk
    from workforce.csvcells import write_csv
    from workforce.indicators import expected_leavers

    rng = np.random.default_rng(7)
    p = rng.uniform(0.01, 0.6, 200)
    full = pd.DataFrame({"worker_id": [f"W{i:03d}" for i in range(200)], "p_leave": p,
                         "p_voluntary_12m": p * 0.7, "p_retire_12m": p * 0.1, "p_other_12m": p * 0.2})
    write_csv(full, tmp_path / "risk.csv", index=False, float_format=f"%.{CHANCE_DIGITS}g")
    write_risk_register(tmp_path / "risk.xlsx", risk=full.sort_values("p_voluntary_12m", ascending=False))
    saved = full.copy()
    for column in ("p_leave", "p_voluntary_12m", "p_retire_12m", "p_other_12m"):
        saved[column] = saved[column].map(lambda v: float(f"{v:.15g}"))
    write_risk_register(tmp_path / "saved.xlsx", risk=saved)
    tables = [load_risk(tmp_path / name) for name in ("risk.csv", "risk.xlsx", "saved.xlsx")]
    columns = ["worker_id", "p_leave", "p_voluntary_12m", "p_retire_12m", "p_other_12m"]
    first = tables[0][columns].sort_values("worker_id").reset_index(drop=True)
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table[columns].sort_values("worker_id").reset_index(drop=True), first)
    counts = {expected_leavers(t).value for t in tables}
    assert len(counts) == 1, counts
