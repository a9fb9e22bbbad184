"""Celery tasks of the insights app. Thin: each takes primary keys and calls one service."""

from __future__ import annotations

from celery import shared_task

from insights import runs


@shared_task(ignore_result=True)
def train(run_id: int) -> str:
    """Train, evaluate and publish one queued model run."""
    run = runs.execute_run(run_id)
    return f"{run} {run.status}"


@shared_task(ignore_result=True)
def retrain_all(trigger: str = "schedule") -> str:
    """Queue a run of every trainable family (the nightly schedule calls this); families in flight are skipped."""
    from insights.families import FAMILY_MODULES

    started, skipped = [], []
    for family in FAMILY_MODULES:
        try:
            started.append(runs.request_run(family, trigger=trigger).pk)
        except runs.AlreadyRunning as exc:
            skipped.append(exc.run.pk)
    return f"queued runs {started}; already in flight: {skipped}"


@shared_task(ignore_result=True)
def rescore_customer(customer_id: int) -> str:
    """Score one customer again with the active models (queued after their order or interaction commits)."""
    from insights import rescoring

    return f"customer {customer_id}: {rescoring.rescore_customer(customer_id)}"


@shared_task(ignore_result=True)
def score_chunk(run_id: int, first: int, last: int) -> str:
    """Score one chunk of a run's customers (ids first..last); the last chunk publishes the run."""
    from insights import scoring

    return scoring.run_chunk(run_id, first, last)


@shared_task(ignore_result=True)
def prune_runs() -> str:
    """Delete the results of old inactive runs (the nightly schedule calls this)."""
    from insights import pruning

    return f"pruned runs per family: {pruning.prune()}"
