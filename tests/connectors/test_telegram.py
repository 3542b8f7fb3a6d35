"""Telegram: updates in (secret header, every kind, dedupe), media via getFile, every send method, retries."""

from __future__ import annotations

import json

import pytest

from connectors import registry
from inbox.models import Attachment, Message
from inbox.services import downloads as media
from inbox.services.delivery import deliver
from tests import factories as f
from tests.fakes import telegram as tg
from tests.fakes.server import Reply

from .helpers import hammer, outbound, post_json, voice_bytes

SECRET = "Secret_token-for-tests_0123456789"
CHAT = str(tg.CHAT["id"])


@pytest.fixture
def channel(demo):
    return f.make_channel(demo.workspace, "telegram", secret=SECRET, config={"bot_token": tg.BOT_TOKEN})


def post(client, channel, payload, secret=SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return post_json(client, channel, payload, headers)


def test_text_update_is_stored_with_the_contact(client, channel):
    response = post(client, channel, tg.text_update())
    assert response.status_code == 200, response.content
    message = Message.objects.get(channel=channel, direction="in")
    assert message.body == "Hola, ¿tienen envío a Sevilla?"
    assert message.kind == "text"
    assert message.external_id == f"{CHAT}:42"
    assert message.conversation.contact.name == "Ana García"
    assert message.conversation.contact.identities.get().external_id == CHAT


@pytest.mark.parametrize(("payload", "kind", "name", "ctype", "file_id", "text"), [
    (tg.voice_update(), "voice", "voice.ogg", "audio/ogg", "AwACAgIAAxkBAAIBZ2VvoiceFileId", ""),
    (tg.audio_update(), "audio", "song.mp3", "audio/mpeg", "CQACAgIAAxkBAAIBaGVaudioFileId", ""),
    (tg.document_update(), "file", "factura.pdf", "application/pdf", "BQACAgIAAxkBAAIBaWVdocumentFileId",
     "La factura"),
    (tg.photo_update(), "image", "photo.jpg", "image/jpeg", "AgACAgIAAxkBAAIBamVphotoLarge", "Así llegó"),
])
def test_media_updates_become_attachments(client, channel, payload, kind, name, ctype, file_id, text):
    assert post(client, channel, payload).status_code == 200
    message = Message.objects.get(channel=channel, direction="in")
    assert (message.kind, message.body) == (kind, text)
    attachment = message.attachments.get()
    assert (attachment.name, attachment.content_type) == (name, ctype)
    assert attachment.source_url == f"telegram://file/{file_id}"  # no bot token stored in links
    assert tg.BOT_TOKEN not in attachment.source_url


def test_edited_message_is_stored_as_a_new_marked_message(client, channel):
    post(client, channel, tg.text_update())
    assert post(client, channel, tg.edited_update()).status_code == 200
    bodies = list(Message.objects.filter(channel=channel, direction="in").order_by("id").values_list("body", flat=True))
    assert bodies == ["Hola, ¿tienen envío a Sevilla?", "(edited) Hola, ¿tienen envío a Cádiz?"]
    assert Message.objects.filter(channel=channel).values("conversation").distinct().count() == 1


@pytest.mark.parametrize("secret", ["wrong", "", None])
def test_wrong_or_missing_secret_header_is_refused(client, channel, secret):
    response = post(client, channel, tg.text_update(), secret=secret)
    assert response.status_code == 403
    assert not Message.objects.filter(channel=channel).exists()


def test_malformed_update_answers_400_with_the_field(client, channel):
    response = post(client, channel, b"{not json")
    assert response.status_code == 400 and response.json()["field"] == "body"
    response = post(client, channel, {"update_id": 1, "message": {"message_id": 5, "text": "x"}})
    assert response.status_code == 400 and response.json()["field"] == "message.chat.id"


def test_other_update_kinds_are_acknowledged_and_ignored(client, channel):
    response = post(client, channel, tg.update(20000, callback_query={"id": "1", "from": tg.USER}))
    assert response.status_code == 200
    assert not Message.objects.filter(channel=channel).exists()


def test_the_same_update_twice_is_stored_once(client, channel):
    assert post(client, channel, tg.text_update()).json()["stored"] == 1
    assert post(client, channel, tg.text_update()).json() == {"ok": True, "stored": 0, "duplicates": 1}
    assert Message.objects.filter(channel=channel, direction="in").count() == 1


@pytest.mark.services  # real concurrency needs PostgreSQL; SQLite serialises writers
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_updates_are_stored_once(live_server, demo):
    channel = f.make_channel(demo.workspace, "telegram", secret=SECRET, config={"bot_token": tg.BOT_TOKEN})
    statuses = hammer(f"{live_server.url}/hooks/telegram/{channel.uuid}/", json.dumps(tg.text_update()).encode(),
                      {"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert statuses == [200] * 20
    assert Message.objects.filter(channel=channel, direction="in").count() == 1
    assert channel.conversations.count() == 1


def test_media_is_downloaded_through_get_file(client, channel, fake_telegram, demo, monkeypatch):
    fake_telegram.add_file("AwACAgIAAxkBAAIBZ2VvoiceFileId", "voice/file_7.oga", b"OggS-voice-bytes")
    post(client, channel, tg.voice_update())
    message = Message.objects.get(channel=channel, direction="in")
    assert media.download_attachments(workspace=demo.workspace, message_id=message.pk) is False
    attachment = Attachment.objects.get(message=message)
    assert attachment.file.read() == b"OggS-voice-bytes"
    assert (attachment.size, attachment.content_type) == (16, "audio/ogg")
    get_file = fake_telegram.method_calls("getFile")[0]
    assert get_file.path == f"/bot{tg.BOT_TOKEN}/getFile"
    assert get_file.json == {"file_id": "AwACAgIAAxkBAAIBZ2VvoiceFileId"}
    assert fake_telegram.requests[-1].path == f"/file/bot{tg.BOT_TOKEN}/voice/file_7.oga"


def test_media_download_retries_when_telegram_is_down(client, channel, fake_telegram, demo):
    post(client, channel, tg.voice_update())
    fake_telegram.script("/getFile", Reply(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}))
    message = Message.objects.get(channel=channel, direction="in")
    assert media.download_attachments(workspace=demo.workspace, message_id=message.pk) is True
    assert not Attachment.objects.get(message=message).file


def test_text_goes_out_with_send_message(channel, fake_telegram, demo):
    message = outbound(channel, contact_id=CHAT, body="¡Sí! Enviamos a toda España.")
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    call = fake_telegram.method_calls("sendMessage")[0]
    assert call.path == f"/bot{tg.BOT_TOKEN}/sendMessage"
    assert call.json == {"chat_id": CHAT, "text": "¡Sí! Enviamos a toda España."}
    message.refresh_from_db()
    assert message.status == "sent" and message.external_id.startswith(f"{CHAT}:")


@pytest.mark.parametrize(("kind", "name", "ctype", "method", "field"), [
    ("audio", "song.mp3", "audio/mpeg", "sendAudio", "audio"),
    ("file", "price-list.pdf", "application/pdf", "sendDocument", "document"),
    ("image", "shoe.png", "image/png", "sendPhoto", "photo"),
    ("audio", "podcast.ogg", "audio/ogg", "sendDocument", "document"),  # sendAudio takes MP3/M4A only
])
def test_attachments_go_out_with_the_matching_method(channel, fake_telegram, demo, kind, name, ctype, method, field):
    data = b"\x00\x01binary" * 10
    message = outbound(channel, contact_id=CHAT, kind=kind, body="Mira", files=((name, ctype, data),))
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent", message.failure_reason
    [call] = [r for r in fake_telegram.requests if "/send" in r.path]
    assert call.path == f"/bot{tg.BOT_TOKEN}/{method}"
    fields, files = call.form()
    assert fields == {"chat_id": CHAT, "caption": "Mira"}
    assert files[field] == (name, ctype, data)


def test_voice_note_goes_out_with_send_voice_as_ogg_opus(channel, fake_telegram, demo):
    message = outbound(channel, contact_id=CHAT, kind="voice", body="",
                       files=(("recording.ogg", "audio/ogg", voice_bytes()),))
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent", message.failure_reason
    [call] = fake_telegram.requests
    assert call.path == f"/bot{tg.BOT_TOKEN}/sendVoice"
    fields, files = call.form()
    name, ctype, data = files["voice"]
    assert fields == {"chat_id": CHAT} and ctype == "audio/ogg" and data.startswith(b"OggS")


def test_500_then_200_is_retried_then_sent(channel, fake_telegram, demo):
    message = outbound(channel, contact_id=CHAT)
    fake_telegram.script("/sendMessage", Reply(500, {"ok": False, "error_code": 500, "description": "Internal"}))
    delay = deliver(workspace=demo.workspace, message_id=message.pk)
    assert delay is not None and delay > 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent"
    assert len(fake_telegram.method_calls("sendMessage")) == 2


def test_429_retry_after_is_honoured(channel, fake_telegram, demo):
    message = outbound(channel, contact_id=CHAT)
    fake_telegram.script("/sendMessage", tg.error(429, "Too Many Requests: retry after 7", retry_after=7))
    assert deliver(workspace=demo.workspace, message_id=message.pk) == 7


def test_blocked_bot_fails_with_a_plain_reason(channel, fake_telegram, demo):
    message = outbound(channel, contact_id=CHAT)
    fake_telegram.script("/sendMessage", tg.error(403, "Forbidden: bot was blocked by the user"))
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.failure_reason == "Not delivered: the contact has blocked the bot."


def test_capabilities():
    caps = registry.get("telegram").capabilities
    assert caps.voice_note and caps.voice_note_formats == ("ogg/opus",)
    assert caps.max_file_bytes == 50 * 1024 * 1024
