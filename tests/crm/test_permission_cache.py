"""Each user's permissions come from the cache after the first request, and any change to users, groups or
permissions is seen by the next request."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import roles

pytestmark = pytest.mark.django_db

VIEW_ALL = "customers.view_all_customers"


def fresh(user):
    """The user as the next request loads it (no permissions remembered on the object)."""
    return get_user_model().objects.get(pk=user.pk)


def test_permissions_are_read_once_then_come_from_the_cache(charlie):
    assert fresh(charlie).has_perm(VIEW_ALL)
    user = fresh(charlie)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm(VIEW_ALL)
        assert user.has_perm("customers.view_customer")
    assert len(queries) == 0


def test_joining_a_group_is_seen_by_the_next_request(alice):
    assert not fresh(alice).has_perm(VIEW_ALL)
    alice.groups.add(Group.objects.get(name=roles.MANAGER))
    assert fresh(alice).has_perm(VIEW_ALL)


def test_a_permission_taken_from_a_group_is_gone_for_its_members(charlie):
    assert fresh(charlie).has_perm(VIEW_ALL)
    Group.objects.get(name=roles.MANAGER).permissions.remove(Permission.objects.get(codename="view_all_customers"))
    assert not fresh(charlie).has_perm(VIEW_ALL)


def test_a_permission_granted_to_the_user_is_seen(alice):
    assert not fresh(alice).has_perm(VIEW_ALL)
    alice.user_permissions.add(Permission.objects.get(codename="view_all_customers"))
    assert fresh(alice).has_perm(VIEW_ALL)


def test_a_deactivated_user_has_no_permissions(charlie):
    assert fresh(charlie).has_perm(VIEW_ALL)
    charlie.is_active = False
    charlie.save()
    assert not fresh(charlie).has_perm(VIEW_ALL)


def test_becoming_superuser_grants_everything(alice):
    assert not fresh(alice).has_perm("insights.add_modelrun")
    alice.is_superuser = True
    alice.save()
    assert fresh(alice).has_perm("insights.add_modelrun")


def test_signing_in_keeps_the_cached_permissions(client, charlie):
    charlie.set_password("pw-for-the-test-1")
    charlie.save()
    assert fresh(charlie).has_perm(VIEW_ALL)
    client.login(username="charlie", password="pw-for-the-test-1")
    user = fresh(charlie)
    with CaptureQueriesContext(connection) as queries:
        user.has_perm(VIEW_ALL)
    assert len(queries) == 0


def test_a_user_added_from_the_groups_side_is_seen(alice):
    assert not fresh(alice).has_perm(VIEW_ALL)
    Group.objects.get(name=roles.MANAGER).user_set.add(alice)
    assert fresh(alice).has_perm(VIEW_ALL)


def test_a_new_account_leaves_everyone_elses_cached_permissions_alone(charlie):
    assert fresh(charlie).has_perm(VIEW_ALL)
    get_user_model().objects.create_user("newcomer")
    user = fresh(charlie)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm(VIEW_ALL)
    assert len(queries) == 0
