"""Managers' pages of the recommendations app: the association rules of the active run (search, sort, paging)
and "what will sell", the products by forecast units over the coming weeks. Both read the active run only, in a
fixed number of queries, and say what to do when no run exists yet."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from customers.models import Order, OrderItem
from insights.publishing import active_run
from recommendations.models import AssociationRule, ProductForecast
from recommendations.services import forecast_totals, run_moment

PAGE_SIZE = 50
RULE_SORTS = {"lift": ("-lift", "-confidence"), "confidence": ("-confidence", "-lift"), "count": ("-count", "-lift")}
WEEK_CHOICES = (4, 8, 12)


@login_required
@permission_required("recommendations.view_associationrule", raise_exception=True)
def rule_list(request: HttpRequest) -> HttpResponse:
    """The active rules run's rules, strongest first; `q` finds a product on either side, `size` 2 or 3 keeps
    pair or triple rules, `sort` is lift, confidence or count."""
    run = active_run("rules")
    sort = request.GET.get("sort") if request.GET.get("sort") in RULE_SORTS else "lift"
    query = request.GET.get("q", "").strip()
    size = request.GET.get("size", "")
    rules = AssociationRule.objects.none()
    if run is not None:
        rules = AssociationRule.objects.filter(run=run).select_related("antecedent", "antecedent_2", "consequent")
        if query:
            rules = rules.filter(
                Q(antecedent__name__icontains=query)
                | Q(antecedent_2__name__icontains=query)
                | Q(consequent__name__icontains=query)
                | Q(antecedent__sku__iexact=query)
                | Q(consequent__sku__iexact=query)
            )
        if size == "2":
            rules = rules.filter(antecedent_2__isnull=True)
        elif size == "3":
            rules = rules.filter(antecedent_2__isnull=False)
        rules = rules.order_by(*RULE_SORTS[sort], "pk")
    context = {
        "run": run,
        "page_obj": Paginator(rules, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query,
        "size": size,
        "sort": sort,
        "summary": (run.model_card.get("rules", {}) if run else {}),
        "verdicts": [run.publish_note] if run else [],
    }
    return render(request, "recommendations/rule_list.html", context)


@login_required
@permission_required("recommendations.view_productforecast", raise_exception=True)
def what_will_sell(request: HttpRequest) -> HttpResponse:
    """Products by forecast units over the next `weeks` (4, 8 or 12, at most the run's horizon), with the summed
    interval and what sold in the same number of weeks before, so a rise or a fall shows."""
    run = active_run("demand")
    horizon = int(run.model_card.get("horizon", 8)) if run else 8
    asked = request.GET.get("weeks", "4")
    weeks = min(int(asked) if asked in {str(w) for w in WEEK_CHOICES} else 4, horizon)
    totals = ProductForecast.objects.none()
    if run is not None:
        totals = forecast_totals(run.pk, weeks)
    page = Paginator(totals, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    if run is not None and rows:
        end = run_moment(run)
        sold = dict(
            OrderItem.objects.filter(
                product_id__in=[r["product"] for r in rows],
                order__status=Order.Status.COMPLETED,
                order__placed_at__gte=end - dt.timedelta(weeks=weeks),
                order__placed_at__lt=end,
            )
            .values("product")
            .annotate(units=Sum("quantity"))
            .values_list("product", "units")
        )
        for row in rows:
            row["sold_before"] = sold.get(row["product"], 0)
    context = {
        "run": run,
        "page_obj": page,
        "rows": rows,
        "weeks": weeks,
        "week_choices": [w for w in WEEK_CHOICES if w <= horizon],
        "quality": run.model_card.get("backtest", {}) if run else {},
        "metrics": run.metrics if run else {},
        "baseline": run.baseline if run else {},
    }
    return render(request, "recommendations/what_will_sell.html", context)
