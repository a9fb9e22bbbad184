"""Customers scored by active churn and value runs, with orders and labelled interactions, for the tests of the
worklist's next best actions."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction, InteractionLabel, Topic
from insights import publishing
from insights.models import ChurnScore, CustomerValue, ModelRun
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, OrderItemFactory

NOW = timezone.now()


def publish_runs() -> tuple[ModelRun, ModelRun]:
    """An active churn run (a 90-day window) and an active value run."""
    churn = ModelRun.objects.create(
        family="churn", as_of=dt.date(2026, 1, 1), status="running", model_card={"horizon_days": 90}
    )
    value = ModelRun.objects.create(family="value", as_of=dt.date(2026, 1, 1), status="running")
    publishing.publish(churn)
    publishing.publish(value)
    return churn, value


def buy(customer, *days_ago, product=None):
    for days in days_ago:
        order = OrderFactory(customer=customer, placed_at=NOW - dt.timedelta(days=days))
        extra = {"product": product} if product else {}
        OrderItemFactory(order=order, quantity=1, unit_price=Decimal(100), **extra)


def scored(runs_, owner, name, probability=0.8, clv=1000, p_alive=0.5, orders=(50, 10), band="high"):
    """A scored customer; by default not due (every 40 days, last 10 days ago)."""
    churn, value = runs_
    customer = CustomerFactory(owner=owner, name=name)
    buy(customer, *orders)
    ChurnScore.objects.create(run=churn, customer=customer, probability=probability, band=band, factors=[])
    CustomerValue.objects.create(
        run=value, customer=customer, p_alive=p_alive, expected_purchases_90d=1, expected_purchases_365d=3,
        expected_order_value=clv / 3, clv_12m=clv,
    )  # fmt: skip
    return customer


def said(customer, sentiment, days_ago, topic="delivery", subject="About my order"):
    interaction = InteractionFactory(
        customer=customer, subject=subject, kind=Interaction.Kind.EMAIL, occurred_at=NOW - dt.timedelta(days=days_ago)
    )
    InteractionLabel.objects.create(interaction=interaction, sentiment=sentiment, topic=Topic.objects.get(slug=topic))
    return interaction


def suggestions_on(client) -> dict[str, object]:
    work = client.get(reverse("insights:worklist")).context["work"]
    return {e.customer.name: e.suggestion for e in [*work.at_risk, *work.win_back, *work.overdue]}


def every_kind(runs_, alice, tag: str) -> None:
    call = scored(runs_, alice, f"Call {tag}")
    said(call, "negative", days_ago=2)
    thank = scored(runs_, alice, f"Thank {tag}")
    said(thank, "positive", days_ago=2)
    scored(runs_, alice, f"Offer {tag}", orders=(60, 30))
    scored(runs_, alice, f"Check {tag}")
    scored(runs_, alice, f"Gone {tag}", probability=0.99, clv=1, p_alive=0.01, orders=(400,))
