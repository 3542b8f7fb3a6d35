"""Snippets in the composer, end to end: "/" opens the list, arrows and Enter insert, the file goes out."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from snippets.services import demo_invoice_pdf, ensure_demo_snippets
from tests import factories as f
from tests.e2e.test_inbox_e2e import wait_for
from tests.inbox.helpers import webhook_receiver
from tests.snippets.helpers import make_snippet

pytestmark = pytest.mark.e2e

INVOICE_TEXT = ("Hi Ana, here is your invoice (attached). Anything else I can help with? — Demo, Demo")


def _open_conversation(login_page, member, conversation):
    page = login_page(member)
    page.goto(f"/w/{member.workspace.slug}/messages/{conversation.pk}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    return page


def test_slash_inserts_a_rendered_snippet_and_its_file_is_delivered(demo, asgi_server, celery_worker, login_page,
                                                                    axe_check):
    with webhook_receiver() as receiver:
        channel = f.make_channel(demo.workspace, "api", name="Shop API", webhook_url=receiver.url)
        contact = f.make_contact(demo.workspace, channel, name="Ana García", phone="+34600000001")
        conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
        hello, invoice = ensure_demo_snippets(demo.workspace)
        page = _open_conversation(login_page, demo.agent, conversation)

        composer = page.get_by_role("textbox", name="Message")
        composer.press_sequentially("/")
        listbox = page.get_by_role("listbox", name="Snippets")
        expect(listbox).to_be_visible()
        options = listbox.get_by_role("option")
        expect(options).to_have_count(2)
        expect(options.first).to_contain_text("/hello")
        expect(composer).to_have_attribute("aria-activedescendant", f"snippet-option-{hello.pk}")
        axe_check(page)

        composer.press("ArrowDown")
        expect(composer).to_have_attribute("aria-activedescendant", f"snippet-option-{invoice.pk}")
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        composer.press("Enter")
        expect(listbox).to_be_hidden()
        expect(composer).to_have_value(INVOICE_TEXT)
        files = page.get_by_role("list", name="Snippet files")
        expect(files).to_contain_text("invoice-2024-0042.pdf")
        expect(page.get_by_role("button", name="Remove invoice-2024-0042.pdf")).to_be_visible()
        assert not conversation.messages.filter(direction="out").exists()  # Enter chose: it did not send

        composer.press("Enter")
        history = page.get_by_role("log", name="Conversation history")
        expect(history).to_contain_text("here is your invoice")
        expect(history).to_contain_text("invoice-2024-0042.pdf")
        expect(composer).to_have_value("")
        expect(files).to_be_hidden()

        wait_for(lambda: receiver.requests)
        message = receiver.json(0)["message"]
        assert message["text"] == INVOICE_TEXT
        [attachment] = message["attachments"]
        assert attachment["name"] == "invoice-2024-0042.pdf" and attachment["content_type"] == "application/pdf"
        path = "/" + attachment["url"].split("://", 1)[1].split("/", 1)[1]
        fetched = requests.get(asgi_server + path, timeout=10)
        assert fetched.status_code == 200 and fetched.content == demo_invoice_pdf()


def test_filtering_escape_and_warnings_before_sending(demo, asgi_server, login_page, axe_check):
    hostile = "<img src=x onerror=alert(1)>"
    channel = f.make_channel(demo.workspace, "api")
    contact = f.make_contact(demo.workspace, channel, name=hostile)  # no phone
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
    ensure_demo_snippets(demo.workspace)
    make_snippet(demo.workspace, "callback", name="Call back", body="{{contact.name}}, we will call {{contact.phone}}.")
    page = _open_conversation(login_page, demo.agent, conversation)
    composer = page.get_by_role("textbox", name="Message")
    listbox = page.get_by_role("listbox", name="Snippets")

    # Typing after "/" filters; Escape closes the list and leaves the text as typed.
    composer.press_sequentially("/inv")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option")).to_contain_text("/invoice")
    composer.press("Escape")
    expect(listbox).to_be_hidden()
    expect(composer).to_have_value("/inv")
    composer.press_sequentially("o")
    expect(listbox).to_be_hidden()
    composer.fill("")

    # Nothing matches: Enter does not send "/zzz".
    composer.press_sequentially("/zzz")
    expect(page.locator("#snippet-empty")).to_contain_text("No snippet matches")
    composer.press("Enter")
    expect(composer).to_have_value("/zzz")
    composer.fill("")

    # A missing value is flagged before sending; the hostile name is inserted as inert text.
    composer.press_sequentially("/call")
    expect(listbox.get_by_role("option")).to_have_count(1)
    composer.press("Enter")
    expect(composer).to_have_value(f"{hostile}, we will call .")
    expect(page.locator("#snippet-warnings")).to_contain_text(
        "This snippet needs the contact's phone, which is empty.")
    assert page.evaluate("document.querySelectorAll('#composer-tools img, #snippet-tray img').length") == 0
    axe_check(page)
