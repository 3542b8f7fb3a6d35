"""Browser tests: a live ASGI server, an in-thread Celery worker, Chromium and axe.

Every module here sets ``pytestmark = pytest.mark.e2e`` (skipped unless PostgreSQL and Redis answer).

    def test_agent_sees_queue(demo, login_page, axe_check):
        page = login_page(demo.agent)                      # signed in through /login/
        expect(page.get_by_role("link", name="Messages")).to_be_visible()
        axe_check(page)

Fixtures: ``asgi_server`` (base URL), ``celery_worker`` (opt-in), ``browser`` (session Chromium),
``browser_log``, ``new_page(**context_options)``, ``login_page(membership, password=PASSWORD)``,
``axe_check(page, min_impact="serious", context=None, disable_rules=())``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.factories import PASSWORD

from .chromium import (
    DEFAULT_CONTEXT_OPTIONS,
    BrowserLog,
    at_least,
    axe_violations,
    format_violations,
    launch_chromium,
    sign_in,
)
from .servers import LiveServer, celery_worker_running

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last.

    The sync Playwright API keeps an asyncio loop marked "running" in the main thread for as long as
    Chromium is open (the session), which breaks asyncio tests and Django's async-safety check for
    anything that would run after it. The sort is stable: the order within each group is kept.
    """
    items.sort(key=lambda item: Path(str(item.path)).resolve().is_relative_to(E2E_DIR))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 takes ~1.5 s per hash on a busy 2-core machine: every factory user and every sign-in
    pays it. Tests need no slow hash (the server thread shares these settings)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def asgi_server(transactional_db) -> Iterator[str]:
    """Base URL ("http://127.0.0.1:PORT") of uvicorn serving config.asgi:application (HTTP + websockets).

    Needs transactional_db: rows the test creates are committed, so the server's threads see them.
    """
    from config.asgi import application  # after the test database exists (the import checks the db)

    server = LiveServer(application)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (threads) on the services-mode Redis broker, queues purged first. Opt-in."""
    from config.celery import app

    with celery_worker_running(app) as worker:
        yield worker


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the session (Debian's /usr/bin/chromium; never `playwright install`)."""
    # The sync API runs an event loop in the main thread, and Django's ORM refuses to run where a
    # loop is running: the test's own ORM calls (factories, flushes) need this while Chromium is up.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = launch_chromium(playwright)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_log() -> BrowserLog:
    """Console messages and page errors of every page opened by new_page/login_page in this test."""
    return BrowserLog()


@pytest.fixture
def new_page(browser, asgi_server, browser_log) -> Iterator[Callable[..., Page]]:
    """new_page(**context_options) -> a page in a fresh context (own cookies) based at asgi_server.

    Relative URLs work: page.goto("/login/"). Contexts are closed at teardown, and the test fails if
    any page logged a Content-Security-Policy violation.
    """
    contexts = []

    def open_page(**context_options) -> Page:
        options = {**DEFAULT_CONTEXT_OPTIONS, "base_url": asgi_server, **context_options}
        context = browser_log.attach(browser.new_context(**options))
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    violations = browser_log.csp_violations()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations), pytrace=False)


@pytest.fixture
def login_page(new_page) -> Callable[..., Page]:
    """login_page(membership, password=PASSWORD, **context_options) -> a page signed in via the form."""

    def open_as(membership, *, password: str = PASSWORD, **context_options) -> Page:
        page = new_page(**context_options)
        return sign_in(page, membership.user.email, password)

    return open_as


@pytest.fixture
def axe_check() -> Callable[..., list[dict]]:
    """axe_check(page, min_impact="serious", context=None, disable_rules=()) -> all violations found.

    Fails with one line per rule (id, impact, help) and the selector of each element when any
    violation of min_impact or worse exists: by default serious/critical; pass min_impact="minor"
    for pages that are clean of every violation, so they stay that way.
    """

    def check(page: Page, *, min_impact: str = "serious", context=None, disable_rules=()) -> list[dict]:
        violations = axe_violations(page, context=context, disable_rules=tuple(disable_rules))
        failing = at_least(violations, min_impact)
        if failing:
            pytest.fail(
                f"axe: {len(failing)} accessibility rule(s) violated on {page.url}:\n"
                + format_violations(failing),
                pytrace=False,
            )
        return violations

    return check
