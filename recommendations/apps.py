from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    """Recommenders, association rules and product demand: trained as model families of the insights registry,
    shown on the customer profile and the product page through their extension points."""

    name = "recommendations"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from insights.families.base import register
        from recommendations.families.demand import DemandFamily
        from recommendations.families.recommend import RecommendationsFamily
        from recommendations.families.rules import RulesFamily

        for family in (RecommendationsFamily, RulesFamily, DemandFamily):
            register(family)

        from customers.panels import PRODUCT_PANELS, register_profile_panel
        from insights.panels import DASHBOARD_PANELS, WORKLIST_PANELS
        from recommendations import panels

        register_profile_panel(
            "recommendations", "recommendations/panels/recommended.html", panels.recommendations_context, order=20
        )
        register_profile_panel("basket", "recommendations/panels/basket.html", panels.basket_context, order=30)
        PRODUCT_PANELS.register(
            "bought_together", "recommendations/panels/product_rules.html", panels.product_rules_context, order=10
        )
        PRODUCT_PANELS.register("forecast", "recommendations/panels/forecast.html", panels.forecast_context, order=20)
        WORKLIST_PANELS.register("cross_sell", "recommendations/panels/cross_sell.html", panels.cross_sell_context)
        from insights.next_actions import register_offer_source
        from recommendations.queries import offer_products

        register_offer_source(offer_products)  # the worklist's "send an offer" names the recommended products
        DASHBOARD_PANELS.register(
            "what_will_sell", "recommendations/panels/what_will_sell.html", panels.what_will_sell_context
        )
