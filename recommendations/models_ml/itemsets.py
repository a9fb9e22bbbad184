"""Frequent itemsets of any length over baskets, and the rules X -> c they allow, vectorised. Pure numpy/scipy.

Level by level, as sparse matrix products: the frequent pairs come from one product X'X (X the basket x item 0/1
matrix); for every later level, H (baskets x frequent itemsets of k items: 1 where the basket holds the whole
itemset) times X counts each itemset with every item, and an itemset grown by an item after its last one is frequent
when that count reaches the threshold. Every frequent itemset of k+1 items is found so, from its first k items
(frequent too). The work of a level is what that product costs: over the baskets, the itemsets a basket holds times
its items. The levels stop when none is frequent, at `max_length`, or when the next level's work would exceed
`budget`: then `complete` is False and `stopped_at` says the level that was not counted, so a caller can say so
instead of silently publishing less.

Rules (`rules_from_itemsets`): for each frequent itemset S of at least two items and each item c of S, the rule
S minus c -> c, with support n(S)/N, confidence n(S)/n(S minus c) and lift confidence / (n(c)/N): the rules of R's
arules and of mlxtend with one item on the right. Optionally only productive ones: a rule with an antecedent of
two or more items is kept when it is at least `min_gain` times as confident as each rule with one antecedent item
fewer and the same consequent (a longer rule the extra item does not sharpen only repeats a shorter one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

# Multiply-adds (see the module docstring) a mining may spend on the levels beyond pairs. On Online Retail at the
# product's default thresholds (20 baskets, 0.1 %) the three- and four-product levels cost 2.4e8 (30 s here, on a
# shared machine) and give 1.4 million rules; the five-product level would cost 8.1e8 more (82 s), so it is left
# out and the run says so. At a support of 0.5 % the whole lattice (seven products) costs 1.7e7 (2 s).
WORK_BUDGET = 1e9
CHUNK_SETS = 20_000  # itemsets whose extensions are counted at once


@dataclass
class Itemsets:
    """Frequent itemsets by length: `sets[k]` an (m, k) array of item positions (each row ascending, rows in
    lexicographic order) and `counts[k]` the baskets holding each; level 1 lists every frequent item."""

    sets: dict[int, np.ndarray]
    counts: dict[int, np.ndarray]
    n_baskets: int
    threshold: int
    complete: bool = True
    stopped_at: int | None = None  # the level not counted when the budget ran out
    work: float = 0.0
    next_cost: float = 0.0  # the work of the last level tried (not counted when over the budget)
    seconds: dict = field(default_factory=dict)

    def count(self, size: int) -> int:
        """Frequent itemsets of `size` items."""
        return int(len(self.counts.get(size, ())))

    @property
    def longest(self) -> int:
        """The length of the longest frequent itemset found."""
        return max((k for k, c in self.counts.items() if len(c)), default=0)


def keys(rows: np.ndarray, base: int) -> np.ndarray:
    """Each row of a non-negative int array (values below `base`) as one comparable value, for sorting and searching
    whole itemsets: the row as a number in base `base` when it fits in 63 bits (fast integer sorts), else the row's
    bytes (an opaque value numpy sorts and searches too, more slowly)."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    if rows.shape[1] * np.log2(max(base, 2)) < 63:
        out = np.zeros(len(rows), dtype=np.int64)
        for column in range(rows.shape[1]):
            out = out * base + rows[:, column]
        return out
    return rows.view(np.dtype((np.void, 8 * rows.shape[1]))).ravel()


