"""Admin for exchange rates into the base currency: listed by currency and day, edited one by one, and a file of
them imported from the list's "Import a rates file" (the same file and the same checks as `manage.py import_rates
PATH`, customers/rates.py: all or nothing, the error naming the line and the column)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from customers.models import ExchangeRate
from customers.rates import COLUMNS, RatesError, import_rates_file


class RatesFileForm(forms.Form):
    """The rates file an admin uploads."""

    upload = forms.FileField(
        label="Rates file (CSV)",
        help_text=f"UTF-8 CSV with the header {','.join(COLUMNS)}: a three-letter currency code, the day it applies "
        "from (2026-03-31) and the units of the base currency one unit of it is worth.",
    )

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)} MB "
                "(IMPORT_MAX_UPLOAD_MB); import it with manage.py import_rates."
            )
        return upload


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "day", "rate", "created_at"]
    list_filter = ["currency"]
    search_fields = ["=currency"]
    date_hierarchy = "day"
    readonly_fields = ["created_at"]

    def get_urls(self):
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="customers_exchangerate_upload")
        return [upload, *super().get_urls()]

    def may_upload(self, request) -> bool:
        """An upload adds rates and replaces those on file for the same day: it needs both permissions."""
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_upload": self.may_upload(request)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        """The upload form; a posted file is checked whole and stored in one transaction, or not at all."""
        if not self.may_upload(request):
            raise PermissionDenied
        form = RatesFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                done = import_rates_file(form.cleaned_data["upload"].file)
            except RatesError as exc:
                form.add_error("upload", f"Nothing was imported. {exc}")
            else:
                self.message_user(request, str(done), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:customers_exchangerate_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a rates file",
            "form": form,
            "base_currency": settings.DEFAULT_CURRENCY,
        }
        return TemplateResponse(request, "admin/customers/exchangerate/upload.html", context)
