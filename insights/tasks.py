"""Celery tasks of the insights app, and the helpers that queue them. Thin: each task takes primary keys and calls
one service; queueing happens here, after the caller's transaction commits, so services never import tasks."""

from __future__ import annotations

from celery import group, shared_task
from django.db import transaction

from insights import runs


def queue_runs(run_ids: list[int]) -> None:
    """Queue recorded runs once the current transaction commits: one run alone as `train`, several as one
    `train_together`, which reads the data once for all of them."""
    ids = [int(pk) for pk in run_ids]
    if len(ids) == 1:
        transaction.on_commit(lambda: train.delay(ids[0]))
    elif ids:
        transaction.on_commit(lambda: train_together.delay(ids))


def queue_chunks(run) -> int:
    """Spread a run's pending scoring chunks over the workers (after commit); returns how many were queued."""
    chunks = runs.pending_chunks(run)
    if chunks:
        tasks = group(score_chunk.s(run.pk, first, last) for first, last in chunks)
        transaction.on_commit(tasks.apply_async)
    return len(chunks)


def queue_rescore(customer_id: int | None) -> None:
    """Ask a worker to re-score `customer_id` with the active models once the current transaction commits."""
    from insights import rescoring

    if customer_id is not None and rescoring.anything_to_rescore():
        transaction.on_commit(lambda: rescore_customer.delay(customer_id))


def queue_classify(interaction_id: int | None) -> None:
    """Ask a worker to classify an interaction's sentiment and topic with the active model once the current
    transaction commits (nothing to do before the first sentiment run)."""
    from insights.publishing import active_run_id

    if interaction_id is not None and active_run_id("sentiment"):
        transaction.on_commit(lambda: classify_interaction.delay(interaction_id))


def _report(run) -> str:
    spread = queue_chunks(run)
    return f"{run}: scoring in {spread} chunks" if spread else str(run)


@shared_task(ignore_result=True)
def train(run_id: int) -> str:
    """Train, backtest and publish one queued model run."""
    return _report(runs.execute_run(run_id))


@shared_task(ignore_result=True)
def train_together(run_ids: list[int]) -> str:
    """Train several queued runs on one shared read of the data (a retrain of every family)."""
    return "; ".join(_report(run) for run in runs.execute_together(run_ids))


@shared_task(ignore_result=True)
def retrain_all(trigger: str = "schedule") -> str:
    """Record and train a run of every family (the nightly schedule calls this); families in flight are skipped."""
    from insights.families import base

    started, skipped = [], []
    for family in base.names():
        try:
            started.append(runs.request_run(family, trigger=trigger).pk)
        except runs.AlreadyRunning as exc:
            skipped.append(exc.run.pk)
    reports = [_report(run) for run in runs.execute_together(started)] if started else []
    return f"trained runs {started} ({'; '.join(reports)}); already in flight: {skipped}"


@shared_task(ignore_result=True)
def rescore_customer(customer_id: int) -> str:
    """Score one customer again with the active models (queued after their order or interaction commits)."""
    from insights import rescoring

    return f"customer {customer_id}: {rescoring.rescore_customer(customer_id)}"


@shared_task(ignore_result=True)
def classify_interaction(interaction_id: int) -> str:
    """Classify one interaction with the active sentiment model (queued after it commits)."""
    from insights import classifying

    return classifying.classify_interactions([interaction_id])


@shared_task(ignore_result=True)
def score_chunk(run_id: int, first: int, last: int) -> str:
    """Score one chunk of a run's customers (ids first..last); the last chunk publishes the run."""
    return runs.run_chunk(run_id, first, last)


@shared_task(ignore_result=True)
def prune_runs() -> str:
    """Delete the results of old inactive runs (the nightly schedule calls this)."""
    from insights import pruning

    return f"pruned runs per family: {pruning.prune()}"
