"""Faults of processes and the broker, as tables: each row a fault, the answer expected, and a check that what is
stored is unchanged or complete. Rows that need real processes (a Celery worker killed with SIGKILL, a Redis
server stopped and started again, a PostgreSQL backend terminated) run them for real and are marked slow.

Counts: see ROWS at the end of this module (the README's table of the fault suite quotes them)."""

from __future__ import annotations

import datetime as dt
import errno
import os
import signal
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
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm import outbox
from crm.models import OutboxMessage, WorkerPing
from customers.importing.service import staging_name
from customers.models import Customer, ImportRun, Interaction, Order
from insights import publishing, runs
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
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


def _table(*rows: Row):
    return pytest.mark.parametrize("row", rows, ids=[row.name for row in rows])


# Shared set-ups ------------------------------------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("seed_demo", customers=150, seed=3, end=END.isoformat(), no_logins=True, verbosity=0)


def _active(family: str) -> ModelRun:
    """A published run of `family` with no rows: the one a failed or lost run must leave in place."""
    return ModelRun.objects.create(family=family, status="succeeded", is_active=True, as_of=END, winner="baseline")


def _running(family: str, *, worker: str, heartbeat_age: float, attempts: int = 1) -> ModelRun:
    run = runs.request_run(family, as_of=END)
    ModelRun.objects.filter(pk=run.pk).update(
        status="running",
        started_at=timezone.now() - dt.timedelta(seconds=heartbeat_age),
        heartbeat_at=timezone.now() - dt.timedelta(seconds=heartbeat_age),
        worker=worker,
        attempts=attempts,
    )
    return ModelRun.objects.get(pk=run.pk)


