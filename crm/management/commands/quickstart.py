"""`manage.py quickstart [--port 8000] [--customers 2000]`: the whole product on one machine, for trying it out.

Migrates, makes demo data if the database has no customers, then runs the web server, a Celery worker and the
Celery beat scheduler as child processes and watches them: Ctrl-C (or SIGTERM) stops all three, and if one of them
dies the others are stopped and the command exits non-zero. `make run` calls this with DEBUG=1; the three children
run with DEBUG off (`child_environment`), so a user meets the styled 403 and 404 pages as in production, never
Django's debug pages with the URL map, and with a secret key generated once into var/secret_key.
"""

from __future__ import annotations

import errno
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

HOST = "127.0.0.1"
POLL_SECONDS = 0.25
# How long the web server may take to accept connections, and the children to stop after SIGTERM.
READY_TIMEOUT = 60.0
STOP_GRACE = 10.0


@dataclass
class Child:
    """A supervised child process; `group` says whether stopping it signals its whole process group (the web
    server's autoreloader runs the real server in a child of its own) or the leader alone (Celery's main process
    stops its pool itself)."""

    name: str
    popen: subprocess.Popen
    group: bool

    def signal(self, signum: int, *, group: bool | None = None) -> None:
        try:
            if self.group if group is None else group:
                os.killpg(self.popen.pid, signum)
            else:
                self.popen.send_signal(signum)
        except ProcessLookupError:
            pass


def prepare_local_folders() -> list[Path]:
    """Create the folders the embedded default writes to, which a fresh clone lacks: the SQLite database's, and
    the ones kombu's filesystem transport reads and writes (it fails on missing ones), and STATIC_ROOT (the quick
    start serves static/ through the finders, but WhiteNoise warns at start-up when the folder is missing)."""
    folders = [Path(settings.STATIC_ROOT)]
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) != ":memory:":
        folders.append(Path(database["NAME"]).parent)
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folders += [Path(options[key]) for key in ("data_folder_in", "data_folder_out", "processed_folder")]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders


def secret_key(var_dir: Path) -> str:
    """The quick start's SECRET_KEY: generated on the first run into var/secret_key (readable by this user only,
    never committed: var/ is ignored) and read back on later runs, so sessions survive a restart."""
    path = Path(var_dir) / "secret_key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(key + "\n")
    return key


