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
