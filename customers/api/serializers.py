"""How the customers app's records look in the API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from customers.models import Customer, ImportRun, Interaction, Order, OrderItem, Product
from customers.validation import validate_content, validate_not_in_the_future


class CustomerSerializer(serializers.ModelSerializer):
    """A customer with their owner, tags, number of orders and last order (read from the list's query)."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), allow_null=True, required=False
    )
    # No default: a default is skipped in a partial update (PATCH), which then left the field out for no owner.
    owner_username = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    order_count = serializers.IntegerField(read_only=True)
    last_order_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "name",
            "email",
            "phone",
            "company",
            "country",
            "city",
            "acquisition_channel",
            "owner",
            "owner_username",
            "tags",
            "marketing_consent",
            "profiling_consent",
            "order_count",
            "last_order_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ProductSerializer(serializers.ModelSerializer):
    """A product of the catalogue."""

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "description", "category", "price", "kind", "is_active", "created_at"]


class OrderItemSerializer(serializers.ModelSerializer):
    """One line of an order."""

    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = OrderItem
        fields = ["line_number", "product", "sku", "quantity", "unit_price"]


class OrderSerializer(serializers.ModelSerializer):
    """An order with its lines and its total (quantity x unit price, summed by the database)."""

    items = OrderItemSerializer(many=True, read_only=True)
    total = serializers.DecimalField(max_digits=20, decimal_places=4, read_only=True, allow_null=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "external_number",
            "customer",
            "placed_at",
            "status",
            "channel",
            "currency",
            "cancels",
            "is_outlier",
            "total",
            "items",
        ]


class InteractionSerializer(serializers.ModelSerializer):
    """A call, email, meeting, note, feedback or ticket. Logged through the API, it is the caller's, now unless
    said otherwise; the customer must be one the caller may see."""

    occurred_at = serializers.DateTimeField(required=False, validators=[validate_not_in_the_future])

    class Meta:
        model = Interaction
        fields = ["id", "customer", "user", "kind", "direction", "subject", "body", "occurred_at", "created_at"]
        read_only_fields = ["user", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "customer" in self.fields:
            # Only customers the caller may see can be chosen: anyone else's is "does not exist", as a 404 would be.
            self.fields["customer"].queryset = Customer.objects.visible_to(request.user)

    def validate(self, attrs):
        """A subject or a body, as the profile's form and the import ask (customers/validation.py)."""
        validate_content(
            attrs.get("subject", getattr(self.instance, "subject", "")),
            attrs.get("body", getattr(self.instance, "body", "")),
        )
        if self.instance is None:
            attrs.setdefault("occurred_at", timezone.now())
        return attrs


class ImportRunSerializer(serializers.ModelSerializer):
    """An import run and its data-quality report (the first rejected rows, counts per cleaning rule)."""

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "format",
            "status",
            "strict",
            "file_name",
            "file_size",
            "sha256",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "stage",
            "progress",
            "rows_read",
            "counts",
            "errors",
            "error_count",
            "error",
        ]
