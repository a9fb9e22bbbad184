"""Browser tests: Playwright (Python) drives Debian's chromium (/usr/bin/chromium, never a downloaded build) against
pytest-django's live_server, which runs the app in a thread of this process and serves the static files through
django.contrib.staticfiles' handler, as StaticLiveServerTestCase does.

Each test gets a fresh browser context (its own cookies) and a `Tab` that records every console error, uncaught
page error, failed request and HTTP error answered while it was open, so a test can assert that a page loaded
cleanly. Screenshots go to test-artifacts/screenshots/ (gitignored; `make clean` removes it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
# Headless and quiet: without the background-networking flags chromium tries to reach Google's services, which this
# machine refuses (and which no test should depend on); --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000  # generous: the machine has two cores shared with other work


class Tab:
    """A browser page on the live server that notes what went wrong while it was open."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.problems: list[tuple[str, str]] = []  # (url, what happened)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append((page.url, f"uncaught error: {error}")))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, message) -> None:
        """Console errors only: chromium also reports here a resource that failed to load."""
        if message.type == "error":
            self.problems.append((message.location.get("url", ""), f"console error: {message.text}"))

    def _request_failed(self, request) -> None:
        """A request that failed, except an asset whose load the browser cancelled (net::ERR_ABORTED) because the
        page went on to another one, as a click on a form's button does while a deferred script is still loading
        (seen in CI: picker.js). An asset that is missing still answers 404, which `_response` notes."""
        if request.failure == "net::ERR_ABORTED" and request.resource_type != "document":
            return
        self.problems.append((request.url, f"request failed: {request.method} {request.failure}"))

    def _response(self, response) -> None:
        """Any 4xx or 5xx answer, the page itself or one of its assets."""
        if response.status >= 400:
            self.problems.append((response.url, f"HTTP {response.status}"))

    def open(self, path: str):
        """Go to `path` on the live server and wait until the page and its assets have loaded."""
        return self.page.goto(self.base_url + path, wait_until="load")

    def screenshot(self, name: str) -> Path:
        """Save the whole page as test-artifacts/screenshots/<name>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def assert_clean(self, except_url: str | None = None) -> None:
        """No console error, page error, failed request or HTTP error, except those about `except_url` (a page
        that is meant to answer an error status, whose console then reports the failed load)."""
        problems = [f"{what} ({url})" if url else what for url, what in self.problems if url != except_url]
        assert not problems, "the browser saw problems:\n" + "\n".join(problems)


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """Passwords hashed with a fast hasher in these tests: the default one costs most of a second per persona on
    a busy two-core machine, several times a test. The login form still checks the real password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser(live_server) -> Iterator:
    """A headless chromium for one test (starting it takes about a second).

    Playwright's sync API keeps an asyncio event loop running in the test thread while it is started, and that
    changes two things for Django in that thread:
    - its async-safety check refuses every ORM call made there (factories, personas, assertions on the database)
      with SynchronousOnlyOperation. These calls are plain blocking code, not coroutines, so the check is switched
      off while the browser runs, for these tests only, and put back afterwards. The app itself runs in
      live_server's threads, where no loop runs and the check stays on;
    - database connections are then kept per asyncio context rather than per thread, so the ORM opens a second
      connection beside the one pytest-django prepared. Hence one browser per test, started after the test
      database is ready (it depends on live_server, which brings transactional_db) and stopped before it is
      flushed, so that the flush and the restore of the migrations' data (serialized_rollback) run on the
      prepared connection; and the second connection is closed before the loop stops, or it would stay open and
      keep the test database from being dropped."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def context(browser, live_server):
    """A fresh browser profile (no cookies) for one test, at a laptop's window size."""
    # Reduced motion: the charts draw at once instead of animating, so what is checked and shot is the final state.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def tab(context, live_server) -> Tab:
    """A page on the live server that records what went wrong while it was open."""
    return Tab(context.new_page(), live_server.url)


@pytest.fixture
def sign_in(context, live_server):
    """sign_in(user): give the browser a signed-in session for `user` without the login form (the form itself is
    tested once, in the rep's journey)."""

    def _sign_in(user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return _sign_in
