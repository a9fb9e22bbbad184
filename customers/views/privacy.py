"""A customer's personal data from their profile: download everything held about them as JSON (those who may
export: managers and admins), and erase it (those who may delete customers: admins), after a confirmation. The
work is done by customers/privacy.py, which the API calls too."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from customers import privacy
from customers.models import Customer


def may_export_data(user) -> bool:
    """Managers and admins (the customer-export permission), on the customers they may see."""
    return user.has_perm("customers.export_customers")


def may_erase(user) -> bool:
    """Admins (the permission to delete customers), on the customers they may see."""
    return user.has_perm("customers.delete_customer")


def _customer(request: HttpRequest, pk: int, allowed: bool) -> Customer:
    """Not visible: 404, before anything else is revealed; visible but not allowed: 403."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner"), pk=pk)
    if not allowed:
        raise PermissionDenied
    return customer


@login_required
def export_data(request: HttpRequest, pk: int) -> JsonResponse:
    """Everything held about the customer, as a JSON file (recorded as an export and in the audit trail)."""
    customer = _customer(request, pk, may_export_data(request.user))
    data = privacy.export_customer(customer, request.user)
    response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what erasure does, and a confirmation form; POST with the confirmation ticked: erase and go back to the
    (now anonymous) profile; without it, the form again with its error."""
    customer = _customer(request, pk, may_erase(request.user))
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "yes":
            done = privacy.erase_customer(customer, request.user)
            messages.success(
                request,
                f"Erased the personal data of customer #{customer.pk}: {done['interactions']} interaction texts, "
                f"{done['import_files']} import files, {done['log_entries']} log entries and "
                f"{done['export_records']} export records; removed from every model run.",
            )
            return redirect("customers:detail", pk=customer.pk)
        error = "Tick the box to confirm: erasure cannot be undone."
    return render(request, "customers/customer_erase.html", {"customer": customer, "error": error})
