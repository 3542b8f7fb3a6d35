"""Messenger: handshake, signatures, text and attachments in, echoes and receipts, outbound (voice → audio)."""

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
    return f.make_channel(demo.workspace, "messenger", config={
        "page_id": g.PAGE_ID, "access_token": g.PAGE_TOKEN, "app_secret": g.APP_SECRET,
        "verify_token": g.VERIFY_TOKEN})


def post(client, channel, payload, signature: str | None = ""):
    body = json.dumps(payload).encode()
    headers = {"X-Hub-Signature-256": g.sign(body) if signature == "" else signature} if signature is not None else {}
    return post_json(client, channel, body, headers)


def test_verification_handshake(client, channel):
    url = f"/hooks/messenger/{channel.uuid}/"
    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": g.VERIFY_TOKEN, "hub.challenge": "CHALLENGE_1"})
    assert ok.status_code == 200 and ok.content == b"CHALLENGE_1" and ok["Content-Type"].startswith("text/plain")
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "CHALLENGE_1"})
    assert wrong.status_code == 403


@pytest.mark.parametrize("signature", ["sha256=" + "f" * 64, None, g.sign(b"{}", "another-app-secret")])
def test_bad_signature_is_refused_and_nothing_stored(client, channel, signature):
    assert post(client, channel, g.ms_payload(g.ms_message(text="hello")), signature=signature).status_code == 403
    assert not Message.objects.filter(channel=channel).exists()


def test_text_message_is_stored(client, channel):
    response = post(client, channel, g.ms_payload(g.ms_message(text="Hi, is the blue one in stock?")))
    assert response.status_code == 200, response.content
    message = Message.objects.get(channel=channel)
    assert (message.kind, message.body) == ("text", "Hi, is the blue one in stock?")
    assert message.external_id == "m_1457764197618:41d102a3e1ae206a38"
    assert message.conversation.contact.identities.get().external_id == g.PSID


@pytest.mark.parametrize(("atype", "url", "kind", "name"), [
    ("audio", "https://cdn.fbsbx.com/v/t59.3654-21/436_n.mp4/audioclip-1735689600000-2401.mp4?_nc_cat=1&oh=x",
     "audio", "audioclip-1735689600000-2401.mp4"),
    ("file", "https://cdn.fbsbx.com/v/t59.2708-21/2812_n.pdf/receipt.pdf?_nc_cat=105", "file", "receipt.pdf"),
    ("image", "https://scontent.xx.fbcdn.net/v/t1.15752-9/1176_n.png?_nc_cat=111", "image", "1176_n.png"),
    ("video", "https://video.xx.fbcdn.net/v/t42.3356-2/10000_n.mp4?_nc_cat=1", "file", "10000_n.mp4"),
])
def test_attachments_are_stored_with_their_links(client, channel, atype, url, kind, name):
    payload = g.ms_payload(g.ms_message(attachments=[g.ms_attachment(atype, url)]))
    assert post(client, channel, payload).status_code == 200
    message = Message.objects.get(channel=channel)
    assert message.kind == kind
    attachment = message.attachments.get()
    assert (attachment.name, attachment.source_url) == (name, url)


def test_echoes_read_receipts_and_other_pages_are_ignored(client, channel):
    payload = g.ms_payload(g.ms_message(text="our own reply", echo=True),
                           {"sender": {"id": g.PSID}, "recipient": {"id": g.PAGE_ID}, "timestamp": 1,
                            "read": {"watermark": 1458668856253}})
    assert post(client, channel, payload).json()["stored"] == 0
    assert post(client, channel, g.ms_payload(g.ms_message(text="hi"), page_id="42")).json()["stored"] == 0
    assert not Message.objects.filter(channel=channel).exists()


