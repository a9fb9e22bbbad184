"""Top-k selection over score matrices, and the BLAS thread cap the recommenders run under.

(A two-stage top-k, block maxima first, was tried: on real blend chunks it was no faster than a partition.)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

# Rows keyed and partitioned at a time: the keys of a block stay in cache and their memory is reused (a whole chunk's
# keys at once, twice the chunk's size, was slower).
KEY_BLOCK = 256


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the indices and values of the k largest finite scores, best first; -1 and -inf where a row has
    fewer than k finite scores. Equal scores are taken lowest index first.

    float32 scores are partitioned as int64 keys, the score's bits in order (`ordered_bits`) above the column, so
    that no two keys are equal: numpy's partition slows down tenfold when the k-th value lies in a run of equal
    values (a component ranked alone reaches a few dozen of the catalogue's items and scores every other 0, so
    most rows of a chunk end in ties), and the key makes the choice among ties deterministic too. Other dtypes
    are partitioned as they are."""
    n, m = scores.shape
    k_eff = min(k, m)
    if k_eff == 0 or n == 0:
        return np.full((n, k), -1), np.full((n, k), -np.inf, np.float32)
    if scores.dtype == np.float32:
        items = np.empty((n, k_eff), np.int64)
        columns = np.arange(m - 1, -1, -1, dtype=np.int64)  # the lower column wins a tie
        for start in range(0, n, KEY_BLOCK):
            keys = ordered_bits(scores[start : start + KEY_BLOCK]).astype(np.int64)
            keys <<= 32
            keys |= columns
            keys.partition(m - k_eff, axis=1)
            best = np.sort(keys[:, m - k_eff :], axis=1)[:, ::-1]
            items[start : start + KEY_BLOCK] = (m - 1) - (best & 0xFFFFFFFF)
        values = np.take_along_axis(scores, items, axis=1)
    else:
        if k_eff < m:
            items = np.argpartition(scores, m - k_eff, axis=1)[:, m - k_eff :]
            values = np.take_along_axis(scores, items, axis=1)
        else:
            items, values = np.tile(np.arange(m), (n, 1)), scores.copy()
        order = np.argsort(-values, axis=1, kind="stable")
        items, values = np.take_along_axis(items, order, axis=1), np.take_along_axis(values, order, axis=1)
    items = np.where(np.isfinite(values), items, -1)
    if k_eff < k:
        items = np.pad(items, ((0, 0), (0, k - k_eff)), constant_values=-1)
        values = np.pad(values, ((0, 0), (0, k - k_eff)), constant_values=-np.inf)
    return items, values.astype(np.float32)


def ordered_bits(scores: np.ndarray) -> np.ndarray:
    """float32 scores as int32 in the same order (-inf lowest, NaN above +inf): the bits of a non-negative float
    already sort as integers; those of a negative one sort backwards, so all but the sign bit are flipped."""
    bits = scores.view(np.int32)
    return bits ^ ((bits >> 31) & np.int32(0x7FFFFFFF))


def sparse_top_k(matrix: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a CSR matrix, the columns and values of its k largest finite stored values, best first."""
    n = matrix.shape[0]
    rows = np.repeat(np.arange(n), np.diff(matrix.indptr))
    finite = np.isfinite(matrix.data)
    rows, cols, values = rows[finite], matrix.indices[finite], matrix.data[finite]
    order = np.lexsort((-values, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    starts = np.searchsorted(rows, np.arange(n))
    rank = np.arange(len(rows)) - starts[rows]
    keep = rank < k
    items = np.full((n, k), -1)
    scores = np.full((n, k), -np.inf, np.float32)
    items[rows[keep], rank[keep]] = cols[keep]
    scores[rows[keep], rank[keep]] = values[keep]
    return items, scores


def limited_threads(threads: int | None):
    """A context capping BLAS/OpenMP threads (None: the library default).

    The products here are small (64 factors, chunks of a few thousand customers), so thread start-up and spinning
    cost more than they give: on a busy 2-core box the ALS fit ran 4x faster on one thread. Scale-out is by
    chunks over worker processes instead. threadpoolctl caps only libraries already loaded, hence the imports."""
    import scipy.linalg  # noqa: F401
    import scipy.sparse.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)
