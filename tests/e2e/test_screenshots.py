"""A screenshot of every page for each role (rep, manager, admin) into test-artifacts/screenshots/<role>-<page>.png,
for a person to look at, and the checks a glance cannot miss: every page loads cleanly (no console error, no failed
asset), the top bar fits a 390 px phone, the model run list fits a 1366 px screen."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from insights import publishing
from insights.models import ModelRun
from recommendations.models import AssociationRule, ProductForecast
from tests.e2e.book import make_book
from tests.factories import InteractionFactory, ProductFactory, TagFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def shop(alice, bob):
    """make_book's customers and runs, with tags, a long note, rules and a 12-week demand forecast."""
    book = make_book({"alice": alice, "bob": bob})
    juniper = book.customers["Juniper & Sons"]
    juniper.tags.add(TagFactory(name="VIP"), TagFactory(name="Trade fair 2026"))
    TagFactory(name="Wholesale")
    InteractionFactory(customer=juniper, user=alice, subject="Quarterly review", body="Long notes. " * 60)
    # SKUs as shops write them (a hyphen a browser may break a line at)
    teapot, cups, tea = (
        ProductFactory(name=n, sku=f"KIT-0011{i}") for i, n in enumerate(["Blue teapot", "Tea cups", "Tea"])
    )
    for family in ("rules", "demand"):
        run = ModelRun.objects.create(
            family=family,
            as_of=dt.date(2026, 1, 1),
            status="running",
            model_card={
                "horizon": 12,
                "origin": "2025-10-06",
                "interval": {"coverage": 0.81, "method": "residuals"},
                "per_week": [0.2, 0.25, 0.3],
            },
        )
        publishing.publish(run)
        if family == "rules":
            AssociationRule.objects.create(run=run, antecedent=teapot, consequent=cups, support=0.02, confidence=0.41,
                                           lift=3.46, count=40)  # fmt: skip
            AssociationRule.objects.create(run=run, antecedent=teapot, antecedent_2=tea, consequent=cups, support=0.01,
                                           confidence=0.62, lift=5.1, count=18)  # fmt: skip
        else:
            for product, base in ((teapot, 5), (cups, 12), (tea, 30)):
                for week in range(1, 13):
                    ProductForecast.objects.create(
                        run=run, product=product, week=dt.date(2026, 1, 5) + dt.timedelta(weeks=week - 1), horizon=week,
                        forecast=base, median=base, lower=base * 0.6, upper=base * 1.5,
                    )  # fmt: skip
    return book, teapot


def _pages(book, teapot, role: str) -> dict[str, str]:
    juniper = book.customers["Juniper & Sons"]
    pages = {
        "home": reverse("home"),
        "customers": reverse("customers:list"),
        "customers-sorted-by-risk": reverse("customers:list") + "?sort=-risk",
        "profile": reverse("customers:detail", args=[juniper.pk]),
        "history": reverse("customers:timeline", args=[juniper.pk]),
        "worklist": reverse("insights:worklist"),
        "products": reverse("products:list"),
        "product": reverse("products:detail", args=[teapot.pk]),
        "dashboards": reverse("insights:dashboards"),
    }
    if role in ("manager", "admin"):
        pages["what-will-sell-12-weeks"] = reverse("recommendations:what_will_sell") + "?weeks=12"
        pages["bought-together"] = reverse("recommendations:rules")
        pages["change-owner"] = reverse("customers:change_owner", args=[juniper.pk])
    if role == "admin":
        older = ModelRun.objects.get(family="segments", status="superseded")  # offers the roll back
        demand = ModelRun.objects.get(family="demand")  # has a model card
        pages["admin"] = reverse("admin:index")
        pages["admin-model-runs"] = reverse("admin:insights_modelrun_changelist")
        pages["admin-model-run-older"] = reverse("admin:insights_modelrun_change", args=[older.pk])
        pages["admin-model-card"] = reverse("admin:insights_modelrun_card", args=[demand.pk])
        pages["admin-import-runs"] = reverse("admin:customers_importrun_changelist")
    return pages


@pytest.mark.parametrize("role", ["rep", "manager", "admin"])
def test_every_page_of_each_role_is_shot_and_loads_cleanly(role, request, tab, sign_in, shop):
    book, teapot = shop
    user = request.getfixturevalue({"rep": "alice", "manager": "charlie", "admin": "dana"}[role])
    sign_in(user)
    for name, path in _pages(book, teapot, role).items():
        response = tab.open(path)
        assert response.status == 200, (name, response.status)
        tab.screenshot(f"{role}-{name}")
    if role == "rep":
        assert tab.open(reverse("recommendations:rules")).status == 403
        tab.screenshot("rep-403")
        tab.problems = [p for p in tab.problems if not p[0].endswith(reverse("recommendations:rules"))]
    tab.assert_clean()


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_the_top_bar_and_the_pages_fit_a_390px_phone(role, request, browser, live_server, sign_in, context, shop):
    from tests.e2e.conftest import Tab

    user = request.getfixturevalue({"rep": "alice", "manager": "charlie"}[role])
    sign_in(user)
    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    tab = Tab(phone, live_server.url)
    pages = [("customers", reverse("customers:list")), ("profile", reverse("customers:detail", args=[
            shop[0].customers["Juniper & Sons"].pk])), ("worklist", reverse("insights:worklist")),
            ("dashboards", reverse("insights:dashboards")), ("products", reverse("products:list")),
            ("history", reverse("customers:timeline", args=[shop[0].customers["Juniper & Sons"].pk]))]  # fmt: skip
    if role == "manager":
        pages.append(("what-will-sell", reverse("recommendations:what_will_sell") + "?weeks=12"))
    for name, path in pages:
        tab.open(path)
        tab.screenshot(f"{role}-phone-{name}")
        wide = phone.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391"
            " && !e.closest('.table-wrap, .table-scroll, .chart-scroll, .main-nav ul'))"
            ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
        )
        assert not wide, f"{name} is wider than a 390 px phone: {wide}"
        # Nor does anything inside a scrolling table widen the page (a visually hidden header did, by 469 px).
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
        broken = phone.evaluate("[...document.querySelectorAll('td code')].filter(c => c.getClientRects().length > 1)"
                                ".map(c => c.textContent)")  # fmt: skip
        assert not broken, f"{name}: codes broken over two lines: {broken}"
        if name == "what-will-sell":  # four columns of figures: their names wrap, so the last one is on the screen
            last = phone.locator("table.data thead th").last.bounding_box()
            assert last["x"] + last["width"] <= 390, f"{name}: its last column is off the screen at {last}"
        nav = phone.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Worklist")).to_be_visible()
        expect(phone.get_by_role("button", name="Sign out")).to_be_in_viewport()
    tab.assert_clean()


def test_the_model_run_list_fits_1366px(tab, sign_in, dana, shop):
    for family in ("recommendations", "sentiment"):  # the longest names ("Recommendations" cannot wrap)
        ModelRun.objects.create(family=family, as_of=dt.date(2026, 1, 1), status="succeeded", progress=1.0)
    sign_in(dana)
    tab.page.set_viewport_size({"width": 1366, "height": 768})
    tab.open(reverse("admin:insights_modelrun_changelist"))
    tab.screenshot("admin-model-runs-1366")
    table, room = tab.page.evaluate(
        "[document.querySelector('#result_list').scrollWidth, document.querySelector('.results').clientWidth]"
    )
    assert table <= room, f"the run list's table is {table} px wide in {room} px"
    tab.assert_clean()
