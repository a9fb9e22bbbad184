"""Roles for what the recommendations app publishes: admins may do everything, managers read the rules, the
forecasts and the recommendations."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def forwards(apps, schema_editor):
    config = apps.get_app_config("recommendations")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="recommendations")
    for name, codenames in (
        ("Admin", None),
        ("Manager", ["view_recommendation", "view_associationrule", "view_productforecast"]),
    ):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*(perms if codenames is None else perms.filter(codename__in=codenames)))


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0001_initial"), ("customers", "0002_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