def test_read_watermark_marks_our_earlier_messages_read(client, channel, demo):
    from datetime import UTC, datetime, timedelta

    contact = f.make_contact(demo.workspace, channel, name="Lucía", external_id=g.PSID)
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
    watermark = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    before = Message.objects.create(workspace=demo.workspace, conversation=conversation, channel=channel,
                                    direction="out", sender_type="member", body="a", status="sent",
                                    created_at=watermark - timedelta(minutes=1))
    after = Message.objects.create(workspace=demo.workspace, conversation=conversation, channel=channel,
                                   direction="out", sender_type="member", body="b", status="sent",
                                   created_at=watermark + timedelta(minutes=1))
    payload = g.ms_payload({"sender": {"id": g.PSID}, "recipient": {"id": g.PAGE_ID}, "timestamp": 1,
                            "read": {"watermark": int(watermark.timestamp() * 1000)}})
    assert post(client, channel, payload).status_code == 200
    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.status, after.status) == ("read", "sent")


def test_delivery_receipts_mark_our_messages_delivered(client, channel):
    message = outbound(channel, contact_id=g.PSID, external_id="m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdj")
    payload = g.ms_payload({"sender": {"id": g.PSID}, "recipient": {"id": g.PAGE_ID}, "timestamp": 1458668856463,
                            "delivery": {"mids": [message.external_id], "watermark": 1458668856253}})
    assert post(client, channel, payload).status_code == 200
    message.refresh_from_db()
    assert message.status == "delivered"


def test_the_same_payload_twice_is_stored_once(client, channel):
    payload = g.ms_payload(g.ms_message(text="hello"))
    post(client, channel, payload)
    assert post(client, channel, payload).json()["duplicates"] == 1
    assert Message.objects.filter(channel=channel).count() == 1


@pytest.mark.services  # real concurrency needs PostgreSQL; SQLite serialises writers
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_posts_are_stored_once(live_server, demo):
    channel = f.make_channel(demo.workspace, "messenger", config={"page_id": g.PAGE_ID, "app_secret": g.APP_SECRET})
    body = json.dumps(g.ms_payload(g.ms_message(text="hello"))).encode()
    statuses = hammer(f"{live_server.url}/hooks/messenger/{channel.uuid}/", body,
                      {"X-Hub-Signature-256": g.sign(body)})
    assert statuses == [200] * 20
    assert Message.objects.filter(channel=channel).count() == 1


def test_attachment_links_are_downloaded_directly(client, channel, fake_graph, demo):
    fake_graph.add_media("cdn-image", b"\x89PNG-bytes", "image/png")
    url = f"{fake_graph.url}/media-download/cdn-image"
    fake_graph.tokens.add("")  # a CDN link needs no token
    post(client, channel, g.ms_payload(g.ms_message(attachments=[g.ms_attachment("image", url)])))
    message = Message.objects.get(channel=channel)
    assert media.download_attachments(workspace=demo.workspace, message_id=message.pk) is False
    attachment = Attachment.objects.get(message=message)
    assert (attachment.file.read(), attachment.content_type) == (b"\x89PNG-bytes", "image/png")


def test_text_goes_out_with_the_send_api(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.PSID, body="Yes, size M and L.")
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    [call] = fake_graph.requests
    assert call.path == f"/{g.VERSION}/{g.PAGE_ID}/messages" and call.bearer == g.PAGE_TOKEN
    assert call.json == {"recipient": {"id": g.PSID}, "messaging_type": "RESPONSE",
                         "message": {"text": "Yes, size M and L."}}
    message.refresh_from_db()
    assert message.status == "sent" and message.external_id.startswith("m_")


def test_long_text_is_split_at_messengers_limit(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.PSID, body="a" * 4096)
    deliver(workspace=demo.workspace, message_id=message.pk)
    assert [len(r.json["message"]["text"]) for r in fake_graph.requests] == [2000, 2000, 96]


@pytest.mark.parametrize(("kind", "name", "ctype", "mtype"), [
    ("audio", "song.mp3", "audio/mpeg", "audio"),
    ("file", "catalogue.pdf", "application/pdf", "file"),
    ("image", "shoe.jpg", "image/jpeg", "image"),
])
def test_attachments_are_uploaded_with_the_send_api(channel, fake_graph, demo, kind, name, ctype, mtype):
    data = b"\x01bytes" * 16
    message = outbound(channel, contact_id=g.PSID, kind=kind, body="", files=((name, ctype, data),))
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent", message.failure_reason
    [call] = fake_graph.requests
    fields, files = call.form()
    assert call.path == f"/{g.VERSION}/{g.PAGE_ID}/messages"
    assert json.loads(fields["recipient"]) == {"id": g.PSID}
    assert json.loads(fields["message"]) == {"attachment": {"type": mtype, "payload": {"is_reusable": True}}}
    assert files["filedata"] == (name, ctype, data)


