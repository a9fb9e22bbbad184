"""The dashboards' figures from orders: revenue per month (goods of completed orders, the current month marked
month to date) and monthly cohort retention, for each visibility scope, and cached per scope."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from customers.models import Product
from insights.dashboards import charts, trends
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory
from tests.insights.dashboard_orders import buy, place_orders

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(alice, bob):
    return place_orders(alice, bob, ProductFactory(), ProductFactory(kind=Product.Kind.SHIPPING))


def test_revenue_is_goods_of_completed_orders_per_month_for_the_last_24_months(charlie, orders):
    trend = trends.compute_order_trends(charlie)["revenue"]
    assert len(trend) == 24 and trend[0]["month"] == dt.date(2024, 5, 1) and trend[-1]["month"] == dt.date(2026, 4, 1)
    by_month = {row["month"]: row["revenue"] for row in trend}
    assert by_month[dt.date(2025, 12, 1)] == pytest.approx(40)
    assert by_month[dt.date(2026, 1, 1)] == pytest.approx(20 + 1 + 2)
    assert by_month[dt.date(2026, 2, 1)] == pytest.approx(7.5 + 100)
    assert by_month[dt.date(2026, 3, 1)] == pytest.approx(6 + 50 + 11)
    assert by_month[dt.date(2026, 4, 1)] == pytest.approx(3 + 5)
    assert by_month[dt.date(2025, 11, 1)] == 0.0  # a month without sales is there, at 0
    assert dt.date(2024, 1, 1) not in by_month  # older than 24 months


def test_a_rep_sees_the_revenue_of_their_own_customers_only(alice, orders):
    by_month = {row["month"]: row["revenue"] for row in trends.compute_order_trends(alice)["revenue"]}
    assert by_month[dt.date(2026, 1, 1)] == pytest.approx(23)
    assert by_month[dt.date(2026, 3, 1)] == pytest.approx(6)  # neither bob's customer nor the anonymous sale
    assert max(by_month) == dt.date(2026, 4, 1)


def test_cohort_retention_is_the_share_of_each_first_purchase_month_buying_k_months_later(charlie, orders):
    retention = trends.compute_order_trends(charlie)["cohorts"]
    assert retention["months"] == list(range(12))
    rows = {row["cohort"]: row for row in retention["rows"]}
    assert list(rows) == [dt.date(2026, 2, 1), dt.date(2026, 1, 1), dt.date(2025, 12, 1)]  # newest first
    january, february, december = rows[dt.date(2026, 1, 1)], rows[dt.date(2026, 2, 1)], rows[dt.date(2025, 12, 1)]
    # January: a and b. a buys in +1 and +3, b in +2; April (+3) is the latest month, so +4 on are to come.
    assert january["size"] == 2
    assert january["cells"][:5] == [1.0, 0.5, 0.5, 0.5, None]
    assert february["size"] == 1 and february["cells"][:4] == [1.0, 1.0, 0.0, None]  # c: the outlier is left out
    assert december["size"] == 1 and december["cells"][:6] == [1.0, 0.0, 0.0, 0.0, 0.0, None]
    assert all(cell is None for cell in january["cells"][4:])


def test_a_rep_sees_the_cohorts_of_their_own_customers_only(alice, bob, orders):
    cohorts = trends.compute_order_trends(alice)["cohorts"]["rows"]
    assert [(row["cohort"], row["size"]) for row in cohorts] == [(dt.date(2026, 1, 1), 2)]
    rows = trends.compute_order_trends(bob)["cohorts"]["rows"]
    assert [row["cohort"] for row in rows] == [dt.date(2026, 2, 1), dt.date(2025, 12, 1)]  # e's cohort is 2024


def test_without_orders_there_is_no_trend_and_no_cohort(charlie):
    assert (
        trends.compute_order_trends(charlie)["revenue"] == []
        and trends.compute_order_trends(charlie)["cohorts"] is None
    )


def test_the_figures_from_orders_are_cached_per_visibility_scope(alice_client, bob_client, charlie_client, orders):
    url = reverse("insights:dashboards")
    before = charlie_client.get(url).context["revenue"][-1]["revenue"]
    buy(orders["a"], "2026-04-20", (ProductFactory(), 1, "1000.00"))
    assert charlie_client.get(url).context["revenue"][-1]["revenue"] == before  # cached for a while
    # A rep's figures are their own, never another scope's cached ones.
    assert alice_client.get(url).context["revenue"][-1]["revenue"] == pytest.approx(3 + 1000)
    assert bob_client.get(url).context["revenue"][-1]["revenue"] == pytest.approx(5)
    cache.clear()
    assert charlie_client.get(url).context["revenue"][-1]["revenue"] == pytest.approx(before + 1000)


def test_the_current_month_is_marked_month_to_date_on_the_revenue_chart():
    today = dt.date(2026, 12, 7)
    trend = [{"month": dt.date(2026, 11, 1), "revenue": 900.0}, {"month": dt.date(2026, 12, 1), "revenue": 200.0}]
    marked = trends.mark_month_to_date(trend, today)
    assert "to_date" not in trend[-1] and marked[-1]["to_date"] == today and "to_date" not in marked[0]
    chart = charts.revenue(marked)
    assert chart["categories"] == ["Nov 2026", "Dec 2026, to 7 Dec"]
    assert [s["data"] for s in chart["series"]] == [[900.0, None], [None, 200.0]]  # the partial month apart
    assert "so far in Dec 2026, to 7 Dec (month to date)" in chart["label"]
    assert trends.mark_month_to_date(trend, dt.date(2027, 1, 3)) == trend  # December is over: nothing marked
    assert charts.revenue(trend)["categories"] == ["Nov 2026", "Dec 2026"]


def test_the_dashboards_table_says_which_month_is_month_to_date(charlie_client, alice):
    OrderItemFactory(order=OrderFactory(customer=CustomerFactory(owner=alice), placed_at=timezone.now()))
    page = charlie_client.get(reverse("insights:dashboards")).content.decode()
    today = timezone.localdate()
    assert f"{date_format(today, 'M Y')}, to {date_format(today, 'j M')} (month to date)" in page


def test_the_part_of_revenue_with_no_customer_record_is_shown_beside_the_total(charlie, alice, charlie_client, orders):
    trend = trends.compute_order_trends(charlie)["revenue"]
    anonymous = {row["month"]: row["anonymous"] for row in trend}
    assert anonymous[dt.date(2026, 3, 1)] == pytest.approx(11)  # the one anonymous sale, inside March's 67
    assert sum(anonymous.values()) == pytest.approx(11)
    total = sum(row["revenue"] for row in trend)
    assert trends.anonymous_share(trend) == pytest.approx(11 / total)
    chart = charts.revenue(trend)
    assert chart["series"][1]["name"] == "From sales with no customer record"
    assert chart["series"][1]["data"][trend.index(next(r for r in trend if r["month"] == dt.date(2026, 3, 1)))] == 11
    assert "of it from sales with no customer record" in chart["label"]
    cache.clear()
    page = charlie_client.get(reverse("insights:dashboards")).content.decode()
    assert f"{round(11 / total * 100)}% of this revenue is from sales with no customer record" in page
    assert "From sales with no customer record" in page
    # A rep sees only their own customers' orders: nothing anonymous, so no such line or column.
    assert trends.anonymous_share(trends.compute_order_trends(alice)["revenue"]) == 0
    assert len(charts.revenue(trends.compute_order_trends(alice)["revenue"])["series"]) == 1
