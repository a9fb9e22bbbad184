"""Extension points: places on a page where other apps put panels, so the page's app never imports them
(imports point customers <- insights <- recommendations). NetBox's plugins work the same way.

A page owns a `PanelSlot` (the customer profile's lives in customers/panels.py, the product page's beside it, the
worklist's and the dashboards' in insights/panels.py); an app registers its panels there from its
`AppConfig.ready()`::

    PRODUCT_PANELS.register("forecast", "recommendations/panels/forecast.html", forecast_context, order=20)

The page renders every registered panel in `order` (then name). The context function gets the request and the
page's subject (a customer, a product, the user) and returns the template's context, or None to leave the panel
out. A panel that fails is logged and replaced by a short notice, so one app's bug does not take the page down.
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
class Panel:
    """A registered panel: a unique name, a template, the function that makes its context, and its place."""

    name: str
    template_name: str
    context_function: ContextFunction
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    """A panel rendered for one subject, ready for the page's template."""

    name: str
    html: SafeString


class PanelSlot:
    """One page's place for panels. `subject` is the name the panel templates know the page's object by."""

    def __init__(self, page: str, subject: str):
        self.page = page
        self.subject = subject
        self._registry: dict[str, Panel] = {}

    def register(self, name: str, template_name: str, context_function: ContextFunction, order: int = 100) -> Panel:
        """Add a panel. Registering a name twice is a mistake and raises ValueError."""
        if name in self._registry:
            raise ValueError(f"A panel named {name!r} is already registered on the {self.page}.")
        panel = Panel(name, template_name, context_function, order)
        self._registry[name] = panel
        return panel

    def unregister(self, name: str) -> None:
        """Remove a panel (tests use this to clean up); unknown names are ignored."""
        self._registry.pop(name, None)

    def panels(self) -> list[Panel]:
        """The registered panels in display order."""
        return sorted(self._registry.values(), key=lambda panel: (panel.order, panel.name))

    def render(self, request: HttpRequest, subject) -> list[RenderedPanel]:
        """Render every registered panel for `subject`, in order, skipping those whose context is None."""
        rendered = []
        for panel in self.panels():
            try:
                context = panel.context_function(request, subject)
                if context is None:
                    continue
                html = render_to_string(panel.template_name, {self.subject: subject, **context}, request=request)
            except Exception:
                if settings.DEBUG:
                    raise
                logger.exception("Panel %r of the %s failed for %r", panel.name, self.page, subject)
                html = render_to_string("includes/panel_failed.html", {"panel": panel}, request=request)
            rendered.append(RenderedPanel(panel.name, html))  # render_to_string returns safe (escaped) HTML
        return rendered
