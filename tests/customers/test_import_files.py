"""The import as a whole: bad files and bad rows get clear errors, nothing is half-written, re-imports
change nothing, and files come in any of the encodings and compressions shops produce."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from customers.models import Customer, ImportRun, Order, OrderItem, Product
from tests.customers.importing_helpers import RETAIL_HEADER, import_file, retail, write_csv

pytestmark = pytest.mark.django_db

SALE = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom"
OTHER = "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28,1.85,17850,United Kingdom"
LATER = "536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,2010-12-01 08:34,1.69,13047,United Kingdom"


def _tables_are_empty() -> bool:
    return not (Customer.objects.exists() or Product.objects.exists() or Order.objects.exists())


def test_bad_rows_are_skipped_and_reported_with_line_column_value_and_reason(tmp_path):
    run = retail(
        tmp_path,
        SALE,
        "536366,22633,HAND WARMER,six,2010-12-01 08:28,1.85,17850,United Kingdom",
        "536367,84879,BIRD,32,yesterday,1.69,13047,United Kingdom",
        "536368,84879,BIRD,32,2010-12-01 08:34",
    )
    assert run.status == ImportRun.Status.SUCCEEDED
    assert Order.objects.count() == 1
    assert run.error_count == 3
    assert run.errors[0] == {"line": 3, "column": "Quantity", "value": "six", "reason": "is not a whole number"}
    assert run.errors[1]["line"] == 4 and run.errors[1]["column"] == "InvoiceDate"
    assert run.errors[2]["line"] == 5 and "fields" in run.errors[2]["reason"]
    with run.errors_file.open("r") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "column", "value", "reason"]
    assert rows[1] == ["3", "Quantity", "six", "is not a whole number"]


def test_strict_mode_rejects_the_whole_file_on_the_first_bad_row(tmp_path):
    run = retail(tmp_path, SALE, "536366,22633,HAND WARMER,six,2010-12-01 08:28,1.85,17850,United Kingdom", strict=True)
    assert run.status == ImportRun.Status.FAILED
    assert "Line 3: Quantity 'six' is not a whole number" in run.error
    assert _tables_are_empty()


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    first = retail(tmp_path, SALE, OTHER, LATER)
    before = (Customer.objects.count(), Product.objects.count(), Order.objects.count(), OrderItem.objects.count())
    second = retail(tmp_path, SALE, OTHER, LATER)
    after = (Customer.objects.count(), Product.objects.count(), Order.objects.count(), OrderItem.objects.count())
    assert first.counts["orders_created"] == 3
    assert after == before
    assert second.counts["orders_created"] == 0
    assert second.counts["invoices_already_present"] == 3


def test_an_overlapping_file_adds_only_what_is_new(tmp_path):
    retail(tmp_path, SALE, OTHER)
    run = retail(tmp_path, OTHER, LATER)
    assert run.counts["orders_created"] == 1
    assert run.counts["customers_created"] == 1
    assert sorted(Order.objects.values_list("external_number", flat=True)) == ["536365", "536366", "536367"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="fault injected with a PostgreSQL trigger")
def test_a_failure_during_the_merge_leaves_the_database_as_it_was(tmp_path):
    retail(tmp_path, SALE)
    before = (Customer.objects.count(), Product.objects.count(), Order.objects.count(), OrderItem.objects.count())
    with connection.cursor() as cursor:
        # A real fault inside the database, half-way through the merge: the order lines' insert fails.
        cursor.execute(
            "CREATE FUNCTION fail_on_13() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.quantity = 13 THEN RAISE EXCEPTION 'disk full (simulated)'; END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER fail_on_13 BEFORE INSERT ON customers_orderitem FOR EACH ROW EXECUTE FUNCTION fail_on_13()"
        )
    run = retail(tmp_path, OTHER, LATER, "536399,22633,HAND WARMER,13,2010-12-01 09:00,1.85,99999,France")
    after = (Customer.objects.count(), Product.objects.count(), Order.objects.count(), OrderItem.objects.count())
    assert run.status == ImportRun.Status.FAILED
    assert "disk full (simulated)" in run.error
    assert after == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'import_stage_%%'")
        assert cursor.fetchone()[0] == 0


def test_a_gzip_file_imports_like_a_plain_one(tmp_path):
    path = write_csv(tmp_path, [RETAIL_HEADER, SALE, OTHER], name="orders.csv.gz")
    run = import_file(path)
    assert run.status == ImportRun.Status.SUCCEEDED
    assert Order.objects.count() == 2


@pytest.mark.parametrize("encoding,expected", [("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-8", "utf-8")])
def test_encodings_are_detected(tmp_path, encoding, expected):
    path = write_csv(
        tmp_path,
        [RETAIL_HEADER, "536365,85123A,CAFÉ SET £5 – NOËL,6,2010-12-01 08:26,2.55,17850,Réunion"],
        encoding=encoding,
    )
    run = import_file(path)
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert run.encoding == expected
    assert Product.objects.get().name == "CAFÉ SET £5 – NOËL"
    assert Customer.objects.get().country == "Réunion"


def test_a_header_without_the_expected_columns_is_refused_with_what_was_expected(tmp_path):
    path = write_csv(tmp_path, ["Bill,Code,Qty", "1,2,3"])
    run = import_file(path)
    assert run.status == ImportRun.Status.FAILED
    assert "the header has no column InvoiceNo, StockCode" in run.error
    assert "found: Bill, Code, Qty" in run.error


def test_renamed_columns_can_be_mapped(tmp_path):
    header = "Invoice,StockCode,Description,Qty,InvoiceDate,UnitPrice,CustomerID,Country"
    path = write_csv(tmp_path, [header, SALE])
    run = import_file(path, column_map={"Invoice": "InvoiceNo", "Qty": "Quantity"})
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert Order.objects.get().items.get().quantity == 6


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    run = import_file(path)
    assert run.status == ImportRun.Status.FAILED
    assert "empty" in run.error


def test_a_header_with_no_rows_is_refused(tmp_path):
    run = import_file(write_csv(tmp_path, [RETAIL_HEADER]))
    assert run.status == ImportRun.Status.FAILED
    assert "has a header but no rows" in run.error


def test_a_file_that_is_not_csv_is_refused(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    run = import_file(path)
    assert run.status == ImportRun.Status.FAILED
    assert "photo.csv" in run.error
    assert _tables_are_empty()


def test_a_broken_gzip_file_is_refused(tmp_path):
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    run = import_file(path)
    assert run.status == ImportRun.Status.FAILED
    assert "orders.csv.gz" in run.error


def test_the_command_prints_the_report(tmp_path, capsys):
    path = write_csv(tmp_path, [RETAIL_HEADER, SALE, SALE, OTHER])
    call_command("import_orders", str(path), "--no-progress")
    out = capsys.readouterr().out
    assert "succeeded" in out
    assert "duplicate lines" in out
    assert "orders created" in out


def test_the_progress_bar_redraws_one_line_on_the_commands_stderr(tmp_path):
    path = write_csv(tmp_path, [RETAIL_HEADER, SALE, OTHER])
    err = io.StringIO()
    call_command("import_orders", str(path), stdout=io.StringIO(), stderr=err)
    assert "Importing orders.csv" in err.getvalue()
    assert "\r" in err.getvalue() and "\n" not in err.getvalue()


def test_the_command_fails_loudly_on_a_bad_file(tmp_path):
    path = write_csv(tmp_path, ["Invoice,Code", "1,2"])
    with pytest.raises(CommandError, match="Import failed: .*header has no column"):
        call_command("import_orders", str(path), "--no-progress")


def test_the_command_refuses_a_missing_path():
    with pytest.raises(CommandError, match="No file at"):
        call_command("import_orders", "/no/such/file.csv", "--no-progress")


def test_the_lodestar_format_carries_status_and_what_a_cancellation_cancels(tmp_path):
    header = (
        "order_number,placed_at,customer_id,country,status,channel,currency,"
        "sku,product_name,quantity,unit_price,cancels"
    )
    path = write_csv(
        tmp_path,
        [
            header,
            "SO-1,2026-03-01T10:00:00+01:00,C-1,France,completed,store,EUR,MUG-1,Blue mug,2,7.50,",
            "SO-2,2026-03-04T10:00:00+01:00,C-1,France,returned,store,EUR,MUG-1,Blue mug,1,7.50,SO-1",
        ],
    )
    run = import_file(path, fmt="lodestar-orders")
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    returned = Order.objects.get(external_number="SO-2")
    assert returned.status == Order.Status.RETURNED
    assert returned.cancels.external_number == "SO-1"
    assert returned.currency == "EUR"
    assert returned.channel == "store"
    assert Order.objects.get(external_number="SO-1").placed_at.isoformat() == "2026-03-01T09:00:00+00:00"


def test_the_lodestar_format_refuses_negative_quantities(tmp_path):
    header = "order_number,placed_at,sku,quantity,unit_price"
    run = import_file(write_csv(tmp_path, [header, "SO-1,2026-03-01,MUG-1,-2,7.50"]), fmt="lodestar-orders")
    assert run.errors[0]["column"] == "quantity"
    assert "above zero" in run.errors[0]["reason"]


def test_the_import_runs_on_the_embedded_sqlite_default(tmp_path):
    """The quick start's database is SQLite: the same import path must work there."""
    path = write_csv(
        tmp_path,
        [RETAIL_HEADER, SALE, SALE, OTHER, "C536370,22633,HAND WARMER,-6,2010-12-02 08:28,1.85,17850,United Kingdom"],
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CACHE_URL": "locmem://",
        "CELERY_BROKER_URL": "filesystem://",
        "LODESTAR_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "1",
    }
    manage = [sys.executable, str(Path(__file__).resolve().parents[2] / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, capture_output=True)
    for attempt in range(2):
        done = subprocess.run(
            [*manage, "import_orders", str(path), "--no-progress"], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "duplicate lines" in done.stdout
        created = (
            "orders created                           3"
            if attempt == 0
            else "orders created                           0"
        )
        assert " ".join(created.split()) in " ".join(done.stdout.split())
    check = subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from customers.models import Order; "
            "print(Order.objects.get(external_number='C536370').cancels.external_number)",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.stdout.strip().endswith("536366"), check.stderr


def _index_and_key_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('customers_order', 'customers_orderitem') "
            "UNION SELECT conname FROM pg_constraint WHERE conrelid IN "
            "('customers_order'::regclass, 'customers_orderitem'::regclass)"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's")
def test_a_first_import_into_empty_tables_keeps_every_index_and_key(tmp_path):
    before = _index_and_key_names()
    run = retail(tmp_path, SALE, OTHER, LATER)
    assert run.counts["order_items_created"] == 3
    assert _index_and_key_names() == before
    with pytest.raises(IntegrityError, match="violates foreign key"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django's keys are checked at commit otherwise
        product = Product.objects.first()
        OrderItem.objects.create(order_id=999_999, line_number=1, product=product, quantity=1, unit_price=1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="fault injected with a PostgreSQL trigger")
def test_a_failed_first_import_leaves_tables_indexes_and_keys_as_they_were(tmp_path):
    before = _index_and_key_names()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION fail_on_13() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.quantity = 13 THEN RAISE EXCEPTION 'disk full (simulated)'; END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER fail_on_13 BEFORE INSERT ON customers_orderitem FOR EACH ROW EXECUTE FUNCTION fail_on_13()"
        )
    run = retail(tmp_path, SALE, "536399,22633,HAND WARMER,13,2010-12-01 09:00,1.85,99999,France")
    assert run.status == ImportRun.Status.FAILED
    assert _tables_are_empty()
    assert _index_and_key_names() == before
