"""The customers app's extension points (crm/panels.py): panels on the customer profile and on the product page
that other apps contribute, so `customers` never imports them. From an app's `AppConfig.ready()`::

    from customers.panels import register_profile_panel

    register_profile_panel("health", "insights/panels/health.html", health_context, order=10)
    PRODUCT_PANELS.register("forecast", "recommendations/panels/forecast.html", forecast_context)

Profile panel templates get the `customer`, product panel templates the `product`.
"""

from __future__ import annotations

from crm.panels import PanelSlot

PROFILE_PANELS = PanelSlot("customer profile", subject="customer")
PRODUCT_PANELS = PanelSlot("product page", subject="product")

register_profile_panel = PROFILE_PANELS.register
unregister_profile_panel = PROFILE_PANELS.unregister
profile_panels = PROFILE_PANELS.panels
render_profile_panels = PROFILE_PANELS.render
