from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Segments, customer value, churn and the model-run registry (filled in by the Insights issue)."""

    name = "insights"
    verbose_name = "Insights"
