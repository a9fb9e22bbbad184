"""Deterministic demo data for Lodestar CRM, generated with numpy and pandas only (no ORM).

`generate(seed, n_customers, end)` returns every table as a DataFrame with explicit integer ids, plus the
ground truth that was planted (behavioural group and churner flag per customer, product bundles, topic and
sentiment per interaction). The ground truth is for tests and benchmarks only: the loader never stores it.

Same seed, size and end date give the same data on every run: every random draw comes from one numpy
SeedSequence, split into one stream per step so that changing one step does not reshuffle the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customers.demo.catalogue import make_catalogue
from customers.demo.guests import make_guest_sales
from customers.demo.interactions import make_interactions
from customers.demo.orders import make_lines, make_orders, order_days, pick_staples
from customers.demo.people import make_customers
from customers.demo.profiles import CHANNELS, GROUP_NAMES, PROFILES, Calendar, profile_array
from customers.demo.words import NEUTRAL_TAGS

DEFAULT_PRODUCTS = 500
CHURN_SHARE = 0.3  # of the customers eligible to churn (regular buyers with a long enough history)


@dataclass(frozen=True)
class GroundTruth:
    """What was planted, for checking that models find it. Never written to the database."""

    customers: pd.DataFrame  # customer_id, group, churner, stop_date (first day without orders; NaT if none)
    bundles: tuple[tuple[int, ...], ...]  # product ids bought together far more often than chance
    interactions: pd.DataFrame  # interaction_id, topic, sentiment


@dataclass(frozen=True)
class DemoData:
    """Every demo table as a DataFrame, ids from 1, plus the ground truth.

    Money is in integer pence (`price_pence`, `unit_price_pence`); timestamps are datetime64[s] in UTC.
    `owner_index` and `user_index` point into the list of demo reps (-1: none); the loader maps them to users.
    """

    seed: int
    end: dt.date
    products: pd.DataFrame
    customers: pd.DataFrame
    orders: pd.DataFrame
    lines: pd.DataFrame
    guest_orders: pd.DataFrame  # sales without a customer (customer_id empty), ids after `orders`
    guest_lines: pd.DataFrame  # their lines, ids after `lines`
    interactions: pd.DataFrame
    tags: pd.DataFrame
    customer_tags: pd.DataFrame
    truth: GroundTruth

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {
            "products": len(self.products),
            "customers": len(self.customers),
            "orders": len(self.orders),
            "order lines": len(self.lines),
            "guest orders": len(self.guest_orders),
            "guest order lines": len(self.guest_lines),
            "interactions": len(self.interactions),
            "tags": len(self.tags),
            "customer tags": len(self.customer_tags),
        }


def _exact_groups(rng: np.random.Generator, n: int) -> np.ndarray:
    """Group codes in exactly the planted shares (rounded), in random order."""
    shares = profile_array("share")
    counts = np.floor(shares * n).astype(np.int64)
    counts[np.argsort(-(shares * n - counts))[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(PROFILES)), counts))


def _churners(rng: np.random.Generator, group, first_day, mean_gap, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Churner flags and stop days: regular buyers who stop ordering 190-420 days before the end, after at
    least 200 days and about five of their own gaps of buying."""
    n = len(group)
    latest = np.minimum(420, days - first_day - 200)
    offset = 190 + (rng.random(n) * np.maximum(latest - 190, 0)).astype(np.int64)
    stop_day = days - offset
    eligible = profile_array("can_churn")[group] & (latest >= 190) & (stop_day - first_day >= 5 * mean_gap)
    churner = eligible & (rng.random(n) < CHURN_SHARE)
    return churner, np.where(churner, stop_day, days)


