"""Records of data moving in and out: every import run and every export, for admins to see and audit."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportRun(models.Model):
    """One import of one file: who, what, how it went, and the data-quality report.

    The counts hold how many rows each cleaning rule touched (see customers/importing/rules.py); errors hold
    the first rejected rows, and the full list is in the errors file."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        ONLINE_RETAIL = "online-retail", "Online Retail (UCI) invoice lines"
        LODESTAR_ORDERS = "lodestar-orders", "Lodestar orders"
        LODESTAR_CUSTOMERS = "lodestar-customers", "Lodestar customers"
        LODESTAR_PRODUCTS = "lodestar-products", "Lodestar products"
        LODESTAR_INTERACTIONS = "lodestar-interactions", "Lodestar interactions"

    format = models.CharField(max_length=24, choices=Format.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    strict = models.BooleanField(default=False, help_text="Reject the whole file on the first invalid row.")
    file_name = models.CharField(max_length=255)
    upload = models.FileField(upload_to="imports/", blank=True, help_text="The uploaded file, for admin uploads.")
    file_size = models.BigIntegerField(default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    column_map = models.JSONField(default=dict, blank=True, help_text="File header -> expected column.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stage = models.CharField(max_length=40, blank=True)
    progress = models.FloatField(default=0.0, help_text="0 to 1.")
    rows_read = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="The first rejected rows.")
    error_count = models.PositiveIntegerField(default=0)
    errors_file = models.FileField(upload_to="imports/errors/", blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    error = models.TextField(blank=True, help_text="Why the run failed, if it did.")
    summary = models.CharField(
        max_length=500, blank=True, help_text="The outcome in one line: rows imported, rejected and why."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the process importing it (crm/liveness.py)."
    )
    worker = models.CharField(max_length=255, blank=True, help_text="The process importing it, as host:pid.")
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker started it (an import whose worker was lost is resumed once)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="importrun_status_created")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} import of {self.file_name} ({self.status})"


class ExportRecord(models.Model):
    """One export: who took which rows out, with which filter, and when."""

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", "Customer list"
        ORDERS = "orders", "Orders"
        CUSTOMER_DATA = "customer-data", "One customer's personal data"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    filters = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} export by {self.user} ({self.row_count} rows)"
