"""Filters, columns and sort orders on the customer list that other apps contribute, so `customers` never
imports them (the same idea as customers/panels.py for the profile).

An app registers them from its `AppConfig.ready()`::

    from customers.list_extensions import register_list_column, register_list_filter, register_list_sort

    register_list_filter("churn", churn_filter, order=20)
    register_list_column("churn", "Churn risk", churn_annotations, churn_cell, order=20)
    register_list_sort("risk", "Churn risk, highest first", sort_by_risk, order=20)

Each hook gets the request (None outside one, e.g. in a test) and is called once per request:

- a filter's builder returns a django-filter `Filter` (a `ChoiceFilter` whose choices are the form's options,
  a callable `method` doing the filtering) or None to leave the filter out, e.g. while no model has run;
- a column's `annotations` returns the expressions (a Subquery on an indexed table) the list adds to its
  queryset, or None to leave the column out; `cell` turns one listed customer into the cell's text
  (escaped unless it is already safe HTML, e.g. from `format_html`): the listed customer carries its
  annotations and the fields the list shows (customers/views/list.py LISTED_FIELDS), and reading another field
  would cost a query per row; `export` gives the same figures to the CSV
  export as plain values, (header, function of one exported row, a dict of the customer's fields and the
  column's annotations) pairs;
- a sort's `apply` orders the filtered queryset (it must be index-friendly: the list may hold 100k customers),
  or the sort is not offered when `available` returns False.

The list resolves these once per request and keeps the number of queries fixed: an extension must not run a
query per listed customer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

FilterBuilder = Callable[["HttpRequest | None"], "django_filters.Filter | None"]
AnnotationsFunction = Callable[["HttpRequest | None"], "dict[str, Any] | None"]
CellFunction = Callable[[Any], Any]
ExportColumns = tuple[tuple[str, Callable[[dict], Any]], ...]
SortFunction = Callable[[QuerySet, "HttpRequest | None"], QuerySet]


@dataclass(frozen=True)
class ListFilter:
    """A registered filter: its query parameter name, the function that builds it, and its place."""

    name: str
    build: FilterBuilder
    order: int = 100


@dataclass(frozen=True)
class ListColumn:
    """A registered column: a name, a heading, its annotations, how to render a cell, and its place."""

    name: str
    heading: str
    annotations: AnnotationsFunction
    cell: CellFunction
    order: int = 100
    css_class: str = ""
    sort_key: str = ""
    export: ExportColumns = ()


@dataclass(frozen=True)
class ListSort:
    """A registered sort order: the value of `sort=` in the URL, its label, and the function applying it."""

    key: str
    label: str
    apply: SortFunction
    available: Callable[[HttpRequest | None], bool] = lambda request: True
    order: int = 100


@dataclass(frozen=True)
class ActiveColumn:
    """A column resolved for one request: what the template needs to render its heading."""

    name: str
    heading: str
    css_class: str
    sort_key: str = ""


_filters: dict[str, ListFilter] = {}
_columns: dict[str, ListColumn] = {}
_sorts: dict[str, ListSort] = {}

# Names the list already uses; an extension may not take them.
RESERVED_NAMES = frozenset(
    {"q", "country", "owner", "sort", "page", "tags", "last_order_from", "last_order_to", "order_count"}
)


def _check_name(registry: dict, name: str, kind: str) -> None:
    if name in registry or name in RESERVED_NAMES:
        raise ValueError(f"A customer list {kind} named {name!r} is already registered.")


def register_list_filter(name: str, build: FilterBuilder, order: int = 100) -> ListFilter:
    """Add a filter to the customer list (and to its CSV export, which shares the filterset)."""
    _check_name(_filters, name, "filter")
    extension = ListFilter(name, build, order)
    _filters[name] = extension
    return extension


def register_list_column(
    name: str,
    heading: str,
    annotations: AnnotationsFunction,
    cell: CellFunction,
    order: int = 100,
    css_class: str = "",
    sort_key: str = "",
    export: ExportColumns = (),
) -> ListColumn:
    """Add a column to the customer list. Annotation names should start with the app's label, so that two
    apps cannot clash. With `sort_key` (a registered sort), the heading links to that order when offered. With
    `export`, the CSV export carries the column too."""
    _check_name(_columns, name, "column")
    extension = ListColumn(name, heading, annotations, cell, order, css_class, sort_key, export)
    _columns[name] = extension
    return extension


def register_list_sort(
    key: str, label: str, apply: SortFunction, available=lambda request: True, order: int = 100
) -> ListSort:
    """Add a sort order to the customer list's allow-list (descending orders start with "-" by convention)."""
    if key in _sorts or key.removeprefix("-") in ("name", "country", "created"):
        raise ValueError(f"A customer list sort {key!r} is already registered.")
    extension = ListSort(key, label, apply, available, order)
    _sorts[key] = extension
    return extension


