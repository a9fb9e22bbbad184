"""Faults of the web server's database connection, as a table: a real gunicorn (the web service's config, one
process, one thread, so one connection kept between requests as production keeps it) serves the profile while
PostgreSQL terminates that connection, between two requests or in the middle of one. Every row checks the answer
to the faulty request (never a traceback), that the next request is served as usual (the connection is checked
before it is used again: CONN_HEALTH_CHECKS; without them the first row answers 500)."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory

ROOT = Path(__file__).resolve().parents[2]
LEAKS = ("Traceback", "psycopg", "OperationalError", "InterfaceError", "terminat", 'File "')

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class WebServer:
    """gunicorn with the web service's config under production settings (DEBUG off: the styled error pages), over
    plain HTTP on loopback as the quick start serves, against the test database; requests carry a session."""

    def __init__(self, tmp_path: Path, session: str):
        self.port = _free_port()
        self.session = session
        self.log = tmp_path / "gunicorn.log"
        env = {
            **os.environ,
            "DEBUG": "0",
            "LODESTAR_QUICKSTART": "1",  # plain HTTP, static files from static/
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": _database_url(),
            "LODESTAR_VAR_DIR": str(tmp_path),
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "1",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "crm.wsgi", "--config", "python:crm.gunicorn_conf",
             "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if self.get("/healthz/")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"gunicorn did not answer\n{self.log.read_text()[-3000:]}")

    def get(self, path: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path, headers={"Host": "localhost", "Cookie": f"sessionid={self.session}"})
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _other_backends() -> list[int]:
    """The server's connections to the test database: every backend but this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _terminate(pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


@dataclass(frozen=True)
class World:
    server: WebServer
    profile: str


@dataclass(frozen=True)
class Row:
    """One fault: what is done to the server's connection, and what the faulty request must get."""

    name: str
    act: Callable[[World], tuple[int, str]]
    status: int
    says: str


def _between_requests(world: World) -> tuple[int, str]:
    assert world.server.get(world.profile)[0] == 200  # the server now holds a connection, idle between requests
    backends = _other_backends()
    assert backends, "the server keeps no connection between requests"
    _terminate(backends)
    return world.server.get(world.profile)


def _during_a_request(world: World) -> tuple[int, str]:
    """The profile's request waits on a lock of the orders table (a connection of this test's own holds it), is
    terminated while it waits, and the lock is released."""
    import psycopg

    assert world.server.get(world.profile)[0] == 200
    db = connection.settings_dict
    locker = psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"])
    answer: list[tuple[int, str]] = []
    try:
        locker.execute("LOCK TABLE customers_order IN ACCESS EXCLUSIVE MODE")
        request = threading.Thread(target=lambda: answer.append(world.server.get(world.profile)))
        request.start()
        deadline, waiting = time.monotonic() + 30, None
        while waiting is None and time.monotonic() < deadline:
            locker.execute("SELECT pg_stat_clear_snapshot()")
            waiting = locker.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            time.sleep(0.1)
        assert waiting, "the profile's request never reached the orders"
        locker.execute("SELECT pg_terminate_backend(%s)", [waiting[0]])
    finally:
        locker.rollback()
        locker.close()
    request.join(60)
    return answer[0]


ROWS = (
    Row("connection terminated between requests: the next request reconnects", _between_requests, 200,
        "Ada Lovelace"),
    Row("connection terminated mid-page: the styled error page, no traceback", _during_a_request, 500,
        "Something went wrong on our side"),
)  # fmt: skip


@pytest.fixture
def world(tmp_path, alice, settings):
    settings.SECRET_KEY = secrets.token_urlsafe(50)  # the server's: the session's sign-in hash is made with it
    customer = CustomerFactory(name="Ada Lovelace", owner=alice)
    OrderItemFactory(order=OrderFactory(customer=customer))
    client = Client()
    client.force_login(alice)
    server = WebServer(tmp_path, client.cookies["sessionid"].value)
    yield World(server, reverse("customers:detail", args=[customer.pk]))
    server.stop()


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_web_servers_database_connection_terminated(row: Row, world: World):
    status, body = row.act(world)
    assert status == row.status, body[:3000]
    assert row.says in body
    assert not [leak for leak in LEAKS if leak in body], body[:3000]
    # The next request is served as usual, on a new connection.
    status, body = world.server.get(world.profile)
    assert status == 200 and "Ada Lovelace" in body, world.server.log.read_text()[-3000:]
