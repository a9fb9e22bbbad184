"""What becomes of the worklist's suggestions: showing the worklist writes nothing, the nightly record counts each
open suggestion once, done and snooze record it as taken or not, managers see the share taken and whether the
customer then ordered; the customer's data export holds them and withdrawn consent takes them away."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insights import next_actions
from insights.dashboards.next_actions import taken_and_outcome
from insights.models import SuggestedAction
from tests.factories import CustomerFactory
from tests.insights.next_action_customers import NOW, buy, every_kind, publish_runs, said, scored, suggestions_on

pytestmark = pytest.mark.django_db
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def _gbp(settings):
    settings.DEFAULT_CURRENCY = "GBP"


@pytest.fixture
def runs_():
    return publish_runs()


def test_done_from_a_suggestion_is_logged_on_the_timeline_and_counted_as_taken(alice, alice_client, runs_):
    customer = scored(runs_, alice, "Ann Archer")
    said(customer, "negative", days_ago=2)
    page = alice_client.get(reverse("insights:worklist")).content.decode()
    assert 'name="suggestion" value="call_now"' in page
    alice_client.post(
        reverse("insights:worklist_action", args=[customer.pk]),
        {"action": "done", "outcome": "reached", "suggestion": "call_now"},
    )
    suggestion = SuggestedAction.objects.get(customer=customer)
    assert suggestion.taken_at is not None and suggestion.taken_by == alice
    assert suggestion.worklist_action.interaction.subject == "Call now (suggested) from the worklist: reached"


def _writes(client) -> list[str]:
    """The statements a GET of the worklist sends that change data."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("insights:worklist")).status_code == 200
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.mark.parametrize("persona", ["alice", "charlie"])
def test_showing_the_worklist_writes_nothing(persona, request, alice, runs_):
    every_kind(runs_, alice, "one")
    calm = scored(runs_, alice, "Calm Carol", probability=0.1, band="low")
    said(calm, "negative", days_ago=2)  # Call now in the complaints section
    client = request.getfixturevalue(f"{persona}_client")
    assert _writes(client) == [] and _writes(client) == []
    assert not SuggestedAction.objects.exists()


def test_the_nightly_record_counts_each_open_suggestion_once(alice, bob, alice_client, runs_):
    every_kind(runs_, alice, "one")
    scored(runs_, bob, "Steady B")
    scored(runs_, None, "Steady nobody")
    calm = scored(runs_, alice, "Calm Carol", probability=0.1, band="low")
    said(calm, "negative", days_ago=2)
    today = timezone.localdate()
    assert next_actions.record(today) == 8
    assert next_actions.record(today) == 8  # suggested again: still one open suggestion each
    recorded = dict(SuggestedAction.objects.values_list("customer__name", "action"))
    shown = {name: s.action for name, s in suggestions_on(alice_client).items()}
    assert recorded == {**shown, "Steady B": "check_in", "Steady nobody": "check_in", "Calm Carol": "call_now"}
    assert SuggestedAction.objects.get(customer__name="Call one").reason.startswith("Complained about delivery on")


def test_snooze_from_a_suggestion_records_it_as_suggested_and_not_taken(alice, alice_client, runs_):
    customer = scored(runs_, alice, "Steady")
    alice_client.post(
        reverse("insights:worklist_action", args=[customer.pk]),
        {"action": "snoozed", "days": 7, "suggestion": "check_in"},
    )
    assert list(SuggestedAction.objects.values_list("customer", "action", "taken_at")) == [
        (customer.pk, "check_in", None)
    ]


def _suggested(customer, action, days_ago, taken_days_ago=None, user=None):
    row = SuggestedAction.objects.create(customer=customer, action=action, reason="r")
    taken = NOW - dt.timedelta(days=taken_days_ago) if taken_days_ago is not None else None
    SuggestedAction.objects.filter(pk=row.pk).update(
        suggested_at=NOW - dt.timedelta(days=days_ago), taken_at=taken, taken_by=user
    )


def test_managers_see_the_share_taken_and_whether_customers_ordered_within_30_days(alice, charlie, charlie_client):
    ordered, silent, recent, untaken = (CustomerFactory(owner=alice) for _ in range(4))
    _suggested(ordered, "call_now", 50, taken_days_ago=45, user=alice)
    buy(ordered, 30)  # 15 days after the call
    _suggested(silent, "call_now", 50, taken_days_ago=45, user=alice)
    buy(silent, 5)  # 40 days after: too late to count
    _suggested(recent, "call_now", 3, taken_days_ago=2, user=alice)
    _suggested(untaken, "call_now", 60)
    buy(untaken, 50)
    panel = charlie_client.get(reverse("insights:dashboards")).content.decode()
    assert 'id="next-actions"' in panel
    assert taken_and_outcome(charlie) == [
        {
            "action": "call_now", "label": "Call now", "suggested": 4, "taken": 3, "share_taken": 0.75,
            "ordered": 1, "not_ordered": 1, "waiting": 1, "untaken_judged": 1, "untaken_ordered": 1,
        }
    ]  # fmt: skip


def test_reps_do_not_see_the_managers_figures(alice_client):
    assert 'id="next-actions-title"' not in alice_client.get(reverse("insights:dashboards")).content.decode()


def test_the_customers_data_export_holds_the_actions_suggested_for_them(alice, charlie_client):
    customer = CustomerFactory(owner=alice)
    _suggested(customer, "thank", 5, taken_days_ago=4, user=alice)
    data = charlie_client.get(reverse("customers:export_data", args=[customer.pk])).json()
    assert [(row["action"], row["reason"], row["taken_at"] is not None) for row in data["next_actions"]] == [
        ("thank", "r", True)
    ]


def test_withdrawn_profiling_consent_takes_the_open_suggestions_and_the_reasons_away(alice):
    from customers.signals import profiling_consent_changed

    customer = CustomerFactory(owner=alice)
    _suggested(customer, "call_now", 5)
    _suggested(customer, "thank", 5, taken_days_ago=4, user=alice)
    profiling_consent_changed.send(sender=None, customer_id=customer.pk, profiling_consent=False)
    assert list(SuggestedAction.objects.filter(customer=customer).values_list("action", "reason")) == [("thank", "")]
