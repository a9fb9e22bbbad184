"""Indexes for the customer search as it now compares (crm/search.py `Fold`: lower case, accents and quote marks
taken off): trigram indexes on the folded name and company, and a prefix index on the upper-cased customer id.
The search ORs four conditions; with one of them unindexable PostgreSQL scans every customer and folds both
columns of each, so counting a search's matches scanned 100k customers (over a second at 100k; 24 ms with these).
The folded expression must be the one `Fold` writes, character for character, or the planner cannot use the index:
tests/customers/test_search_indexes.py checks it, and a change to crm/search.py's table needs a new migration.
Other databases are left as they are."""

from django.db import migrations

FOLDED = ("name", "company")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from crm.search import FROM_WITH_QUOTES, TO

    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in FOLDED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS customer_{column}_fold_trgm ON customers_customer USING gin "
            f"(translate(lower({column}::text), {_literal(FROM_WITH_QUOTES)}, {_literal(TO)}) gin_trgm_ops)"
        )
    # `istartswith` is UPPER(x) LIKE 'C10%': a btree serves a LIKE prefix only with the pattern operator class.
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_external_id_upper_prefix ON customers_customer "
        "(UPPER(external_id::text) text_pattern_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in FOLDED:
        schema_editor.execute(f"DROP INDEX IF EXISTS customer_{column}_fold_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS customer_external_id_upper_prefix")


class Migration(migrations.Migration):
    dependencies = [("customers", "0016_repair_dates_outside_1900_2100")]

    operations = [migrations.RunPython(forwards, backwards)]
