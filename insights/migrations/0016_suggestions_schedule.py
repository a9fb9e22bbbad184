"""The nightly record of the worklists' next best actions (insights/next_actions.py `record`), editable in admin
(Periodic tasks): the worklist page writes nothing, so what was suggested is recorded here (after the nightly
retrain at 02:30) and when a rep acts on a suggestion."""

from django.db import migrations

TASK_NAME = "Nightly record of the worklists' suggestions"


def forwards(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME, defaults={"task": "insights.tasks.record_suggestions", "crontab": nightly}
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0015_message_templates_unambiguous_lists"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
