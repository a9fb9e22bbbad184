"""A churn probability never reads as a certainty: a model's 0.997 is written "over 99%" and its 0.003 "under 1%"
wherever a page shows one customer's chance (the list, the profile, the worklist), while the API keeps the number."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.templatetags.lodestar import chance
from insights import publishing
from insights.models import ChurnScore, CustomerValue, ModelRun
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("probability", "words"),
    [(1.0, "over 99%"), (0.997, "over 99%"), (0.995, "over 99%"), (0.994, "99%"), (0.72, "72%"), (0.005, "1%"),
     (0.004, "under 1%"), (0.0, "under 1%"), (None, "")],
)  # fmt: skip
def test_a_chance_is_a_whole_percentage_that_never_says_100_or_0(probability, words):
    assert chance(probability) == words


@pytest.fixture
def almost_sure(alice):
    """Alice's customer the model is 99.7% sure will not order, with value, orders a year apart (on the worklist)."""
    runs = {}
    for family in ("churn", "value"):
        runs[family] = ModelRun.objects.create(
            family=family, as_of=dt.date(2026, 1, 1), status="running", model_card={"horizon_days": 90}
        )
        publishing.publish(runs[family])
    customer = CustomerFactory(owner=alice, name="Almost Gone")
    for days in (300, 200, 100):
        order = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(days=days))
        OrderItemFactory(order=order, quantity=1, unit_price=Decimal(50))
    ChurnScore.objects.create(run=runs["churn"], customer=customer, probability=0.997, band="high", factors=[])
    CustomerValue.objects.create(
        run=runs["value"], customer=customer, p_alive=0.998, expected_purchases_90d=1, expected_purchases_365d=3,
        expected_order_value=50, clv_12m=150,
    )  # fmt: skip
    return customer


def test_the_list_profile_and_worklist_say_over_99_percent_where_the_model_says_997(alice_client, almost_sure):
    listed = alice_client.get(reverse("customers:list")).content.decode()
    profile = alice_client.get(reverse("customers:detail", args=[almost_sure.pk])).content.decode()
    worklist = alice_client.get(reverse("insights:worklist")).content.decode()
    for page in (listed, profile, worklist):
        assert "over 99%" in page and "100%" not in page
    assert "over 99% chance of no order in the next 90 days" in profile
    assert "over 99% chance they have not left for good" in profile
    assert "over 99% chance of no order in the next 90 days" in worklist


def test_the_api_keeps_the_probability_as_a_number(alice_client, almost_sure):
    rows = alice_client.get(reverse("insights-api:score-list")).json()["results"]
    assert rows[0]["churn_probability"] == pytest.approx(0.997)
