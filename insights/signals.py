"""Signal receivers: a saved order or interaction, or a change of profiling consent, queues the customer's
re-scoring after commit."""

from __future__ import annotations

from insights.rescoring import queue_rescore


def order_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    """A new or changed order re-scores its customer (fixtures loading raw rows do not)."""
    if not raw:
        queue_rescore(instance.customer_id)


def interaction_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    """A logged interaction re-scores its customer: complaints and contacts move the churn risk."""
    if not raw:
        queue_rescore(instance.customer_id)


def consent_changed(sender, customer_id: int, **kwargs) -> None:
    """Profiling consent changed (customers.signals): re-scoring removes a withdrawn customer's scores from the
    active runs, or scores a customer who consents again."""
    queue_rescore(customer_id)
