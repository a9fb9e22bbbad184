"""The worklist: who to contact today and why (insights/worklist.py), with the sections other apps register
(insights/panels.py WORKLIST_PANELS), and marking a customer done or snoozed (insights/services.py).

A rep sees their own customers; a manager the team's, by owner. The page only reads what the models published;
until a model has run it says so.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_POST

from customers.models import Customer
from insights import next_actions
from insights import worklist as lists
from insights.forms import SNOOZE_CHOICES, ActionForm, outcome_choices
from insights.models import WorklistAction
from insights.panels import WORKLIST_PANELS
from insights.publishing import active_verdicts
from insights.services import act_on_worklist


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """Who to contact today, in order of priority, and why: the savable by revenue at risk, the gone to win back,
    and the overdue, each with its next best action; a manager's narrowed to one owner by ?owner=<id> (or
    ?owner=none: unassigned); ?risk_page=N shows the revenue-at-risk list's Nth page."""
    owner = request.GET.get("owner", "")
    if owner not in ("", lists.UNASSIGNED) and not owner.isdigit():
        owner = ""
    page = request.GET.get("risk_page", "")
    today = timezone.localdate()
    work = lists.build(request.user, today, owner, page=int(page) if page.isdigit() and len(page) < 6 else 1)
    next_actions.suggest(work, request.user, today)  # each entry's next best action (a GET records nothing)
    request.worklist = work  # the complaints panel gives an action only to those on none of these lists
    context = {
        "work": work,
        "time_zone": timezone.get_current_timezone_name(),
        "no_model": work.churn_run is None,
        "owns_customers": work.team or Customer.objects.filter(owner=request.user).exists(),
        "snooze_choices": SNOOZE_CHOICES,
        "outcome_choices": outcome_choices(),
        "panels": WORKLIST_PANELS.render(request, request.user),
        "verdicts": [note for note in active_verdicts(["churn", "value"]).values() if note],
        "page_size": lists.WORKLIST_SIZE,
    }
    return render(request, "insights/worklist.html", context)


@login_required
@require_POST
def worklist_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a customer on the worklist done (with the outcome) or snoozed; someone else's customer answers 404."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("insights:worklist")
    data = form.cleaned_data
    done = act_on_worklist(
        request.user,
        customer,
        data["action"],
        data.get("days") or 0,
        data.get("note") or "",
        data.get("outcome") or "",
        suggested=data.get("suggestion") or "",
    )
    back = date_format(done.hidden_until, "j M Y")
    if data["action"] == WorklistAction.Action.DONE:
        messages.success(
            request,
            f"{customer.name}: “{done.get_outcome_display()}” is on their timeline; off the worklist until {back}.",
        )
    else:
        messages.success(
            request, f"{customer.name} is snoozed: off the worklist until {back}, noted on their timeline."
        )
    return redirect("insights:worklist")
