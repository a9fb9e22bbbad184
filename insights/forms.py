"""The insights app's forms: what a rep does with a customer on the worklist."""

from __future__ import annotations

from django import forms

from customers.models import Sentiment, Topic
from insights.models import NextAction, WorklistAction

SNOOZE_CHOICES = (7, 14, 30)  # the days a worklist customer may be snoozed for, offered as buttons


class ActionForm(forms.Form):
    """Done with what came of it, or snoozed for a number of days, with an optional note."""

    action = forms.ChoiceField(choices=WorklistAction.Action.choices)
    outcome = forms.ChoiceField(choices=WorklistAction.Outcome.choices, required=False)
    days = forms.IntegerField(min_value=1, max_value=90, required=False)
    note = forms.CharField(max_length=2000, required=False)
    suggestion = forms.ChoiceField(choices=NextAction.choices, required=False)  # done from a next best action

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == WorklistAction.Action.SNOOZED and not cleaned.get("days"):
            raise forms.ValidationError("Say for how many days to snooze.")
        if cleaned.get("action") == WorklistAction.Action.DONE and not cleaned.get("outcome"):
            raise forms.ValidationError("Say what happened: reached, no answer, order promised or lost.")
        return cleaned


def outcome_choices() -> list[tuple[str, str]]:
    """The outcomes a rep picks from, each saying how long the customer then stays off the worklist."""
    days = WorklistAction.OUTCOME_DAYS
    return [
        (value, f"{label} (back {'tomorrow' if days[value] == 1 else f'in {days[value]} days'})")
        for value, label in WorklistAction.Outcome.choices
    ]


class LabelForm(forms.Form):
    """A correction of an interaction's sentiment, topic or both (one click: each sentiment is a button)."""

    sentiment = forms.ChoiceField(choices=[("", "—"), *Sentiment.choices], required=False)
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.filter(is_active=True), to_field_name="slug", required=False, empty_label="—"
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("sentiment") and not cleaned.get("topic"):
            raise forms.ValidationError("Say the sentiment, the topic or both.")
        return cleaned
