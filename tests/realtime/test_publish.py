"""Publishing a live frame in the services mode: numbered, kept and sent to the group's subscribers in one
Redis round trip, from synchronous code, without an event loop (realtime.journal, realtime.sender)."""

from __future__ import annotations

import asyncio
import threading

import msgpack
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from realtime import events, journal, sender

pytestmark = [pytest.mark.services, pytest.mark.django_db]

PAYLOAD = {"html": "<p>Hola &lt;b&gt; ñandú ✓</p>", "counts": None, "by": {"": 2, "7": 1}, "unread": 3,
           "ok": True, "list": [1, "x"], "empty": {}}


@pytest.fixture
def way():
    found = sender.direct()
    assert found is not None, "the services mode's layer is Redis pub/sub on one host"
    return found


def test_a_frame_is_one_redis_command(demo, way, monkeypatch):
    calls = []
    original = way.client.execute_command

    def counting(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(way.client, "execute_command", counting)
    journal.publish(demo.workspace.pk, events.workspace_group(demo.workspace.pk), events.MESSAGE_CREATED, PAYLOAD)
    assert len(calls) == 1 and calls[0] in ("EVALSHA", "EVAL")


def test_subscribers_get_the_layers_message_with_its_seq_and_the_journal_keeps_the_same_frame(demo, way):
    group = events.workspace_group(demo.workspace.pk)
    pubsub = way.client.pubsub()
    pubsub.subscribe(way.channel_of(group))
    pubsub.get_message(timeout=2)  # the subscription's confirmation
    seqs = [events.publish(demo.workspace.pk, events.MESSAGE_CREATED, {**PAYLOAD, "n": n}) for n in range(3)]
    got = []
    while len(got) < 3:
        message = pubsub.get_message(timeout=2, ignore_subscribe_messages=True)
        assert message is not None, "a frame did not arrive"
        got.append(get_channel_layer().deserialize(message["data"]))
    pubsub.close()
    assert [m["seq"] for m in got] == seqs and seqs == list(range(seqs[0], seqs[0] + 3))  # in seq order
    assert got[0] == {"type": "parley.event", "event": events.MESSAGE_CREATED, "payload": {**PAYLOAD, "n": 0},
                      "seq": seqs[0]}
    replayed = journal.replay(demo.workspace.pk, seqs[0] - 1)
    assert replayed == [{"event": events.MESSAGE_CREATED, "payload": {**PAYLOAD, "n": n}, "seq": s}
                        for n, s in zip(range(3), seqs, strict=True)]


def test_concurrent_publishers_never_share_a_seq_and_subscribers_see_them_in_order(demo, way):
    group = events.workspace_group(demo.workspace.pk)
    pubsub = way.client.pubsub()
    pubsub.subscribe(way.channel_of(group))
    pubsub.get_message(timeout=2)
    seqs: list[int] = []
    lock = threading.Lock()

    def publish_some():
        for _ in range(25):
            seq = events.publish(demo.workspace.pk, events.CONVERSATION_UPDATED, {"probe": 1})
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=publish_some) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = []
    while len(received) < 100:
        message = pubsub.get_message(timeout=2, ignore_subscribe_messages=True)
        assert message is not None
        received.append(msgpack.unpackb(message["data"])["seq"])
    pubsub.close()
    assert sorted(seqs) == received and len(set(seqs)) == 100


def test_a_websocket_consumer_receives_a_direct_group_send(demo):
    """The layer's own receive side reads what sender.group_send PUBLISHes (same channel, same encoding)."""
    layer = get_channel_layer()

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add("probe.group", channel)
        await asyncio.sleep(0.1)  # the SUBSCRIBE reached Redis
        await asyncio.to_thread(sender.group_send, "probe.group", {"type": "probe", "n": 7})
        received = await layer.receive(channel)
        await layer.group_discard("probe.group", channel)
        return received

    assert async_to_sync(scenario)() == {"type": "probe", "n": 7}
