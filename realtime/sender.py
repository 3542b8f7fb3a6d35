"""Sending to the channel layer from synchronous code (views, services, Celery tasks).

The services mode's layer is Redis pub/sub (channels_redis.pubsub): a group send is one PUBLISH to the
group's Redis channel, which every ASGI process with a member socket has subscribed to. Synchronous code
does that PUBLISH itself with a plain redis-py client (`direct()`), in the calling thread: no event loop,
no hop to another thread, one round trip. The live journal uses the same client to number, keep and publish
a frame in one script (realtime.journal).

Any other layer goes through the layer's own group_send: channels_redis.core from one long-lived loop thread
(its connections are kept per loop, so a loop per call would pay for a new connection each time); the
in-memory layer (embedded mode) on the loop that serves the websockets, from the embedded worker's threads
too (kernel.embedded.server_loop()).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from dataclasses import dataclass

import msgpack
import redis
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from kernel import embedded

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()
SEND_TIMEOUT = 5.0
PUBSUB_LAYER = "channels_redis.pubsub.RedisPubSubChannelLayer"


@dataclass(frozen=True)
class Direct:
    """A synchronous way into the pub/sub layer: `client` (redis-py, thread-safe pool) and how the layer names
    and encodes what it receives."""

    client: redis.Redis
    prefix: str
    layer: object  # the RedisPubSubChannelLayer, for its serializer
    plain_msgpack: bool  # the layer's format is msgpack.packb as is (no encryption): frames can be spliced

    def channel_of(self, group: str) -> str:
        # channels_redis.pubsub.RedisPubSubLoopLayer._get_group_channel_name: the Redis channel of a group.
        return f"{self.prefix}__group__{group}"

    def serialize(self, message: dict) -> bytes:
        return self.layer.serialize(message)


_direct: tuple[int, Direct | None] | None = None  # (pid, …): a forked child makes its own client


def direct() -> Direct | None:
    """The direct way when the default layer is Redis pub/sub on one host, else None."""
    global _direct
    pid = os.getpid()
    if _direct is not None and _direct[0] == pid:
        return _direct[1]
    with _lock:
        if _direct is None or _direct[0] != pid:
            _direct = (pid, _make_direct())
        return _direct[1]


def _make_direct() -> Direct | None:
    config = settings.CHANNEL_LAYERS.get("default", {})
    if config.get("BACKEND") != PUBSUB_LAYER:
        return None
    options = config.get("CONFIG", {})
    hosts = options.get("hosts") or []
    if len(hosts) != 1:
        return None  # sharded: the layer picks a host per channel; leave that to it
    host = hosts[0]
    address = host if isinstance(host, str) else host.get("address") if isinstance(host, dict) else None
    if not address or (isinstance(host, dict) and set(host) - {"address"}):
        return None
    layer = get_channel_layer()
    sample = {"type": "probe", "n": 1}
    return Direct(client=redis.Redis.from_url(address, socket_timeout=SEND_TIMEOUT,
                                              socket_connect_timeout=SEND_TIMEOUT, health_check_interval=30),
                  prefix=options.get("prefix", "asgi"), layer=layer,
                  plain_msgpack=layer.serialize(sample) == msgpack.packb(sample))


def _shared_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="parley-channel-layer", daemon=True).start()
        return _loop


def _run(coro: Coroutine) -> None:
    asyncio.run_coroutine_threadsafe(coro, _shared_loop()).result(timeout=SEND_TIMEOUT)


def _running_on(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def group_send(group: str, message: dict) -> None:
    """Send one message to a group and wait until the layer has taken it (raises on failure)."""
    way = direct()
    if way is not None:
        way.client.publish(way.channel_of(group), way.serialize(message))
        return
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        # The in-memory layer lives on the server's loop: reach it there from any thread (the embedded
        # worker's included), never through a loop of our own.
        loop = embedded.server_loop()
        if loop is not None and loop.is_running() and not _running_on(loop):
            asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).result(timeout=SEND_TIMEOUT)
            return
        async_to_sync(layer.group_send)(group, message)
        return
    _run(layer.group_send(group, message))
