"""crm/auth_backend.py: a user's permissions, their own and their groups', read in one query for the request."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.auth_backend import RolePermissionBackend

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The user as the next request loads it (nothing read for an earlier request kept)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize("persona", ["alice", "charlie", "dana"])
def test_it_answers_as_django_s_model_backend(request, persona):
    user = request.getfixturevalue(persona)
    assert RolePermissionBackend().get_all_permissions(_fresh(user)) == ModelBackend().get_all_permissions(_fresh(user))


def test_it_reads_a_users_own_and_group_permissions_in_one_query(alice, django_assert_num_queries):
    alice.user_permissions.add(Permission.objects.get(codename="view_all_customers"))
    user = _fresh(alice)
    with django_assert_num_queries(1):
        assert user.has_perm("customers.view_all_customers")  # her own
        assert user.has_perm("customers.change_customer")  # her role's
        assert not user.has_perm("customers.add_tag")


def test_a_superuser_has_every_permission(alice):
    alice.is_superuser = True
    alice.save()
    assert len(RolePermissionBackend().get_all_permissions(_fresh(alice))) == Permission.objects.count()


def test_an_inactive_user_and_an_object_have_none(alice):
    assert RolePermissionBackend().get_all_permissions(_fresh(alice), obj=alice) == set()
    alice.is_active = False
    alice.save()
    assert RolePermissionBackend().get_all_permissions(_fresh(alice)) == set()


def test_a_role_taken_away_shows_on_the_next_request(charlie, charlie_client):
    assert charlie_client.get(reverse("customers:list")).context["show_owner_filter"]  # a manager sees everyone's
    charlie.groups.clear()
    assert not charlie_client.get(reverse("customers:list")).context["show_owner_filter"]
