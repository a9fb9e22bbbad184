"""What reps and managers see of the recommendations app: the profile's lists and "bought together", the product
page's rules and forecast, the rules browser and "what will sell". Results rows are made directly, as a run would
write them; every page says so when no run has been published, and runs a fixed number of queries."""

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
from insights import publishing
from insights.models import ModelRun
from recommendations.models import AssociationRule, ProductForecast, Recommendation
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 1)


def published(family: str, **fields) -> ModelRun:
    run = ModelRun.objects.create(family=family, as_of=AS_OF, status="running", **fields)
    publishing.publish(run)
    return run


def recommend(run, customer, product, list_="try_next", rank=1, code="similar_baskets", params=None):
    return Recommendation.objects.create(
        run=run, customer=customer, list=list_, rank=rank, product=product, score=1.0 / rank, component="als",
        reason_code=code, reason_params=params or {},
    )  # fmt: skip


def rule(run, antecedent, consequent, lift=3.0, confidence=0.4, second=None, count=30, more=()):
    return AssociationRule.objects.create(
        run=run, antecedent=antecedent, antecedent_2=second, consequent=consequent, support=0.01,
        confidence=confidence, lift=lift, count=count, antecedent_more=[p.pk for p in more],
        size=2 + (second is not None) + len(more),
    )  # fmt: skip


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
    # 9, of which 2 are the user's permissions (the navigation links the managers' pages only for those allowed)
    with django_assert_num_queries(9):
        product_page(alice_client, product)
    for _ in range(5):
        rule(run, product, ProductFactory())
        OrderItemFactory(product=product)
    with django_assert_num_queries(9):
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


# Managers' pages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["recommendations:rules", "recommendations:what_will_sell"])
def test_managers_pages_are_for_managers_and_admins(name, alice_client, charlie_client, dana_client, anonymous_client):
    url = reverse(name)
    assert alice_client.get(url).status_code == 403
    assert charlie_client.get(url).status_code == 200
    assert dana_client.get(url).status_code == 200
    assert anonymous_client.get(url).status_code == 302


def test_the_rules_page_finds_rules_by_product_and_sorts_them(charlie_client):
    tea, cups, saucers, jam = (ProductFactory(name=n) for n in ("Tea", "Cups", "Saucers", "Jam"))
    run = published("rules", model_card={"rules": {"rule_count": 3}})
    rule(run, tea, cups, lift=2.0, confidence=0.9)
    rule(run, tea, saucers, lift=6.0, confidence=0.3, second=cups)
    rule(run, jam, cups, lift=4.0)
    page = charlie_client.get(reverse("recommendations:rules"), {"q": "tea"}).content.decode()
    assert "Jam" not in page and page.index("Saucers") < page.index("90%")  # by lift: the triple first
    page = charlie_client.get(reverse("recommendations:rules"), {"sort": "confidence", "size": "2"}).content.decode()
    assert "Saucers" not in page and page.index("90%") < page.index("Jam")


def test_the_rules_page_states_the_thresholds_the_rules_meet_and_a_budget_that_stopped_the_mining(charlie_client):
    tea, cups = ProductFactory(name="Tea"), ProductFactory(name="Cups")
    card = {"rule_count": 1, "min_count": 10, "min_support": 10 / 9835, "min_confidence": 0.8, "min_lift": 1.5}
    run = published("rules", winner="model", data_counts={"baskets": 9835}, model_card={"rules": card})
    rule(run, tea, cups)
    page = charlie_client.get(reverse("recommendations:rules")).content.decode()
    assert "Association rules mined from 9,835 baskets" in page
    assert "in at least 10 baskets (support 0.10%), with confidence at least 80% and lift at least 1.5×" in page
    assert "work budget" not in page
    card |= {"complete": False, "stopped_at": 5}
    ModelRun.objects.filter(pk=run.pk).update(model_card={"rules": card})
    page = charlie_client.get(reverse("recommendations:rules")).content.decode()
    assert "The work budget stopped the mining before itemsets of 5 products" in page


