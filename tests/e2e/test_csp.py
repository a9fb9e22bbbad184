"""Every page, the app's and Django admin's, runs under the strict Content-Security-Policy with no violation, for an
admin, a rep and a superuser: no inline script or style anywhere, every asset from the app itself.

The browser reports a violation twice: as a `securitypolicyviolation` event on the document (collected by a script
Playwright adds to every page, which the policy does not cover) and as a console error; either fails the test."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from insights import publishing
from insights.models import ModelRun
from recommendations.models import ProductForecast
from tests.e2e.book import make_book
from tests.factories import InteractionFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def book(alice, bob):
    """The browser tests' customers and runs, an interaction, and a product with a published demand forecast (its
    panel draws bars whose length is data)."""
    made = make_book({"alice": alice, "bob": bob})
    customer = made.customers["Harbour Lights Ltd"]
    InteractionFactory(customer=customer, user=alice)
    product = ProductFactory(name="Lantern")
    run = ModelRun.objects.create(family="demand", as_of=dt.date(2026, 1, 1), status="running")
    publishing.publish(run)
    for horizon in range(1, 4):
        ProductForecast.objects.create(
            run=run, product=product, week=dt.date(2026, 1, 5) + dt.timedelta(weeks=horizon - 1), horizon=horizon,
            forecast=10 * horizon, median=10 * horizon, lower=5 * horizon, upper=15 * horizon,
        )  # fmt: skip
    return made, customer, product


def _site_pages(customer, product) -> list[str]:
    pages = [
        reverse("home"),
        reverse("customers:list"),
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:timeline", args=[customer.pk]),
        reverse("customers:change_owner", args=[customer.pk]),
        reverse("products:list"),
        reverse("products:detail", args=[product.pk]),
        reverse("insights:worklist"),
        reverse("insights:dashboards"),
        reverse("recommendations:rules"),
        reverse("recommendations:what_will_sell"),
    ]
    return pages


def _admin_pages() -> list[str]:
    """The admin index, and each registered model's list, add page and first object's change page."""
    pages = [reverse("admin:index")]
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        pages += [reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            try:
                pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            except NoReverseMatch:
                continue
    return pages


def _allowed(user, pages: list[str]) -> list[str]:
    """The pages `user` gets with 200 (the others are refused or redirected, and tested elsewhere)."""
    client = Client()
    client.force_login(user)
    return [page for page in pages if client.get(page).status_code == 200]


def _violations(tab, context, pages: list[str]) -> list[str]:
    found = []
    for page in pages:
        response = tab.open(page)
        assert "default-src 'self'" in response.headers.get("content-security-policy", ""), page
        tab.page.wait_for_timeout(200)  # deferred scripts ran before "load"; give what they start a moment
        found += [f"{page}: {v}" for v in tab.page.evaluate("window.__cspViolations")]
    found += [f"{url}: {what}" for url, what in tab.problems if "Content Security Policy" in what]
    return found


@pytest.fixture
def strict_tab(tab, context):
    context.add_init_script(COLLECT_VIOLATIONS)
    return tab


def test_the_sign_in_page_has_no_violation(strict_tab, context):
    assert _violations(strict_tab, context, [reverse("login"), reverse("admin:login")]) == []


def test_a_reps_pages_have_no_violation(strict_tab, context, sign_in, book, alice):
    _, customer, product = book
    pages = _allowed(alice, _site_pages(customer, product))
    assert reverse("customers:detail", args=[customer.pk]) in pages
    sign_in(alice)
    assert _violations(strict_tab, context, pages) == []


def test_an_admins_pages_and_django_admin_have_no_violation(strict_tab, context, sign_in, book, dana):
    _, customer, product = book
    pages = _allowed(dana, _site_pages(customer, product) + _admin_pages())
    assert reverse("admin:customers_customer_change", args=[customer.pk]) in pages
    assert reverse("admin:auth_user_changelist") in pages
    sign_in(dana)
    assert _violations(strict_tab, context, pages) == []


def test_a_superusers_user_and_group_forms_have_no_violation(strict_tab, context, sign_in, book, alice):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    pages = [
        reverse("admin:auth_user_change", args=[alice.pk]),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_group_add"),
        reverse("admin:auth_user_password_change", args=[alice.pk]),
    ]
    sign_in(root)
    assert _violations(strict_tab, context, pages) == []


def test_the_api_docs_run_under_the_policy_with_no_violation(strict_tab, context, sign_in, alice):
    """Swagger UI (drf-spectacular's split view: its start-up script is a file of its own, not inline) draws the
    whole API from the schema, with its assets from the app."""
    sign_in(alice)
    assert _violations(strict_tab, context, [reverse("api-docs")]) == []
    title = strict_tab.page.locator(".swagger-ui .info .title")
    title.wait_for(timeout=15_000)
    assert "Lodestar CRM API" in title.inner_text()
    assert strict_tab.page.locator(".opblock").count() >= 15  # every operation is listed
    assert _violations(strict_tab, context, []) == []  # nothing blocked while it drew them
