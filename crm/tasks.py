"""Project-wide Celery tasks. Thin: each takes primary keys and calls one service."""

from __future__ import annotations

import socket

from celery import shared_task
from django.db import transaction

from crm import services


@shared_task(bind=True, ignore_result=True)
def answer_ping(self, ping_id: int) -> str:
    """Answer a worker ping (recorded by crm.services.record_ping) with this worker's host name."""
    worker = self.request.hostname or socket.gethostname()
    if services.answer_ping(ping_id, worker):
        return f"answered ping {ping_id}"
    return f"ping {ping_id} was gone or already answered"


def queue_ping(ping_id: int) -> None:
    """Queue the answer to a recorded ping once the transaction that recorded it commits."""
    transaction.on_commit(lambda: answer_ping.delay(ping_id))
