"""What the models learn from, read out of the database as of a date.

The database does the heavy lifting: order lines are summed per order in SQL, so Python receives one row per
order, never every line. Only completed, non-outlier orders of customers who allow profiling count as
purchases; anonymous sales and non-goods lines (shipping, fees) are left out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.db.models import F, FloatField, Q, Sum
from django.db.models.functions import Cast

from customers.models import Customer, Interaction, Order, Product

CHUNK = 20_000


def _frame(queryset, columns: list[str]) -> pd.DataFrame:
    rows = list(queryset.values_list(*columns).iterator(chunk_size=CHUNK))
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in columns:
        if column.endswith("_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def profiled_customers():
    """Customers who allow profiling: the only ones models are trained on and score."""
    return Customer.objects.filter(profiling_consent=True)


def _customers(customers):
    """Profiled customers, optionally narrowed to a list of ids or an inclusive (first, last) id range."""
    chosen = profiled_customers()
    if customers is None:
        return chosen
    if isinstance(customers, tuple):
        return chosen.filter(pk__gte=customers[0], pk__lte=customers[1])
    return chosen.filter(pk__in=customers)


def purchases(until: dt.datetime | None = None, customers=None) -> pd.DataFrame:
    """One row per purchase: customer, placed_at (UTC) and amount (goods only), before `until` if given, of
    the given customer ids (default: every profiled customer)."""
    orders = Order.objects.filter(
        status=Order.Status.COMPLETED, is_outlier=False, customer__in=_customers(customers)
    ).order_by()
    if until is not None:
        orders = orders.filter(placed_at__lt=until)
    line_total = Cast(F("items__quantity"), FloatField()) * Cast(F("items__unit_price"), FloatField())
    orders = orders.annotate(
        amount=Sum(line_total, filter=Q(items__product__kind=Product.Kind.PRODUCT), output_field=FloatField())
    )
    frame = _frame(orders, ["customer_id", "placed_at", "amount"]).rename(columns={"customer_id": "customer"})
    frame["amount"] = frame["amount"].astype(float).fillna(0.0)
    return frame[frame["amount"] > 0].reset_index(drop=True)


def returns(until: dt.datetime | None = None, customers=None) -> pd.DataFrame:
    """Cancelled and returned orders of profiled customers: customer, placed_at."""
    orders = Order.objects.exclude(status=Order.Status.COMPLETED).filter(customer__in=_customers(customers))
    if until is not None:
        orders = orders.filter(placed_at__lt=until)
    return _frame(orders.order_by(), ["customer_id", "placed_at"]).rename(columns={"customer_id": "customer"})


def interactions(until: dt.datetime | None = None, customers=None) -> pd.DataFrame:
    """Interactions with profiled customers: customer, occurred_at, kind."""
    rows = Interaction.objects.filter(customer__in=_customers(customers))
    if until is not None:
        rows = rows.filter(occurred_at__lt=until)
    return _frame(rows.order_by(), ["customer_id", "occurred_at", "kind"]).rename(columns={"customer_id": "customer"})


def customer_attributes(ids: np.ndarray | list[int]) -> pd.DataFrame:
    """Country and acquisition channel of the given customers (for per-group quality checks)."""
    frame = _frame(
        Customer.objects.filter(pk__in=list(map(int, ids))).order_by(), ["id", "country", "acquisition_channel"]
    )
    return frame.set_index("id")


def as_of_datetime(day: dt.date) -> pd.Timestamp:
    """The start of the day after `day` in UTC: data "as of" a date includes that whole day."""
    return pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1)
