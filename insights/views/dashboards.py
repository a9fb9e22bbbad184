"""The manager's dashboards page: the figures of insights/dashboards/ as charts with their tables, and the
sections other apps register (insights/panels.py DASHBOARD_PANELS). Every section says what to do while it has no
data."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from customers.figures import base_currency
from customers.models import sees_all_customers
from insights.dashboards import charts, figures, trends
from insights.panels import DASHBOARD_PANELS
from insights.publishing import active_runs, active_verdicts


@login_required
def dashboards(request: HttpRequest) -> HttpResponse:
    """Revenue per month and cohort retention, segments with their value and risk, revenue at risk by owner,
    migration between segment runs, model quality across runs beside the baselines and the churn model's
    calibration, as charts with their tables (each section says what to do while it has no data)."""
    context = page_context(request.user)
    context["panels"] = DASHBOARD_PANELS.render(request, request.user)
    return render(request, "insights/dashboards.html", context)


def page_context(user) -> dict:
    """Everything the dashboards page shows, with the charts' data."""
    runs = active_runs(["segments", "value", "churn"])
    orders = trends.order_trends(user)
    page = {
        "runs": runs,
        "no_model": not any(runs.values()),
        "sees_all": sees_all_customers(user),
        "currency": base_currency(),
        "revenue": trends.mark_month_to_date(orders["revenue"], timezone.localdate()),
        "cohorts": orders["cohorts"],
        "anonymous_share": trends.anonymous_share(orders["revenue"]),
    }
    page["segments"], page["unsegmented_at_risk"] = figures.segments_and_rest(user, runs)
    page |= {
        "owners": figures.revenue_at_risk_by_owner(user, runs),
        "migration": figures.migration(user, runs),
        "quality": figures.model_quality(),
        "verdicts": [note for note in active_verdicts(["segments", "value", "churn"]).values() if note],
    }
    churn_card = figures.churn_card(runs)
    page["calibration"] = trends.churn_calibration(churn_card)
    page["calibration_ece"], page["calibration_season"] = churn_card.get("ece"), churn_card.get("season")
    page["calibration_period"] = churn_card.get("period")
    page["charts"] = charts.charts(page)
    page["quality_charts"] = [(key, chart) for key, chart in page["charts"].items() if key.startswith("quality_")]
    return page
