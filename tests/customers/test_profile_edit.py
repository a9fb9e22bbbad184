"""Editing a customer from the profile: tags, owner and consent, for those who may, on customers they may see;
a change of profiling consent reaches the insights app's re-scoring."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from customers.models import Customer, Tag
from insights import publishing
from insights.models import ChurnScore, CustomerValue, ModelRun
from tests.factories import CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db


def url(name: str, customer, *args) -> str:
    return reverse(f"customers:{name}", args=[customer.pk, *args])


@pytest.fixture
def book(alice, bob):
    """A customer of alice's (tagged VIP, with contact details), and one of bob's."""
    ada = CustomerFactory(owner=alice, name="Ada", phone="+44 1", company="Engines Ltd")
    ada.tags.add(TagFactory(name="VIP"))
    return {"alice": ada, "bob": CustomerFactory(owner=bob, name="Brian")}


def tag_names(customer) -> list[str]:
    return sorted(customer.tags.values_list("name", flat=True))


# Tags --------------------------------------------------------------------------------------------------


def test_a_rep_adds_an_existing_tag_whatever_its_case(alice_client, book):
    TagFactory(name="Trade fair")
    response = alice_client.post(url("add_tag", book["alice"]), {"name": "  trade   FAIR "}, follow=True)
    assert tag_names(book["alice"]) == ["Trade fair", "VIP"]
    assert Tag.objects.filter(name__iexact="trade fair").count() == 1
    assertContains(response, "Tagged Ada “Trade fair”.")


def test_a_manager_creates_a_new_tag_by_name(charlie_client, book):
    response = charlie_client.post(url("add_tag", book["alice"]), {"name": "Wholesale"}, follow=True)
    assert tag_names(book["alice"]) == ["VIP", "Wholesale"]
    assertContains(response, "(a new tag)")


def test_a_rep_chooses_among_existing_tags_and_creates_none(alice_client, book):
    TagFactory(name="Wholesale")
    response = alice_client.get(url("detail", book["alice"]))
    assertContains(response, '<option value="Wholesale">Wholesale</option>', html=True)
    assertNotContains(response, '<option value="VIP">VIP</option>', html=True)  # she has it already
    response = alice_client.post(url("add_tag", book["alice"]), {"name": "Brand new"}, follow=True)
    assertContains(response, "a manager can create new ones")
    assert not Tag.objects.filter(name="Brand new").exists()


def test_a_manager_is_offered_a_free_text_tag_with_the_existing_ones_suggested(charlie_client, book):
    TagFactory(name="Wholesale")
    response = charlie_client.get(url("detail", book["alice"]))
    assertContains(response, 'list="tag-names"')
    assertContains(response, '<option value="Wholesale">', html=False)


def test_a_form_posted_from_the_profile_comes_back_to_its_place(alice_client, book):
    customer = book["alice"]
    assert alice_client.post(url("add_tag", customer), {"name": "vip"})["Location"].endswith("#account")
    response = alice_client.post(
        url("log_interaction", customer), {"kind": "call", "subject": "Hi", "direction": "outbound"}
    )
    assert response["Location"] == url("detail", customer) + "#interactions"


def test_adding_a_tag_twice_changes_nothing(alice_client, book):
    response = alice_client.post(url("add_tag", book["alice"]), {"name": "vip"}, follow=True)
    assert tag_names(book["alice"]) == ["VIP"]
    assertContains(response, "already has the tag")


def test_an_empty_tag_name_is_an_error(alice_client, book):
    response = alice_client.post(url("add_tag", book["alice"]), {"name": "   "}, follow=True)
    assertContains(response, "No tag was added")
    assert tag_names(book["alice"]) == ["VIP"]


def test_someone_without_the_add_tag_permission_may_only_use_existing_tags(alice, alice_client, book):
    from django.contrib.auth.models import Permission

    alice.groups.clear()
    alice.user_permissions.add(*Permission.objects.filter(codename__in=["view_customer", "change_customer"]))
    TagFactory(name="Existing")
    alice_client.post(url("add_tag", book["alice"]), {"name": "existing"})
    response = alice_client.post(url("add_tag", book["alice"]), {"name": "Brand new"}, follow=True)
    assert tag_names(book["alice"]) == ["Existing", "VIP"]
    assertContains(response, "a manager can create new ones")
    assert not Tag.objects.filter(name="Brand new").exists()


def test_a_rep_removes_a_tag_and_the_tag_stays_for_others(alice_client, alice, book):
    vip = Tag.objects.get(name="VIP")
    other = CustomerFactory(owner=alice)
    other.tags.add(vip)
    alice_client.post(url("remove_tag", book["alice"], vip.pk))
    assert tag_names(book["alice"]) == []
    assert tag_names(other) == ["VIP"]


def test_the_profile_offers_the_tag_forms(alice_client, book):
    response = alice_client.get(url("detail", book["alice"]))
    assertContains(response, f'action="{url("add_tag", book["alice"])}"')
    vip = Tag.objects.get(name="VIP")
    assertContains(response, f'action="{url("remove_tag", book["alice"], vip.pk)}"')
    assertContains(response, 'aria-label="Remove the tag VIP"')


@pytest.mark.parametrize(
    ("persona", "whose", "status"),
    [("alice", "alice", 302), ("alice", "bob", 404), ("bob", "alice", 404), ("charlie", "alice", 302),
     ("dana", "bob", 302)],
)  # fmt: skip
def test_who_may_edit_tags(request, book, persona, whose, status):
    client = request.getfixturevalue(f"{persona}_client")
    customer = book[whose]
    TagFactory(name="Checked")
    assert client.post(url("add_tag", customer), {"name": "Checked"}).status_code == status
    vip = TagFactory(name=f"Other {persona}")
    customer.tags.add(vip)
    assert client.post(url("remove_tag", customer, vip.pk)).status_code == status
    assert ("Checked" in tag_names(customer)) == (status == 302)


def test_anonymous_users_cannot_edit_anything(anonymous_client, book):
    customer = book["alice"]
    for path, data in [
        (url("add_tag", customer), {"name": "Anon"}),
        (url("change_owner", customer), {"owner": ""}),
        (url("change_consent", customer), {}),
    ]:
        response = anonymous_client.post(path, data)
        assert response.status_code == 302 and "/login" in response["Location"]
    customer.refresh_from_db()
    assert customer.owner is not None and customer.marketing_consent is False and customer.profiling_consent
    assert tag_names(customer) == ["VIP"]


def test_tag_editing_needs_a_post_and_the_csrf_token(alice, alice_client, book):
    assert alice_client.get(url("add_tag", book["alice"])).status_code == 405
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(url("add_tag", book["alice"]), {"name": "Forged"}).status_code == 403
    assert tag_names(book["alice"]) == ["VIP"]


# Owner -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["charlie", "dana"])
def test_managers_and_admins_change_the_owner(request, persona, bob, book):
    client = request.getfixturevalue(f"{persona}_client")
    response = client.post(url("change_owner", book["alice"]), {"owner": bob.pk}, follow=True)
    book["alice"].refresh_from_db()
    assert book["alice"].owner == bob
    assertContains(response, "Ada is now owned by bob.")


def test_a_manager_unassigns_a_customer(charlie_client, book):
    charlie_client.post(url("change_owner", book["alice"]), {"owner": ""})
    book["alice"].refresh_from_db()
    assert book["alice"].owner is None


def test_the_owner_page_shows_the_candidates(charlie_client, alice, book):
    response = charlie_client.get(url("change_owner", book["alice"]))
    assertContains(response, f'<option value="{alice.pk}" selected>alice</option>', html=True)
    assertContains(response, '<option value="">Unassigned</option>', html=True)


def test_only_sales_reps_are_offered_as_owners(charlie_client, charlie, dana, book):
    response = charlie_client.get(url("change_owner", book["alice"]))
    offered = [str(user) for user in response.context["form"].fields["owner"].queryset]
    assert offered == ["alice", "bob"]
    response = charlie_client.post(url("change_owner", book["alice"]), {"owner": dana.pk})
    assertContains(response, "Select a valid choice")


def test_an_owner_who_may_not_work_on_customers_is_refused_with_the_form_shown_again(charlie_client, book):
    from tests.factories import UserFactory

    outsider = UserFactory(username="outsider")
    response = charlie_client.post(url("change_owner", book["alice"]), {"owner": outsider.pk})
    assert response.status_code == 200
    assertContains(response, "Select a valid choice")
    book["alice"].refresh_from_db()
    assert book["alice"].owner.username == "alice"


@pytest.mark.parametrize(("persona", "whose", "status"), [("alice", "alice", 403), ("alice", "bob", 404)])
def test_a_rep_may_not_change_the_owner(request, persona, whose, status, book, bob):
    client = request.getfixturevalue(f"{persona}_client")
    assert client.get(url("change_owner", book[whose])).status_code == status
    assert client.post(url("change_owner", book[whose]), {"owner": bob.pk}).status_code == status
    book["alice"].refresh_from_db()
    assert book["alice"].owner.username == "alice"


def test_only_those_who_may_change_the_owner_see_the_link(alice_client, charlie_client, book):
    link = url("change_owner", book["alice"])
    assertNotContains(alice_client.get(url("detail", book["alice"])), link)
    assertContains(charlie_client.get(url("detail", book["alice"])), link)


def test_changing_the_owner_keeps_the_rest_of_the_customer(charlie_client, bob, book):
    customer = book["alice"]
    Customer.objects.filter(pk=customer.pk).update(phone="+44 2")  # someone else's edit after the form loaded
    charlie_client.post(url("change_owner", customer), {"owner": bob.pk})
    customer.refresh_from_db()
    assert (customer.owner, customer.phone, customer.company) == (bob, "+44 2", "Engines Ltd")


# Consent -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "whose"), [("alice", "alice"), ("charlie", "bob"), ("dana", "alice")])
def test_those_who_may_change_customers_record_consent(request, persona, whose, book):
    client = request.getfixturevalue(f"{persona}_client")
    response = client.post(url("change_consent", book[whose]), {"marketing_consent": "on"}, follow=True)
    book[whose].refresh_from_db()
    assert (book[whose].marketing_consent, book[whose].profiling_consent) == (True, False)
    assertContains(response, "Consent recorded")


def test_another_reps_customers_consent_answers_404(alice_client, book):
    assert alice_client.post(url("change_consent", book["bob"]), {"marketing_consent": "on"}).status_code == 404
    book["bob"].refresh_from_db()
    assert book["bob"].marketing_consent is False


def test_without_the_change_permission_consent_is_shown_but_not_editable(alice, alice_client, book):
    from django.contrib.auth.models import Permission

    alice.groups.clear()
    alice.user_permissions.add(Permission.objects.get(codename="view_customer"))
    page = alice_client.get(url("detail", book["alice"]))
    assertContains(page, "Allowed")  # profiling consent shown
    assertNotContains(page, url("change_consent", book["alice"]))
    assert alice_client.post(url("change_consent", book["alice"]), {}).status_code == 403
    book["alice"].refresh_from_db()
    assert book["alice"].profiling_consent is True


def test_the_profile_shows_the_consent_form_with_the_current_flags(alice_client, book):
    response = alice_client.get(url("detail", book["alice"]))
    assertContains(
        response, '<input type="checkbox" name="profiling_consent" id="id_profiling_consent" checked>', html=True
    )
    assertContains(response, '<input type="checkbox" name="marketing_consent" id="id_marketing_consent">', html=True)


def test_recording_consent_keeps_the_rest_of_the_customer(alice_client, book):
    customer = book["alice"]
    Customer.objects.filter(pk=customer.pk).update(phone="+44 3")
    alice_client.post(url("change_consent", customer), {"marketing_consent": "on", "profiling_consent": "on"})
    customer.refresh_from_db()
    assert (customer.marketing_consent, customer.phone, customer.owner.username) == (True, "+44 3", "alice")


@pytest.fixture
def scored(book):
    """Active value and churn runs with scores for alice's customer."""
    runs = {}
    for family in ("value", "churn"):
        runs[family] = ModelRun.objects.create(family=family, as_of=dt.date(2026, 1, 1), status="running")
        publishing.publish(runs[family])
    customer = book["alice"]
    ChurnScore.objects.create(run=runs["churn"], customer=customer, probability=0.7, band="high", factors=[])
    CustomerValue.objects.create(
        run=runs["value"], customer=customer, p_alive=0.9, expected_purchases_90d=1, expected_purchases_365d=4,
        expected_order_value=10, clv_12m=40,
    )  # fmt: skip
    return runs


