"""Give the Admin role the import and export records (made after the roles were)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    config = apps.get_app_config("customers")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin = Group.objects.filter(name="Admin").first()
    if admin is not None:
        admin.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="customers",
                codename__in=[
                    "add_importrun",
                    "view_importrun",
                    "view_exportrecord",
                    "view_productname",
                    "change_productname",
                ],
            )
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_fewer_redundant_indexes")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
