"""The rep's worklist: own customers by revenue at risk, overdue customers, done and snooze."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction
from insights import publishing
from insights.models import ChurnScore, CustomerValue, ModelRun, WorklistAction
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs_():
    churn = ModelRun.objects.create(family="churn", as_of=dt.date(2026, 1, 1), status="running")
    value = ModelRun.objects.create(family="value", as_of=dt.date(2026, 1, 1), status="running")
    publishing.publish(churn)
    publishing.publish(value)
    return churn, value


def _scored(runs_, owner, name, probability, clv, band="high"):
    churn, value = runs_
    customer = CustomerFactory(owner=owner, name=name)
    factors = [{"feature": "recency_days", "effect": 0.2, "text": f"{name} has not ordered for a while"}]
    ChurnScore.objects.create(run=churn, customer=customer, probability=probability, band=band, factors=factors)
    CustomerValue.objects.create(
        run=value, customer=customer, p_alive=0.5, expected_purchases_90d=1, expected_purchases_365d=3,
        expected_order_value=clv / 3, clv_12m=clv,
    )  # fmt: skip
    return customer


def _names(page, section: str) -> list[str]:
    return (
        [row.customer.name for row in page.context[section]]
        if section == "at_risk"
        else [item.customer.name for item in page.context[section]]
    )


def test_without_a_churn_run_the_worklist_says_no_model_has_run(alice_client):
    page = alice_client.get(reverse("insights:worklist"))
    assert page.context["no_model"] is True
    assert "No model has run yet" in page.content.decode()


def test_own_customers_come_ranked_by_revenue_at_risk(alice, bob, alice_client, runs_):
    _scored(runs_, alice, "Small but likely", 0.9, 100)  # 90 at risk
    _scored(runs_, alice, "Big and likely", 0.7, 1000)  # 700 at risk
    _scored(runs_, alice, "Calm", 0.1, 5000, band="low")  # low risk: not on the list
    _scored(runs_, bob, "Bob's big one", 0.9, 9000)  # someone else's
    page = alice_client.get(reverse("insights:worklist"))
    assert _names(page, "at_risk") == ["Big and likely", "Small but likely"]
    assert "Big and likely has not ordered for a while" in page.content.decode()


def test_overdue_customers_are_late_against_their_own_rhythm(alice, alice_client, runs_):
    now = timezone.now()
    late = CustomerFactory(owner=alice, name="Monthly, late")
    for days in (130, 100, 70):  # every 30 days, last one 70 days ago
        OrderFactory(customer=late, placed_at=now - dt.timedelta(days=days))
    on_time = CustomerFactory(owner=alice, name="Monthly, on time")
    for days in (70, 40, 10):
        OrderFactory(customer=on_time, placed_at=now - dt.timedelta(days=days))
    page = alice_client.get(reverse("insights:worklist"))
    assert _names(page, "overdue") == ["Monthly, late"]
    assert page.context["overdue"][0].usual_gap_days == pytest.approx(30, abs=0.1)


def test_done_hides_the_customer_today_and_logs_an_interaction(alice, alice_client, runs_):
    customer = _scored(runs_, alice, "Call me", 0.8, 500)
    response = alice_client.post(reverse("insights:worklist_action", args=[customer.pk]), {"action": "done"})
    assert response.status_code == 302
    assert _names(alice_client.get(reverse("insights:worklist")), "at_risk") == []
    note = Interaction.objects.get(customer=customer)
    assert (note.user, note.subject) == (alice, "Contacted from the worklist")
    assert WorklistAction.objects.get().hidden_until == timezone.localdate() + dt.timedelta(days=1)


def test_snooze_hides_the_customer_until_the_chosen_day(alice, alice_client, runs_):
    customer = _scored(runs_, alice, "Later", 0.8, 500)
    alice_client.post(reverse("insights:worklist_action", args=[customer.pk]), {"action": "snoozed", "days": 14})
    assert WorklistAction.objects.get().hidden_until == timezone.localdate() + dt.timedelta(days=14)
    assert "Snoozed on the worklist for 14 days" in Interaction.objects.get().subject
    WorklistAction.objects.update(hidden_until=timezone.localdate())  # the day comes
    assert _names(alice_client.get(reverse("insights:worklist")), "at_risk") == ["Later"]


def test_snooze_needs_a_number_of_days(alice, alice_client, runs_):
    customer = _scored(runs_, alice, "Later", 0.8, 500)
    page = alice_client.post(
        reverse("insights:worklist_action", args=[customer.pk]), {"action": "snoozed"}, follow=True
    )
    assert "Say for how many days to snooze." in page.content.decode()
    assert not WorklistAction.objects.exists()


def test_acting_on_someone_elses_customer_answers_404(bob, alice_client, runs_):
    theirs = _scored(runs_, bob, "Bob's", 0.8, 500)
    assert (
        alice_client.post(reverse("insights:worklist_action", args=[theirs.pk]), {"action": "done"}).status_code == 404
    )
    assert not Interaction.objects.exists()


def test_the_worklist_needs_the_same_queries_whatever_the_book_size(
    alice, alice_client, runs_, django_assert_num_queries
):
    _scored(runs_, alice, "One", 0.8, 500)
    alice_client.get(reverse("insights:worklist"))  # warms the active-run cache
    with django_assert_num_queries(3):  # user, at risk, overdue (session: cached)
        alice_client.get(reverse("insights:worklist"))
    for i in range(15):
        customer = _scored(runs_, alice, f"More {i}", 0.5 + i / 100, 100 + i)
        OrderFactory(customer=customer)
    with django_assert_num_queries(3):
        alice_client.get(reverse("insights:worklist"))
