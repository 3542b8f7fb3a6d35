"""Event names and the one way to publish them: after commit, to groups derived here only."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from . import sender

log = logging.getLogger(__name__)

MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
CONVERSATION_OPENED = "conversation.opened"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_ASSIGNED = "conversation.assigned"
CONVERSATION_UNASSIGNED = "conversation.unassigned"
CONVERSATION_CLOSED = "conversation.closed"

ALL = frozenset({MESSAGE_CREATED, MESSAGE_UPDATED, CONVERSATION_OPENED, CONVERSATION_UPDATED,
                 CONVERSATION_ASSIGNED, CONVERSATION_UNASSIGNED, CONVERSATION_CLOSED})


def workspace_group(workspace_id: int) -> str:
    return f"ws.{int(workspace_id)}"


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def publish(workspace_id: int, name: str, payload: dict) -> None:
    """Send now. Callers inside a transaction use publish_on_commit instead."""
    if name not in ALL:
        raise ValueError(f"Unknown event {name!r}")
    try:
        sender.group_send(workspace_group(workspace_id), {"type": "parley.event", "event": name, "payload": payload})
    except Exception:  # a lost push must never break the write that caused it; clients resync
        log.exception("could not publish %s", name)


def publish_on_commit(workspace_id: int, name: str, build: Callable[[], dict]) -> None:
    """After the current transaction commits, build the payload (renders once) and publish it."""
    transaction.on_commit(lambda: publish(workspace_id, name, build()), robust=True)


# ---- web chat visitors (the widget's socket; never the agents' groups) ------------------------------

VISITOR_MESSAGE = "visitor.message"


def visitor_group(channel_id: int, contact_id: int) -> str:
    """The one group a web chat visitor's socket joins: derived from server-side ids only."""
    return f"visitor.{int(channel_id)}.{int(contact_id)}"


def publish_to_visitor(channel_id: int, contact_id: int, payload: dict) -> None:
    """Push one rendered message to a visitor now. Raises when the channel layer fails (callers retry)."""
    sender.group_send(
        visitor_group(channel_id, contact_id), {"type": "visitor.message", "event": VISITOR_MESSAGE, "payload": payload}
    )
