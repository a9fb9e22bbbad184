"""On PostgreSQL, a query a connection runs again is prepared: PostgreSQL parses and plans it once per connection
instead of once per request (crm/settings.py DATABASE_PREPARED_STATEMENTS)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from customers.models import Tag
from tests.factories import TagFactory

ROOT = Path(__file__).resolve().parents[2]
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@postgresql_only
@pytest.mark.django_db
def test_a_query_run_a_second_time_on_a_connection_is_prepared():
    TagFactory(name="VIP")
    tags = Tag.objects.filter(name="VIP").exclude(pk=0)  # a query no other test runs

    def is_it(statement: str) -> bool:
        return '"customers_tag"."name" = $1 AND NOT ("customers_tag"."id" = $2)' in statement

    assert [tag.name for tag in tags] == ["VIP"]
    assert not any(is_it(statement) for statement in _prepared())
    assert [tag.name for tag in tags.all()] == ["VIP"]
    assert any(is_it(statement) for statement in _prepared())


def _database_options(**env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.db import connection; "
        "d = connection.settings_dict; "
        "print(json.dumps({**d['OPTIONS'], 'DISABLE_SERVER_SIDE_CURSORS': d['DISABLE_SERVER_SIDE_CURSORS']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "postgres://user@db.example:5432/lodestar", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_prepared_statements_and_server_side_cursors_can_be_turned_off_for_a_pooler_in_transaction_mode():
    on = {"server_side_binding": True, "prepare_threshold": 1, "DISABLE_SERVER_SIDE_CURSORS": False}
    assert _database_options() == on
    assert _database_options(DATABASE_PREPARED_STATEMENTS="0") == {"DISABLE_SERVER_SIDE_CURSORS": False}
    pooled = _database_options(DATABASE_PREPARED_STATEMENTS="0", DATABASE_DISABLE_SERVER_SIDE_CURSORS="1")
    assert pooled == {"DISABLE_SERVER_SIDE_CURSORS": True}
