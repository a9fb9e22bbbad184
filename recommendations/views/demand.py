"""The "what will sell" page (managers): products by forecast units over the coming weeks, from the active demand
run, beside what sold in as many weeks before. It reads the active run only, in a fixed number of queries, and
says what to do when no run exists yet."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.access import requires
from crm.templatetags.lodestar import percent
from insights.publishing import active_run
from recommendations.families.demand import BASELINE_WORDS
from recommendations.models import ProductForecast
from recommendations.queries import (
    forecast_totals,
    total_ranges,
    units_sold_before,
    week_start,
)

PAGE_SIZE = 50


def _day(value) -> dt.date | None:
    """An ISO day from a model card ("2026-06-22"), None when missing or not a day."""
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


WEEK_CHOICES = (4, 8, 12)


def _off(bias_pct) -> str:
    """A total's bias in words: "5% too low", "2% too high", "on target"."""
    if bias_pct is None:
        return ""
    rounded = round(float(bias_pct))
    return "on target" if rounded == 0 else f"{percent(abs(rounded) / 100)} too {'low' if rounded < 0 else 'high'}"


def backtest_facts(run) -> dict:
    """The demand run's backtest as the page says it, once: the weeks it forecast (from the first origin to the end
    of the last origin's horizon, the window of the run's verdict), in how many forecasts of how many weeks, and
    each total's bias in words."""
    card = run.model_card
    tested = card.get("backtest") or {}
    horizon = int(card.get("horizon", 8))
    origins = [_day(o.get("origin")) for o in tested.get("origins") or []] or [_day(card.get("origin"))]
    origins = [o for o in origins if o]
    facts = {"horizon": horizon, "steps": len(origins), "products": card.get("products_scored")}
    if origins:
        facts["first"] = origins[0]
        facts["last"] = origins[-1] + dt.timedelta(weeks=horizon, days=-1)
        facts["weeks"] = ((facts["last"] - facts["first"]).days + 1) // 7
    facts["model_off"] = _off((tested.get("mean") or {}).get("bias_pct"))
    facts["baseline_off"] = _off(((run.baseline or {}).get("metrics") or {}).get("bias_pct"))
    return facts


@requires(
    "recommendations.view_productforecast",
    "What will sell is the demand forecast for buying stock; it is for managers. "
    "Each product's page shows its own sales.",
)
def what_will_sell(request: HttpRequest) -> HttpResponse:
    """Products by forecast units over the next `weeks` (4, 8 or 12, at most the run's horizon), with the range of
    each total and what sold in the same number of weeks before, so a rise or a fall shows."""
    run = active_run("demand")
    horizon = int(run.model_card.get("horizon", 8)) if run else 8
    asked = request.GET.get("weeks") or "4"
    if asked not in {str(w) for w in WEEK_CHOICES}:
        messages.warning(request, f"“{asked}” weeks is not offered (4, 8 or 12): showing 4 weeks.")
        asked = "4"
    wanted = int(asked)
    weeks = min(wanted, horizon)
    totals = ProductForecast.objects.none()
    if run is not None:
        totals = forecast_totals(run.pk, weeks)
    page = Paginator(totals, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = total_ranges(list(page.object_list), run) if run is not None else []
    if run is not None and rows:
        # The same weeks as the product page's chart: those before the forecast's first week.
        end = week_start(min(r["first_week"] for r in rows))
        sold = units_sold_before([r["product"] for r in rows], end, weeks)
        bursty = set(run.model_card.get("bursty") or [])
        for row in rows:
            row["sold_before"] = sold.get(row["product"], 0)
            row["bursty"] = row["product"] in bursty
    context = {
        "run": run,
        "page_obj": page,
        "rows": rows,
        "weeks": weeks,
        "week_choices": [w for w in WEEK_CHOICES if w <= horizon],
        "beyond_horizon": wanted if wanted > horizon else None,
        "quality": run.model_card.get("backtest", {}) if run else {},
        "metrics": run.metrics if run else {},
        "baseline": run.baseline if run else {},
        # The baseline in words ("the same weeks a year earlier", not "seasonal_naive"), the origin as a date.
        "baseline_words": BASELINE_WORDS.get((run.baseline or {}).get("name", ""), "") if run else "",
        "tested": backtest_facts(run) if run else {},
    }
    return render(request, "recommendations/what_will_sell.html", context)
