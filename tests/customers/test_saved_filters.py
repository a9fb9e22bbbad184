"""Saved filters on the customer list: saved under a name, listed, opened and deleted by their own user only."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from customers.models import SavedFilter
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")
SAVE = reverse("customers:save_filter")


def opened(saved: SavedFilter) -> str:
    return reverse("customers:open_filter", args=[saved.pk])


def delete(saved: SavedFilter) -> str:
    return reverse("customers:delete_filter", args=[saved.pk])


@pytest.fixture
def alices_filter(alice) -> SavedFilter:
    return SavedFilter.objects.create(user=alice, name="French customers", query="country=France")


def test_a_user_saves_the_lists_filters_under_a_name(alice, alice_client):
    response = alice_client.post(SAVE, {"name": "  Lapsed   in France ", "query": "country=France&sort=-name"})
    saved = SavedFilter.objects.get(user=alice)
    assert (saved.name, saved.query) == ("Lapsed in France", "country=France&sort=-name")
    assert response.status_code == 302 and response["Location"] == f"{LIST}?country=France&sort=-name"


def test_only_the_lists_own_parameters_are_kept(alice, alice_client):
    alice_client.post(SAVE, {"name": "Mine", "query": "page=7&q=ada&evil=1&csrfmiddlewaretoken=x&country="})
    assert SavedFilter.objects.get(user=alice).query == "q=ada"


def test_the_save_form_is_on_the_list_with_the_current_query(alice_client):
    response = alice_client.get(LIST, {"country": "France", "page": "2"})
    assertContains(response, 'action="/customers/saved-filters/"')
    assertContains(response, '<input type="hidden" name="query" value="country=France" id="id_query">', html=True)
    assertContains(response, '<label for="id_saved_filter_name">Save this filter as</label>', html=True)
    assertContains(response, 'name="csrfmiddlewaretoken"')


def test_a_duplicate_name_is_refused_and_the_filters_are_kept(alice, alice_client, alices_filter):
    response = alice_client.post(SAVE, {"name": "French customers", "query": "country=Spain"}, follow=True)
    assert SavedFilter.objects.filter(user=alice).count() == 1
    assertContains(response, "You already have a saved filter named")
    assert response.redirect_chain[-1][0] == f"{LIST}?country=Spain"  # back to what was on screen


def test_an_empty_name_is_refused(alice, alice_client):
    response = alice_client.post(SAVE, {"name": "   ", "query": "country=France"}, follow=True)
    assert not SavedFilter.objects.exists()
    assertContains(response, "The filter was not saved")


def test_two_users_may_use_the_same_name(alice, bob_client, alices_filter):
    bob_client.post(SAVE, {"name": "French customers", "query": "country=France"})
    assert SavedFilter.objects.filter(name="French customers").count() == 2


def test_the_list_shows_only_the_users_own_saved_filters(alice_client, bob_client, alices_filter):
    assertContains(alice_client.get(LIST), "French customers")
    assertNotContains(bob_client.get(LIST), "French customers")


def test_opening_a_saved_filter_applies_it(alice, alice_client, alices_filter):
    CustomerFactory(owner=alice, name="Ada", country="France")
    CustomerFactory(owner=alice, name="Brian", country="Germany")
    response = alice_client.get(opened(alices_filter), follow=True)
    assert [c.name for c in response.context["page_obj"]] == ["Ada"]
    assert parse_qs(urlsplit(response.redirect_chain[-1][0]).query) == {"country": ["France"]}


def test_a_saved_filter_never_shows_more_than_its_user_may_see(bob, bob_client):
    CustomerFactory(name="Not bob's", country="France")
    saved = SavedFilter.objects.create(user=bob, name="All of France", query=f"country=France&owner={bob.pk + 1}")
    assert list(bob_client.get(opened(saved), follow=True).context["page_obj"]) == []


@pytest.mark.parametrize("persona", ["bob", "charlie", "dana"])
def test_someone_elses_saved_filter_answers_404(request, persona, alices_filter):
    client = request.getfixturevalue(f"{persona}_client")
    assert client.get(opened(alices_filter)).status_code == 404
    assert client.post(delete(alices_filter)).status_code == 404
    assert SavedFilter.objects.filter(pk=alices_filter.pk).exists()


def test_a_user_deletes_their_saved_filter(alice_client, alices_filter):
    response = alice_client.post(delete(alices_filter), follow=True)
    assert not SavedFilter.objects.filter(pk=alices_filter.pk).exists()
    assertContains(response, "Deleted the saved filter")


def test_deleting_needs_a_post(alice_client, alices_filter):
    assert alice_client.get(delete(alices_filter)).status_code == 405
    assert alice_client.get(SAVE).status_code == 405


def test_anonymous_users_are_sent_to_sign_in(anonymous_client, alices_filter):
    for response in (
        anonymous_client.post(SAVE, {"name": "x", "query": ""}),
        anonymous_client.get(opened(alices_filter)),
        anonymous_client.post(delete(alices_filter)),
    ):
        assert response.status_code == 302 and "/login" in response["Location"]
    assert SavedFilter.objects.count() == 1


@pytest.mark.parametrize("persona", ["alice", "charlie", "dana"])
def test_every_role_may_save_filters(request, persona):
    client = request.getfixturevalue(f"{persona}_client")
    client.post(SAVE, {"name": "Mine", "query": "q=x"})
    assert SavedFilter.objects.filter(user__username=persona, name="Mine").exists()


def test_saving_needs_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(SAVE, {"name": "Mine", "query": "q=x"}).status_code == 403
    assert not SavedFilter.objects.exists()


def test_a_user_has_at_most_50_saved_filters(alice, alice_client):
    SavedFilter.objects.bulk_create(SavedFilter(user=alice, name=f"F{n}", query="") for n in range(50))
    response = alice_client.post(SAVE, {"name": "One more", "query": "q=x"}, follow=True)
    assertContains(response, "delete one first")
    assert SavedFilter.objects.filter(user=alice).count() == 50


def test_an_admin_sees_saved_filters_in_the_admin_but_cannot_add_them(dana_client, alices_filter):
    assertContains(dana_client.get(reverse("admin:customers_savedfilter_changelist")), "French customers")
    assert dana_client.get(reverse("admin:customers_savedfilter_add")).status_code == 403
