"""URLs of one pattern for many objects without a `reverse()` each: a page listing 50 customers reversed their
profile's URL 50 times, at a tenth of a millisecond apiece."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

_MARKER = 2_147_483_647  # an id no row has, to find where the argument goes


def path_for(viewname: str) -> Callable[[int], str]:
    """A function giving `reverse(viewname, args=[pk])` for any integer `pk`, from one `reverse()`; the pattern
    must take a single integer."""
    head, tail = reverse(viewname, args=[_MARKER]).split(str(_MARKER))
    return lambda pk: f"{head}{int(pk)}{tail}"
