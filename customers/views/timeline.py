"""A customer's whole history, orders and interactions in one timeline, newest first, 50 to a page (the profile
shows only the latest of each). One UNION query pages the (kind, id, moment) of both, then the page's orders
and interactions are read in one query each: a fixed number of queries whatever the history's length."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from customers.models import Customer, Interaction, Order
from customers.queries import timeline_keys, with_totals

PAGE_SIZE = 50


@login_required
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Every order and interaction of a customer the user may see, newest first; 404 for anyone else's."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    page = Paginator(timeline_keys(customer), PAGE_SIZE).get_page(request.GET.get("page"))
    keys = list(page.object_list)
    order_ids = [key for kind, key, _ in keys if kind == "order"]
    interaction_ids = [key for kind, key, _ in keys if kind == "interaction"]
    orders = {}
    if order_ids:
        orders = with_totals(Order.objects.filter(pk__in=order_ids)).in_bulk()
    interactions = Interaction.objects.select_related("user").in_bulk(interaction_ids) if interaction_ids else {}
    entries = [
        {"kind": kind, "moment": moment, "item": orders.get(key) if kind == "order" else interactions.get(key)}
        for kind, key, moment in keys
    ]
    context = {"customer": customer, "page_obj": page, "entries": entries}
    return render(request, "customers/customer_timeline.html", context)
