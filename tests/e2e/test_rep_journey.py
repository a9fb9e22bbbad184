"""A sales rep in a real browser: signing in, finding a customer, logging a call; and not seeing others' customers."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from customers.models import Interaction
from tests.e2e.book import make_book

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "correct-horse-battery"  # the one tests.factories.UserFactory gives every user


@pytest.fixture
def book(alice, bob):
    """Alice's and bob's customers with orders and active model runs (tests/e2e/book.py)."""
    return make_book({"alice": alice, "bob": bob})


def test_a_rep_signs_in_finds_a_customer_and_logs_a_call_on_the_timeline(tab, book, alice):
    page = tab.page
    tab.open(reverse("customers:list"))  # signed out: sent to the login form first
    expect(page.get_by_role("heading", name="Sign in to Lodestar")).to_be_visible()
    tab.screenshot("login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()  # back where she was going
    page.get_by_role("searchbox", name="Search").fill("juniper")
    page.get_by_role("searchbox", name="Search").press("Enter")
    results = page.locator("table.data tbody tr")
    expect(results).to_have_count(1)
    expect(results.get_by_role("link", name="Juniper & Sons")).to_be_visible()
    tab.screenshot("customer-list-search")

    results.get_by_role("link", name="Juniper & Sons").click()
    expect(page.get_by_role("heading", name="Juniper & Sons", level=1)).to_be_visible()
    form = page.get_by_role("form", name="Log an interaction")
    form.get_by_label("Kind").select_option(label="Call")
    form.get_by_label("Subject").fill("Spring catalogue follow-up")
    form.get_by_label("Notes").fill("Wants samples of the new linen range before reordering.")
    form.get_by_role("button", name="Log it").click()

    expect(page.get_by_role("status")).to_contain_text("Call logged on Juniper & Sons's timeline.")
    # The timeline of the interactions card (the sentiment card lists the latest interactions too).
    entry = page.locator("[aria-labelledby=interactions-title] ol.timeline li").first
    expect(entry).to_contain_text("Spring catalogue follow-up")
    expect(entry).to_contain_text("logged by alice")
    tab.screenshot("profile-after-logging-a-call")
    logged = Interaction.objects.get(customer=book.customers["Juniper & Sons"])
    assert (logged.kind, logged.user, logged.subject) == ("call", alice, "Spring catalogue follow-up")
    tab.assert_clean()


def test_a_rep_opening_another_reps_customer_gets_the_styled_not_found_page(tab, sign_in, book, alice):
    sign_in(alice)
    path = reverse("customers:detail", args=[book.customers["Northwind Traders"].pk])  # bob's
    response = tab.open(path)
    assert response.status == 404
    page = tab.page
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Northwind")
    # Styled: the stylesheet loaded and applied (the header is laid out by it), not Django's bare error page.
    expect(page.locator("header.site-header")).to_have_css("display", re.compile(r"^(block|flex|grid)$"))
    assert page.evaluate("document.styleSheets.length >= 1 && document.styleSheets[0].cssRules.length > 20")
    tab.screenshot("not-found")
    tab.assert_clean(except_url=tab.base_url + path)  # the 404 itself is the point; nothing else may fail
