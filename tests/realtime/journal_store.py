"""Reach into the live journal's store as expiry or an emptied store would: Redis in the services mode (the
pub/sub layer's direct client), the Django cache otherwise (realtime.journal's two stores)."""

from __future__ import annotations

import json

from django.core.cache import cache

from realtime import journal, sender


def forget_counter(workspace_id: int) -> None:
    """The workspace's seq counter is gone (a store emptied, a workspace that never published)."""
    way = sender.direct()
    if way is not None:
        way.client.delete(journal._seq_key(workspace_id))
    else:
        cache.delete(journal._seq_key(workspace_id))


def forget_frame(workspace_id: int, seq: int) -> None:
    """The frame `seq` is gone from the ring (expired)."""
    way = sender.direct()
    if way is not None:
        way.client.hdel(journal._ring_key(workspace_id), str(seq % journal.RING))
    else:
        cache.delete(journal._slot_key(workspace_id, seq))


def put_frame(workspace_id: int, slot_seq: int, frame: dict) -> None:
    """Write `frame` into the slot `slot_seq` falls in (e.g. a later frame that took it over)."""
    way = sender.direct()
    if way is not None:
        way.client.hset(journal._ring_key(workspace_id), str(slot_seq % journal.RING), json.dumps(frame))
    else:
        cache.set(journal._slot_key(workspace_id, slot_seq), frame)
