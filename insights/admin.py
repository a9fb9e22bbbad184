"""Admin for model runs: "Retrain now", live progress (the run's page and the run list refresh themselves while a
run is under way), metrics beside baselines, the model card as a page, and re-activating an older run (a button
on its page, or the list's action)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from crm import outbox
from insights import publishing, runs, tasks
from insights.admin_display import LIVE_FIELDS, calibration_bins, card_tree, card_without_calibration, live_fields
from insights.families import base
from insights.models import MessageTemplate, ModelRun, SuggestedAction


def _number(value) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else str(value)


@admin.register(ModelRun)
class ModelRunAdmin(admin.ModelAdmin):
    # Fits a 1366 px screen beside admin's navigation and the filters (the trigger is one of the filters).
    # Sorted by when created alone (the model's tie-break on id stays, unmarked): a second sort mark widened the id.
    list_display = ["id", "family", "status", "is_active", "as_of", "progress_percent", "created"]
    ordering = ["-created_at"]
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
        "model_card_page",
        "error",
    ]
    UNDER_WAY = (ModelRun.Status.QUEUED, ModelRun.Status.RUNNING)

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
            path("live/", self.admin_site.admin_view(self.live_list_view), name="insights_modelrun_live"),
            path("<int:pk>/card/", self.admin_site.admin_view(self.card_view), name="insights_modelrun_card"),
            path(
                "<int:pk>/activate/",
                self.admin_site.admin_view(require_POST(self.activate_view)),
                name="insights_modelrun_activate",
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
            queued = f"Queued {run.get_family_display()} run #{run.pk}; its page shows the progress."
            self.message_user(request, queued, messages.SUCCESS)
        if len(started) == 1:
            return HttpResponseRedirect(reverse("admin:insights_modelrun_change", args=[started[0].pk]))
        return HttpResponseRedirect(changelist)

    def progress_view(self, request, pk: int):
        """The run's progress and every field its page shows that changes while it runs, as JSON, polled by the
        page (static/js/run_live.js) until the run is over."""
        run = ModelRun.objects.filter(pk=pk).first()
        if run is None or not self.has_view_permission(request):
            return JsonResponse({"error": "not found"}, status=404)
        under_way = run.status in self.UNDER_WAY
        return JsonResponse(
            {"status": run.status, "stage": run.stage, "progress": run.progress, "under_way": under_way,
             "fields": live_fields(run)}
        )  # fmt: skip

    def live_list_view(self, request):
        """The status and progress of the runs whose ids are given (`?ids=1,2`), polled by the run list while
        one of them is under way."""
        if not self.has_view_permission(request):
            return JsonResponse({"error": "not found"}, status=404)
        ids = [int(part) for part in request.GET.get("ids", "").split(",") if part.strip().isdigit()][:100]
        rows = ModelRun.objects.filter(pk__in=ids).only("status", "progress")
        return JsonResponse(
            {"runs": {str(run.pk): {"status": run.get_status_display(), "progress": f"{run.progress:.0%}",
                                    "under_way": run.status in self.UNDER_WAY} for run in rows}}
        )  # fmt: skip

    def card_view(self, request, pk: int):
        """The run's model card as a page: what the family recorded about its data, backtest and fit."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(ModelRun, pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": run,
            "title": f"Model card of {run}",
            "tree": card_tree(card_without_calibration(run.model_card or {})),
            "calibration": calibration_bins(run.model_card or {}),
            "ece": (run.metrics or {}).get("ece"),
        }
        return TemplateResponse(request, "admin/insights/modelrun/model_card.html", context)

    def activate_view(self, request, pk: int):
        """Roll back (or forward) to this run: the button on its page."""
        if not self.has_activate_permission(request):
            raise PermissionDenied
        run = get_object_or_404(ModelRun, pk=pk)
        try:
            publishing.activate(run)
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            family = run.get_family_display().lower()
            self.message_user(request, f"{run} is now the active {family} run.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:insights_modelrun_change", args=[run.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = ModelRun.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if run is not None and run.status == ModelRun.Status.QUEUED:
            what = f"the {run.get_family_display().lower()} run"
            if waiting := outbox.not_started_words(what, run.created_at):
                self.message_user(request, waiting, messages.WARNING)
        may_activate = (
            run is not None
            and not run.is_active
            and run.pruned_at is None
            and run.status in (ModelRun.Status.SUCCEEDED, ModelRun.Status.SUPERSEDED)
            and self.has_activate_permission(request)
        )
        extra_context = {**(extra_context or {}), "may_activate": may_activate, "live_fields": LIVE_FIELDS}
        return super().change_view(request, object_id, form_url, extra_context)

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

    @admin.display(description="model card")
    def model_card_page(self, obj: ModelRun):
        if not obj.model_card:
            return "-"
        url = reverse("admin:insights_modelrun_card", args=[obj.pk])
        sections = len(obj.model_card)
        return format_html(
            '<a href="{}">Read the model card</a> ({} section{})', url, sections, "" if sections == 1 else "s"
        )

    @admin.display(description="progress")
    def progress_percent(self, obj: ModelRun) -> str:
        return f"{obj.progress:.0%}"

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: ModelRun) -> str:
        """The day and time, as the pages write them ('7 Dec 2026 10:07'), so that the list fits 1366 px."""
        return date_format(timezone.localtime(obj.created_at), "j M Y H:i")

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


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """The next best actions' messages: one per kind of action, filled with the customer's data on the worklist.
    Saving checks the template (only the tags, filters and variables of insights/message_templates.py)."""

    list_display = ["action", "subject", "updated_at"]
    fields = ["action", "subject", "body", "what_it_may_use"]
    readonly_fields = ["what_it_may_use"]

    @admin.display(description="what it may use")
    def what_it_may_use(self, obj=None):
        from insights import message_templates as mt

        return format_html(
            "Variables: {}.<br>Tags: {}.<br>Filters: {}.",
            ", ".join(mt.VARIABLES),
            ", ".join(sorted(mt.ALLOWED_TAGS)),
            ", ".join(sorted(mt.ALLOWED_FILTERS)),
        )


@admin.register(SuggestedAction)
class SuggestedActionAdmin(admin.ModelAdmin):
    """What the worklists suggested and which were taken: a record, read-only."""

    list_display = ["suggested_at", "customer", "action", "taken_at", "taken_by"]
    list_filter = ["action", ("taken_at", admin.EmptyFieldListFilter)]
    list_select_related = ["customer", "taken_by"]
    readonly_fields = ["customer", "action", "reason", "suggested_at", "taken_at", "taken_by", "worklist_action"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
