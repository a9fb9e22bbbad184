"""Small typed parsers for settings read from the environment.

Each parser names the variable it read when the value is bad, so a typo in a deployment fails at start-up
with a message that says what to fix, instead of running with a silently wrong default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    return (os.environ if environ is None else environ).get(name)


def env_str(name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None) -> str:
    """Return the variable as text; without a default, a missing variable is an error."""
    value = _raw(name, environ)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    """Parse 1/0, true/false, yes/no, on/off (any case); anything else is an error."""
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Parse a whole number, optionally with a lower bound."""
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    return number


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    """Parse a comma-separated list, dropping blanks and surrounding spaces."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_cache_url(url: str, *, name: str = "CACHE_URL") -> dict:
    """Turn a cache URL into a Django CACHES entry.

    Supported: ``file:///absolute/folder``, ``locmem://[name]``, ``dummy://`` and ``redis://host:port/db`` (also
    ``rediss://``).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            raise ImproperlyConfigured(f"{name}={url!r} must name an absolute folder, e.g. file:///var/cache/lodestar.")
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": parts.path}
    if scheme == "locmem":
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": parts.netloc or "lodestar",
        }
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if scheme in {"redis", "rediss"}:
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}={url!r} has no host.")
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        entry: dict = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        prefix = options.pop("key_prefix", None)
        if prefix:
            entry["KEY_PREFIX"] = prefix
            entry["LOCATION"] = url.split("?", 1)[0]
        return entry
    raise ImproperlyConfigured(
        f"{name}={url!r} has an unsupported scheme {scheme!r}; use file://, locmem://, dummy:// or redis://."
    )
