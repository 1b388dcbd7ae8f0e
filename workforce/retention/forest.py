"""A random survival forest for discrete time with competing reasons, on scikit-learn trees.

Unlike the person-period classifiers of :mod:`workforce.retention.hazard`, this model is fitted
on *subjects*: one row per subject at time 0, with the period it was last seen in post and the
reason it left then (0 when censored). Each tree is grown on a bootstrap sample and each leaf
estimates the hazards of the subjects that fall in it, period by period and reason by reason;
the forest averages the trees' survival and cumulative incidence curves (as Ishwaran et al.'s
random survival forests for competing risks do) and turns the averages back into hazards, so
:func:`workforce.retention.curves.cumulative_incidence` of its hazards gives those curves again.

Splitting. Log-rank splitting is approximated as Therneau, Grambsch and Fleming (1990) and
LeBlanc and Crowley (1992) propose: the trees are scikit-learn regression trees fitted to the
martingale residuals ``M_i = d_i - H(t_i)`` of the null model (``H`` the Nelson-Aalen cumulative
hazard of leaving for any reason). The log-rank statistic's numerator for a split is the sum of
the node's martingale residuals on one side, and a regression tree's variance reduction is that
sum squared over ``n_L n_R / n``: the same ranking of splits as the log-rank test when the share
of each side at risk stays even over time, with the residuals taken from the whole sample rather
than recomputed in each node. Growing trees in compiled code keeps a forest within seconds.

Leaf estimates. A leaf's hazard for reason r in period k is shrunk towards the whole sample's:
``(d_rk + a h_r(k)) / (n_k + a)`` with ``a = prior_strength`` pseudo-subjects, so a leaf with
few people at risk late in follow-up borrows the common hazard instead of jumping to 0 or 1.
Periods after the last one estimated (``periods``) repeat its hazards.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestRegressor
from sklearn.utils.validation import check_is_fitted

from workforce.retention.curves import cumulative_incidence, hazards_from_curves


def survival_target(time: np.ndarray, cause: np.ndarray) -> np.ndarray:
    """The `y` of a subject-level survival estimator: column 0 the periods in post (the last one
    observed), column 1 the reason class of leaving in that period (0 censored)."""
    return np.column_stack([np.asarray(time, dtype=int), np.asarray(cause, dtype=int)])


def period_counts(time: np.ndarray, cause: np.ndarray, periods: int, n_reasons: int,
                  weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """At risk in each period (n, shape (periods,)) and leavers by period and reason (d, shape
    (periods, n_reasons)): subject i is at risk in periods 1..time[i] and, when cause[i] > 0,
    leaves in period time[i]."""
    w = np.ones(len(time)) if weight is None else np.asarray(weight, dtype=float)
    last = np.minimum(time, periods)
    at_risk = np.bincount(last, weights=w, minlength=periods + 1)[::-1].cumsum()[::-1][1:periods + 1]
    d = np.zeros((periods, n_reasons))
    left = (cause > 0) & (time >= 1) & (time <= periods)
    np.add.at(d, (time[left] - 1, cause[left] - 1), w[left])
    return at_risk, d


def martingale_residuals(time: np.ndarray, cause: np.ndarray) -> np.ndarray:
    """``d_i - H(t_i)``: event indicator (any reason) less the Nelson-Aalen cumulative hazard up
    to and including the subject's last period."""
    horizon = int(max(time.max(), 1))
    at_risk, d = period_counts(time, cause, horizon, int(max(cause.max(), 1)))
    hazard = np.divide(d.sum(axis=1), at_risk, out=np.zeros(horizon), where=at_risk > 0)
    H = np.r_[0.0, np.cumsum(hazard)]
    return (cause > 0).astype(float) - H[np.clip(time, 0, horizon)]


