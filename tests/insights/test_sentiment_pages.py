"""Sentiment and topics on the pages: each interaction's reading on the profile, corrected in one click (a staff
label, permission-checked, someone else's customer 404), the customer's trend, and a recent complaint raising the
customer on the worklist with the reason. Query counts pinned."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from customers.models import InteractionLabel
from insights import runs
from insights.models import InteractionSentiment
from tests.factories import CustomerFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _profile(client, customer):
    return client.get(reverse("customers:detail", args=[customer.pk]))


def _label_url(interaction):
    return reverse("insights:label_interaction", args=[interaction.pk])


@pytest.fixture
def read(alice):
    """Alice's customer with a late delivery last week and thanks a month before, read by a published run."""
    customer = CustomerFactory(owner=alice, name="Ann Archer")
    late = InteractionFactory(
        customer=customer, subject="Late parcel", body="Still waiting after ten days, furious.", occurred_at=NOW
    )
    thanks = InteractionFactory(
        customer=customer,
        subject="Thanks",
        body="Wonderful service, thank you!",
        occurred_at=NOW - dt.timedelta(days=35),
    )
    run = runs.execute_run(runs.request_run("sentiment").pk)
    assert run.is_active, run.error
    return customer, late, thanks


def test_the_profile_shows_each_interactions_sentiment_and_topic(alice_client, read):
    customer, late, thanks = read
    page = _profile(alice_client, customer)
    readings = {r.interaction.pk: r for r in page.context["readings"]}
    stored = InteractionSentiment.objects.get(interaction=late)
    assert (readings[late.pk].sentiment, readings[late.pk].topic) == (stored.sentiment, stored.topic)
    html = page.content.decode()
    assert f'data-sentiment="{stored.sentiment}"' in html
    assert reverse("insights:label_interaction", args=[late.pk]) in html


def test_a_correction_is_stored_as_a_label_and_shown_at_once(alice, alice_client, read):
    customer, late, _ = read
    response = alice_client.post(_label_url(late), {"sentiment": "positive"})
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[customer.pk])
    label = InteractionLabel.objects.get(interaction=late)
    assert (label.sentiment, label.topic, label.user, label.source) == ("positive", None, alice, "correction")
    reading = {r.interaction.pk: r for r in _profile(alice_client, customer).context["readings"]}[late.pk]
    assert reading.sentiment == "positive" and reading.labelled


def test_a_topic_correction_keeps_the_sentiment(alice_client, read):
    customer, late, _ = read
    alice_client.post(_label_url(late), {"sentiment": "negative"})
    alice_client.post(_label_url(late), {"topic": "billing"})
    reading = {r.interaction.pk: r for r in _profile(alice_client, customer).context["readings"]}[late.pk]
    assert (reading.sentiment, reading.topic, reading.topic_name) == ("negative", "billing", "Billing")


def test_an_empty_or_unknown_correction_says_why_and_stores_nothing(alice_client, read):
    _, late, _ = read
    for data in ({}, {"sentiment": "furious"}, {"topic": "weather"}):
        response = alice_client.post(_label_url(late), data, follow=True)
        assert response.status_code == 200
        assert "Nothing was marked" in response.content.decode()
    assert not InteractionLabel.objects.exists()


def test_someone_elses_customers_interaction_answers_404(bob_client, read):
    _, late, _ = read
    assert bob_client.post(_label_url(late), {"sentiment": "positive"}).status_code == 404
    assert not InteractionLabel.objects.exists()


def test_labelling_needs_the_permission(client, read):
    _, late, _ = read
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_all_customers"))
    client.force_login(viewer)
    assert client.post(_label_url(late), {"sentiment": "positive"}).status_code == 403
    assert client.get(_label_url(late)).status_code == 405


def test_the_profile_draws_the_sentiment_trend_without_inline_script(alice_client, read):
    customer, _, _ = read
    page = _profile(alice_client, customer)
    html = page.content.decode()
    chart = page.context["charts"]["sentiment-trend"]
    assert chart["type"] == "line" and len(chart["categories"]) == 2
    assert chart["series"][0]["data"][-1] < chart["series"][0]["data"][0]  # from thanks to a complaint
    assert 'id="dashboard-charts" type="application/json"' in html
    assert json.loads(html.split('id="dashboard-charts" type="application/json">')[1].split("</script>")[0])
    assert "<script>" not in html and "style=" not in html


def test_the_sentiment_trend_runs_from_minus_100_to_100_percent_with_a_zero_line():
    from insights.communication import trend_chart

    months = [
        {"month": dt.date(2026, 10, 1), "negative": 2, "neutral": 0, "positive": 0, "net": -1.0},
        {"month": dt.date(2026, 11, 1), "negative": 1, "neutral": 1, "positive": 2, "net": 0.25},
    ]
    chart = trend_chart(months)
    assert (chart["min"], chart["max"], chart["zero_line"]) == (-1, 1, True)
    assert chart["categories"] == ["Oct 2026", "Nov 2026"]
    assert chart["label"].endswith(": 25% in Nov 2026.")


def test_a_customer_whose_every_interaction_is_neutral_is_told_so(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    for days in (0, 35):
        InteractionFactory(
            customer=customer,
            subject="Address change",
            body="Please use the new address.",
            occurred_at=NOW - dt.timedelta(days=days),
        )
    run = runs.execute_run(runs.request_run("sentiment").pk)
    InteractionSentiment.objects.filter(run=run).update(sentiment="neutral")
    page = _profile(alice_client, customer)
    assert page.context["all_neutral"]
    assert "Every interaction in these months read as neutral" in page.content.decode()


def test_a_customer_with_a_complaint_is_not_called_all_neutral(alice_client, read):
    customer, _, _ = read
    page = _profile(alice_client, customer)
    assert not page.context["all_neutral"]
    assert "read as neutral" not in page.content.decode()


def test_an_opted_out_customer_shows_no_reading(alice, alice_client):
    customer = CustomerFactory(owner=alice, profiling_consent=False)
    InteractionFactory(customer=customer, body="Furious")
    page = _profile(alice_client, customer)
    assert page.context["not_profiled"] and "opted out of profiling" in page.content.decode()


def test_a_recent_complaint_raises_the_customer_on_the_worklist_with_the_reason(alice_client, read):
    customer, late, _ = read
    page = alice_client.get(reverse("insights:worklist"))
    complaints = page.context["complaints"]
    assert [c.customer for c in complaints] == [customer]
    assert "Late parcel" in complaints[0].reason and "Complained" in complaints[0].reason
    assert "Recent complaints" in page.content.decode()


def test_a_correction_to_positive_takes_the_customer_off_the_complaints(alice_client, read):
    _, late, _ = read
    alice_client.post(_label_url(late), {"sentiment": "positive"})
    assert alice_client.get(reverse("insights:worklist")).context["complaints"] == []


def test_the_profile_needs_the_same_queries_whatever_the_number_of_interactions(
    alice_client, read, django_assert_num_queries
):
    customer, late, _ = read
    _profile(alice_client, customer)  # warms the active-run cache
    # the profile's 9 (with the health card's look for a run waiting for a worker), then the panel's interactions
    # (with labels and readings), topics and trend
    with django_assert_num_queries(12) as few:
        _profile(alice_client, customer)
    for i in range(30):
        interaction = InteractionFactory(
            customer=customer, body=f"Late again {i}", occurred_at=NOW - dt.timedelta(days=i * 9)
        )
        InteractionLabel.objects.create(interaction=interaction, sentiment="negative")
    with django_assert_num_queries(len(few.captured_queries)):
        _profile(alice_client, customer)
