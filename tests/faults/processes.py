"""What the process fault tables share (tests/faults/test_lost_work.py, test_broker_down.py,
test_concurrency_and_storage.py, test_commands.py, test_real_worker.py): the Row of a table, the demo data's end,
runs and imports in a given state, and real processes (a Celery worker, a Redis server, a lock on a table that
catches a worker mid-work). Fixtures are in tests/faults/conftest.py."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers.models import ImportRun
from insights import runs
from insights.models import ModelRun
from tests.customers.importing_helpers import RETAIL_HEADER

ROOT = Path(__file__).resolve().parents[2]
END = dt.date(2025, 6, 30)
LOST_AFTER = 2  # seconds of silence after which a run counts as lost, in these tests (workers beat every 0.2 s)
CSV = (
    RETAIL_HEADER
    + "".join(
        f"\n5{i:05d},2{i % 40:04d},PRODUCT {i % 40},{1 + i % 5},2010-12-{1 + i % 28:02d} 08:{i % 60:02d},2.55,"
        f"{17000 + i % 30},United Kingdom"
        for i in range(300)
    )
    + "\n"
).encode()


@dataclass(frozen=True)
class Row:
    """One fault: what is done, what must be answered, and what must hold of the stored data afterwards."""

    name: str
    act: Callable[..., Any]
    expect: Callable[..., None]

    def __str__(self) -> str:
        return self.name


def table(*rows: Row):
    return pytest.mark.parametrize("row", rows, ids=[row.name for row in rows])


def active(family: str) -> ModelRun:
    """A published run of `family` with no rows: the one a failed or lost run must leave in place."""
    return ModelRun.objects.create(family=family, status="succeeded", is_active=True, as_of=END, winner="baseline")


def running(family: str, *, worker: str, heartbeat_age: float, attempts: int = 1) -> ModelRun:
    run = runs.request_run(family, as_of=END)
    ModelRun.objects.filter(pk=run.pk).update(
        status="running",
        started_at=timezone.now() - dt.timedelta(seconds=heartbeat_age),
        heartbeat_at=timezone.now() - dt.timedelta(seconds=heartbeat_age),
        worker=worker,
        attempts=attempts,
    )
    return ModelRun.objects.get(pk=run.pk)


def dead_worker() -> str:
    """host:pid of a process of this host that no longer exists."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


def upload_run(name: str = "orders.csv") -> ImportRun:
    run = ImportRun(format="online-retail", file_name=name)
    run.upload.save(name, SimpleUploadedFile(name, CSV), save=False)
    run.save()
    return run


def staging_tables() -> set[str]:
    return {t for t in connection.introspection.table_names() if t.startswith("import_stage_")}


def admin_upload(ctx):
    upload = SimpleUploadedFile("orders.csv", CSV, content_type="text/csv")
    form = {"upload": upload, "format": "online-retail"}
    return ctx["dana_client"].post(reverse("admin:customers_importrun_add"), form)


def in_parallel(*actions: Callable[[], Any]) -> list:
    """Run the actions in threads that start together; returns their results (or raised exceptions)."""
    start, results = threading.Barrier(len(actions)), [None] * len(actions)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = actions[index]()
        except Exception as exc:  # noqa: BLE001 - the row asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(tmp_path: Path, *, pool: str = "solo", broker: str | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        # DEBUG off, as production runs workers: Django's debug cursor logs each query's SQL, and with the
        # server-side binding of crm/settings.py it writes that SQL through a new cursor, which fails on a connection
        # PostgreSQL has just dropped and hides the error that dropped it.
        "DEBUG": "0",
        "SECRET_KEY": "a-worker-under-test-signs-nothing-" + "x" * 30,
        "WORKER_LOST_AFTER_SECONDS": str(LOST_AFTER),
        "SCORING_CHUNK_SIZE": "100",
        "MODEL_STORAGE_DIR": str(tmp_path / "models"),
    }
    if broker:
        env["CELERY_BROKER_URL"] = broker
    pool_options = ["--pool=solo"] if pool == "solo" else ["--pool=prefork", "--concurrency=1"]
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", *pool_options, "--without-gossip", "--without-mingle",
         "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=(tmp_path / "worker.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    output = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    state = list(ModelRun.objects.values_list("pk", "status", "stage", "error"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, state, wait_event_type, left(query, 100) FROM pg_stat_activity "
                       "WHERE datname = current_database()")  # fmt: skip
        activity = cursor.fetchall()
    raise AssertionError(f"Timed out waiting for {what}\nruns: {state}\nactivity: {activity}\n{output}")


class TableLock:
    """An ACCESS EXCLUSIVE lock on a table, from a connection of its own: whoever writes to the table waits, so a
    worker can be caught mid-work at a known point."""

    def __init__(self, table: str):
        import psycopg

        db = connection.settings_dict
        self.conn = psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"])
        self.conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        self.table = table

    def waiting_backend(self) -> int | None:
        self.conn.execute("SELECT pg_stat_clear_snapshot()")  # else the transaction sees its first reading
        row = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query ILIKE %s",
            [f"%{self.table}%"],
        ).fetchone()
        return row[0] if row else None

    def terminate(self, pid: int) -> None:
        self.conn.execute("SELECT pg_terminate_backend(%s)", [pid])

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


def pid_of(worker: str) -> int:
    return int(worker.rpartition(":")[2])


def queue_run(family: str) -> ModelRun:
    from insights import tasks

    run = runs.request_run(family, as_of=END)
    tasks.queue_runs([run.pk])
    return run


class RedisServer:
    """A Redis server of this test's own on a free port (6501 upwards): `with RedisServer() as url`, and
    `stop()` / `start()` in between."""

    def __init__(self):
        self.port = next(p for p in range(6501, 6600) if port_is_free(p))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: not port_is_free(self.port), 10, "redis-server to listen")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def __enter__(self) -> str:
        self.start()
        return self.url

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.stop()


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def queued_messages(url: str) -> int:
    import redis

    return redis.Redis.from_url(url).llen("celery")
