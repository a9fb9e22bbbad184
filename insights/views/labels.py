"""Correcting an interaction's sentiment or topic from the customer's profile: a small POST form that stores a staff
label (insights/services.py `label_interaction`) and goes back to the profile. Someone else's customer answers 404;
a user without the permission to label, 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from customers.models import Interaction, Sentiment
from insights.forms import LabelForm
from insights.services import label_interaction


@login_required
@require_POST
def label(request: HttpRequest, pk: int) -> HttpResponse:
    """Store the sentiment and/or topic a member of staff gives an interaction."""
    interaction = get_object_or_404(Interaction.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("customers.add_interactionlabel"):
        raise PermissionDenied
    form = LabelForm(request.POST)
    if form.is_valid():
        sentiment, topic = form.cleaned_data["sentiment"], form.cleaned_data["topic"]
        label_interaction(request.user, interaction, sentiment, topic)
        said = [Sentiment(sentiment).label.lower()] if sentiment else []
        said += [f"about {topic.name.lower()}"] if topic else []
        messages.success(request, f"Marked “{interaction.subject or interaction}” {' and '.join(said)}.")
    else:
        messages.error(request, "Nothing was marked: " + " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("customers:detail", pk=interaction.customer_id)
