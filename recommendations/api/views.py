"""The recommendations app's endpoints, each reading its family's active run only. Recommendations follow their
customer (`Customer.objects.visible_to`: a rep reads their own customers', as on the profile); rules and forecasts
need the role's permission, as their pages do."""

from __future__ import annotations

from rest_framework import mixins, viewsets

from crm.api.ordering import AllowListOrdering
from customers.models import Customer
from insights.publishing import active_run, active_run_id, active_winner
from recommendations.api import serializers
from recommendations.filters import ForecastFilterSet, RecommendationFilterSet, RuleFilterSet
from recommendations.models import AssociationRule, ProductForecast, Recommendation
from recommendations.queries import reason_sentences


class RecommendationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """What to offer the customers the caller may see, from the active recommendations run: per customer and list
    (reorder, try next), by rank, each with its reason."""

    queryset = Recommendation.objects.all()
    permission_model = Customer  # as on the profile: whoever may see the customer sees what to offer them
    serializer_class = serializers.RecommendationSerializer
    filterset_class = RecommendationFilterSet

    def get_queryset(self):
        self.run = active_run("recommendations")
        visible = Customer.objects.visible_to(self.request.user).filter(profiling_consent=True)
        return (
            Recommendation.objects.filter(run_id=self.run.pk if self.run else 0, customer__in=visible)
            .select_related("product")
            .order_by("customer_id", "list", "rank")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        if page and self.run is not None:
            for row, reason in zip(page, reason_sentences(page, self.run), strict=True):
                row.reason = reason
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AssociationRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The active rules run's rules, strongest (highest lift) first, searched as on the rules page. By default the
    kind its suggestions use (its mined rules, or its popular companions when the baseline won the backtest), as
    the product page shows them; `?kind=mined` or `?kind=popular` asks for one kind, as the rules page offers both."""

    queryset = AssociationRule.objects.all()
    serializer_class = serializers.AssociationRuleSerializer
    filterset_class = RuleFilterSet
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, AllowListOrdering]
    ordering_fields = {"lift": ("lift",), "confidence": ("confidence",), "count": ("count",), "support": ("support",)}

    def get_queryset(self):
        run_id = active_run_id("rules") or 0
        rules = AssociationRule.objects.filter(run_id=run_id).order_by("-lift", "-confidence", "pk")
        if self.action == "list" and not self.request.query_params.get("kind"):
            rules = rules.filter(kind=AssociationRule.Kind.suggested(active_winner("rules")))
        return rules


class ProductForecastViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active demand run's weekly forecasts, per product and week ahead."""

    queryset = ProductForecast.objects.all()
    serializer_class = serializers.ProductForecastSerializer
    filterset_class = ForecastFilterSet
    filter_backends = [*viewsets.GenericViewSet.filter_backends, AllowListOrdering]
    ordering_fields = {"forecast": ("forecast",), "week": ("week",)}

    def get_queryset(self):
        run_id = active_run_id("demand") or 0
        return ProductForecast.objects.filter(run_id=run_id).order_by("product_id", "horizon")
