from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    """Recommenders, association rules and demand (filled in by the Recommendations issue)."""

    name = "recommendations"
    verbose_name = "Recommendations"
