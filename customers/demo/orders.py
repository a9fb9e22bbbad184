"""Demo orders and order lines, simulated for all customers at once with numpy (no loop per customer or line).

Each customer orders at gamma-distributed gaps around their own mean gap, counted in the calendar's busy days
so that November and December get more orders. Baskets mix the customer's staples (what they re-buy), their
favourite category, the shop's popular lines and, on some orders, a planted bundle bought together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customers.demo.catalogue import Catalogue
from customers.demo.profiles import CHANNELS, Calendar, profile_array

STATUS = np.array(["completed", "cancelled", "returned"], dtype=object)
STATUS_SHARES = (0.955, 0.03, 0.015)
FREE_SHIPPING_PENCE = 4000
PRICE_RISE_PER_YEAR = 0.04
RETAIL_QUANTITY = 2.0  # mean units per line of what a trade customer buys outside the trade range


def order_days(
    rng: np.random.Generator,
    calendar: Calendar,
    first_day: np.ndarray,
    stop_day: np.ndarray,
    mean_gap: np.ndarray,
    shape: np.ndarray,
    one_time: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, day) of every order: one on each customer's first day, then a gamma renewal process in
    busy time until `stop_day` (exclusive; the end of the history for everyone but churners).

    Gaps are drawn for an upper bound of orders per customer in one flat array and cut by a segmented
    cumulative sum, which keeps the whole simulation vectorised.
    """
    n = len(first_day)
    t0 = calendar.to_busy(first_day) + rng.random(n) * (calendar.to_busy(first_day + 1) - calendar.to_busy(first_day))
    t_stop = calendar.to_busy(stop_day)
    expected = np.maximum(t_stop - t0, 0) / mean_gap
    bound = np.ceil(1.3 * expected + 4 * np.sqrt(expected / shape + 1) + 3).astype(np.int64)
    bound[one_time] = 0
    owner = np.repeat(np.arange(n), bound)
    gaps = rng.gamma(shape[owner], (mean_gap / shape)[owner])
    total = np.cumsum(gaps)
    before = np.concatenate([[0.0], total])[np.cumsum(bound) - bound]
    times = t0[owner] + total - before[owner]
    later = times < t_stop[owner]
    customer = np.concatenate([np.arange(n), owner[later]])
    busy_time = np.concatenate([t0, times[later]])
    return customer, calendar.to_day(busy_time)


def make_orders(
    rng: np.random.Generator,
    calendar: Calendar,
    customer: np.ndarray,
    day: np.ndarray,
    customer_channel: np.ndarray,
    currency: str,
) -> pd.DataFrame:
    """The orders table, numbered in time order. `customer` holds 0-based customer indexes.

    Besides the model's columns it keeps `day` (days since the start of the history) for the later steps.
    """
    m = len(day)
    seconds = np.clip(rng.normal(13.5 * 3600, 3.2 * 3600, m), 7 * 3600, 22 * 3600 + 3599).astype(np.int64)
    order = np.lexsort((customer, seconds, day))
    customer, day, seconds = customer[order], day[order], seconds[order]
    ids = np.arange(1, m + 1)

    # Most orders come through the channel the customer came by; referrals and fairs then order on the web.
    own = customer_channel[customer]
    orders_by_own = np.isin(own, [CHANNELS.index(c) for c in ("web", "store", "phone", "marketplace")])
    fallback = np.where(rng.random(m) < 0.75, CHANNELS.index("web"), CHANNELS.index("phone"))
    channel = np.where(orders_by_own & (rng.random(m) < 0.8), own, fallback)

    placed_at = calendar.timestamps(day, seconds)
    return pd.DataFrame(
        {
            "id": ids,
            "external_number": "DEMO-" + pd.Series(ids).astype(str).str.zfill(8),
            "customer_id": customer + 1,
            "placed_at": placed_at,
            "status": STATUS[rng.choice(3, m, p=STATUS_SHARES)],
            "channel": np.array(CHANNELS, dtype=object)[channel],
            "currency": currency,
            "created_at": placed_at + rng.integers(0, 300, m).astype("timedelta64[s]"),
            "day": day,
        }
    )


def pick_staples(rng: np.random.Generator, catalogue: Catalogue, favourite: np.ndarray, bargain: np.ndarray, trade):
    """Three products per customer that they re-buy: two from their favourite category, one from anywhere; a trade
    customer's from the trade range."""
    n = len(favourite)
    staples = np.empty((n, 3), dtype=np.int64)
    retail = ~trade
    for sampler, mask in (
        (catalogue.popular, retail & ~bargain),
        (catalogue.cheap, retail & bargain),
        (catalogue.trade_range, trade),
    ):
        k = int(mask.sum())
        staples[mask, 0] = sampler.draw_in(rng, favourite[mask])
        staples[mask, 1] = sampler.draw_in(rng, favourite[mask])
        staples[mask, 2] = sampler.draw(rng, k)
    return staples


