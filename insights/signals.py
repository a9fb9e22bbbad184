"""Signal receivers: a saved order or interaction queues the customer's re-scoring after commit, an import the
re-scoring of every customer it touched, in chunks (and an import of exchange rates that of the customers with
orders in those currencies); withdrawn profiling consent removes their scores at once, in
the same transaction as the change."""

from __future__ import annotations

from insights.tasks import queue_classify, queue_currency_rescore, queue_import_rescore, queue_rescore


def order_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    """A new or changed order re-scores its customer (fixtures loading raw rows do not)."""
    if not raw:
        queue_rescore(instance.customer_id)


def interaction_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    """A logged interaction re-scores its customer (complaints and contacts move the churn risk) and is classified
    (sentiment and topic)."""
    if not raw:
        queue_rescore(instance.customer_id)
        queue_classify(instance.pk)


def consent_changed(sender, customer_id: int, profiling_consent: bool | None = None, **kwargs) -> None:
    """Profiling consent changed (customers.signals): withdrawn, the customer's scores leave the active runs now and
    their open next best actions go; given again, the customer is re-scored after commit."""
    if profiling_consent is False:
        from insights.privacy import forget_suggestions
        from insights.rescoring import forget_customer

        forget_customer(customer_id)
        forget_suggestions(customer_id)
    else:
        queue_rescore(customer_id)


def data_replaced(sender, **kwargs) -> None:
    """Every customer, order, product and interaction was deleted to be seeded again (customers.signals): the model
    runs learned from them go too."""
    from insights.pruning import discard_all

    discard_all()


def records_imported(sender, merged_at, **kwargs) -> None:
    """An import wrote orders or interactions (customers.signals): re-score the customers it touched after commit."""
    queue_import_rescore(merged_at)


def rates_imported(sender, currencies, **kwargs) -> None:
    """Exchange rates were imported (customers.signals): re-score the customers with orders in those currencies,
    whose base-currency amounts changed, after commit."""
    queue_currency_rescore(currencies)
