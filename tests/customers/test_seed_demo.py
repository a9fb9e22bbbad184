"""The demo data: a deterministic generator with planted structure (tested on arrays, without the database),
(`manage.py seed_demo`, which loads it, is tested on the database in test_seed_demo_command.py)."""

from __future__ import annotations

import datetime as dt
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from customers.demo import loader
from customers.demo.generator import generate
from customers.demo.profiles import GROUP_NAMES
from customers.demo.words import EMAIL_DOMAINS
from customers.models import Customer, Interaction, Order

END = dt.date(2025, 6, 30)
END_TS = pd.Timestamp(END)


@pytest.fixture(scope="module")
def data():
    return generate(seed=11, n_customers=1000, end=END)


@pytest.fixture(scope="module")
def rfm(data) -> pd.DataFrame:
    """Per customer: group, churner, recency and tenure (days), orders, spend and average order (pence)."""
    lines = data.lines
    value = (lines["quantity"] * lines["unit_price_pence"]).groupby(lines["order_id"]).sum()
    orders = data.orders.assign(value=data.orders["id"].map(value))
    per = orders.groupby("customer_id").agg(
        last=("placed_at", "max"), first=("placed_at", "min"), frequency=("id", "size"), monetary=("value", "sum")
    )
    per["recency"] = (END_TS - per["last"]).dt.days
    per["tenure"] = (END_TS - per["first"]).dt.days
    per["average_order"] = per["monetary"] / per["frequency"]
    return data.truth.customers.set_index("customer_id").join(per)


def _medians(rfm: pd.DataFrame, column: str) -> pd.Series:
    return rfm[~rfm["churner"]].groupby("group")[column].median()


def _basket_lift(data, pairs) -> list[float]:
    """Lift of each product pair over the orders' goods: P(both) / (P(a) P(b))."""
    goods = data.products.loc[data.products["kind"] == "product", "id"]
    lines = data.lines[data.lines["product_id"].isin(goods)]
    baskets = lines["order_id"].nunique()
    orders_of = lines.groupby("product_id")["order_id"].apply(set)
    lifts = []
    for a, b in pairs:
        if a in orders_of and b in orders_of:
            both = len(orders_of[a] & orders_of[b])
            lifts.append(both * baskets / (len(orders_of[a]) * len(orders_of[b])))
    return lifts


# The generator, on arrays ----------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_tables(data):
    again = generate(seed=11, n_customers=1000, end=END)
    for name in ("products", "customers", "orders", "lines", "interactions", "customer_tags"):
        pd.testing.assert_frame_equal(getattr(data, name), getattr(again, name))
    pd.testing.assert_frame_equal(data.truth.customers, again.truth.customers)
    assert data.truth.bundles == again.truth.bundles


def test_another_seed_gives_other_data(data):
    other = generate(seed=12, n_customers=1000, end=END)
    assert not data.customers["name"].equals(other.customers["name"])
    assert len(data.lines) != len(other.lines) or not data.lines.equals(other.lines)


def test_ids_and_references_hold_together(data):
    assert data.orders["customer_id"].isin(data.customers["id"]).all()
    assert data.lines["order_id"].isin(data.orders["id"]).all()
    assert data.lines["product_id"].isin(data.products["id"]).all()
    assert data.orders["external_number"].is_unique and data.products["sku"].is_unique
    assert not data.lines.duplicated(["order_id", "line_number"]).any()
    assert (data.lines.groupby("order_id")["line_number"].min() == 1).all()
    assert set(data.lines["order_id"]) == set(data.orders["id"])
    assert (data.lines["quantity"] > 0).all() and (data.lines["unit_price_pence"] > 0).all()


def test_every_order_has_a_customer_and_a_few_are_cancelled_or_returned(data):
    assert data.orders["customer_id"].notna().all()
    shares = data.orders["status"].value_counts(normalize=True)
    assert 0.01 < shares["cancelled"] < 0.06
    assert 0.003 < shares["returned"] < 0.04


def test_there_are_about_twenty_order_lines_per_customer(data):
    assert 15 <= len(data.lines) / len(data.customers) <= 26


def test_some_orders_carry_one_shipping_line(data):
    shipping = data.products.loc[data.products["kind"] == "shipping", "id"]
    shipped = data.lines[data.lines["product_id"].isin(shipping)]
    assert not shipped["order_id"].duplicated().any()
    assert 0.1 < shipped["order_id"].nunique() / len(data.orders) < 0.7


