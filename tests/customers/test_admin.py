"""Admin changelists and change pages load for every model, with a number of queries that does not grow
with the data, and obey the visibility rule."""

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db

MODELS = ["customer", "product", "order", "orderitem", "interaction", "tag"]


def _populate(owner, n: int) -> None:
    for _ in range(n):
        customer = CustomerFactory(owner=owner)
        order = OrderFactory(customer=customer)
        OrderItemFactory(order=order)
        InteractionFactory(customer=customer, user=owner)


@pytest.mark.parametrize("model", MODELS)
def test_each_changelist_loads_for_an_admin(dana, dana_client, model):
    _populate(dana, 3)
    response = dana_client.get(reverse(f"admin:customers_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_do_not_grow_with_the_data(dana, dana_client, model):
    _populate(dana, 2)
    dana_client.get(reverse(f"admin:customers_{model}_changelist"))  # caches the session and the permissions
    with CaptureQueriesContext(connection) as small:
        dana_client.get(reverse(f"admin:customers_{model}_changelist"))
    _populate(dana, 25)
    with CaptureQueriesContext(connection) as large:
        dana_client.get(reverse(f"admin:customers_{model}_changelist"))
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_the_customer_changelist_runs_a_pinned_number_of_queries(dana, dana_client, django_assert_num_queries):
    _populate(dana, 10)
    dana_client.get(reverse("admin:customers_customer_changelist"))  # caches the session
    # user, its permissions (its own and its groups'), count, paginated rows (with owner), filter choices (owners,
    # countries).
    with django_assert_num_queries(6):
        dana_client.get(reverse("admin:customers_customer_changelist"))


@pytest.mark.parametrize("model", ["customer", "product", "order", "interaction"])
def test_each_change_page_loads(dana, dana_client, model):
    _populate(dana, 1)
    obj = apps.get_model("customers", model).objects.first()
    response = dana_client.get(reverse(f"admin:customers_{model}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_a_rep_with_admin_access_sees_only_their_customers_there(alice, bob, alice_client):
    alice.is_staff = True
    alice.save()
    CustomerFactory(owner=alice, name="Mine")
    theirs = CustomerFactory(owner=bob, name="Theirs")
    response = alice_client.get(reverse("admin:customers_customer_changelist"))
    assert b"Mine" in response.content
    assert b"Theirs" not in response.content
    response = alice_client.get(reverse("admin:customers_customer_change", args=[theirs.pk]))
    assert response.status_code == 302  # admin redirects a missing object to the index with a message


def test_product_search_is_exact_on_sku(dana_client):
    ProductFactory(sku="85123A", name="White hanging heart")
    ProductFactory(sku="85123AB", name="Other")
    response = dana_client.get(reverse("admin:customers_product_changelist"), {"q": "85123A"})
    assert b"White hanging heart" in response.content
    assert b"Other" not in response.content
