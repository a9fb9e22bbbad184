"""The worklist's next best action: call now, win back, send an offer, thank or check in, each with its reason and
the admin's message filled in safely; the complaints section; a fixed number of queries (what becomes of a
suggestion: test_next_action_record.py)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape

from insights import next_actions, publishing
from insights.models import MessageTemplate, ModelRun, SuggestedAction
from recommendations.models import Recommendation
from tests.factories import CustomerFactory, ProductFactory
from tests.insights.next_action_customers import NOW, buy, every_kind, publish_runs, said, scored, suggestions_on

pytestmark = pytest.mark.django_db
NO_CONSENT = "No marketing consent: make the offer in a call, do not send it."


@pytest.fixture(autouse=True)
def _gbp(settings):
    settings.DEFAULT_CURRENCY = "GBP"


@pytest.fixture
def runs_():
    return publish_runs()


def test_a_complaint_last_week_and_high_value_at_risk_means_call_now(alice, alice_client, runs_):
    customer = scored(runs_, alice, "Ann Archer", probability=0.7, clv=1000)
    said(customer, "negative", days_ago=3)
    suggestion = suggestions_on(alice_client)["Ann Archer"]
    assert suggestion.action == "call_now"
    assert re.search(r"Complained about delivery on \d{1,2} [A-Z][a-z]{2} \d{4}, and", suggestion.reason)  # 4 Dec 2026
    assert "GBP\u00a0700.00 of revenue at risk (70% chance of losing them)" in suggestion.reason
    assert suggestion.message.startswith("Hello Ann,")
    assert "delivery problem" in suggestion.message


def test_a_complaint_older_than_a_week_is_not_a_reason_to_call_now(alice, alice_client, runs_):
    customer = scored(runs_, alice, "Old news")
    said(customer, "negative", days_ago=10)
    assert suggestions_on(alice_client)["Old news"].action == "check_in"


def test_a_customer_due_by_their_rhythm_gets_an_offer_of_their_recommended_products(alice, alice_client, runs_):
    customer = scored(runs_, alice, "Due now", orders=(60, 30))  # every 30 days, last 30 days ago
    recommendations = ModelRun.objects.create(family="recommendations", as_of=dt.date(2026, 1, 1), status="running")
    publishing.publish(recommendations)
    for list_, rank, name in [("try_next", 1, "Granola"), ("reorder", 1, "Oat milk"), ("reorder", 2, "Honey")]:
        Recommendation.objects.create(
            run=recommendations, customer=customer, list=list_, rank=rank, product=ProductFactory(name=name),
            score=1.0, component="als", reason_code="buy_again",
        )  # fmt: skip
    suggestion = suggestions_on(alice_client)["Due now"]
    assert suggestion.action == "send_offer"
    assert suggestion.products == ["Oat milk", "Honey", "Granola"]  # likely reorders first
    # Plain words with the figures a rep checks it by, not "Due by their rhythm".
    assert suggestion.reason == (
        "Due for a reorder: usually orders every 30 days, last ordered 30 days ago. Offer: Oat milk; Honey; Granola. "
        + NO_CONSENT
    )
    assert "This time you may like:\n- Oat milk\n- Honey\n- Granola\n\nReply" in suggestion.message


def test_product_names_with_commas_cannot_be_misread_in_a_reason_or_a_message(alice, alice_client, runs_):
    customer = scored(runs_, alice, "Due now", orders=(60, 30))
    recommendations = ModelRun.objects.create(family="recommendations", as_of=dt.date(2026, 1, 1), status="running")
    publishing.publish(recommendations)
    names = ["Cedar Wax Melts", "Dark Roast Pour-Over Dripper, Mini", "Smoked Chutney, 1 kg"]
    for rank, name in enumerate(names, start=1):
        Recommendation.objects.create(
            run=recommendations, customer=customer, list="reorder", rank=rank, product=ProductFactory(name=name),
            score=1.0, component="als", reason_code="buy_again",
        )  # fmt: skip
    suggestion = suggestions_on(alice_client)["Due now"]
    assert "Offer: Cedar Wax Melts; Dark Roast Pour-Over Dripper, Mini; Smoked Chutney, 1 kg." in suggestion.reason
    assert "\n- Cedar Wax Melts\n- Dark Roast Pour-Over Dripper, Mini\n- Smoked Chutney, 1 kg\n" in suggestion.message


def test_a_reason_on_a_worklist_row_does_not_repeat_the_figures_beside_it(alice, alice_client, runs_):
    """The row's cells give the rhythm, the chance and the revenue at risk: its action says what is new (review: an
    offer said 'usually orders every 30 days, last ordered 30 days ago' beside '2 orders, about every 30 days, last
    30 days ago'). The whole reason is what is recorded, for the profile."""
    scored(runs_, alice, "Due now", orders=(60, 30))
    said(scored(runs_, alice, "Cross", probability=0.7, clv=1000), "negative", days_ago=3)
    response = alice_client.get(reverse("insights:worklist"))
    work = response.context["work"]
    rows = {entry.customer.name: entry for entry in work.at_risk}
    offer, call = rows["Due now"].suggestion, rows["Cross"].suggestion
    assert (offer.action, call.action) == ("send_offer", "call_now")
    assert offer.on_row == f"Due for a reorder. No product recommended for them yet. {NO_CONSENT}"
    assert "usually orders every 30 days, last ordered 30 days ago" in offer.reason
    complained = r"Complained about delivery on \d{1,2} [A-Z][a-z]{2} \d{4}: call to put it right\."
    assert re.fullmatch(complained, call.on_row)
    assert "revenue at risk" in call.reason
    page = response.content.decode()
    for suggestion in (offer, call):
        assert escape(suggestion.on_row) in page and escape(suggestion.reason) not in page
    for entry in work.at_risk:
        assert entry.why.split(";")[0] not in entry.suggestion.on_row


