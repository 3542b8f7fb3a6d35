"""Presence: a member is online while one of their inbox pages has its agents' socket connected.

Each open socket is an entry in the cache under the member (its channel name → when it expires). The
socket renews it on connect and on every ping (the page pings every 25 s) and removes it on disconnect;
an entry not renewed within ONLINE_TTL (a browser that vanished without closing) no longer counts. The
cache is Redis in the services mode, shared by every process; in the embedded mode, the one process's.

"Away" is the member's own choice (Membership.away): an away member shows as away and is never picked by
automatic assignment, even with a page open. Becoming available — the first socket while not away, or
ending "away" while connected — records MemberAvailable: conversations waiting for an agent are assigned.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from kernel import events as domain
from kernel.dispatch import record
from workspaces.models import Membership, Workspace

ONLINE_TTL = 75.0  # seconds: three pings may be missed before a silent page stops counting
ONLINE, AWAY, OFFLINE = "online", "away", "offline"


def _key(membership_id: int) -> str:
    return f"parley:presence:{int(membership_id)}"


def _live(entries: dict | None, now: float) -> dict[str, float]:
    return {socket: until for socket, until in (entries or {}).items() if until > now}


def _renew(membership_id: int, socket_id: str) -> bool:
    """Renew this socket's entry; True when the member had no live socket before (they just came online)."""
    now = time.time()
    entries = _live(cache.get(_key(membership_id)), now)
    was_online = bool(entries)
    entries[socket_id] = now + ONLINE_TTL
    # Two tabs renewing at the same instant may drop one entry: its next ping (≤ 25 s) puts it back.
    cache.set(_key(membership_id), entries, timeout=int(ONLINE_TTL) + 5)
    return not was_online


def socket_opened(*, workspace_id: int, membership_id: int, socket_id: str) -> bool:
    """An agents' socket of the member connected. Records MemberAvailable when that made them available.

    Returns whether it did. Runs in a worker thread of the consumer (it may write the event's job row).
    """
    came_online = _renew(membership_id, socket_id)
    if not came_online:
        return False
    away = Membership.objects.filter(pk=membership_id, workspace_id=workspace_id).values_list("away", flat=True)
    if list(away) != [False]:
        return False
    with transaction.atomic():
        record(domain.MemberAvailable(workspace_id=workspace_id, membership_id=membership_id, key=uuid.uuid4().hex))
    return True


def heartbeat(*, membership_id: int, socket_id: str) -> None:
    """The socket is still there (its page pinged)."""
    _renew(membership_id, socket_id)


def socket_closed(*, membership_id: int, socket_id: str) -> None:
    now = time.time()
    entries = _live(cache.get(_key(membership_id)), now)
    if entries.pop(socket_id, None) is None:
        return
    if entries:
        cache.set(_key(membership_id), entries, timeout=int(ONLINE_TTL) + 5)
    else:
        cache.delete(_key(membership_id))


def online_ids(membership_ids: Iterable[int]) -> set[int]:
    """Which of these members have a live socket now (away or not). One cache round trip."""
    ids = list(membership_ids)
    if not ids:
        return set()
    now = time.time()
    found = cache.get_many([_key(pk) for pk in ids])
    return {pk for pk in ids if _live(found.get(_key(pk)), now)}


def statuses(members: Iterable[tuple[int, bool]]) -> dict[int, str]:
    """(membership id, away) pairs → online | away | offline. An away member shows as away even when offline."""
    pairs = list(members)
    online = online_ids(pk for pk, away in pairs if not away)
    return {pk: AWAY if away else (ONLINE if pk in online else OFFLINE) for pk, away in pairs}


@transaction.atomic
def set_away(*, workspace: Workspace, membership: Membership, away: bool) -> bool:
    """The member sets themselves away (or back). Returns whether it changed.

    Coming back while connected records MemberAvailable, as coming online does.
    """
    if membership.workspace_id != workspace.pk:
        raise Membership.DoesNotExist
    changed = Membership.objects.filter(pk=membership.pk, away=not away).update(away=away)
    membership.away = away
    if changed and not away and online_ids([membership.pk]):
        record(domain.MemberAvailable(workspace_id=workspace.pk, membership_id=membership.pk, key=uuid.uuid4().hex))
    return bool(changed)
