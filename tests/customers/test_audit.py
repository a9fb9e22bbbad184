"""The audit trail (django-auditlog): changes made from the pages and the admin to customers, their owner, tags,
consent and interactions, to users and their roles, and who opened which profile, each with who did it; admins
read it in Django admin and nobody can change it."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import roles
from customers.models import Interaction
from tests.factories import CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db


def entries_for(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("pk"))


def test_opening_a_profile_records_who_opened_it(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    alice_client.get(reverse("customers:detail", args=[customer.pk]))
    [opened] = [e for e in entries_for(customer) if e.action == LogEntry.Action.ACCESS]
    assert opened.actor == alice


def test_a_profile_the_user_may_not_see_records_no_opening(bob, alice_client):
    customer = CustomerFactory(owner=bob)
    assert alice_client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_a_change_of_owner_from_the_profile_is_recorded_with_before_and_after(alice, bob, charlie, charlie_client):
    customer = CustomerFactory(owner=alice)
    charlie_client.post(reverse("customers:change_owner", args=[customer.pk]), {"owner": bob.pk})
    [change] = [e for e in entries_for(customer) if e.action == LogEntry.Action.UPDATE]
    assert change.actor == charlie
    assert change.changes_dict["owner"] == [str(alice.pk), str(bob.pk)]


def test_tags_put_on_and_taken_off_are_recorded(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    TagFactory(name="VIP")  # reps choose from the tags managers created
    alice_client.post(reverse("customers:add_tag", args=[customer.pk]), {"name": "VIP"})
    tag = customer.tags.get()
    alice_client.post(reverse("customers:remove_tag", args=[customer.pk, tag.pk]))
    changes = [e.changes_dict["tags"] for e in entries_for(customer) if "tags" in e.changes_dict]
    assert changes == [{"type": "m2m", "operation": "add", "objects": ["VIP"]}, {
        "type": "m2m", "operation": "delete", "objects": ["VIP"]}]  # fmt: skip
    assert {e.actor for e in entries_for(customer) if "tags" in e.changes_dict} == {alice}


def test_withdrawn_consent_is_recorded(alice, alice_client):
    customer = CustomerFactory(owner=alice, marketing_consent=True)
    alice_client.post(reverse("customers:change_consent", args=[customer.pk]), {"marketing_consent": ""})
    [change] = [e for e in entries_for(customer) if e.action == LogEntry.Action.UPDATE]
    assert change.changes_dict["marketing_consent"] == ["True", "False"]
    assert change.changes_dict["profiling_consent"] == ["True", "False"]
    assert change.actor == alice


def test_a_logged_interaction_is_recorded(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    alice_client.post(
        reverse("customers:log_interaction", args=[customer.pk]),
        {"kind": "call", "direction": "outbound", "subject": "Spring catalogue", "body": "Wants samples."},
    )
    [created] = entries_for(Interaction.objects.get())
    assert created.action == LogEntry.Action.CREATE and created.actor == alice


def test_a_role_given_in_admin_is_recorded(alice, dana, dana_client):
    manager = Group.objects.get(name=roles.MANAGER)
    dana_client.post(
        reverse("admin:auth_user_change", args=[alice.pk]),
        {"username": "alice", "email": alice.email, "is_active": "on", "groups": [manager.pk],
         "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"},
    )  # fmt: skip
    groups = [e for e in entries_for(alice) if "groups" in e.changes_dict and e.actor == dana]
    assert {(e.changes_dict["groups"]["operation"], *e.changes_dict["groups"]["objects"]) for e in groups} == {
        ("add", roles.MANAGER),
        ("delete", roles.SALES_REP),
    }


def test_a_password_is_masked_in_the_trail(alice):
    alice.set_password("another-secret-2026")
    alice.save()
    [change] = [e for e in entries_for(alice) if e.action == LogEntry.Action.UPDATE and "password" in e.changes_dict]
    assert "another-secret" not in str(change.changes) and alice.password not in str(change.changes)


def test_admins_read_the_trail_and_nobody_changes_it(alice, dana_client, alice_client):
    customer = CustomerFactory(owner=alice, name="Harbour Lights")
    entry = entries_for(customer)[0]
    listing = dana_client.get(reverse("admin:auditlog_logentry_changelist"))
    assert listing.status_code == 200 and "Harbour Lights" in listing.text
    page = reverse("admin:auditlog_logentry_change", args=[entry.pk])
    assert dana_client.get(page).status_code == 200
    assert dana_client.post(page, {"action": "2"}).status_code == 403
    assert dana_client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk])).status_code == 403
    assert alice_client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 302  # not staff: sign in
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_the_profile_adds_one_insert_for_the_opening(alice, alice_client):
    # The profile's total is pinned in tests/customers/test_pages.py; here, that the opening's one write is the
    # audit trail's INSERT.
    customer = CustomerFactory(owner=alice)
    alice_client.get(reverse("customers:detail", args=[customer.pk]))  # warms caches
    with CaptureQueriesContext(connection) as captured:
        alice_client.get(reverse("customers:detail", args=[customer.pk]))
    writes = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith('INSERT INTO "auditlog_logentry"')
