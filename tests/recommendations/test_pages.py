"""What reps see of the recommendations app: the profile's lists and "bought together", the product page's rules and
forecast, and the worklist's cross-sell section (the managers' pages: test_managers_pages.py). Results rows are made
directly, as a run would write them (tests/recommendations/results.py); every page says so when no run has been
published, and runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Product
from recommendations.models import ProductForecast
from recommendations.panels import basket_context, recommendations_context
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory
from tests.recommendations.results import AS_OF, published, recommend, rule

pytestmark = pytest.mark.django_db


def profile(client, customer) -> str:
    return client.get(reverse("customers:detail", args=[customer.pk])).content.decode()


def product_page(client, product) -> str:
    return client.get(reverse("products:detail", args=[product.pk])).content.decode()


# The profile ---------------------------------------------------------------------------------------------------


def test_without_a_run_the_profile_says_how_to_get_recommendations(alice, alice_client):
    page = profile(alice_client, CustomerFactory(owner=alice))
    assert "No recommendations yet" in page and "No association rules yet" in page


def test_the_profile_lists_both_lists_with_their_reasons_in_words(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    filters, moka, dripper = ProductFactory(name="Paper filters"), ProductFactory(name="Moka pot"), ProductFactory()
    run = published("recommendations")
    recommend(run, customer, filters, "reorder", code="buy_again", params={"every": 30, "last": 20, "times": 5})
    recommend(run, customer, dripper, "try_next", code="bought_with", params={"items": [filters.pk, moka.pk]})
    page = profile(alice_client, customer)
    days = 20 + (timezone.localdate() - AS_OF).days  # counted to today, not to the model's date
    assert f"Bought 5 times, about every 30 days, last {days} days ago" in page
    assert "Often bought with Paper filters and Moka pot" in page
    assert page.index("Likely to reorder") < page.index("Paper filters") < page.index("Try next")


def test_a_product_bought_since_the_run_is_no_longer_offered(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    offered, already = ProductFactory(name="Still new"), ProductFactory(name="Bought last week")
    run = published("recommendations")
    recommend(run, customer, offered, rank=1)
    recommend(run, customer, already, rank=2)
    OrderItemFactory(order=OrderFactory(customer=customer, placed_at=timezone.now()), product=already)
    page = profile(alice_client, customer)
    offers = page[: page.index('id="account"')]  # the panels, not the order lines further down
    assert "Still new" in offers
    assert "Bought last week" not in offers


def test_a_customer_who_opted_out_is_told_apart(alice, alice_client):
    customer = CustomerFactory(owner=alice, profiling_consent=False)
    published("recommendations")
    assert "opted out of profiling: no recommendations" in profile(alice_client, customer)


def test_bought_together_uses_the_latest_basket_and_names_the_rule(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    tea, cups, saucers, other = (ProductFactory(name=n) for n in ("Tea", "Cups", "Saucers", "Umbrella"))
    old = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(days=90))
    OrderItemFactory(order=old, product=other)
    latest = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(days=3))
    OrderItemFactory(order=latest, product=tea)
    OrderItemFactory(order=latest, product=cups)
    run = published("rules")
    rule(run, tea, saucers, lift=5.0, confidence=0.25)
    rule(run, tea, cups, lift=9.0)  # already in the basket: not suggested
    rule(run, other, tea, lift=8.0)  # from an older basket: not used
    page = profile(alice_client, customer)
    assert "Saucers" in page and "in 25% of the baskets with Tea (5.0× the usual rate)" in page
    assert "Umbrella</a>" not in page.split("Bought together")[1].split("</section>")[0]


def test_bought_together_uses_a_long_rule_only_when_the_basket_holds_all_of_it(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    tea, cups, saucers, spoons, jam = (ProductFactory(name=n) for n in ("Tea", "Cups", "Saucers", "Spoons", "Jam"))
    latest = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(days=3))
    for product in (tea, cups, saucers):
        OrderItemFactory(order=latest, product=product)
    run = published("rules")
    rule(run, tea, spoons, lift=7.0, confidence=0.8, second=cups, more=[saucers])
    rule(run, tea, jam, lift=9.0, second=cups, more=[spoons])  # spoons are not in the basket
    page = profile(alice_client, customer).split("Bought together")[1].split("</section>")[0]
    assert "Spoons" in page and "with Tea and Cups and 1 more of this order" in page
    assert "Jam" not in page


def test_bought_together_names_a_latest_order_that_holds_no_goods(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    tea, saucers = ProductFactory(name="Tea"), ProductFactory(name="Saucers")
    older = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(days=30))
    OrderItemFactory(order=older, product=tea)
    latest = OrderFactory(customer=customer, external_number="INV-SHIP", placed_at=timezone.now())
    OrderItemFactory(order=latest, product=ProductFactory(name="Delivery", kind=Product.Kind.SHIPPING))
    rule(published("rules"), tea, saucers, lift=5.0)
    page = profile(alice_client, customer).split("Bought together")[1].split("</section>")[0]
    assert "INV-SHIP" in page and "Nothing is bought often enough" in page
    assert "Saucers" not in page  # the older order's basket is not used


def test_the_two_panels_read_their_lists_in_two_queries_each(alice, django_assert_num_queries):
    customer = CustomerFactory(owner=alice)
    tea, saucers = ProductFactory(name="Tea"), ProductFactory(name="Saucers")
    OrderItemFactory(order=OrderFactory(customer=customer), product=tea)
    rule(published("rules"), tea, saucers, lift=5.0)
    recommend(published("recommendations"), customer, saucers)
    basket_context(None, customer)  # the active runs' ids are cached, as any earlier page view leaves them
    recommendations_context(None, customer)
    # the latest basket with its order's number and day; the rules
    with django_assert_num_queries(2):
        assert [rule.consequent for rule in basket_context(None, customer)["rules"]] == [saucers]
    # the active run; its rows for the customer, each saying whether it was bought since
    with django_assert_num_queries(2):
        assert [item["product"] for item in recommendations_context(None, customer)["try_next"]] == [saucers]


def test_the_profile_needs_the_same_queries_whatever_the_lists_hold(alice, alice_client, django_assert_max_num_queries):
    customer = CustomerFactory(owner=alice)
    run = published("recommendations")
    products = ProductFactory.create_batch(12)
    recommend(run, customer, products[0], code="bought_with", params={"items": [products[1].pk]})
    alice_client.get(reverse("customers:detail", args=[customer.pk]))  # warm the active-run cache
    with CaptureQueriesContext(connection) as few:
        profile(alice_client, customer)
    for rank, product in enumerate(products[1:], start=2):
        recommend(run, customer, product, rank=rank, code="bought_with", params={"items": [products[0].pk]})
    with django_assert_max_num_queries(len(few.captured_queries)):
        profile(alice_client, customer)


# The product page ----------------------------------------------------------------------------------------------


def test_the_product_page_shows_what_is_bought_with_it_and_its_forecast(alice_client):
    tea, saucers = ProductFactory(name="Tea"), ProductFactory(name="Saucers")
    rule(published("rules"), tea, saucers, lift=4.0, confidence=0.5, count=42)
    demand = published("demand", model_card={"backtest": {"mean": {"wape": 0.61, "bias_pct": -4.0}}})
    for horizon in (1, 2):
        ProductForecast.objects.create(
            run=demand, product=tea, week=dt.date(2026, 11, 2) + dt.timedelta(weeks=horizon - 1), horizon=horizon,
            forecast=10.0 * horizon, median=9.0, lower=5.0, upper=30.0,
        )  # fmt: skip
    page = product_page(alice_client, tea)
    assert "Saucers" in page and "in 50% of the baskets with this product (4.0× the usual rate, 42 baskets)" in page
    assert "<strong>30 units</strong> expected over the next 2 weeks" in page and "10–60" in page
    assert "Backtest: weekly error 61% of the units sold, total -4% off" in page  # a share, as elsewhere


def test_the_product_page_charts_the_forecast_beside_the_weeks_sold_before_it(alice_client):
    tea = ProductFactory(name="Tea")
    demand = published("demand")
    for horizon in (1, 2):
        ProductForecast.objects.create(
            run=demand, product=tea, week=dt.date(2026, 11, 2) + dt.timedelta(weeks=horizon - 1), horizon=horizon,
            forecast=12.0, median=11.0, lower=6.0, upper=20.0,
        )  # fmt: skip
    # Sold 7 in the week of Monday 19 October and 5 in that of 26 October (the run is as of Sunday 1 November).
    for day, quantity in ((dt.date(2026, 10, 20), 4), (dt.date(2026, 10, 22), 3), (dt.date(2026, 10, 30), 5)):
        placed = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        OrderItemFactory(product=tea, quantity=quantity, order=OrderFactory(placed_at=placed))
    page = product_page(alice_client, tea)
    charts = json.loads(re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', page)[1])
    chart = charts["forecast"]
    assert chart["type"] == "line" and len(chart["categories"]) == 16 + 2
    sold, forecast, low, high = (s["data"] for s in chart["series"])
    assert sold[-4:] == [7.0, 5.0, None, None] and sold[:14] == [0.0] * 14
    assert forecast == [None] * 16 + [12.0, 12.0] and low[-2:] == [6.0, 6.0] and high[-2:] == [20.0, 20.0]
    assert 'data-chart="forecast"' in page and "js/charts.js" in page and "Units sold in the 16 weeks before" in page


def test_without_runs_the_product_page_says_how_to_get_them(alice_client):
    page = product_page(alice_client, ProductFactory())
    assert "No association rules yet" in page and "No demand forecast yet" in page


def test_a_delivery_line_says_it_is_not_goods_not_that_it_never_sold(alice_client):
    delivery = ProductFactory(name="Standard delivery", kind=Product.Kind.SHIPPING)
    OrderItemFactory(product=delivery, quantity=3)
    published("rules"), published("demand")
    page = product_page(alice_client, delivery)
    assert "Not forecast: shipping is not goods. Delivery, fees and adjustments are left out of demand" in page
    assert "Not analysed: shipping is not goods." in page
    assert "no sale in the model" not in page and "not bought often enough" not in page


def test_the_product_page_needs_the_same_queries_whatever_the_data_size(alice_client, django_assert_num_queries):
    product = ProductFactory()
    run = published("rules")
    rule(run, product, ProductFactory())
    demand = published("demand")
    ProductForecast.objects.create(
        run=demand, product=product, week=AS_OF, horizon=1, forecast=1, median=1, lower=0, upper=2
    )
    product_page(alice_client, product)  # warm the active-run cache
    # 8, of which 1 is the user's permissions (the navigation links the managers' pages only for those allowed)
    with django_assert_num_queries(8):
        product_page(alice_client, product)
    for _ in range(5):
        rule(run, product, ProductFactory())
        OrderItemFactory(product=product)
    with django_assert_num_queries(8):
        product_page(alice_client, product)


def test_the_catalogue_finds_a_product_by_name_or_sku(alice_client):
    ProductFactory(name="Blue teapot", sku="TEA-1")
    ProductFactory(name="Red umbrella")
    page = alice_client.get(reverse("products:list"), {"q": "teapot"}).content.decode()
    assert "Blue teapot" in page and "Red umbrella" not in page
    assert "Blue teapot" in alice_client.get(reverse("products:list"), {"q": "tea-1"}).content.decode()


def test_product_pages_need_a_sign_in(anonymous_client):
    product = ProductFactory()
    for url in (reverse("products:list"), reverse("products:detail", args=[product.pk])):
        assert anonymous_client.get(url).status_code == 302


# The rep's worklist ------------------------------------------------------------------------------------------


def test_the_worklist_offers_each_reps_customers_their_best_new_product(alice, bob, alice_client):
    mine, theirs, newcomer = CustomerFactory(owner=alice), CustomerFactory(owner=bob), CustomerFactory(owner=alice)
    tea, cups = ProductFactory(name="Tea"), ProductFactory(name="Cups")
    run = published("recommendations")
    recommend(run, mine, cups, code="bought_with", params={"items": [tea.pk]})
    recommend(run, theirs, ProductFactory(name="Bob's offer"))
    recommend(run, newcomer, ProductFactory(name="Best seller"), code="popular_now", params={"days": 30})
    page = alice_client.get(reverse("insights:worklist")).content.decode()
    section = page.split("Cross-sell opportunities")[1]
    assert mine.name in section and "Often bought with Tea" in section
    assert "Bob's offer" not in section and "Best seller" not in section


def test_without_recommendations_the_worklist_has_no_cross_sell_section(alice_client):
    assert "Cross-sell opportunities" not in alice_client.get(reverse("insights:worklist")).content.decode()


def test_the_cross_sell_section_needs_the_same_queries_whatever_the_book_size(
    alice, alice_client, django_assert_max_num_queries
):
    run = published("recommendations")
    tea = ProductFactory()

    def grow(n):
        for _ in range(n):
            recommend(
                run, CustomerFactory(owner=alice), ProductFactory(), code="bought_with", params={"items": [tea.pk]}
            )

    grow(1)
    alice_client.get(reverse("insights:worklist"))  # warm the active-run cache
    with CaptureQueriesContext(connection) as one:
        alice_client.get(reverse("insights:worklist"))
    grow(8)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert alice_client.get(reverse("insights:worklist")).content.decode().count("Often bought with") == 9
