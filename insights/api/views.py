"""The insights app's endpoints. Scores follow their customer (`Customer.objects.visible_to`: a rep reads their
own customers' scores, as on the profile); model runs need the role's permission on runs, and a retrain request
goes through the same `runs.request_run` and `tasks.queue_runs` as the admin's "Retrain now"."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from crm.api.ordering import AllowListOrdering
from customers.filters import CustomerFilterSet
from customers.models import Customer
from insights import runs, tasks
from insights.api import serializers
from insights.filters import ModelRunFilterSet
from insights.list_filters import runs_for
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun

# Each score's column: (family, result model, field).
SCORE_FIELDS = {
    "segment": ("segments", CustomerSegment, "segment"),
    "rfm_segment": ("segments", CustomerSegment, "rfm_segment"),
    "clv_12m": ("value", CustomerValue, "clv_12m"),
    "p_alive": ("value", CustomerValue, "p_alive"),
    "expected_purchases_365d": ("value", CustomerValue, "expected_purchases_365d"),
    "churn_probability": ("churn", ChurnScore, "probability"),
    "churn_band": ("churn", ChurnScore, "band"),
    "churn_factors": ("churn", ChurnScore, "factors"),
}


class ScoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Each customer's segment, 12-month value and churn risk from the active runs (the id is the customer's), for
    the customers the caller may see who consent to profiling. Filters and `sort` are the customer list's
    (search, country, owner, tags, segment, churn band, value band; sorting by risk or value)."""

    queryset = Customer.objects.all()
    permission_model = Customer  # as on the profile: whoever may see the customer sees their scores
    serializer_class = serializers.ScoreSerializer
    filterset_class = CustomerFilterSet

    def get_queryset(self):
        active = runs_for(self.request)
        # A family without an active run matches no row (run 0): its figures are null.
        annotations = {
            name: Subquery(model.objects.filter(run_id=active[family] or 0, customer=OuterRef("pk")).values(field)[:1])
            for name, (family, model, field) in SCORE_FIELDS.items()
        }
        customers = Customer.objects.visible_to(self.request.user).filter(profiling_consent=True)
        return customers.annotate(**annotations).only("pk", "name")


class ModelRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Model runs, newest first, with their progress, metrics and verdicts. POST asks for a retrain of one family
    (admins): 202 with the queued run, 409 with the run already in flight."""

    queryset = ModelRun.objects.all()
    serializer_class = serializers.ModelRunSerializer
    filterset_class = ModelRunFilterSet
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, AllowListOrdering]
    ordering_fields = {"created": ("created_at",), "as_of": ("as_of",)}

    def get_queryset(self):
        return ModelRun.objects.order_by("-created_at", "-pk")

    @extend_schema(
        request=serializers.RetrainSerializer,
        responses={
            202: serializers.ModelRunSerializer,
            409: OpenApiResponse(serializers.ModelRunSerializer, description="A run of this family is in flight."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Queue a retrain of one family, as the admin's "Retrain now" does."""
        asked = serializers.RetrainSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        data = asked.validated_data
        try:
            run = runs.request_run(
                data["family"],
                trigger=ModelRun.Trigger.API,
                user=request.user,
                as_of=data.get("as_of"),
                parameters=data.get("parameters"),
            )
        except runs.AlreadyRunning as exc:
            return Response(self.get_serializer(exc.run).data, status=status.HTTP_409_CONFLICT)
        except ValueError as exc:
            raise ValidationError({"parameters": [str(exc)]}) from None
        tasks.queue_runs([run.pk])
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)
