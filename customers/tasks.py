"""Celery tasks of the customers app. Thin: each takes primary keys and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from crm import liveness, outbox
from customers import services
from customers.importing.service import fail_lost_imports
from customers.models import ImportRun

# An import whose worker was lost is started again once by its redelivered task; lost again, it fails.
MAX_ATTEMPTS = 2


@shared_task(ignore_result=True)
def import_uploaded_file(run_id: int) -> str:
    """Import an uploaded file. Delivered again (its worker was killed), the import starts again from the file
    (imports are idempotent: only the final merge writes, in one transaction), once; lost twice, it fails. While
    another live process imports it, this waits for that one to end."""
    outcome, run = liveness.take(
        ImportRun,
        run_id,
        queued=ImportRun.Status.QUEUED,
        running=ImportRun.Status.RUNNING,
        max_attempts=MAX_ATTEMPTS,
        claim={"stage": "starting"},
        resume={"stage": "starting again (its worker was lost)", "progress": 0.0, "rows_read": 0},
    )
    if outcome == liveness.ENDED:
        return f"import {run_id} had already ended: {run.status}"
    if outcome == liveness.LOST:
        ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.FAILED,
            error=f"Worker lost: the import was lost with its worker {run.attempts} times; not started again.",
            finished_at=timezone.now(),
        )
        fail_lost_imports()  # drops its staging table
        return f"import {run_id} failed: its worker was lost {run.attempts} times"
    run = services.import_uploaded_file(run_id)
    again = " (started again: its worker was lost)" if outcome == liveness.RESUMED else ""
    return f"import {run_id} {run.status}{again}"


@shared_task(ignore_result=True)
def sweep_lost_imports() -> str:
    """Fail the imports whose worker was lost and drop leftover staging tables (the schedule calls this every
    minute)."""
    return f"failed {fail_lost_imports()} import(s) whose worker was lost"


def queue_import(run_id: int) -> None:
    """Queue the import of an uploaded file, in the transaction that recorded its ImportRun (the outbox sends it
    after commit, or when the broker answers again). Imports whose worker was lost are failed first."""
    fail_lost_imports()
    outbox.enqueue(import_uploaded_file.name, run_id)
