"""Tools for the pages benchmark (benchmarks/pages.py): gunicorn under production settings, signing in through
the login form, wrk with benchmarks/pages.lua, and the CPU time the server and its database sessions spend.

Not a benchmark group itself: modules whose names start with "_" are not discovered.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import ROOT

LUA_SCRIPT = Path(__file__).with_name("pages.lua")
APPLICATION_NAME = "lodestar-bench-pages"  # names the server's database sessions, so their CPU can be read
CONFIG_MODULE = ROOT / "crm" / "gunicorn_conf.py"
_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Result:
    """What wrk measured for one endpoint."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Server:
    """A running gunicorn: its base URL and port, and its master process (whose children are the workers)."""

    url: str
    port: int
    process: subprocess.Popen


def free_port() -> int:
    """A port nothing listens on now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_application_name(database_url: str) -> str:
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}application_name={APPLICATION_NAME}"


@contextmanager
def gunicorn(env: dict[str, str], database_url: str, cache_url: str, folder: str) -> Iterator[Server]:
    """Run gunicorn as production would (DEBUG off, a random key, the Redis cache, an access log, the worker
    options of crm/gunicorn_conf.py unless GUNICORN_CMD_ARGS overrides them), on plain HTTP on 127.0.0.1,
    until the block ends."""
    port = free_port()
    env = {
        **env,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": _with_application_name(database_url),
        # A prefix of this run's own: no cached entry from an earlier run (an old active run id) is read back.
        "CACHE_URL": f"{cache_url.split('?', 1)[0]}?key_prefix=bench-pages-{secrets.token_hex(4)}",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "LODESTAR_VAR_DIR": folder,
    }
    # DEBUG off serves static files through their manifest, so they are collected first, as the image does.
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if collect.returncode:
        raise RuntimeError(f"collectstatic failed:\n{collect.stdout}\n{collect.stderr}")
    log = Path(folder) / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--access-logfile", str(Path(folder) / "access.log"), "--error-logfile", str(log)]
    if CONFIG_MODULE.exists():
        command += ["--config", "python:crm.gunicorn_conf"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(process, port, log)
        yield Server(f"http://127.0.0.1:{port}", port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    """Wait for /healthz/ to answer; fail with the server's log if it exits or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{_tail(log)}")
        try:
            if request(port, "GET", "/healthz/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz/ within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text()[-3000:] if log.exists() else "(no log)"


def request(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None):
    """One plain HTTP request to the local server: (status, headers as a list, body). The timeout is long: the
    server may still be answering the requests a load run left queued when it stopped."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The cookies a response sets, by name."""
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            found[key.strip()] = rest.split(";", 1)[0]
    return found


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form, as a browser does (the server makes the session with its own engine);
    return the Cookie header that carries the session."""
    status, headers, body = request(port, "GET", "/login/")
    csrf, token = _cookies(headers).get("csrftoken"), _TOKEN.search(body)
    if status != 200 or not csrf or not token:
        raise RuntimeError(f"The login page did not offer a CSRF token (HTTP {status}).")
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token[1].decode()})
    headers = {"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"}
    status, headers, _ = request(port, "POST", "/login/", headers, form)
    cookies = _cookies(headers)
    session = cookies.get("sessionid")
    if status != 302 or not session:
        raise RuntimeError(f"Signing in as {username} failed (HTTP {status}): is the demo password unchanged?")
    # Signing in gives a new CSRF cookie, which a browser keeps.
    return f"csrftoken={cookies.get('csrftoken', csrf)}; sessionid={session}"


def sign_out(port: int, cookie: str) -> None:
    """End the session (it would otherwise stay in the database or the cache for two weeks)."""
    _, _, body = request(port, "GET", "/customers/", {"Cookie": cookie})
    token = _TOKEN.search(body)
    if token:
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        request(port, "POST", "/logout/", headers, urlencode({"csrfmiddlewaretoken": token[1].decode()}))


def wrk(binary: str, url: str, paths_file: Path, headers: dict, connections: int, seconds: int) -> Result:
    """Run wrk (one thread: the server needs the cores more) and read the line pages.lua prints."""
    command = [binary, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA_SCRIPT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [url, "--", str(paths_file)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("PAGES_RESULT ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures = json.loads(line.removeprefix("PAGES_RESULT "))
    errors = sum(figures[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return Result(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=errors,
    )


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc), or None if it is gone or unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(master: int) -> list[int]:
    """gunicorn's workers: the processes whose parent is the master (Linux /proc)."""
    pids = []
    if not Path("/proc").is_dir():  # not Linux: no CPU figures
        return pids
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def database_pids(conn) -> list[int]:
    """The PostgreSQL backends serving the benchmarked server (named by application_name), found through
    `conn`, a psycopg connection of the meter's own (Django's connections belong to the thread that opened them)."""
    rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME])
    return [row[0] for row in rows.fetchall()]


class CpuMeter:
    """CPU seconds that a changing set of processes spends while the block runs, sampled twice a second (a
    process that starts in between counts from zero; one that ends loses at most its last half second).
    CPU time per request does not depend on how busy the machine is, unlike requests per second."""

    def __init__(self, pids: Callable[[], list[int]]):
        self._pids = pids
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, initial: bool = False) -> None:
        for pid in self._pids():
            seconds = _cpu_seconds(pid)
            if seconds is not None:
                self._first.setdefault(pid, seconds if initial else 0.0)
                self._last[pid] = seconds

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._sample(initial=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seen(self) -> bool:
        """Whether any process could be measured (none can without Linux's /proc)."""
        return bool(self._last)

    @property
    def seconds(self) -> float:
        """CPU seconds spent by the processes between the start and the end of the block."""
        return sum(self._last[pid] - self._first[pid] for pid in self._last)
