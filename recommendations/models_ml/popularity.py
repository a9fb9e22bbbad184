"""Popularity and recent popularity: the same list for everyone, for cold start and as the baseline.

Both count distinct buyers (a wholesale buyer's hundred lines of one item are one vote). Recent popularity counts
the last `days` days only, which follows the season (Online Retail's pre-Christmas months), and breaks its ties by
all-time popularity so that a quiet month still gives a full list.
"""

from __future__ import annotations

import numpy as np

from recommendations.models_ml.interactions import Dataset


class Popularity:
    """Distinct buyers per item over the whole history."""

    name = "popularity"

    def fit(self, data: Dataset) -> Popularity:
        """Counts buyers per item."""
        self.buyers = np.bincount(data.days.indices, minlength=data.n_items).astype(np.float32)
        self.vector = self.buyers
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        """The same scores for every row: a read-only broadcast view, not a copy."""
        return np.broadcast_to(self.vector, (len(rows), len(self.vector)))

    def reasons(self, rows: np.ndarray, items: np.ndarray) -> list[dict]:
        """Per (row, item): how many customers bought it."""
        return [{"buyers": b} for b in self.buyers[np.asarray(items, dtype=np.int64)].astype(int).tolist()]


class RecentPopularity(Popularity):
    """Distinct buyers per item in the last `days` days before as_of."""

    name = "recent_popularity"

    def __init__(self, days: float = 30.0):
        self.days = days

    def fit(self, data: Dataset) -> RecentPopularity:
        """Counts recent buyers per item, with all-time buyers as a tie-break worth less than one recent buyer."""
        self.buyers = data.buyers_since(self.days)
        all_time = np.bincount(data.days.indices, minlength=data.n_items).astype(np.float32)
        self.vector = self.buyers + 0.5 * all_time / max(all_time.max(), 1.0)
        return self

    def reasons(self, rows: np.ndarray, items: np.ndarray) -> list[dict]:
        """Per (row, item): how many customers bought it in the window, and the window in days."""
        days = int(self.days)
        buyers = self.buyers[np.asarray(items, dtype=np.int64)].astype(int).tolist()
        return [{"buyers": b, "days": days} for b in buyers]
