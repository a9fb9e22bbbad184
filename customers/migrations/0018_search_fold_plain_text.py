"""The customer search's trigram indexes on the folded name and company follow `Fold` (crm/search.py), which now
translates only text with a character outside printable ASCII or with a quote mark and lower-cases the rest:
translate() over its 285-character table cost about 30 us a name, and a search rechecks every candidate row its
indexes find. Same index names, rebuilt on the new expression (which must be the one `Fold` writes, character for
character: tests/customers/test_search_indexes.py checks the plan uses them). Other databases are left as they
are."""

from django.db import migrations

FOLDED = ("name", "company")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _rebuild(schema_editor, folded) -> None:
    for column in FOLDED:
        schema_editor.execute(f"DROP INDEX IF EXISTS customer_{column}_fold_trgm")
        schema_editor.execute(
            f"CREATE INDEX customer_{column}_fold_trgm ON customers_customer USING gin (({folded(column)}) gin_trgm_ops)"
        )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from crm.search import FROM_WITH_QUOTES, PLAIN, TO

    def folded(column: str) -> str:
        translated = f"translate(lower({column}::text), {_literal(FROM_WITH_QUOTES)}, {_literal(TO)})"
        return f"CASE WHEN {column} ~ {_literal(PLAIN)} THEN {translated} ELSE lower({column}::text) END"

    _rebuild(schema_editor, folded)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from crm.search import FROM_WITH_QUOTES, TO

    _rebuild(
        schema_editor, lambda column: f"translate(lower({column}::text), {_literal(FROM_WITH_QUOTES)}, {_literal(TO)})"
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0017_search_fold_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
