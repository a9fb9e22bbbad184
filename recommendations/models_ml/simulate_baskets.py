"""Purchase lines with planted structure, for tests and timings: who buys what, and why, is known.

Items fall into `n_groups` themes (item i is in theme i % n_groups, and its name carries the theme's word, so the
content model can find the themes too); within a theme, items are Zipf-popular. Each customer has a home theme
and a few staples from it, which they reorder on most of their orders; the rest of each basket is drawn from the
home theme with probability `affinity`, else from the whole catalogue. Orders fall on uniformly random days over
`days` days before `end`. Everything is vectorised, so a hundred thousand customers take a few seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Theme words and style words of the simulated product names, written as one string each for reading.
WORDS = (  # noqa: SIM905
    "candle mug lantern cushion basket garland bunting clock frame vase tin jar bag card ribbon bell heart star "
    "bird tree owl doily teacup apron towel napkin doorstop magnet coaster tray box"
).split()
STYLES = "red blue pink green white vintage retro rustic polka floral regency glass".split()  # noqa: SIM905


def simulate_products(n_items: int, n_groups: int) -> pd.DataFrame:
    """The catalogue: id, name (style + theme word + number), empty description, the theme word as category."""
    ids = np.arange(1, n_items + 1)
    group = np.arange(n_items) % n_groups
    words = [WORDS[g % len(WORDS)] + ("" if g < len(WORDS) else str(g // len(WORDS))) for g in group]
    styles = [STYLES[(i // n_groups) % len(STYLES)] for i in range(n_items)]
    return pd.DataFrame(
        {
            "product": ids,
            "name": [f"{s} {w} {i}" for s, w, i in zip(styles, words, ids, strict=True)],
            "description": "",
            "category": [f"{w}s" for w in words],
            "is_active": True,
            "kind": "product",
        }
    )


def simulate_lines(
    n_customers: int = 1000,
    n_items: int = 500,
    n_groups: int = 25,
    orders: float = 8.0,
    basket: float = 4.0,
    staples: int = 3,
    affinity: float = 0.7,
    days: int = 365,
    end="2024-01-01",
    seed: int = 0,
) -> pd.DataFrame:
    """Purchase lines (customer, product, placed_at, quantity, amount) of simulated customers 1..n_customers."""
    rng = np.random.default_rng(seed)
    per_group = max(n_items // n_groups, 1)
    zipf = 1.0 / np.arange(1, per_group + 1) ** 0.8
    zipf_cdf = np.cumsum(zipf) / zipf.sum()

    def draw_in_group(groups: np.ndarray) -> np.ndarray:
        """One Zipf-popular item of each given theme."""
        rank = np.minimum(np.searchsorted(zipf_cdf, rng.random(len(groups))), per_group - 1)
        return np.minimum(rank * n_groups + groups, n_items - 1)

    home = rng.integers(0, n_groups, n_customers)
    staple_items = draw_in_group(np.repeat(home, staples)).reshape(n_customers, staples)
    n_orders = 1 + rng.poisson(orders - 1, n_customers)
    order_customer = np.repeat(np.arange(n_customers), n_orders)
    order_day = rng.integers(0, days, len(order_customer))

    # Staples: each of the customer's staples is on an order with probability 0.6.
    staple_line = rng.random((len(order_customer), staples)) < 0.6
    staple_order = np.repeat(np.arange(len(order_customer)), staples)[staple_line.ravel()]
    staple_product = staple_items[order_customer].ravel()[staple_line.ravel()]

    # The rest of the basket: from the home theme with probability `affinity`, else from anywhere.
    extra = rng.poisson(basket, len(order_customer))
    extra_order = np.repeat(np.arange(len(order_customer)), extra)
    at_home = rng.random(len(extra_order)) < affinity
    groups = np.where(at_home, home[order_customer[extra_order]], rng.integers(0, n_groups, len(extra_order)))
    extra_product = draw_in_group(groups)

    order = np.concatenate([staple_order, extra_order])
    product = np.concatenate([staple_product, extra_product])
    end = pd.Timestamp(end)
    end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    seconds = rng.integers(8 * 3600, 18 * 3600, len(order_customer))
    placed = end - pd.to_timedelta(order_day[order] + 1, unit="D") + pd.to_timedelta(seconds[order], unit="s")
    quantity = 1 + rng.poisson(2, len(order))
    return pd.DataFrame(
        {
            "customer": order_customer[order] + 1,
            "product": product + 1,
            "placed_at": placed,
            "quantity": quantity,
            "amount": quantity * 2.5,
        }
    )
