"""The life of a model run, owned here once for every family.

    request_run        records a queued run (one in flight per family, parameters checked); tasks.py queues it
    execute_run        claims it, then: loading -> backtesting -> fitting -> saving the model -> recording the
                       evaluation and verdict -> writing rows (here, or in chunks spread over the workers) ->
                       concluding: publishing the backtest's winner
    run_chunk          one chunk of a spread run; the chunk that completes the count concludes the run
    conclude           claims the conclusion once (`concluded_at`) and publishes
    fail_lost_runs     fails the runs whose worker was lost (no heartbeat): the periodic sweep, and request_run

A running run stamps a heartbeat (crm/liveness.py) while a process works on it. A task delivered again for a run
already running (its worker was killed) resumes the run from the start when the process that ran it is gone, once;
lost a second time, the run fails. It never returns having done nothing while the run stays "running".

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
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from crm import liveness
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


# A run whose worker was lost is started again once by its redelivered task; lost again, it fails.
MAX_ATTEMPTS = 2


def _lost_reason(worker: str) -> str:
    return (
        f"Worker lost: {worker or 'its worker'} gave no sign of life for over {settings.WORKER_LOST_AFTER_SECONDS} s "
        "(killed, or its machine stopped); the run was stopped and its family freed."
    )


def fail_lost_runs(family: str | None = None) -> int:
    """Fail the runs (of `family`, or of all) whose worker was lost: running without a heartbeat for
    WORKER_LOST_AFTER_SECONDS, or queued long after any worker could have taken them. Their partial rows go, the
    active run stays. The periodic sweep calls this, and request_run before recording a run. Returns how many."""
    scope = ModelRun.objects.filter(family=family) if family else ModelRun.objects.all()
    lost_before = liveness.lost_before()
    running = scope.filter(status=ModelRun.Status.RUNNING).values_list("pk", "heartbeat_at", "started_at", "created_at")
    failed = 0
    for pk, heartbeat_at, started_at, created_at in running:
        if (heartbeat_at or started_at or created_at) < lost_before:
            worker = ModelRun.objects.values_list("worker", flat=True).get(pk=pk)
            failed += fail(pk, _lost_reason(worker), only_if_silent_since=lost_before)
    never_taken = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 600)
    failed += scope.filter(status=ModelRun.Status.QUEUED, created_at__lt=never_taken).update(
        status=ModelRun.Status.FAILED,
        error="Worker lost: no worker started it within the task time limit.",
        finished_at=timezone.now(),
    )
    return failed


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
    fail_lost_runs(family)
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
            stage=stage, progress=self.run.progress, timings=self.run.timings, heartbeat_at=timezone.now()
        )


def claim(run_id: int) -> tuple[ModelRun, bool]:
    """Take a run for this process (crm.liveness.take): a queued one, or (a task delivered again) a running one whose
    process is gone, which starts again from the beginning, or fails when it was lost MAX_ATTEMPTS times. While the
    process running it is alive, waits for it. Returns the run and whether this process now runs it."""
    outcome, run = liveness.take(
        ModelRun,
        run_id,
        queued=ModelRun.Status.QUEUED,
        running=ModelRun.Status.RUNNING,
        max_attempts=MAX_ATTEMPTS,
        claim={"stage": "starting"},
        resume={
            "stage": "starting again (its worker was lost)",
            "progress": 0.0,
            "timings": {},
            "chunks_total": 0,
            "chunks_done": 0,
            "chunk_ranges": [],
            "chunks_scored": [],
            "concluded_at": None,
        },
    )
    if outcome == liveness.LOST:
        fail(run.pk, f"{_lost_reason(run.worker)} It was lost {run.attempts} times, so it was not started again.")
        run.refresh_from_db()
    elif outcome == liveness.RESUMED:
        base.get(run.family).result_model.objects.filter(run_id=run_id).delete()  # the lost attempt's rows
        log.warning("%s: its worker was lost; started again (attempt %s)", run, run.attempts)
    return run, outcome in (liveness.CLAIMED, liveness.RESUMED)


def execute_run(run_id: int, snapshot=None, spread: bool = True) -> ModelRun:
    """Run a queued run to its end (see the module doc), or resume one whose worker was lost (`claim`); a run
    another live process runs is waited for. `snapshot` shares data already read with other families of the same
    date; with `spread`, a run of a chunked family with more customers than SCORING_CHUNK_SIZE stops after
    recording its chunks (`pending_chunks`), which the caller queues to the workers."""
    run, mine = claim(run_id)
    if not mine:
        return run
    with liveness.beating(ModelRun, run.pk):
        _execute(run, snapshot, spread)
    run.refresh_from_db()
    return run


def _execute(run: ModelRun, snapshot, spread: bool) -> None:
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
            return  # the caller spreads the chunks; the last one concludes
        _write(run, family, fitted, data, customers)
        ModelRun.objects.filter(pk=run.pk).update(chunks_total=1, chunks_done=1)
        progress("publishing")
        conclude(run.pk)
        progress("done")
    except Exception as exc:
        log.exception("%s failed", run)
        liveness.reconnect_if_lost()  # a connection the database dropped is opened again to record the failure
        try:
            fail(run.pk, f"{type(exc).__name__}: {exc}", timings=run.timings)
        except DatabaseError:  # the database is away: the sweep fails the run once its heartbeat stops
            log.exception("Could not record the failure of %s", run)


def _record(run: ModelRun, family: base.Family, evaluation: base.Evaluation, card: dict) -> None:
    """Store the evaluation (metrics beside the baseline's), the winner, the verdict in words and the model card."""
    result = evaluation.as_result()
    run.metrics, run.baseline = base.finite(result["metrics"]), base.finite(result["baseline"])  # no NaN stored
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


def run_chunk(run_id: int, first: int, last: int, attempt: int | None = None) -> str:
    """Score customers first..last of a spread run with its saved model; the chunk that completes the count
    concludes the run. A failed chunk fails the run (its rows are deleted; the active run stays). A chunk
    delivered again is written again (the rows an interrupted delivery left go first) and counted once; a chunk of
    an earlier `attempt` of a resumed run is skipped."""
    run = ModelRun.objects.get(pk=run_id)
    if run.status != ModelRun.Status.RUNNING:
        return f"{run} is {run.status}: chunk {first}-{last} skipped"
    if attempt is not None and attempt != run.attempts:
        return f"{run}: chunk {first}-{last} belongs to an earlier attempt; skipped"
    if first in run.chunks_scored:
        return f"{run}: chunk {first}-{last} was already scored"
    family = base.get(run.family)(run.parameters)
    with liveness.beating(ModelRun, run_id):
        try:
            from insights.snapshot import Snapshot

            fitted = artifacts.load(run)
            data = family.load_for_rows(Snapshot.as_of(run.as_of, customers=(first, last)))
            customers = [int(c) for c in family.customers(data) if first <= c <= last]
            family.result_model.objects.filter(run_id=run_id, customer_id__gte=first, customer_id__lte=last).delete()
            written = _write(run, family, fitted, data, customers)
        except Exception as exc:
            log.exception("Scoring chunk %s-%s of %s failed", first, last, run)
            liveness.reconnect_if_lost()
            fail(run_id, f"Scoring customers {first}-{last} failed: {type(exc).__name__}: {exc}")
            raise
    with transaction.atomic():
        run = ModelRun.objects.select_for_update().get(pk=run_id)
        if first not in run.chunks_scored:
            scored = [*run.chunks_scored, first]
            ModelRun.objects.filter(pk=run_id).update(chunks_scored=scored, chunks_done=len(scored))
    run.refresh_from_db()
    share = run.chunks_done / max(run.chunks_total, 1)
    ModelRun.objects.filter(pk=run_id, concluded_at__isnull=True).update(
        progress=round(WRITING + (PUBLISHING - WRITING) * share, 3)
    )
    if run.status == ModelRun.Status.FAILED:
        family.result_model.objects.filter(run_id=run_id, customer_id__gte=first, customer_id__lte=last).delete()
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


def fail(run_id: int, error: str, timings: dict | None = None, only_if_silent_since=None) -> int:
    """Mark a run failed with the reason and delete the rows it wrote (never visible: it was not active). With
    `only_if_silent_since`, only if its heartbeat has not moved since (the sweep must not fail a run that beat
    meanwhile). Returns 1 if this call failed it."""
    changes = {"status": ModelRun.Status.FAILED, "error": error, "finished_at": timezone.now()}
    if timings is not None:
        changes["timings"] = timings
    running = ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.RUNNING)
    if only_if_silent_since is not None:
        running = running.exclude(heartbeat_at__gte=only_if_silent_since)
    failed = running.update(**changes)
    if failed:
        family = ModelRun.objects.values_list("family", flat=True).get(pk=run_id)
        base.get(family).result_model.objects.filter(run_id=run_id).delete()
    return failed


def by_data(run_ids: list[int]) -> list[list[int]]:
    """The runs grouped by what their families read (Family.reads), in id order within each group: the groups a
    retrain trains side by side, each on one read of its data."""
    families = dict(ModelRun.objects.filter(pk__in=run_ids).values_list("pk", "family"))
    groups: dict[str, list[int]] = {}
    for pk in sorted(families):
        groups.setdefault(base.get(families[pk]).reads, []).append(pk)
    return list(groups.values())


def execute_together(run_ids: list[int], spread: bool = True) -> list[ModelRun]:
    """Run several queued runs of one as-of date one after another on one shared snapshot (the data is read once
    for all of them). Returns the runs as they ended."""
    from insights.snapshot import Snapshot

    runs = list(ModelRun.objects.filter(pk__in=run_ids).order_by("pk"))
    reads_lines = any(base.get(run.family).reads == "lines" for run in runs)  # then purchases come from the lines
    snapshots: dict[dt.date, Snapshot] = {}
    done = []
    for run in runs:
        snapshot = snapshots.setdefault(run.as_of, Snapshot.as_of(run.as_of, shared=reads_lines))
        done.append(execute_run(run.pk, snapshot=snapshot, spread=spread))
    return done
