"""Insights pages: the rep's worklist and the manager's dashboards.

Pages only read what the models published; until a model has run they say so.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm.page_cache import cache_page_per_session
from customers.models import Customer
from insights import worklist as service
from insights.dashboards import DASHBOARD_PANELS
from insights.dashboards import context as dashboards_context
from insights.models import WorklistAction
from insights.publishing import active_verdicts


@login_required
@cache_page_per_session
def worklist(request: HttpRequest) -> HttpResponse:
    """Who to contact today, in order of priority, and why: revenue at risk, then overdue customers."""
    today = timezone.localdate()
    at_risk = service.at_risk(request.user, today)
    context = {
        "at_risk": at_risk,
        "no_model": at_risk is None,
        "overdue": service.overdue(request.user, today),
        "snooze_choices": service.SNOOZE_CHOICES,
        "panels": service.WORKLIST_PANELS.render(request, request.user),
        "verdicts": [note for note in active_verdicts(["churn", "value"]).values() if note],
    }
    return render(request, "insights/worklist.html", context)


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


@login_required
@require_POST
def worklist_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a customer on the worklist done or snoozed; someone else's customer answers 404."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("insights:worklist")
    data = form.cleaned_data
    service.act(request.user, customer, data["action"], data.get("days") or 0, data.get("note") or "")
    if data["action"] == WorklistAction.Action.DONE:
        messages.success(request, f"{customer.name} is done for today; logged on their timeline.")
    else:
        messages.success(request, f"{customer.name} is snoozed for {data['days']} days; logged on their timeline.")
    return redirect("insights:worklist")


@login_required
@cache_page_per_session
def dashboards(request: HttpRequest) -> HttpResponse:
    """Revenue per month and cohort retention, segments with their value and risk, value at risk by owner,
    migration between segment runs, model quality across runs beside the baselines and the churn model's
    calibration, as charts with their tables (each section says what to do while it has no data)."""
    context = dashboards_context(request.user)
    context["panels"] = DASHBOARD_PANELS.render(request, request.user)
    return render(request, "insights/dashboards.html", context)
