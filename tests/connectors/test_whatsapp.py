"""WhatsApp Cloud API: handshake, signatures, messages and statuses in, media, every outbound kind, window error."""

from __future__ import annotations

import json

import pytest

from connectors import registry
from inbox.models import Attachment, Message
from inbox.services import downloads as media
from inbox.services.delivery import deliver
from tests import factories as f
from tests.fakes import graph as g
from tests.fakes.server import Reply

from .helpers import hammer, outbound, post_json, voice_bytes


@pytest.fixture
def channel(demo):
    return f.make_channel(demo.workspace, "whatsapp", config={
        "phone_number_id": g.PHONE_NUMBER_ID, "access_token": g.ACCESS_TOKEN, "app_secret": g.APP_SECRET,
        "verify_token": g.VERIFY_TOKEN})


def post(client, channel, payload, signature: str | None = ""):
    body = json.dumps(payload).encode()
    headers = {"X-Hub-Signature-256": g.sign(body) if signature == "" else signature} if signature is not None else {}
    return post_json(client, channel, body, headers)


def hook(channel) -> str:
    return f"/hooks/whatsapp/{channel.uuid}/"


def test_verification_handshake_echoes_the_challenge(client, channel):
    response = client.get(hook(channel), {"hub.mode": "subscribe", "hub.verify_token": g.VERIFY_TOKEN,
                                          "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1158201444"},
    {"hub.mode": "unsubscribe", "hub.verify_token": g.VERIFY_TOKEN, "hub.challenge": "1158201444"},
    {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
])
def test_verification_handshake_refuses_a_wrong_token(client, channel, params):
    response = client.get(hook(channel), params)
    assert response.status_code == 403
    assert b"1158201444" not in response.content


@pytest.mark.parametrize("signature", ["sha256=" + "0" * 64, "garbage", None, g.sign(b"other body")])
def test_bad_signature_is_refused_and_nothing_stored(client, channel, signature):
    payload = g.wa_payload(messages=[g.wa_message("text", {"body": "Hola"})])
    assert post(client, channel, payload, signature=signature).status_code == 403
    assert not Message.objects.filter(channel=channel).exists()


def test_text_message_is_stored_with_the_contact(client, channel):
    payload = g.wa_payload(messages=[g.wa_message("text", {"body": "¿A qué hora abren?"})])
    response = post(client, channel, payload)
    assert response.status_code == 200, response.content
    message = Message.objects.get(channel=channel)
    assert (message.kind, message.body) == ("text", "¿A qué hora abren?")
    assert message.external_id == "wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQUVCMDk4"
    contact = message.conversation.contact
    assert (contact.name, contact.phone) == ("Ana García", "+34600111222")
    assert contact.identities.get().external_id == g.WA_ID


@pytest.mark.parametrize(("kind", "content", "ours", "name", "ctype", "text"), [
    ("audio", {"mime_type": "audio/ogg; codecs=opus", "sha256": "abc=", "id": "1003383421387256", "voice": True},
     "voice", "voice.ogg", "audio/ogg", ""),
    ("audio", {"mime_type": "audio/mpeg", "sha256": "abc=", "id": "1003383421387256"},
     "audio", "audio.mp3", "audio/mpeg", ""),
    ("document", {"caption": "Presupuesto", "filename": "presupuesto.pdf", "mime_type": "application/pdf",
                  "sha256": "abc=", "id": "1003383421387256"}, "file", "presupuesto.pdf", "application/pdf",
     "Presupuesto"),
    ("image", {"caption": "La caja", "mime_type": "image/jpeg", "sha256": "abc=", "id": "1003383421387256"},
     "image", "image.jpg", "image/jpeg", "La caja"),
])
def test_media_messages_become_attachments(client, channel, kind, content, ours, name, ctype, text):
    assert post(client, channel, g.wa_payload(messages=[g.wa_message(kind, content)])).status_code == 200
    message = Message.objects.get(channel=channel)
    assert (message.kind, message.body) == (ours, text)
    attachment = message.attachments.get()
    assert (attachment.name, attachment.content_type) == (name, ctype)
    assert attachment.source_url == "whatsapp://media/1003383421387256"


