"""Every bulk load ends with ANALYZE of the tables it filled (customers.bulk.analyze), so that the first queries
after it, a retrain's loading say, are planned with the new row counts. Seen in PostgreSQL's own statistics."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection, models

from customers import bulk
from customers.demo.loader import LOAD_ORDER
from customers.importing.registry import FORMATS
from customers.models import Customer, ImportRun, Order, OrderItem, Product, ProductName, Tag
from tests.customers.importing_helpers import import_file, retail, write_csv

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's pg_stat_user_tables"),
]


def _analyze_counts(*tables: type[models.Model]) -> dict[str, int]:
    """How many times each table was analysed by hand (not by autovacuum), as PostgreSQL counts it."""
    names = [m._meta.db_table for m in tables]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics are read once per transaction otherwise
        cursor.execute("SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname = ANY(%s)", [names])
        counts = dict(cursor.fetchall())
    return {name: counts[name] for name in names}


def _analysed(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name in before if after[name] > before[name]}


def test_the_helper_analyses_each_table_it_is_given():
    before = _analyze_counts(Customer, Order, Tag)
    bulk.analyze(Customer, Order, Customer)
    assert _analysed(before, _analyze_counts(Customer, Order, Tag)) == {"customers_customer", "customers_order"}


def test_an_order_import_analyses_the_tables_it_filled(tmp_path):
    filled = (Customer, Product, ProductName, Order, OrderItem)
    assert set(FORMATS["online-retail"].fills) == set(filled)
    before = _analyze_counts(*filled)
    run = retail(
        tmp_path, "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom"
    )
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert _analysed(before, _analyze_counts(*filled)) == {m._meta.db_table for m in filled}


def test_a_customer_import_analyses_customers_and_their_tags(tmp_path):
    filled = (Customer, Tag, Customer.tags.through)
    before = _analyze_counts(*filled)
    path = write_csv(tmp_path, ["external_id,name,tags", "C-1,Ann Archer,VIP"])
    run = import_file(path, fmt="lodestar-customers")
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert _analysed(before, _analyze_counts(*filled)) == {m._meta.db_table for m in filled}


def test_a_failed_import_analyses_nothing(tmp_path):
    before = _analyze_counts(Order, OrderItem)
    run = retail(tmp_path, "536365,85123A,HOLDER,six,2010-12-01 08:26,2.55,17850,United Kingdom", strict=True)
    assert run.status == ImportRun.Status.FAILED
    assert not _analysed(before, _analyze_counts(Order, OrderItem))


def test_seed_demo_analyses_every_table_it_loaded():
    before = _analyze_counts(*LOAD_ORDER)
    call_command("seed_demo", "--customers", "20", "--no-logins", stdout=io.StringIO(), stderr=io.StringIO())
    assert _analysed(before, _analyze_counts(*LOAD_ORDER)) == {m._meta.db_table for m in LOAD_ORDER}
