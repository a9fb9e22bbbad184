"""A few seconds' cache of whole pages per signed-in session ("micro-caching"), for the pages people reload and
page through all day: the customer list, the profile, the worklist, the dashboards.

A page is kept for `PAGE_CACHE_SECONDS` (15 with Redis and DEBUG off, else 0 = off) under the session, its CSRF
cookie and the full path, so it only ever goes back to the browser that asked for it, with a CSRF token valid
for that browser. What the user does is seen at once; what others do, within those seconds:

- any POST, PUT, PATCH or DELETE a session makes (logging a call, editing tags, marking done, saving in the
  admin) moves that session's version on (`PageCacheMiddleware`), so its next page is rendered afresh;
- any change to users, groups or permissions makes every kept page stale (`forget_all_pages`, called by
  crm/signals.py), so a revoked right, a new role or a deactivated account takes effect on the next request;
- a page showing messages ("Call logged") is never kept, nor one that is not a plain 200 or sets a cookie.

A hit costs the session, the user and one cache round trip; the view does not run.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HIT_HEADER = "X-Page-Cache"  # "hit" or "miss" on the pages that take part, for tests and for whoever looks
PERMISSIONS_VERSION_KEY = "pages:permissions:version"  # moved on by any change of who may do what


def _version_key(session_key: str) -> str:
    return f"pages:version:{session_key}"


def _page_key(request: HttpRequest, session_key: str) -> str | None:
    """The page's key, or None when the page must not be cached for this request."""
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not csrf_cookie:
        return None  # the page would set a new CSRF cookie: its token must go with it, not with a stored copy
    identity = f"{session_key}\n{csrf_cookie}\n{request.get_full_path()}".encode()
    return f"pages:page:{hashlib.sha256(identity).hexdigest()}"


def forget_session_pages(session_key: str | None) -> None:
    """Give the session a new version: every page stored for it so far is stale. A fresh random value rather
    than a count, so a version that expired and started again can never match a page stored under an old one;
    it outlives the pages stored under it."""
    if session_key:
        cache.set(_version_key(session_key), secrets.token_hex(8), max(settings.PAGE_CACHE_SECONDS, 1) * 4)


def forget_all_pages() -> None:
    """Every page kept so far, for every session, is stale: someone's rights changed. A fresh random value, as for
    a session's version; kept without expiry, since any page may be stored under it."""
    cache.set(PERMISSIONS_VERSION_KEY, secrets.token_hex(8), None)


def cache_page_per_session(view):
    """Decorate a view (under `login_required`) whose GET page may be served again to the same session for
    `PAGE_CACHE_SECONDS`."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = settings.PAGE_CACHE_SECONDS
        session_key = request.session.session_key if hasattr(request, "session") else None
        if (
            seconds <= 0
            or request.method not in ("GET", "HEAD")
            or not session_key
            or not request.user.is_authenticated
            or len(get_messages(request))  # counting does not mark them shown
        ):
            return view(request, *args, **kwargs)
        page_key = _page_key(request, session_key)
        if page_key is None:
            return view(request, *args, **kwargs)
        version_key = _version_key(session_key)
        found = cache.get_many([version_key, PERMISSIONS_VERSION_KEY, page_key])
        versions = (found.get(version_key, 0), found.get(PERMISSIONS_VERSION_KEY, 0))
        entry = found.get(page_key)
        if entry is not None and entry[0] == versions:
            response = HttpResponse(entry[1], content_type=entry[2])
            response[HIT_HEADER] = "hit"
            patch_cache_control(response, private=True)
            return response
        request.page_cache_versions = versions  # for what the view keeps for as long (cached_for)
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not len(get_messages(request))  # the view added one (shown on this page)
        ):
            cache.set(page_key, (versions, response.content, response["Content-Type"]), seconds)
            response[HIT_HEADER] = "miss"
        patch_cache_control(response, private=True)
        return response

    return wrapper


def cached_for_page(request: HttpRequest, key: str, compute):
    """`compute()`, kept for this session under `key` on the same terms as its pages: for a figure several
    pages share, such as the number of customers matching a filter while one pages through them. What the
    session changes is seen at once, what others change within PAGE_CACHE_SECONDS. Computed afresh when pages
    are not cached."""
    versions = getattr(request, "page_cache_versions", None)
    seconds = settings.PAGE_CACHE_SECONDS
    if versions is None or seconds <= 0:
        return compute()
    key = f"pages:figure:{request.session.session_key}:{key}"
    entry = cache.get(key)
    if entry is not None and entry[0] == versions:
        return entry[1]
    value = compute()
    cache.set(key, (versions, value), seconds)
    return value


class PageCacheMiddleware:
    """After any request that may change something (not GET, HEAD, OPTIONS or TRACE), the session's cached
    pages are stale."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and settings.PAGE_CACHE_SECONDS > 0 and hasattr(request, "session"):
            forget_session_pages(request.session.session_key)  # None after signing out: nothing to forget
        return response
