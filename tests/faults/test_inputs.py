"""Bad input at the edges of the pages, as a table: each row is one input (a form, a filter, a query parameter, a
session or token problem), the answer it must get (HTTP status, words on the page) and what must hold of the
stored data afterwards (unchanged for a refusal). Import files: test_input_files.py; formula cells in exports:
test_export_formulas.py; the World and the actions: tests/faults/inputs.py."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.faults.inputs import (
    OUT_OF_RANGE,
    YEAR_1,
    Row,
    World,
    admin_adds_interaction,
    admin_adds_order,
    check,
    expired_session_post,
    log_call,
    one_export_recorded,
    page,
    post_without_csrf_token,
)

pytestmark = pytest.mark.django_db

# fmt: off
ROWS = [
    # Dates in forms: refused with the field's error, nothing stored, the profile still opens.
    Row("call dated year 1 by its offset", log_call(YEAR_1), 200, says=("Nothing was logged", OUT_OF_RANGE)),
    Row("call dated 1899", log_call("1899-12-31 23:00"), 200, says=(OUT_OF_RANGE,)),
    Row("call dated 9999 by its offset", log_call("9999-12-31T23:30:00-01:00"), 200, says=(OUT_OF_RANGE,)),
    Row("admin interaction dated 1899", admin_adds_interaction("1899-12-31"), 200, says=(OUT_OF_RANGE,)),
    Row("admin order dated year 1", admin_adds_order("0001-01-01"), 200, says=(OUT_OF_RANGE,)),
    # Dates in filters: the page with a message, 400 for a file.
    Row("list last order to 9999-12-31", page("rep", "/customers/?last_order_to=9999-12-31"), 200,
        says=(OUT_OF_RANGE,)),
    Row("list last order from year 1", page("rep", "/customers/?last_order_from=0001-01-01"), 200,
        says=("Last order from was left out", OUT_OF_RANGE)),
    Row("customer export last order to 9999-12-31", page("manager", "/customers/export.csv?last_order_to=9999-12-31"),
        400, says=("last_order_to", OUT_OF_RANGE)),
    Row("orders export placed to 9999-12-31", page("manager", "/customers/orders/export.csv?placed_to=9999-12-31"),
        400, says=("placed_to", OUT_OF_RANGE)),
    Row("orders export placed from 1000-01-01", page("manager", "/customers/orders/export.csv?placed_from=1000-01-01"),
        400, says=("placed_from", OUT_OF_RANGE)),
    # Filters and orderings that cannot be read: the page says which, and is shown without them.
    Row("list unknown sort", page("rep", "/customers/?sort=bogus"), 200, says=("Sort by was left out",)),
    Row("list unknown tag", page("rep", "/customers/?tags=abc"), 200, says=("Tags was left out",)),
    Row("list unknown owner", page("manager", "/customers/?owner=abc"), 200, says=("Owner was left out",)),
    Row("customer export unknown sort", page("manager", "/customers/export.csv?sort=bogus"), 400, says=("sort",)),
    Row("rules unknown sort", page("manager", "/rules/?sort=bogus"), 200, says=("is not known", "Teapot")),
    Row("rules unknown size", page("manager", "/rules/?size=7"), 200, says=("is not known", "Teapot")),
    Row("what will sell unknown weeks", page("manager", "/what-will-sell/?weeks=abc"), 200, says=("not offered",)),
    # NUL and other control characters in query parameters: stripped, the search still runs.
    Row("NUL in product search", page("rep", "/products/?q=Mug%00"), 200, says=("Mug",), not_shown=("Teapot",)),
    Row("NUL in product category", page("rep", "/products/?category=Kitchen%00"), 200, says=("Mug",),
        not_shown=("Teapot",)),
    Row("NUL in a parameter's name", page("rep", "/products/?q%00=Mug"), 200, says=("Mug",), not_shown=("Teapot",)),
    Row("NUL in rules search", page("manager", "/rules/?q=Mug%00"), 200, says=("Teapot",)),
    Row("NUL in customer list search", page("rep", "/customers/?q=Ada%00"), 200, says=("Ada Lovelace",),
        not_shown=("Bertha",)),
    Row("escape character in customer search", page("rep", "/customers/?q=Ada%1B"), 200, says=("Ada Lovelace",),
        not_shown=("Bertha",)),
    Row("NUL in customer export search", page("manager", "/customers/export.csv?q=Ada%00"), 200,
        says=("Ada Lovelace",), not_shown=("Bertha",), stored=one_export_recorded),
    Row("NUL in admin search", page("admin", "/admin/customers/customer/?q=Ada%00"), 200, says=("Ada Lovelace",),
        not_shown=("Bertha",)),
    # Sessions and tokens: nothing saved, and the user is told and taken back to the page of the form.
    Row("expired session on a POST", expired_session_post, 302, says=("nothing was saved",)),
    Row("missing CSRF token", post_without_csrf_token, 403, says=("Nothing was saved", "Back to the form")),
]
# fmt: on


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input_gets_a_clear_answer_and_leaves_the_data_sound(row: Row, world: World):
    check(row, world)


def test_after_an_expired_session_signing_in_returns_to_the_profile(world: World):
    """The sign-in page's `next` is the page the form was on, not the address only a form can use (405)."""
    world.rep.set_password("correct-horse-battery")
    world.rep.save()
    answer = expired_session_post(world)
    profile = reverse("customers:detail", args=[world.ada.pk])
    assert answer.location == f"{reverse('login')}?next={profile.replace('/', '%2F')}"
    client = Client(raise_request_exception=False)
    client.cookies = world.clients["rep"].cookies
    signed_in = client.post(answer.location, {"username": "alice", "password": "correct-horse-battery"}, follow=True)
    assert signed_in.status_code == 200
    assert signed_in.redirect_chain[-1][0] == profile


def test_signing_out_does_not_say_that_a_form_was_lost(world: World):
    client = world.clients["rep"]
    response = client.post(reverse("logout"), follow=True)
    assert response.status_code == 200
    assert "nothing was saved" not in response.content.decode()
