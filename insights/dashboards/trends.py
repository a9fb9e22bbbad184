"""The dashboards' figures over time, read from the orders rather than from a model run: revenue per month and
monthly cohort retention; and the active churn run's calibration, read from its model card.

A purchase is counted as the models count one (insights/data.py): a completed order that is not flagged as an
outlier and has at least one goods line (product kind "product"); revenue is the sum of its goods lines, so
shipping and fees are left out. Orders follow their customer's visibility (`Order.objects.visible_to`), so a
manager's revenue includes anonymous sales and a rep's only their own customers'. Both figures come from one
query whatever the number of orders, on PostgreSQL and SQLite alike (months are the ORM's TruncMonth, in the
site's time zone), kept in the cache for TRENDS_CACHE_SECONDS per visibility scope: the query reads every order
line, and monthly figures need not be fresher than that.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import connection
from django.db.models import F, FloatField, Sum
from django.db.models.functions import Cast, TruncMonth

from customers import figures
from customers.models import Order, Product, visibility_scope

REVENUE_MONTHS = 24
COHORTS_SHOWN = 12
RETENTION_MONTHS = 12  # months after the first purchase: 0 (the first month itself) to 11
TRENDS_CACHE_SECONDS = 600


def _cached(name: str, user, compute):
    """`compute()`, kept in the cache per figure and per visibility scope: everyone who sees all customers shares
    one entry, each other user has their own."""
    key = f"insights:dashboards:{name}:{visibility_scope(user)}"
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


def order_trends(user) -> dict:
    """{"revenue": ..., "cohorts": ...} of `compute_order_trends`, from the cache when it has them."""
    return _cached("order-trends", user, lambda: compute_order_trends(user))


def compute_order_trends(user, cohorts: int = COHORTS_SHOWN) -> dict:
    """Revenue per month and monthly cohort retention over the user's visible purchases, in one query that reads
    the order lines once: {"revenue": `revenue_trend`'s list, "cohorts": `cohort_retention`'s table or None}.

    The query sums goods per customer and month, then returns four kinds of rows from that: revenue per month
    (anonymous sales included), the part of it from sales with no customer record, the latest month a customer
    bought in, and per (cohort, month) of the `cohorts` latest cohorts how many of the cohort's customers bought
    that month. Truncating to the month is much cheaper
    on PostgreSQL than extracting year and month (numeric arithmetic on every line)."""
    # In floating point, as insights/data.py sums lines: a chart needs no exact pennies, and summing numerics per
    # customer and month was a third slower on PostgreSQL.
    # Each order converted into the base currency at its day's rate (customers/figures.py); an order with no rate
    # adds nothing rather than another currency's amount.
    line_total = Sum(
        Cast(F("items__quantity"), FloatField())
        * Cast(F("items__unit_price"), FloatField())
        * Cast(figures.rate_to_base(), FloatField()),
        output_field=FloatField(),
    )
    monthly = (
        _purchases(user)
        .annotate(month=TruncMonth("placed_at"))
        .values("customer_id", "month")
        .annotate(revenue=line_total)
    )
    inner, params = monthly.query.sql_with_params()
    # The `cohorts` latest months with any customer's purchase cover every cohort of the last `cohorts` calendar
    # months; `cohort_retention` keeps those. Each row of `monthly` is one customer in one month, so COUNT(*)
    # counts customers. The cohort rows come first: their columns fix the union's types (PostgreSQL would take
    # a leading NULL for text).
    sql = f"""
        WITH monthly (customer_id, month, revenue) AS ({inner}),
             firsts AS (
                SELECT customer_id, MIN(month) AS cohort FROM monthly
                WHERE customer_id IS NOT NULL GROUP BY customer_id),
             recent AS (
                SELECT DISTINCT month FROM monthly
                WHERE customer_id IS NOT NULL ORDER BY month DESC LIMIT %s)
        SELECT 'cohort', f.cohort, m.month, COUNT(*)
        FROM monthly m JOIN firsts f ON f.customer_id = m.customer_id
        WHERE f.cohort IN (SELECT month FROM recent)
        GROUP BY f.cohort, m.month
        UNION ALL
        SELECT 'revenue', NULL, month, SUM(revenue) FROM monthly GROUP BY month
        UNION ALL
        SELECT 'anonymous', NULL, month, SUM(revenue) FROM monthly WHERE customer_id IS NULL GROUP BY month
        UNION ALL
        SELECT 'latest', NULL, MAX(month), NULL FROM monthly WHERE customer_id IS NOT NULL"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, cohorts])
        found = cursor.fetchall()
    revenue = {month_index(month): float(total or 0) for kind, _, month, total in found if kind == "revenue"}
    anonymous = {month_index(month): float(total or 0) for kind, _, month, total in found if kind == "anonymous"}
    latest = next((month for kind, _, month, _ in found if kind == "latest" and month is not None), None)
    pairs = {(month_index(cohort), month_index(month)): int(n) for kind, cohort, month, n in found if kind == "cohort"}
    return {
        "revenue": revenue_trend(revenue, anonymous),
        "cohorts": cohort_retention(pairs, month_index(latest), cohorts) if latest is not None else None,
    }


