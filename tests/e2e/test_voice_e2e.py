"""Voice notes in a real Chromium with its fake microphone: record, play back, delete, send, per channel."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time

import pytest
from playwright.sync_api import Page, expect

from connectors import registry
from inbox.models import Message
from media import conversion, voice
from tests import factories as f
from tests.fakes import graph as g
from tests.fakes import telegram as tg
from tests.fakes.fixtures import fake_graph, fake_telegram  # noqa: F401

pytestmark = pytest.mark.e2e

DENY_MICROPHONE = """
navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "%s"));
"""


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def ffprobe(data: bytes) -> dict:
    with tempfile.NamedTemporaryFile() as tmp:
        tmp.write(data)
        tmp.flush()
        out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", tmp.name],
                             capture_output=True, check=True, timeout=60).stdout
    info = json.loads(out)
    return {"format": info["format"], "audio": next(s for s in info["streams"] if s["codec_type"] == "audio")}


def open_conversation(login_page, member, conversation) -> Page:
    page = login_page(member)
    page.goto(f"/w/{member.workspace.slug}/messages/{conversation.pk}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    return page


def record(page: Page, seconds: float) -> None:
    """Click the microphone, let the fake microphone play for `seconds`, stop; the player appears."""
    page.get_by_role("button", name="Record voice note").click()
    stop = page.get_by_role("button", name="Stop recording")
    expect(stop).to_be_focused()
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"0:0\d / 5:00"))
    page.wait_for_timeout(int(seconds * 1000))
    stop.click()
    expect(page.locator("#voice-player")).to_be_visible()
    expect(page.locator("#voice-player")).to_have_attribute("src", re.compile(r"^blob:"))


def test_record_play_back_delete_record_again_and_send_to_telegram(demo, asgi_server, celery_worker, login_page,
                                                                   axe_check, browser_log, fake_telegram):  # noqa: F811
    channel = f.make_channel(demo.workspace, "telegram", secret="s3cret", config={"bot_token": tg.BOT_TOKEN})
    contact = f.make_contact(demo.workspace, channel, name="Ana", external_id=str(tg.CHAT["id"]))
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
    page = open_conversation(login_page, demo.agent, conversation)
    composer = page.locator("#composer-form")
    recorder = page.locator("#voice-recorder")
    expect(recorder).to_have_attribute("data-max-seconds", "300")

    # Recording: a timer that runs (announced) and a Stop button; the page stays accessible.
    page.get_by_role("button", name="Record voice note").click()
    timer = page.get_by_role("timer")
    expect(timer).to_have_attribute("aria-live", "polite")
    expect(timer).to_contain_text("0:02 / 5:00", timeout=5000)
    axe_check(page, context="#composer-form")
    page.get_by_role("button", name="Stop recording").click()

    # Play it back: the player has the recording and really plays.
    player = page.locator("#voice-player")
    expect(player).to_be_visible()
    expect(player).to_be_focused()
    expect(page.locator("#voice-notice")).to_contain_text("Recording ready")
    page.evaluate("document.getElementById('voice-player').play()")
    wait_for(lambda: page.evaluate("document.getElementById('voice-player').currentTime") > 0.5, timeout=10)
    page.evaluate("document.getElementById('voice-player').pause()")
    axe_check(page, context="#composer-form")

    # Delete it: back to the microphone, nothing sent.
    page.get_by_role("button", name="Delete recording").click()
    expect(player).to_be_hidden()
    expect(page.get_by_role("button", name="Record voice note")).to_be_focused()
    assert not Message.objects.filter(direction="out").exists()

    # Record again and send it with a caption.
    record(page, 2.5)
    page.get_by_role("textbox", name="Message").fill("Te lo cuento por voz")
    page.get_by_role("button", name="Send voice note").click()
    history = page.get_by_role("log", name="Conversation history")
    sent = history.locator("article.msg-out").last
    expect(sent.locator("audio[controls]")).to_be_visible()
    expect(sent).to_contain_text("Te lo cuento por voz")
    expect(sent).to_contain_text(re.compile(r"Voice note · 0:0[23]"))
    expect(page.get_by_role("textbox", name="Message")).to_have_value("")
    expect(page.get_by_role("button", name="Record voice note")).to_be_visible()
    expect(composer.locator("#voice-take")).to_be_hidden()

    # The worker converts it and Telegram gets sendVoice with OGG/Opus.
    call = wait_for(lambda: fake_telegram.method_calls("sendVoice"))[0]
    fields, files = call.form()
    assert fields == {"chat_id": str(tg.CHAT["id"]), "caption": "Te lo cuento por voz"}
    name, ctype, data = files["voice"]
    assert (name, ctype) == ("voice-note.ogg", "audio/ogg")
    info = ffprobe(data)
    assert (info["format"]["format_name"], info["audio"]["codec_name"], info["audio"]["channels"]) == ("ogg", "opus", 1)
    assert 1.8 <= float(info["format"]["duration"]) <= 4.0
    expect(sent).to_have_attribute("data-status", "sent", timeout=15000)
    original = Message.objects.get(direction="out").attachments.get(purpose="original")
    assert original.content_type == "audio/webm" and 1.8 <= original.duration <= 4.0
    # Recorded mono at a speech bitrate: the web chat (which plays webm/opus) gets it without re-encoding.
    with original.file.open("rb"), voice.local_path(original.file) as path:
        assert conversion.sendable_as_is(voice.probe(path), size=original.size or original.file.size,
                                         duration=original.duration,
                                         capabilities=registry.get("webchat").capabilities)
    axe_check(page)
    assert not browser_log.page_errors


def test_on_messenger_the_recording_goes_as_an_audio_attachment(demo, asgi_server, celery_worker, login_page,
                                                                 fake_graph):  # noqa: F811
    channel = f.make_channel(demo.workspace, "messenger", config={
        "page_id": g.PAGE_ID, "access_token": g.PAGE_TOKEN, "app_secret": g.APP_SECRET,
        "verify_token": g.VERIFY_TOKEN})
    contact = f.make_contact(demo.workspace, channel, name="Ana", external_id=g.PSID)
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
    page = open_conversation(login_page, demo.agent, conversation)
    record(page, 2)
    page.get_by_role("button", name="Send voice note").click()
    expect(page.get_by_role("log", name="Conversation history").locator("article.msg-out audio")).to_have_count(1)

    call = wait_for(lambda: [r for r in fake_graph.requests if r.path.endswith("/messages")])[0]
    fields, files = call.form()
    assert json.loads(fields["message"]) == {"attachment": {"type": "audio", "payload": {"is_reusable": True}}}
    name, ctype, data = files["filedata"]
    assert (name, ctype) == ("voice-recording.m4a", "audio/mp4")
    assert ffprobe(data)["audio"]["codec_name"] == "aac"


def test_recording_stops_by_itself_at_the_limit(demo, asgi_server, login_page, axe_check, settings):
    settings.VOICE_NOTE_MAX_SECONDS = 3  # the server thread shares these settings
    conversation = f.make_conversation(demo.workspace)
    page = open_conversation(login_page, demo.agent, conversation)
    expect(page.locator("#voice-recorder")).to_have_attribute("data-max-seconds", "3")

    # Keyboard only: Enter on the microphone starts, focus lands on Stop.
    page.get_by_role("button", name="Record voice note").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Stop recording")).to_be_focused()
    expect(page.get_by_role("timer")).to_contain_text("/ 0:03")
    notice = page.locator("#voice-notice")
    expect(notice).to_contain_text("Recording stopped: voice notes can be at most 0:03.", timeout=8000)
    expect(page.get_by_role("button", name="Stop recording")).to_be_hidden()
    expect(page.locator("#voice-player")).to_be_visible()
    axe_check(page, context="#composer-form")

    # What stopped at the limit is accepted by the server's own check.
    page.get_by_role("button", name="Send voice note").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#history article.msg-out audio[controls]")).to_have_count(1)
    expect(page.locator("#composer-error")).to_have_text("")
    message = Message.objects.get(direction="out")
    assert message.kind == "voice" and 2.5 <= message.attachments.get().duration <= 3.5


@pytest.mark.parametrize(("error", "text"), [
    ("NotAllowedError", "Microphone access was denied"),
    ("NotFoundError", "No microphone was found"),
])
def test_no_microphone_is_explained_and_the_composer_keeps_working(demo, asgi_server, login_page, axe_check,
                                                                   error, text):
    conversation = f.make_conversation(demo.workspace)
    page = login_page(demo.agent)
    page.add_init_script(DENY_MICROPHONE % error)
    page.goto(f"/w/{demo.slug}/messages/{conversation.pk}/")
    page.get_by_role("button", name="Record voice note").click()
    expect(page.locator("#voice-error")).to_contain_text(text)
    expect(page.locator("#voice-error")).to_have_attribute("role", "alert")
    expect(page.get_by_role("button", name="Record voice note")).to_be_visible()
    axe_check(page, context="#composer-form")
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("Te escribo entonces")
    composer.press("Enter")
    expect(page.locator("#history")).to_contain_text("Te escribo entonces")
    assert Message.objects.get(direction="out").kind == "text"
