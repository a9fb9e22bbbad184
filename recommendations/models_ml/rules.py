"""Association rules from baskets: frequent itemsets of products of any length, and the rules X -> c they allow
(one or more products on the left, one on the right), with their support, confidence and lift. Pure
numpy/scipy/pandas, no database: the caller streams (basket, product) pairs out of the order lines (goods only,
completed orders, anonymous sales included) and publishes the rules.

Definitions, for N baskets and an itemset X counted in n(X) baskets:
    support(X -> Y)    = n(X u Y) / N                    how common the whole combination is
    confidence(X -> Y) = n(X u Y) / n(X)                 how often Y is in a basket that has X
    lift(X -> Y)       = confidence / (n(Y) / N)         how much X raises the chance of Y; 1 is independence

Counting is recommendations/models_ml/itemsets.py: pairs from one sparse product X'X, longer itemsets level by level
from the frequent ones before them, counted on basket bitsets, within a work budget (when it runs out, the result
says so: `complete` False). A rule with two or more products on the left is kept only when productive: at least
`min_gain` (1.1) times as confident as each rule with one product fewer on the left and the same consequent; one the
extra product does not sharpen only repeats a shorter rule.

Baskets of more than `max_basket_items` different products (100) are left out before anything is counted, from N
too, so the rules describe ordinary baskets. A basket of k products adds k(k-1)/2 pair co-occurrences: on Online
Retail the 3 % of baskets above 100 products (restocks and till roll-ups, mostly anonymous) carried 76 % of all
pair co-occurrences and, kept, turned 54 thousand pair rules into 567 thousand, most saying only "both were in
one of the same two dozen giant orders".

`max_per_antecedent` (None: no cap) keeps, for each left-hand side, only its most confident rules: a product page
shows a handful of suggestions, and on Online Retail the three most confident rules of each product found the
hidden product of a later basket more often (23.9 % of baskets) than all 32 thousand pair rules ranked by lift
(22.1 %), from a tenth as many rules.

The minimum count adapts to the data's size (`min_basket_count`): a rule must rest on at least `min_count` baskets
(20 by default: below that a count's own noise, about 1/sqrt(count), is over a fifth of it), and on at least a
`min_support` share of the baskets (0.1 %), so that a very large shop does not publish a flood of rare rules.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse

from recommendations.models_ml.itemsets import WORK_BUDGET, frequent_itemsets, rules_from_itemsets

MIN_COUNT = 20
MIN_SUPPORT = 0.001
# Below these a rule is not worth showing: with a count near the minimum a lift under 1.5 is within two standard
# errors of independence, and a confidence under 5 % rarely turns into a sale.
MIN_CONFIDENCE = 0.05
MIN_LIFT = 1.5
MIN_GAIN = 1.1
MAX_BASKET_ITEMS = 100
RULE_COLUMNS = ["antecedent", "consequent", "support", "confidence", "lift", "count", "antecedent_count"]
RULE_COLUMNS += ["consequent_count", "size"]


def min_basket_count(n_baskets: int, min_count: int = MIN_COUNT, min_support: float = MIN_SUPPORT) -> int:
    """The fewest baskets an itemset must appear in to be frequent: the larger of `min_count` and `min_support`
    of the baskets. Small shops are held to the absolute count, large ones to the share.

    The share is met as support is defined, count / N >= `min_support` (mlxtend's apriori tests it so): not by
    ceil(min_support * N), which floating point can lift one basket too high (0.07 * 100 is 7.000000000000001, and 7
    baskets of 100 are a support of 0.07). R's arules and mlxtend's fpgrowth (beyond single items) take that ceiling,
    so in such cases they ask one basket more than the definition; at 0.001 of Groceries' 9,835 baskets all agree
    on 10."""
    share = math.ceil(min_support * n_baskets) if n_baskets else 0
    while share > 0 and (share - 1) / n_baskets >= min_support:
        share -= 1
    while n_baskets and share / n_baskets < min_support:
        share += 1
    return max(int(min_count), share, 1)


@dataclass
class Baskets:
    """A basket x item boolean matrix (CSR, one row per basket, duplicates of a product in a basket merged) with the
    basket and item labels of its rows and columns."""

    matrix: sparse.csr_matrix
    basket_ids: np.ndarray
    item_ids: np.ndarray


def basket_matrix(pairs) -> Baskets:
    """Build the basket x item matrix from (basket, item) pairs: a DataFrame with two columns, a 2-column array,
    or any iterable of pairs (e.g. a Django `values_list('order_id', 'product_id')`)."""
    if isinstance(pairs, pd.DataFrame):
        frame = pairs.iloc[:, :2].copy()
    else:
        frame = pd.DataFrame(list(pairs) if not isinstance(pairs, np.ndarray) else pairs)
        frame = frame.iloc[:, :2] if len(frame) else pd.DataFrame(columns=[0, 1])
    frame.columns = ["basket", "item"]
    rows, basket_ids = pd.factorize(frame["basket"], sort=True)
    cols, item_ids = pd.factorize(frame["item"], sort=True)
    shape = (len(basket_ids), len(item_ids))
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=shape)
    # A product on two lines of one invoice is one basket membership, not two.
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return Baskets(matrix, np.asarray(basket_ids), np.asarray(item_ids))


@dataclass
class RuleSet:
    """Mined rules (a DataFrame, columns `RULE_COLUMNS`, sorted by lift, then confidence, then count) and what the
    mining saw: basket and item counts (baskets over the size cap are left out, and counted apart), the minimum
    count used, how many itemsets were frequent, timings."""

    rules: pd.DataFrame
    n_baskets: int
    n_items: int
    baskets_left_out: int
    min_count: int
    min_confidence: float
    min_lift: float
    min_gain: float
    frequent_items: int
    frequent_pairs: int
    frequent_triples: int
    frequent_by_length: dict = field(default_factory=dict)  # {items: frequent itemsets of that length}
    complete: bool = True  # False when the work budget stopped the longer itemsets (`stopped_at` items)
    stopped_at: int | None = None
    work: float = 0.0  # word operations spent counting beyond the pairs (itemsets.py)
    seconds: dict = field(default_factory=dict)

    @cached_property
    def index(self) -> RuleIndex:
        """The look-up index of the rules' antecedents, for `bought_together` (built on first use)."""
        return RuleIndex.build(self.rules)

    def summary(self) -> dict:
        """Figures for the model card: `rule_count`, the lift distribution and the counts behind them."""
        lift = self.rules["lift"].to_numpy()
        quantiles = {}
        if len(lift):
            for q in (0.1, 0.25, 0.5, 0.75, 0.9):
                quantiles[f"p{round(q * 100)}"] = float(np.quantile(lift, q))
            quantiles["max"] = float(lift.max())
        return {
            "rule_count": int(len(self.rules)),
            "pair_rule_count": int((self.rules["size"] == 2).sum()),
            "triple_rule_count": int((self.rules["size"] == 3).sum()),
            "rules_by_antecedent_length": {
                int(k) - 1: int(v) for k, v in self.rules["size"].value_counts().sort_index().items()
            },
            "lift": quantiles,
            "confidence_median": float(self.rules["confidence"].median()) if len(lift) else None,
            "products_with_rules": int(self.rules["antecedent"].explode().nunique()) if len(lift) else 0,
            "min_support": self.min_count / self.n_baskets if self.n_baskets else None,
            **{name: getattr(self, name) for name in self.__dataclass_fields__ if name != "rules"},
        }


def mine_rules(
    pairs,
    min_count: int = MIN_COUNT,
    min_support: float = MIN_SUPPORT,
    min_confidence: float = MIN_CONFIDENCE,
    min_lift: float = MIN_LIFT,
    max_length: int | None = None,
    budget: float = WORK_BUDGET,
    min_gain: float = MIN_GAIN,
    max_basket_items: int | None = MAX_BASKET_ITEMS,
    max_per_antecedent: int | None = None,
) -> RuleSet:
    """Mine association rules from (basket, item) pairs (or a `Baskets`).

    Baskets with more than `max_basket_items` products are left out (None keeps all). An itemset is frequent when
    it is in at least `min_basket_count(N, min_count, min_support)` of the remaining N baskets. Rules have
    antecedents as long as the frequent itemsets allow (`max_length` items in the whole rule at most, None: no
    limit), within `budget` word operations of counting beyond the pairs (itemsets.py; when it runs out,
    `complete` is False and the longer itemsets are not mined). Rules keep confidence >= `min_confidence` and lift
    >= `min_lift`; one with two or more antecedent items must be at least `min_gain` times as confident as each rule
    with one antecedent item fewer (0 keeps every rule, as R's arules and mlxtend do). With `max_per_antecedent`,
    each antecedent keeps its most confident rules only (see the module doc).
    """
    started = time.perf_counter()
    baskets = pairs if isinstance(pairs, Baskets) else basket_matrix(pairs)
    matrix = baskets.matrix
    sizes = np.diff(matrix.indptr)
    left_out = 0
    if max_basket_items is not None:
        left_out = int((sizes > max_basket_items).sum())
        matrix = matrix[sizes <= max_basket_items]
    n = matrix.shape[0]
    threshold = min_basket_count(n, min_count, min_support)
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    seconds = {"matrix": time.perf_counter() - started}

    step = time.perf_counter()
    found = frequent_itemsets(matrix, threshold, max_length=max_length, budget=budget)
    seconds["itemsets"] = time.perf_counter() - step

    step = time.perf_counter()
    rules = rules_from_itemsets(found, min_confidence=min_confidence, min_lift=min_lift, min_gain=min_gain)
    rules = _labelled(rules, baskets.item_ids)
    if max_per_antecedent:
        rules = most_confident(rules, max_per_antecedent)
    seconds["rules"] = time.perf_counter() - step
    seconds["total"] = time.perf_counter() - started
    return RuleSet(
        rules=rules,
        n_baskets=int(n),
        n_items=int((counts > 0).sum()),
        baskets_left_out=left_out,
        min_count=threshold,
        min_confidence=min_confidence,
        min_lift=min_lift,
        min_gain=min_gain,
        frequent_items=found.count(1),
        frequent_pairs=found.count(2),
        frequent_triples=found.count(3),
        frequent_by_length={k: found.count(k) for k in sorted(found.counts)},
        complete=found.complete,
        stopped_at=found.stopped_at,
        work=found.work,
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )


def most_confident(rules: pd.DataFrame, per_antecedent: int) -> pd.DataFrame:
    """The `per_antecedent` most confident rules of each antecedent (ties: higher lift, then more baskets), in the
    frame's order."""
    if rules.empty:
        return rules
    antecedent = rules["antecedent"].map(lambda items: ",".join(map(str, items)))
    ranked = rules.assign(_antecedent=antecedent).sort_values(
        ["confidence", "lift", "count"], ascending=False, kind="stable"
    )
    keep = ranked.groupby("_antecedent", sort=False).cumcount() < per_antecedent
    return rules.loc[np.sort(ranked.index[keep.to_numpy()])].reset_index(drop=True)


def _rule_frame(antes, cons, both, ante_n, cons_n, n, size) -> pd.DataFrame:
    """Rules as a frame of RULE_COLUMNS from their antecedents (tuples), consequents and counts."""
    # Lift as one division of exact integer products (below 2**53): IEEE division rounds correctly, so lifts that
    # are equal fractions are equal floats, and ties sort by confidence as they should.
    return pd.DataFrame(
        {
            "antecedent": antes,
            "consequent": cons,
            "support": both / n,
            "confidence": both / ante_n,
            "lift": (both * n) / (ante_n * np.asarray(cons_n, dtype=float)),
            "count": both.astype(np.int64),
            "antecedent_count": ante_n.astype(np.int64),
            "consequent_count": np.asarray(cons_n, dtype=np.int64),
            "size": size,
        }
    )


def _labelled(rules: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Sorted by lift, confidence, count, then the items (so that ties come out the same every run), with column
    positions replaced by item labels. Positions follow the labels' sorted order, so sorting on them is sorting on
    the labels."""
    if rules.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RULE_COLUMNS})
    longest = int(rules["size"].max()) - 1
    padded = np.full((len(rules), longest), -1, dtype=np.int64)
    sizes = rules["size"].to_numpy()
    for length in np.unique(sizes - 1):  # one block per antecedent length, not one row at a time
        rows = np.flatnonzero(sizes - 1 == length)
        padded[rows, :length] = np.array(rules["antecedent"].iloc[rows].tolist(), dtype=np.int64).reshape(-1, length)
    items = tuple(padded[:, j] for j in reversed(range(longest)))
    keys = (rules["consequent"].to_numpy(), *items, rules["size"].to_numpy(), -rules["count"].to_numpy())
    order = np.lexsort((*keys, -rules["confidence"].to_numpy(), -rules["lift"].to_numpy()))
    rules = rules.iloc[order].reset_index(drop=True)
    named = labels[np.maximum(padded[order], 0)]
    lengths = sizes[order] - 1
    rules["antecedent"] = [tuple(row[:k]) for row, k in zip(named.tolist(), lengths.tolist(), strict=True)]
    rules["consequent"] = pd.Series(labels[rules["consequent"].to_numpy(dtype=np.int64)], dtype=object)
    return rules[RULE_COLUMNS]


@dataclass
class RuleIndex:
    """The antecedents of a rules frame flattened for fast basket look-ups: one entry per (rule, antecedent item),
    items as integer codes. Built once per rule set; a look-up is then a few vectorised operations (about 5 ms over
    a quarter of a million rules) instead of a pass over Python tuples."""

    codes: dict
    entry_rule: np.ndarray
    entry_code: np.ndarray
    sizes: np.ndarray

    @classmethod
    def build(cls, frame: pd.DataFrame) -> RuleIndex:
        """Index the antecedents of `frame` (rows in their frame order)."""
        sizes = np.fromiter((len(a) for a in frame["antecedent"]), dtype=np.int64, count=len(frame))
        items = [item for a in frame["antecedent"] for item in a]
        entry_code, uniques = pd.factorize(pd.Series(items, dtype=object))
        codes = {item: code for code, item in enumerate(uniques.tolist())}
        return cls(codes, np.repeat(np.arange(len(frame)), sizes), entry_code.astype(np.int64), sizes)

    def matching(self, basket: set) -> np.ndarray:
        """Positions of the rules whose antecedent lies wholly inside `basket`."""
        present = np.array([self.codes[i] for i in basket if i in self.codes], dtype=np.int64)
        if not len(present):
            return np.empty(0, dtype=np.int64)
        # A boolean table indexed by code beats np.isin's sort by an order of magnitude.
        wanted = np.zeros(len(self.codes), dtype=bool)
        wanted[present] = True
        hit = wanted[self.entry_code]
        found = np.bincount(self.entry_rule[hit], minlength=len(self.sizes))
        return np.flatnonzero(found == self.sizes)


def bought_together(rules: pd.DataFrame | RuleSet, items, top: int = 10) -> pd.DataFrame:
    """Products to suggest beside `items` (a product page: one product; a customer profile: their recent basket).

    Uses every rule whose antecedent lies wholly inside `items` and whose consequent is not already there; each
    suggested product keeps its strongest rule (highest lift, then confidence), whose antecedent is the reason shown.
    Returns up to `top` rows: product, lift, confidence, support, count, because (the antecedent). Pass the
    `RuleSet` rather than its frame when looking up many baskets: its index is built once and kept.
    """
    frame = rules.rules if isinstance(rules, RuleSet) else rules
    index = rules.index if isinstance(rules, RuleSet) else RuleIndex.build(frame)
    basket = set(items)
    columns = ["product", "lift", "confidence", "support", "count", "because"]
    if not basket or frame.empty:
        return pd.DataFrame(columns=columns)
    hits = frame.iloc[index.matching(basket)]
    hits = hits[~hits["consequent"].isin(basket)]
    # Rules come sorted by lift then confidence (and positions keep that order), so the first rule per consequent
    # is its strongest.
    best = hits.drop_duplicates("consequent").head(top)
    return pd.DataFrame(
        {
            "product": best["consequent"].to_numpy(),
            "lift": best["lift"].to_numpy(),
            "confidence": best["confidence"].to_numpy(),
            "support": best["support"].to_numpy(),
            "count": best["count"].to_numpy(),
            "because": best["antecedent"].to_numpy(),
        }
    )


def per_product(rules: pd.DataFrame | RuleSet, top: int = 10) -> pd.DataFrame:
    """The 'bought together' list of every product at once (single-item antecedents), for publishing: columns
    product, rank (1 first), suggestion, lift, confidence, support, count."""
    frame = rules.rules if isinstance(rules, RuleSet) else rules
    single = frame[frame["size"] == 2]
    out = pd.DataFrame(
        {
            "product": [a[0] for a in single["antecedent"]],
            "suggestion": single["consequent"].to_numpy(),
            "lift": single["lift"].to_numpy(),
            "confidence": single["confidence"].to_numpy(),
            "support": single["support"].to_numpy(),
            "count": single["count"].to_numpy(),
        }
    )
    # Stable: within a product the rules keep their lift-then-confidence order.
    out = out.sort_values("product", kind="stable")
    out["rank"] = out.groupby("product").cumcount() + 1
    out = out[out["rank"] <= top]
    return out[["product", "rank", "suggestion", "lift", "confidence", "support", "count"]].reset_index(drop=True)
