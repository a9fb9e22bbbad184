"""Once made the Sales rep, Manager and Admin groups. The roles are now declared in crm/roles.py and synced after
every migrate (crm.roles.sync_roles); this migration stays, without operations, for the migrations after it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = []
