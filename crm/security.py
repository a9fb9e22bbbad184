"""Small pieces of the sign-in hardening (settings.py configures django-axes and django-csp)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip_behind_proxy(request: HttpRequest) -> str | None:
    """The client's address behind one reverse proxy (BEHIND_TLS_PROXY): the last one in X-Forwarded-For, which the
    proxy itself appends; what comes before it is whatever the client sent, which it may forge. Without the header
    (a request that did not come through the proxy), the connection's own address."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    return last or request.META.get("REMOTE_ADDR")


def locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """The page a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE), with status 429: who is locked,
    for how long and why, on either sign-in page."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "username": username,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)
