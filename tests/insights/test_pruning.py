"""Pruning: old inactive runs lose their results and model, keep their record; recent and latest runs are kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from insights import pruning, publishing
from insights.models import ChurnScore, ModelRun
from recommendations.models import Recommendation
from tests.factories import CustomerFactory, ProductFactory

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


def family_run(family: str, days_ago: int, active: bool = False) -> ModelRun:
    return ModelRun.objects.create(
        family=family, as_of=(NOW - dt.timedelta(days=days_ago)).date(), status="succeeded" if active else "superseded",
        is_active=active, finished_at=NOW - dt.timedelta(days=days_ago), metrics={"x": 1}, model_card={"k": 1},
    )  # fmt: skip


def test_runs_beyond_the_kept_count_lose_their_results_whatever_their_age(settings):
    settings.MODEL_RESULTS_RETENTION_DAYS, settings.MODEL_RESULTS_KEEP_RUNS = 120, 4
    runs = [churn_run(days) for days in (9, 8, 7, 6, 5, 4, 3, 2)]  # a nightly retrain: all within the window
    ModelRun.objects.filter(pk=runs[-1].pk).update(is_active=True, status="succeeded")
    assert pruning.prune(NOW)["churn"] == 4
    for run in runs[:4]:
        run.refresh_from_db()
        assert run.pruned_at is not None and run.metrics == {"roc_auc": 0.7}
        assert not ChurnScore.objects.filter(run=run).exists()
    assert all(ChurnScore.objects.filter(run=run).exists() for run in runs[4:])  # the latest four, the active one too


def test_families_without_a_score_history_keep_only_their_latest_three_runs(settings):
    settings.MODEL_RESULTS_KEEP_RUNS = 12
    product, customer = ProductFactory(), CustomerFactory()
    runs = [family_run("recommendations", days, active=days == 1) for days in (5, 4, 3, 2, 1)]
    for run in runs:
        Recommendation.objects.create(
            run=run, customer=customer, list="reorder", rank=1, product=product, score=1.0, component="popular",
            reason_code="popular",
        )  # fmt: skip
    for days in (5, 4, 3, 2, 1):
        family_run("value", days, active=days == 1)
    first = pruning.prune(NOW)
    assert (first["recommendations"], first["value"]) == (2, 0)
    assert pruning.prune(NOW)["recommendations"] == 0
    assert sorted(Recommendation.objects.values_list("run_id", flat=True)) == [r.pk for r in runs[2:]]
    pruned = set(ModelRun.objects.filter(pruned_at__isnull=False).values_list("pk", flat=True))
    assert pruned == {r.pk for r in runs[:2]}  # value keeps its five: its history shows twelve
    assert ModelRun.objects.get(pk=runs[0].pk).model_card == {"k": 1}


def test_the_kept_count_never_goes_below_three(settings):
    settings.MODEL_RESULTS_KEEP_RUNS = 3
    assert pruning.runs_kept("churn") == pruning.runs_kept("segments") == pruning.KEEP_LATEST == 3
    settings.MODEL_RESULTS_KEEP_RUNS = 12
    assert (pruning.runs_kept("value"), pruning.runs_kept("churn"), pruning.runs_kept("sentiment")) == (12, 12, 3)


@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_prunes_and_vacuums_outside_a_transaction(settings):
    from insights.tasks import prune_runs

    settings.MODEL_RESULTS_KEEP_RUNS = 3
    runs = [churn_run(days) for days in (5, 4, 3, 2)]
    vacuums = _vacuum_count(ChurnScore)
    assert prune_runs() == "pruned runs per family: " + str({f: int(f == "churn") for f in pruning.base.names()})
    assert not ChurnScore.objects.filter(run=runs[0]).exists() and ChurnScore.objects.filter(run=runs[1]).exists()
    if connection.vendor == "postgresql":  # VACUUM is PostgreSQL's; the count is kept by its statistics collector
        assert _vacuum_count(ChurnScore) > vacuums, "the pruned table was not vacuumed"


def _vacuum_count(model) -> int:
    """How many times the table was vacuumed by hand (0 on other databases), as the statistics say now."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s", [model._meta.db_table])
        return cursor.fetchone()[0]
