"""Weighted binning in front of scikit-learn's histogram gradient boosting. Pure numpy.

With sample weights, HistGradientBoosting (scikit-learn 1.9) finds each feature's bin thresholds by calling its
weighted percentile once per threshold: 254 sorts of the column per feature. On the demand model's 200k weighted
rows that was 23 of a 39 s run on the demo shop, more than the boosting itself (scikit-learn/scikit-learn#34248,
merged upstream, not in a release yet). `Binned` computes the same weighted quantiles with one sort per feature and
hands the booster each row's bin number, which has at most `max_bins` distinct values, so the booster bins it as it
is, in its fast path. The trees split between the same quantiles; only ties in the weighted quantile rule differ
(the lower of two candidate values, where scikit-learn averages them). Above SUBSAMPLE rows scikit-learn bins a
sample of them instead (drawn by weight), which is fast: there the booster gets the features as they are.
"""

from __future__ import annotations

import numpy as np

SUBSAMPLE = 200_000  # HistGradientBoosting's own: above it, it bins a sample of the rows, drawn by weight


def thresholds(column: np.ndarray, weights: np.ndarray, max_bins: int) -> np.ndarray:
    """The thresholds between a feature's bins: midpoints between its distinct values when it has at most
    `max_bins` of them, else its weighted quantiles at 1/max_bins ... (max_bins - 1)/max_bins (NaN and zero-weight
    rows ignored)."""
    keep = ~np.isnan(column) & (weights > 0)
    values, weights = column[keep], weights[keep]
    if not len(values):
        return np.zeros(0)
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    distinct = values[np.r_[True, values[1:] != values[:-1]]]
    if len(distinct) <= max_bins:
        return (distinct[:-1] + distinct[1:]) / 2
    cumulative = np.cumsum(weights)
    ranks = np.arange(1, max_bins) / max_bins * cumulative[-1]
    at = np.minimum(np.searchsorted(cumulative, ranks), len(values) - 1)
    return np.unique(values[at])


class Binned:
    """A regressor fitted on the bin numbers of its features (see the module doc): fit(x, y, sample_weight) and
    predict(x) as the wrapped `model`'s."""

    def __init__(self, model, max_bins: int = 255):
        self.model = model
        self.max_bins = max_bins
        self.edges: list[np.ndarray] | None = None

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Each value's bin number (the count of thresholds below it), NaN kept as NaN; `x` itself when the fit
        left the binning to the booster."""
        if self.edges is None:
            return x
        out = np.empty(x.shape, dtype=np.float64)
        for j, edges in enumerate(self.edges):
            column = x[:, j]
            out[:, j] = np.searchsorted(edges, column, side="left")
            out[np.isnan(column), j] = np.nan
        return out

    def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Binned:
        self.edges = None
        if sample_weight is not None and len(x) <= SUBSAMPLE:  # where the booster's own weighted binning is slow
            weights = np.asarray(sample_weight, dtype=float)
            columns = np.asarray(x, dtype=float).T
            self.edges = [thresholds(column, weights, self.max_bins) for column in columns]
        self.model.fit(self.transform(x), y, sample_weight=sample_weight)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict(self.transform(x))