def test_an_offer_to_a_customer_without_marketing_consent_is_made_in_a_call(alice, alice_client, runs_):
    scored(runs_, alice, "No consent", orders=(60, 30))
    agreed = scored(runs_, alice, "Agreed", orders=(60, 30))
    agreed.marketing_consent = True
    agreed.save()
    suggestions = suggestions_on(alice_client)
    assert suggestions["No consent"].reason.endswith("No marketing consent: make the offer in a call, do not send it.")
    assert "marketing consent" not in suggestions["Agreed"].reason


def test_an_overdue_customer_without_a_score_gets_an_offer_too(alice, alice_client, runs_):
    late = CustomerFactory(owner=alice, name="Monthly, late")
    buy(late, 130, 100, 70)
    suggestion = suggestions_on(alice_client)["Monthly, late"]
    assert suggestion.action == "send_offer"
    assert "No product recommended for them yet." in suggestion.reason


def test_recent_praise_gets_a_thank_you(alice, alice_client, runs_):
    customer = scored(runs_, alice, "Happy")
    said(customer, "positive", days_ago=5, topic="praise")
    suggestion = suggestions_on(alice_client)["Happy"]
    assert suggestion.action == "thank"
    assert suggestion.reason.startswith("Praised us on ")


def test_a_complaint_outweighs_praise(alice, alice_client, runs_):
    customer = scored(runs_, alice, "Mixed")
    said(customer, "positive", days_ago=5, topic="praise")
    said(customer, "negative", days_ago=1, topic="billing")
    assert suggestions_on(alice_client)["Mixed"].action == "call_now"


def test_gone_customers_are_won_back_with_what_they_used_to_buy(alice, alice_client, runs_):
    customer = scored(runs_, alice, "Long gone", probability=0.99, clv=5, p_alive=0.01, orders=())
    tea, mugs = ProductFactory(name="Green tea"), ProductFactory(name="Mugs")
    buy(customer, 420, 400, 380, product=tea)
    buy(customer, 390, product=mugs)
    suggestion = suggestions_on(alice_client)["Long gone"]
    assert suggestion.action == "win_back"
    assert suggestion.products == ["Green tea", "Mugs"]
    assert suggestion.reason.startswith("No order for over a year. They used to buy: Green tea; Mugs.")
    last = timezone.localdate(NOW - dt.timedelta(days=380))
    assert f"since your last order on {last.day} {last:%b %Y}." in suggestion.message  # 7 Dec 2026, as the pages
    assert "You used to order:\n- Green tea\n- Mugs\n\nThey are still here" in suggestion.message


