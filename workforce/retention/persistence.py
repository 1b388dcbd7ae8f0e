"""Saving and loading a churn model: `models/<name>/model.joblib` + `model_card.json`.

Loading refuses (InputError) when the card is missing or unreadable, when the scikit-learn
version differs from the one that trained the model (pickled estimators are not portable
across versions), or when the feature schema in the card does not match the stored model.
Only load model files you trust: joblib files can run code when loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workforce.errors import InputError
from workforce.outputs import atomic_path

MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def card_json(card: dict[str, Any]) -> str:
    """The card as stable, readable JSON (NaN written as null)."""
    text = json.dumps(card, indent=2, sort_keys=False, default=_json_default, allow_nan=True)
    return text.replace("NaN", "null")


def save_model(model: "ChurnModel", directory: str | Path) -> Path:  # noqa: F821
    """Write `model.joblib` and `model_card.json` into `directory` (created if needed). Each file
    is written to a temporary name and renamed into place, so a crash leaves no half file."""
    import joblib

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_path(directory / MODEL_FILE) as tmp:
        joblib.dump(model, tmp, compress=3)
    with atomic_path(directory / CARD_FILE) as tmp:
        tmp.write_text(card_json(model.card), encoding="utf-8")
    return directory


def read_card(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / CARD_FILE
    if not path.is_file():
        raise InputError(f"no model card ({CARD_FILE}) in this folder; train a model first", file=directory)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"model card is not valid JSON: {exc}", file=path) from None


def load_model(directory: str | Path) -> "ChurnModel":  # noqa: F821
    """Load a model saved by :func:`save_model`, refusing on version or schema mismatch."""
    import joblib
    import sklearn

    from workforce.retention.model import MODEL_FORMAT, ChurnModel

    directory = Path(directory)
    card = read_card(directory)
    trained_with = card.get("library_versions", {}).get("scikit-learn")
    if trained_with != sklearn.__version__:
        raise InputError(
            f"model trained with scikit-learn {trained_with}, this installation has {sklearn.__version__}; "
            "retrain the model with `workforce churn train` (pickled models are not portable across versions)",
            file=directory / CARD_FILE,
        )
    path = directory / MODEL_FILE
    if not path.is_file():
        raise InputError(f"no {MODEL_FILE} beside the model card", file=directory)
    try:
        model = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad model file
        raise InputError(f"cannot load the model file: {type(exc).__name__}: {exc}", file=path) from None
    if not isinstance(model, ChurnModel):
        raise InputError("the file does not hold a workforce churn model", file=path)
    if card.get("model_format") != MODEL_FORMAT:
        raise InputError("the model was trained by an older version of workforce (a yes/no model, not quarterly "
                         "hazards by reason); retrain it with `workforce churn train`", file=directory / CARD_FILE)
    card_features = card.get("features", {})
    stored = {"numeric": list(model.numeric), "categorical": list(model.categorical)}
    fitted = list(getattr(model.estimator, "feature_names_in_", model.features))
    if card_features != stored or fitted != model.features:
        raise InputError(
            "feature schema mismatch between the model card and the stored model "
            f"(card: {card_features}; model: {stored}); the files do not belong together - retrain",
            file=directory / CARD_FILE,
        )
    model.card = card
    return model
