"""Logging a call, email, meeting, note, feedback or ticket in place, from the customer's profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from customers.forms import InteractionForm
from customers.models import Customer
from customers.views.profile import back_to


@login_required
@permission_required("customers.add_interaction", raise_exception=True)
@require_POST
def log_interaction(request: HttpRequest, pk: int) -> HttpResponse:
    """Log an interaction on a customer the user may see (otherwise 404), then back to the profile's
    interactions, where the form is."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        interaction = form.save(commit=False)
        interaction.customer, interaction.user = customer, request.user
        interaction.save()
        messages.success(request, f"{interaction.get_kind_display()} logged on {customer.name}'s timeline.")
    else:
        problems = " ".join(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"Nothing was logged: {problems}")
    return back_to(customer, "interactions")
