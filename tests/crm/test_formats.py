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


@pytest.mark.parametrize("language", ["en-gb", "de", "fr"])
def test_percent_money_and_times_write_figures_as_floatformat_does(language):
    # lodestar.grouped rounds and calls formats.number_format itself; floatformat is the reference it must match
    import random

    from django.template.defaultfilters import floatformat
    from django.utils import translation

    from crm.templatetags.lodestar import grouped

    rng = random.Random(1)
    values = [0, -0.0, 0.5, 1.5, 2.5, -0.5, -0.004, -0.005, 0.005, 0.015, 999.995, -999.995, 1e15, 1e-9, -12]
    values += [rng.uniform(-1e7, 1e7) for _ in range(300)] + [round(rng.uniform(-2, 2), 3) for _ in range(300)]
    numbers = [Decimal(str(value)) for value in values] + [Decimal("NaN"), Decimal("Infinity")]
    with translation.override(language):
        for number in numbers:
            for places in (0, 1, 2):
                assert grouped(number, places) == floatformat(number, f"{places}g"), (number, places)
