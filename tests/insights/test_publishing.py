"""The model-run registry: single flight, atomic publishing, rollback, bulk write-back, the cached active run."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from insights import publishing, runs
from insights.models import ChurnScore, ModelRun
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _run(family="churn", **fields) -> ModelRun:
    return ModelRun.objects.create(
        family=family, as_of=dt.date(2026, 1, 1), status=fields.pop("status", "running"), **fields
    )


def test_publishing_makes_the_run_active_and_supersedes_the_old_one(django_capture_on_commit_callbacks):
    old = _run(status="succeeded", is_active=True)
    new = _run()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(new, note="beats the baseline")
    old.refresh_from_db()
    assert (new.is_active, new.status, new.publish_note) == (True, "succeeded", "beats the baseline")
    assert (old.is_active, old.status) == (False, "superseded")


def test_the_database_refuses_two_active_runs_of_a_family():
    _run(status="succeeded", is_active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        _run(status="succeeded", is_active=True)


def test_a_superseded_run_can_be_reactivated():
    first = _run(status="succeeded")
    publishing.publish(first)
    second = _run()
    publishing.publish(second)
    publishing.activate(ModelRun.objects.get(pk=first.pk))
    assert list(ModelRun.objects.filter(is_active=True).values_list("pk", flat=True)) == [first.pk]


def test_a_failed_or_held_run_cannot_be_activated():
    with pytest.raises(ValueError, match="only a successful run"):
        publishing.activate(_run(status="failed"))
    with pytest.raises(ValueError, match="only a successful run"):
        publishing.activate(_run(status="held"))


def test_the_active_run_is_cached_and_refreshed_on_publish(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    assert publishing.active_run_id("churn") is None
    run = _run()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(run)
    assert publishing.active_run_id("churn") == run.pk
    with django_assert_num_queries(0):
        assert publishing.active_run_id("churn") == run.pk
        assert publishing.active_runs(["churn"]) == {"churn": run.pk}


def test_a_request_reads_the_active_runs_once_and_the_next_request_reads_them_again(
    django_capture_on_commit_callbacks, monkeypatch, request
):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    # As Django's test client does: the test's transaction must outlive the "requests".
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
        request.addfinalizer(lambda signal=signal: signal.connect(close_old_connections))
    run = _run(status="succeeded", is_active=True)
    asked = []
    real_get_many = publishing.cache.get_many
    monkeypatch.setattr(publishing.cache, "get_many", lambda keys: asked.append(keys) or real_get_many(keys))
    request_started.send(sender=None)
    assert publishing.active_runs(["churn", "value"]) == {"churn": run.pk, "value": None}
    assert publishing.active_run_id("segments") is None
    assert publishing.active_verdicts(["churn"]) == {"churn": ""}
    assert len(asked) == 1  # every family's at once, then nothing more in this request
    request_finished.send(sender=None)
    newer = _run()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(newer)
    assert publishing.active_run_id("churn") == newer.pk  # outside a request, nothing is kept
    request_started.send(sender=None)
    assert publishing.active_run_id("churn") == newer.pk
    request_finished.send(sender=None)


def test_results_are_written_in_bulk_with_their_run():
    run = _run()
    customers = [CustomerFactory() for _ in range(3)]
    rows = [(run.pk, c.pk, 0.1 * i, "low", [{"feature": "recency_days"}]) for i, c in enumerate(customers)]
    assert publishing.write_rows(ChurnScore, ["run_id", "customer_id", "probability", "band", "factors"], rows) == 3
    assert ChurnScore.objects.filter(run=run).count() == 3
    assert ChurnScore.objects.get(customer=customers[0]).factors == [{"feature": "recency_days"}]


def test_timestamps_are_written_as_the_same_instants():
    import pandas as pd

    from insights.models import InteractionSentiment

    run, customer = _run(family="sentiment"), CustomerFactory()
    given = ["2025-06-30 23:59:59.123456+02:00", "2024-01-01 00:00:00+00:00"]
    stamps = pd.to_datetime(given, utc=True, format="ISO8601")
    frame = pd.DataFrame(
        {
            "interaction_id": [1, 2],
            "customer_id": customer.pk,
            "occurred_at": pd.Series(stamps).dt.tz_convert("Europe/London"),
            "sentiment": "neutral",
            "sentiment_probability": 0.5,
            "topic": "general",
            "topic_probability": 0.5,
            "run_id": run.pk,
        }
    )
    assert publishing.write_frame(InteractionSentiment, frame) == 2
    written = InteractionSentiment.objects.filter(run=run).order_by("interaction_id")
    assert list(written.values_list("occurred_at", flat=True)) == [
        dt.datetime(2025, 6, 30, 21, 59, 59, 123456, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    ]


def test_a_missing_timestamp_is_written_as_null():
    import pandas as pd

    frame = pd.DataFrame({"at": pd.to_datetime(["2025-01-02 03:04:05+00:00", None], utc=True), "n": [1, 2]})
    assert publishing._stamps_as_text(frame)["at"].tolist()[0] == "2025-01-02T03:04:05.000000Z"
    assert pd.isna(publishing._stamps_as_text(frame)["at"].tolist()[1])


def test_a_second_trigger_while_one_runs_is_told_so_and_starts_nothing():
    first = runs.request_run("segments")
    with pytest.raises(runs.AlreadyRunning, match=f"run #{first.pk} is already queued"):
        runs.request_run("segments")
    assert ModelRun.objects.filter(family="segments").count() == 1


def test_another_family_may_run_at_the_same_time():
    runs.request_run("segments")
    assert runs.request_run("churn").status == "queued"


def test_a_run_lost_with_its_worker_does_not_block_the_next_one():
    lost = runs.request_run("segments")
    ModelRun.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(days=1), status="running")
    fresh = runs.request_run("segments")
    lost.refresh_from_db()
    assert lost.status == "failed" and "Worker lost" in lost.error
    assert fresh.status == "queued"


def test_a_queued_run_is_sent_to_a_worker_only_after_commit(django_capture_on_commit_callbacks):
    from insights import tasks

    with django_capture_on_commit_callbacks() as callbacks:
        tasks.queue_runs([runs.request_run("segments").pk])
    assert len(callbacks) == 1
