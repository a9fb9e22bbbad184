"""The customer list: search, filters, sorting, pagination and saved filters over the customers the user may see
(`customers.queries.customer_list_queryset`), with the columns and filters other apps register
(customers/list_extensions.py). The number of queries is fixed, whatever the data size."""

from __future__ import annotations

from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import dateformat, formats, timezone
from django.utils.safestring import mark_safe

from crm.reversing import path_for
from crm.templatetags.lodestar import write_number
from customers import list_extensions
from customers.filters import CustomerFilterSet, saved_query, visible_countries
from customers.forms import SavedFilterForm
from customers.models import Customer, Order, SavedFilter, sees_all_customers
from customers.queries import customer_list_queryset

PAGE_SIZE = 50


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """Search, filter, sort and page through the customers the user may see, 50 to a page, with the columns
    and filters other apps register, and the user's saved filters."""
    queryset, columns = list_extensions.annotate_columns(customer_list_queryset(request.user), request)
    filterset = CustomerFilterSet(request.GET, queryset=queryset, request=request)
    customers = filterset.qs  # validates the form; invalid values (e.g. an unknown sort) are left out...
    report_unreadable_filters(request, filterset.form)  # ...and the page says which, and why
    page = Paginator(customers.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = page_rows(queryset, list(page.object_list))
    list_extensions.render_cells(page.object_list, columns)
    present_rows(page.object_list, with_owner=sees_all_customers(request.user))
    cleaned = filterset.form.cleaned_data
    form = filterset.form
    query = saved_query(request.GET)
    sort = filterset.filters["sort"].extensions.get(cleaned.get("sort") or "")
    context = {
        "filter": filterset,
        "page_obj": page,
        "columns": list_extensions.headings(columns, filterset.filters["sort"].extensions),
        "countries": visible_countries(request.user),
        "show_owner_filter": sees_all_customers(request.user),
        "owners": form.fields["owner"].queryset,
        "tag_choices": form.fields["tags"].choices,
        "current_tags": [str(tag) for tag in cleaned.get("tags") or []],
        "refused": filterset.refused,
        "left_out": left_out(filterset, page.paginator.count) if sort is not None else None,
        "sort_label": sort.label if sort is not None else "",
        "extension_fields": [select_of(form[name]) for name in filterset.extension_names],
        "sort_choices": [choice for choice in form.fields["sort"].choices if choice[0]],  # no blank option
        "current_sort": cleaned.get("sort") or "",
        "current_country": cleaned.get("country") or "",
        "current_owner": _selected_owner(cleaned.get("owner")),
        "is_filtered": any(cleaned.get(name) for name in filterset.filter_names),
        # On a phone the filters other than the search fold away unless one of them (or a sort) is in use.
        "more_filters_in_use": any(cleaned.get(name) for name in filterset.filter_names if name != "q")
        or bool(cleaned.get("sort")),
        "saved_filters": list(SavedFilter.objects.filter(user=request.user).order_by("name")),
        "saved_filter_form": SavedFilterForm(initial={"query": query}),
        "query": query,
        "order_statuses": [("", "any"), *Order.Status.choices],
    }
    return render(request, "customers/customer_list.html", context)


def select_of(field) -> dict:
    """A registered filter's select (a ChoiceFilter's, list_extensions.py) as the template writes it: its name, id,
    label, options as (value, label, chosen), and whether its value was refused (marked aria-invalid, as Django's
    widget marks it). Django's widget rendering, a template for the select and one per option, cost the list most
    of a millisecond for three selects."""
    chosen = field.value()
    chosen = "" if chosen is None else str(chosen)
    options = [(str(value), label, str(value) == chosen) for value, label in field.field.choices]
    return {
        "name": field.html_name,
        "id": field.auto_id,
        "label": field.label,
        "options": options,
        "invalid": bool(field.errors),
    }


def left_out(filterset: CustomerFilterSet, listed: int) -> dict:
    """How many customers the same filters match that a sort by a score leaves out, for want of a score, and why:
    {"total", "opted_out" (no profiling consent, so never scored), "unscored" (no row in the active run yet)}.
    One more query."""
    counts = filterset.unsorted().aggregate(
        matched=Count("pk"), opted_out=Count("pk", filter=Q(profiling_consent=False))
    )
    total = max(0, counts["matched"] - listed)
    opted_out = min(total, counts["opted_out"])
    return {"total": total, "opted_out": opted_out, "unscored": total - opted_out}


# What a listed row reads of its customer and owner (with the annotations): the cells below and the registered
# columns' (list_extensions.py, which say so to their authors). Another field read from a row would cost a query.
LISTED_FIELDS = ("name", "email", "company", "country", "profiling_consent", "owner")
LISTED_OWNER_FIELDS = tuple(f"owner__{name}" for name in ("username", "first_name", "last_name"))


def page_rows(queryset: QuerySet, ids: list[int]) -> list[Customer]:
    """The page's customers with every annotation, in the order of `ids`, with the fields the rows show
    (LISTED_FIELDS): the other columns of each customer and of its owner (two dates of each, the password hash)
    were read, sent and turned into Python values 50 times a page for nothing.

    The page is found first as bare ids, then its rows are read by primary key: PostgreSQL evaluates the
    annotations (correlated subqueries) of every row an OFFSET skips, so page 500 of 100k customers took
    5 s in one query, against tens of milliseconds in these two."""
    rows = queryset.filter(pk__in=ids).order_by().only(*LISTED_FIELDS, *LISTED_OWNER_FIELDS)
    by_pk = {customer.pk: customer for customer in rows}
    return [by_pk[pk] for pk in ids if pk in by_pk]


# A listed customer's own cells (the registered columns' cells follow: list_extensions.render_cells).
ROW_CELLS = (
    '<td><a class="primary" href="{url}">{name}</a>{email}</td><td class="hide-sm" data-label="Company">{company}</td>'
    '<td data-label="Country">{country}</td>{owner}<td class="num" data-label="Orders">{orders}</td>'
    '<td class="nowrap" data-label="Last order">{last}</td>'
)  # data-label: the column's name, which a phone shows above each value (the row reads as a card, lodestar.css)
OWNER_CELL = '<td class="hide-sm" data-label="Owner">{}</td>'  # for those who see every customer: a rep owns all hers
EMAIL = '<div class="muted small">{}</div>'
LAST_ORDER = '<time datetime="{}">{}</time>'
UNASSIGNED = mark_safe('<span class="muted">Unassigned</span>')  # noqa: S308 (a constant)
NEVER = mark_safe('<span class="muted">Never</span>')  # noqa: S308 (a constant)
DASH = "—"


def present_rows(customers: list[Customer], with_owner: bool = True) -> None:
    """Give each listed customer its row's own cells as HTML (`cells_html`) and the values they show: its
    profile's URL, its owner's name, its number of orders as `floatformat:"0g"` writes it, and its last order's
    day as the `<time>` element writes it (`last_order_iso` in the site's time zone, as `date:"c"` gives it, and
    `last_order_day` in the language's DATE_FORMAT).

    What does not change from row to row is found once for the page: one `reverse()` serves every row, the time
    zone, the date format and the number separators are read once (Django's `formats.date_format` and
    `number_format` read them again at each call), and each row is one string whose every text is escaped by
    `html.escape`, which is what Django's `escape` calls, without the check for lazy strings around it (these are
    the database's strings), instead of three `format_html` a row: 14 escapes a row, half the rows' time. The owner's
    cell only `with_owner` (a rep's customers are all their own: the column would repeat their name)."""
    detail_url = path_for("customers:detail")
    zone = timezone.get_current_timezone()
    day_format = formats.get_format("DATE_FORMAT")
    for customer in customers:
        customer.detail_url = detail_url(customer.pk)
        owner = customer.owner
        customer.owner_name = (owner.get_full_name() or owner.get_username()) if owner else ""
        last = customer.last_order_at.astimezone(zone) if customer.last_order_at else None
        customer.last_order_iso = last.isoformat() if last else ""
        customer.last_order_day = dateformat.format(last, day_format) if last else ""
        email = EMAIL.format(escape(customer.email)) if customer.email else ""
        day = LAST_ORDER.format(escape(customer.last_order_iso), escape(customer.last_order_day)) if last else NEVER
        customer.cells_html = mark_safe(  # noqa: S308 (every text in it is escaped)
            ROW_CELLS.format(
                url=escape(customer.detail_url),
                name=escape(customer.name),
                email=email,
                company=escape(customer.company or DASH),
                country=escape(customer.country or DASH),
                owner=OWNER_CELL.format(escape(customer.owner_name) if customer.owner_name else UNASSIGNED)
                if with_owner
                else "",
                orders=escape(write_number(customer.order_count)),
                last=day,
            )
        )


# Errors the filter card shows beside their own field; the others are told as messages above the list.
ERRORS_SHOWN_INLINE = ("last_order_to",)


def report_unreadable_filters(request: HttpRequest, form) -> None:
    """A message for each filter or sort the list could not read (a date outside 1900-2100, an unknown sort or
    tag...): the list is shown without it, and the user learns why the results are not what they asked for."""
    for name, errors in form.errors.items():
        if name in ERRORS_SHOWN_INLINE:
            continue
        label = form.fields[name].label if name in form.fields else "Filter"
        messages.warning(request, f"{label} was left out: {' '.join(errors)}")


def _selected_owner(owner) -> str:
    """The owner select's current value: a user's pk, "none" for unassigned, or "" for anyone."""
    if owner is None or owner == "":
        return ""
    return owner if isinstance(owner, str) else str(owner.pk)
