"""CSV exports: streamed, restricted to what the user may see, filtered like the list, formula-safe, and
recorded for the audit trail."""

import csv
import io

import pytest
from django.urls import reverse

from customers.exports import neutralise
from customers.models import ExportRecord
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    "value,expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1-555", "'+1-555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("   =1+1", "'   =1+1"),
        ("Acme Ltd", "Acme Ltd"),
        ("a=b", "a=b"),
        (-5, -5),
        (None, None),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_a_manager_exports_every_customer_and_it_is_recorded(charlie, charlie_client, alice, bob):
    CustomerFactory(owner=alice, name="Ann")
    CustomerFactory(owner=bob, name="=cmd|' /C calc'!A0", company="Bob & Co")
    rows = _rows(charlie_client.get(reverse("customers:export")))
    assert rows[0][:3] == ["external_id", "name", "email"]
    assert sorted(row[1] for row in rows[1:]) == ["'=cmd|' /C calc'!A0", "Ann"]
    # The owner as the pages name them beside the username an import reads back (seen: "bob" against "Bob Baker").
    type(bob).objects.filter(pk=bob.pk).update(first_name="Bob", last_name="Baker")
    rows = _rows(charlie_client.get(reverse("customers:export")))
    owners = {row[1]: row[rows[0].index("owner") : rows[0].index("owner") + 2] for row in rows[1:]}
    assert owners == {"Ann": ["alice", "alice"], "'=cmd|' /C calc'!A0": ["bob", "Bob Baker"]}
    assert rows[0][rows[0].index("owner") + 1] == "owner_name"
    record = ExportRecord.objects.latest("pk")
    assert (record.kind, record.user, record.row_count) == ("customers", charlie, 2)
    assert record.finished_at is not None


def test_the_export_applies_the_lists_filters_and_records_them(charlie_client):
    CustomerFactory(name="Ann", country="France")
    CustomerFactory(name="Ben", country="Spain")
    rows = _rows(charlie_client.get(reverse("customers:export"), {"country": "Spain", "page": "3"}))
    assert [row[1] for row in rows[1:]] == ["Ben"]
    assert ExportRecord.objects.get().filters == {"country": "Spain"}


def test_a_user_with_export_rights_exports_only_customers_they_may_see(alice, bob, alice_client):
    from django.contrib.auth.models import Permission

    alice.user_permissions.add(Permission.objects.get(codename="export_customers"))
    CustomerFactory(owner=alice, name="Mine")
    CustomerFactory(owner=bob, name="Theirs")
    rows = _rows(alice_client.get(reverse("customers:export")))
    assert [row[1] for row in rows[1:]] == ["Mine"]


def test_a_sales_rep_without_export_rights_is_refused(alice_client):
    CustomerFactory()
    assert alice_client.get(reverse("customers:export")).status_code == 403
    assert alice_client.get(reverse("customers:export_orders")).status_code == 403
    assert not ExportRecord.objects.exists()


def test_anonymous_is_sent_to_sign_in(anonymous_client):
    response = anonymous_client.get(reverse("customers:export"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_orders_export_with_totals_and_a_date_range(charlie_client):
    import datetime as dt

    from django.utils import timezone

    customer = CustomerFactory(external_id="C1", name="Ann")
    old = OrderFactory(customer=customer, external_number="A-1", placed_at=timezone.now() - dt.timedelta(days=400))
    new = OrderFactory(customer=customer, external_number="A-2", placed_at=timezone.now() - dt.timedelta(days=2))
    OrderItemFactory(order=old, quantity=1)
    OrderItemFactory(order=new, quantity=2, unit_price="2.50")
    OrderItemFactory(order=new, quantity=1, unit_price="1.00")
    since = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    rows = _rows(charlie_client.get(reverse("customers:export_orders"), {"placed_from": since}))
    assert rows[0] == [
        "order_number",
        "placed_at",
        "status",
        "customer_id",
        "customer",
        "channel",
        "currency",
        "lines",
        "total",
    ]
    assert len(rows) == 2
    assert rows[1][0] == "A-2" and rows[1][3:5] == ["C1", "Ann"]
    assert rows[1][7] == "2" and float(rows[1][8]) == 6.0
    assert ExportRecord.objects.get().kind == "orders"


def test_a_bad_date_range_is_a_clear_error(charlie_client):
    response = charlie_client.get(reverse("customers:export_orders"), {"placed_from": "2026-02-30"})
    assert response.status_code == 400
    assert b"placed_from" in response.content
    assert not ExportRecord.objects.exists()


def test_the_export_runs_a_fixed_number_of_queries(charlie_client, django_assert_num_queries):
    for _ in range(30):
        CustomerFactory()
    response = charlie_client.get(reverse("customers:export"))
    with django_assert_num_queries(2):  # the rows (one server-side cursor), then the record's row count
        b"".join(response.streaming_content)


def test_the_list_offers_the_export_with_its_filters_only_to_those_allowed(charlie_client, alice_client):
    CustomerFactory(country="Spain")
    page = charlie_client.get(reverse("customers:list"), {"country": "Spain"}).content.decode()
    assert f'href="{reverse("customers:export")}?country=Spain"' in page
    assert reverse("customers:export") not in alice_client.get(reverse("customers:list")).content.decode()


def test_the_bom_option_starts_the_file_with_a_utf8_mark(charlie_client):
    CustomerFactory(name="Zoë")
    plain = b"".join(charlie_client.get(reverse("customers:export")).streaming_content)
    marked = b"".join(charlie_client.get(reverse("customers:export"), {"bom": "1"}).streaming_content)
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert marked.startswith(b"\xef\xbb\xbf") and marked[3:] == plain
    assert ExportRecord.objects.last().filters == {}  # the option is not a filter


def test_the_orders_export_writes_two_decimals_and_iso_dates(charlie_client):
    import datetime as dt

    order = OrderFactory(external_number="A-9", placed_at=dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    OrderItemFactory(order=order, quantity=3, unit_price="0.3333")
    OrderFactory(external_number="A-10")  # no lines
    rows = {row[0]: row for row in _rows(charlie_client.get(reverse("customers:export_orders")))[1:]}
    assert rows["A-9"][1] == "2026-03-04T05:06:07+00:00"
    assert rows["A-9"][8] == "1.00" and rows["A-10"][8] == "0.00"


def test_the_customer_list_links_the_orders_export(charlie_client, alice_client):
    response = charlie_client.get(reverse("customers:list"))
    assert f'action="{reverse("customers:export_orders")}"'.encode() in response.content
    assert reverse("customers:export_orders").encode() not in alice_client.get(reverse("customers:list")).content
