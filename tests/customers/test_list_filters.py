"""The customer list's own new filters (tags, last-order range) and the extension point other apps use to add
filters, columns and sort orders; the CSV export applies the same filters."""

from __future__ import annotations

import csv
import datetime as dt
import io

import django_filters
import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from pytest_django.asserts import assertContains, assertNotContains

from customers import list_extensions
from tests.factories import CustomerFactory, OrderFactory, TagFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")
EXPORT = reverse("customers:export")


def listed(response) -> list[str]:
    return [customer.name for customer in response.context["page_obj"]]


def exported(response) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    return [row["name"] for row in rows]


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@pytest.fixture
def tagged(alice, bob):
    """Ada (VIP, trade fair), Brian (VIP), Claude (no tags) of alice's; Bob's Dora is VIP too."""
    vip, fair = TagFactory(name="VIP"), TagFactory(name="Trade fair")
    ada = CustomerFactory(owner=alice, name="Ada")
    ada.tags.add(vip, fair)
    CustomerFactory(owner=alice, name="Brian").tags.add(vip)
    CustomerFactory(owner=alice, name="Claude")
    CustomerFactory(owner=bob, name="Dora").tags.add(vip)
    return {"vip": vip, "fair": fair}


# Tags --------------------------------------------------------------------------------------------------


def test_filter_by_one_tag(alice_client, tagged):
    assert listed(alice_client.get(LIST, {"tags": tagged["vip"].pk})) == ["Ada", "Brian"]


def test_several_tags_mean_every_one_of_them(alice_client, tagged):
    response = alice_client.get(LIST, {"tags": [tagged["vip"].pk, tagged["fair"].pk]})
    assert listed(response) == ["Ada"]


def test_a_manager_filtering_by_tag_sees_every_owners_customers_once(charlie_client, tagged):
    assert listed(charlie_client.get(LIST, {"tags": tagged["vip"].pk})) == ["Ada", "Brian", "Dora"]


def test_an_unknown_tag_is_ignored(alice_client, tagged):
    assert listed(alice_client.get(LIST, {"tags": "999999"})) == ["Ada", "Brian", "Claude"]


def test_the_tag_choices_are_offered_on_the_form(alice_client, tagged):
    response = alice_client.get(LIST)
    assert (str(tagged["vip"].pk), "VIP") in response.context["tag_choices"]
    assertContains(response, f'<input type="checkbox" name="tags" value="{tagged["vip"].pk}">', html=True)


# Last-order range --------------------------------------------------------------------------------------


@pytest.fixture
def ordering(alice):
    """Recent (last order 5 days ago), lapsed (last order 200 days ago, an older one before), never ordered."""
    recent = CustomerFactory(owner=alice, name="Recent")
    OrderFactory(customer=recent, placed_at=days_ago(300))
    OrderFactory(customer=recent, placed_at=days_ago(5))
    lapsed = CustomerFactory(owner=alice, name="Lapsed")
    OrderFactory(customer=lapsed, placed_at=days_ago(400))
    OrderFactory(customer=lapsed, placed_at=days_ago(200))
    CustomerFactory(owner=alice, name="Never")


def _day(days: int) -> str:
    return timezone.localdate(days_ago(days)).isoformat()


def test_last_order_from_keeps_customers_who_ordered_since(alice_client, ordering):
    assert listed(alice_client.get(LIST, {"last_order_from": _day(30)})) == ["Recent"]


def test_last_order_to_keeps_customers_whose_last_order_is_older(alice_client, ordering):
    # Recent also ordered 300 days ago, but that was not their last order.
    assert listed(alice_client.get(LIST, {"last_order_to": _day(100)})) == ["Lapsed"]


def test_last_order_range_both_ends(alice_client, ordering):
    assert listed(alice_client.get(LIST, {"last_order_from": _day(250), "last_order_to": _day(150)})) == ["Lapsed"]
    assert listed(alice_client.get(LIST, {"last_order_from": _day(450), "last_order_to": _day(350)})) == []


def test_the_end_day_is_included(alice_client, ordering):
    assert listed(alice_client.get(LIST, {"last_order_to": _day(5)})) == ["Lapsed", "Recent"]


def test_a_range_that_ends_before_it_starts_is_refused_whole_with_a_message(alice_client, ordering):
    response = alice_client.get(LIST, {"last_order_from": _day(30), "last_order_to": _day(300)})
    assertContains(response, "so it was not applied: swap the two dates")
    assertContains(response, 'role="alert"')
    assert listed(response) == ["Lapsed", "Never", "Recent"]  # neither end applies, not half of the range


def test_the_export_refuses_a_reversed_range_instead_of_exporting_more(charlie_client, ordering):
    response = charlie_client.get(EXPORT, {"last_order_from": _day(30), "last_order_to": _day(300)})
    assert response.status_code == 400
    assert b"swap the two dates" in response.content


def test_dates_are_read_and_shown_in_the_apps_format(alice_client, ordering):
    day = timezone.localdate(days_ago(30))
    written = f"{day.day} {day:%b %Y}"  # 7 Dec 2026, as the app writes dates
    response = alice_client.get(LIST, {"last_order_from": written})
    assert listed(response) == ["Recent"]
    assert listed(alice_client.get(LIST, {"last_order_from": day.strftime("%d/%m/%Y")})) == ["Recent"]
    assertContains(response, f'value="{written}"')
    assertContains(response, 'type="text" id="id_last_order_from"')


def test_the_tags_are_a_searchable_list_of_checkboxes(alice_client, tagged):
    response = alice_client.get(LIST, {"tags": tagged["vip"].pk})
    assertContains(response, f'<input type="checkbox" name="tags" value="{tagged["vip"].pk}" checked>', html=True)
    assertContains(response, "data-picker-find")
    assertContains(response, "js/picker.js")
    assertContains(response, "1 chosen")


def test_a_date_that_is_not_a_date_is_ignored(alice_client, ordering):
    assert listed(alice_client.get(LIST, {"last_order_from": "yesterday-ish"})) == ["Lapsed", "Never", "Recent"]


# The export applies the same filters -------------------------------------------------------------------


def test_the_export_honours_the_tag_and_last_order_filters(charlie_client, tagged, ordering):
    assert exported(charlie_client.get(EXPORT, {"tags": tagged["vip"].pk})) == ["Ada", "Brian", "Dora"]
    assert exported(charlie_client.get(EXPORT, {"last_order_to": _day(100)})) == ["Lapsed"]


# The extension point -----------------------------------------------------------------------------------


@pytest.fixture
def extensions():
    """Register list extensions for one test and unregister them afterwards."""
    names = []

    def register(kind, name, *args, **kwargs):
        names.append(name)
        return getattr(list_extensions, f"register_list_{kind}")(name, *args, **kwargs)

    yield register
    for name in names:
        list_extensions.unregister_list_extension(name)


def _initial_filter(request):
    def starts_with(queryset, name, value):
        return queryset.filter(name__startswith=value) if value else queryset

    return django_filters.ChoiceFilter(
        choices=[("A", "A names"), ("B", "B names")], method=starts_with, label="Initial", empty_label="Any"
    )


def test_a_registered_filter_filters_the_list_and_the_export(extensions, alice_client, charlie_client, tagged):
    extensions("filter", "initial", _initial_filter)
    response = alice_client.get(LIST, {"initial": "B"})
    assert listed(response) == ["Brian"]
    assertContains(response, '<label for="id_initial">Initial</label>', html=True)
    assertContains(response, '<option value="B" selected>B names</option>', html=True)
    assert exported(charlie_client.get(EXPORT, {"initial": "A"})) == ["Ada"]


