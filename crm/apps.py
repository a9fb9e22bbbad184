from django.apps import AppConfig


class CrmConfig(AppConfig):
    """Project-wide pieces: roles, permission helpers, shared commands and pages."""

    name = "crm"
    verbose_name = "Lodestar"

    def ready(self) -> None:
        from crm import signals

        signals.connect()
