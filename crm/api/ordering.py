"""Ordering of API lists by one allow-listed key (`?sort=name`, `?sort=-created`), as the pages sort.

A view lists its keys in `ordering_fields`, public name -> model fields (so a column can be renamed without
changing the API); the primary key breaks ties so pages are stable. Anything else is refused with 400 and the
keys allowed, rather than silently ignored. The schema lists the allowed values as an enum.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.settings import api_settings


def allowed(view) -> list[str]:
    """Every value `sort` accepts on `view`: each key, ascending and descending."""
    keys = list(getattr(view, "ordering_fields", {}))
    return [value for key in keys for value in (key, f"-{key}")]


class AllowListOrdering(BaseFilterBackend):
    """Order by `?sort=<key>` or `?sort=-<key>`, one key from the view's `ordering_fields`."""

    def filter_queryset(self, request, queryset, view):
        """Apply the requested order, or leave the view's default; an unknown key is a 400."""
        param = api_settings.ORDERING_PARAM
        value = request.query_params.get(param, "").strip()
        if not value:
            return queryset
        fields = getattr(view, "ordering_fields", {})
        key = value.removeprefix("-")
        if key not in fields:
            raise ValidationError({param: [f"Cannot sort by {value!r}; choose one of: {', '.join(allowed(view))}."]})
        prefix = "-" if value.startswith("-") else ""
        return queryset.order_by(*(prefix + field for field in fields[key]), prefix + "pk")

    def get_schema_operation_parameters(self, view):
        """The `sort` query parameter, with the allowed values."""
        return [
            {
                "name": api_settings.ORDERING_PARAM,
                "required": False,
                "in": "query",
                "description": "Order by one key; a leading '-' reverses it.",
                "schema": {"type": "string", "enum": allowed(view)},
            }
        ]
