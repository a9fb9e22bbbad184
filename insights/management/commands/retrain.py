"""`manage.py retrain [--family F] [--as-of DATE] [--wait] [--in-process] [--parameter K=V]`: record model runs and
queue them to the workers (or train them here), optionally following them to the end."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from crm import outbox
from insights import runs, tasks
from insights.families import base
from insights.management.commands.evaluate import one_line, possible_dates
from insights.models import ModelRun


class Command(BaseCommand):
    help = "Retrain one model family or all of them; --wait follows the runs until they finish."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--family", default="all", choices=[*base.names(), "all"])
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="Use data up to this date (default today).")
        parser.add_argument("--wait", action="store_true", help="Follow the run(s) until they finish.")
        parser.add_argument("--timeout", type=int, default=3600, help="Seconds to wait with --wait (default 3600).")
        parser.add_argument(
            "--in-process", action="store_true", help="Train here instead of on a worker (no worker needed)."
        )
        parser.add_argument(
            "--parameter",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="A run parameter, e.g. method=ward for segments, horizon_days=60 for churn, horizon=12 for demand.",
        )

    def handle(self, *args, **options) -> None:
        families = base.names() if options["family"] == "all" else [options["family"]]
        given = {}
        for pair in options["parameter"]:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise CommandError(f"--parameter {pair!r}: write it as KEY=VALUE.")
            given[key] = value
        if given and len(families) > 1:
            raise CommandError("--parameter needs one --family: each family has its own parameters.")
        parameters = dict(given)
        if options["in_process"]:
            parameters["in_process"] = True
        recorded, refused = [], 0
        with transaction.atomic():  # the runs and their task are recorded together (crm/outbox.py)
            for family in families:
                try:
                    run = runs.request_run(
                        family, trigger=ModelRun.Trigger.CLI, as_of=options["as_of"], parameters=parameters
                    )
                except ValueError as exc:
                    raise CommandError(str(exc)) from None
                except runs.AlreadyRunning as exc:
                    self.stderr.write(str(exc))
                    refused += 1
                    continue
                recorded.append(run)
            if not options["in_process"]:
                tasks.queue_runs([run.pk for run in recorded])
        if options["in_process"]:
            for run in recorded:
                self.stdout.write(f"Training {run.get_family_display()} run #{run.pk} here...")
            for run in runs.execute_together([r.pk for r in recorded], spread=False):
                self._report(run)
        else:
            waiting = " (waiting for the broker, which does not answer)" if outbox.waiting()["count"] else ""
            for run in recorded:
                self.stdout.write(f"Queued {run.get_family_display()} run #{run.pk}{waiting}.")
            if options["wait"]:
                self._follow([r.pk for r in recorded], options["timeout"])
        ended = ModelRun.objects.filter(pk__in=[r.pk for r in recorded])
        failed = [f"{run}: {one_line(run.error)}" for run in ended if run.status == ModelRun.Status.FAILED]
        if failed:
            raise CommandError(f"{len(failed)} run(s) failed. {' '.join(failed)} {possible_dates()}")
        if refused:
            raise CommandError(f"{refused} run(s) not started: a run of that family is already in flight.")
        if options["in_process"] and any(run.status in ModelRun.IN_FLIGHT for run in ended):
            raise CommandError("A run was not trained here: another process had taken it.")

    def _follow(self, ids: list[int], timeout: int) -> None:
        deadline, shown = time.monotonic() + timeout, {}
        pending = set(ids)
        while pending:
            for run in ModelRun.objects.filter(pk__in=pending):
                state = (run.status, run.stage, round(run.progress, 2))
                if shown.get(run.pk) != state:
                    shown[run.pk] = state
                    self.stdout.write(f"  {run}: {run.stage or run.status} {run.progress:.0%}")
                if run.status not in ModelRun.IN_FLIGHT:
                    pending.discard(run.pk)
                    self._report(run)
            if pending and time.monotonic() > deadline:
                raise CommandError(
                    f"Still waiting after {timeout} s for runs {sorted(pending)}: is a worker running? "
                    "(Or retrain with --in-process.)"
                )
            time.sleep(1)

    def _report(self, run: ModelRun) -> None:
        self.stdout.write(f"{run}: {run.publish_note if run.status != ModelRun.Status.FAILED else run.error}")
        baseline = run.baseline.get("metrics", {})
        for key, value in run.metrics.items():
            against = baseline.get(key)
            extra = f"  (baseline {run.baseline.get('name', '')}: {against:.4g})" if isinstance(against, float) else ""
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            marker = " <- decides" if key == run.deciding_metric else ""
            self.stdout.write(f"    {key:<22} {shown}{extra}{marker}")
