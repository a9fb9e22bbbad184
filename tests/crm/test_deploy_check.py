"""Production settings pass Django's deployment checks with no warnings, and refuse to start without a secret."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "crm.example.com",
        "LODESTAR_VAR_DIR": str(tmp_path),
        **extra,
    }


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_no_warnings(tmp_path):
    result = _manage(_production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "Lodestar cannot start" in result.stderr and "Traceback" not in result.stderr


def test_the_migrations_check_needs_no_secret_key(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    result = _manage(env, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def _setting(env: dict[str, str], expression: str) -> str:
    result = _manage(env, "shell", "-c", f"from django.conf import settings; print({expression})")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's own line about automatic imports


def test_with_redis_sessions_are_cached(tmp_path):
    env = _production_env(tmp_path, CACHE_URL="redis://127.0.0.1:6379/0")
    assert _setting(env, "settings.SESSION_ENGINE") == "django.contrib.sessions.backends.cached_db"


def test_with_a_cache_per_process_nothing_that_must_be_shared_is_cached(tmp_path):
    env = _production_env(tmp_path, CACHE_URL="locmem://")
    assert _setting(env, "settings.SESSION_ENGINE") == "django.contrib.sessions.backends.db"
    # No permission cache shared across requests or processes: axes' lockout check, then RoleBackend (ModelBackend
    # reading permissions in one query, kept on the user object for one request).
    assert _setting(env, "settings.AUTHENTICATION_BACKENDS") == (
        "['axes.backends.AxesStandaloneBackend', 'crm.backends.RoleBackend']"
    )


def test_by_default_the_cache_is_a_folder_the_web_server_and_the_worker_share(tmp_path):
    env = {key: value for key, value in _production_env(tmp_path).items() if key != "CACHE_URL"}
    assert (
        _setting(env, "settings.CACHES['default']['BACKEND']") == "django.core.cache.backends.filebased.FileBasedCache"
    )
    assert _setting(env, "settings.CACHES['default']['LOCATION']") == str((tmp_path / "cache").resolve())
