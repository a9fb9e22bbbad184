"""The pages shell: sign-in and sign-out, the layout, the home page, and the error pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import server_error
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects, assertTemplateUsed

from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

PAGES = ["/", "/customers/", "/customers/1/", "/worklist/", "/dashboards/"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in_from_every_page(anonymous_client, url):
    response = anonymous_client.get(url)
    assertRedirects(response, f"{reverse('login')}?next={url}", fetch_redirect_response=False)


def test_the_sign_in_page_renders(anonymous_client):
    response = anonymous_client.get(reverse("login"))
    assertTemplateUsed(response, "registration/login.html")
    assertContains(response, "Sign in to Lodestar")
    assertContains(response, 'name="csrfmiddlewaretoken"')
    assertContains(response, '<label for="id_username">')
    assertContains(response, '<label for="id_password">')


def test_signing_in_with_the_real_password_works(alice):
    client = Client(enforce_csrf_checks=False)
    response = client.post(reverse("login"), {"username": "alice", "password": "correct-horse-battery"})
    assertRedirects(response, reverse("home"), fetch_redirect_response=False)
    assertContains(client.get(reverse("home")), "Signed in as <strong>alice</strong>", html=False)


def test_a_wrong_password_is_refused(alice, anonymous_client):
    response = anonymous_client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assertContains(response, "Please enter a correct username and password")
    assert "_auth_user_id" not in anonymous_client.session


def test_signing_in_returns_to_the_page_asked_for(alice, anonymous_client):
    response = anonymous_client.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery", "next": "/customers/"}
    )
    assertRedirects(response, "/customers/", fetch_redirect_response=False)


def test_sign_out_is_a_post_form_with_csrf(alice_client):
    response = alice_client.get(reverse("home"))
    assertContains(response, f'<form method="post" action="{reverse("logout")}">')
    assertContains(response, 'name="csrfmiddlewaretoken"')


def test_signing_out_by_post_ends_the_session(alice_client):
    response = alice_client.post(reverse("logout"))
    assertRedirects(response, reverse("login"), fetch_redirect_response=False)
    assert alice_client.get(reverse("home")).status_code == 302


def test_signing_out_without_the_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("logout")).status_code == 403
    assert client.get(reverse("home")).status_code == 200


def test_the_nav_links_every_area_and_admin_only_for_staff(alice_client, dana_client):
    rep_page = alice_client.get(reverse("home"))
    for url in (reverse("customers:list"), reverse("insights:worklist"), reverse("insights:dashboards")):
        assertContains(rep_page, f'href="{url}"')
    assertNotContains(rep_page, f'href="{reverse("admin:index")}"')
    assertContains(dana_client.get(reverse("home")), f'href="{reverse("admin:index")}"')


def test_the_layout_has_a_skip_link_and_serves_its_own_stylesheet(alice_client):
    response = alice_client.get(reverse("home"))
    assertContains(response, 'href="#content"')
    assertContains(response, 'id="content"')
    assertContains(response, "/static/css/lodestar.css")
    assert finders.find("css/lodestar.css")


def test_no_asset_comes_from_another_site(alice_client, anonymous_client):
    for response in (alice_client.get(reverse("home")), anonymous_client.get(reverse("login"))):
        assert b"http://" not in response.content
        assert b"https://" not in response.content


def test_home_counts_only_what_the_user_may_see(alice, bob, alice_client):
    mine = CustomerFactory(owner=alice)
    theirs = CustomerFactory(owner=bob)
    OrderFactory.create_batch(3, customer=mine)
    OrderFactory.create_batch(5, customer=theirs)
    ProductFactory.create_batch(2)
    InteractionFactory(customer=mine)
    InteractionFactory(customer=mine, occurred_at=timezone.now() - dt.timedelta(days=45))
    InteractionFactory(customer=theirs)
    counts = alice_client.get(reverse("home")).context["counts"]
    assert counts == {"customers": 1, "orders": 3, "products": 2, "interactions": 1}


def test_home_counts_everything_for_a_manager(alice, bob, charlie_client):
    OrderFactory(customer=CustomerFactory(owner=alice))
    OrderFactory(customer=CustomerFactory(owner=bob))
    OrderFactory(customer=None)  # an anonymous sale
    counts = charlie_client.get(reverse("home")).context["counts"]
    assert counts["customers"] == 2
    assert counts["orders"] == 3


def test_home_tells_what_to_do_on_an_empty_database(dana_client):
    response = dana_client.get(reverse("home"))
    assertContains(response, "There is no data yet")
    assertContains(response, "manage.py seed_demo")


def test_home_tells_a_rep_without_customers_why_the_list_is_empty(alice_client, bob):
    CustomerFactory(owner=bob)
    ProductFactory()
    response = alice_client.get(reverse("home"))
    assertContains(response, "No customers are assigned to you yet")
    assertNotContains(response, "There is no data yet")


def test_home_tells_a_manager_when_there_are_products_but_no_customers(charlie_client):
    ProductFactory()
    response = charlie_client.get(reverse("home"))
    assertContains(response, "There are no customers yet")
    assertNotContains(response, "assigned to you")


def _make_book(owner, customers: int, orders_each: int) -> None:
    for customer in CustomerFactory.create_batch(customers, owner=owner):
        OrderFactory.create_batch(orders_each, customer=customer)
        InteractionFactory(customer=customer)
    ProductFactory.create_batch(customers)


@pytest.mark.parametrize("persona", ["alice", "charlie"])
def test_home_needs_the_same_queries_whatever_the_data_size(request, persona, alice, django_assert_num_queries):
    client = request.getfixturevalue(f"{persona}_client")
    _make_book(alice, customers=2, orders_each=1)
    client.get(reverse("home"))  # the session is cached from then on
    with django_assert_num_queries(6):  # with the user's permissions, its own and its groups' in one query
        client.get(reverse("home"))
    _make_book(alice, customers=20, orders_each=3)
    with django_assert_num_queries(6):
        client.get(reverse("home"))


def test_an_unknown_page_uses_our_404_template(alice_client):
    response = alice_client.get("/no-such-page/")
    assert response.status_code == 404
    assertTemplateUsed(response, "404.html")
    assertContains(response, "We could not find that page", status_code=404)


def test_the_500_page_renders_without_a_request_context_or_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_a_rep_opening_a_managers_page_gets_the_styled_403_with_why_and_a_way_back(alice_client):
    response = alice_client.get(reverse("recommendations:rules"))
    assert response.status_code == 403
    assertTemplateUsed(response, "403.html")
    assertTemplateUsed(response, "base.html")  # the navigation is there
    assertContains(response, "This page is not available to you", status_code=403)
    assertContains(response, "Bought together lists which products sell together", status_code=403)
    assertContains(response, f'href="{reverse("home")}"', status_code=403)
    assertContains(response, f'href="{reverse("customers:list")}"', status_code=403)


def test_a_rep_exporting_gets_the_styled_403_saying_who_may(alice_client):
    response = alice_client.get(reverse("customers:export"))
    assertContains(response, "for managers and administrators", status_code=403)


def test_favicon_ico_is_answered_by_the_static_icon(alice_client, anonymous_client):
    response = anonymous_client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.ico")
    assert finders.find("img/favicon.ico")
    assertContains(alice_client.get(reverse("home")), 'rel="icon"')


def test_the_500_page_has_no_inline_style(alice_client):
    response = server_error(RequestFactory().get("/"))
    assert b"<style" not in response.content and b"style=" not in response.content  # the strict CSP allows none
