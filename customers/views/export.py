"""CSV exports of the customer list (with the list's filters and columns) and of orders: streamed, restricted to
what the user may see, neutralised against spreadsheet formulas, and recorded. `?bom=1` starts the file with a
UTF-8 byte-order mark, so that spreadsheet programs read accented names right."""

from __future__ import annotations

import itertools

from django.http import HttpRequest, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone

from crm.access import requires
from customers import exports, list_extensions
from customers.filters import CustomerFilterSet, OrderFilterSet
from customers.models import ExportRecord, Order
from customers.queries import customer_list_queryset

EXPORT_REFUSED = "Exporting customers and orders is for managers and administrators."


def _csv_response(request: HttpRequest, name: str, header: list[str], rows, record: ExportRecord):
    content = exports.stream_csv(header, rows, record)
    if request.GET.get("bom") == "1":
        content = itertools.chain([exports.BOM], content)
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _bad_request(what: str, form) -> HttpResponseBadRequest:
    """400 naming each parameter that could not be read and why."""
    problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
    return HttpResponseBadRequest(f"Cannot export {what}: {problems}", content_type="text/plain")


def _filters_of(request: HttpRequest) -> dict[str, str]:
    return {key: value for key, value in request.GET.items() if key not in ("page", "bom") and value}


@requires("customers.export_customers", EXPORT_REFUSED)
def export_customers(request: HttpRequest) -> StreamingHttpResponse:
    """The customer list as CSV, with the same search, filters, sort and columns as the list page."""
    queryset, columns = list_extensions.annotate_columns(customer_list_queryset(request.user), request)
    filterset = CustomerFilterSet(request.GET, queryset=queryset, request=request)
    if not filterset.is_valid():
        # The list leaves an unreadable filter out (and refuses a reversed date range) and says so; a file cannot
        # say so, so it is not made.
        return _bad_request("customers", filterset.form)
    customers = filterset.qs.select_related(None)
    record = ExportRecord.objects.create(
        kind=ExportRecord.Kind.CUSTOMERS, user=request.user, filters=_filters_of(request)
    )
    header, rows = exports.customer_rows(
        customers, list_extensions.export_columns(columns), list_extensions.annotation_names(columns, request)
    )
    return _csv_response(request, "customers", header, rows, record)


@requires("customers.export_customers", EXPORT_REFUSED)
def export_orders(request: HttpRequest):
    """Orders the user may see as CSV, filtered as the API's orders are (customers/filters.py OrderFilterSet:
    placed from/to a date, inclusive, status, customer)."""
    filterset = OrderFilterSet(request.GET, queryset=Order.objects.visible_to(request.user))
    if not filterset.is_valid():
        return _bad_request("orders", filterset.form)
    orders = filterset.qs
    record = ExportRecord.objects.create(kind=ExportRecord.Kind.ORDERS, user=request.user, filters=_filters_of(request))
    header, rows = exports.order_rows(orders)
    return _csv_response(request, "orders", header, rows, record)
