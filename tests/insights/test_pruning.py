"""Pruning: old inactive runs lose their results and model, keep their record; recent and latest runs are kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from insights import pruning, publishing
from insights.models import ChurnScore, ModelRun
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def churn_run(days_ago: int, status: str = "superseded", active: bool = False) -> ModelRun:
    run = ModelRun.objects.create(
        family="churn", as_of=(NOW - dt.timedelta(days=days_ago)).date(), status=status, is_active=active,
        finished_at=NOW - dt.timedelta(days=days_ago), metrics={"roc_auc": 0.7},
    )  # fmt: skip
    ChurnScore.objects.create(run=run, customer=CustomerFactory(), probability=0.5, band="medium")
    return run


def test_old_inactive_runs_lose_their_results_but_keep_their_record(settings):
    settings.MODEL_RESULTS_RETENTION_DAYS = 30
    old = [churn_run(days) for days in (400, 300, 200, 100)]
    recent = churn_run(10)
    active = churn_run(500, status="succeeded", active=True)
    assert pruning.prune(NOW)["churn"] == 2  # the two oldest; the latest three successful runs are kept
    for run in old[:2]:
        run.refresh_from_db()
        assert run.pruned_at is not None and run.metrics == {"roc_auc": 0.7}
        assert not ChurnScore.objects.filter(run=run).exists()
    for run in (*old[2:], recent, active):
        assert ChurnScore.objects.filter(run=run).exists()


def test_pruning_twice_prunes_nothing_more(settings):
    settings.MODEL_RESULTS_RETENTION_DAYS = 30
    for days in (400, 300, 200, 100, 90):
        churn_run(days)
    assert pruning.prune(NOW)["churn"] == 2
    assert pruning.prune(NOW)["churn"] == 0


def test_a_pruned_run_cannot_be_activated(settings):
    settings.MODEL_RESULTS_RETENTION_DAYS = 30
    runs = [churn_run(days) for days in (400, 300, 200, 100)]
    pruning.prune(NOW)
    runs[0].refresh_from_db()
    with pytest.raises(ValueError, match="pruned"):
        publishing.activate(runs[0])
