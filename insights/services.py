"""Insights services: plain functions that the pages call to change what the app records. (The model runs' own
stages live in insights/runs.py, their publishing in insights/publishing.py.)"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from customers.models import Customer, Interaction
from insights.models import WorklistAction


@transaction.atomic
def act_on_worklist(user, customer: Customer, action: str, days: int = 0, note: str = "") -> WorklistAction:
    """Mark a worklist customer done (contacted) or snoozed for `days`, logging it as an interaction."""
    today = timezone.localdate()
    if action == WorklistAction.Action.DONE:
        subject, hidden_until = "Contacted from the worklist", today + dt.timedelta(days=1)
    else:
        subject, hidden_until = f"Snoozed on the worklist for {days} days", today + dt.timedelta(days=days)
    interaction = Interaction.objects.create(
        customer=customer,
        user=user,
        kind=Interaction.Kind.NOTE,
        direction=Interaction.Direction.INTERNAL,
        subject=subject,
        body=note,
        occurred_at=timezone.now(),
    )
    return WorklistAction.objects.create(
        customer=customer, user=user, action=action, hidden_until=hidden_until, interaction=interaction
    )
