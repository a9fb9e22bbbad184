"""The benchmark database: PostgreSQL, created and migrated on demand, and never a database with real data.

The benchmarks replace all customer data, so they refuse a database that holds customers unless it is marked
as a benchmark database (a comment on the database, set when the benchmarks create it or first find it empty).
"""

from __future__ import annotations

import dj_database_url
import psycopg
from psycopg import sql

MARK = "lodestar benchmark database: its data is replaced by every run"


class NotABenchDatabase(RuntimeError):
    """The database at DATABASE_URL holds data the benchmarks would destroy."""


def _connect(url: str, dbname: str | None = None) -> psycopg.Connection:
    """An autocommit connection to the server in `url`, to its database or to `dbname`."""
    config = dj_database_url.parse(url)
    return psycopg.connect(
        dbname=dbname or config["NAME"],
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        autocommit=True,
    )


def ensure_database(url: str) -> bool:
    """Create the database at `url` if it does not exist, marked as a benchmark database; True if created."""
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise NotABenchDatabase(f"The benchmarks need PostgreSQL; DATABASE_URL is {config['ENGINE']}.")
    name = config["NAME"]
    with _connect(url, "postgres") as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(MARK)))
    return True


def check_safe_to_replace(url: str) -> None:
    """Refuse a database that holds customers and is not marked as a benchmark database; mark an empty one.

    Call after migrating, so the customers table exists.
    """
    name = dj_database_url.parse(url)["NAME"]
    with _connect(url) as conn:
        comment = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        ).fetchone()[0]
        if comment == MARK:
            return
        if conn.execute("SELECT EXISTS (SELECT 1 FROM customers_customer)").fetchone()[0]:
            raise NotABenchDatabase(
                f"DATABASE_URL points at {name!r}, which holds customers and is not a benchmark database; the "
                "benchmarks would replace its data. Unset DATABASE_URL (the default is lodestar_bench) or point it "
                "at an empty database."
            )
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(MARK)))
