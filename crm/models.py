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
