"""A few customers' orders over 2024-2026 for the dashboards' tests, with figures computed by hand in each test."""

import datetime as dt
from decimal import Decimal

from customers.models import Order
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory


def buy(customer, day: str, *lines, status=Order.Status.COMPLETED, is_outlier=False):
    """An order placed at noon UTC on `day` with (product, quantity, unit price) lines."""
    placed = dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")
    order = OrderFactory(customer=customer, placed_at=placed, status=status, is_outlier=is_outlier)
    for product, quantity, price in lines:
        OrderItemFactory(order=order, product=product, quantity=quantity, unit_price=Decimal(price))
    return order


def place_orders(alice, bob, goods, shipping) -> dict:
    """A few customers' orders over 2024-2026 (see each test for the hand-computed figures)."""
    a, b = CustomerFactory(owner=alice), CustomerFactory(owner=alice)
    c, d, e, f = CustomerFactory(owner=bob), CustomerFactory(owner=bob), CustomerFactory(owner=bob), CustomerFactory()
    buy(a, "2026-01-15", (goods, 2, "10.00"), (shipping, 1, "5.00"))  # 20 of goods; shipping is not revenue
    buy(a, "2026-02-10", (goods, 1, "7.50"))
    buy(a, "2026-04-02", (goods, 1, "3.00"))
    buy(b, "2026-01-03", (goods, 1, "1.00"))
    buy(b, "2026-01-28", (goods, 1, "2.00"))  # a second order in its first month: still one customer
    buy(b, "2026-03-09", (goods, 3, "2.00"))
    buy(c, "2026-02-20", (goods, 1, "100.00"))
    buy(c, "2026-03-20", (goods, 1, "50.00"))
    buy(c, "2026-02-21", (goods, 1, "999.00"), status=Order.Status.CANCELLED)  # not a purchase
    buy(c, "2026-03-22", (goods, 1, "888.00"), is_outlier=True)  # not a purchase
    buy(d, "2025-12-05", (goods, 1, "40.00"))
    buy(e, "2024-01-10", (goods, 1, "5.00"))  # first bought long ago: not in a recent cohort
    buy(e, "2026-04-10", (goods, 1, "5.00"))
    buy(f, "2026-03-01", (shipping, 1, "9.00"))  # a shipping-only order is no purchase
    buy(None, "2026-03-15", (goods, 1, "11.00"))  # an anonymous sale: in the manager's revenue
    return {"a": a, "b": b, "c": c, "d": d, "e": e}
