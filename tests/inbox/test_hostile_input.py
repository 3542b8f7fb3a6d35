"""Each attack from the security review, replayed: a 4xx JSON answer naming the field with nothing stored, or the
message stored clean — never a 500. (tests/inbox/test_fuzz_*.py generalise these with Hypothesis.)"""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.handlers.asgi import ASGIRequest

from contacts.models import Contact
from inbox import hooks
from inbox.models import Attachment, Message
from tests import factories as f
from tests.fakes import graph as g
from tests.fakes import telegram as tg
from webchat import services as webchat

from .hostile import snapshot

SHOP = "https://shop.example"
SECRET = "Hostile_secret-token_0123456789"
NESTED = b"[" * 50_000
SIX_MB = 6 * 1024 * 1024


@pytest.fixture(autouse=True)
def no_tasks(monkeypatch):
    from inbox import tasks

    for task in (tasks.download_attachments, tasks.fetch_contact_profile, tasks.deliver_message):
        monkeypatch.setattr(task, "delay", lambda *a: None)


@pytest.fixture
def channels(demo) -> dict:
    return {
        "api": f.make_channel(demo.workspace, "api"),
        "telegram": f.make_channel(demo.workspace, "telegram", secret=SECRET, config={"bot_token": tg.BOT_TOKEN}),
        "whatsapp": f.make_channel(demo.workspace, "whatsapp", config={"phone_number_id": g.PHONE_NUMBER_ID,
                                                                       "app_secret": g.APP_SECRET}),
        "messenger": f.make_channel(demo.workspace, "messenger", config={"page_id": g.PAGE_ID,
                                                                         "app_secret": g.APP_SECRET}),
        "webchat": f.make_channel(demo.workspace, "webchat", config={"allowed_origins": [SHOP]}),
    }


