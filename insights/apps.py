from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Segments, customer value, churn and the model-run lifecycle; adds the health card to the profile and the
    model filters and columns to the customer list."""

    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from insights.families.base import register
        from insights.families.churn import ChurnFamily
        from insights.families.segments import SegmentsFamily
        from insights.families.sentiment import SentimentFamily
        from insights.families.value import ValueFamily

        for family in (SegmentsFamily, ValueFamily, ChurnFamily, SentimentFamily):
            register(family)

        from customers.panels import register_profile_panel
        from insights.panels import (
            DASHBOARD_PANELS,
            WORKLIST_PANELS,
            communication_context,
            complaints_context,
            health_context,
            next_actions_context,
        )

        register_profile_panel("health", "insights/panels/health.html", health_context, order=10)
        register_profile_panel("communication", "insights/panels/communication.html", communication_context, order=15)
        WORKLIST_PANELS.register("complaints", "insights/panels/complaints.html", complaints_context, order=5)
        DASHBOARD_PANELS.register("next_actions", "insights/panels/next_actions.html", next_actions_context, order=5)

        from insights import list_filters, publishing

        publishing.remember_during_requests()  # each request reads the active runs once

        list_filters.register()  # segment, churn and value filters, columns and sorts on the customer list

        from django.db.models.signals import post_save

        from customers.models import Interaction, Order
        from insights import signals

        # Orders and interactions saved one at a time (pages, API, admin) re-score their customer; an import, which
        # writes with SQL, re-scores the customers it touched in chunks (customers.signals.records_imported).
        post_save.connect(signals.order_saved, sender=Order, dispatch_uid="insights-rescore-order")
        post_save.connect(signals.interaction_saved, sender=Interaction, dispatch_uid="insights-rescore-interaction")

        from customers.privacy import register_export_section
        from insights.privacy import model_results, next_actions

        # A customer's data export holds every score, segment and recommendation of every kept run, and the next
        # best actions suggested for them.
        register_export_section("model_results", model_results)
        register_export_section("next_actions", next_actions)

        from customers.signals import data_replaced, profiling_consent_changed, rates_imported, records_imported

        records_imported.connect(signals.records_imported, dispatch_uid="insights-rescore-import")
        rates_imported.connect(signals.rates_imported, dispatch_uid="insights-rescore-rates")
        # Demo data seeded again over the old (seed_demo --replace): the runs learned from the old data go.
        data_replaced.connect(signals.data_replaced, dispatch_uid="insights-discard-runs-on-replace")

        # Withdrawn consent removes the customer's scores in the same transaction; consent given again scores them.
        profiling_consent_changed.connect(signals.consent_changed, dispatch_uid="insights-rescore-consent")
