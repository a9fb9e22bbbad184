"""Let the Admin role see worker pings and ask the worker for one ("Check the background worker" in admin)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_workerping", "add_workerping"]


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations ran (post_migrate); make ours now so the group can be
    # given them on a fresh database. get_or_create: the group may come from customers' roles migration or not yet.
    config = apps.get_app_config("crm")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*Permission.objects.filter(content_type__app_label="crm", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Admin"):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="crm", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
