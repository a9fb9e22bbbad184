"""`manage.py retrain [--family F] [--as-of DATE] [--wait] [--in-process]`: queue (and follow) model runs."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights import runs
from insights.families import FAMILY_MODULES
from insights.models import ModelRun


class Command(BaseCommand):
    help = "Queue a retrain of one model family or all of them; --wait follows it until it finishes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--family", default="all", choices=[*FAMILY_MODULES, "all"])
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
            help="A run parameter, e.g. method=ward or method=dbscan for segments, horizon_days=60 for churn.",
        )

    def handle(self, *args, **options) -> None:
        families = list(FAMILY_MODULES) if options["family"] == "all" else [options["family"]]
        parameters = {}
        for pair in options["parameter"]:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise CommandError(f"--parameter {pair!r}: write it as KEY=VALUE.")
            parameters[key] = int(value) if value.isdigit() else value
        if options["in_process"]:
            parameters["in_process"] = True
        queued = []
        for family in families:
            try:
                run = runs.request_run(
                    family,
                    trigger=ModelRun.Trigger.CLI,
                    as_of=options["as_of"],
                    parameters=parameters,
                    queue=not options["in_process"],
                )
            except runs.AlreadyRunning as exc:
                self.stderr.write(str(exc))
                continue
            queued.append(run)
            if options["in_process"]:
                self.stdout.write(f"Training {run} here...")
                self._report(runs.execute_run(run.pk))
            else:
                self.stdout.write(f"Queued {run}.")
        if options["wait"] and not options["in_process"]:
            self._follow([r.pk for r in queued], options["timeout"])
        if any(ModelRun.objects.get(pk=r.pk).status == ModelRun.Status.FAILED for r in queued):
            raise CommandError("A run failed; see its error above or in admin.")

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
        self.stdout.write(f"{run}: {run.publish_note or run.error or run.status}")
        if run.metrics:
            baseline = run.baseline.get("metrics", {})
            for key, value in run.metrics.items():
                against = baseline.get(key)
                extra = f"  (baseline {run.baseline.get('name', '')}: {against:.4g})" if against is not None else ""
                self.stdout.write(
                    f"    {key:<22} {value:.4g}{extra}" if isinstance(value, float) else f"    {key}: {value}"
                )
