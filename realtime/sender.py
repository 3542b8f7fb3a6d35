"""Sending to the channel layer from synchronous code (views, services, Celery tasks).

With Redis, `async_to_sync(layer.group_send)` from a plain thread starts a new event loop for every
call, and channels-redis keeps its connections per loop: each push paid for a fresh Redis
connection. Here one long-lived loop thread does all the sending, so connections are reused.
The in-memory layer (embedded mode) must be reached from the loop that serves the websockets,
which async_to_sync already does from a request thread, so it keeps that path.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

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


def group_send(group: str, message: dict) -> None:
    """Send one message to a group and wait until the layer has taken it (raises on failure)."""
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        async_to_sync(layer.group_send)(group, message)
        return
    _run(layer.group_send(group, message))
