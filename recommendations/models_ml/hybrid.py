"""The hybrid recommender: component scores, normalised per customer, blended with weights, cut into two lists.

Signals. Each component's scores for a chunk of customers are divided by that customer's largest score over the
items that may be recommended, so every signal lies in [0, 1] whatever its scale (a rank normalisation would cost
a sort per customer and component). The count-based components (buy_again, popularity, recent_popularity) are also
offered compressed, "<name>:log" = log(1 + 100 s) / log(101): the blend may then use their order among small
scores without their largest values drowning everything else. On Online Retail the search picks both forms.

Two lists, each with its own weights (chosen on validation, see tuning.py), because they answer different
questions:
    reorder    items the customer bought before, by the "all" weights, which also rank the all-items list used in
               evaluation
    try_next   items the customer never bought (the cross-sell list), by the "new" weights
Business rules: items that are inactive, not goods, or unknown to the catalogue are never listed; try_next never
holds a bought item; an item bought in the last `just_bought_days` days is left out unless the customer buys it
repeatedly (on two days or more). Customers without history (cold start) get recent popularity as try_next.

Work is per chunk of customers (`recommend(customer_ids)`): chunks are independent, so a Celery group can spread
them over workers that each load the fitted model. Only the try_next blend is computed densely (chunk x items);
the reorder blend is read at the customers' bought entries.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommendations.models_ml.als import Als
from recommendations.models_ml.buy_again import BuyAgain
from recommendations.models_ml.interactions import Dataset
from recommendations.models_ml.neighbours import Content, ItemItem
from recommendations.models_ml.popularity import Popularity, RecentPopularity
from recommendations.models_ml.reasons import REASON_CODES, reason_params
from recommendations.models_ml.topk import limited_threads, sparse_top_k, top_k

# Customers x items cells of the dense arrays a block of customers is ranked in (4 million float32: 16 MB). Larger
# arrays are mapped afresh from the system at every allocation, and the kernel's zeroing of their pages cost as
# much again as the work in them.
BLOCK_CELLS = 4_000_000
COMPRESSED = ("buy_again", "popularity", "recent_popularity")
COMPRESS = 100.0
LISTS = ("reorder", "try_next")
# Used when no validation search ran (too little data, or weights not searched): what the search chose on Online
# Retail's validation month (2011-10-10 to 2011-11-09), without its weights of 0.05.
DEFAULT_WEIGHTS = {
    "all": {
        "buy_again": 1.0,
        "buy_again:log": 0.3,
        "als": 0.75,
        "recent_popularity": 0.5,
        "recent_popularity:log": 0.2,
    },
    "new": {"als": 1.0, "content": 0.5, "item_item": 0.1, "recent_popularity": 1.0, "recent_popularity:log": 0.2},
}


def block_rows(n_items: int) -> int:
    """Customers ranked at once so that a block of scores holds at most BLOCK_CELLS cells."""
    return max(1, BLOCK_CELLS // max(n_items, 1))


def default_components(memo: dict | None = None) -> list:
    """One of each recommender with its default settings; `memo` holds the text similarities a run's fits share
    (Content)."""
    return [BuyAgain(), ItemItem(), Als(), Content(memo=memo), Popularity(), RecentPopularity()]


def signal_component(signal: str) -> str:
    """The component a signal comes from ("buy_again:log" -> "buy_again")."""
    return signal.split(":", 1)[0]


def _compress(x):
    """log(1 + 100 x) / log(101): [0, 1] onto [0, 1], spreading the small values; in x's precision (float32 signals
    stay float32, as every blend is)."""
    return np.log1p(COMPRESS * x) * (1 / np.log1p(COMPRESS)).item()


class Recommender:
    """Fitted components plus the two lists' weights; `recommend` works on any chunk of customer ids."""

    def __init__(
        self,
        components=None,
        weights: dict | None = None,
        k: int = 10,
        just_bought_days: float = 7.0,
        threads: int | None = 1,
    ):
        self.components = {c.name: c for c in (components or default_components())}
        if "recent_popularity" not in self.components:
            raise ValueError("the recent_popularity component is needed: it serves customers without history")
        self.weights = {key: dict(value) for key, value in (weights or DEFAULT_WEIGHTS).items()}
        self.k = k
        self.just_bought_days = just_bought_days
        self.threads = threads  # BLAS threads while fitting and scoring (see topk.limited_threads)

    def fit(self, data: Dataset) -> Recommender:
        """Fits every component on `data`."""
        self.data = data
        self.timings = {}
        with limited_threads(self.threads):
            for name, component in self.components.items():
                started = time.perf_counter()
                component.fit(data)
                self.timings[name] = time.perf_counter() - started
        rec = data.recommendable
        self._item_ids = data.items.tolist()  # plain Python ids for the reasons' parameters
        self._vectors = {}
        for name, component in self.components.items():
            if hasattr(component, "vector"):  # the same for every customer: normalise once
                vector = np.where(rec, component.vector, 0.0).astype(np.float32)
                self._vectors[name] = vector / max(float(vector.max()), 1e-12)
        return self

    def signals(self, rows: np.ndarray) -> dict[str, np.ndarray | sp.csr_matrix]:
        """Normalised signals for dataset rows: 1-D vectors (the same for every customer), CSR matrices (the
        components that reach only some items: buy_again, item_item, content) or dense arrays (als), each row
        divided by its largest value over the items that may be recommended."""
        rec = self.data.recommendable
        blocked = np.flatnonzero(~rec)
        out: dict = {}
        for name, component in self.components.items():
            if name in self._vectors:
                out[name] = self._vectors[name]
            elif hasattr(component, "score_sparse"):
                scores = sp.csr_matrix(component.score_sparse(rows), dtype=np.float32, copy=True)
                scores.data *= rec[scores.indices]
                top = np.zeros(len(rows), np.float32)
                filled = np.diff(scores.indptr) > 0
                top[filled] = np.maximum.reduceat(scores.data, scores.indptr[:-1][filled])
                scores.data /= np.maximum(top, 1e-12)[np.repeat(np.arange(len(rows)), np.diff(scores.indptr))]
                out[name] = scores
            else:
                scores = np.asarray(component.score(rows), dtype=np.float32)
                if len(blocked):
                    scores[:, blocked] = 0.0
                scores *= (1.0 / np.maximum(scores.max(axis=1), 1e-12))[:, None]
                out[name] = scores
        for name in COMPRESSED:
            value = out.get(name)
            if value is None:
                continue
            if sp.issparse(value):
                out[name + ":log"] = sp.csr_matrix((_compress(value.data), value.indices, value.indptr), value.shape)
            else:
                out[name + ":log"] = _compress(value)
        return out

    def blend(self, signals: dict, weights: dict, n_rows: int, extra: np.ndarray | None = None) -> np.ndarray:
        """Dense weighted sum of the signals (len(rows) x items), plus the item vector `extra` if given.

        Written for few passes over the chunk: dense signals are scaled straight into the result, every vector
        signal is summed first and added once, sparse signals are scattered onto their stored entries only."""
        total = None
        vector = np.zeros(self.data.n_items, np.float32) if extra is None else extra.astype(np.float32, copy=True)
        scattered = []
        for name, weight in weights.items():
            value = signals.get(name)
            if not weight or value is None:
                continue
            if sp.issparse(value):
                scattered.append((weight, value))
            elif value.ndim == 1:
                vector += weight * value
            elif total is None:
                total = np.multiply(value, np.float32(weight))
            else:
                total += np.float32(weight) * value
        if total is None:
            total = np.broadcast_to(vector, (n_rows, len(vector))).copy()
        else:
            total += vector
        for weight, value in scattered:
            rows = np.repeat(np.arange(n_rows), np.diff(value.indptr))
            total[rows, value.indices] += np.float32(weight) * value.data  # CSR holds no duplicate entries
        return total

    def _rules(self, rows: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """The customers' bought entries and, per entry, whether the reorder list may show it."""
        bought = self.data.days[rows]
        # Position of each of the chunk's entries in the full matrix (and so in the aligned arrays).
        shift = self.data.days.indptr[rows].astype(np.int64) - bought.indptr[:-1]
        entry = np.arange(bought.nnz, dtype=np.int64) + np.repeat(shift, np.diff(bought.indptr))
        repeat = self.data.days.data[entry] >= 2
        recent = self.data.last_age[entry] < self.just_bought_days
        allowed = self.data.recommendable[bought.indices] & (repeat | ~recent)
        return bought, allowed

    def ranked(
        self, rows: np.ndarray, weights: dict, new_only: bool, k: int | None = None, signals=None, fill: bool = True
    ):
        """(items, scores, signals): per row the top k of the blend by `weights` under the business rules.

        new_only  True for try_next (never-bought items only); False for the all-items list (bought items too,
                  except a one-off bought in the last `just_bought_days`), the list the evaluation scores.
        fill      add a whisper of recent popularity so that items no signal reaches still fill the list; off
                  when a single component is evaluated on its own.
        """
        signals = self.signals(rows) if signals is None else signals
        total = self.blend(signals, weights, len(rows), self.rule_vector(fill))
        self.apply_rules(total, rows, new_only)
        items, scores = top_k(total, k or self.k)
        return items, scores, signals

    def rule_vector(self, fill: bool = True) -> np.ndarray:
        """Per item: -inf where it may never be recommended, else the popularity whisper (or 0 without `fill`)."""
        whisper = 1e-6 * self._vectors["recent_popularity"] if fill else np.zeros(self.data.n_items, np.float32)
        return np.where(self.data.recommendable, whisper, -np.inf).astype(np.float32)

    def apply_rules(self, total: np.ndarray, rows: np.ndarray, new_only: bool) -> np.ndarray:
        """In place on a dense (len(rows) x items) blend: -inf on the customers' bought entries that the list may
        not show (all of them for try_next). Items never recommendable come from `rule_vector`."""
        bought, allowed = self._rules(rows)
        entry_rows = np.repeat(np.arange(len(rows)), np.diff(bought.indptr))
        blocked = np.ones(bought.nnz, bool) if new_only else ~allowed
        total[entry_rows[blocked], bought.indices[blocked]] = -np.inf
        return total

    def top_all(self, rows: np.ndarray, k: int | None = None) -> np.ndarray:
        """Item indices (len(rows) x k, -1 padding) of the all-items list by the "all" weights."""
        return self.ranked(rows, self.weights["all"], new_only=False, k=k)[0]

    def top_new(self, rows: np.ndarray, k: int | None = None, signals: dict | None = None):
        """(items, scores, signals) of the try_next lists of dataset rows."""
        return self.ranked(rows, self.weights["new"], new_only=True, k=k, signals=signals)

    def top_reorder(self, rows: np.ndarray, signals: dict, k: int | None = None):
        """(items, scores) of the reorder lists: the blend by the "all" weights read at the bought entries."""
        k = k or self.k
        bought, allowed = self._rules(rows)
        entry_rows = np.repeat(np.arange(len(rows)), np.diff(bought.indptr))
        value = self.entry_contributions(signals, self.weights["all"], entry_rows, bought.indices, bought).sum(axis=1)
        value = np.where(allowed, value, -np.inf)
        matrix = sp.csr_matrix((value + 0.0, bought.indices, bought.indptr), bought.shape)
        return sparse_top_k(matrix, k)

    def entry_contributions(
        self, signals: dict, weights: dict, rows: np.ndarray, items: np.ndarray, entries: sp.csr_matrix | None = None
    ) -> np.ndarray:
        """Per (row, item) pair and per component (columns in `self.components` order): weight x signal, summed
        over the component's signals. The reason is the component with the largest contribution.

        `entries`: when the pairs are exactly the stored entries of this matrix, in order, a sparse signal with the
        same structure (buy-again's, over the bought entries) is read off directly."""
        names = list(self.components)
        out = np.zeros((len(rows), len(names)), np.float32)
        scratch = None
        for signal, weight in weights.items():
            value = signals.get(signal)
            if not weight or value is None:
                continue
            if sp.issparse(value) and entries is not None and _same_structure(value, entries):
                picked = value.data
            elif sp.issparse(value):
                # Scatter the chunk's entries into a dense scratch and read the pairs back: one pass over the
                # entries, where a per-pair search would need them sorted.
                if scratch is None:
                    scratch = np.zeros(value.shape, np.float32)
                entry_rows = np.repeat(np.arange(value.shape[0]), np.diff(value.indptr))
                scratch[entry_rows, value.indices] = value.data
                picked = scratch[rows, items]
                scratch[entry_rows, value.indices] = 0.0
            elif value.ndim == 1:
                picked = value[items]
            else:
                picked = value[rows, items]
            out[:, names.index(signal_component(signal))] += weight * picked
        return out

    def recommend(self, customer_ids, k: int | None = None) -> pd.DataFrame:
        """Both lists for a chunk of customers: one row per recommendation with columns customer, list, rank
        (1 = best), product, score, component, reason_code, reason_params (a dict with product ids, see
        reasons.py). Customers without history get recent popularity as try_next and no reorder list."""
        with limited_threads(self.threads):
            return self._recommend(customer_ids, k or self.k)

    def _recommend(self, customer_ids, k: int) -> pd.DataFrame:
        """`recommend` without the thread cap."""
        customer_ids = np.asarray(customer_ids)
        rows = self.data.customer_index(customer_ids)
        known = rows >= 0
        try_next, reorder = [], []
        ids, known_rows = customer_ids[known], rows[known]
        step = block_rows(self.data.n_items)
        for start in range(0, len(known_rows), step):
            block_ids, block = ids[start : start + step], known_rows[start : start + step]
            items, scores, signals = self.top_new(block, k)
            try_next.append(self._part(block_ids, block, items, scores, signals, "new", "try_next"))
            items, scores = self.top_reorder(block, signals, k)
            reorder.append(self._part(block_ids, block, items, scores, signals, "all", "reorder"))
        parts = try_next + reorder
        if (~known).any():
            parts.append(self._cold_start(customer_ids[~known], k))
        if not parts:
            return pd.DataFrame({c: [] for c in COLUMNS})
        names = list(self.components)
        columns = {key: np.concatenate([p[key] for p in parts]) for key in PART_KEYS}
        component = columns["component"].astype(int)
        return pd.DataFrame(
            {
                "customer": columns["customer"],
                "list": pd.Categorical.from_codes(columns["list"].astype(int), LISTS),
                "rank": columns["rank"],
                "product": columns["product"],
                "score": columns["score"],
                "component": pd.Categorical.from_codes(component, names),
                "reason_code": pd.Categorical.from_codes(component, [REASON_CODES[n] for n in names]),
                "reason_params": [params for p in parts for params in p["reason_params"]],
            }
        )

    def _part(self, ids, rows, items, scores, signals, weights_key, list_name) -> dict:
        """Columns of one list for a chunk: the reason is the component that contributed most."""
        listed = items >= 0
        row_pos, rank = np.nonzero(listed)
        pair_items = items[listed]
        contributions = self.entry_contributions(signals, self.weights[weights_key], row_pos, pair_items)
        best = contributions.argmax(axis=1)
        # Nothing from any signal (a list filled by the popularity whisper): say so with recent popularity.
        best[contributions.max(axis=1, initial=0) <= 0] = list(self.components).index("recent_popularity")
        if list_name == "reorder" and "buy_again" in self.components:
            # Every reorder item is one the customer bought: their own rhythm is the reason (reasons.py).
            best[:] = list(self.components).index("buy_again")
        params: list = [None] * len(best)
        with _without_gc():
            self._fill_reasons(params, best, rows[row_pos], pair_items)
        return {
            "customer": ids[row_pos],
            "list": np.full(len(best), LISTS.index(list_name)),
            "rank": rank + 1,
            "product": self.data.items[pair_items],
            "score": scores[listed],
            "component": best,
            "reason_params": params,
        }

    def _fill_reasons(self, params: list, best: np.ndarray, pair_rows: np.ndarray, pair_items: np.ndarray) -> None:
        """Each pair's reason parameters from the component that explains it, in place."""
        for code in np.unique(best):
            name = list(self.components)[code]
            chosen = np.flatnonzero(best == code)
            raw = self.components[name].reasons(pair_rows[chosen], pair_items[chosen])
            if raw and "items" in raw[0]:
                raw = [reason_params(name, p, self._item_ids) for p in raw]
            for position, value in zip(chosen.tolist(), raw, strict=True):
                params[position] = value

    def _cold_start(self, ids: np.ndarray, k: int) -> dict:
        """Recent popularity for customers the data does not know: the same try_next list for each."""
        code = list(self.components).index("recent_popularity")
        items, scores = top_k(self.rule_vector(fill=False)[None, :] + self._vectors["recent_popularity"], k)
        listed = items[0][items[0] >= 0]
        raw = self.components["recent_popularity"].reasons(np.zeros(len(listed), int), listed)
        n = len(listed)
        return {
            "customer": np.repeat(ids, n),
            "list": np.full(len(ids) * n, LISTS.index("try_next")),
            "rank": np.tile(np.arange(1, n + 1), len(ids)),
            "product": np.tile(self.data.items[listed], len(ids)),
            "score": np.tile(scores[0][:n], len(ids)),
            "component": np.full(len(ids) * n, code),
            "reason_params": [dict(p) for _ in ids for p in raw],
        }


COLUMNS = ("customer", "list", "rank", "product", "score", "component", "reason_code", "reason_params")
PART_KEYS = COLUMNS[:6]


def _same_structure(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    """Whether two CSR matrices store the same entries in the same order."""
    return a.nnz == b.nnz and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)


@contextmanager
def _without_gc():
    """Cyclic garbage collection paused while the reasons' small dicts and lists are built: a chunk makes tens
    of thousands of them, each batch of 700 triggers a collection that walks the live heap (measured: 70x slower
    with collection on), and none of them can form a cycle."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