class Lookup:
    """Counts of the itemsets of one level, found by whole-itemset search."""

    def __init__(self, sets: np.ndarray, counts: np.ndarray, base: int):
        self.base = base
        self.keys = keys(sets, base)
        self.order = np.argsort(self.keys, kind="stable")
        self.sorted = self.keys[self.order]
        self.counts = counts

    def find(self, sets: np.ndarray) -> np.ndarray:
        """Positions of `sets` in the level, -1 where absent."""
        if not len(self.sorted):
            return np.full(len(sets), -1)
        wanted = keys(sets, self.base)
        at = np.minimum(np.searchsorted(self.sorted, wanted), len(self.sorted) - 1)
        return np.where(self.sorted[at] == wanted, self.order[at], -1)

    def count(self, sets: np.ndarray) -> np.ndarray:
        """Counts of `sets`, which must all be in the level."""
        return self.counts[self.find(sets)]


def _indicator(x: sparse.csc_matrix, sets: np.ndarray) -> sparse.csc_matrix:
    """Baskets x itemsets: 1 where the basket holds every item of the itemset (the items' columns multiplied)."""
    holds = x[:, sets[:, 0]]
    for column in range(1, sets.shape[1]):
        holds = holds.multiply(x[:, sets[:, column]]).tocsc()
    return sparse.csc_matrix(holds)


