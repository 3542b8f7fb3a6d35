"""The web chat widget in a real browser: embedded on another origin, chatting live with an agent."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inbox.models import Channel
from tests import factories as f

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "data" / "test" / "screenshots"


class HostSite:
    """Someone else's website on 127.0.0.1 with its own port (so its own origin), embedding the widget."""

    def __init__(self) -> None:
        self.script_url = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                if self.path not in {"/", "/index.html"}:
                    self.send_error(404)
                    return
                body = (
                    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Corner Shop</title>'
                    f'<script src="{site.script_url}" async></script></head>'
                    "<body><main><h1>Corner Shop</h1><p>Fresh bread every morning.</p></main></body></html>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


def test_a_visitor_on_another_site_and_an_agent_chat_live(demo, asgi_server, celery_worker, new_page, login_page,
                                                           axe_check, browser_log):
    with host_site() as site:
        channel = f.make_channel(demo.workspace, "webchat", name="Corner Shop chat",
                                 config={"allowed_origins": [site.origin], "ask_name": True,
                                         "greeting": "Hello! How can we help?"})
        site.script_url = f"{asgi_server}/widget/{channel.uuid}.js"
        agent = login_page(demo.agent)
        expect(agent.get_by_role("link", name="Messages", exact=True)).to_be_visible()

        visitor = new_page()
        visitor.goto(site.origin + "/")
        visitor.get_by_role("button", name="Open chat").click()
        log = visitor.get_by_role("log", name="Conversation")
        expect(log).to_contain_text("Hello! How can we help?")
        visitor.get_by_label("Your name").fill("Wendy Visitor")
        visitor.get_by_role("button", name="Start chat").click()
        message_box = visitor.get_by_role("textbox", name="Message")
        expect(message_box).to_be_focused()
        expect(visitor.get_by_role("button", name="Attach files")).to_be_visible()
        expect(visitor.get_by_role("button", name="Send", exact=True)).to_be_visible()
        message_box.fill("Do you deliver on Sundays?")
        message_box.press("Enter")
        expect(log).to_contain_text("Do you deliver on Sundays?")
        expect(message_box).to_have_value("")
        axe_check(visitor)

        # The agent sees it arrive live in the queue, opens it and answers with Enter.
        row = agent.get_by_role("link", name=re.compile(r"^Wendy Visitor"))
        expect(row).to_be_visible(timeout=10_000)
        row.click()
        expect(agent.get_by_role("log", name="Conversation history")).to_contain_text("Do you deliver on Sundays?")
        composer = agent.get_by_role("textbox", name="Message")
        composer.fill("Yes, from 9 to 13. Anything else?")
        composer.press("Enter")

        expect(log).to_contain_text("Yes, from 9 to 13. Anything else?", timeout=15_000)
        expect(log).to_contain_text(demo.agent.display_name)

        # A returning visitor (same browser storage) continues as the same contact, history included.
        visitor.reload()
        visitor.get_by_role("button", name="Open chat").click()
        expect(log).to_contain_text("Yes, from 9 to 13. Anything else?")
        expect(visitor.get_by_label("Your name")).to_be_hidden()
        message_box.fill("Great, thanks!")
        message_box.press("Enter")
        expect(agent.get_by_role("log", name="Conversation history")).to_contain_text("Great, thanks!")

        # Files go through the same cross-origin endpoint (multipart), and the agent sees them live.
        with visitor.expect_file_chooser() as chooser:
            visitor.get_by_role("button", name="Attach files").click()
        chooser.value.set_files([{"name": "receipt.txt", "mimeType": "text/plain", "buffer": b"order 1042"}])
        expect(visitor.get_by_text("receipt.txt")).to_be_visible()
        visitor.get_by_role("button", name="Send", exact=True).click()
        expect(log.get_by_role("link", name="receipt.txt")).to_be_visible()
        expect(agent.get_by_role("log", name="Conversation history")).to_contain_text("receipt.txt")
        visitor.get_by_role("button", name="Close chat").click()
        expect(visitor.get_by_role("button", name="Open chat")).to_be_focused()
    assert Channel.objects.get(pk=channel.pk).conversations.count() == 1
    assert browser_log.page_errors == []


def test_the_widget_refuses_to_load_on_a_site_that_is_not_allowed(demo, asgi_server, new_page, browser_log):
    with host_site() as site:
        channel = f.make_channel(demo.workspace, "webchat", config={"allowed_origins": ["https://elsewhere.example"]})
        site.script_url = f"{asgi_server}/widget/{channel.uuid}.js"
        page = new_page()
        page.goto(site.origin + "/")
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("button", name="Open chat")).to_have_count(0)
    assert any("not enabled" in text for _kind, text, _url in browser_log.messages)


def test_the_demo_page_under_a_strict_policy(demo, settings, asgi_server, new_page, axe_check, browser_log):
    settings.DEBUG = True  # the demo page exists in DEBUG or the embedded mode
    page = new_page()
    page.goto("/widget/demo/")
    expect(page.get_by_role("link", name="Sign in to the inbox")).to_have_attribute("href", "/login/")
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_role("log", name="Conversation")).to_be_visible()
    expect(page.get_by_label("Your name")).to_be_focused()
    axe_check(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-demo-open.png"))
    page.get_by_label("Your name").fill("Dana Demo")
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Message")
    expect(box).to_be_focused()
    box.fill("Hi from the demo page")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("log", name="Conversation")).to_contain_text("Hi from the demo page")
    page.screenshot(path=str(SCREENSHOTS / "widget-demo-sent.png"))
    assert browser_log.csp_violations() == []
