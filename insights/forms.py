"""The insights app's forms: what a rep does with a customer on the worklist."""

from __future__ import annotations

from django import forms

from insights.models import WorklistAction

SNOOZE_CHOICES = (7, 14, 30)  # the days a worklist customer may be snoozed for, offered as buttons


class ActionForm(forms.Form):
    """Done, or snoozed for a number of days, with an optional note."""

    action = forms.ChoiceField(choices=WorklistAction.Action.choices)
    days = forms.IntegerField(min_value=1, max_value=90, required=False)
    note = forms.CharField(max_length=2000, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == WorklistAction.Action.SNOOZED and not cleaned.get("days"):
            raise forms.ValidationError("Say for how many days to snooze.")
        return cleaned