def auth(channel, body: bytes) -> dict[str, str]:
    """The headers that make `body` authentic for this channel."""
    if channel.kind == "api":
        return {"Authorization": f"Bearer {channel.token}"}
    if channel.kind == "telegram":
        return {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    return {"X-Hub-Signature-256": g.sign(body)}


def hook(client, channel, payload: dict | bytes):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(f"/hooks/{channel.kind}/{channel.uuid}/", data=body, content_type="application/json",
                       headers=auth(channel, body))


def widget(client, channel, endpoint: str, body: bytes, token: str | None = None):
    headers = {"origin": SHOP, **({"authorization": f"Bearer {token}"} if token else {})}
    return client.post(f"/widget/{channel.uuid}/{endpoint}/", data=body, content_type="application/json",
                       headers=headers)


def refused(response, status: int, field: str, before) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["field"] == field and response.json()["error"]
    assert snapshot().counts == before.counts


def api_body(contact_id="ext-1", message_id="m-1", text="Hola", **contact) -> dict:
    return {"contact": {"id": contact_id, **contact}, "message": {"id": message_id, "text": text}}


# ---- deeply nested JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["api", "telegram", "whatsapp", "messenger"])
def test_deeply_nested_json_on_a_webhook_is_400_body(client, channels, kind):
    before = snapshot()
    refused(hook(client, channels[kind], NESTED), 400, "body", before)


@pytest.mark.parametrize("endpoint", ["session", "messages"])
def test_deeply_nested_json_on_the_widget_is_400_body(client, channels, endpoint):
    channel = channels["webchat"]
    before = snapshot()
    refused(widget(client, channel, endpoint, NESTED, token=webchat.issue_token(channel)), 400, "body", before)


def test_nested_json_inside_an_ignored_field_is_still_stored(client, channels):
    body = b'{"extra": ' + b"[" * 500 + b"]" * 500 + b', ' + json.dumps(api_body())[1:].encode()
    assert hook(client, channels["api"], body).status_code == 200
    assert Message.objects.get(channel=channels["api"]).body == "Hola"


# ---- lone surrogates ------------------------------------------------------------------------------


def test_lone_surrogate_in_api_text_is_replaced_and_stored(client, channels):
    response = hook(client, channels["api"], api_body(text="x\ud800y"))
    assert response.status_code == 200, response.content
    assert Message.objects.get(channel=channels["api"]).body == "x\ufffdy"


def test_lone_surrogate_in_api_contact_name_is_replaced_and_stored(client, channels):
    assert hook(client, channels["api"], api_body(name="Ana\udc00")).status_code == 200
    assert Contact.objects.for_workspace(channels["api"].workspace).get().name == "Ana\ufffd"


def test_lone_surrogate_in_api_contact_id_is_400(client, channels):
    before = snapshot()
    refused(hook(client, channels["api"], api_body(contact_id="x\ud800y")), 400, "contact.id", before)


def test_lone_surrogates_in_widget_text_name_and_token_never_reach_the_database(client, channels, settings):
    settings.WEBCHAT_SESSIONS_PER_MINUTE = 100
    channel = channels["webchat"]
    started = widget(client, channel, "session", json.dumps({"name": "Wendy\ud800", "token": "\udfff"}).encode())
    assert started.status_code == 201, started.content
    token = started.json()["token"]
    assert webchat.read_token(token, channel).name == "Wendy\ufffd"
    posted = widget(client, channel, "messages", json.dumps({"text": "hi \ud800 there"}).encode(), token=token)
    assert posted.status_code == 201, posted.content
    message = Message.objects.get(channel=channel)
    assert message.body == "hi \ufffd there" and message.conversation.contact.name == "Wendy\ufffd"


def test_text_that_is_not_utf8_is_400_body(client, channels):
    before = snapshot()
    refused(hook(client, channels["api"], b'{"contact": {"id": "\xed\xa0\x80"}}'), 400, "body", before)


# ---- timestamps and hints -------------------------------------------------------------------------


def test_telegram_date_far_in_the_future_is_dropped_and_the_message_stored(client, channels):
    update = tg.text_update()
    update["message"]["date"] = 10**12
    assert hook(client, channels["telegram"], update).status_code == 200
    assert Message.objects.get(channel=channels["telegram"]).body == "Hola, ¿tienen envío a Sevilla?"


def test_telegram_file_size_that_is_not_a_number_is_ignored(client, channels):
    update = tg.photo_update()
    update["message"]["photo"][0]["file_size"] = "x"  # compared with the others' numbers, it was a 500
    assert hook(client, channels["telegram"], update).status_code == 200
    attachment = Attachment.objects.get(message__channel=channels["telegram"])
    assert attachment.source_url == "telegram://file/AgACAgIAAxkBAAIBamVphotoLarge"


def test_telegram_id_of_the_wrong_type_is_400_naming_it(client, channels):
    update = copy.deepcopy(tg.text_update())  # the fake's CHAT dict is shared
    update["message"]["chat"]["id"] = "111222333"
    before = snapshot()
    refused(hook(client, channels["telegram"], update), 400, "message.chat.id", before)


def test_messenger_timestamp_10_to_the_20_is_dropped_and_the_message_stored(client, channels):
    event = g.ms_message(text="hello")
    event["timestamp"] = 10**20
    assert hook(client, channels["messenger"], g.ms_payload(event)).status_code == 200
    assert Message.objects.get(channel=channels["messenger"]).body == "hello"


def test_messenger_read_watermark_10_to_the_20_marks_nothing_read(client, channels, demo):
    channel = channels["messenger"]
    contact = f.make_contact(demo.workspace, channel, external_id=g.PSID)
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact)
    ours = Message.objects.create(workspace=demo.workspace, conversation=conversation, channel=channel,
                                  direction="out", sender_type="member", body="a", status="sent",
                                  created_at=conversation.opened_at)
    read = {"sender": {"id": g.PSID}, "recipient": {"id": g.PAGE_ID}, "timestamp": 10**20,
            "read": {"watermark": 10**20}}
    assert hook(client, channel, g.ms_payload(read)).status_code == 200
    ours.refresh_from_db()
    assert ours.status == "sent"


# ---- ids that are empty once cleaned --------------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    (api_body(contact_id="\x00\x01\x1f"), "contact.id"),
    (api_body(message_id="\x7f \x0b\x9f"), "message.id"),
    (api_body(contact_id=" \t\n "), "contact.id"),
])
def test_api_ids_made_only_of_control_characters_are_400(client, channels, body, field):
    before = snapshot()
    refused(hook(client, channels["api"], body), 400, field, before)


