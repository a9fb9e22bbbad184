"""Roles for model runs (admins retrain and roll back, managers read the model cards) and the nightly retrain
schedule, editable in admin (Periodic tasks)."""

import json

from django.contrib.auth.management import create_permissions
from django.db import migrations

TASK_NAME = "Nightly retrain of the customer models"


def forwards(apps, schema_editor):
    config = apps.get_app_config("insights")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="insights")
    for name, codenames in (
        ("Admin", None),
        ("Manager", ["view_modelrun", "view_customersegment", "view_customervalue", "view_churnscore"]),
    ):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*(perms if codenames is None else perms.filter(codename__in=codenames)))

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
