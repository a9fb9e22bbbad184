"""Project-wide views that belong to no app: the health check and /favicon.ico."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Answer 200 "ok" while the web process can serve requests: no database, cache or session is touched, so
    a container health check (docker-compose.yml) or a load balancer probe costs next to nothing and says only
    whether this process is alive. Benchmarks use it as the server's floor beside the real pages."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for by themselves (for a CSV download, a JSON answer, or before reading
    the page's <link rel="icon">): a permanent redirect to the icon among the static files, so the address
    never answers 404 and the icon is cached like any static file."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))