def test_each_planted_group_has_its_share_of_customers(data):
    sizes = data.truth.customers["group"].value_counts(normalize=True)
    assert set(sizes.index) == set(GROUP_NAMES)
    assert sizes.min() >= 0.05


def test_champions_order_most_often_and_most_recently_among_regular_buyers(rfm):
    frequency, recency = _medians(rfm, "frequency"), _medians(rfm, "recency")
    assert frequency["champions"] > frequency["loyal"] > frequency["bargain"] > frequency["one_time"] == 1
    assert recency["champions"] < recency["loyal"] < recency["bargain"] < recency["one_time"]


def test_wholesale_spends_most_per_order_and_bargain_hunters_least_among_repeat_buyers(rfm):
    average = _medians(rfm, "average_order")
    assert average["wholesale"] > 5 * max(average.drop("wholesale"))
    assert average["bargain"] < min(average[["champions", "loyal", "new"]])
    spend = _medians(rfm, "monetary")
    assert spend["wholesale"] > spend["champions"] > spend["loyal"] > spend["bargain"] > spend["one_time"]


def test_new_customers_started_in_the_last_hundred_days(rfm):
    new = rfm[rfm["group"] == "new"]
    assert new["tenure"].max() <= 101
    assert (rfm.loc[rfm["group"] != "new", "tenure"] > 101).mean() > 0.95


def test_one_time_customers_ordered_once_more_than_a_year_ago(rfm):
    once = rfm[rfm["group"] == "one_time"]
    assert (once["frequency"] == 1).all()
    assert once["recency"].min() >= 365


def test_churners_bought_regularly_then_stopped_for_at_least_six_months(rfm):
    churners = rfm[rfm["churner"]]
    assert len(churners) >= 30
    assert churners["recency"].min() >= 180
    assert (churners["frequency"] >= 3).mean() > 0.95
    assert churners["frequency"].median() >= 5
    # The same groups' customers who did not churn are mostly recent.
    stayed = rfm[~rfm["churner"] & rfm["group"].isin(["champions", "loyal"])]
    assert stayed["recency"].median() < 90


def _negative_share(interactions: pd.DataFrame) -> float:
    return (interactions["sentiment"] == "negative").mean()


def test_churners_complain_more_before_they_leave(data):
    labels = data.interactions[["id", "customer_id", "occurred_at"]].merge(
        data.truth.interactions, left_on="id", right_on="interaction_id"
    )
    labels = labels.merge(data.truth.customers, on="customer_id")
    last_months = labels[labels["churner"] & (labels["occurred_at"] >= labels["stop_date"] - pd.Timedelta(days=120))]
    others = labels[~labels["churner"]]
    assert _negative_share(last_months) > 2 * _negative_share(others)


@pytest.mark.parametrize("group", ["champions", "loyal"])
def test_each_customer_keeps_their_own_cadence(data, rfm, group):
    """Within a group, customers whose gaps were short early on still have short gaps later: each customer
    has their own mean gap, not just their group's."""
    regular = rfm[~rfm["churner"] & (rfm["frequency"] >= 8) & (rfm["group"] == group)].index
    orders = data.orders[data.orders["customer_id"].isin(regular)].sort_values(["customer_id", "placed_at"])
    gaps = orders.groupby("customer_id")["placed_at"].diff().dt.days.dropna()
    gaps = pd.DataFrame({"customer": orders.loc[gaps.index, "customer_id"], "gap": gaps})
    gaps["later"] = gaps.groupby("customer").cumcount() >= gaps.groupby("customer")["gap"].transform("size") / 2
    halves = gaps.groupby(["customer", "later"])["gap"].mean().unstack()
    assert len(halves) >= 30
    assert np.corrcoef(np.log1p(halves[False]), np.log1p(halves[True]))[0, 1] > 0.3


def test_bundled_products_are_bought_together_far_above_chance(data):
    bundle_pairs = [pair for bundle in data.truth.bundles for pair in combinations(bundle, 2)]
    assert all(2 <= len(bundle) <= 5 for bundle in data.truth.bundles)
    in_bundles = {p for bundle in data.truth.bundles for p in bundle}
    rng = np.random.default_rng(0)
    loose = [p for p in data.products.loc[data.products["kind"] == "product", "id"] if p not in in_bundles]
    random_pairs = [tuple(rng.choice(loose, 2, replace=False)) for _ in range(300)]
    assert np.median(_basket_lift(data, bundle_pairs)) > 10
    assert np.median(_basket_lift(data, random_pairs)) < 2


