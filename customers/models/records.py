"""The CRM's records: customers, products, orders and their lines, interactions and tags.

Money is Decimal. Natural keys (a customer's external id, a product's SKU, an order's external number) are
unique, so imports can be idempotent. Everything a model learns lives in the insights and recommendations apps,
keyed by run, never in columns here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from crm.dates import validate_in_range


class Tag(models.Model):
    """A free label on customers, such as "VIP" or "trade fair 2026"."""

    name = models.CharField(max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


def sees_all_customers(user) -> bool:
    """True for managers, admins and anyone granted "view all customers"."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("customers.view_all_customers"))


def visibility_scope(user) -> str:
    """Who else sees exactly the customers `user` sees, as a cache key part: "all" for everyone who sees all
    customers, "owner:<pk>" for a user who sees their own."""
    return "all" if sees_all_customers(user) else f"owner:{user.pk}"


class CustomerQuerySet(models.QuerySet):
    """Queries over customers; `visible_to` is the one rule for who may see which customer."""

    def visible_to(self, user) -> CustomerQuerySet:
        """Customers `user` may see: all if `sees_all_customers(user)`, otherwise the ones the user owns.
        Anonymous and inactive users see none."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if sees_all_customers(user):
            return self
        return self.filter(owner=user)


class CustomerRecordQuerySet(models.QuerySet):
    """Records that belong to a customer (orders, interactions) follow their customer's visibility."""

    def visible_to(self, user):
        """Records of the customers `user` may see; anonymous sales only for those who see all."""
        if sees_all_customers(user):
            return self
        return self.filter(customer__in=Customer.objects.visible_to(user))


class Customer(models.Model):
    """A buyer: a person or a business that orders repeatedly."""

    class Channel(models.TextChoices):
        WEB = "web", "Web shop"
        STORE = "store", "Store"
        PHONE = "phone", "Phone"
        REFERRAL = "referral", "Referral"
        MARKETPLACE = "marketplace", "Marketplace"
        TRADE_SHOW = "trade_show", "Trade show"
        OTHER = "other", "Other"

    external_id = models.CharField(
        max_length=64, blank=True, help_text="The customer's id in the source system (shop, ERP, import file)."
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=64, blank=True)
    city = models.CharField(max_length=100, blank=True)
    acquisition_channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.OTHER)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
        db_index=False,  # the (owner, name) index serves lookups by owner
        help_text="The sales rep responsible for this customer.",
    )
    marketing_consent = models.BooleanField(default=False, help_text="Agreed to receive marketing.")
    profiling_consent = models.BooleanField(
        default=True, help_text="May be scored by the models (segments, value, churn, recommendations)."
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        permissions = [
            ("view_all_customers", "Can view all customers, not only their own"),
            ("export_customers", "Can export customers"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="customer_external_id_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "name"], name="customer_owner_name"),
            models.Index(Lower("name"), name="customer_name_ci"),
            models.Index(Lower("email"), name="customer_email_ci"),
            # The list's default order and its country sort, served from the index with the id as tie-breaker.
            models.Index(fields=["name", "id"], name="customer_name_id"),
            models.Index(fields=["country", "name", "id"], name="customer_country_name_id"),
            models.Index(fields=["created_at"], name="customer_created"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something sold. Lines that are not goods (shipping, fees, adjustments) are products of another kind,
    kept so that order totals stay true, and left out of baskets, recommendations and demand."""

    class Kind(models.TextChoices):
        PRODUCT = "product", "Product"
        SHIPPING = "shipping", "Shipping"
        FEE = "fee", "Fee"
        ADJUSTMENT = "adjustment", "Adjustment"

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PRODUCT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0) | Q(price__isnull=True), name="product_price_gte_0"),
        ]
        indexes = [
            models.Index(fields=["category"], name="product_category"),
            models.Index(fields=["kind", "is_active"], name="product_kind_active"),
            models.Index(Lower("name"), name="product_name_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def is_product(self) -> bool:
        """True for goods; False for shipping, fees and adjustments."""
        return self.kind == self.Kind.PRODUCT


class ProductName(models.Model):
    """A spelling of a product's name seen in imported data; the product's own name is the canonical one."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="names", db_index=False)
    name = models.CharField(max_length=255)
    line_count = models.PositiveIntegerField(default=0, help_text="Order lines that used this spelling.")

    class Meta:
        ordering = ["product", "-line_count", "name"]
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="productname_unique")]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """An invoice or sale. The customer is empty for anonymous sales, which still count for products.

    A cancellation is an order of its own with status cancelled, linked to the order it cancels where that
    is known. Outliers (say, a huge order cancelled minutes later) are kept but flagged, so that models can
    leave them out of purchase behaviour."""

    class Status(models.TextChoices):
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        RETURNED = "returned", "Returned"

    external_number = models.CharField(max_length=64, unique=True, help_text="Invoice or order number.")
    # Composite indexes that lead with a foreign key serve its lookups, so such keys get no index of their own:
    # every index costs time on each imported line.
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders", db_index=False
    )
    placed_at = models.DateTimeField(validators=[validate_in_range])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETED)
    channel = models.CharField(max_length=20, choices=Customer.Channel.choices, default=Customer.Channel.WEB)
    currency = models.CharField(max_length=3, default="GBP")
    cancels = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cancellations",
        help_text="For a cancellation or return: the order it reverses, where known.",
    )
    is_outlier = models.BooleanField(
        default=False, db_default=False, help_text="Flagged by the import as not typical purchase behaviour."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "placed_at"], name="order_customer_placed"),
            models.Index(fields=["placed_at"], name="order_placed"),
            models.Index(fields=["status", "placed_at"], name="order_status_placed"),
        ]

    def __str__(self) -> str:
        return self.external_number


class OrderItemQuerySet(models.QuerySet):
    """Order lines follow their order's customer."""

    def visible_to(self, user):
        """Lines of the orders `user` may see."""
        if sees_all_customers(user):
            return self
        return self.filter(order__customer__in=Customer.objects.visible_to(user))


class OrderItem(models.Model):
    """One line of an order: a quantity of a product at a unit price."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", db_index=False)
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items", db_index=False)
    quantity = models.IntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)

    objects = OrderItemQuerySet.as_manager()

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="orderitem_order_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderitem_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderitem_unit_price_gte_0"),
        ]
        indexes = [models.Index(fields=["product", "order"], name="orderitem_product_order")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id} on {self.order_id}"

    @property
    def line_total(self):
        """Quantity times unit price."""
        return self.quantity * self.unit_price


class Interaction(models.Model):
    """A contact with a customer: a call, an email, a meeting, a note, feedback or a support ticket."""

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        NOTE = "note", "Note"
        FEEDBACK = "feedback", "Feedback"
        TICKET = "ticket", "Ticket"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"
        INTERNAL = "internal", "Internal"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        help_text="The member of staff who logged it.",
    )
    external_id = models.CharField(
        max_length=64, blank=True, help_text="The id in the system it came from; imports use it to skip repeats."
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    occurred_at = models.DateTimeField(validators=[validate_in_range])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="interaction_customer_when"),
            models.Index(fields=["occurred_at"], name="interaction_when"),
            models.Index(fields=["kind", "occurred_at"], name="interaction_kind_when"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="interaction_external_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.customer_id} on {self.occurred_at:%Y-%m-%d}"
