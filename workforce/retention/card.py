"""The model card as tables a reader can scan: what was chosen and how well it ranks people,
how it did on the last complete year, how its chances compare with what happened, what it must
not be used for.

The card (`model.py`'s ``card``, saved as `model_card.json`) is nested JSON; written to a sheet
as dotted ``selection.candidates.forest_hazard.c_index.mean`` rows it was unreadable to the HR
partner it is for. `card_tables` turns it into one frame per part; every key the card holds is
in one of them, so nothing in the JSON is hidden from the sheet.
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

#: The tables, in the order they are shown, and what each holds.
CARD_TABLES = {
    "About": "what the model is, what it was trained on and how it was chosen",
    "Warnings": "what a reader must know before using the chances on a person",
    "Candidates": "each candidate's cross-validated scores; the one selected and the plain baseline marked",
    "Out_of_time": "the last complete year, held back: how well each reason's chance ranked who left",
    "Reliability": "the 12-month chance against what happened, out of fold, in bins of predicted chance",
    "Features": "what the model reads",
}

#: Keys for whoever maintains the model, shown last in About.
_TECHNICAL = ("reasons", "model_format", "data_hash", "library_versions", "seed")

_METRICS = (("c_index", "concordance"), ("auc_horizon", "auc_at_horizon"), ("ibs", "integrated_brier"))


def _flat(obj: Any, prefix: str, rows: list[tuple[str, Any]]) -> None:
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            _flat(v, f"{prefix}.{k}" if prefix else str(k), rows)
    elif isinstance(obj, (list, tuple)):
        if any(";" in str(v) for v in obj):  # sentences (fairness flags): one row each, numbered
            rows.extend((f"{prefix} {k}", v) for k, v in enumerate(obj, start=1))
        else:
            rows.append((prefix, "; ".join(str(v) for v in obj)))
    else:
        rows.append((prefix, obj))


def _candidates(selection: Mapping[str, Any]) -> pd.DataFrame:
    rows = []
    for name, scores in (selection.get("candidates") or {}).items():
        row: dict[str, Any] = {"candidate": name,
                               "role": "selected" if name == selection.get("selected")
                               else "plain baseline" if name == selection.get("plain_baseline") else ""}
        for key, label in _METRICS:
            s = scores.get(key) or {}
            row[f"{label}_mean"], row[f"{label}_sd"] = s.get("mean"), s.get("sd")
        rows.append(row)
    return pd.DataFrame(rows)


def _out_of_time(oot: Mapping[str, Any]) -> pd.DataFrame:
    keys = ("roc_auc", "brier", "observed_leavers", "expected_leavers")
    rows = [{"reason": "any reason", **{k: oot.get(k) for k in keys}}]
    rows += [{"reason": reason, **{k: v.get(k) for k in keys}} for reason, v in (oot.get("by_reason") or {}).items()]
    return pd.DataFrame(rows)


def card_tables(card: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The model card as tables (keys of `CARD_TABLES`; a part the card lacks is left out).

    Parameters
    ----------
    card : mapping
        A model card (`ChurnModel.card`, or `model_card.json` read back); any other mapping is
        shown whole in About.

    Returns
    -------
    dict of str to DataFrame
        About (``item, value``: everything not in another table, nested keys dotted), Warnings
        (``warning``), Candidates (``candidate, role`` and each metric's mean and sd), Out_of_time
        (``reason, roc_auc, brier, observed_leavers, expected_leavers``; its dates and counts are
        in About), Reliability (``bin, count, p_from, p_to, mean_predicted, observed_rate``) and
        Features (``feature, kind``).
    """
    card = dict(card)
    out: dict[str, pd.DataFrame] = {}
    about: list[tuple[str, Any]] = []
    selection = dict(card.pop("selection", None) or {})
    if selection.get("selected"):
        about.append(("selected model", selection["selected"]))
    warnings = card.pop("warnings", None)
    cross_validated = card.pop("cross_validated", None)
    if selection.get("candidates"):
        candidates = _candidates(selection)
        selection = {k: v for k, v in selection.items() if k not in ("candidates", "selected")}
    else:
        candidates = None
        if cross_validated is not None:  # no candidates listed: keep the selected model's scores
            card["cross_validated"] = cross_validated
    oot = card.pop("out_of_time", None)
    reliability = card.pop("reliability", None)
    features = card.pop("features", None)
    technical = {k: card.pop(k) for k in _TECHNICAL if k in card}
    _flat(selection, "selection", about)
    _flat(card, "", about)
    if isinstance(oot, Mapping):
        _flat({k: v for k, v in oot.items() if k not in ("by_reason", "roc_auc", "brier", "observed_leavers",
                                                          "expected_leavers")}, "out_of_time", about)
    _flat(technical, "", about)
    out["About"] = pd.DataFrame(about, columns=["item", "value"]).astype({"value": object})
    if warnings is not None:
        out["Warnings"] = pd.DataFrame({"warning": list(warnings) or ["none"]})
    if candidates is not None:
        out["Candidates"] = candidates
    if isinstance(oot, Mapping) and oot.get("available", True) and "roc_auc" in oot:
        out["Out_of_time"] = _out_of_time(oot)
    if isinstance(reliability, Mapping) and reliability:
        out["Reliability"] = pd.DataFrame([{"bin": int(str(k).split()[-1]) if str(k).split()[-1].isdigit() else k,
                                            **dict(v)} for k, v in reliability.items()])
    if isinstance(features, Mapping):
        out["Features"] = pd.DataFrame([{"feature": f, "kind": kind} for kind, names in features.items()
                                        for f in (names or [])], columns=["feature", "kind"])
    return {name: out[name] for name in CARD_TABLES if name in out}