def _weekly_units(data, lines: pd.DataFrame) -> pd.DataFrame:
    """Units per week (rows) and product (columns) of goods lines of completed orders, every week present."""
    orders = pd.concat([data.orders, data.guest_orders])
    done = orders.loc[orders["status"] == "completed", ["id", "day"]]
    goods = data.products.loc[data.products["kind"] == "product", "id"]
    lines = lines[lines["product_id"].isin(goods)].merge(done, left_on="order_id", right_on="id")
    weeks = pd.RangeIndex(int(orders["day"].max()) // 7 + 1)
    units = lines.groupby([lines["day"] // 7, "product_id"])["quantity"].sum().unstack(fill_value=0)
    return units.reindex(weeks, fill_value=0)


def test_guest_sales_have_no_customer_and_are_numbered_after_the_customers_orders(data):
    guests = data.guest_orders
    assert len(guests) > len(data.orders)
    assert guests["customer_id"].isna().all()
    assert guests["id"].min() == data.orders["id"].max() + 1 and guests["id"].is_monotonic_increasing
    assert data.guest_lines["id"].min() == data.lines["id"].max() + 1
    assert data.guest_lines["order_id"].isin(guests["id"]).all()
    assert set(guests["channel"]) == {"store", "web"}


def test_best_sellers_sell_steadily_every_week_and_the_trade_range_in_lumps(data):
    """The demand a forecast is judged on: over the last year, the ten best sellers outside the trade range sell in
    nearly every week with a modest spread, while a trade product's weeks swing far more (trade customers buy it by
    the dozen)."""
    units = _weekly_units(data, pd.concat([data.lines, data.guest_lines])).iloc[-53:-1]  # the last week is partial
    trade = [p for p in units.columns if p in set(np.flatnonzero(_trade(data)))]
    best = units.drop(columns=trade).mean().nlargest(10).index
    assert (units[best] > 0).mean().min() > 0.9
    spread = units.std() / units.mean()
    assert spread[best].median() < 0.8  # Poisson noise and the busy months
    # Lumpy: the spread of a product's weekly units against that of its weekly lines (1 if every line were 1 unit).
    lines = _weekly_units(data, pd.concat([data.lines, data.guest_lines]).assign(quantity=1)).iloc[-53:-1]
    lumps = spread / (lines.std() / lines.mean())
    retail = [p for p in units.columns if p not in trade]
    assert lumps[trade].median() > 1.5 and lumps[retail].median() < 1.2


def _trade(data) -> np.ndarray:
    """Per product id: in the trade range, as the trade customers' bulk lines show it."""
    wholesale = data.truth.customers.loc[data.truth.customers["group"] == "wholesale", "customer_id"]
    bulk = data.lines[
        data.lines["order_id"].isin(data.orders.loc[data.orders["customer_id"].isin(wholesale), "id"])
        & (data.lines["quantity"] >= 8)
    ]
    flags = np.zeros(int(data.products["id"].max()) + 1, dtype=bool)
    flags[bulk["product_id"].unique()] = True
    return flags


def test_trade_customers_buy_a_small_range_in_bulk(data):
    trade = _trade(data)
    goods = (data.products["kind"] == "product").sum()
    assert 0.03 * goods < trade.sum() < 0.15 * goods


def test_some_lines_grow_and_others_fade(data):
    """Products' guest sales trend up or down over the years, so last year's week is not this year's: a product's
    sales in the last year against the first differ by more than noise for many products."""
    units = _weekly_units(data, data.guest_lines)
    first, last = units.iloc[:52].sum(), units.iloc[-52:].sum()
    sold = (first + last) >= 100
    ratio = np.log((last[sold] + 1) / (first[sold] + 1))
    assert ratio.std() > 0.4
    assert (ratio > np.log(1.5)).sum() > 10 and (ratio < -np.log(1.5)).sum() > 10


def test_november_and_december_are_the_busiest_months(data):
    placed = data.orders["placed_at"]
    per_day = len(placed) / (3 * 365)
    peak = placed[(placed >= "2024-11-01") & (placed < "2025-01-01")]
    autumn = placed[(placed >= "2024-09-01") & (placed < "2024-11-01")]
    assert len(peak) / 61 > 1.2 * per_day
    assert len(peak) > 1.3 * len(autumn)


def test_interaction_texts_are_varied_and_carry_their_sentiment(data):
    texts = data.interactions.merge(data.truth.interactions, left_on="id", right_on="interaction_id")
    assert texts["body"].nunique() > 0.8 * len(texts)
    assert set(texts["kind"]) == {"call", "email", "meeting", "note", "feedback", "ticket"}
    assert set(texts["topic"]) >= {"complaint", "price_question", "delivery_problem", "praise", "product_question"}
    warm = texts["body"].str.contains(r"\b(?:happy|love|loves|great|delighted|thanked|excellent)\b", case=False)
    by_sentiment = warm.groupby(texts["sentiment"]).mean()
    # Mostly, not always: sarcasm and loud mixed texts put warm words in unhappy ones, terse ones in none.
    assert by_sentiment["positive"] > 0.3
    assert by_sentiment["positive"] > 4 * by_sentiment["negative"]


def test_a_share_of_the_texts_is_written_as_people_really_write(data):
    # With template texts alone the text model scored a macro-F1 of 1.00 on the demo's held-out labels.
    from customers.demo import voices

    texts = data.interactions.merge(data.truth.interactions, left_on="id", right_on="interaction_id")
    body = texts["body"].str.lower()
    negative = texts["sentiment"] == "negative"
    terse = body.isin({line.lower() for lines in voices.TERSE.values() for line in lines if "{" not in line})
    sarcastic = body.str.contains("oh brilliant|great job losing|thanks so much for charging", regex=True)
    assert terse.mean() > 0.01 and body.str.contains(", but ").mean() > 0.03
    assert sarcastic[negative].mean() > 0.005 and not sarcastic[~negative].any()
    assert 0.05 < (body == texts["body"]).mean() < 0.25  # typed in lower case
    # Unclear texts: the same words in every mood.
    unclear = texts[texts["body"].isin(["Fine.", "Noted.", "as expected", "will see"])]
    assert unclear["sentiment"].nunique() == 3


def test_staff_labels_disagree_with_what_was_meant_about_one_time_in_ten(data):
    from customers.demo.texts import CRM_TOPIC

    labels = loader.demo_labels(data).set_index("interaction_id")
    truth = data.truth.interactions.set_index("interaction_id").loc[labels.index]
    assert 0.2 < len(labels) / len(data.truth.interactions) < 0.3
    assert 0.07 < (labels["sentiment"] != truth["sentiment"]).mean() < 0.13
    assert 0.04 < (labels["topic"] != truth["topic"].map(CRM_TOPIC)).mean() < 0.12
    assert labels.equals(loader.demo_labels(data).set_index("interaction_id"))  # the same every time


def test_most_customers_allow_profiling_and_about_sixty_percent_marketing(data):
    assert 0.01 < 1 - data.customers["profiling_consent"].mean() < 0.1
    assert 0.5 < data.customers["marketing_consent"].mean() < 0.75


def test_customers_look_real_and_are_shared_round_robin(data):
    customers = data.customers
    assert customers["name"].str.contains(" ").all()
    assert customers["country"].nunique() >= 5 and customers["city"].nunique() >= 20
    emails = customers.loc[customers["email"] != "", "email"]
    assert emails.str.endswith(EMAIL_DOMAINS).all() and emails.is_unique
    assert customers["owner_index"].value_counts().max() - customers["owner_index"].value_counts().min() <= 1


def test_sqlite_rows_use_djangos_naive_utc_text_and_postgres_rows_an_offset(data):
    def first_placed_at(vendor: str) -> str:
        orders = next(t for t in loader.prepare_tables(data, [1, 2], vendor) if t.model is Order)
        return orders.column("placed_at")[0]

    expected = str(data.orders["placed_at"].iloc[0])  # e.g. "2022-07-01 09:12:44"
    assert first_placed_at("sqlite") == expected
    assert first_placed_at("postgresql") == expected + "+00"


def test_a_single_customer_is_enough():
    tiny = generate(seed=1, n_customers=1, end=END)
    assert len(tiny.customers) == 1 and len(tiny.orders) >= 1 and len(tiny.lines) >= 1
    tables = {table.model: table for table in loader.prepare_tables(tiny, [], "sqlite")}
    assert len(tables[Interaction]) == len(tiny.interactions)
    assert tables[Customer].column("owner_id") == [None]  # no reps: unowned
