"""A staging table per import run: rows are streamed into it outside the merge transaction, cleaned there
with set-based SQL, merged into the real tables in one transaction, and dropped.

On PostgreSQL rows go in with COPY into an UNLOGGED table; on SQLite with batched executemany. Either way a
failed import leaves the real tables untouched: only the merge writes to them, and it is atomic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection

# Column types of the order-line staging table.
ORDER_LINE_TYPES = {
    "line": "integer NOT NULL",
    "invoice": "varchar(64) NOT NULL",
    "is_cancel": "smallint NOT NULL",
    "sku": "varchar(64) NOT NULL",
    "description": "varchar(255) NOT NULL",
    "quantity": "integer NOT NULL",
    "unit_price": "numeric(14, 4) NOT NULL",
    "placed_at": "{timestamp} NOT NULL",
    "customer_ext": "varchar(64) NOT NULL",
    "country": "varchar(64) NOT NULL",
    "status": "varchar(10) NOT NULL",
    "channel": "varchar(20) NOT NULL",
    "currency": "varchar(3) NOT NULL",
    "cancels": "varchar(64) NOT NULL",
    "kind": "varchar(12) NOT NULL",
    "drop_reason": "varchar(32) NULL",
}
BATCH_ROWS = 5000
_COPY_TYPES = {
    "integer": "int4",
    "smallint": "int2",
    "varchar": "text",
    "text": "text",
    "numeric": "numeric",
    "{timestamp}": "timestamptz",
}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _for_sqlite(row: tuple) -> tuple:
    # Django keeps datetimes in SQLite as naive UTC text and decimals as text-compatible numbers; stage
    # them the same way, so values copied across by SQL compare and read back like the ORM's own.
    return tuple(
        value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, dt.datetime)
        else str(value)
        if isinstance(value, Decimal)
        else value
        for value in row
    )


class StagingTable:
    """A run's staging table. Create it, `load` batches of tuples, `close` drops it (also on failure)."""

    def __init__(self, name: str, columns: Sequence[str], types: dict[str, str]):
        self.name = name
        self.columns = list(columns)
        timestamp = "timestamptz" if is_postgres() else "datetime"
        self.definition = ", ".join(f"{c} {types[c].format(timestamp=timestamp)}" for c in self.columns)
        # Binary COPY needs each column's type up front; it is about twice as fast as text COPY here.
        self.copy_types = [_COPY_TYPES[types[c].split("(")[0].split()[0]] for c in self.columns]

    def create(self) -> None:
        """Make the empty table (UNLOGGED on PostgreSQL: it is rebuilt from the file if anything fails)."""
        unlogged = "UNLOGGED " if is_postgres() else ""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
            cursor.execute(f"CREATE {unlogged}TABLE {self.name} ({self.definition})")

    def load(self, rows: Iterable[tuple]) -> int:
        """Append rows (tuples in column order); returns how many went in."""
        rows = list(rows)
        if not rows:
            return 0
        columns = ", ".join(self.columns)
        with connection.cursor() as cursor:
            if is_postgres():
                with cursor.cursor.copy(f"COPY {self.name} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(self.copy_types)
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {self.name} ({columns}) VALUES ({marks})", map(_for_sqlite, rows))
        return len(rows)

    def index(self, *columns: str) -> None:
        """Index the loaded table for the cleaning and merge queries, and refresh planner statistics."""
        with connection.cursor() as cursor:
            for column in columns:
                cursor.execute(f"CREATE INDEX {self.name}_{column} ON {self.name} ({column})")
            cursor.execute(f"ANALYZE {self.name}")

    def close(self) -> None:
        """Drop the table; safe to call twice."""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
