"""/healthz/: a 200 "ok" for health checks and load balancers that touches neither the database nor the session,
answers plain HTTP even where every other page redirects to HTTPS, and needs no sign-in."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_it_answers_ok_without_a_sign_in(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain"


def test_it_makes_no_database_query(db, client, django_assert_num_queries):
    # The other tests here run without database access at all (pytest-django would refuse a query); this counts.
    with django_assert_num_queries(0):
        assert client.get("/healthz/").status_code == 200


def test_it_sets_no_cookie_and_is_never_cached(client):
    response = client.get("/healthz/")
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_head_and_refuses_post(client):
    assert client.head("/healthz/").status_code == 200
    assert client.post("/healthz/").status_code == 405


def test_it_answers_plain_http_where_other_pages_redirect_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    plain = Client()  # a fresh client loads the middleware with the setting above
    assert plain.get("/login/").status_code == 301
    assert plain.get("/healthz/").status_code == 200


def _production_server(tmp_path: Path, port: int) -> subprocess.Popen:
    """The web service's own gunicorn command (its config module included) under production settings (HTTPS
    redirect on, allowed hosts set), bound to `port` on loopback."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "crm.example.com,localhost",
        "LODESTAR_VAR_DIR": str(tmp_path),
        "WEB_CONCURRENCY": "1",
    }
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    assert command[0] == "gunicorn"
    command = [sys.executable, "-m", *command]
    command[command.index("0.0.0.0:8000")] = f"127.0.0.1:{port}"
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _healthcheck(port: int) -> subprocess.CompletedProcess:
    """Run the web service's compose health check, pointed at `port`, with the container's ALLOWED_HOSTS."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    env = {**os.environ, "ALLOWED_HOSTS": "crm.example.com,localhost"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.slow
def test_the_compose_health_check_passes_against_a_production_server(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = _production_server(tmp_path, port)
    try:
        deadline = time.monotonic() + 60
        while (result := _healthcheck(port)).returncode and time.monotonic() < deadline:
            assert server.poll() is None, "gunicorn exited"
            time.sleep(0.5)
        assert result.returncode == 0, result.stderr
        # The check names an allowed host: without it the same server answers 400 and the check would fail.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz/", headers={"Host": "elsewhere.example.org"})
        assert conn.getresponse().status == 400
        conn.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert _healthcheck(port).returncode != 0  # and it fails once the server is gone