def test_whatsapp_and_messenger_ids_made_only_of_control_characters_are_400(client, channels):
    before = snapshot()
    wa = g.wa_payload(messages=[{**g.wa_message("text", {"body": "Hola"}), "from": "\x00\x1f"}])
    refused(hook(client, channels["whatsapp"], wa), 400, "entry[0].changes[0].value.messages[0].from", before)
    ms = g.ms_payload(g.ms_message(mid="\x01\x02", text="hello"))
    refused(hook(client, channels["messenger"], ms), 400, "entry[0].messaging[0].message.mid", before)


def test_an_id_with_control_characters_dedupes_with_its_clean_self(client, channels):
    assert hook(client, channels["api"], api_body(message_id="m-7")).json()["stored"] == 1
    again = hook(client, channels["api"], api_body(message_id="m-\x007"))
    assert again.json() == {"ok": True, "stored": 0, "duplicates": 1}
    assert Message.objects.filter(channel=channels["api"]).count() == 1


# ---- bodies over the limit: JSON 413 at any size --------------------------------------------------


@pytest.mark.parametrize("kind", ["api", "telegram", "whatsapp", "messenger", "webchat"])
def test_a_6_mb_body_is_a_json_413_on_every_webhook(client, channels, kind):
    body = b'{"pad": "' + b"x" * SIX_MB + b'"}'
    before = snapshot()
    refused(hook(client, channels[kind], body), 413, "body", before)


def test_a_body_just_over_the_limit_is_413_and_one_at_the_limit_is_read(client, channels):
    channel = channels["api"]
    fitting = json.dumps(api_body()).encode()
    fitting = fitting[:-1] + b', "pad": "' + b"x" * (hooks.MAX_BODY - len(fitting) - 11) + b'"}'
    assert len(fitting) == hooks.MAX_BODY
    assert hook(client, channel, fitting).status_code == 200
    assert hook(client, channel, fitting[:-1] + b' }').status_code == 413


def test_a_chunked_body_without_content_length_is_cut_at_the_limit(channels):
    """ASGI servers pass Transfer-Encoding: chunked bodies with no Content-Length: the read itself is capped."""
    channel = channels["api"]
    body = b'{"pad": "' + b"x" * SIX_MB + b'"}'
    scope = {"type": "http", "method": "POST", "path": f"/hooks/api/{channel.uuid}/", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"transfer-encoding", b"chunked"), (b"authorization", f"Bearer {channel.token}".encode())]}
    request = ASGIRequest(scope, io.BytesIO(body))
    assert "CONTENT_LENGTH" not in request.META
    response = hooks.inbound(request, "api", channel.uuid)
    assert response.status_code == 413 and json.loads(response.content)["field"] == "body"


@pytest.mark.parametrize("endpoint", ["session", "messages"])
def test_a_6_mb_json_body_on_the_widget_is_a_json_413(client, channels, endpoint):
    channel = channels["webchat"]
    body = json.dumps({"text": "x" * SIX_MB, "name": "x"}).encode()
    before = snapshot()
    refused(widget(client, channel, endpoint, body, token=webchat.issue_token(channel)), 413, "body", before)


def test_a_6_mb_form_on_the_widget_session_is_a_json_413(client, channels):
    channel = channels["webchat"]
    response = client.post(f"/widget/{channel.uuid}/session/", {"name": "x" * SIX_MB}, headers={"origin": SHOP})
    assert response.status_code == 413 and response.json()["field"] == "body"


# ---- the composer ---------------------------------------------------------------------------------


def test_nul_and_control_characters_in_the_composer_are_dropped_from_the_stored_reply(client_for, demo):
    conversation = f.make_conversation(demo.workspace)
    response = client_for(demo.agent).post(f"/w/{demo.slug}/messages/{conversation.pk}/reply/",
                                           {"body": "Hola\x00 Ana\x1b,\tmañana\r\nte llamo"},
                                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200, response.content
    reply = Message.objects.get(conversation=conversation, direction="out")
    assert reply.body == "Hola Ana,\tmañana\nte llamo"


def test_a_composer_text_of_only_nul_characters_is_refused_as_empty(client_for, demo):
    conversation = f.make_conversation(demo.workspace)
    response = client_for(demo.agent).post(f"/w/{demo.slug}/messages/{conversation.pk}/reply/",
                                           {"body": "\x00\x00"}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400 and "Write a message" in response.content.decode()
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()
