"""Record domain events inside a transaction; after it commits, hand each to its listeners.

Who listens to what is one table, `config/listeners.py` (settings.PARLEY_LISTENERS names it), read
top to bottom by a newcomer: this module only looks it up. A listener is small: it does something
cheap (the live push) or enqueues a task with ids. Listeners never call each other; a listener that
changes something goes back through a service, which records its own events.

A listener that raises is logged and the others still run: a lost reaction must never undo or break
the write that caused it (the sweeps and the resync repair what a lost reaction leaves behind).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from . import jobs

log = logging.getLogger(__name__)

Listener = Callable[[object], None]


@cache
def _table() -> dict[type, tuple[Listener, ...]]:
    table = import_string(settings.PARLEY_LISTENERS)
    return {event_type: tuple(listeners) for event_type, listeners in table.items()}


def listeners_for(event: object) -> tuple[Listener, ...]:
    return _table().get(type(event), ())


class Task:
    """A listener that is a Celery task, named by path, with the ids it takes (and, optionally, when):

        Task("inbox.tasks.download_attachments", lambda e: (e.workspace_id, e.message_id),
             when=lambda e: e.has_attachments)

    Enqueued by `record` itself, inside the service's transaction (kernel.jobs), so the work is asked for
    exactly when the change commits; the task loads what it needs from the ids.
    """

    def __init__(self, path: str, args: Callable[[object], tuple], *, when: Callable[[object], bool] | None = None,
                 countdown: float | None = None):
        self.path, self.args, self.when, self.countdown = path, args, when, countdown
        self.__qualname__ = path

    def __repr__(self) -> str:
        return f"Task({self.path!r})"


def record(event: object) -> None:
    """Record a domain event: its task listeners are enqueued now (in the transaction), the others run
    after the transaction commits (at once outside a transaction). Nothing happens on rollback."""
    for listener in listeners_for(event):
        if isinstance(listener, Task) and (listener.when is None or listener.when(event)):
            jobs.enqueue(listener.path, *listener.args(event), countdown=listener.countdown)
    transaction.on_commit(lambda: dispatch(event), robust=True)


def record_all(events: Iterable[object]) -> None:
    for event in events:
        record(event)


def dispatch(event: object) -> None:
    """Call every listener registered for the event's type, in table order."""
    for listener in listeners_for(event):
        if isinstance(listener, Task):
            continue  # enqueued by record()
        try:
            listener(event)
        except Exception:
            log.exception("listener %s failed on %s", getattr(listener, "__qualname__", listener), type(event).__name__)
