"""Issue 17.3: the allocation that was kept is the one explained, from its files, in plain
English; every reason agrees with the numbers the outputs hold, for every child of a run."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from allocation_frames import case, cases_frame, worker, workers_frame
from workforce.allocation import allocate
from workforce.allocation.explain import explain_row
from workforce.allocation.families import figure as _fmt
from workforce.contracts import load_cases, load_workers
from workforce.outputs import OutputDir
from workforce.pipeline import read_explanations, write_allocation_files

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _written(result, tmp_path: Path) -> Path:
    out = tmp_path / "run"
    with OutputDir(out) as od:
        write_allocation_files(od, result, inputs=[])
    return out


def check_every_reason(out: Path, workers: pd.DataFrame, cases: pd.DataFrame) -> set[str]:
    """Every child's explanation against allocations.csv, worker_loads.csv, unallocated.csv and
    the inputs; returns the reason codes seen."""
    ex = read_explanations(out)
    alloc = pd.read_csv(out / "allocations.csv", keep_default_na=False, dtype=str).set_index("case_id")
    loads = pd.read_csv(out / "worker_loads.csv", keep_default_na=False).set_index("worker_id")
    unal = pd.read_csv(out / "unallocated.csv", keep_default_na=False).set_index("case_id")
    W = workers.set_index("worker_id")
    C = cases.set_index("case_id")
    assert sorted(ex["case_id"]) == sorted(cases["case_id"])
    codes = set()
    for row in ex.to_dict("records"):
        cid = row["case_id"]
        wid = row["worker_id"] if isinstance(row["worker_id"], str) else ""
        assert wid == (alloc.at[cid, "worker_id"] if cid in alloc.index else ""), cid
        text = explain_row(ex, cid)
        if wid:
            lw = loads.loc[wid]
            for col in ("points_after", "capacity_points", "children_after", "max_children", "complex_after",
                        "max_complex"):
                assert float(row[col]) == pytest.approx(float(lw[col]), abs=1e-3), (cid, col)
            assert f"holds {_fmt(float(lw['children_after']))} children, hard cap {_fmt(float(lw['max_children']))}" in text
            assert f"{_fmt(float(lw['points_after']))} of {_fmt(float(lw['capacity_points']))} points" in text
        else:
            assert cid in unal.index and unal.at[cid, "held_meanwhile_by"] in text
        code = row["runner_up_code"] if isinstance(row["runner_up_code"], str) else ""
        codes.add(code.split(":")[0] + (":" + code.split(":")[1] if code.startswith("cost:") else ""))
        ru = row["runner_up"] if isinstance(row["runner_up"], str) else ""
        if ru and code not in ("fixed",) and not code.startswith("rule"):
            rl = loads.loc[ru]
            # the runner-up's figures are the written loads of that worker
            assert float(row["runner_up_points_after"]) == pytest.approx(float(rl["points_after"]), abs=1e-3)
            assert float(row["runner_up_children_after"]) == pytest.approx(float(rl["children_after"]), abs=1e-3)
            assert float(row["runner_up_capacity_points"]) == pytest.approx(float(rl["capacity_points"]), abs=1e-3)
            with_pts = float(row["runner_up_points_after"]) - float(row["runner_up_points_already"]) \
                + float(row["runner_up_family_points"])
            with_kids = float(row["runner_up_children_after"]) - float(row["runner_up_children_already"]) \
                + float(row["family_children"])
            with_cx = float(row["runner_up_complex_after"]) - float(row["runner_up_complex_already"]) \
                + float(row["runner_up_family_complex"])
            reason = str(row["runner_up_reason"]) + " " + str(row["reason"])
            if code == "cap_children":
                assert with_kids > float(rl["max_children"])
                assert f"would hold {_fmt(with_kids)} children, over the hard cap of {_fmt(float(rl['max_children']))}" in reason
            elif code == "cap_points":
                assert with_kids <= float(rl["max_children"]) and with_pts > float(rl["capacity_points"]) + 1e-6
                assert f"would carry {_fmt(with_pts)} of {_fmt(float(rl['capacity_points']))} points" in reason
            elif code == "cap_complex":
                assert with_cx > float(rl["max_complex"])
            elif code == "relief":
                assert ru == row["previous_worker_id"]
                assert rl[["over_points_before", "over_children_before", "over_complex_before"]].astype(str).isin(
                    ["True"]).any()
            elif code in ("no_room", "make_room"):
                short = {"points": max(0.0, with_pts - float(rl["capacity_points"])),
                         "children": max(0.0, with_kids - float(rl["max_children"])),
                         "complex": max(0.0, with_cx - float(rl["max_complex"]))}
                for load, value in short.items():
                    assert float(row[f"shortfall_{load}"]) == pytest.approx(value, abs=1e-3), (cid, load)
                    assert float(unal.at[cid, f"shortfall_{load}"] if cid in unal.index else value) == \
                        pytest.approx(value, abs=1e-3)
                assert f"the nearest is {ru}" in reason and any(v > 0 for v in short.values())
                if short["children"] > 0:
                    assert f"{_fmt(short['children'])} child" in reason
                if short["points"] > 0:
                    assert f"{_fmt(short['points'])} point" in reason
            elif code == "cost:continuity":
                assert wid == row["previous_worker_id"] and "is their worker now" in reason
            elif code == "cost:travel":
                assert W.at[ru, "locality"] != C.at[cid, "locality"]
            elif code == "cost:team_transfer":
                assert W.at[ru, "team"] != C.at[cid, "team"]
            elif code == "cost:load_balance":
                m = re.search(r"would be at (\d+)% of capacity \(([\d.]+) of ([\d.]+) points\)", reason)
                if m:
                    assert float(m.group(2)) == pytest.approx(with_pts, abs=0.06)
                    assert float(m.group(3)) == pytest.approx(float(rl["capacity_points"]), abs=0.06)
                else:
                    assert f"would hold {_fmt(with_kids)} children, above the safe level" in reason
                # never that the chosen worker is lighter: they may be above a safe level too
                assert f"across {ru} and {wid}, more of the load would be above safe levels" in reason
            elif code == "cost:risk":
                assert "chance of leaving" in reason
        elif code.startswith("rule:"):
            rule = code.split(":")[1]
            wr = W.loc[ru]
            if rule == "worker_available":
                assert not bool(wr["available"])
            elif rule == "not_team_manager":
                assert wr["role"] == "team_manager"
        for banned in ("it no capacity left", "the safe level 2", "cost points"):
            assert banned not in text
    return codes


def test_every_reason_of_the_examples_rebalance_agrees_with_its_outputs(tmp_path):
    workers = load_workers(EXAMPLES / "workers.csv")
    cases = load_cases(EXAMPLES / "cases.csv", workers=workers)
    r = allocate(workers, cases, mode="rebalance", time_limit=30)
    codes = check_every_reason(_written(r, tmp_path), workers, cases)
    assert {"fixed", "cost:continuity"} & codes  # the run exercised kept and cost-based reasons


def test_every_reason_of_a_crowded_team_agrees_with_its_outputs(tmp_path):
    # caps bind in every way: points, children, complex children; a family waits with a shortfall
    ws = [worker("W1", capacity_points=20.0), worker("W2", max_children=2.0),
          worker("W3", role="senior_practitioner", fte=0.2, capacity_points=60.0), worker("W4", locality="South"),
          worker("TM", role="team_manager")]
    cs = [case("A1", case_type="cp", current="W1"), case("A2", case_type="cin", current="W1"),
          case("B1", current="W2"), case("B2", current="W2"),
          *[case(f"D{i}", case_type="cp", current="W3") for i in range(3)],
          case("N1", "FN", case_type="cla"), case("N2", "FN", case_type="cla"), case("N3", "FN", case_type="cla"),
          *[case(f"L{i}", case_type="cla_complex", current="W4") for i in range(10)],
          case("P1", "FP", case_type="cp"), case("P2", "FP", case_type="cp", court=True)]
    w, c = workers_frame(*ws), cases_frame(*cs)
    r = allocate(w, c, mode="rebalance", time_limit=20)
    codes = check_every_reason(_written(r, tmp_path), w, c)
    assert codes & {"cap_points", "cap_children", "cap_complex", "no_room"}


def test_contract_ending_soon_is_not_given_looked_after_children_unless_nobody_else_can(tmp_path):
    ends = pd.Timestamp("2024-10-20")  # three weeks after the as-of date
    ws = workers_frame(worker("A1"), worker("P1"))
    ws["agency"] = [True, False]
    ws["contract_end_date"] = [ends, pd.NaT]
    cs = cases_frame(case("C1", case_type="cla"), case("C2", case_type="cin", current="P1"))
    r = allocate(ws, cs, mode="new", time_limit=10, as_of="2024-09-30")
    placed = r.allocations.set_index("case_id")["worker_id"]
    assert placed["C1"] == "P1"  # the agency worker would be less loaded, but leaves within 8 weeks
    text = explain_row(r.explanations, "C1")
    assert "A1's contract ends on 2024-10-20" in text and "8 weeks" in text
    # not binding: the contract ends after the horizon, or the child needs no continuity
    assert allocate(ws, cs, mode="new", time_limit=10, as_of="2024-06-01").allocations.set_index(
        "case_id")["worker_id"]["C1"] == "A1"
    # nobody else eligible: the agency worker takes the child, and the explanation says why
    ws2 = ws.assign(skills=["court", ""])
    cs2 = cases_frame(case("C1", case_type="cla", required="court"))
    r = allocate(ws2, cs2, mode="new", time_limit=10, as_of="2024-09-30")
    assert r.allocations.set_index("case_id")["worker_id"]["C1"] == "A1"
    assert "nobody else is eligible" in explain_row(r.explanations, "C1")


def test_children_given_or_left_to_a_worker_whose_contract_ends_soon_are_said(tmp_path):
    """The contract rule keeps only looked-after, CP and court children from a worker leaving within
    the horizon; a child in need it lets through, and a child who stays with such a worker, get a
    note saying the contract ends and what follows (binding); a contract ending later gets none."""
    ends = pd.Timestamp("2024-10-20")
    ws = workers_frame(worker("A1"), worker("P1"))
    ws["agency"] = [True, False]
    ws["contract_end_date"] = [ends, pd.NaT]
    cs = cases_frame(case("C1", case_type="cin"), case("C2", case_type="cin", current="P1"))
    r = allocate(ws, cs, mode="new", time_limit=10, as_of="2024-09-30")
    assert r.allocations.set_index("case_id")["worker_id"]["C1"] == "A1"  # the less loaded worker
    given = explain_row(r.explanations, "C1")
    assert "A1's contract ends on 2024-10-20" in given and "will change worker again" in given
    later = allocate(ws, cs, mode="new", time_limit=10, as_of="2024-06-01")
    assert "contract ends" not in explain_row(later.explanations, "C1")
    stays = cases_frame(case("C3", case_type="cin", current="A1"), case("C2", case_type="cin", current="P1"))
    r = allocate(ws, stays, mode="rebalance", time_limit=10, as_of="2024-09-30")
    assert r.allocations.set_index("case_id")["worker_id"]["C3"] == "A1"
    kept = explain_row(r.explanations, "C3")
    assert "A1's contract ends on 2024-10-20" in kept and "plan who these children go to next" in kept
    assert "contract ends" not in explain_row(r.explanations, "C2")


def test_as_of_defaults_to_the_inputs_latest_date_never_today():
    ws = workers_frame(worker("A1"), worker("P1"))
    cs = cases_frame(case("C1", case_type="cla"))
    cs["allocated_since"] = [pd.Timestamp("2021-03-04")]
    r = allocate(ws, cs, mode="new", time_limit=10)
    assert r.summary["as_of"] == "2021-03-04"
    with pytest.raises(Exception, match="as-of"):
        allocate(ws, cs, mode="new", time_limit=10, as_of="not a date")


# ------------------------------------------------------------------ explanations.csv as found


EXPLANATIONS = ("case_id,family_id,priority,outcome,worker_id,previous_worker_id,team,cross_team,family_children,"
                "points_after,capacity_points,children_after,max_children,complex_after,max_complex,runner_up,reason\n"
                "C00001,F1,2,stays,W0001,W0001,Nörth Team,False,1,73,85,17,20,0,4,,current worker\n")


def _explain(run: Path):
    from typer.testing import CliRunner

    from workforce.cli import app

    return CliRunner().invoke(app, ["explain", "--run", str(run), "C00001"])


def test_explain_reads_a_windows_1252_explanations_file(tmp_path):
    """Re-saved by Excel on Windows (or as Latin-1): read like every other CSV table."""
    (tmp_path / "explanations.csv").write_bytes(EXPLANATIONS.encode("cp1252"))
    result = _explain(tmp_path)
    assert result.exit_code == 0, result.output
    assert "W0001 (team Nörth Team)" in result.stdout


@pytest.mark.parametrize("name, content, expect", [
    ("utf16", EXPLANATIONS.encode("utf-16"), "UTF-16"),
    ("empty", b"", "empty"),
    ("blank", b"\n\n", "empty"),
    ("binary", bytes(range(256)) * 4, "binary"),
    ("no_case_id", EXPLANATIONS.replace("case_id,", "case,", 1).encode(), "no column case_id"),
    ("ragged", (EXPLANATIONS + "C00002,F2,1,new,W1,\"unclosed\n").encode(), "not valid CSV"),
])
def test_explain_refuses_an_unreadable_explanations_file(tmp_path, name, content, expect):
    """exit 2, one message naming the file, the run folder left as it was."""
    path = tmp_path / "explanations.csv"
    path.write_bytes(content)
    result = _explain(tmp_path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {path}") and result.stderr.count("error: ") == 1, result.stderr
    assert expect in result.stderr and "Traceback" not in result.output, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["explanations.csv"] and path.read_bytes() == content


def test_a_waiting_familys_points_say_when_they_include_travel():
    """unallocated.csv's `points` are the family's own; the reason gives them with the nearest
    worker, who may add a travel point per child living elsewhere: said, so the two agree."""
    ws = workers_frame(worker("P1"))
    held = [case(f"H{k:02d}", current="P1") for k in range(20)]  # at the hard cap on children
    far = cases_frame(case("C1", locality="South"), *held)
    near = cases_frame(case("C1"), *held)
    for cs, travel in ((far, True), (near, False)):
        r = allocate(ws, cs, mode="new", time_limit=10)
        text = explain_row(r.explanations, "C1")
        assert "the nearest is P1" in text
        assert ("with P1, travel included" in text) == travel


@pytest.mark.parametrize("manager_here", [dict(leaving=True), dict(available=False)])
def test_a_waiting_child_is_never_said_to_be_held_by_a_manager_who_is_leaving_or_away(manager_here):
    """A leaver's child nobody can take waits 'held meanwhile' by the team manager; a manager who
    is leaving too, or on long leave, holds nobody: the next manager of the team, or duty, is named."""
    first = dict(available=False) if "available" in manager_here else {}
    ws = workers_frame(worker("P1"), worker("P2", max_children=1.0),
                       worker("TM1", role="team_manager", **first), worker("TM2", role="team_manager", team="B"))
    cs = cases_frame(case("C1", current="P1"), case("C2", current="P2"))
    leavers = ("P1", "TM1") if "leaving" in manager_here else ("P1",)
    r = allocate(ws, cs, mode="leaver", leavers=leavers, time_limit=10)
    unal = r.unallocated.set_index("case_id")
    assert "C1" in unal.index  # P2 is full: the leaver's child waits
    held_by = unal.at["C1", "held_meanwhile_by"]
    assert held_by not in {"P1", "TM1"}
    assert held_by == "duty (team A)"  # team A has no other manager (TM2 manages team B)
    assert held_by in explain_row(r.explanations, "C1")
    # with a manager of team A who is here, that manager holds the child
    here = pd.concat([ws, workers_frame(worker("TM3", role="team_manager"))], ignore_index=True)
    r = allocate(here, cs, mode="leaver", leavers=leavers, time_limit=10)
    assert r.unallocated.set_index("case_id").at["C1", "held_meanwhile_by"] == "TM3"


def test_the_words_quote_quarter_points_as_the_files_hold_them():
    """Points come in quarters: the reason a family waits quotes the nearest worker's capacity and
    the shortfall as worker_loads.csv and unallocated.csv hold them, not rounded to a tenth."""
    ws = workers_frame(worker("P1", fte=0.5, capacity_points=21.25))
    cs = cases_frame(case("H1", case_type="cp", current="P1"), case("H2", case_type="cp", current="P1"),
                     case("N1", "FN", case_type="cla"), case("N2", "FN", case_type="cla"))
    r = allocate(ws, cs, mode="new", time_limit=10)
    unal = r.unallocated.set_index("case_id")
    assert "N1" in unal.index
    reason = unal.at["N1", "reason"]
    capacity = float(r.worker_loads.set_index("worker_id").at["P1", "capacity_points"])
    held = re.search(r"([\d.]+) of ([\d.]+) points", reason)
    assert held and float(held.group(2)) == capacity, reason
    short = re.search(r"([\d.]+) points?( and [^:]*)? short", reason)
    assert short and float(short.group(1)) == pytest.approx(float(unal.at["N1", "shortfall_points"]), abs=1e-9), reason
    assert f"of {capacity:g} points" in explain_row(r.explanations, "N1")


@pytest.mark.parametrize("mode, pinned", [("new", False), ("rebalance", True)])
def test_a_child_kept_with_a_worker_against_a_hard_rule_says_so_in_their_explanation(mode, pinned):
    """An ASYE holding a CP case alone, kept there by 'new' mode or a manager's pin, is an existing
    issue; the child's own explanation names it, rather than reading as an ordinary stay."""
    ws = workers_frame(worker("N1", asye=True), worker("P1"))
    cs = cases_frame(case("K1", case_type="cp", current="N1", pinned=pinned), case("K2", case_type="cin", current="N1"))
    r = allocate(ws, cs, mode=mode, time_limit=10)
    assert r.allocations.set_index("case_id").at["K1", "worker_id"] == "N1"  # kept by the mode or the pin
    issue = r.issues.set_index("case_id").loc["K1"]
    text = explain_row(r.explanations, "K1")
    assert "Against a hard rule" in text and issue["detail"] in text and issue["worker_id"] in text
    assert "Against a hard rule" not in explain_row(r.explanations, "K2")  # a CIN case breaks nothing
