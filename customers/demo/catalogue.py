"""The demo product catalogue: goods in ten categories, two shipping products, and planted product bundles.

Pure numpy/pandas. Bundles are the planted affinity structure: groups of 2-5 products that orders include
together far more often than chance, which the association rules and the co-purchase recommender should find.
The trade range is the few products trade customers buy by the dozen: those products' weekly demand is lumpy, the
rest of the catalogue sells steadily to retail customers (so the demand forecast has both kinds to learn).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from customers.demo.words import CATEGORIES, SIZES

SHIPPING = (
    ("SHIP-STD", "Standard delivery", 495, "Tracked delivery in 3-5 working days."),
    ("SHIP-EXP", "Express delivery", 895, "Tracked next-working-day delivery."),
)


class Sampler:
    """Draws items by weight, optionally restricted to a group (such as a category), in one vectorised step.

    Each group g owns the interval (g, g + 1] of one sorted cumulative array, so a draw for group g is a binary
    search for g + u; a draw over all items is a search in the plain cumulative array.
    """

    def __init__(self, items: np.ndarray, weights: np.ndarray, groups: np.ndarray, n_groups: int):
        order = np.lexsort((items, groups))
        self.items = items[order]
        w = weights[order].astype(float)
        g = groups[order]
        totals = np.bincount(g, weights=w, minlength=n_groups)
        within = np.cumsum(w) - np.repeat(
            np.concatenate([[0.0], np.cumsum(totals)[:-1]]), np.bincount(g, minlength=n_groups)
        )
        self.grouped_cdf = g + within / totals[g]
        self.global_cdf = np.cumsum(w) / w.sum()
        self.group_first = np.searchsorted(g, np.arange(n_groups))
        self.group_last = np.searchsorted(g, np.arange(n_groups), side="right") - 1

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` items drawn by weight over all groups."""
        return self.items[np.minimum(np.searchsorted(self.global_cdf, rng.random(size)), len(self.items) - 1)]

    def draw_in(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        """One item per entry of `groups`, drawn by weight within that group."""
        idx = np.searchsorted(self.grouped_cdf, groups + rng.random(len(groups)))
        # Rounding can land a hair outside the group's interval; clamp to it.
        idx = np.clip(idx, self.group_first[groups], self.group_last[groups])
        return self.items[idx]


@dataclass(frozen=True)
class Catalogue:
    """The products table plus what the order simulation needs to pick products."""

    products: pd.DataFrame
    goods: np.ndarray  # ids of the goods (kind "product")
    category: np.ndarray  # category code per product id (index = id; -1 for non-goods)
    price_pence: np.ndarray  # list price per product id (index = id)
    active: np.ndarray  # is_active per product id (index = id)
    replacement: np.ndarray  # per product id: an active product of the same category (itself if active)
    popular: Sampler  # goods by popularity, by category
    cheap: Sampler  # goods by popularity, favouring the cheaper half of each category
    bundles: tuple[np.ndarray, ...]  # planted affinity groups (product ids)
    popularity: np.ndarray  # per product id: relative sales weight (0 for non-goods)
    trade: np.ndarray  # per product id: in the trade range (what trade customers buy in bulk)
    trade_range: Sampler  # the trade range by popularity, by category
    bundle_weights: np.ndarray  # how often each bundle is chosen, relative
    shipping_ids: tuple[int, int]  # standard, express
    shipping_pence: tuple[int, int]


def _product_names(rng: np.random.Generator, cat_names: list[str], category: np.ndarray) -> tuple[list, list]:
    """Distinct product names and short descriptions; one loop per product (hundreds, not millions)."""
    names: list[str] = []
    descriptions: list[str] = []
    seen: set[str] = set()
    for code in category:
        cat = cat_names[code]
        _, _, adjectives, nouns, points = CATEGORIES[cat]
        for attempt in range(50):
            adj = adjectives[rng.integers(len(adjectives))]
            noun = nouns[rng.integers(len(nouns))]
            size = SIZES[rng.integers(len(SIZES))] if attempt < 20 else f"No. {attempt}"
            name = f"{adj} {noun}" + (f", {size}" if size else "")
            if name not in seen:
                break
        seen.add(name)
        point_a, point_b = rng.choice(len(points), 2, replace=False)
        descriptions.append(f"{adj} {noun.lower()} from our {cat.lower()} range: {points[point_a]}, {points[point_b]}.")
        names.append(name)
    return names, descriptions


def make_catalogue(rng: np.random.Generator, n_products: int, start: np.datetime64) -> Catalogue:
    """`n_products` goods (ids 1..n) and two shipping products (ids n+1, n+2), created before `start`."""
    cat_names = list(CATEGORIES)
    n_cat = len(cat_names)
    cat_share = rng.dirichlet(np.full(n_cat, 8.0))
    category = np.sort(rng.choice(n_cat, n_products, p=cat_share))
    base = np.array([CATEGORIES[c][1] for c in cat_names])[category]
    pounds = np.maximum(1, np.rint(base * rng.lognormal(0.0, 0.45, n_products)))
    price_pence = (pounds * 100 - 1).astype(np.int64)  # shop prices end in .99
    ids = np.arange(1, n_products + 1)
    # A long tail: a few products sell a lot, most sell a little.
    popularity = 1.0 / (rng.permutation(n_products) + 8.0)
    active = rng.random(n_products) > 0.03
    names, descriptions = _product_names(rng, cat_names, category)
    codes = np.array([CATEGORIES[c][0] for c in cat_names], dtype=object)[category]
    skus = codes + "-" + pd.Series(ids).astype(str).str.zfill(5).to_numpy(dtype=object)
    created = start - rng.integers(30, 900, n_products).astype("timedelta64[D]")

    ship_ids = (n_products + 1, n_products + 2)
    products = pd.DataFrame(
        {
            "id": np.concatenate([ids, ship_ids]),
            "sku": np.concatenate([skus, [s[0] for s in SHIPPING]]),
            "name": names + [s[1] for s in SHIPPING],
            "description": descriptions + [s[3] for s in SHIPPING],
            "category": [cat_names[c] for c in category] + ["", ""],
            "price_pence": np.concatenate([price_pence, [s[2] for s in SHIPPING]]),
            "is_active": np.concatenate([active, [True, True]]),
            "kind": ["product"] * n_products + ["shipping", "shipping"],
            "created_at": np.concatenate([created, [start - np.timedelta64(900, "D")] * 2]).astype("datetime64[s]"),
        }
    )
    products["updated_at"] = products["created_at"]

    # Lookups indexed by product id (slot 0 unused).
    by_id_category = np.full(n_products + 3, -1)
    by_id_category[ids] = category
    by_id_price = np.zeros(n_products + 3, dtype=np.int64)
    by_id_price[products["id"].to_numpy()] = products["price_pence"].to_numpy()
    by_id_active = np.ones(n_products + 3, dtype=bool)
    by_id_active[ids] = active
    replacement = np.arange(n_products + 3)
    for pid in ids[~active]:
        same = ids[(category == by_id_category[pid]) & active]
        replacement[pid] = same[rng.integers(len(same))] if len(same) else ids[active][0]

    # Cheaper half of each category gets four times the weight for bargain hunters.
    median = pd.Series(price_pence).groupby(category).transform("median").to_numpy()
    cheap_weight = popularity * np.where(price_pence <= median, 4.0, 0.25)

    bundles = _plant_bundles(rng, ids, category, active)
    bundle_weights = 1.0 / (np.arange(len(bundles)) + 3.0) ** 0.6
    trade_ids = _trade_range(rng, ids, category, active, popularity)
    by_id_popularity = np.zeros(n_products + 3)
    by_id_popularity[ids] = popularity
    by_id_trade = np.zeros(n_products + 3, dtype=bool)
    by_id_trade[trade_ids] = True
    in_trade = by_id_trade[ids]
    return Catalogue(
        products=products,
        goods=ids,
        category=by_id_category,
        price_pence=by_id_price,
        active=by_id_active,
        replacement=replacement,
        popular=Sampler(ids, popularity, category, n_cat),
        cheap=Sampler(ids, cheap_weight, category, n_cat),
        bundles=bundles,
        bundle_weights=bundle_weights / bundle_weights.sum(),
        popularity=by_id_popularity,
        trade=by_id_trade,
        trade_range=Sampler(ids[in_trade], popularity[in_trade], category[in_trade], n_cat),
        shipping_ids=ship_ids,
        shipping_pence=(SHIPPING[0][2], SHIPPING[1][2]),
    )


TRADE_SHARE = 0.08  # of the goods: the trade range


def _trade_range(rng: np.random.Generator, ids, category, active, popularity) -> np.ndarray:
    """The trade range: about TRADE_SHARE of the active goods, drawn by popularity, at least one per category (so
    a trade customer's favourite category always has one)."""
    live = ids[active]
    weight = popularity[active] / popularity[active].sum()
    chosen = set(rng.choice(live, max(1, round(len(ids) * TRADE_SHARE)), replace=False, p=weight).tolist())
    for code in np.unique(category):
        mine = live[category[active] == code]
        if len(mine) and not chosen.intersection(mine.tolist()):
            chosen.add(int(mine[np.argmax(popularity[active][category[active] == code])]))
    return np.array(sorted(chosen), dtype=np.int64)


def _plant_bundles(
    rng: np.random.Generator, ids: np.ndarray, category: np.ndarray, active: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Disjoint groups of 2-5 active products, mostly from one category (a grinder, beans and filters),
    sometimes across categories (a teapot with a tea towel and biscuits)."""
    n_bundles = max(3, round(len(ids) * 0.07))
    pool = set(ids[active].tolist())
    bundles: list[np.ndarray] = []
    for _ in range(n_bundles):
        size = int(rng.choice([2, 3, 4, 5], p=[0.35, 0.3, 0.2, 0.15]))
        if len(pool) < size:
            break
        candidates = np.array(sorted(pool))
        if rng.random() < 0.7:
            anchor = candidates[rng.integers(len(candidates))]
            same = candidates[category[candidates - 1] == category[anchor - 1]]
            if len(same) >= size:
                candidates = same
        members = np.sort(rng.choice(candidates, size, replace=False))
        pool.difference_update(members.tolist())
        bundles.append(members)
    return tuple(bundles)
