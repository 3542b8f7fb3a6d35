"""Per-workspace sequence numbers for live pushes, and the journal a (re)connecting browser replays.

Every push to a workspace's group carries `seq`, allocated here when it is published: one counter per
workspace in the Django cache (`live:seq:<ws>`; Redis in the services mode, so every ASGI and worker
process shares it; the in-process locmem cache in the embedded mode, which is one process). A page is
rendered with the `current()` number read before its queries; on (re)connect the browser asks for
everything after it and the consumer replays it from the journal, then streams live.

The journal is a ring of RING slots per workspace (`live:journal:<ws>:<seq % RING>`, each holding one
frame with its seq, an hour at most): memory stays bounded whatever the traffic, and a slot that holds
another seq than the one asked for means that frame is gone, so the page must reload instead.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

log = logging.getLogger(__name__)

RING = 1024
REPLAY_MAX = 500  # a bigger gap reloads the page: cheaper than replaying it, and the ring keeps a margin
KEEP_SECONDS = 3600
# A seq allocated by a publisher that has not written its slot yet (microseconds): asked once more.
IN_FLIGHT_WAIT = 0.2


def _seq_key(workspace_id: int) -> str:
    return f"live:seq:{int(workspace_id)}"


def _slot_key(workspace_id: int, seq: int) -> str:
    return f"live:journal:{int(workspace_id)}:{seq % RING}"


def current(workspace_id: int) -> int:
    """The last seq published to the workspace (0 before the first). A page renders it before its queries."""
    try:
        return int(cache.get(_seq_key(workspace_id)) or 0)
    except Exception:  # the cache is down: the page still renders, its socket resyncs by reloading
        log.exception("could not read the live sequence")
        return 0


def allocate(workspace_id: int) -> int:
    """The next seq of the workspace, unique across processes (the cache's atomic increment)."""
    key = _seq_key(workspace_id)
    try:
        return cache.incr(key)
    except ValueError:  # the first push to this workspace (or the cache was emptied)
        cache.add(key, 0, timeout=None)
        return cache.incr(key)


def keep(workspace_id: int, frame: dict) -> None:
    """Store a published frame (it holds its seq) for replay."""
    cache.set(_slot_key(workspace_id, frame["seq"]), frame, timeout=KEEP_SECONDS)


class Gap(Exception):
    """The journal cannot fill the range asked for: the page must reload what it shows."""


def _read(workspace_id: int, seqs: list[int]) -> dict[int, dict]:
    keys = {_slot_key(workspace_id, s): s for s in seqs}
    found = cache.get_many(list(keys))
    frames = {}
    for key, frame in found.items():
        seq = keys[key]
        if isinstance(frame, dict) and frame.get("seq") == seq:
            frames[seq] = frame
    return frames


def replay(workspace_id: int, after: int) -> list[dict]:
    """Every frame published to the workspace after `after`, in order. Raises Gap when one is missing.

    `after` beyond the last seq means the counter started again (the cache was emptied): a Gap too.
    """
    last = current(workspace_id)
    if after > last or last - after > REPLAY_MAX:
        raise Gap
    wanted = list(range(after + 1, last + 1))
    if not wanted:
        return []
    frames = _read(workspace_id, wanted)
    missing = [s for s in wanted if s not in frames]
    if missing:
        time.sleep(IN_FLIGHT_WAIT)
        frames.update(_read(workspace_id, missing))
        if any(s not in frames for s in missing):
            raise Gap
    return [frames[s] for s in wanted]
