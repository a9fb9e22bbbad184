"""Whether long work (a model run, an import) is still being done: its record carries a heartbeat and the name of
the process doing it, so a sweep can fail work whose process was lost, and a redelivered task can tell a dead
executor from a live one.

    take(ModelRun, pk, ...)                 # claim a queued job, or one delivered again whose process is gone
    with beating(ModelRun, run.pk): ...     # stamps `heartbeat_at` now and every heartbeat_seconds() meanwhile
    lost_before()                           # heartbeats older than this mean the process is gone
    executor_alive(run.worker, run.heartbeat_at)

Limits (settings): WORKER_LOST_AFTER_SECONDS, how long a heartbeat may be silent before the work counts as lost;
heartbeats are written every tenth of that (at least every 30 s), from a thread of their own, so a long stage
(a fit, a merge) beats as steadily as a short one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connection
from django.db import models as db_models
from django.db.models import F
from django.utils import timezone

log = logging.getLogger(__name__)


def this_worker() -> str:
    """This process as a heartbeat records it: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat_seconds() -> float:
    """How often a running job stamps its heartbeat."""
    return max(0.2, min(30.0, settings.WORKER_LOST_AFTER_SECONDS / 10))


def lost_before() -> dt.datetime:
    """A running job whose last heartbeat is older than this has lost its process."""
    return timezone.now() - dt.timedelta(seconds=settings.WORKER_LOST_AFTER_SECONDS)


def executor_alive(worker: str, heartbeat_at: dt.datetime | None) -> bool:
    """Whether the process recorded as doing a job ("host:pid") may still be doing it. On this host the process
    itself is asked (a killed pool process is known dead at once); elsewhere only a fresh heartbeat says so."""
    if heartbeat_at is None or heartbeat_at < lost_before():
        return False
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return False  # this very process is not doing it: the one that was has gone and its pid was reused
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def reconnect_if_lost() -> None:
    """Close this thread's database connection if the server dropped it (terminated, restarted), so that the next
    query opens a new one, e.g. to record why the work failed. Inside a transaction nothing can be saved: left be."""
    if connection.in_atomic_block or connection.connection is None:
        return
    try:
        usable = connection.is_usable()
    except Exception:  # noqa: BLE001 - whatever the driver raises, the connection is not usable
        usable = False
    if not usable:
        connection.close()


def beat(model: type[db_models.Model], pk: int) -> None:
    """Stamp the heartbeat of one job now."""
    model.objects.filter(pk=pk).update(heartbeat_at=timezone.now())


@contextlib.contextmanager
def beating(model: type[db_models.Model], pk: int) -> Iterator[None]:
    """Stamp `model` row `pk`'s heartbeat (and this process as its worker) now and every heartbeat_seconds()
    until the block ends, from a thread with its own database connection."""
    model.objects.filter(pk=pk).update(heartbeat_at=timezone.now(), worker=this_worker())
    stop = threading.Event()

    def keep_beating() -> None:
        try:
            while not stop.wait(heartbeat_seconds()):
                try:
                    beat(model, pk)
                except DatabaseError:  # the database may be gone for a moment; the next beat tries again
                    log.warning("Could not record the heartbeat of %s %s", model.__name__, pk, exc_info=True)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=keep_beating, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


CLAIMED, RESUMED, LOST, ENDED = "claimed", "resumed", "lost", "ended"


def take(
    model: type[db_models.Model],
    pk: int,
    *,
    queued: str,
    running: str,
    max_attempts: int,
    claim: dict | None = None,
    resume: dict | None = None,
) -> tuple[str, db_models.Model]:
    """Take job `pk` (a model with status, started_at, heartbeat_at, worker and attempts) for this process.

    A queued job is CLAIMED (status `running`, fields `claim` set). A running one is a task delivered again: while
    the process doing it lives, this waits for it; once it is gone the job is RESUMED (fields `resume` set: the
    caller starts it again), or LOST when it was started `max_attempts` times already (the caller fails it). A job
    that ended meanwhile is ENDED. The claims are conditional updates, so of two deliveries only one takes it."""
    now = timezone.now()
    mine = {"started_at": now, "heartbeat_at": now, "worker": this_worker(), "attempts": F("attempts") + 1}
    if model.objects.filter(pk=pk, status=queued).update(status=running, **mine, **(claim or {})):
        return CLAIMED, model.objects.get(pk=pk)
    job = model.objects.get(pk=pk)
    while job.status == running and executor_alive(job.worker, job.heartbeat_at):
        time.sleep(heartbeat_seconds())
        job.refresh_from_db()
    if job.status != running:
        return ENDED, job
    if job.attempts >= max_attempts:
        return LOST, job
    same = {"worker": job.worker, "heartbeat_at": job.heartbeat_at}
    if model.objects.filter(pk=pk, status=running, **same).update(**mine, **(resume or {})):
        return RESUMED, model.objects.get(pk=pk)
    return take(model, pk, queued=queued, running=running, max_attempts=max_attempts, claim=claim, resume=resume)
