from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Segments, customer value, churn and the model-run registry; adds the health card to the profile."""

    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from customers.panels import register_profile_panel
        from insights.panels import health_context

        register_profile_panel("health", "insights/panels/health.html", health_context, order=10)