def unregister_list_extension(name: str) -> None:
    """Remove a filter, column or sort by name (tests use this to clean up); unknown names are ignored."""
    _filters.pop(name, None)
    _columns.pop(name, None)
    _sorts.pop(name, None)


def _ordered(registry: dict) -> list:
    return sorted(registry.values(), key=lambda item: (item.order, getattr(item, "name", getattr(item, "key", ""))))


def list_filters() -> list[ListFilter]:
    """The registered filters in display order."""
    return _ordered(_filters)


def list_columns() -> list[ListColumn]:
    """The registered columns in display order."""
    return _ordered(_columns)


def list_sorts() -> list[ListSort]:
    """The registered sort orders in display order."""
    return _ordered(_sorts)


def build_filters(request: HttpRequest | None) -> dict[str, django_filters.Filter]:
    """The filters registered apps offer for this request, by query parameter name."""
    built = {}
    for extension in list_filters():
        filter_ = extension.build(request)
        if filter_ is not None:
            if getattr(filter_, "field_name", None) is None:
                filter_.field_name = extension.name
            built[extension.name] = filter_
    return built


def available_sorts(request: HttpRequest | None) -> list[ListSort]:
    """The registered sort orders offered for this request."""
    return [sort for sort in list_sorts() if sort.available(request)]


def annotate_columns(queryset: QuerySet, request: HttpRequest | None) -> tuple[QuerySet, list[ListColumn]]:
    """Add every registered column's annotations to `queryset`; returns it with the columns shown."""
    shown = []
    for column in list_columns():
        annotations = column.annotations(request)
        if annotations is None:
            continue
        queryset = queryset.annotate(**annotations)
        shown.append(column)
    return queryset, shown


def annotation_names(columns: list[ListColumn], request: HttpRequest | None) -> list[str]:
    """The names of the annotations the shown `columns` added (what an export reads besides the model's fields)."""
    names = []
    for column in columns:
        names += list(column.annotations(request) or {})
    return names


def export_columns(columns: list[ListColumn]) -> list[tuple[str, Callable[[dict], Any]]]:
    """The (header, value function) pairs the shown `columns` add to the CSV export, in display order."""
    return [pair for column in columns for pair in column.export]


def render_cells(customers: list, columns: list[ListColumn]) -> None:
    """Give each listed customer the `extra_cells` of the columns shown, as (CSS class, HTML) pairs, the HTML
    escaped unless already safe, and the same cells as `extra_cells_html`, the row's `<td>`s in one string (a
    template loop with a test per cell cost the list a twentieth of a millisecond per row)."""
    openings = [_opening(column) for column in columns]
    for customer in customers:
        cells = [conditional_escape(_blank_if_none(column.cell(customer))) for column in columns]
        customer.extra_cells = [(column.css_class, html) for column, html in zip(columns, cells, strict=True)]
        customer.extra_cells_html = mark_safe(  # noqa: S308 (escaped above)
            "".join(f"{opening}{html}</td>" for opening, html in zip(openings, cells, strict=True))
        )


def _opening(column: ListColumn) -> str:
    """A column's `<td>`, with its CSS class and its heading as data-label (a phone shows it above the value)."""
    css = f' class="{escape(column.css_class)}"' if column.css_class else ""
    return f'<td{css} data-label="{escape(column.heading)}">'


def _blank_if_none(value: Any) -> Any:
    return "" if value is None else value


def headings(columns: list[ListColumn], sort_keys) -> list[ActiveColumn]:
    """What the template needs for the extra columns' headings; a heading links to its sort order only when
    that order is among `sort_keys` (the ones offered for this request)."""
    return [
        ActiveColumn(
            column.name, column.heading, column.css_class, column.sort_key if column.sort_key in sort_keys else ""
        )
        for column in columns
    ]
