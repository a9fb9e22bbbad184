"""Admin for exchange rates into the base currency: listed by currency and day, edited one by one; a file of
them is imported with `manage.py import_rates PATH` (customers/rates.py)."""

from django.contrib import admin

from customers.models import ExchangeRate


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "day", "rate", "created_at"]
    list_filter = ["currency"]
    search_fields = ["=currency"]
    date_hierarchy = "day"
    readonly_fields = ["created_at"]
