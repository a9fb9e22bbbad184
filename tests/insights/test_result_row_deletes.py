"""Result rows have no foreign-key constraints in the database (insights/models.py): every way a customer, an
interaction or a run goes must take their result rows along, or they would attach to whatever takes the ids next."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from customers import privacy
from customers.models import Customer, Interaction
from insights.models import ChurnScore, CustomerSegment, CustomerValue, InteractionSentiment, ModelRun
from recommendations.models import Recommendation
from tests.factories import CustomerFactory, InteractionFactory, ProductFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 6, 30)
PER_CUSTOMER = (CustomerSegment, CustomerValue, ChurnScore, InteractionSentiment, Recommendation)


def _run(family: str, active: bool) -> ModelRun:
    status = "succeeded" if active else "superseded"
    return ModelRun.objects.create(family=family, status=status, is_active=active, as_of=AS_OF)


def _rows_of(customer: Customer, product) -> None:
    """A row of every per-customer result table for `customer`, in an active and an older run of each family."""
    interaction = InteractionFactory(customer=customer)
    for active in (True, False):
        runs = {f: _run(f, active) for f in ("segments", "value", "churn", "sentiment", "recommendations")}
        CustomerSegment.objects.create(
            run=runs["segments"], customer=customer, cluster=0, segment="Loyal", rfm_r=5, rfm_f=5, rfm_m=5,
            rfm_segment="Champions",
        )  # fmt: skip
        CustomerValue.objects.create(
            run=runs["value"], customer=customer, expected_purchases_90d=1, expected_purchases_365d=3,
            expected_order_value=20, clv_12m=60,
        )  # fmt: skip
        ChurnScore.objects.create(run=runs["churn"], customer=customer, probability=0.7, band="high")
        InteractionSentiment.objects.create(
            run=runs["sentiment"], interaction=interaction, customer=customer, occurred_at=timezone.now(),
            sentiment="negative", sentiment_probability=0.9, topic="delivery", topic_probability=0.8,
        )  # fmt: skip
        Recommendation.objects.create(
            run=runs["recommendations"], customer=customer, list="reorder", rank=1, product=product, score=1.0,
            component="popular", reason_code="popular",
        )  # fmt: skip


def _counts(customer_id: int) -> dict[str, int]:
    return {m.__name__: m.objects.filter(customer_id=customer_id).count() for m in PER_CUSTOMER}


@pytest.fixture
def two_customers():
    product = ProductFactory()
    gone, kept = CustomerFactory(), CustomerFactory()
    ModelRun.objects.all().delete()
    _rows_of(gone, product)
    ModelRun.objects.filter(is_active=True).update(is_active=False)  # the second customer's runs are the active ones
    _rows_of(kept, product)
    return gone, kept


def test_it_deletes_a_deleted_customers_rows_of_every_run(two_customers):
    gone, kept = two_customers
    assert _counts(gone.pk) == {m.__name__: 2 for m in PER_CUSTOMER}
    Customer.objects.filter(pk=gone.pk).delete()  # as the admin's delete action does
    assert _counts(gone.pk) == {m.__name__: 0 for m in PER_CUSTOMER}
    assert _counts(kept.pk) == {m.__name__: 2 for m in PER_CUSTOMER}


def test_it_deletes_a_deleted_interactions_sentiment_rows(two_customers):
    gone, kept = two_customers
    Interaction.objects.filter(customer=gone).delete()
    assert not InteractionSentiment.objects.filter(customer=gone).exists()
    assert InteractionSentiment.objects.filter(customer=kept).count() == 2


def test_it_deletes_a_deleted_runs_rows(two_customers):
    gone, _ = two_customers
    runs = ModelRun.objects.filter(pk__in=ChurnScore.objects.filter(customer=gone).values("run_id"))
    ids = list(runs.values_list("pk", flat=True))
    runs.delete()
    assert not ChurnScore.objects.filter(run_id__in=ids).exists()
    assert ChurnScore.objects.count() == 2


def test_an_erased_customer_keeps_no_result_row_in_any_run(two_customers, alice):
    gone, kept = two_customers
    privacy.erase_customer(gone, alice)
    assert _counts(gone.pk) == {m.__name__: 0 for m in PER_CUSTOMER}
    assert _counts(kept.pk) == {m.__name__: 2 for m in PER_CUSTOMER}
