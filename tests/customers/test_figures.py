"""One definition of each money figure (customers/figures.py): what a purchase is worth, a customer's spend in
the base currency at each order's rate, and what cannot be converted kept apart in its own currency."""

import datetime as dt
from decimal import Decimal

import pytest

from customers import figures
from customers.models import Customer, ExchangeRate, Order, Product
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


def _order(customer, amount, currency="GBP", placed_at=DAY, kind=Product.Kind.PRODUCT, **fields):
    order = OrderFactory(customer=customer, currency=currency, placed_at=placed_at, **fields)
    OrderItemFactory(order=order, product=ProductFactory(kind=kind), quantity=2, unit_price=Decimal(amount) / 2)
    return order


@pytest.fixture(autouse=True)
def _base_gbp(settings):
    settings.DEFAULT_CURRENCY = "GBP"


def test_spend_counts_goods_of_completed_orders_only():
    customer = CustomerFactory()
    _order(customer, 100)
    _order(customer, 7, kind=Product.Kind.SHIPPING)  # not goods
    _order(customer, 50, status=Order.Status.CANCELLED)
    _order(customer, 900, is_outlier=True)
    spend = figures.spend(Order.objects.filter(customer=customer))
    assert spend.total == Decimal("100.00")
    assert spend.currency == "GBP"
    # The shipping-only order is a purchase with no goods: it counts as an order, worth nothing.
    assert (spend.purchases, spend.converted) == (2, 2)


def test_an_order_in_another_currency_is_converted_at_the_rate_on_or_before_its_day():
    customer = CustomerFactory()
    ExchangeRate.objects.create(currency="EUR", day=dt.date(2026, 1, 1), rate=Decimal("0.80"))
    ExchangeRate.objects.create(currency="EUR", day=dt.date(2026, 3, 10), rate=Decimal("0.90"))  # that very day
    ExchangeRate.objects.create(currency="EUR", day=dt.date(2026, 3, 11), rate=Decimal("2.00"))  # too late
    _order(customer, 100)
    _order(customer, 100, currency="EUR")  # 90 GBP
    _order(customer, 100, currency="EUR", placed_at=DAY - dt.timedelta(days=30))  # 80 GBP
    spend = figures.spend(Order.objects.filter(customer=customer))
    assert spend.total == Decimal("270.00")
    assert spend.unconverted == {}
    assert spend.average_order == Decimal("90.00")


def test_an_order_without_a_rate_is_kept_apart_in_its_own_currency_never_added():
    customer = CustomerFactory()
    ExchangeRate.objects.create(currency="USD", day=dt.date(2026, 4, 1), rate=Decimal("0.75"))  # after the order
    _order(customer, 100)
    _order(customer, 40, currency="USD")
    _order(customer, 60, currency="USD")
    spend = figures.spend(Order.objects.filter(customer=customer))
    assert spend.total == Decimal("100.00")
    assert spend.unconverted == {"USD": Decimal("100.00")}
    assert (spend.purchases, spend.converted) == (3, 1)
    assert spend.average_order == Decimal("100.00")


def test_the_spend_subquery_gives_each_customer_the_same_figure_as_spend():
    ExchangeRate.objects.create(currency="EUR", day=dt.date(2026, 1, 1), rate=Decimal("0.50"))
    first, second, none = CustomerFactory(), CustomerFactory(), CustomerFactory()
    _order(first, 100)
    _order(first, 100, currency="EUR")
    _order(first, 30, currency="USD")  # no rate: not in the base-currency figure
    _order(second, 10)
    annotated = dict(
        Customer.objects.annotate(spent=figures.spend_subquery()).values_list("pk", "spent").order_by("pk")
    )
    for customer in (first, second):
        assert annotated[customer.pk] == figures.spend(Order.objects.filter(customer=customer)).total
    assert annotated[none.pk] is None


def test_the_base_currency_comes_from_the_setting(settings):
    settings.DEFAULT_CURRENCY = "EUR"
    customer = CustomerFactory()
    _order(customer, 100, currency="EUR")
    _order(customer, 100, currency="GBP")
    spend = figures.spend(Order.objects.filter(customer=customer))
    assert (spend.currency, spend.total, spend.unconverted) == ("EUR", Decimal("100.00"), {"GBP": Decimal("100.00")})


def test_order_figures_count_every_order_and_give_the_spend_of_the_purchases_among_them():
    customer = CustomerFactory()
    ExchangeRate.objects.create(currency="EUR", day=dt.date(2026, 1, 1), rate=Decimal("0.50"))
    first = _order(customer, 100, placed_at=DAY - dt.timedelta(days=40))
    _order(customer, 100, currency="EUR")  # 50 GBP
    _order(customer, 30, currency="USD")  # no rate: apart
    _order(customer, 7, kind=Product.Kind.SHIPPING)  # a purchase worth nothing
    _order(customer, 50, currency="USD", status=Order.Status.CANCELLED)  # an order, not a purchase: nothing apart
    _order(customer, 900, is_outlier=True)  # completed, not a purchase
    last = _order(customer, 20, status=Order.Status.RETURNED, placed_at=DAY + dt.timedelta(days=3))
    OrderFactory(customer=customer, placed_at=DAY)  # no lines at all
    counts, spent = figures.order_figures(Order.objects.filter(customer=customer))
    assert counts == {
        "orders": 8,
        "completed_orders": 6,  # every order but the cancelled and the returned ones is completed
        "first_order_at": first.placed_at,
        "last_order_at": last.placed_at,
    }
    assert spent == figures.spend(Order.objects.filter(customer=customer))
    assert (spent.total, spent.unconverted, spent.purchases, spent.converted) == (
        Decimal("150.00"),
        {"USD": Decimal("30.00")},
        5,
        4,
    )


def test_order_figures_of_a_customer_without_orders():
    counts, spent = figures.order_figures(Order.objects.filter(customer=CustomerFactory()))
    assert counts == {"orders": 0, "completed_orders": 0, "first_order_at": None, "last_order_at": None}
    assert (spent.total, spent.purchases, spent.unconverted) == (Decimal("0.00"), 0, {})