class SurvivalForest(BaseEstimator):
    """Random survival forest with competing reasons (discrete time), scikit-learn style.

    Parameters
    ----------
    n_estimators : int
        Trees.
    min_samples_leaf : int
        Fewest subjects in a leaf.
    max_features : float, int or str
        Features tried at each split (as in :class:`~sklearn.ensemble.RandomForestRegressor`).
    max_samples : float or None
        Share of subjects drawn (with replacement) for each tree; None draws as many as there are.
    prior_strength : float
        Pseudo-subjects at the whole sample's hazard added to every leaf and period.
    periods : int
        Periods whose hazards are estimated (later periods repeat the last).
    random_state : int
        Bootstrap samples and feature draws.

    Attributes
    ----------
    forest_ : RandomForestRegressor
        The trees, grown on martingale residuals.
    n_reasons_ : int
        Reasons (classes 1..n_reasons_) seen in training.
    leaf_index_ : list of ndarray
        Per tree: node id -> row of its leaf table (-1 for inner nodes).
    leaf_hazards_ : list of ndarray
        Per tree: hazards (leaves, periods, n_reasons_) of each leaf.
    """

    subject_level = True  # fitted on subjects (time, cause), not on person-period rows

    def __init__(self, n_estimators: int = 100, min_samples_leaf: int = 5, max_features: float | int | str = "sqrt",
                 max_samples: float | None = None, prior_strength: float = 5.0, periods: int = 12,
                 random_state: int = 0):
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.max_samples = max_samples
        self.prior_strength = prior_strength
        self.periods = periods
        self.random_state = random_state

    def fit(self, X, y):
        """Grow the forest.

        Parameters
        ----------
        X : array-like (n, features)
            Features at time 0 (numeric: use a preprocessing Pipeline for categories).
        y : array (n, 2)
            :func:`survival_target`: periods in post and reason class (0 censored).

        Returns
        -------
        self
        """
        y = np.asarray(y, dtype=int)
        if y.ndim != 2 or y.shape[1] != 2 or len(y) != len(X):
            raise ValueError("y must be survival_target(time, cause): one (time, cause) row per subject")
        time, cause = y[:, 0], y[:, 1]
        if np.any(time < 0) or np.any(cause < 0) or np.any((cause > 0) & (time < 1)):
            raise ValueError("times must be >= 0 and a leaver must have been in post for at least one period")
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.n_reasons_ = int(max(cause.max(), 1))
        self.forest_ = RandomForestRegressor(
            n_estimators=self.n_estimators, min_samples_leaf=self.min_samples_leaf, max_features=self.max_features,
            max_samples=self.max_samples, bootstrap=True, random_state=self.random_state, n_jobs=1,
        ).fit(X, martingale_residuals(time, cause))
        at_risk, d = period_counts(time, cause, self.periods, self.n_reasons_)
        self.base_hazards_ = self._common(at_risk, d)
        self.leaf_index_, self.leaf_hazards_ = [], []
        X32 = np.ascontiguousarray(X, dtype=np.float32)  # what the trees split on
        for tree, drawn in zip(self.forest_.estimators_, self.forest_.estimators_samples_):
            weight = np.bincount(drawn, minlength=len(X)).astype(float)
            nodes = tree.tree_.apply(X32)
            leaves = np.flatnonzero(tree.tree_.children_left == -1)
            index = np.full(tree.tree_.node_count, -1, dtype=np.int32)
            index[leaves] = np.arange(len(leaves))
            self.leaf_index_.append(index)
            self.leaf_hazards_.append(self._leaf_table(index[nodes], len(leaves), time, cause, weight))
        return self

    def _common(self, at_risk: np.ndarray, d: np.ndarray) -> np.ndarray:
        """The whole sample's hazards (periods, R); a period nobody reached repeats the last
        period somebody did (0 before any)."""
        h = np.divide(d, at_risk[:, None], out=np.full_like(d, np.nan), where=at_risk[:, None] > 0)
        for k in range(len(h)):
            if np.isnan(h[k]).any():
                h[k] = h[k - 1] if k else 0.0
        return h

    def _leaf_table(self, leaf: np.ndarray, n_leaves: int, time: np.ndarray, cause: np.ndarray,
                    weight: np.ndarray) -> np.ndarray:
        """Shrunken hazards (leaves, periods, R) from the in-bag subjects of each leaf."""
        P, R, a = self.periods, self.n_reasons_, float(self.prior_strength)
        inbag = weight > 0
        leaf, time, cause, weight = leaf[inbag], time[inbag], cause[inbag], weight[inbag]
        last = np.minimum(time, P)
        ends = np.zeros((n_leaves, P + 1))
        np.add.at(ends, (leaf, last), weight)
        at_risk = ends[:, ::-1].cumsum(axis=1)[:, ::-1][:, 1:]
        d = np.zeros((n_leaves, P, R))
        left = (cause > 0) & (time <= P)
        np.add.at(d, (leaf[left], time[left] - 1, cause[left] - 1), weight[left])
        return ((d + a * self.base_hazards_[None]) / (at_risk[..., None] + a)).astype(np.float64)

    def predict_period_hazards(self, X, periods: int) -> np.ndarray:
        """Hazards (n, periods, n_reasons_) for each subject at time 0: the forest's average
        survival and cumulative incidence curves, as hazards."""
        check_is_fitted(self, "forest_")
        X = np.ascontiguousarray(X, dtype=np.float32)
        P = self.periods
        S_sum = np.zeros((len(X), P))
        F_sum = np.zeros((len(X), P, self.n_reasons_))
        for tree, index, table in zip(self.forest_.estimators_, self.leaf_index_, self.leaf_hazards_):
            leaf = index[tree.tree_.apply(X)]
            S, F = cumulative_incidence(table)
            S_sum += S[leaf]
            F_sum += F[leaf]
        h = hazards_from_curves(S_sum / len(self.leaf_index_), F_sum / len(self.leaf_index_))
        if periods <= P:
            return h[:, :periods]
        return np.concatenate([h, np.repeat(h[:, -1:], periods - P, axis=1)], axis=1)
