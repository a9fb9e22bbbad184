"""Admin for model runs: "Retrain now", live progress, metrics beside baselines, and re-activating an older run."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from crm import outbox
from insights import publishing, runs, tasks
from insights.families import base
from insights.models import ModelRun


def _number(value) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else str(value)


@admin.register(ModelRun)
class ModelRunAdmin(admin.ModelAdmin):
    list_display = ["id", "family", "status", "is_active", "as_of", "progress_percent", "trigger", "created_at"]
    list_filter = ["family", "status", "is_active", "trigger"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    actions = ["reactivate"]
    change_list_template = "admin/insights/modelrun/change_list.html"
    change_form_template = "admin/insights/modelrun/change_form.html"
    fields = readonly_fields = [
        "family",
        "status",
        "is_active",
        "publish_note",
        "winner",
        "deciding_metric",
        "stage",
        "progress_percent",
        "as_of",
        "trigger",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "activated_at",
        "pruned_at",
        "quality",
        "data_counts",
        "timings",
        "parameters",
        "model_card",
        "error",
    ]

    def has_add_permission(self, request):
        return False  # runs are started with "Retrain now", not typed in

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        urls = super().get_urls()
        extra = [
            path(
                "retrain/",
                self.admin_site.admin_view(require_POST(self.retrain_view)),
                name="insights_modelrun_retrain",
            ),
            path(
                "<int:pk>/progress/", self.admin_site.admin_view(self.progress_view), name="insights_modelrun_progress"
            ),
        ]
        return extra + urls

    def changelist_view(self, request, extra_context=None):
        if waiting := outbox.waiting_words():
            self.message_user(request, waiting, messages.WARNING)
        extra_context = {
            **(extra_context or {}),
            "families": base.names(),
            "can_retrain": self._can_retrain(request),
        }
        return super().changelist_view(request, extra_context)

    def _can_retrain(self, request) -> bool:
        return request.user.has_perm("insights.add_modelrun")

    def retrain_view(self, request):
        """Queue a run of the chosen family (or all of them); a family already in flight is said so."""
        changelist = reverse("admin:insights_modelrun_changelist")
        if not self._can_retrain(request):
            self.message_user(request, "You may not start retraining.", messages.ERROR)
            return HttpResponseRedirect(changelist)
        family = request.POST.get("family", "all")
        families = base.names() if family == "all" else [family]
        if not set(families) <= set(base.names()):
            self.message_user(request, f"Unknown model family {family!r}.", messages.ERROR)
            return HttpResponseRedirect(changelist)
        started = []
        with transaction.atomic():  # the runs and their task are recorded together (crm/outbox.py)
            for name in families:
                try:
                    started.append(runs.request_run(name, trigger=ModelRun.Trigger.ADMIN, user=request.user))
                except runs.AlreadyRunning as exc:
                    self.message_user(request, str(exc), messages.WARNING)
            tasks.queue_runs([run.pk for run in started])
        for run in started:
            self.message_user(request, f"Queued {run}; its page shows the progress.", messages.SUCCESS)
        if len(started) == 1:
            return HttpResponseRedirect(reverse("admin:insights_modelrun_change", args=[started[0].pk]))
        return HttpResponseRedirect(changelist)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        queued = ModelRun.objects.filter(pk=object_id, status=ModelRun.Status.QUEUED).exists()
        if queued and (waiting := outbox.waiting_words()):
            self.message_user(request, waiting, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def progress_view(self, request, pk: int):
        """The run's progress as JSON, polled by its page while it runs."""
        run = ModelRun.objects.filter(pk=pk).values("status", "stage", "progress").first()
        if run is None or not self.has_view_permission(request):
            return JsonResponse({"error": "not found"}, status=404)
        return JsonResponse(run)

    @admin.action(description="Re-activate the selected run (roll back to it)", permissions=["activate"])
    def reactivate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one run to re-activate.", messages.ERROR)
            return
        run = queryset.get()
        try:
            publishing.activate(run)
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{run} is now the active {run.get_family_display().lower()} run.", messages.SUCCESS)

    def has_activate_permission(self, request) -> bool:
        return request.user.has_perm("insights.add_modelrun")

    @admin.display(description="progress")
    def progress_percent(self, obj: ModelRun) -> str:
        return f"{obj.progress:.0%}"

    @admin.display(description="metrics beside the baseline")
    def quality(self, obj: ModelRun):
        if not obj.metrics:
            return "-"
        baseline = obj.baseline.get("metrics", {})
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            (
                (key, _number(value), _number(baseline[key]) if key in baseline else "-")
                for key, value in obj.metrics.items()
            ),
        )
        name = obj.baseline.get("name", "baseline")
        return format_html("<table><tr><th>metric</th><th>model</th><th>{}</th></tr>{}</table>", name, rows)
