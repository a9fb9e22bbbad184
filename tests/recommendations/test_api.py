"""The recommendations app's API: recommendations follow their customer's visibility, rules and forecasts come from
the active runs only and need the role's permission, each list in a bounded number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from insights.models import ModelRun
from recommendations.models import AssociationRule, ProductForecast, Recommendation
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

RECOMMENDATIONS = reverse("recommendations-api:recommendation-list")
RULES = reverse("recommendations-api:rule-list")
FORECASTS = reverse("recommendations-api:forecast-list")


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def run(family: str, active: bool = True) -> ModelRun:
    status = "succeeded" if active else "superseded"
    return ModelRun.objects.create(family=family, status=status, is_active=active, as_of=dt.date(2026, 1, 1))


def recommend(run_, customer, product, rank=1):
    return Recommendation.objects.create(
        run=run_, customer=customer, list="try_next", rank=rank, product=product, score=0.5,
        component="popularity", reason_code="popular", reason_params={},
    )  # fmt: skip


def test_a_rep_reads_recommendations_for_their_own_customers_only(alice, bob):
    current, product = run("recommendations"), ProductFactory(name="Teapot")
    mine, theirs = CustomerFactory(owner=alice), CustomerFactory(owner=bob)
    recommend(current, mine, product)
    recommend(current, theirs, product)
    rows = token_client(alice).get(RECOMMENDATIONS).json()["results"]
    assert [(row["customer"], row["product_name"]) for row in rows] == [(mine.pk, "Teapot")]
    assert rows[0]["reason"]


def test_recommendations_of_an_inactive_run_are_not_shown(charlie):
    recommend(run("recommendations", active=False), CustomerFactory(), ProductFactory())
    assert token_client(charlie).get(RECOMMENDATIONS).json()["results"] == []


@pytest.mark.parametrize("size", [5, 40])
def test_the_recommendation_list_runs_a_bounded_number_of_queries(size, charlie, django_assert_max_num_queries):
    current = run("recommendations")
    for _ in range(size):
        recommend(current, CustomerFactory(), ProductFactory())
    client = token_client(charlie)
    with django_assert_max_num_queries(8):
        assert len(client.get(RECOMMENDATIONS).json()["results"]) == size


def rule(run_, lift: float, confidence: float = 0.5, size: int = 2):
    left, right = ProductFactory(), ProductFactory()
    second = ProductFactory() if size == 3 else None
    return AssociationRule.objects.create(
        run=run_, antecedent=left, antecedent_2=second, consequent=right, size=size, support=0.1,
        confidence=confidence, lift=lift, count=10,
    )  # fmt: skip


def test_rules_come_from_the_active_run_strongest_first(charlie):
    current = run("rules")
    weak, strong = rule(current, 1.5), rule(current, 4.0)
    rule(run("rules", active=False), 9.0)
    rows = token_client(charlie).get(RULES).json()["results"]
    assert [row["id"] for row in rows] == [strong.pk, weak.pk]


def test_rules_filter_by_size_and_sort_by_an_allow_listed_key(charlie):
    current = run("rules")
    pair, triple = rule(current, 2.0, confidence=0.9), rule(current, 3.0, confidence=0.2, size=3)
    client = token_client(charlie)
    assert [r["id"] for r in client.get(RULES, {"size": "3"}).json()["results"]] == [triple.pk]
    assert [r["id"] for r in client.get(RULES, {"sort": "-confidence"}).json()["results"]] == [pair.pk, triple.pk]
    assert client.get(RULES, {"sort": "antecedent__name"}).status_code == 400


def test_a_rep_may_not_read_rules_or_forecasts(alice):
    client = token_client(alice)
    assert client.get(RULES).status_code == 403
    assert client.get(FORECASTS).status_code == 403


def test_forecasts_of_the_active_demand_run_filter_by_product(charlie):
    current, product, other = run("demand"), ProductFactory(), ProductFactory()
    for p in (product, other):
        for horizon in (1, 2):
            ProductForecast.objects.create(
                run=current, product=p, week=dt.date(2026, 1, 5) + dt.timedelta(weeks=horizon - 1), horizon=horizon,
                forecast=10, median=9, lower=5, upper=15,
            )  # fmt: skip
    rows = token_client(charlie).get(FORECASTS, {"product": product.pk, "weeks": 1}).json()["results"]
    assert [(row["product"], row["horizon"]) for row in rows] == [(product.pk, 1)]
