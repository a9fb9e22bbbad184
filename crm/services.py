"""Project-wide services: plain functions that pages, the admin, commands and tasks call."""

from __future__ import annotations

from django.utils import timezone

from crm.models import WorkerPing


def record_ping(user=None) -> WorkerPing:
    """Record a ping for a worker to answer; the caller queues it with ``crm.tasks.queue_ping(ping.pk)``.

    Returns the new, unanswered ping; poll it (``refresh_from_db``) to see whether a worker picked it up.
    """
    return WorkerPing.objects.create(requested_by=user if user is not None and user.is_authenticated else None)


def answer_ping(ping_id: int, worker: str) -> bool:
    """Mark a ping answered by `worker`. Returns False if the ping is gone or was already answered.

    The claim is one conditional update, so a task delivered twice answers once.
    """
    claimed = WorkerPing.objects.filter(pk=ping_id, answered_at__isnull=True).update(
        answered_at=timezone.now(), worker=worker[:255]
    )
    return claimed == 1
