"""Tab counts on the inbound live push, coalesced per workspace: at most one counting query per workspace and
process every COUNTS_EVERY seconds, however many messages open conversations.

A message that opened a conversation changes the counts (Unassigned and All grow). Its push asks
`counts_for(...)`:

- the first one in a window gets the counts at once (counted after its commit) and opens the window;
- the others in that window get None (the browser keeps the counts it shows) and leave their conversation
  behind; when the window ends, one publisher thread per process pushes the last of them again
  (`conversation.updated`: its queue row as it is then, with counts counted then).

So every change is followed within COUNTS_EVERY by counts counted after it, in a frame the browser applies
like any other. Assigning and closing (people's actions, not a webhook's rate) still count at once; the
pages render their own capped counts (selectors.queue_counts).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from django.db import connections

from realtime import events as live_events
from workspaces.models import Workspace

from . import live, selectors

log = logging.getLogger(__name__)

COUNTS_EVERY = 0.5  # seconds: how stale the tab counts of a busy workspace may be
_WINDOWS_KEPT = 4096  # past this, windows already over are dropped (a process serving many workspaces)


@dataclass
class _Held:
    workspace: Workspace
    conversation_id: int


class Coalescer:
    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        # Keyed by (id, created_at): a test database that hands out an id again is another workspace.
        self._next: dict[tuple, float] = {}  # workspace → when its next count may run
        self._held: dict[tuple, _Held] = {}  # workspace → the last conversation whose counts were held back
        self._thread: threading.Thread | None = None

    def counts_for(self, workspace: Workspace, conversation_id: int) -> dict | None:
        """The counts now (first in its window), or None: then they follow within COUNTS_EVERY."""
        key = (workspace.pk, workspace.created_at)
        now = time.monotonic()
        with self._cond:
            if now >= self._next.get(key, 0.0):
                self._next[key] = now + COUNTS_EVERY
                self._held.pop(key, None)  # the counts below are counted after that one committed
                if len(self._next) > _WINDOWS_KEPT:
                    self._next = {k: t for k, t in self._next.items() if t > now or k in self._held}
                hold = False
            else:
                already = key in self._held
                self._held[key] = _Held(workspace, conversation_id)
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="parley-live-counts", daemon=True)
                    self._thread.start()
                if not already:  # the publisher waits for this window's end (waking it for each is wasted)
                    self._cond.notify_all()
                hold = True
        return None if hold else selectors.open_counts_by_assignee(workspace=workspace)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    now = time.monotonic()
                    due = [key for key in self._held if self._next.get(key, 0.0) <= now]
                    if due:
                        break
                    waits = [self._next.get(key, 0.0) - now for key in self._held]
                    self._cond.wait(min(waits) if waits else None)
                batch = []
                for key in due:
                    batch.append(self._held.pop(key))
                    self._next[key] = now + COUNTS_EVERY
            for held in batch:
                try:
                    _push_counts(held)
                except Exception:  # a lost count push must not stop the thread: the next one repairs it
                    log.exception("could not push the tab counts")
            connections.close_all()  # this thread's connections go back between batches


def _push_counts(held: _Held) -> None:
    conversation = live.load_conversation(held.workspace, held.conversation_id)
    if conversation is None:
        return
    payload = live.conversation_payload(held.workspace, conversation, counts=True)
    payload["log_html"] = ""
    live_events.publish(held.workspace.pk, live_events.CONVERSATION_UPDATED, payload)


_coalescer = Coalescer()
counts_for = _coalescer.counts_for
