"""Small pieces of the hardening (settings.py configures django-axes, django-csp and django-auditlog): the client's
address behind the trusted proxies, the lockout page, and the audit trail's middleware that records that address."""

from __future__ import annotations

from auditlog.middleware import AuditlogMiddleware as _AuditlogMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _without_port(address: str) -> str:
    """`address` without a port: "203.0.113.9:4711" and "[2001:db8::1]:4711" as proxies may write them."""
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only as far as settings.TRUSTED_PROXIES reach.

    Each proxy appends the address it received the request from, so with n trusted proxies the n-th address from
    the right is the one the outermost proxy saw; anything left of it is whatever the client sent, which it may
    forge. With 0 (the default), or a header shorter than n (the request did not come through every proxy), the
    connection's own address (REMOTE_ADDR)."""
    trusted = settings.TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if trusted and len(forwarded) >= trusted:
        return _without_port(forwarded[-trusted])
    return request.META.get("REMOTE_ADDR")


class AuditlogMiddleware(_AuditlogMiddleware):
    """django-auditlog's middleware, recording the client's address as `client_ip` reads it. The library's own takes
    the left-most X-Forwarded-For address, which any client can write; its settings offer no trusted proxies (only
    AUDITLOG_DISABLE_REMOTE_ADDR, honoured here), and `get_extra_data`, a public method its own tests override, is
    where a subclass changes what a request records. X-Forwarded-Port is kept only when a proxy is trusted."""

    def get_extra_data(self, request: HttpRequest) -> dict:
        """What each log entry of this request records: who, and from which address and port."""
        data = super().get_extra_data(request)
        if not settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            data["remote_addr"] = client_ip(request)
        if not settings.TRUSTED_PROXIES:
            data["remote_port"] = None
        return data


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
