"""Project-wide Celery tasks. Thin: each takes primary keys and calls one service."""

from __future__ import annotations

import socket

from celery import shared_task

from crm import outbox, services


@shared_task(bind=True, ignore_result=True)
def answer_ping(self, ping_id: int) -> str:
    """Answer a worker ping (recorded by crm.services.record_ping) with this worker's host name."""
    worker = self.request.hostname or socket.gethostname()
    if services.answer_ping(ping_id, worker):
        return f"answered ping {ping_id}"
    return f"ping {ping_id} was gone or already answered"


@shared_task(ignore_result=True)
def relay_outbox() -> str:
    """Send the tasks that wait in the outbox (the schedule calls this every minute)."""
    return f"sent {outbox.relay()} waiting task(s)"


def queue_ping(ping_id: int) -> None:
    """Queue the answer to a recorded ping, in the transaction that recorded it (the outbox sends it after commit)."""
    outbox.enqueue(answer_ping.name, ping_id)