def test_a_registered_filter_rejects_values_outside_its_choices(extensions, alice_client, tagged):
    extensions("filter", "initial", _initial_filter)
    assert listed(alice_client.get(LIST, {"initial": "Z"})) == ["Ada", "Brian", "Claude"]


def test_a_filter_whose_builder_returns_none_is_left_out(extensions, alice_client, tagged):
    extensions("filter", "initial", lambda request: None)
    response = alice_client.get(LIST, {"initial": "B"})
    assert listed(response) == ["Ada", "Brian", "Claude"]
    assertNotContains(response, 'name="initial"')


def test_a_registered_column_is_annotated_and_rendered_escaped(extensions, alice_client, tagged):
    from django.db.models import Value
    from django.db.models.functions import Upper

    extensions("column", "shout", "Shouted", lambda request: {"test_shout": Upper("name")}, lambda c: c.test_shout)
    extensions("column", "evil", "Evil", lambda request: {"test_evil": Value("<b>x</b>")}, lambda c: c.test_evil)
    extensions("column", "safe", "Safe", lambda request: {}, lambda c: format_html("<em>{}</em>", c.name))
    response = alice_client.get(LIST)
    assertContains(response, '<th scope="col" data-column="shout">Shouted</th>', html=True)  # no sort: no link
    assertContains(response, '<td data-label="Shouted">ADA</td>', html=True)  # its heading, for a phone
    assertContains(response, "&lt;b&gt;x&lt;/b&gt;")
    assertContains(response, "<em>Brian</em>")


def test_a_column_whose_annotations_are_none_is_left_out(extensions, alice_client, tagged):
    extensions("column", "hidden", "Hidden heading", lambda request: None, lambda c: "never")
    assertNotContains(alice_client.get(LIST), "Hidden heading")


def test_a_registered_sort_joins_the_allow_list(extensions, alice_client, tagged):
    extensions("sort", "-initial", "Reverse name", lambda qs, request: qs.order_by("-name", "-pk"))
    response = alice_client.get(LIST, {"sort": "-initial"})
    assert listed(response) == ["Claude", "Brian", "Ada"]
    assertContains(response, '<option value="-initial" selected>Reverse name</option>', html=True)


def test_an_unavailable_sort_is_not_offered(extensions, alice_client, tagged):
    extensions("sort", "-initial", "Reverse name", lambda qs, request: qs.order_by("-name"), lambda request: False)
    response = alice_client.get(LIST, {"sort": "-initial"})
    assert listed(response) == ["Ada", "Brian", "Claude"]
    assertNotContains(response, "Reverse name")


@pytest.mark.parametrize("name", ["q", "tags", "page"])
def test_a_name_the_list_uses_cannot_be_registered(name):
    with pytest.raises(ValueError, match="already registered"):
        list_extensions.register_list_filter(name, _initial_filter)


def test_a_name_can_be_registered_only_once(extensions):
    extensions("filter", "initial", _initial_filter)
    with pytest.raises(ValueError, match="already registered"):
        list_extensions.register_list_filter("initial", _initial_filter)


# Query counts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "charlie"])
def test_the_new_filters_add_no_query_per_row(request, persona, alice, django_assert_num_queries):
    client = request.getfixturevalue(f"{persona}_client")
    vip = TagFactory(name="VIP")
    query = {"tags": vip.pk, "last_order_from": _day(30), "last_order_to": _day(0)}

    def grow(count):
        for customer in CustomerFactory.create_batch(count, owner=alice):
            customer.tags.add(vip)
            OrderFactory(customer=customer, placed_at=days_ago(3))

    grow(2)
    client.get(LIST, query)  # warms the cache of active model runs
    expected = 7 if persona == "alice" else 8  # as tests/customers/test_pages.py
    with django_assert_num_queries(expected):
        assert len(client.get(LIST, query).context["page_obj"]) == 2
    grow(60)
    with django_assert_num_queries(expected):
        assert len(client.get(LIST, query).context["page_obj"]) == 50