def _extend(holds, x, items: np.ndarray, level: np.ndarray, threshold: int, chunk: int = CHUNK_SETS):
    """The itemsets one item longer than those of `level`, each grown by an item after its last, held by at least
    `threshold` baskets: (holds' x X) counts, for every itemset, the baskets holding it with each item (X's columns
    are the frequent `items`, ascending). In chunks of itemsets, so memory follows the chunk. Rows come out in
    lexicographic order."""
    found, found_n = [], []
    for start in range(0, len(level), chunk):
        counts = (holds[:, start : start + chunk].T @ x).tocoo()
        rows, cols = counts.row.astype(np.int64) + start, items[counts.col]
        keep = (counts.data >= threshold) & (cols > level[rows, -1])
        rows, cols, n = rows[keep], cols[keep], counts.data[keep].astype(np.int64)
        order = np.lexsort((cols, rows))
        found.append(np.column_stack([level[rows[order]], cols[order]]))
        found_n.append(n[order])
    if not found:
        return np.empty((0, level.shape[1] + 1), dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(found), np.concatenate(found_n)


def frequent_itemsets(
    x: sparse.spmatrix, threshold: int, max_length: int | None = None, budget: float = WORK_BUDGET
) -> Itemsets:
    """Every itemset of the basket x item 0/1 matrix `x` held by at least `threshold` baskets (module docstring),
    up to `max_length` items (None: no limit), within `budget` word operations beyond the pairs."""
    import time

    started = time.perf_counter()
    x = sparse.csc_matrix(x, dtype=np.int32)
    n = x.shape[0]
    threshold = max(int(threshold), 1)
    item_counts = np.asarray(x.sum(axis=0)).ravel().astype(np.int64)
    frequent = np.flatnonzero(item_counts >= threshold)
    found = Itemsets({1: frequent[:, None]}, {1: item_counts[frequent]}, n, threshold)
    if max_length == 1 or len(frequent) < 2:
        return found
    sub = x[:, frequent]
    co = sparse.triu(sub.T @ sub, k=1).tocoo()
    keep = co.data >= threshold
    a, b = frequent[co.row[keep]], frequent[co.col[keep]]
    order = np.lexsort((b, a))
    found.sets[2], found.counts[2] = (
        np.column_stack([a, b])[order].astype(np.int64),
        co.data[keep][order].astype(np.int64),
    )
    found.seconds["pairs"] = round(time.perf_counter() - started, 3)
    basket_items = np.diff(sparse.csr_matrix(sub).indptr).astype(float)
    size = 2
    while len(found.counts[size]) and (max_length is None or size < max_length):
        level = found.sets[size]
        step = time.perf_counter()
        holds = _indicator(x, level)  # baskets x level itemsets
        # Each basket adds (level itemsets it holds) x (its items) to the product below: the work of this level.
        cost = float(np.asarray(holds.getnnz(axis=1), dtype=float) @ basket_items)
        found.next_cost = cost
        if found.work + cost > budget:
            found.complete, found.stopped_at = False, size + 1
            break
        sets, counts = _extend(holds, sub, frequent, level, threshold)
        found.work += cost
        size += 1
        found.sets[size], found.counts[size] = sets, counts
        found.seconds[f"level_{size}"] = round(time.perf_counter() - step, 3)
    found.seconds["total"] = round(time.perf_counter() - started, 3)
    return found


def rules_from_itemsets(
    found: Itemsets, min_confidence: float = 0.0, min_lift: float = 0.0, min_gain: float = 0.0
) -> pd.DataFrame:
    """Every rule S minus c -> c of the frequent itemsets (module docstring) with confidence >= `min_confidence`,
    lift >= `min_lift`, and, for antecedents of two or more items, confidence >= `min_gain` times that of each rule
    with one antecedent item fewer. Columns: antecedent (tuple of item positions, ascending), consequent, support,
    confidence, lift, count, antecedent_count, consequent_count, size (items in the whole rule)."""
    n = found.n_baskets
    item_count = np.zeros(int(found.sets[1].max()) + 1 if len(found.sets[1]) else 0, dtype=np.int64)
    item_count[found.sets[1][:, 0]] = found.counts[1]
    base = int(item_count.shape[0])
    lookups = {k: Lookup(found.sets[k], found.counts[k], base) for k in found.sets if k >= 2 and len(found.counts[k])}
    frames = []
    for size in sorted(k for k in found.sets if k >= 2):
        sets, counts = found.sets[size], found.counts[size].astype(float)
        if not len(sets):
            continue
        for position in range(size):
            consequent = sets[:, position]
            antecedent = np.delete(sets, position, axis=1)
            ante_n = (item_count[antecedent[:, 0]] if size == 2 else lookups[size - 1].count(antecedent)).astype(float)
            confidence = counts / ante_n
            lift = (counts * n) / (ante_n * item_count[consequent])
            keep = (confidence >= min_confidence) & (lift >= min_lift)
            if min_gain > 0 and size >= 3:
                keep &= confidence >= min_gain * _best_shorter(sets, antecedent, position, lookups, item_count, keep)
            if not keep.any():
                continue
            frames.append(
                pd.DataFrame(
                    {
                        "antecedent": list(map(tuple, antecedent[keep].tolist())),  # ~1 s a million
                        "consequent": consequent[keep],
                        "support": counts[keep] / n,
                        "confidence": confidence[keep],
                        "lift": lift[keep],
                        "count": counts[keep].astype(np.int64),
                        "antecedent_count": ante_n[keep].astype(np.int64),
                        "consequent_count": item_count[consequent[keep]],
                        "size": size,
                    }
                )
            )
    columns = ["antecedent", "consequent", "support", "confidence", "lift", "count", "antecedent_count"]
    columns += ["consequent_count", "size"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _best_shorter(sets, antecedent, position, lookups, item_count, keep) -> np.ndarray:
    """For each rule (antecedent -> sets[:, position]) the best confidence among the rules with one antecedent item
    fewer and the same consequent (0 where `keep` is already False: not looked up)."""
    size = sets.shape[1]
    best = np.zeros(len(sets))
    rows = np.flatnonzero(keep)
    if not len(rows):
        return best
    for drop in range(size - 1):
        # The item dropped is antecedent column `drop`: the shorter rule's whole set is the set without that item.
        drop_in_set = drop if drop < position else drop + 1
        whole = np.delete(sets[rows], drop_in_set, axis=1)
        shorter = np.delete(antecedent[rows], drop, axis=1)
        whole_n = lookups[size - 1].count(whole)
        shorter_n = item_count[shorter[:, 0]] if size - 2 == 1 else lookups[size - 2].count(shorter)
        best[rows] = np.maximum(best[rows], whole_n / shorter_n)
    return best
