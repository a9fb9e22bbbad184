"""The home page: what this user may see, and where to go next. It lives in `customers`, whose records it
counts, so that `crm` (what every app shares) never imports an app."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from customers.models import Customer, Interaction, Order, Product, sees_all_customers

RECENT_INTERACTIONS_DAYS = 30


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Say what exists: counts of the records this user may see, and where to go next.

    One COUNT per kind of record, each through the visibility rule, so the number of queries does not grow
    with the data."""
    user = request.user
    since = timezone.now() - dt.timedelta(days=RECENT_INTERACTIONS_DAYS)
    counts = {
        "customers": Customer.objects.visible_to(user).count(),
        "orders": Order.objects.visible_to(user).count(),
        "products": Product.objects.filter(kind=Product.Kind.PRODUCT).count(),
        "interactions": Interaction.objects.visible_to(user).filter(occurred_at__gte=since).count(),
    }
    context = {
        "counts": counts,
        "recent_days": RECENT_INTERACTIONS_DAYS,
        "sees_all": sees_all_customers(user),
        # With nothing to see and nothing in the catalogue, the database itself is most likely empty.
        "is_empty": counts["customers"] == 0 and counts["products"] == 0,
    }
    return render(request, "home.html", context)
