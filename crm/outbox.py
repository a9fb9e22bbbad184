"""Work queued through the database (a transactional outbox), so that a broker outage delays it and never loses it.

    enqueue("insights.tasks.train", run.pk)   # the `queue_*` helpers: a row, in the caller's transaction
    relay()                                    # send what waits to the broker, each message once

`enqueue` writes an OutboxMessage in the same transaction as the change that needs the task and asks for a relay
once that transaction commits. The relay claims waiting rows under a row lock that other relays skip
(`select_for_update(skip_locked=True)`; on SQLite its write transactions are serialised anyway), sends each with a
connection of its own that gives up within seconds, and marks it sent in the same transaction. When the broker
does not answer, the rows stay waiting, with the error, and the request that queued them answers as usual. They
are relayed later by the next request's relay, by each worker as it starts, and by the `relay_outbox` task every
minute (beat).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import OutboxMessage

log = logging.getLogger(__name__)

BATCH = 200
# After the broker refused a send, relays after a commit wait this long before trying it again, so that requests
# do not each wait on a broker that is down (the periodic relay and starting workers always try).
BACKOFF_SECONDS = 10.0
_refused_at: float | None = None
# Queued work that no worker has started for this long (the broker took it) says so: is a worker running?
WORKER_PATIENCE = dt.timedelta(minutes=1)


def enqueue(task: str, *args, **kwargs) -> OutboxMessage:
    """Record task `task` with JSON arguments, in the current transaction; it is sent once the transaction commits
    (at once in autocommit), or later if the broker is away."""
    message = OutboxMessage.objects.create(task=task, args=list(args), kwargs=kwargs)
    transaction.on_commit(relay_after_commit, robust=True)
    return message


def enqueue_many(calls: list[tuple[str, tuple]]) -> list[OutboxMessage]:
    """Record several tasks, each (name, args), in the current transaction, with one relay after it commits."""
    messages = OutboxMessage.objects.bulk_create(OutboxMessage(task=task, args=list(args)) for task, args in calls)
    if messages:
        transaction.on_commit(relay_after_commit, robust=True)
    return messages


def relay_after_commit() -> None:
    """The relay a committed transaction asks for; skipped for a few seconds after the broker refused one."""
    if _refused_at is not None and time.monotonic() - _refused_at < BACKOFF_SECONDS:
        return
    relay()


def relay(limit: int = BATCH) -> int:
    """Send waiting messages to the broker, oldest first, each once; returns how many were sent. Never raises: a
    broker or database that does not answer leaves the messages waiting for the next relay."""
    global _refused_at
    sent = 0
    try:
        while True:
            batch, refused = _relay_batch(limit)
            sent += batch
            if refused:
                _refused_at = time.monotonic()
                break
            _refused_at = None
            if batch < limit:
                break
    except Exception:  # noqa: BLE001 - the database may be away too; the messages wait for the next relay
        log.exception("The outbox relay failed; its messages wait for the next relay")
    return sent


def _relay_batch(limit: int) -> tuple[int, bool]:
    """Claim up to `limit` waiting messages, send them and mark them sent, in one transaction. Returns how many were
    sent and whether the broker refused one (the rest of the batch then waits)."""
    app = current_app  # crm.celery's app (it imports this module to relay as a worker starts)
    with transaction.atomic():
        claimed = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True)
            .order_by("pk")[:limit]
        )
        if not claimed:
            return 0, False
        sent: list[int] = []
        refused = None
        try:
            with app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
                connection.ensure_connection(max_retries=0, timeout=5)
                for message in claimed:
                    app.send_task(
                        message.task, args=message.args, kwargs=message.kwargs, connection=connection, retry=False
                    )
                    sent.append(message.pk)
        except Exception as exc:  # noqa: BLE001 - whatever the transport raises, the broker did not take it
            refused = claimed[len(sent)]
            log.warning("The broker did not take %s: %s; it waits in the outbox", refused, exc)
            OutboxMessage.objects.filter(pk=refused.pk).update(
                attempts=refused.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
        if sent:
            OutboxMessage.objects.filter(pk__in=sent).update(sent_at=timezone.now())
    return len(sent), refused is not None


def waiting() -> dict:
    """What waits for the broker: {"count", "oldest" (created_at or None), "last_error"}; two queries."""
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    oldest = pending.order_by("pk").values("created_at", "last_error").first()
    return {
        "count": pending.count() if oldest else 0,
        "oldest": oldest["created_at"] if oldest else None,
        "last_error": oldest["last_error"] if oldest else "",
    }


def waiting_words() -> str:
    """A sentence for pages while work waits for the broker, or "" when nothing does."""
    state = waiting()
    if not state["count"]:
        return ""
    since = timezone.localtime(state["oldest"]).strftime("%Y-%m-%d %H:%M")
    return (
        f"Waiting for the background worker: the broker does not answer, so {state['count']} task(s) wait in the "
        f"database since {since} and are sent as soon as it answers again."
    )


def not_started_words(what: str, queued_at: dt.datetime) -> str:
    """A sentence for pages about queued work (`what`, e.g. "the churn run") that no worker has started: the
    broker does not answer (`waiting_words`), or it took the task more than WORKER_PATIENCE ago and no worker has
    picked it up; "" while a worker may still pick it up at any moment. The admin's run and import pages and the
    profile's health card all say it so."""
    if waiting := waiting_words():
        return waiting
    if timezone.now() - queued_at <= WORKER_PATIENCE:
        return ""
    since = timezone.localtime(queued_at).strftime("%Y-%m-%d %H:%M")
    return (
        f"Waiting for the background worker: {what} was queued at {since} and no worker has started it yet. "
        "Is a worker running? (Admin: Worker pings, Check the background worker.)"
    )
