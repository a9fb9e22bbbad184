"""Result rows carry no foreign-key constraint in the database (insights/models.py). Django cascades a delete to the
rows that exist when it runs; a run, a re-scoring or a classification that read a customer or an interaction before
it was deleted, erased or opted out must not write its rows back afterwards (found in review: such rows stayed,
pointing at nothing, and the manager's segment sizes and a customer's complaint trend counted them). Each test races
a deletion or an erasure with one writer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from customers.models import Customer, Interaction
from insights import classifying, communication, publishing, rescoring, runs
from insights.dashboards import figures
from insights.models import ChurnScore, CustomerSegment, CustomerValue, InteractionSentiment
from tests.factories import InteractionFactory

END = dt.date(2025, 6, 30)
pytestmark = pytest.mark.django_db(transaction=True)


def _orphans(model) -> int:
    return model.objects.exclude(customer_id__in=Customer.objects.values("pk")).count()


def _scored_demo() -> int:
    """A 300-customer demo with published value and churn runs; returns a scored customer's id."""
    call_command("seed_demo", customers=300, seed=3, end=END.isoformat(), no_logins=True, verbosity=0)
    for family in ("value", "churn"):
        run = runs.execute_run(runs.request_run(family, as_of=END).pk)
        if not run.is_active:
            publishing.publish(run)
    return ChurnScore.objects.order_by("customer_id").first().customer_id


def test_a_customer_deleted_while_a_segments_run_computes_leaves_no_row_in_the_published_run(monkeypatch, charlie):
    call_command("seed_demo", customers=300, seed=3, end=END.isoformat(), no_logins=True, verbosity=0)
    victim = Customer.objects.filter(profiling_consent=True).order_by("pk").first().pk
    write = runs._write

    def deleted_meanwhile(run, family, fitted, data, customers):
        Customer.objects.filter(pk=victim).delete()  # the admin's delete action, committed while the run computes
        return write(run, family, fitted, data, customers)

    monkeypatch.setattr(runs, "_write", deleted_meanwhile)
    run = runs.execute_run(runs.request_run("segments", as_of=END).pk)
    assert not Customer.objects.filter(pk=victim).exists()
    if run.is_active:  # the manager's segment table counts only customers that exist
        shown = sum(row["customers"] for row in figures.segment_table(charlie, {"segments": run.pk}))
        existing = CustomerSegment.objects.filter(run=run, customer_id__in=Customer.objects.values("pk")).count()
        assert shown == existing, "the manager's segment sizes count a deleted customer"
    assert _orphans(CustomerSegment) == 0, f"run {run.status}: rows of a deleted customer"


def test_a_customer_deleted_while_being_rescored_leaves_no_row_in_the_active_runs(monkeypatch):
    victim = _scored_demo()
    from insights.families import base

    for family in ("value", "churn"):
        scorer = base.get(family)
        rows = scorer.rows

        def deleted_meanwhile(self, fitted, data, customers, rows=rows):
            found = rows(self, fitted, data, customers)  # scored from data read while the customer was there
            Customer.objects.filter(pk=victim).delete()
            return found

        monkeypatch.setattr(scorer, "rows", deleted_meanwhile)
    assert rescoring.rescore_customer(victim) == {"value": "removed", "churn": "removed"}
    assert _orphans(ChurnScore) == 0 and _orphans(CustomerValue) == 0


def test_an_interaction_deleted_while_being_classified_leaves_no_reading_in_the_customers_trend(monkeypatch):
    old = InteractionFactory(body="Thank you, lovely service.")
    run = runs.execute_run(runs.request_run("sentiment").pk)
    assert run.is_active, run.error
    interaction = InteractionFactory(
        customer=old.customer, body="My order is two weeks late, I am furious.", subject="Late"
    )
    from insights.families import sentiment  # classify_interactions imports classify from here when it runs

    classify = sentiment.classify

    def deleted_meanwhile(fitted, texts):
        Interaction.objects.filter(pk=interaction.pk).delete()  # the rep deletes it while the worker reads it
        return classify(fitted, texts)

    monkeypatch.setattr(sentiment, "classify", deleted_meanwhile)
    assert classifying.classify_interactions([interaction.pk]).startswith("classified")
    left = InteractionSentiment.objects.exclude(interaction_id__in=Interaction.objects.values("pk"))
    assert not left.exists(), "a reading of a deleted interaction stays in the active run"
    # The profile's trend reads this table alone: the deleted complaint would still count in it.
    months = communication.trend(Customer.objects.get(pk=old.customer_id), dt.date.today())
    assert sum(m["negative"] for m in months) == 0


def test_a_customer_erased_while_being_rescored_keeps_no_score(monkeypatch, alice):
    """rescore_customer checks consent, scores, then writes: an erasure committed in between had already forgotten
    the customer, and the write brought a score back into the active run (found in review; older than the dropped
    constraints)."""
    from customers import privacy
    from insights.families import base

    victim = _scored_demo()
    scorer = base.get("churn")
    rows = scorer.rows

    def erased_meanwhile(self, fitted, data, customers):
        found = rows(self, fitted, data, customers)
        privacy.erase_customer(Customer.objects.get(pk=victim), alice)
        return found

    monkeypatch.setattr(scorer, "rows", erased_meanwhile)
    rescoring.rescore_customer(victim)
    assert not ChurnScore.objects.filter(customer_id=victim).exists(), "an erased customer has a churn score"
