"""Real processes, marked slow: a Celery worker (solo, or a prefork pool) killed with SIGKILL mid-retrain,
mid-import and mid-scoring chunk, and its PostgreSQL connection terminated mid-retrain, each caught at a known
point by a lock on the table it writes."""

from __future__ import annotations

import os
import signal
import time

import pytest

from customers.importing.service import staging_name
from customers.models import ImportRun, Order
from insights import publishing, runs
from insights.models import ChurnScore, CustomerSegment, ModelRun
from tests.faults.processes import (
    END,
    LOST_AFTER,
    Row,
    TableLock,
    active,
    pid_of,
    queue_run,
    staging_tables,
    start_worker,
    table,
    upload_run,
    wait_for,
)


def _worker_killed_mid_retrain(world):
    before = active("segments")
    lock = TableLock("insights_customersegment")
    world["locks"].append(lock)
    run = queue_run("segments")
    worker = start_worker(world["tmp"])
    world["processes"].append(worker)
    wait_for(lock.waiting_backend, 120, "the retrain to reach its rows", world["tmp"] / "worker.log")
    os.kill(pid_of(ModelRun.objects.get(pk=run.pk).worker), signal.SIGKILL)
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
    lock = TableLock("insights_customersegment")
    world["locks"].append(lock)
    run = queue_run("segments")
    worker = start_worker(world["tmp"], pool="prefork")
    world["processes"].append(worker)
    wait_for(lock.waiting_backend, 120, "the retrain to reach its rows", world["tmp"] / "worker.log")
    os.kill(pid_of(ModelRun.objects.get(pk=run.pk).worker), signal.SIGKILL)
    lock.release()
    wait_for(lambda: not ModelRun.objects.filter(pk=run.pk, status__in=ModelRun.IN_FLIGHT).exists(), 180,
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
    lock = TableLock("customers_order")
    world["locks"].append(lock)
    run = upload_run()
    queue_import(run.pk)
    world["processes"].append(start_worker(world["tmp"]))
    wait_for(lock.waiting_backend, 120, "the import to reach the orders", world["tmp"] / "worker.log")
    assert staging_name(run.pk) in staging_tables()
    os.kill(pid_of(ImportRun.objects.get(pk=run.pk).worker), signal.SIGKILL)
    lock.release()
    time.sleep(LOST_AFTER + 0.5)
    from customers.tasks import sweep_lost_imports

    sweep_lost_imports()
    return {"run": run, "orders_before": orders_before}


def _expect_lost_import_failed(world, result):
    run = ImportRun.objects.get(pk=result["run"].pk)
    assert run.status == "failed" and run.error.startswith("Worker lost"), run.error
    assert not staging_tables()
    assert Order.objects.count() == result["orders_before"]


def _worker_killed_mid_chunk(world):
    before = active("churn")
    lock = TableLock("insights_churnscore")
    world["locks"].append(lock)
    run = queue_run("churn")
    world["processes"].append(start_worker(world["tmp"]))
    wait_for(lambda: ModelRun.objects.filter(pk=run.pk, chunks_total__gt=1).exists() and lock.waiting_backend(), 180,
              "a scoring chunk to reach its rows", world["tmp"] / "worker.log")  # fmt: skip
    os.kill(pid_of(ModelRun.objects.get(pk=run.pk).worker), signal.SIGKILL)
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
    before = active("segments")
    lock = TableLock("insights_customersegment")
    world["locks"].append(lock)
    run = queue_run("segments")
    world["processes"].append(start_worker(world["tmp"]))
    backend = wait_for(lock.waiting_backend, 120, "the retrain to reach its rows", world["tmp"] / "worker.log")
    lock.terminate(backend)
    lock.release()
    wait_for(lambda: not ModelRun.objects.filter(pk=run.pk, status__in=ModelRun.IN_FLIGHT).exists(), 60,
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


@table(*REAL_PROCESSES)
@pytest.mark.slow
def test_a_real_worker(row: Row, worker_world):
    row.expect(worker_world, row.act(worker_world))
