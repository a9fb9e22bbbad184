"""Pruning old model runs: the results of runs that are no longer active are deleted, and so is their saved model,
once they are older than MODEL_RESULTS_RETENTION_DAYS or beyond the latest runs the family keeps (`runs_kept`):
MODEL_RESULTS_KEEP_RUNS for a family whose score history the profile shows (value and churn), KEEP_LATEST for the
others, whose pages read the active run only (and the segments dashboards the one before it). The run's record
stays, with its metrics and model card, so the model-quality history is kept; the latest KEEP_LATEST successful
runs of each family keep their results whatever their age, so there is always something to roll back to. A nightly
task calls `prune`.

A count, not only an age, bounds the result tables: a nightly retrain adds some 850 MB of rows at 100k customers
(two million recommendations among them), and 120 days of them would be read past, indexed around and
analysed by every run after."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from insights.families import base
from insights.models import ModelRun

KEEP_LATEST = 3
FINISHED = (ModelRun.Status.SUCCEEDED, ModelRun.Status.SUPERSEDED, ModelRun.Status.HELD, ModelRun.Status.FAILED)
SUCCESSFUL = (ModelRun.Status.SUCCEEDED, ModelRun.Status.SUPERSEDED)


def discard_all() -> int:
    """Delete every model run with its results, and their saved models once the transaction commits; returns how
    many runs went. For when the data they were learned from is replaced (customers.signals.data_replaced)."""
    from django.db import transaction

    from insights.publishing import forget_active

    files = [run.artifact for run in ModelRun.objects.exclude(artifact="").only("artifact")]
    count = ModelRun.objects.count()
    for family in base.names():  # one DELETE per result table: nothing hangs off result rows
        base.get(family).result_model.objects.all().delete()
    ModelRun.objects.all().delete()
    forget_active(base.names())
    transaction.on_commit(lambda: [file.delete(save=False) for file in files])
    return count


def runs_kept(family: str) -> int:
    """How many of the family's latest successful runs keep their results (within the retention window)."""
    if base.get(family).score_history:
        return max(KEEP_LATEST, settings.MODEL_RESULTS_KEEP_RUNS)
    return KEEP_LATEST


def prune(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete the results and models of old inactive runs; returns the number of runs pruned per family."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.MODEL_RESULTS_RETENTION_DAYS)
    pruned = {}
    for family in base.names():
        successful = ModelRun.objects.filter(family=family, status__in=SUCCESSFUL)
        ranked = list(successful.order_by("-finished_at", "-pk").values_list("pk", flat=True))
        beyond = ranked[runs_kept(family) :]
        old = (
            ModelRun.objects.filter(family=family, is_active=False, status__in=FINISHED, pruned_at__isnull=True)
            .filter(Q(finished_at__lt=cutoff) | Q(pk__in=beyond))
            .exclude(pk__in=ranked[:KEEP_LATEST])
        )
        count = 0
        for run in old:
            base.get(family).result_model.objects.filter(run=run).delete()  # one DELETE: nothing hangs off result rows
            if run.artifact:
                run.artifact.delete(save=False)
            ModelRun.objects.filter(pk=run.pk).update(pruned_at=now, artifact="", artifact_sha256="")
            count += 1
        pruned[family] = count
    return pruned
