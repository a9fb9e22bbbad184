"""One filter definition per resource (its FilterSet) for the page, the CSV export and the API: the same query
string gives the same rows wherever it is used. Customers: list, export and API; orders: export and API; products:
list and API; association rules: the rules page and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Product
from insights import publishing
from insights.models import ModelRun
from recommendations.models import AssociationRule
from tests.factories import CustomerFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _csv(response, column: str) -> set[str]:
    assert response.status_code == 200, response.content[:500]
    text = b"".join(response.streaming_content).decode()
    return {row[column] for row in csv.DictReader(io.StringIO(text))}


def _api(client, name: str, query: str, field: str) -> set:
    response = client.get(f"{reverse(name)}?{query}", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content[:500]
    return {row[field] for row in response.json()["results"]}


def _page(client, name: str, query: str, read) -> set:
    response = client.get(f"{reverse(name)}?{query}")
    assert response.status_code == 200
    return {read(row) for row in response.context["page_obj"].object_list}


@pytest.fixture
def customers(alice, bob):
    ada = CustomerFactory(name="Ada Lovelace", country="GB", owner=alice)
    CustomerFactory(name="Émile Zola", country="FR", owner=bob)
    CustomerFactory(name="Ada Byron", country="FR", owner=bob)
    OrderFactory(customer=ada, placed_at=timezone.now() - dt.timedelta(days=400))


@pytest.mark.parametrize(
    "query", ["q=ada", "q=emile", "country=FR", "q=ada&country=FR", "last_order_to=2100-01-01", "sort=-name"]
)
def test_customers_are_filtered_alike_on_the_list_the_export_and_the_api(query, customers, charlie_client):
    listed = _page(charlie_client, "customers:list", query, lambda customer: customer.name)
    exported = _csv(charlie_client.get(f"{reverse('customers:export')}?{query}"), "name")
    api = _api(charlie_client, "customers-api:customer-list", query, "name")
    assert listed == exported == api
    assert listed or query.startswith("last_order_to")


@pytest.fixture
def orders():
    now = timezone.now()
    OrderFactory(external_number="A-OLD", placed_at=now - dt.timedelta(days=60))
    OrderFactory(external_number="B-NEW", placed_at=now - dt.timedelta(days=2))
    OrderFactory(external_number="C-RETURNED", placed_at=now - dt.timedelta(days=2), status="returned")
    return now


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=returned",
        "placed_from={recent}",
        "placed_to={recent}",
        "placed_from={recent}&status=completed",
        "placed_from={recent_text}",  # the pages' own way of writing a date
    ],
)
def test_orders_are_filtered_alike_in_the_export_and_the_api(query, orders, charlie_client):
    recent = timezone.localdate(orders) - dt.timedelta(days=10)
    query = query.format(recent=recent.isoformat(), recent_text=recent.strftime("%d+%b+%Y"))
    exported = _csv(charlie_client.get(f"{reverse('customers:export_orders')}?{query}"), "order_number")
    api = _api(charlie_client, "customers-api:order-list", query, "external_number")
    assert exported == api and exported


@pytest.mark.parametrize("query", ["placed_to=9999-12-31", "placed_from=2026-01-02&placed_to=2026-01-01"])
def test_an_order_filter_that_cannot_be_read_is_refused_alike(query, orders, charlie_client):
    assert charlie_client.get(f"{reverse('customers:export_orders')}?{query}").status_code == 400
    api = charlie_client.get(f"{reverse('customers-api:order-list')}?{query}", HTTP_ACCEPT="application/json")
    assert api.status_code == 400 and "placed_to" in api.json()


@pytest.fixture
def catalogue():
    ProductFactory(name="Café crème bowl", sku="85123A", category="Kitchen")
    ProductFactory(name="Cafetière", sku="85999", category="Kitchen")
    ProductFactory(name="Tea towel", sku="22633", category="Linen")
    ProductFactory(name="Postage", sku="POST", category="", kind=Product.Kind.SHIPPING)


@pytest.mark.parametrize(
    "query", ["", "q=cafe", "q=CRÈME", "q=851", "q=%E2%80%9885123A%E2%80%99", "category=Kitchen", "all=1",
              "q=post", "q=post&all=1", "category=Linen&q=tea"],
)  # fmt: skip
def test_products_are_filtered_alike_on_the_list_and_the_api(query, catalogue, alice_client):
    listed = _page(alice_client, "products:list", query, lambda product: product.sku)
    api = _api(alice_client, "customers-api:product-list", query, "sku")
    assert listed == api


@pytest.fixture
def rules():
    run = ModelRun.objects.create(family="rules", as_of=dt.date(2026, 11, 1), status="running")
    publishing.publish(run)
    mug, teapot, cups, tray = (ProductFactory(name=name) for name in ("Mug", "Teapot", "Cups", "Tray"))
    made = [
        AssociationRule.objects.create(run=run, antecedent=mug, consequent=teapot, size=2, support=0.1,
                                       confidence=0.5, lift=3, count=30),
        AssociationRule.objects.create(run=run, antecedent=cups, antecedent_2=mug, consequent=tray, size=3,
                                       support=0.05, confidence=0.4, lift=2, count=20),
        AssociationRule.objects.create(run=run, antecedent=teapot, antecedent_2=cups, antecedent_more=[tray.pk],
                                       consequent=mug, size=4, support=0.02, confidence=0.3, lift=4, count=10),
    ]  # fmt: skip
    return {"mug": mug.pk, "teapot": teapot.pk, "rules": made}


@pytest.mark.parametrize("query", ["", "q=mug", "q=tray", "size=2", "size=3", "size=4", "antecedent={teapot}",
                                   "q=teapot&size=4"])  # fmt: skip
def test_rules_are_filtered_alike_on_the_rules_page_and_the_api(query, rules, charlie_client):
    query = query.format(**rules)
    listed = _page(charlie_client, "recommendations:rules", query, lambda rule: rule.pk)
    api = _api(charlie_client, "recommendations-api:rule-list", query, "id")
    assert listed == api and listed
