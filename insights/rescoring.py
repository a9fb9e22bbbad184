"""Between retrains: when a customer orders or is contacted, their scores are computed again with the active runs'
saved models (the families that say `rescored`: value and churn), after the change commits; an import re-scores
every customer it touched, in chunks of RESCORE_CHUNK (`imported_chunks`, `rescore_customers`), and an import of
exchange rates those with orders in its currencies (`currency_chunks`), whose amounts changed. Only those
customers' rows of the active runs change, and each says the day it was scored again (`rescored_on`). A customer
who withdraws profiling consent (or is erased) leaves every kept run of every family at once, active or not, in the
same transaction as the change (`forget_customer`), so rolling back to an older run cannot bring them back;
`publishing.publish` also leaves out anyone without consent from the run it activates (a run in flight during the
withdrawal, or consent changed by an import)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from customers.models import Customer, Interaction, Order
from insights import artifacts
from insights.families import base
from insights.models import ModelRun
from insights.publishing import active_runs

log = logging.getLogger(__name__)

RESCORE_CHUNK = 2000  # customers re-scored by one task after an import: one read of their data per family


def still_profiled(customer_ids) -> set[int]:
    """Of `customer_ids`, those that still exist and consent to profiling, their rows locked until the caller's
    transaction ends (call inside one, just before writing their scores). Result rows carry no foreign-key
    constraint (insights/models.py), so a score computed before a customer was deleted, erased or opted out would
    otherwise be written after their rows were removed, and stay: the lock makes an erasure or a deletion wait for
    this write, or this write see it."""
    ids = sorted({int(pk) for pk in customer_ids})
    locked = Customer.objects.select_for_update(no_key=True).filter(pk__in=ids, profiling_consent=True)
    return set(locked.order_by("pk").values_list("pk", flat=True))


def anything_to_rescore() -> bool:
    """Whether any re-scored family has a published run (before the first retrain there is nothing to do)."""
    return any(active_runs([name for name in base.names() if base.get(name).rescored]).values())


def rescore_customer(customer_id: int) -> dict[str, str]:
    """Score one customer again with every active model that can; returns what happened per family."""
    import pandas as pd

    from insights.snapshot import Snapshot

    if not Customer.objects.filter(pk=customer_id, profiling_consent=True).exists():
        return forget_customer(customer_id)
    rescored = [name for name in base.names() if base.get(name).rescored]
    active = {family: run for family, run in active_runs(rescored).items() if run}
    snapshot = Snapshot(pd.Timestamp(timezone.now()), customers=[customer_id])
    outcome = {}
    models = ModelRun.objects.in_bulk(list(active.values()))
    for name, run_id in active.items():
        run = models[run_id]
        family = base.get(name)(run.parameters)
        try:
            rows = family.rows(artifacts.load(run), family.load_for_rows(snapshot), [customer_id])
        except Exception:  # a model that cannot score this customer must not lose the order that triggered it
            log.exception("Re-scoring customer %s with %s run %s failed", customer_id, name, run_id)
            outcome[name] = "failed"
            continue
        if rows.empty:
            outcome[name] = "no purchases"
            continue
        values = rows.drop(columns="customer_id").iloc[0].to_dict()
        values["rescored_on"] = timezone.localdate()
        with transaction.atomic():
            profiled = bool(still_profiled([customer_id]))
            if profiled:
                family.result_model.objects.update_or_create(run_id=run_id, customer_id=customer_id, defaults=values)
        if not profiled:  # deleted, erased or opted out while being scored
            return forget_customer(customer_id)
        outcome[name] = "rescored"
    return outcome


def imported_chunks(merged_at) -> list[list[int]]:
    """The profiled customers whose orders or interactions an import wrote at `merged_at` (their created_at), in
    chunks of RESCORE_CHUNK ids."""
    touched = (
        Order.objects.filter(created_at=merged_at, customer__isnull=False)
        .order_by()  # no ORDER BY inside a UNION's parts (SQLite refuses it)
        .values("customer_id")
        .union(Interaction.objects.filter(created_at=merged_at).order_by().values("customer_id"))
    )
    return _chunks([row["customer_id"] for row in touched])


def currency_chunks(currencies) -> list[list[int]]:
    """The profiled customers with an order in one of `currencies` (whose rates an import changed), in chunks of
    RESCORE_CHUNK ids."""
    return _chunks(Order.objects.filter(currency__in=list(currencies), customer__isnull=False).values("customer_id"))


def _chunks(customer_ids) -> list[list[int]]:
    """Those of `customer_ids` (ids or a one-column query) who allow profiling, in order, in chunks."""
    ids = sorted(Customer.objects.filter(pk__in=customer_ids, profiling_consent=True).values_list("pk", flat=True))
    return [ids[start : start + RESCORE_CHUNK] for start in range(0, len(ids), RESCORE_CHUNK)]


def rescore_customers(customer_ids: list[int]) -> dict[str, int | str]:
    """Score several customers again with every active model that can, set-based: one read of their data, their
    rows of each active run replaced in one transaction per family. Returns the customers re-scored per family."""
    import pandas as pd

    from insights.publishing import write_frame
    from insights.snapshot import Snapshot

    ids = list(Customer.objects.filter(pk__in=customer_ids, profiling_consent=True).values_list("pk", flat=True))
    rescored = [name for name in base.names() if base.get(name).rescored]
    active = {family: run for family, run in active_runs(rescored).items() if run}
    if not ids or not active:
        return {}
    snapshot = Snapshot(pd.Timestamp(timezone.now()), customers=ids)
    runs = ModelRun.objects.in_bulk(list(active.values()))
    outcome: dict[str, int | str] = {}
    for name, run_id in active.items():
        family = base.get(name)(runs[run_id].parameters)
        try:
            rows = family.rows(artifacts.load(runs[run_id]), family.load_for_rows(snapshot), ids)
        except Exception:  # one family failing must not keep the others from their fresh scores
            log.exception("Re-scoring %s customers with %s run %s failed", len(ids), name, run_id)
            outcome[name] = "failed"
            continue
        rows = rows.assign(run_id=run_id, rescored_on=timezone.localdate())
        with transaction.atomic():
            kept = still_profiled(rows["customer_id"].tolist())  # none deleted, erased or opted out meanwhile
            family.result_model.objects.filter(run_id=run_id, customer_id__in=rows["customer_id"].tolist()).delete()
            outcome[name] = write_frame(family.result_model, rows[rows["customer_id"].isin(kept)])
    return outcome


def forget_customer(customer_id: int) -> dict[str, str]:
    """An opted-out (or erased) customer's rows leave every kept run of every per-customer family, active, older or
    in flight: segment, value, risk and recommendations alike. Returns "removed" for each family that has kept
    runs. Each delete names the runs, so it is served by the (run, customer) indexes the result tables lead with."""
    outcome = {}
    with transaction.atomic():
        for name in base.names():
            family = base.get(name)
            if not family.per_customer:
                continue
            kept = list(ModelRun.objects.filter(family=name, pruned_at__isnull=True).values_list("pk", flat=True))
            if kept:
                family.result_model.objects.filter(run_id__in=kept, customer_id=customer_id).delete()
                outcome[name] = "removed"
    return outcome
