"""Filters for customers, shared by the customer list page and (later) the API, NetBox style: one FilterSet,
explicit and allow-listed. The queryset it filters must already be restricted by `visible_to`."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from customers.models import Customer

# The only orderings the list accepts: public name -> model fields. Anything else is ignored.
SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "country": ("country", "name"),
    "created": ("created_at",),
}
SORT_CHOICES = [
    ("name", "Name, A to Z"),
    ("-name", "Name, Z to A"),
    ("country", "Country, A to Z"),
    ("-country", "Country, Z to A"),
    ("-created", "Newest first"),
    ("created", "Oldest first"),
]


def owner_choices(request) -> QuerySet:
    """Users who own at least one customer the requesting user may see (the owner filter's choices)."""
    user_model = get_user_model()
    if request is None:
        return user_model.objects.none()
    visible = Customer.objects.visible_to(request.user)
    return user_model.objects.filter(Exists(visible.filter(owner=OuterRef("pk")))).order_by("username")


def country_choices(queryset: QuerySet) -> list[str]:
    """The distinct non-empty countries among `queryset`'s customers, sorted (one query)."""
    countries = queryset.exclude(country="").order_by("country").values_list("country", flat=True).distinct()
    return list(countries)


class SortFilter(django_filters.ChoiceFilter):
    """Order by one allow-listed key (`name`, `-created`...), with the primary key as a tie-breaker so pages
    are stable. A value outside the allow-list fails validation, so the list keeps its default order."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", SORT_CHOICES)
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        """Apply the ordering named by `value`, or leave `qs` alone when there is none."""
        if not value:
            return qs
        prefix = "-" if value.startswith("-") else ""
        fields = SORT_FIELDS[value.removeprefix("-")]
        return qs.order_by(*(prefix + field for field in fields), prefix + "pk")


class CustomerFilterSet(django_filters.FilterSet):
    """Search (`q`), country, owner and sort for customers."""

    q = django_filters.CharFilter(method="search", label="Search")
    country = django_filters.CharFilter(field_name="country", lookup_expr="exact", label="Country")
    owner = django_filters.ModelChoiceFilter(
        queryset=owner_choices, null_label="Unassigned", null_value="none", label="Owner"
    )
    sort = SortFilter(label="Sort by")

    class Meta:
        model = Customer
        fields = ["q", "country", "owner", "sort"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Match `value` inside the name, email or company, or exactly against the external id."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(email__icontains=value)
            | Q(company__icontains=value)
            | Q(external_id__iexact=value)
        )