def test_a_customer_gone_over_a_year_is_won_back_never_offered_their_next_order(alice, alice_client, runs_):
    scored(runs_, alice, "Gone, 680 days", p_alive=0.3, orders=(749, 726, 703, 680))  # every 23 days: 29x late
    suggestion = suggestions_on(alice_client)["Gone, 680 days"]
    assert suggestion.action == "win_back"
    assert "next order?" not in suggestion.subject


def test_the_message_is_signed_with_the_reps_full_name(alice, alice_client, runs_):
    alice.first_name, alice.last_name = "Alice", "Archer"
    alice.save()
    scored(runs_, alice, "Someone")
    assert suggestions_on(alice_client)["Someone"].message.endswith("\n\nAlice Archer")


def test_the_message_is_the_admins_template_and_the_page_escapes_it(alice, alice_client, runs_):
    MessageTemplate.objects.filter(action="check_in").update(
        subject="For {{ customer.name }}", body="Dear {{ customer.name|upper }}, from {{ rep.name }}."
    )
    scored(runs_, alice, "<b>Bold</b> Ltd")
    page = alice_client.get(reverse("insights:worklist"))
    suggestion = page.context["work"].at_risk[0].suggestion
    assert suggestion.message == "Dear <B>BOLD</B> LTD, from alice."
    html = page.content.decode()
    assert "Dear &lt;B&gt;BOLD&lt;/B&gt; LTD" in html and "<B>BOLD" not in html


@pytest.mark.parametrize(
    "body",
    ["{% include 'base.html' %}", "{% debug %}", "{% load static %}", "{{ customer.name|ljust:'99999999' }}"],
)
def test_a_template_may_not_reach_beyond_its_data(body, alice, alice_client, runs_):
    with pytest.raises(ValidationError):
        MessageTemplate(action="thank", subject="Hi", body=body).full_clean(exclude=["action"])
    MessageTemplate.objects.filter(action="check_in").update(body=body)  # saved around the check: still refused
    scored(runs_, alice, "Someone")
    assert "needs fixing in admin" in suggestions_on(alice_client)["Someone"].message


def test_reps_see_suggestions_for_their_own_customers_only(alice, bob, alice_client, runs_):
    scored(runs_, alice, "Mine")
    scored(runs_, bob, "Bob's")
    assert list(suggestions_on(alice_client)) == ["Mine"]


def test_the_suggestions_need_the_same_queries_whatever_the_worklist_size(
    alice, alice_client, runs_, django_assert_num_queries
):
    recommendations = ModelRun.objects.create(family="recommendations", as_of=dt.date(2026, 1, 1), status="running")
    publishing.publish(recommendations)
    every_kind(runs_, alice, "one")
    alice_client.get(reverse("insights:worklist"))  # warms the active-run cache
    # user, permissions (1), at risk, win back, revenue at risk by owner, overdue; for the suggestions: topic names,
    # recent interactions, recommended products, what the gone bought, the message templates (nothing written);
    # own customers; the complaints panel (2) and the cross-sell panel (run, rows)
    with django_assert_num_queries(16):
        alice_client.get(reverse("insights:worklist"))
    for i in range(4):
        every_kind(runs_, alice, str(i))
    with django_assert_num_queries(16):
        suggestions = suggestions_on(alice_client)
    assert {s.action for s in suggestions.values()} == {"call_now", "thank", "send_offer", "check_in", "win_back"}


