"""Admin for imports and exports: upload a file, watch the import's progress, read its report."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from crm import outbox
from customers.forms import ImportUploadForm
from customers.importing import report as import_report
from customers.models import ExportRecord, ImportRun
from customers.tasks import queue_import


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["id", "file_name", "format", "status", "summary", "progress_percent", "created_by", "created_at"]
    list_filter = ["status", "format"]
    list_select_related = ["created_by"]
    search_fields = ["file_name", "=sha256"]
    date_hierarchy = "created_at"
    change_form_template = "admin/customers/importrun/change_form.html"
    readonly_fields = [
        "summary",
        "status",
        "stage",
        "progress_percent",
        "file_name",
        "size",
        "sha256",
        "encoding",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "rows_read",
        "report",
        "rejected_rows",
        "errors_file_link",
        "timings",
        "error",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ImportUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ImportUploadForm.Meta.fields
        return ["format", "strict", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["format", "strict", *self.readonly_fields]

    def has_change_permission(self, request, obj=None):
        # A run is a record: it is read, not edited. (Viewing needs the view permission only.)
        return False

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data["upload"]
        obj.created_by = request.user
        obj.file_name = upload.name
        obj.file_size = upload.size
        super().save_model(request, obj, form, change)
        queue_import(obj.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        queued_at = (
            ImportRun.objects.filter(pk=object_id, status=ImportRun.Status.QUEUED)
            .values_list("created_at", flat=True)
            .first()
        )
        if queued_at and (waiting := outbox.not_started_words("the import", queued_at)):
            self.message_user(request, waiting, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the run's page, where the progress shows while the worker imports.
        return HttpResponseRedirect(reverse("admin:customers_importrun_change", args=[obj.pk]))

    def get_urls(self):
        urls = super().get_urls()
        progress = path(
            "<int:pk>/progress/",
            self.admin_site.admin_view(self.progress_view),
            name="customers_importrun_progress",
        )
        errors = path(
            "<int:pk>/errors.csv",
            self.admin_site.admin_view(self.errors_file_view),
            name="customers_importrun_errors",
        )
        return [progress, errors, *urls]

    def progress_view(self, request, pk: int):
        """The run's progress as JSON, polled by the change page while the import runs."""
        run = ImportRun.objects.filter(pk=pk).values("status", "stage", "progress", "rows_read").first()
        if run is None or not self.has_view_permission(request):
            return JsonResponse({"error": "not found"}, status=404)
        return JsonResponse(run)

    def errors_file_view(self, request, pk: int):
        """The run's file of rejected rows, to whoever may view the run (404 otherwise, or when there is none).
        Served from Django's storage through this view: uploaded and generated files are not public URLs."""
        run = ImportRun.objects.filter(pk=pk).first()
        if run is None or not run.errors_file or not self.has_view_permission(request, run):
            raise Http404("No file of rejected rows for this import.")
        try:
            handle = run.errors_file.open("rb")
        except FileNotFoundError:
            raise Http404("The file of rejected rows is no longer stored.") from None
        return FileResponse(handle, as_attachment=True, filename=f"import-{run.pk}-rejected-rows.csv")

    @admin.display(description="errors file")
    def errors_file_link(self, obj: ImportRun):
        if not obj.errors_file:
            return "none"
        url = reverse("admin:customers_importrun_errors", args=[obj.pk])
        return format_html('<a href="{}">{} rejected rows (CSV)</a>', url, f"{obj.error_count:,}")

    @admin.display(description="file size")
    def size(self, obj: ImportRun) -> str:
        return import_report.size(obj)

    @admin.display(description="progress")
    def progress_percent(self, obj: ImportRun) -> str:
        return f"{obj.progress:.0%}"

    @admin.display(description="data-quality report")
    def report(self, obj: ImportRun):
        if not obj.counts:
            return obj.summary or "-"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td class='num'>{}</td></tr>",
            ((label, f"{value:,}") for label, value in import_report.labelled_counts(obj)),
        )
        return format_html("<p><strong>{}</strong></p><table>{}</table>", obj.summary, rows)

    @admin.display(description="rejected rows (first 100)")
    def rejected_rows(self, obj: ImportRun):
        if not obj.errors:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e["line"], e["column"], e["value"], e["reason"]) for e in obj.errors),
        )
        return format_html("<table><tr><th>line</th><th>column</th><th>value</th><th>reason</th></tr>{}</table>", rows)


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "user", "row_count", "filters"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["kind", "user", "filters", "row_count", "created_at", "finished_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The audit trail of exports is kept; only the retention job removes old records.
        return False
