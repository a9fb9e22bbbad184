"""Between retrains: when a customer orders or is contacted, their value and churn risk are scored again with
the active runs' saved models, after the change commits. Only that customer's rows of the active runs change."""

from __future__ import annotations

import logging

import pandas as pd
from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from insights import data
from insights.families import FAMILY_MODULES, common, module, result_model
from insights.models import ChurnScore, CustomerValue
from insights.publishing import active_runs

log = logging.getLogger(__name__)
RESCORED = {"value": CustomerValue, "churn": ChurnScore}


def queue_rescore(customer_id: int | None) -> None:
    """Ask a worker to re-score `customer_id` once the current transaction commits."""
    if customer_id is None or not any(active_runs(FAMILY_MODULES).values()):
        return  # nothing published yet that could be re-scored or removed
    from insights.tasks import rescore_customer

    transaction.on_commit(lambda: rescore_customer.delay(customer_id))


def rescore_customer(customer_id: int) -> dict[str, str]:
    """Score one customer again with every active model that can; returns what happened per family."""
    if not Customer.objects.filter(pk=customer_id, profiling_consent=True).exists():
        return forget_customer(customer_id)
    active = {family: run for family, run in active_runs(RESCORED).items() if run}
    if not active:
        return {}
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


def forget_customer(customer_id: int) -> dict[str, str]:
    """An opted-out (or erased) customer's rows leave every family's active run: segment, value, risk and
    recommendations alike. Older runs keep theirs until they are pruned; pages read only the active runs."""
    outcome = {}
    for family, run in active_runs(FAMILY_MODULES).items():
        if not run:
            continue
        model = result_model(family)
        if any(field.name == "customer" for field in model._meta.fields):  # not the per-product families
            model.objects.filter(run_id=run, customer_id=customer_id).delete()
            outcome[family] = "removed"
    return outcome
