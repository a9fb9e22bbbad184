"""The dashboards' figures over time, read from the orders rather than from a model run: revenue per month and
monthly cohort retention; and the active churn run's calibration, read from its model card.

A purchase is counted as the models count one (insights/data.py): a completed order that is not flagged as an
outlier and has at least one goods line (product kind "product"); revenue is the sum of its goods lines, so
shipping and fees are left out. Orders follow their customer's visibility (`Order.objects.visible_to`), so a
manager's revenue includes anonymous sales and a rep's only their own customers'. Each figure is one query
whatever the number of orders, on PostgreSQL and SQLite alike (months are the ORM's TruncMonth, in the site's
time zone), kept in the cache for TRENDS_CACHE_SECONDS per visibility scope: the query reads every order line
(about half a second for 450,000 lines on a busy two-core machine), and monthly figures need not be fresher.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import connection
from django.db.models import DecimalField, F, Sum
from django.db.models.functions import TruncMonth

from customers.models import Order, Product, sees_all_customers

REVENUE_MONTHS = 24
COHORTS_SHOWN = 12
RETENTION_MONTHS = 12  # months after the first purchase: 0 (the first month itself) to 11
TRENDS_CACHE_SECONDS = 600


def _cached(name: str, user, compute):
    """`compute()`, kept in the cache per figure and per visibility scope: everyone who sees all customers shares
    one entry, each other user has their own."""
    scope = "all" if sees_all_customers(user) else f"user-{user.pk}"
    key = f"insights:dashboards:{name}:{scope}"
    found = cache.get(key)
    if found is None:
        found = {"value": compute()}  # wrapped, so that an empty figure is cached too
        cache.set(key, found, TRENDS_CACHE_SECONDS)
    return found["value"]


def month_start(index: int) -> dt.date:
    """The first day of the month numbered `index` (year * 12 + month - 1)."""
    return dt.date(index // 12, index % 12 + 1, 1)


def month_index(day) -> int:
    """A month as one integer (year * 12 + month - 1), so that months subtract. Takes a date or datetime, or
    the text SQLite gives for one ("2026-01-01 00:00:00")."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return day.year * 12 + day.month - 1


def _purchases(user):
    """The user's visible purchases (see the module doc), joined to their goods lines."""
    return (
        Order.objects.visible_to(user)
        .filter(status=Order.Status.COMPLETED, is_outlier=False, items__product__kind=Product.Kind.PRODUCT)
        .order_by()  # the model's default ordering would add columns to the GROUP BY
    )


def revenue_trend(user) -> list[dict]:
    """Goods revenue per month for the last REVENUE_MONTHS months (cached: see `compute_revenue_trend`)."""
    return _cached("revenue", user, lambda: compute_revenue_trend(user))


def cohort_retention(user) -> dict | None:
    """Monthly cohort retention for the latest COHORTS_SHOWN cohorts (cached: see `compute_cohort_retention`)."""
    return _cached("cohorts", user, lambda: compute_cohort_retention(user))


def compute_revenue_trend(user, months: int = REVENUE_MONTHS) -> list[dict]:
    """Goods revenue per month, oldest first, for the `months` months ending with the latest month that has a
    purchase (so imported history that ended a while ago still shows); months without sales count 0. Empty
    when there is no purchase at all."""
    line_total = Sum(
        F("items__quantity") * F("items__unit_price"), output_field=DecimalField(max_digits=20, decimal_places=4)
    )
    # One row per month of history: few, whatever the number of orders. Truncating to the month is much cheaper
    # on PostgreSQL than extracting year and month (numeric arithmetic on every order line).
    rows = _purchases(user).annotate(month=TruncMonth("placed_at")).values("month").annotate(revenue=line_total)
    revenue = {month_index(row["month"]): float(row["revenue"] or 0) for row in rows}
    if not revenue:
        return []
    last = max(revenue)
    return [{"month": month_start(m), "revenue": revenue.get(m, 0.0)} for m in range(last - months + 1, last + 1)]


def compute_cohort_retention(user, cohorts: int = COHORTS_SHOWN, months: int = RETENTION_MONTHS) -> dict | None:
    """Monthly cohorts by the month of each customer's first purchase: for the `cohorts` latest cohorts, the
    share of the cohort that bought in each of the `months` months from the first (month 0 is always 100 %).

    Returns {"months": [0, 1, ...], "rows": [{"cohort": date, "size": n, "cells": [share or None, ...]}]},
    newest cohort first; a cell is None for a month that has not happened yet (after the latest purchase's
    month). None when there is no purchase."""
    monthly = (
        _purchases(user)
        .filter(customer__isnull=False)
        .annotate(month=TruncMonth("placed_at"))
        .values("customer_id", "month")
        .distinct()
    )
    inner, params = monthly.query.sql_with_params()
    # One row per (cohort, month) of the latest cohorts: how many of the cohort's customers bought that month
    # (`monthly` has one row per customer and month, so COUNT(*) counts customers). The `cohorts` latest months
    # with any purchase cover every cohort of the last `cohorts` calendar months; Python keeps those.
    sql = f"""
        WITH monthly (customer_id, month) AS ({inner}),
             firsts AS (SELECT customer_id, MIN(month) AS cohort FROM monthly GROUP BY customer_id),
             recent AS (SELECT DISTINCT month FROM monthly ORDER BY month DESC LIMIT %s)
        SELECT f.cohort, m.month, COUNT(*), (SELECT MAX(month) FROM monthly)
        FROM monthly m JOIN firsts f ON f.customer_id = m.customer_id
        WHERE f.cohort IN (SELECT month FROM recent)
        GROUP BY f.cohort, m.month"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, cohorts])
        found = cursor.fetchall()
    if not found:
        return None
    latest = month_index(found[0][3])
    counts: dict[tuple[int, int], int] = {}
    for cohort, month, n, _ in found:
        start = month_index(cohort)
        if start > latest - cohorts and month_index(month) - start < months:
            counts[(start, month_index(month) - start)] = int(n)
    rows = []
    for cohort in sorted({cohort for cohort, _ in counts}, reverse=True):
        size = counts[(cohort, 0)]
        cells = [counts.get((cohort, k), 0) / size if cohort + k <= latest else None for k in range(months)]
        rows.append({"cohort": month_start(cohort), "size": size, "cells": cells})
    return {"months": list(range(months)), "rows": rows}


def churn_calibration(card: dict) -> list[dict]:
    """The non-empty calibration bins of a churn run's model card (older runs recorded none: an empty list)."""
    return [entry for entry in card.get("calibration") or [] if entry.get("count")]
