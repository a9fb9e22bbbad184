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
        "sentiment",
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
    assert "run_live.js" in page and "style=" not in page.split('id="content"')[1]
    progress = dana_client.get(reverse("admin:insights_modelrun_progress", args=[running.pk])).json()
    assert (progress["status"], progress["stage"], progress["progress"], progress["under_way"]) == (
        "running",
        "fitting",
        0.0,
        True,
    )


def test_the_progress_answer_carries_every_field_the_run_page_refreshes(dana_client):
    from insights.admin_display import LIVE_FIELDS

    run = ModelRun.objects.create(family="value", as_of=dt.date(2026, 1, 1), status="running", stage="fitting")
    ModelRun.objects.filter(pk=run.pk).update(progress=0.42, data_counts={"customers": 7})
    fields = dana_client.get(reverse("admin:insights_modelrun_progress", args=[run.pk])).json()["fields"]
    assert set(fields) == set(LIVE_FIELDS)
    assert (fields["status"], fields["progress_percent"]) == ("Running", "42%")
    assert fields["data_counts"] == '{"customers": 7}'
    page = dana_client.get(reverse("admin:insights_modelrun_change", args=[run.pk])).content.decode()
    for name in LIVE_FIELDS:  # each one is on the page where the script writes it
        assert f"field-{name}" in page


def test_the_run_list_polls_while_a_run_is_under_way(dana_client):
    queued = ModelRun.objects.create(family="value", as_of=dt.date(2026, 1, 1), status="queued")
    done = _finished()
    page = dana_client.get(reverse("admin:insights_modelrun_changelist")).content.decode()
    assert "run_list_live.js" in page and "style=" not in page.split('id="content"')[1]
    answer = dana_client.get(reverse("admin:insights_modelrun_live"), {"ids": f"{queued.pk},{done.pk},x"}).json()
    assert answer["runs"][str(queued.pk)] == {"status": "Queued", "progress": "0%", "under_way": True}
    assert answer["runs"][str(done.pk)]["under_way"] is False


def test_the_model_card_is_a_readable_page(dana_client):
    run = _finished(model_card={"horizon_days": 90, "features": ["recency", "frequency"], "fit": {"c_value": 0.5}})
    page = dana_client.get(reverse("admin:insights_modelrun_change", args=[run.pk])).content.decode()
    card_url = reverse("admin:insights_modelrun_card", args=[run.pk])
    assert f'href="{card_url}"' in page and "horizon_days" not in page  # a link, not raw JSON
    card = dana_client.get(card_url).content.decode()
    assert "<dt>Horizon days</dt>" in card and "recency, frequency" in card and "<dt>C value</dt>" in card


def test_a_churn_runs_model_card_shows_its_calibration_bins_with_their_customers(dana_client):
    from insights.models_ml.metrics import calibration_bins

    bins = calibration_bins([0, 1, 1, 0, 1], [0.05, 0.15, 0.12, 0.95, 0.97])
    run = _finished(model_card={"horizon_days": 90, "calibration": bins}, metrics={"roc_auc": 0.74, "ece": 0.0855})
    card = dana_client.get(reverse("admin:insights_modelrun_card", args=[run.pk])).content.decode()
    table = card.split('<table aria-labelledby="calibration-title">')[1].split("</table>")[0]
    rows = [row.split("</tr>")[0] for row in table.split("<tbody>")[1].split("<tr>")[1:]]
    # Only the bins that hold customers, each with its count, mean predicted risk and observed churn.
    assert len(rows) == 3
    assert "<td>1</td><td>5%</td><td>0%</td>" in rows[0]
    assert "<td>2</td><td>14%</td><td>100%</td>" in rows[1]
    assert "<td>2</td><td>96%</td><td>50%</td>" in rows[2]
    assert "9 points away from what happened (calibration error, ECE 0.086)" in card
    assert "<dt>Calibration</dt>" not in card and "<dt>Horizon days</dt>" in card  # the table, not the tree too


def test_a_card_without_calibration_has_no_calibration_table(dana_client):
    run = _finished(family="value", model_card={"horizon_days": 90})
    card = dana_client.get(reverse("admin:insights_modelrun_card", args=[run.pk])).content.decode()
    assert "calibration-title" not in card and "<dt>Horizon days</dt>" in card


def test_rollback_is_a_button_on_an_older_runs_page(dana_client, charlie, charlie_client):
    old, new = _finished(), _finished()
    publishing.publish(old)
    publishing.publish(new)
    old_page = reverse("admin:insights_modelrun_change", args=[old.pk])
    activate = reverse("admin:insights_modelrun_activate", args=[old.pk])
    assert f'action="{activate}"' in dana_client.get(old_page).content.decode()
    assert (
        "insights_modelrun_activate"
        not in dana_client.get(reverse("admin:insights_modelrun_change", args=[new.pk])).content.decode()
    )  # the active run offers no roll back
    charlie.is_staff = True
    charlie.save()
    assert charlie_client.post(activate).status_code == 403  # a manager reads runs, does not roll back
    response = dana_client.post(activate, follow=True)
    assert "is now the active churn risk run" in response.content.decode()
    assert ModelRun.objects.get(is_active=True).pk == old.pk


def test_an_older_run_can_be_reactivated_from_admin(dana_client):
    old, new = _finished(), _finished()
    publishing.publish(old)
    publishing.publish(new)
    dana_client.post(
        reverse("admin:insights_modelrun_changelist"), {"action": "reactivate", "_selected_action": [old.pk]}
    )
    assert ModelRun.objects.get(is_active=True).pk == old.pk


def test_the_model_card_writes_figures_without_trailing_zeros():
    from insights.admin_display import card_tree

    tree = card_tree({"coverage": 0.81, "rows": 12345.678, "per_week": [0.2, 0.25]})
    assert [(node.label, node.text) for node in tree.items] == [
        ("coverage", "0.81"),
        ("rows", "12,346"),
        ("per week", "0.2, 0.25"),
    ]


def test_a_queued_run_no_worker_started_asks_whether_a_worker_runs(dana_client):
    from django.utils import timezone

    run = ModelRun.objects.create(family="churn", as_of=dt.date(2026, 1, 1))
    ModelRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=3))
    page = dana_client.get(reverse("admin:insights_modelrun_change", args=[run.pk]), follow=True).content.decode()
    assert "the churn risk run was queued at" in page and "Is a worker running?" in page