def child_environment(environ: dict[str, str], var_dir: Path) -> dict[str, str]:
    """The environment of the web server, worker and beat: this one, with DEBUG off and the quick start's settings
    (crm/settings.py QUICKSTART: plain HTTP on 127.0.0.1, static files served by WhiteNoise from static/)."""
    env = {**environ, "PYTHONUNBUFFERED": "1", "DEBUG": "0", "LODESTAR_QUICKSTART": "1"}
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = secret_key(var_dir)
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # If quickstart itself is killed outright (SIGKILL), its children should not live on holding the port.
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Command(BaseCommand):
    help = "Quick start: migrate, make demo data if empty, then run the web server, a worker and beat together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Port for the web server (default 8000).")
        parser.add_argument(
            "--customers",
            type=int,
            default=2000,
            help="How many demo customers to make when the database has none (default 2000).",
        )

    def handle(self, *args, port: int, customers: int, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "quickstart runs Django's development server and is meant for trying Lodestar out: run it with "
                "DEBUG=1 (`make run` does). For production, see README.md (docker compose)."
            )
        _check_port_is_free(port)
        prepare_local_folders()
        self.stdout.write(self.style.MIGRATE_HEADING("Migrating the database"))
        call_command("migrate", interactive=False, verbosity=1, stdout=self.stdout)
        self._seed(customers)
        self._supervise(port)

    def _seed(self, customers: int) -> None:
        Customer = apps.get_model("customers", "Customer")
        if Customer.objects.exists():
            self.stdout.write("The database already has customers: keeping them, no demo data made.")
            return
        self.stdout.write(self.style.MIGRATE_HEADING(f"Making demo data ({customers} customers)"))
        try:
            call_command("seed_demo", customers=customers, stdout=self.stdout)
        except CommandError as exc:
            self.stderr.write(f"No demo data made: {exc}")
            return
        # Fresh demo data gets its first model runs straight away: the worker starting next trains them in the
        # background, so profiles show segments, value and risk within a minute (Admin > Model runs shows them).
        self.stdout.write(self.style.MIGRATE_HEADING("Queueing the first model training"))
        call_command("retrain", stdout=self.stdout)

    def _supervise(self, port: int) -> None:
        stop_requests = []

        def request_stop(signum, frame) -> None:
            stop_requests.append(signum)

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        children: list[Child] = []
        failed = None
        try:
            children = self._start_children(port)
            failed = self._watch(children, port, stop_requests)
        finally:
            self._stop(children, stop_requests)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed is not None:
            raise CommandError(
                f"The {failed.name} stopped unexpectedly (exit code {failed.popen.returncode}), "
                "so the others were stopped too. Its output above says why."
            )
        self.stdout.write("Stopped.")

    def _start_children(self, port: int) -> list[Child]:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "crm"]
        commands = [
            ("web server", [python, str(settings.BASE_DIR / "manage.py"), "runserver", f"{HOST}:{port}"], True),
            (
                "worker",
                [
                    *celery,
                    "worker",
                    "--loglevel=INFO",
                    "--pool=prefork",
                    # Two processes: the first training trains the customer and the product families side by side
                    # (SQLite in WAL mode queues their short writes; see settings.DATABASES).
                    "--concurrency=2",
                    "--hostname=quickstart@%h",
                    # One worker on one machine: no other workers to gossip or synchronise with.
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                False,
            ),
            (
                "scheduler (beat)",
                [*celery, "beat", "--loglevel=INFO", "--scheduler", settings.CELERY_BEAT_SCHEDULER],
                False,
            ),
        ]
        env = child_environment(dict(os.environ), settings.VAR_DIR)
        children = []
        for name, argv, group in commands:
            popen = subprocess.Popen(
                argv,
                cwd=settings.BASE_DIR,
                env=env,
                # A session of its own: the terminal's Ctrl-C reaches only us, and each child is told to stop
                # exactly once (a second SIGINT would make Celery abandon the task in hand).
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            children.append(Child(name, popen, group))
        return children

    def _watch(self, children: list[Child], port: int, stop_requests: list[int]) -> Child | None:
        """Wait until a stop is requested (returns None) or a child dies (returns it)."""
        announced = False
        started = time.monotonic()
        while not stop_requests:
            for child in children:
                if child.popen.poll() is not None:
                    return child
            if not announced and _accepts_connections(port):
                self._announce(port)
                announced = True
            elif not announced and time.monotonic() - started > READY_TIMEOUT:
                self.stderr.write(f"The web server has not answered on port {port} after {READY_TIMEOUT:g} s.")
                announced = True
            time.sleep(POLL_SECONDS)
        return None

    def _announce(self, port: int) -> None:
        url = f"http://{HOST}:{port}/"
        lines = ["", self.style.SUCCESS(f"Lodestar CRM is running at {url}  (sign in at {url}login/)")]
        lines += self._demo_logins()
        lines += [
            f"Admin: {url}admin/. The worker and the scheduler (beat) run beside the web server.",
            "Press Ctrl-C to stop all three.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _demo_logins(self) -> list[str]:
        """Name the demo logins (made by seed_demo) that exist."""
        # quickstart drives the whole product, so it may know the demo data's logins.
        from crm.roles import DEMO_PASSWORD, DEMO_USERS

        usernames = [username for username, *_ in DEMO_USERS]
        present = set(get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True))
        logins = [f"{username} ({role or 'Superuser'})" for username, role, *_ in DEMO_USERS if username in present]
        if not logins:
            return ["No demo logins: `.venv/bin/python manage.py createsuperuser` makes a user."]
        return [f"Demo logins: {', '.join(logins)}; password {DEMO_PASSWORD} unless you changed it."]

    def _stop(self, children: list[Child], stop_requests: list[int]) -> None:
        """SIGTERM every live child (Celery then shuts down warm), wait, and kill what is left: at once if a
        second Ctrl-C came, otherwise after STOP_GRACE seconds."""
        alive = [child for child in children if child.popen.poll() is None]
        if not alive:
            return
        self.stdout.write("\nStopping " + ", ".join(child.name for child in alive) + "...")
        self.stdout.flush()
        requests_before = len(stop_requests)
        for child in alive:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline and len(stop_requests) <= requests_before:
            if all(child.popen.poll() is not None for child in alive):
                break
            time.sleep(POLL_SECONDS)
        for child in children:
            # Also reaps what a dead leader left behind in its group (a pool process, the reloader's server).
            child.signal(signal.SIGKILL, group=True)
            child.popen.wait()


def _check_port_is_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # The web server sets SO_REUSEADDR too, so a socket lingering in TIME_WAIT does not count as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(f"Port {port} is already in use; choose another with --port.") from None
            raise


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False
