"""The worklist: the savable ranked by revenue at risk, the gone apart to win back, the overdue; a manager's view
of the team by owner; done with its outcome, and snooze."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction
from insights import publishing
from insights.models import ChurnScore, CustomerValue, ModelRun, WorklistAction
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _gbp(settings):
    settings.DEFAULT_CURRENCY = "GBP"


@pytest.fixture
def runs_():
    churn = ModelRun.objects.create(
        family="churn", as_of=dt.date(2026, 1, 1), status="running", model_card={"horizon_days": 90}
    )
    value = ModelRun.objects.create(family="value", as_of=dt.date(2026, 1, 1), status="running")
    publishing.publish(churn)
    publishing.publish(value)
    return churn, value


def _orders(customer, *days_ago, amount=100):
    for days in days_ago:
        order = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(days=days))
        OrderItemFactory(order=order, quantity=1, unit_price=Decimal(amount))


def _scored(runs_, owner, name, probability, clv, band="high", p_alive=0.5, orders=(60, 30)):
    churn, value = runs_
    customer = CustomerFactory(owner=owner, name=name)
    _orders(customer, *orders)
    factors = [
        {"feature": "recency_days", "value": 30, "effect": 0.3, "text": "no order for 31 days"},
        {"feature": "complaints_90d", "value": 2, "effect": 0.2, "text": f"{name} complained twice"},
        {"feature": "monetary_total", "value": 5000, "effect": 0.1, "text": "5,000 spent in total"},
    ]
    ChurnScore.objects.create(run=churn, customer=customer, probability=probability, band=band, factors=factors)
    if clv is not None:
        CustomerValue.objects.create(
            run=value, customer=customer, p_alive=p_alive, expected_purchases_90d=1, expected_purchases_365d=3,
            expected_order_value=clv / 3, clv_12m=clv,
        )  # fmt: skip
    return customer


def _names(page, section: str) -> list[str]:
    return [entry.customer.name for entry in getattr(page.context["work"], section)]


def _worklist(client, **query):
    return client.get(reverse("insights:worklist"), query)


def test_without_a_churn_run_the_worklist_says_no_model_has_run(alice_client):
    page = _worklist(alice_client)
    assert page.context["no_model"] is True
    assert "No model has run yet" in page.content.decode()


def test_the_savable_come_ranked_by_revenue_at_risk_in_the_base_currency(alice, bob, alice_client, runs_):
    _scored(runs_, alice, "Small but likely", 0.9, 100)  # 90 at risk
    _scored(runs_, alice, "Big and likely", 0.7, 1000)  # 700 at risk
    _scored(runs_, alice, "No value yet", 0.95, None)  # ranked after those with a value
    _scored(runs_, alice, "Calm", 0.1, 5000, band="low")  # low risk: not on the list
    _scored(runs_, bob, "Bob's big one", 0.9, 9000)  # someone else's
    page = _worklist(alice_client)
    assert _names(page, "at_risk") == ["Big and likely", "Small but likely", "No value yet"]
    html = page.content.decode()
    assert "GBP\u00a0700.00" in html and "value not scored" in html


def test_each_row_says_in_one_line_why_with_the_rhythm_and_the_window(alice, alice_client, runs_):
    _scored(runs_, alice, "Regular", 0.7, 1000, orders=(90, 60, 30))
    entry = _worklist(alice_client).context["work"].at_risk[0]
    assert entry.why == (
        "3 orders, about every 30 days, last 30 days ago; Regular complained twice; "
        "70% chance of no order in the next 90 days"
    )
    assert "spent in total" not in entry.why  # high spend is no reason a rep can act on
    assert "no order for" not in entry.why  # the rhythm says the days since the last order once, counted to today


def test_the_gone_go_to_win_back_ranked_by_past_spend_not_to_the_call_list(alice, alice_client, runs_):
    _scored(runs_, alice, "Savable", 0.6, 300)
    _scored(runs_, alice, "Faded", 0.99, 5, p_alive=0.01, orders=(700, 600, 500), band="high")
    _scored(runs_, alice, "One order long ago", 0.95, 40, p_alive=1.0, orders=(730,))
    big = _scored(runs_, alice, "Big spender, gone", 0.99, 2, p_alive=0.02, orders=(900, 800))
    _orders(big, 850, amount=5000)
    page = _worklist(alice_client)
    assert _names(page, "at_risk") == ["Savable"]
    assert _names(page, "win_back") == ["Big spender, gone", "Faded", "One order long ago"]
    work = page.context["work"]
    assert work.win_back[2].why == "one order, 730 days ago"
    assert work.win_back[1].why == "3 orders, about every 100 days, last 500 days ago"
    assert "GBP\u00a05,200.00" in page.content.decode()


def test_gone_means_no_order_for_over_a_year_whatever_the_rhythm_or_the_model_says(alice, alice_client, runs_):
    # The quick start's walk: 450 days quiet on an 80-day rhythm was "can still be saved", 221 days quiet on a
    # 16-day rhythm (P(alive) 1%) was "already gone".
    _scored(runs_, alice, "Slow, 450 days", 0.85, 1700, p_alive=0.4, orders=(690, 610, 530, 450))
    _scored(runs_, alice, "Fast, 221 days", 0.99, 50, p_alive=0.01, orders=(253, 237, 221))
    _scored(runs_, alice, "A year to the day", 0.9, 100, p_alive=0.5, orders=(365,))
    _scored(runs_, alice, "A year and a day", 0.9, 100, p_alive=0.5, orders=(366,))
    page = _worklist(alice_client)
    assert _names(page, "win_back") == ["Slow, 450 days", "A year and a day"]
    assert _names(page, "at_risk") == ["A year to the day", "Fast, 221 days"]


def test_each_customer_is_on_one_list_at_most_win_back_then_at_risk_then_overdue(alice, alice_client, runs_):
    # gone and late against their rhythm: win back only
    _scored(runs_, alice, "Gone and late", 0.99, 5, p_alive=0.01, orders=(780, 760, 740, 680))
    # at risk and late against their rhythm: revenue at risk only
    _scored(runs_, alice, "At risk and late", 0.8, 500, orders=(130, 100, 70))
    # late, at low risk: overdue
    _scored(runs_, alice, "Late, low risk", 0.2, 500, band="low", orders=(130, 100, 70))
    page = _worklist(alice_client)
    assert _names(page, "win_back") == ["Gone and late"]
    assert _names(page, "at_risk") == ["At risk and late"]
    assert _names(page, "overdue") == ["Late, low risk"]
    suggestions = {e.customer.name: e.suggestion.action for e in page.context["work"].win_back}
    assert suggestions == {"Gone and late": "win_back"}  # never "Time for your next order?" after 680 days


def test_the_cross_sell_section_draws_only_on_customers_on_no_other_list(alice, alice_client, runs_):
    from insights.queries import unlisted

    _scored(runs_, alice, "Gone", 0.99, 5, orders=(700,))
    _scored(runs_, alice, "At risk", 0.8, 500)
    late = CustomerFactory(owner=alice, name="Late, unscored")
    _orders(late, 130, 100, 70)
    calm = _scored(runs_, alice, "Calm", 0.1, 500, band="low")
    new = CustomerFactory(owner=alice, name="No order yet")
    assert set(unlisted(alice, timezone.localdate())) == {calm, new}


def test_days_since_the_last_order_are_whole_days_to_today(alice, alice_client, runs_):
    from insights.worklist_rows import days_since

    today = timezone.localdate()
    late_evening = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=217), dt.time(23, 59)))
    early_morning = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=217), dt.time(0, 1)))
    assert days_since(late_evening, today) == days_since(early_morning, today) == 217
    html = _worklist(alice_client).content.decode()
    assert f"Days since the last order are counted to today, {today:%-d %b %Y}" in html


def test_the_list_says_how_many_of_how_many_it_shows(alice, alice_client, runs_):
    for i in range(22):
        _scored(runs_, alice, f"Risky {i}", 0.5, 100)
    snoozed = _scored(runs_, alice, "Snoozed", 0.5, 100)
    alice_client.post(reverse("insights:worklist_action", args=[snoozed.pk]), {"action": "snoozed", "days": 7})
    page = _worklist(alice_client)
    work = page.context["work"]
    assert (len(work.at_risk), work.at_risk_customers, work.at_risk_hidden) == (20, 23, 1)
    assert work.at_risk_total == pytest.approx(23 * 50)
    text = re.sub(r"[ \n]+", " ", _cell(page.content.decode(), '<p class="card-body small" id="at-risk-count">'))
    assert text.startswith("Showing the top 20 of 23 customers at risk, GBP\u00a01,150.00 of revenue at risk in all")
    assert "1 of them marked done or snoozed for now" in text


def test_a_manager_sees_the_team_worklist_by_owner_and_can_narrow_to_one(alice, bob, charlie, charlie_client, runs_):
    _scored(runs_, alice, "Alice's", 0.7, 1000)
    _scored(runs_, bob, "Bob's", 0.9, 2000)
    _scored(runs_, None, "Nobody's", 0.5, 100)
    page = _worklist(charlie_client)
    work = page.context["work"]
    assert work.team is True
    assert _names(page, "at_risk") == ["Bob's", "Alice's", "Nobody's"]
    assert [(row["owner_name"], row["customers"], row["at_risk"]) for row in work.by_owner] == [
        ("bob", 1, pytest.approx(1800)),
        ("alice", 1, pytest.approx(700)),
        ("", 1, pytest.approx(50)),
    ]
    assert "Your team's worklist" in page.content.decode()
    assert _names(_worklist(charlie_client, owner=alice.pk), "at_risk") == ["Alice's"]
    assert _names(_worklist(charlie_client, owner="none"), "at_risk") == ["Nobody's"]


def test_the_team_worklist_names_owners_by_their_full_name_in_the_same_queries(
    alice, bob, charlie_client, runs_, django_assert_num_queries
):
    alice.first_name, alice.last_name = "Alice", "Archer"
    alice.save()
    _scored(runs_, alice, "Risky A", 0.7, 1000)
    _scored(runs_, bob, "Risky B", 0.9, 2000)  # bob has no full name: his login name stands in
    _scored(runs_, alice, "Late A", 0.1, 100, orders=(120, 90, 60), band="low")
    _scored(runs_, bob, "Gone B", 0.99, 1, p_alive=0.01, orders=(400,))
    _worklist(charlie_client)  # warms the active-run cache
    with django_assert_num_queries(12):
        page = _worklist(charlie_client)
    owners = dict(re.findall(r'>([^<]+)</a></td>\s*<td data-label="Owner">([^<]*)</td>', page.content.decode()))
    assert owners == {"Risky B": "bob", "Risky A": "Alice Archer", "Late A": "Alice Archer", "Gone B": "bob"}
    assert [row["owner_name"] for row in page.context["work"].by_owner] == ["bob", "Alice Archer"]


def test_a_rep_cannot_look_at_another_owners_list(alice, bob, alice_client, runs_):
    _scored(runs_, bob, "Bob's", 0.9, 2000)
    assert _names(_worklist(alice_client, owner=bob.pk), "at_risk") == []


def test_an_empty_list_says_what_it_means_not_all_clear(alice, alice_client, runs_):
    assert "You own no customers yet" in _worklist(alice_client).content.decode()
    _scored(runs_, alice, "Calm", 0.1, 5000, band="low")
    html = _worklist(alice_client).content.decode()
    assert "no customer of yours who can still be saved is at medium or high churn risk" in html
    assert "scored as of 1 Jan 2026" in html


def test_done_records_the_outcome_on_the_timeline_and_hides_for_its_days(alice, alice_client, runs_):
    customer = _scored(runs_, alice, "Call me", 0.8, 500)
    url = reverse("insights:worklist_action", args=[customer.pk])
    response = alice_client.post(url, {"action": "done", "outcome": "order_promised"}, follow=True)
    assert "“Order promised” is on their timeline" in response.content.decode()
    assert _names(_worklist(alice_client), "at_risk") == []
    action = WorklistAction.objects.get()
    assert (action.outcome, action.hidden_until) == ("order_promised", timezone.localdate() + dt.timedelta(days=30))
    note = Interaction.objects.get(customer=customer)
    assert (note.user, note.kind, note.subject) == (alice, "call", "Contacted from the worklist: order promised")
    timeline = alice_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Contacted from the worklist: order promised" in timeline


def test_no_answer_brings_the_customer_back_tomorrow(alice, alice_client, runs_):
    customer = _scored(runs_, alice, "Call me", 0.8, 500)
    alice_client.post(
        reverse("insights:worklist_action", args=[customer.pk]), {"action": "done", "outcome": "no_answer"}
    )
    assert WorklistAction.objects.get().hidden_until == timezone.localdate() + dt.timedelta(days=1)


def test_done_needs_an_outcome(alice, alice_client, runs_):
    customer = _scored(runs_, alice, "Call me", 0.8, 500)
    page = alice_client.post(reverse("insights:worklist_action", args=[customer.pk]), {"action": "done"}, follow=True)
    assert "Say what happened" in page.content.decode()
    assert not WorklistAction.objects.exists()


def test_snooze_hides_the_customer_from_every_worklist_until_the_chosen_day(alice, charlie_client, alice_client, runs_):
    customer = _scored(runs_, alice, "Later", 0.8, 500)
    alice_client.post(reverse("insights:worklist_action", args=[customer.pk]), {"action": "snoozed", "days": 14})
    assert WorklistAction.objects.get().hidden_until == timezone.localdate() + dt.timedelta(days=14)
    assert "Snoozed on the worklist for 14 days" in Interaction.objects.get().subject
    assert _names(_worklist(charlie_client), "at_risk") == []  # the manager's view too
    WorklistAction.objects.update(hidden_until=timezone.localdate())  # the day comes
    assert _names(_worklist(alice_client), "at_risk") == ["Later"]


def test_snooze_needs_a_number_of_days(alice, alice_client, runs_):
    customer = _scored(runs_, alice, "Later", 0.8, 500)
    page = alice_client.post(
        reverse("insights:worklist_action", args=[customer.pk]), {"action": "snoozed"}, follow=True
    )
    assert "Say for how many days to snooze." in page.content.decode()
    assert not WorklistAction.objects.exists()


def test_acting_on_someone_elses_customer_answers_404(bob, alice_client, runs_):
    theirs = _scored(runs_, bob, "Bob's", 0.8, 500)
    url = reverse("insights:worklist_action", args=[theirs.pk])
    assert alice_client.post(url, {"action": "done", "outcome": "reached"}).status_code == 404
    assert not Interaction.objects.exists()


def test_overdue_customers_are_late_against_their_own_rhythm(alice, alice_client, runs_):
    late = CustomerFactory(owner=alice, name="Monthly, late")
    _orders(late, 130, 100, 70)  # every 30 days, last one 70 days ago
    on_time = CustomerFactory(owner=alice, name="Monthly, on time")
    _orders(on_time, 70, 40, 10)
    same_day = CustomerFactory(owner=alice, name="Three on one day")
    _orders(same_day, 50, 50, 50)  # no rhythm to be late against
    page = _worklist(alice_client)
    assert _names(page, "overdue") == ["Monthly, late"]
    assert page.context["work"].overdue[0].usual_gap_days == pytest.approx(30, abs=0.1)


# user, permissions (1), at risk, win back, revenue at risk by owner, overdue, own customers (a rep) or owners (a
# manager), recent complaints (none here); the next best actions (tests/insights/test_next_actions.py): topic names,
# recent interactions, what the gone bought, the message templates (nothing written: a GET records no suggestion);
# the runs' dates and windows are cached
@pytest.mark.parametrize(("persona", "queries"), [("alice", 12), ("charlie", 12)])
def test_the_worklist_needs_the_same_queries_whatever_the_book_size(
    persona, queries, request, alice, runs_, django_assert_num_queries
):
    client = request.getfixturevalue(f"{persona}_client")
    _scored(runs_, alice, "One", 0.8, 500)
    _scored(runs_, alice, "Gone", 0.99, 1, p_alive=0.01, orders=(400,))
    _worklist(client)  # warms the active-run cache
    with django_assert_num_queries(queries):
        _worklist(client)
    for i in range(15):
        _scored(runs_, alice, f"More {i}", 0.5 + i / 100, 100 + i, orders=(90, 60, 30))
        _scored(runs_, alice, f"Gone {i}", 0.99, 1, p_alive=0.01, orders=(400,))
    with django_assert_num_queries(queries):
        page = _worklist(client)
    assert len(page.context["work"].win_back) == 10


def _cell(html: str, marker: str) -> str:
    """The text of the element that starts at `marker` up to its closing tag."""
    start = html.index(marker) + len(marker)
    return html[start : html.index("</", start)]


def test_a_figure_shown_on_the_profile_and_the_worklist_reads_the_same(alice, alice_client, runs_):
    gone = _scored(runs_, alice, "Gone", 0.99, 2, p_alive=0.01, orders=(700,))
    _orders(gone, 650, amount="1134.55")  # 100 + 1,134.55 spent
    worklist = _worklist(alice_client)
    assert _names(worklist, "win_back") == ["Gone"]
    row = worklist.content.decode()
    row = row[row.index('id="win-back"') :]
    profile = alice_client.get(reverse("customers:detail", args=[gone.pk])).content.decode()
    assert _cell(profile, '<div class="value" id="lifetime-revenue">') == "GBP\u00a01,234.55"
    assert "GBP\u00a01,234.55" in row


def test_counts_of_days_in_a_reason_are_grouped_as_the_pages_group_counts():
    from insights.worklist_rows import Entry, rhythm_words

    assert rhythm_words(Entry(customer=None, orders=1, days_since=1026)) == "one order, 1,026 days ago"
    entry = Entry(customer=None, orders=3, days_since=2100, usual_gap_days=1000.4)
    assert rhythm_words(entry) == "3 orders, about every 1,000 days, last 2,100 days ago"


def test_a_customer_far_past_their_rhythm_with_little_value_stays_on_the_list_a_page_further(
    alice, alice_client, runs_
):
    # The quick start's walk: a customer 4.6x past their usual 8-day gap (36 days since, medium risk, GBP 174 of
    # 12-month value: GBP 72 at risk) on no list the rep could see: the revenue-at-risk list showed its top 20 and
    # sent the rest to the customer list sorted by churn probability, another order.
    for i in range(20):
        _scored(runs_, alice, f"Valuable {i}", 0.5, 1000)
    late = _scored(runs_, alice, "Far past", 0.42, 174, band="medium", orders=(52, 44, 36))
    first = _worklist(alice_client)
    work = first.context["work"]
    assert late.pk not in [e.customer.pk for e in [*work.at_risk, *work.win_back, *work.overdue]]
    assert (work.at_risk_customers, work.at_risk_pages) == (21, 2)
    assert 'id="at-risk-next"' in first.content.decode() and "risk_page=2" in first.content.decode()
    second = _worklist(alice_client, risk_page=2)
    entry = second.context["work"].at_risk[0]
    assert (entry.customer.pk, second.context["work"].at_risk_first) == (late.pk, 21)
    assert entry.times_usual == pytest.approx(36 / 8, abs=0.1)
    text = re.sub(r"[ \n]+", " ", _cell(second.content.decode(), '<p class="card-body small" id="at-risk-count">'))
    assert text.startswith("Showing numbers 21 to 21 of 21 customers at risk")
    assert 'id="at-risk-previous"' in second.content.decode()
    assert _worklist(alice_client, risk_page=9).context["work"].page == 2  # past the last page: the last