def test_the_rules_page_says_when_it_shows_the_baseline_not_mined_rules(charlie_client):
    tea, cups = ProductFactory(name="Tea"), ProductFactory(name="Cups")
    card = {"rule_count": 1, "min_count": 1, "min_support": 1 / 9835, "min_confidence": 0.0, "min_lift": 0.0}
    run = published("rules", winner="baseline", data_counts={"baskets": 9835}, model_card={"rules": card})
    rule(run, tea, cups)
    page = charlie_client.get(reverse("recommendations:rules")).content.decode()
    assert "Each product's most popular companions in 9,835 baskets" in page
    assert "not mined rules" in page and "Association rules mined" not in page and "at least 1 baskets" not in page
    jam = ProductFactory(name="Jam")
    rule(run, jam, cups, lift=11.0, count=1)  # one basket: a high lift that says little
    page = charlie_client.get(reverse("recommendations:rules")).content.decode()
    assert page.index("Tea") < page.index("Jam")  # the popular companions first
    assert 'value="count" selected' in page and ">Clear</a>" not in page


def test_the_rules_page_shows_every_product_of_a_long_rule_and_filters_by_length(charlie_client):
    tea, cups, saucers, jam, spoons = (ProductFactory(name=n) for n in ("Tea", "Cups", "Saucers", "Jam", "Spoons"))
    run = published("rules", model_card={"rules": {"rule_count": 2}})
    rule(run, tea, spoons, lift=7.0, second=cups, more=[saucers, jam])
    rule(run, tea, cups, lift=2.0)
    page = charlie_client.get(reverse("recommendations:rules"), {"size": "4"}).content.decode()
    assert "Spoons" in page and all(f'href="/products/{p.pk}/"' in page for p in (tea, cups, saucers, jam))
    assert "Cups</a></td>" not in page  # the pair rule is left out
    page = charlie_client.get(reverse("recommendations:rules"), {"size": "2"}).content.decode()
    assert "Spoons" not in page and "Cups" in page


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


def test_what_will_sell_ranks_products_by_forecast_units_over_the_chosen_weeks(charlie_client):
    slow, fast = ProductFactory(name="Slow seller"), ProductFactory(name="Fast seller")
    run = published("demand", model_card={"horizon": 8})
    for horizon in range(1, 9):
        week = dt.date(2026, 11, 2) + dt.timedelta(weeks=horizon - 1)
        ProductForecast.objects.create(run=run, product=slow, week=week, horizon=horizon, forecast=3, median=3,
                                       lower=1, upper=5)  # fmt: skip
        ProductForecast.objects.create(run=run, product=fast, week=week, horizon=horizon, forecast=10 if horizon <= 4
                                       else 0, median=9, lower=4, upper=20)  # fmt: skip
    page = charlie_client.get(reverse("recommendations:what_will_sell")).content.decode()
    assert page.index("Fast seller") < page.index("Slow seller") and ">40<" in page and ">12<" in page
    page = charlie_client.get(reverse("recommendations:what_will_sell"), {"weeks": "8"}).content.decode()
    assert ">24<" in page  # the slow seller: 8 x 3


def test_the_range_of_a_total_combines_the_weeks_as_the_run_found_they_add_up(charlie_client):
    # Four weeks of 3 expected, each 0-7. Summed the total's range would be 0-28; with the run's rho 0 (weeks that
    # miss independently) it is 12 - 6 to 12 + 8, on the list, the dashboard's panel and the product's page.
    steady = ProductFactory(name="Steady seller")
    card = {"horizon": 4, "total_rho": 0.0, "backtest": {"mean": {"wape": 0.3, "bias_pct": 2.0}}}
    run = published("demand", model_card=card, metrics={"total_interval_coverage_80": 0.81})
    for horizon in range(1, 5):
        week = dt.date(2026, 11, 2) + dt.timedelta(weeks=horizon - 1)
        ProductForecast.objects.create(run=run, product=steady, week=week, horizon=horizon, forecast=3, median=3,
                                       lower=0, upper=7)  # fmt: skip
    page = charlie_client.get(reverse("recommendations:what_will_sell")).content.decode()
    assert re.search(r">6–20<", page) and ">0–28<" not in page
    assert "held 81% of the products' totals" in re.sub(r"\s+", " ", page)
    page = charlie_client.get(reverse("products:detail", args=[steady.pk])).content.decode()
    assert "(80% range 6–20 for the total)" in page