def test_a_voice_recording_goes_as_an_audio_attachment(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.PSID, kind="voice", body="",
                       files=(("recording.ogg", "audio/ogg", voice_bytes()),))
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "sent", message.failure_reason
    [call] = fake_graph.requests
    fields, files = call.form()
    assert json.loads(fields["message"]) == {"attachment": {"type": "audio", "payload": {"is_reusable": True}}}
    name, ctype, data = files["filedata"]
    assert ctype.startswith("audio/") and data


def test_outside_the_window_the_agent_sees_why(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.PSID)
    fake_graph.script("/messages", g.graph_error("(#10) This message is sent outside of allowed window.", 10,
                                                 subcode=2018278))
    deliver(workspace=demo.workspace, message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and "24 hours" in message.failure_reason


def test_500_then_200_and_retry_after(channel, fake_graph, demo):
    message = outbound(channel, contact_id=g.PSID)
    fake_graph.script("/messages", Reply(503, b"upstream down", content_type="text/plain"),
                      Reply(429, {"error": {"message": "Too many calls", "code": 613}}, headers={"Retry-After": "3"}))
    assert deliver(workspace=demo.workspace, message_id=message.pk) > 0
    assert deliver(workspace=demo.workspace, message_id=message.pk) == 3
    assert deliver(workspace=demo.workspace, message_id=message.pk) is None
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 3)


def test_capabilities_say_no_voice_notes():
    caps = registry.get("messenger").capabilities
    assert not caps.voice_note and caps.audio and caps.file and caps.image
    assert caps.max_file_bytes == 25 * 1024 * 1024


def test_a_new_contact_gets_its_name_from_the_profile_api(client, channel, fake_graph, demo,
                                                          django_capture_on_commit_callbacks, monkeypatch):
    from contacts.services.profiles import contact_fill_from_channel
    from kernel import relay

    queued = []  # what the relay is handed after commit (kernel.jobs)
    monkeypatch.setattr(relay, "submit", lambda *jobs: queued.extend(
        job.args for job in jobs if job.task == "inbox.tasks.fetch_contact_profile"))
    with django_capture_on_commit_callbacks(execute=True):
        post(client, channel, g.ms_payload(g.ms_message(text="hello")))
    contact = Message.objects.get(channel=channel).conversation.contact
    assert contact.name == "" and queued == [(demo.workspace.pk, contact.pk, channel.pk)]
    assert contact_fill_from_channel(workspace=demo.workspace, contact_id=contact.pk, channel_id=channel.pk) is False
    contact.refresh_from_db()
    assert contact.name == "Lucía Pérez"
    [call] = fake_graph.calls(f"/{g.PSID}")
    assert call.query == {"fields": "first_name,last_name"} and call.bearer == g.PAGE_TOKEN


def test_profile_lookup_failures_keep_the_contact_and_retry_only_when_transient(channel, fake_graph, demo):
    from contacts.models import Contact
    from contacts.services.profiles import contact_fill_from_channel

    contact = f.make_contact(demo.workspace, channel, name="", external_id=g.PSID)
    fake_graph.script(f"/{g.PSID}", Reply(503, b"down", content_type="text/plain"))
    assert contact_fill_from_channel(workspace=demo.workspace, contact_id=contact.pk, channel_id=channel.pk) is True
    fake_graph.script(f"/{g.PSID}", g.graph_error("(#230) Requires pages_messaging permission", 230))
    assert contact_fill_from_channel(workspace=demo.workspace, contact_id=contact.pk, channel_id=channel.pk) is False
    assert Contact.objects.get(pk=contact.pk).name == ""


def test_a_named_contact_is_not_looked_up(channel, fake_graph, demo):
    from contacts.services.profiles import contact_fill_from_channel

    contact = f.make_contact(demo.workspace, channel, name="Known Name", external_id=g.PSID)
    assert contact_fill_from_channel(workspace=demo.workspace, contact_id=contact.pk, channel_id=channel.pk) is False
    assert fake_graph.calls(f"/{g.PSID}") == []
