"""The profile's layout in a real browser: the latest orders show every column, with each order opened on its lines,
at a common laptop width."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_latest_orders_show_their_lines_and_totals_with_every_order_open(tab, sign_in, alice):
    customer = CustomerFactory(owner=alice)
    product = ProductFactory(name="Professional Chopping Board, Walnut, 250 g", sku="KIT-00141")
    for days in (10, 40, 90):
        order = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(days=days))
        OrderItemFactory(order=order, product=product, quantity=3, unit_price=Decimal("614.40"))
    sign_in(alice)
    tab.page.set_viewport_size({"width": 1400, "height": 900})
    tab.open(reverse("customers:detail", args=[customer.pk]))
    orders = tab.page.locator("section[aria-labelledby=orders-title]")
    for summary in orders.locator("details.order-lines > summary").all():
        summary.click()
    wrap = orders.locator(".table-wrap")
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth"), "the orders table is wider than its card"
    card = orders.bounding_box()
    for header in ("Lines", "Total"):
        box = orders.locator(".table-wrap > table > thead th", has_text=header).bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"], header
    assert orders.locator(".table-wrap > table > tbody > tr > td:last-child").first.inner_text() == "GBP\u00a01,843.20"
    tab.screenshot("profile-orders-open")
    tab.assert_clean()
