"""Pages under load: gunicorn with production settings on the bench database, driven by wrk on localhost.

Each endpoint gets requests per second and the p50/p99 latency at a fixed number of open connections (closed
loop: every connection sends its next request when the last one is answered), beside /healthz/, a view that
touches neither the database nor the session, served by the same server in the same run. The server, the load
generator and PostgreSQL share this machine's cores, as on a small single-box install, so the rates depend on
whatever else runs: each endpoint also gets the CPU time per request of the web workers and of their database
sessions, which does not, and the load average before and after is in the notes.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import Context, Row, _load, register

WRK_MISSING = "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)"
FAMILIES = ("segments", "value", "churn")
PROFILE_IDS = 200  # distinct customers the profile endpoint rotates through
SEARCH_TERM = "smith"  # a common surname in the demo data: about 1,300 of 100,000 customers match
WARM_UP_SECONDS = 3
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/1"
# Tables the pages read. This PostgreSQL may run with autovacuum off (it is off on the shared development
# box); production's autovacuum would have vacuumed them after the bulk load, so the bench does it first.
VACUUMED = (
    "customers_customer",
    "customers_order",
    "customers_orderitem",
    "customers_interaction",
    "customers_customer_tags",
    "insights_modelrun",
    "insights_churnscore",
    "insights_customervalue",
    "insights_customersegment",
    "django_session",
)


@dataclass(frozen=True)
class Endpoint:
    """One measured endpoint: its row name, the paths wrk cycles through and who is signed in ("" for nobody)."""

    name: str
    paths: tuple[str, ...]
    login: str = ""


@register("pages", order=40)
def pages(ctx: Context) -> Iterator[Row]:
    """The list and profile pages under load beside /healthz/, at ctx.pages_concurrency connections for
    ctx.pages_duration seconds each (after a short untimed warm-up)."""
    from benchmarks.database import _connect
    from crm.roles import DEMO_PASSWORD

    binary = shutil.which("wrk")
    if binary is None:
        yield Row("pages skipped", "skipped", "", WRK_MISSING)
        return
    ctx.ensure_seeded()
    trained = _ensure_active_runs(ctx)
    endpoints = _endpoints()
    cache_url = ctx.env.get("CACHE_URL", "")
    if not cache_url.startswith(("redis://", "rediss://")):
        cache_url = DEFAULT_CACHE_URL  # production runs on Redis; locmem would flatter a multi-process server
    load_before = _load_average()
    with _connect(ctx.database_url) as meter_db:
        meter_db.execute(f"VACUUM (ANALYZE) {', '.join(VACUUMED)}")
        # Every request renders its page, as a user's first look at it does (no page is kept between requests).
        with (
            tempfile.TemporaryDirectory(prefix="lodestar-pages-") as folder,
            _load.gunicorn(ctx.env, ctx.database_url, cache_url, folder) as server,
        ):
            logins = sorted({e.login for e in endpoints if e.login})
            cookies = {login: _load.sign_in(server.port, login, DEMO_PASSWORD) for login in logins}
            for endpoint in endpoints:
                headers = {"Cookie": cookies[endpoint.login]} if endpoint.login else {}
                yield from _measure(ctx, binary, server, meter_db, endpoint, headers, Path(folder))
            for cookie in cookies.values():
                _load.sign_out(server.port, cookie)
    options = os.environ.get("GUNICORN_CMD_ARGS", "").strip() or "crm/gunicorn_conf.py"
    yield Row(
        "pages setup",
        f"c={ctx.pages_concurrency}",
        "",
        f"wrk 1 thread, {ctx.pages_concurrency} connections, {ctx.pages_duration} s per endpoint; gunicorn "
        f"{options}; {ctx.customers:,} customers; {trained}; every request renders (uncached); "
        f"load average {load_before} before, "
        f"{_load_average()} after",
    )


def _measure(ctx: Context, binary: str, server, meter_db, endpoint: Endpoint, headers: dict, folder: Path):
    """Check, warm up and measure one endpoint; its rows."""
    for path in endpoint.paths[:3]:  # a redirect to the login page would be fast and wrong
        status = _load.request(server.port, "GET", path, headers)[0]
        if status != 200:
            raise RuntimeError(f"{endpoint.name}: GET {path} answered HTTP {status}, not 200.")
    paths_file = folder / f"{len(list(folder.iterdir()))}.paths"
    paths_file.write_text("\n".join(endpoint.paths) + "\n")
    connections = ctx.pages_concurrency
    _load.wrk(binary, server.url, paths_file, headers, connections, WARM_UP_SECONDS)
    with (
        _load.CpuMeter(lambda: _load.worker_pids(server.process.pid)) as web_cpu,
        _load.CpuMeter(lambda: _load.database_pids(meter_db)) as db_cpu,
    ):
        result = _load.wrk(binary, server.url, paths_file, headers, connections, ctx.pages_duration)
    notes = f"{len(endpoint.paths)} paths" if len(endpoint.paths) > 1 else endpoint.paths[0]
    if result.errors:
        notes += f"; {result.errors:,} errors (non-2xx/3xx, timeouts or socket errors)"
    if not result.requests:
        notes += f"; no response within {ctx.pages_duration} s"
    yield Row(f"{endpoint.name} req/s", result.rate, "req/s", notes)
    yield Row(f"{endpoint.name} p50", result.p50_ms, "ms", "")
    yield Row(f"{endpoint.name} p99", result.p99_ms, "ms", "")
    if result.requests and web_cpu.seen:
        web, db = web_cpu.seconds * 1000 / result.requests, db_cpu.seconds * 1000 / result.requests
        yield Row(f"{endpoint.name} CPU/request", web + db, "ms", f"web workers {web:.1f} ms, PostgreSQL {db:.1f} ms")


def _endpoints() -> list[Endpoint]:
    """The trivial view, the manager's list (first page, a deep page, a search), a rep's list and a rep's
    profiles (a rotating set of the customers the rep owns)."""
    from customers.models import Customer
    from customers.views.list import PAGE_SIZE

    pages = max(1, math.ceil(Customer.objects.count() / PAGE_SIZE))
    deep = max(1, pages * 9 // 10)
    owned = list(Customer.objects.filter(owner__username="alice").order_by("pk").values_list("pk", flat=True))
    if not owned:
        raise RuntimeError("The demo rep alice owns no customers: seed_demo --with-logins assigns them.")
    step = max(1, len(owned) // PROFILE_IDS)
    profiles = tuple(f"/customers/{pk}/" for pk in owned[::step][:PROFILE_IDS])
    return [
        Endpoint("healthz (floor)", ("/healthz/",)),
        Endpoint("list, manager, page 1", ("/customers/",), "charlie"),
        Endpoint(f"list, manager, page {deep:,}", (f"/customers/?page={deep}",), "charlie"),
        Endpoint("list, manager, search", (f"/customers/?{urlencode({'q': SEARCH_TERM})}",), "charlie"),
        Endpoint("list, rep, page 1", ("/customers/",), "alice"),
        Endpoint("profile, rep", profiles, "alice"),
    ]


def _ensure_active_runs(ctx: Context) -> str:
    """Make sure each family has an active run with scores for the seeded customers (the profile's health card
    and the list's columns read them): reuse those the retrain group (or an earlier run on the same data)
    published, and train the missing families with `retrain --in-process` (untimed). Returns what was done."""
    from insights.models import ChurnScore, CustomerSegment, CustomerValue

    results = {"segments": CustomerSegment, "value": CustomerValue, "churn": ChurnScore}

    def scored(family: str) -> bool:
        # Reseeding truncates the scores but leaves the runs: an active run without rows does not count.
        return results[family].objects.filter(run__family=family, run__is_active=True).exists()

    missing = [family for family in FAMILIES if not scored(family)]
    for family in missing:
        ctx.manage("retrain", "--family", family, "--as-of", ctx.end, "--in-process", "--verbosity", "0")
    unpublished = [family for family in missing if not scored(family)]
    if unpublished:  # failed: the card shows what it has, and the notes say so
        return f"no active {', '.join(unpublished)} run after retraining"
    return f"trained {', '.join(missing)} (retrain --in-process, untimed)" if missing else "active runs reused"


def _load_average() -> str:
    """The 1- and 5-minute load averages, as `uptime` shows them."""
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"
