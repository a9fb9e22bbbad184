"""A content hash of the customer data, for checking that the demo generator is deterministic.

Rows are read in natural-key order (external ids, SKUs, order numbers) and ids are left out, so the hash
compares content: two databases seeded alike hash alike whatever ids their rows got, on PostgreSQL or SQLite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db.models import QuerySet

from customers.models import Customer, Interaction, Order, OrderItem, Product


def _normal(value) -> str:
    """One spelling per value whatever the backend: money to 4 places, times in UTC."""
    if isinstance(value, Decimal):
        return f"{value:.4f}"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return repr(value)


def _sections() -> list[tuple[str, QuerySet]]:
    return [
        (
            "products",
            Product.objects.order_by("sku").values_list(
                "sku", "name", "description", "category", "price", "is_active", "kind", "created_at"
            ),
        ),
        (
            "customers",
            Customer.objects.order_by("external_id").values_list(
                "external_id", "name", "email", "phone", "company", "country", "city", "acquisition_channel",
                "owner__username", "marketing_consent", "profiling_consent", "created_at",
            ),
        ),
        (
            "customer tags",
            Customer.tags.through.objects.order_by("customer__external_id", "tag__name").values_list(
                "customer__external_id", "tag__name"
            ),
        ),
        (
            "orders",
            Order.objects.order_by("external_number").values_list(
                "external_number", "customer__external_id", "placed_at", "status", "channel", "currency"
            ),
        ),
        (
            "order lines",
            OrderItem.objects.order_by("order__external_number", "line_number").values_list(
                "order__external_number", "line_number", "product__sku", "quantity", "unit_price"
            ),
        ),
        (
            "interactions",
            Interaction.objects.order_by(
                "customer__external_id", "occurred_at", "kind", "direction", "subject", "body"
            ).values_list(
                "customer__external_id", "occurred_at", "kind", "direction", "user__username", "subject", "body"
            ),
        ),
    ]  # fmt: skip


def content_hash() -> str:
    """SHA-256 over products, customers, tags, orders, lines and interactions in natural-key order."""
    digest = hashlib.sha256()
    for name, rows in _sections():
        digest.update(f"[{name}]\n".encode())
        for row in rows.iterator(chunk_size=5000):
            digest.update(("\t".join(_normal(v) for v in row) + "\n").encode())
    return digest.hexdigest()
