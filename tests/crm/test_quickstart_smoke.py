"""The quick start, end to end, on the embedded default (SQLite, kombu's filesystem broker, a local-memory cache)
in a temporary folder: a fresh database migrates and takes demo data, a real Celery worker answers a ping, and
`manage.py quickstart` serves the sign-in page, stops everything on SIGTERM and fails when its worker dies.

These run real processes, so they take seconds, not milliseconds (marked slow)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# The process-tree checks read /proc; the suite runs on Linux (CI, docker), elsewhere they are skipped.
needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
FROM_OUTSIDE = {
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CACHE_URL",
    "LODESTAR_VAR_DIR",
    "MEDIA_ROOT",
}


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> dict[str, str]:
    """The environment of a new user's `make run`, with a migrated database holding 50 demo customers."""
    var = tmp_path_factory.mktemp("var")
    env = {key: value for key, value in os.environ.items() if key not in FROM_OUTSIDE}
    env.update(
        DJANGO_SETTINGS_MODULE="crm.settings",
        DEBUG="1",
        LODESTAR_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'lodestar.sqlite3'}",
        CELERY_BROKER_URL="filesystem://",
        PYTHONUNBUFFERED="1",
    )
    _manage(env, "migrate", "--noinput", timeout=300)
    _manage(env, "seed_demo", "--customers", "50", "--seed", "7", timeout=300)
    return env


def test_a_real_worker_answers_a_ping(embedded):
    var = Path(embedded["LODESTAR_VAR_DIR"])
    for folder in ("queue", "processed"):
        (var / "celery" / folder).mkdir(parents=True, exist_ok=True)
    log = var / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool=solo", "--loglevel=INFO"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env=embedded,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        result = _manage(embedded, "ping_worker", "--wait", "60", timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr + log.read_text()
        assert "Answered by celery@" in result.stdout
    finally:
        _stop(worker)


@needs_proc
def test_quickstart_starts_from_nothing_serves_the_sign_in_page_and_stops_on_sigterm(embedded, tmp_path):
    # As in a fresh clone: no var/ folder, so quickstart makes it, migrates and makes the demo data itself.
    var = tmp_path / "fresh" / "var"
    fresh = {**embedded, "LODESTAR_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var / 'lodestar.sqlite3'}"}
    port = _free_port()
    quickstart, log = _start_quickstart(fresh, port, tmp_path)
    try:
        assert _get_when_up(f"http://127.0.0.1:{port}/login/", quickstart, log) == 200
        # DEBUG is off in the web server: the styled 404, not Django's debug page with the URL map ...
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=10)
        page = missing.value.read().decode()
        assert missing.value.code == 404 and "We could not find that page" in page and "URLconf" not in page
        # ... and the static files are still served, by WhiteNoise.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/lodestar.css", timeout=10) as css:
            assert css.status == 200
        assert (var / "secret_key").exists()
        # quickstart announces itself once its own poll sees the port open, which may be a moment after ours.
        _wait_for_line(log, "Lodestar CRM is running at", quickstart)
        family = _descendants(quickstart.pid)
        assert len(family) >= 3, family  # web server, worker, beat (and their own children)
        quickstart.send_signal(signal.SIGTERM)
        assert quickstart.wait(timeout=30) == 0, log.read_text()
    finally:
        _stop(quickstart)
    output = log.read_text()
    assert "Demo data loaded." in output
    assert f"Lodestar CRM is running at http://127.0.0.1:{port}/" in output
    assert "Demo logins: alice (Sales rep), bob (Sales rep)" in output
    assert "password lodestar-demo unless you changed it" in output
    assert "Stopped." in output
    assert "No directory at" not in output  # WhiteNoise's start-up warning when var/staticfiles is missing
    assert not _accepts_connections(port)
    assert not [pid for pid in family if _alive(pid)], output


@needs_proc
def test_quickstart_stops_everything_and_fails_when_its_worker_dies(embedded, tmp_path):
    port = _free_port()
    quickstart, log = _start_quickstart(embedded, port, tmp_path)
    try:
        _get_when_up(f"http://127.0.0.1:{port}/login/", quickstart, log)
        workers = [pid for pid in _children(quickstart.pid) if b"worker" in _cmdline(pid)]
        assert len(workers) == 1, workers
        family = _descendants(quickstart.pid)
        os.kill(workers[0], signal.SIGKILL)
        assert quickstart.wait(timeout=30) == 1, log.read_text()
    finally:
        _stop(quickstart)
    output = log.read_text()
    assert "The worker stopped unexpectedly" in output
    assert not _accepts_connections(port)
    assert not [pid for pid in family if _alive(pid)], output


# Helpers ---------------------------------------------------------------------------------------------------------


def _manage(env, *args: str, timeout: float, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def _start_quickstart(env, port: int, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "quickstart.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "quickstart", "--port", str(port), "--customers", "50"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, log


def _get_when_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"quickstart exited with {process.returncode}:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {timeout} s:\n{log.read_text()}")


def _wait_for_line(log: Path, text: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert process.poll() is None, f"quickstart exited with {process.returncode}:\n{log.read_text()}"
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} did not appear within {timeout} s:\n{log.read_text()}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    """Always leave nothing behind: SIGTERM, then SIGKILL the process's whole group."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name sits in parentheses and may hold spaces: split after its closing parenthesis.
    return text[text.rindex(")") + 2 :].split()


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == str(pid):
                found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
