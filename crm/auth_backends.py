"""Django's ModelBackend with each user's permissions kept in the cache between requests.

ModelBackend reads a user's permissions with two queries (the user's own and their groups') the first time a
request asks, which every page here does (who sees which customers is a permission). They change only when an
admin edits a user, a group or a permission, so they are cached; crm/signals.py drops the entries of the users a
change touches, or moves the version every entry is kept under on (a group's or a permission's own change), and
the next request reads them afresh on every web process, since the entries live in the shared cache.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

VERSION_KEY = "auth:permissions:version"
CACHE_SECONDS = 3600


def _key(user_pk: int, version: int) -> str:
    return f"auth:permissions:{version}:{user_pk}"


def current_version() -> int:
    """The version the cached permissions are kept under (set to 1 the first time it is asked for)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY, 1)
    return version


def forget_user_permissions(user_pk: int) -> None:
    """Drop one user's cached permissions (their groups or own permissions changed, or their account did)."""
    cache.delete(_key(user_pk, current_version()))


def forget_all_permissions() -> None:
    """Move the version on, so every user's permissions are read from the database again."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # never set (or evicted): any new value leaves the old entries unread
        cache.set(VERSION_KEY, 2, None)


class CachedPermissionsBackend(ModelBackend):
    """ModelBackend whose `get_all_permissions` comes from the cache when it can (one round trip)."""

    def get_all_permissions(self, user_obj, obj=None):
        """The user's permissions as "app_label.codename" strings, as ModelBackend answers them."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            key = _key(user_obj.pk, current_version())
            cached = cache.get(key)
            if cached is None:
                cached = super().get_all_permissions(user_obj)
                cache.set(key, cached, CACHE_SECONDS)
            user_obj._perm_cache = set(cached)
        return user_obj._perm_cache
