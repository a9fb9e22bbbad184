"""Model runs in Django admin: Retrain now (single flight), progress, metrics beside baselines, roll back."""

import datetime as dt

import pytest
from django.urls import reverse

from insights import publishing
from insights.models import ModelRun

pytestmark = pytest.mark.django_db


def _finished(family="churn", **fields) -> ModelRun:
    fields.setdefault("metrics", {"roc_auc": 0.74})
    fields.setdefault("baseline", {"name": "recency only", "metrics": {"roc_auc": 0.68}})
    return ModelRun.objects.create(family=family, as_of=dt.date(2026, 1, 1), status="succeeded", **fields)


def test_the_changelist_offers_retrain_now_to_admins(dana_client):
    page = dana_client.get(reverse("admin:insights_modelrun_changelist")).content.decode()
    assert "Retrain now" in page


def test_retrain_now_queues_one_run_after_commit_and_opens_it(dana_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = dana_client.post(reverse("admin:insights_modelrun_retrain"), {"family": "segments"})
    run = ModelRun.objects.get()
    assert (run.family, run.status, run.trigger, run.created_by.username) == ("segments", "queued", "admin", "dana")
    assert response["Location"] == reverse("admin:insights_modelrun_change", args=[run.pk])
    assert len(callbacks) == 1


def test_retrain_now_while_a_run_is_in_flight_says_so_and_starts_nothing(dana_client):
    dana_client.post(reverse("admin:insights_modelrun_retrain"), {"family": "churn"})
    response = dana_client.post(reverse("admin:insights_modelrun_retrain"), {"family": "churn"}, follow=True)
    assert "is already queued; no second run was started" in response.content.decode()
    assert ModelRun.objects.filter(family="churn").count() == 1


def test_retrain_all_queues_every_trainable_family(dana_client):
    dana_client.post(reverse("admin:insights_modelrun_retrain"), {"family": "all"})
    assert set(ModelRun.objects.values_list("family", flat=True)) == {
        "segments",
        "value",
        "churn",
        "recommendations",
        "rules",
        "demand",
    }


def test_a_manager_may_read_runs_but_not_retrain(charlie, charlie_client):
    charlie.is_staff = True
    charlie.save()
    _finished()
    assert charlie_client.get(reverse("admin:insights_modelrun_changelist")).status_code == 200
    charlie_client.post(reverse("admin:insights_modelrun_retrain"), {"family": "churn"})
    assert ModelRun.objects.filter(status="queued").count() == 0


def test_the_run_page_shows_metrics_beside_the_baseline_and_live_progress(dana_client):
    run = _finished()
    page = dana_client.get(reverse("admin:insights_modelrun_change", args=[run.pk])).content.decode()
    assert "recency only" in page and "0.74" in page and "0.68" in page
    running = ModelRun.objects.create(family="value", as_of=dt.date(2026, 1, 1), status="running", stage="fitting")
    page = dana_client.get(reverse("admin:insights_modelrun_change", args=[running.pk])).content.decode()
    assert "import_progress.js" in page
    progress = dana_client.get(reverse("admin:insights_modelrun_progress", args=[running.pk])).json()
    assert progress == {"status": "running", "stage": "fitting", "progress": 0.0}


def test_an_older_run_can_be_reactivated_from_admin(dana_client):
    old, new = _finished(), _finished()
    publishing.publish(old)
    publishing.publish(new)
    dana_client.post(
        reverse("admin:insights_modelrun_changelist"), {"action": "reactivate", "_selected_action": [old.pk]}
    )
    assert ModelRun.objects.get(is_active=True).pk == old.pk
