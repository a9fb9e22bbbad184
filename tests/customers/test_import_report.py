"""What an import tells its user: both layouts of the UCI export, prices with too many decimals rounded and
counted, a one-line summary of what went in and what was rejected and why, the report in the format's own words
with sizes in units, the file of rejected rows served to those who may see the run, and the shop's currency."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from customers.importing.report import labelled_counts
from customers.models import ImportRun, Order, OrderItem
from customers.tasks import import_uploaded_file
from tests.customers.importing_helpers import RETAIL_HEADER, import_file, retail, write_csv
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CURRENT_UCI_HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
SALE = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom"


def line(n: int, *, quantity="6", when="2010-12-01 08:26", price="2.55", customer="17850") -> str:
    return f"5{n:05d},85123A,WHITE HANGING HEART,{quantity},{when},{price},{customer},United Kingdom"


def test_the_current_uci_layout_is_read_without_any_map(tmp_path):
    run = import_file(write_csv(tmp_path, [CURRENT_UCI_HEADER, SALE]))
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    order = Order.objects.get(external_number="536365")
    assert order.customer.external_id == "17850"
    assert order.items.get().unit_price == Decimal("2.55")


def test_prices_with_six_decimals_are_rounded_to_four_and_counted(tmp_path):
    run = retail(tmp_path, line(1, price="0.354167"), line(2, price="1.2"), line(3, price="0.354167"))
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert run.error_count == 0
    prices = sorted(str(p) for p in OrderItem.objects.values_list("unit_price", flat=True))
    assert prices == ["0.3542", "0.3542", "1.2000"]
    assert run.counts["prices_rounded"] == 2
    assert "2 prices rounded to 4 decimals" in run.summary


def test_the_summary_says_how_many_rows_went_in_and_why_the_others_were_rejected(tmp_path):
    CustomerFactory(external_id="17850")
    good = [line(n) for n in range(8)]
    bad_quantity = [line(10 + n, quantity="six") for n in range(4)]
    bad_date = [line(20 + n, when="yesterday") for n in range(2)]
    run = retail(tmp_path, *good, *bad_quantity, *bad_date)
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.summary == (
        "8 of 14 rows imported, 6 rejected: 4 Quantity is not a whole number, "
        "2 InvoiceDate is not a date and time such as 2011-12-09 12:50."
    )


def test_the_summary_does_not_count_lines_a_cleaning_rule_left_out_as_imported(tmp_path):
    # The quick start: a file of 10 rows, 2 unreadable, a duplicate line and a line at a negative price, said
    # "8 of 10 rows imported, 2 rejected" while 6 lines went in.
    CustomerFactory(external_id="17850")
    run = retail(tmp_path, line(1), line(1), line(2, price="-5.00"), line(3), line(4, quantity="two"))
    assert run.counts["duplicate_lines"] == 1 and run.counts["negative_price_lines"] == 1
    assert run.summary == (
        "2 of 5 rows imported, 1 rejected: 1 Quantity is not a whole number; "
        "2 left out: 1 duplicate line, 1 line at a negative price."
    )
    assert OrderItem.objects.count() == 2


def test_the_commands_last_line_is_the_summary(tmp_path):
    path = write_csv(tmp_path, [RETAIL_HEADER, line(1), line(2, quantity="x")])
    out = io.StringIO()
    call_command("import_orders", str(path), "--no-progress", stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert last == (
        "1 of 2 rows imported, 1 rejected: 1 Quantity is not a whole number; "
        "1 new customer created for customer ids Lodestar did not know."
    )
    assert "Import #" in out.getvalue() and "bytes" in out.getvalue()  # the size with its unit


def test_the_summary_says_when_unknown_customer_ids_created_customers(tmp_path):
    CustomerFactory(external_id="17850")
    run = retail(tmp_path, line(1, customer="17850"), line(2, customer="13047"), line(3, customer="12583"))
    assert run.counts["customers_created"] == 2
    assert run.summary == "All 3 rows imported; 2 new customers created for customer ids Lodestar did not know."


def test_the_report_uses_the_formats_own_words(tmp_path):
    lodestar = "order_number,placed_at,customer_id,sku,quantity,unit_price"
    run = import_file(write_csv(tmp_path, [lodestar, "SO-1,2026-03-01T10:00:00,C-1,MUG,2,7.50"]), fmt="lodestar-orders")
    labels = [label for label, _ in labelled_counts(run)]
    assert "orders already present" in labels and not any("invoice" in label for label in labels)
    retail_run = retail(tmp_path, SALE)
    assert "invoices already present" in [label for label, _ in labelled_counts(retail_run)]


def _upload(client, content: bytes):
    return client.post(
        reverse("admin:customers_importrun_add"),
        {"upload": SimpleUploadedFile("orders.csv", content, content_type="text/csv"), "format": "online-retail"},
    )


def test_the_admin_report_opens_with_the_summary_and_gives_the_size_in_units(dana_client):
    _upload(dana_client, f"{RETAIL_HEADER}\n{line(1)}\n{line(2, quantity='x')}\n".encode())
    run = ImportRun.objects.get()
    import_uploaded_file(run.pk)
    page = dana_client.get(reverse("admin:customers_importrun_change", args=[run.pk])).content.decode()
    assert "1 of 2 rows imported, 1 rejected: 1 Quantity is not a whole number" in page
    assert "bytes" in page  # "172 bytes", Django's filesizeformat
    listing = dana_client.get(reverse("admin:customers_importrun_changelist")).content.decode()
    assert "1 rejected" in listing


def test_the_errors_file_link_serves_the_rejected_rows_to_an_admin(dana_client):
    _upload(dana_client, f"{RETAIL_HEADER}\n{line(1)}\n{line(2, quantity='x')}\n".encode())
    run = ImportRun.objects.get()
    import_uploaded_file(run.pk)
    url = reverse("admin:customers_importrun_errors", args=[run.pk])
    page = dana_client.get(reverse("admin:customers_importrun_change", args=[run.pk])).content.decode()
    assert f'href="{url}"' in page
    response = dana_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines() == ["line,column,value,reason", "3,Quantity,x,is not a whole number"]


def test_the_errors_file_is_not_served_to_staff_who_may_not_see_imports(dana_client, charlie):
    _upload(dana_client, f"{RETAIL_HEADER}\n{line(1)}\n{line(2, quantity='x')}\n".encode())
    run = ImportRun.objects.get()
    import_uploaded_file(run.pk)
    charlie.is_staff = True  # a manager let into the admin, without the import permissions
    charlie.save()
    client = Client()
    client.force_login(charlie)
    assert client.get(reverse("admin:customers_importrun_errors", args=[run.pk])).status_code == 404


def test_a_run_without_rejected_rows_has_no_errors_file(dana_client):
    _upload(dana_client, f"{RETAIL_HEADER}\n{line(1)}\n".encode())
    run = ImportRun.objects.get()
    import_uploaded_file(run.pk)
    assert dana_client.get(reverse("admin:customers_importrun_errors", args=[run.pk])).status_code == 404


@override_settings(DEFAULT_CURRENCY="EUR")
def test_imported_orders_are_in_the_default_currency_unless_the_file_says(tmp_path):
    retail(tmp_path, SALE)
    lodestar = "order_number,placed_at,sku,quantity,unit_price,currency"
    rows = [lodestar, "SO-1,2026-03-01T10:00:00,MUG,2,7.50,", "SO-2,2026-03-01T10:00:00,MUG,2,7.50,USD"]
    import_file(write_csv(tmp_path, rows, name="lodestar.csv"), fmt="lodestar-orders")
    currencies = dict(Order.objects.values_list("external_number", "currency"))
    assert currencies == {"536365": "EUR", "SO-1": "EUR", "SO-2": "USD"}


def test_a_second_import_of_the_same_file_says_its_lines_were_already_there(tmp_path):
    """Found in review: importing a file again said 'All 2 rows imported.' while no line went in (the lines of orders
    the database already has are left alone)."""
    retail(tmp_path, line(1), line(2))
    again = retail(tmp_path, line(1), line(2))
    assert OrderItem.objects.count() == 2
    assert again.counts["lines_already_present"] == 2
    assert again.summary.startswith("0 of 2 rows imported; 2 left out: 2 lines of orders already imported"), (
        again.summary
    )