def test_a_complaint_from_a_customer_on_no_list_gets_call_now_in_the_complaints_section(alice, alice_client, runs_):
    """Every customer on the worklist has an action: a complaint from a low-risk customer (on none of the lists) is
    answered with Call now and its message in the complaints section, with Done counting it as taken; a complaint
    from a customer on a list keeps the action their row gives, never a second one."""
    calm = scored(runs_, alice, "Calm Carol", probability=0.1, band="low")
    said(calm, "negative", days_ago=2, topic="billing")
    listed = scored(runs_, alice, "Ann Archer", probability=0.7, clv=1000)
    said(listed, "negative", days_ago=3)
    response = alice_client.get(reverse("insights:worklist"))
    assert "Calm Carol" not in suggestions_on(alice_client)
    page = response.content.decode()
    section = page[page.index('id="complaints-title"') :]
    carol = section[section.index(f'data-customer="{calm.pk}"') :]
    carol = carol[: carol.index("</li>")]
    assert 'data-action="call_now"' in carol and "call to put it right" in carol
    assert "Hello Calm," in carol and "billing problem" in carol
    assert 'name="suggestion" value="call_now"' in carol  # Done from here records the suggestion as taken
    ann = section[section.index(f'data-customer="{listed.pk}"') :]
    ann = ann[: ann.index("</li>")]
    assert "data-action" not in ann and "on their row above" in ann
    assert not SuggestedAction.objects.exists()  # the page records nothing; the nightly record does
    next_actions.record(timezone.localdate())
    assert SuggestedAction.objects.filter(customer=calm, action="call_now", taken_at=None).count() == 1
    alice_client.post(
        reverse("insights:worklist_action", args=[calm.pk]),
        {"action": "done", "outcome": "reached", "days": 7, "suggestion": "call_now"},
    )
    assert SuggestedAction.objects.get(customer=calm, action="call_now").taken_at is not None


def test_a_complaint_on_the_general_topic_names_no_topic_and_the_section_says_its_date_once(alice, alice_client, runs_):
    listed = scored(runs_, alice, "Ann Archer", probability=0.7, clv=1000)
    said(listed, "negative", days_ago=3, topic="general")
    calm = scored(runs_, alice, "Calm Carol", probability=0.1, band="low")
    said(calm, "negative", days_ago=2, topic="general")
    page = alice_client.get(reverse("insights:worklist"))
    ann = page.context["work"].at_risk[0].suggestion
    assert ann.action == "call_now" and ann.reason.startswith("Complained on ")
    assert "Thank you for telling us. I am sorry" in ann.message
    html = page.content.decode()
    carol = html[html.index(f'data-customer="{calm.pk}"') :]
    carol = carol[: carol.index("</li>")]
    assert "general" not in carol.lower()
    when = date_format(timezone.localtime(NOW - dt.timedelta(days=2)), "j M Y")
    assert carol.count(when) == 1 and "For the complaint above: call to put it right." in carol


def test_the_complaints_name_the_owner_on_the_teams_worklist_only(alice, alice_client, charlie_client, runs_):
    alice.first_name, alice.last_name = "Alice", "Archer"
    alice.save()
    calm = scored(runs_, alice, "Calm Carol", probability=0.1, band="low")
    said(calm, "negative", days_ago=2)

    def section(client) -> str:
        page = client.get(reverse("insights:worklist")).content.decode()
        return page[page.index('id="complaints-title"') : page.index("</section>", page.index('id="complaints-title"'))]

    assert "· Alice Archer" not in section(alice_client)  # her own customers: no need to say whose
    assert "· Alice Archer" in section(charlie_client)


@pytest.mark.parametrize(
    ("gap", "words"),
    [(38.5, "usually orders every 39 days"), (40.4, "usually orders every 40 days"), (1.2, "usually orders every day")],
)
def test_an_offers_reason_rounds_the_usual_gap_as_the_row_does(gap, words):
    from django.template.defaultfilters import floatformat

    from insights.next_actions import _due_words
    from insights.worklist_rows import Entry

    entry = Entry(customer=None, usual_gap_days=gap, days_since=50)
    said = _due_words(entry)
    assert said.startswith("Due for a reorder: ") and words in said
    if gap > 1.5:
        assert f"every {floatformat(gap, 0)} days" in said  # the "Usually every" cell's figure
