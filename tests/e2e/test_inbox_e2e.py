"""The Messages module end to end: two agents, a live queue, Enter to reply, assignment, closing."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

import pytest
import requests
from playwright.sync_api import expect

from inbox.models import ClosingNote, Conversation
from tests import factories as f
from tests.inbox.helpers import webhook_receiver

pytestmark = pytest.mark.e2e

# Lets a test cut the page's websocket and keep it from reconnecting until it says so.
SOCKET_CONTROL = """
(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.__blockWs = false;
  function Wrapped(url, protocols) {
    if (window.__blockWs) url = url.replace('/ws/', '/no-such-ws/');
    const socket = protocols === undefined ? new Real(url) : new Real(url, protocols);
    window.__sockets.push(socket);
    return socket;
  }
  Wrapped.prototype = Real.prototype;
  Wrapped.OPEN = Real.OPEN; Wrapped.CLOSED = Real.CLOSED; Wrapped.CONNECTING = Real.CONNECTING;
  window.WebSocket = Wrapped;
})();
"""


def send_inbound(base: str, channel, *, contact: str, message: str, text: str, name: str) -> None:
    body = {"contact": {"id": contact, "name": name}, "message": {"id": message, "text": text}}
    response = requests.post(f"{base}/hooks/api/{channel.uuid}/", data=json.dumps(body), timeout=10,
                             headers={"Authorization": f"Bearer {channel.token}", "Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def open_queue(login_page, member):
    page = login_page(member)
    page.goto(f"/w/{member.workspace.slug}/messages/?tab=all")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    return page


def test_two_agents_work_a_conversation_live(demo, asgi_server, celery_worker, login_page, axe_check):
    with webhook_receiver() as receiver:
        channel = f.make_channel(demo.workspace, "api", name="Shop API", webhook_url=receiver.url)
        f.make_category(demo.workspace, "Resolved")
        page_a = open_queue(login_page, demo.agent)
        page_b = open_queue(login_page, demo.agent2)

        # An inbound API message appears in both queues without reloading.
        send_inbound(asgi_server, channel, contact="ext-123", message="m-1", text="Hola, ¿y mi pedido?", name="Ana")
        for page in (page_a, page_b):
            row = page.get_by_role("link", name="Ana", exact=False).first
            expect(row).to_be_visible()
            expect(row).to_contain_text("Unassigned")

        # Agent A opens it and replies with Enter: assigned to A everywhere, delivered signed.
        page_a.get_by_role("link", name="Ana").first.click()
        expect(page_a.get_by_role("log", name="Conversation history")).to_contain_text("Hola, ¿y mi pedido?")
        axe_check(page_a)
        composer = page_a.get_by_role("textbox", name="Message")
        composer.fill("Hola Ana, lo miro ahora")
        composer.press("Shift+Enter")
        composer.press_sequentially("Un momento 👍")
        composer.press("Enter")
        history = page_a.get_by_role("log", name="Conversation history")
        expect(history).to_contain_text("Un momento 👍")
        expect(composer).to_have_value("")
        expect(page_a.locator("#assignee-name")).to_have_text(demo.agent.display_name)
        expect(page_b.locator("#queue-list").get_by_role("link", name="Ana")).to_contain_text(demo.agent.display_name)

        wait_for(lambda: receiver.requests)
        request = receiver.requests[0]
        signature = "sha256=" + hmac.new(channel.secret.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Parley-Signature"] == signature
        assert receiver.json(0)["message"]["text"] == "Hola Ana, lo miro ahora\nUn momento 👍"
        assert receiver.json(0)["contact"]["id"] == "ext-123"
        expect(history.locator("[data-status]").last).to_have_attribute("data-status", "sent")

        # A closes it with a note: it leaves both queues.
        page_a.get_by_role("button", name="Close conversation").click()
        page_a.get_by_label("Category").select_option(label="Resolved")
        page_a.get_by_label("Summary").fill("Order located; ships tomorrow.")
        page_a.get_by_role("button", name="Close conversation").click()
        for page in (page_a, page_b):
            expect(page.locator("#queue-list").get_by_role("link", name="Ana")).to_have_count(0)
        conversation = Conversation.objects.get(contact__name="Ana")
        assert conversation.status == "closed" and conversation.assignee_id is None
        assert ClosingNote.objects.get(conversation=conversation).summary == "Order located; ships tomorrow."

        # The contact page shows it with its note.
        page_a.get_by_role("link", name="Contacts", exact=True).click()
        page_a.get_by_role("searchbox", name="Search contacts").fill("Ana")
        page_a.get_by_role("searchbox", name="Search contacts").press("Enter")
        page_a.get_by_role("link", name="Ana", exact=True).click()
        expect(page_a.get_by_role("main")).to_contain_text("Order located; ships tomorrow.")
        axe_check(page_a)

        # A new inbound message opens a new, unassigned conversation, live in B's queue.
        send_inbound(asgi_server, channel, contact="ext-123", message="m-2", text="Otra pregunta", name="Ana")
        row = page_b.locator("#queue-list").get_by_role("link", name="Ana")
        expect(row).to_contain_text("Otra pregunta")
        expect(row).to_contain_text("Unassigned")
        assert Conversation.objects.filter(contact__name="Ana").count() == 2


def test_queue_resyncs_after_a_dropped_connection(demo, asgi_server, login_page):
    channel = f.make_channel(demo.workspace, "api")
    page = login_page(demo.agent, )
    page.add_init_script(SOCKET_CONTROL)
    page.goto(f"/w/{demo.slug}/messages/?tab=all")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

    page.evaluate("window.__blockWs = true; window.__sockets.forEach(s => s.close())")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "offline")
    send_inbound(asgi_server, channel, contact="c-9", message="m-9", text="Sent while you were away", name="Bea")
    page.wait_for_timeout(500)
    expect(page.locator("#queue-list").get_by_role("link", name="Bea")).to_have_count(0)

    page.evaluate("window.__blockWs = false")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=20000)
    expect(page.locator("#queue-list").get_by_role("link", name="Bea")).to_contain_text("Sent while you were away")


def test_empty_message_is_not_sent(demo, asgi_server, login_page):
    conversation = f.make_conversation(demo.workspace)
    page = login_page(demo.agent)
    page.goto(f"/w/{demo.slug}/messages/{conversation.pk}/")
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("   ")
    composer.press("Enter")
    expect(page.locator("#composer-error")).to_contain_text("Write a message")
    page.get_by_role("button", name="Send", exact=True).click()
    assert not conversation.messages.filter(direction="out").exists()
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_assign_control_reassigns_live(demo, asgi_server, login_page):
    conversation = f.make_conversation(demo.workspace)
    page_a = login_page(demo.agent)
    page_a.goto(f"/w/{demo.slug}/messages/{conversation.pk}/")
    page_b = open_queue(login_page, demo.agent2)
    page_a.get_by_label("Assign").select_option(value=str(demo.agent2.pk))  # its label also shows presence
    expect(page_a.locator("#assignee-name")).to_have_text(demo.agent2.display_name)
    expect(page_b.locator("#queue-list").get_by_role("link", name="Ana García")).to_contain_text(
        demo.agent2.display_name)
    page_b.get_by_role("link", name="Mine").click()
    expect(page_b.locator("#queue-list").get_by_role("link", name="Ana García")).to_be_visible()
    page_a.get_by_label("Assign").select_option(label="Unassigned")
    expect(page_b.locator("#queue-list").get_by_role("link", name="Ana García")).to_have_count(0)


def test_a_message_arriving_in_the_open_conversation_is_not_left_unread(demo, asgi_server, login_page):
    channel = f.make_channel(demo.workspace, "api")
    send_inbound(asgi_server, channel, contact="c-7", message="m-7", text="first", name="Rosa")
    conversation = Conversation.objects.get(contact__name="Rosa")
    page = login_page(demo.agent)
    page.goto(f"/w/{demo.slug}/messages/{conversation.pk}/?tab=all")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    send_inbound(asgi_server, channel, contact="c-7", message="m-8", text="second", name="Rosa")
    expect(page.get_by_role("log", name="Conversation history")).to_contain_text("second")
    wait_for(lambda: Conversation.objects.get(pk=conversation.pk).unread_count == 0)
    expect(page.locator(f"#conv-row-{conversation.pk}")).not_to_have_class(re.compile(r"\bunread\b"))
