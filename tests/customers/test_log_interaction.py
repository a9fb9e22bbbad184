"""Logging a call, email, meeting or note in place from the customer's profile."""

import pytest
from django.urls import reverse

from customers.models import Interaction
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_rep_logs_a_call_and_sees_it_in_the_timeline(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    response = alice_client.post(
        reverse("customers:log_interaction", args=[customer.pk]),
        {"kind": "call", "direction": "outbound", "subject": "Spring catalogue", "body": "Wants samples."},
        follow=True,
    )
    interaction = Interaction.objects.get()
    assert (interaction.customer, interaction.user, interaction.kind) == (customer, alice, "call")
    page = response.content.decode()
    assert "Call logged on" in page and "Spring catalogue" in page


def test_logging_on_someone_elses_customer_answers_404(bob, alice_client):
    theirs = CustomerFactory(owner=bob)
    response = alice_client.post(
        reverse("customers:log_interaction", args=[theirs.pk]), {"kind": "note", "subject": "x"}
    )
    assert response.status_code == 404
    assert not Interaction.objects.exists()


def test_an_empty_interaction_is_refused_with_a_reason(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    response = alice_client.post(
        reverse("customers:log_interaction", args=[customer.pk]), {"kind": "note", "direction": "internal"}, follow=True
    )
    assert "Nothing was logged: Write a subject or a few words about it." in response.content.decode()
    assert not Interaction.objects.exists()


def test_an_interaction_in_the_future_is_refused(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    alice_client.post(
        reverse("customers:log_interaction", args=[customer.pk]),
        {"kind": "meeting", "direction": "outbound", "subject": "Visit", "occurred_at": "2099-01-01 10:00"},
    )
    assert not Interaction.objects.exists()


def test_anonymous_cannot_log(anonymous_client):
    customer = CustomerFactory()
    response = anonymous_client.post(reverse("customers:log_interaction", args=[customer.pk]), {"kind": "note"})
    assert response.status_code == 302 and not Interaction.objects.exists()


def test_the_profiles_log_form_writes_what_the_forms_widgets_would(alice, alice_client):
    """The profile writes the form's fields in its template (906775f: Django's widget templates cost most of the
    form's time); what it writes must stay what InteractionForm's widgets render, choices, initial values and
    maximum length included, so a change to the form shows here."""
    from django.test.html import parse_html

    from customers.forms import InteractionForm

    customer = CustomerFactory(owner=alice)
    html = parse_html(alice_client.get(reverse("customers:detail", args=[customer.pk])).content.decode())
    form = InteractionForm()
    for name in ("kind", "direction", "subject", "body"):
        assert html.count(parse_html(str(form[name]))) == 1, name
