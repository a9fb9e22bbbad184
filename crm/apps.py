from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    """Project-wide pieces: roles, permission helpers, shared commands and pages."""

    name = "crm"
    verbose_name = "Lodestar"

    def ready(self) -> None:
        from crm.roles import sync_roles_after_migrate

        # After every migrate (and every flush of a test database), the roles are what crm/roles.py declares.
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="crm.roles.sync")
