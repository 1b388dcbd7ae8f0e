"""Shared test settings: one thread for BLAS/OpenMP (2-core machines), the shared folder."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the repo; tests that need it skip with a clear reason when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared material not found at {SHARED} (benchmarks and public data live there)")
    return SHARED


@pytest.fixture(scope="session")
def example_model(tmp_path_factory) -> Path:
    """A churn model trained on `examples/hr_history.csv` by this installation's scikit-learn.

    Built here rather than stored in the repository: a pickled estimator is tied to the library
    version that wrote it, and a stored one would age with every scikit-learn release."""
    from workforce.contracts import load_hr_history
    from workforce.retention.model import train
    from workforce.retention.persistence import save_model

    model, _ = train(load_hr_history(REPO / "examples" / "hr_history.csv"), seed=0, n_splits=2, n_repeats=1)
    return save_model(model, tmp_path_factory.mktemp("example_model") / "model")
