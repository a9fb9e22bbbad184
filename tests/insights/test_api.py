"""The insights app's API: scores of the active runs follow their customer's visibility, model runs are read by
those who may see them, and a retrain request answers 202 with the queued run, or 409 with the one in flight."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SCORES = reverse("insights-api:score-list")
RUNS = reverse("insights-api:modelrun-list")


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def active(family: str) -> ModelRun:
    return ModelRun.objects.create(family=family, status="succeeded", is_active=True, as_of=dt.date(2026, 1, 1))


def score(customer, runs, segment="Loyal", probability=0.7, clv=120.0):
    CustomerSegment.objects.create(
        run=runs["segments"], customer=customer, cluster=0, segment=segment, rfm_r=5, rfm_f=4, rfm_m=3, rfm_segment="X"
    )
    CustomerValue.objects.create(
        run=runs["value"],
        customer=customer,
        p_alive=0.9,
        expected_purchases_90d=1,
        expected_purchases_365d=4,
        expected_order_value=30,
        clv_12m=clv,
    )
    band = "high" if probability >= 0.5 else "low"
    ChurnScore.objects.create(run=runs["churn"], customer=customer, probability=probability, band=band, factors=[])


@pytest.fixture
def runs():
    return {family: active(family) for family in ("segments", "value", "churn")}


@pytest.fixture
def scored(alice, bob, runs):
    """Two of alice's customers and one of bob's, scored by the three active runs."""
    customers = {
        "alice_high": CustomerFactory(owner=alice, name="A high"),
        "alice_low": CustomerFactory(owner=alice, name="A low"),
        "bob": CustomerFactory(owner=bob, name="B"),
    }
    score(customers["alice_high"], runs, probability=0.8, clv=500)
    score(customers["alice_low"], runs, segment="New", probability=0.1, clv=50)
    score(customers["bob"], runs)
    return customers


def test_a_rep_reads_the_scores_of_their_own_customers_only(alice, scored):
    rows = token_client(alice).get(SCORES).json()["results"]
    assert {row["customer"] for row in rows} == {scored["alice_high"].pk, scored["alice_low"].pk}
    high = next(row for row in rows if row["customer"] == scored["alice_high"].pk)
    assert (high["segment"], high["churn_band"], high["clv_12m"]) == ("Loyal", "high", 500.0)


def test_another_reps_customers_scores_answer_404(alice, scored):
    url = reverse("insights-api:score-detail", args=[scored["bob"].pk])
    assert token_client(alice).get(url).status_code == 404


def test_scores_filter_by_churn_band_as_the_customer_list_does(alice, scored):
    rows = token_client(alice).get(SCORES, {"churn": "high"}).json()["results"]
    assert [row["customer"] for row in rows] == [scored["alice_high"].pk]


def test_a_customer_who_withdrew_profiling_consent_has_no_scores(alice, scored):
    scored["alice_high"].profiling_consent = False
    scored["alice_high"].save()
    rows = token_client(alice).get(SCORES).json()["results"]
    assert [row["customer"] for row in rows] == [scored["alice_low"].pk]


def test_without_runs_the_scores_are_null(alice):
    customer = CustomerFactory(owner=alice)
    body = token_client(alice).get(reverse("insights-api:score-detail", args=[customer.pk])).json()
    assert body["segment"] is None and body["churn_probability"] is None


@pytest.mark.parametrize("size", [5, 40])
def test_the_score_list_runs_a_bounded_number_of_queries(size, alice, runs, django_assert_max_num_queries):
    for _ in range(size):
        score(CustomerFactory(owner=alice), runs)
    client = token_client(alice)
    with django_assert_max_num_queries(12):
        assert len(client.get(SCORES).json()["results"]) == size


def test_a_rep_may_not_read_model_runs(alice, runs):
    assert token_client(alice).get(RUNS).status_code == 403


def test_a_manager_reads_model_runs_filtered_by_family(charlie, runs):
    rows = token_client(charlie).get(RUNS, {"family": "churn"}).json()["results"]
    assert [row["id"] for row in rows] == [runs["churn"].pk]


def test_an_admin_asks_for_a_retrain_and_gets_202_with_the_queued_run(dana, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = token_client(dana).post(RUNS, {"family": "churn"}, format="json")
    assert response.status_code == 202
    run = ModelRun.objects.get(pk=response.json()["id"])
    assert (run.family, run.status, run.trigger, run.created_by) == ("churn", "queued", "api", dana)
    assert len(queued) == 1  # tasks.queue_runs, after commit


def test_a_retrain_while_one_is_in_flight_is_409_with_that_run(dana):
    running = ModelRun.objects.create(family="churn", status="running", as_of=dt.date(2026, 1, 1))
    response = token_client(dana).post(RUNS, {"family": "churn"}, format="json")
    assert response.status_code == 409
    assert response.json()["id"] == running.pk
    assert ModelRun.objects.filter(family="churn").count() == 1


def test_a_retrain_with_an_unknown_parameter_is_400_naming_it(dana):
    response = token_client(dana).post(RUNS, {"family": "churn", "parameters": {"nope": 1}}, format="json")
    assert response.status_code == 400
    assert "nope" in str(response.json())
    assert not ModelRun.objects.exists()


def test_a_retrain_of_an_unknown_family_is_400(dana):
    response = token_client(dana).post(RUNS, {"family": "astrology"}, format="json")
    assert response.status_code == 400
    assert "family" in response.json()


def test_a_manager_may_not_ask_for_a_retrain(charlie):
    assert token_client(charlie).post(RUNS, {"family": "churn"}, format="json").status_code == 403
    assert not ModelRun.objects.exists()
