"""Sign-in throttling (django-axes) on both sign-in pages: after five wrong passwords for one username from one
address, that pair is locked out (429, a page that says why and for how long) even with the right password, while
other users sign in as usual; a successful sign-in before the limit clears the count."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # tests/factories.py


@pytest.fixture(autouse=True)
def _quick_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_in(client: Client, page: str, username: str, password: str):
    data = {"username": username, "password": password}
    if page == "admin:login":
        data["next"] = reverse("admin:index")
    return client.post(reverse(page), data)


def _fail(client: Client, page: str, username: str, times: int) -> None:
    """`times` wrong passwords: the form with its error each time, and the lockout page at the fifth."""
    for attempt in range(1, times + 1):
        expected = 429 if attempt == 5 else 200
        assert _sign_in(client, page, username, "wrong-password").status_code == expected


@pytest.mark.parametrize("page", ["login", "admin:login"])
def test_five_wrong_passwords_lock_the_right_one_out(page):
    UserFactory(username="erin", is_staff=True)
    client = Client()
    _fail(client, page, "erin", 5)
    response = _sign_in(client, page, "erin", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert "locked for 15 minutes after 5 wrong passwords" in response.text
    assert "_auth_user_id" not in client.session


def test_a_lockout_on_one_page_holds_on_the_other():
    UserFactory(username="erin", is_staff=True)
    client = Client()
    _fail(client, "login", "erin", 5)
    assert _sign_in(client, "admin:login", "erin", PASSWORD).status_code == 429


def test_another_user_from_the_same_address_still_signs_in():
    UserFactory(username="erin")
    UserFactory(username="frank")
    client = Client()
    _fail(client, "login", "erin", 5)
    response = _sign_in(client, "login", "frank", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_a_success_before_the_limit_clears_the_count():
    UserFactory(username="erin")
    client = Client()
    _fail(client, "login", "erin", 4)
    assert _sign_in(client, "login", "erin", PASSWORD).status_code == 302
    client.logout()
    _fail(client, "login", "erin", 4)
    assert _sign_in(client, "login", "erin", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(settings):
    import datetime as dt

    from django.utils import timezone

    UserFactory(username="erin")
    client = Client()
    _fail(client, "login", "erin", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1))
    assert _sign_in(client, "login", "erin", PASSWORD).status_code == 302
