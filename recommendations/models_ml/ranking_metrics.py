"""Ranking metrics for top-k recommendation lists, with the names of `manage.py evaluate --format json`.

    precision_at_10   hits in the top 10 / 10, averaged over customers (a list shorter than 10 still divides by 10)
    recall_at_10      hits in the top 10 / relevant items, averaged over customers
    ndcg_at_10        DCG of the top 10 (gain 1 per hit, discount log2(rank + 1)) over the best DCG possible with the
                      customer's relevant items, averaged over customers
    coverage          distinct items in all the customers' top 10s / items that may be recommended

Lists are integer arrays (customers x k) of item indices, -1 where a list is shorter; relevance is a CSR matrix
(customers x items) whose stored non-zero entries are the relevant items, one row per listed customer.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def hit_matrix(top: np.ndarray, relevant: sp.csr_matrix) -> np.ndarray:
    """Boolean (customers x k): whether each listed item is relevant to its customer."""
    top = np.asarray(top)
    n, k = top.shape
    if n == 0:
        return np.zeros((0, k), bool)
    rows = np.repeat(np.arange(n), k)
    cols = top.ravel()
    listed = cols >= 0
    hits = np.zeros(n * k, bool)
    hits[listed] = np.asarray(relevant[rows[listed], cols[listed]]).ravel() > 0
    return hits.reshape(n, k)


def per_customer(top: np.ndarray, relevant: sp.csr_matrix, k: int = 10) -> dict[str, np.ndarray]:
    """precision, recall and NDCG at k of each row of `top` (named as in `ranking_metrics`)."""
    top = np.asarray(top)[:, :k]
    relevant = sp.csr_matrix(relevant)
    n_relevant = np.diff(relevant.indptr)
    hits = hit_matrix(top, relevant)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hits @ discount[: top.shape[1]]
    ideal = np.r_[0.0, np.cumsum(discount)][np.minimum(n_relevant, k)]
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(n_relevant > 0, hits.sum(1) / n_relevant, 0.0)
        ndcg = np.where(ideal > 0, dcg / ideal, 0.0)
    return {f"precision_at_{k}": hits.sum(1) / k, f"recall_at_{k}": recall, f"ndcg_at_{k}": ndcg}


def ranking_metrics(top: np.ndarray, relevant: sp.csr_matrix, n_recommendable: int, k: int = 10) -> dict:
    """precision, recall and NDCG at k averaged over the rows of `top`, and catalogue coverage of their lists.

    Rows without any relevant item are averaged in as zeros: callers choose which customers count before calling.
    Metric names carry k (precision_at_10 for k=10).
    """
    top = np.asarray(top)[:, :k]
    listed = np.unique(top[top >= 0])
    means = {name: float(values.mean()) if len(top) else 0.0 for name, values in per_customer(top, relevant, k).items()}
    return {**means, "coverage": float(len(listed) / n_recommendable) if n_recommendable else 0.0}


def interval(values: np.ndarray, z: float = 1.96) -> list[float]:
    """The normal-approximation 95 % interval of the mean of per-customer `values` ([mean, mean] below two)."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return [0.0, 0.0]
    mean = float(values.mean())
    half = z * float(values.std(ddof=1)) / np.sqrt(len(values)) if len(values) > 1 else 0.0
    return [mean - half, mean + half]
