"""How the insights app's results and runs look in the API."""

from __future__ import annotations

from rest_framework import serializers

from insights.families import base
from insights.models import ModelRun


class ScoreSerializer(serializers.Serializer):
    """A customer's segment, value and churn risk in the active runs; null where a run has no row for them."""

    customer = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    segment = serializers.CharField(allow_null=True)
    rfm_segment = serializers.CharField(allow_null=True)
    clv_12m = serializers.FloatField(allow_null=True, help_text="Expected value over the next 12 months.")
    p_alive = serializers.FloatField(allow_null=True, help_text="Chance the customer is still active.")
    expected_purchases_365d = serializers.FloatField(allow_null=True)
    churn_probability = serializers.FloatField(allow_null=True)
    churn_band = serializers.CharField(allow_null=True, help_text="low, medium or high")
    churn_factors = serializers.JSONField(allow_null=True, help_text="What raises and lowers the risk.")


class ModelRunSerializer(serializers.ModelSerializer):
    """A model run: its state, progress, metrics beside its baseline's, and the verdict."""

    class Meta:
        model = ModelRun
        fields = [
            "id",
            "family",
            "status",
            "is_active",
            "trigger",
            "created_by",
            "as_of",
            "parameters",
            "data_counts",
            "stage",
            "progress",
            "metrics",
            "baseline",
            "winner",
            "deciding_metric",
            "publish_note",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "activated_at",
        ]


class RetrainSerializer(serializers.Serializer):
    """A request to retrain one family: as of a day (today by default), with the family's own parameters."""

    family = serializers.ChoiceField(choices=[])
    as_of = serializers.DateField(required=False)
    parameters = serializers.DictField(required=False, default=dict)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family"].choices = base.names()  # the registered families, known once the apps are ready
