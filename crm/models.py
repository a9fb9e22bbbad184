"""Project-wide records: the worker probe that tells an admin whether background work is being done."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class WorkerPing(models.Model):
    """One request to the background worker to prove it is alive: the web side creates the row and queues a task,
    and the worker that runs the task stamps it answered. A ping left unanswered means no worker is consuming
    the queue (or it is busy with a long task)."""

    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who asked; empty when asked from the command line.",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True, help_text="Host name of the worker that answered.")

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = "worker ping"

    def __str__(self) -> str:
        return f"Worker ping #{self.pk}"

    @property
    def is_answered(self) -> bool:
        """True once a worker ran the task."""
        return self.answered_at is not None

    @property
    def round_trip(self) -> dt.timedelta | None:
        """Time from the request to the worker's answer, or None while unanswered."""
        if self.answered_at is None:
            return None
        return self.answered_at - self.requested_at


class OutboxMessage(models.Model):
    """A Celery task recorded in the same transaction as the change that needs it (crm/outbox.py), and sent to the
    broker after that transaction commits. While the broker is away it waits here (`sent_at` empty) and is sent
    when it answers again: by the next request's relay, a worker starting, or the relay every minute. Each message
    is sent once (claimed under a row lock)."""

    task = models.CharField(max_length=200, help_text="The Celery task's name.")
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the broker took it; empty while waiting.")
    attempts = models.PositiveIntegerField(default=0, help_text="Sends that the broker refused.")
    last_error = models.TextField(blank=True, help_text="Why the last send failed.")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["id"], condition=models.Q(sent_at__isnull=True), name="outbox_waiting")]
        verbose_name = "outbox message"

    def __str__(self) -> str:
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M:%S}" if self.sent_at else "waiting for the broker"
        return f"{self.task}{tuple(self.args)} ({state})"
