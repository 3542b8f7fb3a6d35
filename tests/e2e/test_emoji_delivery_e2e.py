"""An emoji chosen in the picker reaches the channel's payload as the emoji itself."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests import factories as f
from tests.inbox.helpers import webhook_receiver

pytestmark = pytest.mark.e2e


def test_emoji_from_the_picker_and_a_shortcode_arrive_in_the_api_payload(demo, asgi_server, celery_worker,
                                                                          login_page):
    with webhook_receiver() as receiver:
        channel = f.make_channel(demo.workspace, "api", webhook_url=receiver.url)
        conversation = f.make_conversation(demo.workspace, channel=channel)
        page = login_page(demo.agent)
        page.goto(f"/w/{demo.slug}/messages/{conversation.pk}/")
        composer = page.get_by_role("textbox", name="Message")
        composer.fill("Thanks ")
        page.get_by_role("button", name="Emoji").click()
        dialog = page.get_by_role("dialog", name="Insert emoji")
        dialog.get_by_role("combobox", name="Search by name").press_sequentially("thumbs up")
        dialog.get_by_role("combobox", name="Search by name").press("Enter")
        dialog.get_by_role("combobox", name="Search by name").press("Escape")
        composer.press("End")
        composer.press_sequentially(" :star2:")
        composer.press("Enter")
        expect(page.get_by_role("log", name="Conversation history")).to_contain_text("Thanks 👍 🌟")
        deadline = time.monotonic() + 20
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.2)
        assert receiver.requests, "the reply was not delivered"
        assert receiver.json(0)["message"]["text"] == "Thanks 👍 🌟"
        assert "👍".encode() in receiver.requests[0]["body"]  # real UTF-8 in the raw body, not \\u escapes