def test_messages_for_another_phone_number_are_ignored(client, channel):
    payload = g.wa_payload(messages=[g.wa_message("text", {"body": "Hola"})], phone_number_id="999")
    assert post(client, channel, payload).json()["stored"] == 0
    assert not Message.objects.filter(channel=channel).exists()


def test_malformed_payload_answers_400_with_the_field(client, channel):
    response = post(client, channel, {"object": "page", "entry": []})
    assert response.status_code == 400 and response.json()["field"] == "object"
    payload = g.wa_payload(messages=[{"id": "wamid.x", "type": "text", "text": {"body": "x"}}])
    response = post(client, channel, payload)
    assert response.status_code == 400
    assert response.json()["field"] == "entry[0].changes[0].value.messages[0].from"


def test_statuses_move_our_message_forward(client, channel):
    wamid = "wamid.HBgLMzQ2MDAxMTEyMjIVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
    message = outbound(channel, contact_id=g.WA_ID, external_id=wamid)
    for status in ("sent", "delivered", "read"):
        assert post(client, channel, g.wa_payload(statuses=[g.wa_status(wamid, status)])).status_code == 200
        message.refresh_from_db()
        assert message.status == status
    post(client, channel, g.wa_payload(statuses=[g.wa_status(wamid, "delivered")]))
    message.refresh_from_db()
    assert message.status == "read"  # never backwards


def test_failed_status_outside_the_window_explains_it(client, channel):
    wamid = "wamid.HBgLMzQ2MDAxMTEyMjIVAgARGBJGQTZGMUFBRjlGRjhBNDg0NTcA"
    message = outbound(channel, contact_id=g.WA_ID, external_id=wamid)
    errors = [{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
               "error_data": {"details": "Message failed to send because more than 24 hours have passed since the "
                                         "customer last replied to this number."},
               "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]
    post(client, channel, g.wa_payload(statuses=[g.wa_status(wamid, "failed", errors=errors)]))
    message.refresh_from_db()
    assert message.status == "failed"
    assert "24 hours" in message.failure_reason and "template" in message.failure_reason


def test_the_same_payload_twice_is_stored_once(client, channel):
    payload = g.wa_payload(messages=[g.wa_message("text", {"body": "Hola"})])
    assert post(client, channel, payload).json()["stored"] == 1
    assert post(client, channel, payload).json() == {"ok": True, "stored": 0, "duplicates": 1}
    assert Message.objects.filter(channel=channel).count() == 1


@pytest.mark.services  # real concurrency needs PostgreSQL; SQLite serialises writers
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_posts_are_stored_once(live_server, demo):
    channel = f.make_channel(demo.workspace, "whatsapp", config={
        "phone_number_id": g.PHONE_NUMBER_ID, "app_secret": g.APP_SECRET})
    body = json.dumps(g.wa_payload(messages=[g.wa_message("text", {"body": "Hola"})])).encode()
    statuses = hammer(f"{live_server.url}/hooks/whatsapp/{channel.uuid}/", body, {"X-Hub-Signature-256": g.sign(body)})
    assert statuses == [200] * 20
    assert Message.objects.filter(channel=channel).count() == 1


def test_media_is_downloaded_through_the_graph_media_endpoint(client, channel, fake_graph, demo):
    fake_graph.add_media("1003383421387256", b"OggS-whatsapp-voice", "audio/ogg")
    content = {"mime_type": "audio/ogg; codecs=opus", "id": "1003383421387256", "voice": True}
    post(client, channel, g.wa_payload(messages=[g.wa_message("audio", content)]))
    message = Message.objects.get(channel=channel)
    assert media.download_attachments(workspace=demo.workspace, message_id=message.pk) is False
    attachment = Attachment.objects.get(message=message)
    assert attachment.file.read() == b"OggS-whatsapp-voice"
    lookup, download = fake_graph.requests
    assert (lookup.method, lookup.path) == ("GET", f"/{g.VERSION}/1003383421387256")
    assert download.path == "/media-download/1003383421387256"
    assert lookup.bearer == download.bearer == g.ACCESS_TOKEN


def test_text_goes_out_to_the_messages_endpoint(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.WA_ID, body="Abrimos a las 9.")
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    [call] = fake_graph.requests
    assert call.path == f"/{g.VERSION}/{g.PHONE_NUMBER_ID}/messages" and call.bearer == g.ACCESS_TOKEN
    assert call.json == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": g.WA_ID,
                         "type": "text", "text": {"body": "Abrimos a las 9.", "preview_url": False}}
    message.refresh_from_db()
    assert message.status == "sent" and message.external_id.startswith("wamid.")


@pytest.mark.parametrize(("kind", "name", "ctype", "wa_type", "extra"), [
    ("audio", "song.mp3", "audio/mpeg", "audio", {}),
    ("file", "presupuesto.pdf", "application/pdf", "document", {"filename": "presupuesto.pdf", "caption": "Mira"}),
    ("image", "caja.png", "image/png", "image", {"caption": "Mira"}),
])
def test_attachments_are_uploaded_then_sent(channel, fake_graph, demo, kind, name, ctype, wa_type, extra):
    data = b"\x00media-bytes" * 8
    message = outbound(channel, contact_id=g.WA_ID, kind=kind, body="Mira", files=((name, ctype, data),))
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent", message.failure_reason
    upload = fake_graph.calls("/media")[0]
    fields, files = upload.form()
    assert upload.path == f"/{g.VERSION}/{g.PHONE_NUMBER_ID}/media"
    assert fields == {"messaging_product": "whatsapp", "type": ctype} and files["file"] == (name, ctype, data)
    sends = [r.json for r in fake_graph.calls("/messages")]
    media_id = next(iter(fake_graph.media))
    assert sends[-1] == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": g.WA_ID,
                         "type": wa_type, wa_type: {"id": media_id, **extra}}
    if wa_type == "audio":  # audio takes no caption: the text went first
        assert sends[0]["text"]["body"] == "Mira"


