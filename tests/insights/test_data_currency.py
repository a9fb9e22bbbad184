"""The models learn from amounts in the base currency: the data loaders convert each order at its day's rate in
SQL, and leave out the amounts they cannot convert rather than add two currencies together."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from customers.models import ExchangeRate
from insights import data
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def mixed(settings):
    """One customer with a GBP, an EUR (rate 0.85 on its day) and a USD order (no rate)."""
    settings.DEFAULT_CURRENCY = "GBP"
    ExchangeRate.objects.create(currency="EUR", day=dt.date(2026, 1, 1), rate=Decimal("0.85"))
    customer = CustomerFactory()
    for number, currency in enumerate(["GBP", "EUR", "USD"]):
        order = OrderFactory(customer=customer, currency=currency, placed_at=DAY + dt.timedelta(days=number))
        OrderItemFactory(order=order, quantity=2, unit_price=Decimal("50"))
    return customer


def test_purchases_are_in_the_base_currency_and_unconvertible_ones_left_out(mixed):
    frame = data.purchases()
    assert frame["amount"].tolist() == pytest.approx([100.0, 85.0])


def test_order_lines_carry_base_currency_prices_and_the_same_totals_as_purchases(mixed):
    lines = data.order_lines()
    assert sorted(lines["unit_price"].tolist()) == pytest.approx([42.5, 50.0])
    from_lines = data.purchases_from_lines(lines).sort_values("placed_at")["amount"].tolist()
    assert from_lines == pytest.approx(data.purchases().sort_values("placed_at")["amount"].tolist())


def test_lines_without_prices_keep_every_order(mixed):
    lines = data.order_lines(columns=("order", "product", "quantity"))
    assert len(lines) == 3
    assert isinstance(lines, pd.DataFrame)
