"""The Admin role manages the accounts of sales reps and managers in Django admin, and cannot rise: it cannot make
itself (or anyone) superuser or staff, set a superuser's password, create a superuser, or put itself or anyone in a
group with more rights than Sales rep and Manager. Superusers still can do all of it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from crm import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def _change_form(user, **changes) -> dict:
    """The change form's POST as the limited page shows it, with `changes` on top."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return data


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def root_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def test_an_admin_ticking_superuser_and_staff_on_itself_changes_neither(dana, dana_client):
    url = reverse("admin:auth_user_change", args=[dana.pk])
    data = _change_form(dana, is_superuser="on", is_staff="on", first_name="Dana")
    dana_client.post(url, data)
    dana.refresh_from_db()
    assert not dana.is_superuser
    assert dana.first_name == "Dana"  # the harmless change went through


def test_an_admin_cannot_put_itself_in_another_group(dana, dana_client):
    manager = Group.objects.get(name=roles.MANAGER)
    url = reverse("admin:auth_user_change", args=[dana.pk])
    dana_client.post(url, _change_form(dana, groups=[manager.pk]))
    assert list(dana.groups.values_list("name", flat=True)) == [roles.ADMIN]


def test_an_admin_cannot_set_a_superusers_password(dana_client, superuser):
    url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    response = dana_client.post(url, {"password1": "taken-over-2026!", "password2": "taken-over-2026!"})
    assert response.status_code == 404
    superuser.refresh_from_db()
    assert superuser.check_password("correct-horse-battery")


def test_an_admin_cannot_change_a_superuser(dana_client, superuser):
    url = reverse("admin:auth_user_change", args=[superuser.pk])
    response = dana_client.post(url, _change_form(superuser, is_superuser="", email="mine@example.com"))
    assert response.status_code == 302  # admin's "no such user", back to the index
    superuser.refresh_from_db()
    assert superuser.is_superuser and superuser.email == "root@example.com"


def test_an_admin_creating_a_superuser_gets_a_plain_account(dana_client):
    response = dana_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "mallory",
            "usable_password": "true",
            "password1": "a-long-pass-2026!",
            "password2": "a-long-pass-2026!",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302
    mallory = User.objects.get(username="mallory")
    # The stock add page goes on to the change page, where superuser status was one tick away.
    dana_client.post(
        reverse("admin:auth_user_change", args=[mallory.pk]), _change_form(mallory, is_superuser="on", is_staff="on")
    )
    mallory.refresh_from_db()
    assert not mallory.is_superuser and not mallory.is_staff


def test_an_admin_cannot_give_a_rep_the_admin_group(dana_client, alice):
    admins = Group.objects.get(name=roles.ADMIN)
    url = reverse("admin:auth_user_change", args=[alice.pk])
    response = dana_client.post(url, _change_form(alice, groups=[admins.pk]))
    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    assert list(alice.groups.values_list("name", flat=True)) == [roles.SALES_REP]


def test_an_admin_makes_a_rep_a_manager_and_sets_a_reps_password(dana_client, alice):
    manager = Group.objects.get(name=roles.MANAGER)
    response = dana_client.post(
        reverse("admin:auth_user_change", args=[alice.pk]), _change_form(alice, groups=[manager.pk])
    )
    assert response.status_code == 302
    assert list(alice.groups.values_list("name", flat=True)) == [roles.MANAGER]
    dana_client.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]),
        {"usable_password": "true", "password1": "new-pass-for-alice!", "password2": "new-pass-for-alice!"},
    )
    alice.refresh_from_db()
    assert alice.check_password("new-pass-for-alice!")


def test_an_admin_sees_only_the_accounts_below_it(dana, dana_client, alice, charlie, superuser):
    other_admin = UserFactory(username="erin", is_staff=True)
    other_admin.groups.add(Group.objects.get(name=roles.ADMIN))
    response = dana_client.get(reverse("admin:auth_user_changelist"))
    shown = {user.username for user in response.context["cl"].result_list}
    assert shown == {"dana", "alice", "charlie"}


def test_the_group_choices_offered_to_an_admin_are_rep_and_manager(dana, dana_client, alice):
    response = dana_client.get(reverse("admin:auth_user_change", args=[alice.pk]))
    field = response.context["adminform"].form.fields["groups"]
    assert {group.name for group in field.queryset} == {roles.SALES_REP, roles.MANAGER}


def test_a_superuser_still_grants_superuser_status(root_client, dana):
    url = reverse("admin:auth_user_change", args=[dana.pk])
    data = _change_form(dana, is_superuser="on", is_staff="on", user_permissions=[])
    response = root_client.post(url, data)
    assert response.status_code == 302
    dana.refresh_from_db()
    assert dana.is_superuser
