"""The worker probe: the service records a ping, queue_ping queues its task after commit; the task answers it
once; admins ask for one from the admin, others may not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import OutboxMessage, WorkerPing
from crm.services import record_ping
from crm.tasks import answer_ping, queue_ping

pytestmark = pytest.mark.django_db


def test_it_records_who_asked(dana):
    ping = record_ping(dana)
    assert ping.requested_by == dana
    assert not ping.is_answered


def test_it_records_the_task_with_the_ping_and_sends_it_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        ping = record_ping()
        queue_ping(ping.pk)
    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.sent_at) == ("crm.tasks.answer_ping", [ping.pk], None)
    assert len(callbacks) == 1  # the relay, once the transaction commits


def test_the_task_answers_the_ping():
    ping = record_ping()
    status = answer_ping(ping.pk)
    ping.refresh_from_db()
    assert status == f"answered ping {ping.pk}"
    assert ping.is_answered
    assert ping.worker
    assert ping.round_trip >= dt.timedelta(0)


def test_the_task_answers_once():
    ping = record_ping()
    answer_ping(ping.pk)
    first = WorkerPing.objects.get(pk=ping.pk).answered_at
    assert answer_ping(ping.pk) == f"ping {ping.pk} was gone or already answered"
    assert WorkerPing.objects.get(pk=ping.pk).answered_at == first


def test_the_task_tolerates_a_deleted_ping():
    assert answer_ping(987654) == "ping 987654 was gone or already answered"


def test_an_unanswered_ping_has_no_round_trip():
    assert record_ping().round_trip is None


def test_admins_see_the_button(dana_client):
    response = dana_client.get(reverse("admin:crm_workerping_changelist"))
    assert response.status_code == 200
    assert b"Check the background worker" in response.content


def test_the_button_queues_a_ping(dana, dana_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = dana_client.post(reverse("admin:crm_workerping_check"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:crm_workerping_changelist")
    assert WorkerPing.objects.get().requested_by == dana
    assert len(callbacks) == 1


def test_the_button_needs_a_post(dana_client):
    assert dana_client.get(reverse("admin:crm_workerping_check")).status_code == 405


def test_a_sales_rep_may_not_ask(alice, alice_client):
    alice.is_staff = True
    alice.save()
    assert alice_client.post(reverse("admin:crm_workerping_check")).status_code == 403
    assert not WorkerPing.objects.exists()


def test_pings_are_read_only_in_admin(dana_client):
    ping = record_ping()
    response = dana_client.get(reverse("admin:crm_workerping_change", args=[ping.pk]))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content


def test_a_stale_ping_says_the_worker_does_not_answer(dana_client):
    WorkerPing.objects.create(requested_at=timezone.now() - dt.timedelta(minutes=5))
    response = dana_client.get(reverse("admin:crm_workerping_changelist"))
    assert b"no answer: is a worker running?" in response.content
