"""Resync by sequence: every live frame is numbered per workspace and kept; a (re)connecting socket asks
for what came after the seq it has, and gets exactly that (or is told to reload when it is gone)."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from connectors.base import StatusReceipt
from inbox.models import Message
from inbox.services.assignment import conversation_assign
from inbox.services.receiving import receive_status
from realtime import events, journal
from tests import factories as f
from tests.inbox.helpers import inbound

from . import journal_store as store

pytestmark = pytest.mark.django_db(transaction=True)


def _probe(workspace, text: str) -> int:
    return events.publish(workspace.pk, events.CONVERSATION_UPDATED, {"probe": text})


# ---- the journal -------------------------------------------------------------------------------------


def test_each_workspace_numbers_its_frames_in_order(demo, other):
    a1, b1, a2 = _probe(demo.workspace, "a1"), _probe(other.workspace, "b1"), _probe(demo.workspace, "a2")
    assert a2 == a1 + 1  # the other workspace's frame took none of ours
    assert journal.current(demo.workspace.pk) == a2 and journal.current(other.workspace.pk) == b1
    replayed = journal.replay(demo.workspace.pk, a1 - 1)
    assert [(fr["seq"], fr["payload"]) for fr in replayed] == [(a1, {"probe": "a1"}), (a2, {"probe": "a2"})]
    assert journal.replay(demo.workspace.pk, a2) == []


def test_the_first_frame_of_a_workspace_starts_its_counter(demo):
    store.forget_counter(demo.workspace.pk)
    assert journal.current(demo.workspace.pk) == 0
    assert _probe(demo.workspace, "first") == 1


def test_a_frame_gone_from_the_journal_is_a_gap(demo):
    first = _probe(demo.workspace, "kept")
    lost = _probe(demo.workspace, "expired")
    _probe(demo.workspace, "kept too")
    store.forget_frame(demo.workspace.pk, lost)
    with pytest.raises(journal.Gap):
        journal.replay(demo.workspace.pk, first - 1)
    assert [fr["payload"]["probe"] for fr in journal.replay(demo.workspace.pk, lost)] == ["kept too"]


def test_a_slot_overwritten_by_a_later_frame_is_a_gap(demo):
    seq = _probe(demo.workspace, "old")
    store.put_frame(demo.workspace.pk, seq, {"event": "x", "seq": seq + journal.RING, "payload": {}})
    with pytest.raises(journal.Gap):
        journal.replay(demo.workspace.pk, seq - 1)


def test_a_counter_that_started_again_or_a_gap_too_large_is_a_gap(demo, monkeypatch):
    seq = _probe(demo.workspace, "now")
    with pytest.raises(journal.Gap):
        journal.replay(demo.workspace.pk, seq + 50)  # the browser saw numbers the server no longer has
    for _ in range(3):
        _probe(demo.workspace, "more")
    monkeypatch.setattr(journal, "REPLAY_MAX", 2)
    with pytest.raises(journal.Gap):
        journal.replay(demo.workspace.pk, seq)


def test_the_page_is_rendered_with_the_seq_read_before_its_queries(demo, client_for):
    conversation = f.make_conversation(demo.workspace)
    seq = _probe(demo.workspace, "before the page")
    client = client_for(demo.agent)
    # Opening the unread conversation clears its marker, which is pushed: after the page's seq, not in it.
    html = client.get(reverse("inbox:conversation", args=[demo.slug, conversation.pk])).content.decode()
    assert re.search(r'id="inbox"[^>]*data-seq="(\d+)"', html)[1] == str(seq)
    [read] = journal.replay(demo.workspace.pk, seq)
    assert read["event"] == "conversation.updated" and read["payload"]["unread"] == 0
    html = client.get(reverse("inbox:queue", args=[demo.slug])).content.decode()
    assert re.search(r'id="inbox"[^>]*data-seq="(\d+)"', html)[1] == str(seq + 1)
    panel = client.get(reverse("inbox:queue_panel", args=[demo.slug])).content.decode()
    assert re.search(r'id="queue-list"[^>]*data-seq="(\d+)"', panel)[1] == str(seq + 1)


# ---- the socket ------------------------------------------------------------------------------------


def _cookie(membership) -> bytes:
    client = Client()
    client.force_login(membership.user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _open(slug: str, cookie: bytes) -> WebsocketCommunicator:
    from config.asgi import application

    socket = WebsocketCommunicator(application, f"/ws/w/{slug}/",
                                   headers=[(b"origin", b"http://testserver"), (b"host", b"testserver"),
                                            (b"cookie", cookie)])
    connected, _code = await socket.connect(timeout=5)
    assert connected
    hello = await socket.receive_json_from(timeout=5)
    assert hello["event"] == "hello"
    return socket


async def _frames(socket, count: int, timeout: float = 5.0) -> list[dict]:
    """The next `count` frames, then nothing more (receive_nothing does not end the application)."""
    received = [await socket.receive_json_from(timeout=timeout) for _ in range(count)]
    assert await socket.receive_nothing(timeout=0.3), "more frames than expected"
    return received


def test_resume_replays_what_came_after_then_streams_live(demo, other):
    start = _probe(demo.workspace, "seen already")
    _probe(demo.workspace, "missed 1")
    _probe(other.workspace, "not ours")
    _probe(demo.workspace, "missed 2")
    cookie = _cookie(demo.agent)

    async def scenario():
        socket = await _open(demo.slug, cookie)
        await socket.send_json_to({"type": "resume", "after": start})
        replayed = await _frames(socket, 2)
        assert [fr["payload"]["probe"] for fr in replayed] == ["missed 1", "missed 2"]
        assert [fr["seq"] for fr in replayed] == [start + 1, start + 2]
        await sync_to_async(_probe)(demo.workspace, "live")
        [live] = await _frames(socket, 1)
        assert (live["payload"]["probe"], live["seq"]) == ("live", start + 3)
        await socket.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("after", ["gone", "ahead", "garbage"])
def test_resume_says_reload_when_the_journal_cannot_fill_the_gap(demo, after):
    seq = _probe(demo.workspace, "one")
    _probe(demo.workspace, "two")
    if after == "gone":
        store.forget_frame(demo.workspace.pk, seq + 1)
    asked = {"gone": seq, "ahead": seq + 1000, "garbage": "12; DROP"}[after]
    cookie = _cookie(demo.agent)

    async def scenario():
        socket = await _open(demo.slug, cookie)
        await socket.send_json_to({"type": "resume", "after": asked})
        assert await _frames(socket, 1) == [{"event": "resync.reload", "payload": {}}]
        await socket.disconnect()

    async_to_sync(scenario)()


def test_the_first_connection_gets_what_was_pushed_after_the_page_was_rendered(demo, client_for):
    channel = f.make_channel(demo.workspace, "api")
    html = client_for(demo.agent).get(reverse("inbox:queue", args=[demo.slug])).content.decode()
    page_seq = int(re.search(r'id="inbox"[^>]*data-seq="(\d+)"', html)[1])
    inbound(demo.workspace, channel, contact="c-gap", msg="m-gap", text="Arrived before the socket", name="Gil")
    cookie = _cookie(demo.agent)

    async def scenario():
        socket = await _open(demo.slug, cookie)
        await socket.send_json_to({"type": "resume", "after": page_seq})
        [created] = await _frames(socket, 1)
        assert created["event"] == "message.created" and created["seq"] == page_seq + 1
        assert "Arrived before the socket" in created["payload"]["html"]
        assert "Gil" in created["payload"]["conversation"]["row_html"]
        await socket.disconnect()

    async_to_sync(scenario)()


def test_a_status_change_during_a_drop_is_replayed_on_reconnect(demo):
    channel = f.make_channel(demo.workspace, "api")
    conversation = f.make_conversation(demo.workspace, channel=channel)
    message = Message.objects.create(workspace=demo.workspace, conversation=conversation, channel=channel,
                                     direction="out", sender_type="member", sender=demo.agent, body="Sent",
                                     status="sent", external_id="out-7", created_at=conversation.opened_at)
    cookie = _cookie(demo.agent)

    async def scenario():
        socket = await _open(demo.slug, cookie)
        await socket.send_json_to({"type": "resume", "after": await sync_to_async(journal.current)(demo.workspace.pk)})
        assert await socket.receive_nothing(timeout=0.3)  # nothing missed yet (and the resume is handled)
        await sync_to_async(conversation_assign)(workspace=demo.workspace, conversation_id=conversation.pk,
                                                 assignee=demo.agent, actor=demo.agent)
        [assigned] = await _frames(socket, 1)
        last_seen = assigned["seq"]
        await socket.disconnect()  # the connection drops; meanwhile the provider says it failed
        await sync_to_async(receive_status)(workspace=demo.workspace, channel=channel, receipt=StatusReceipt(
            external_message_id="out-7", status="failed", reason="Recipient blocked the bot"))
        again = await _open(demo.slug, cookie)
        await again.send_json_to({"type": "resume", "after": last_seen})
        [updated] = await _frames(again, 1)
        assert updated["event"] == "message.updated" and updated["payload"]["message_id"] == message.pk
        assert updated["payload"]["status"] == "failed" and "Recipient blocked the bot" in updated["payload"]["html"]
        await again.disconnect()

    async_to_sync(scenario)()


def test_a_member_of_another_workspace_never_gets_our_frames_replayed(demo, other):
    store.forget_counter(other.workspace.pk)  # the other workspace has published nothing yet
    _probe(demo.workspace, "ours")
    cookie = _cookie(other.agent)

    async def scenario():
        socket = await _open(other.slug, cookie)
        await socket.send_json_to({"type": "resume", "after": 0})
        assert await _frames(socket, 0) == []  # from 0 on: only its own workspace's frames, none
        await socket.disconnect()

    async_to_sync(scenario)()
