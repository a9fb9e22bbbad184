"""Lost work, in this process: the sweep that fails runs and imports whose worker stopped beating, and tasks
delivered again (resumed once, failed the second time, a scoring chunk counted once)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from crm.models import OutboxMessage
from customers.importing.service import staging_name
from customers.models import Customer, ImportRun, Order
from insights import publishing, runs
from insights.models import CustomerSegment, CustomerValue, ModelRun
from tests.faults.processes import (
    END,
    Row,
    active,
    dead_worker,
    running,
    staging_tables,
    table,
    upload_run,
)


def _sweep_a_silent_run(settings):
    before = active("segments")
    lost = running("segments", worker="elsewhere:1", heartbeat_age=settings.WORKER_LOST_AFTER_SECONDS + 5)
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
    alive = running("segments", worker="elsewhere:1", heartbeat_age=1)
    from insights import tasks

    return {"answer": tasks.sweep_lost_runs(), "run": alive}


def _expect_left_alone(result, settings):
    assert result["answer"] == "failed 0 run(s) whose worker was lost"
    assert ModelRun.objects.get(pk=result["run"].pk).status == "running"
    with pytest.raises(runs.AlreadyRunning):
        runs.request_run("segments", as_of=END)


def _retrain_after_a_lost_worker(settings):
    lost = running("segments", worker="elsewhere:1", heartbeat_age=settings.WORKER_LOST_AFTER_SECONDS + 5)
    call_command("retrain", family="segments", as_of=END, verbosity=0)
    return {"lost": lost}


def _expect_new_run_started(result, settings):
    assert ModelRun.objects.get(pk=result["lost"].pk).status == "failed"
    assert ModelRun.objects.filter(family="segments", status="queued").count() == 1
    assert OutboxMessage.objects.filter(task="insights.tasks.train").count() == 1


def _redelivered_train_of_a_dead_worker(settings):
    run = running("segments", worker=dead_worker(), heartbeat_age=1)
    from insights import tasks

    return {"answer": tasks.train(run.pk), "run": run}


def _expect_resumed(result, settings):
    run = ModelRun.objects.get(pk=result["run"].pk)
    assert run.status in ("succeeded", "held"), run.error
    assert run.attempts == 2 and run.progress == 1.0
    assert CustomerSegment.objects.filter(run=run).count() == run.data_counts["customers"]


def _redelivered_train_lost_twice(settings):
    run = running("segments", worker=dead_worker(), heartbeat_age=1, attempts=2)
    from insights import tasks

    return {"answer": tasks.train(run.pk), "run": run}


def _expect_failed_not_resumed(result, settings):
    run = ModelRun.objects.get(pk=result["run"].pk)
    assert run.status == "failed" and "lost 2 times" in run.error
    assert "failed" in result["answer"]
    assert runs.request_run("segments", as_of=END).status == "queued"


def _redelivered_import_of_a_dead_worker(settings):
    run = upload_run()
    ImportRun.objects.filter(pk=run.pk).update(
        status="running", worker=dead_worker(), heartbeat_at=timezone.now(), attempts=1
    )
    from customers.tasks import import_uploaded_file

    orders_before = Order.objects.count()
    return {"answer": import_uploaded_file(run.pk), "run": run, "orders_before": orders_before}


def _expect_import_resumed(result, settings):
    run = ImportRun.objects.get(pk=result["run"].pk)
    assert result["answer"] == f"import {run.pk} succeeded (started again: its worker was lost)"
    assert run.status == "succeeded" and run.attempts == 2
    assert Order.objects.count() == result["orders_before"] + 300
    assert not staging_tables()


def _sweep_a_silent_import(settings):
    run = upload_run()
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
    assert staging_name(run.pk) not in staging_tables()
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


@table(*LOST_WORK)
def test_lost_work(row: Row, demo, settings):
    settings.WORKER_LOST_AFTER_SECONDS = 60
    row.expect(row.act(settings), settings)
