"""The broker down: every action that queues work answers as usual, the work waits in the outbox (the pages say
so), two relays send each message once, and (slow, a real Redis and worker) the work proceeds exactly once when
the broker is back."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from crm import outbox
from crm.models import OutboxMessage, WorkerPing
from customers.models import Customer, ImportRun, Interaction, Order
from insights.models import CustomerValue, ModelRun
from tests.faults.processes import (
    END,
    RedisServer,
    Row,
    active,
    admin_upload,
    in_parallel,
    queued_messages,
    start_worker,
    stop,
    table,
    wait_for,
)


def _customer_of(user) -> Customer:
    from tests.factories import CustomerFactory

    return CustomerFactory(owner=user, profiling_consent=True, marketing_consent=False)


def _with_active_value_run(customer: Customer) -> ModelRun:
    run = active("value")
    CustomerValue.objects.create(run=run, customer=customer, p_alive=0.5, expected_purchases_90d=1,
                                 expected_purchases_365d=2, expected_order_value=10, clv_12m=20)  # fmt: skip
    return run


def _retrain_now(ctx):
    return ctx["dana_client"].post(reverse("admin:insights_modelrun_retrain"), {"family": "segments"})


def _expect_retrain_waits(ctx, response):
    run = ModelRun.objects.get(family="segments")
    assert response["Location"] == reverse("admin:insights_modelrun_change", args=[run.pk])
    assert run.status == "queued"
    waiting = list(OutboxMessage.objects.values_list("task", "args", "sent_at"))
    assert waiting == [("insights.tasks.train", [run.pk], None)]
    page = ctx["dana_client"].get(response["Location"])
    assert b"Waiting for the background worker" in page.content


def _expect_import_waits(ctx, response):
    run = ImportRun.objects.get()
    assert run.status == "queued"
    assert OutboxMessage.objects.get().task == "customers.tasks.import_uploaded_file"
    page = ctx["dana_client"].get(response["Location"])
    assert b"Waiting for the background worker" in page.content


def _log_a_call(ctx):
    customer = _customer_of(ctx["alice"])
    _with_active_value_run(customer)
    ctx["customer"] = customer
    form = {"kind": "call", "direction": "outbound", "subject": "Checked in", "body": "",
            "occurred_at": "2026-12-01T10:00"}  # fmt: skip
    return ctx["alice_client"].post(reverse("customers:log_interaction", args=[customer.pk]), form)


def _expect_call_logged_once(ctx, response):
    assert Interaction.objects.filter(customer=ctx["customer"]).count() == 1
    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.sent_at) == ("insights.tasks.rescore_customer", [ctx["customer"].pk],
                                                             None)  # fmt: skip
    assert message.attempts == 1 and "OperationalError" in message.last_error


def _check_the_worker(ctx):
    return ctx["dana_client"].post(reverse("admin:crm_workerping_check"))


def _expect_ping_waits(ctx, response):
    ping = WorkerPing.objects.get()
    assert not ping.is_answered
    assert OutboxMessage.objects.get().args == [ping.pk]
    page = ctx["dana_client"].get(response["Location"])
    assert b"Waiting for the background worker" in page.content


def _withdraw_consent(ctx):
    customer = _customer_of(ctx["alice"])
    ctx["customer"], ctx["run"] = customer, _with_active_value_run(customer)
    return ctx["alice_client"].post(reverse("customers:change_consent", args=[customer.pk]), {})


def _expect_scores_removed_at_once(ctx, response):
    assert not Customer.objects.get(pk=ctx["customer"].pk).profiling_consent
    assert not CustomerValue.objects.filter(customer=ctx["customer"]).exists()  # in the request, not by a task
    assert not OutboxMessage.objects.exists()


def _give_consent_again(ctx):
    customer = _customer_of(ctx["alice"])
    _with_active_value_run(customer)
    Customer.objects.filter(pk=customer.pk).update(profiling_consent=False)
    ctx["customer"] = customer
    url = reverse("customers:change_consent", args=[customer.pk])
    return ctx["alice_client"].post(url, {"profiling_consent": "on"})


def _expect_rescore_waits(ctx, response):
    assert Customer.objects.get(pk=ctx["customer"].pk).profiling_consent
    assert OutboxMessage.objects.get().task == "insights.tasks.rescore_customer"


BROKER_DOWN = (
    Row("Retrain now", _retrain_now, _expect_retrain_waits),
    Row("an admin upload", admin_upload, _expect_import_waits),
    Row("Log a call", _log_a_call, _expect_call_logged_once),
    Row("Check the background worker", _check_the_worker, _expect_ping_waits),
    Row("withdrawing profiling consent", _withdraw_consent, _expect_scores_removed_at_once),
    Row("giving profiling consent again", _give_consent_again, _expect_rescore_waits),
)


@table(*BROKER_DOWN)
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down(row: Row, broker_down, alice, alice_client, dana, dana_client):
    ctx = {"alice": alice, "alice_client": alice_client, "dana_client": dana_client}
    response = row.act(ctx)
    assert response.status_code == 302, response.content[:500]
    row.expect(ctx, response)


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_send_each_message_once(broker_down, settings):
    """The claim: messages are locked while one relay sends them; the other skips them."""
    for pk in range(20):
        outbox.enqueue("crm.tasks.answer_ping", pk)
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 20
    with RedisServer() as url:
        settings.CELERY_BROKER_URL = url
        outbox._refused_at = None
        in_parallel(lambda: outbox.relay(limit=3), lambda: outbox.relay(limit=3))
        assert queued_messages(url) == 20
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_work_queued_while_the_broker_is_down_proceeds_once_it_is_back(dana_client, tmp_path, settings, monkeypatch):
    from celery import current_app

    call_command("seed_demo", customers=150, seed=3, end=END.isoformat(), no_logins=True, verbosity=0)
    server = RedisServer()
    server.start()
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)  # the Celery app's own broker, made again from it
    settings.CELERY_BROKER_URL = server.url
    current_app.close()
    outbox._refused_at = None
    worker = None
    try:
        server.stop()  # the broker goes down
        answers = [
            dana_client.post(reverse("admin:insights_modelrun_retrain"), {"family": "segments"}),
            dana_client.post(reverse("admin:crm_workerping_check")),
            admin_upload({"dana_client": dana_client}),
        ]
        assert [a.status_code for a in answers] == [302, 302, 302]
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 3
        server.start()  # and comes back, empty
        worker = start_worker(tmp_path, broker=server.url)  # relays what waits as it starts
        wait_for(lambda: not ModelRun.objects.filter(status__in=ModelRun.IN_FLIGHT).exists()
                  and not ImportRun.objects.filter(status__in=["queued", "running"]).exists()
                  and WorkerPing.objects.filter(answered_at__isnull=False).exists(), 180,
                  "the queued work to be done", tmp_path / "worker.log")  # fmt: skip
        assert outbox.relay() == 0  # nothing is sent twice
        assert queued_messages(server.url) == 0
    finally:
        if worker:
            stop(worker)
        monkeypatch.undo()
        current_app.close()
        outbox._refused_at = None
        server.__exit__()
    run = ModelRun.objects.get()
    assert run.status == "succeeded" and run.attempts == 1, run.error
    assert ImportRun.objects.get().status == "succeeded" and Order.objects.filter(external_number="500000").exists()
    assert OutboxMessage.objects.filter(sent_at__isnull=False).count() == 3
