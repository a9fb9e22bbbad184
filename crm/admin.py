"""Admin for the project-wide records: worker pings, read-only, with a "Check the background worker" button; and
user accounts, which the Admin role manages without being able to rise (crm/user_admin.py)."""

from __future__ import annotations

from functools import cache

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.template import engines
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm import outbox
from crm.models import WorkerPing
from crm.services import record_ping
from crm.tasks import queue_ping
from crm.user_admin import LodestarUserAdmin

__all__ = ["LodestarUserAdmin", "WorkerPingAdmin"]

_CHANGE_LIST = """{% extends "admin/change_list.html" %}
{% block object-tools-items %}
  {% if can_check_worker %}
  <li>
    <form method="post" action="{% url 'admin:crm_workerping_check' %}">
      {% csrf_token %}<button type="submit" class="button">Check the background worker</button>
    </form>
  </li>
  {% endif %}
  {{ block.super }}
{% endblock %}
"""


@cache
def _change_list_template():
    # Built from a string so the whole probe lives in this file; it only adds one button to the stock page.
    return engines["django"].from_string(_CHANGE_LIST)


@admin.register(WorkerPing)
class WorkerPingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "requested_at", "requested_by", "status", "worker", "round_trip"]
    list_select_related = ["requested_by"]
    readonly_fields = ["requested_at", "requested_by", "answered_at", "worker"]
    date_hierarchy = "requested_at"
    show_full_result_count = False

    @property
    def change_list_template(self):
        return _change_list_template()

    # Pings are made by the button and the worker, never edited by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="status")
    def status(self, ping: WorkerPing) -> str:
        if ping.is_answered:
            return "answered"
        if timezone.now() - ping.requested_at > outbox.WORKER_PATIENCE:
            return "no answer: is a worker running?"
        return "waiting for a worker"

    def get_urls(self):
        check = self.admin_site.admin_view(require_POST(self.check_worker_view))
        return [path("check/", check, name="crm_workerping_check"), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "can_check_worker": _may_check(request)}
        if waiting := outbox.waiting_words():
            self.message_user(request, waiting, messages.WARNING)
        return super().changelist_view(request, extra_context)

    def check_worker_view(self, request: HttpRequest) -> HttpResponseRedirect:
        """Record a ping, queue it for a worker after commit and come back to the list, where its answer will show."""
        if not _may_check(request):
            raise PermissionDenied
        with transaction.atomic():
            ping = record_ping(request.user)
            queue_ping(ping.pk)
        if outbox.waiting()["count"]:
            words = f"Recorded {ping}, but the broker does not answer: the ping is sent as soon as it answers again."
            self.message_user(request, words, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:crm_workerping_changelist"))
        self.message_user(
            request,
            f"Asked the background worker to answer {ping}. Reload this page in a few seconds: "
            "an answered ping shows the worker's name.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:crm_workerping_changelist"))


def _may_check(request: HttpRequest) -> bool:
    return request.user.has_perm("crm.add_workerping")
