"""Sums and dates on the pages read as the product's language (en-gb) writes them, in the site's time zone, from
Django's own filters (`floatformat:"2g"`, `floatformat:"0g"`, `date:"j M Y"`, `date:"c"`)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(settings, alice, alice_client):
    settings.TIME_ZONE = "Asia/Tokyo"
    customer = CustomerFactory(owner=alice)
    order = OrderFactory(customer=customer, placed_at=dt.datetime(2026, 3, 4, 23, 59, tzinfo=dt.UTC))
    OrderItemFactory(order=order, quantity=2, unit_price=Decimal("617.25"))
    return alice_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()


def test_sums_have_two_places_and_grouped_thousands(page):
    assert "GBP\u00a01,234.50" in page  # a no-break space: the amount never parts from its currency


def test_a_late_evening_in_utc_is_the_next_day_in_tokyo(page):
    assert '<time datetime="2026-03-05T08:59:00+09:00">5 Mar 2026</time>' in page


def test_the_list_writes_the_last_order_day_in_tokyo_too(page, alice_client):
    listed = alice_client.get(reverse("customers:list")).content.decode()
    assert '<time datetime="2026-03-05T08:59:00+09:00">5 Mar 2026</time>' in listed
