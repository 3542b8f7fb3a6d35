"""The composer in a real browser: attaching (picker, drag-and-drop), chips, limits, and the emoji picker."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from connectors import registry
from connectors.base import Capabilities
from inbox.models import Message
from tests import factories as f
from tests.inbox.test_attachments import PDF, png_bytes

pytestmark = pytest.mark.e2e

# A file dropped on the composer, as the browser would deliver it from the desktop.
DROP = """([name, type, text]) => {
  const data = new DataTransfer();
  data.items.add(new File([text], name, { type }));
  const form = document.getElementById("composer-form");
  for (const kind of ["dragenter", "dragover", "drop"]) {
    form.dispatchEvent(new DragEvent(kind, { dataTransfer: data, bubbles: true, cancelable: true }));
  }
}"""


def open_conversation(login_page, member, conversation) -> Page:
    page = login_page(member)
    page.goto(f"/w/{member.workspace.slug}/messages/{conversation.pk}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    return page


def choose(page: Page, *files: dict) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach files").click()
    assert chooser.value.is_multiple()
    chooser.value.set_files(list(files))


def chips(page: Page):
    return page.get_by_role("list", name="Files to send").get_by_role("listitem")


def test_attach_by_button_and_drop_remove_one_and_send_with_text(demo, asgi_server, login_page, axe_check):
    conversation = f.make_conversation(demo.workspace)
    page = open_conversation(login_page, demo.agent, conversation)
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("Here are the files you asked for")

    choose(page, {"name": "shoe.png", "mimeType": "image/png", "buffer": png_bytes(4, 3)},
           {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"remember the size"})
    page.evaluate(DROP, ["price-list.pdf", "application/pdf", PDF.decode()])
    expect(chips(page)).to_have_count(3)
    expect(chips(page).nth(0)).to_contain_text("shoe.png")
    expect(chips(page).nth(2)).to_contain_text("price-list.pdf")
    expect(page.locator("#composer-form")).not_to_have_class("is-dragover")
    axe_check(page)

    page.get_by_role("button", name="Remove notes.txt").click()
    expect(chips(page)).to_have_count(2)
    expect(page.get_by_role("button", name="Remove price-list.pdf")).to_be_focused()
    expect(composer).to_have_value("Here are the files you asked for")

    page.get_by_role("button", name="Send", exact=True).click()
    history = page.get_by_role("log", name="Conversation history")
    sent = history.locator("article.msg-out").last
    expect(sent).to_contain_text("Here are the files you asked for")
    thumbnail = sent.get_by_role("img", name="shoe.png")
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 4", arg=thumbnail.element_handle())
    expect(sent.locator(".file-card")).to_contain_text("price-list.pdf")
    expect(composer).to_have_value("")
    expect(page.get_by_role("list", name="Files to send")).to_be_hidden()

    message = Message.objects.get(conversation=conversation, direction="out")
    assert message.body == "Here are the files you asked for" and message.kind == "image"
    assert [(a.name, a.content_type) for a in message.attachments.order_by("id")] == [
        ("shoe.png", "image/png"), ("price-list.pdf", "application/pdf")]


def test_limits_are_checked_in_the_browser_and_the_server_and_nothing_is_lost(demo, asgi_server, login_page,
                                                                               monkeypatch):
    # This channel takes at most 1 KB per file and no images (the server thread sees the same class).
    monkeypatch.setattr(type(registry.get("api")), "capabilities", Capabilities(max_file_bytes=1024, image=False))
    conversation = f.make_conversation(demo.workspace)
    page = open_conversation(login_page, demo.agent, conversation)
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("Catalogue attached")

    choose(page, {"name": "catalogue.pdf", "mimeType": "application/pdf", "buffer": PDF + b"x" * 2048})
    expect(page.locator("#composer-error")).to_have_text(
        "“catalogue.pdf” is too large for this channel: 2 KB, the limit is 1 KB.")
    expect(chips(page)).to_have_count(0)
    expect(composer).to_have_value("Catalogue attached")

    # The browser cannot tell a PNG named .txt: the server sniffs it and refuses the whole send.
    choose(page, {"name": "readme.txt", "mimeType": "text/plain", "buffer": png_bytes()},
           {"name": "terms.txt", "mimeType": "text/plain", "buffer": b"the terms"})
    expect(page.locator("#composer-error")).to_have_text("")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#composer-error")).to_have_text("This channel does not accept images like “readme.txt”.")
    expect(chips(page)).to_have_count(2)
    expect(chips(page).filter(has_text="readme.txt")).to_have_class("attach-chip is-refused")
    expect(composer).to_have_value("Catalogue attached")
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()

    page.get_by_role("button", name="Remove readme.txt").click()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("log", name="Conversation history").locator("article.msg-out")).to_contain_text(
        "Catalogue attached")
    assert [a.name for a in Message.objects.get(conversation=conversation, direction="out").attachments.all()] == [
        "terms.txt"]


def test_emoji_picker_is_a_keyboard_dialog_that_inserts_at_the_caret(demo, asgi_server, login_page, axe_check):
    conversation = f.make_conversation(demo.workspace)
    page = open_conversation(login_page, demo.agent, conversation)
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("Great job team")
    composer.press("End")
    for _ in range(5):
        composer.press("ArrowLeft")  # the caret sits after "Great job"

    button = page.get_by_role("button", name="Emoji")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    dialog = page.get_by_role("dialog", name="Insert emoji")
    expect(dialog).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    search = dialog.get_by_role("combobox", name="Search by name")
    expect(search).to_be_focused()
    expect(dialog.get_by_role("option").first).to_be_visible()  # the data arrived

    search.press_sequentially("thumbs")
    results = dialog.get_by_role("listbox")
    expect(results.get_by_role("option")).to_have_count(2)
    expect(results.get_by_role("option", name="thumbs up")).to_have_attribute("aria-selected", "true")
    axe_check(page)

    search.press("Enter")
    expect(composer).to_have_value("Great job👍 team")
    expect(dialog).to_be_visible()

    # Tab moves into the results, arrows move through them.
    search.press("Tab")
    expect(results).to_be_focused()
    results.press("ArrowRight")
    expect(results.get_by_role("option", name="thumbs down")).to_have_attribute("aria-selected", "true")
    expect(results.get_by_role("option", name="thumbs up")).to_have_attribute("aria-selected", "false")

    results.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(composer).to_have_value("Great job👍 team")

    # The shortcode route, and the picker's own insert, both end up as emoji in the history.
    composer.press("End")
    composer.press_sequentially(" :tada:")
    composer.press("Enter")
    history = page.get_by_role("log", name="Conversation history")
    expect(history.locator("article.msg-out").last).to_contain_text("Great job👍 team 🎉")

    # Recently used emoji lead the picker next time; clicking outside closes it without a fuss.
    button.click()
    expect(dialog.get_by_role("group", name="Recently used").get_by_role("option").first).to_have_accessible_name(
        "thumbs up")
    page.get_by_role("log", name="Conversation history").click(position={"x": 5, "y": 5})
    expect(dialog).to_be_hidden()


def test_emoji_search_finds_spanish_names_in_the_spanish_ui(demo, asgi_server, login_page):
    conversation = f.make_conversation(demo.workspace)
    page = open_conversation(login_page, demo.agent, conversation)
    page.evaluate("""() => {
      const tool = document.getElementById("emoji-tool");
      tool.dataset.url = tool.dataset.url.replace("lang=en", "lang=es");
    }""")
    page.get_by_role("button", name="Emoji").click()
    search = page.get_by_role("combobox", name="Search by name")
    search.press_sequentially("pulgar arriba")
    first = page.get_by_role("listbox").get_by_role("option").first
    expect(first).to_have_accessible_name("pulgar hacia arriba")
    search.press("Enter")
    expect(page.get_by_role("textbox", name="Message")).to_have_value("👍")
