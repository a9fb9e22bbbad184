"""A customer's whole history: orders and interactions in one timeline, newest first, paged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def history(client, customer, **params):
    return client.get(reverse("customers:timeline", args=[customer.pk]), params)


def test_orders_and_interactions_come_in_one_timeline_newest_first(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    OrderFactory(customer=customer, external_number="INV-OLD", placed_at=NOW - dt.timedelta(days=30))
    InteractionFactory(customer=customer, subject="Called about the delivery", occurred_at=NOW - dt.timedelta(days=20))
    OrderItemFactory(order=OrderFactory(customer=customer, external_number="INV-NEW", placed_at=NOW))
    page = history(alice_client, customer).content.decode()
    assert page.index("INV-NEW") < page.index("Called about the delivery") < page.index("INV-OLD")
    assert "3 entries (orders and interactions)" in page


def test_a_history_of_one_says_one_entry(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    OrderItemFactory(order=OrderFactory(customer=customer, placed_at=NOW))
    assert "1 entry (orders and interactions)" in history(alice_client, customer).content.decode()  # not "1 orders"


def test_the_history_is_paged_50_to_a_page(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    for day in range(60):
        InteractionFactory(customer=customer, subject=f"Note {day:02d}", occurred_at=NOW - dt.timedelta(days=day))
    first, second = history(alice_client, customer), history(alice_client, customer, page=2)
    assert "Note 00" in first.content.decode() and "Note 50" not in first.content.decode()
    assert "Note 50" in second.content.decode() and "Note 59" in second.content.decode()


def test_another_reps_customer_history_answers_404(bob, alice_client):
    assert history(alice_client, CustomerFactory(owner=bob)).status_code == 404


def test_the_history_needs_the_same_queries_whatever_its_length(alice, alice_client, django_assert_num_queries):
    customer = CustomerFactory(owner=alice)
    OrderFactory(customer=customer)
    InteractionFactory(customer=customer)
    history(alice_client, customer)  # caches the session
    # user, its permissions (its own and its groups'), customer, count, page, orders, interactions
    with django_assert_num_queries(7):
        history(alice_client, customer)
    for day in range(30):
        OrderItemFactory(order=OrderFactory(customer=customer, placed_at=NOW - dt.timedelta(days=day)))
        InteractionFactory(customer=customer)
    with django_assert_num_queries(7):
        history(alice_client, customer)
