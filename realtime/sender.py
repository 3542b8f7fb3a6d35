"""Sending to the channel layer from synchronous code (views, services, Celery tasks).

With Redis, `async_to_sync(layer.group_send)` from a plain thread starts a new event loop for every
call, and channels-redis keeps its connections per loop: each push paid for a fresh Redis
connection. Here one long-lived loop thread does all the sending, so connections are reused.
The in-memory layer (embedded mode) must be reached on the loop that serves the websockets: from the
embedded worker's threads too, through kernel.embedded.server_loop().
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from kernel import embedded

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()
SEND_TIMEOUT = 5.0


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
