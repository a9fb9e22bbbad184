"""Project-wide services: plain functions that pages, the admin, commands and tasks call."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crm.models import WorkerPing


def ping_worker(user=None) -> WorkerPing:
    """Record a ping and queue the task that a worker answers, once the row is committed.

    Returns the new, unanswered ping; poll it (``refresh_from_db``) to see whether a worker picked it up.
    """
    ping = WorkerPing.objects.create(requested_by=user if user is not None and user.is_authenticated else None)
    # Imported here so that crm.services stays importable without touching the Celery app.
    from crm.tasks import answer_ping

    transaction.on_commit(lambda: answer_ping.delay(ping.pk))
    return ping


def answer_ping(ping_id: int, worker: str) -> bool:
    """Mark a ping answered by `worker`. Returns False if the ping is gone or was already answered.

    The claim is one conditional update, so a task delivered twice answers once.
    """
    claimed = WorkerPing.objects.filter(pk=ping_id, answered_at__isnull=True).update(
        answered_at=timezone.now(), worker=worker[:255]
    )
    return claimed == 1
