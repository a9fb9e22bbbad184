"""Between retrains: a new order re-scores its customer with the active runs' saved models, which are loaded
only when they match their recorded checksum."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import Customer, Product
from insights import artifacts, publishing, rescoring, runs
from insights.models import ChurnScore, CustomerValue
from tests.factories import OrderFactory, OrderItemFactory

END = dt.date(2025, 6, 30)


@pytest.fixture
def trained(db):
    """Demo data with value and churn runs trained and published (whatever their verdict)."""
    call_command("seed_demo", customers=300, seed=3, end=END.isoformat(), no_logins=True, verbosity=0)
    published = {}
    for family in ("value", "churn"):
        run = runs.execute_run(runs.request_run(family, as_of=END).pk)
        assert run.status in ("succeeded", "held"), run.error
        if not run.is_active:
            publishing.publish(run)
        published[family] = run
    return published


def _lapsed_customer(run) -> Customer:
    score = ChurnScore.objects.filter(run=run).order_by("-probability").first()
    return score.customer


def test_a_new_order_lowers_a_lapsed_customers_risk_and_raises_their_value(trained):
    customer = _lapsed_customer(trained["churn"])
    risk_before = ChurnScore.objects.get(run=trained["churn"], customer=customer).probability
    value_before = CustomerValue.objects.get(run=trained["value"], customer=customer).expected_purchases_90d
    order = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(hours=1))
    OrderItemFactory(order=order, product=Product.objects.filter(kind="product").first(), unit_price=Decimal("40"))
    assert rescoring.rescore_customer(customer.pk) == {"value": "rescored", "churn": "rescored"}
    risk_after = ChurnScore.objects.get(run=trained["churn"], customer=customer)
    assert risk_after.probability < risk_before
    assert risk_after.band in ("low", "medium", "high")
    assert CustomerValue.objects.get(run=trained["value"], customer=customer).expected_purchases_90d > value_before


def test_saving_an_order_queues_the_rescore_after_commit(trained, django_capture_on_commit_callbacks):
    customer = _lapsed_customer(trained["churn"])
    with django_capture_on_commit_callbacks() as callbacks:
        OrderFactory(customer=customer)
    assert len(callbacks) == 1


def test_a_customer_who_withdraws_consent_loses_their_scores(trained):
    customer = _lapsed_customer(trained["churn"])
    Customer.objects.filter(pk=customer.pk).update(profiling_consent=False)
    assert rescoring.rescore_customer(customer.pk) == {"value": "removed", "churn": "removed"}
    assert not ChurnScore.objects.filter(customer=customer).filter(run=trained["churn"]).exists()


def test_withdrawing_consent_removes_the_segment_and_the_recommendations_too(trained):
    from insights import publishing
    from insights.models import CustomerSegment, ModelRun
    from recommendations.models import Recommendation
    from tests.factories import ProductFactory

    customer = _lapsed_customer(trained["churn"])
    segments = ModelRun.objects.create(family="segments", as_of=trained["churn"].as_of, status="running")
    publishing.publish(segments)
    CustomerSegment.objects.create(
        run=segments, customer=customer, cluster=0, segment="Lapsed", rfm_r=1, rfm_f=1, rfm_m=1, rfm_segment="Lost"
    )
    recommendations = ModelRun.objects.create(family="recommendations", as_of=segments.as_of, status="running")
    publishing.publish(recommendations)
    Recommendation.objects.create(
        run=recommendations, customer=customer, list="try_next", rank=1, product=ProductFactory(), score=1.0,
        component="als", reason_code="similar_baskets",
    )  # fmt: skip
    Customer.objects.filter(pk=customer.pk).update(profiling_consent=False)
    outcome = rescoring.rescore_customer(customer.pk)
    assert outcome == {"segments": "removed", "value": "removed", "churn": "removed", "recommendations": "removed"}
    assert not CustomerSegment.objects.filter(customer=customer).exists()
    assert not Recommendation.objects.filter(customer=customer).exists()


def test_a_model_file_that_does_not_match_its_checksum_is_not_loaded(trained):
    run = trained["churn"]
    artifacts.forget_loaded()
    with run.artifact.open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(artifacts.ArtifactError, match="does not match its checksum"):
        artifacts.load(run.pk)


def test_models_are_saved_with_their_run(trained):
    for run in trained.values():
        run.refresh_from_db()
        assert run.artifact.name.startswith(f"{run.family}/run-{run.pk}-{run.artifact_sha256[:12]}")
        assert len(run.artifact_sha256) == 64


def _segments_run(as_of, customers, segment: str):
    from insights.models import CustomerSegment, ModelRun

    run = ModelRun.objects.create(family="segments", as_of=as_of, status="running")
    for customer in customers:
        CustomerSegment.objects.create(
            run=run, customer=customer, cluster=0, segment=segment, rfm_r=1, rfm_f=1, rfm_m=1, rfm_segment="Lost"
        )
    publishing.publish(run)
    return run


def _segment_counts(run) -> int:
    from insights.models import CustomerSegment

    return CustomerSegment.objects.filter(run=run).count()


def test_withdrawn_consent_leaves_older_runs_too_and_reactivating_one_does_not_bring_the_customer_back(db):
    from customers.signals import profiling_consent_changed
    from tests.factories import CustomerFactory

    customers = CustomerFactory.create_batch(3)
    older = _segments_run(END - dt.timedelta(days=30), customers, "Loyal")
    newer = _segments_run(END, customers, "Lapsing")
    withdrawn = customers[0]
    Customer.objects.filter(pk=withdrawn.pk).update(profiling_consent=False)
    profiling_consent_changed.send(sender=Customer, customer_id=withdrawn.pk, profiling_consent=False)
    assert (_segment_counts(older), _segment_counts(newer)) == (2, 2)
    older.refresh_from_db()
    publishing.activate(older)
    assert publishing.active_run_id("segments") == older.pk
    assert _segment_counts(older) == 2


def test_a_run_activated_after_a_withdrawal_made_without_the_signal_leaves_the_customer_out(db):
    """Consent changed by an import (SQL, no signal), or withdrawn while a run was being computed: the run that
    becomes active leaves out everyone who does not consent."""
    from tests.factories import CustomerFactory

    customers = CustomerFactory.create_batch(3)
    older = _segments_run(END - dt.timedelta(days=30), customers, "Loyal")
    _segments_run(END, customers, "Lapsing")
    Customer.objects.filter(pk=customers[1].pk).update(profiling_consent=False)
    older.refresh_from_db()
    publishing.activate(older)
    assert _segment_counts(older) == 2
    assert not older_rows_of(customers[1], older)


def older_rows_of(customer, run) -> bool:
    from insights.models import CustomerSegment

    return CustomerSegment.objects.filter(run=run, customer=customer).exists()


def _import_order_for(customer, tmp_path, number="IMP-1"):
    """Import one fresh order of `customer` from a Lodestar orders file (the import writes with SQL)."""
    sku = Product.objects.filter(kind="product").values_list("sku", flat=True).first()
    placed = (timezone.now() - dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_number,placed_at,sku,quantity,unit_price,customer_id\n"
        f"{number},{placed},{sku},2,40.00,{customer.external_id}\n",
        encoding="utf-8",
    )
    call_command("import_orders", str(path), format="lodestar", no_progress=True, verbosity=0)


def test_an_import_queues_the_rescoring_of_the_customers_it_touched_after_commit(
    trained, tmp_path, django_capture_on_commit_callbacks
):
    customer = _lapsed_customer(trained["churn"])
    with django_capture_on_commit_callbacks() as callbacks:
        _import_order_for(customer, tmp_path)
    assert len(callbacks) == 1
    merged_at = Customer.objects.get(pk=customer.pk).orders.latest("created_at").created_at
    assert rescoring.imported_chunks(merged_at) == [[customer.pk]]


def test_rescoring_an_import_in_chunks_freshens_the_scores_and_dates_them(trained, tmp_path):
    customer = _lapsed_customer(trained["churn"])
    risk_before = ChurnScore.objects.get(run=trained["churn"], customer=customer).probability
    others = list(ChurnScore.objects.filter(run=trained["churn"]).exclude(customer=customer).values_list("pk")[:3])
    _import_order_for(customer, tmp_path)
    merged_at = customer.orders.latest("created_at").created_at
    (chunk,) = rescoring.imported_chunks(merged_at)
    assert rescoring.rescore_customers(chunk) == {"value": 1, "churn": 1}
    fresh = ChurnScore.objects.get(run=trained["churn"], customer=customer)
    assert fresh.probability < risk_before
    assert fresh.rescored_on == timezone.localdate()
    assert CustomerValue.objects.get(run=trained["value"], customer=customer).rescored_on == timezone.localdate()
    assert (
        ChurnScore.objects.filter(run=trained["churn"]).count()
        == ChurnScore.objects.filter(run=trained["churn"]).values("customer").distinct().count()
    )  # replaced, not added
    assert all(score.rescored_on is None for score in ChurnScore.objects.filter(pk__in=[pk for (pk,) in others]))


def test_a_rates_import_re_scores_the_customers_with_orders_in_its_currencies_after_commit(
    trained, django_capture_on_commit_callbacks, settings
):
    """Seen in the audit: an EUR order went into the customer's lifetime revenue once its rate was imported, while
    their value and risk stayed as they were, with nothing to say why."""
    from crm.models import OutboxMessage
    from customers.rates import import_rates
    from insights import tasks

    settings.DEFAULT_CURRENCY = "GBP"
    customer = _lapsed_customer(trained["churn"])
    placed = timezone.now() - dt.timedelta(days=3)
    order = OrderFactory(customer=customer, placed_at=placed, currency="EUR")
    OrderItemFactory(order=order, product=Product.objects.filter(kind="product").first(), unit_price=Decimal("900"))
    rescoring.rescore_customer(customer.pk)  # as its save queued: an order without a rate counts for nothing yet
    before = CustomerValue.objects.get(run=trained["value"], customer=customer).expected_order_value
    with django_capture_on_commit_callbacks() as callbacks:
        imported = import_rates(["currency,day,rate\n", f"EUR,{placed:%Y-%m-%d},0.85\n"])
    assert len(callbacks) == 1 and "EUR are being re-scored" in str(imported)
    assert rescoring.currency_chunks(["EUR"]) == [[customer.pk]]
    assert tasks.rescore_currencies(["EUR"]) == "rates of EUR: 1 customers in 1 chunks"  # what the worker runs
    assert OutboxMessage.objects.filter(task=tasks.rescore_customers.name, args=[[customer.pk]]).exists()
    assert rescoring.rescore_customers([customer.pk]) == {"value": 1, "churn": 1}
    assert CustomerValue.objects.get(run=trained["value"], customer=customer).expected_order_value > before
