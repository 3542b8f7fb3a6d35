"""Each provider's schema: real payloads parse, unknown fields are ignored, wrong shapes name their field."""

from __future__ import annotations

import copy

import pytest

from connectors.base import BadPayload
from connectors.payloads import api, messenger, telegram, validate, webchat, whatsapp
from tests.fakes import graph as g
from tests.fakes import telegram as tg


def field_of(model, data) -> str:
    with pytest.raises(BadPayload) as caught:
        validate(model, data)
    return caught.value.field


# ---- API channel ----------------------------------------------------------------------------------

API = {"contact": {"id": "ext-1", "name": "Ana", "phone": 34600000000, "email": "ana@example.com"},
       "message": {"id": 7, "text": "Hola", "attachments": [{"url": "https://f.example/a.pdf"}]},
       "anything": {"else": [1, 2]}}


def test_api_payload_as_documented_parses_and_ignores_other_fields():
    parsed = validate(api.Inbound, API)
    assert (parsed.contact.phone, parsed.message.id, parsed.message.attachments[0].name) == (
        "34600000000", "7", "")


@pytest.mark.parametrize(("change", "field"), [
    (lambda p: p["message"].update(attachments=[{"url": "https://f.example/a"}] * 11), "message.attachments"),
    (lambda p: p["message"].update(attachments=[{"url": "file:///etc/passwd"}]), "message.attachments[0].url"),
    (lambda p: p["contact"].update(name="x" * 201), "contact.name"),
    (lambda p: p["contact"].update(email=["a"]), "contact.email"),
    (lambda p: p.update(contact="ext-1"), "contact"),
])
def test_api_payload_errors_name_the_field(change, field):
    payload = copy.deepcopy(API)
    change(payload)
    assert field_of(api.Inbound, payload) == field


def test_api_null_attachments_mean_none():
    assert validate(api.Inbound, {**API, "message": {"id": "m", "text": "x", "attachments": None}}
                    ).message.attachments == []


# ---- Telegram -------------------------------------------------------------------------------------


def test_telegram_updates_of_every_kind_parse():
    for update in (tg.text_update(), tg.voice_update(), tg.audio_update(), tg.document_update(), tg.photo_update(),
                   tg.edited_update(), tg.update(20000, callback_query={"id": "1", "from": tg.USER})):
        validate(telegram.Update, update)
    assert validate(telegram.Update, tg.voice_update()).message.voice.file_size == 5120


@pytest.mark.parametrize(("path", "value", "field"), [
    (("message", "chat", "id"), True, "message.chat.id"),
    (("message", "chat", "id"), 2**63, "message.chat.id"),
    (("message", "message_id"), "42", "message.message_id"),
    (("message", "text"), ["Hola"], "message.text"),
    (("message", "from"), "Ana", "message.from"),
    (("update_id",), None, "update_id"),
])
def test_telegram_wrong_types_name_the_field(path, value, field):
    update = copy.deepcopy(tg.text_update())  # the fake's CHAT and USER dicts are shared
    target = update
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert field_of(telegram.Update, update) == field


def test_telegram_file_ids_are_checked_before_they_become_links():
    update = tg.voice_update(file_id="../../bot123/getMe")
    assert field_of(telegram.Update, update) == "message.voice.file_id"


# ---- WhatsApp -------------------------------------------------------------------------------------


def test_whatsapp_messages_and_statuses_parse():
    payload = g.wa_payload(messages=[g.wa_message("image", {"id": 1003383421387256, "mime_type": "image/jpeg"})],
                           statuses=[g.wa_status("wamid.1", "failed", errors=[{"code": 131047, "title": "x",
                                                                                 "error_data": {"details": "late"}}])])
    value = validate(whatsapp.Webhook, payload).entry[0].changes[0].value
    assert value.messages[0].image.id == "1003383421387256" and value.messages[0].timestamp == 1735689600
    assert value.statuses[0].errors[0].error_data.details == "late"


@pytest.mark.parametrize(("payload", "field"), [
    ({"object": "page", "entry": []}, "object"),
    ({"object": "whatsapp_business_account", "entry": {}}, "entry"),
    (g.wa_payload(messages=[g.wa_message("audio", {"id": "a/b"})]), "entry[0].changes[0].value.messages[0].audio.id"),
    (g.wa_payload(messages=[g.wa_message("text", {"body": "x"}) | {"id": ""}]),
     "entry[0].changes[0].value.messages[0].id"),
])
def test_whatsapp_errors_name_the_field(payload, field):
    assert field_of(whatsapp.Webhook, payload) == field


# ---- Messenger ------------------------------------------------------------------------------------


def test_messenger_events_parse_and_bogus_times_are_dropped():
    read = {"sender": {"id": g.PSID}, "timestamp": "soon", "read": {"watermark": 10**20}}
    delivery = {"delivery": {"mids": ["m_1", None], "watermark": 1}}
    webhook = validate(messenger.Webhook, g.ms_payload(g.ms_message(text="hi"), read, delivery))
    message, read_event, delivery_event = webhook.entry[0].messaging
    assert message.message.mid == "m_1457764197618:41d102a3e1ae206a38" and message.timestamp == 1735689600000
    assert read_event.timestamp is None and read_event.read.watermark == 10**20
    assert delivery_event.sender is None and delivery_event.delivery.mids == ["m_1", ""]


@pytest.mark.parametrize(("event", "field"), [
    ({"sender": {"id": ""}, "message": {"mid": "m", "text": "x"}}, "entry[0].messaging[0].sender.id"),
    ({"sender": {"id": g.PSID}, "message": {"mid": "m", "attachments": [{"type": "image", "payload": {
        "url": "javascript:alert(1)"}}]}}, "entry[0].messaging[0].message.attachments[0].payload.url"),
    ({"sender": {"id": g.PSID}, "message": {"mid": "m", "is_echo": "maybe"}}, "entry[0].messaging[0].message.is_echo"),
])
def test_messenger_errors_name_the_field(event, field):
    assert field_of(messenger.Webhook, g.ms_payload(event)) == field


# ---- the widget -----------------------------------------------------------------------------------


def test_widget_forms_clean_their_fields():
    session = validate(webchat.SessionForm, {"name": "Wendy\x00 \ud800", "email": 5, "extra": []})
    assert (session.name, session.email, session.token) == ("Wendy \ufffd", "5", "")
    assert validate(webchat.MessageForm, {"text": "hola\x00", "client_id": 12345678}).client_id == "12345678"
    assert field_of(webchat.MessageForm, {"text": {"x": 1}}) == "text"
    assert field_of(webchat.SessionForm, {"name": "x" * 201}) == "name"
