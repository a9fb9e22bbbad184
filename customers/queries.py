"""What the customer and product pages read (the list and its CSV export, the profile, the history, a product's
page): read-only querysets and aggregates, each computed by the database in a fixed number of queries whatever
the data size. Callers pass what the user may see (`Customer.objects.visible_to(user)` decides); nothing here
writes."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers import figures as money
from customers.models import Customer, Interaction, Order, OrderItem, Product

TIMELINE_LIMIT = 20  # the latest orders and interactions the profile shows
RECENT_DAYS = 90  # a product's "recent" sales
MONEY = DecimalField(max_digits=20, decimal_places=4)
LINE_TOTAL = F("items__quantity") * F("items__unit_price")
COMPLETED = Q(status=Order.Status.COMPLETED)


def customer_list_queryset(user) -> QuerySet:
    """Customers `user` may see, with their owner, number of orders and last order date in the same query: the
    customer list's rows and its CSV export's.

    Correlated subqueries (served by the order (customer, placed_at) index) rather than a JOIN and GROUP BY,
    so the database computes them for the one page it returns, not for every customer. The columns other apps
    register (customers/list_extensions.py) add theirs the same way, in the list's view."""
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


def key_figures(customer: Customer) -> dict:
    """Lifetime figures for one customer in one query (customers/figures.py `order_figures`): orders (all and
    completed), first and last order, and the spend by its one definition: `revenue` in the base currency,
    `unconverted` amounts per currency that have no rate, and `average_order_value` per converted purchase."""
    figures, spent = money.order_figures(Order.objects.filter(customer=customer))
    figures.update(
        revenue=spent.total,
        currency=spent.currency,
        unconverted=spent.unconverted,
        purchases=spent.purchases,
        average_order_value=spent.average_order,
    )
    return figures


def with_totals(orders: QuerySet) -> QuerySet:
    """`orders`, each with its total (sum of quantity x unit price) and its number of lines, from SQL."""
    return orders.annotate(total=Sum(LINE_TOTAL, output_field=MONEY), line_count=Count("items"))


def recent_orders(customer: Customer, limit: int = TIMELINE_LIMIT) -> list[Order]:
    """The customer's latest orders, newest first, each with its total and number of lines from SQL, and its
    lines with their products (one more query for all of them), which the profile opens on demand."""
    lines = Prefetch("items", queryset=OrderItem.objects.select_related("product").order_by("pk"))
    orders = with_totals(Order.objects.filter(customer=customer)).order_by("-placed_at", "-pk")
    return list(orders.prefetch_related(lines)[:limit])


def recent_interactions(customer: Customer, limit: int = TIMELINE_LIMIT) -> list[Interaction]:
    """The customer's latest interactions, newest first, with the member of staff who logged each."""
    interactions = Interaction.objects.filter(customer=customer).select_related("user")
    return list(interactions.order_by("-occurred_at", "-pk")[:limit])


def timeline_keys(customer: Customer):
    """(kind, pk, moment) of the customer's orders and interactions, newest first, as one SQL UNION."""
    orders = Order.objects.filter(customer=customer).annotate(
        entry=Value("order", output_field=CharField()), moment=F("placed_at")
    )
    interactions = Interaction.objects.filter(customer=customer).annotate(
        entry=Value("interaction", output_field=CharField()), moment=F("occurred_at")
    )
    return (
        orders.order_by()
        .values_list("entry", "pk", "moment")
        .union(interactions.order_by().values_list("entry", "pk", "moment"), all=True)
        .order_by("-moment", "-pk")
    )


def sales_figures(product: Product) -> dict:
    """Units, revenue and orders of completed orders, all time and in the last 90 days, and the last sale (one
    query over the product's lines, served by the (product, order) index). Completed orders of every customer
    count, anonymous sales included: products are not personal data."""
    since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
    completed = Q(order__status=Order.Status.COMPLETED)
    recent = completed & Q(order__placed_at__gte=since)
    figures = (
        OrderItem.objects.filter(product=product)
        .order_by()
        .aggregate(
            units=Sum("quantity", filter=completed),
            revenue=Sum(F("quantity") * F("unit_price"), filter=completed, output_field=MONEY),
            orders=Count("order", distinct=True, filter=completed),
            units_recent=Sum("quantity", filter=recent),
            orders_recent=Count("order", distinct=True, filter=recent),
            last_sold_at=Max("order__placed_at", filter=completed),
        )
    )
    figures["recent_days"] = RECENT_DAYS
    return figures
