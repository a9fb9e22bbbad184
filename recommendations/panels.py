"""What the recommendations app adds to other apps' pages (registered from RecommendationsConfig.ready()):
on the customer profile, the two recommendation lists with their reasons and "bought together" for the latest
basket; on the product page, "bought together" and the demand forecast. Each reads the family's active run only,
in a fixed number of indexed queries, and says so when no run has been published yet."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import HttpRequest
from django.template.defaultfilters import date as date_format
from django.template.defaultfilters import floatformat
from django.utils import timezone

from crm.reversing import path_for
from customers.models import Customer, Order, OrderItem, Product
from insights.publishing import active_run, active_run_id, active_verdicts, active_winner
from recommendations.models import AssociationRule, ProductForecast, Recommendation
from recommendations.queries import (
    forecast_totals,
    reason_sentences,
    run_moment,
    total_ranges,
    week_start,
    weekly_units,
)

SHOWN = 5
BOUGHT_TOGETHER = 6
PAST_WEEKS = 16  # sold weeks drawn before the forecast on a product's page


def recommendations_context(request: HttpRequest, customer: Customer) -> dict:
    """Both lists of the active run for `customer`, less what they bought since the run's date, each item with its
    reason as a sentence."""
    if not customer.profiling_consent:
        return {"not_profiled": True}
    run = active_run("recommendations")
    if run is None:
        return {"no_model": True}
    # Each row says whether its product was bought since the run's date, in the same query.
    bought_since = OrderItem.objects.filter(
        order__customer=customer, order__placed_at__gte=run_moment(run), product_id=OuterRef("product_id")
    )
    rows = list(
        Recommendation.objects.filter(run_id=run.pk, customer=customer)
        .annotate(bought_since=Exists(bought_since))
        .select_related("product")
        .order_by("rank")
    )
    kept, per_list = [], {"reorder": 0, "try_next": 0}
    for row in rows:
        if not row.bought_since and row.product.is_active and per_list[row.list] < SHOWN:
            kept.append(row)
            per_list[row.list] += 1
    lists = {"reorder": [], "try_next": []}
    product_url = path_for("products:detail")
    for row, reason in zip(kept, reason_sentences(kept, run), strict=True):
        lists[row.list].append({"product": row.product, "reason": reason, "url": product_url(row.product_id)})
    return {
        "no_model": False,
        "reorder": lists["reorder"],
        "try_next": lists["try_next"],
        "as_of": run.as_of,
        "verdicts": [run.publish_note],
    }


def _strongest(rules) -> list[AssociationRule]:
    """The first (strongest) rule per consequent, up to BOUGHT_TOGETHER of them, each with its consequent's URL
    (`consequent_url`, from one `reverse()` for all)."""
    seen, kept = set(), []
    for rule in rules:
        if rule.consequent_id not in seen and rule.consequent.is_active:
            seen.add(rule.consequent_id)
            kept.append(rule)
    product_url = path_for("products:detail")
    for rule in kept[:BOUGHT_TOGETHER]:
        rule.consequent_url = product_url(rule.consequent_id)
    return kept[:BOUGHT_TOGETHER]


def basket_context(request: HttpRequest, customer: Customer) -> dict:
    """Products often bought with the customer's latest completed order, each with the rule behind it."""
    run_id = active_run_id("rules")
    if run_id is None:
        return {"no_model": True}
    last, basket = latest_basket(customer)
    if last is None:
        return {"no_model": False, "order": None, "rules": []}
    rules = (
        _suggested(run_id)
        .filter(antecedent_id__in=basket)
        .filter(Q(antecedent_2__isnull=True) | Q(antecedent_2_id__in=basket))
        .exclude(consequent_id__in=basket)
        .select_related("antecedent", "antecedent_2", "consequent")
        .order_by("-lift", "-confidence")[:100]
    )
    # A rule of three or more products on the left applies only when the basket holds them all.
    held = set(basket)
    rules = [rule for rule in rules if held.issuperset(rule.antecedent_more)]
    for rule in rules:
        rule.more_count = len(rule.antecedent_more)
    return {"no_model": False, "order": last, "rules": _strongest(rules), "verdicts": _rules_verdict()}


def latest_basket(customer: Customer) -> tuple[dict | None, list[int]]:
    """The customer's latest completed order ({"external_number", "placed_at"}, or None without one) and the
    products among its lines (shipping, fees and adjustments left out), in one query: the lines carry their
    order's number and day. Only an order with no product among its lines is read again, on its own."""
    latest = Order.objects.filter(customer=customer, status=Order.Status.COMPLETED).order_by("-placed_at", "-pk")
    lines = OrderItem.objects.filter(order=Subquery(latest.values("pk")[:1]), product__kind=Product.Kind.PRODUCT)
    rows = list(lines.order_by().values_list("product_id", "order__external_number", "order__placed_at"))
    if not rows:
        return latest.values("external_number", "placed_at").first(), []
    _, number, placed_at = rows[0]
    return {"external_number": number, "placed_at": placed_at}, [product_id for product_id, _, _ in rows]


def product_rules_context(request: HttpRequest, product: Product) -> dict:
    """Products most often in the same basket as `product` (its single-product rules, strongest first). Shipping,
    fees and adjustments are left out of baskets, so for them the card says that instead of "not bought often"."""
    if not product.is_product:
        return {"not_goods": True, "kind": product.get_kind_display()}
    run_id = active_run_id("rules")
    if run_id is None:
        return {"no_model": True}
    rules = (
        _suggested(run_id)
        .filter(antecedent=product, antecedent_2__isnull=True)
        .select_related("consequent")
        .order_by("-lift", "-confidence")[: BOUGHT_TOGETHER * 2]
    )
    return {"no_model": False, "rules": _strongest(rules), "verdicts": _rules_verdict()}


