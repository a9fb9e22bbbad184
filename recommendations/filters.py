"""Filters of the recommendations app's lists, each shared by its page and the API: association rules (the rules
page's search and size), recommendations and forecasts."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from recommendations.models import AssociationRule, ProductForecast, Recommendation


class RuleFilterSet(django_filters.FilterSet):
    """Rules naming a product (`q`: a name on either side, or a SKU), of one size (2: pairs, 3: triples, 4: four or
    more), with one product on the left, of one kind (mined rules, or the baseline's popular companions: which one a
    list shows when none is asked for is the page's or the API's choice)."""

    q = django_filters.CharFilter(method="search", label="Product")
    size = django_filters.ChoiceFilter(
        choices=[("2", "Pairs"), ("3", "Triples"), ("4", "Four or more")], method="of_size", label="Size"
    )
    antecedent = django_filters.NumberFilter(field_name="antecedent_id", label="Product on the left (id)")
    kind = django_filters.ChoiceFilter(choices=AssociationRule.Kind.choices, label="Kind")

    class Meta:
        model = AssociationRule
        fields = ["q", "size", "antecedent", "kind"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Rules with `value` in a product's name on either side, or as the SKU of the first or last."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(antecedent__name__icontains=value)
            | Q(antecedent_2__name__icontains=value)
            | Q(consequent__name__icontains=value)
            | Q(antecedent__sku__iexact=value)
            | Q(consequent__sku__iexact=value)
        )

    def of_size(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Rules of 2 or 3 products, consequent included, or of 4 and more, as the rules page filters them."""
        return queryset.filter(size__gte=4) if value == "4" else queryset.filter(size=int(value))


class RecommendationFilterSet(django_filters.FilterSet):
    """Recommendations for one customer, on one list (reorder or try next)."""

    customer = django_filters.NumberFilter(field_name="customer_id", label="Customer id")
    list = django_filters.ChoiceFilter(choices=Recommendation.List.choices, label="List")

    class Meta:
        model = Recommendation
        fields = ["customer", "list"]


class ForecastFilterSet(django_filters.FilterSet):
    """Forecasts of one product, up to a number of weeks ahead."""

    product = django_filters.NumberFilter(field_name="product_id", label="Product id")
    weeks = django_filters.NumberFilter(field_name="horizon", lookup_expr="lte", label="Weeks ahead, at most")

    class Meta:
        model = ProductForecast
        fields = ["product", "weeks"]
