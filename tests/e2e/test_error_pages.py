"""The styled 403 and 404 pages in a browser, under the quick start's settings (crm/settings.py QUICKSTART: DEBUG
off, static files served by WhiteNoise from static/): the navigation is there, the page says why and how back, and
nothing of Django's debug page (the URL map) shows."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.book import make_book

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _quickstart_settings(settings):
    settings.DEBUG = False
    settings.WHITENOISE_USE_FINDERS = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _styled(page) -> None:
    expect(page.locator("header.site-header")).to_have_css("display", re.compile(r"^(block|flex|grid)$"))
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("URLconf")
    expect(page.locator("body")).not_to_contain_text("Traceback")


def test_a_rep_opening_bought_together_gets_an_explanation_and_a_way_back(tab, sign_in, alice):
    sign_in(alice)
    path = reverse("recommendations:rules")
    assert tab.open(path).status == 403
    page = tab.page
    _styled(page)
    expect(page.get_by_role("heading", name="This page is not available to you")).to_be_visible()
    expect(page.locator(".error-page")).to_contain_text("it is for managers")
    tab.screenshot("rep-403-rules")
    page.get_by_role("link", name="Go to the home page").click()
    expect(page).to_have_url(tab.base_url + reverse("home"))
    tab.assert_clean(except_url=tab.base_url + path)


def test_another_reps_customer_and_an_unknown_address_get_the_styled_404(tab, sign_in, alice, bob):
    book = make_book({"alice": alice, "bob": bob})
    sign_in(alice)
    paths = (reverse("customers:detail", args=[book.customers["Northwind Traders"].pk]), "/no-such-page/")
    for path in paths:
        assert tab.open(path).status == 404
        _styled(tab.page)
        expect(tab.page.get_by_role("heading", name="We could not find that page")).to_be_visible()
        expect(tab.page.locator("body")).not_to_contain_text("Northwind")
    tab.screenshot("rep-404")
    expected = {tab.base_url + path for path in paths}  # the 404s themselves are the point; nothing else may fail
    assert not [(url, what) for url, what in tab.problems if url not in expected]
