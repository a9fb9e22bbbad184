"""The authentication backend (crm/backends.py): ModelBackend's answers, the permissions read in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from crm.backends import RoleBackend

pytestmark = pytest.mark.django_db


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # no permissions kept from an earlier question


def test_a_user_has_their_roles_and_their_own_permissions_as_model_backend_says(alice):
    alice.user_permissions.add(Permission.objects.get(codename="export_customers"))
    mine = RoleBackend().get_all_permissions(_fresh(alice))
    assert mine == ModelBackend().get_all_permissions(_fresh(alice))
    assert {"customers.view_customer", "customers.export_customers"} <= mine
    assert "customers.view_all_customers" not in mine


def test_the_permissions_are_read_in_one_query_once_per_user_object(alice, django_assert_num_queries):
    user = _fresh(alice)
    with django_assert_num_queries(1):
        assert user.has_perm("customers.view_customer")
        assert not user.has_perm("customers.view_all_customers")
        assert user.has_module_perms("customers")


def test_a_superuser_has_every_permission(dana):
    dana.is_superuser = True
    dana.save()
    assert len(RoleBackend().get_all_permissions(_fresh(dana))) == Permission.objects.count()


def test_an_inactive_user_has_none(alice):
    alice.is_active = False
    alice.save()
    user = _fresh(alice)
    assert RoleBackend().get_all_permissions(user) == set()
    assert not user.has_perm("customers.view_customer")


def test_there_are_no_permissions_on_one_object(alice, django_assert_num_queries):
    user = _fresh(alice)
    with django_assert_num_queries(0):
        assert RoleBackend().get_all_permissions(user, obj=object()) == set()
