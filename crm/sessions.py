"""What a user sees when a form cannot be accepted because of the session: it ended (signed out, expired), or
the form's CSRF token is missing or stale. Either way nothing was saved, and the page says so in words with a
way back, instead of Django's technical 403 page or a sign-in that returns to an address only a form can use.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_ENDED = "Your session ended before the form was sent, so nothing was saved: sign in and try again."


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a styled 403 saying that nothing was saved and how to try again."""
    back = _same_site_referer(request)
    return render(request, "403_csrf.html", {"back": back, "reason": reason}, status=403)


def _same_site_referer(request: HttpRequest) -> str:
    """The path of the page the form was on, when the browser said and it is this site's; else ""."""
    referer = request.headers.get("referer", "")
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(referer)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class SessionEndedPostMiddleware:
    """A form posted after the session ended is redirected to sign in by `login_required`, with `next` set to the
    address it was posted to: after signing in, the browser would GET an address that only takes POST (405).
    Here `next` becomes the page the form was on, and the sign-in page says that nothing was saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only a POST made without a signed-in user: signing out also posts and lands on the sign-in page.
        signed_out = request.method == "POST" and not request.user.is_authenticated
        response = self.get_response(request)
        if (
            signed_out
            and response.status_code == 302
            and request.path != reverse("logout")
            and urlsplit(response.get("Location", "")).path == resolve_url(settings.LOGIN_URL)
        ):
            messages.warning(request, SESSION_ENDED)
            back = _same_site_referer(request) or resolve_url(settings.LOGIN_REDIRECT_URL)
            login = resolve_url(settings.LOGIN_URL)
            return HttpResponseRedirect(f"{login}?{urlencode({REDIRECT_FIELD_NAME: back})}")
        return response
