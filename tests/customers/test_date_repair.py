"""The data migration that repairs interactions and orders stored with dates outside 1900-2100 before such dates
were refused (customers/migrations/0016): nothing is deleted, the date becomes the time the record was saved, a
repaired order is left out of figures and models, and each repair is in the audit trail with the original value."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.db import connection
from django.urls import reverse

from customers.models import Interaction, Order
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="dates before year 1 are PostgreSQL's"),
]
migration = importlib.import_module("customers.migrations.0016_repair_dates_outside_1900_2100")


def _store(model, pk: int, column: str, value: str) -> None:
    """Write a date as the product once accepted it, in SQL (Python cannot hold it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET {column} = %s::timestamptz WHERE id = %s", [value, pk])


def _repair() -> int:
    return migration.repair(apps, SimpleNamespace(connection=connection))


@pytest.fixture
def broken(alice):
    customer = CustomerFactory(owner=alice)
    calls = InteractionFactory.create_batch(3, customer=customer)
    _store(Interaction, calls[0].pk, "occurred_at", "0001-01-01T00:30:00+01:00")  # before year 1 in UTC
    _store(Interaction, calls[1].pk, "occurred_at", "9999-12-31T23:30:00-01:00")  # after 9999 in UTC
    orders = OrderFactory.create_batch(2, customer=customer)
    _store(Order, orders[0].pk, "placed_at", "1899-12-31T23:00:00+00:00")
    return SimpleNamespace(customer=customer, calls=calls, orders=orders)


def test_the_repair_keeps_every_record_and_dates_it_when_it_was_saved(broken):
    good_call = Interaction.objects.get(pk=broken.calls[2].pk).occurred_at
    good_order = Order.objects.get(pk=broken.orders[1].pk)
    assert _repair() == 3
    assert Interaction.objects.filter(customer=broken.customer).count() == 3
    for call in Interaction.objects.filter(pk__in=[broken.calls[0].pk, broken.calls[1].pk]):
        assert call.occurred_at == call.created_at
    assert Interaction.objects.get(pk=broken.calls[2].pk).occurred_at == good_call
    repaired = Order.objects.get(pk=broken.orders[0].pk)
    assert repaired.placed_at == repaired.created_at and repaired.is_outlier  # out of figures and models
    unchanged = Order.objects.get(pk=good_order.pk)
    assert (unchanged.placed_at, unchanged.is_outlier) == (good_order.placed_at, False)


def test_each_repair_is_in_the_audit_trail_with_the_original_value(broken):
    _repair()
    entry = LogEntry.objects.get_for_object(Interaction.objects.get(pk=broken.calls[0].pk)).get(
        action=LogEntry.Action.UPDATE
    )
    assert entry.action == LogEntry.Action.UPDATE and entry.actor is None
    before, after = entry.changes["occurred_at"]
    assert before.endswith(" BC") and before.startswith("0001-12-31 23:30:00")
    assert after.startswith(str(Interaction.objects.get(pk=broken.calls[0].pk).created_at.date()))
    assert "outside 1900-2100" in entry.additional_data["reason"]
    order_entry = LogEntry.objects.get_for_object(Order.objects.get(pk=broken.orders[0].pk)).get(
        action=LogEntry.Action.UPDATE
    )
    assert order_entry.changes["placed_at"][0].startswith("1899-12-31 23:00:00")
    assert order_entry.changes["is_outlier"] == ["False", "True"]


def test_the_profile_and_admin_open_again_after_the_repair(broken, alice_client, dana_client):
    _repair()
    assert alice_client.get(reverse("customers:detail", args=[broken.customer.pk])).status_code == 200
    assert dana_client.get(reverse("admin:customers_interaction_changelist")).status_code == 200


def test_a_second_repair_finds_nothing(broken):
    _repair()
    assert _repair() == 0
    assert LogEntry.objects.filter(additional_data__reason=migration.REASON).count() == 3
