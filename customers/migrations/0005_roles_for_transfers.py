"""Once gave the Admin role the import and export records. The roles are now declared in crm/roles.py and synced
after every migrate (crm.roles.sync_roles); this migration stays, without operations, for the migrations after it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_fewer_redundant_indexes")]

    operations = []
