"""The nightly retrain schedule, editable in admin (Periodic tasks). This migration once also gave the roles the
model runs' permissions; the roles are now declared in crm/roles.py and synced after every migrate."""

import json

from django.db import migrations

TASK_NAME = "Nightly retrain of the customer models"


def forwards(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "insights.tasks.retrain_all",
            "crontab": nightly,
            "kwargs": json.dumps({"trigger": "schedule"}),
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_initial"),
        ("customers", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
