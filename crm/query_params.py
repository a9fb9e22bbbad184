"""Control characters in query parameters are removed before any view reads them.

A NUL byte (`%00`) cannot be stored or compared by PostgreSQL (psycopg refuses the query), so a search for
`mug%00` used to answer 500 on every page that filters in SQL; other control characters (escape, bell...) are
never part of a search, a filter or a sort. One middleware covers every page, export, the admin and the API,
instead of a check in each view or FilterSet. Tab, carriage return and line feed become spaces, since a pasted
search may carry them; the rest are dropped. POST data is left to the forms: Django's form fields already
refuse a NUL with a field error.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_AS_SPACE = {"\t", "\n", "\r"}


def without_control_characters(text: str) -> str:
    """`text` with tab, CR and LF as spaces and every other C0 or C1 control character removed."""
    return _CONTROL.sub(lambda match: " " if match.group() in _AS_SPACE else "", text)


class QueryControlCharactersMiddleware:
    """Replace `request.GET` with a copy without control characters, when it holds any (keys or values)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pairs = [(key, value) for key, values in request.GET.lists() for value in values]
        if any(_CONTROL.search(key) or _CONTROL.search(value) for key, value in pairs):
            cleaned = [(without_control_characters(key), without_control_characters(value)) for key, value in pairs]
            request.GET = QueryDict(urlencode(cleaned), encoding=request.encoding)
        return self.get_response(request)
