"""docker-compose.yml, the Dockerfile and .dockerignore describe the production stack we document: postgres and
redis with healthchecks, a one-shot migrate, then web (gunicorn), worker and beat from one image built from the
hash-pinned lock. `docker compose config` checks the file where the client has compose; PyYAML checks the rest."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ["migrate", "web", "worker", "beat"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or the standalone `docker-compose`, whichever this machine has."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


COMPOSE = _compose_command()


@pytest.mark.skipif(COMPOSE is None, reason="no docker compose on this machine")
def test_docker_compose_accepts_the_file():
    env = {**os.environ, "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "crm.example.com"}
    result = subprocess.run(
        [*COMPOSE, "-f", "docker-compose.yml", "config", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_it_runs_the_five_services_and_a_migration(services):
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}


def test_the_servers_are_postgres_16_and_redis_7_with_healthchecks(services):
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]


def test_the_servers_publish_only_on_loopback(services):
    for name in ("postgres", "redis"):
        assert all(port.startswith("127.0.0.1:") for port in services[name]["ports"]), name


def test_the_app_services_share_one_image_built_here(services):
    for name in APP_SERVICES:
        assert services[name]["build"] == ".", name
        assert services[name]["image"] == "lodestar-crm:latest", name


def test_each_app_service_runs_its_own_command(services):
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["web"]["command"][:2] == ["gunicorn", "crm.wsgi"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "crm", "worker"]
    beat = services["beat"]["command"]
    assert beat[:4] == ["celery", "-A", "crm", "beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in beat


def test_the_web_server_listens_on_8000(services):
    assert services["web"]["ports"] == ["${WEB_PORT:-8000}:8000"]
    assert "0.0.0.0:8000" in services["web"]["command"]


def test_the_app_runs_in_production_mode_against_the_servers(services):
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DEBUG"] == "0"
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert env["CACHE_URL"] == "redis://redis:6379/1"
        assert env["SECRET_KEY"] == "${SECRET_KEY:-}"  # from .env; empty makes Django refuse to start
        assert env["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS")


def test_every_app_variable_is_one_the_settings_read(services):
    settings = (ROOT / "crm" / "settings.py").read_text()
    for name in services["web"]["environment"]:
        assert f'"{name}"' in settings, f"{name} is set in docker-compose.yml but crm/settings.py never reads it"


def test_the_app_waits_for_healthy_servers_and_a_finished_migration(services):
    assert services["migrate"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name


def test_the_migration_runs_once(services):
    assert services["migrate"]["restart"] == "no"


def test_data_lives_in_named_volumes(compose, services):
    assert set(compose["volumes"]) == {"postgres", "redis", "media"}
    for name in ("web", "worker"):
        assert "media:/app/var/media" in services[name]["volumes"]


def test_every_interpolation_is_well_formed():
    text = (ROOT / "docker-compose.yml").read_text()
    for match in re.finditer(r"\$\{([^}]*)\}", text):
        assert re.fullmatch(r"[A-Z_][A-Z0-9_]*(:?[-?].*)?", match.group(1)), match.group(0)


def test_the_image_installs_the_hashed_lock_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "\nFROM python:3.11-slim\n" in dockerfile
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert "\nUSER lodestar\n" in dockerfile
    assert 'CMD ["gunicorn", "crm.wsgi"' in dockerfile


def test_the_build_context_leaves_out_local_state_and_secrets():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "var", ".env"):
        assert entry in ignored