def test_voice_note_is_uploaded_as_ogg_and_sent_with_voice_true(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.WA_ID, kind="voice", body="",
                       files=(("recording.ogg", "audio/ogg", voice_bytes()),))
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent", message.failure_reason
    upload, send = fake_graph.requests
    fields, files = upload.form()
    assert fields == {"messaging_product": "whatsapp", "type": "audio/ogg"}
    assert files["file"][1] == "audio/ogg" and files["file"][2].startswith(b"OggS")
    media_id = next(iter(fake_graph.media))
    assert send.json == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": g.WA_ID,
                         "type": "audio", "audio": {"id": media_id, "voice": True}}


def test_outside_the_24_hour_window_the_agent_sees_why(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.WA_ID)
    fake_graph.script("/messages", g.window_error())
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.failure_reason.startswith("Not delivered: more than 24 hours have passed")


def test_500_then_200_is_retried_then_sent(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.WA_ID)
    fake_graph.script("/messages", Reply(500, {"error": {"message": "An unknown error occurred", "code": 1}}))
    assert deliver(workspace=demo.workspace, message_id=message.pk) > 0
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2


def test_429_retry_after_is_honoured(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.WA_ID)
    fake_graph.script("/messages", g.graph_error("(#130429) Rate limit hit", 130429, status=429,
                                                 headers={"Retry-After": "12"}))
    assert deliver(workspace=demo.workspace, message_id=message.pk) == 12


def test_expired_token_fails_with_a_plain_reason(channel, fake_graph, demo):
    channel.config["access_token"] = "expired"
    channel.save()
    message = outbound(channel, contact_id=g.WA_ID)
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "failed" and "reconnect the channel" in message.failure_reason


def test_capabilities():
    caps = registry.get("whatsapp").capabilities
    assert caps.voice_note and caps.voice_note_formats == ("ogg/opus",)
    assert caps.max_file_bytes == 100 * 1024 * 1024
