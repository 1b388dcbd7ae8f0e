"""Time-to-event metrics, implemented here in numpy (no survival library: `lifelines` and
`scikit-survival` both pin pandas below 3).

Conventions, the same in every function:

* `time` is when the event or censoring happened (any unit; discrete quarters in the churn
  model), `event` is True for an event and False for censoring.
* At a tied time, events come before censorings (someone censored at time t was still in post
  when the events at t happened), as in Kaplan-Meier.
* Censoring is corrected for by inverse probability of censoring weights (IPCW) from the
  Kaplan-Meier estimate of the censoring distribution G(t) = P(C > t) on the data evaluated.

Functions: :func:`harrell_c` (concordance), :func:`censoring_survival` (G),
:func:`cumulative_dynamic_auc` (time-dependent ROC AUC at a time t), :func:`brier_scores` and
:func:`integrated_brier_score` (IPCW Brier score over a grid of times) and
:func:`reliability_table` (calibration of a probability against a 0/1 outcome).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd


def _arrays(time, event) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    if t.shape != e.shape or t.ndim != 1:
        raise ValueError("time and event must be 1-d arrays of the same length")
    return t, e


def harrell_c(time, event, risk) -> float:
    """Harrell's concordance index with censoring.

    A pair (i, j) is comparable when i had the event first: ``event[i]`` and either
    ``time[i] < time[j]``, or the times tie and j was censored (still in post at that time).
    It is concordant when i has the higher risk; tied risks count one half. NaN when no pair is
    comparable.

    Parameters
    ----------
    time, event : array-like
        Follow-up time and event indicator per subject.
    risk : array-like
        Predicted risk (higher = earlier event expected).

    Returns
    -------
    float
        Concordant pairs (ties one half) over comparable pairs.
    """
    t, e = _arrays(time, event)
    r = np.asarray(risk, dtype=float)
    concordant = comparable = 0.0
    for start in range(0, len(t), 512):  # chunks keep memory at 512 x n
        i = np.arange(start, min(start + 512, len(t)))
        ti, ei, ri = t[i, None], e[i, None], r[i, None]
        pairs = ei & ((ti < t[None, :]) | ((ti == t[None, :]) & ~e[None, :]))
        comparable += pairs.sum()
        concordant += (pairs & (ri > r[None, :])).sum() + 0.5 * (pairs & (ri == r[None, :])).sum()
    return float(concordant / comparable) if comparable else float("nan")


def censoring_survival(time, event) -> Callable[[np.ndarray, bool], np.ndarray]:
    """Kaplan-Meier estimate of the censoring survival function G(t) = P(C > t).

    Censorings are the "events" of this estimate; at a tied time the real events happen first,
    so a subject with an event at t is not at risk of being censored at t.

    Returns
    -------
    callable
        ``G(t, before=False)``: G at each time in `t` (``before=True`` gives G(t-), the value
        just before t).
    """
    t, e = _arrays(time, event)
    censor_times = np.unique(t[~e])
    at_risk = np.array([np.sum(t > c) + np.sum((t == c) & ~e) for c in censor_times], dtype=float)
    censored = np.array([np.sum((t == c) & ~e) for c in censor_times], dtype=float)
    steps = np.cumprod(1.0 - censored / at_risk) if len(censor_times) else np.array([])

    def G(at, before: bool = False) -> np.ndarray:
        at = np.atleast_1d(np.asarray(at, dtype=float))
        if not len(steps):
            return np.ones(len(at))
        idx = np.searchsorted(censor_times, at, side="left" if before else "right")
        return np.where(idx > 0, steps[np.maximum(idx - 1, 0)], 1.0)

    return G


def cumulative_dynamic_auc(time, event, risk, at: float) -> float:
    """Time-dependent ROC AUC at time `at` (cumulative cases, dynamic controls), with IPCW.

    Cases: events by `at` (``time <= at`` and ``event``), each weighted 1 / G(time-). Controls:
    subjects still event-free after `at` (``time > at``). Subjects censored by `at` are neither:
    the weights stand in for them. AUC = weighted share of (case, control) pairs where the case
    has the higher risk (ties one half). NaN without a case or a control.

    Parameters
    ----------
    time, event : array-like
    risk : array-like
        Predicted risk by `at` (e.g. the 12-month probability of leaving).
    at : float
        The time the AUC is evaluated at (12 months = 4 quarters).
    """
    t, e = _arrays(time, event)
    r = np.asarray(risk, dtype=float)
    cases = e & (t <= at)
    controls = t > at
    if not cases.any() or not controls.any():
        return float("nan")
    w = 1.0 / censoring_survival(t, e)(t[cases], before=True)
    rc, rn = r[cases][:, None], r[controls][None, :]
    wins = (rc > rn).sum(axis=1) + 0.5 * (rc == rn).sum(axis=1)
    return float(np.sum(w * wins) / (np.sum(w) * controls.sum()))


def brier_scores(time, event, survival, times) -> np.ndarray:
    """IPCW Brier score at each of `times` (Graf et al. 1999).

    BS(t) = mean over subjects of S_i(t)^2 / G(T_i-) for events by t, (1 - S_i(t))^2 / G(t) for
    subjects event-free after t, and 0 for subjects censored by t.

    Parameters
    ----------
    time, event : array-like, length n
    survival : array (n, len(times))
        Predicted probability of being event-free at each time.
    times : array-like
        Evaluation times, increasing.

    Returns
    -------
    ndarray
        One Brier score per time.
    """
    t, e = _arrays(time, event)
    times = np.asarray(times, dtype=float)
    S = np.asarray(survival, dtype=float).reshape(len(t), len(times))
    G = censoring_survival(t, e)
    g_event = G(t, before=True)
    out = np.empty(len(times))
    for k, at in enumerate(times):
        had = e & (t <= at)
        after = t > at
        g_at = float(G(np.array([at]))[0])
        term = np.zeros(len(t))
        term[had] = S[had, k] ** 2 / g_event[had]
        if g_at > 0:
            term[after] = (1.0 - S[after, k]) ** 2 / g_at
        out[k] = term.mean()
    return out


def integrated_brier_score(time, event, survival, times) -> float:
    """The Brier score averaged over `times` (trapezoid rule, divided by the time span); the
    single score when there is one time. Lower is better; 0.25 is a coin toss at every time."""
    times = np.asarray(times, dtype=float)
    scores = brier_scores(time, event, survival, times)
    if len(times) == 1:
        return float(scores[0])
    return float(np.trapezoid(scores, times) / (times[-1] - times[0]))


def reliability_table(p, y, n_bins: int = 10) -> pd.DataFrame:
    """Calibration of probabilities `p` against 0/1 outcomes `y`, in bins of equal count.

    Returns
    -------
    DataFrame
        `bin` (1 lowest), `count`, `p_from`, `p_to`, `mean_predicted`, `observed_rate`,
        `difference` (observed - predicted), one row per non-empty bin.
    """
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(p) == 0:
        return pd.DataFrame(columns=["bin", "count", "p_from", "p_to", "mean_predicted", "observed_rate", "difference"])
    n_bins = max(1, min(n_bins, len(p)))
    order = np.argsort(p, kind="stable")
    rows = []
    for k, idx in enumerate(np.array_split(order, n_bins), start=1):
        if len(idx) == 0:
            continue
        rows.append({
            "bin": k, "count": int(len(idx)), "p_from": float(p[idx].min()), "p_to": float(p[idx].max()),
            "mean_predicted": float(p[idx].mean()), "observed_rate": float(y[idx].mean()),
        })
    table = pd.DataFrame(rows)
    table["difference"] = table["observed_rate"] - table["mean_predicted"]
    return table