def generate(
    seed: int,
    n_customers: int,
    end: dt.date | str,
    n_products: int | None = None,
    n_owners: int = 2,
    currency: str = "GBP",
) -> DemoData:
    """Generate the demo data: three years of history ending the day before `end`.

    `n_owners` is how many reps the customers are shared between, round-robin by customer id.
    """
    if n_customers < 1:
        raise ValueError("n_customers must be at least 1.")
    end = dt.date.fromisoformat(end) if isinstance(end, str) else end
    n_products = n_products or DEFAULT_PRODUCTS
    if n_products < 10:
        raise ValueError("n_products must be at least 10.")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    r_catalogue, r_groups, r_people, r_orders, r_lines, r_interactions, r_tags, r_guests = streams

    calendar = Calendar.ending(np.datetime64(end, "D"))
    days = calendar.days
    catalogue = make_catalogue(r_catalogue, n_products, calendar.start)

    group = _exact_groups(r_groups, n_customers)
    older = profile_array("first_order")[:, 0][group]
    newer = profile_array("first_order")[:, 1][group]
    first_day = np.clip(days - r_groups.integers(newer, older + 1), 0, days - 1)
    mean_gap = profile_array("gap_days")[group] * r_groups.lognormal(0.0, profile_array("gap_spread")[group])
    churner, stop_day = _churners(r_groups, group, first_day, mean_gap, days)
    category_sizes = np.bincount(catalogue.category[catalogue.goods], minlength=10).astype(float)
    bargain = profile_array("bargain")[group]
    customer = {
        "group": group,
        "first_day": first_day,
        "stop_day": stop_day,
        "churner": churner,
        "basket": r_groups.lognormal(0.0, 0.3, n_customers),
        "favourite_category": r_groups.choice(
            len(category_sizes), n_customers, p=category_sizes / category_sizes.sum()
        ),
        "favourite_bundle": r_groups.choice(len(catalogue.bundles), n_customers, p=catalogue.bundle_weights),
    }
    customer["staples"] = pick_staples(
        r_groups, catalogue, customer["favourite_category"], bargain, profile_array("wholesale")[group]
    )

    customers, first_names = make_customers(r_people, group, first_day, calendar, n_owners)
    customer["first_name"] = first_names
    customer["owner_index"] = customers["owner_index"].to_numpy()

    who, day = order_days(
        r_orders,
        calendar,
        first_day,
        stop_day,
        mean_gap,
        profile_array("gap_shape")[group],
        profile_array("one_time")[group],
    )
    channel_code = pd.Categorical(customers["acquisition_channel"], categories=CHANNELS).codes.astype(np.int64)
    orders = make_orders(r_orders, calendar, who, day, channel_code, currency)
    lines = make_lines(r_lines, catalogue, orders, customer, calendar)
    guest_orders, guest_lines = make_guest_sales(
        r_guests, catalogue, calendar, n_customers, currency, len(orders) + 1, len(lines) + 1
    )

    last_day = np.full(n_customers, -1)
    np.maximum.at(last_day, orders["customer_id"].to_numpy() - 1, orders["day"].to_numpy())
    customer["last_day"] = last_day
    product_names = np.empty(len(catalogue.price_pence), dtype=object)
    product_names[catalogue.products["id"].to_numpy()] = catalogue.products["name"].to_numpy()
    interactions, labels = make_interactions(r_interactions, calendar, customer, product_names)

    tags = pd.DataFrame({"id": np.arange(1, len(NEUTRAL_TAGS) + 1), "name": NEUTRAL_TAGS})
    # Neutral labels, independent of the planted groups, so that tags give nothing away.
    tagged = r_tags.random((n_customers, len(NEUTRAL_TAGS))) < 0.04
    cust_idx, tag_idx = np.nonzero(tagged)
    customer_tags = pd.DataFrame(
        {"id": np.arange(1, len(cust_idx) + 1), "customer_id": cust_idx + 1, "tag_id": tag_idx + 1}
    )

    stop_date = np.where(churner, calendar.start + stop_day.astype("timedelta64[D]"), np.datetime64("NaT", "D")).astype(
        "datetime64[D]"
    )
    truth = GroundTruth(
        customers=pd.DataFrame(
            {
                "customer_id": customers["id"].to_numpy(),
                "group": np.array(GROUP_NAMES, dtype=object)[group],
                "churner": churner,
                "stop_date": stop_date,
            }
        ),
        bundles=tuple(tuple(int(p) for p in b) for b in catalogue.bundles),
        interactions=labels,
    )
    return DemoData(
        seed=seed,
        end=end,
        products=catalogue.products,
        customers=customers,
        orders=orders,
        lines=lines,
        guest_orders=guest_orders,
        guest_lines=guest_lines,
        interactions=interactions,
        tags=tags,
        customer_tags=customer_tags,
        truth=truth,
    )