def revenue_trend(
    revenue: dict[int, float], anonymous: dict[int, float] | None = None, months: int = REVENUE_MONTHS
) -> list[dict]:
    """Revenue per month ({month index: revenue}) as [{"month": date, "revenue": float, "anonymous": float}],
    oldest first, for the `months` months ending with the latest month that has a purchase (so imported history
    that ended a while ago still shows); months without sales count 0. "anonymous" is the part of the revenue from
    sales with no customer record (till sales, guest checkouts: `anonymous`, by month index), which no customer
    figure holds. Empty when there is no purchase at all."""
    if not revenue:
        return []
    anonymous = anonymous or {}
    last = max(revenue)
    return [
        {"month": month_start(m), "revenue": revenue.get(m, 0.0), "anonymous": anonymous.get(m, 0.0)}
        for m in range(last - months + 1, last + 1)
    ]


def anonymous_share(trend: list[dict]) -> float | None:
    """The share of the trend's revenue from sales with no customer record; None when there is no revenue."""
    total = sum(row["revenue"] for row in trend)
    return sum(row.get("anonymous", 0.0) for row in trend) / total if total > 0 else None


def mark_month_to_date(trend: list[dict], today: dt.date) -> list[dict]:
    """`revenue_trend`'s rows, the last marked `"to_date": today` when it is the month `today` is in: that month is
    not over, so its revenue is month-to-date and must not read as a fall (the rows are copied: they may come from
    the cache)."""
    rows = [dict(row) for row in trend]
    if rows and rows[-1]["month"] == today.replace(day=1):
        rows[-1]["to_date"] = today
    return rows


def cohort_retention(
    pairs: dict[tuple[int, int], int], latest: int, cohorts: int = COHORTS_SHOWN, months: int = RETENTION_MONTHS
) -> dict:
    """Monthly cohorts by the month of each customer's first purchase, from {(cohort, month): customers buying
    that month} (month indexes): for the cohorts of the `cohorts` calendar months up to `latest`, the share of
    the cohort that bought in each of the `months` months from the first (month 0 is always 100 %).

    Returns {"months": [0, 1, ...], "rows": [{"cohort": date, "size": n, "cells": [share or None, ...]}]},
    newest cohort first; a cell is None for a month that has not happened yet (after `latest`)."""
    counts = {
        (cohort, month - cohort): n
        for (cohort, month), n in pairs.items()
        if cohort > latest - cohorts and month - cohort < months
    }
    rows = []
    for cohort in sorted({cohort for cohort, _ in counts}, reverse=True):
        size = counts[(cohort, 0)]
        cells = [counts.get((cohort, k), 0) / size if cohort + k <= latest else None for k in range(months)]
        rows.append({"cohort": month_start(cohort), "size": size, "cells": cells})
    return {"months": list(range(months)), "rows": rows}


def churn_calibration(card: dict) -> list[dict]:
    """The non-empty calibration bins of a churn run's model card (older runs recorded none: an empty list)."""
    return [entry for entry in card.get("calibration") or [] if entry.get("count")]
