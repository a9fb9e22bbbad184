"""The life of a model run, owned here once for every family.

    request_run        records a queued run (one in flight per family, parameters checked); tasks.py queues it
    execute_run        claims it, then: loading -> backtesting -> fitting -> saving the model -> recording the
                       evaluation and verdict -> writing rows (here, or in chunks spread over the workers) ->
                       concluding: publishing the backtest's winner
    run_chunk          one chunk of a spread run; the chunk that completes the count concludes the run
    conclude           claims the conclusion once (`concluded_at`) and publishes

A family (insights/families/base.py) only supplies the steps' contents. The backtest's winner is what the run
writes: the family's model, or its baseline when the model did not beat it; either way the run is published, so a
family is never left empty because its model lost. A run that fails leaves the active run in place and its partial
rows deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from customers.bulk import analyze
from insights import artifacts, publishing
from insights.families import base
from insights.models import ModelRun

log = logging.getLogger(__name__)

# Where each stage starts, as a share of the run (writing goes on to PUBLISHING chunk by chunk).
LOADING, BACKTESTING, FITTING, SAVING, WRITING, PUBLISHING = 0.02, 0.15, 0.5, 0.65, 0.7, 0.98
STAGES = {
    "loading data": LOADING,
    "backtesting": BACKTESTING,
    "fitting": FITTING,
    "saving the model": SAVING,
    "writing results": WRITING,
    "publishing": PUBLISHING,
    "done": 1.0,
}


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
) -> ModelRun:
    """Record a queued run of `family` (queue it with `tasks.queue_runs`, or run it with `execute_run`). Raises
    ValueError for an unknown family or parameter, AlreadyRunning if one is in flight."""
    parameters = dict(parameters or {})
    base.get(family).read_parameters(parameters)  # refuse unknown keys and bad values before recording anything
    fail_stale_runs(family)
    try:
        with transaction.atomic():
            return ModelRun.objects.create(
                family=family,
                trigger=trigger,
                created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
                as_of=as_of or timezone.localdate(),
                parameters=parameters,
            )
    except IntegrityError:
        running = ModelRun.objects.filter(family=family, status__in=ModelRun.IN_FLIGHT).first()
        if running is None:  # it finished in between: try once more
            return request_run(family, trigger=trigger, user=user, as_of=as_of, parameters=parameters)
        raise AlreadyRunning(running) from None


class Progress:
    """Writes a run's stage and progress as it goes (outside any transaction, so pages see it), and times each
    stage."""

    def __init__(self, run: ModelRun):
        self.run = run
        self.stage = ""
        self.started = time.perf_counter()

    def __call__(self, stage: str, fraction: float | None = None) -> None:
        now = time.perf_counter()
        if self.stage:
            self.run.timings[self.stage] = round(now - self.started, 3)
        self.stage, self.started = stage, now
        self.run.stage, self.run.progress = stage, round(STAGES[stage] if fraction is None else fraction, 3)
        ModelRun.objects.filter(pk=self.run.pk).update(
            stage=stage, progress=self.run.progress, timings=self.run.timings
        )


def execute_run(run_id: int, snapshot=None, spread: bool = True) -> ModelRun:
    """Run a queued run to its end (see the module doc); a run already claimed is left alone. `snapshot` shares
    data already read with other families of the same date; with `spread`, a run of a chunked family with more
    customers than SCORING_CHUNK_SIZE stops after recording its chunks (`pending_chunks`), which the caller queues
    to the workers."""
    claimed = ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.QUEUED).update(
        status=ModelRun.Status.RUNNING, started_at=timezone.now(), stage="starting"
    )
    run = ModelRun.objects.get(pk=run_id)
    if not claimed:
        return run
    progress = Progress(run)
    try:
        family = base.get(run.family)(run.parameters)
        family.previous_run = publishing.active_run_id(run.family)
        if snapshot is None:
            from insights.snapshot import Snapshot

            snapshot = Snapshot.as_of(run.as_of)
        progress("loading data")
        data = family.load(snapshot)
        run.data_counts = family.counts(data)
        progress("backtesting")
        evaluation = family.backtest(data)
        progress("fitting")
        fitted = family.fit(data, evaluation.winner)
        progress("saving the model")
        artifacts.save(run, fitted)
        _record(run, family, evaluation, family.card(fitted, evaluation, data))
        progress("writing results")
        customers = family.customers(data) if family.per_customer else None
        ranges = plan(customers, settings.SCORING_CHUNK_SIZE) if family.chunked else []
        if spread and len(ranges) > 1 and not run.parameters.get("in_process"):
            ModelRun.objects.filter(pk=run.pk).update(chunks_total=len(ranges), chunk_ranges=ranges)
            run.refresh_from_db()
            return run  # the caller spreads the chunks; the last one concludes
        _write(run, family, fitted, data, customers)
        ModelRun.objects.filter(pk=run.pk).update(chunks_total=1, chunks_done=1)
        progress("publishing")
        conclude(run.pk)
        progress("done")
    except Exception as exc:
        log.exception("%s failed", run)
        fail(run.pk, f"{type(exc).__name__}: {exc}", timings=run.timings)
    run.refresh_from_db()
    return run


def _record(run: ModelRun, family: base.Family, evaluation: base.Evaluation, card: dict) -> None:
    """Store the evaluation (metrics beside the baseline's), the winner, the verdict in words and the model card."""
    result = evaluation.as_result()
    run.metrics, run.baseline = result["metrics"], result["baseline"]
    run.winner = evaluation.winner
    run.publish_note = evaluation.verdict(family.label)
    run.model_card = base.finite(card)
    ModelRun.objects.filter(pk=run.pk).update(
        metrics=run.metrics,
        baseline=run.baseline,
        winner=run.winner,
        deciding_metric=evaluation.metric,
        higher_is_better=evaluation.higher_is_better,
        publish_note=run.publish_note,
        model_card=run.model_card,
        data_counts=run.data_counts,
    )


def _write(run: ModelRun, family: base.Family, fitted, data, customers) -> int:
    """Write the rows of `customers` (every row when None), in the family's batches."""
    model = family.result_model
    if customers is None or not family.batch:
        written = publishing.write_frame(model, family.rows(fitted, data, customers).assign(run_id=run.pk))
    else:
        written = 0
        for start in range(0, len(customers), family.batch):
            batch = customers[start : start + family.batch]
            written += publishing.write_frame(model, family.rows(fitted, data, batch).assign(run_id=run.pk))
    return written


def plan(customer_ids, size: int) -> list[list[int]]:
    """Inclusive [first, last] id ranges of at most `size` customers each, in id order."""
    import numpy as np

    ids = np.unique(np.asarray(customer_ids, dtype=np.int64))
    if not len(ids):
        return []
    return [[int(chunk[0]), int(chunk[-1])] for chunk in np.array_split(ids, max(1, -(-len(ids) // size)))]


def pending_chunks(run: ModelRun) -> list[tuple[int, int]]:
    """The id ranges a spread run still has to score (all of them: chunks are queued once, together)."""
    if run.status != ModelRun.Status.RUNNING or run.concluded_at is not None:
        return []
    return [(first, last) for first, last in run.chunk_ranges]


def run_chunk(run_id: int, first: int, last: int) -> str:
    """Score customers first..last of a spread run with its saved model; the chunk that completes the count
    concludes the run. A failed chunk fails the run (its rows are deleted; the active run stays)."""
    run = ModelRun.objects.get(pk=run_id)
    if run.status != ModelRun.Status.RUNNING:
        return f"{run} is {run.status}: chunk {first}-{last} skipped"
    family = base.get(run.family)(run.parameters)
    try:
        from insights.snapshot import Snapshot

        fitted = artifacts.load(run)
        data = family.load_for_rows(Snapshot.as_of(run.as_of, customers=(first, last)))
        customers = [int(c) for c in family.customers(data) if first <= c <= last]
        written = _write(run, family, fitted, data, customers)
    except Exception as exc:
        log.exception("Scoring chunk %s-%s of %s failed", first, last, run)
        fail(run_id, f"Scoring customers {first}-{last} failed: {type(exc).__name__}: {exc}")
        raise
    ModelRun.objects.filter(pk=run_id).update(chunks_done=F("chunks_done") + 1)
    run.refresh_from_db()
    share = run.chunks_done / max(run.chunks_total, 1)
    ModelRun.objects.filter(pk=run_id, concluded_at__isnull=True).update(
        progress=round(WRITING + (PUBLISHING - WRITING) * share, 3)
    )
    if run.status == ModelRun.Status.FAILED:
        family.result_model.objects.filter(run_id=run_id, customer_id__range=(first, last)).delete()
        return f"{run} failed meanwhile: chunk {first}-{last} discarded"
    if run.chunks_done >= run.chunks_total:
        conclude(run_id)
    return f"{run}: scored {written} rows ({first}-{last})"


def conclude(run_id: int) -> bool:
    """Publish a run whose rows are all written: claimed once (`concluded_at`), so of two chunks finishing
    together only one publishes. Returns whether this call concluded it."""
    claimed = ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.RUNNING, concluded_at__isnull=True).update(
        concluded_at=timezone.now(), stage="publishing", progress=PUBLISHING
    )
    if not claimed:
        return False
    run = ModelRun.objects.get(pk=run_id)
    analyze(base.get(run.family).result_model)
    publishing.publish(run)
    ModelRun.objects.filter(pk=run_id).update(stage="done", progress=1.0, finished_at=timezone.now())
    return True


def fail(run_id: int, error: str, timings: dict | None = None) -> None:
    """Mark a run failed with the reason and delete the rows it wrote (never visible: it was not active)."""
    changes = {"status": ModelRun.Status.FAILED, "error": error, "finished_at": timezone.now()}
    if timings is not None:
        changes["timings"] = timings
    failed = ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.RUNNING).update(**changes)
    if failed:
        family = ModelRun.objects.values_list("family", flat=True).get(pk=run_id)
        base.get(family).result_model.objects.filter(run_id=run_id).delete()


def execute_together(run_ids: list[int], spread: bool = True) -> list[ModelRun]:
    """Run several queued runs of one as-of date one after another on one shared snapshot (the data is read once
    for all of them). Returns the runs as they ended."""
    from insights.snapshot import Snapshot

    runs = list(ModelRun.objects.filter(pk__in=run_ids).order_by("pk"))
    snapshots: dict[dt.date, Snapshot] = {}
    done = []
    for run in runs:
        snapshot = snapshots.setdefault(run.as_of, Snapshot.as_of(run.as_of, shared=len(runs) > 1))
        done.append(execute_run(run.pk, snapshot=snapshot, spread=spread))
    return done