def _suggested(run_id: int):
    """The active rules run's rows of the kind its verdict chose for suggestions (its mined rules, or its popular
    companions when they won the backtest; the cached winner, no query)."""
    return AssociationRule.objects.filter(run_id=run_id, kind=AssociationRule.Kind.suggested(active_winner("rules")))


def _rules_verdict() -> list[str]:
    """The active rules run's verdict (cached with its id: no query)."""
    return [note for note in active_verdicts(["rules"]).values() if note]


def forecast_context(request: HttpRequest, product: Product) -> dict:
    """The active demand run's weekly forecast of `product` with its interval, and how good the model was.
    Shipping, fees and adjustments are not goods and are never forecast: the card says so, not "no sale"."""
    if not product.is_product:
        return {"not_goods": True, "kind": product.get_kind_display()}
    run = active_run("demand")
    if run is None:
        return {"no_model": True}
    weeks = list(ProductForecast.objects.filter(run_id=run.pk, product=product).order_by("horizon"))
    top = max((w.upper for w in weeks), default=0) or 1
    rows = [{"week": w, "width": round(100 * w.forecast / top), "upper": round(100 * w.upper / top)} for w in weeks]
    past = []
    if weeks:
        # The weeks before the forecast's first week, from the orders (one query), with the weeks of no sale as 0.
        start = weeks[0].week
        sold = weekly_units(product.pk, week_start(start), PAST_WEEKS)
        past = [
            {"week": day, "units": sold.get(day, 0.0)}
            for day in (start - dt.timedelta(weeks=k) for k in range(PAST_WEEKS, 0, -1))
        ]
    return {
        "no_model": False,
        "weeks": rows,
        "past": past,
        "charts": {"forecast": forecast_chart(product.name, past, weeks)} if weeks else {},
        **_total(weeks, run),
        "run": run,
        "quality": run.model_card.get("backtest", {}),
        "verdicts": [run.publish_note],
    }


def _total(weeks: list[ProductForecast], run) -> dict:
    """The forecast's total over its weeks and the ends of the total's 80 % range (the weeks' ranges combined as
    the run's model found they add up: recommendations/models_ml/demand_interval.py)."""
    from recommendations.models_ml.demand_interval import total_range

    if not weeks:
        return {"total": 0, "lower": 0, "upper": 0}
    lower, upper = total_range(
        [w.forecast for w in weeks],
        [w.lower for w in weeks],
        [w.upper for w in weeks],
        float(run.model_card.get("total_rho", 1.0)),
    )
    return {"total": sum(w.forecast for w in weeks), "lower": float(lower), "upper": float(upper)}


def forecast_chart(name: str, past: list[dict], weeks: list[ProductForecast]) -> dict:
    """The product's past weeks and its forecast with the 80 % range as a line chart for static/js/charts.js (the
    dashboards' format, insights/dashboards/charts.py): one category per week, the sold units and the forecast as
    two lines, the range as two dashed lines."""
    categories = [date_format(row["week"], "j M Y") for row in past] + [date_format(w.week, "j M Y") for w in weeks]
    gap = [None] * len(past)
    total = sum(w.forecast for w in weeks)
    return {
        "type": "line",
        "format": "count",
        "categories": categories,
        "series": [
            {"name": "Sold", "data": [round(row["units"], 1) for row in past] + [None] * len(weeks)},
            {"name": "Forecast", "data": gap + [round(w.forecast, 1) for w in weeks], "tone": "danger"},
            {"name": "80% range, low", "data": gap + [round(w.lower, 1) for w in weeks], "dashed": True},
            {"name": "80% range, high", "data": gap + [round(w.upper, 1) for w in weeks], "dashed": True},
        ],
        "label": (
            f"Line chart of {name}: units sold in each of the last {len(past)} weeks, then the forecast for the next "
            f"{len(weeks)} weeks ({floatformat(total, '0g')} units in all) between the ends of its 80% range."
        ),
    }


def _owner(request: HttpRequest) -> str:
    """The worklist's owner filter (?owner=<id> or none), as the worklist reads it."""
    owner = request.GET.get("owner", "")
    return owner if owner == "none" or owner.isdigit() else ""


def cross_sell_context(request: HttpRequest, rep) -> dict | None:
    """The rep's customers with the strongest personal "try next" suggestion (leaving out plain best sellers),
    strongest first, each with its reason; None (no section) until a recommendations run is published. Only the
    customers on none of the worklist's other lists (insights/worklist.py `unlisted`): one customer, one list."""
    from insights.forms import SNOOZE_CHOICES, outcome_choices
    from insights.queries import WORKLIST_SIZE, unlisted

    run = active_run("recommendations")
    if run is None:
        return None
    customers = unlisted(rep, timezone.localdate(), _owner(request))
    rows = list(
        Recommendation.objects.filter(run_id=run.pk, list=Recommendation.List.TRY_NEXT, rank=1, customer__in=customers)
        .exclude(reason_code__in=["popular", "popular_now"])
        .select_related("customer", "product")
        .order_by("-score", "customer_id")[:WORKLIST_SIZE]
    )
    offers = [{"row": row, "reason": reason} for row, reason in zip(rows, reason_sentences(rows, run), strict=True)]
    return {"offers": offers, "snooze_choices": SNOOZE_CHOICES, "outcome_choices": outcome_choices()}


def what_will_sell_context(request: HttpRequest, viewer) -> dict | None:
    """The ten products with the most forecast units over the next four weeks, for those who may see forecasts."""
    if not viewer.has_perm("recommendations.view_productforecast"):
        return None
    run = active_run("demand")
    if run is None:
        return {"no_model": True}
    return {"no_model": False, "top": total_ranges(list(forecast_totals(run.pk, weeks=4)[:10]), run)}
