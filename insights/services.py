"""Insights services: plain functions that the pages call to change what the app records. (The model runs' own
stages live in insights/runs.py, their publishing in insights/publishing.py.)"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from customers.models import Customer, Interaction, InteractionLabel
from insights.models import NextAction, SuggestedAction, WorklistAction


@transaction.atomic
def act_on_worklist(
    user, customer: Customer, action: str, days: int = 0, note: str = "", outcome: str = "", suggested: str = ""
) -> WorklistAction:
    """Mark a worklist customer done with the contact's outcome (off every worklist for the outcome's days: see
    WorklistAction.OUTCOME_DAYS), or snoozed for `days`; either is logged on the customer's timeline. Done from a
    suggested next best action (`suggested`, a NextAction) marks that suggestion taken; Snooze records it as
    suggested and not taken (the worklist page itself records nothing: insights/next_actions.py)."""
    today = timezone.localdate()
    if action == WorklistAction.Action.DONE:
        label = WorklistAction.Outcome(outcome).label
        days = WorklistAction.OUTCOME_DAYS[outcome]
        kind, direction = Interaction.Kind.CALL, Interaction.Direction.OUTBOUND
        subject = f"Contacted from the worklist: {label.lower()}"
        if suggested:
            subject = f"{NextAction(suggested).label} (suggested) from the worklist: {label.lower()}"
    else:
        outcome = ""
        kind, direction = Interaction.Kind.NOTE, Interaction.Direction.INTERNAL
        subject = f"Snoozed on the worklist for {days} days"
    interaction = Interaction.objects.create(
        customer=customer,
        user=user,
        kind=kind,
        direction=direction,
        subject=subject,
        body=note,
        occurred_at=timezone.now(),
    )
    done = WorklistAction.objects.create(
        customer=customer,
        user=user,
        action=action,
        outcome=outcome,
        hidden_until=today + dt.timedelta(days=days),
        interaction=interaction,
    )
    if suggested and action == WorklistAction.Action.DONE:
        take_suggestion(user, customer, suggested, done)
    elif suggested:
        SuggestedAction.objects.bulk_create(
            [SuggestedAction(customer=customer, action=suggested, reason="")], ignore_conflicts=True
        )
    return done


def take_suggestion(user, customer: Customer, action: str, done: WorklistAction) -> SuggestedAction:
    """Mark the customer's open suggestion of `action` taken (claimed with a conditional update, so two reps acting
    at once take it once); one the worklist had not recorded yet is recorded as taken."""
    now = timezone.now()
    open_ = SuggestedAction.objects.filter(customer=customer, action=action, taken_at__isnull=True)
    if open_.update(taken_at=now, taken_by=user, worklist_action=done):
        return SuggestedAction.objects.filter(worklist_action=done).latest("pk")
    return SuggestedAction.objects.create(
        customer=customer, action=action, reason="", taken_at=now, taken_by=user, worklist_action=done
    )


def label_interaction(user, interaction: Interaction, sentiment: str = "", topic=None) -> InteractionLabel:
    """Record a member of staff's sentiment and/or topic for an interaction (a correction on the profile): a new
    label, so the earlier ones stay; the page shows it at once, and the next sentiment run learns from it."""
    return InteractionLabel.objects.create(
        interaction=interaction, sentiment=sentiment, topic=topic, user=user, source=InteractionLabel.Source.CORRECTION
    )
