"""What the recommendations app's pages and panels read: its published results (forecast totals, the reasons
behind recommendations) and the sales they are compared with. Read-only."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Min, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from customers.models import Order, OrderItem, Product
from insights.models import ModelRun
from insights.publishing import active_run_id
from recommendations.models import ProductForecast, Recommendation
from recommendations.models_ml.reasons import reason_text


def run_moment(run: ModelRun) -> dt.datetime:
    """The moment a run's data ends: the start of the day after its date, in UTC, as training reads it."""
    return dt.datetime.combine(run.as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def week_start(day: dt.date) -> dt.datetime:
    """The moment a forecast week starts (its Monday's midnight in the current time zone): the end of the weeks
    "sold before" it, on What will sell and on the product's page alike, so both count the same orders."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def forecast_totals(run_id: int, weeks: int) -> QuerySet:
    """Products by forecast units over the run's first `weeks` weeks, biggest first, with what the range of each
    total is made of: the sums of the weeks' distances from the forecast to each end and of their squares
    (`total_ranges` turns them into the range's ends), and the week the forecast starts (`first_week`)."""
    below, above = F("forecast") - F("lower"), F("upper") - F("forecast")
    return (
        ProductForecast.objects.filter(run_id=run_id, horizon__lte=weeks)
        .values("product", "product__name", "product__sku")
        .annotate(  # the week's own forecast in the distances: the total is named last
            first_week=Min("week"),
            below=Sum(below),
            below_squares=Sum(below * below),
            above=Sum(above),
            above_squares=Sum(above * above),
        )
        .annotate(forecast=Sum("forecast"))
        .order_by("-forecast", "product")
    )


def total_ranges(rows: list[dict], run: ModelRun) -> list[dict]:
    """`forecast_totals` rows with "lower" and "upper", the ends of each total's 80 % range: the weeks' ranges
    combined as the run's model found they add up (demand_interval.total_range; summed for runs before it)."""
    from recommendations.models_ml.demand_interval import spread

    rho = float(run.model_card.get("total_rho", 1.0))
    for row in rows:
        row["lower"] = max(float(row["forecast"]) - float(spread(row["below"], row["below_squares"], rho)), 0.0)
        row["upper"] = float(row["forecast"]) + float(spread(row["above"], row["above_squares"], rho))
    return rows


def units_sold_before(product_ids: list[int], end: dt.datetime, weeks: int) -> dict[int, int]:
    """Units of each product sold in completed orders in the `weeks` weeks before `end`, by product id (products
    that sold nothing are left out)."""
    return dict(
        OrderItem.objects.filter(
            product_id__in=product_ids,
            order__status=Order.Status.COMPLETED,
            order__placed_at__gte=end - dt.timedelta(weeks=weeks),
            order__placed_at__lt=end,
        )
        .values("product")
        .annotate(units=Sum("quantity"))
        .values_list("product", "units")
    )


def weekly_units(product_id: int, end: dt.datetime, weeks: int) -> dict[dt.date, float]:
    """Units of one product sold in completed orders per week (keyed by the week's Monday, in the current time
    zone) over the `weeks` weeks before `end`; weeks without a sale are left out. One query."""
    rows = (
        OrderItem.objects.filter(
            product_id=product_id,
            order__status=Order.Status.COMPLETED,
            order__placed_at__gte=end - dt.timedelta(weeks=weeks),
            order__placed_at__lt=end,
        )
        .annotate(week=TruncWeek("order__placed_at"))
        .values("week")
        .annotate(units=Sum("quantity"))
        .values_list("week", "units")
    )
    return {(week.date() if isinstance(week, dt.datetime) else week): float(units) for week, units in rows}


def reason_sentences(rows: list[Recommendation], run: ModelRun) -> list[str]:
    """Each recommendation's reason as a sentence (one query for the products the reasons name). A buy-again
    reason's "last N days ago" was counted to the run's date; the page counts it to today."""
    mentioned = {i for row in rows for i in (row.reason_params or {}).get("items", [])}
    names = dict(Product.objects.filter(pk__in=mentioned).values_list("pk", "name")) if mentioned else {}
    days_since_run = max((timezone.localdate() - run.as_of).days, 0)
    sentences = []
    for row in rows:
        params = dict(row.reason_params or {})
        if row.reason_code == "buy_again" and "last" in params:
            params["last"] = int(params["last"]) + days_since_run
        sentences.append(reason_text(row.reason_code, params, names))
    return sentences


def offer_products(customer_ids: list[int], limit: int) -> dict[int, list[str]]:
    """The names of the products the active recommendations run recommends each customer, likely reorders first
    then try-next, best first, active products only, up to `limit` each (the worklist's "send an offer"). One
    query, none until a run is published."""
    run_id = active_run_id("recommendations")
    if run_id is None or not customer_ids:
        return {}
    rows = (
        Recommendation.objects.filter(
            run_id=run_id, customer_id__in=customer_ids, rank__lte=limit, product__is_active=True
        )
        .order_by("customer_id", "list", "rank")  # "reorder" sorts before "try_next"
        .values_list("customer_id", "product__name")
    )
    found: dict[int, list[str]] = {}
    for customer_id, name in rows:
        names = found.setdefault(customer_id, [])
        if len(names) < limit and name not in names:
            names.append(name)
    return found
