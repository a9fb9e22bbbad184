"""The quick start's children (web server, worker, beat) run with DEBUG off, as production does for users, but on
plain HTTP at 127.0.0.1, with their static files served by WhiteNoise and a secret key kept in var/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from crm.management.commands.quickstart import child_environment, secret_key

ROOT = Path(__file__).resolve().parents[2]
FROM_OUTSIDE = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "LODESTAR_QUICKSTART", "DATABASE_URL", "CACHE_URL"}
SHOWN = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "WHITENOISE_USE_FINDERS",
]


def _settings_of(env: dict[str, str]) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {SHOWN!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_secret_key_is_generated_once_into_var_and_kept(tmp_path):
    first = secret_key(tmp_path)
    assert len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert secret_key(tmp_path) == first


def test_the_quickstarts_children_run_with_debug_off_over_plain_http(tmp_path):
    outside = {key: value for key, value in os.environ.items() if key not in FROM_OUTSIDE}
    env = child_environment(
        {**outside, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "crm.settings", "LODESTAR_VAR_DIR": str(tmp_path)},
        tmp_path,
    )
    seen = _settings_of(env)
    assert seen["DEBUG"] is False
    assert seen["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
    assert "127.0.0.1" in seen["ALLOWED_HOSTS"]
    assert seen["SECURE_SSL_REDIRECT"] is False and seen["SESSION_COOKIE_SECURE"] is False
    assert seen["WHITENOISE_USE_FINDERS"] is True
    assert _settings_of(env)["SECRET_KEY"] == seen["SECRET_KEY"]  # the same after a restart


def test_a_secret_key_from_the_environment_wins(tmp_path):
    env = child_environment({"SECRET_KEY": "from-the-environment"}, tmp_path)
    assert env["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
