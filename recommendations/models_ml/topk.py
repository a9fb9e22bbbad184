"""Top-k selection over score matrices, and the BLAS thread cap the recommenders run under.

(A two-stage top-k, block maxima first, was tried: on real blend chunks it was no faster than a partition.)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

# Rows keyed and partitioned at a time: the keys of a block stay in cache and their memory is reused (a whole chunk's
# keys at once, twice the chunk's size, was slower).
KEY_BLOCK = 256
# A row's k-th best over every 16th of its columns bounds its k-th best from below (`_bounded_top_k`): a sample of a
# sixteenth costs little to partition and leaves about 16 k candidates. On narrower matrices the sample and the
# comparison cost more than they save.
SAMPLE_STRIDE = 16
NARROWED_FROM_COLUMNS = 1500


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the indices and values of the k largest finite scores, best first; -1 and -inf where a row has
    fewer than k finite scores. Equal scores are taken lowest index first.

    float32 scores are partitioned as int64 keys, the score's bits in order (`ordered_bits`) above the column, so
    that no two keys are equal: numpy's partition slows down tenfold when the k-th value lies in a run of equal
    values (a component ranked alone reaches a few dozen of the catalogue's items and scores every other 0, so
    most rows of a chunk end in ties), and the key makes the choice among ties deterministic too. Rows of a wide
    matrix are first narrowed to their candidates (`_bounded_top_k`); other dtypes are partitioned as they are."""
    n, m = scores.shape
    k_eff = min(k, m)
    if k_eff == 0 or n == 0:
        return np.full((n, k), -1), np.full((n, k), -np.inf, np.float32)
    if scores.dtype == np.float32:
        items = np.empty((n, k_eff), np.int64)
        narrow = m >= NARROWED_FROM_COLUMNS and m // SAMPLE_STRIDE >= k_eff
        left = _bounded_top_k(scores, k_eff, items) if narrow else None
        for start in range(0, n if left is None else len(left), KEY_BLOCK):
            rows = slice(start, start + KEY_BLOCK) if left is None else left[start : start + KEY_BLOCK]
            items[rows] = _keyed_top_k(scores[rows], k_eff)
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


def _keyed_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The columns of each row's k largest float32 scores, best first, by partitioning the rows' int64 keys."""
    m = scores.shape[1]
    keys = ordered_bits(scores).astype(np.int64)
    keys <<= 32
    keys |= np.arange(m - 1, -1, -1, dtype=np.int64)  # the lower column wins a tie
    keys.partition(m - k, axis=1)
    best = np.sort(keys[:, m - k :], axis=1)[:, ::-1]
    return (m - 1) - (best & 0xFFFFFFFF)


def _bounded_top_k(scores: np.ndarray, k: int, items: np.ndarray) -> np.ndarray | None:
    """Fills `items` for the rows whose top k can be found among few candidates; returns the rows left to
    `_keyed_top_k` (None: every row).

    The k-th largest of every `SAMPLE_STRIDE`-th column of a row is at most the row's own k-th largest, so the
    row's top k lie among its scores at or above it: on a blend (continuous scores) about k x SAMPLE_STRIDE
    candidates instead of the whole catalogue, whose keys are partitioned as `_keyed_top_k` does, with the same
    result. Left over: rows whose bound is not finite, rows tied at it over much of the row (a sparse signal's
    zeros) and rows with a NaN (which a comparison never picks)."""
    n, m = scores.shape
    sample = np.ascontiguousarray(scores[:, ::SAMPLE_STRIDE])
    bound = np.take_along_axis(sample, _keyed_top_k(sample, k)[:, -1:], axis=1)[:, 0]  # keyed: ties stay cheap
    candidate = scores >= bound[:, None]
    counts = np.count_nonzero(candidate, axis=1)
    narrow = np.isfinite(bound) & (counts <= m // 8)
    if np.count_nonzero(narrow) < n // 2:
        return None  # mostly ties: the keys of every row cost less than narrowing some
    narrow &= ~np.isnan(scores.sum(axis=1))
    if not narrow.any():
        return None  # no row narrows (say, one row of ties: n // 2 above is 0)
    candidate[~narrow] = False
    flat = np.flatnonzero(candidate)
    rows, columns = np.divmod(flat, m)
    keys = ordered_bits(scores.ravel()[flat]).astype(np.int64)
    keys <<= 32
    keys |= (m - 1) - columns
    counts = counts[narrow]
    position = np.cumsum(narrow) - 1  # each narrowed row's line in the table
    slot = np.arange(len(flat)) - np.repeat(np.cumsum(counts) - counts, counts)
    width = int(counts.max())  # >= k: the sample's own k best are candidates
    table = np.full((len(counts), width), np.iinfo(np.int64).min)
    table[position[rows], slot] = keys
    table.partition(width - k, axis=1)
    best = np.sort(table[:, width - k :], axis=1)[:, ::-1]
    items[narrow] = (m - 1) - (best & 0xFFFFFFFF)
    return np.flatnonzero(~narrow)


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
