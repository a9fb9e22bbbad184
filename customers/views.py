"""Customer pages: the list (search, filters, sorting, pagination, saved filters) and the profile.

Every page starts from `Customer.objects.visible_to(request.user)`, so a customer someone may not see
answers 404. Figures are computed by the database in a fixed number of queries, whatever the data size.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, F, IntegerField, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.functional import cached_property

from crm.page_cache import cache_page_per_session, cached_for_page
from crm.reversing import path_for
from customers import list_extensions
from customers.filters import CustomerFilterSet, saved_query, visible_countries
from customers.forms import ConsentForm, SavedFilterForm, TagForm
from customers.models import Customer, Interaction, Order, SavedFilter, sees_all_customers, visibility_scope
from customers.panels import render_profile_panels
from customers.views_interactions import InteractionForm
from customers.views_profile import may_change_consent, may_change_owner, may_edit_tags

PAGE_SIZE = 50
TIMELINE_LIMIT = 20
MONEY = DecimalField(max_digits=20, decimal_places=4)
LINE_TOTAL = F("items__quantity") * F("items__unit_price")
COMPLETED = Q(status=Order.Status.COMPLETED)


def customer_list_queryset(user) -> QuerySet:
    """Customers `user` may see, with their owner, number of orders and last order date in the same query.

    Correlated subqueries (served by the order (customer, placed_at) index) rather than a JOIN and GROUP BY,
    so the database computes them for the one page it returns, not for every customer. The columns other apps
    register (customers/list_extensions.py) add theirs the same way, in `customer_list`."""
    orders = Order.objects.filter(customer=OuterRef("pk")).order_by()
    order_count = orders.values("customer").annotate(n=Count("pk")).values("n")
    last_order = orders.order_by("-placed_at").values("placed_at")[:1]
    return (
        Customer.objects.visible_to(user)
        .select_related("owner")
        .annotate(
            order_count=Coalesce(Subquery(order_count, output_field=IntegerField()), 0),
            last_order_at=Subquery(last_order),
        )
    )


@login_required
@cache_page_per_session
def customer_list(request: HttpRequest) -> HttpResponse:
    """Search, filter, sort and page through the customers the user may see, 50 to a page, with the columns
    and filters other apps register, and the user's saved filters."""
    queryset, columns = list_extensions.annotate_columns(customer_list_queryset(request.user), request)
    filterset = CustomerFilterSet(request.GET, queryset=queryset, request=request)
    customers = filterset.qs  # validates the form; invalid values (e.g. an unknown sort) are ignored
    page = ListPaginator(customers.values_list("pk", flat=True), PAGE_SIZE, request).get_page(request.GET.get("page"))
    page.object_list = page_rows(queryset, list(page.object_list))
    list_extensions.render_cells(page.object_list, columns)
    present_rows(page.object_list)
    cleaned = filterset.form.cleaned_data
    form = filterset.form
    query = saved_query(request.GET)
    context = {
        "filter": filterset,
        "page_obj": page,
        "columns": list_extensions.headings(columns, filterset.filters["sort"].extensions),
        "countries": visible_countries(request.user),
        "show_owner_filter": sees_all_customers(request.user),
        "owners": form.fields["owner"].queryset,
        "tag_choices": form.fields["tags"].choices,
        "current_tags": [str(tag) for tag in cleaned.get("tags") or []],
        "extension_fields": [form[name] for name in filterset.extension_names],
        "sort_choices": [choice for choice in form.fields["sort"].choices if choice[0]],  # no blank option
        "current_sort": cleaned.get("sort") or "",
        "current_country": cleaned.get("country") or "",
        "current_owner": _selected_owner(cleaned.get("owner")),
        "is_filtered": any(cleaned.get(name) for name in filterset.filter_names),
        "saved_filters": list(SavedFilter.objects.filter(user=request.user).order_by("name")),
        "saved_filter_form": SavedFilterForm(initial={"query": query}),
        "query": query,
    }
    return render(request, "customers/customer_list.html", context)


