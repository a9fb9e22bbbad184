"""Project-wide views that belong to no app: the health check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Answer 200 "ok" while the web process can serve requests: no database, cache or session is touched, so
    a container health check (docker-compose.yml) or a load balancer probe costs next to nothing and says only
    whether this process is alive. Benchmarks use it as the server's floor beside the real pages."""
    return HttpResponse("ok", content_type="text/plain")
