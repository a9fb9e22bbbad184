"""Whole pages kept a few seconds per session (crm/page_cache.py): served again to the same browser only, never
after that session changed something, anyone's permissions or roles changed, or a message is due."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import roles
from crm.page_cache import HIT_HEADER
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]

LIST = reverse("customers:list")


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 15


def primed(client: Client, path: str = LIST):
    """The first page gives the browser its CSRF cookie (a page setting one is not kept); the second is kept."""
    client.get(path)
    response = client.get(path)
    assert response[HIT_HEADER] == "miss"
    return response


def test_the_same_page_comes_back_from_the_cache_without_running_the_view(alice, alice_client):
    CustomerFactory(owner=alice, name="Ada Lovelace")
    first = primed(alice_client)
    with CaptureQueriesContext(connection) as queries:
        again = alice_client.get(LIST)
    assert again[HIT_HEADER] == "hit"
    assert again.content == first.content
    assert len(queries) <= 2  # the session and the user, nothing of the page
    assert "private" in again["Cache-Control"]


def test_each_query_string_is_its_own_page(alice, alice_client):
    CustomerFactory(owner=alice, name="Ada Lovelace")
    primed(alice_client)
    assert alice_client.get(LIST, {"q": "ada"})[HIT_HEADER] == "miss"


def test_another_session_of_the_same_user_gets_its_own_page(alice, alice_client):
    CustomerFactory(owner=alice, name="Ada Lovelace")
    primed(alice_client)
    other = Client()
    other.force_login(alice)
    other.get(LIST)
    assert other.get(LIST)[HIT_HEADER] == "miss"


def test_a_change_the_session_makes_is_seen_on_its_next_page(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    profile = reverse("customers:detail", args=[customer.pk])
    primed(alice_client, profile)
    alice_client.post(
        reverse("customers:log_interaction", args=[customer.pk]),
        {"kind": "call", "direction": "outbound", "subject": "Spring catalogue", "body": "Wants samples."},
    )
    shown = alice_client.get(profile)  # shows "Call logged": not kept
    assert "Spring catalogue" in shown.content.decode()
    assert HIT_HEADER not in shown
    after = alice_client.get(profile)
    assert after[HIT_HEADER] == "miss" and "Spring catalogue" in after.content.decode()


def test_a_revoked_permission_takes_effect_on_the_next_request(charlie, charlie_client, bob):
    CustomerFactory(owner=bob, name="Brian Kernighan")
    assert "Brian Kernighan" in primed(charlie_client).content.decode()
    Group.objects.get(name=roles.MANAGER).permissions.remove(Permission.objects.get(codename="view_all_customers"))
    response = charlie_client.get(LIST)
    assert response[HIT_HEADER] == "miss"
    assert "Brian Kernighan" not in response.content.decode()


def test_a_role_given_to_the_user_takes_effect_on_the_next_request(alice, alice_client, bob):
    CustomerFactory(owner=bob, name="Brian Kernighan")
    assert "Brian Kernighan" not in primed(alice_client).content.decode()
    alice.groups.add(Group.objects.get(name=roles.MANAGER))
    response = alice_client.get(LIST)
    assert response[HIT_HEADER] == "miss"
    assert "Brian Kernighan" in response.content.decode()


def test_a_permission_granted_from_the_permissions_side_takes_effect_on_the_next_request(alice, alice_client, bob):
    CustomerFactory(owner=bob, name="Brian Kernighan")
    primed(alice_client)
    Permission.objects.get(codename="view_all_customers").user_set.add(alice)
    assert "Brian Kernighan" in alice_client.get(LIST).content.decode()


def test_signing_in_elsewhere_keeps_the_pages(alice, alice_client):
    primed(alice_client)
    Client().force_login(alice)  # saves her last_login, which changes no right
    assert alice_client.get(LIST)[HIT_HEADER] == "hit"


def test_a_page_that_would_set_the_csrf_cookie_is_not_kept(alice_client):
    first = alice_client.get(LIST)
    assert HIT_HEADER not in first
    assert "csrftoken" in first.cookies


def test_the_token_of_a_kept_page_is_accepted(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    customer = CustomerFactory(owner=alice)
    profile = reverse("customers:detail", args=[customer.pk])
    primed(client, profile)
    page = client.get(profile)
    assert page[HIT_HEADER] == "hit"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = client.post(
        reverse("customers:log_interaction", args=[customer.pk]),
        {"csrfmiddlewaretoken": token, "kind": "note", "direction": "internal", "subject": "Kept page"},
    )
    assert response.status_code == 302


def test_off_when_the_setting_is_zero(settings, alice_client):
    settings.PAGE_CACHE_SECONDS = 0
    alice_client.get(LIST)
    assert HIT_HEADER not in alice_client.get(LIST)


def test_signed_out_visitors_are_sent_to_sign_in_not_served_a_page(client):
    response = client.get(LIST)
    assert response.status_code == 302 and HIT_HEADER not in response


def test_the_number_of_matches_is_kept_while_paging_and_renewed_by_the_sessions_own_change(charlie, charlie_client):
    CustomerFactory.create_batch(3)
    primed(charlie_client)
    CustomerFactory()  # someone else's import: seen within PAGE_CACHE_SECONDS
    assert charlie_client.get(LIST, {"page": 1}).context["page_obj"].paginator.count == 3
    charlie_client.post(reverse("customers:save_filter"), {"name": "All", "query": "q=a"})  # any change of its own
    assert charlie_client.get(LIST, {"page": 1}).context["page_obj"].paginator.count == 4
