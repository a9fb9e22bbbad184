"""Celery tasks of the insights app, and the helpers that queue them. Thin: each task takes primary keys and calls
one service; queueing happens here, through the outbox (crm/outbox.py) in the caller's transaction, so services
never import tasks and a broker outage loses no work."""

from __future__ import annotations

from celery import shared_task

from crm import outbox
from insights import runs


def queue_runs(run_ids: list[int]) -> None:
    """Queue recorded runs in the current transaction (the outbox sends them after commit, or when the broker
    answers again): one run alone as `train`; several grouped by what their families read (`runs.by_data`), each
    group as one `train_together`, which reads that data once for all of the group, so that two workers train the
    customer families and the product families side by side."""
    for group in runs.by_data([int(pk) for pk in run_ids]):
        if len(group) == 1:
            outbox.enqueue(train.name, group[0])
        else:
            outbox.enqueue(train_together.name, group)


def queue_chunks(run) -> int:
    """Spread a run's pending scoring chunks over the workers (through the outbox); returns how many were queued."""
    chunks = runs.pending_chunks(run)
    outbox.enqueue_many([(score_chunk.name, (run.pk, first, last, run.attempts)) for first, last in chunks])
    return len(chunks)


def queue_rescore(customer_id: int | None) -> None:
    """Ask a worker to re-score `customer_id` with the active models, in the current transaction (sent after
    commit through the outbox)."""
    from insights import rescoring

    if customer_id is not None and rescoring.anything_to_rescore():
        outbox.enqueue(rescore_customer.name, customer_id)


def queue_classify(interaction_id: int | None) -> None:
    """Ask a worker to classify an interaction's sentiment and topic with the active model, in the current
    transaction (sent after commit through the outbox; nothing to do before the first sentiment run)."""
    from insights.publishing import active_run_id

    if interaction_id is not None and active_run_id("sentiment"):
        outbox.enqueue(classify_interaction.name, interaction_id)


def queue_import_rescore(merged_at) -> None:
    """Ask a worker, in the import's transaction (sent after commit through the outbox), to re-score the customers
    whose orders or interactions the import wrote (those created at `merged_at`), spread over the workers in
    chunks."""
    from insights import rescoring

    if rescoring.anything_to_rescore():
        outbox.enqueue(rescore_imported.name, merged_at.isoformat())


def queue_currency_rescore(currencies) -> None:
    """Ask a worker, in the rates import's transaction (sent after commit through the outbox), to re-score the
    customers with orders in `currencies`, spread over the workers in chunks."""
    from insights import rescoring

    if currencies and rescoring.anything_to_rescore():
        outbox.enqueue(rescore_currencies.name, sorted(currencies))


def _report(run) -> str:
    spread = queue_chunks(run)
    return f"{run}: scoring in {spread} chunks" if spread else str(run)


@shared_task(ignore_result=True)
def train(run_id: int) -> str:
    """Train, backtest and publish one queued model run."""
    return _report(runs.execute_run(run_id))


@shared_task(ignore_result=True)
def train_together(run_ids: list[int]) -> str:
    """Train several queued runs on one shared read of the data (a group of a retrain of every family), writing
    their rows here: the data is in memory already, and the other worker trains the other group meanwhile, so
    spreading the scoring would only read each chunk's data again."""
    return "; ".join(_report(run) for run in runs.execute_together(run_ids, spread=False))


@shared_task(ignore_result=True)
def retrain_all(trigger: str = "schedule") -> str:
    """Record a run of every family and queue them (`queue_runs`: the two kinds of data on two workers); the nightly
    schedule calls this. Families in flight are skipped."""
    from insights.families import base

    started, skipped = [], []
    for family in base.names():
        try:
            started.append(runs.request_run(family, trigger=trigger).pk)
        except runs.AlreadyRunning as exc:
            skipped.append(exc.run.pk)
    queue_runs(started)
    return f"queued runs {started}; already in flight: {skipped}"


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
def rescore_imported(merged_at: str) -> str:
    """Spread the re-scoring of an import's customers over the workers, one `rescore_customers` task per chunk."""
    import datetime as dt

    from insights import rescoring

    chunks = rescoring.imported_chunks(dt.datetime.fromisoformat(merged_at))
    outbox.enqueue_many([(rescore_customers.name, (ids,)) for ids in chunks])
    return f"import of {merged_at}: {sum(map(len, chunks))} customers in {len(chunks)} chunks"


@shared_task(ignore_result=True)
def rescore_currencies(currencies: list[str]) -> str:
    """Spread the re-scoring of the customers with orders in `currencies` (their rates changed) over the workers."""
    from insights import rescoring

    chunks = rescoring.currency_chunks(currencies)
    outbox.enqueue_many([(rescore_customers.name, (ids,)) for ids in chunks])
    return f"rates of {', '.join(currencies)}: {sum(map(len, chunks))} customers in {len(chunks)} chunks"


@shared_task(ignore_result=True)
def rescore_customers(customer_ids: list[int]) -> str:
    """Score a chunk of customers again with the active models (an import's)."""
    from insights import rescoring

    return f"{len(customer_ids)} customers: {rescoring.rescore_customers(customer_ids)}"


@shared_task(ignore_result=True)
def score_chunk(run_id: int, first: int, last: int, attempt: int | None = None) -> str:
    """Score one chunk of a run's customers (ids first..last); the last chunk publishes the run."""
    return runs.run_chunk(run_id, first, last, attempt)


@shared_task(ignore_result=True)
def sweep_lost_runs() -> str:
    """Fail the runs whose worker was lost (no heartbeat for WORKER_LOST_AFTER_SECONDS), freeing their families
    (the schedule calls this every minute)."""
    return f"failed {runs.fail_lost_runs()} run(s) whose worker was lost"


@shared_task(ignore_result=True)
def prune_runs() -> str:
    """Delete the results of old inactive runs (the nightly schedule calls this), and vacuum the tables they left."""
    from customers.bulk import vacuum
    from insights import pruning
    from insights.families import base

    pruned = pruning.prune()
    vacuum(*(base.get(family).result_model for family, count in pruned.items() if count))
    return f"pruned runs per family: {pruned}"


@shared_task(ignore_result=True)
def record_suggestions() -> str:
    """Record the next best actions every owner's worklist suggests today (the nightly schedule calls this; the
    worklist page itself writes nothing)."""
    from django.utils import timezone

    from insights import next_actions

    return f"{next_actions.record(timezone.localdate())} suggestions on the worklists"
