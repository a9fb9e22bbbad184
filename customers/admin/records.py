"""Admin for the CRM's records, kept fast on 100k customers: every foreign key is an autocomplete or a
raw id, every changelist selects its related rows in the same query, and counts are estimated where exact
counts would scan a big table."""

from django.contrib import admin

from customers.models import Customer, Interaction, Order, OrderItem, Product, ProductName, SavedFilter, Tag
from customers.signals import profiling_consent_changed


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "external_id", "email", "company", "country", "owner", "created_at"]
    list_filter = ["acquisition_channel", "marketing_consent", "profiling_consent", "owner", "country"]
    list_select_related = ["owner"]
    search_fields = ["name", "email", "company", "=external_id"]
    autocomplete_fields = ["owner", "tags"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["name", "external_id", "owner", "tags"]}),
        ("Contact", {"fields": ["email", "phone", "company", "country", "city", "acquisition_channel"]}),
        ("Consent", {"fields": ["marketing_consent", "profiling_consent"]}),
        ("History", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        # Admin obeys the same visibility rule as every page.
        return super().get_queryset(request).visible_to(request.user)

    def save_model(self, request, obj, form, change):
        """Save, and announce a change of profiling consent as the profile's consent form does."""
        super().save_model(request, obj, form, change)
        if change and "profiling_consent" in form.changed_data:
            profiling_consent_changed.send(sender=Customer, customer_id=obj.pk, profiling_consent=obj.profiling_consent)


class ProductNameInline(admin.TabularInline):
    model = ProductName
    extra = 0
    fields = ["name", "line_count"]
    readonly_fields = ["line_count"]
    verbose_name_plural = "names seen in imported data"


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    inlines = [ProductNameInline]
    list_display = ["sku", "name", "category", "price", "kind", "is_active"]
    list_filter = ["kind", "is_active", "category"]
    search_fields = ["=sku", "name"]
    show_full_result_count = False
    readonly_fields = ["created_at", "updated_at"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    autocomplete_fields = ["product"]
    fields = ["line_number", "product", "quantity", "unit_price"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["external_number", "customer", "placed_at", "status", "channel", "currency"]
    list_filter = ["status", "channel", "currency"]
    list_select_related = ["customer"]
    search_fields = ["=external_number", "customer__name", "=customer__external_id"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "placed_at"
    inlines = [OrderItemInline]
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(OrderItem)
class OrderItemAdmin(admin.ModelAdmin):
    list_display = ["order", "line_number", "product", "quantity", "unit_price"]
    list_select_related = ["order", "product"]
    search_fields = ["=order__external_number", "=product__sku"]
    raw_id_fields = ["order"]
    autocomplete_fields = ["product"]
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "direction", "customer", "user", "subject"]
    list_filter = ["kind", "direction"]
    list_select_related = ["customer", "user"]
    search_fields = ["subject", "customer__name", "=customer__external_id"]
    autocomplete_fields = ["customer", "user"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    """Users' saved list filters, read-only here: each user manages their own from the customer list."""

    list_display = ["name", "user", "query", "created_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["user", "name", "query", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
