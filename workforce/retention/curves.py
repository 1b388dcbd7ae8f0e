"""Survival and cumulative-incidence curves from discrete-time hazards by reason, and back.

The one place this arithmetic lives: the hazard models (`hazard.py`), the random survival forest
(`forest.py`), the risk register and the selection metrics all read it from here.
"""

from __future__ import annotations

import numpy as np


def cumulative_incidence(hazards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Survival and cumulative incidence from hazards (..., P, R); the last axis is the reason.

    Returns
    -------
    (ndarray, ndarray)
        S (..., P): in post after each period; F (..., P, R): left for each reason by each
        period. ``1 - S[..., k] == F[..., k, :].sum(-1)`` up to rounding.
    """
    h = np.asarray(hazards, dtype=float)
    total = np.clip(h.sum(axis=-1), 0.0, 1.0)
    S = np.cumprod(1.0 - total, axis=-1)
    before = np.concatenate([np.ones_like(S[..., :1]), S[..., :-1]], axis=-1)
    return S, np.cumsum(before[..., None] * h, axis=-2)


def hazards_from_curves(S: np.ndarray, F: np.ndarray) -> np.ndarray:
    """The hazards whose survival and incidence curves are `S` (n, P) and `F` (n, P, R): the
    inverse of `cumulative_incidence`."""
    before = np.concatenate([np.ones_like(S[:, :1]), S[:, :-1]], axis=1)
    step = np.diff(np.concatenate([np.zeros_like(F[:, :1]), F], axis=1), axis=1)
    return np.divide(step, before[..., None], out=np.zeros_like(step), where=before[..., None] > 1e-12)
