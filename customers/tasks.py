"""Celery tasks of the customers app. Thin: each takes primary keys and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from customers import services
from customers.models import ImportRun


@shared_task(ignore_result=True)
def import_uploaded_file(run_id: int) -> str:
    """Import an uploaded file; a run already started (say, a redelivered task) is left alone."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING, stage="starting"
    )
    if not claimed:
        return f"import {run_id} is not queued; skipped"
    run = services.import_uploaded_file(run_id)
    return f"import {run_id} {run.status}"


def queue_import(run_id: int) -> None:
    """Queue the import of an uploaded file once the transaction that recorded its ImportRun commits."""
    transaction.on_commit(lambda: import_uploaded_file.delay(run_id))
