"""Panels on the customer profile that other apps contribute, so `customers` never imports them.

An app registers its panels from its `AppConfig.ready()`::

    from customers.panels import register_profile_panel

    register_profile_panel("health", "insights/panels/health.html", health_context, order=10)

The profile renders every registered panel in `order` (then name). The context function gets the request and
the customer and returns the template's context, or None to leave the panel out for this customer. A panel
that fails is logged and replaced by a short notice, so one app's bug does not take the profile down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

logger = logging.getLogger(__name__)

ContextFunction = Callable[[HttpRequest, Any], "dict[str, Any] | None"]


@dataclass(frozen=True)
class ProfilePanel:
    """A registered panel: a unique name, a template, the function that makes its context, and its place."""

    name: str
    template_name: str
    context_function: ContextFunction
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    """A panel rendered for one customer, ready for the profile template."""

    name: str
    html: SafeString


_registry: dict[str, ProfilePanel] = {}


def register_profile_panel(
    name: str, template_name: str, context_function: ContextFunction, order: int = 100
) -> ProfilePanel:
    """Add a panel to the customer profile. Registering a name twice is a mistake and raises ValueError."""
    if name in _registry:
        raise ValueError(f"A profile panel named {name!r} is already registered.")
    panel = ProfilePanel(name, template_name, context_function, order)
    _registry[name] = panel
    return panel


def unregister_profile_panel(name: str) -> None:
    """Remove a panel (tests use this to clean up); unknown names are ignored."""
    _registry.pop(name, None)


def profile_panels() -> list[ProfilePanel]:
    """The registered panels in display order."""
    return sorted(_registry.values(), key=lambda panel: (panel.order, panel.name))


def render_profile_panels(request: HttpRequest, customer) -> list[RenderedPanel]:
    """Render every registered panel for `customer`, in order, skipping those whose context function
    returns None."""
    rendered = []
    for panel in profile_panels():
        try:
            context = panel.context_function(request, customer)
            if context is None:
                continue
            html = render_to_string(panel.template_name, {"customer": customer, **context}, request=request)
        except Exception:
            if settings.DEBUG:
                raise
            logger.exception("Profile panel %r failed for customer %s", panel.name, customer.pk)
            html = render_to_string("customers/panel_failed.html", {"panel": panel}, request=request)
        rendered.append(RenderedPanel(panel.name, html))  # render_to_string returns safe (escaped) HTML
    return rendered
