"""Property-based fuzz of every webhook connector: whatever an authenticated sender posts, the answer is never
a 5xx, a 4xx stores nothing, and stored text is clean (see tests/inbox/hostile.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inbox.models import Channel
from tests import factories as f
from tests.fakes import graph as g
from tests.fakes import telegram as tg

from .hostile import FUZZ, bodies, check_answer, ids, nasty_text, snapshot, with_raw_bodies

SECRET = "Fuzz_secret-token_0123456789"


@pytest.fixture(autouse=True)
def no_tasks(monkeypatch):
    from inbox import tasks

    for task in (tasks.download_attachments, tasks.fetch_contact_profile, tasks.deliver_message):
        monkeypatch.setattr(task, "delay", lambda *a: None)


def _channel(demo, kind: str, **fields) -> Channel:
    """One channel per fuzz test, made by its first example (the database is shared by all its examples)."""
    return (Channel.objects.for_workspace(demo.workspace).filter(kind=kind).first()
            or f.make_channel(demo.workspace, kind, **fields))


def _post(client, channel, body: bytes, headers: dict[str, str]):
    return client.post(f"/hooks/{channel.kind}/{channel.uuid}/", data=body, content_type="application/json",
                       headers=headers)


api_payloads = st.fixed_dictionaries({
    "contact": st.fixed_dictionaries({"id": ids}, optional={"name": nasty_text, "phone": nasty_text,
                                                            "email": nasty_text}),
    "message": st.fixed_dictionaries({"id": ids, "text": nasty_text}, optional={"attachments": st.just([
        {"url": "https://files.example.com/f.pdf", "name": "f.pdf", "content_type": "application/pdf"}])}),
})


@FUZZ
@with_raw_bodies()
@given(body=bodies(api_payloads))
def test_api_hook_survives_hostile_bodies(client, demo, body):
    channel = _channel(demo, "api")
    before = snapshot()
    check_answer(_post(client, channel, body, {"Authorization": f"Bearer {channel.token}"}), before)


telegram_messages = st.fixed_dictionaries({
    "message_id": st.integers(min_value=1, max_value=10**6), "from": st.just(tg.USER), "chat": st.just(tg.CHAT),
    "date": st.sampled_from([1735689600, 10**12, -1, "x"]), "text": nasty_text,
}, optional={
    "caption": nasty_text,
    "photo": st.just([{"file_id": "AgACAgIAAxkBAAIBamVphotoSmall", "file_size": "x", "width": 90},
                      {"file_id": "AgACAgIAAxkBAAIBamVphotoLarge", "file_size": 80420, "width": 1280}]),
    "voice": st.just({"file_id": "AwACAgIAAxkBAAIBZ2VvoiceFileId", "mime_type": "audio/ogg", "file_size": 5120}),
    "location": st.just({"latitude": 37.38, "longitude": -5.98}),
})
telegram_updates = st.one_of(
    st.builds(lambda n, m: {"update_id": n, "message": m}, st.integers(min_value=1, max_value=10**9),
              telegram_messages),
    st.builds(lambda n, m: {"update_id": n, "edited_message": {**m, "edit_date": 1735689700}},
              st.integers(min_value=1, max_value=10**9), telegram_messages),
)


@FUZZ
@with_raw_bodies()
@given(body=bodies(telegram_updates))
def test_telegram_hook_survives_hostile_bodies(client, demo, body):
    channel = _channel(demo, "telegram", secret=SECRET, config={"bot_token": tg.BOT_TOKEN})
    before = snapshot()
    check_answer(_post(client, channel, body, {"X-Telegram-Bot-Api-Secret-Token": SECRET}), before)


wa_messages = st.one_of(
    st.builds(lambda i, t: g.wa_message("text", {"body": t}, msg_id=str(i)), ids, nasty_text),
    st.builds(lambda i: g.wa_message("audio", {"mime_type": "audio/ogg; codecs=opus", "id": "1003383421387256",
                                               "voice": True}, msg_id=str(i)), ids),
    st.builds(lambda i, t: g.wa_message("location", {"latitude": 1e308, "longitude": t, "name": t},
                                        msg_id=str(i)), ids, nasty_text),
)
wa_payloads = st.one_of(
    st.builds(lambda ms, name: g.wa_payload(messages=ms, name=name), st.lists(wa_messages, min_size=1, max_size=3),
              nasty_text),
    st.builds(lambda i, s: g.wa_payload(statuses=[g.wa_status(str(i), s, errors=[{"code": 131047, "title": "x"}])]),
              ids, st.sampled_from(["sent", "delivered", "read", "failed", "bogus"])),
)


@FUZZ
@with_raw_bodies()
@given(body=bodies(wa_payloads))
def test_whatsapp_hook_survives_hostile_bodies(client, demo, body):
    channel = _channel(demo, "whatsapp", config={"phone_number_id": g.PHONE_NUMBER_ID, "app_secret": g.APP_SECRET})
    before = snapshot()
    check_answer(_post(client, channel, body, {"X-Hub-Signature-256": g.sign(body)}), before)


def _ms_event(kind: str, mid: Any, text: str, stamp: int) -> dict:
    if kind == "read":
        return {"sender": {"id": g.PSID}, "recipient": {"id": g.PAGE_ID}, "timestamp": stamp,
                "read": {"watermark": stamp}}
    if kind == "delivery":
        return {"sender": {"id": g.PSID}, "recipient": {"id": g.PAGE_ID}, "timestamp": stamp,
                "delivery": {"mids": [mid], "watermark": stamp}}
    attachments = [g.ms_attachment("image", "https://scontent.xx.fbcdn.net/v/1176_n.png")] if kind == "image" else None
    event = g.ms_message(mid=mid, text=text, attachments=attachments)
    event["timestamp"] = stamp
    return event


ms_payloads = st.builds(
    lambda events: g.ms_payload(*events),
    st.lists(st.builds(_ms_event, st.sampled_from(["text", "image", "read", "delivery"]), ids, nasty_text,
                       st.sampled_from([1735689600000, 10**20, -1, 0])), min_size=1, max_size=3),
)


@FUZZ
@with_raw_bodies()
@given(body=bodies(ms_payloads))
def test_messenger_hook_survives_hostile_bodies(client, demo, body):
    channel = _channel(demo, "messenger", config={"page_id": g.PAGE_ID, "app_secret": g.APP_SECRET})
    before = snapshot()
    check_answer(_post(client, channel, body, {"X-Hub-Signature-256": g.sign(body)}), before)
