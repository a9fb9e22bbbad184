"""Filters of the insights app's lists (its API; the customer list's segment, churn and value filters are
registered on the customers' FilterSet from list_filters.py)."""

from __future__ import annotations

import django_filters

from insights.models import ModelRun


class ModelRunFilterSet(django_filters.FilterSet):
    """Model runs by family, status and whether they are the active one."""

    family = django_filters.ChoiceFilter(choices=ModelRun.Family.choices, label="Family")
    status = django_filters.ChoiceFilter(choices=ModelRun.Status.choices, label="Status")
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = ModelRun
        fields = ["family", "status", "is_active"]
