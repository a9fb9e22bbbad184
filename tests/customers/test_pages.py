"""The customer list and profile: who sees what, search, filters, sorting, paging, figures, panels, and a
number of queries that does not grow with the data."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from customers.models import Order
from customers.panels import profile_panels, register_profile_panel, unregister_profile_panel
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    OrderFactory,
    OrderItemFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")


def detail(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def listed(response) -> list[str]:
    return [customer.name for customer in response.context["page_obj"]]


@pytest.fixture
def book(alice, bob):
    """Customers of alice, of bob, and one nobody owns."""
    return {
        "alice": CustomerFactory(
            owner=alice, name="Ada Lovelace", email="ada@engines.example", company="Analytical Ltd", country="France"
        ),
        "bob": CustomerFactory(owner=bob, name="Brian Kernighan", company="Bell Labs", country="Germany"),
        "nobody": CustomerFactory(owner=None, name="Claude Shannon", external_id="X-42"),
    }


# Who sees what -----------------------------------------------------------------------------------------


def test_a_rep_lists_only_her_customers(alice_client, book):
    assert listed(alice_client.get(LIST)) == ["Ada Lovelace"]


@pytest.mark.parametrize("persona", ["charlie", "dana"])
def test_managers_and_admins_list_every_customer(request, persona, book):
    client = request.getfixturevalue(f"{persona}_client")
    assert listed(client.get(LIST)) == ["Ada Lovelace", "Brian Kernighan", "Claude Shannon"]


def test_a_rep_opens_her_customer(alice_client, book):
    assertContains(alice_client.get(detail(book["alice"])), "Ada Lovelace")


@pytest.mark.parametrize("other", ["bob", "nobody"])
def test_someone_elses_customer_answers_404_not_403(alice_client, book, other):
    assert alice_client.get(detail(book[other])).status_code == 404


@pytest.mark.parametrize("persona", ["charlie", "dana"])
def test_managers_and_admins_open_any_customer(request, persona, book):
    client = request.getfixturevalue(f"{persona}_client")
    for customer in book.values():
        assert client.get(detail(customer)).status_code == 200


def test_a_rep_cannot_widen_her_view_with_the_owner_filter(alice_client, bob, book):
    assert listed(alice_client.get(LIST, {"owner": bob.pk})) == ["Ada Lovelace"]


# Search, filters, sorting, paging ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["lovelace", "ENGINES.example", "analytical", "x-42", "X-4", '"x-42"'])
def test_search_matches_name_email_company_or_the_start_of_the_customer_id(charlie_client, book, query):
    expected = "Claude Shannon" if "x-4" in query.lower() else "Ada Lovelace"
    assert listed(charlie_client.get(LIST, {"q": query})) == [expected]


@pytest.mark.parametrize("query", ["zoe o'brien", "ZOË O’BRIEN", "Zoe OBrien", '"zoë"', "muller"])
def test_search_ignores_accents_case_and_quotes(charlie_client, alice, query):
    CustomerFactory(owner=alice, name="Zoë O’Brien", company="Müller GmbH")
    CustomerFactory(owner=alice, name="Zachary Other")
    assert listed(charlie_client.get(LIST, {"q": query})) == ["Zoë O’Brien"]


def test_the_customer_id_matches_only_by_its_start(charlie_client, book):
    # Figures of its own: the factory's ids and emails carry a sequence that the tests run before move on (in
    # the full run "42" was inside someone's email).
    CustomerFactory(external_id="X9876543", name="Ida Numbered", email="ida@example.org")
    assert listed(charlie_client.get(LIST, {"q": "9876543"})) == []
    assert listed(charlie_client.get(LIST, {"q": "x987"})) == ["Ida Numbered"]


def test_search_with_no_match_says_so(charlie_client, book):
    response = charlie_client.get(LIST, {"q": "nobody by this name"})
    assert listed(response) == []
    assertContains(response, "No customers match these filters")


def test_the_count_of_matches_agrees_in_number(charlie_client, book):
    assertContains(charlie_client.get(LIST, {"q": "lovelace"}), "1 customer matches your filters")
    assertContains(charlie_client.get(LIST, {"q": "example"}), "customers match your filters")


def test_filter_by_country(charlie_client, book):
    assert listed(charlie_client.get(LIST, {"country": "Germany"})) == ["Brian Kernighan"]


def test_the_country_choices_come_from_visible_customers(alice_client, book):
    assert alice_client.get(LIST).context["countries"] == ["France"]


def test_filter_by_owner(charlie_client, bob, book):
    assert listed(charlie_client.get(LIST, {"owner": bob.pk})) == ["Brian Kernighan"]


def test_filter_unassigned_customers(charlie_client, book):
    assert listed(charlie_client.get(LIST, {"owner": "none"})) == ["Claude Shannon"]


def test_the_owner_filter_is_offered_only_to_those_who_see_everyone(alice_client, charlie_client, book):
    assertNotContains(alice_client.get(LIST), 'name="owner"')
    assertContains(charlie_client.get(LIST), 'name="owner"')


def test_the_owner_column_is_shown_only_to_those_who_see_everyone(alice, alice_client, charlie_client, book):
    """A rep's customers are all her own: the column would repeat her name on every row."""
    name = alice.get_full_name() or alice.get_username()
    rep = alice_client.get(LIST).content.decode()
    assert ">Owner</th>" not in rep and f'<td class="hide-sm" data-label="Owner">{name}</td>' not in rep
    manager = charlie_client.get(LIST).content.decode()
    assert ">Owner</th>" in manager and f'<td class="hide-sm" data-label="Owner">{name}</td>' in manager
    # every row has as many cells as the header has columns
    for page in (rep, manager):
        table = page[page.index("<thead>") :]
        header = table[: table.index("</thead>")].count("<th ")
        first_row = table[table.index("<tbody>") :].split("</tr>")[0]
        assert first_row.count("<td") == header


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-name", ["Claude Shannon", "Brian Kernighan", "Ada Lovelace"]),
        ("country", ["Ada Lovelace", "Brian Kernighan", "Claude Shannon"]),
        ("-country", ["Claude Shannon", "Brian Kernighan", "Ada Lovelace"]),
    ],
)
def test_sorting_by_an_allowed_key(charlie_client, book, sort, expected):
    assert listed(charlie_client.get(LIST, {"sort": sort})) == expected


