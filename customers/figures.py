"""One definition of each money figure, used by every page, the worklist and the models' data loaders.

- A *purchase* is a completed order that the import did not flag as an outlier.
- What a purchase is *worth* is the sum of its goods lines (quantity x unit price); shipping, fees and adjustments
  are left out, as the models leave them out.
- A customer's *spend* (lifetime revenue) is the worth of their purchases, in the base currency
  (settings.DEFAULT_CURRENCY): each order converted at the rate on or before its day (ExchangeRate). An order
  whose currency has no rate by then is not converted: it is summed in its own currency, apart, and said so.
- The *average order* is the spend divided by the purchases it converted.

Everything here is a query expression or one aggregate query: nothing loops over orders in Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from customers.models import ExchangeRate, Order, Product

MONEY = DecimalField(max_digits=24, decimal_places=8)
PURCHASE = Q(status=Order.Status.COMPLETED, is_outlier=False)
COMPLETED = Q(status=Order.Status.COMPLETED)
CENT = Decimal("0.01")


def base_currency() -> str:
    """The currency every converted figure is in (settings.DEFAULT_CURRENCY)."""
    return settings.DEFAULT_CURRENCY


def _outer_moment(name: str) -> ExpressionWrapper:
    # TruncDate needs to know its argument is a moment; a bare OuterRef does not say.
    return ExpressionWrapper(OuterRef(name), output_field=DateTimeField())


def rate_to_base(currency: str = "currency", placed_at: str = "placed_at"):
    """An expression for the rate that converts an order's amounts into the base currency: 1 for an order in the
    base currency, the latest rate on or before the order's day otherwise, NULL when there is none. `currency` and
    `placed_at` name the order's fields from the queryset it annotates (e.g. "order__currency" from its lines)."""
    latest = (
        ExchangeRate.objects.filter(currency=OuterRef(currency), day__lte=TruncDate(_outer_moment(placed_at)))
        .order_by("-day")
        .values("rate")[:1]
    )
    return Case(
        When(**{currency: base_currency()}, then=Value(Decimal(1), output_field=MONEY)),
        default=Subquery(latest, output_field=MONEY),
        output_field=MONEY,
    )


def goods_line_total(prefix: str = "items__") -> ExpressionWrapper:
    """quantity x unit price of a line, from an order (`prefix` "items__") or from the line itself (`prefix` "")."""
    return ExpressionWrapper(F(f"{prefix}quantity") * F(f"{prefix}unit_price"), output_field=MONEY)


GOODS = Q(items__product__kind=Product.Kind.PRODUCT)


@dataclass
class Spend:
    """A customer's spend: `total` in the base currency over the `converted` purchases, and what could not be
    converted, per currency (`unconverted`: {currency: amount})."""

    currency: str
    total: Decimal
    purchases: int
    converted: int
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    @property
    def average_order(self) -> Decimal | None:
        """Spend per converted purchase, or None before any."""
        return (self.total / self.converted).quantize(CENT, ROUND_HALF_UP) if self.converted else None


def purchases(orders: QuerySet) -> QuerySet:
    """The purchases among `orders`: completed and not flagged as outliers."""
    return orders.filter(PURCHASE)


def spend(orders: QuerySet) -> Spend:
    """The spend of `orders` (normally one customer's) by the definition above, in one query: the database sums
    each order's goods converted at its rate, grouped by whether a rate was found."""
    return order_figures(purchases(orders))[1]


def order_figures(orders: QuerySet) -> tuple[dict, Spend]:
    """The counts and days of `orders` ({"orders", "completed_orders", "first_order_at", "last_order_at"}: all of
    them, whatever their status) and the spend of the purchases among them, in one query: the database groups the
    orders by currency and rate (an order is in one group, so the groups' counts add up) and sums each group's
    purchases' goods converted at that rate. The profile read the two in two queries, each built and compiled by
    the ORM (a millisecond or two of the page's CPU apiece)."""
    rows = (
        orders.order_by()
        .annotate(rate=rate_to_base())
        .values("currency", "rate")
        .annotate(
            every=Count("pk", distinct=True),
            completed=Count("pk", distinct=True, filter=COMPLETED),
            first=Min("placed_at"),
            last=Max("placed_at"),
            worth=Sum(goods_line_total(), filter=PURCHASE & GOODS, output_field=MONEY),
            converted_worth=Sum(goods_line_total() * F("rate"), filter=PURCHASE & GOODS, output_field=MONEY),
            n=Count("pk", distinct=True, filter=PURCHASE),
        )
    )
    counts = {"orders": 0, "completed_orders": 0, "first_order_at": None, "last_order_at": None}
    total, count, converted, apart = Decimal(0), 0, 0, {}
    for row in rows:
        counts["orders"] += row["every"]
        counts["completed_orders"] += row["completed"]
        counts["first_order_at"] = min(filter(None, (counts["first_order_at"], row["first"])), default=None)
        counts["last_order_at"] = max(filter(None, (counts["last_order_at"], row["last"])), default=None)
        if not row["n"]:  # no purchase in this group: nothing to add to the spend
            continue
        count += row["n"]
        if row["rate"] is None:
            apart[row["currency"]] = apart.get(row["currency"], Decimal(0)) + (row["worth"] or Decimal(0))
        else:
            converted += row["n"]
            total += row["converted_worth"] or Decimal(0)
    spent = Spend(
        currency=base_currency(),
        total=total.quantize(CENT, ROUND_HALF_UP),
        purchases=count,
        converted=converted,
        unconverted={currency: amount.quantize(CENT, ROUND_HALF_UP) for currency, amount in sorted(apart.items())},
    )
    return counts, spent


def spend_subquery(customer: str = "pk") -> Subquery:
    """Each customer's spend in the base currency (converted purchases only) as a correlated subquery, for
    annotating many customers at once; `customer` names the customer's id in the outer query."""
    worth = (
        Order.objects.filter(PURCHASE, customer=OuterRef(customer), items__product__kind=Product.Kind.PRODUCT)
        .order_by()
        .annotate(rate=rate_to_base())
        .values("customer")
        .annotate(total=Sum(goods_line_total() * F("rate"), output_field=MONEY))
        .values("total")
    )
    return Subquery(worth, output_field=MONEY)
