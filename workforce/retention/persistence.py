"""Saving and loading a churn model: `models/<name>/model.joblib` + `model_card.json`.

A model saved by another scikit-learn version is loaded when it can be: scikit-learn does not
promise that a pickled estimator works across versions, so the model is loaded, asked for one
prediction, and used with a :class:`ModelVersionWarning` saying to retrain when convenient. It
is refused (InputError, saying how to retrain) only where that really fails: the file does not
unpickle or the estimator cannot predict. Loading also refuses a missing or unreadable card and
a card whose feature schema does not match the stored model.

Unpickling a joblib file can run any code it holds, so the card carries the SHA-256 of
`model.joblib` (:data:`HASH_KEY`, written when saving) and a model file whose bytes do not match
it is refused before it is unpickled: a file swapped in, corrupted or copied from another model
folder is never loaded. A card without the hash (a model saved before the hash was kept) is
refused too, saying to retrain: accepting it with a warning would let anyone who deletes the
line from the card load any file. The hash binds the two files together; it is not a signature:
whoever can rewrite both files can still make them agree, so keep model folders where only
those who may train models can write.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from workforce.errors import InputError, InputWarning
from workforce.outputs import atomic_path, file_digest
from workforce.retention.model import MODEL_FORMAT, ChurnModel

MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
RETRAIN = "retrain it with `workforce churn train --history HR_HISTORY --out FOLDER`"
#: The card's key for the SHA-256 of `model.joblib`.
HASH_KEY = "model_sha256"
#: The fairness audit `churn train` writes beside the model (``churn score`` shows it again).
FAIRNESS_FILE = "fairness.csv"


def model_inputs(model_dir: str | Path) -> list[Path]:
    """The model folder and the files a command reads from it, to name among a command's inputs:
    an output given as one of them (`churn audit --out MODEL/model_card.json`) is refused rather
    than written over the model, which workforce wrote and so would otherwise replace."""
    folder = Path(model_dir)
    return [folder, *(folder / name for name in (MODEL_FILE, CARD_FILE, FAIRNESS_FILE))]


class ModelVersionWarning(InputWarning):
    """The model was saved by another scikit-learn version; it loaded and predicts."""


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


def save_model(model: ChurnModel, directory: str | Path) -> Path:
    """Write `model.joblib` and `model_card.json` into `directory`.

    Each file is written to a temporary name and renamed into place, so a crash leaves no half
    file. The card records the model file's SHA-256 (:data:`HASH_KEY`), which
    :func:`load_model` checks before unpickling.

    Parameters
    ----------
    model : ChurnModel
        A trained model; its ``card`` is written beside it.
    directory : str or Path
        The model folder (created if needed).

    Returns
    -------
    Path
        The folder written.
    """
    import joblib

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_path(directory / MODEL_FILE) as tmp:
        joblib.dump(model, tmp, compress=3)
        digest = file_digest(Path(tmp))
    with atomic_path(directory / CARD_FILE) as tmp:
        tmp.write_text(card_json({**model.card, HASH_KEY: digest}), encoding="utf-8")
    return directory


def read_card(directory: str | Path) -> dict[str, Any]:
    """The model card of a model folder.

    Raises
    ------
    InputError
        No card in the folder, or the card is not valid JSON.
    """
    path = Path(directory) / CARD_FILE
    if not path.is_file():
        raise InputError(f"no model card ({CARD_FILE}) in this folder; train a model first", file=directory)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"model card is not valid JSON: {exc}", file=path) from None


def _smoke_prediction(model: ChurnModel) -> None:
    """One prediction on a neutral row (numbers 0, categories unseen): raises when the estimator
    cannot predict under this scikit-learn."""
    row = {name: [0.0] for name in model.numeric} | {name: [""] for name in model.categorical}
    model.predict(pd.DataFrame(row))


def check_model_hash(path: Path, card: dict[str, Any], card_path: Path) -> None:
    """Refuse a model file whose SHA-256 is not the one its card records (module docstring).

    Raises
    ------
    InputError
        The card records no hash, or the file's hash differs; nothing has been unpickled.
    """
    expected = card.get(HASH_KEY)
    if not isinstance(expected, str) or not expected:
        raise InputError(f"the model card has no {HASH_KEY} for {MODEL_FILE} (a model saved by an earlier version of "
                         f"workforce): the file cannot be checked before it is loaded, and loading an unchecked "
                         f"joblib file can run code; {RETRAIN}", file=card_path)
    actual = file_digest(Path(path))
    if actual != expected:
        raise InputError(f"{MODEL_FILE} is not the file its card was written for (SHA-256 {actual[:12]}..., the card "
                         f"records {expected[:12]}...): it was changed or replaced after training, and is not loaded "
                         f"(loading a joblib file can run code); use the folder as `workforce churn train` wrote it, "
                         f"or {RETRAIN}", file=path)


def load_model(directory: str | Path) -> ChurnModel:
    """Load a model saved by :func:`save_model`.

    Parameters
    ----------
    directory : str or Path
        The model folder (``model.joblib`` and ``model_card.json``).

    Returns
    -------
    ChurnModel
        The model, with its card.

    Warns
    -----
    ModelVersionWarning
        The model was saved by another scikit-learn version than the one installed; it loaded
        and predicts, but results may differ slightly from the version it was validated with.

    Raises
    ------
    InputError
        The card is missing or unreadable; the card has no model hash, or the model file's
        SHA-256 does not match it (checked before unpickling); the model file is missing, does not unpickle, is not
        a churn model, or cannot predict under this scikit-learn (the message says how to
        retrain); the card's feature schema does not match the stored model.
    """
    import joblib
    import sklearn

    directory = Path(directory)
    card = read_card(directory)
    trained_with = card.get("library_versions", {}).get("scikit-learn")
    installed = sklearn.__version__
    path = directory / MODEL_FILE
    if not path.is_file():
        raise InputError(f"no {MODEL_FILE} beside the model card", file=directory)
    check_model_hash(path, card, directory / CARD_FILE)
    other = f"trained with scikit-learn {trained_with or 'unknown'}, this installation has {installed}"
    try:
        with warnings.catch_warnings():
            # scikit-learn's own InconsistentVersionWarning: replaced by the one warning below
            warnings.simplefilter("ignore", UserWarning)
            model = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad or incompatible model file
        hint = f" (model {other}); {RETRAIN}" if trained_with != installed else ""
        raise InputError(f"cannot load the model file: {type(exc).__name__}: {exc}{hint}", file=path) from None
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
    if trained_with != installed:
        try:
            _smoke_prediction(model)
        except Exception as exc:  # noqa: BLE001 - the estimator does not work under this version
            raise InputError(f"the model cannot predict under this scikit-learn ({other}: {type(exc).__name__}: "
                             f"{exc}); {RETRAIN}", file=path) from None
        warnings.warn(ModelVersionWarning(
            f"{directory}: model {other}; it loads and predicts, but scikit-learn does not promise "
            f"identical results across versions: {RETRAIN} when convenient"), stacklevel=2)
    model.card = card
    return model


#: The columns a fairness audit file must have to be shown again.
FAIRNESS_COLUMNS = ("check", "characteristic", "group", "count", "suppressed")


def read_fairness(path: str | Path) -> pd.DataFrame | None:
    """The fairness audit a model folder holds (:data:`FAIRNESS_FILE`, written by `churn train`
    with :func:`workforce.csvcells.write_csv`), with the text marks taken off, so a group's name
    reads as the audit wrote it; None when there is no such file.

    Parameters
    ----------
    path : str or Path
        The model folder, or the file itself.

    Raises
    ------
    InputError
        The file is not a fairness audit (not CSV, empty, or without :data:`FAIRNESS_COLUMNS`):
        it is not covered by the model's hash, so it may have been edited or cut.
    """
    from workforce.readers import read_written_csv

    path = Path(path)
    path = path / FAIRNESS_FILE if path.is_dir() else path
    if not path.is_file():
        return None
    frame = read_written_csv(path)
    missing = [c for c in FAIRNESS_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"is not a fairness audit: no column {', '.join(missing)}", file=path,
                         allowed=f"the {FAIRNESS_FILE} `workforce churn train` wrote beside the model")
    return frame
