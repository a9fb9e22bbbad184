"""Let the Admin role look at users' saved filters in the admin and delete them (made after the roles were)."""

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
                content_type__app_label="customers", codename__in=["view_savedfilter", "delete_savedfilter"]
            )
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_saved_filters")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