@pytest.mark.parametrize("sort", ["email", "-owner__password", "created_at", "name; DROP TABLE", ""])
def test_sorting_ignores_values_outside_the_allow_list(charlie_client, book, sort):
    response = charlie_client.get(LIST, {"sort": sort})
    assert response.status_code == 200
    assert listed(response) == ["Ada Lovelace", "Brian Kernighan", "Claude Shannon"]


def test_sorting_newest_first(charlie_client, book):
    newest = CustomerFactory(name="Zed Newest")
    assert listed(charlie_client.get(LIST, {"sort": "-created"}))[0] == newest.name


def test_the_list_has_50_customers_a_page(alice, alice_client):
    CustomerFactory.create_batch(51, owner=alice)
    first = alice_client.get(LIST)
    assert len(first.context["page_obj"]) == 50
    assert first.context["page_obj"].paginator.num_pages == 2
    assert len(alice_client.get(LIST, {"page": 2}).context["page_obj"]) == 1
    assert alice_client.get(LIST, {"page": "nonsense"}).status_code == 200


def test_each_row_shows_the_number_of_orders_and_the_last_order(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    last = timezone.now() - dt.timedelta(days=3)
    OrderFactory(customer=customer, placed_at=last - dt.timedelta(days=30))
    OrderFactory(customer=customer, placed_at=last)
    CustomerFactory(owner=alice, name="Never ordered")
    rows = {row.name: row for row in alice_client.get(LIST).context["page_obj"]}
    assert rows[customer.name].order_count == 2
    assert rows[customer.name].last_order_at == last
    assert rows["Never ordered"].order_count == 0
    assert rows["Never ordered"].last_order_at is None


def _grow(owner, customers: int, orders_each: int) -> None:
    tag = TagFactory()
    for customer in CustomerFactory.create_batch(customers, owner=owner):
        customer.tags.add(tag)
        for order in OrderFactory.create_batch(orders_each, customer=customer):
            OrderItemFactory.create_batch(2, order=order)
        InteractionFactory.create_batch(2, customer=customer)


@pytest.mark.parametrize("persona", ["alice", "charlie"])
def test_the_list_needs_the_same_queries_whatever_the_data_size(request, persona, alice, django_assert_num_queries):
    client = request.getfixturevalue(f"{persona}_client")
    _grow(alice, customers=2, orders_each=1)
    client.get(LIST)  # warms the cache of active model runs, as any earlier page view would
    # 7: user, its permissions (its own and its groups', crm/backends.py), tags, count, the page's ids, its rows,
    # saved filters (session and countries: cached)
    with django_assert_num_queries(7 if persona == "alice" else 8):
        client.get(LIST)
    _grow(alice, customers=60, orders_each=2)  # more than a page
    with django_assert_num_queries(7 if persona == "alice" else 8):
        client.get(LIST)


# The profile -------------------------------------------------------------------------------------------


@pytest.fixture
def customer_with_history(alice):
    """Two completed orders (25.00 and 15.00), a cancelled one (100.00), and a few interactions."""
    customer = CustomerFactory(owner=alice, name="Grace Hopper", phone="+44 20 7946 0000", marketing_consent=True)
    customer.tags.add(TagFactory(name="VIP"), TagFactory(name="Trade fair"))
    now = timezone.now()
    first = OrderFactory(customer=customer, external_number="INV-1", placed_at=now - dt.timedelta(days=90))
    OrderItemFactory(order=first, quantity=2, unit_price=Decimal("10.00"))
    OrderItemFactory(order=first, quantity=1, unit_price=Decimal("5.00"))
    second = OrderFactory(customer=customer, external_number="INV-2", placed_at=now - dt.timedelta(days=20))
    OrderItemFactory(order=second, quantity=3, unit_price=Decimal("5.00"))
    cancelled = OrderFactory(
        customer=customer, external_number="INV-3", placed_at=now - dt.timedelta(days=5), status=Order.Status.CANCELLED
    )
    OrderItemFactory(order=cancelled, quantity=1, unit_price=Decimal("100.00"))
    return customer


def test_the_profile_shows_key_figures_from_completed_orders(alice_client, customer_with_history):
    figures = alice_client.get(detail(customer_with_history)).context["figures"]
    assert figures["revenue"] == Decimal("40.00")
    assert figures["orders"] == 3
    assert figures["completed_orders"] == 2
    assert figures["average_order_value"] == Decimal("20.00")
    assert figures["first_order_at"] < figures["last_order_at"]


def test_the_profile_without_orders_has_no_average(alice, alice_client):
    response = alice_client.get(detail(CustomerFactory(owner=alice)))
    assert response.context["figures"]["revenue"] == Decimal("0.00")
    assert response.context["figures"]["average_order_value"] is None
    assertContains(response, "No orders yet")


def test_the_profile_lists_orders_newest_first_with_totals_from_sql(alice_client, customer_with_history):
    orders = alice_client.get(detail(customer_with_history)).context["orders"]
    assert [(order.external_number, order.total, order.line_count) for order in orders] == [
        ("INV-3", Decimal("100.00"), 1),
        ("INV-2", Decimal("15.00"), 1),
        ("INV-1", Decimal("25.00"), 2),
    ]


def test_the_profile_shows_contact_owner_tags_and_consent(alice_client, customer_with_history):
    response = alice_client.get(detail(customer_with_history))
    for text in ("+44 20 7946 0000", "alice", "VIP", "Trade fair", "Consented", "Allowed"):
        assertContains(response, text)


def test_the_timeline_shows_the_latest_20_interactions_newest_first(alice_client, customer_with_history):
    now = timezone.now()
    for days in range(25):
        InteractionFactory(customer=customer_with_history, subject=f"Call {days}", occurred_at=now - dt.timedelta(days))
    interactions = alice_client.get(detail(customer_with_history)).context["interactions"]
    assert [interaction.subject for interaction in interactions] == [f"Call {days}" for days in range(20)]


@pytest.mark.parametrize("persona", ["alice", "charlie"])
def test_the_profile_needs_the_same_queries_whatever_the_data_size(request, persona, alice, django_assert_num_queries):
    client = request.getfixturevalue(f"{persona}_client")
    customer = CustomerFactory(owner=alice)
    OrderItemFactory(order=OrderFactory(customer=customer))
    _grow(alice, customers=1, orders_each=1)
    client.get(detail(customer))  # warms the cache of active model runs, as any earlier page view would
    # 12: user, its permissions (its own and its groups'), customer (with owner), the audit trail's INSERT of the
    # opening, tags (all, marked whether the customer has each), key figures (counts, dates and spend, in one query
    # by currency and rate), orders, their lines, interactions; the "What they say" panel's latest interactions
    # (with their labels) and topics; the health card's look for a run waiting for a worker
    with django_assert_num_queries(12):
        client.get(detail(customer))
    customer.tags.add(*TagFactory.create_batch(3))
    for order in OrderFactory.create_batch(30, customer=customer):
        OrderItemFactory.create_batch(3, order=order)
    InteractionFactory.create_batch(30, customer=customer)
    with django_assert_num_queries(12):
        client.get(detail(customer))


# Panels other apps register ----------------------------------------------------------------------------


@pytest.fixture
def panel_templates(settings):
    """Serve the test panels' templates from memory, beside the project's own."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["APP_DIRS"] = False
    templates[0]["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.locmem.Loader",
            {
                "test/score.html": "<section><h2>Score</h2><p>score={{ score }} for {{ customer.name }}</p></section>",
                "test/first.html": "<p>first panel</p>",
            },
        ),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = templates


@pytest.fixture
def register_panel():
    """Register panels for one test and unregister them afterwards."""
    names = []

    def register(name, *args, **kwargs):
        names.append(name)
        return register_profile_panel(name, *args, **kwargs)

    yield register
    for name in names:
        unregister_profile_panel(name)


def test_registered_panels_render_on_the_profile_in_order(
    panel_templates, register_panel, alice_client, customer_with_history
):
    register_panel("test-score", "test/score.html", lambda request, customer: {"score": 0.42}, order=20)
    register_panel("test-first", "test/first.html", lambda request, customer: {}, order=10)
    response = alice_client.get(detail(customer_with_history))
    assertContains(response, "score=0.42 for Grace Hopper")
    content = response.content.decode()
    assert content.index("first panel") < content.index("score=0.42")


def test_a_panel_whose_context_is_none_is_left_out(panel_templates, register_panel, alice_client, book):
    register_panel("test-score", "test/score.html", lambda request, customer: None)
    assertNotContains(alice_client.get(detail(book["alice"])), "score=")


def test_a_failing_panel_does_not_take_the_profile_down(panel_templates, register_panel, alice_client, book):
    def broken(request, customer):
        raise RuntimeError("model file missing")

    register_panel("test-broken", "test/score.html", broken)
    response = alice_client.get(detail(book["alice"]))
    assertContains(response, "This panel (test-broken) could not be shown")
    assertContains(response, "Ada Lovelace")


def test_a_panel_name_can_be_registered_only_once(register_panel):
    register_panel("test-once", "test/first.html", lambda request, customer: {})
    with pytest.raises(ValueError, match="already registered"):
        register_profile_panel("test-once", "test/first.html", lambda request, customer: {})


def test_unregistering_removes_the_panel(register_panel):
    register_panel("test-gone", "test/first.html", lambda request, customer: {})
    unregister_profile_panel("test-gone")
    assert "test-gone" not in [panel.name for panel in profile_panels()]


def test_the_country_filter_is_cached_per_visibility_scope(alice, bob, alice_client, bob_client, charlie_client):
    CustomerFactory(owner=alice, country="Norway")
    CustomerFactory(owner=bob, country="Chile")
    assert alice_client.get(LIST).context["countries"] == ["Norway"]
    assert charlie_client.get(LIST).context["countries"] == ["Chile", "Norway"]
    CustomerFactory(owner=alice, country="Peru")
    assert alice_client.get(LIST).context["countries"] == ["Norway"]  # cached for a while
    assert bob_client.get(LIST).context["countries"] == ["Chile"]  # another rep's scope is their own
