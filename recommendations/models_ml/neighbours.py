"""Item-to-item recommenders: co-purchase (item_item) and product text (content).

Both build a sparse item x item similarity S whose row j keeps only item j's `neighbours` most similar items (the
item itself excluded: buy-again speaks for it), and score a customer's items as profile_u @ S, where the profile is
the customer's purchase days weighted by recency (0.5 ** (age / half_life)). So an item scores high when it sits
close to several things the customer bought, recently and often; and the reason can name those things, because
the score is a sum of (bought item, similarity) contributions.

item_item  cosine of the items' binary buyer vectors (co-purchase normalised by each item's popularity). On Online
           Retail few neighbours do better than many (10-20 beat 100 on the validation month): a long tail of weak
           neighbours of every bought item only adds the catalogue's best sellers.
content    cosine of TF-IDF vectors of name + description + category (words and word pairs), scikit-learn.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommendations.models_ml.interactions import Dataset
from recommendations.models_ml.topk import top_k

ROW_BLOCK = 1024  # rows of the similarity made dense at a time to pick each row's top neighbours


def keep_top(similarity: sp.spmatrix, neighbours: int) -> sp.csr_matrix:
    """Each row's `neighbours` largest positive entries (diagonal dropped), as float32 CSR."""
    similarity = sp.csr_matrix(similarity, dtype=np.float32)
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    n_rows, n_cols = similarity.shape
    keep = min(neighbours, n_cols)
    parts = []
    for start in range(0, n_rows, ROW_BLOCK):
        block = similarity[start : start + ROW_BLOCK].toarray()
        top, values = top_k(block, keep)  # most of a row is 0: top_k takes ties without slowing down
        rows = np.repeat(np.arange(start, start + len(block)), keep)
        positive = values.ravel() > 0
        parts.append((values.ravel()[positive], rows[positive], top.ravel()[positive]))
    values, rows, cols = (np.concatenate(p) for p in zip(*parts, strict=True)) if parts else ([], [], [])
    return sp.csr_matrix((values, (rows, cols)), shape=similarity.shape, dtype=np.float32)


def cosine_columns(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Cosine similarity between the columns of a sparse matrix, sparse (zero where they share no row)."""
    matrix = sp.csc_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel())
    scaled = matrix @ sp.diags(1.0 / np.maximum(norms, 1e-12)).astype(np.float32)
    return (scaled.T @ scaled).tocsr()


class _Neighbours:
    """Shared scoring and explanation of the item-to-item recommenders; subclasses set `similarity` in fit."""

    name = ""
    similarity: sp.csr_matrix

    def __init__(self, neighbours: int = 20, half_life: float = 120.0):
        self.neighbours = neighbours
        self.half_life = half_life

    def _fit_profile(self, data: Dataset) -> None:
        """The customers' recency-weighted purchase days, which the similarity spreads to neighbours."""
        self.profile = sp.csr_matrix(
            (data.decayed_days(self.half_life), data.days.indices, data.days.indptr), data.days.shape
        )
        self.similarity_t = self.similarity.T.tocsr()  # rows: the items a recommended item is reached from

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Dense float32 scores (len(rows) x items)."""
        return self.score_sparse(rows).toarray()

    def score_sparse(self, rows: np.ndarray) -> sp.csr_matrix:
        """The same scores as CSR (indices not sorted): a customer reaches only the neighbours of their items."""
        return (self.profile[rows] @ self.similarity).tocsr()

    def drivers(self, rows: np.ndarray, items: np.ndarray, top: int = 2) -> list[list[int]]:
        """Per (row, item): indices of the customer's items that contribute most to the item's score, best first."""
        if len(rows) == 0:
            return []
        contributions = self.profile[rows].multiply(self.similarity_t[items]).tocsr()
        contributions.eliminate_zeros()
        pair = np.repeat(np.arange(len(rows)), np.diff(contributions.indptr))
        order = np.lexsort((-contributions.data, pair))
        pair, cols = pair[order], contributions.indices[order]
        rank = np.arange(len(pair)) - contributions.indptr[pair]
        out: list[list[int]] = [[] for _ in range(len(rows))]
        for p, c in zip(pair[rank < top].tolist(), cols[rank < top].tolist(), strict=True):
            out[p].append(c)
        return out

    def reasons(self, rows: np.ndarray, items: np.ndarray) -> list[dict]:
        """Per (row, item): the customer's items that drive it, as item indices (names are resolved later)."""
        return [{"items": d} for d in self.drivers(rows, items)]


class ItemItem(_Neighbours):
    """Items bought by the same customers as the customer's own items (cosine over buyers)."""

    name = "item_item"

    def fit(self, data: Dataset) -> ItemItem:
        """Cosine over binary buyer vectors, top neighbours per item."""
        bought = data.days.copy()
        bought.data[:] = 1.0
        self.similarity = keep_top(cosine_columns(bought), self.neighbours)
        self._fit_profile(data)
        return self


class Content(_Neighbours):
    """Items whose name, description and category read like the customer's own items (TF-IDF cosine)."""

    name = "content"

    def __init__(self, neighbours: int = 20, half_life: float = 120.0, memo: dict | None = None):
        super().__init__(neighbours, half_life)
        # Similarities already computed in this run, by the catalogue's texts: the similarity depends on nothing
        # else, and a run fits three times (validation, backtest, final) on the same catalogue or nearly.
        self.memo = memo

    def fit(self, data: Dataset) -> Content:
        """TF-IDF of the item texts, cosine, top neighbours per item; items without text have no neighbours."""
        texts = tuple(t if t.strip() else "" for t in data.texts)
        key = ("content", self.neighbours, texts)
        similarity = self.memo.get(key) if self.memo is not None else None
        if similarity is None:
            similarity = self._similarity(texts)
            if self.memo is not None:
                self.memo[key] = similarity
        self.similarity = similarity
        self._fit_profile(data)
        return self

    def _similarity(self, texts: tuple[str, ...]) -> sp.csr_matrix:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not any(texts):
            return sp.csr_matrix((len(texts), len(texts)), dtype=np.float32)
        vectors = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, dtype=np.float32).fit_transform(
            list(texts)
        )
        return keep_top(vectors @ vectors.T, self.neighbours)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "memo": None}  # a saved model carries none of its run's other fits

    def reasons(self, rows: np.ndarray, items: np.ndarray) -> list[dict]:
        """Per (row, item): the customer's item it is most similar to."""
        return [{"items": d[:1]} for d in self.drivers(rows, items, top=1)]
