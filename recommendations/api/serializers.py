"""How the recommendations app's results look in the API."""

from __future__ import annotations

from rest_framework import serializers

from recommendations.models import AssociationRule, ProductForecast, Recommendation


class RecommendationSerializer(serializers.ModelSerializer):
    """One product on one of a customer's lists, with the reason in words."""

    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    reason = serializers.CharField(read_only=True, help_text="Why, in a sentence.")

    class Meta:
        model = Recommendation
        fields = ["customer", "list", "rank", "product", "sku", "product_name", "score", "reason_code", "reason"]


class AssociationRuleSerializer(serializers.ModelSerializer):
    """A rule: baskets with the antecedent(s) also hold the consequent; `kind` says whether it was mined with the
    run's thresholds or is one of the antecedent's most popular companions (the baseline)."""

    class Meta:
        model = AssociationRule
        fields = [
            "id",
            "kind",
            "antecedent",
            "antecedent_2",
            "antecedent_more",
            "consequent",
            "size",
            "support",
            "confidence",
            "lift",
            "count",
        ]


class ProductForecastSerializer(serializers.ModelSerializer):
    """Forecast units of a product in one week ahead, with its 80 % interval."""

    class Meta:
        model = ProductForecast
        fields = ["product", "week", "horizon", "forecast", "median", "lower", "upper"]
