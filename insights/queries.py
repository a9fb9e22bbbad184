"""What several pages read from the insights app: the rep's worklist for today, which the worklist page shows and
the recommendations app's cross-sell section (recommendations/panels.py) draws from: their customers ranked by
revenue at risk (churn probability x expected 12-month value, from the active runs), and their customers overdue
against their own buying rhythm. Done and snoozed customers stay off the list until the day they come back
(insights/services.py `act_on_worklist` records that). Read-only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, FloatField, Max, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer, Order
from insights.models import ChurnScore, CustomerValue, WorklistAction
from insights.publishing import active_runs

WORKLIST_SIZE = 20  # customers in each of the worklist's lists
OVERDUE_FACTOR = 1.5  # overdue once the time since the last order passes 1.5 x their usual gap
MIN_ORDERS_FOR_RHYTHM = 3


@dataclass(frozen=True)
class Overdue:
    """A customer whose next order is late against their own rhythm."""

    customer: Customer
    last_order: dt.datetime
    usual_gap_days: float
    days_since: int

    @property
    def times_usual(self) -> float:
        return self.days_since / self.usual_gap_days


def book(user, today: dt.date) -> QuerySet:
    """The customers the user owns, less those done or snoozed until after today."""
    hidden = WorklistAction.objects.filter(user=user, hidden_until__gt=today).values("customer_id")
    return Customer.objects.filter(owner=user).exclude(pk__in=hidden)


def at_risk(user, today: dt.date) -> list[ChurnScore] | None:
    """Top customers by revenue at risk; None when no churn run is active yet."""
    runs = active_runs(["churn", "value"])
    if not runs["churn"]:
        return None
    value = CustomerValue.objects.filter(run_id=runs["value"], customer=OuterRef("customer_id")).values("clv_12m")[:1]
    scores = list(
        ChurnScore.objects.filter(run_id=runs["churn"], customer__in=book(user, today), band__in=["high", "medium"])
        .annotate(value=Coalesce(Subquery(value, output_field=FloatField()), Value(0.0)))
        .annotate(at_risk=F("probability") * F("value"))
        .select_related("customer")
        .order_by("-at_risk", "-probability")[:WORKLIST_SIZE]
    )
    for score in scores:
        # The two strongest reasons the risk is up, in the model's own words.
        score.reasons = [factor["text"] for factor in score.factors if factor.get("effect", 0) > 0][:2]
    return scores


def overdue(user, today: dt.date) -> list[Overdue]:
    """Customers with a buying rhythm (3+ orders) whose next order is late, the latest first. One query over the
    user's own book; the rhythm is (last - first) / (orders - 1)."""
    now = timezone.now()
    completed = Q(orders__status=Order.Status.COMPLETED)
    rows = (
        book(user, today)
        .annotate(
            n=Count("orders", filter=completed),
            first=Min("orders__placed_at", filter=completed),
            last=Max("orders__placed_at", filter=completed),
        )
        .filter(n__gte=MIN_ORDERS_FOR_RHYTHM)
    )
    late = []
    for customer in rows:
        gap = (customer.last - customer.first).total_seconds() / 86400 / (customer.n - 1)
        since = (now - customer.last).days
        if gap >= 1 and since > OVERDUE_FACTOR * gap:
            late.append(Overdue(customer, customer.last, gap, since))
    late.sort(key=lambda item: item.times_usual, reverse=True)
    return late[:WORKLIST_SIZE]
