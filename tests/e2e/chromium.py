"""Chromium, sign-in, console and axe helpers shared by the e2e fixtures and scripts/screenshots.py.

Plain Playwright (sync API) code: no Django import here, so the screenshot script can use it against
any running server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright

CHROMIUM_EXECUTABLE = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
# English names are the interface contract; a fixed locale keeps Accept-Language (and so the UI) English.
DEFAULT_CONTEXT_OPTIONS = {"locale": "en-US", "viewport": {"width": 1280, "height": 800}}

IMPACTS = ("minor", "moderate", "serious", "critical")


def launch_chromium(playwright: Playwright, **options) -> Browser:
    """Debian's Chromium (never a downloaded one) with flags that work in containers and CI."""
    return playwright.chromium.launch(executable_path=CHROMIUM_EXECUTABLE, args=CHROMIUM_ARGS, **options)


class SignInError(AssertionError):
    pass


def sign_in(page: Page, email: str, password: str, *, base_url: str = "") -> Page:
    """Sign in through the real login form; returns once the browser has left /login/.

    Raises SignInError with the page's error message when the form is shown again.
    """
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():  # success and failure both answer the POST with a new page
        page.get_by_role("button", name="Sign in").click()
    if urlsplit(page.url).path.rstrip("/").endswith("/login"):
        alerts = page.get_by_role("alert").all_inner_texts()
        reason = " ".join(" ".join(alerts).split()) or "no error message shown"
        raise SignInError(f"Signing in as {email} failed: {reason}")
    return page


def is_csp_violation(text: str) -> bool:
    """Chromium reports a blocked inline script/style/eval or off-policy URL as a console error."""
    return "Content Security Policy" in text or "Content-Security-Policy" in text


@dataclass
class BrowserLog:
    """Console messages and uncaught page errors of every page in the contexts attached to it."""

    messages: list[tuple[str, str, str]] = field(default_factory=list)  # (type, text, url)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> BrowserContext:
        context.on("console", self._on_console)
        context.on("weberror", lambda web_error: self.page_errors.append(str(web_error.error)))
        return context

    def _on_console(self, message: ConsoleMessage) -> None:
        # The resource the message is about (a failed load), else the page that logged it.
        url = (message.location or {}).get("url") or (message.page.url if message.page else "")
        self.messages.append((message.type, message.text, url))

    def errors(self) -> list[str]:
        return [f"{url}: {text}" for kind, text, url in self.messages if kind == "error"]

    def csp_violations(self) -> list[str]:
        return [f"{url}: {text}" for _kind, text, url in self.messages if is_csp_violation(text)]


def axe_violations(page: Page, *, context: str | list | dict | None = None,
                   disable_rules: tuple[str, ...] = ()) -> list[dict]:
    """Run the axe-core bundled with axe-playwright-python (offline) on the page; its violations."""
    page.wait_for_load_state("load")
    options: dict = {"resultTypes": ["violations"]}
    if disable_rules:
        options["rules"] = {rule: {"enabled": False} for rule in disable_rules}
    return Axe().run(page, context=context, options=options).response["violations"]


def at_least(violations: list[dict], min_impact: str) -> list[dict]:
    """The violations whose impact is min_impact or worse (unknown impacts count as the worst)."""
    floor = IMPACTS.index(min_impact)
    return [v for v in violations if IMPACTS.index(v.get("impact") or "critical") >= floor]


def format_violations(violations: list[dict]) -> str:
    """One block per rule: id, impact, help text, then each offending element's selector."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact') or 'unknown'}): {v.get('help', '')} [{v.get('helpUrl', '')}]")
        for node in v.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}" + (f" -- {summary}" if summary else ""))
    return "\n".join(lines)
