"""Starting and running model runs: single flight per family, progress written as it goes, and a failure
that leaves the active run in place."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from insights.models import ModelRun

log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """A run of this family is queued or running; no second one is started."""

    def __init__(self, run: ModelRun):
        super().__init__(
            f"{run.get_family_display()} run #{run.pk} is already {run.status}; no second run was started."
        )
        self.run = run


def fail_stale_runs(family: str) -> int:
    """Mark as failed the runs of `family` still queued or running long after any task could have: their worker
    was lost (killed, machine restarted), and they would otherwise block every later run."""
    limit = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 600)
    return ModelRun.objects.filter(family=family, status__in=ModelRun.IN_FLIGHT, created_at__lt=limit).update(
        status=ModelRun.Status.FAILED,
        error="The worker was lost: no result within the task time limit.",
        finished_at=timezone.now(),
    )


def request_run(
    family: str,
    *,
    trigger: str = ModelRun.Trigger.ADMIN,
    user=None,
    as_of: dt.date | None = None,
    parameters: dict | None = None,
    queue: bool = True,
) -> ModelRun:
    """Record a queued run of `family` and queue its task after commit; raise AlreadyRunning if one is in flight."""
    from insights.families import FAMILY_MODULES

    if family not in FAMILY_MODULES:
        raise ValueError(f"No trainer for the {family!r} family; known: {', '.join(FAMILY_MODULES)}.")
    fail_stale_runs(family)
    try:
        with transaction.atomic():
            run = ModelRun.objects.create(
                family=family,
                trigger=trigger,
                created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
                as_of=as_of or timezone.localdate(),
                parameters=parameters or {},
            )
    except IntegrityError:
        running = ModelRun.objects.filter(family=family, status__in=ModelRun.IN_FLIGHT).first()
        if running is None:  # it finished in between: try once more
            return request_run(family, trigger=trigger, user=user, as_of=as_of, parameters=parameters, queue=queue)
        raise AlreadyRunning(running) from None
    if queue:
        from insights.tasks import train

        transaction.on_commit(lambda: train.delay(run.pk))
    return run


class Progress:
    """Writes a run's stage and progress as it goes (outside any transaction, so pages see it), and times
    each stage."""

    def __init__(self, run: ModelRun):
        self.run = run
        self.stage = ""
        self.started = time.perf_counter()

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.perf_counter()
        if self.stage:
            self.run.timings[self.stage] = round(now - self.started, 3)
        self.stage, self.started = stage, now
        self.run.stage, self.run.progress = stage, round(fraction, 3)
        ModelRun.objects.filter(pk=self.run.pk).update(
            stage=stage, progress=self.run.progress, timings=self.run.timings
        )

    def finish(self) -> None:
        self("done", 1.0)


def execute_run(run_id: int) -> ModelRun:
    """Train, evaluate and (if it beats its baseline) publish a queued run. A run already claimed is skipped."""
    claimed = ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.QUEUED).update(
        status=ModelRun.Status.RUNNING, started_at=timezone.now(), stage="starting"
    )
    run = ModelRun.objects.get(pk=run_id)
    if not claimed:
        return run
    progress = Progress(run)
    try:
        from insights.families import module

        finished = module(run.family).train(run, progress)
        if finished is False:  # scoring chunks are on their way to the workers; the last one concludes
            run.refresh_from_db()
            return run
        progress.finish()
    except Exception as exc:
        log.exception("%s failed", run)
        _discard_results(run)
        ModelRun.objects.filter(pk=run.pk).update(
            status=ModelRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
            timings=run.timings,
        )
    else:
        ModelRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    run.refresh_from_db()
    return run


def _discard_results(run: ModelRun) -> None:
    """Delete the rows a failed run wrote (never visible: the run was not active)."""
    from insights.families import result_model

    result_model(run.family).objects.filter(run=run).delete()
