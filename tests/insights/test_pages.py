"""The worklist and dashboards: signed-in only, and honest about having no model yet."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

pytestmark = pytest.mark.django_db

PAGES = ["insights:worklist", "insights:dashboards"]


def test_the_pages_live_at_their_short_addresses():
    assert reverse("insights:worklist") == "/worklist/"
    assert reverse("insights:dashboards") == "/dashboards/"


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_sign_in(anonymous_client, name):
    url = reverse(name)
    assertRedirects(anonymous_client.get(url), f"{reverse('login')}?next={url}", fetch_redirect_response=False)


@pytest.mark.parametrize("persona", ["alice", "charlie", "dana"])
@pytest.mark.parametrize("name", PAGES)
def test_without_a_model_run_they_say_so(request, persona, name):
    client = request.getfixturevalue(f"{persona}_client")
    response = client.get(reverse(name))
    assertContains(response, "No model has run yet")
    assertContains(response, "manage.py retrain")


@pytest.mark.parametrize("name", PAGES)
def test_the_nav_marks_the_current_page(alice_client, name):
    assertContains(alice_client.get(reverse(name)), f'<a href="{reverse(name)}" aria-current="page">')
