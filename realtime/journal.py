"""Per-workspace sequence numbers for live pushes, and the journal a (re)connecting browser replays.

Every push to a workspace's group carries `seq`, allocated when it is published, unique across processes. A
page is rendered with the `current()` number read before its queries; on (re)connect the browser asks for
everything after it and the consumer replays it from the journal, then streams live.

The journal is a ring of RING slots per workspace, each holding one frame with its seq: memory stays bounded
whatever the traffic, and a slot that holds another seq than the one asked for means that frame is gone, so
the page must reload instead. Two stores, one contract:

- Redis, when the channel layer is Redis pub/sub (the services mode; realtime.sender.direct): the counter
  `live:seq:<ws>` (never expires) and the ring, a hash `live:ring:<ws>` of JSON frames (kept KEEP_SECONDS
  after the workspace's last push). `publish` numbers, keeps and PUBLISHes a frame in ONE round trip (a
  Lua script: INCR, HSET, EXPIRE, PUBLISH), so frames reach the group in seq order from every process.
- Otherwise the Django cache (`live:seq:<ws>`, `live:journal:<ws>:<slot>`; locmem in the embedded mode,
  which is one process), and the channel layer's own group_send.
"""

from __future__ import annotations

import json
import logging
import time

import msgpack
from django.core.cache import cache

from . import sender

log = logging.getLogger(__name__)

RING = 1024
REPLAY_MAX = 500  # a bigger gap reloads the page: cheaper than replaying it, and the ring keeps a margin
KEEP_SECONDS = 3600
# A seq allocated by a publisher that has not written its slot yet (cache store only): asked once more.
IN_FLIGHT_WAIT = 0.2

# KEYS: the counter, the ring. ARGV: the frame's JSON up to its seq, the channel-layer message's msgpack up to
# its seq (or "" when the layer's format cannot be spliced: then the caller publishes), the Redis channel,
# RING, KEEP_SECONDS. Returns the seq. Redis runs a script alone, so no other frame of the workspace is
# numbered between this INCR and this PUBLISH: subscribers get the frames in seq order.
_PUBLISH_LUA = """
local seq = redis.call('INCR', KEYS[1])
local digits = string.format('%d', seq)
redis.call('HSET', KEYS[2], string.format('%d', seq % tonumber(ARGV[4])), ARGV[1] .. digits .. '}')
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
if ARGV[2] ~= '' then
  redis.call('PUBLISH', ARGV[3], ARGV[2] .. cmsgpack.pack(seq))
end
return seq
"""
_scripts: dict[int, object] = {}


def _seq_key(workspace_id: int) -> str:
    return f"live:seq:{int(workspace_id)}"


def _ring_key(workspace_id: int) -> str:
    return f"live:ring:{int(workspace_id)}"


def _slot_key(workspace_id: int, seq: int) -> str:
    return f"live:journal:{int(workspace_id)}:{seq % RING}"


def current(workspace_id: int) -> int:
    """The last seq published to the workspace (0 before the first). A page renders it before its queries."""
    try:
        way = sender.direct()
        if way is not None:
            return int(way.client.get(_seq_key(workspace_id)) or 0)
        return int(cache.get(_seq_key(workspace_id)) or 0)
    except Exception:  # the store is down: the page still renders, its socket resyncs by reloading
        log.exception("could not read the live sequence")
        return 0


def publish(workspace_id: int, group: str, event: str, payload: dict) -> int | None:
    """Number the frame {event, payload, seq}, keep it for replay and send it to `group` as a `parley.event`.

    Returns the seq, or None when the store could not number it: the frame still goes out without one (a
    browser applies such frames as they come, and its next resume finds the gap and reloads). Raises when
    the frame could not be sent at all.
    """
    frame: dict = {"event": event, "payload": payload}
    way = sender.direct()
    if way is not None:
        return _publish_redis(way, workspace_id, group, frame)
    try:
        frame["seq"] = _allocate(workspace_id)
        cache.set(_slot_key(workspace_id, frame["seq"]), frame, timeout=KEEP_SECONDS)
    except Exception:  # a lost push must never break the write that caused it; clients resync
        log.exception("could not number %s", event)
    sender.group_send(group, {"type": "parley.event", **frame})
    return frame.get("seq")


def _publish_redis(way: sender.Direct, workspace_id: int, group: str, frame: dict) -> int:
    # Both encodings end where the seq goes, the script appends it: '..."seq":' + digits + '}' for the ring,
    # a 4-entry map whose last key is "seq" + cmsgpack's integer for the layer (msgpack.unpackb reads it).
    head = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)[:-1] + ',"seq":'
    message = {"type": "parley.event", **frame}
    spliced = b""
    if way.plain_msgpack:
        packed = msgpack.packb(message)
        if packed[0] == 0x83:  # a fixmap of three entries: a fourth, "seq", follows
            spliced = b"\x84" + packed[1:] + msgpack.packb("seq")
    channel = way.channel_of(group)
    script = _scripts.get(id(way.client))
    if script is None:
        script = _scripts[id(way.client)] = way.client.register_script(_PUBLISH_LUA)
    seq = int(script(keys=[_seq_key(workspace_id), _ring_key(workspace_id)],
                     args=[head, spliced, channel, RING, KEEP_SECONDS]))
    if not spliced:  # an encrypted (or otherwise encoded) layer: the layer's serializer, one more round trip
        way.client.publish(channel, way.serialize({**message, "seq": seq}))
    return seq


def _allocate(workspace_id: int) -> int:
    """The next seq of the workspace in the cache store (the cache's atomic increment)."""
    key = _seq_key(workspace_id)
    try:
        return cache.incr(key)
    except ValueError:  # the first push to this workspace (or the cache was emptied)
        cache.add(key, 0, timeout=None)
        return cache.incr(key)


class Gap(Exception):
    """The journal cannot fill the range asked for: the page must reload what it shows."""


def _read(workspace_id: int, seqs: list[int]) -> dict[int, dict]:
    way = sender.direct()
    if way is not None:
        raw = way.client.hmget(_ring_key(workspace_id), [str(s % RING) for s in seqs])
        found = zip(seqs, (json.loads(value) if value else None for value in raw), strict=True)
    else:
        keys = {_slot_key(workspace_id, s): s for s in seqs}
        found = ((keys[key], frame) for key, frame in cache.get_many(list(keys)).items())
    return {seq: frame for seq, frame in found if isinstance(frame, dict) and frame.get("seq") == seq}


def replay(workspace_id: int, after: int) -> list[dict]:
    """Every frame published to the workspace after `after`, in order. Raises Gap when one is missing.

    `after` beyond the last seq means the counter started again (the store was emptied): a Gap too.
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