def test_what_will_sell_says_how_far_to_trust_it_in_plain_words_shares_and_dates(charlie_client):
    published(
        "demand",
        model_card={"horizon": 12, "origin": "2026-06-22", "products_scored": 251,
                    "backtest": {"mean": {"wape": 1.01, "bias_pct": -9.0}, "totals": {"mean": {"wape": 0.448}}}},
        metrics={"total_wape": 0.448},
        baseline={"name": "seasonal_naive", "metrics": {"wape": 1.31, "bias_pct": -3.0}},
        publish_note="Product demand: the demand model, because it beat the same weeks a year earlier on the 168 "
        "days to 2026-12-06 (error in each product's total units (WAPE of totals) 0.448 vs 0.542).",
    )  # fmt: skip
    page = charlie_client.get(reverse("recommendations:what_will_sell")).content.decode()
    notice = re.sub(r"\s+", " ", page[page.index("How far to trust it.") : page.index("</section>")])
    assert "the 12 weeks from 22 Jun 2026, 251 regularly sold products" in notice
    assert "off by 101% of the units sold and the total by -9%" in notice
    assert "the best simple rule (the same weeks a year earlier) was off by 131% per week" in notice
    assert "the error was 45% of the units sold" in notice and "on the 168 days to 6 Dec 2026 (" in notice
    assert not re.search(r"seasonal_naive|2026-06-22|2026-12-06|WAPE of totals\)|1\.01|0\.45\b", notice)


def test_bought_together_writes_shares_as_percentages_and_lift_as_times(charlie_client):
    tea, cups = ProductFactory(name="Tea"), ProductFactory(name="Cups")
    rule(published("rules"), tea, cups, lift=154.83, confidence=0.63)
    page = charlie_client.get(reverse("recommendations:rules")).content.decode()
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', page)
    assert cells[:4] == ["63%", "154.8×", "1.00%", "30"]  # confidence, lift, support (0.01 of baskets), baskets


def test_the_managers_pages_say_when_no_run_exists(charlie_client):
    assert "No association rules yet" in charlie_client.get(reverse("recommendations:rules")).content.decode()
    assert "No demand forecast yet" in charlie_client.get(reverse("recommendations:what_will_sell")).content.decode()


@pytest.mark.parametrize(("name", "queries"), [("recommendations:rules", 6), ("recommendations:what_will_sell", 7)])
def test_the_managers_pages_need_the_same_queries_whatever_the_data_size(
    name, queries, charlie_client, django_assert_num_queries
):
    rules, demand = published("rules"), published("demand", model_card={"horizon": 4})
    url = reverse(name)

    def grow(n):
        for _ in range(n):
            a, b = ProductFactory(), ProductFactory()
            rule(rules, a, b)
            ProductForecast.objects.create(run=demand, product=a, week=AS_OF, horizon=1, forecast=1, median=1,
                                           lower=0, upper=2)  # fmt: skip

    grow(1)
    charlie_client.get(url)  # warm the active-run cache
    with django_assert_num_queries(queries):
        charlie_client.get(url)
    grow(6)
    with django_assert_num_queries(queries):
        charlie_client.get(url)


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


# The manager's dashboards ------------------------------------------------------------------------------------


def test_the_dashboards_show_what_will_sell_to_managers_only(charlie_client, alice_client):
    run = published("demand", model_card={"horizon": 4})
    ProductForecast.objects.create(
        run=run, product=ProductFactory(name="Winter scarf"), week=AS_OF, horizon=1, forecast=120, median=110,
        lower=80, upper=170,
    )  # fmt: skip
    page = charlie_client.get(reverse("insights:dashboards")).content.decode()
    assert "What will sell" in page and "Winter scarf" in page and "80–170" in page
    assert "What will sell" not in alice_client.get(reverse("insights:dashboards")).content.decode()


def test_without_a_demand_run_the_dashboards_say_how_to_get_one(charlie_client):
    assert "No demand forecast yet" in charlie_client.get(reverse("insights:dashboards")).content.decode()


def test_what_will_sell_offers_12_weeks_from_a_12_week_run_and_says_so_when_a_run_is_shorter(charlie_client):
    from recommendations.families.demand import DemandFamily

    assert DemandFamily.parameters["horizon"].default == 12
    product = ProductFactory(name="Tea")
    run = published("demand", model_card={"horizon": 12})
    for horizon in range(1, 13):
        week = dt.date(2026, 11, 2) + dt.timedelta(weeks=horizon - 1)
        ProductForecast.objects.create(run=run, product=product, week=week, horizon=horizon, forecast=2, median=2,
                                       lower=1, upper=3)  # fmt: skip
    response = charlie_client.get(reverse("recommendations:what_will_sell"), {"weeks": "12"})
    assert response.context["weeks"] == 12 and ">24<" in response.content.decode()
    assert response.context["week_choices"] == [4, 8, 12]
    published("demand", model_card={"horizon": 8})  # an older run's horizon, before this default
    response = charlie_client.get(reverse("recommendations:what_will_sell"), {"weeks": "12"})
    assert response.context["weeks"] == 8
    assert "12 weeks cannot be shown yet" in response.content.decode()
