"""The Celery application. Configuration comes from Django settings (the CELERY_ names).

Tasks reach the broker through the outbox (crm/outbox.py): a worker that starts sends what waited while the
broker or every worker was away."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("lodestar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def relay_waiting_tasks(**kwargs) -> None:
    """A worker ready to consume sends the tasks that wait in the outbox."""
    from crm import outbox

    outbox.relay()
