"""Resync by sequence in Chromium: what was pushed before the first connection or while the socket was down
is shown once it (re)connects, a gap the server no longer has reloads the panels (the draft stays), and a
downloaded file or a contact's fetched name reaches an open page without a reload."""

from __future__ import annotations

import json
import re

import pytest
import requests
from playwright.sync_api import expect

from connectors.base import StatusReceipt
from contacts.services.profiles import contact_fill_from_channel
from inbox.models import Conversation, Message
from inbox.services import downloads
from inbox.services.assignment import conversation_assign
from inbox.services.receiving import receive_status
from realtime import journal
from tests import factories as f
from tests.fakes import graph as g
from tests.fakes.fixtures import fake_graph  # noqa: F401
from tests.realtime import journal_store as store

from .test_inbox_e2e import SOCKET_CONTROL, send_inbound

pytestmark = pytest.mark.e2e

RECONNECT = 20000  # ms: the socket retries with back-off (up to 10 s between tries)


def cut(page) -> None:
    page.evaluate("window.__blockWs = true; window.__sockets.forEach(s => s.close())")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "offline")


def restore(page) -> None:
    page.evaluate("window.__blockWs = false; window.dispatchEvent(new Event('online'))")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=RECONNECT)


def test_what_was_pushed_before_the_first_connection_is_shown_when_it_connects(demo, asgi_server, login_page):
    channel = f.make_channel(demo.workspace, "api")
    send_inbound(asgi_server, channel, contact="c-1", message="m-1", text="Hola", name="Ana")
    conversation = Conversation.objects.get(contact__name="Ana")
    page = login_page(demo.agent)
    page.add_init_script(SOCKET_CONTROL + "window.__blockWs = true;")  # the page renders, its socket waits
    page.goto(f"/w/{demo.slug}/messages/{conversation.pk}/?tab=all")
    history = page.get_by_role("log", name="Conversation history")
    expect(history).to_contain_text("Opened")
    expect(page.locator("#queue-list")).to_be_visible()

    # Between the page's render and its first connection: a message, an assignment, a new conversation.
    send_inbound(asgi_server, channel, contact="c-1", message="m-2", text="¿Sigue ahí?", name="Ana")
    conversation_assign(workspace=demo.workspace, conversation_id=conversation.pk, assignee=demo.agent2,
                        actor=demo.admin)
    send_inbound(asgi_server, channel, contact="c-2", message="m-3", text="Otra consulta", name="Bruno")
    page.wait_for_timeout(300)
    expect(history).not_to_contain_text("¿Sigue ahí?")

    restore(page)
    expect(history).to_contain_text("¿Sigue ahí?")
    expect(history.locator(".event-line").last).to_contain_text(
        f"Assigned to {demo.agent2.display_name} by {demo.admin.display_name}")
    expect(page.locator("#assignee-name")).to_have_text(demo.agent2.display_name)
    expect(page.locator("#queue-list").get_by_role("link", name="Bruno")).to_contain_text("Otra consulta")
    # Replayed frames come once: the message is in the history once.
    expect(history.get_by_text("¿Sigue ahí?")).to_have_count(1)


