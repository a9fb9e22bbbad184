"""Create the Sales rep, Manager and Admin groups with their permissions on customer records."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SALES_REP = [
    "view_customer",
    "add_customer",
    "change_customer",
    "view_interaction",
    "add_interaction",
    "change_interaction",
    "view_order",
    "view_orderitem",
    "view_product",
    "view_tag",
    "add_tag",
]
MANAGER = SALES_REP + ["view_all_customers", "export_customers", "delete_interaction", "change_tag"]
ADMIN_EXTRA = [
    ("auth", "view_user"),
    ("auth", "add_user"),
    ("auth", "change_user"),
    ("auth", "view_group"),
]


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations ran (post_migrate); make ours now so the
    # groups can be given them on a fresh database.
    for app_label in ("auth", "customers", "django_celery_beat"):
        config = apps.get_app_config(app_label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    customer_perms = Permission.objects.filter(content_type__app_label="customers")

    rep, _ = Group.objects.get_or_create(name="Sales rep")
    rep.permissions.add(*customer_perms.filter(codename__in=SALES_REP))
    manager, _ = Group.objects.get_or_create(name="Manager")
    manager.permissions.add(*customer_perms.filter(codename__in=MANAGER))
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*customer_perms)
    # Admins schedule retraining, which django-celery-beat keeps in the database.
    admin.permissions.add(*Permission.objects.filter(content_type__app_label="django_celery_beat"))
    for app_label, codename in ADMIN_EXTRA:
        admin.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Sales rep", "Manager", "Admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
