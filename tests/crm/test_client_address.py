"""The client's address that sign-in throttling and the audit trail record: X-Forwarded-For is trusted only as far
as settings.TRUSTED_PROXIES reach, so a client cannot write its own address into the audit trail."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.test import RequestFactory
from django.urls import reverse

from crm.security import client_ip
from tests.factories import CustomerFactory


def _request(forwarded: str | None = None, remote: str = "10.0.0.2"):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, None, "10.0.0.2"),
        (0, "6.6.6.6", "10.0.0.2"),  # no proxy trusted: the header is whatever the client sent
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client's own entry comes first and is ignored
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.2"),  # shorter than the chain: it did not come through every proxy
        (1, "203.0.113.9:4711", "203.0.113.9"),
        (1, "[2001:db8::1]:4711", "2001:db8::1"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, " , ", "10.0.0.2"),
    ],
)
def test_it_trusts_the_header_only_as_far_as_the_proxies_reach(settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(_request(forwarded)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("trusted", "expected"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_the_audit_trail_records_the_address_behind_the_trusted_proxies(settings, alice, alice_client, trusted,
                                                                         expected):  # fmt: skip
    settings.TRUSTED_PROXIES = trusted
    customer = CustomerFactory(owner=alice)
    alice_client.get(
        reverse("customers:detail", args=[customer.pk]),
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
        HTTP_X_FORWARDED_PORT="4711",
    )
    opened = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert opened.remote_addr == expected
    assert opened.remote_port == (4711 if trusted else None)


@pytest.mark.django_db
def test_the_audit_trail_records_no_address_when_told_not_to(settings, alice, alice_client):
    settings.AUDITLOG_DISABLE_REMOTE_ADDR = True
    customer = CustomerFactory(owner=alice)
    alice_client.get(reverse("customers:detail", args=[customer.pk]), HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert LogEntry.objects.get(action=LogEntry.Action.ACCESS).remote_addr is None


@pytest.mark.django_db
def test_sign_in_throttling_counts_attempts_by_the_same_address(settings, alice, client):
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXIES = 1
    client.post(
        reverse("login"), {"username": "alice", "password": "wrong"}, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]
