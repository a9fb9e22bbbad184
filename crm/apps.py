from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    """Project-wide pieces: roles, permission helpers, shared commands and pages."""

    name = "crm"
    verbose_name = "Lodestar"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from crm.roles import sync_roles_after_migrate
        from crm.search import register_sqlite_fold

        # A new SQLite connection gets the search's fold function (crm/search.py).
        connection_created.connect(register_sqlite_fold, dispatch_uid="crm.search.fold")

        # After every migrate (and every flush of a test database), the roles are what crm/roles.py declares.
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="crm.roles.sync")