class ListPaginator(Paginator):
    """The list's paginator: the number of matching customers is kept while the user pages through them
    (crm/page_cache.py `cached_for_page`), per visibility scope and filter; counting 100k customers was a
    sixth of a manager's page."""

    def __init__(self, object_list, per_page, request: HttpRequest):
        super().__init__(object_list, per_page)
        self.request = request

    @cached_property
    def count(self) -> int:
        """The number of customers the filtered list holds."""
        scope = visibility_scope(self.request.user)
        query = hashlib.sha256(saved_query(self.request.GET).encode()).hexdigest()
        return cached_for_page(self.request, f"customers:count:{scope}:{query}", self.object_list.count)


def page_rows(queryset: QuerySet, ids: list[int]) -> list[Customer]:
    """The page's customers with every annotation, in the order of `ids`.

    The page is found first as bare ids, then its rows are read by primary key: PostgreSQL evaluates the
    annotations (correlated subqueries) of every row an OFFSET skips, so page 500 of 100k customers took
    5 s in one query, against tens of milliseconds in these two."""
    rows = {customer.pk: customer for customer in queryset.filter(pk__in=ids).order_by()}
    return [rows[pk] for pk in ids if pk in rows]


def present_rows(customers: list[Customer]) -> None:
    """Give each listed customer its profile's URL and its owner's name: `{% url %}` per row (a tenth of a
    millisecond each) was most of the list's rendering at 50 rows; one `reverse()` serves them all here."""
    detail_url = path_for("customers:detail")
    for customer in customers:
        customer.detail_url = detail_url(customer.pk)
        owner = customer.owner
        customer.owner_name = (owner.get_full_name() or owner.get_username()) if owner else ""


def _selected_owner(owner) -> str:
    """The owner select's current value: a user's pk, "none" for unassigned, or "" for anyone."""
    if owner is None or owner == "":
        return ""
    return owner if isinstance(owner, str) else str(owner.pk)


def key_figures(customer: Customer) -> dict:
    """Lifetime figures for one customer in one query: orders (all and completed), revenue from completed
    orders (sum of quantity x unit price), average order value, first and last order."""
    figures = (
        Order.objects.filter(customer=customer)
        .order_by()
        .aggregate(
            orders=Count("pk", distinct=True),
            completed_orders=Count("pk", distinct=True, filter=COMPLETED),
            revenue=Sum(LINE_TOTAL, filter=COMPLETED, output_field=MONEY),
            first_order_at=Min("placed_at"),
            last_order_at=Max("placed_at"),
        )
    )
    revenue = figures["revenue"] or Decimal(0)
    completed = figures["completed_orders"]
    figures["revenue"] = revenue.quantize(Decimal("0.01"), ROUND_HALF_UP)
    figures["average_order_value"] = (
        (revenue / completed).quantize(Decimal("0.01"), ROUND_HALF_UP) if completed else None
    )
    return figures


def recent_orders(customer: Customer, limit: int = TIMELINE_LIMIT) -> list[Order]:
    """The customer's latest orders, newest first, each with its total and number of lines from SQL."""
    orders = (
        Order.objects.filter(customer=customer)
        .annotate(total=Sum(LINE_TOTAL, output_field=MONEY), line_count=Count("items"))
        .order_by("-placed_at", "-pk")
    )
    return list(orders[:limit])


def recent_interactions(customer: Customer, limit: int = TIMELINE_LIMIT) -> list[Interaction]:
    """The customer's latest interactions, newest first, with the member of staff who logged each."""
    interactions = Interaction.objects.filter(customer=customer).select_related("user")
    return list(interactions.order_by("-occurred_at", "-pk")[:limit])


@login_required
@cache_page_per_session
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's profile: key figures, contact details, owner, tags, consent, the latest orders and
    interactions, and the panels other apps register (customers/panels.py). Not visible means 404. The forms
    that edit tags, owner and consent post to customers/views_profile.py and come back here."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner"), pk=pk)
    context = {
        "customer": customer,
        "tags": list(customer.tags.all()),
        "figures": key_figures(customer),
        "orders": recent_orders(customer),
        "interactions": recent_interactions(customer),
        "timeline_limit": TIMELINE_LIMIT,
        "panels": render_profile_panels(request, customer),
        "currency": settings.DEFAULT_CURRENCY,
        "interaction_form": InteractionForm(),
        "tag_form": TagForm(),
        "consent_form": ConsentForm(instance=customer),
        "may_edit_tags": may_edit_tags(request.user),
        "may_change_owner": may_change_owner(request.user),
        "may_change_consent": may_change_consent(request.user),
    }
    return render(request, "customers/customer_detail.html", context)
