"""What the models hold about one customer, for their data export (customers/privacy.py): every row of every kept
run of every per-customer family (segments, value, churn, recommendations: families other apps register too),
with the run it belongs to, and the next best actions the worklists suggested for them. Pruned runs have no rows
left; a withdrawn or erased customer has none at all, and no open suggestion (`forget_suggestions`)."""

from __future__ import annotations

from typing import Any

from customers.models import Customer
from insights.families import base
from insights.models import ModelRun, SuggestedAction

_LEFT_OUT = {"id", "run", "customer"}


def model_results(customer: Customer) -> dict[str, list[dict[str, Any]]]:
    """{family: [{"run": {...}, <the row's fields>}, ...]} for each per-customer family, oldest run first; a
    related product is given by SKU and name, not only by id. Two queries per family."""
    results = {}
    for name in base.names():
        family = base.get(name)
        if not family.per_customer:
            continue
        model = family.result_model
        runs = {
            run["pk"]: run
            for run in ModelRun.objects.filter(family=name, pruned_at__isnull=True).values(
                "pk", "as_of", "status", "is_active", "winner"
            )
        }
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in _LEFT_OUT]
        if any(f.name == "product" for f in model._meta.concrete_fields):
            fields += ["product__sku", "product__name"]
        rows = (
            model.objects.filter(run_id__in=list(runs), customer=customer).order_by("run_id").values("run_id", *fields)
        )
        results[name] = [
            {"run": {"id": row["run_id"], **{k: v for k, v in runs[row.pop("run_id")].items() if k != "pk"}}, **row}
            for row in rows
        ]
    return results


def next_actions(customer: Customer) -> list[dict[str, Any]]:
    """The next best actions suggested for the customer on the worklists, and whether (and when) one was taken."""
    return list(
        SuggestedAction.objects.filter(customer=customer)
        .order_by("suggested_at", "pk")
        .values("action", "reason", "suggested_at", "taken_at")
    )


def forget_suggestions(customer_id: int) -> None:
    """Profiling consent withdrawn (or erasure): the suggestions made from their scores and readings go; those a
    rep took stay as a record of the contact, without the reason, which quoted the scores."""
    SuggestedAction.objects.filter(customer_id=customer_id, taken_at__isnull=True).delete()
    SuggestedAction.objects.filter(customer_id=customer_id).update(reason="")
