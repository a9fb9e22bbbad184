"""Saved filters: a user names the customer list's current query, opens it again later, or deletes it.

A saved filter is private: someone else's answers 404, as a customer they may not see would. Opening one is
only a redirect to the list with its query, so the list's visibility rule still decides what it shows.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers.filters import saved_query
from customers.forms import SavedFilterForm
from customers.models import SavedFilter


def _list_url(query: str) -> str:
    return reverse("customers:list") + (f"?{query}" if query else "")


@login_required
@require_POST
def save_filter(request: HttpRequest) -> HttpResponse:
    """Save the posted list query under a name; either way, back to the list with that query, so nothing the
    user chose is lost when the name is refused."""
    query = saved_query(QueryDict(request.POST.get("query", "")))
    form = SavedFilterForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            with transaction.atomic():
                saved = SavedFilter.objects.create(
                    user=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
                )
        except IntegrityError:  # the same name saved twice at once
            messages.error(request, "You already have a saved filter with that name; choose another name.")
        else:
            messages.success(request, f"Saved the filter “{saved.name}”.")
    else:
        problems = " ".join(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"The filter was not saved: {problems}")
    return redirect(_list_url(query))


@login_required
def open_filter(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer list with one of the user's saved filters applied."""
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    return redirect(_list_url(saved.query))


@login_required
@require_POST
def delete_filter(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's saved filters and go back to the list."""
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    saved.delete()
    messages.success(request, f"Deleted the saved filter “{saved.name}”.")
    return redirect("customers:list")
