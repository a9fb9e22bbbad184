"""Between retrains: when a customer orders or is contacted, their value and churn risk are scored again with
the active runs' saved models, after the change commits. Only that customer's rows of the active runs change."""

from __future__ import annotations

import logging

import pandas as pd
from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from insights import data
from insights.families import common, module
from insights.models import ChurnScore, CustomerValue
from insights.publishing import active_runs

log = logging.getLogger(__name__)
RESCORED = {"value": CustomerValue, "churn": ChurnScore}


def queue_rescore(customer_id: int | None) -> None:
    """Ask a worker to re-score `customer_id` once the current transaction commits."""
    if customer_id is None or not any(active_runs(RESCORED).values()):
        return  # nothing published yet that could be re-scored
    from insights.tasks import rescore_customer

    transaction.on_commit(lambda: rescore_customer.delay(customer_id))


def rescore_customer(customer_id: int) -> dict[str, str]:
    """Score one customer again with every active model that can; returns what happened per family."""
    active = {family: run for family, run in active_runs(RESCORED).items() if run}
    if not active:
        return {}
    if not Customer.objects.filter(pk=customer_id, profiling_consent=True).exists():
        # Opted out (or gone): no scores at all, not even old ones.
        for family, run in active.items():
            RESCORED[family].objects.filter(run_id=run, customer_id=customer_id).delete()
        return dict.fromkeys(active, "removed")
    now = pd.Timestamp(timezone.now())
    ids = [customer_id]
    dataset = common.Dataset(
        now, data.purchases(customers=ids), data.returns(customers=ids), data.interactions(customers=ids)
    )
    outcome = {}
    for family, run in active.items():
        try:
            values = module(family).rescore(run, customer_id, dataset)
        except Exception:  # a model that cannot score this customer must not lose the order that triggered it
            log.exception("Re-scoring customer %s with %s run %s failed", customer_id, family, run)
            outcome[family] = "failed"
            continue
        if values is None:
            outcome[family] = "no purchases"
            continue
        RESCORED[family].objects.update_or_create(run_id=run, customer_id=customer_id, defaults=values)
        outcome[family] = "rescored"
    return outcome
