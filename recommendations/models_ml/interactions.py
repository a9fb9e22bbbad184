"""The customer x item matrices every recommender reads, built once per cutoff from purchase lines.

`build_dataset(lines, products, as_of)` turns the input contract (see the package docstring) into a `Dataset`:
index maps for customers and items, a CSR matrix of distinct purchase days per (customer, item), and arrays aligned
with that matrix's stored entries (days since the first and the last purchase of the pair), plus the distinct
(customer, item, day) purchase events, from which recency-weighted counts and recent popularity are derived.

Time is measured in whole days back from `as_of`: age 0 is the last 24 hours before it. Lines at or after `as_of`
are refused, so nothing built here can see the period it is later scored against.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

DAY = pd.Timedelta(days=1)
LINE_COLUMNS = ("customer", "product", "placed_at")
PRODUCT_COLUMNS = ("product", "name", "is_active")


@dataclass
class Dataset:
    """Purchases before `as_of` as sparse matrices over (customer index, item index).

    customers, items      ids in index order (items: every product seen in `lines` or listed in `products`)
    days                  CSR customers x items, float32: distinct days on which the customer bought the item
    first_age, last_age   aligned with `days.data`: days from the first / last purchase of the pair to as_of
    event_pair, event_age one row per distinct (customer, item, day): position in `days.data` and age in days
    recommendable         per item: listed in `products`, active and (when `products` has `kind`) a product
    names, texts          per item: name, and name + description + category for the content model
    customer_last_age     per customer: days since their last purchase of anything
    customer_days         per customer: distinct days with a purchase
    """

    as_of: pd.Timestamp
    customers: np.ndarray
    items: np.ndarray
    days: sp.csr_matrix
    first_age: np.ndarray
    last_age: np.ndarray
    event_pair: np.ndarray
    event_age: np.ndarray
    recommendable: np.ndarray
    names: np.ndarray
    texts: np.ndarray
    customer_last_age: np.ndarray
    customer_days: np.ndarray

    @property
    def n_customers(self) -> int:
        """Rows of the matrices."""
        return len(self.customers)

    @property
    def n_items(self) -> int:
        """Columns of the matrices."""
        return len(self.items)

    def decayed_days(self, half_life: float) -> np.ndarray:
        """Per stored entry of `days`: purchase days counted with weight 0.5 ** (age / half_life). Cached (three
        components ask for the same half-life); treat the result as read-only."""
        cache = self.__dict__.setdefault("_decayed", {})
        if half_life not in cache:
            weights = np.exp2(-self.event_age / half_life)
            cache[half_life] = np.bincount(self.event_pair, weights=weights, minlength=self.days.nnz).astype(np.float32)
        return cache[half_life]

    def pair_rows(self) -> np.ndarray:
        """Per stored entry of `days`: its customer index (the COO row)."""
        return np.repeat(np.arange(self.n_customers, dtype=np.int32), np.diff(self.days.indptr))

    def buyers_since(self, max_age: float) -> np.ndarray:
        """Per item: distinct customers who bought it in the last `max_age` days."""
        pairs = _sorted_unique(self.event_pair[self.event_age < max_age])
        return np.bincount(self.days.indices[pairs], minlength=self.n_items).astype(np.float32)

    @cached_property
    def pair_keys(self) -> np.ndarray:
        """Per stored entry: row * n_items + item, sorted (CSR with sorted indices stores entries in that order)."""
        return self.pair_rows().astype(np.int64) * self.n_items + self.days.indices

    def pair_positions(self, rows, items) -> np.ndarray:
        """Position in `days.data` (and the aligned arrays) of each (row, item) pair, -1 where never bought."""
        keys = np.asarray(rows, dtype=np.int64) * self.n_items + np.asarray(items, dtype=np.int64)
        return _lookup(self.pair_keys, keys)

    def customer_index(self, ids) -> np.ndarray:
        """Index of each customer id, -1 for customers without a purchase before as_of (cold start)."""
        return _lookup(self.customers, ids)

    def item_index(self, ids) -> np.ndarray:
        """Index of each product id, -1 for products the dataset does not know."""
        return _lookup(self.items, ids)


def _lookup(sorted_ids: np.ndarray, ids) -> np.ndarray:
    """Position of each id in the sorted array `sorted_ids`, -1 where it is absent."""
    ids = np.atleast_1d(np.asarray(ids))
    if len(sorted_ids) == 0:
        return np.full(len(ids), -1)
    position = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where(sorted_ids[position] == ids, position, -1)


def _item_table(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """One row per item id (sorted): name, text and whether it may be recommended."""
    table = products.drop_duplicates("product").set_index("product")
    listed = table.index
    seen = pd.Index(lines["product"].unique())
    ids = listed.union(seen).sort_values()
    table = table.reindex(ids)
    ok = table["is_active"].fillna(False).astype(bool) & ids.isin(listed)
    if "kind" in table.columns:
        # Shipping, fees and adjustments are kept as columns (they were bought) but never recommended.
        ok &= table["kind"].fillna("").eq("product")
    names = table["name"].fillna("").astype(str)
    parts = [names] + [table[c].fillna("").astype(str) for c in ("description", "category") if c in table.columns]
    texts = parts[0].str.cat(parts[1:], sep=" ") if len(parts) > 1 else parts[0]
    return pd.DataFrame({"name": names.to_numpy(), "text": texts.to_numpy(), "ok": ok.to_numpy()}, index=ids)


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """Distinct values, sorted. (numpy 2's np.unique hashes first: 20x slower on millions of int64 keys.)"""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def build_dataset(lines: pd.DataFrame, products: pd.DataFrame, as_of=None) -> Dataset:
    """The `Dataset` of `lines` (purchase lines before `as_of`) over the items of `lines` and `products`.

    `as_of` defaults to one second after the last line. Raises ValueError when a line is at or after `as_of`:
    callers split their data first (`lines_before`), so a model can never be fitted on what it is scored on.
    """
    missing = [c for c in LINE_COLUMNS if c not in lines.columns] + [
        c for c in PRODUCT_COLUMNS if c not in products.columns
    ]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    placed = pd.to_datetime(lines["placed_at"], utc=True)
    if as_of is None:
        as_of = placed.max() + pd.Timedelta(seconds=1) if len(lines) else pd.Timestamp.now(tz="UTC")
    as_of = pd.Timestamp(as_of)
    as_of = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC")
    if len(lines) and placed.max() >= as_of:
        raise ValueError("lines at or after as_of: split the data before building the dataset")

    item_table = _item_table(lines, products)
    customer_ids = lines["customer"].to_numpy()
    customers = _sorted_unique(customer_ids)
    n_items = len(item_table)
    age = ((as_of - placed) // DAY).to_numpy(dtype=np.int64)
    span = int(age.max()) + 1 if len(age) else 1
    row = np.searchsorted(customers, customer_ids).astype(np.int64)
    col = item_table.index.get_indexer(lines["product"]).astype(np.int64)
    # One sortable integer per distinct (customer, item, day): a sort and a comparison deduplicate them, several
    # times faster than a DataFrame's drop_duplicates and sort on three columns.
    event_key = _sorted_unique((row * n_items + col) * span + age)
    pair_key, event_age = np.divmod(event_key, span)
    new_pair = np.r_[True, pair_key[1:] != pair_key[:-1]] if len(pair_key) else np.zeros(0, bool)
    starts = np.flatnonzero(new_pair)
    event_pair = np.cumsum(new_pair) - 1
    ages = event_age.astype(np.float32)
    counts = np.diff(np.r_[starts, len(event_key)]).astype(np.float32)
    rows, cols = np.divmod(pair_key[starts], n_items)
    # Events are sorted by (row, col), so the pairs come out in CSR order and the aligned arrays stay aligned.
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=len(customers)))].astype(np.int64)
    days = sp.csr_matrix((counts, cols.astype(np.int32), indptr), shape=(len(customers), n_items))
    last_age = np.minimum.reduceat(ages, starts) if len(starts) else np.array([], np.float32)
    first_age = np.maximum.reduceat(ages, starts) if len(starts) else np.array([], np.float32)
    customer_day = _sorted_unique(row * span + age)
    day_row, day_age = np.divmod(customer_day, span)
    customer_last_age = np.zeros(len(customers), np.int64)
    # Sorted by (row, age): a customer's first entry is their most recent day.
    first_of_row = np.r_[True, day_row[1:] != day_row[:-1]] if len(day_row) else np.zeros(0, bool)
    customer_last_age[day_row[first_of_row]] = day_age[first_of_row]
    return Dataset(
        as_of=as_of,
        customers=customers,
        items=item_table.index.to_numpy(),
        days=days,
        first_age=first_age,
        last_age=last_age,
        event_pair=event_pair.astype(np.int64),
        event_age=ages,
        recommendable=item_table["ok"].to_numpy(),
        names=item_table["name"].to_numpy(),
        texts=item_table["text"].to_numpy(),
        customer_last_age=customer_last_age,
        customer_days=np.bincount(day_row, minlength=len(customers)).astype(np.float32),
    )


def lines_before(lines: pd.DataFrame, cutoff) -> pd.DataFrame:
    """The lines placed strictly before `cutoff` (a UTC timestamp or anything pandas parses)."""
    cutoff = pd.Timestamp(cutoff)
    cutoff = cutoff.tz_localize("UTC") if cutoff.tzinfo is None else cutoff
    return lines[pd.to_datetime(lines["placed_at"], utc=True) < cutoff]


def lines_between(lines: pd.DataFrame, start, end) -> pd.DataFrame:
    """The lines placed in [start, end)."""
    start, end = (pd.Timestamp(t) for t in (start, end))
    start = start.tz_localize("UTC") if start.tzinfo is None else start
    end = end.tz_localize("UTC") if end.tzinfo is None else end
    placed = pd.to_datetime(lines["placed_at"], utc=True)
    return lines[(placed >= start) & (placed < end)]
