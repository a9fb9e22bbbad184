"""The customers app's endpoints. Each viewset starts from `visible_to(request.user)`, so someone else's customer,
order or interaction answers 404; the role's model permissions (crm/api/permissions.py) are checked before any
write; lists filter with the pages' FilterSets (customers/filters.py) and sort by allow-listed keys only."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied

from crm.api.ordering import AllowListOrdering
from customers.api import serializers
from customers.filters import (
    CustomerFilterSet,
    ImportRunFilterSet,
    InteractionFilterSet,
    OrderFilterSet,
    ProductFilterSet,
)
from customers.models import Customer, ImportRun, Interaction, Order, OrderItem, Product, sees_all_customers
from customers.queries import customer_list_queryset, with_totals
from customers.signals import profiling_consent_changed


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers the caller may see, as the customer list shows them: its search (`q`), filters and `sort`
    (customers/filters.py CustomerFilterSet, with the segment, churn and value filters other apps register).
    A rep's new customer is the rep's own; only those who see every customer choose or change an owner. A change of
    profiling consent is announced as the profile's consent form announces it."""

    queryset = Customer.objects.all()
    serializer_class = serializers.CustomerSerializer
    filterset_class = CustomerFilterSet

    def get_queryset(self):
        return customer_list_queryset(self.request.user).prefetch_related("tags")

    def _reread(self, serializer) -> None:
        # The answer shows the list's annotations (orders, last order), which a saved instance lacks.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_create(self, serializer) -> None:
        if sees_all_customers(self.request.user):
            serializer.save()
        else:
            serializer.save(owner=self.request.user)
        self._reread(serializer)

    def perform_update(self, serializer) -> None:
        customer = serializer.instance
        before = customer.profiling_consent
        owner = serializer.validated_data.get("owner", customer.owner)
        if owner != customer.owner and not sees_all_customers(self.request.user):
            raise PermissionDenied("Only those who see every customer may change a customer's owner.")
        with transaction.atomic():
            serializer.save()
            if customer.profiling_consent != before:
                profiling_consent_changed.send(
                    sender=Customer, customer_id=customer.pk, profiling_consent=customer.profiling_consent
                )
        self._reread(serializer)


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalogue: goods unless `all=1`, searched by name or SKU (`q`), by category. Products are not personal
    data: everyone who may view products sees all of them."""

    queryset = Product.objects.all()
    serializer_class = serializers.ProductSerializer
    filterset_class = ProductFilterSet
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, AllowListOrdering]
    ordering_fields = {"name": ("name",), "sku": ("sku",), "price": ("price",), "created": ("created_at",)}

    def get_queryset(self):
        return Product.objects.order_by("name", "pk")


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders the caller may see (their customers' orders; anonymous sales only for those who see every
    customer), newest first, each with its lines and total, filtered as the orders export is."""

    queryset = Order.objects.all()
    serializer_class = serializers.OrderSerializer
    filterset_class = OrderFilterSet
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, AllowListOrdering]
    ordering_fields = {"placed": ("placed_at",), "number": ("external_number",)}

    def get_queryset(self):
        lines = OrderItem.objects.select_related("product").order_by("line_number")
        orders = Order.objects.visible_to(self.request.user).order_by("-placed_at", "-pk")
        return with_totals(orders).prefetch_related(Prefetch("items", queryset=lines))


class InteractionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Interactions with the customers the caller may see, newest first; logging one records the caller as the
    member of staff who logged it."""

    queryset = Interaction.objects.all()
    serializer_class = serializers.InteractionSerializer
    filterset_class = InteractionFilterSet
    filter_backends = [*viewsets.GenericViewSet.filter_backends, AllowListOrdering]
    ordering_fields = {"occurred": ("occurred_at",), "created": ("created_at",)}

    def get_queryset(self):
        return Interaction.objects.visible_to(self.request.user).order_by("-occurred_at", "-pk")

    def perform_create(self, serializer) -> None:
        serializer.save(user=self.request.user)


class ImportRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Import runs with their data-quality reports (admins: *Import runs* in admin starts them)."""

    queryset = ImportRun.objects.all()
    serializer_class = serializers.ImportRunSerializer
    filterset_class = ImportRunFilterSet
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, AllowListOrdering]
    ordering_fields = {"created": ("created_at",)}

    def get_queryset(self):
        return ImportRun.objects.order_by("-created_at", "-pk")
