"""The data the browser tests look at: a few customers for alice and bob with orders, and published segments,
value and churn runs with a row per customer, made with the factories in well under a second.

Training the real models instead (seed_demo then retrain) took 12 to 45 s for 300 to 500 customers on this
machine, and at those sizes the value run was held back behind its baseline every time, so the dashboards would
have had no value figures to draw: published runs with known rows give the pages the same shape, deterministically.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from insights import publishing
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory

AS_OF = dt.date(2026, 1, 1)
# name, owner, segment (cluster), 12-month value, churn probability, band, days between orders
CUSTOMERS = [
    ("Harbour Lights Ltd", "alice", (0, "Loyal regulars"), 2400, 0.72, "high", 30),
    ("Juniper & Sons", "alice", (1, "Lapsing big spenders"), 5100, 0.55, "medium", 45),
    ("Meadow Bakery", "alice", (0, "Loyal regulars"), 900, 0.12, "low", 20),
    ("Quayside Florists", "bob", (2, "New and curious"), 300, 0.35, "medium", 60),
    ("Northwind Traders", "bob", (1, "Lapsing big spenders"), 7000, 0.81, "high", 40),
]
PROFILES = {
    "0": {"text": "Order every few weeks, steady baskets"},
    "1": {"text": "Spent a lot, quieter lately"},
    "2": {"text": "One or two orders so far"},
}
# Each customer's segment in the run before the active one (None: not in it, i.e. new), for the migration chart.
BEFORE = {"Harbour Lights Ltd": "Loyal regulars", "Juniper & Sons": "Loyal regulars", "Meadow Bakery": None,
          "Quayside Florists": None, "Northwind Traders": "Lapsing big spenders"}  # fmt: skip


@dataclass
class Book:
    """What the tests need to find again: the customers by name."""

    customers: dict


def _published(family: str, metrics: dict, baseline: dict, as_of=AS_OF, **card) -> ModelRun:
    """A finished run of `family`, published (the family's active run from now on)."""
    run = ModelRun.objects.create(
        family=family, as_of=as_of, status="running", metrics=metrics, baseline=baseline, model_card=card
    )
    publishing.publish(run)
    return run


def _orders(customer, every_days: int) -> None:
    """Four orders `every_days` apart, the last one three gaps ago (so the customer is overdue)."""
    last = timezone.now() - dt.timedelta(days=3 * every_days)
    for n in range(4):
        order = OrderFactory(customer=customer, placed_at=last - dt.timedelta(days=n * every_days))
        OrderItemFactory(order=order, quantity=2 + n, unit_price=Decimal("24.50"))


def make_book(users: dict) -> Book:
    """Customers, orders and active runs for the users by name (alice and bob must be among them)."""
    rfm = {"name": "rfm_named_segments", "metrics": {"silhouette": 0.07}}
    before = _published("segments", {"silhouette": 0.41}, rfm, as_of=AS_OF - dt.timedelta(days=30), profiles=PROFILES)
    runs = {
        "segments": _published("segments", {"silhouette": 0.44}, rfm, profiles=PROFILES),  # supersedes `before`
        "value": _published("value", {"rmse": 0.75}, {"name": "past_rate", "metrics": {"rmse": 1.05}}),
        "churn": _published("churn", {"roc_auc": 0.88}, {"name": "recency only", "metrics": {"roc_auc": 0.85}}),
    }  # fmt: skip
    ModelRun.objects.create(
        family="churn", as_of=AS_OF - dt.timedelta(days=30), status="held", metrics={"roc_auc": 0.61},
        baseline={"name": "recency only", "metrics": {"roc_auc": 0.66}}, publish_note="Held back: worse than recency.",
    )  # fmt: skip
    customers = {}
    for name, owner, (cluster, segment), clv, risk, band, every in CUSTOMERS:
        customer = CustomerFactory(name=name, owner=users[owner], company=name)
        _orders(customer, every)
        CustomerSegment.objects.create(
            run=runs["segments"], customer=customer, cluster=cluster, segment=segment, rfm_r=3, rfm_f=4, rfm_m=4,
            rfm_segment="Loyal",
        )  # fmt: skip
        if BEFORE[name]:
            CustomerSegment.objects.create(
                run=before, customer=customer, cluster=0, segment=BEFORE[name], rfm_r=3, rfm_f=3, rfm_m=3,
                rfm_segment="Loyal",
            )  # fmt: skip
        CustomerValue.objects.create(
            run=runs["value"], customer=customer, p_alive=0.8, expected_purchases_90d=1, expected_purchases_365d=4,
            expected_order_value=clv / 4, clv_12m=clv,
        )  # fmt: skip
        factors = [
            {"feature": "recency_days", "value": 3 * every, "effect": 0.3, "text": f"No order for {3 * every} days"},
            {"feature": "frequency", "value": 4, "effect": -0.1, "text": "4 orders so far"},
        ]
        ChurnScore.objects.create(run=runs["churn"], customer=customer, probability=risk, band=band, factors=factors)
        customers[name] = customer
    return Book(customers=customers)
