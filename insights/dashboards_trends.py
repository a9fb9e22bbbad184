"""The dashboards' figures over time, read from the orders rather than from a model run: revenue per month and
monthly cohort retention; and the active churn run's calibration, read from its model card.

A purchase is counted as the models count one (insights/data.py): a completed order that is not flagged as an
outlier and has at least one goods line (product kind "product"); revenue is the sum of its goods lines, so
shipping and fees are left out. Orders follow their customer's visibility (`Order.objects.visible_to`), so a
manager's revenue includes anonymous sales and a rep's only their own customers'. Each figure is one query,
whatever the number of orders, and runs on PostgreSQL and SQLite alike (months are computed with the ORM's
Extract functions, in the site's time zone).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import DecimalField, F, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from customers.models import Order, Product

REVENUE_MONTHS = 24
COHORTS_SHOWN = 12
RETENTION_MONTHS = 12  # months after the first purchase: 0 (the first month itself) to 11


def month_start(index: int) -> dt.date:
    """The first day of the month numbered `index` (year * 12 + month - 1)."""
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_index(field: str):
    """A month as one integer (year * 12 + month - 1), so that months subtract on any database."""
    return ExtractYear(field) * 12 + ExtractMonth(field) - 1


def _purchases(user):
    """The user's visible purchases (see the module doc), joined to their goods lines."""
    return (
        Order.objects.visible_to(user)
        .filter(status=Order.Status.COMPLETED, is_outlier=False, items__product__kind=Product.Kind.PRODUCT)
        .order_by()  # the model's default ordering would add columns to the GROUP BY
    )


def revenue_trend(user, months: int = REVENUE_MONTHS) -> list[dict]:
    """Goods revenue per month, oldest first, for the `months` months ending with the latest month that has a
    purchase (so imported history that ended a while ago still shows); months without sales count 0. Empty
    when there is no purchase at all."""
    line_total = Sum(
        F("items__quantity") * F("items__unit_price"), output_field=DecimalField(max_digits=20, decimal_places=4)
    )
    # The `months` latest months that have sales cover every month of the window that has any.
    rows = list(
        _purchases(user)
        .annotate(month=_month_index("placed_at"))
        .values("month")
        .annotate(revenue=line_total)
        .order_by("-month")
        .values_list("month", "revenue")[:months]
    )
    if not rows:
        return []
    revenue = {int(month): float(total or 0) for month, total in rows}
    last = max(revenue)
    return [{"month": month_start(m), "revenue": revenue.get(m, 0.0)} for m in range(last - months + 1, last + 1)]


def cohort_retention(user, cohorts: int = COHORTS_SHOWN, months: int = RETENTION_MONTHS) -> dict | None:
    """Monthly cohorts by the month of each customer's first purchase: for the `cohorts` latest cohorts, the
    share of the cohort that bought in each of the `months` months from the first (month 0 is always 100 %).

    Returns {"months": [0, 1, ...], "rows": [{"cohort": date, "size": n, "cells": [share or None, ...]}]},
    newest cohort first; a cell is None for a month that has not happened yet (after the latest purchase's
    month). None when there is no purchase."""
    monthly = (
        _purchases(user)
        .filter(customer__isnull=False)
        .annotate(month=_month_index("placed_at"))
        .values("customer_id", "month")
        .distinct()
    )
    inner, params = monthly.query.sql_with_params()
    # One row per (cohort, months since it): how many of its customers bought that month. `monthly` has one row
    # per customer and month, so COUNT(*) counts customers.
    sql = f"""
        WITH monthly (customer_id, month) AS ({inner}),
             firsts AS (SELECT customer_id, MIN(month) AS cohort FROM monthly GROUP BY customer_id),
             latest AS (SELECT MAX(month) AS month FROM monthly)
        SELECT f.cohort, m.month - f.cohort, COUNT(*), latest.month
        FROM monthly m JOIN firsts f ON f.customer_id = m.customer_id CROSS JOIN latest
        WHERE f.cohort > latest.month - %s AND m.month - f.cohort < %s
        GROUP BY f.cohort, m.month - f.cohort, latest.month"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, cohorts, months])
        found = cursor.fetchall()
    if not found:
        return None
    latest = int(found[0][3])
    counts = {(int(cohort), int(offset)): int(n) for cohort, offset, n, _ in found}
    rows = []
    for cohort in sorted({cohort for cohort, _ in counts}, reverse=True):
        size = counts[(cohort, 0)]
        cells = [counts.get((cohort, k), 0) / size if cohort + k <= latest else None for k in range(months)]
        rows.append({"cohort": month_start(cohort), "size": size, "cells": cells})
    return {"months": list(range(months)), "rows": rows}


def churn_calibration(card: dict) -> list[dict]:
    """The non-empty calibration bins of a churn run's model card (older runs recorded none: an empty list)."""
    return [entry for entry in card.get("calibration") or [] if entry.get("count")]