def _dead_worker() -> str:
    """host:pid of a process of this host that no longer exists."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


def _upload_run(name: str = "orders.csv") -> ImportRun:
    run = ImportRun(format="online-retail", file_name=name)
    run.upload.save(name, SimpleUploadedFile(name, CSV), save=False)
    run.save()
    return run


def _staging_tables() -> set[str]:
    return {t for t in connection.introspection.table_names() if t.startswith("import_stage_")}


# Lost work: the sweep and redelivered tasks (in this process) --------------------------------------------------------


def _sweep_a_silent_run(settings):
    before = _active("segments")
    lost = _running("segments", worker="elsewhere:1", heartbeat_age=settings.WORKER_LOST_AFTER_SECONDS + 5)
    customer = Customer.objects.first()
    CustomerSegment.objects.create(run=lost, customer=customer, cluster=0, segment="x", rfm_r=1, rfm_f=1, rfm_m=1,
                                   rfm_segment="x")  # fmt: skip
    from insights import tasks

    return {"answer": tasks.sweep_lost_runs(), "lost": lost, "before": before}


def _expect_swept(result, settings):
    lost = ModelRun.objects.get(pk=result["lost"].pk)
    assert result["answer"] == "failed 1 run(s) whose worker was lost"
    assert lost.status == "failed" and lost.error.startswith("Worker lost")
    assert not CustomerSegment.objects.filter(run=lost).exists()  # its partial rows are gone
    assert publishing.active_run_id("segments") == result["before"].pk  # the published run stays
    assert runs.request_run("segments", as_of=END).status == "queued"  # the family is free


def _beating_run_is_left_alone(settings):
    alive = _running("segments", worker="elsewhere:1", heartbeat_age=1)
    from insights import tasks

    return {"answer": tasks.sweep_lost_runs(), "run": alive}


def _expect_left_alone(result, settings):
    assert result["answer"] == "failed 0 run(s) whose worker was lost"
    assert ModelRun.objects.get(pk=result["run"].pk).status == "running"
    with pytest.raises(runs.AlreadyRunning):
        runs.request_run("segments", as_of=END)


def _retrain_after_a_lost_worker(settings):
    lost = _running("segments", worker="elsewhere:1", heartbeat_age=settings.WORKER_LOST_AFTER_SECONDS + 5)
    call_command("retrain", family="segments", as_of=END, verbosity=0)
    return {"lost": lost}


def _expect_new_run_started(result, settings):
    assert ModelRun.objects.get(pk=result["lost"].pk).status == "failed"
    assert ModelRun.objects.filter(family="segments", status="queued").count() == 1
    assert OutboxMessage.objects.filter(task="insights.tasks.train").count() == 1


def _redelivered_train_of_a_dead_worker(settings):
    run = _running("segments", worker=_dead_worker(), heartbeat_age=1)
    from insights import tasks

    return {"answer": tasks.train(run.pk), "run": run}


def _expect_resumed(result, settings):
    run = ModelRun.objects.get(pk=result["run"].pk)
    assert run.status in ("succeeded", "held"), run.error
    assert run.attempts == 2 and run.progress == 1.0
    assert CustomerSegment.objects.filter(run=run).count() == run.data_counts["customers"]


def _redelivered_train_lost_twice(settings):
    run = _running("segments", worker=_dead_worker(), heartbeat_age=1, attempts=2)
    from insights import tasks

    return {"answer": tasks.train(run.pk), "run": run}


def _expect_failed_not_resumed(result, settings):
    run = ModelRun.objects.get(pk=result["run"].pk)
    assert run.status == "failed" and "lost 2 times" in run.error
    assert "failed" in result["answer"]
    assert runs.request_run("segments", as_of=END).status == "queued"


def _redelivered_import_of_a_dead_worker(settings):
    run = _upload_run()
    ImportRun.objects.filter(pk=run.pk).update(
        status="running", worker=_dead_worker(), heartbeat_at=timezone.now(), attempts=1
    )
    from customers.tasks import import_uploaded_file

    orders_before = Order.objects.count()
    return {"answer": import_uploaded_file(run.pk), "run": run, "orders_before": orders_before}


def _expect_import_resumed(result, settings):
    run = ImportRun.objects.get(pk=result["run"].pk)
    assert result["answer"] == f"import {run.pk} succeeded (started again: its worker was lost)"
    assert run.status == "succeeded" and run.attempts == 2
    assert Order.objects.count() == result["orders_before"] + 300
    assert not _staging_tables()


def _sweep_a_silent_import(settings):
    run = _upload_run()
    ImportRun.objects.filter(pk=run.pk).update(
        status="running", worker="elsewhere:1", heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {staging_name(run.pk)} (line integer)")
    from customers.tasks import sweep_lost_imports

    return {"answer": sweep_lost_imports(), "run": run, "orders_before": Order.objects.count()}


def _expect_import_swept(result, settings):
    run = ImportRun.objects.get(pk=result["run"].pk)
    assert result["answer"] == "failed 1 import(s) whose worker was lost"
    assert run.status == "failed" and run.error.startswith("Worker lost")
    assert staging_name(run.pk) not in _staging_tables()
    assert Order.objects.count() == result["orders_before"]


def _a_chunk_delivered_twice(settings):
    settings.SCORING_CHUNK_SIZE = 100
    run = runs.execute_run(runs.request_run("value", as_of=END).pk)
    first, last = run.chunk_ranges[0]
    answers = [runs.run_chunk(run.pk, first, last, run.attempts), runs.run_chunk(run.pk, first, last, run.attempts)]
    for first, last in run.chunk_ranges[1:]:
        answers.append(runs.run_chunk(run.pk, first, last, run.attempts))
    return {"answers": answers, "run": run}


def _expect_counted_once(result, settings):
    run = ModelRun.objects.get(pk=result["run"].pk)
    assert "already scored" in result["answers"][1]
    assert run.status in ("succeeded", "held"), run.error
    assert run.chunks_done == run.chunks_total == len(run.chunk_ranges) >= 2
    assert CustomerValue.objects.filter(run=run).count() == run.data_counts["customers"]


LOST_WORK = (
    Row("a run silent for longer than the limit is failed by the sweep", _sweep_a_silent_run, _expect_swept),
    Row("a run that beats is left to its worker", _beating_run_is_left_alone, _expect_left_alone),
    Row("retrain after a lost worker starts a new run", _retrain_after_a_lost_worker, _expect_new_run_started),
    Row("a redelivered train task of a dead worker resumes the run", _redelivered_train_of_a_dead_worker,
        _expect_resumed),
    Row("a redelivered train task of a run lost twice fails it", _redelivered_train_lost_twice,
        _expect_failed_not_resumed),
    Row("a redelivered import task of a dead worker resumes the import", _redelivered_import_of_a_dead_worker,
        _expect_import_resumed),
    Row("an import silent for longer than the limit is failed and its staging table dropped",
        _sweep_a_silent_import, _expect_import_swept),
    Row("a scoring chunk delivered twice is counted once", _a_chunk_delivered_twice, _expect_counted_once),
)  # fmt: skip


@_table(*LOST_WORK)
def test_lost_work(row: Row, demo, settings):
    settings.WORKER_LOST_AFTER_SECONDS = 60
    row.expect(row.act(settings), settings)


# The broker down: every action that queues work answers as usual ----------------------------------------------------


@pytest.fixture
def broker_down(settings, monkeypatch):
    """The broker is a port nothing listens on (what a stopped Redis looks like), for the Celery app itself (its
    connections are closed, and made again from the environment) and for the outbox."""
    from celery import current_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{port}/0")
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    current_app.close()
    outbox._refused_at = None
    yield
    monkeypatch.undo()
    current_app.close()
    outbox._refused_at = None


def _customer_of(user) -> Customer:
    from tests.factories import CustomerFactory

    return CustomerFactory(owner=user, profiling_consent=True, marketing_consent=False)


def _with_active_value_run(customer: Customer) -> ModelRun:
    run = _active("value")
    CustomerValue.objects.create(run=run, customer=customer, p_alive=0.5, expected_purchases_90d=1,
                                 expected_purchases_365d=2, expected_order_value=10, clv_12m=20)  # fmt: skip
    return run


def _retrain_now(ctx):
    return ctx["dana_client"].post(reverse("admin:insights_modelrun_retrain"), {"family": "segments"})


def _expect_retrain_waits(ctx, response):
    run = ModelRun.objects.get(family="segments")
    assert response["Location"] == reverse("admin:insights_modelrun_change", args=[run.pk])
    assert run.status == "queued"
    waiting = list(OutboxMessage.objects.values_list("task", "args", "sent_at"))
    assert waiting == [("insights.tasks.train", [run.pk], None)]
    page = ctx["dana_client"].get(response["Location"])
    assert b"Waiting for the background worker" in page.content


def _admin_upload(ctx):
    upload = SimpleUploadedFile("orders.csv", CSV, content_type="text/csv")
    form = {"upload": upload, "format": "online-retail"}
    return ctx["dana_client"].post(reverse("admin:customers_importrun_add"), form)


def _expect_import_waits(ctx, response):
    run = ImportRun.objects.get()
    assert run.status == "queued"
    assert OutboxMessage.objects.get().task == "customers.tasks.import_uploaded_file"
    page = ctx["dana_client"].get(response["Location"])
    assert b"Waiting for the background worker" in page.content


def _log_a_call(ctx):
    customer = _customer_of(ctx["alice"])
    _with_active_value_run(customer)
    ctx["customer"] = customer
    form = {"kind": "call", "direction": "outbound", "subject": "Checked in", "body": "",
            "occurred_at": "2026-12-01T10:00"}  # fmt: skip
    return ctx["alice_client"].post(reverse("customers:log_interaction", args=[customer.pk]), form)


def _expect_call_logged_once(ctx, response):
    assert Interaction.objects.filter(customer=ctx["customer"]).count() == 1
    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.sent_at) == ("insights.tasks.rescore_customer", [ctx["customer"].pk],
                                                             None)  # fmt: skip
    assert message.attempts == 1 and "OperationalError" in message.last_error


def _check_the_worker(ctx):
    return ctx["dana_client"].post(reverse("admin:crm_workerping_check"))


def _expect_ping_waits(ctx, response):
    ping = WorkerPing.objects.get()
    assert not ping.is_answered
    assert OutboxMessage.objects.get().args == [ping.pk]
    page = ctx["dana_client"].get(response["Location"])
    assert b"Waiting for the background worker" in page.content


def _withdraw_consent(ctx):
    customer = _customer_of(ctx["alice"])
    ctx["customer"], ctx["run"] = customer, _with_active_value_run(customer)
    return ctx["alice_client"].post(reverse("customers:change_consent", args=[customer.pk]), {})


def _expect_scores_removed_at_once(ctx, response):
    assert not Customer.objects.get(pk=ctx["customer"].pk).profiling_consent
    assert not CustomerValue.objects.filter(customer=ctx["customer"]).exists()  # in the request, not by a task
    assert not OutboxMessage.objects.exists()


def _give_consent_again(ctx):
    customer = _customer_of(ctx["alice"])
    _with_active_value_run(customer)
    Customer.objects.filter(pk=customer.pk).update(profiling_consent=False)
    ctx["customer"] = customer
    url = reverse("customers:change_consent", args=[customer.pk])
    return ctx["alice_client"].post(url, {"profiling_consent": "on"})


def _expect_rescore_waits(ctx, response):
    assert Customer.objects.get(pk=ctx["customer"].pk).profiling_consent
    assert OutboxMessage.objects.get().task == "insights.tasks.rescore_customer"


BROKER_DOWN = (
    Row("Retrain now", _retrain_now, _expect_retrain_waits),
    Row("an admin upload", _admin_upload, _expect_import_waits),
    Row("Log a call", _log_a_call, _expect_call_logged_once),
    Row("Check the background worker", _check_the_worker, _expect_ping_waits),
    Row("withdrawing profiling consent", _withdraw_consent, _expect_scores_removed_at_once),
    Row("giving profiling consent again", _give_consent_again, _expect_rescore_waits),
)


@_table(*BROKER_DOWN)
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down(row: Row, broker_down, alice, alice_client, dana, dana_client):
    ctx = {"alice": alice, "alice_client": alice_client, "dana_client": dana_client}
    response = row.act(ctx)
    assert response.status_code == 302, response.content[:500]
    row.expect(ctx, response)


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_send_each_message_once(broker_down, settings):
    """The claim: messages are locked while one relay sends them; the other skips them."""
    for pk in range(20):
        outbox.enqueue("crm.tasks.answer_ping", pk)
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 20
    with _redis_server() as url:
        settings.CELERY_BROKER_URL = url
        outbox._refused_at = None
        _in_parallel(lambda: outbox.relay(limit=3), lambda: outbox.relay(limit=3))
        assert _queued_messages(url) == 20
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


# Concurrency and storage ---------------------------------------------------------------------------------------------


def _in_parallel(*actions: Callable[[], Any]) -> list:
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


def _double_retrain(ctx):
    clients = [ctx["dana_client"], ctx["other_admin_client"]]
    return _in_parallel(*(lambda c=c: c.post(reverse("admin:insights_modelrun_retrain"), {"family": "churn"})
                          for c in clients))  # fmt: skip


def _expect_one_run(ctx, answers):
    assert [a.status_code for a in answers] == [302, 302], answers
    assert ModelRun.objects.filter(family="churn").count() == 1
    assert OutboxMessage.objects.filter(task="insights.tasks.train").count() == 1


def _double_import(ctx):
    _admin_upload(ctx)
    _admin_upload(ctx)
    from customers.tasks import import_uploaded_file

    ids = ImportRun.objects.values_list("pk", flat=True)
    return _in_parallel(*(lambda pk=pk: import_uploaded_file(pk) for pk in ids))


def _expect_imported_once(ctx, answers):
    assert all(isinstance(a, str) and a.endswith("succeeded") for a in answers), answers
    assert Order.objects.count() == 300
    assert not _staging_tables()


def _two_reactivations(ctx):
    first, second = (
        ModelRun.objects.create(family="segments", status="superseded", as_of=END, winner="model") for _ in range(2)
    )
    ctx["runs"] = {first.pk, second.pk}
    url = reverse("admin:insights_modelrun_changelist")
    pairs = [(ctx["dana_client"], first.pk), (ctx["other_admin_client"], second.pk)]
    return _in_parallel(*(lambda c=c, pk=pk: c.post(url, {"action": "reactivate", "_selected_action": [pk]})
                          for c, pk in pairs))  # fmt: skip


def _expect_one_active(ctx, answers):
    assert [a.status_code for a in answers] == [302, 302], answers
    active = list(ModelRun.objects.filter(family="segments", is_active=True).values_list("pk", flat=True))
    assert len(active) == 1 and active[0] in ctx["runs"]


CONCURRENT = (
    Row("a double-submitted retrain", _double_retrain, _expect_one_run),
    Row("a double-submitted import", _double_import, _expect_imported_once),
    Row("two admins re-activating runs at once", _two_reactivations, _expect_one_active),
)


@_table(*CONCURRENT)
@pytest.mark.django_db(transaction=True)
def test_at_the_same_time(row: Row, dana, dana_client, broker_down):
    from crm import roles
    from tests.conftest import _client_for, _member

    other = _member("erin", roles.ADMIN, is_staff=True)
    ctx = {"dana_client": dana_client, "other_admin_client": _client_for(other)}
    row.expect(ctx, row.act(ctx))


class _FullDisk(FileSystemStorage):
    def _save(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")


def _unwritable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("models cannot go under a file")
    return FileSystemStorage(location=blocker / "models")


STORAGE = (
    Row("an unwritable model storage", _unwritable, lambda error: "NotADirectoryError" in error),
    Row("a full disk", lambda tmp_path: _FullDisk(location=tmp_path / "full"), lambda error: "No space left" in error),
)


@_table(*STORAGE)
def test_a_model_storage_that_fails(row: Row, demo, tmp_path):
    before = _active("segments")
    field = ModelRun._meta.get_field("artifact")
    original, field.storage = field.storage, row.act(tmp_path)
    try:
        run = runs.execute_run(runs.request_run("segments", as_of=END).pk)
    finally:
        field.storage = original
    assert run.status == "failed" and row.expect(run.error), run.error
    assert not run.artifact_sha256 and not CustomerSegment.objects.filter(run=run).exists()
    assert publishing.active_run_id("segments") == before.pk
    assert runs.request_run("segments", as_of=END).status == "queued"


# Commands ------------------------------------------------------------------------------------------------------------


def _command_error(*args, **options) -> str:
    with pytest.raises(CommandError) as raised:
        call_command(*args, **options)
    return str(raised.value)


def _expect_one_line_naming_dates(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert "as-of" in message and "2025-" in message, message


COMMANDS = (
    Row("evaluate demand too close to the end of the data",
        lambda: _command_error("evaluate", family="demand", as_of=END - dt.timedelta(days=20)),
        _expect_one_line_naming_dates),
    Row("evaluate before the first order",
        lambda: _command_error("evaluate", family="recommendations", as_of=dt.date(2000, 1, 1)),
        _expect_one_line_naming_dates),
    Row("evaluate after the last order",
        lambda: _command_error("evaluate", family="value", as_of=dt.date(2030, 1, 1)),
        _expect_one_line_naming_dates),
    Row("retrain of a family that cannot learn from the data",
        lambda: _command_error("retrain", family="churn", in_process=True, as_of=dt.date(2023, 1, 1)),
        _expect_one_line_naming_dates),
)  # fmt: skip


@_table(*COMMANDS)
def test_a_command_error_is_one_line_naming_the_possible_dates(row: Row, demo):
    row.expect(row.act())
    assert not ModelRun.objects.filter(status__in=ModelRun.IN_FLIGHT).exists()


def test_a_retrain_on_data_that_ended_long_ago_stores_no_nan(demo):
    """No --as-of: today, long after the demo data ends."""
    call_command("retrain", family="value", in_process=True, verbosity=0)
    run = ModelRun.objects.get(family="value")
    assert run.status in ("succeeded", "held"), run.error
    with connection.cursor() as cursor:
        cursor.execute("SELECT metrics::text, baseline::text FROM insights_modelrun WHERE id = %s", [run.pk])
        assert "NaN" not in " ".join(cursor.fetchone())


def test_retrain_exits_non_zero_when_it_started_no_run(demo):
    alive = _running("segments", worker="elsewhere:1", heartbeat_age=1)
    message = _command_error("retrain", family="segments", as_of=END)
    assert "not started" in message and "\n" not in message
    assert list(ModelRun.objects.values_list("pk", flat=True)) == [alive.pk]


# Real processes: a Celery worker, a Redis server, PostgreSQL backends ------------------------------------------------


def _test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _start_worker(tmp_path: Path, *, pool: str = "solo", broker: str | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DEBUG": "1",
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


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_for(condition: Callable[[], Any], timeout: float, what: str, log: Path | None = None):
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


class _TableLock:
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


def _pid(worker: str) -> int:
    return int(worker.rpartition(":")[2])


@pytest.fixture
def worker_world(transactional_db, tmp_path, settings):
    """Demo data committed for a worker process, the broker emptied, the lost-worker limit short."""
    from crm.celery import app

    call_command("seed_demo", customers=150, seed=3, end=END.isoformat(), no_logins=True, verbosity=0)
    app.control.purge()
    settings.WORKER_LOST_AFTER_SECONDS = LOST_AFTER
    processes, locks = [], []
    yield {"tmp": tmp_path, "processes": processes, "locks": locks}
    for lock in locks:
        lock.release()
    for process in processes:
        _stop(process)


def _queue(family: str) -> ModelRun:
    from insights import tasks

    run = runs.request_run(family, as_of=END)
    tasks.queue_runs([run.pk])
    return run


def _worker_killed_mid_retrain(world):
    before = _active("segments")
    lock = _TableLock("insights_customersegment")
    world["locks"].append(lock)
    run = _queue("segments")
    worker = _start_worker(world["tmp"])
    world["processes"].append(worker)
    _wait_for(lock.waiting_backend, 120, "the retrain to reach its rows", world["tmp"] / "worker.log")
    os.kill(_pid(ModelRun.objects.get(pk=run.pk).worker), signal.SIGKILL)
    worker.wait(10)
    lock.release()
    time.sleep(LOST_AFTER + 0.5)
    from insights import tasks

    tasks.sweep_lost_runs()
    return {"run": run, "before": before}


def _expect_lost_run_failed(world, result):
    run = ModelRun.objects.get(pk=result["run"].pk)
    assert run.status == "failed" and run.error.startswith("Worker lost"), run.error
    assert not CustomerSegment.objects.filter(run=run).exists()
    assert publishing.active_run_id("segments") == result["before"].pk
    assert runs.request_run("segments", as_of=END).status == "queued"


def _pool_process_killed_mid_retrain(world):
    lock = _TableLock("insights_customersegment")
    world["locks"].append(lock)
    run = _queue("segments")
    worker = _start_worker(world["tmp"], pool="prefork")
    world["processes"].append(worker)
    _wait_for(lock.waiting_backend, 120, "the retrain to reach its rows", world["tmp"] / "worker.log")
    os.kill(_pid(ModelRun.objects.get(pk=run.pk).worker), signal.SIGKILL)
    lock.release()
    _wait_for(lambda: not ModelRun.objects.filter(pk=run.pk, status__in=ModelRun.IN_FLIGHT).exists(), 180,
              "the redelivered task to end the run", world["tmp"] / "worker.log")  # fmt: skip
    return {"run": run}


def _expect_resumed_once(world, result):
    run = ModelRun.objects.get(pk=result["run"].pk)
    assert run.status == "succeeded" and run.is_active, run.error
    assert run.attempts == 2
    assert CustomerSegment.objects.filter(run=run).count() == run.data_counts["customers"]


def _worker_killed_mid_import(world):
    from customers.tasks import queue_import

    orders_before = Order.objects.count()
    lock = _TableLock("customers_order")
    world["locks"].append(lock)
    run = _upload_run()
    queue_import(run.pk)
    world["processes"].append(_start_worker(world["tmp"]))
    _wait_for(lock.waiting_backend, 120, "the import to reach the orders", world["tmp"] / "worker.log")
    assert staging_name(run.pk) in _staging_tables()
    os.kill(_pid(ImportRun.objects.get(pk=run.pk).worker), signal.SIGKILL)
    lock.release()
    time.sleep(LOST_AFTER + 0.5)
    from customers.tasks import sweep_lost_imports

    sweep_lost_imports()
    return {"run": run, "orders_before": orders_before}


def _expect_lost_import_failed(world, result):
    run = ImportRun.objects.get(pk=result["run"].pk)
    assert run.status == "failed" and run.error.startswith("Worker lost"), run.error
    assert not _staging_tables()
    assert Order.objects.count() == result["orders_before"]


def _worker_killed_mid_chunk(world):
    before = _active("churn")
    lock = _TableLock("insights_churnscore")
    world["locks"].append(lock)
    run = _queue("churn")
    world["processes"].append(_start_worker(world["tmp"]))
    _wait_for(lambda: ModelRun.objects.filter(pk=run.pk, chunks_total__gt=1).exists() and lock.waiting_backend(), 180,
              "a scoring chunk to reach its rows", world["tmp"] / "worker.log")  # fmt: skip
    os.kill(_pid(ModelRun.objects.get(pk=run.pk).worker), signal.SIGKILL)
    lock.release()
    time.sleep(LOST_AFTER + 0.5)
    from insights import tasks

    tasks.sweep_lost_runs()
    return {"run": run, "before": before}


def _expect_lost_chunked_run_failed(world, result):
    run = ModelRun.objects.get(pk=result["run"].pk)
    assert run.status == "failed" and run.error.startswith("Worker lost"), run.error
    assert not ChurnScore.objects.filter(run=run).exists()
    assert publishing.active_run_id("churn") == result["before"].pk


def _connection_terminated_mid_retrain(world):
    before = _active("segments")
    lock = _TableLock("insights_customersegment")
    world["locks"].append(lock)
    run = _queue("segments")
    world["processes"].append(_start_worker(world["tmp"]))
    backend = _wait_for(lock.waiting_backend, 120, "the retrain to reach its rows", world["tmp"] / "worker.log")
    lock.terminate(backend)
    lock.release()
    _wait_for(lambda: not ModelRun.objects.filter(pk=run.pk, status__in=ModelRun.IN_FLIGHT).exists(), 60,
              "the run to record its failure", world["tmp"] / "worker.log")  # fmt: skip
    return {"run": run, "before": before}


def _expect_failed_cleanly(world, result):
    run = ModelRun.objects.get(pk=result["run"].pk)
    assert run.status == "failed" and "terminat" in run.error, run.error
    assert not CustomerSegment.objects.filter(run=run).exists()
    assert publishing.active_run_id("segments") == result["before"].pk
    assert runs.request_run("segments", as_of=END).status == "queued"


REAL_PROCESSES = (
    Row("worker SIGKILL mid-retrain", _worker_killed_mid_retrain, _expect_lost_run_failed),
    Row("pool process SIGKILL mid-retrain: redelivered and resumed", _pool_process_killed_mid_retrain,
        _expect_resumed_once),
    Row("worker SIGKILL mid-import", _worker_killed_mid_import, _expect_lost_import_failed),
    Row("worker SIGKILL mid-scoring chunk", _worker_killed_mid_chunk, _expect_lost_chunked_run_failed),
    Row("PostgreSQL connection terminated mid-retrain", _connection_terminated_mid_retrain, _expect_failed_cleanly),
)  # fmt: skip


@_table(*REAL_PROCESSES)
@pytest.mark.slow
def test_a_real_worker(row: Row, worker_world):
    row.expect(worker_world, row.act(worker_world))


class _redis_server:
    """A Redis server of this test's own on a free port (6501 upwards): `with _redis_server() as url`, and
    `stop()` / `start()` in between."""

    def __init__(self):
        self.port = next(p for p in range(6501, 6600) if _port_is_free(p))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        _wait_for(lambda: not _port_is_free(self.port), 10, "redis-server to listen")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def __enter__(self) -> str:
        self.start()
        return self.url

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.stop()


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _queued_messages(url: str) -> int:
    import redis

    return redis.Redis.from_url(url).llen("celery")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_work_queued_while_the_broker_is_down_proceeds_once_it_is_back(dana_client, tmp_path, settings, monkeypatch):
    from celery import current_app

    call_command("seed_demo", customers=150, seed=3, end=END.isoformat(), no_logins=True, verbosity=0)
    server = _redis_server()
    server.start()
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)  # the Celery app's own broker, made again from it
    settings.CELERY_BROKER_URL = server.url
    current_app.close()
    outbox._refused_at = None
    worker = None
    try:
        server.stop()  # the broker goes down
        answers = [
            dana_client.post(reverse("admin:insights_modelrun_retrain"), {"family": "segments"}),
            dana_client.post(reverse("admin:crm_workerping_check")),
            _admin_upload({"dana_client": dana_client}),
        ]
        assert [a.status_code for a in answers] == [302, 302, 302]
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 3
        server.start()  # and comes back, empty
        worker = _start_worker(tmp_path, broker=server.url)  # relays what waits as it starts
        _wait_for(lambda: not ModelRun.objects.filter(status__in=ModelRun.IN_FLIGHT).exists()
                  and not ImportRun.objects.filter(status__in=["queued", "running"]).exists()
                  and WorkerPing.objects.filter(answered_at__isnull=False).exists(), 180,
                  "the queued work to be done", tmp_path / "worker.log")  # fmt: skip
        assert outbox.relay() == 0  # nothing is sent twice
        assert _queued_messages(server.url) == 0
    finally:
        if worker:
            _stop(worker)
        monkeypatch.undo()
        current_app.close()
        outbox._refused_at = None
        server.__exit__()
    run = ModelRun.objects.get()
    assert run.status == "succeeded" and run.attempts == 1, run.error
    assert ImportRun.objects.get().status == "succeeded" and Order.objects.filter(external_number="500000").exists()
    assert OutboxMessage.objects.filter(sent_at__isnull=False).count() == 3


ROWS = {
    "lost work": len(LOST_WORK),
    "broker down": len(BROKER_DOWN) + 1,  # + two relays at once
    "at the same time": len(CONCURRENT),
    "model storage": len(STORAGE),
    "commands": len(COMMANDS) + 2,  # + no NaN, + exits non-zero
    "real processes (slow)": len(REAL_PROCESSES) + 1,  # + the broker down then back
}