def test_a_message_that_failed_while_the_socket_was_down_shows_failed_after_reconnecting(demo, asgi_server,
                                                                                        login_page):
    channel = f.make_channel(demo.workspace, "api")
    conversation = f.make_conversation(demo.workspace, channel=channel, assignee=demo.agent)
    message = Message.objects.create(workspace=demo.workspace, conversation=conversation, channel=channel,
                                     direction="out", sender_type="member", sender=demo.agent, body="¿Le llegó?",
                                     status="sent", external_id="out-1", created_at=conversation.opened_at)
    page = login_page(demo.agent)
    page.add_init_script(SOCKET_CONTROL)
    page.goto(f"/w/{demo.slug}/messages/{conversation.pk}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    shown = page.locator(f"#msg-{message.pk}")
    expect(shown).to_have_attribute("data-status", "sent")

    cut(page)
    receive_status(workspace=demo.workspace, channel=channel,
                   receipt=StatusReceipt(external_message_id="out-1", status="failed", reason="Recipient blocked us"))
    page.wait_for_timeout(300)
    expect(shown).to_have_attribute("data-status", "sent")  # nothing reached the page meanwhile

    restore(page)
    expect(shown).to_have_attribute("data-status", "failed")
    expect(shown).to_contain_text("Recipient blocked us")
    expect(shown.get_by_role("button", name="Retry")).to_be_visible()


def test_a_gap_the_server_no_longer_has_reloads_the_panels_and_keeps_the_draft(demo, asgi_server, login_page):
    channel = f.make_channel(demo.workspace, "api")
    send_inbound(asgi_server, channel, contact="c-1", message="m-1", text="Hola", name="Ana")
    conversation = Conversation.objects.get(contact__name="Ana")
    page = login_page(demo.agent)
    page.add_init_script(SOCKET_CONTROL)
    page.goto(f"/w/{demo.slug}/messages/{conversation.pk}/?tab=all")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.__samePage = true")
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("A draft I am still writing")

    cut(page)
    before = journal.current(demo.workspace.pk)
    send_inbound(asgi_server, channel, contact="c-1", message="m-2", text="Lost while away", name="Ana")
    send_inbound(asgi_server, channel, contact="c-9", message="m-9", text="Another lost one", name="Carla")
    for seq in range(before + 1, journal.current(demo.workspace.pk) + 1):  # the journal forgot them (expired)
        store.forget_frame(demo.workspace.pk, seq)

    restore(page)
    history = page.get_by_role("log", name="Conversation history")
    expect(history).to_contain_text("Lost while away")
    expect(page.locator("#queue-list").get_by_role("link", name="Carla")).to_contain_text("Another lost one")
    expect(composer).to_have_value("A draft I am still writing")
    assert page.evaluate("window.__samePage") is True  # the panels were fetched, not the whole page
    # Live again afterwards, numbered from the reload on.
    send_inbound(asgi_server, channel, contact="c-1", message="m-3", text="And now live", name="Ana")
    expect(history).to_contain_text("And now live")


def _post_messenger(base: str, channel, payload: dict) -> None:
    body = json.dumps(payload).encode()
    response = requests.post(f"{base}/hooks/messenger/{channel.uuid}/", data=body, timeout=10,
                             headers={"Content-Type": "application/json", "X-Hub-Signature-256": g.sign(body)})
    assert response.status_code == 200, response.text


def test_a_downloaded_file_and_a_fetched_name_reach_the_open_page(demo, asgi_server, login_page, fake_graph):  # noqa: F811
    channel = f.make_channel(demo.workspace, "messenger", config={
        "page_id": g.PAGE_ID, "access_token": g.PAGE_TOKEN, "app_secret": g.APP_SECRET,
        "verify_token": g.VERIFY_TOKEN})
    fake_graph.add_media("cdn-file", b"%PDF-1.4 receipt", "application/pdf")
    fake_graph.tokens.add("")  # a CDN link needs no token
    url = f"{fake_graph.url}/media-download/cdn-file"
    _post_messenger(asgi_server, channel, g.ms_payload(g.ms_message(attachments=[g.ms_attachment("file", url)])))
    message = Message.objects.get(channel=channel)
    conversation = message.conversation
    page = login_page(demo.agent)
    page.goto(f"/w/{demo.slug}/messages/{conversation.pk}/?tab=all")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    history = page.get_by_role("log", name="Conversation history")
    expect(history).to_contain_text("(downloading…)")
    row = page.locator(f"#conv-row-{conversation.pk}")
    expect(row).to_be_visible()

    downloads.download_attachments(workspace=demo.workspace, message_id=message.pk)
    name = message.attachments.get().name
    expect(history.get_by_role("link", name=name, exact=False)).to_be_visible()
    expect(history).not_to_contain_text("(downloading…)")

    contact_fill_from_channel(workspace=demo.workspace, contact_id=conversation.contact_id, channel_id=channel.pk)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lucía Pérez")
    expect(row.get_by_role("link")).to_contain_text("Lucía Pérez")
    expect(page).to_have_title(re.compile(r"^Lucía Pérez · "))