def test_withdrawing_profiling_consent_removes_the_scores_in_the_same_request_without_the_queue(
    alice_client, book, scored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        alice_client.post(url("change_consent", book["alice"]), {})
    assert len(callbacks) == 0  # nothing waits for a worker
    assert not ChurnScore.objects.filter(customer=book["alice"]).exists()
    assert not CustomerValue.objects.filter(customer=book["alice"]).exists()


def test_withdrawing_profiling_consent_removes_the_scores(
    alice_client, book, scored, django_capture_on_commit_callbacks
):
    from crm.celery import app

    app.conf.task_always_eager = True  # the queued task runs here, as a worker would run it
    try:
        with django_capture_on_commit_callbacks(execute=True):
            alice_client.post(url("change_consent", book["alice"]), {})
    finally:
        app.conf.task_always_eager = False
    assert not ChurnScore.objects.filter(customer=book["alice"]).exists()
    assert not CustomerValue.objects.filter(customer=book["alice"]).exists()


def test_a_change_of_marketing_consent_alone_does_not_rescore(
    alice_client, book, scored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        alice_client.post(url("change_consent", book["alice"]), {"marketing_consent": "on", "profiling_consent": "on"})
    assert callbacks == []
    book["alice"].refresh_from_db()
    assert book["alice"].marketing_consent is True


def test_the_admin_form_reaches_the_same_rescore(dana, book, scored, django_capture_on_commit_callbacks):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    customer = book["alice"]
    model_admin = site._registry[Customer]
    request = RequestFactory().post("/")
    request.user = dana
    form = model_admin.get_form(request, customer)(
        data={"name": customer.name, "external_id": customer.external_id, "acquisition_channel": "other",
              "marketing_consent": "", "tags": [t.pk for t in customer.tags.all()], "owner": customer.owner_id},
        instance=customer,
    )  # fmt: skip
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks() as callbacks:
        model_admin.save_model(request, form.save(commit=False), form, change=True)
    assert len(callbacks) == 0  # withdrawn: removed at once, nothing queued
    assert not ChurnScore.objects.filter(customer=customer).exists()