def _goods_lines(rng, catalogue: Catalogue, orders: pd.DataFrame, customer, calendar: Calendar):
    """(order index, product id) of the goods lines, before de-duplication."""
    group = customer["group"]
    cust = orders["customer_id"].to_numpy() - 1
    g = group[cust]
    m = len(cust)
    n_goods = 1 + rng.poisson(np.maximum(profile_array("lines")[g] * customer["basket"][cust] - 1, 0))

    # Planted bundles: often the customer's own favourite bundle, otherwise a popular one.
    sizes = np.array([len(b) for b in catalogue.bundles])
    flat = np.concatenate(catalogue.bundles)
    offsets = np.cumsum(sizes) - sizes
    has_bundle = rng.random(m) < profile_array("bundle_rate")[g]
    chosen = np.where(
        rng.random(m) < 0.5,
        customer["favourite_bundle"][cust],
        rng.choice(len(sizes), m, p=catalogue.bundle_weights),
    )
    count = np.where(has_bundle, sizes[chosen], 0)
    b_order = np.repeat(np.arange(m), count)
    within = np.arange(len(b_order)) - np.repeat(np.cumsum(count) - count, count)
    b_product = flat[offsets[chosen[b_order]] + within]
    kept = (within < 2) | (rng.random(len(b_order)) < 0.7)

    n_other = np.where(has_bundle, np.maximum(n_goods - 2, 0), n_goods)
    o_order = np.repeat(np.arange(m), n_other)
    oc = cust[o_order]
    o_product = np.empty(len(o_order), dtype=np.int64)
    source = rng.random(len(o_order))
    staple = source < 0.3
    o_product[staple] = customer["staples"][oc[staple], rng.integers(0, 3, int(staple.sum()))]
    # Retail customers buy from the whole catalogue (bargain hunters mostly its cheaper half), trade customers from
    # the trade range.
    kind = np.where(profile_array("wholesale")[group][oc], 2, profile_array("bargain")[group][oc].astype(int))
    for code, sampler in enumerate((catalogue.popular, catalogue.cheap, catalogue.trade_range)):
        favourite = (source >= 0.3) & (source < 0.65) & (kind == code)
        o_product[favourite] = sampler.draw_in(rng, customer["favourite_category"][oc[favourite]])
        anywhere = (source >= 0.65) & (kind == code)
        o_product[anywhere] = sampler.draw(rng, int(anywhere.sum()))

    line_order = np.concatenate([b_order[kept], o_order])
    product = np.concatenate([b_product[kept], o_product])
    # Discontinued products are no longer sold in the last five months: substitute a live one.
    recent = orders["day"].to_numpy()[line_order] >= calendar.days - 150
    product[recent] = catalogue.replacement[product[recent]]
    return line_order, product


def make_lines(
    rng: np.random.Generator, catalogue: Catalogue, orders: pd.DataFrame, customer: dict, calendar: Calendar
) -> pd.DataFrame:
    """The order lines: goods (no product twice in an order) and, below the free-shipping threshold, a
    shipping line. `customer` holds per-customer arrays: group, basket, favourite_category,
    favourite_bundle, staples. Prices are integer pence, risen by a few percent each calendar year."""
    line_order, product = _goods_lines(rng, catalogue, orders, customer, calendar)
    base = int(catalogue.price_pence.shape[0])
    # Sorting the (order, product) keys groups each order's lines and exposes repeats next to each other.
    key = np.sort(line_order * base + product)
    key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    line_order, product = key // base, key % base

    cust = orders["customer_id"].to_numpy()[line_order] - 1
    g = customer["group"][cust]
    # Trade customers buy the trade range by the dozen; anything else they add (a bundle) comes in retail numbers.
    wholesale = profile_array("wholesale")[g] & catalogue.trade[product]
    mean_qty = profile_array("quantity")[g]
    n = len(line_order)
    retail_qty = 1 + rng.poisson(np.maximum(np.where(profile_array("wholesale")[g], RETAIL_QUANTITY, mean_qty) - 1, 0))
    trade_qty = np.maximum(2, np.rint(rng.lognormal(np.log(mean_qty), 0.6))).astype(np.int64)
    quantity = np.where(wholesale, trade_qty, retail_qty)

    order_day = orders["day"].to_numpy()
    year = (calendar.start + order_day.astype("timedelta64[D]")).astype("datetime64[Y]").astype(np.int64)
    price_level = (1 + PRICE_RISE_PER_YEAR) ** (year - year.max()).astype(float)
    discount = np.where(profile_array("wholesale")[g], 0.85, 1.0)
    discount = np.where(profile_array("bargain")[g] & (rng.random(n) < 0.45), 0.8, discount)
    unit = np.rint(catalogue.price_pence[product] * discount * price_level[line_order])

    m = len(orders)
    subtotal = np.bincount(line_order, weights=unit * quantity, minlength=m)
    shipped = (subtotal < FREE_SHIPPING_PENCE) & (orders["channel"].to_numpy() != "store")
    s_order = np.flatnonzero(shipped)
    express = rng.random(len(s_order)) < 0.12
    s_product = np.where(express, catalogue.shipping_ids[1], catalogue.shipping_ids[0])
    s_unit = np.where(express, catalogue.shipping_pence[1], catalogue.shipping_pence[0])

    line_order = np.concatenate([line_order, s_order])
    product = np.concatenate([product, s_product])
    quantity = np.concatenate([quantity, np.ones(len(s_order), dtype=np.int64)])
    unit = np.concatenate([unit, s_unit]).astype(np.int64)
    # Shipping products have the largest ids, so sorting by (order, product) lists them last.
    order = np.lexsort((product, line_order))
    line_order, product, quantity, unit = line_order[order], product[order], quantity[order], unit[order]
    first = np.searchsorted(line_order, line_order)
    return pd.DataFrame(
        {
            "id": np.arange(1, len(line_order) + 1),
            "order_id": orders["id"].to_numpy()[line_order],
            "line_number": np.arange(len(line_order)) - first + 1,
            "product_id": product,
            "quantity": quantity,
            "unit_price_pence": unit,
        }
    )
