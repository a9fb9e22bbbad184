"""The customer search is served by indexes on PostgreSQL (customers/migrations/0017): each of the conditions it
ORs has one, so no search scans every customer. With sequential scans discouraged, the plan must use them; it
cannot if `Fold` (crm/search.py) no longer writes the indexed expression."""

import pytest
from django.db import connection

from customers.filters import CustomerFilterSet
from customers.models import Customer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the indexes are PostgreSQL's"),
]


def _plan(term: str) -> str:
    matches = CustomerFilterSet({"q": term}, queryset=Customer.objects.all()).qs.order_by().values("pk")
    sql, params = matches.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) matches", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_search_reads_the_folded_name_and_company_indexes():
    plan = _plan("Zoë O'Brien")
    assert "customer_name_fold_trgm" in plan
    assert "customer_company_fold_trgm" in plan
    assert "Seq Scan" not in plan


def test_a_search_by_id_prefix_reads_its_index():
    plan = _plan("C10")
    assert "customer_external_id_upper_prefix" in plan
    assert "Seq Scan" not in plan
