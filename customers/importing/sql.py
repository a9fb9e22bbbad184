"""Small helpers for the import's raw SQL, which runs unchanged on PostgreSQL and SQLite (Django's cursor turns
%s into SQLite's ?)."""

from __future__ import annotations

from django.db import connection


def scalar(sql: str, params=()) -> int:
    """The first column of the first row, as an int (0 for NULL)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        value = cursor.fetchone()[0]
    return int(value or 0)


def execute(sql: str, params=()) -> int:
    """Run a statement; the number of rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def row(sql: str, params=()) -> tuple:
    """The first row, every column as an int (0 for NULL)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(int(v or 0) for v in cursor.fetchone())
