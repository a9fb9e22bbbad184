"""Personas shared by every test: two sales reps (alice, bob), a manager (charlie), an admin (dana), and
anonymous. Each is a fixture; the client fixtures are already signed in as that persona."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client

from crm import roles
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _models_in_a_temporary_folder(tmp_path):
    """Fitted models saved by tests go to a folder of the test's own, not the project's var/models (the field's
    storage is resolved once, when the model class loads, so it is swapped here rather than through settings)."""
    from django.core.files.storage import FileSystemStorage

    from insights.models import ModelRun

    field = ModelRun._meta.get_field("artifact")
    original = field.storage
    field.storage = FileSystemStorage(location=tmp_path / "models")
    yield
    field.storage = original


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (it is Redis under make test, shared by every test)."""
    cache.clear()
    yield
    cache.clear()


def _member(username: str, role: str, **extra):
    user = UserFactory(username=username, **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def alice(db):
    """A sales rep."""
    return _member("alice", roles.SALES_REP)


@pytest.fixture
def bob(db):
    """Another sales rep, who owns other customers."""
    return _member("bob", roles.SALES_REP)


@pytest.fixture
def charlie(db):
    """A manager: sees every customer."""
    return _member("charlie", roles.MANAGER)


@pytest.fixture
def dana(db):
    """An admin: staff, may use Django admin."""
    return _member("dana", roles.ADMIN, is_staff=True)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice) -> Client:
    return _client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return _client_for(bob)


@pytest.fixture
def charlie_client(charlie) -> Client:
    return _client_for(charlie)


@pytest.fixture
def dana_client(dana) -> Client:
    return _client_for(dana)


@pytest.fixture
def anonymous_client() -> Client:
    return Client()


def pytest_collection_modifyitems(items):
    """Every transactional test restores the migrations' data (serialized_rollback), as the browser tests do: a
    plain flush re-creates roles and content types under new ids, and a serialized test's flush leaves them out,
    so mixing the two broke whichever test came next (a group name twice, an audit entry for a missing content
    type)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        by_fixture = {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        if marker is None:
            if by_fixture:  # a fixture such as worker_world asks for transactional_db without the marker
                item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True), append=False)
        elif (marker.kwargs.get("transaction") or by_fixture) and "serialized_rollback" not in marker.kwargs:
            kwargs = {**marker.kwargs, "transaction": True, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
