"""Guest sales: orders with no customer record (till sales in the shop, guest checkouts on the web), as real shops
have them (about a quarter of Online Retail's lines have no customer id). Pure numpy/pandas.

They give the demo's products the demand a forecast can be judged on: the customers' own orders spread over five
hundred products leave most products a sale every other week, and the trade customers' dozens make the few trade
products lumpy. Guests buy the popular lines steadily, more in the busy months (the same calendar as the customers'
orders), with Poisson noise from week to week; some take a planted bundle, as customers do. Their volume grows with
the shop (GUEST_ORDERS_PER_CUSTOMER a week per customer record, at most MAX_GUEST_ORDERS a week). The models of
customers never see these orders; product demand and the association rules do, as they do a real shop's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customers.demo.catalogue import Catalogue
from customers.demo.orders import PRICE_RISE_PER_YEAR, STATUS, STATUS_SHARES
from customers.demo.profiles import Calendar

GUEST_ORDERS_PER_CUSTOMER = 0.15  # guest orders a week per customer record
MAX_GUEST_ORDERS = 1500  # a week, so that a demo of 100,000 customers is not mostly guest sales
GUEST_LINES = 1.6  # mean goods lines per guest order
GUEST_BUNDLE_RATE = 0.2  # share of guest orders with a planted bundle
GUEST_QUANTITY = 1.3  # mean units per line
STORE_SHARE = 0.6  # of guest orders at the till; the rest are guest checkouts on the web
TREND_SD = 0.4  # log-sd across products of the yearly growth of their guest sales: lines come into fashion and fade


def make_guest_sales(
    rng: np.random.Generator,
    catalogue: Catalogue,
    calendar: Calendar,
    n_customers: int,
    currency: str,
    first_order: int,
    first_line: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orders, lines) of the guest sales, numbered in time order from `first_order` and `first_line`, in the shape
    of `make_orders` and `make_lines` (customer_id empty, external numbers GUEST-...)."""
    per_day = min(GUEST_ORDERS_PER_CUSTOMER * n_customers, MAX_GUEST_ORDERS) / 7
    intensity = np.diff(calendar.busy)  # each day's share of the calendar's activity, 1 on average
    day = np.repeat(np.arange(calendar.days), rng.poisson(per_day * intensity))
    m = len(day)
    seconds = np.sort(rng.integers(9 * 3600, 19 * 3600, m))  # sorted within each day below
    order = np.lexsort((seconds, day))
    day, seconds = day[order], seconds[order]
    ids = np.arange(first_order, first_order + m)
    placed_at = calendar.timestamps(day, seconds)
    orders = pd.DataFrame(
        {
            "id": ids,
            "external_number": "GUEST-" + pd.Series(ids - first_order + 1).astype(str).str.zfill(8),
            "customer_id": pd.array([pd.NA] * m, dtype="Int64"),
            "placed_at": placed_at,
            "status": STATUS[rng.choice(3, m, p=STATUS_SHARES)],
            "channel": np.where(rng.random(m) < STORE_SHARE, "store", "web").astype(object),
            "currency": currency,
            "created_at": placed_at + rng.integers(0, 300, m).astype("timedelta64[s]"),
            "day": day,
        }
    )
    return orders, _guest_lines(rng, catalogue, calendar, orders, first_line)


def _trending(rng: np.random.Generator, catalogue: Catalogue, day: np.ndarray, days: int) -> np.ndarray:
    """A product for each line sold on `day`: by popularity times each product's own trend, exp(growth x years
    from the middle of the history), with the growth drawn per product (TREND_SD); the weights move month by
    month."""
    goods = catalogue.goods
    weight = catalogue.popularity[goods]
    growth = rng.normal(0.0, TREND_SD, len(goods))
    month = day // 30
    product = np.empty(len(day), dtype=np.int64)
    for m in np.unique(month):
        years = (m * 30 + 15 - days / 2) / 365
        cdf = np.cumsum(weight * np.exp(growth * years))
        mine = month == m
        pick = np.searchsorted(cdf / cdf[-1], rng.random(int(mine.sum())))
        product[mine] = goods[np.minimum(pick, len(goods) - 1)]
    return product


def _guest_lines(rng, catalogue: Catalogue, calendar: Calendar, orders: pd.DataFrame, first_line: int) -> pd.DataFrame:
    m = len(orders)
    sizes = np.array([len(b) for b in catalogue.bundles])
    flat = np.concatenate(catalogue.bundles)
    offsets = np.cumsum(sizes) - sizes
    has_bundle = rng.random(m) < GUEST_BUNDLE_RATE
    chosen = rng.choice(len(sizes), m, p=catalogue.bundle_weights)
    count = np.where(has_bundle, sizes[chosen], 0)
    b_order = np.repeat(np.arange(m), count)
    within = np.arange(len(b_order)) - np.repeat(np.cumsum(count) - count, count)
    b_product = flat[offsets[chosen[b_order]] + within]
    kept = (within < 2) | (rng.random(len(b_order)) < 0.7)

    n_goods = 1 + rng.poisson(GUEST_LINES - 1, m)
    n_other = np.where(has_bundle, np.maximum(n_goods - 2, 0), n_goods)
    o_order = np.repeat(np.arange(m), n_other)
    line_order = np.concatenate([b_order[kept], o_order])
    day = orders["day"].to_numpy()
    product = np.concatenate([b_product[kept], _trending(rng, catalogue, day[o_order], calendar.days)])
    recent = day[line_order] >= calendar.days - 150  # discontinued lines are no longer sold (as in orders.py)
    product[recent] = catalogue.replacement[product[recent]]

    base = int(catalogue.price_pence.shape[0])
    key = np.unique(line_order * base + product)  # no product twice in an order; sorted by order, then product
    line_order, product = key // base, key % base
    n = len(line_order)
    quantity = 1 + rng.poisson(GUEST_QUANTITY - 1, n)
    year = (calendar.start + day.astype("timedelta64[D]")).astype("datetime64[Y]").astype(np.int64)
    price_level = (1 + PRICE_RISE_PER_YEAR) ** (year - year.max()).astype(float)
    unit = np.rint(catalogue.price_pence[product] * price_level[line_order]).astype(np.int64)
    first = np.searchsorted(line_order, line_order)
    return pd.DataFrame(
        {
            "id": np.arange(first_line, first_line + n),
            "order_id": orders["id"].to_numpy()[line_order],
            "line_number": np.arange(n) - first + 1,
            "product_id": product,
            "quantity": quantity,
            "unit_price_pence": unit,
        }
    )
