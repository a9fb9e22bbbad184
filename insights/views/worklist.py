"""The rep's worklist: who to contact today and why (insights/queries.py), with the sections other apps register
(insights/panels.py WORKLIST_PANELS), and marking a customer done or snoozed (insights/services.py).

The page only reads what the models published; until a model has run it says so.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.models import Customer
from insights import queries
from insights.forms import SNOOZE_CHOICES, ActionForm
from insights.models import WorklistAction
from insights.panels import WORKLIST_PANELS
from insights.publishing import active_verdicts
from insights.services import act_on_worklist


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """Who to contact today, in order of priority, and why: revenue at risk, then overdue customers."""
    today = timezone.localdate()
    at_risk = queries.at_risk(request.user, today)
    context = {
        "at_risk": at_risk,
        "no_model": at_risk is None,
        "overdue": queries.overdue(request.user, today),
        "snooze_choices": SNOOZE_CHOICES,
        "panels": WORKLIST_PANELS.render(request, request.user),
        "verdicts": [note for note in active_verdicts(["churn", "value"]).values() if note],
    }
    return render(request, "insights/worklist.html", context)


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
    act_on_worklist(request.user, customer, data["action"], data.get("days") or 0, data.get("note") or "")
    if data["action"] == WorklistAction.Action.DONE:
        messages.success(request, f"{customer.name} is done for today; logged on their timeline.")
    else:
        messages.success(request, f"{customer.name} is snoozed for {data['days']} days; logged on their timeline.")
    return redirect("insights:worklist")
