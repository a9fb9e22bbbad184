"""The managers' view of the worklist's next best actions (insights/next_actions.py): per kind of action, how many
were suggested, the share taken, and what came of them: whether the customer ordered within OUTCOME_DAYS days of
the action being taken, beside the same for the suggestions nobody took (counted from when they were first
suggested), so the two can be compared. One aggregate query over the viewer's visible customers."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from customers import figures
from customers.models import Customer, Order
from insights.models import NextAction, SuggestedAction

OUTCOME_DAYS = 30


def _ordered_within(since: str) -> Exists:
    window = dt.timedelta(days=OUTCOME_DAYS)
    return Exists(
        Order.objects.filter(figures.PURCHASE, customer=OuterRef("customer_id")).filter(
            placed_at__gte=OuterRef(since), placed_at__lt=OuterRef(since) + window
        )
    )


def taken_and_outcome(viewer) -> list[dict]:
    """One row per kind of action that was suggested: {"action", "label", "suggested", "taken", "share_taken",
    "ordered", "not_ordered", "waiting", "untaken_ordered", "untaken_judged"}: of the taken, how many ordered within
    OUTCOME_DAYS days, how many did not (their 30 days are over), how many are still inside them; of the untaken
    whose 30 days are over, how many ordered anyway."""
    judged_before = timezone.now() - dt.timedelta(days=OUTCOME_DAYS)
    taken = Q(taken_at__isnull=False)
    rows = (
        SuggestedAction.objects.filter(customer__in=Customer.objects.visible_to(viewer))
        .annotate(ordered_after_taken=_ordered_within("taken_at"), ordered_after_shown=_ordered_within("suggested_at"))
        .values("action")
        .annotate(
            suggested=Count("pk"),
            taken=Count("pk", filter=taken),
            ordered=Count("pk", filter=taken & Q(ordered_after_taken=True)),
            not_ordered=Count("pk", filter=taken & Q(ordered_after_taken=False, taken_at__lt=judged_before)),
            untaken_judged=Count("pk", filter=Q(taken_at__isnull=True, suggested_at__lt=judged_before)),
            untaken_ordered=Count(
                "pk", filter=Q(taken_at__isnull=True, suggested_at__lt=judged_before, ordered_after_shown=True)
            ),
        )
        .order_by("action")
    )
    found = []
    for row in rows:
        row["label"] = NextAction(row["action"]).label
        row["share_taken"] = row["taken"] / row["suggested"] if row["suggested"] else None
        row["waiting"] = row["taken"] - row["ordered"] - row["not_ordered"]
        found.append(row)
    order = list(NextAction.values)
    return sorted(found, key=lambda row: order.index(row["action"]))
