"""The profile's figures in a real browser: a customer who buys in several currencies has their lifetime revenue
in the base currency with the unconvertible amount apart, and the health card is as fresh as the orders after an
import."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from playwright.sync_api import expect

from customers.models import ExchangeRate, Product
from insights import publishing, rescoring, runs
from insights.models import ChurnScore
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_mixed_currency_customers_figures_are_never_added_across_currencies(tab, sign_in, alice, settings):
    settings.DEFAULT_CURRENCY = "GBP"
    ExchangeRate.objects.create(currency="EUR", day=dt.date(2020, 1, 1), rate=Decimal("0.85"))
    customer = CustomerFactory(owner=alice, name="Three Currencies Ltd")
    for days, currency, price in ((30, "GBP", "100.00"), (20, "EUR", "100.00"), (10, "USD", "40.00")):
        order = OrderFactory(customer=customer, currency=currency, placed_at=timezone.now() - dt.timedelta(days=days))
        OrderItemFactory(order=order, quantity=1, unit_price=Decimal(price))
    sign_in(alice)
    tab.open(reverse("customers:detail", args=[customer.pk]))
    page = tab.page
    expect(page.locator("#lifetime-revenue")).to_have_text("GBP 185.00")  # 100 + 100 x 0.85
    expect(page.locator("#unconverted")).to_contain_text("USD 40.00")
    expect(page.locator("#average-order")).to_have_text("GBP 92.50")  # per converted order
    expect(page.locator("body")).to_contain_text("EUR 100.00")  # the order keeps its own currency
    tab.screenshot("profile-mixed-currency")
    tab.assert_clean()


@pytest.mark.slow
def test_the_health_card_is_as_fresh_as_the_orders_after_an_import(tab, sign_in, charlie, tmp_path):
    end = dt.date(2025, 6, 30)
    call_command("seed_demo", customers=300, seed=3, end=end.isoformat(), no_logins=True, verbosity=0)
    active = {}
    for family in ("value", "churn"):
        run = runs.execute_run(runs.request_run(family, as_of=end).pk)
        if not run.is_active:
            publishing.publish(run)
        active[family] = run
    customer = ChurnScore.objects.filter(run=active["churn"]).order_by("-probability").first().customer
    sku = Product.objects.filter(kind="product").values_list("sku", flat=True).first()
    path = tmp_path / "orders.csv"
    placed = timezone.localtime() - dt.timedelta(hours=1)
    path.write_text(
        "order_number,placed_at,sku,quantity,unit_price,customer_id\n"
        f"E2E-1,{placed:%Y-%m-%d %H:%M},{sku},2,40.00,{customer.external_id}\n",
        encoding="utf-8",
    )
    call_command("import_orders", str(path), format="lodestar", no_progress=True, verbosity=0)
    # What the worker does once the import commits (insights.tasks.rescore_imported, then a chunk each).
    for chunk in rescoring.imported_chunks(customer.orders.latest("created_at").created_at):
        rescoring.rescore_customers(chunk)
    sign_in(charlie)
    tab.open(reverse("customers:detail", args=[customer.pk]))
    today = date_format(timezone.localdate(), "j M Y")
    page = tab.page
    expect(page.locator("#churn-risk")).to_contain_text(f"as of {today}")
    expect(page.locator("#expected-value")).to_contain_text(f"as of {today}")
    # The last order beside it, an hour ago: yesterday in the first hour of the day (this failed after midnight).
    expect(page.get_by_label("Key figures")).to_contain_text(date_format(placed.date(), "j M Y"))
    tab.screenshot("profile-health-after-import")
    tab.assert_clean()
