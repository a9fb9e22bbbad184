"""`manage.py ping_worker [--wait SECONDS]`: ask the background worker to answer, optionally wait for it."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.services import record_ping
from crm.tasks import queue_ping

POLL_SECONDS = 0.2


class Command(BaseCommand):
    help = "Queue a worker ping; with --wait, wait for a worker to answer it and fail if none does in time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait",
            type=float,
            metavar="SECONDS",
            help="Wait up to this long for the answer; exit non-zero if no worker answers.",
        )

    def handle(self, *args, wait: float | None, **options) -> None:
        ping = record_ping()
        queue_ping(ping.pk)
        self.stdout.write(f"Queued {ping}.")
        if not wait:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            ping.refresh_from_db()
            if ping.is_answered:
                seconds = ping.round_trip.total_seconds()
                self.stdout.write(self.style.SUCCESS(f"Answered by {ping.worker} in {seconds:.1f} s."))
                return
            time.sleep(POLL_SECONDS)
        raise CommandError(
            f"No worker answered {ping} within {wait:g} s. Is a worker running on this broker? "
            "Start one with `celery -A crm worker` (`make run` starts one for you)."
        )
