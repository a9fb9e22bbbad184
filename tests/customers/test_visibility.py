"""The one visibility rule: reps see their own customers, managers and admins see all."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from customers.models import Customer, Interaction, Order
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(alice, bob):
    """One customer each for alice and bob, and one nobody owns."""
    return {
        "alice": CustomerFactory(owner=alice, name="Alice's customer"),
        "bob": CustomerFactory(owner=bob, name="Bob's customer"),
        "nobody": CustomerFactory(owner=None, name="Unowned customer"),
    }


def test_a_rep_sees_only_the_customers_they_own(alice, book):
    assert list(Customer.objects.visible_to(alice)) == [book["alice"]]


def test_a_manager_sees_every_customer(charlie, book):
    assert set(Customer.objects.visible_to(charlie)) == set(book.values())


def test_an_admin_sees_every_customer(dana, book):
    assert Customer.objects.visible_to(dana).count() == 3


def test_a_rep_granted_view_all_sees_every_customer(alice, book):
    alice.user_permissions.add(Permission.objects.get(codename="view_all_customers"))
    alice = type(alice).objects.get(pk=alice.pk)  # permissions are cached on the instance
    assert Customer.objects.visible_to(alice).count() == 3


def test_anonymous_sees_nothing(book):
    assert not Customer.objects.visible_to(AnonymousUser()).exists()


def test_an_inactive_rep_sees_nothing(alice, book):
    alice.is_active = False
    alice.save()
    assert not Customer.objects.visible_to(alice).exists()


def test_orders_and_interactions_follow_their_customer(alice, book):
    OrderFactory(customer=book["alice"])
    OrderFactory(customer=book["bob"])
    OrderFactory(customer=None)  # an anonymous sale
    InteractionFactory(customer=book["alice"])
    InteractionFactory(customer=book["bob"])
    assert [o.customer for o in Order.objects.visible_to(alice)] == [book["alice"]]
    assert [i.customer for i in Interaction.objects.visible_to(alice)] == [book["alice"]]


def test_a_manager_also_sees_anonymous_sales(charlie, book):
    OrderFactory(customer=None)
    assert Order.objects.visible_to(charlie).count() == 1
