"""Settings parsers: good values parse, bad ones fail loudly and name the variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from crm.env import env_bool, env_int, env_list, env_str, parse_cache_url


@pytest.mark.parametrize("raw,expected", [("1", True), ("TRUE", True), ("yes", True), ("0", False), ("off", False)])
def test_booleans_parse(raw, expected):
    assert env_bool("DEBUG", not expected, environ={"DEBUG": raw}) is expected


def test_a_bad_boolean_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG='maybe' is not a boolean"):
        env_bool("DEBUG", False, environ={"DEBUG": "maybe"})


def test_a_missing_boolean_takes_the_default():
    assert env_bool("DEBUG", True, environ={}) is True


def test_a_bad_integer_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="CELERY_TASK_TIME_LIMIT='ten' is not a whole number"):
        env_int("CELERY_TASK_TIME_LIMIT", 5, environ={"CELERY_TASK_TIME_LIMIT": "ten"})


def test_an_integer_below_its_minimum_is_refused():
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 10"):
        env_int("X", 50, minimum=10, environ={"X": "3"})


def test_a_required_string_must_be_set():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        env_str("SECRET_KEY", None, environ={})


def test_lists_drop_blanks_and_spaces():
    assert env_list("ALLOWED_HOSTS", [], environ={"ALLOWED_HOSTS": " a.example , ,b.example"}) == [
        "a.example",
        "b.example",
    ]


def test_cache_urls():
    assert parse_cache_url("locmem://")["BACKEND"].endswith("LocMemCache")
    redis = parse_cache_url("redis://127.0.0.1:6379/1")
    assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/1"


def test_a_file_cache_url_names_its_folder():
    entry = parse_cache_url("file:///var/cache/lodestar")
    assert entry == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": "/var/cache/lodestar",
    }


def test_a_file_cache_url_must_name_an_absolute_folder():
    with pytest.raises(ImproperlyConfigured, match="must name an absolute folder"):
        parse_cache_url("file://relative/folder")


def test_an_unknown_cache_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL='memcache://x' has an unsupported scheme"):
        parse_cache_url("memcache://x")
