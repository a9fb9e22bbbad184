"""Refusing a page in words: a view that needs a permission the user lacks answers the styled 403 page
(templates/403.html) with a sentence saying what the page is for and who may open it, instead of a bare
"Forbidden". Only for pages a signed-in user can reach from a link or a bookmark; records the user may not see
still answer 404 (customers.models `visible_to`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def requires(permission: str, explanation: str) -> Callable:
    """Decorate a view: anonymous users go to sign in; signed-in users without `permission` get the 403 page
    with `explanation` (templates/403.html shows it as `exception`)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionDenied(explanation)
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate
