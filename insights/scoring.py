"""Scoring every customer with a fitted model, in chunks of customers that a Celery group spreads over any number
of workers on any number of machines.

Each chunk loads only its customers' data, scores them with the model saved with the run, and writes its rows;
the chunk that completes the count publishes the run (or holds it back), so no worker waits for another and no
result backend is needed. A run small enough for one chunk, or trained in process, is scored right here.
"""

from __future__ import annotations

import logging

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from insights import artifacts, data, publishing
from insights.families import common, module
from insights.models import ModelRun

log = logging.getLogger(__name__)


def plan(customer_ids, size: int) -> list[tuple[int, int]]:
    """Inclusive (first, last) id ranges of at most `size` customers each, in id order."""
    ids = np.unique(np.asarray(customer_ids, dtype=np.int64))
    return [(int(chunk[0]), int(chunk[-1])) for chunk in np.array_split(ids, max(1, -(-len(ids) // size)))]


def score_range(run: ModelRun, first: int, last: int, dataset: common.Dataset | None = None) -> int:
    """Score the customers with ids in [first, last] as of the run's date and write their rows (from `dataset`
    when the caller already holds everyone's data, otherwise loading just these customers')."""
    family = module(run.family)
    if hasattr(family, "write_range"):  # a family whose results are not one row per customer writes its own
        return family.write_range(run, first, last, dataset)
    if dataset is None:
        until = common.training_moment(run.as_of)
        ids = (first, last)
        dataset = common.Dataset(
            until, data.purchases(until, ids), data.returns(until, ids), data.interactions(until, ids)
        )
    frame = family.score_frame(artifacts.load(run.pk), dataset)
    rows = (
        (run.pk, int(customer), *values)
        for customer, values in zip(frame.index, frame.itertuples(index=False), strict=True)
    )
    return publishing.write_rows(family.RESULT_MODEL, ["run_id", "customer_id", *frame.columns], rows)


def score_all(run: ModelRun, progress, customer_ids, verdict: tuple[bool, str], dataset: common.Dataset) -> bool:
    """Score every customer: here, from the data already loaded, when they fit in one chunk or the run is in
    process; otherwise as a Celery group. Returns True when the run is finished, False when chunks are to come."""
    ranges = plan(customer_ids, settings.SCORING_CHUNK_SIZE)
    run.model_card["verdict"] = {"publishable": verdict[0], "reason": verdict[1]}
    local = len(ranges) == 1 or bool(run.parameters.get("in_process"))
    ModelRun.objects.filter(pk=run.pk).update(model_card=run.model_card, chunks_total=1 if local else len(ranges))
    if local:
        progress("scoring", 0.7)
        score_range(run, ranges[0][0], ranges[-1][1], dataset)
        ModelRun.objects.filter(pk=run.pk).update(chunks_done=1)
        conclude(run)
        return True
    from celery import group

    from insights.tasks import score_chunk

    progress(f"scoring in {len(ranges)} chunks", 0.7)
    chunks = group(score_chunk.s(run.pk, first, last) for first, last in ranges)
    transaction.on_commit(chunks.apply_async)
    return False


def conclude(run: ModelRun) -> None:
    """Publish or hold back the run, as its evaluation decided."""
    run.refresh_from_db()
    verdict = run.model_card.get("verdict", {})
    common.conclude(run, bool(verdict.get("publishable")), verdict.get("reason", ""))
    ModelRun.objects.filter(pk=run.pk).update(stage="done", progress=1.0, finished_at=timezone.now())


def run_chunk(run_id: int, first: int, last: int) -> str:
    """One chunk of a run's scoring (a Celery task calls this); the last chunk to finish concludes the run."""
    run = ModelRun.objects.get(pk=run_id)
    if run.status != ModelRun.Status.RUNNING:
        return f"{run} is {run.status}: chunk {first}-{last} skipped"
    family = module(run.family)
    try:
        written = score_range(run, first, last)
    except Exception as exc:
        log.exception("Scoring chunk %s-%s of %s failed", first, last, run)
        error = f"Scoring customers {first}-{last} failed: {type(exc).__name__}: {exc}"
        failed = ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.RUNNING).update(
            status=ModelRun.Status.FAILED, error=error, finished_at=timezone.now()
        )
        if failed:
            family.RESULT_MODEL.objects.filter(run_id=run_id).delete()
        raise
    ModelRun.objects.filter(pk=run_id).update(chunks_done=F("chunks_done") + 1)
    run.refresh_from_db()
    ModelRun.objects.filter(pk=run_id).update(progress=0.7 + 0.3 * run.chunks_done / max(run.chunks_total, 1))
    if run.status == ModelRun.Status.FAILED:
        family.RESULT_MODEL.objects.filter(run_id=run_id, customer_id__range=(first, last)).delete()
        return f"{run} failed meanwhile: chunk {first}-{last} discarded"
    # Exactly one chunk sees the count complete and claims the conclusion.
    if run.chunks_done == run.chunks_total and ModelRun.objects.filter(
        pk=run_id, status=ModelRun.Status.RUNNING
    ).exclude(stage="publishing").update(stage="publishing"):
        conclude(run)
    return f"{run}: scored {written} customers ({first}-{last})"
