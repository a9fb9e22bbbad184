"""Bulk loading: build indexes and foreign keys once after the rows, as pg_restore does (PostgreSQL), and
refresh the planner's statistics of what was loaded.

Used by seed_demo and by imports. Building an index once over loaded rows is several times cheaper than updating
it row by row; adding a key back checks every row with one join, where keeping it queues a check per row that
all run at commit (about 30 s for two million order lines against a second or two).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models


def analyze(*tables: type[models.Model]) -> None:
    """Refresh the planner's statistics of `tables` (ANALYZE); every bulk load ends with it.

    Autovacuum analyses a freshly loaded table only some time later; until then PostgreSQL plans the next
    queries (a retrain's loading, say) with the old row counts. Inside a transaction ANALYZE counts the rows that
    transaction wrote. SQLite's planner uses its statistics too.
    """
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in dict.fromkeys(m._meta.db_table for m in tables):
            cursor.execute(f"ANALYZE {qn(table)}")


def vacuum(*tables: type[models.Model]) -> None:
    """Make the space of the rows deleted from `tables` reusable and refresh their statistics (VACUUM ANALYZE, on
    PostgreSQL; outside any transaction). Autovacuum gets there some time later where it is on (not on CI's
    servers); until then a table that loses as many rows as it gains grows on disk without end."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in dict.fromkeys(m._meta.db_table for m in tables):
            cursor.execute(f"VACUUM (ANALYZE) {qn(table)}")


def run_deferred_checks(cursor) -> None:
    """Run the foreign-key checks this transaction has deferred so far (PostgreSQL): TRUNCATE and ALTER TABLE
    refuse to touch a table with checks pending."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def indexes_and_keys_built_after(
    tables: Sequence[type[models.Model]], referenced: Sequence[type[models.Model]] | None = None
) -> Iterator[None]:
    """On PostgreSQL, drop the plain indexes of `tables` and their foreign keys to `referenced` (default:
    `tables` themselves) for the body, and build them again after it.

    Primary keys and unique constraints stay, so duplicates still fail fast. Everything happens in the caller's
    transaction, so a failure rolls the indexes and keys back too; the tables are locked until it commits, so
    use this only where nobody is working with them (an empty table, demo data). Keys to other tables (users)
    stay, so that those are not locked. Elsewhere this does nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    qn = connection.ops.quote_name
    names = [m._meta.db_table for m in tables]
    targets = [m._meta.db_table for m in (referenced if referenced is not None else tables)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) AND confrelid = ANY(%s::regclass[]) "
            "ORDER BY 1, 2",
            [names, targets],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique AND NOT indisprimary ORDER BY 1",
            [names],
        )
        indexes = cursor.fetchall()
        run_deferred_checks(cursor)  # e.g. after deleting the old rows with the ORM
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        run_deferred_checks(cursor)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
