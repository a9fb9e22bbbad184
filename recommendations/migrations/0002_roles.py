"""Once gave the roles the recommendations app's permissions. The roles are now declared in crm/roles.py and synced
after every migrate (crm.roles.sync_roles); this migration stays, without operations, for the migrations after it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0001_initial"), ("customers", "0002_roles")]

    operations = []
