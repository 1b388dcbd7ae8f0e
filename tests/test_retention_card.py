"""The model card as tables (`workforce.retention.card`) and its sheet in the risk register."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd

from workforce.excel.workbooks import write_risk_register
from workforce.retention.card import CARD_TABLES, card_tables


def _card(example_model) -> dict:
    return json.loads((example_model / "model_card.json").read_text())


def _leaves(obj, out: list) -> list:
    if isinstance(obj, dict):
        for v in obj.values():
            _leaves(v, out)
    elif isinstance(obj, list):
        out.extend(obj)
    else:
        out.append(obj)
    return out


def test_every_value_of_the_card_is_in_a_table(example_model):
    """Nothing in the JSON is hidden from the sheet: every leaf value of a trained model's card is
    a cell of some table (the selected model's cross-validated scores are its Candidates row)."""
    card = _card(example_model)
    tables = card_tables(card)
    assert list(tables) == list(CARD_TABLES)  # a trained card has every part
    cells = set()
    for frame in tables.values():
        for value in frame.to_numpy().ravel().tolist():
            cells.add(value)
            if isinstance(value, str):  # lists are joined with "; "
                cells.update(value.split("; "))
    wanted = _leaves({k: v for k, v in card.items() if k != "cross_validated"}, [])
    missing = [v for v in wanted if v not in cells and str(v) not in cells]
    assert not missing


def test_candidates_mark_the_selected_and_the_baseline(example_model):
    card = _card(example_model)
    cand = card_tables(card)["Candidates"].set_index("candidate")
    sel = card["selection"]
    assert set(cand.index) == set(sel["candidates"])
    assert cand.at[sel["selected"], "role"] == "selected"
    assert cand.at[sel["selected"], "concordance_mean"] == card["cross_validated"]["c_index"]["mean"]
    if sel["plain_baseline"] != sel["selected"]:
        assert cand.at[sel["plain_baseline"], "role"] == "plain baseline"
    assert (cand["role"] != "").sum() <= 2


def test_out_of_time_and_reliability_rows(example_model):
    card = _card(example_model)
    tables = card_tables(card)
    oot = tables["Out_of_time"]
    assert oot["reason"].tolist() == ["any reason", *card["out_of_time"]["by_reason"]]
    assert oot["observed_leavers"].iloc[0] == card["out_of_time"]["observed_leavers"]
    rel = tables["Reliability"]
    assert rel["bin"].tolist() == list(range(1, len(card["reliability"]) + 1))
    assert rel["count"].sum() == card["rows"]["known_at_horizon"]
    assert tables["About"].iloc[0].tolist() == ["selected model", card["selection"]["selected"]]


def test_a_card_without_candidates_or_warnings():
    """Any other mapping is shown whole in About (nested keys dotted); missing parts are left out,
    and an empty warnings list says none."""
    tables = card_tables({"model": "logistic", "metrics": {"auc": 0.7}, "cross_validated": {"c_index": 0.6},
                          "warnings": []})
    assert list(tables) == ["About", "Warnings"]
    about = dict(zip(tables["About"]["item"], tables["About"]["value"]))
    assert about == {"model": "logistic", "metrics.auc": 0.7, "cross_validated.c_index": 0.6}
    assert tables["Warnings"]["warning"].tolist() == ["none"]
    out = card_tables({"out_of_time": {"available": False, "reason": "no complete year"}})
    assert "Out_of_time" not in out
    assert dict(zip(out["About"]["item"], out["About"]["value"]))["out_of_time.reason"] == "no complete year"


def test_model_card_sheet_is_tables(tmp_path, example_model):
    card = _card(example_model)
    risk = pd.DataFrame({"worker_id": ["a", "b"], "team": ["T", "T"], "p_leave": [0.2, 0.1], "band": ["Medium", "Low"]})
    path = write_risk_register(tmp_path / "risk.xlsx", risk=risk, card=card)
    ws = openpyxl.load_workbook(path)["Model card"]
    assert sorted(ws.tables) == sorted(f"Card_{n}" for n in CARD_TABLES)
    head = [c.value for c in ws[1]]
    col = head.index("observed_rate") + 1
    assert ws.cell(row=2, column=col).number_format.endswith("%")
    assert ws.cell(row=1, column=1).comment is not None  # each table says what it holds
