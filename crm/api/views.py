"""The API's own endpoint: a token for a username and password."""

from __future__ import annotations

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle


class ObtainToken(ObtainAuthToken):
    """POST a username and password, get the user's API token (`Authorization: Token <key>`). Throttled
    (`token` rate) so that it is no way around the sign-in page's limits."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
