from django.apps import AppConfig


class CrmConfig(AppConfig):
    """Project-wide pieces: roles, permission helpers, shared commands and pages."""

    name = "crm"
    verbose_name = "Lodestar"
